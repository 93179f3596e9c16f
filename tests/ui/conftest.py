"""What every GUI test needs once: its own QSettings, and message boxes that
never block (recorded, or failing the test)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QToolButton

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
        # A list paints its first rows before its counts ("2 of …"), which a
        # worker thread brings: a test reads the page once they are in.
        model = getattr(getattr(p, "list", None), "model", None)
        if model is not None and hasattr(model, "counted"):
            qtbot.waitUntil(lambda: model.counted and model.total is not None)
        return p
    return open_


def toolbar_button(page, text: str) -> QToolButton:
    """The page's tool button whose action reads `text` (the way a user finds it)."""
    return next(b for b in page.findChildren(QToolButton)
                if b.defaultAction() and b.defaultAction().text() == text)


def settle_jobs(qtbot, timeout: int = 30_000) -> None:
    """Every background job finished and its result delivered to the widgets."""
    from ui.jobs import _running, wait_for_jobs
    wait_for_jobs()
    qtbot.waitUntil(lambda: not _running, timeout=timeout)
    QApplication.processEvents()


def decode_label_cells(pdf_path, template, dpi: int = 300) -> dict[int, list[str]]:
    """The first page of a label PDF read back: the barcodes zxing-cpp decodes
    in each cell of the template, by cell number (empty cells left out)."""
    import pypdfium2 as pdfium
    import zxingcpp
    page = pdfium.PdfDocument(str(pdf_path))[0].render(scale=dpi / 72).to_pil()
    out = {}
    for cell in range(template.per_page):
        x, y, w, h = template.cell_mm(cell)
        crop = page.crop(tuple(int(v / 25.4 * dpi) for v in (x, y, x + w, y + h)))
        found = [r.text for r in zxingcpp.read_barcodes(crop)]
        if found:
            out[cell] = found
    return out


def shown_window(qtbot, timeout: int = 5_000, **kwargs):
    """The main window (``MainWindow(**kwargs)``, e.g. start_page="people"),
    shown, its page loaded."""
    from ui.main_window import MainWindow
    w = MainWindow(**kwargs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(w.is_ready, timeout=timeout)
    return w
