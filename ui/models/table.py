"""A table model that stays fast at 100,000+ rows.

It keeps only the ordered ids of the current query (from app.listing) and a
small cache of display rows fetched a page at a time. ``data()`` never
touches the database: a row that is not cached yet paints empty, its page is
queued, and one zero-delay timer fetches the queued pages in a query each and
emits ``dataChanged`` — the view fills in on the next event-loop turn.
Sorting and filtering re-run the ids query with ORDER BY / WHERE.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import OrderedDict
from decimal import Decimal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal

from app import listing
from ui import theme

ID_ROLE = Qt.UserRole + 1
SORT_ROLE = Qt.UserRole + 2


class ListTableModel(QAbstractTableModel):
    """Rows of one app.listing kind (assets, people, locations, loans, repairs)."""

    countsChanged = Signal(int, int)  # shown, total; -1: still counting
    rowsChanged = Signal()  # a recount found more or fewer rows than shown
    _counted = Signal(int, object)  # generation, (rows, total, recount) from the worker
    _ids_ready = Signal(int, object)  # generation, ids (from the worker thread)
    MAX_PAGES = 60
    IDS_AFTER_MS = 400  # the full id list is read this long after the count, if the query stands
    COUNT_AFTER_MS = 250  # the count starts once the typing has paused this long

    def __init__(self, kind: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.columns = listing.columns(kind)
        self.filters: dict = {}
        self.sort_key = listing.KINDS[kind].default_sort
        self.descending = False
        self.ids: list[int] = []
        self.total: int | None = None  # every row of the kind (None: not counted yet)
        self.counted = True  # self.rows is the number of matching rows (not just those read)
        self._job: dict | None = None  # the worker counting for the current query
        self._pages: OrderedDict[int, dict[int, tuple]] = OrderedDict()
        self._text_cache: dict[int, tuple] = {}
        self._align = [_ALIGN[c.align] for c in self.columns]
        self._queued: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._fetch_queued)
        self.rows = 0
        self.complete = True
        self._generation = 0
        self._ids_ready.connect(self._ids_arrived, Qt.QueuedConnection)
        self._counted.connect(self._counts_arrived, Qt.QueuedConnection)
        self._ids_timer = QTimer(self, singleShot=True, interval=self.IDS_AFTER_MS)
        self._ids_timer.timeout.connect(self._read_all_ids)
        # A count started at each keystroke is cancelled by the next one, and on a
        # server it competes with the next key's first page: wait for a pause.
        self._count_timer = QTimer(self, singleShot=True, interval=self.COUNT_AFTER_MS)
        self._count_timer.timeout.connect(self._count_now)
        self.queries = 0  # for tests: database round trips made by this model
        self.loaded = False  # no query until the page first asks (start-up stays cheap)

    # --- loading ------------------------------------------------------------------

    @staticmethod
    def active(filters: dict) -> dict:
        """The filters that filter (an empty search, an unticked box: none), as
        ``filters`` holds them."""
        return {k: v for k, v in filters.items() if v not in (None, "", False)}

    def set_filters(self, filters: dict) -> None:
        listing.check_search(filters)  # refused before the model is touched
        self.filters = self.active(filters)
        self.reload(typing=True)

    def reload(self, typing: bool = False) -> None:
        """Re-run the query (after a filter, a sort or a data change).

        The GUI thread reads only the first screen: one LIMIT query for its
        ids and one for its rows, so start-up and each keystroke cost the
        same at any size. How many rows match (a count, seconds for a word
        most of a million assets contain) and the full ordered id list are
        read by a worker thread with its own connection; a worker still busy
        with an earlier query is interrupted. Until the count comes the table
        shows the rows it has ("counting…" beside the search box); a first
        page shorter than a page is the whole answer, and needs no count."""
        self.loaded = True
        self._generation += 1
        self._stop_worker()
        self._ids_timer.stop()
        self._count_timer.stop()
        self.beginResetModel()
        self.ids = listing.query_ids(self.kind, self.filters, self.sort_key, self.descending,
                                     limit=listing.PAGE_SIZE)
        self.queries += 1
        self.rows = len(self.ids)
        self.complete = self.rows < listing.PAGE_SIZE
        self.counted = self.complete
        if self.complete and not self.filters:
            self.total = self.rows
        self._pages.clear()
        self._text_cache.clear()
        self._queued.clear()
        self._fetch_page(0)  # the first screen paints without a further round trip
        self.endResetModel()
        self.countsChanged.emit(self.rows if self.counted else -1,
                                self.total if self.total is not None else -1)
        if not self.complete or self.filters:
            if self.complete:  # at most the kind's total is missing
                if self.total is None:
                    self._count_now()
            elif typing:  # a search or filter: more may follow at once
                self._count_timer.start()
            else:  # the page opened, a sort, a data change: counted at once
                self._count_now()

    def _count_now(self) -> None:
        if self.loaded:
            self._start_worker(count=not self.complete, ids=False)

    def recount(self) -> None:
        """Count again off the GUI thread (another window or a job changed the
        rows): ``countsChanged`` follows; ``rowsChanged`` when the number of
        matching rows is no longer the number shown."""
        if self.loaded:
            self._stop_worker()
            self._start_worker(count=True, ids=False, recount=True)

    def _start_worker(self, count: bool, ids: bool, recount: bool = False) -> None:
        """Count (and read the full id list) on a worker thread; the results
        are dropped if the query changed meanwhile."""
        args = (self.kind, dict(self.filters), self.sort_key, self.descending)
        generation = self._generation
        # The kind's total does not change with the search: counted once, and again
        # on a recount (another window or a job changed the rows).
        need_total = recount or self.total is None
        job = self._job = {"conn": None, "stale": False}

        def work():
            from app.store.db import db, worker_connection
            try:
                with worker_connection():
                    job["conn"] = db.connection() if db.obj is not None else None
                    if job["stale"]:
                        return
                    if count or not ids:
                        rows = listing.count(args[0], args[1]) if count else None
                        if not args[1]:
                            total = rows
                        else:
                            total = listing.count_all(args[0]) if need_total else None
                        if job["stale"]:
                            return
                        with contextlib.suppress(RuntimeError):  # the model is gone
                            self._counted.emit(generation, (rows, total, recount))
                    if ids and not job["stale"]:
                        result = listing.query_ids(*args)
                        with contextlib.suppress(RuntimeError):
                            self._ids_ready.emit(generation, result)
            except Exception:  # noqa: BLE001 - interrupted, or the GUI thread reads on demand
                return
        threading.Thread(target=work, name=f"{self.kind}-count", daemon=True).start()

    def _stop_worker(self) -> None:
        """Stop the worker of an earlier query: SQLite stops at its next step
        (PostgreSQL cancels the statement)."""
        job = self._job
        if job is None:
            return
        job["stale"] = True
        conn = job["conn"]
        stop = getattr(conn, "interrupt", None) or getattr(conn, "cancel", None)
        if stop is not None:
            with contextlib.suppress(Exception):
                stop()
        self._job = None

    def _counts_arrived(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        rows, total, recount = result
        if total is not None:
            self.total = total
        if recount and self.counted and rows is not None and rows != self.rows:
            self.rowsChanged.emit()  # the page re-reads, keeping its place
            return
        if rows is not None and not self.counted:
            self.counted = True
            if self.complete and rows != self.rows:  # the full list is in: it wins
                rows = self.rows
            if rows > self.rows:
                self.beginInsertRows(QModelIndex(), self.rows, rows - 1)
                self.rows = rows
                self.endInsertRows()
            elif rows < self.rows:  # rows went away between the two queries
                self.beginResetModel()
                self.rows = rows
                self.ids = self.ids[:rows]
                self._pages.clear()
                self._text_cache.clear()
                self.endResetModel()
        self.countsChanged.emit(self.rows if self.counted else -1,
                                self.total if self.total is not None else -1)
        if not self.complete:
            # The full id list (a million ids hold Python's lock for a while
            # as they are built) once the typing has paused.
            self._ids_timer.start()

    def _read_all_ids(self) -> None:
        if self.loaded and not self.complete:
            self._start_worker(count=False, ids=True)

    def _ids_arrived(self, generation: int, result) -> None:
        if generation != self._generation or self.complete or isinstance(result, Exception):
            return
        self.queries += 1
        self._set_all_ids(result)

    def load_all_ids(self) -> None:
        """The ordered ids of every row (for scrolling, selection and export);
        reads them now if the worker has not delivered yet."""
        if self.complete:
            return
        self.queries += 1
        self._set_all_ids(listing.query_ids(self.kind, self.filters, self.sort_key,
                                            self.descending))

    def _set_all_ids(self, ids: list[int]) -> None:
        changed = len(ids) != self.rows  # counted differently, or rows came or went in between
        self.ids = ids
        self.complete = True
        if changed:
            self.beginResetModel()
            self.rows = len(ids)
            self._pages.clear()
            self._text_cache.clear()
            self.endResetModel()
        if changed or not self.counted:
            self.counted = True
            self.countsChanged.emit(self.rows, self.total if self.total is not None else -1)

    def all_ids(self) -> list[int]:
        self.load_all_ids()
        return self.ids

    def refresh_rows(self) -> None:
        """Data changed but the row set did not (e.g. an edit): refetch shown pages."""
        pages = list(self._pages)
        self._pages.clear()
        self._text_cache.clear()
        for p in pages:
            self._fetch_page(p)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rows - 1, len(self.columns) - 1))

    def _fetch_page(self, page: int) -> None:
        start = page * listing.PAGE_SIZE
        if start + listing.PAGE_SIZE > len(self.ids) and not self.complete:
            self.load_all_ids()
        ids = self.ids[start:start + listing.PAGE_SIZE]
        self._pages[page] = listing.fetch_rows(self.kind, ids) if ids else {}
        self.queries += 1
        for rid, _values in self._pages[page].items():
            self._text_cache.pop(rid, None)  # refetched: format again
        while len(self._pages) > self.MAX_PAGES:
            _old, dropped = self._pages.popitem(last=False)
            for rid in dropped:
                self._text_cache.pop(rid, None)

    def _fetch_queued(self) -> None:
        queued, self._queued = sorted(self._queued), set()
        for page in queued:
            self._fetch_page(page)
            first = page * listing.PAGE_SIZE
            last = min(first + listing.PAGE_SIZE, self.rows) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0),
                                      self.index(last, len(self.columns) - 1))

    def row_values(self, row: int) -> tuple | None:
        """Cached display values for ``row`` (None while its page is loading)."""
        if not 0 <= row < self.rows:
            return None
        page = row // listing.PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            if page not in self._queued:
                self._queued.add(page)
                self._timer.start()
            return None
        self._pages.move_to_end(page)
        return rows.get(self.ids[row]) if row < len(self.ids) else None

    def id_at(self, row: int) -> int | None:
        if row >= len(self.ids) and row < self.rows:
            self.load_all_ids()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def row_of(self, record_id: int) -> int:
        self.load_all_ids()
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    # --- Qt model -------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.rows

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
        # Asked for every visible cell at each paint: the flags combined once
        # (combining Qt's enums costs more than the rest of the call).
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index, role=Qt.DisplayRole):
        # Called thousands of times per paint: plain int roles, cached strings.
        role = int(role)
        if role == _DISPLAY:
            texts = self._texts(index.row())
            if texts is None:
                return "…" if index.column() == 0 else None
            return texts[index.column()]
        if role == _ALIGNMENT:
            return self._align[index.column()]
        if role == _FOREGROUND:
            texts = self._texts(index.row())
            return None if texts is None else self._foreground(texts, index.column())
        if role == _TOOLTIP:
            texts = self._texts(index.row())
            return None if texts is None else texts[index.column()] or None
        if role == ID_ROLE:
            return self.id_at(index.row())
        if role == SORT_ROLE:
            values = self.row_values(index.row())
            return None if values is None else values[index.column()]
        return None

    def _texts(self, row: int) -> tuple | None:
        """The row's cells as display strings, formatted once per fetch."""
        rid = self.ids[row] if row < len(self.ids) else None
        texts = self._text_cache.get(rid) if rid is not None else None
        if texts is None:
            values = self.row_values(row)
            if values is None:
                return None
            texts = tuple(display(v) for v in values)
            self._text_cache[rid] = texts
        return texts

    def _foreground(self, texts: tuple, column: int):
        key = self.columns[column].key
        text = texts[column]
        # Colours from the theme, so they follow the light or dark palette.
        if key == "state" and text.startswith("Overdue"):
            return theme.brush("error")
        if key == "status":
            return theme.status_brush(text)
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        col = self.columns[column]
        if col.sort is None:
            return
        descending = order == Qt.DescendingOrder
        if self.loaded and (col.key, descending) == (self.sort_key, self.descending):
            # QTableView.sortByColumn asks twice (itself, then through the
            # header's indicator): the rows are in this order already.
            return
        self.sort_key = col.key
        self.descending = descending
        if self.loaded:
            self.reload()


_ROW_FLAGS = Qt.ItemIsEnabled | Qt.ItemIsSelectable
_NO_FLAGS = Qt.NoItemFlags
_DISPLAY = int(Qt.DisplayRole)
_ALIGNMENT = int(Qt.TextAlignmentRole)
_FOREGROUND = int(Qt.ForegroundRole)
_TOOLTIP = int(Qt.ToolTipRole)

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
