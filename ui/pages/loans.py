"""The Loans page: what is out, due soon and overdue."""
from __future__ import annotations

from app.models import Loan
from ui.dialogs import asset_actions
from ui.dialogs.asset_editor import open_asset
from ui.pages._base import ListPage
from ui.ops import Changes

PAGE_KEY = "loans"
PAGE_TITLE = "Loans"
PAGE_ORDER = 70
PAGE_ICON = "loans"


class Page(ListPage):
    CHANGES = Changes.LOANS | Changes.ASSETS | Changes.PEOPLE | Changes.LOCATIONS
    KIND = "loans"
    TITLE = "Loans"
    SEARCH_HINT = "Search tag, borrower, ID number…"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = self.add_filter("loan_state", "All loans",
                                     [("Current", "current"), ("Overdue", "overdue"),
                                      ("Due within 14 days", "due_soon"), ("Returned", "returned")])
        self.state.setCurrentIndex(1)  # current
        self.add_action("Check in", self.check_in, "Ctrl+I")
        self.add_action("Open asset", self.open_asset, None, needs="one")
        self.update_actions()

    def _asset_ids(self, loan_ids):
        return [a for (a,) in Loan.select(Loan.asset).where(Loan.id.in_(loan_ids)).tuples()]

    def open_record(self, loan_id: int) -> None:
        ids = self._asset_ids([loan_id])
        if ids and open_asset(self, ids[0]):
            self.list.apply()

    def open_asset(self) -> None:
        lid = self.list.current_id()
        if lid:
            self.open_record(lid)

    def check_in(self) -> None:
        tags = asset_actions._tags_for_ids(self._asset_ids(self.selected_ids()))
        if asset_actions.CheckInDialog(tags, self).exec():
            self.list.apply()

    def apply_filters(self, filters: dict) -> None:
        self.clear_filters()
        super().apply_filters(filters)
