"""QA walkthrough fixes in the shell and the asset dialogs: the window fits a
small screen, every page has a shortcut, Edit and Help menus, the title names
the app once, the Assets counts follow data changes, the check-out/check-in
dialogs' focus, labels and plurals, and a modal label dialog."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QKeySequence, QScreen
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.app.factories import asset, district

SMALL = QRect(0, 0, 1024, 700)  # a 1024×700 laptop screen


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "qsettings"))
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: pytest.fail(f"message box: {a[1:3]}"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)


@pytest.fixture
def reg(sqlite_db):
    d = district()
    made = [asset(d, tag=f"QM-{n:06d}", name=f"Chromebook {n}", serial=f"SN{n:05d}") for n in range(1, 31)]
    return d, made


@pytest.fixture
def small_screen(monkeypatch):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(SMALL))


def _remember(qtbot, size, pos):
    """A window closed at ``size``/``pos`` (as on a big monitor last time)."""
    from ui.main_window import MainWindow
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    w.resize(*size)
    w.move(*pos)
    w.close()


# --- 1. the window fits the screen it opens on -------------------------------------------

def test_remembered_big_geometry_is_clamped_to_a_small_screen(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (1360, 860), (40, 30))
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    frame = w.frameGeometry()
    assert frame.width() <= SMALL.width() and frame.height() <= SMALL.height()
    assert SMALL.contains(frame), frame


def test_window_left_off_every_screen_is_centred_on_the_primary(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (800, 600), (5000, 4000))
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    frame = w.frameGeometry()
    assert SMALL.contains(frame), frame
    assert abs(frame.center().x() - SMALL.center().x()) <= 2
    assert abs(frame.center().y() - SMALL.center().y()) <= 2


def test_an_asked_size_wins_over_the_remembered_one_and_still_fits(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (1360, 860), (0, 0))
    w = MainWindow(start_page="assets", size=(900, 600))
    qtbot.addWidget(w)
    assert (w.width(), w.height()) == (900, 600)
    big = MainWindow(start_page="assets", size=(1440, 900))
    qtbot.addWidget(big)
    assert SMALL.contains(big.frameGeometry())


def test_title_names_the_app_once(qtbot, reg):
    from ui.main_window import MainWindow
    app = QApplication.instance()
    old = app.applicationDisplayName()
    app.setApplicationDisplayName("Quartermaster")
    try:
        w = MainWindow(start_page="assets")
        qtbot.addWidget(w)
        # What the title bar shows: the platform appends the display name
        # unless the title already is it.
        shown = w.windowTitle()
        if shown != app.applicationDisplayName():
            shown = f"{shown} \u2014 {app.applicationDisplayName()}"
        assert shown.count("Quartermaster") == 1, shown
    finally:
        app.setApplicationDisplayName(old)
