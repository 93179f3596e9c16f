"""Every page, every dialog, every enabled button and action, on a demo
database: clicked once each with message boxes, file, input and print
dialogs answered automatically. Any exception (in a slot, an excepthook, a
job) or any logged traceback fails the test, naming the button."""
from __future__ import annotations

import logging
import sys
import traceback

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractButton, QApplication, QDialog, QFileDialog, QInputDialog,
                               QMenu, QMessageBox, QPushButton, QToolButton, QWidget)

from tests.ui.conftest import settle_jobs

# What a click must not do in a test: leave the window or the database.
SKIP_TEXT = ("quit", "open database", "new database", "restore")


class Trouble(logging.Handler):
    """Collects every logged record that carries a traceback or is an error."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}"
                            + (("\n" + "".join(traceback.format_exception(*record.exc_info)))
                               if record.exc_info else ""))


@pytest.fixture
def demo(sqlite_db):
    import datetime as dt

    from app.demo import build_demo
    build_demo(assets=150, seed=5, today=dt.date(2026, 11, 20))
    return sqlite_db


@pytest.fixture
def answered(tmp_path, monkeypatch, isolated_qsettings):
    """Every modal question answered: message boxes Yes/OK, file dialogs a path
    in tmp_path (open dialogs: cancelled), input dialogs cancelled, print
    dialogs a PDF file, menus closed, QDialog.exec exercised and rejected."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    monkeypatch.setattr("reports.labels.templates.user_dir", lambda: tmp_path / "labels")
    monkeypatch.setattr("app.printers.config_dir", lambda: tmp_path / "labels")
    seen: list[str] = []
    for name in ("warning", "information"):
        monkeypatch.setattr(QMessageBox, name,
                            lambda *a, _n=name, **k: seen.append(f"{_n}: {a[1:3]}") or QMessageBox.Ok)
    # A critical box is how an unexpected error shows: fail on it.
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: pytest.fail(f"error box: {a[1:3]}"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    monkeypatch.setattr(QMessageBox, "about", lambda *a, **k: None)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.Yes)
    counter = iter(range(10_000))

    def save_name(parent=None, caption="", folder="", filters="", *a, **k):
        ext = "pdf"
        for candidate in ("pdf", "xlsx", "csv", "zpl", "zip", "sqlite", "json", "txt"):
            if f"*.{candidate}" in (filters or ""):
                ext = candidate
                break
        return str(tmp_path / f"out{next(counter)}.{ext}"), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([], ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("", False))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (0, False))
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (0.0, False))
    monkeypatch.setattr(QMenu, "exec", lambda *a, **k: None)

    def print_exec(self):
        p = self.printer()
        p.setOutputFormat(QPrinter.PdfFormat)
        p.setOutputFileName(str(tmp_path / f"printed{next(counter)}.pdf"))
        p.setResolution(150)
        return QDialog.Accepted
    monkeypatch.setattr(QPrintDialog, "exec", print_exec)
    return seen


@pytest.fixture
def trouble(monkeypatch):
    handler = Trouble()
    root = logging.getLogger()
    root.addHandler(handler)
    hooked: list[str] = []
    monkeypatch.setattr(sys, "excepthook",
                        lambda t, v, tb: hooked.append("".join(traceback.format_exception(t, v, tb))))
    yield handler.records, hooked
    root.removeHandler(handler)


def _label(obj) -> str:
    text = obj.text() if hasattr(obj, "text") else ""
    return (text or obj.toolTip() or obj.objectName() or type(obj).__name__).replace("&", "")


_settle = settle_jobs


class Clicker:
    """Clicks buttons and triggers actions, exercising any dialog they open."""

    def __init__(self, qtbot, trouble, depth_limit=2):
        self.qtbot = qtbot
        self.records, self.hooked = trouble
        self.depth = 0
        self.depth_limit = depth_limit
        self.clicked: list[str] = []
        self.pressed: set = set()

    def check(self, where: str) -> None:
        problems = self.records + self.hooked
        if problems:
            pytest.fail(f"{where}:\n" + "\n".join(problems))

    def buttons(self, root: QWidget) -> list:
        out = []
        for b in root.findChildren(QAbstractButton):
            if not isinstance(b, (QPushButton, QToolButton)):
                continue
            if b.isVisibleTo(root) and b.isEnabled() and b.window() is root.window():
                out.append(b)
        return out

    def actions(self, root: QWidget) -> list:
        out = []
        for a in root.findChildren(QAction):
            if a.isEnabled() and not a.isSeparator() and not a.menu() and a.text():
                out.append(a)
        return out

    def press(self, thing, where: str) -> None:
        name = _label(thing)
        if any(s in name.lower() for s in SKIP_TEXT):
            return
        self.pressed.add(id(thing))
        self.clicked.append(f"{where} / {name}")
        before = {w for w in QApplication.topLevelWidgets() if w.isVisible()}
        if isinstance(thing, QAction):
            if thing.isCheckable():
                thing.toggle()
            thing.trigger()
        else:
            if not thing.isVisible() or not thing.isEnabled():
                return
            menu = getattr(thing, "menu", lambda: None)()
            if menu is not None:
                # A button that pops up a menu (a page's More) would block here
                # in the menu's own event loop: its entries are pressed instead.
                for act in menu.actions():
                    if act.isEnabled() and not act.isSeparator() and act.text():
                        self.press(act, f"{where} / {name}")
                return
            if thing.isCheckable():
                thing.toggle()
            thing.click()
        _settle(self.qtbot)
        self.check(f"{where} / {name}")
        for w in [w for w in QApplication.topLevelWidgets() if w.isVisible() and w not in before]:
            if isinstance(w, QDialog):
                self.exercise_dialog(w, f"{where} / {name}")
                w.reject()
                w.close()
        _settle(self.qtbot)

    def exercise_dialog(self, dlg: QDialog, where: str) -> None:
        if self.depth >= self.depth_limit:
            return
        self.depth += 1
        try:
            title = dlg.windowTitle() or type(dlg).__name__
            closing = ("close", "cancel", "ok", "save", "done")
            # The other buttons first, while it is open; then the one that
            # accepts it (Close/Cancel are what the test does afterwards).
            for b in self.buttons(dlg):
                if not dlg.isVisible():
                    break
                if b.text().replace("&", "").lower() not in closing:
                    self.press(b, f"{where} > {title}")
            for b in self.buttons(dlg):
                if dlg.isVisible() and b.text().replace("&", "").lower() in ("ok", "save", "done"):
                    self.press(b, f"{where} > {title}")
        finally:
            self.depth -= 1


@pytest.fixture
def exec_exercised(monkeypatch):
    """QDialog.exec shows the dialog, clicks its buttons, then rejects."""
    state = {"clicker": None}

    def exec_(self):
        clicker = state["clicker"]
        self.show()
        QApplication.processEvents()
        if clicker is not None:
            clicker.exercise_dialog(self, "exec")
        self.hide()
        return QDialog.Rejected
    monkeypatch.setattr(QDialog, "exec", exec_)
    return state


def _open_sessions() -> dict:
    """A stocktake, an intake and a distribution day in progress, so their pages show their
    session buttons (the start dialogs are answered by rejecting them)."""
    from app.models import HardwareModel, Location, Site
    from app.services import intake, stocktake
    site = Site.select().order_by(Site.id).first()
    room = Location.select().where(Location.site == site).order_by(Location.id).first()
    model = HardwareModel.select().order_by(HardwareModel.id).first()
    count = stocktake.start(site_id=site.id, location_ids=[room.id])
    receive = intake.start({"model_id": model.id, "order_number": "PO-EVERY", "expected_qty": 3,
                            "location_id": room.id, "label_template": "avery-5160"})
    from app.services import events
    day = events.start("distribution", site.id)
    return {"stocktake": count.id, "intake": receive.id, "events": day.id}


def _every_report(clicker, page, qtbot):
    """Generate each report in the list, then press what Generate enabled."""
    for row in range(page.report_list.count()):
        page.report_list.setCurrentRow(row)
        name = page.report_list.item(row).text()
        clicker.press(page.generate_button, f"reports / {name}")
        qtbot.waitUntil(lambda: page.pdf is not None and page.print_button.isEnabled(),
                        timeout=30_000)
        for b in [page.print_button, *page.save_buttons.values()]:
            if b.isEnabled():
                clicker.press(b, f"reports / {name}")


def test_every_page_dialog_button_and_action(qtbot, demo, answered, trouble, exec_exercised):
    from ui.main_window import MainWindow
    sessions = _open_sessions()
    w = MainWindow(start_page="dashboard", size=(1280, 800))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(w.is_ready, timeout=20_000)
    clicker = Clicker(qtbot, trouble)
    exec_exercised["clicker"] = clicker
    keys = [s.key for s in w.specs]
    for key in keys:
        page = w.show_page(key)
        assert page is not None, key
        if key in sessions:
            page.open_session(sessions[key])
        qtbot.waitUntil(lambda p=page: not hasattr(p, "is_ready") or p.is_ready(), timeout=20_000)
        _settle(qtbot)
        # A selected row enables the per-row buttons.
        for view in page.findChildren(QWidget):
            if hasattr(view, "selectRow") and view.isVisibleTo(page):
                model = view.model()
                if model is not None and model.rowCount() > 0:
                    view.selectRow(0)
        # Pressing one thing enables others (Generate enables Print…): go
        # round again until nothing new is enabled.
        for _round in range(3):
            todo = [t for t in clicker.buttons(page) + clicker.actions(page)
                    if id(t) not in clicker.pressed]
            if not todo:
                break
            for thing in todo:
                if w.current_page() is not page:
                    w.show_page(key)
                clicker.press(thing, key)
        if key == "reports":
            _every_report(clicker, page, qtbot)
    # The window's own toolbar and menu actions, from the Assets page.
    w.show_page("assets")
    _settle(qtbot)
    for thing in clicker.actions(w):
        if thing.parent() is w or isinstance(thing.parent(), (QMenu,)) or thing in w.findChildren(QAction):
            clicker.press(thing, "window")
    clicker.check("end")
    assert len(clicker.clicked) > 100, clicker.clicked
