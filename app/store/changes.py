"""A cheap answer to "has another Quartermaster changed the data since I last looked?"

SQLite: ``PRAGMA data_version`` on this thread's connection changes exactly
when another connection (another process, or a worker thread) commits to the
file; this connection's own commits leave it alone. It reads no table.

PostgreSQL: a sequence, ``qm_change_seq`` (schema step 5), that every write
transaction advances once it has committed (``app.services.base``). Sequences
take no locks and ignore rollbacks, so writers never wait on each other for
it. The values this process drew are remembered, so our own writes are not
reported back to us as someone else's.

    changed, token = changes.changed_since(token)   # token None: start watching
"""
from __future__ import annotations

import contextlib
import threading

import peewee as pw

from app.store.db import db

SEQUENCE = "qm_change_seq"

_own_lock = threading.Lock()
# Sequence values this process drew (PostgreSQL), newest last, per database.
_own: dict[str, list[int]] = {}
_OWN_KEEP = 10_000


def current_token() -> int:
    """The change counter now (SQLite data_version, or the PostgreSQL sequence)."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        row = db.execute_sql(f"SELECT last_value, is_called FROM {SEQUENCE}").fetchone()
        return int(row[0]) if row and row[1] else 0
    return int(db.execute_sql("PRAGMA data_version").fetchone()[0])


def changed_since(token: int | None) -> tuple[bool, int]:
    """(whether someone else changed data since ``token``, the new token)."""
    now = current_token()
    if token is None or now == token:
        return False, now
    if isinstance(db.obj, pw.PostgresqlDatabase):
        if now < token:  # the sequence was reset (a restored server): assume a change
            return True, now
        with _own_lock:
            mine = sum(1 for v in _own.get(_key(), ()) if token < v <= now)
        return (now - token) > mine, now
    return True, now


def note_write() -> None:
    """Called after a write transaction commits: advance the PostgreSQL change
    counter (SQLite needs nothing; data_version is kept by SQLite itself)."""
    if not isinstance(db.obj, pw.PostgresqlDatabase):
        return
    with contextlib.suppress(pw.DatabaseError, pw.InterfaceError):
        value = int(db.execute_sql(f"SELECT nextval('{SEQUENCE}')").fetchone()[0])
        with _own_lock:
            drawn = _own.setdefault(_key(), [])
            drawn.append(value)
            if len(drawn) > _OWN_KEEP:
                del drawn[: len(drawn) - _OWN_KEEP]


def _key() -> str:
    return getattr(db.obj, "qm_target", "") or str(id(db.obj))


def install(database: pw.Database) -> None:
    """Create the change counter (schema step 5; PostgreSQL only)."""
    if isinstance(database, pw.PostgresqlDatabase):
        database.execute_sql(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
