"""The Assets page: the whole register, searched, filtered and sorted in SQL,
with every action on the selection."""
from __future__ import annotations


from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox

from app import listing
from app.models.common import ASSET_STATUSES, FUNDING_TYPES
from app.services import assets as asset_svc
from ui.bus import bus
from ui.dialogs import asset_actions
from ui.dialogs.asset_editor import open_asset
from ui.ops import Changes, run_op
from ui.pages._base import ListPage

PAGE_KEY = "assets"
PAGE_TITLE = "Assets"
PAGE_ORDER = 20
PAGE_ICON = "assets"
# Status-list entries that filter the loaner pool instead (listing's "loaner" filter).
LOANER_PREFIX = "loaner:"


class Page(ListPage):
    KIND = "assets"
    TITLE = "Assets"
    SEARCH_HINT = "Search tag, serial, name, model, person, room, notes…"

    def __init__(self, parent=None):
        super().__init__(parent)
        from app.services import catalog
        self.add_filter("status", "Any status",
                        [("Active (not retired/disposed)", "active")]
                        + [(label, key) for key, label in ASSET_STATUSES.items()]
                        + [(label, f"{LOANER_PREFIX}{key}")
                           for key, label in listing.LOANER_FILTERS.items()])
        self.add_filter("category_id", "Any category",
                        [(name, cid) for cid, name in catalog.category_choices()])
        self.site_combo = self.add_filter(
            "site_id", "Any site", [(name, sid) for sid, name in catalog.site_choices()])
        self.room_combo = self.add_filter("location_id", "Any room", [])
        self.site_combo.currentIndexChanged.connect(self._fill_rooms)
        self.add_filter("funding_type", "Any funding", [(v, k) for k, v in FUNDING_TYPES.items()])
        self.not_audited = QCheckBox("Not audited this FY")
        self.not_audited.setObjectName("filter-not_audited")
        self.not_audited.toggled.connect(self._audit_toggled)
        self.list.filter_bar.addWidget(self.not_audited)

        self.add_action("New", self.new_asset, "Ctrl+N", needs="none")
        self.add_action("Open", self.open_selected, None, needs="one", button=False)
        self.add_action("Edit", self.open_selected, "F2", needs="one", button=False)
        self.add_action("Check out", self.check_out, "Ctrl+O")
        self.add_action("Check in", self.check_in, "Ctrl+I", needs="none")
        self.add_action("Repair", self.open_repair, "Ctrl+R", needs="one")
        self.add_action("New work order…", self.new_work_order, None, needs="one", button=False,
                        tip="Open a work order for this asset")
        self.add_action("Swap for loaner…", self.swap_for_loaner, None, needs="one", button=False,
                        tip="Send this student's device to repair and lend a loaner meanwhile")
        self.add_action("Return from repair / end swap", self.end_swap, None, needs="one",
                        button=False, tip="End this device's (or loaner's) loaner swap")
        self.add_action("Mark as loaner", self.mark_loaners, None, button=False,
                        tip="Put the selected assets in the loaner pool")
        self.add_action("Not a loaner", self.unmark_loaners, None, button=False,
                        tip="Take the selected assets out of the loaner pool")
        self.add_action("Retire", self.retire, "Delete")
        self.add_action("Dispose", self.dispose, None)
        self.add_action("Print labels", self.print_labels, "Ctrl+P")
        self.add_action("Give license seats…", self.give_seats, "Ctrl+L", button=False,
                        tip="Give each selected computer a seat of a license")
        self.add_action("Export", self.export, "Ctrl+E", needs="none")
        # The main window moves its Ctrl+Z onto Edit → Undo (see MainWindow._adopt_undo).
        self.undo_action = self.add_action("Undo last edit", self.undo, "Ctrl+Z", needs="one",
                                           button=False)
        self.update_actions()
        # An import, an intake or another window adds or changes assets while
        # this page shows: "28 of 2,000" must follow. Coalesced, since a batch
        # can say so many times in a row.
        self._recount = QTimer(self, singleShot=True, interval=0, timeout=self.refresh_counts)
        bus.data_changed.connect(self._data_changed)

    # Changes that can add, remove or re-filter assets (a check-out changes a
    # status, a room rename what a search finds).
    # (A stocktake changes assets only when applied, which announces ASSETS.)
    CHANGES = (Changes.ASSETS | Changes.LOANS | Changes.REPAIRS | Changes.LOCATIONS
               | Changes.PEOPLE | Changes.INTAKE | Changes.CATALOG)

    def _data_changed(self, changes: Changes) -> None:
        if changes & self.CHANGES and self.list.loaded and self.isVisible():
            self._recount.start()

    def refresh_counts(self) -> None:
        """Re-count the list; re-read it (keeping the selection and scroll
        position) only when the rows it shows changed in number."""
        model = self.list.model
        rows = listing.count("assets", model.filters)
        total = listing.count_all("assets") if model.filters else rows
        if rows != model.rows:
            table = self.list.table
            selected = self.list.selected_ids()
            scroll = table.verticalScrollBar().value()
            self.list.apply()
            flags = QItemSelectionModel.Select | QItemSelectionModel.Rows
            for record_id in selected:
                row = model.row_of(record_id)
                if row >= 0:
                    table.selectionModel().select(model.index(row, 0), flags)
            table.verticalScrollBar().setValue(scroll)
        elif total != model.total:
            model.total = total
            model.countsChanged.emit(model.rows, total)

    def _fill_rooms(self) -> None:
        from app.services import catalog
        site_id = self.site_combo.currentData()
        self.room_combo.blockSignals(True)
        self.room_combo.clear()
        self.room_combo.addItem("Any room", None)
        if site_id:
            for lid, name in catalog.room_choices(site_id):
                self.room_combo.addItem(name, lid)
        self.room_combo.blockSignals(False)
        self.list.set_filter("location_id", None)

    def _filter_changed(self, key: str, combo) -> None:
        """The status list also offers the loaner pool (all, free, out): one
        more list would not fit a 1024-pixel screen."""
        value = combo.currentData()
        if key == "status":
            pool = value[len(LOANER_PREFIX):] if str(value).startswith(LOANER_PREFIX) else None
            self.list.set_filter("loaner", pool)
            if pool:
                value = None
        self.list.set_filter(key, value)
        self.list.apply()

    def _audit_toggled(self, on: bool) -> None:
        self.list.set_filter("not_audited", on)
        self.list.apply()

    def apply_filters(self, filters: dict) -> None:
        if filters.get("location_id") and not filters.get("site_id"):
            # A scanned room label: show the room's site and the room in the
            # filters, so the list never looks unfiltered while it is.
            from app.models import Location
            room = Location.get_or_none(Location.id == filters["location_id"])
            if room is not None:
                filters = dict(filters, site_id=room.site_id)
        self.clear_filters()
        self.not_audited.blockSignals(True)
        self.not_audited.setChecked(bool(filters.get("not_audited")))
        self.not_audited.blockSignals(False)
        if filters.get("site_id"):
            i = self.site_combo.findData(filters["site_id"])
            self.site_combo.blockSignals(True)
            self.site_combo.setCurrentIndex(max(i, 0))
            self.site_combo.blockSignals(False)
            self._fill_rooms()
        pool = filters.get("loaner")
        if pool:  # shown in the status list (see _filter_changed)
            pool = "all" if pool is True else pool
            filters = {k: v for k, v in filters.items() if k not in ("loaner", "status")}
            combo = self.findChild(QComboBox, "filter-status")
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(f"{LOANER_PREFIX}{pool}")))
            combo.blockSignals(False)
            self.list.set_filter("loaner", pool)
        super().apply_filters(filters)

    # --- actions ------------------------------------------------------------------------

    def open_record(self, asset_id: int) -> None:
        if open_asset(self, asset_id):
            self.list.model.refresh_rows()

    def open_selected(self) -> None:
        asset_id = self.list.current_id()
        if asset_id:
            self.open_record(asset_id)

    def new_asset(self, tag: str | None = None) -> None:
        asset_id = open_asset(self, None, **({"tag": tag} if tag else {}))
        if asset_id:
            self.list.apply()
            self.list.select_id(asset_id)

    def check_out(self) -> None:
        ids = self.selected_ids()
        if ids and asset_actions.CheckOutDialog(ids, self).exec():
            self.list.model.refresh_rows()

    def check_in(self) -> None:
        tags = [t for t in asset_actions._tags_for_ids(self.selected_ids()[:2000])]
        if asset_actions.CheckInDialog(tags, self).exec():
            self.list.model.refresh_rows()

    def open_repair(self) -> None:
        asset_id = self.list.current_id()
        if asset_id and asset_actions.RepairDialog(asset_id, self).exec():
            self.list.model.refresh_rows()

    def new_work_order(self) -> None:
        from ui.dialogs.work_orders import WorkOrderDialog
        asset_id = self.list.current_id()
        if asset_id:
            WorkOrderDialog(None, self, asset_id=asset_id).exec()

    def swap_for_loaner(self) -> None:
        from ui.dialogs.loaner_swap import swap_for
        asset_id = self.list.current_id()
        if asset_id and swap_for(self, asset_id):
            self.list.model.refresh_rows()

    def end_swap(self) -> None:
        from ui.dialogs.loaner_swap import end_swap
        asset_id = self.list.current_id()
        if asset_id and end_swap(self, asset_id=asset_id):
            self.list.model.refresh_rows()

    def mark_loaners(self) -> None:
        self._set_loaners(True)

    def unmark_loaners(self) -> None:
        self._set_loaners(False)

    def _set_loaners(self, on: bool) -> None:
        from ui.dialogs.loaner_swap import mark_loaners
        if mark_loaners(self, self.selected_ids(), on=on):
            self.list.model.refresh_rows()

    def retire(self) -> None:
        if asset_actions.retire_assets(self, self.selected_ids()):
            self.list.model.refresh_rows()

    def dispose(self) -> None:
        ids = self.selected_ids()
        if ids and asset_actions.DisposeDialog(ids, self).exec():
            self.list.model.refresh_rows()

    def print_labels(self) -> None:
        from ui.dialogs.labels import open_label_dialog
        ids = self.selected_ids()
        if ids:
            open_label_dialog(self, "asset", ids)

    def give_seats(self) -> None:
        from ui.dialogs.license_seats import assign_to_assets
        if assign_to_assets(self, self.selected_ids()):
            self.list.model.refresh_rows()

    def export(self) -> None:
        from ui.dialogs.export import open_export_dialog
        open_export_dialog(self, "assets", list(self.list.model.all_ids()))

    def undo(self) -> None:
        asset_id = self.list.current_id()
        if not asset_id:
            return

        def undone(asset) -> None:
            bus.status_message.emit(f"Undid the last change to {asset.tag}")
            self.list.model.refresh_rows()
        run_op(self, lambda: asset_svc.undo_last_edit(asset_id), changes=Changes.ASSETS,
               success=undone, title="Undo")

    def handle_scan(self, code: str) -> bool:
        return False  # the main window's default: open what the scan names
