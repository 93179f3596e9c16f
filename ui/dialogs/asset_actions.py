"""Check-out, check-in (many tags at once), open repair, retire and dispose.

Each dialog calls the asset services and reports per-asset refusals in one
summary; scanning while a batch dialog is open adds the tag to the batch
(the main window routes scans to an open dialog's ``handle_scan``).
"""
from __future__ import annotations


import html
from decimal import Decimal

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QFormLayout, QGroupBox, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMessageBox, QPlainTextEdit, QRadioButton, QVBoxLayout,
                               QHBoxLayout, QWidget)

from app import listing
from app.models.common import DISPOSAL_METHODS, LANGUAGES
from app.models.program import AGREEMENT_STATES, DAMAGE_KINDS
from app.services import assets as asset_svc
from app.services import repairs, settings
from app.services.errors import DomainError
from app.wording import plural
from ui import theme
from ui.bus import bus
from ui.files import agreement_name, ask_save_path
from ui.ops import Changes, announce, lookup, run_op
from ui.widgets.buttons import ok_cancel
from ui.widgets.checks import check_row

CONDITIONS = ("new", "good", "fair", "poor", "damaged")




def _reason(tag: str, why: str) -> str:
    """A refusal as it reads after the tag: the services say "Asset QM-000027
    is not checked out." where the batch says "no asset has this tag", so
    the tag is not repeated and every line reads the same way."""
    import re
    text = re.sub(rf"^(the )?asset {re.escape(tag)}\s+(is\s+)?", "", why.strip(), flags=re.I)
    text = text.rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _tags_of(ids: list[int]) -> list[str]:
    from app.models import Asset
    return [t for (t,) in Asset.select(Asset.tag).where(Asset.id.in_(ids)).order_by(Asset.tag_key).tuples()]


DONE = {"Check out": "Checked out", "Check in": "Checked in", "Dispose": "Disposed of",
        "Retire": "Retired"}


def _summary(parent, title: str, done: list[str], problems: list[tuple[str, str]]) -> None:
    verb = DONE.get(title)
    text = ("Nothing was changed." if not done else f"{verb} {plural(len(done), 'asset')}." if verb
            else f"{plural(len(done), 'asset')} done.")
    if problems:
        lines = "\n".join(f"{tag} \u2014 {_reason(tag, why)}" for tag, why in problems[:40])
        more = f"\n… and {len(problems) - 40} more" if len(problems) > 40 else ""
        QMessageBox.warning(parent, title, f"{text}\n\nNot done:\n{lines}{more}")
    else:
        bus.status_message.emit(text if verb else f"{title}: {text}")


class PersonPicker(QWidget):
    """Search people by name or ID number; the chosen person's id is ``person_id``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Name or ID number…")
        self.edit.setObjectName("person-search")
        self.results = QListWidget()
        self.results.setObjectName("person-results")
        self.results.setMinimumHeight(150)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit)
        lay.addWidget(self.results)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.refresh)
        self.edit.textChanged.connect(lambda _t: self._timer.start())

    def refresh(self) -> None:
        text = self.edit.text().strip()
        self.results.clear()
        if not text:
            return
        ids = listing.query_ids("people", {"search": text, "active": True})[:30]
        rows = listing.fetch_rows("people", ids)
        for pid in ids:
            name, kind, idn, site = rows[pid][:4]
            item = QListWidgetItem(f"{name} — {kind}{' · ' + idn if idn else ''}{' · ' + site if site else ''}")
            item.setData(Qt.UserRole, pid)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    @property
    def person_id(self) -> int | None:
        item = self.results.currentItem()
        return item.data(Qt.UserRole) if item else None


class CheckOutDialog(QDialog):
    def __init__(self, asset_ids: list[int], parent=None, person_id: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("Check out")
        self.setObjectName("checkout-dialog")
        self.asset_ids = list(asset_ids)
        self.loan_ids: list[int] = []
        self.assets_label = QLabel()
        self.assets_label.setObjectName("checkout-assets")
        self.to_person = QRadioButton("Person")
        self.to_location = QRadioButton("Room / location")
        self.to_person.setChecked(True)
        self.person = PersonPicker()
        self.location = QComboBox()
        self.location.setObjectName("checkout-location")
        self.location.setPlaceholderText("Only for a check-out to a room — choose Room / location above")
        from app.services import catalog
        for lid, label in catalog.all_room_choices():
            self.location.addItem(label, lid)
        self._room_index = 0  # the room last chosen, back when Room is chosen again
        self.to_person.toggled.connect(self._target_changed)
        self.due = QDateEdit(QDate.currentDate().addDays(int(settings.get("loan_days") or 180)))
        self.due.setObjectName("checkout-due")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.condition = QComboBox()
        self.condition.addItems(CONDITIONS)
        self.condition.setCurrentText("good")
        self.signed = QCheckBox("Loan agreement signed")
        self.signed.setObjectName("checkout-signed")
        # Districts must record a family that will not sign (or a waiver on
        # file) as well as a signature.
        self.unsigned = QComboBox()
        self.unsigned.setObjectName("checkout-unsigned")
        self.unsigned.addItem("Not signed yet", None)
        for key in ("waiver", "refused"):
            self.unsigned.addItem(AGREEMENT_STATES[key], key)
        self.signed.toggled.connect(lambda on: self.unsigned.setEnabled(not on))
        self.language = QComboBox()
        self.language.addItem("(the borrower's language)", None)
        for key, label in LANGUAGES.items():
            self.language.addItem(label, key)
        form = QFormLayout()
        form.addRow("Assets", self.assets_label)
        who = QHBoxLayout()
        who.addWidget(self.to_person)
        who.addWidget(self.to_location)
        form.addRow("Check out to", who)
        form.addRow("Person", self.person)
        form.addRow("Room", self.location)
        form.addRow("Due back", self.due)
        form.addRow("Condition", self.condition)
        form.addRow("", self.signed)
        form.addRow("If not signed", self.unsigned)
        form.addRow("Agreement language", self.language)
        buttons = ok_cancel(self, "Check out", self.commit)
        lay = QVBoxLayout(self)
        lay.addLayout(form, 1)
        lay.addWidget(QLabel("Scan more tags to add them to this check-out."))
        lay.addWidget(buttons)
        self._show_assets()
        self._target_changed(True)
        if person_id:
            from app.models import Person
            p = Person.get_by_id(person_id)
            self.person.edit.setText(p.id_number or p.full_name)
            self.person.refresh()
        # Typing a name is the first thing done here (a scan still adds tags).
        self.person.edit.setFocus()
        self.setSizeGripEnabled(True)
        self.resize(720, 520)  # a result names the person, kind, ID and school

    def _target_changed(self, to_person: bool) -> None:
        """The room box shows a room only when the check-out is to a room, so
        it never looks chosen beside a person."""
        self.person.setEnabled(to_person)
        self.location.setEnabled(not to_person)
        if to_person:
            if self.location.currentIndex() >= 0:
                self._room_index = self.location.currentIndex()
            self.location.setCurrentIndex(-1)  # the placeholder
            self.person.edit.setFocus()
        else:
            self.location.setCurrentIndex(min(self._room_index, self.location.count() - 1))
            self.location.setFocus()

    def _show_assets(self) -> None:
        tags = _tags_of(self.asset_ids)
        self.assets_label.setText(", ".join(tags[:8]) + (f" and {len(tags) - 8} more" if len(tags) > 8 else ""))

    def handle_scan(self, code: str) -> bool:
        """A tag joins the check-out, a badge chooses the borrower, a room label
        the room; a supply box is not used here (the main window says so)."""
        from app import scanning
        asset_id = asset_svc.lookup_tag(code)
        if asset_id is None:
            res = lookup(lambda: scanning.resolve(code))
            if res is not None and res.kind == "person" and res.id:
                self.to_person.setChecked(True)
                self.person.edit.setText(code)
                self.person.refresh()
                return True
            if res is not None and res.kind == "location" and res.id:
                self.to_location.setChecked(True)
                self.location.setCurrentIndex(max(0, self.location.findData(res.id)))
                return True
            if res is not None and res.kind == "supply":
                return False
            QMessageBox.warning(self, "Check out", f"No asset has the tag {code}.")
        elif asset_id not in self.asset_ids:
            self.asset_ids.append(asset_id)
            self._show_assets()
        return True

    def commit(self) -> None:
        person_id = self.person.person_id if self.to_person.isChecked() else None
        location_id = self.location.currentData() if self.to_location.isChecked() else None
        if not person_id and not location_id:
            QMessageBox.warning(self, "Check out", "Choose the person (type a name or ID) or the room.")
            return
        due = self.due.date().toPython()

        def out(asset_id):
            loan = asset_svc.check_out(asset_id, person_id=person_id, location_id=location_id,
                                       due=due, condition=self.condition.currentText(),
                                       agreement_status=("signed" if self.signed.isChecked()
                                                         else self.unsigned.currentData()),
                                       language=self.language.currentData())
            self.loan_ids.append(loan.id)
        done, problems = _apply(self.asset_ids, out, Changes.ASSETS | Changes.LOANS)
        _summary(self, "Check out", done, problems)
        if done and person_id and QMessageBox.question(
                self, "Loan agreement", "Save the loan agreement for signing now?",
                QMessageBox.Yes | QMessageBox.No) == QMessageBox.Yes:
            self.save_agreement(person_id)
        if done:
            self.accept()

    def save_agreement(self, person_id: int) -> None:
        path = ask_save_path(self, "Save loan agreement", agreement_name(person_id), "PDF (*.pdf)")
        if not path:
            return
        from reports.loan_agreement import render_agreement
        language, loan_ids = self.language.currentData(), self.loan_ids
        run_op(self, lambda: render_agreement(person_id, path, language=language,
                                              loan_ids=loan_ids),
               changes=Changes.NONE, success=lambda _r: bus.status_message.emit(f"Saved {path}"),
               title="Loan agreement")


def _apply(asset_ids: list[int], action, changes: Changes) -> tuple[list[str], list[tuple[str, str]]]:
    """Run ``action(asset_id)`` for each asset, each in its own transaction;
    (tags done, (tag, reason) refused). A refusal is one line of the batch's
    summary, not a message each (so not run_op's); ``changes`` is announced
    once when any succeeded."""
    done, problems = [], []
    for asset_id, tag in zip(asset_ids, _tags_for_ids(asset_ids)):
        try:
            action(asset_id)
            done.append(tag)
        except DomainError as exc:  # stays: one line of the batch's summary per refused tag
            problems.append((tag, str(exc)))
    if done:
        announce(changes)
    return done, problems


def _tags_for_ids(ids: list[int]) -> list[str]:
    from app.models import Asset
    tags = dict(Asset.select(Asset.id, Asset.tag).where(Asset.id.in_(ids)).tuples())
    return [tags.get(i, str(i)) for i in ids]


class CheckInDialog(QDialog):
    """Tags typed, pasted or scanned, one per line; all checked in at once."""

    def __init__(self, tags: list[str] | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Check in")
        self.setObjectName("checkin-dialog")
        self.tags = QPlainTextEdit("\n".join(tags or []))
        self.tags.setObjectName("checkin-tags")
        self.tags.setPlaceholderText("QM-000123\nQM-000124\n…")
        # Said above the box, not only as its placeholder, so it stays when
        # the box starts filled with the selected assets' tags.
        self.help = QLabel("Scan, type or paste tags \u2014 one per line (or separated by spaces "
                           "or commas).")
        self.help.setObjectName("checkin-help")
        self.help.setWordWrap(True)
        self.count = QLabel()
        self.count.setObjectName("checkin-count")
        self.tags.textChanged.connect(self._count)
        self.condition = QComboBox()
        self.condition.setObjectName("checkin-condition")
        self.condition.addItems(CONDITIONS)
        self.condition.setCurrentText("good")
        form = QFormLayout()
        form.addRow("Condition", self.condition)
        # One device back: its damage, its kit parts and the fees they cost.
        self.device_return = ReturnBox(self)
        self.device_return.damage_ticked.connect(
            lambda: self.condition.setCurrentText("damaged"))
        buttons = ok_cancel(self, "Check in", self.commit)
        lay = QVBoxLayout(self)
        lay.addWidget(self.help)
        lay.addWidget(self.tags, 1)
        lay.addWidget(self.count)
        lay.addLayout(form)
        lay.addWidget(self.device_return)
        lay.addWidget(buttons)
        self.result_batch = None
        self.result_fees: list = []
        self._count()
        self.tags.setFocus()
        self.tags.moveCursor(QTextCursor.End)  # a scan or typing adds after the tags given
        self.resize(460, 520)

    def tag_list(self) -> list[str]:
        import re
        seen, out = set(), []
        for t in re.split(r"[\s,;]+", self.tags.toPlainText()):
            if t and t.upper() not in seen:
                seen.add(t.upper())
                out.append(t)
        return out

    def _count(self) -> None:
        tags = self.tag_list()
        self.count.setText(plural(len(tags), "tag"))
        self.device_return.show_for(tags[0] if len(tags) == 1 else None)

    def handle_scan(self, code: str) -> bool:
        """A tag joins the list (an unknown one too: Check in then says why it is
        refused); a room label, a badge or a supply box is no tag to check in."""
        from app import scanning
        res = lookup(lambda: scanning.resolve(code))
        kind = res.kind if res is not None else "unknown"
        if kind not in ("asset", "unknown"):
            return False
        text = self.tags.toPlainText()
        self.tags.setPlainText((text.rstrip("\n") + "\n" if text.strip() else "") + code)
        self.tags.moveCursor(QTextCursor.End)
        return True

    def commit(self) -> None:
        tags = self.tag_list()
        if not tags:
            QMessageBox.warning(self, "Check in", "Scan or type at least one tag.")
            return
        condition = self.condition.currentText()
        ret = self.device_return
        if ret.loan_id is not None and len(tags) == 1:
            from app.services import fees
            asset_id, damage, missing, charge = ret.asset_id, ret.damage(), ret.missing(), \
                ret.charge.isChecked()
            run_op(self, lambda: fees.check_in_and_charge(
                       asset_id, condition=condition, damage=damage, missing_parts=missing,
                       charge=charge),
                   changes=Changes.ASSETS | Changes.LOANS | Changes.FEES,
                   success=self._returned, title="Check in")
            return
        run_op(self, lambda: asset_svc.check_in_many(tags, condition=condition),
               changes=Changes.ASSETS | Changes.LOANS, success=self._checked_in, title="Check in")

    def _returned(self, result) -> None:
        _loan, made = result
        self.result_fees = made
        owed = sum((f.amount for f in made if f.status == "owed"), start=Decimal("0.00"))
        text = f"Checked in {self.tag_list()[0]}."
        if made:
            text += (f" {plural(len(made), 'fee')} recorded: {owed:,.2f} owed"
                     + (", the rest waived" if any(f.status == "waived" for f in made) else "")
                     + " (Fees page).")
        bus.status_message.emit(text)
        self.accept()

    def _checked_in(self, batch) -> None:
        self.result_batch = batch
        _summary(self, "Check in", batch.done, batch.problems)
        self.accept()


class ReturnBox(QGroupBox):
    """One device coming back: damage found (check boxes), its kit parts
    (ticked = returned), and the fees that return would cost, shown before
    Check in is pressed. Hidden unless the check-in is one device on loan."""

    damage_ticked = Signal()

    def __init__(self, parent=None):
        super().__init__("This device's return", parent)
        self.setObjectName("checkin-return")
        self.asset_id: int | None = None
        self.loan_id: int | None = None
        self._tag: str | None = None
        self.part_boxes: dict[str, QCheckBox] = {}
        lay = QFormLayout(self)
        row = QHBoxLayout()
        self.damage_boxes = check_row(row, DAMAGE_KINDS, "damage-{key}", self._damage_toggled)
        row.addStretch(1)
        lay.addRow("Damage", row)
        self.parts_row = QHBoxLayout()
        self.parts_label = QLabel("Kit returned")
        lay.addRow(self.parts_label, self.parts_row)
        self.proposal = QLabel()
        self.proposal.setObjectName("checkin-fees")
        self.proposal.setWordWrap(True)
        self.proposal.setTextFormat(Qt.RichText)
        lay.addRow("Fees", self.proposal)
        self.charge = QCheckBox("Charge these fees when checking in")
        self.charge.setObjectName("checkin-charge")
        self.charge.setChecked(True)
        lay.addRow("", self.charge)
        self.hide()

    def show_for(self, tag: str | None) -> None:
        """Fill the box for the one tag being checked in (or hide it)."""
        if tag == self._tag:
            return
        self._tag = tag
        from app.services import kits
        asset_id = asset_svc.lookup_tag(tag) if tag else None
        loan = asset_svc.open_loan(asset_id) if asset_id else None
        self.asset_id, self.loan_id = asset_id, (loan.id if loan else None)
        for box in self.damage_boxes.values():
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
        while self.parts_row.count():
            item = self.parts_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.part_boxes = {}
        if loan is None or not loan.person_id:
            self.hide()
            return
        for part in kits.loan_parts(loan.id):
            box = QCheckBox(part.name if part.quantity == 1 else f"{part.name} ×{part.quantity}")
            box.setObjectName(f"part-{part.name}")
            box.setChecked(True)
            box.toggled.connect(self.show_proposal)
            self.part_boxes[part.name] = box
            self.parts_row.addWidget(box)
        self.parts_row.addStretch(1)
        self.parts_label.setVisible(bool(self.part_boxes))
        self.show()
        self.show_proposal()

    def damage(self) -> list[str]:
        return [k for k, box in self.damage_boxes.items() if box.isChecked()]

    def missing(self) -> list[str]:
        return [name for name, box in self.part_boxes.items() if not box.isChecked()]

    def _damage_toggled(self, on: bool) -> None:
        if on:
            self.damage_ticked.emit()
        self.show_proposal()

    def show_proposal(self, *_args) -> None:
        """What the return costs with the boxes as ticked (price list,
        forgiveness, insurance), read from the fees service."""
        if self.loan_id is None:
            return
        from app.services import fees
        try:
            items = fees.propose(self.loan_id, damage=self.damage(), missing_parts=self.missing())
        except DomainError as exc:  # stays: the refusal's words are the proposal shown
            self.proposal.setText(theme.coloured(html.escape(str(exc))))
            return
        self.charge.setEnabled(any(p.status in ("owed", "waived") for p in items))
        if not items:
            self.proposal.setText("None.")
            return
        lines = []
        for p in items:
            if p.status == "charged":
                lines.append(f"{html.escape(p.description)}: {html.escape(p.reason or '')}")
            elif p.status == "unpriced":
                lines.append(theme.coloured(f"{html.escape(p.description)}: no price on the "
                                            "price list (charge it on the Fees page)", "warning"))
            elif p.status == "waived":
                lines.append(f"{html.escape(p.description)}: {p.list_amount:,.2f} — waived "
                             f"({html.escape(p.reason or '')})")
            else:
                extra = f" ({html.escape(p.reason)})" if p.reason else ""
                lines.append(f"{html.escape(p.description)}: <b>{p.amount:,.2f}</b>{extra}")
        owed = sum((p.amount for p in items if p.status == "owed"), start=Decimal("0.00"))
        lines.append(f"<b>Owed: {owed:,.2f}</b>")
        self.proposal.setText("<br>".join(lines))


class RepairDialog(QDialog):
    def __init__(self, asset_id: int, parent=None):
        super().__init__(parent)
        self.asset_id = asset_id
        self.setWindowTitle(f"Open repair — {_tags_of([asset_id])[0]}")
        self.problem = QPlainTextEdit()
        self.problem.setObjectName("repair-problem")
        self.vendor = QComboBox()
        self.vendor.addItem("(in-house)", None)
        from app.models import Supplier
        for sid, name in Supplier.select(Supplier.id, Supplier.name).order_by(Supplier.name).tuples():
            self.vendor.addItem(name, sid)
        self.ticket = QLineEdit()
        form = QFormLayout()
        form.addRow("Problem", self.problem)
        form.addRow("Vendor", self.vendor)
        form.addRow("RMA / ticket", self.ticket)
        buttons = ok_cancel(self, "Open repair", self.commit)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def commit(self) -> None:
        problem, vendor, ticket = (self.problem.toPlainText(), self.vendor.currentData(),
                                   self.ticket.text())
        run_op(self, lambda: repairs.open_repair(self.asset_id, problem, vendor_id=vendor,
                                                 ticket=ticket),
               changes=Changes.REPAIRS | Changes.ASSETS, success=lambda _r: self.accept(),
               title="Open repair")


class DisposeDialog(QDialog):
    def __init__(self, asset_ids: list[int], parent=None):
        super().__init__(parent)
        self.asset_ids = asset_ids
        self.setWindowTitle(f"Dispose of {plural(len(asset_ids), 'asset')}")
        self.method = QComboBox()
        for key, label in DISPOSAL_METHODS.items():
            self.method.addItem(label, key)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.proceeds = QLineEdit()
        self.proceeds.setPlaceholderText("0.00 (total, sold items only)")
        self.note = QLineEdit()
        form = QFormLayout()
        form.addRow("Assets", QLabel(", ".join(_tags_of(asset_ids)[:10])))
        form.addRow("Method", self.method)
        form.addRow("Date", self.date)
        form.addRow("Proceeds each", self.proceeds)
        form.addRow("Note", self.note)
        buttons = ok_cancel(self, "Dispose", self.commit)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def commit(self) -> None:
        done, problems = _apply(self.asset_ids, lambda asset_id: asset_svc.dispose(
            asset_id, self.method.currentData(), self.date.date().toPython(),
            proceeds=self.proceeds.text().strip() or None, note=self.note.text().strip() or None),
            Changes.ASSETS)
        _summary(self, "Dispose", done, problems)
        if done:
            self.accept()


def retire_assets(parent, asset_ids: list[int]) -> bool:
    """Confirm, offer to release license seats, retire. True if any changed."""
    if not asset_ids:
        return False
    tags = _tags_for_ids(asset_ids)
    seats = sum(asset_svc.seat_count(a) for a in asset_ids[:500])
    box = QMessageBox(QMessageBox.Question, "Retire",
                      f"Retire {plural(len(tags), 'asset')}: {', '.join(tags[:6])}"
                      f"{' …' if len(tags) > 6 else ''}?", parent=parent)
    box.addButton("Retire", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Cancel)
    release = None
    if seats:
        release = QCheckBox(f"Release their {plural(seats, 'license seat')}")
        release.setChecked(True)
        box.setCheckBox(release)
    if box.exec() == QMessageBox.Cancel or box.clickedButton() is box.button(QMessageBox.Cancel):
        return False
    done, problems = _apply(asset_ids, lambda asset_id: asset_svc.retire(
        asset_id, release_seats=bool(release and release.isChecked())),
        Changes.ASSETS | Changes.LICENSES)
    _summary(parent, "Retire", done, problems)
    return bool(done)
