"""Running a change from the GUI, the one way (after Anki's CollectionOp / OpChanges).

    run_op(self, lambda: assets.check_out(ids, person, due=due),
           changes=Changes.ASSETS | Changes.LOANS,
           success=lambda loan: self.banner.ok("Checked out"))

``run_op`` calls the service (in the background worker of ``ui.jobs`` when
``slow=True``), shows a refusal (``DomainError``) where the page shows its
errors, and, when the call succeeded, announces the typed set of what changed
on ``bus.data_changed``. Pages say which changes they care about
(``CHANGES = Changes.ASSETS | …``) and refresh from that set; the main window
marks the other pages stale from the same set.

Where a refusal is shown: the nearest widget from ``parent`` up to its
window that has ``show_op_error(exc) -> bool`` (an inline banner or a field's
message; returning False declines), else a message box. Anything other than a
``DomainError`` (or ``OSError`` from a file the call writes, shown as a
``StorageError``) is a bug: it is not caught here and reaches the GUI
excepthook (``ui.crash``), which logs it and says what to report.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from app.services.errors import DomainError, StorageError


class Changes(enum.Flag):
    """What an operation changed. Combine with ``|``; test with ``&``."""

    NONE = 0
    ASSETS = enum.auto()
    PEOPLE = enum.auto()
    LOCATIONS = enum.auto()   # sites and rooms
    LICENSES = enum.auto()    # licenses and their seats
    SUPPLIES = enum.auto()    # consumables and their stock
    LOANS = enum.auto()
    REPAIRS = enum.auto()
    STOCKTAKE = enum.auto()
    INTAKE = enum.auto()
    CATALOG = enum.auto()     # makers, models, categories, suppliers
    SETTINGS = enum.auto()
    WORKORDERS = enum.auto()  # work orders and their notes
    MEDIA = enum.auto()       # backup cartridges
    # Anything at all (a restore, an import, another workstation's change).
    ALL = (ASSETS | PEOPLE | LOCATIONS | LICENSES | SUPPLIES | LOANS | REPAIRS | STOCKTAKE
           | INTAKE | CATALOG | SETTINGS | WORKORDERS
           | MEDIA)


def announce(changes: Changes) -> None:
    """Tell every page what changed (after a write made outside ``run_op``,
    e.g. a background job or another workstation)."""
    if changes:
        from ui.bus import bus
        bus.data_changed.emit(changes)


def show_op_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """Show a refusal where ``parent``'s page shows errors: its inline
    ``show_op_error`` if it has one (looked for up to its window), else a
    message box."""
    w = parent
    while w is not None:
        inline = getattr(w, "show_op_error", None)
        if callable(inline) and inline(exc):
            return
        if w.isWindow():
            break
        w = w.parentWidget()
    from ui.jobs import show_error
    show_error(parent, title, exc)


def run_op(parent: QWidget | None, fn: Callable[..., Any], *, changes: Changes,
           success: Callable[[Any], None] | None = None,
           failure: Callable[[DomainError], None] | None = None,
           on_error: Callable[[DomainError], None] | None = None,
           slow: bool = False, progress: bool = False, cancellable: bool = False,
           title: str = "") -> bool | None:
    """Run ``fn()`` (a service call), announce ``changes`` when it succeeds and
    then call ``success(result)``. A ``DomainError`` is shown (see
    ``show_op_error``) and ``failure(exc)`` is called after, if given.
    ``on_error(exc)``: shows the refusal instead (a spot the page keeps for
    this operation's errors, e.g. a scan's verdict banner).

    Synchronous (the default): True when it succeeded, False when refused.
    ``slow=True``: runs in the job thread with a progress dialog and returns
    None; the callbacks run on the GUI thread when it ends. ``progress=True``
    (slow only): ``fn`` takes the job's ``Progress`` to report to and, with
    ``cancellable=True``, to check for Cancel."""
    if not isinstance(changes, Changes):
        raise TypeError(f"changes must be Changes, not {type(changes).__name__}")
    title = title or _title_of(parent)

    def refused(exc: DomainError) -> None:
        if on_error is not None:
            on_error(exc)
        else:
            show_op_error(parent, title, exc)
        if failure is not None:
            failure(exc)

    def done(result: Any) -> None:
        announce(changes)
        if success is not None:
            success(result)

    if slow:
        from ui.jobs import run_job

        def job_failed(exc: BaseException) -> None:
            if isinstance(exc, (DomainError, OSError)):
                refused(_readable(exc))
            else:  # a bug in the worker: the excepthook's dialog and the log
                from ui import crash
                crash.report(type(exc), exc, exc.__traceback__)

        work = fn if progress else (lambda _progress: fn())
        run_job(parent, title or "Working", work, on_done=done, on_error=job_failed,
                cancellable=cancellable)
        return None
    try:
        result = fn()
    except (DomainError, OSError) as exc:
        refused(_readable(exc))
        return False
    done(result)
    return True


def lookup(fn: Callable[[], Any], default: Any = None) -> Any:
    """A read-only lookup whose refusal is an answer, not something to show
    ("is this code a person?" — no): ``fn()``, or ``default`` on a
    DomainError. Anything else still reaches the excepthook."""
    try:
        return fn()
    except DomainError:
        return default


def _readable(exc: BaseException) -> DomainError:
    """A file the operation writes could not be written (disk full, no
    permission): a refusal like any other, said in words."""
    if isinstance(exc, DomainError):
        return exc
    what = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    where = getattr(exc, "filename", None)
    err = StorageError(f"{what}: {where}" if where else what)
    err.__cause__ = exc
    return err


def _title_of(parent: QWidget | None) -> str:
    """A dialog's own title; a page's is the database name, so not that."""
    from PySide6.QtWidgets import QDialog
    window = parent.window() if parent is not None else None
    if isinstance(window, QDialog) and window.windowTitle():
        return window.windowTitle()
    return "Quartermaster"
