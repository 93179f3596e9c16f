"""The Events page: distribution and collection days of the 1:1 program.

Pick or start an event, then scan. Distribution: a student's ID card (or a
student picked from the list), then their device — lent with its kit and the
agreement chosen above the entry (signed, waiver on file, family refused).
Collection: each device back, good or damaged (what damage, which kit parts
are missing; the choice goes back to "good" after each device). Every scan
gets its verdict on the big banner with its sound; beside the scan list,
who has / has not received (by homeroom), or what is still outstanding
(withdrawn students first). Built on the scan-session base, like Stocktake.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDateEdit, QDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QRadioButton, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from app.models.program import AGREEMENT_STATES, DAMAGE_KINDS, EVENT_KINDS
from app.services import catalog, events
from ui import theme
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import run_job
from ui.ops import Changes, run_op
from ui.pages.scan_session import ScanResult, ScanSessionPage, SessionChoice
from ui.widgets.tables import fill, small_table
from ui.widgets.buttons import ok_cancel
from ui.widgets.checks import check_row

PAGE_KEY = "events"
PAGE_TITLE = "Events"
PAGE_ORDER = 92
PAGE_ICON = "events"

# The service's tones (ok / warn / error) as the banner's and the sounds' levels.
TONE = {"ok": "ok", "warn": "attention", "error": "error"}
STATE_TEXT = {"received": "Received", "had_device": "Had one already", "not_yet": "Not yet"}


class NewEventDialog(QDialog):
    """Kind, school, optionally a grade or homeroom, and the due date."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New event")
        self.kind = QComboBox()
        self.kind.setObjectName("event-kind")
        for key, label in EVENT_KINDS.items():
            self.kind.addItem(label, key)
        self.site = QComboBox()
        self.site.setObjectName("event-site")
        for sid, name in catalog.site_choices():
            self.site.addItem(name, sid)
        self.grade = QComboBox()
        self.grade.setObjectName("event-grade")
        self.homeroom = QComboBox()
        self.homeroom.setObjectName("event-homeroom")
        self.due = QDateEdit()
        self.due.setObjectName("event-due")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        today = dt.date.today()
        june = dt.date(today.year + (1 if today.month >= 6 else 0), 6, 10)
        self.due.setDate(QDate(june.year, june.month, june.day))
        self.name = QLineEdit()
        self.name.setPlaceholderText("default: kind, school and today's date")
        form = QFormLayout(self)
        form.addRow("Kind", self.kind)
        form.addRow("School", self.site)
        form.addRow("Grade", self.grade)
        form.addRow("Homeroom", self.homeroom)
        form.addRow("Devices due back", self.due)
        form.addRow("Name", self.name)
        buttons = ok_cancel(self, "Start")
        form.addRow(buttons)
        self.site.currentIndexChanged.connect(self._load_scope)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._load_scope()
        self._kind_changed()

    def _load_scope(self) -> None:
        sid = self.site.currentData()
        choices = events.scope_choices(sid) if sid else {"grades": [], "homerooms": []}
        for combo, values in ((self.grade, choices["grades"]),
                              (self.homeroom, choices["homerooms"])):
            combo.clear()
            combo.addItem("— all —", None)
            for v in values:
                combo.addItem(v, v)

    def _kind_changed(self) -> None:
        distribution = self.kind.currentData() == "distribution"
        self.due.setEnabled(distribution)

    def values(self) -> dict:
        distribution = self.kind.currentData() == "distribution"
        return {"kind": self.kind.currentData(), "site_id": self.site.currentData(),
                "grade": self.grade.currentData(), "homeroom": self.homeroom.currentData(),
                "due": self.due.date().toPython() if distribution else None,
                "name": self.name.text().strip() or None}


class PickStudentDialog(QDialog):
    """The event's students, searchable: for a student without their card."""

    def __init__(self, event_id: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Pick the student")
        self.event_id = event_id
        self.search = QLineEdit()
        self.search.setObjectName("pick-search")
        self.search.setPlaceholderText("Name or student ID")
        self.list = QListWidget()
        self.list.setObjectName("pick-list")
        self.list.setMinimumSize(380, 300)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        buttons = ok_cancel(self, "This student")
        lay = QVBoxLayout(self)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)
        self.search.textChanged.connect(self._load)
        self._load()

    def _load(self) -> None:
        self.list.clear()
        for s in events.students(self.event_id, self.search.text()):
            where = " · ".join(x for x in (f"grade {s['grade']}" if s["grade"] else "",
                                            s["homeroom"] or "") if x)
            text = f"{s['name']} ({s['id_number'] or 'no ID'})" + (f" — {where}" if where else "")
            if s["withdrawn"]:
                text += " — withdrawn"
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, s["id"])
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def person_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None


class Page(ScanSessionPage):
    KEY = "events"
    TITLE = "Events"
    SESSION_LABEL = "Event:"
    NEW_TEXT = "New event…"
    CLOSE_TEXT = "Close event…"
    EMPTY_TEXT = ("Start a distribution or collection day for a school (or one grade or "
                  "homeroom), or pick one to carry on.\nDistribution: scan the student's ID "
                  "card, then their device. Collection: scan each device as it comes back.")
    IDLE_TEXT = "Scan a student's ID card, then their device"
    ENTRY_HINT = "Scan anywhere — or type a student ID or device tag here and press Enter"
    SCAN_HEADERS = ("Time", "Code", "Verdict", "Student", "Device")
    SCAN_COLUMN_WIDTHS = (70, 100, 150, 140, 90)
    CHANGES = Changes.ASSETS | Changes.LOANS | Changes.PEOPLE
    SCAN_CHANGES = Changes.ASSETS | Changes.LOANS

    def __init__(self, parent=None):
        self.kind = ""
        self._picked: int | None = None
        self.station = events.workstation_name()
        super().__init__(parent)
        self._status_timer = QTimer(self, singleShot=True, interval=1500,
                                    timeout=self.refresh_status)
        self.start()

    # --- building -------------------------------------------------------------------------

    def under_banner(self):
        self.waiting = QLabel()
        self.waiting.setObjectName("events-waiting")
        self.waiting.setAlignment(Qt.AlignCenter)
        # Distribution: the agreement of the next device lent, and picking a student.
        self.dist_box = QWidget()
        row = QHBoxLayout(self.dist_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Agreement:"))
        self.agreement_group = QButtonGroup(self)
        self.agreement_buttons = {}
        for key, label in AGREEMENT_STATES.items():
            b = QRadioButton(label)
            b.setObjectName(f"events-agreement-{key}")
            self.agreement_group.addButton(b)
            self.agreement_buttons[key] = b
            row.addWidget(b)
        self.agreement_buttons["signed"].setChecked(True)
        row.addStretch(1)
        pick = QPushButton("Pick student…")
        pick.setObjectName("events-pick")
        pick.clicked.connect(self.pick_student)
        row.addWidget(pick)
        # Collection: the condition of the next device scanned.
        self.coll_box = QGroupBox("Condition of the next device")
        lay = QVBoxLayout(self.coll_box)
        top = QHBoxLayout()
        self.good = QRadioButton("Good")
        self.good.setObjectName("events-good")
        self.damaged = QRadioButton("Damaged / incomplete")
        self.damaged.setObjectName("events-damaged")
        self.good.setChecked(True)
        top.addWidget(self.good)
        top.addWidget(self.damaged)
        top.addSpacing(20)
        self.damage_boxes = check_row(top, DAMAGE_KINDS, "events-damage-{key}", self._damage_ticked)
        top.addStretch(1)
        lay.addLayout(top)
        self.missing_row = QHBoxLayout()
        self.missing_row.addWidget(QLabel("Missing parts:"))
        self.missing_boxes: dict[str, QCheckBox] = {}
        self.missing_row.addStretch(1)
        lay.addLayout(self.missing_row)
        return [self.waiting, self.dist_box, self.coll_box]

    def buttons(self):
        out = []
        for text, slot in (("Refresh", self.refresh_status), ("Report…", self.export_report)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            out.append(b)
        return out

    def scan_area(self, scans):
        split = QSplitter(Qt.Horizontal)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("events-tabs")
        self.groups = small_table(("Homeroom", "Students", "Received", "Had one", "Not yet"))
        self.groups.setObjectName("events-groups")
        self.people = small_table(("Homeroom", "Student", "ID", "State", "Device"))
        self.people.setObjectName("events-people")
        for table, widths in ((self.groups, (150, 70, 70, 70, 70)),
                              (self.people, (90, 150, 80, 80, 90))):
            for col, width in enumerate(widths):
                table.setColumnWidth(col, width)
        self.tabs.addTab(self.groups, "By homeroom")
        self.tabs.addTab(self.people, "Not yet")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Scans, newest first"))
        rl.addWidget(scans)
        split.addWidget(self.tabs)
        split.addWidget(right)
        split.setSizes([480, 560])
        return split

    def build_closed(self):
        w = QWidget()
        self.closed_text = QLabel()
        self.closed_text.setObjectName("events-closed")
        self.closed_text.setWordWrap(True)
        f = self.closed_text.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        self.closed_text.setFont(f)
        report = QPushButton("Report…")
        report.clicked.connect(self.export_report)
        lay = QVBoxLayout(w)
        lay.addWidget(self.closed_text)
        row = QHBoxLayout()
        row.addWidget(report)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)
        return w

    # --- sessions ---------------------------------------------------------------------------

    def list_sessions(self):
        return [SessionChoice(e["id"], f"{e['id']}: {e['name']}"
                              + (" (closed)" if e["status"] != "open" else ""),
                              e["status"] == "open") for e in events.list_events()]

    def load_session(self, session_id):
        event = events.get(session_id)
        self.kind = event.kind
        return event.status

    def session_changed(self):
        distribution = self.kind == "distribution"
        self.banner.set_idle_text("Scan a student's ID card, then their device" if distribution
                                  else "Scan each device as it comes back")
        self.agreement_buttons["signed"].setChecked(True)
        self._reset_condition()

    def session_shown(self):
        distribution = self.kind == "distribution"
        self.dist_box.setVisible(distribution)
        self.coll_box.setVisible(not distribution)
        self.waiting.setVisible(distribution)
        if distribution:
            self.groups.setHorizontalHeaderLabels(("Homeroom", "Students", "Received", "Had one",
                                                   "Not yet"))
            self.tabs.setTabText(1, "Not yet received")
            self.people.setHorizontalHeaderLabels(("Homeroom", "Student", "ID", "State", "Device"))
        else:
            self.groups.setHorizontalHeaderLabels(("School / grade / homeroom", "Returned",
                                                   "Damaged", "Outstanding", "Withdrawn"))
            self.tabs.setTabText(1, "Outstanding")
            self.people.setHorizontalHeaderLabels(("Device", "Student", "ID", "Homeroom",
                                                   "Withdrawn"))
            self._load_parts()
        self._show_waiting()
        self.reload_scans()
        self.refresh_status()

    def new_session(self):
        dlg = NewEventDialog(self)
        if not dlg.exec():
            return
        values = dlg.values()
        got = []
        run_op(self, lambda: events.start(values.pop("kind"), values.pop("site_id"),
                                          **values).id,
               changes=Changes.NONE, success=got.append, title="New event")
        if got:
            self.open_session(got[0])

    def close_session(self):
        if self.session_id is None:
            return
        answer = QMessageBox.question(self, "Close event",
                                      "Stop taking scans at this event?\nIts report stays "
                                      "available.", QMessageBox.Yes | QMessageBox.No)
        if answer != QMessageBox.Yes:
            return
        sid = self.session_id
        run_op(self, lambda: events.close(sid), changes=Changes.NONE,
               success=lambda _e: self.open_session(sid), title="Close event")

    def show_closed(self):
        st = events.status(self.session_id)
        t = st["totals"]
        if st["kind"] == "distribution":
            counts = (f"{t['received']:,} received, {t['had_device']:,} had one already, "
                      f"{t['not_yet']:,} not yet, of {t['students']:,} students")
        else:
            counts = (f"{t['returned']:,} returned ({t['damaged']:,} damaged), "
                      f"{t['outstanding']:,} outstanding ({t['withdrawn']:,} of withdrawn students)")
        self.closed_text.setText(f"{st['name']} — closed.\n{counts}.")

    # --- scanning ---------------------------------------------------------------------------

    def scan(self, session_id, code):
        picked, self._picked = self._picked, None
        kw = {}
        if self.kind == "distribution":
            kw["agreement"] = next(k for k, b in self.agreement_buttons.items() if b.isChecked())
        else:
            damage = [k for k, b in self.damage_boxes.items() if b.isChecked()]
            missing = [n for n, b in self.missing_boxes.items() if b.isChecked()]
            kw.update(condition="damaged" if self.damaged.isChecked() else "good",
                      damage=damage, missing_parts=missing)
        r = events.scan(session_id, code, station=self.station, person_id=picked, **kw)
        tone = TONE[r.tone]
        # Only a device lent or taken back moves the counts: other scans keep
        # the line as it is (no counting queries between a card and its device).
        moved = r.verdict in events.LENT + events.RETURNED
        return ScanResult(tone, f"{r.label.upper()}\n{r.text}", r.detail,
                          sound=f"{r.label}: {r.text}",
                          row=(None, r.code or "(picked)", r.label, r.person or "", r.tag or ""),
                          totals=None if moved else self.totals_line.text() or None, value=r)

    def after_scan(self, result):
        r = result.value
        if self.kind == "collection" and r.asset_id is not None and r.written:
            self._reset_condition()  # the next device is good unless said otherwise
        if r.verdict in events.STUDENT_VERDICTS:
            self._set_waiting(r.text)
        elif r.verdict in events.LENT:
            self._set_waiting(None)
        self._status_timer.start()

    def totals(self, session_id):
        return events.totals_text(session_id)

    def scan_rows(self, session_id):
        out = []
        for s in events.scans(session_id, self.SCAN_LIST_CAP):
            tone = TONE[events.VERDICTS.get(s["verdict"], ("", "error"))[1]]
            at = s["at"].replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M:%S") if s["at"] else ""
            out.append(((at, s["code"] or "(picked)", s["label"], s["person"] or "",
                         s["tag"] or ""), tone))
        return out

    def pick_student(self):
        if not self.is_open or self.kind != "distribution":
            return
        dlg = PickStudentDialog(self.session_id, self)
        if dlg.exec() and dlg.person_id():
            self.pick(dlg.person_id())

    def pick(self, person_id: int):
        """The student as if their card was scanned."""
        self._picked = person_id
        self.record("")

    def _show_waiting(self):
        if self.kind != "distribution" or not self.is_open:
            return
        pid = events.waiting_student(self.session_id, self.station)
        self._set_waiting(events.students_by_id([pid]).get(pid) if pid else None)

    def _set_waiting(self, student: str | None):
        if student is None:
            self.waiting.setText("No student waiting — scan a student's ID card first")
            self.waiting.setStyleSheet("")
        else:
            self.waiting.setText(f"Waiting for a device: {student}")
            self.waiting.setStyleSheet(theme.text_style("warning"))

    # --- collection condition --------------------------------------------------------------

    def _load_parts(self):
        names = events.kit_part_names()
        if list(self.missing_boxes) == names:
            return
        for box in self.missing_boxes.values():
            self.missing_row.removeWidget(box)
            box.deleteLater()
        self.missing_boxes = {}
        for i, name in enumerate(names):
            box = QCheckBox(name)
            box.setObjectName(f"events-missing-{name.lower()}")
            box.toggled.connect(self._damage_ticked)
            self.missing_boxes[name] = box
            self.missing_row.insertWidget(1 + i, box)

    def _damage_ticked(self, on: bool):
        if on:
            self.damaged.setChecked(True)

    def _reset_condition(self):
        for box in list(self.damage_boxes.values()) + list(self.missing_boxes.values()):
            box.setChecked(False)
        self.good.setChecked(True)

    # --- who has / has not ------------------------------------------------------------------

    def refresh_status(self):
        if self.session_id is None:
            return
        sid = self.session_id
        run_job(self, "Counting", lambda progress: events.status(sid), on_done=self._show_status,
                cancellable=False, show_after_ms=3000)

    def _show_status(self, st):
        if st["id"] != self.session_id:
            return
        if st["kind"] == "distribution":
            fill(self.groups, [(g["homeroom"], g["students"], g["received"], g["had_device"],
                                g["not_yet"]) for g in st["homerooms"]])
            left = [s for s in st["students"] if s["state"] == "not_yet"]
            fill(self.people, [(s["homeroom"], s["name"], s["id_number"] or "",
                                STATE_TEXT[s["state"]], s["tag"] or "") for s in left[:3000]])
            self.tabs.setTabText(1, f"Not yet received ({len(left):,})")
        else:
            fill(self.groups, [(f"{g['school']} / {g['grade']} / {g['homeroom']}", g["returned"],
                                g["damaged"], g["outstanding"], g["withdrawn"])
                               for g in st["groups"]])
            fill(self.people, [(r["tag"], r["name"], r["id_number"] or "", r["homeroom"],
                                "withdrawn" if r["withdrawn"] else "")
                               for r in st["outstanding"][:3000]])
            self.tabs.setTabText(1, f"Outstanding ({len(st['outstanding']):,})")
            for row, r in enumerate(st["outstanding"][:3000]):
                if r["withdrawn"]:
                    for col in range(self.people.columnCount()):
                        item = self.people.item(row, col)
                        if item is not None:
                            item.setBackground(theme.tint("warning"))

    # --- report -----------------------------------------------------------------------------

    def export_report(self):
        if self.session_id is None:
            return
        path = ask_save_path(self, "Event report", ("event", events.get(self.session_id).name),
                             "PDF (*.pdf);;CSV (*.csv)")
        if path:
            self.write_report(path)

    def write_report(self, path: str):
        from app.reporting.events import event_report
        from reports.program_event import write_report
        sid = self.session_id
        run_job(self, "Writing the report", lambda progress: write_report(event_report(sid), path),
                on_done=lambda p: bus.status_message.emit(f"Report saved: {p}"))
