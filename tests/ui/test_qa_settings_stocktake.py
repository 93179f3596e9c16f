"""QA walkthrough fixes: Settings → Scanner edits, saves and applies every
scanner setting to the running filter (and Restore defaults); the page
scrolls vertically with Save always visible; the Stocktake page shows no
toast over its controls; a room label of another site gets its own verdict
and stays in the scan list; the sidebar keeps its width and its selected
icon is tinted; status colours follow the palette."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from tests.app.factories import asset, district


@pytest.fixture(autouse=True)
def isolated(failing_boxes, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail(f"message box: {a[1:3]}"))


@pytest.fixture
def live_filter(qapp, sqlite_db):
    """The application's scanner filter, installed as the app does."""
    from ui.scanner import install_scanner
    filt = install_scanner(qapp)
    yield filt
    qapp.removeEventFilter(filt)
    del qapp._qm_scanner_filter


@pytest.fixture
def settings_page(qtbot, live_filter):
    from ui.pages.settings import Page
    page = Page()
    qtbot.addWidget(page)
    page.resize(830, 620)  # the page's share of a 1024x700 window
    page.show()
    qtbot.waitUntil(page.is_ready)
    return page


def test_scanner_settings_save_and_apply_to_the_running_filter(settings_page, live_filter):
    from app.services import settings
    page = settings_page
    page.scan_min_length.setValue(6)
    page.scan_max_gap.setValue(45)
    page.scan_silence.setValue(150)
    page.scan_tab.setChecked(False)
    page.scan_prefix.setText("]C1")
    page.scan_suffix.setText("#")
    page.scan_repeat.setValue(3500)
    page.scan_sounds.setChecked(False)
    page.scan_volume.setValue(40)
    page.save()
    assert page.message.text() == "Saved."
    stored = settings.get_all()
    assert (stored["scanner_min_length"], stored["scanner_max_avg_gap_ms"],
            stored["scanner_silence_ms"], stored["scanner_terminators"],
            stored["scanner_prefix"], stored["scanner_suffix"], stored["scanner_repeat_ms"],
            stored["scanner_sounds"], stored["scanner_volume"]) == \
        (6, 45, 150, "enter", "]C1", "#", 3500, False, 40)
    d = live_filter.detector  # no restart: the filter in use has them now
    assert (d.min_length, d.max_avg_gap_ms, d.silence_ms, d.terminators, d.prefix, d.suffix,
            d.repeat_ms) == (6, 45.0, 150.0, {"enter"}, "]C1", "#", 3500.0)
    # …and judges bursts by them: 5 characters is now too short.
    for i, ch in enumerate("QM-00"):
        d.feed_char(ch, 10_000 + i * 2)
    assert d.feed_terminator("enter", 10_012).kind == "rejected"
    # The scanner test states the rules now in force.
    status = page.scanner_test.status.text()
    assert "6+ characters" in status and "45 ms" in status and "150 ms" in status
    assert "Tab" not in status and "3500 ms" in status and "']C1'" in status

    page.scan_enabled.setChecked(False)
    page.save()
    assert live_filter.enabled is False and "switched off" in page.scanner_test.status.text()


def test_restore_defaults_fills_the_scanner_fields(settings_page, live_filter):
    from app.services import settings
    page = settings_page
    settings.update({"scanner_min_length": 9, "scanner_terminators": "tab",
                     "scanner_prefix": "X", "scanner_sounds": False, "scanner_volume": 10})
    page.refresh()
    assert page.scan_min_length.value() == 9 and not page.scan_enter.isChecked()
    page.restore_scanner_defaults()
    assert page.scanner_values() == {k: settings.DEFAULTS[k] for k in settings.SCANNER_KEYS}
    assert settings.get("scanner_min_length") == 9  # nothing saved yet
    page.save()
    assert live_filter.detector.min_length == 4 and live_filter.detector.prefix == ""
    assert settings.get("scanner_terminators") == "enter,tab"


def test_invalid_scanner_values_are_refused(settings_page):
    from app.services import settings
    from app.services.errors import ValidationError
    page = settings_page
    page.scan_max_gap.setValue(100)
    page.scan_silence.setValue(80)
    page.save()
    assert "longer than the average gap" in page.message.text()
    assert settings.get("scanner_max_avg_gap_ms") == 30
    for bad in ({"scanner_volume": 101}, {"scanner_terminators": "space"},
                {"scanner_min_length": "4"}):
        with pytest.raises(ValidationError):
            settings.update(bad)
    ranges = {w.objectName(): (w.minimum(), w.maximum()) for w in
              (page.scan_min_length, page.scan_max_gap, page.scan_silence, page.scan_repeat,
               page.scan_volume)}
    assert all(lo >= 0 and hi <= 10_000 for lo, hi in ranges.values())
    assert ranges["scanner_min_length"][0] >= 1 and ranges["scanner_volume"] == (0, 100)


def test_settings_page_scrolls_vertically_with_save_always_visible(settings_page, qtbot):
    page = settings_page
    scroll = page.scroll
    assert not scroll.horizontalScrollBar().isVisible()
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert scroll.verticalScrollBar().maximum() > 0  # it does scroll at this height
    assert not scroll.isAncestorOf(page.save_button)
    scroll.verticalScrollBar().setValue(0)
    assert page.save_button.isVisible()
    top_left = page.save_button.mapTo(page, page.save_button.rect().bottomRight())
    assert page.rect().contains(top_left)
    tester = page.scanner_test
    assert tester.result.text() != "—" and not tester.result.isVisible()
    header = tester.table.horizontalHeader()
    ended_by = sum(header.sectionSize(c) for c in range(6))
    assert ended_by <= tester.table.viewport().width()  # "Ended by" is not cut off


@pytest.fixture
def stocktake_page(sqlite_db, qtbot):
    from app.services import stocktake
    from ui.pages.stocktake import Page
    d = district()
    a1 = asset(d)
    s = stocktake.start("RHS")
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.resize(834, 640)
    win.show()
    page.open_session(s.id)
    yield page, d, a1, s  # (the window stays alive as long as the page is used)
    # Its status timer must not fire into a later test's database.
    from ui.jobs import wait_for_jobs
    page._status_timer.stop()
    wait_for_jobs()
    win.close()
    win.deleteLater()


def test_no_toast_covers_the_stocktake_controls(stocktake_page, qtbot, monkeypatch):
    from ui import feedback
    page, d, a1, _s = stocktake_page
    monkeypatch.setattr(feedback, "_sounds_on", lambda: False)
    monkeypatch.setattr(feedback, "_overlay", None)
    for code in (d["r1"].barcode, a1.tag, a1.tag, "NOPE-1"):
        assert page.handle_scan(code)
        overlay = feedback.current_overlay()
        assert overlay is None or not overlay.isVisible()
    assert feedback.last_feedback[0] == "error"  # the level (and sound) still given
    assert page.banner.text().startswith("UNKNOWN TAG")


def test_other_site_room_has_its_own_verdict_and_stays_listed(stocktake_page, qtbot):
    from app.services import stocktake
    from ui.jobs import wait_for_jobs
    page, d, a1, s = stocktake_page
    assert page.handle_scan(d["r1"].barcode)
    assert page.handle_scan(d["r3"].barcode)  # Lincoln Middle School / Room 5
    assert page.banner.text().startswith("ROOM AT ANOTHER SITE")
    assert "Not an asset" not in page.banner.text()
    detail = page.banner.detail()
    assert f"{d['r3'].barcode} is Lincoln Middle School / Room 5" in detail
    assert "not in this stocktake's site" in detail
    assert "Room 12" in page.room_line.text()  # the room did not change
    assert page.scans.item(0, 2).text() == "Room at another site"
    page.refresh_status()  # the list is re-read from the database: the row stays
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.scans.rowCount() == 2, timeout=5000)
    assert page.scans.item(0, 1).text() == d["r3"].barcode
    assert page.scans.item(0, 2).text() == "Room at another site"
    assert page.scans.item(0, 3).text() == "Lincoln Middle School / Room 5"
    assert stocktake.current_room(s.id, page.station) == d["r1"].id
    rec = stocktake.reconciliation(s.id)  # nothing counted
    assert all(ln.verdict != stocktake.OTHER_SITE_ROOM for ln in rec.lines)


def test_sidebar_width_stays_fixed_and_selected_icon_is_tinted(qtbot, sqlite_db):
    from ui import theme
    from ui.main_window import MainWindow
    app = QApplication.instance()
    old_sheet = app.styleSheet()
    theme.apply(app)
    theme.icon.cache_clear()
    try:
        d = district()
        asset(d)
        w = MainWindow(start_page="dashboard")
        qtbot.addWidget(w)
        w.resize(1024, 700)
        w.show()
        qtbot.waitUntil(w.is_ready)
        assert w.sidebar.width() == 190
        w.show_page("stocktake")
        qtbot.wait(50)
        assert w.sidebar.width() == 190 and w.width() <= 1024
        w.show_page("settings")
        qtbot.wait(50)
        assert w.sidebar.width() == 190
        w.splitter.setSizes([150, 900])  # whatever asks it to narrow (a page, the splitter)
        qtbot.wait(20)
        assert w.sidebar.width() == 190
        icon = w.sidebar.item(0).icon()
        normal = icon.pixmap(24, QIcon.Normal).toImage()
        selected = icon.pixmap(24, QIcon.Selected).toImage()
        assert normal != selected  # white strokes on the highlight, not grey
    finally:
        app.setStyleSheet(old_sheet)
        theme.icon.cache_clear()


def test_status_colours_follow_the_palette(monkeypatch):
    from ui import theme
    monkeypatch.setattr(theme, "is_dark", lambda: False)
    assert theme.error_colour() == "#c62828" and theme.warning_colour() == "#b26a00"
    light = (theme.colour("error"), theme.colour("attention"))
    monkeypatch.setattr(theme, "is_dark", lambda: True)
    dark = (theme.error_colour(), theme.warning_colour())
    assert dark != light and all(theme.qcolour(k).lightness() > 150 for k in ("error", "warning"))
    assert theme.banner_colours("error")[1] == "#ffffff"
