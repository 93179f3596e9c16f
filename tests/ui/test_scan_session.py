"""The scan-session page base on its own, with a tiny fake page over an
in-memory store: resume rules, a scan updating banner + list + totals, a
refusal on the banner, closed sessions never resumed; and the banner widget."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from app.services.errors import ValidationError
from ui.ops import Changes
from ui.pages.scan_session import ScanResult, ScanSessionPage, SessionChoice
from ui.widgets.banner import VerdictBanner


class Store:
    def __init__(self):
        self.sessions: dict[int, dict] = {}

    def start(self, name: str, status: str = "open") -> int:
        sid = max(self.sessions, default=0) + 1
        self.sessions[sid] = {"name": name, "status": status, "scans": []}
        return sid


STORE = Store()


class FakePage(ScanSessionPage):
    KEY = "fake"
    TITLE = "Fake"
    IDLE_TEXT = "Scan something"
    SCAN_HEADERS = ("Time", "Code", "Verdict")
    CHANGES = Changes.STOCKTAKE

    def list_sessions(self):
        return [SessionChoice(sid, f"{sid}: {s['name']}", s["status"] == "open")
                for sid, s in sorted(STORE.sessions.items(), reverse=True)]

    def load_session(self, session_id):
        from app.services.errors import NotFound
        if session_id not in STORE.sessions:
            raise NotFound(f"No session {session_id}.")
        return STORE.sessions[session_id]["status"]

    def new_session(self):
        self.open_session(STORE.start("new"))

    def scan(self, session_id, code):
        if code == "BAD":
            raise ValidationError("BAD is not a code this session takes.")
        STORE.sessions[session_id]["scans"].append(code)
        tone = "ok" if code.startswith("QM") else "attention"
        return ScanResult(tone, f"SEEN\n{code}", f"detail of {code}", sound=f"Seen: {code}",
                          row=(None, code, "Seen"), value=code)

    def totals(self, session_id):
        return f"{len(STORE.sessions[session_id]['scans'])} scanned"

    def close_session(self):
        STORE.sessions[self.session_id]["status"] = "closed"
        self.open_session(self.session_id)


@pytest.fixture
def store(isolated_qsettings, failing_boxes):
    STORE.sessions.clear()
    yield STORE
    WINDOWS.clear()


WINDOWS: list[QMainWindow] = []  # qtbot holds its widgets weakly


def make_page(qtbot):
    win = QMainWindow()
    WINDOWS.append(win)
    page = FakePage(win)
    page.start()
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.show()
    return page


def test_a_subclass_missing_a_hook_is_refused_when_declared():
    with pytest.raises(TypeError, match="scan"):
        class Broken(ScanSessionPage):  # noqa: F841 - declaring it is the test
            KEY = "broken"

            def list_sessions(self):
                return []


def test_scan_updates_banner_list_and_totals(store, qtbot):
    from ui import feedback
    sid = store.start("count")
    page = make_page(qtbot)
    assert page.session_id == sid and page.stack.currentIndex() == 1
    assert page.banner.text() == "Scan something" and page.banner.tone is None
    assert page.totals_line.text() == "0 scanned"

    assert page.handle_scan("QM-000001") is True
    assert page.banner.text() == "SEEN\nQM-000001" and page.banner.tone == "ok"
    assert page.banner.detail() == "detail of QM-000001"
    assert page.banner.accessibleName() == "SEEN QM-000001. detail of QM-000001"
    assert feedback.last_feedback == ("ok", "Seen: QM-000001")
    assert page.totals_line.text() == "1 scanned"
    page.entry.setText("  other-2 ")  # typed by hand, then Enter
    page.entry.returnPressed.emit()
    assert page.entry.text() == "" and page.banner.tone == "attention"
    assert [page.scan_item(r, 1) for r in range(page.scans.rowCount())] == ["other-2", "QM-000001"]
    assert page.scan_item(0, 0)  # the time of the scan
    assert page.scans.item(0, 1).background().color().alpha() > 0  # attention is tinted
    assert page.scans.item(1, 1).background().style() == Qt.NoBrush  # ok is not
    assert page.totals_line.text() == "2 scanned" and store.sessions[sid]["scans"] == ["QM-000001",
                                                                                         "other-2"]


def test_the_scan_list_is_newest_first_and_capped(store, qtbot):
    store.start("count")
    page = make_page(qtbot)
    page.SCAN_LIST_CAP = 5
    for i in range(8):
        page.record(f"QM-{i}")
    assert page.scans.rowCount() == 5 and page.scan_item(0, 1) == "QM-7"
    assert page.scan_item(4, 1) == "QM-3"


def test_a_refusal_is_said_on_the_banner(store, qtbot):
    from ui import feedback
    sid = store.start("count")
    page = make_page(qtbot)
    assert page.record("BAD") is None  # failing_boxes: no message box either
    assert page.banner.tone == "error" and page.banner.text() == "BAD is not a code this session takes."
    assert feedback.last_feedback == ("error", "BAD is not a code this session takes.")
    assert page.scans.rowCount() == 0 and store.sessions[sid]["scans"] == []
    page.REFUSED_TEXT = "NOT TAKEN"
    page.record("BAD")
    assert page.banner.text() == "NOT TAKEN" and "BAD is not" in page.banner.detail()


def test_resume_the_last_open_session_of_this_workstation(store, qtbot):
    a, b = store.start("a"), store.start("b")
    page = make_page(qtbot)
    assert page.session_id == b  # nothing remembered: the newest open one
    page.sessions.setCurrentIndex(page.sessions.findData(a))
    page.sessions.activated.emit(page.sessions.currentIndex())
    assert page.session_id == a
    page.window().close()
    assert make_page(qtbot).session_id == a  # remembered (QSettings "fake/session")


def test_a_closed_session_is_never_resumed(store, qtbot):
    a, b = store.start("a"), store.start("b")
    page = make_page(qtbot)
    page.open_session(b)
    page.close_session()
    assert page.stack.currentIndex() == 2 and not page.close_button.isEnabled()
    assert not page.handle_scan("QM-1")  # a closed session takes no scans
    page.window().close()
    assert make_page(qtbot).session_id == a  # the remembered one is closed: the open one
    store.sessions[a]["status"] = "closed"
    page = make_page(qtbot)
    assert page.session_id is None and page.stack.currentIndex() == 0
    assert not page.handle_scan("QM-1")


def test_choosing_none_is_respected_and_a_vanished_session_is_let_go(store, qtbot):
    a = store.start("a")
    page = make_page(qtbot)
    page.sessions.setCurrentIndex(0)  # "— choose —"
    page.sessions.activated.emit(0)
    page.refresh()
    assert page.session_id is None and not page.handle_scan("QM-1")
    page.open_session(a)
    del store.sessions[a]
    page.refresh()  # quietly: failing_boxes
    assert page.session_id is None and page.stack.currentIndex() == 0


def test_banner_tones_idle_and_accessible_name(qtbot):
    from ui import theme
    b = VerdictBanner("test-verdict", "Ready")
    qtbot.addWidget(b)
    assert b.text() == "Ready" and b.tone is None and not b.detail()
    assert "palette(mid)" in b.head.styleSheet()
    b.show("error", "UNKNOWN TAG", "NOPE-1")
    assert theme.banner_colours("error")[0] in b.head.styleSheet()
    assert b.accessibleName() == "UNKNOWN TAG. NOPE-1" and b.accessibleDescription() == "error"
    b.set_detail("something else")
    assert b.text() == "UNKNOWN TAG" and b.accessibleName() == "UNKNOWN TAG. something else"
    b.show("bogus", "?")  # an unknown tone is shown as an error, never uncoloured
    assert b.tone == "error"
    b.clear()
    assert b.text() == "Ready" and b.accessibleName() == "Ready" and b.tone is None
    b.show()  # QWidget.show() still works
    assert b.isVisible()
