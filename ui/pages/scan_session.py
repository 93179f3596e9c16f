"""What the scanning pages share (Stocktake, Intake, distribution and
collection Events): a session picker, the big verdict banner, a totals line,
the scan list, the resume rules, and how a scan reaches the service.

The page, top to bottom::

    Title ............ <SESSION_LABEL> [sessions ▾] [NEW_TEXT] [CLOSE_TEXT]
    stack: 0 no session (EMPTY_TEXT)
           1 an open session:   banner · totals · under_banner() · entry ·
                                buttons() · under_buttons() · scan_area(scan list)
           2 a closed session:  build_closed()

Rules it keeps, so every scanning page behaves alike:

* Resume: on start (and on refresh when no session is shown) the page
  reopens the session this workstation last used on it (QSettings
  ``<KEY>/session``) if it is still open, else the newest open one (a
  colleague's, or one started from the CLI), so a scan never lands outside
  the count. A closed session is never resumed; choosing "— choose —" is
  respected until the user picks a session again.
* A scanner burst routed to the page (``handle_scan``) or a code typed in
  the entry is recorded by ``record``: ``scan()`` runs through ``run_op``
  (``SCAN_CHANGES`` announced), the result goes to the banner (with its
  sound), a new top row of the scan list (newest first, ``SCAN_LIST_CAP``
  rows, tinted by tone from ``ui.theme``) and the totals line. A refusal
  (``DomainError``) is said on the banner with the error sound.
* Without an open session ``handle_scan`` asks ``scan_without_session``
  (default: not used, so the main window opens what the code names).

A third page plugs in like this (the Events page, say)::

    class Page(ScanSessionPage):
        KEY, TITLE = "events", "Events"            # QSettings key, object names, title
        SESSION_LABEL, NEW_TEXT, CLOSE_TEXT = "Event:", "New event…", "Finish event…"
        EMPTY_TEXT, IDLE_TEXT = "Start a distribution day…", "Scan a student ID, then a device"
        SCAN_HEADERS = ("Time", "Code", "Verdict", "Student")
        CHANGES = Changes.ASSETS | Changes.LOANS | Changes.PEOPLE   # what it re-reads on
        SCAN_CHANGES = Changes.ASSETS | Changes.LOANS              # what one scan changes

        def __init__(self, parent=None):
            self.station = …                # what the hooks read, first
            super().__init__(parent)        # builds the page through the layout hooks
            self.start()                    # the session picker, then resume

        def list_sessions(self):        # newest first
            return [SessionChoice(e.id, f"{e.id}: {e.name}", e.status == "open") for e in …]
        def load_session(self, sid):    # its status ("open" or not); DomainError if gone
            return events.get(sid).status
        def new_session(self):          # a dialog, then self.open_session(new_id)
        def scan(self, sid, code):      # runs inside run_op: raise DomainError to refuse
            r = events.scan(sid, code)
            return ScanResult(r.level, r.head, r.detail, sound=r.head, row=(…), value=r)
        def totals(self, sid):          # the totals line
            return events.totals_text(sid)
        def close_session(self):        # ask, then run_op(self, events.finish …)
        # optional: under_banner(), buttons(), under_buttons(), scan_area(),
        # build_closed() / show_closed(), session_changed(), session_shown(),
        # after_scan(result), scan_rows(sid), scan_without_session(code).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLayout, QLineEdit, QPushButton,
                               QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ui import theme
from ui.ops import Changes, run_op
from ui.pages._base import PageBase
from ui.widgets.banner import VerdictBanner
from ui.widgets.tables import small_table

NO_SESSION, SCANNING, CLOSED = range(3)
_TINT_OF = {"attention": "warning", "error": "error"}


@dataclass(frozen=True)
class SessionChoice:
    """One entry of the session picker."""

    id: int
    text: str
    is_open: bool


@dataclass
class ScanResult:
    """What one scan showed. ``tone``: ok / attention / error (None: idle).
    ``text`` empty: the banner keeps its verdict and only ``detail`` changes.
    ``sound``: the words of the scan's feedback (None: silent). ``row``: the
    scan list's new top row (None: no row). ``totals``: the totals line when
    the result already knows it (else ``totals()`` is asked). ``value``: the
    service's own result, for ``after_scan`` and ``record``'s caller."""

    tone: str | None
    text: str = ""
    detail: str = ""
    sound: str | None = None
    row: tuple | None = None
    totals: str | None = None
    value: Any = None


class ScanSessionPage(PageBase):
    """The scanning page's frame; see the module docstring. A subclass's
    ``__init__`` sets what its hooks read, calls ``super().__init__()`` (which
    builds the page through the layout hooks), then ``self.start()`` (the
    session picker, then resume)."""

    KEY = ""                     # QSettings "<KEY>/session"; object names "<KEY>-…"
    SESSION_LABEL = "Session:"
    NEW_TEXT = "New…"
    CLOSE_TEXT = "Close…"
    EMPTY_TEXT = ""
    IDLE_TEXT = "Scan"
    ENTRY_HINT = "Scan anywhere — or type a code here and press Enter"
    ENTRY_CLASS: type[QLineEdit] = QLineEdit
    SESSIONS_WIDTH = 30          # the picker's width, in characters
    SCAN_HEADERS: tuple[str, ...] = ("Time", "Code", "Verdict")
    SCAN_COLUMN_WIDTHS: tuple[int, ...] = ()
    SCAN_LIST_NAME = ""          # default "<KEY>-scans"
    SCAN_LIST_CAP = 300
    SCAN_CHANGES = Changes.NONE  # what one scan changes (announced by run_op)
    REFUSED_TEXT = ""            # a refusal's big text (its message under it); "": the message
    BANNER_PT = 30
    CHANGES = Changes.ALL        # what the page re-reads on (subclasses narrow it)

    # What every scanning page must define (checked when the subclass is declared).
    REQUIRED = ("list_sessions", "load_session", "new_session", "scan", "totals", "close_session")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        missing = [n for n in cls.REQUIRED if getattr(cls, n) is getattr(ScanSessionPage, n)]
        if missing or not cls.KEY:
            raise TypeError(f"{cls.__name__} needs KEY and {', '.join(missing) or 'nothing else'}")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.session_id: int | None = None
        self.session_status = ""
        self._chose_none = False  # the user picked "— choose —": do not join a session behind it
        self.scans_shown = 0  # scans shown since the page opened: a re-read older than one is stale

        self.sessions = QComboBox()
        self.sessions.setObjectName(f"{self.KEY}-sessions")
        self.sessions.setMinimumContentsLength(self.SESSIONS_WIDTH)
        self.sessions.activated.connect(self._session_chosen)
        self.new_button = QPushButton(self.NEW_TEXT)
        self.new_button.setObjectName(f"{self.KEY}-new")
        self.new_button.clicked.connect(lambda: self.new_session())
        self.close_button = QPushButton(self.CLOSE_TEXT)
        self.close_button.setObjectName(f"{self.KEY}-close")
        self.close_button.clicked.connect(lambda: self.close_session())
        self.close_button.setEnabled(False)
        self.actions_row.addWidget(QLabel(self.SESSION_LABEL))
        for w in (self.sessions, self.new_button, self.close_button):
            self.actions_row.addWidget(w)

        self.banner = VerdictBanner(f"{self.KEY}-verdict", self.IDLE_TEXT, size_pt=self.BANNER_PT)
        self.totals_line = QLabel()
        self.totals_line.setObjectName(f"{self.KEY}-totals")
        self.totals_line.setAlignment(Qt.AlignCenter)
        self.totals_line.setWordWrap(True)  # wraps rather than widening the page at 1024 px
        f = self.totals_line.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.totals_line.setFont(f)
        self.entry = self.ENTRY_CLASS()
        self.entry.setObjectName(f"{self.KEY}-entry")
        self.entry.setPlaceholderText(self.ENTRY_HINT)
        self.entry.returnPressed.connect(self._typed)
        self.scans = small_table(self.SCAN_HEADERS)
        self.scans.setObjectName(self.SCAN_LIST_NAME or f"{self.KEY}-scans")
        for col, width in enumerate(self.SCAN_COLUMN_WIDTHS):
            self.scans.setColumnWidth(col, width)

        self.stack = QStackedWidget()
        empty = QLabel(self.EMPTY_TEXT)
        empty.setAlignment(Qt.AlignCenter)
        empty.setWordWrap(True)
        self.stack.addWidget(empty)
        self.stack.addWidget(self._build_scanning())
        self.stack.addWidget(self.build_closed())
        self.body.addWidget(self.stack, 1)

    # --- what a subclass supplies (all of them: see REQUIRED) ---------------------------------------------------------------

    def list_sessions(self) -> list[SessionChoice]:
        """The picker's sessions, newest first."""
        return []

    def load_session(self, session_id: int) -> str:
        """Read the session (keep what the page needs of it); return its status
        ("open" takes scans). Raises DomainError when it is gone."""

    def new_session(self) -> None:
        """Ask for a new session (a dialog), start it, then ``open_session`` it."""

    def scan(self, session_id: int, code: str) -> ScanResult:
        """Record one scan (runs inside run_op: a DomainError is a refusal)."""

    def totals(self, session_id: int) -> str:
        """The totals line."""

    def close_session(self) -> Any:
        """The Close/Finish button: ask, close through run_op, show the result."""

    # --- optional hooks -----------------------------------------------------------------------------

    def under_banner(self) -> list[QWidget | QLayout]:
        """Widgets between the totals line and the entry (a room line, a form)."""
        return []

    def buttons(self) -> list[QWidget]:
        """The scanning panel's buttons, left of a stretch."""
        return []

    def under_buttons(self) -> list[QWidget | QLayout]:
        return []

    def scan_area(self, scans: QTableWidget) -> QWidget:
        """What holds the scan list (e.g. a splitter with a progress table)."""
        return scans

    def build_closed(self) -> QWidget:
        """The panel of a closed session (stack page CLOSED)."""
        return QLabel()

    def show_closed(self) -> None:
        """Fill the closed panel for ``session_id``."""

    def session_changed(self) -> None:
        """Another session was opened (the banner is idle again)."""

    def session_shown(self) -> None:
        """The open session is shown or re-read (a refresh): re-read its panels."""

    def after_scan(self, result: ScanResult) -> None:
        """A scan was shown: update the page's own panels."""

    def scan_rows(self, session_id: int) -> list[tuple[tuple, str | None]]:
        """The scan list as stored, newest first: (values, tone) per row."""
        return []

    def scan_without_session(self, code: str) -> bool:
        """A scan while no open session is shown: True if the page used it."""
        return False

    # --- building --------------------------------------------------------------------------------

    def _build_scanning(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.banner)
        lay.addWidget(self.totals_line)
        for part in self.under_banner():
            _add(lay, part)
        lay.addWidget(self.entry)
        row = QHBoxLayout()
        for b in self.buttons():
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        for part in self.under_buttons():
            _add(lay, part)
        lay.addWidget(self.scan_area(self.scans), 1)
        return w

    # --- sessions --------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.session_id is not None and self.session_status == "open"

    def reload_sessions(self) -> None:
        self.sessions.blockSignals(True)
        self.sessions.clear()
        self.sessions.addItem("— choose —", None)
        for choice in self.list_sessions():
            self.sessions.addItem(choice.text, choice.id)
        self.sessions.setCurrentIndex(max(self.sessions.findData(self.session_id), 0))
        self.sessions.blockSignals(False)

    def set_session_text(self, text: str) -> None:
        """Rename the current session's picker entry (a count that moved)."""
        i = self.sessions.currentIndex()
        if i > 0:
            self.sessions.setItemText(i, text)

    def _session_chosen(self, index: int) -> None:
        sid = self.sessions.itemData(index)
        if sid is None:
            self.session_id, self.session_status = None, ""
            self._chose_none = True
            self.close_button.setEnabled(False)
            self.stack.setCurrentIndex(NO_SESSION)
        else:
            self.open_session(sid)

    def open_session(self, session_id: int, quiet: bool = False) -> bool:
        """Show a session: scanning when open, the closed panel otherwise.
        ``quiet``: a session gone meanwhile is not worth a message. Reopening
        the session already shown re-reads it and keeps the banner."""
        loaded: list[str] = []
        run_op(self, lambda: self.load_session(session_id), changes=Changes.NONE,
               success=loaded.append, on_error=(lambda _exc: None) if quiet else None,
               title=self.TITLE)
        if not loaded:
            return False
        fresh = session_id != self.session_id
        self.session_id, self.session_status = session_id, loaded[0]
        self._chose_none = False
        QSettings().setValue(f"{self.KEY}/session", session_id)
        self.reload_sessions()
        self.close_button.setEnabled(self.is_open)
        if self.is_open:
            self.stack.setCurrentIndex(SCANNING)
            if fresh:
                self.banner.clear()
                self.session_changed()
            self.session_shown()
            self.refresh_totals()
        else:
            self.stack.setCurrentIndex(CLOSED)
            self.show_closed()
        return True

    def resume(self) -> None:
        """This workstation's last session on this page if still open, else the
        newest open one; a closed session is never resumed."""
        open_ids = [c.id for c in self.list_sessions() if c.is_open]
        try:
            last = int(QSettings().value(f"{self.KEY}/session"))
        except (TypeError, ValueError):
            last = None
        sid = last if last in open_ids else max(open_ids, default=None)
        if sid is not None:
            self.open_session(sid, quiet=True)

    def mark_closed(self, status: str = "closed") -> None:
        """The shown session was just closed (or applied) by the page: no more
        scans, the closed panel (the page fills it with what closing returned)."""
        self.session_status = status
        self.close_button.setEnabled(False)
        self.reload_sessions()
        self.stack.setCurrentIndex(CLOSED)

    def forget_session(self) -> None:
        """The shown session is gone (deleted, another database): show none."""
        self.session_id, self.session_status = None, ""
        self.close_button.setEnabled(False)
        self.reload_sessions()
        self.stack.setCurrentIndex(NO_SESSION)

    # --- scanning --------------------------------------------------------------------------------

    def handle_scan(self, code: str) -> bool:
        """A scanner burst routed here by the main window: recorded in the
        open session shown (True), else ``scan_without_session``."""
        if not self.isVisible():
            return False
        if not self.is_open:
            return self.scan_without_session(code)
        self.record(code)
        return True

    def _typed(self) -> None:
        code = self.entry.text().strip()
        self.entry.clear()
        if code and self.is_open:
            self.record(code)

    def record(self, code: str) -> Any:
        """Record ``code`` in the open session and show the result; returns the
        service's result (``ScanResult.value``), None when refused."""
        sid, got = self.session_id, []
        run_op(self, lambda: self.scan(sid, code), changes=self.SCAN_CHANGES,
               success=got.append, on_error=self.scan_refused)
        if not got:
            return None
        self.show_result(got[0])
        return got[0].value

    def show_result(self, r: ScanResult) -> None:
        self.scans_shown += 1
        if r.text:
            self.banner.show(r.tone, r.text, r.detail, sound=r.sound)
        else:
            self.banner.set_detail(r.detail)
            if r.sound is not None:
                from ui import feedback
                feedback.show_feedback(r.tone or "ok", r.sound, self, toast=False)
        if r.row is not None:
            self.prepend_scan(r.row, r.tone)
        self.after_scan(r)
        self.refresh_totals(r.totals)

    def scan_refused(self, exc: Exception) -> None:
        """A scan the session refused: said on the banner, with the error sound."""
        if self.REFUSED_TEXT:
            self.banner.show("error", self.REFUSED_TEXT, str(exc), sound=str(exc))
        else:
            self.banner.show("error", str(exc), sound=str(exc))

    def refresh_totals(self, text: str | None = None) -> None:
        if self.session_id is not None:
            self.totals_line.setText(text if text is not None else self.totals(self.session_id))

    # --- the scan list ----------------------------------------------------------------------------

    def prepend_scan(self, values: tuple, tone: str | None = None) -> None:
        """A new top row (the time first when the values start with None)."""
        self.scans.insertRow(0)
        self._set_row(0, values, tone)
        while self.scans.rowCount() > self.SCAN_LIST_CAP:
            self.scans.removeRow(self.scans.rowCount() - 1)

    def fill_scans(self, rows: list[tuple[tuple, str | None]]) -> None:
        rows = rows[:self.SCAN_LIST_CAP]
        self.scans.setRowCount(len(rows))
        for r, (values, tone) in enumerate(rows):
            self._set_row(r, values, tone)

    def reload_scans(self) -> None:
        if self.session_id is not None:
            self.fill_scans(self.scan_rows(self.session_id))

    def _set_row(self, row: int, values: tuple, tone: str | None) -> None:
        kind = _TINT_OF.get(tone or "")
        for col, value in enumerate(values):
            if value is None and col == 0:
                value = dt.datetime.now().strftime("%H:%M:%S")
            item = QTableWidgetItem("" if value is None else str(value))
            if kind:
                item.setBackground(theme.tint(kind))
            self.scans.setItem(row, col, item)

    def scan_item(self, row: int, col: int) -> str:
        item = self.scans.item(row, col)
        return item.text() if item is not None else ""

    # --- page contract ---------------------------------------------------------------------------

    def start(self) -> None:
        """Call at the end of a subclass's ``__init__``: the picker, then resume."""
        self.reload_sessions()
        self.resume()

    def refresh(self) -> None:
        self.reload_sessions()
        if self.session_id is not None:
            if not self.open_session(self.session_id, quiet=True):
                self.forget_session()
        elif not self._chose_none:
            self.resume()


def _add(layout: QVBoxLayout, part: QWidget | QLayout) -> None:
    if isinstance(part, QLayout):
        layout.addLayout(part)
    else:
        layout.addWidget(part)
