"""The Stocktake page on its own (in a QMainWindow) and inside the shell:
scans get verdicts, room labels set the room, a scanner file loads, close
shows the reconciliation and apply changes the register."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox

from tests.app.factories import asset, district


@pytest.fixture
def setup(sqlite_db, qtbot, monkeypatch, tmp_path, isolated_qsettings):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.Ok)
    d = district()
    a1 = asset(d)
    a2 = asset(d, location_id=d["r2"].id)
    a3 = asset(d)
    return d, a1, a2, a3


def shown_page(qtbot):
    """The Stocktake page alone in a shown QMainWindow (as the shell holds it):
    (window, page)."""
    from ui.pages.stocktake import Page
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.show()
    return win, page


def test_scan_close_apply(setup, qtbot, tmp_path):
    from app.services import assets, stocktake
    from ui import feedback
    from ui.jobs import wait_for_jobs
    d, a1, a2, a3 = setup
    s = stocktake.start("RHS")
    _win, page = shown_page(qtbot)  # the window held: it owns the page
    page.open_session(s.id)
    assert page.stack.currentIndex() == 1

    assert page.handle_scan(d["r1"].barcode)
    assert "Room 12" in page.room_line.text() and "0 of 2" in page.room_line.text()
    assert page.handle_scan(a1.tag)
    assert page.banner.text().startswith("VERIFIED") and "1 of 2" in page.room_line.text()
    assert feedback.last_feedback[0] == "ok"
    assert page.handle_scan(a2.tag)
    assert page.banner.text().startswith("MISPLACED") and "Library" in page.banner.detail()
    assert feedback.last_feedback[0] == "attention"
    assert page.handle_scan("NOPE-1234")
    assert page.banner.text().startswith("UNKNOWN TAG") and feedback.last_feedback[0] == "error"
    assert page.scans.rowCount() == 4 and page.scans.item(0, 1).text() == "NOPE-1234"

    f = tmp_path / "mem.txt"
    f.write_text(f"{d['r1'].barcode}\n{a3.tag},2025-06-12 10:31:05\n")
    page.load_path(str(f))
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.rooms.rowCount() == 2 and
                    page.rooms.item(page._room_rows[d["r1"].id], 1).text() == "2", timeout=5000)

    page.close_session()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.stack.currentIndex() == 2, timeout=5000)
    assert page.rec_tabs.tabText(0) == "Missing (0)"
    assert page.rec_tables["misplaced"].item(0, 0).text() == a2.tag
    assert assets.get(a2.id).location_id == d["r2"].id  # nothing changed yet
    assert not page.handle_scan(a1.tag)  # a closed session takes no scans

    page.action_boxes["move-misplaced"].setChecked(True)
    page.action_boxes["create-unknown"].setChecked(True)
    page.apply_actions()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.session_status == "applied", timeout=5000)
    assert assets.get(a2.id).location_id == d["r1"].id
    assert assets.get(a1.id).last_audit_date is not None
    assert assets.lookup_tag("NOPE-1234")

    from ui.bus import bus
    with qtbot.waitSignal(bus.status_message, timeout=5000) as blocker:
        page.write_report(str(tmp_path / "r.csv"))
    assert blocker.args[0].startswith("Report saved")
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert a2.tag in text and "Misplaced" in text and "NOPE-1234" in text


def test_page_resumes_the_last_session_and_the_shell_routes_scans(setup, qtbot):
    from app.services import stocktake
    from ui.bus import bus
    from ui.main_window import MainWindow
    d, a1, a2, a3 = setup
    s = stocktake.start("RHS/Room 12")
    stocktake.record_scan(s.id, a1.tag, workstation=stocktake.workstation_name())
    win = MainWindow(start_page="stocktake")
    qtbot.addWidget(win)
    win.show()
    page = win.current_page()
    page.open_session(s.id)
    qtbot.waitUntil(lambda: page.rooms.rowCount() == 1, timeout=5000)
    bus.scanned.emit(a3.tag)  # as the scanner filter does
    assert page.banner.text().startswith("VERIFIED")
    assert "2 of 2" in page.room_line.text()  # one-room session: already in the room
    win.close()
    # Reopening: a new page picks the remembered session up again.
    win2 = MainWindow(start_page="stocktake")
    qtbot.addWidget(win2)
    page2 = win2.current_page()
    assert page2.session_id == s.id and page2.stack.currentIndex() == 1
    win2.close()


def test_page_joins_the_open_session_started_elsewhere(setup, qtbot):
    """A session started from the CLI or another workstation is where the next
    scan goes, without choosing it first; choosing none is respected."""
    from app.services import stocktake
    from ui import feedback
    d, a1, a2, a3 = setup
    s = stocktake.start("RHS")
    _win, page = shown_page(qtbot)  # the window held: it owns the page
    assert page.session_id == s.id and page.stack.currentIndex() == 1
    assert page.handle_scan("NOPE-5678")
    assert feedback.last_feedback[1] == "Unknown tag: NOPE-5678"
    page.sessions.setCurrentIndex(0)  # "— choose —", as the user picks it
    page.sessions.activated.emit(0)
    page.refresh()
    assert page.session_id is None and not page.handle_scan(a1.tag)


def test_a_borrowed_asset_is_on_loan_not_missing(setup, qtbot):
    """A student's Chromebook at home is listed on its own tab, "On loan —
    accounted for", with the borrower; the Missing tab does not count it."""
    from app.services import assets, stocktake
    from ui.jobs import wait_for_jobs
    from ui.pages.stocktake import REC_TABS
    d, a1, a2, a3 = setup
    assets.check_out(a3.id, person_id=d["student"].id)
    s = stocktake.start("RHS")
    _win, page = shown_page(qtbot)  # the window held: it owns the page
    page.open_session(s.id)
    assert page.handle_scan(d["r1"].barcode) and page.handle_scan(a1.tag)
    page.close_session()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.stack.currentIndex() == 2, timeout=5000)
    tabs = {key: page.rec_tabs.tabText(i) for i, (key, _) in enumerate(REC_TABS)}
    assert tabs["missing"] == "Missing (1)"  # a2, in the Library, not scanned
    assert tabs["on_loan"] == "On loan — accounted for (1)"
    table = page.rec_tables["on_loan"]
    assert table.item(0, 0).text() == a3.tag
    assert table.item(0, table.columnCount() - 1).text() == d["student"].full_name
    assert page.rec_tables["missing"].item(0, 0).text() == a2.tag
    assert "on loan 1" in page.rec_title.text()


def test_a_reread_started_before_the_latest_scans_does_not_wipe_them(setup, qtbot):
    """Opening a session re-reads the lists in the background; scans recorded
    meanwhile keep their rows (the stale result is dropped, the timer re-reads)."""
    from app.services import stocktake
    from ui.jobs import wait_for_jobs
    d, a1, a2, a3 = setup
    s = stocktake.start("RHS")
    _win, page = shown_page(qtbot)  # the window held: it owns the page
    page.open_session(s.id)  # its re-read is under way, on an empty session
    for code in (d["r1"].barcode, a1.tag, a3.tag):
        assert page.handle_scan(code)
    wait_for_jobs()
    qtbot.wait(100)  # the stale re-read's result is delivered
    assert [page.scan_item(r, 1) for r in range(page.scans.rowCount())] == \
        [a3.tag, a1.tag, d["r1"].barcode]
    page._status_timer.setInterval(10)
    page._status_timer.start()
    qtbot.waitUntil(lambda: page.rooms.item(page._room_rows.get(d["r1"].id, 0), 1) is not None
                    and page.rooms.item(page._room_rows[d["r1"].id], 1).text() == "2", timeout=5000)
    assert page.scans.rowCount() == 3 and page.scan_item(0, 1) == a3.tag
