"""The Work orders page: my open requests, by site, overdue follow-ups; new,
edit, note (with time spent) and close."""
from __future__ import annotations

from app.models import WorkOrder
from app.services import catalog
from app.models.common import WORK_ORDER_CATEGORIES
from app.services.base import current_user
from ui.dialogs.asset_editor import open_asset
from ui.dialogs.work_orders import (CloseDialog, NoteDialog, SendToRepairDialog,
                                    WorkOrderDialog)
from ui.ops import Changes
from ui.pages._base import ListPage

PAGE_KEY = "workorders"
PAGE_TITLE = "Work orders"
PAGE_ORDER = 85
PAGE_ICON = "workorders"

VIEWS = [("My open", "mine"), ("Open", "open"), ("Overdue follow-ups", "overdue"),
         ("Resolved / closed", "closed")]


class Page(ListPage):
    CHANGES = (Changes.WORKORDERS | Changes.ASSETS | Changes.PEOPLE | Changes.LOCATIONS
               | Changes.REPAIRS)
    KIND = "workorders"
    TITLE = "Work orders"
    SEARCH_HINT = "Search summary, requester, tag, site, assignee…"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list.set_filter("assignee", current_user())  # what "My open" means
        self.view = self.add_filter("wo_state", "All work orders", VIEWS)
        self.view.setCurrentIndex(self.view.findData("open"))
        self.site = self.add_filter(
            "site_id", "Any site", [(name, sid) for sid, name in catalog.site_choices()])
        self.add_filter("category", "Any category",
                        [(label, key) for key, label in WORK_ORDER_CATEGORIES.items()])
        self.add_action("New", self.new_work_order, "Ctrl+N", needs="none")
        self.add_action("Edit", self.edit, "F2", needs="one")
        self.add_action("Add note", self.add_note, "Ctrl+M", needs="one")
        self.add_action("Close", self.close_work_order, None, needs="one")
        self.repair_action = self.add_action("Send to vendor…", self.send_to_repair, None,
                                             needs="one", button=False,
                                             tip="Open a vendor repair for its asset, linked")
        self.open_asset_action = self.add_action("Open asset", self.open_asset, None, needs="one")
        self.update_actions()

    def new_work_order(self) -> None:
        if WorkOrderDialog(None, self).exec():
            self.list.apply()

    def open_record(self, number: int) -> None:
        if WorkOrderDialog(number, self).exec():
            self.list.apply()

    def edit(self) -> None:
        number = self.list.current_id()
        if number:
            self.open_record(number)

    def add_note(self) -> None:
        number = self.list.current_id()
        if number and NoteDialog(number, self).exec():
            self.list.apply()

    def close_work_order(self) -> None:
        number = self.list.current_id()
        if number and CloseDialog(number, self).exec():
            self.list.apply()

    def send_to_repair(self) -> None:
        number = self.list.current_id()
        if number and SendToRepairDialog(number, self).exec():
            self.list.apply()

    def open_asset(self) -> None:
        number = self.list.current_id()
        asset_id = WorkOrder.select(WorkOrder.asset).where(WorkOrder.id == number).scalar() \
            if number else None
        if asset_id and open_asset(self, asset_id):
            self.list.apply()

    def update_actions(self) -> None:
        super().update_actions()
        if getattr(self, "open_asset_action", None) is None:  # still building
            return
        ids = self.list.selected_ids()
        number = ids[0] if len(ids) == 1 else None
        has_asset = bool(number and WorkOrder.select(WorkOrder.asset)
                         .where(WorkOrder.id == number).scalar())
        self.open_asset_action.setEnabled(has_asset)
        self.repair_action.setEnabled(has_asset)

    def handle_scan(self, code: str) -> bool:
        """An asset's tag scanned here opens a new work order for it."""
        from app.services import assets as asset_svc
        asset_id = asset_svc.lookup_tag(code)
        if asset_id is None:
            return False
        if WorkOrderDialog(None, self, asset_id=asset_id).exec():
            self.list.apply()
        return True

    def apply_filters(self, filters: dict) -> None:
        self.clear_filters()
        self.list.set_filter("assignee", current_user())
        super().apply_filters(filters)
