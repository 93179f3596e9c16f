"""The GUI's excepthook: an unexpected exception — in a slot, a timer, a
background job — is written to the log file and shown in a dialog that says
what to report (a short message, where the log is, the details to copy), and
the window keeps working.

Installed once by ``ui.app.run_gui`` (``install()``). A refusal a service
makes (``DomainError``) never comes here: ``ui.ops.run_op`` shows those.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
import traceback
from pathlib import Path

log = logging.getLogger("quartermaster.crash")

_showing = False  # a dialog is up: a second failure is logged, not stacked
_recent: dict[str, float] = {}  # traceback → when last shown (a failing timer repeats)
REPEAT_QUIET_S = 30.0
last_report: dict | None = None  # what the last dialog said (tests read it)


def log_path() -> Path:
    """The user log file the details go to (the CLI's crash log, too)."""
    from platformdirs import user_log_dir
    return Path(user_log_dir("Quartermaster", appauthor=False)) / "quartermaster.log"


def _write_log(details: str) -> str:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} "
                    f"unexpected error in the desktop app\n{details}\n")
        try:
            path.chmod(0o600)
        except OSError:
            pass
        return str(path)
    except OSError:
        return "(the log file could not be written)"


def report(exc_type, exc, tb) -> None:
    """Log the exception and, on the GUI thread, show what to report."""
    from app.store.secrets import redact
    # A password in a database URL must not reach the log or the dialog.
    details = redact("".join(traceback.format_exception(exc_type, exc, tb)))
    log.error("unexpected error:\n%s", details)
    where = _write_log(details)
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        if app is not None:  # a Python thread: show it from the GUI thread
            from PySide6.QtCore import QTimer
            QTimer.singleShot(0, app, lambda: _show(exc_type, exc, details, where))
        return
    _show(exc_type, exc, details, where)


def _show(exc_type, exc, details: str, where: str) -> None:
    global _showing, last_report
    now = time.monotonic()
    if _showing or now - _recent.get(details, -REPEAT_QUIET_S) < REPEAT_QUIET_S:
        return
    _recent[details] = now
    from app.store.secrets import redact
    short = f"{exc_type.__name__}: {redact(str(exc))}" if str(exc) else exc_type.__name__
    text = ("Something went wrong inside Quartermaster. What you were doing may not have "
            "finished; your data is as the last successful step left it, and you can carry on.")
    info = (f"Please report this to whoever looks after Quartermaster, with what you were "
            f"doing just before and the details below.\n\n{short}\n\nThe log file: {where}")
    last_report = {"text": text, "info": info, "details": details, "log": where}
    from PySide6.QtWidgets import QApplication, QMessageBox
    _showing = True
    try:
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", text,
                          QMessageBox.StandardButton.Ok, QApplication.activeWindow())
        box.setObjectName("crash-dialog")
        box.setInformativeText(info)
        box.setDetailedText(details)  # a read-only box that can be selected and copied
        box.exec()
    except Exception:
        log.exception("the error dialog failed")
    finally:
        _showing = False


def _hook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    try:
        report(exc_type, exc, tb)
    except Exception:  # noqa: BLE001 - fall back to the interpreter's printout
        sys.__excepthook__(exc_type, exc, tb)


def _thread_hook(args) -> None:
    if args.exc_type is SystemExit:
        return
    _hook(args.exc_type, args.exc_value, args.exc_traceback)


def install() -> None:
    """Route uncaught exceptions (GUI thread and Python threads) here."""
    sys.excepthook = _hook
    threading.excepthook = _thread_hook


def installed() -> bool:
    return sys.excepthook is _hook
