"""Giving, moving and taking back license seats.

    assign_to_assets(parent, asset_ids)   # the Assets page selection: pick a license
    AssignSeatsDialog(license_id, parent) # scan or type tags / person IDs, one seat each
    MoveSeatDialog(license_id, seat, parent)
"""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QLabel, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QHBoxLayout)

from app.services import licenses
from app.wording import plural, status_label
from ui import theme
from ui.bus import bus
from ui.dialogs.stock_forms import FormDialog, LookupEdit
from ui.ops import Changes, run_op
from ui.widgets.buttons import ok_cancel


def describe_holder(text: str) -> tuple[tuple[str, int] | None, str]:
    """What a scanned or typed code names, for the seat dialogs."""
    from app.models import Asset, Person
    kind, obj_id = licenses.find_holder(text)
    if kind == "asset":
        tag, name, status = (Asset.select(Asset.tag, Asset.name, Asset.status)
                             .where(Asset.id == obj_id).tuples().first())
        return (kind, obj_id), f"Computer {tag} {name or ''} ({status_label(status)})".replace("  ", " ")
    p = Person.get_by_id(obj_id)
    return (kind, obj_id), f"{p.full_name} ({p.kind}, {p.id_number or 'no ID'})"


def seats_text(license_id: int) -> str:
    s = licenses.summary(license_id)
    if s["free"] is None:
        return f"{plural(s['used'], 'seat')} in use (site license)"
    if s["free"] < 0:
        return f"{s['used']:,} of {plural(s['seats'], 'seat')} in use — over by {-s['free']:,}"
    return f"{s['used']:,} of {plural(s['seats'], 'seat')} in use, {s['free']:,} free"


class AssignSeatsDialog(QDialog):
    """Scan or type computer tags or person IDs: each one gets a seat at once,
    and the list below says what happened to each."""

    def __init__(self, license_id: int, parent=None):
        super().__init__(parent)
        self.license_id = license_id
        self.lic = licenses.get(license_id)
        self.given = 0
        self.setObjectName("assign-seats")
        self.setWindowTitle(f"Give seats of {self.lic}")
        self.setMinimumWidth(460)
        self.code = LookupEdit(describe_holder)
        self.code.setObjectName("holder-code")
        self.code.setPlaceholderText("Scan or type a computer tag or a person's ID, then Enter")
        self.code.returnPressed.connect(self.give)
        add = QPushButton("Give seat")
        add.clicked.connect(self.give)
        self.count = QLabel(seats_text(license_id))
        self.count.setObjectName("seat-count")
        self.log = QListWidget()
        self.log.setObjectName("assign-log")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        row.addWidget(add)
        lay = QVBoxLayout(self)
        lay.addWidget(self.count)
        lay.addLayout(row)
        lay.addWidget(self.code.note)
        lay.addWidget(self.log, 1)
        lay.addWidget(buttons)

    def handle_scan(self, code: str) -> bool:
        self.code.setText(code)
        self.give()
        return True

    def give(self) -> None:
        text = self.code.text().strip()
        if not text:
            return
        def give_one():
            kind, obj_id = licenses.find_holder(text)
            return licenses.assign(self.license_id, **{f"{kind}_id": obj_id})

        def given(_seat) -> None:
            self.given += 1
            self.log.insertItem(0, QListWidgetItem(f"✓ {text}: {self.code.note.text()}"))
            self.count.setText(seats_text(self.license_id))
            self.code.clear()
            bus.status_message.emit(f"Seat of {self.lic} given to {text}")
        run_op(self, give_one, changes=Changes.LICENSES, success=given, title="Give seat")

    def show_op_error(self, exc) -> bool:
        """A refused seat goes to the top of the list of scans, in the error
        colour, and in a box (the person scanning may not be looking)."""
        item = QListWidgetItem(f"✗ {self.code.text().strip()}: {exc}")
        item.setForeground(theme.qcolour("error"))
        self.log.insertItem(0, item)
        self.code.selectAll()
        return False

    def reject(self) -> None:
        # Seats were given one by one as scanned: closing keeps them.
        self.done(QDialog.Accepted if self.given else QDialog.Rejected)


class MoveSeatDialog(FormDialog):
    """Move one seat to another computer or person."""

    TITLE = "Move seat"
    CHANGES = Changes.LICENSES

    def __init__(self, license_id: int, seat: dict, parent=None):
        super().__init__(parent)
        self.license_id = license_id
        self.seat = seat
        self.setObjectName("move-seat")
        lic = licenses.get(license_id)
        self.setWindowTitle(f"Move a seat of {lic}")
        self.form.addRow("From", QLabel(f"{seat['holder']} {seat.get('detail') or ''}".strip()))
        self.target = LookupEdit(describe_holder)
        self.add_field("to", "To", self.target,
                       placeholder="Scan or type the new computer's tag or a person's ID")
        self.form.addRow("", self.target.note)

    def handle_scan(self, code: str) -> bool:
        self.target.setText(code)
        return True

    def apply(self):
        if self.target.resolved is None:
            from app.services.errors import ValidationError
            raise ValidationError(self.target.note.text() or "Scan or type where the seat goes.",
                                  field="to")
        kind, obj_id = self.target.resolved
        src = ({"from_asset_id": self.seat["asset_id"]} if self.seat["asset_id"]
               else {"from_person_id": self.seat["person_id"]})
        return licenses.move(self.license_id, **src, **{f"to_{kind}_id": obj_id})


class LicenseChoiceDialog(QDialog):
    """Pick the license whose seats the selected computers get."""

    def __init__(self, n_assets: int, parent=None):
        super().__init__(parent)
        self.setObjectName("choose-license")
        self.setWindowTitle("Give license seats")
        self.combo = QComboBox()
        self.combo.setObjectName("license-choice")
        for r in licenses.compliance():
            free = "site license" if r["free"] is None else f"{r['free']:,} free"
            name = f"{r['product']} {r['version'] or ''}".strip()
            self.combo.addItem(f"{name} — {free}", r["id"])
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Give each of the {plural(n_assets, 'selected computer')} a seat of:"))
        lay.addWidget(self.combo)
        note = QLabel("Computers that already have a seat keep it. If there are not enough "
                      "free seats, none are given.")
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = ok_cancel(self)
        lay.addWidget(buttons)


def assign_to_assets(parent, asset_ids: list[int]) -> bool:
    """Give the selected computers seats of a license the user picks (all or
    none). True if any seat was given."""
    asset_ids = list(asset_ids or [])
    if not asset_ids:
        return False
    dlg = LicenseChoiceDialog(len(asset_ids), parent)
    if dlg.combo.count() == 0:
        QMessageBox.information(parent, "Give license seats",
                                "There are no licenses yet: add one on the Licenses page.")
        return False
    if not dlg.exec():
        return False
    license_id = dlg.combo.currentData()
    done: list = []
    if not run_op(parent, lambda: licenses.assign_many(license_id, asset_ids),
                  changes=Changes.LICENSES, success=done.append, title="Give license seats"):
        return False
    result = done[0]
    lic = licenses.get(license_id)
    msg = f"Gave {plural(result['assigned'], 'seat')} of {lic}"
    if result["skipped"]:
        msg += f"; {result['skipped']:,} already had one"
    bus.status_message.emit(msg)
    return result["assigned"] > 0

