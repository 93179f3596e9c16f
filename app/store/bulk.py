"""Bulk inserts on the driver's fast path (import, demo data).

peewee builds a Python object per row; for 100,000 rows that costs seconds.
Here rows go straight to the driver: ``executemany`` on SQLite, psycopg2's
``execute_values`` (one statement per page of rows) on PostgreSQL, or COPY
on the second thread (``Background.copy``: no SQL text to build or parse
per row). Call inside
a transaction: every write here first checks that the transaction is still
there (``db.guarded``), so a page never lands in autocommit after SQLite
rolled the transaction back on its own (disk full, I/O error).
"""
from __future__ import annotations

import queue
import re
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Literal

import peewee as pw

from app.store.db import db
from app.store.db import param as param  # bulk.param for importers
from app.store.guard import guarded


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], page: int = 2000) -> int:
    """Insert rows (tuples in ``columns`` order) into ``table``; returns the count."""
    if not db.in_transaction():
        raise RuntimeError("insert_rows writes inside the caller's transaction only")
    cols = ", ".join(f'"{c}"' for c in columns)
    conn = db.connection()
    cur = conn.cursor()
    total = 0
    if isinstance(db.obj, pw.PostgresqlDatabase):
        from psycopg2.extras import execute_values
        sql = f'INSERT INTO "{table}" ({cols}) VALUES %s'
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= page:
                execute_values(cur, sql, batch, page_size=page)
                total += len(batch)
                batch = []
        if batch:
            execute_values(cur, sql, batch, page_size=page)
            total += len(batch)
        return total
    marks = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
    batch = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= page:
            with guarded(conn, True):
                cur.executemany(sql, batch)
            total += len(batch)
            batch = []
    if batch:
        with guarded(conn, True):
            cur.executemany(sql, batch)
        total += len(batch)
    return total


def copy_statement(table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'COPY "{table}" ({cols}) FROM STDIN'


def copy_data(rows: Iterable[Sequence[Any]]) -> tuple[str, int]:
    """The rows in COPY's text format, and how many there are. (Text and
    numbers as they are; a row whose text holds a backslash, tab or line
    end is written value by value with escapes.)"""
    out: list[str] = []
    add, special, slow = out.append, _COPY_SPECIAL.search, _copy_text
    for row in rows:
        line = "\t".join([x if x.__class__ is str else ("\\N" if x is None else slow(x))
                          for x in row])
        if special("".join([x for x in row if x.__class__ is str])):
            line = "\t".join(map(slow, row))
        add(line)
    return ("\n".join(out) + "\n" if out else ""), len(out)


def send_copy(conn: Any, statement: str, data: str) -> None:
    """Run a COPY … FROM STDIN on psycopg2's ``conn`` with ``data``."""
    import io
    with conn.cursor() as cur:
        cur.copy_expert(statement, io.StringIO(data), size=1 << 20)


# COPY's text format: these characters are written as backslash escapes.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value as COPY's text format has it (None is \\N)."""
    if value is None:
        return "\\N"
    cls = value.__class__
    if cls is str:
        text: str = value
        return text.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(text) else text
    if cls is bool:
        return "t" if value else "f"
    if cls is float:
        return repr(value)
    return str(value).translate(_COPY_ESCAPES)  # int, Decimal, date, datetime (ISO text)


def new_ids(table: str, count: int) -> list[int]:
    """Ids for ``count`` rows the caller is about to insert into ``table``
    with their ids given (so a page of rows can refer to them before any
    is written). PostgreSQL hands them out from the table's sequence; on
    SQLite they follow the largest id, which this transaction's write lock
    keeps free (if another connection took one first, the insert fails on
    the primary key and the caller's transaction rolls back: never a row
    under the wrong id)."""
    if not db.in_transaction():
        raise RuntimeError("new_ids is for inserts inside the caller's transaction")
    if count <= 0:
        return []
    if isinstance(db.obj, pw.PostgresqlDatabase):
        cur = db.execute_sql("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                             "FROM generate_series(1, %s)", (table, count))
        return [int(r[0]) for r in cur.fetchall()]
    top = db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
    return list(range(int(top) + 1, int(top) + 1 + count))


def id_map(table: str, key_column: str) -> dict[Any, int]:
    """{key: id} for a whole table (after a bulk insert)."""
    return dict(db.execute_sql(f'SELECT "{key_column}", id FROM "{table}"').fetchall())


class Background:
    """Statements run in order on a second thread, on this thread's SQLite
    connection — so inside its transaction. SQLite lets go of Python's lock
    while a statement runs, so an INSERT … SELECT that indexes or logs the
    page just written costs the caller nothing while it prepares the next
    page (two cores: checking on one, writing on the other).

        with Background() as bg:
            bg.run("INSERT INTO … SELECT … WHERE id > ?", (lo,))
            bg.wait()          # before this thread writes anything itself

    The caller must ``wait()`` before it writes on its own: one connection
    has one last-insert rowid, and a statement finishing on the other thread
    between an INSERT and the read of its new id would hand back the wrong
    id. Reads need no wait. An error on the second thread is raised by the
    next ``run``/``wait`` (or leaving the block), and the second thread runs
    nothing more; leaving by an exception drops what is queued and waits for
    the statement running, so a rollback never races a write. Each statement
    runs under the connection's lock after checking that the transaction it
    was queued in is still open: when SQLite ends it (disk full, I/O error on
    either thread), neither thread writes another row. On PostgreSQL (and
    connections tied to one thread) statements simply run at once, unless
    ``threaded=True``: psycopg2 lets go of Python's lock while the server
    works, so the page just sent is indexed and checked by the server while
    this thread prepares the next one (a read of this thread's meanwhile
    waits for the statement running; an error aborts the transaction, and is
    raised here by the next ``run``/``copy``/``wait``)."""

    def __init__(self, threaded: bool | None = None):
        self.conn = db.connection()
        self.in_transaction = db.in_transaction()
        if threaded is None:
            # Only where SQLite serialises calls on one connection itself
            # (threadsafety 3): the caller reads while this thread writes.
            import sqlite3
            threaded = (isinstance(db.obj, pw.SqliteDatabase)
                        and db.obj.connect_params.get("check_same_thread") is False
                        and sqlite3.threadsafety == 3)
        self.error: BaseException | None = None
        self._raised = False
        self._dropped = False
        self._queue: queue.Queue[tuple[str, tuple[Any, ...], str | None] | None] | None = None
        if threaded:
            import threading
            import sys
            self._queue = queue.Queue()
            # Python hands its lock to a waiting thread only after the holder
            # has kept it for a whole switch interval (5 ms) without letting
            # go; a reader letting go for a moment now and then resets that
            # clock, and the writer starves (measured: each page's index
            # waited 100–150 ms for the lock). 1 ms while this writer runs.
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, 0.001))
            self._thread = threading.Thread(target=self._work, name="qm-bulk-writer", daemon=True)
            self._thread.start()

    @property
    def threaded(self) -> bool:
        return self._queue is not None

    def __enter__(self) -> Background:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        self.close(discard=exc_type is not None)
        return False

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._raise()
        if self._queue is None:
            with guarded(self.conn, self.in_transaction):
                self.conn.cursor().execute(sql, tuple(params))
        else:
            self._queue.put((sql, tuple(params), None))

    def copy(self, statement: str, data: str) -> None:
        """PostgreSQL: ``COPY … FROM STDIN`` (``copy_statement``) with
        ``data`` (``copy_data``), in turn with the statements queued."""
        self._raise()
        if self._queue is None:
            send_copy(self.conn, statement, data)
        else:
            self._queue.put((statement, (), data))

    def wait(self) -> None:
        """Until every statement queued so far has run; raises the first error."""
        if self._queue is not None:
            self._queue.join()
        self._raise()

    def close(self, discard: bool = False) -> None:
        if self._queue is not None:
            self._dropped = discard
            self._queue.put(None)
            self._thread.join()
            self._queue = None
            import sys
            sys.setswitchinterval(self._interval)
        if not discard:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None and not self._raised:
            self._raised = True
            raise self.error

    def _work(self) -> None:
        import io
        jobs = self._queue
        assert jobs is not None  # started only with a queue
        cur = self.conn.cursor()
        while True:
            job = jobs.get()
            try:
                if job is None:
                    return
                if self.error is None and not self._dropped:
                    sql, params, data = job
                    with guarded(self.conn, self.in_transaction):
                        if data is None:
                            cur.execute(sql, params)
                        else:
                            cur.copy_expert(sql, io.StringIO(data), size=1 << 20)
            except BaseException as exc:  # handed to the caller's thread
                self.error = exc
            finally:
                jobs.task_done()
