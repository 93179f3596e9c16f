"""Bench-only: when the shown page first paints, and when each search repaints.

Installed by ``ui.app`` only when the environment variable ``QM_PAINT_CLOCK``
is set (bench/scale.py and bench/search_x.py set it); a normal start never
imports this module. It prints one line per event to standard output:

    painted WALL CPU     the page's first paint with its content (a list's
                         first rows; the Dashboard's layout, figures to come)
    ready WALL CPU       the first paint with everything (the Dashboard's figures)
    key EPOCH TCPU TEXT  a list's search text changed (the keystroke reached Qt)
    search EPOCH TCPU ROWS TEXT  the list's table painted the rows for that text

WALL is seconds since the process started (``QM_BENCH_T0``, the parent's
``time.time()`` when it started this process, else the kernel's start time),
CPU the process's CPU seconds so far, EPOCH ``time.time()``, TCPU the GUI
thread's own CPU seconds so far (what a keystroke cost it, whatever else the
machine was doing). Each moment is
taken just after the paint event that showed it, on the GUI thread.
"""
from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


def _process_start() -> float:
    """This process's start as a ``time.time()`` value."""
    given = os.environ.get("QM_BENCH_T0")
    if given:
        return float(given)
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class PaintClock(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.t0 = _process_start()
        self.said: set[str] = set()
        self._lists: dict[int, tuple] = {}  # id(table viewport) → (list view, last text painted)
        from PySide6.QtWidgets import QApplication
        QApplication.instance().installEventFilter(self)

    def _stamp(self, what: str) -> None:
        if what not in self.said:
            self.said.add(what)
            _say(f"{what} {time.time() - self.t0:.3f} {time.process_time():.3f}")

    def watch_list(self, view) -> None:
        """Log this list's keystrokes and the repaints that show their rows."""
        key = id(view.table.viewport())
        if key in self._lists:
            return
        self._lists[key] = (view, None)
        view.search.textChanged.connect(
            lambda text: _say(f"key {time.time():.4f} {time.thread_time():.4f} {text}"))

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint and isinstance(obj, QWidget):
            self._painting(obj)
        return False

    def _painting(self, obj) -> None:
        page = self.window.current_page()
        if page is None or not (obj is page or page.isAncestorOf(obj)):
            return
        lst = getattr(page, "list", None)
        if lst is not None:
            self.watch_list(lst)
        # What this paint shows is what is true now; the moment is taken when
        # the paint is done (the next turn of the event loop).
        if "painted" not in self.said and self.window.is_painted():
            QTimer.singleShot(0, lambda: self._stamp("painted"))
        if "ready" not in self.said and self.window.is_ready():
            QTimer.singleShot(0, lambda: self._stamp("ready"))
        entry = self._lists.get(id(obj))
        if entry is not None:
            view, last = entry
            model = view.model
            text = model.filters.get("search", "")
            if model.loaded and text != last and (not model.rows or model.row_values(0) is not None):
                self._lists[id(obj)] = (view, text)
                rows = model.rows
                QTimer.singleShot(0, lambda: _say(
                    f"search {time.time():.4f} {time.thread_time():.4f} {rows} {text}"))


def install(window) -> PaintClock:
    return PaintClock(window)
