"""What every service shares: the one-transaction wrapper, who is acting,
and turning storage failures into readable errors."""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import getpass
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import peewee as pw

from app.services.errors import Conflict, NotFound, PermissionDenied, StorageError, ValidationError
from app.store import changes, constraints
from app.store.db import BaseModel, db

_M = TypeVar("_M", bound=BaseModel)


try:
    import psycopg2
    _DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg2.DatabaseError,
                                                   psycopg2.InterfaceError)
    _DRIVER_INTEGRITY: tuple[type[Exception], ...] = (psycopg2.IntegrityError,)
    _DRIVER_DATA: tuple[type[Exception], ...] = (psycopg2.DataError,)
except ImportError:  # SQLite only
    _DRIVER_ERRORS = _DRIVER_INTEGRITY = _DRIVER_DATA = ()

# What transaction() turns into readable refusals, from peewee and the drivers.
_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (pw.IntegrityError, sqlite3.IntegrityError,
                                                  *_DRIVER_INTEGRITY)
_DATA_ERRORS: tuple[type[Exception], ...] = (pw.DataError, *_DRIVER_DATA)
_STORAGE_ERRORS: tuple[type[Exception], ...] = (pw.DatabaseError, pw.InterfaceError,
                                                sqlite3.DatabaseError, *_DRIVER_ERRORS, OSError)


INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE: a privilege or row-level-security refusal


def fetch(model: type[_M], obj_id: int, missing: str) -> _M:
    """The row with this id, or NotFound saying ``missing`` (``{id}`` is
    replaced by the id asked for): the one way a service reads a record by id."""
    obj = model.get_or_none(model.id == obj_id)
    if obj is None:
        raise NotFound(missing.format(id=obj_id))
    return obj


def fetch_numbered(model: type[_M], number: int | str, noun: str) -> _M:
    """A record people quote by number (\"#12\" or \"12\": a fee, a work order),
    or NotFound naming the number, or what was typed when it is no number."""
    try:
        n = int(str(number).strip().lstrip("#"))
    except ValueError:
        raise NotFound(f"{str(number).strip()!r} is not a {noun} number.") from None
    return fetch(model, n, f"No {noun} #{{id}}.")


def current_user() -> str:
    """Who history records. On PostgreSQL the login connected (the server
    writes it into history whatever the app says, so ``--user`` and
    ``QM_USER`` change nothing there); on SQLite ``QM_USER`` if set, else the
    OS account."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        return session_user()
    name = os.environ.get("QM_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def who(by: str | None) -> str:
    if isinstance(db.obj, pw.PostgresqlDatabase):
        return session_user()  # the server records the login; a name given is not believed
    return by or current_user()


# A search is what a person types or scans: a tag, a serial, a few words. Far
# longer text (a whole file pasted into a search box) is refused with a
# message, on both engines: SQLite gives up on a LIKE pattern over 50,000
# characters ("pattern too complex"), and PostgreSQL would scan every row with it.
MAX_SEARCH_CHARS = 1_000


def search_text(text: str | None) -> str:
    """``text`` as given, or ValidationError when it is longer than a search can be."""
    text = text or ""
    if len(text) > MAX_SEARCH_CHARS:
        raise ValidationError(f"The search text is too long ({len(text):,} characters; at most "
                              f"{MAX_SEARCH_CHARS:,}). Search for part of it: a tag, a serial "
                              "number or a name.", field="search")
    return text
def session_user() -> str:
    """The PostgreSQL login of this connection (asked once per database)."""
    database = db.obj
    name: str | None = getattr(database, "qm_session_user", None)
    if name is None:
        name = str(database.execute_sql("SELECT session_user").fetchone()[0])
        database.qm_session_user = name
    return name


_Q = TypeVar("_Q", bound=pw.Select)


def locked(query: _Q, share: bool = False) -> _Q:
    """``query`` reading rows this transaction is about to change, holding
    their row locks on PostgreSQL (SELECT … FOR UPDATE), so a second
    workstation waits and then reads what the first wrote; READ COMMITTED
    alone would let both read "free". SQLite's transactions take the write
    lock up front (``QMSqliteDatabase.begin``), so the plain query is enough."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        if share:
            # peewee takes the lock clause as text too; its stubs allow only a bool.
            return query.for_update("FOR SHARE")  # type: ignore[arg-type]
        return query.for_update(True)
    return query


def _pgcode(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error, looking through peewee's wrapping."""
    seen = 0
    while exc is not None and seen < 6:
        code = getattr(exc, "pgcode", None)
        if code:
            return str(code)
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


def privilege_message(exc: BaseException) -> str:
    """What a refusal by the server's privileges means, for the person at the desk."""
    try:
        user = session_user()
    except Exception:  # noqa: BLE001 - the connection may be gone; the sentence still helps
        user = "this login"
    role = ""
    with contextlib.suppress(Exception):
        from app.services import team
        role = team.current().role_label
    as_whom = f"{user} ({role})" if role else user
    detail = _first_line(exc).replace("permission denied for ", "no permission on ")
    if "qm_product_key" in detail or "product_key" in detail:
        return (f"Product keys are readable only by the roles given them at `team init` "
                f"(admin unless chosen otherwise); the server refused {as_whom}.")
    return (f"The database server refused this for {as_whom}: {detail}. Nothing was saved. "
            "An admin can change your role (`quartermaster team set-role`).")


def storage_message(exc: Exception) -> str | None:
    from app.store.guard import DatabaseReplaced
    if isinstance(exc, DatabaseReplaced):
        return str(exc)
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text or "no space" in text:
        return ("The disk is full: nothing from this action was saved. Free some space "
                "(or move the database) and try again; everything saved before is intact.")
    if "disk i/o error" in text or "input/output error" in text:
        return ("The disk could not be written (an I/O error): nothing from this action was "
                "saved. Check the disk or network share and try again; everything saved "
                "before is intact.")
    if "readonly" in text or "read-only" in text or "permission denied" in text:
        return ("The database is read-only here (folder or file permissions, or a "
                "read-only share): nothing from this action was saved.")
    if "malformed" in text or "not a database" in text:
        return ("The database file is damaged: nothing from this action was saved. Restore "
                "the newest good backup (Settings → Backups, or `quartermaster restore FILE`).")
    if "database is locked" in text or "busy" in text:
        holders = getattr(exc, "qm_holders", "")
        if holders:
            return (f"The database stayed busy for too long: Quartermaster on {holders}. "
                    "Nothing from this action was saved; try again when that is done.")
        return ("Another Quartermaster kept the database busy for too long: nothing from "
                "this action was saved. Try again in a moment.")
    if "could not connect" in text or "server closed the connection" in text \
            or "connection already closed" in text or "terminating connection" in text:
        return ("The connection to the database server was lost: nothing from this action "
                "was saved. Check the network and try again.")
    return None


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """One write transaction; storage failures become StorageError, and a
    unique-constraint violation that validation missed becomes Conflict."""
    nested = db.in_transaction()
    try:
        with db.atomic():
            yield
        if not db.in_transaction():
            changes.note_write()  # committed: tell the other workstations (PostgreSQL)
    except _INTEGRITY_ERRORS as exc:
        rule = constraints.message_for(str(exc))
        if rule:  # a rule the database keeps (another workstation got there first)
            raise Conflict(rule) from exc
        raise Conflict(f"That would duplicate an existing record ({_first_line(exc)}).") from exc
    except _DATA_ERRORS as exc:
        # A value the validation let through but the column refuses (PostgreSQL
        # enforces VARCHAR lengths; SQLite does not): a readable refusal, not a crash.
        raise ValidationError(f"A value is too long or not valid for the database "
                              f"({_first_line(exc)}); nothing from this action was saved.") from exc
    except _STORAGE_ERRORS as exc:
        if _pgcode(exc) == INSUFFICIENT_PRIVILEGE:
            raise PermissionDenied(privilege_message(exc)) from exc
        # Raw driver errors too: the bulk paths and the search index use the cursor directly.
        msg = storage_message(exc)
        if msg and nested:
            # Inside a larger action (an import's row, a stocktake's creation) a
            # full disk is no refusal of that one row: the whole action fails,
            # and the outermost transaction says so.
            raise
        if msg:
            raise StorageError(msg) from exc
        raise


_P = ParamSpec("_P")
_R = TypeVar("_R")


def writes(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator: run a service function inside ``transaction()``."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transaction():
            return func(*args, **kwargs)

    return wrapper


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [exc.__class__.__name__])[0]


def fmt(value: object) -> str | None:
    """How a value is written into history (old/new columns)."""
    if value is None:
        return None
    if isinstance(value, pw.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
