"""The Repairs page: open repairs by vendor, with their age."""
from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.models import Repair
from app.services import repairs
from ui.dialogs.asset_editor import open_asset
from ui.ops import Changes, run_op
from ui.pages._base import ListPage

PAGE_KEY = "repairs"
PAGE_TITLE = "Repairs"
PAGE_ORDER = 80
PAGE_ICON = "repairs"


class Page(ListPage):
    CHANGES = Changes.REPAIRS | Changes.ASSETS | Changes.CATALOG  # vendors are suppliers
    KIND = "repairs"
    TITLE = "Repairs"
    SEARCH_HINT = "Search tag, problem, vendor, ticket…"

    def __init__(self, parent=None):
        super().__init__(parent)
        from app.models import Supplier
        self.state = self.add_filter("repair_state", "All repairs",
                                     [("Open", "open"), ("Closed", "closed")])
        self.state.setCurrentIndex(1)
        self.add_filter("vendor_id", "Any vendor",
                        list(Supplier.select(Supplier.name, Supplier.id).order_by(Supplier.name).tuples()))
        self.add_action("Close repair", self.close_repair, None, needs="one")
        self.add_action("Open asset", self.open_asset, None, needs="one")
        self.update_actions()

    def open_record(self, repair_id: int) -> None:
        asset_id = Repair.select(Repair.asset).where(Repair.id == repair_id).scalar()
        if asset_id and open_asset(self, asset_id):
            self.list.apply()

    def open_asset(self) -> None:
        rid = self.list.current_id()
        if rid:
            self.open_record(rid)

    def close_repair(self) -> None:
        rid = self.list.current_id()
        box = QMessageBox(QMessageBox.Question, "Close repair", "Was the device repaired?", parent=self)
        fixed = box.addButton("Repaired — back in service", QMessageBox.AcceptRole)
        box.addButton("Not repairable", QMessageBox.DestructiveRole)
        box.addButton(QMessageBox.Cancel)
        box.exec()
        if box.clickedButton() is box.button(QMessageBox.Cancel):
            return
        cost, ok = QInputDialog.getText(self, "Close repair", "Repair cost (blank if none):")
        if not ok:
            return
        repaired = box.clickedButton() is fixed
        run_op(self, lambda: repairs.close_repair(rid, repaired=repaired,
                                                  **({"cost": cost.strip()} if cost.strip() else {})),
               # A repaired student device ends its loaner swap: loans change too.
               changes=Changes.REPAIRS | Changes.ASSETS | Changes.LOANS | Changes.PEOPLE,
               success=lambda _r: self.list.apply(), title="Close repair")

    def apply_filters(self, filters: dict) -> None:
        self.clear_filters()
        super().apply_filters(filters)
