"""The Stocktake page: the physical inventory, room by room.

Pick or start a session, then scan: a room label sets the room, every asset
gets its verdict in big letters (and a sound), the room's progress moves on.
Sessions persist, so closing the app and coming back resumes where it was.
Close shows the reconciliation; nothing changes in the register until the
chosen actions are applied.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from app.services import catalog, stocktake
from app.services.errors import NotFound
from app.wording import plural, status_label
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import run_job, show_error
from ui.ops import Changes, run_op
from ui.pages.scan_session import ScanResult, ScanSessionPage, SessionChoice
from ui.widgets.tables import fill, small_table
from ui.widgets.buttons import ok_cancel

PAGE_KEY = "stocktake"
PAGE_TITLE = "Stocktake"
PAGE_ORDER = 90
PAGE_ICON = "stocktake"

REC_TABS = [("missing", "Missing"), ("misplaced", "Misplaced"), ("other_site", "Other site"),
            ("unknown", "Unknown"), ("inactive", "Retired/disposed"),
            ("on_loan", "On loan — accounted for"), ("verified", "Verified")]
REC_HEADERS = ("Tag", "Name", "Expected", "Scanned in", "Scanned at", "Status now", "On loan to")


class NewSessionDialog(QDialog):
    """Site, optionally some of its rooms, and a name."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New stocktake")
        self.site = QComboBox()
        for sid, name in catalog.site_choices():
            self.site.addItem(name, sid)
        self.rooms = QListWidget()
        self.rooms.setMinimumHeight(180)
        self.name = QLineEdit()
        self.name.setPlaceholderText("default: site, rooms and today's date")
        form = QFormLayout(self)
        form.addRow("Site", self.site)
        form.addRow("Rooms (none ticked = the whole site)", self.rooms)
        form.addRow("Name", self.name)
        buttons = ok_cancel(self, "Start")
        form.addRow(buttons)
        self.site.currentIndexChanged.connect(self._load_rooms)
        self._load_rooms()

    def _load_rooms(self) -> None:
        self.rooms.clear()
        sid = self.site.currentData()
        if sid is None:
            return
        for lid, name in catalog.room_choices(sid):
            item = QListWidgetItem(name)
            item.setData(Qt.UserRole, lid)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.rooms.addItem(item)

    def values(self) -> dict:
        rooms = [self.rooms.item(i).data(Qt.UserRole) for i in range(self.rooms.count())
                 if self.rooms.item(i).checkState() == Qt.Checked]
        return {"site_id": self.site.currentData(), "location_ids": rooms,
                "name": self.name.text().strip() or None}


class Page(ScanSessionPage):
    KEY = "stocktake"
    TITLE = "Stocktake"
    NEW_TEXT = "New stocktake…"
    CLOSE_TEXT = "Close stocktake…"
    EMPTY_TEXT = ("Start a stocktake for a site (or some of its rooms), or pick one to carry on.\n"
                  "Then walk the rooms: scan each room's label, then everything in it.")
    IDLE_TEXT = "Scan a room label, then the assets in the room"
    ENTRY_HINT = "Scan anywhere — or type a tag or room label here and press Enter"
    SCAN_HEADERS = ("Time", "Code", "Verdict", "Name", "Room", "Workstation")
    SCAN_COLUMN_WIDTHS = (70, 110, 150, 170, 230, 90)
    SCAN_CHANGES = Changes.STOCKTAKE
    CHANGES = Changes.STOCKTAKE | Changes.ASSETS | Changes.LOCATIONS

    def __init__(self, parent=None):
        self.station = stocktake.workstation_name()
        self._room_rows: dict[int, int] = {}
        super().__init__(parent)
        self._status_timer = QTimer(self, singleShot=True, interval=2500, timeout=self.refresh_status)
        self.start()

    # --- building -----------------------------------------------------------------------

    def under_banner(self) -> list:
        self.room_line = QLabel("No room yet")
        self.room_line.setObjectName("stocktake-room")
        f = self.room_line.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        self.room_line.setFont(f)
        return [self.room_line]

    def buttons(self) -> list:
        out = []
        for text, slot in (("Load scanner file…", self.load_file), ("Refresh", self.refresh),
                           ("Report…", self.export_report)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            out.append(b)
        return out

    def scan_area(self, scans) -> QWidget:
        self.rooms = small_table(("Room", "Verified", "Expected", "Scanned here", "Done"))
        self.rooms.setObjectName("stocktake-rooms")
        for col, width in enumerate((170, 70, 70, 95, 60)):
            self.rooms.setColumnWidth(col, width)
        split = QSplitter(Qt.Horizontal)
        for title, table in (("Progress per room (verified of expected)", self.rooms),
                             ("Scans, newest first", scans)):
            side = QWidget()
            lay = QVBoxLayout(side)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(QLabel(title))
            lay.addWidget(table)
            split.addWidget(side)
        split.setSizes([420, 600])
        return split

    def build_closed(self) -> QWidget:
        w = QWidget()
        self.rec_title = QLabel()
        self.rec_title.setWordWrap(True)
        f = self.rec_title.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        f.setBold(True)
        self.rec_title.setFont(f)
        self.rec_tabs = QTabWidget()
        self.rec_tables = {}
        for key, label in REC_TABS:
            t = small_table(REC_HEADERS)
            t.setObjectName(f"rec-{key}")
            self.rec_tables[key] = t
            self.rec_tabs.addTab(t, label)
        self.action_boxes = {}
        actions = QVBoxLayout()
        actions.addWidget(QLabel("Apply to the register (verified assets always get their "
                                 "last-audit date):"))
        for key, text in stocktake.ACTIONS.items():
            box = QCheckBox(text)
            box.setObjectName(f"action-{key}")
            self.action_boxes[key] = box
            actions.addWidget(box)
        row = QHBoxLayout()
        self.apply_button = QPushButton("Apply to the register…")
        self.apply_button.setObjectName("stocktake-apply")
        self.apply_button.clicked.connect(self.apply_actions)
        reopen = QPushButton("Reopen for more scans")
        reopen.clicked.connect(self.reopen_session)
        report = QPushButton("Report…")
        report.clicked.connect(self.export_report)
        for b in (self.apply_button, reopen, report):
            row.addWidget(b)
        row.addStretch(1)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.rec_title)
        lay.addWidget(self.rec_tabs, 1)
        lay.addLayout(actions)
        lay.addLayout(row)
        return w

    # --- sessions -----------------------------------------------------------------------

    def list_sessions(self) -> list[SessionChoice]:
        return [SessionChoice(s["id"], f"{s['id']}: {s['name']} ({status_label(s['status'])})",
                              s["status"] == "open") for s in stocktake.list_sessions()]

    def load_session(self, session_id: int) -> str:
        return stocktake.get(session_id).status

    def session_shown(self) -> None:
        room = stocktake.current_room(self.session_id, self.station)
        self.room_line.setText(f"Room: {stocktake.place_text(room)}" if room
                               else "No room yet — scan a room label")
        self.refresh_status()

    def show_closed(self) -> None:
        self.load_reconciliation()

    def new_session(self) -> None:
        dlg = NewSessionDialog(self)
        if not dlg.exec():
            return
        values = dlg.values()
        run_op(self, lambda: stocktake.start(**values).id, changes=Changes.STOCKTAKE,
               success=self.open_session, slow=True, title="Starting the stocktake")

    # --- scanning -----------------------------------------------------------------------

    def scan(self, session_id: int, code: str) -> ScanResult:
        v = stocktake.record_scan(session_id, code, workstation=self.station)
        what = v.room if v.verdict == "room" else (v.tag or v.code)
        # The sound only: this page's own banner says it in big letters.
        return ScanResult(v.level, f"{v.label.upper()}\n{v.tag or v.code}",
                          v.message + (f" — {v.name}" if v.name and v.name not in v.message else ""),
                          sound=f"{v.label}: {what}",
                          row=(None, v.code, v.label, v.name or "", v.room or "", self.station),
                          value=v)

    def after_scan(self, result: ScanResult) -> None:
        v = result.value
        if v.room:
            self.room_line.setText(f"Room: {v.room} — {v.room_verified} of {v.room_expected} verified")
            self._update_room_row(v)
        # The totals line follows every scan (the base re-reads it); the per-room
        # table and the scan list are re-read together a moment after the last one.
        self._status_timer.start()

    def totals(self, session_id: int) -> str:
        return self._totals_text(stocktake.totals(session_id))

    @staticmethod
    def _totals_text(st: dict) -> str:
        """``st``: stocktake.totals() or status() (both have these keys)."""
        c = st["counts"]
        return (f"expected {st['expected']:,} · found {st['found']:,} · "
                f"misplaced {c['misplaced']:,} · other site {c['other_site']:,} · "
                f"unknown {c['unknown']:,}")

    def _update_room_row(self, v: stocktake.Verdict) -> None:
        from PySide6.QtWidgets import QTableWidgetItem
        row = self._room_rows.get(v.room_id)
        if row is None:
            return
        self.rooms.setItem(row, 1, QTableWidgetItem(str(v.room_verified)))
        self.rooms.setItem(row, 2, QTableWidgetItem(str(v.room_expected)))
        done = f"{100 * v.room_verified // v.room_expected} %" if v.room_expected else "—"
        self.rooms.setItem(row, 4, QTableWidgetItem(done))

    def refresh_status(self) -> None:
        if self.session_id is None:
            return
        sid, seen = self.session_id, self.scans_shown
        run_job(self, "Counting", lambda progress: (stocktake.status(sid),
                                                    stocktake.recent_scans(sid, 300)),
                on_done=lambda result: self._show_status(result, seen),
                on_error=self._status_failed, cancellable=False, show_after_ms=3000)

    def _status_failed(self, exc: BaseException) -> None:
        """The re-read is a convenience: a session gone meanwhile (another
        database opened, or deleted elsewhere) is not worth a message."""
        if not isinstance(exc, NotFound):
            show_error(self, "Stocktake", exc)

    def _show_status(self, result, seen: int | None = None) -> None:
        st, scans = result
        if st["id"] != self.session_id:
            return
        if seen is not None and seen != self.scans_shown:
            # Read before the latest scans: it would wipe their rows off the
            # list. The timer re-reads once the scanning pauses.
            self._status_timer.start()
            return
        rows = []
        self._room_rows = {}
        for i, r in enumerate(st["rooms"]):
            self._room_rows[r["id"]] = i
            done = f"{100 * r['verified'] // r['expected']} %" if r["expected"] else "—"
            rows.append((r["name"], r["verified"], r["expected"], r["scanned"], done))
        fill(self.rooms, rows)
        self.fill_scans([((s["at"].strftime("%H:%M:%S") if s["at"] else "", s["code"],
                           s.get("label") or stocktake.verdict_label(s["verdict"]),
                           s["name"] or "", s["room"], s["station"] or ""),
                          stocktake.LEVELS.get(s["verdict"], "error")) for s in scans])
        self.refresh_totals(self._totals_text(st))

    # --- files, closing, applying, reports -------------------------------------------------

    def load_file(self) -> None:
        if not self.is_open:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Scanner memory file", "",
                                              "Text files (*.txt *.csv *.dat);;All files (*)")
        if path:
            self.load_path(path)

    def load_path(self, path: str) -> None:
        sid, station = self.session_id, self.station

        def work(progress):
            return stocktake.load_file(sid, path, workstation=station,
                                       progress=lambda i, n: progress.update(i, n, "Recording scans…")
                                       if not progress.cancelled else False)

        def done(result):
            counts = ", ".join(f"{n} {stocktake.STOCKTAKE_VERDICTS.get(k, k).lower()}"
                               for k, n in result.counts.items()) or "nothing"
            text = f"Loaded {plural(sum(result.counts.values()), 'scan')}: {counts}."
            if result.problems:
                text += "\n\nProblems:\n" + "\n".join(f"line {n}: {why}" for n, why in result.problems[:20])
            bus.status_message.emit(text.splitlines()[0])
            self.refresh_status()
            QMessageBox.information(self, "Scanner file", text)
        run_op(self, work, changes=Changes.STOCKTAKE, success=done, slow=True, progress=True,
               cancellable=True, title="Loading scans")

    def close_session(self) -> None:
        if self.session_id is None:
            return
        answer = QMessageBox.question(
            self, "Close stocktake", "Stop scanning and show what is missing?\n"
            "Nothing changes in the register until you apply the actions.",
            QMessageBox.Yes | QMessageBox.No)
        if answer != QMessageBox.Yes:
            return
        sid = self.session_id
        run_op(self, lambda: stocktake.close(sid), changes=Changes.STOCKTAKE,
               success=self._closed, slow=True, title="Closing the stocktake")

    def _closed(self, rec) -> None:
        self.mark_closed()
        self.show_reconciliation(rec)

    def reopen_session(self) -> None:
        sid = self.session_id
        run_op(self, lambda: stocktake.reopen(sid), changes=Changes.STOCKTAKE,
               success=lambda _r: self.open_session(sid), title="Stocktake")

    def load_reconciliation(self) -> None:
        sid = self.session_id
        run_job(self, "Reconciling", lambda progress: stocktake.reconciliation(sid),
                on_done=self.show_reconciliation, cancellable=False)

    def show_reconciliation(self, rec) -> None:
        self.rec = rec
        s, c = rec.session, rec.counts
        self.rec_title.setText(
            f"{s['name']} — {status_label(s['status'])}: expected {s['expected']:,}, verified {c['verified']:,}, "
            f"missing {c['missing']:,}, on loan {c['on_loan']:,}, misplaced {c['misplaced']:,}, other site "
            f"{c['other_site']:,}, unknown {c['unknown']:,}, retired/disposed found "
            f"{c['inactive']:,}, duplicate scans {rec.duplicates:,}")
        for i, (key, label) in enumerate(REC_TABS):
            lines = rec.of(key)
            fill(self.rec_tables[key], [(ln.tag or ln.code, ln.name or "", ln.expected, ln.scanned,
                                         ln.at.strftime("%Y-%m-%d %H:%M") if ln.at else "",
                                         status_label(ln.status), ln.holder or "") for ln in lines[:5000]])
            self.rec_tabs.setTabText(i, f"{label} ({len(lines):,})")
        self.apply_button.setEnabled(s["status"] in ("closed", "applied"))

    def apply_actions(self) -> None:
        """Ask first with what applying would do — counted by a dry run of the
        same service call — then apply and say what it did, in the same words."""
        actions = [k for k, box in self.action_boxes.items() if box.isChecked()]
        sid = self.session_id
        run_op(self, lambda: stocktake.preview_apply(sid, actions), changes=Changes.NONE,
               success=lambda plan: self._confirm_apply(sid, actions, plan), slow=True,
               title="Apply to the register")

    def _confirm_apply(self, sid: int, actions: list[str], plan) -> None:
        text = f"Applying will give: {plan.summary()}."
        if plan.problems:
            text += "\n\nTo be skipped:\n" + "\n".join(f"{t}: {why}"
                                                        for t, why in plan.problems[:30])
        answer = QMessageBox.question(self, "Apply to the register", text + "\n\nGo ahead?",
                                      QMessageBox.Yes | QMessageBox.No)
        if answer != QMessageBox.Yes:
            return

        def work():
            result = stocktake.apply(sid, actions)
            return result, stocktake.reconciliation(sid)

        def done(value):
            result, rec = value
            self.mark_closed("applied")
            self.show_reconciliation(rec)
            text = f"Applied: {result.summary()}."
            if result.problems:
                text += "\n\nSkipped:\n" + "\n".join(f"{t}: {why}" for t, why in result.problems[:30])
            QMessageBox.information(self, "Stocktake", text)
        run_op(self, work, changes=Changes.ASSETS | Changes.STOCKTAKE, success=done, slow=True,
               title="Applying the stocktake")

    def export_report(self) -> None:
        if self.session_id is None:
            return
        path = ask_save_path(self, "Stocktake report",
                             ("stocktake", stocktake.get(self.session_id).name),
                             "PDF (*.pdf);;CSV, every tag (*.csv)")
        if path:
            self.write_report(path)

    def write_report(self, path: str) -> None:
        from reports.stocktake import write_report
        sid = self.session_id
        run_job(self, "Writing the report",
                lambda progress: write_report(stocktake.reconciliation(sid), path),
                on_done=lambda p: bus.status_message.emit(f"Report saved: {p}"))
