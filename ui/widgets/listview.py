"""The list every page is built on: a search box, a filter bar, the table,
and "12,345 of 100,000" — over a ListTableModel, with the column layout and
column choice remembered per list."""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QMenu, QTableView, QVBoxLayout, QWidget)

from app import listing
from app.wording import count
from ui.models.table import ID_ROLE, ListTableModel
from ui.ops import Changes, run_op
from ui.scanner import echo_keys

# Columns shown first by default, in this order, so a 1024-pixel-wide window
# still shows them without scrolling; the rest follow in their declared order.
LEADING = {"assets": ("tag", "name", "status", "room", "holder")}


class ListView(QWidget):
    """A searchable, sortable list of one kind; emits ``activated(id)`` on
    Enter or double-click and ``selectionChanged()`` when the selection moves."""

    activated = Signal(int)
    selectionChanged = Signal()

    def __init__(self, kind: str, placeholder: str = "Search…", parent=None,
                 search_delay_ms: int = 120):
        super().__init__(parent)
        self.kind = kind
        self.model = ListTableModel(kind, self)
        self.extra_filters: dict = {}

        self.search = echo_keys(QLineEdit(), keep=self._keep_for_scan)  # typing shows at once
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName(f"{kind}-search")
        # The pause after a keystroke before searching is half as long as the
        # last search took on this thread (at most ``search_delay_ms``): a
        # search of a few milliseconds runs at each key, keys coming faster
        # than that (a scanner, a fast typist) make one search, and a slow
        # search waits for a pause in the typing rather than falling behind it.
        self.search_delay_ms = search_delay_ms
        self.last_search_ms = 0.0
        self._search_timer = QTimer(self, singleShot=True)
        self._search_timer.timeout.connect(self.apply)
        self.search.textChanged.connect(lambda _t: self._search_timer.start(self.search_delay()))
        self.search.returnPressed.connect(self._search_now)

        self.filter_bar = QHBoxLayout()
        self.filter_bar.setSpacing(6)
        self.counts = QLabel()
        self.counts.setObjectName("counts")

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.counts)
        filters = QHBoxLayout()
        filters.addLayout(self.filter_bar)
        filters.addStretch(1)

        self.table = QTableView()
        self.table.setObjectName(f"{kind}-table")
        self.table.setModel(self.model)
        # The header starts on the list's own default order (Loans by due day,
        # Repairs by the day reported), which enabling sorting then asks for.
        self.table.horizontalHeader().setSortIndicator(
            self.model.column_index(self.model.sort_key),
            Qt.DescendingOrder if self.model.descending else Qt.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.Fixed)
        vh.setDefaultSectionSize(24)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.Interactive)
        hh.setStretchLastSection(True)
        hh.setSectionsMovable(True)
        hh.setHighlightSections(False)
        hh.setContextMenuPolicy(Qt.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._column_menu)
        self._default_columns()
        self.table.doubleClicked.connect(lambda idx: self._activate(idx.row()))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selectionChanged.emit())
        self.model.countsChanged.connect(self._show_counts)
        self.model.modelReset.connect(self.selectionChanged.emit)
        open_action = QAction(self.table)
        open_action.setShortcuts([QKeySequence(Qt.Key_Return), QKeySequence(Qt.Key_Enter)])
        open_action.setShortcutContext(Qt.WidgetShortcut)
        open_action.triggered.connect(lambda: self._activate(self.table.currentIndex().row()))
        self.table.addAction(open_action)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        self._restore_header()
        self.loaded = False

    # --- filters --------------------------------------------------------------------

    def filters(self) -> dict:
        return dict(self.extra_filters, search=self.search.text().strip())

    def apply(self) -> None:
        self._search_timer.stop()
        filters = self.filters()
        refused: list = []  # a whole file pasted into the box: said beside it, not in a box
        run_op(self, lambda: listing.check_search(filters), changes=Changes.NONE,
               on_error=refused.append)
        if refused:
            self.counts.setText("Search text too long")
            self.counts.setToolTip(str(refused[0]))
            self.search.setToolTip(str(refused[0]))
            return
        self.search.setToolTip("")
        self.counts.setToolTip("")
        started = time.perf_counter()
        self.model.set_filters(filters)
        self.last_search_ms = (time.perf_counter() - started) * 1000
        self.loaded = True

    def _keep_for_scan(self) -> Callable[[], None]:
        """A run of keys starts in the search box (``ui.scanner.echo_keys``):
        what puts the list back if it proves a scan. The box's text is back
        already; search for it now if the list searched for the scan's first
        key meanwhile (else cancel the search the restore started: nothing
        changed), and make the row that was current current again."""
        # The current row's id only (this runs at each key typed in the box):
        # current_id() would fall back to the selection, which may load every id.
        idx = self.table.currentIndex()
        current = idx.data(ID_ROLE) if idx.isValid() else None

        def put_back() -> None:
            if self.model.active(self.filters()) == self.model.filters:
                self._search_timer.stop()
                return
            self.apply()
            if current is not None:
                self.select_id(current)
        return put_back

    def search_delay(self) -> int:
        """Milliseconds to wait after a keystroke before searching."""
        return min(self.search_delay_ms, int(self.last_search_ms / 2))

    def _search_now(self) -> None:
        self.apply()
        if self.model.rowCount() == 1:
            self._activate(0)

    def set_filter(self, key: str, value) -> None:
        if value in (None, "", False):
            self.extra_filters.pop(key, None)
        else:
            self.extra_filters[key] = value

    # --- selection ------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if rows and rows[-1] >= len(self.model.ids):
            self.model.load_all_ids()
        return [self.model.ids[r] for r in rows if r < len(self.model.ids)]

    def current_id(self) -> int | None:
        idx = self.table.currentIndex()
        if idx.isValid():
            return idx.data(ID_ROLE)
        ids = self.selected_ids()
        return ids[0] if ids else None

    def select_id(self, record_id: int) -> None:
        row = self.model.row_of(record_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _activate(self, row: int) -> None:
        record_id = self.model.id_at(row)
        if record_id is not None:
            self.activated.emit(record_id)

    def _show_counts(self, shown: int, total: int) -> None:
        # The list's kind is its plural (assets, people, loans): "1 asset", "3 of 30 assets";
        # -1 is a count still coming from the worker thread.
        if shown < 0:
            self.counts.setText(f"counting… of {count(total, self.kind)}" if total >= 0
                                else "counting…")
        elif total < 0:
            self.counts.setText(f"{shown:,} of …")
        else:
            self.counts.setText(f"{shown:,} of {count(total, self.kind)}" if shown != total
                                else count(total, self.kind))

    # --- columns --------------------------------------------------------------------

    def _column_menu(self, pos) -> None:
        menu = QMenu(self)
        for i, col in enumerate(self.model.columns):
            act = menu.addAction(col.header)
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(i))
            act.toggled.connect(lambda on, i=i: (self.table.setColumnHidden(i, not on),
                                                 self.save_header()))
        menu.addSeparator()
        menu.addAction("Reset columns", self.reset_columns)
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _default_columns(self) -> None:
        hh = self.table.horizontalHeader()
        keys = [c.key for c in self.model.columns]
        lead = [keys.index(k) for k in LEADING.get(self.kind, ()) if k in keys]
        order = lead + [i for i in range(len(keys)) if i not in lead]
        for visual, logical in enumerate(order):
            hh.moveSection(hh.visualIndex(logical), visual)
        for i, col in enumerate(self.model.columns):
            self.table.setColumnWidth(i, col.width)
            self.table.setColumnHidden(i, col.hidden)

    def reset_columns(self) -> None:
        self._default_columns()
        self.save_header()

    def _settings_key(self) -> str:
        return f"columns/{self.kind}"

    def save_header(self) -> None:
        QSettings().setValue(self._settings_key(), self.table.horizontalHeader().saveState())

    def _restore_header(self) -> None:
        state = QSettings().value(self._settings_key())
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.table.horizontalHeader().restoreState(state)
        hh = self.table.horizontalHeader()
        hh.sectionResized.connect(lambda *_: self._save_later())
        hh.sectionMoved.connect(lambda *_: self._save_later())

    def _save_later(self) -> None:
        if not hasattr(self, "_save_timer"):
            self._save_timer = QTimer(self, singleShot=True, interval=500)
            self._save_timer.timeout.connect(self.save_header)
        self._save_timer.start()
