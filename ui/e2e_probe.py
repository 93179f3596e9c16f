"""Test-only: lets the end-to-end suite (tests/e2e/) see inside the running app.

Installed by ``ui.app`` only when the environment variable ``QM_E2E_STATE``
names a file; a normal start never imports this module. Every 100 ms the
probe writes (when it changed) a small JSON of what a scan must not disturb
and what it did: the page shown, the focused widget's value, current row and
selection, the page's filters, the open windows and message box, the last
feedback, and every code the scanner filter recognised.

The test drives the app with real X key events (xdotool); the only thing it
asks of the probe besides reading is where to put the focus before it types:
it writes ``page KEY``, ``reset KEY`` (the page with its filters cleared) or
``focus OBJECT_NAME [ROW]`` lines to
``$QM_E2E_STATE.cmd``, which the probe reads and deletes.
"""
from __future__ import annotations

import json
import os

from PySide6.QtCore import QDate, QObject, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

_INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit, QAbstractItemView,
           QCheckBox)


def widget_state(w: QWidget | None) -> dict | None:
    """What a keystroke could change in a widget."""
    if w is None:
        return None
    out: dict = {"class": type(w).__name__, "name": w.objectName()}
    if isinstance(w, QComboBox):
        out.update(index=w.currentIndex(), text=w.currentText())
        line = w.lineEdit() if w.isEditable() else None
        if line is not None:
            out["edit"] = line.text()
    elif isinstance(w, QDateEdit):
        out.update(value=w.date().toString("yyyy-MM-dd"), text=w.text())
    elif isinstance(w, QLineEdit):
        out.update(text=w.text(), cursor=w.cursorPosition(), selection=w.selectedText())
    elif isinstance(w, QAbstractSpinBox):
        out.update(text=w.text())
    elif isinstance(w, (QPlainTextEdit, QTextEdit)):
        out.update(text=w.toPlainText())
    elif isinstance(w, QAbstractButton):
        out.update(checked=w.isChecked(), text=w.text())
    elif isinstance(w, QAbstractItemView):
        cur = w.currentIndex()
        sel = w.selectionModel()
        out.update(row=cur.row() if cur.isValid() else -1,
                   selected=sorted({i.row() for i in sel.selectedIndexes()}) if sel else [],
                   editing=w.state() == QAbstractItemView.State.EditingState)
    return out


def _filters(page: QWidget | None) -> dict:
    """Every filter-like control of a page, by object name."""
    out: dict = {}
    if page is None:
        return out
    for w in page.findChildren(QWidget):
        name = w.objectName()
        if not name or not w.isVisibleTo(page):
            continue
        if name.startswith("filter-") or name.endswith("-search") or name in (
                "scan-gives-seats", "counts"):
            state = widget_state(w)
            if isinstance(w, QLabel):
                state = {"text": w.text()}
            out[name] = state
    return out


def _current_id(page) -> int | None:
    """The record the page has selected (its list's current row, or its own)."""
    for owner in (getattr(page, "list", None), page):
        fn = getattr(owner, "current_id", None)
        if callable(fn):
            try:
                return fn()
            except Exception:  # noqa: BLE001 - a page mid-refresh
                return None
    return None


class Probe(QObject):
    def __init__(self, window, path: str):
        super().__init__(window)
        self.window = window
        self.path = path
        self.announced: list[str] = []
        self._last = ""
        # The filter's own signal: bus.scanned's first slot may open a modal
        # dialog (its own event loop) before a later slot would hear of the scan.
        from ui.scanner import current_filter
        filt = current_filter()
        self.runs: list[dict] = []  # the filter's judgement of every run (diagnosis)
        if filt is not None:
            filt.scanned.connect(self.announced.append)
            filt.observed.connect(lambda run: self.runs.append(
                {k: run[k] for k in ("kind", "raw", "terminator", "reason")}
                | {"gaps": [round(g) for g in run["gaps"]]}))
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        self._commands()
        text = json.dumps(self.state(), sort_keys=True, default=str)
        if text != self._last:
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
            self._last = text

    def state(self) -> dict:
        from ui import feedback
        win = self.window
        page = win.current_page()
        modal = QApplication.activeModalWidget()
        box = modal if isinstance(modal, QMessageBox) else None
        tops = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle()]
        active = QApplication.activeWindow()
        popup = QApplication.activePopupWidget()
        return {
            "page": win.current_key() if page is not None else None,
            "focus": widget_state(QApplication.focusWidget()),
            "filters": _filters(page),
            "current_id": _current_id(page),
            "modal": None if modal is None else {
                "title": modal.windowTitle(), "name": modal.objectName(),
                "text": box.text() if box is not None else "",
                "widgets": {w.objectName(): widget_state(w) for w in modal.findChildren(QWidget)
                            if isinstance(w, _INPUTS) and w.objectName()
                            and not w.objectName().startswith("qt_")},
                "labels": {w.objectName(): w.text() for w in modal.findChildren(QLabel)
                           if w.objectName() and not w.objectName().startswith("qt_")}},
            "windows": sorted(w.windowTitle() for w in tops),
            "active": active.windowTitle() if active is not None else None,
            "popup": type(popup).__name__ if popup is not None else None,
            "feedback": list(feedback.last_feedback or ()),
            "status": win.statusBar().currentMessage(),
            "announced": list(self.announced),
            "runs": self.runs[-3:],
            "today": QDate.currentDate().toString("yyyy-MM-dd"),
        }

    def _commands(self) -> None:
        cmd_path = self.path + ".cmd"
        try:
            with open(cmd_path, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
            os.remove(cmd_path)
        except OSError:
            return
        for line in lines:
            verb, _, rest = line.partition(" ")
            if verb in ("page", "reset"):
                page = self.window.show_page(rest.strip())
                if verb == "reset" and hasattr(page, "clear_filters") and hasattr(page, "list"):
                    page.clear_filters()
                    page.list.search.clear()
                    page.apply_filters({})
            elif verb == "focus":
                name, _, row = rest.partition(" ")
                top = QApplication.activeModalWidget() or self.window
                w = top.findChild(QWidget, name)
                if w is None:
                    continue
                w.window().activateWindow()
                w.setFocus()
                if row and isinstance(w, QAbstractItemView):
                    w.setCurrentIndex(w.model().index(int(row), 0))


def install(window) -> Probe | None:
    path = os.environ.get("QM_E2E_STATE")
    return Probe(window, path) if path else None
