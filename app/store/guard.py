"""Guards around every write on SQLite: the transaction is still there, and
the file is still the one this process opened.

- SQLite ends a transaction by itself on SQLITE_FULL, an I/O error or an
  interrupt; a later statement would run in autocommit and be saved at once
  while the action goes on to fail. ``QMConnection`` carries a lock that the
  threads sharing a connection (the bulk writer) take around each write, and
  ``guarded`` refuses a write whose transaction is gone.
- A restore writes a new generation into the file (``PRAGMA user_version``)
  or, for a damaged file, puts another file at its path. Each connection
  remembers (device, inode, generation) when it connects; ``db.begin`` checks
  them inside the write lock, so a process never writes into a copy that was
  restored away (``DatabaseReplaced``, with who restored it and when).
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import peewee as pw


class DatabaseReplaced(pw.OperationalError):
    """The database file was restored (replaced) under this process: it stops
    writing rather than write into a file nobody will see again."""


def file_identity(path: str, conn: sqlite3.Connection | None = None) -> tuple[int, int, int | None] | None:
    """(device, inode, generation) of the file at ``path``; the generation is
    ``PRAGMA user_version`` as ``conn`` reads it, which a restore changes."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    generation = None
    if conn is not None:
        with contextlib.suppress(sqlite3.Error):
            generation = conn.execute("PRAGMA user_version").fetchone()[0]
    return (st.st_dev, st.st_ino, generation)


def file_replaced(database: pw.Database | None = None) -> bool:
    """Whether the SQLite file this process has open was restored under it
    (another inode at its path, or a new generation): time to re-open."""
    from app.store.db import db
    database = database or db.obj
    if not isinstance(database, pw.SqliteDatabase) or database.is_closed():
        return False
    conn = database.connection()
    expected = getattr(conn, "qm_identity", None)
    return expected is not None and file_identity(database.database, conn) != expected


def replaced_message(path: str) -> str:
    from app.store import instances
    note = instances.last_restore(Path(path)) or {}
    by = ""
    if note:
        by = (f" by {note.get('user', '?')} on {note.get('workstation', '?')} at "
              f"{str(note.get('at', '')).replace('T', ' ')}")
    return (f"The database {Path(path).name} was restored from a backup{by}; this program "
            "stopped writing to it so that nothing goes into the replaced copy. Nothing from "
            "this action was saved: close and re-open Quartermaster to work on the restored data.")


def who_is_busy(path: str) -> str:
    """Who else has the file open and what they are doing, for a lock-wait message."""
    from app.store import instances
    with contextlib.suppress(Exception):
        infos = instances.others(Path(path))
        busy = [i for i in infos if i.get("activity")] or infos
        return instances.describe_all(busy)
    return ""


class QMConnection(sqlite3.Connection):
    """A sqlite3 connection that knows when its transaction ended behind the
    caller's back.

    On SQLITE_FULL, an I/O error or an interrupt SQLite rolls the whole
    transaction back by itself; the next statement would then run in
    autocommit and be saved at once, although the action goes on to fail
    and says "nothing was saved". ``lock`` serialises the statements of the
    threads that share this connection (the bulk writer), so each one can
    first check that the transaction it belongs to is still there (see
    ``guarded``); ``lost`` keeps what ended it, for the message.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qm_lock = threading.RLock()
        # The text only: an exception's traceback holds cursors, and a cursor
        # alive keeps the file open after close (sqlite3_close_v2).
        self.qm_lost: str | None = None


def lost_transaction_error(conn: object) -> pw.OperationalError:
    text = getattr(conn, "qm_lost", None) or "an earlier statement failed"
    return pw.OperationalError(f"{text} (SQLite rolled the transaction back; nothing from "
                               "this action was saved)")


def transaction_lost(database: pw.Database | None = None) -> bool:
    """True when the caller is inside ``atomic()`` but SQLite has already
    rolled the transaction back (cleanup then has nothing to undo)."""
    from app.store.db import db
    database = database or db.obj
    if not isinstance(database, pw.SqliteDatabase) or database.is_closed():
        return False
    return database.in_transaction() and not database.connection().in_transaction


class guarded:
    """Around a write on ``conn`` by code that believes it is inside a
    transaction (``in_transaction``): refuse when SQLite has already rolled
    that transaction back, and remember what made it do so. (A class, not a
    generator: a generator's frame caught in the traceback would keep the
    write's cursor, and so the file, open after the connection is closed.)"""

    __slots__ = ("conn", "in_transaction", "lock")

    # ``conn``: a DB-API connection, a QMConnection on SQLite or psycopg2's.
    def __init__(self, conn: Any, in_transaction: bool) -> None:
        self.conn = conn
        self.lock = getattr(conn, "qm_lock", None)  # None: PostgreSQL, whose errors abort the transaction
        self.in_transaction = in_transaction

    def __enter__(self) -> guarded:
        if self.lock is None:
            return self
        self.lock.acquire()
        if self.in_transaction and not self.conn.in_transaction:
            self.lock.release()
            raise lost_transaction_error(self.conn)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if self.lock is None:
            return False
        try:
            if exc is not None and self.in_transaction and not self.conn.in_transaction \
                    and self.conn.qm_lost is None:
                self.conn.qm_lost = str(exc).strip() or type(exc).__name__
        finally:
            self.lock.release()
        return False
