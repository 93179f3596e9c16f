"""Small screens: at 1024×700 and 1366×768 no page grows the window past the
screen, after its main action too (a report generated, a person selected, a
stocktake or intake open); toolbars keep their labels whole; the Assets list
shows Tag, Name, Status, Room and Assigned to without scrolling."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QAbstractButton, QApplication, QTableView, QToolBar

from tests.ui.conftest import settle_jobs, shown_window

SIZES = [(1024, 700), (1366, 768)]


@pytest.fixture
def demo(sqlite_db, tmp_path, monkeypatch, failing_boxes):
    import datetime as dt

    from app.demo import build_demo
    build_demo(assets=120, seed=7, today=dt.date(2026, 11, 20))
    return sqlite_db


_settle = settle_jobs


def _main_action(key, page, qtbot) -> None:
    """What a technician does first on the page."""
    from app.models import HardwareModel, Location, Site
    from app.services import intake, stocktake
    if key == "reports":
        for row in range(page.report_list.count()):
            page.report_list.setCurrentRow(row)
            page.generate()
            qtbot.waitUntil(lambda: page.pdf is not None and page.print_button.isEnabled(),
                            timeout=30_000)
            _settle(qtbot)
            yield f"reports / {page.report_list.item(row).text()}"
        return
    if key == "stocktake":
        site = Site.select().order_by(Site.id).first()
        page.open_session(stocktake.start(site_id=site.id).id)
    elif key == "intake":
        room = Location.select().order_by(Location.id).first()
        model = HardwareModel.select().order_by(HardwareModel.id).first()
        page.open_session(intake.start({"model_id": model.id, "order_number": "PO-SMALL",
                                        "expected_qty": 2, "location_id": room.id,
                                        "label_template": "avery-5160"}).id)
    else:
        for view in page.findChildren(QTableView):
            if view.isVisibleTo(page) and view.model() is not None and view.model().rowCount():
                view.selectRow(0)
                break
    _settle(qtbot)
    yield key


def _fits(window, screen: QRect, where: str) -> None:
    QApplication.processEvents()
    frame = window.frameGeometry()
    assert frame.width() <= screen.width() and frame.height() <= screen.height(), \
        f"{where}: the window is {frame.width()}×{frame.height()} on a {screen.width()}×{screen.height()} screen"
    hint = window.minimumSizeHint()
    assert hint.width() <= screen.width() and hint.height() <= screen.height(), \
        f"{where}: the window needs at least {hint.width()}×{hint.height()}"


def _toolbar_labels_whole(window, where: str) -> None:
    for bar in window.findChildren(QToolBar):
        for b in bar.findChildren(QAbstractButton):
            if b.isVisible() and b.text():
                need = b.fontMetrics().horizontalAdvance(b.text().replace("&", ""))
                assert b.width() >= need, f"{where}: toolbar button {b.text()!r} is clipped"
        ext = bar.findChild(QAbstractButton, "qt_toolbar_ext_button")
        assert ext is None or not ext.isVisible(), f"{where}: the toolbar overflows into »"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_page_grows_the_window_past_the_screen(qtbot, demo, monkeypatch, size):
    screen = QRect(0, 0, *size)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(screen))
    w = shown_window(qtbot, start_page="dashboard", size=size, timeout=20_000)
    for spec in w.specs:
        page = w.show_page(spec.key)
        qtbot.waitUntil(lambda p=page: not hasattr(p, "is_ready") or p.is_ready(), timeout=20_000)
        _settle(qtbot)
        _fits(w, screen, spec.key)
        _toolbar_labels_whole(w, spec.key)
        for where in _main_action(spec.key, page, qtbot):
            _fits(w, screen, f"{where} (after its main action)")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_assets_list_keeps_the_columns_that_matter_in_view(qtbot, demo, monkeypatch, size):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(0, 0, *size))
    w = shown_window(qtbot, start_page="assets", size=size, timeout=20_000)
    page = w.current_page()
    table = next(t for t in page.findChildren(QTableView) if t.isVisibleTo(page))
    keys = [c.key for c in table.model().columns]
    viewport = table.viewport().width()
    for key in ("tag", "name", "status", "room", "holder"):
        col = keys.index(key)
        x = table.columnViewportPosition(col)
        assert not table.isColumnHidden(col), key
        assert 0 <= x and x + table.columnWidth(col) <= viewport, \
            f"{key} is at {x}..{x + table.columnWidth(col)} of a {viewport}px wide list"


def test_label_dialog_fits_a_700_pixel_screen_with_its_title_bar(qtbot, demo):
    """The tallest label dialog (new tags: one more row) leaves room for a
    window manager's title bar on a 1024×700 screen."""
    from ui.dialogs.labels import LabelDialog
    for kind, ids in (("asset", [1, 2]), ("new", None)):
        dlg = LabelDialog(None, kind, ids)
        qtbot.addWidget(dlg)
        hint = dlg.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 700 - 40, (kind, hint)
