"""Fee dialogs: charge a fee by hand, record a payment (with its receipt),
waive a fee (with the reason), save a receipt again. Each calls
``app.services.fees`` through ``FormDialog.submit`` (``run_op``)."""
from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (QComboBox, QDateEdit, QInputDialog, QLabel, QPlainTextEdit,
                               QWidget)

from app.models.program import DAMAGE_KINDS
from app.services import fees, prices
from app.services.errors import DomainError
from ui.bus import bus
from ui.dialogs.stock_forms import FormDialog, LookupEdit
from ui.files import ask_save_path
from ui.ops import Changes, lookup, run_op


def _fee_text(fee_id: int) -> str:
    fee = fees.get(fee_id)
    return (f"Fee #{fee.id} — {fee.person.full_name}: {fee.description or fee.part} "
            f"({fee.amount:,.2f}, {fees.balance(fee):,.2f} left)")


class PayDialog(FormDialog):
    """A payment of all or part of what is left; its receipt number is shown
    after, with an offer to save the receipt."""

    CHANGES = Changes.FEES
    TITLE = "Record a payment"

    def __init__(self, fee_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pay-dialog")
        self.fee_id = fee_id
        about = QLabel(_fee_text(fee_id))
        about.setWordWrap(True)
        self.form.addRow(about)
        amount = self.add_field("amount", "Amount paid")
        amount.setText(f"{fees.balance(fees.get(fee_id)):.2f}")
        method = QComboBox()
        for key, label in fees.PAY_METHODS.items():
            method.addItem(label, key)
        self.add_field("method", "Method", method)
        self.add_field("reference", "Reference", placeholder="check number or transaction id")
        day = QDateEdit(QDate.currentDate())
        day.setCalendarPopup(True)
        day.setDisplayFormat("yyyy-MM-dd")
        day.setMaximumDate(QDate.currentDate())
        self.add_field("paid_on", "Paid on", day)

    def apply(self):
        return fees.pay(self.fee_id, self.value("amount"), method=self.value("method"),
                        reference=self.value("reference") or None,
                        paid_on=self.widgets["paid_on"].date().toPython())


class WaiveDialog(FormDialog):
    CHANGES = Changes.FEES
    TITLE = "Waive a fee"

    def __init__(self, fee_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("waive-dialog")
        self.fee_id = fee_id
        about = QLabel(_fee_text(fee_id))
        about.setWordWrap(True)
        self.form.addRow(about)
        why = QPlainTextEdit()
        why.setFixedHeight(70)
        why.setPlaceholderText("Why (required): e.g. family hardship, approved by the principal")
        self.add_field("reason", "Reason", why)

    def apply(self):
        return fees.waive(self.fee_id, self.value("reason"))


def _resolve_target(text: str):
    try:
        person, asset, _loan = fees.resolve_target(text)
    except DomainError as exc:  # stays: the refusal's words are the field's answer
        return None, str(exc)
    return (person, asset), (f"{person.full_name}" + (f" — {asset.tag}" if asset else ""))


class ChargeDialog(FormDialog):
    """A fee by hand: the student (ID or a device's tag), the part, and the
    amount (empty: the price list's, with forgiveness and insurance)."""

    CHANGES = Changes.FEES
    TITLE = "Charge a fee"

    def __init__(self, parent: QWidget | None = None, code: str = ""):
        super().__init__(parent)
        self.setObjectName("charge-dialog")
        who = LookupEdit(_resolve_target)
        who.setPlaceholderText("student ID or the device's tag (scan it)")
        self.add_field("who", "Student or device", who)
        self.form.addRow("", who.note)
        part = QComboBox()
        part.setEditable(True)
        for key, label in DAMAGE_KINDS.items():
            part.addItem(label, key)
        part.addItem("Device (lost, replacement)", "device")
        for name in prices.part_names(None):
            if name.lower() not in DAMAGE_KINDS and name != "device":
                part.addItem(name, name)
        self.add_field("part", "For", part)
        self.add_field("amount", "Amount", placeholder="empty: the price list's amount")
        self.add_field("description", "Note", placeholder="what happened (optional)")
        self.price = QLabel()
        self.price.setObjectName("charge-price")
        self.form.addRow("Price list", self.price)
        part.currentIndexChanged.connect(self._show_price)
        part.editTextChanged.connect(self._show_price)
        who.textChanged.connect(self._show_price)
        if code:
            who.setText(code)
        self._show_price()

    def _part(self) -> str:
        box = self.widgets["part"]
        text = box.currentText().strip()
        i = box.findText(text)
        return box.itemData(i) if i >= 0 and box.itemData(i) else text

    def _show_price(self, *_args) -> None:
        target = self.widgets["who"].resolved
        asset = target[1] if target else None
        amount = lookup(lambda: prices.price_for(self._part(), asset.model_id if asset else None)) \
            if self._part() else None
        self.price.setText(f"{amount:,.2f}" if amount is not None else "no price: give the amount")

    def apply(self):
        target = self.widgets["who"].resolved
        if target is None:
            text = self.value("who")
            person, asset, loan = fees.resolve_target(text)  # raises the readable refusal
        else:
            person, asset = target
            loan = None
        return fees.charge(person.id, self._part(), self.value("amount") or None,
                           asset_id=asset.id if asset else None,
                           loan_id=loan.id if loan else None,
                           description=self.value("description") or None)


def save_receipt(parent: QWidget, fee_id: int) -> bool:
    """Ask which payment (when there are several) and where; write its receipt."""
    paid = fees.payments(fee_id)
    if not paid:
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.information(parent, "Receipt", f"Nothing has been paid on fee #{fee_id} yet.")
        return False
    number = paid[-1].receipt
    if len(paid) > 1:
        items = [f"{p.receipt} — {p.paid_on.isoformat()} — {p.amount:,.2f}" for p in reversed(paid)]
        choice, ok = QInputDialog.getItem(parent, "Receipt", "Which payment?", items, 0, False)
        if not ok:
            return False
        number = choice.split(" — ")[0]
    return write_receipt(parent, number)


def write_receipt(parent: QWidget, number: str) -> bool:
    path = ask_save_path(parent, "Save receipt", ("receipt", number), "PDF (*.pdf)")
    if not path:
        return False
    from reports.fee_receipt import write_receipt as write
    return bool(run_op(parent, lambda: write(fees.receipt(number), path), changes=Changes.NONE,
                       success=lambda _p: bus.status_message.emit(f"Saved receipt {number} to {path}"),
                       title="Receipt"))
