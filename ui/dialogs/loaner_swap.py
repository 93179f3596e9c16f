"""Swap a student's device for a loaner, and end the swap when the repair
comes back (app.services.loaners does both, one transaction each).

The swap dialog takes scans while it is open (the main window routes them to
``handle_scan``): a loaner's tag fills the loaner, a device a student holds
fills the device. Left empty, the loaner is the first free one at the
device's school, which the dialog names before anything is done.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QLabel,
                               QLineEdit, QMessageBox, QPlainTextEdit, QVBoxLayout)

from app.services import assets as asset_svc
from app.services import loaners
from ui import theme
from ui.bus import bus
from ui.ops import Changes, run_op
from ui.widgets.buttons import ok_cancel

CHANGES = Changes.ASSETS | Changes.LOANS | Changes.REPAIRS | Changes.PEOPLE


def _student_devices(person_id: int) -> list[tuple[int, str]]:
    """(asset id, "tag — name") of what a person holds, loaners left out."""
    from app.models import Asset
    q = (Asset.select(Asset.id, Asset.tag, Asset.name)
         .where((Asset.assigned_person == person_id) & (Asset.loaner == False))  # noqa: E712
         .order_by(Asset.tag_key).tuples())
    return [(aid, f"{tag} — {name}" if name else tag) for aid, tag, name in q]


class SwapDialog(QDialog):
    """The device (given, chosen from what the person holds, or scanned), the
    loaner (scanned, typed, or the first free one), the problem and vendor."""

    def __init__(self, device_id: int | None = None, parent=None, person_id: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("Swap for loaner")
        self.setObjectName("loaner-swap-dialog")
        self.swap = None
        self.device = QComboBox()
        self.device.setObjectName("swap-device")
        if device_id:
            a = asset_svc.get(device_id)
            self.device.addItem(f"{a.tag} — {a.name or ''}".rstrip(" —"), a.id)
        elif person_id:
            for aid, text in _student_devices(person_id):
                self.device.addItem(text, aid)
        self.device.currentIndexChanged.connect(self._show_holder)
        self.holder = QLabel()
        self.holder.setObjectName("swap-holder")
        self.holder.setWordWrap(True)
        self.loaner = QLineEdit()
        self.loaner.setObjectName("swap-loaner")
        self.loaner.textChanged.connect(self._show_loaner)
        self.loaner_note = QLabel()
        self.loaner_note.setObjectName("swap-loaner-note")
        self.loaner_note.setWordWrap(True)
        self.problem = QPlainTextEdit()
        self.problem.setObjectName("swap-problem")
        self.problem.setTabChangesFocus(True)
        self.problem.setPlaceholderText("What is wrong: cracked screen, keys missing, won't charge…")
        self.problem.setMaximumHeight(90)
        self.vendor = QComboBox()
        self.vendor.setObjectName("swap-vendor")
        self.vendor.addItem("(in-house)", None)
        from app.models import Supplier
        for sid, name in Supplier.select(Supplier.id, Supplier.name).order_by(Supplier.name).tuples():
            self.vendor.addItem(name, sid)
        self.ticket = QLineEdit()
        self.ticket.setObjectName("swap-ticket")
        form = QFormLayout()
        form.addRow("Student's device", self.device)
        form.addRow("", self.holder)
        form.addRow("Loaner", self.loaner)
        form.addRow("", self.loaner_note)
        form.addRow("Problem", self.problem)
        form.addRow("Repair vendor", self.vendor)
        form.addRow("RMA / ticket", self.ticket)
        buttons = ok_cancel(self, "Swap", self.commit)
        intro = QLabel("The device is checked in and goes to repair; the loaner is checked "
                       "out to the same student. Scan the loaner (or the device).")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addStretch(1)  # a taller window leaves the space below the form, not between rows
        lay.addWidget(buttons)
        self._show_holder()
        self.problem.setFocus()
        self.resize(560, 380)

    # --- what the form shows --------------------------------------------------------

    def device_id(self) -> int | None:
        return self.device.currentData()

    def _show_holder(self) -> None:
        device_id = self.device_id()
        if not device_id:
            self.holder.setText(theme.coloured("Scan the student's device.", "warning"))
        else:
            loan = asset_svc.open_loan(device_id)
            if loan is not None and loan.person_id:
                self.holder.setText(f"Lent to <b>{loan.person.full_name}</b>"
                                    + (f" ({loan.person.id_number})" if loan.person.id_number else ""))
            else:
                self.holder.setText(theme.coloured("Not checked out to a student: a swap "
                                                   "needs a device a student holds.", "error"))
        self._show_loaner()

    def _show_loaner(self) -> None:
        """Which loaner will go out: the one given, or the first free at the school."""
        text = self.loaner.text().strip()
        if text:
            aid = asset_svc.lookup_tag(text)
            if aid is None:
                self.loaner_note.setText(theme.coloured(f"No asset has the tag {text}.", "error"))
            elif not asset_svc.get(aid).loaner:
                self.loaner_note.setText(theme.coloured(f"{text} is not in the loaner pool.",
                                                        "error"))
            else:
                self.loaner_note.setText("")
            return
        device_id = self.device_id()
        site_id = asset_svc.get(device_id).site_id if device_id else None
        free = loaners.free_loaners(site_id) if site_id else []
        self.loaner.setPlaceholderText(f"first free loaner: {free[0].tag}" if free else
                                       "scan a loaner")
        self.loaner_note.setText(
            f"{len(free)} free at this school" if free else
            theme.coloured("No free loaner at this school: scan one from another.", "warning")
            if site_id else "")

    # --- scans ----------------------------------------------------------------------

    def handle_scan(self, code: str) -> bool:
        """A loaner's tag fills the loaner; a device a student holds fills the device."""
        aid = asset_svc.lookup_tag(code)
        if aid is None:
            return False
        asset = asset_svc.get(aid)
        if asset.loaner and asset_svc.open_loan(aid) is None:
            self.loaner.setText(asset.tag)
            return True
        i = self.device.findData(aid)
        if i < 0:
            self.device.addItem(f"{asset.tag} — {asset.name or ''}".rstrip(" —"), aid)
            i = self.device.count() - 1
        self.device.setCurrentIndex(i)
        return True

    # --- doing it -------------------------------------------------------------------

    def commit(self) -> None:
        device_id = self.device_id()
        if not device_id:
            QMessageBox.warning(self, "Swap for loaner", "Scan or choose the student's device.")
            return
        text = self.loaner.text().strip()
        loaner_id = asset_svc.lookup_tag(text) if text else None
        if text and loaner_id is None:
            QMessageBox.warning(self, "Swap for loaner", f"No asset has the tag {text}.")
            return
        problem, vendor, ticket = (self.problem.toPlainText(), self.vendor.currentData(),
                                   self.ticket.text())
        run_op(self, lambda: loaners.swap(device_id, loaner_id=loaner_id, problem=problem,
                                          vendor_id=vendor, ticket=ticket),
               changes=CHANGES, success=self._swapped, title="Swap for loaner")

    def _swapped(self, swap) -> None:
        self.swap = swap
        bus.status_message.emit(f"Swap {swap.id}: loaner {swap.loaner.tag} lent to "
                                f"{swap.person.full_name}; {swap.device.tag} in repair")
        self.accept()


def swap_for(parent, asset_id: int | None = None, person_id: int | None = None) -> bool:
    """Open the swap dialog; True when a swap was made."""
    return bool(SwapDialog(asset_id, parent, person_id=person_id).exec())


def end_swap(parent, asset_id: int | None = None, person_id: int | None = None) -> bool:
    """"Return from repair / end swap": the open swap of this device or loaner
    (or this person's), confirmed, then reversed. True when one ended."""
    rows = loaners.list_swaps(open_only=True, person_id=person_id, asset_id=asset_id)
    if not rows:
        who = "this person" if person_id else "this asset"
        QMessageBox.information(parent, "End loaner swap", f"There is no open loaner swap for {who}.")
        return False
    r = rows[0]
    if QMessageBox.question(
            parent, "End loaner swap",
            f"Swap {r['id']}: {r['device']} back from repair?\n\nThe repair is closed, loaner "
            f"{r['loaner']} is checked in and {r['device']} goes back out to {r['student']}.",
            QMessageBox.Yes | QMessageBox.No) != QMessageBox.Yes:
        return False

    def ended(done) -> None:
        back = (f"{done.device.tag} back to {done.person.full_name}" if done.lent_back
                else f"{done.device.tag} not lent back")
        bus.status_message.emit(f"Swap {done.id} ended: loaner {done.loaner.tag} in, {back}")
    return bool(run_op(parent, lambda: loaners.reverse(r["id"]), changes=CHANGES, success=ended,
                       title="End loaner swap"))


def mark_loaners(parent, asset_ids: list[int], on: bool = True) -> bool:
    """Put the selected assets in the loaner pool (or take them out)."""
    if not asset_ids:
        return False

    def marked(tags) -> None:
        what = "put in" if on else "taken out of"
        bus.status_message.emit(f"{len(tags)} {'asset' if len(tags) == 1 else 'assets'} {what} "
                                "the loaner pool")
    return bool(run_op(parent, lambda: loaners.set_loaner(asset_ids, on=on), changes=Changes.ASSETS,
                       success=marked, title="Loaner pool"))

