"""A table model that stays fast at 100,000+ rows.

It keeps only the ordered ids of the current query (from app.listing) and a
small cache of display rows fetched a page at a time. ``data()`` never
touches the database: a row that is not cached yet paints empty, its page is
queued, and one zero-delay timer fetches the queued pages in a query each and
emits ``dataChanged`` — the view fills in on the next event-loop turn.
Sorting and filtering re-run the ids query with ORDER BY / WHERE.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from app import listing

ID_ROLE = Qt.UserRole + 1
SORT_ROLE = Qt.UserRole + 2


class ListTableModel(QAbstractTableModel):
    """Rows of one app.listing kind (assets, people, locations, loans, repairs)."""

    countsChanged = Signal(int, int)  # shown, total
    MAX_PAGES = 60

    def __init__(self, kind: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.columns = listing.columns(kind)
        self.filters: dict = {}
        self.sort_key = listing.KINDS[kind].default_sort
        self.descending = False
        self.ids: list[int] = []
        self.total = 0
        self._pages: OrderedDict[int, dict[int, tuple]] = OrderedDict()
        self._queued: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._fetch_queued)
        self.queries = 0  # for tests: database round trips made by this model
        self.loaded = False  # no query until the page first asks (start-up stays cheap)

    # --- loading ------------------------------------------------------------------

    def set_filters(self, filters: dict) -> None:
        self.filters = {k: v for k, v in filters.items() if v not in (None, "", False)}
        self.reload()

    def reload(self) -> None:
        """Re-run the ids query (after a filter, a sort or a data change)."""
        self.loaded = True
        self.beginResetModel()
        self.ids = listing.query_ids(self.kind, self.filters, self.sort_key, self.descending)
        self.total = listing.count_all(self.kind) if self.filters else len(self.ids)
        self.queries += 2 if self.filters else 1
        self._pages.clear()
        self._queued.clear()
        self._fetch_page(0)  # the first screen paints without a round trip
        self.endResetModel()
        self.countsChanged.emit(len(self.ids), self.total)

    def refresh_rows(self) -> None:
        """Data changed but the row set did not (e.g. an edit): refetch shown pages."""
        pages = list(self._pages)
        self._pages.clear()
        for p in pages:
            self._fetch_page(p)
        if self.ids:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.ids) - 1, len(self.columns) - 1))

    def _fetch_page(self, page: int) -> None:
        start = page * listing.PAGE_SIZE
        ids = self.ids[start:start + listing.PAGE_SIZE]
        self._pages[page] = listing.fetch_rows(self.kind, ids) if ids else {}
        self.queries += 1
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)

    def _fetch_queued(self) -> None:
        queued, self._queued = sorted(self._queued), set()
        for page in queued:
            self._fetch_page(page)
            first = page * listing.PAGE_SIZE
            last = min(first + listing.PAGE_SIZE, len(self.ids)) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0),
                                      self.index(last, len(self.columns) - 1))

    def row_values(self, row: int) -> tuple | None:
        """Cached display values for ``row`` (None while its page is loading)."""
        if not 0 <= row < len(self.ids):
            return None
        page = row // listing.PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            if page not in self._queued:
                self._queued.add(page)
                self._timer.start()
            return None
        self._pages.move_to_end(page)
        return rows.get(self.ids[row])

    def id_at(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def row_of(self, record_id: int) -> int:
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    # --- Qt model -------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal:
            if role == Qt.DisplayRole:
                return self.columns[section].header
            if role == Qt.TextAlignmentRole:
                return _ALIGN[self.columns[section].align]
        return None

    def flags(self, index):
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable if index.isValid() else Qt.NoItemFlags

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        if role == ID_ROLE:
            return self.id_at(index.row())
        if role == Qt.TextAlignmentRole:
            return _ALIGN[self.columns[index.column()].align]
        if role not in (Qt.DisplayRole, Qt.ToolTipRole, Qt.ForegroundRole, SORT_ROLE):
            return None
        values = self.row_values(index.row())
        if values is None:
            return "…" if role == Qt.DisplayRole and index.column() == 0 else None
        value = values[index.column()]
        if role == Qt.ForegroundRole:
            return self._foreground(values, index.column())
        if role == SORT_ROLE:
            return value
        return display(value)

    def _foreground(self, values: tuple, column: int):
        key = self.columns[column].key
        text = str(values[column] or "")
        if key in ("state",) and text.startswith("Overdue"):
            return QBrush(QColor("#c62828"))
        if key == "status" and text in ("Missing", "In repair"):
            return QBrush(QColor("#c62828") if text == "Missing" else QColor("#b26a00"))
        if key == "status" and text in ("Retired", "Disposed"):
            return QBrush(QColor("#888888"))
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        col = self.columns[column]
        if col.sort is None:
            return
        self.sort_key = col.key
        self.descending = order == Qt.DescendingOrder
        if self.loaded:
            self.reload()


_ALIGN = {"left": int(Qt.AlignLeft | Qt.AlignVCenter),
          "right": int(Qt.AlignRight | Qt.AlignVCenter),
          "center": int(Qt.AlignCenter)}


def display(value) -> str:
    """How a value reads in a table cell."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)
