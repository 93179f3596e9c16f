"""The Locations page: sites and rooms, their room-label codes, and what each
room holds."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QSplitter, QVBoxLayout, QWidget

from app.services import catalog
from app.wording import plural
from ui.bus import bus
from ui.ops import Changes, run_op
from ui.pages._base import ListPage
from ui.widgets.tables import fill as _fill, small_table as _table

PAGE_KEY = "locations"
PAGE_TITLE = "Locations"
PAGE_ORDER = 40
PAGE_ICON = "locations"


class Page(ListPage):
    CHANGES = Changes.LOCATIONS | Changes.ASSETS | Changes.LOANS  # rooms and what is in them
    KIND = "locations"
    TITLE = "Locations"
    SEARCH_HINT = "Search room, site, label code…"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.add_filter("site_id", "Any site",
                        [(name, sid) for sid, name in catalog.site_choices()])
        panel = QWidget()
        self.title = QLabel()
        self.title.setObjectName("panel-title")
        self.assets = _table(("Tag", "Name", "Status", "Assigned to"))
        self.assets.setObjectName("room-assets")
        pl = QVBoxLayout(panel)
        pl.setContentsMargins(6, 0, 0, 0)
        pl.addWidget(self.title)
        pl.addWidget(self.assets, 1)
        splitter = QSplitter(Qt.Horizontal)
        self.layout().removeWidget(self.list)
        splitter.addWidget(self.list)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.layout().addWidget(splitter, 1)
        self.list.selectionChanged.connect(self.show_room)
        self.add_action("New room", self.new_room, None, needs="none")
        self.add_action("Rename", self.rename, None, needs="one")
        self.add_action("Show assets", self.show_assets, None, needs="one")
        self.add_action("Print room labels", self.print_labels, None)
        self.show_room()
        self.update_actions()

    def show_room(self) -> None:
        from app import listing
        lid = self.list.current_id()
        if not lid:
            self.title.setText("Select a room to see what it holds.")
            self.assets.setRowCount(0)
            return
        ids = listing.query_ids("assets", {"location_id": lid, "status": "active"})
        rows = listing.fetch_rows("assets", ids[:1000])
        self.title.setText(f"<b>{catalog.location_path(lid)}</b> — {catalog.location_code(lid)}"
                           f" · {plural(len(ids), 'active asset')}")
        _fill(self.assets, [(r[0], r[1], r[4], r[7]) for r in (rows[i] for i in ids[:1000])])

    def open_record(self, location_id: int) -> None:
        self.list.select_id(location_id)
        self.show_room()

    def show_assets(self) -> None:
        lid = self.list.current_id()
        if lid:
            bus.navigate.emit("assets", {"location_id": lid})

    def new_room(self) -> None:
        sites = [(name, sid) for sid, name in catalog.site_choices()]
        if not sites:
            name, ok = QInputDialog.getText(self, "New site", "There are no sites yet. Site name:")
            if not (ok and name.strip()):
                return
            made: list = []
            if not run_op(self, lambda: catalog.create_site(name.strip()),
                          changes=Changes.LOCATIONS, success=made.append, title="New site"):
                return
            sites = [(made[0].name, made[0].id)]
        site_name, ok = QInputDialog.getItem(self, "New room", "Site:", [s for s, _ in sites], 0, False)
        if not ok:
            return
        room, ok = QInputDialog.getText(self, "New room", f"Room at {site_name}:")
        if not (ok and room.strip()):
            return

        def made(loc) -> None:
            self.list.apply()
            self.list.select_id(loc.id)
        site_id = dict(sites)[site_name]
        run_op(self, lambda: catalog.create_location(site_id, room.strip()),
               changes=Changes.LOCATIONS, success=made, title="New room")

    def rename(self) -> None:
        lid = self.list.current_id()
        from app.models import Location
        old = Location.get_by_id(lid).name
        name, ok = QInputDialog.getText(self, "Rename room", "Room name:", text=old)
        if not (ok and name.strip()) or name.strip() == old:
            return
        run_op(self, lambda: catalog.rename_location(lid, name.strip()),
               changes=Changes.LOCATIONS, success=lambda _r: self.list.model.refresh_rows(),
               title="Rename room")

    def print_labels(self) -> None:
        from ui.dialogs.labels import open_label_dialog
        ids = self.selected_ids()
        if ids:
            open_label_dialog(self, "location", ids)
