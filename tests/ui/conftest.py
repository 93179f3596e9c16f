"""What every GUI test needs once: its own QSettings, and message boxes that
never block (recorded, or failing the test)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QToolButton

BOXES = ("warning", "critical", "information")


@pytest.fixture
def isolated_qsettings(tmp_path) -> Path:
    """QSettings (window geometry, last database, column states) in an INI file
    under tmp_path: never the user's own, never another test's."""
    folder = tmp_path / "qsettings"
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    return folder


@pytest.fixture
def recorded_boxes(isolated_qsettings, monkeypatch) -> list[str]:
    """Warning, error and information boxes recorded (their text), not shown;
    a question is answered Yes."""
    shown: list[str] = []
    for name in BOXES:
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: shown.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    return shown


@pytest.fixture
def failing_boxes(isolated_qsettings, monkeypatch) -> None:
    """Any warning, error or information box fails the test."""
    for name in BOXES:
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: pytest.fail(f"message box: {a[1:3]}"))


@pytest.fixture
def open_page(qtbot):
    """Build a page, size it (1280x800 unless told), show it and wait until its
    first load has landed: what every page test's `page` fixture did by hand."""
    def open_(page_class, width: int = 1280, height: int = 800):
        p = page_class()
        qtbot.addWidget(p)
        p.resize(width, height)
        p.show()
        qtbot.waitUntil(p.is_ready)
        return p
    return open_


def toolbar_button(page, text: str) -> QToolButton:
    """The page's tool button whose action reads `text` (the way a user finds it)."""
    return next(b for b in page.findChildren(QToolButton)
                if b.defaultAction() and b.defaultAction().text() == text)
