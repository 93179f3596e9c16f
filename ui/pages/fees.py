"""The Fees page: device damage and missing-part fees, owed / paid / waived,
by school; charge one by hand, record a payment (with its receipt), waive
one with the reason, save a receipt again."""
from __future__ import annotations

from app.models.program import FEE_STATUSES
from app.services import catalog, fees
from ui.bus import bus
from ui.dialogs.fees import ChargeDialog, PayDialog, WaiveDialog, save_receipt, write_receipt
from ui.ops import Changes
from ui.pages._base import ListPage

PAGE_KEY = "fees"
PAGE_TITLE = "Fees"
PAGE_ORDER = 75
PAGE_ICON = "fees"


class Page(ListPage):
    CHANGES = Changes.FEES | Changes.PEOPLE | Changes.ASSETS | Changes.LOANS | Changes.LOCATIONS
    KIND = "fees"
    TITLE = "Fees"
    SEARCH_HINT = "Search student, ID, tag, what it is for…"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = self.add_filter("fee_state", "Any status",
                                     [(label, key) for key, label in FEE_STATUSES.items()])
        self.state.setCurrentIndex(self.state.findData("owed"))
        self.site = self.add_filter(
            "site_id", "Any school", [(name, sid) for sid, name in catalog.site_choices()])
        self.add_action("Charge…", self.charge, "Ctrl+N", needs="none")
        self.pay_action = self.add_action("Pay…", self.pay, "Ctrl+P", needs="one")
        self.waive_action = self.add_action("Waive…", self.waive, None, needs="one")
        self.receipt_action = self.add_action("Receipt…", self.receipt, None, needs="one")
        self.update_actions()

    def _current(self):
        fee_id = self.list.current_id()
        return fees.get(fee_id) if fee_id else None

    def charge(self) -> None:
        if ChargeDialog(self).exec():
            self.list.apply()

    def open_record(self, fee_id: int) -> None:
        fee = fees.get(fee_id)
        if fee.status == "owed":
            self.pay()
        elif fees.payments(fee.id):
            self.receipt()

    def pay(self) -> None:
        fee = self._current()
        if fee is None:
            return
        dlg = PayDialog(fee.id, self)
        if dlg.exec():
            payment = dlg.result_value
            self.list.apply()
            bus.status_message.emit(f"Payment recorded: receipt {payment.receipt}")
            self.last_receipt = payment.receipt
            from PySide6.QtWidgets import QMessageBox
            if QMessageBox.question(self, "Receipt", f"Payment recorded: receipt "
                                    f"{payment.receipt}.\n\nSave the receipt to print it?",
                                    QMessageBox.Yes | QMessageBox.No) == QMessageBox.Yes:
                write_receipt(self, payment.receipt)

    def waive(self) -> None:
        fee = self._current()
        if fee is not None and WaiveDialog(fee.id, self).exec():
            self.list.apply()

    def receipt(self) -> None:
        fee = self._current()
        if fee is not None:
            save_receipt(self, fee.id)

    def update_actions(self) -> None:
        super().update_actions()
        if getattr(self, "receipt_action", None) is None:  # still building
            return
        ids = self.list.selected_ids()
        fee = fees.get(ids[0]) if len(ids) == 1 else None
        self.pay_action.setEnabled(bool(fee) and fee.status == "owed")
        self.waive_action.setEnabled(bool(fee) and fee.status == "owed")
        self.receipt_action.setEnabled(bool(fee) and bool(fees.last_receipt(fee.id)))

    def handle_scan(self, code: str) -> bool:
        """A student's ID card or a device's tag scanned here opens a charge for them."""
        try:
            fees.resolve_target(code)
        except Exception:  # noqa: BLE001 - not a student or device: the main window handles it
            return False
        if ChargeDialog(self, code=code).exec():
            self.list.apply()
        return True
