"""The Stocktake page: the physical inventory, room by room.

Pick or start a session, then scan: a room label sets the room, every asset
gets its verdict in big letters (and a sound), the room's progress moves on.
Sessions persist, so closing the app and coming back resumes where it was.
Close shows the reconciliation; nothing changes in the register until the
chosen actions are applied.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QSplitter,
                               QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from app.services import catalog, stocktake
from app.services.errors import DomainError, NotFound
from app.wording import plural, status_label
from ui import feedback, theme
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import run_job, show_error
from ui.ops import Changes, run_op
from ui.widgets.tables import fill, small_table

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
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
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


class Page(QWidget):
    CHANGES = Changes.STOCKTAKE | Changes.ASSETS | Changes.LOCATIONS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.session_id: int | None = None
        self.session_status = ""
        self.station = stocktake.workstation_name()
        self._room_rows: dict[int, int] = {}

        title = QLabel("Stocktake")
        title.setObjectName("page-title")
        self.sessions = QComboBox()
        self.sessions.setObjectName("stocktake-sessions")
        self.sessions.setMinimumContentsLength(30)
        self.sessions.activated.connect(self._session_chosen)
        new = QPushButton("New stocktake…")
        new.clicked.connect(self.new_session)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Session:"))
        top.addWidget(self.sessions)
        top.addWidget(new)

        self.stack = QStackedWidget()
        self.empty = QLabel("Start a stocktake for a site (or some of its rooms), or pick one "
                            "to carry on.\nThen walk the rooms: scan each room's label, then "
                            "everything in it.")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._build_scanning())
        self.stack.addWidget(self._build_reconciliation())

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addLayout(top)
        lay.addWidget(self.stack, 1)
        self._status_timer = QTimer(self, singleShot=True, interval=2500, timeout=self.refresh_status)
        self.reload_sessions()
        self._resume()

    # --- building -----------------------------------------------------------------------

    def _build_scanning(self) -> QWidget:
        w = QWidget()
        self.verdict = QLabel("Scan a room label, then the assets in the room")
        self.verdict.setObjectName("stocktake-verdict")
        self.verdict.setAlignment(Qt.AlignCenter)
        self.verdict.setWordWrap(True)
        self.verdict.setMinimumHeight(120)
        self._style_verdict(None)
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignCenter)
        self.detail.setWordWrap(True)
        self.room_line = QLabel("No room yet")
        self.room_line.setObjectName("stocktake-room")
        f = self.room_line.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        self.room_line.setFont(f)
        self.totals = QLabel()
        self.totals.setObjectName("stocktake-counts")
        # Wraps rather than widening the page: at 1024 px its one long line made
        # the page wider than the window beside a 190 px sidebar.
        self.totals.setWordWrap(True)
        self.totals.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.entry = QLineEdit()
        self.entry.setObjectName("stocktake-entry")
        self.entry.setPlaceholderText("Scan anywhere — or type a tag or room label here and press Enter")
        self.entry.returnPressed.connect(self._typed)
        self.rooms = small_table(("Room", "Verified", "Expected", "Scanned here", "Done"))
        self.rooms.setObjectName("stocktake-rooms")
        self.scans = small_table(("Time", "Code", "Verdict", "Name", "Room", "Workstation"))
        self.scans.setObjectName("stocktake-scans")
        for col, width in enumerate((170, 70, 70, 95, 60)):
            self.rooms.setColumnWidth(col, width)
        for col, width in enumerate((70, 110, 150, 170, 230, 90)):
            self.scans.setColumnWidth(col, width)
        buttons = QHBoxLayout()
        for text, slot in (("Load scanner file…", self.load_file), ("Refresh", self.refresh),
                           ("Report…", self.export_report), ("Close stocktake…", self.close_session)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addWidget(self.totals, 1)
        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("Progress per room (verified of expected)"))
        ll.addWidget(self.rooms)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Scans, newest first"))
        rl.addWidget(self.scans)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 600])
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.verdict)
        lay.addWidget(self.detail)
        lay.addWidget(self.room_line)
        lay.addWidget(self.entry)
        lay.addLayout(buttons)
        lay.addWidget(split, 1)
        return w

    def _build_reconciliation(self) -> QWidget:
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

    def _style_verdict(self, level: str | None) -> None:
        self.verdict.setStyleSheet(theme.banner_style("stocktake-verdict", level, 30))

    # --- sessions -----------------------------------------------------------------------

    def reload_sessions(self) -> None:
        self.sessions.blockSignals(True)
        self.sessions.clear()
        self.sessions.addItem("— choose —", None)
        for s in stocktake.list_sessions():
            self.sessions.addItem(f"{s['id']}: {s['name']} ({status_label(s['status'])})", s["id"])
        i = self.sessions.findData(self.session_id)
        self.sessions.setCurrentIndex(max(i, 0))
        self.sessions.blockSignals(False)

    def _session_chosen(self, index: int) -> None:
        sid = self.sessions.itemData(index)
        if sid is None:
            self.session_id = None
            self._chose_none = True  # the user's choice: do not join a session behind it
            self.stack.setCurrentIndex(0)
        else:
            self.open_session(sid)

    def open_session(self, session_id: int, quiet: bool = False) -> None:
        try:
            s = stocktake.get(session_id)
        except DomainError as exc:
            if not quiet:
                show_error(self, "Stocktake", exc)
            return
        self.session_id, self.session_status = s.id, s.status
        QSettings().setValue("stocktake/session", s.id)
        self.reload_sessions()
        if s.status == "open":
            self.stack.setCurrentIndex(1)
            room = stocktake.current_room(s.id, self.station)
            self.room_line.setText(f"Room: {stocktake.place_text(room)}" if room else "No room yet — scan a room label")
            self.refresh_status()
        else:
            self.stack.setCurrentIndex(2)
            self.load_reconciliation()

    def new_session(self) -> None:
        dlg = NewSessionDialog(self)
        if not dlg.exec():
            return
        values = dlg.values()
        run_op(self, lambda: stocktake.start(**values).id, changes=Changes.STOCKTAKE,
               success=self._started, slow=True, title="Starting the stocktake")

    def _started(self, session_id: int) -> None:
        self.open_session(session_id)
        self.verdict.setText("Scan a room label, then the assets in the room")
        self._style_verdict(None)

    # --- scanning -----------------------------------------------------------------------

    def handle_scan(self, code: str) -> bool:
        """A scan while this page shows an open session records it."""
        if self.session_id is None or self.session_status != "open" or not self.isVisible():
            return False
        self.record(code)
        return True

    def _typed(self) -> None:
        code = self.entry.text().strip()
        self.entry.clear()
        if code and self.session_id is not None and self.session_status == "open":
            self.record(code)

    def record(self, code: str) -> stocktake.Verdict | None:
        sid, station, recorded = self.session_id, self.station, []
        run_op(self, lambda: stocktake.record_scan(sid, code, workstation=station),
               changes=Changes.STOCKTAKE, success=recorded.append, on_error=self._scan_refused)
        if not recorded:
            return None
        self.show_verdict(recorded[0])
        return recorded[0]

    def _scan_refused(self, exc) -> None:
        """A scan the session refused: said in the verdict banner, like any verdict."""
        feedback.show_feedback("error", str(exc), self, toast=False)
        self.verdict.setText(str(exc))
        self._style_verdict("error")

    def show_verdict(self, v: stocktake.Verdict) -> None:
        head = v.label.upper()
        self.verdict.setText(f"{head}\n{v.tag or v.code}")
        self._style_verdict(v.level)
        self.detail.setText(v.message + (f" — {v.name}" if v.name and v.name not in v.message else ""))
        if v.room:
            self.room_line.setText(f"Room: {v.room} — {v.room_verified} of {v.room_expected} verified")
            self._update_room_row(v)
        what = v.room if v.verdict == "room" else (v.tag or v.code)
        # The sound only: this page's own banner already says it in big letters,
        # and a toast over the window would hide the buttons and newest rows.
        feedback.show_feedback(v.level, f"{v.label}: {what}", self, toast=False)
        self._prepend_scan(v)
        # The totals line follows every scan; the per-room table and the scan
        # list are re-read together a moment after the last one.
        self._show_totals(stocktake.totals(self.session_id))
        self._status_timer.start()

    def _prepend_scan(self, v: stocktake.Verdict) -> None:
        import datetime as dt

        from PySide6.QtWidgets import QTableWidgetItem
        self.scans.insertRow(0)
        for col, value in enumerate((dt.datetime.now().strftime("%H:%M:%S"), v.code, v.label,
                                     v.name or "", v.room or "", self.station)):
            self.scans.setItem(0, col, QTableWidgetItem(value))
        while self.scans.rowCount() > 300:
            self.scans.removeRow(self.scans.rowCount() - 1)

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
        sid = self.session_id
        run_job(self, "Counting", lambda progress: (stocktake.status(sid),
                                                    stocktake.recent_scans(sid, 300)),
                on_done=self._show_status, on_error=self._status_failed, cancellable=False,
                show_after_ms=3000)

    def _status_failed(self, exc: BaseException) -> None:
        """The re-read is a convenience: a session gone meanwhile (another
        database opened, or deleted elsewhere) is not worth a message."""
        if not isinstance(exc, NotFound):
            show_error(self, "Stocktake", exc)

    def _show_status(self, result) -> None:
        st, scans = result
        if st["id"] != self.session_id:
            return
        rows = []
        self._room_rows = {}
        for i, r in enumerate(st["rooms"]):
            self._room_rows[r["id"]] = i
            done = f"{100 * r['verified'] // r['expected']} %" if r["expected"] else "—"
            rows.append((r["name"], r["verified"], r["expected"], r["scanned"], done))
        fill(self.rooms, rows)
        fill(self.scans, [(s["at"].strftime("%H:%M:%S") if s["at"] else "", s["code"],
                           s.get("label") or stocktake.verdict_label(s["verdict"]),
                           s["name"] or "", s["room"], s["station"] or "") for s in scans])
        self._show_totals(st)

    def _show_totals(self, st: dict) -> None:
        """``st``: stocktake.totals() or status() (both have these keys)."""
        c = st["counts"]
        self.totals.setText(f"expected {st['expected']:,} · found {st['found']:,} · "
                            f"misplaced {c['misplaced']:,} · other site {c['other_site']:,} · "
                            f"unknown {c['unknown']:,}")

    # --- files, closing, applying, reports -------------------------------------------------

    def load_file(self) -> None:
        if self.session_id is None or self.session_status != "open":
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
        self.session_status = "closed"
        self.reload_sessions()
        self.stack.setCurrentIndex(2)
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
            self.session_status = "applied"
            self.reload_sessions()
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

    # --- page contract --------------------------------------------------------------------

    def refresh(self) -> None:
        self.reload_sessions()
        if self.session_id is not None:
            self.open_session(self.session_id, quiet=True)
        elif not getattr(self, "_chose_none", False):
            self._resume()

    def _resume(self) -> None:
        """Carry on where this workstation was; failing that, join the newest
        open session (one a colleague started on another workstation, or from
        the command line), so a scan never lands outside the count."""
        last = QSettings().value("stocktake/session")
        if last is not None:
            self.open_session(int(last), quiet=True)
        if self.session_id is None:
            newest = next((s["id"] for s in stocktake.list_sessions() if s["status"] == "open"), None)
            if newest is not None:
                self.open_session(newest, quiet=True)

    def is_ready(self) -> bool:
        return True
