"""The Licenses page: every license with seats owned / used / free (or "site
license"), expiry coloured inside 60 days, cost; the selected license's
details, its product key masked with Reveal, and its seats.

Seats are counted with COUNT queries and listed by a model that fetches them
200 at a time as the list scrolls, so a site license with 20,000 seats opens
as fast as one with two. With a license selected, scanning a computer's tag or
a person's badge gives it a seat (the "Scans give seats" box).
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout,
                               QLabel, QMessageBox, QPushButton, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from app.services import licenses, team
from app.wording import plural
from ui import theme
from ui.bus import bus
from ui.dialogs.license_editor import edit_license
from ui.dialogs.license_seats import AssignSeatsDialog, MoveSeatDialog, seats_text
from ui.dialogs.stock_forms import RowsModel, setup_table as _table
from ui.models.table import display
from ui.ops import Changes, lookup, run_op
from ui.widgets.toolbar import search_box, title_row, tool_buttons

PAGE_KEY = "licenses"
PAGE_TITLE = "Licenses"
PAGE_ORDER = 50
PAGE_ICON = "licenses"

WARN_DAYS = 60
HEADERS = ("Product", "Version", "Vendor", "Owned", "Used", "Free", "Expires", "Cost", "Problems")
COL_PRODUCT, COL_VERSION, COL_VENDOR, COL_OWNED, COL_USED, COL_FREE, COL_EXPIRES, COL_COST, \
    COL_PROBLEMS = range(len(HEADERS))
SHOWS = (("All licenses", None), ("With a problem", "problems"), ("Over-allocated", "over"),
         (f"Expiring within {WARN_DAYS} days", "expiring"))


class SeatListModel(QAbstractTableModel):
    """A license's seats, fetched a page at a time as the view scrolls
    (canFetchMore / fetchMore): never one widget, nor one query, per seat."""

    HEADERS = ("Holder", "Details", "Assigned", "By")
    PAGE = 200

    def __init__(self, parent=None):
        super().__init__(parent)
        self.license_id: int | None = None
        self.search = ""
        self.total = 0
        self.rows: list[dict] = []
        self.queries = 0

    def load(self, license_id: int | None, search: str = "") -> None:
        self.beginResetModel()
        self.license_id, self.search = license_id, search
        self.rows = []
        self.total = licenses.count_holders(license_id, search) if license_id else 0
        self.queries += 1
        if self.total:
            self.rows = licenses.holders(license_id, search, 0, self.PAGE)
            self.queries += 1
        self.endResetModel()

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid() or not self.license_id:
            return
        more = licenses.holders(self.license_id, self.search, len(self.rows), self.PAGE)
        self.queries += 1
        if not more:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if role != Qt.DisplayRole:
            return None
        r = self.rows[index.row()]
        c = index.column()
        if c == 0:
            return r["holder"]
        if c == 1:
            return r["detail"] if r["kind"] == "asset" else f"person · {r['detail']}".rstrip(" ·")
        if c == 2:
            return display(r["assigned_at"])
        return r["by"] or ""


class Page(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.loaded = False
        self.key_shown = False
        self.all_rows: list[dict] = []

        top = title_row("Licenses")
        self.buttons = tool_buttons(top, "license", (
            ("new", "New", self.new_license), ("edit", "Edit", self.edit),
            ("delete", "Delete", self.delete), ("export", "Export", self.export)))

        self.search = search_box("licenses-search", "Search product or vendor…", self.show_rows)
        self.show_combo = QComboBox()
        self.show_combo.setObjectName("filter-show")
        for text, value in SHOWS:
            self.show_combo.addItem(text, value)
        self.show_combo.currentIndexChanged.connect(lambda _i: self.show_rows())
        self.counts = QLabel()
        self.counts.setObjectName("counts")
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.show_combo)
        filters.addWidget(self.counts)

        self.model = RowsModel(HEADERS, self, right=(COL_OWNED, COL_USED, COL_FREE, COL_COST))
        self.table = _table(QTableView())
        self.table.setObjectName("licenses-table")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        for col, width in ((COL_PRODUCT, 230), (COL_VERSION, 80), (COL_VENDOR, 110),
                           (COL_OWNED, 90), (COL_USED, 60), (COL_FREE, 60), (COL_EXPIRES, 90),
                           (COL_COST, 90)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_license())
        self.table.doubleClicked.connect(lambda _i: self.edit())

        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._detail_panel())
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([300, 500])  # a few dozen licenses; the seats need the room

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addLayout(top)
        lay.addLayout(filters)
        lay.addWidget(self.splitter, 1)
        bus.data_changed.connect(self._data_changed)
        self.show_license()

    def _detail_panel(self) -> QWidget:
        panel = QWidget()
        self.detail_title = QLabel()
        self.detail_title.setObjectName("panel-title")
        self.detail_title.setTextFormat(Qt.RichText)
        self.detail_info = QLabel()
        self.detail_info.setObjectName("license-info")
        self.detail_info.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setObjectName("license-key")
        self.key_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.key_label.setStyleSheet("font-family: monospace;")
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setObjectName("reveal-key")
        self.reveal_button.setToolTip("Show the product key (the reveal is written to history)")
        self.reveal_button.clicked.connect(self.toggle_key)
        key_row = QHBoxLayout()
        key_row.addWidget(QLabel("Product key:"))
        key_row.addWidget(self.key_label)
        key_row.addWidget(self.reveal_button)
        key_row.addStretch(1)

        self.seat_count = QLabel()
        self.seat_count.setObjectName("seat-count")
        self._seat_timer = QTimer(self, singleShot=True, interval=150)
        self._seat_timer.timeout.connect(self.load_seats)
        self.seat_search = search_box("seat-search", "Find a seat by tag, computer, name or ID…",
                                      self._seat_timer.start)
        self.scan_gives = QCheckBox("Scans give seats")
        self.scan_gives.setObjectName("scan-gives-seats")
        self.scan_gives.setChecked(True)
        self.scan_gives.setToolTip("With a license selected, scanning a computer's tag or a "
                                   "person's badge gives it a seat")
        self.seat_buttons = {}
        seat_row = QHBoxLayout()
        seat_row.addWidget(self.seat_count)
        seat_row.addStretch(1)
        seat_row.addWidget(self.scan_gives)
        for key, text, slot in (("give", "Give seats…", self.give_seats),
                                ("move", "Move seat…", self.move_seat),
                                ("release", "Release", self.release)):
            b = QPushButton(text)
            b.setObjectName(f"seat-{key}")
            b.clicked.connect(slot)
            seat_row.addWidget(b)
            self.seat_buttons[key] = b

        self.seats = SeatListModel(self)
        self.seat_view = _table(QTableView())
        self.seat_view.setObjectName("seat-list")
        self.seat_view.setModel(self.seats)
        self.seat_view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.seat_view.setColumnWidth(0, 160)
        self.seat_view.setColumnWidth(1, 260)
        self.seat_view.setColumnWidth(2, 100)
        self.seat_view.selectionModel().selectionChanged.connect(lambda *_: self._seat_buttons())

        lay = QVBoxLayout(panel)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.detail_title)
        lay.addWidget(self.detail_info)
        lay.addLayout(key_row)
        seats_bar = QHBoxLayout()
        seats_bar.addWidget(self.seat_search, 1)
        lay.addLayout(seat_row)
        lay.addLayout(seats_bar)
        lay.addWidget(self.seat_view, 1)
        return panel

    # --- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        keep = self.current_id()
        self.all_rows = licenses.compliance(WARN_DAYS)
        self.loaded = True
        self.show_rows(keep)

    def showEvent(self, event):
        super().showEvent(event)
        if not self.loaded:
            self.refresh()

    def is_ready(self) -> bool:
        return self.loaded

    # Seats are held by computers and people: their names and tags show here.
    CHANGES = Changes.LICENSES | Changes.ASSETS | Changes.PEOPLE

    def _data_changed(self, changes: Changes) -> None:
        if changes & self.CHANGES and self.loaded and self.isVisible():
            self.refresh()
        elif changes & Changes.LICENSES:
            self.loaded = False  # re-read when next shown

    def show_rows(self, keep: int | None = None) -> None:
        keep = keep if keep is not None else self.current_id()
        text = self.search.text().strip().lower()
        show = self.show_combo.currentData()
        rows = []
        for r in self.all_rows:
            hay = f"{r['product']} {r['version'] or ''} {r['vendor'] or ''}".lower()
            if text and not all(w in hay for w in text.split()):
                continue
            if show == "problems" and not r["problems"]:
                continue
            if show == "over" and not (r["free"] is not None and r["free"] < 0):
                continue
            if show == "expiring" and not (r["days_left"] is not None and r["days_left"] <= WARN_DAYS):
                continue
            rows.append(r)
        # Read per listing: the palette (light or dark) may have changed.
        RED, AMBER = QBrush(theme.qcolour("error")), QBrush(theme.qcolour("warning"))
        fg, cells = {}, []
        for i, r in enumerate(rows):
            site = r["site_license"] or r["seats"] is None
            cells.append((r["product"], r["version"] or "", r["vendor"] or "",
                          "site license" if site else f"{r['seats']:,}", f"{r['used']:,}",
                          "" if site else f"{r['free']:,}", display(r["expiry_date"]),
                          display(r["cost"]), "; ".join(r["problems"])))
            if r["free"] is not None and r["free"] < 0:
                fg[(i, COL_FREE)] = RED
                fg[(i, COL_PROBLEMS)] = RED
            days = r["days_left"]
            if days is not None and days < 0:
                fg[(i, COL_EXPIRES)] = RED
                fg.setdefault((i, COL_PROBLEMS), RED)
            elif days is not None and days <= WARN_DAYS:
                fg[(i, COL_EXPIRES)] = AMBER
                fg.setdefault((i, COL_PROBLEMS), AMBER)
        self.model.set_rows([r["id"] for r in rows], cells, foreground=fg,
                            bold={k for k, v in fg.items() if v is RED})
        total = len(self.all_rows)
        self.counts.setText(f"{len(rows):,} of {plural(total, 'license')}" if len(rows) != total
                            else plural(total, "license"))
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self.show_license()

    def current_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.ids[rows[0].row()] if rows else None

    def show_license(self) -> None:
        lid = self.current_id()
        self.key_shown = False
        for b in ("edit", "delete"):
            self.buttons[b].setEnabled(lid is not None)
        if lid is None:
            self.detail_title.setText("Select a license to see its seats.")
            self.detail_info.setText("")
            self.key_label.setText("")
            self.reveal_button.setEnabled(False)
            self.seat_count.setText("")
            self.seats.load(None)
            self._seat_buttons()
            return
        lic = licenses.get(lid)
        self.detail_title.setText(f"<b>{lic}</b>" + (f" — {lic.vendor}" if lic.vendor else ""))
        bits = []
        if lic.licensed_to:
            bits.append(f"licensed to {lic.licensed_to}")
        if lic.order_number:
            bits.append(f"PO {lic.order_number}")
        if lic.purchase_date:
            bits.append(f"bought {display(lic.purchase_date)}")
        if lic.expiry_date:
            days = (lic.expiry_date - dt.date.today()).days
            bits.append(f"expired {display(lic.expiry_date)}" if days < 0
                        else f"expires {display(lic.expiry_date)} ({days} days)")
        if lic.allow_over:
            bits.append("over-allocation allowed")
        if lic.notes:
            bits.append(lic.notes.splitlines()[0][:120])
        self.detail_info.setText(" · ".join(bits))
        self.key_label.setText(licenses.masked(lid) or "(none stored)")
        self.reveal_button.setText("Reveal")
        self.reveal_button.setEnabled(licenses.key_stored(lid) and team.can("reveal_key"))
        self.seat_count.setText(seats_text(lid))
        self.load_seats()

    def load_seats(self) -> None:
        self.seats.load(self.current_id(), self.seat_search.text().strip())
        self._seat_buttons()

    def _seat_buttons(self) -> None:
        n = len(self.seat_view.selectionModel().selectedRows())
        has = self.current_id() is not None
        self.seat_buttons["give"].setEnabled(has)
        self.seat_buttons["move"].setEnabled(has and n == 1)
        self.seat_buttons["release"].setEnabled(has and n >= 1)

    def selected_seats(self) -> list[dict]:
        rows = sorted(i.row() for i in self.seat_view.selectionModel().selectedRows())
        return [self.seats.rows[r] for r in rows if r < len(self.seats.rows)]

    # --- actions ------------------------------------------------------------------------

    def toggle_key(self) -> None:
        lid = self.current_id()
        if lid is None:
            return
        if self.key_shown:
            self.key_label.setText(licenses.masked(lid))
            self.reveal_button.setText("Reveal")
            self.key_shown = False
            return

        def shown(key) -> None:
            self.key_label.setText(key or "(none stored)")
            self.reveal_button.setText("Hide")
            self.key_shown = True
            bus.status_message.emit("Product key shown; the reveal is in the license's history")
        # Only the license's history changes: no list shows it.
        run_op(self, lambda: licenses.reveal_key(lid), changes=Changes.NONE, success=shown,
               title="Reveal key")

    def new_license(self) -> None:
        new_id = edit_license(self, None)
        if new_id:
            self.refresh()
            self.select(new_id)

    def edit(self) -> None:
        lid = self.current_id()
        if lid and edit_license(self, lid):
            self.refresh()

    def delete(self) -> None:
        lid = self.current_id()
        if lid is None:
            return
        lic = licenses.get(lid)
        if QMessageBox.question(self, "Delete license", f"Delete the license {lic}?",
                                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return
        run_op(self, lambda: licenses.delete(lid), changes=Changes.LICENSES,
               success=lambda _r: self.refresh(), title="Delete license")

    def give_seats(self) -> None:
        lid = self.current_id()
        if lid is not None:
            AssignSeatsDialog(lid, self).exec()
            self.refresh()

    def move_seat(self) -> None:
        lid, seats = self.current_id(), self.selected_seats()
        if lid is not None and len(seats) == 1 and MoveSeatDialog(lid, seats[0], self).exec():
            self.refresh()

    def release(self) -> None:
        seats = self.selected_seats()
        if not seats:
            return
        names = ", ".join(s["holder"] for s in seats[:5]) + (" …" if len(seats) > 5 else "")
        if QMessageBox.question(self, "Release seats",
                                f"Release {plural(len(seats), 'seat')}: {names}?",
                                QMessageBox.Yes | QMessageBox.No) != QMessageBox.Yes:
            return

        def released(n) -> None:
            bus.status_message.emit(f"Released {plural(n, 'seat')}")
            self.refresh()
        run_op(self, lambda: licenses.release_seats([s["seat_id"] for s in seats]),
               changes=Changes.LICENSES, success=released, title="Release seats")

    def export(self) -> None:
        from ui.dialogs.export import open_export_dialog
        open_export_dialog(self, "licenses", list(self.model.ids))

    def select(self, license_id: int) -> None:
        row = self.model.row_of(license_id)
        if row < 0 and (self.search.text() or self.show_combo.currentIndex()):
            self.search.clear()
            self.show_combo.setCurrentIndex(0)
            row = self.model.row_of(license_id)
        if row >= 0:
            # Only this row: selectRow extends the selection while Qt believes
            # Ctrl is held (a key state a scanner's burst can leave behind).
            self.table.clearSelection()
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # --- page contract ------------------------------------------------------------------

    def open_record(self, license_id: int) -> None:
        if not self.loaded:
            self.refresh()
        self.select(license_id)

    def apply_filters(self, filters: dict) -> None:
        if not self.loaded:
            self.refresh()
        self.search.setText(filters.get("search") or "")
        i = self.show_combo.findData(filters.get("show"))
        self.show_combo.setCurrentIndex(max(i, 0))
        if filters.get("id"):
            self.select(int(filters["id"]))

    def handle_scan(self, code: str) -> bool:
        """With a license selected and "Scans give seats" on, a computer's tag
        or a person's badge gets a seat; anything else goes to the default."""
        lid = self.current_id()
        if lid is None or not self.scan_gives.isChecked():
            return False
        found = lookup(lambda: licenses.find_holder(code))
        if found is None:
            return False
        kind, obj_id = found

        def given(_seat) -> None:
            bus.status_message.emit(f"Seat of {licenses.get(lid)} given to {code.strip()}")
            self.refresh()
        run_op(self, lambda: licenses.assign(lid, **{f"{kind}_id": obj_id}),
               changes=Changes.LICENSES, success=given, title="Give seat")
        return True
