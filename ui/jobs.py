"""Long work off the GUI thread: one background worker at a time per job,
progress and Cancel in a dialog, results and errors back on the GUI thread.

    from ui.jobs import run_job
    def work(progress):                    # runs in the worker thread
        for i, row in enumerate(rows):
            if progress.cancelled: return None
            progress.update(i, len(rows), "Importing…")
        return result
    run_job(parent, "Importing", work, on_done=lambda result: ..., on_error=None)

The worker gets its own database connection (peewee connections are per
thread) and closes it when done. Never touch widgets from ``work``.
Domain errors reach ``on_error`` (default: a message box) as the exception.
"""
from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QThread, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget


class Progress:
    """Handed to the work function: report progress, check for Cancel."""

    def __init__(self, signal):
        self._signal = signal
        self._cancel = threading.Event()

    def update(self, done: int, total: int = 0, text: str = "") -> None:
        self._signal.emit(int(done), int(total), str(text))

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Worker(QThread):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object, str)

    def __init__(self, fn, parent=None, title: str = ""):
        super().__init__(parent)
        self.fn = fn
        self.title = title
        self.progress = Progress(self.progressed)

    def run(self):
        import contextlib

        from app.store import instances
        from app.store.db import worker_connection
        # Other workstations waiting for the write lock are told what this is.
        doing = instances.doing(self.title[:1].lower() + self.title[1:]) if self.title \
            else contextlib.nullcontext()
        try:
            with worker_connection(), doing:
                result = self.fn(self.progress)
            self.succeeded.emit(result)
        except BaseException as exc:  # noqa: BLE001 - reported on the GUI thread
            self.failed.emit(exc, traceback.format_exc())


_running: set = set()


def run_job(parent: QWidget | None, title: str, fn: Callable[[Progress], object],
            on_done: Callable[[object], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            cancellable: bool = True, show_after_ms: int = 200) -> _Worker:
    """Start ``fn(progress)`` in a worker thread. A progress dialog appears if
    the work takes longer than ``show_after_ms``."""
    worker = _Worker(fn, title=title)
    dialog = QProgressDialog(title, "Cancel" if cancellable else None, 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(show_after_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.canceled.connect(worker.progress.cancel)

    def on_progress(done, total, text):
        if total:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
        if text:
            dialog.setLabelText(text)

    def finish() -> bool:
        """False when the window the job was for has closed meanwhile (its
        dialog went with it): then nobody is left to show the result to."""
        _running.discard(worker)
        if not shiboken6.isValid(dialog):
            return False
        dialog.reset()
        dialog.hide()
        dialog.deleteLater()
        return True

    def ok(result):
        if finish() and on_done:
            on_done(result)

    def bad(exc, tb):
        if not finish():
            return
        if on_error:
            on_error(exc)
        else:
            show_error(parent, title, exc, tb)

    worker.progressed.connect(on_progress)
    worker.succeeded.connect(ok)
    worker.failed.connect(bad)
    worker.finished.connect(worker.deleteLater)
    _running.add(worker)
    worker.start()
    return worker


def run_quietly(owner: QWidget, fn: Callable[[], object], on_done: Callable[[object], None],
                title: str = "") -> _Worker:
    """Start ``fn()`` in a worker thread (its own connection) with no dialog: for
    figures a page fills in after its first paint. ``on_done(result)`` runs on
    the GUI thread while ``owner`` still exists; an error goes to the GUI's
    excepthook, as any bug does."""
    worker = _Worker(lambda _progress: fn(), title=title)

    def ok(result):
        _running.discard(worker)
        if shiboken6.isValid(owner):
            on_done(result)

    def bad(exc, tb):
        _running.discard(worker)
        if shiboken6.isValid(owner):
            show_error(owner, title or "Error", exc, tb)

    worker.succeeded.connect(ok)
    worker.failed.connect(bad)
    worker.finished.connect(worker.deleteLater)
    _running.add(worker)
    worker.start()
    return worker


def show_error(parent, title: str, exc: BaseException, tb: str = "") -> None:
    """A readable message for a domain error; a short note for anything else."""
    from app.services.errors import DomainError
    from app.store.db import DatabaseOpenError
    from app.store.secrets import redact
    if isinstance(exc, (DomainError, DatabaseOpenError)):
        QMessageBox.warning(parent, title, redact(str(exc)))
    else:  # a bug: logged, and the excepthook's dialog says what to report
        from ui import crash
        crash.report(type(exc), exc, exc.__traceback__)


def wait_for_jobs(timeout_ms: int = 30_000) -> None:
    """Block until running jobs end (tests and shutdown)."""
    for worker in list(_running):
        worker.wait(timeout_ms)
