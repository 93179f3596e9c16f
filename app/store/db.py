"""One database proxy for the whole application and how to open it.

``open_database`` takes a file path or a URL (``sqlite:///…``,
``postgresql://user@host/db``), binds the proxy, and brings the schema up to
date. Everything else imports ``db`` and ``BaseModel`` from here.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import random
import sqlite3
import time
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

import peewee as pw
from platformdirs import user_data_dir

from app import APP_NAME

# The write guards (app/store/guard.py); their names are part of this module's interface.
from app.store.guard import (  # noqa: F401
    DatabaseReplaced,
    QMConnection,
    file_identity,
    file_replaced,
    guarded,
    lost_transaction_error,
    replaced_message,
    transaction_lost,
    who_is_busy,
)

if TYPE_CHECKING:
    from collections.abc import Callable

db = pw.DatabaseProxy()

# peewee logs every statement with its parameters at DEBUG: product keys,
# names, ID numbers. Those never go to a log, whatever the root level is.
logging.getLogger("peewee").setLevel(logging.INFO)

# Seconds a writer waits for another process's lock before giving up.
BUSY_TIMEOUT_S = 30

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": BUSY_TIMEOUT_S * 1000,
    "cache_size": -32_000,  # 32 MB page cache
    "temp_store": "memory",
}


class BaseModel(pw.Model):
    if TYPE_CHECKING:
        # peewee adds an auto-increment ``id`` to every model that names no
        # primary key; declared for the type checker only (Setting keys by name).
        id: pw.AutoField[int]

    class Meta:
        database = db
        legacy_table_names = False


# Reading a query's rows as tuples or dicts. peewee's stubs type
# ``query.tuples()`` / ``.dicts()`` as the query itself, so iterating a model
# query "yields the model"; these say what the rows really are, once.
Row = tuple[Any, ...]


def rows(query: pw.BaseQuery) -> Iterator[Row]:
    """The rows of ``query`` as tuples, in the order selected."""
    it: Iterator[Row] = iter(query.tuples())
    return it


def dict_rows(query: pw.BaseQuery) -> Iterator[dict[str, Any]]:
    """The rows of ``query`` as dicts keyed by column (or alias) name."""
    it: Iterator[dict[str, Any]] = iter(query.dicts())
    return it


def first_row(query: pw.SelectBase) -> Row | None:
    """The first row of ``query`` as a tuple, or None when there is none."""
    row: Row | None = query.tuples().first()
    return row


def param(database: pw.Database | None = None) -> str:
    """The driver's placeholder for raw SQL: ``?`` for sqlite3, ``%s`` for
    psycopg2. The one place the dialect of a placeholder is decided."""
    return (database or db.obj).param


def sql(text: str, database: pw.Database | None = None) -> str:
    """Raw SQL written with ``?`` placeholders, in the driver's dialect."""
    mark = param(database)
    return text if mark == "?" else text.replace("?", mark)


# Rows a stream asks the server for at a time (and hands its caller at a time).
STREAM_SIZE = 5000
_stream_names = itertools.count(1)


def stream(query: Any, params: Any = None, *, size: int = STREAM_SIZE) -> Iterator[list[Any]]:
    """A large result a chunk of ``size`` rows at a time, as the driver returns
    them (tuples), without ever holding it all: the one way exports, reports and
    index rebuilds read every asset.

    ``query`` is a peewee query or SQL text (with ``params``). On SQLite the
    plain cursor already steps through the result as it is read. psycopg2's
    plain cursor instead copies the whole result into the client when the
    statement runs (a million assets: hundreds of MB before the first row), so
    on PostgreSQL this reads through a named (server-side) cursor, ``size``
    rows per round trip, inside the current transaction, or inside one of its
    own (a consistent snapshot of the whole read) when there is none.
    """
    if not isinstance(query, str):
        query, params = query.sql()
    database = db.obj
    if not isinstance(database, pw.PostgresqlDatabase):
        cursor = db.execute_sql(query, params)
        try:
            while chunk := cursor.fetchmany(size):
                yield chunk
        finally:
            cursor.close()
        return
    if database.in_transaction():
        yield from _server_side(database, query, params, size)
    else:
        with database.atomic():
            yield from _server_side(database, query, params, size)


def server_cursor(conn: Any, size: int = STREAM_SIZE) -> Any:
    """A named (server-side) psycopg2 cursor on ``conn`` that fetches ``size``
    rows per round trip; use it inside a transaction and close it before the
    transaction ends (see ``stream``)."""
    cursor = conn.cursor(name=f"qm_stream_{next(_stream_names)}", withhold=True)
    cursor.itersize = size
    return cursor


# peewee turns driver errors into its own with this; its stub leaves it out.
_driver_errors: Any = pw.__exception_wrapper__  # type: ignore[attr-defined]


def _server_side(database: pw.PostgresqlDatabase, sql_text: str, params: Any,
                 size: int) -> Iterator[list[Any]]:
    # peewee keeps psycopg2 in autocommit mode (it sends BEGIN itself), and
    # psycopg2 declares a named cursor there only WITH HOLD. Inside our
    # transaction that changes nothing while it is open (rows are still made
    # as they are fetched); closing the cursor before the transaction ends
    # keeps the server from materialising what was not read.
    conn = database.connection()
    cursor = server_cursor(conn, size)
    try:
        with _driver_errors:
            cursor.execute(sql_text, params or ())
        while True:
            with _driver_errors:
                chunk = cursor.fetchmany(size)
            if not chunk:
                return
            yield chunk
    finally:
        if not conn.closed:
            with contextlib.suppress(Exception):
                cursor.close()


@contextlib.contextmanager
def worker_connection() -> Iterator[pw.DatabaseProxy]:
    """A worker thread's own connection (peewee keeps one per thread): opened
    on entry when a database is bound, closed on exit whatever happened, so a
    finished job never leaves a connection (or an SQLite read lock) behind."""
    if db.obj is not None:
        db.connect(reuse_if_open=True)
    try:
        yield db
    finally:
        with contextlib.suppress(Exception):
            if db.obj is not None and not db.is_closed():
                db.close()


class DatabaseOpenError(Exception):
    """The database cannot be opened or verified; the message says the way out."""


def default_db_path() -> Path:
    """The local database in the OS user-data folder (created on demand)."""
    folder = Path(user_data_dir(APP_NAME, appauthor=False))
    return folder / "quartermaster.sqlite"


def resolve_target(target: str | os.PathLike[str] | None) -> str:
    """`--db` beats ``QUARTERMASTER_DB`` beats the default path."""
    if target is None or str(target) == "":
        target = os.environ.get("QUARTERMASTER_DB") or default_db_path()
    return str(target)


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def describe(target: str) -> str:
    """A target with any password removed, fit for a status bar or a log."""
    if is_postgres_url(target):
        u = urlparse(target)
        host = u.hostname or "localhost"
        user = f"{u.username}@" if u.username else ""
        port = f":{u.port}" if u.port else ""
        return f"postgresql://{user}{host}{port}{u.path}"
    return target


def _sqlite_path(target: str) -> str:
    if target.startswith("sqlite:///"):
        return unquote(target[len("sqlite:///"):]) or ":memory:"
    return target


class QMSqliteDatabase(pw.SqliteDatabase):
    """SQLite that takes its write lock up front, and never writes outside a
    transaction its caller is still inside (``QMConnection``).

    A deferred transaction that later tries to write can fail with
    SQLITE_BUSY without waiting when another connection holds the lock;
    BEGIN IMMEDIATE waits for the busy timeout instead, so two processes on
    one file queue up rather than error.
    """

    def atomic(self, *args: Any, **kwargs: Any) -> pw._atomic:
        if not args and "lock_type" not in kwargs:
            kwargs["lock_type"] = "IMMEDIATE"
        return super().atomic(*args, **kwargs)

    def _connect(self) -> Any:
        conn = super()._connect()  # type: ignore[misc]  # the stub leaves out SqliteDatabase._connect
        if self.database not in ("", ":memory:") and hasattr(conn, "qm_lost"):
            conn.qm_identity = file_identity(self.database, conn)
        return conn

    def _check_same_file(self, conn: sqlite3.Connection) -> None:
        """Inside the write lock: the file at our path is still the one this
        connection has open, with the content it had (a restore swaps the file
        or writes a new generation into it). Otherwise stop writing, and say why."""
        expected = getattr(conn, "qm_identity", None)
        if expected is None:
            return
        if file_identity(self.database, conn) == expected:
            return
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise DatabaseReplaced(replaced_message(self.database))

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        # Called through peewee's class so the checker knows them as peewee's
        # (untyped_calls_exclude); this class does not override connection().
        conn: sqlite3.Connection = pw.SqliteDatabase.connection(self)
        in_txn = self.in_transaction()
        if in_txn and not conn.in_transaction and sql.lstrip()[:8].upper() == "ROLLBACK":
            return conn.cursor()  # a savepoint's rollback: SQLite undid it all already
        with guarded(conn, in_txn):
            return pw.SqliteDatabase.execute_sql(self, sql, params)

    def rollback(self) -> None:
        conn = None if self.is_closed() else pw.SqliteDatabase.connection(self)
        if conn is not None and not conn.in_transaction:
            # SQLite already rolled back by itself (disk full, I/O error): say
            # nothing, so the error that caused it is the one reported.
            return
        super().rollback()

    def begin(self, lock_type: str | None = None) -> None:
        """Start a transaction, IMMEDIATE by default (``db.atomic()`` on the
        proxy arrives here without a lock type).

        Waiting for another process's write lock is done here rather than by
        SQLite's busy handler, whose sleeps grow to 100 ms: a process that
        commits and begins again at once would win nearly every time and the
        other could wait for seconds. Polling every millisecond or so (with
        jitter) lets the waiting process in at the next gap.
        """
        lock_type = lock_type or "IMMEDIATE"
        if lock_type.upper() == "DEFERRED":
            return super().begin(lock_type)
        conn = pw.SqliteDatabase.connection(self)
        if hasattr(conn, "qm_lost"):
            conn.qm_lost = None
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.0005
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    super().begin(lock_type)
                    self._check_same_file(conn)
                    return None
                except pw.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    if time.monotonic() >= deadline:
                        # read back by services.base for the lock-wait message
                        exc.qm_holders = who_is_busy(self.database)  # type: ignore[attr-defined]
                        raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, 0.004)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def default_sslmode(host: str | None) -> str | None:
    """``require`` for a server across the network (a password or a student's
    name never crosses it in clear); nothing (libpq's own default) for this
    machine or a Unix socket. PGSSLMODE, or sslmode in the URL, wins."""
    if os.environ.get("PGSSLMODE"):
        return None
    if not host or host.startswith("/") or host.lower() in LOCAL_HOSTS:
        return None
    return "require"


def make_database(target: str) -> pw.Database:
    """A peewee database for ``target`` (not yet connected)."""
    if is_postgres_url(target):
        u = urlparse(target.replace("postgres://", "postgresql://", 1))
        # No password in the URL: libpq reads ~/.pgpass and PGPASSWORD itself
        # (or uses GSSAPI/peer). Options in the query (sslmode, sslrootcert,
        # connect_timeout, …) go to libpq as given.
        options: dict[str, Any] = {k: v[-1] for k, v in parse_qs(u.query).items() if v}
        host = unquote(u.hostname) if u.hostname else options.pop("host", None)
        mode = default_sslmode(host)
        if "sslmode" not in options and mode is not None:
            options["sslmode"] = mode
        return pw.PostgresqlDatabase(
            (u.path or "/").lstrip("/") or "postgres",
            user=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
            host=host or None,
            port=u.port or None,
            **options,
        )
    path = _sqlite_path(target)
    if path != ":memory:":
        from app import files
        files.private_dir(Path(path).parent)
    return QMSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_S,
                            check_same_thread=False, factory=QMConnection)


def open_database(target: str | os.PathLike[str] | None = None, *, migrate: bool = True,
                  before_migration: Callable[[pw.Database, int], object] | None = None
                  ) -> pw.Database:
    """Open (creating if needed) the database at ``target`` and bind ``db`` to it.

    ``before_migration(database, version)`` runs before schema steps upgrade an
    existing database: the front doors pass app.backup.copy_before_migration.

    Raises DatabaseOpenError with a sentence a technician can act on when the
    file is not a database, is damaged, or the server cannot be reached.
    """
    target = resolve_target(target)
    database = make_database(target)
    from app import files
    try:
        with files.private():  # a new file (and its -wal, -shm) readable by its owner only
            database.connect(reuse_if_open=True)
        checked = _verify_sqlite(database, target) if isinstance(database, pw.SqliteDatabase) \
            else False
    except DatabaseOpenError:
        database.close()
        raise
    except (pw.OperationalError, pw.DatabaseError, sqlite3.DatabaseError) as exc:
        with contextlib.suppress(Exception):
            database.close()
        retried = _with_prompted_password(target, exc)
        if retried is None:
            raise DatabaseOpenError(_open_failure_message(target, exc)) from exc
        database, checked = retried, False
    db.initialize(database)
    database.qm_target = target  # type: ignore[attr-defined]  # read back by current_target()
    if isinstance(database, pw.SqliteDatabase) and database.database not in ("", ":memory:"):
        from app.store import instances
        instances.register(Path(database.database))
    if migrate:
        from app.store import migrations
        try:
            migrations.migrate(database, target, before_steps=before_migration)
        except pw.ProgrammingError as exc:
            if not is_postgres_url(target) or "must be owner" not in str(exc) \
                    and "permission denied" not in str(exc):
                raise
            database.close()
            raise DatabaseOpenError(
                f"{describe(target)} needs a schema upgrade that only the owner of its tables "
                "may run (team mode). Ask an admin to open it once as the owner, e.g. "
                "`quartermaster --db postgresql://OWNER@host/db check`.") from exc
    if checked:
        _record_full_check(database)
    return database


def _with_prompted_password(target: str, exc: Exception) -> pw.Database | None:
    """The server wants a password the URL, PGPASSWORD and ~/.pgpass did not
    give: ask (``secrets.set_prompt``) and connect with the answer, which is
    kept in memory only. None when there is nobody to ask or it still fails."""
    from app.store import secrets
    if not is_postgres_url(target) or not secrets.needs_password(exc):
        return None
    for _attempt in range(3):
        password = secrets.ask(describe(target))
        if not password:
            return None
        database = make_database(target)
        database.connect_params["password"] = password
        try:
            database.connect()
            return database
        except (pw.OperationalError, pw.DatabaseError) as again:
            with contextlib.suppress(Exception):
                database.close()
            if not secrets.needs_password(again):
                raise DatabaseOpenError(_open_failure_message(target, again)) from again
    return None


def _verify_sqlite(database: pw.SqliteDatabase, target: str, full: bool | None = None) -> bool:
    """Refuse a damaged file. Every open reads the schema (a file that is not a
    database, or is truncated, fails here at once); the full ``quick_check``,
    which reads every page (0.25 s at 100,000 assets), runs on the first open
    of each day and is recorded, so start-up stays fast. The daily backup
    checks its copy in full as well."""
    database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    today = dt.date.today().isoformat()
    if full is None:
        full = _last_full_check(database) != today
    if not full:
        return False
    rows = database.execute_sql("PRAGMA quick_check").fetchall()
    if not rows or rows[0][0] != "ok":
        problems = "; ".join(r[0] for r in rows[:3])
        raise DatabaseOpenError(
            f"The database {target} is damaged ({problems}). Quartermaster will not "
            "write to it. Restore the newest good backup (Settings → Backups, or "
            "`quartermaster restore FILE`).")
    return True


def _record_full_check(database: pw.Database) -> None:
    """Note today's full check (after migrations, so a new file has the table)."""
    with contextlib.suppress(pw.DatabaseError, sqlite3.DatabaseError):
        database.execute_sql(
            "INSERT INTO setting (key, value) VALUES ('integrity_checked_on', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(dt.date.today().isoformat()),))


def _last_full_check(database: pw.SqliteDatabase) -> str | None:
    try:
        row = database.execute_sql(
            "SELECT value FROM setting WHERE key = 'integrity_checked_on'").fetchone()
    except (pw.DatabaseError, sqlite3.DatabaseError):
        return None  # a new file, or one from before settings: check in full
    return json.loads(row[0]) if row and row[0] else None


def _open_failure_message(target: str, exc: Exception) -> str:
    from app.store.secrets import redact
    text = redact(str(exc).strip() or exc.__class__.__name__)
    if is_postgres_url(target):
        return (f"Cannot connect to {describe(target)}: {text.splitlines()[0]}. "
                "Check the server address, the user name and that the database exists.")
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return (f"{target} is not a readable Quartermaster database ({text}). "
                "Restore the newest good backup (`quartermaster restore FILE`) or pick another file.")
    if "unable to open" in text:
        return f"Cannot open {target}: the folder is missing or not writable."
    return f"Cannot open {target}: {text}"


def test_connection(target: str) -> str:
    """Open ``target`` on a connection of its own (nothing bound, nothing
    written) and say what is there; DatabaseOpenError when it cannot be used."""
    target = str(target).strip()
    if not target:
        raise DatabaseOpenError("Give a file path or a postgresql://user@host/dbname URL.")
    if not is_postgres_url(target):
        path = Path(_sqlite_path(target))
        if not path.exists():
            if path.parent.is_dir() and os.access(path.parent, os.W_OK):
                return f"{target} does not exist yet: Quartermaster will create a new database there."
            raise DatabaseOpenError(f"Cannot create {target}: the folder is missing or not writable.")
    database = make_database(target) if is_postgres_url(target) else \
        pw.SqliteDatabase(_sqlite_path(target), timeout=5)
    try:
        database.connect()
        tables = set(database.get_tables())
        if "qm_schema" not in tables:
            kind = "PostgreSQL database" if is_postgres_url(target) else "file"
            if tables:
                raise DatabaseOpenError(f"Connected, but {describe(target)} holds other tables "
                                        "and is not a Quartermaster database.")
            return f"Connected: an empty {kind}; Quartermaster will create its tables."
        version = database.execute_sql("SELECT MAX(version) FROM qm_schema").fetchone()[0]
        assets = database.execute_sql("SELECT COUNT(*) FROM asset").fetchone()[0] \
            if "asset" in tables else 0
    except DatabaseOpenError:
        raise
    except (pw.DatabaseError, pw.InterfaceError, sqlite3.DatabaseError) as exc:
        raise DatabaseOpenError(_open_failure_message(target, exc)) from exc
    finally:
        with contextlib.suppress(Exception):
            database.close()
    server = "PostgreSQL" if is_postgres_url(target) else "SQLite"
    return f"Connected ({server}): a Quartermaster database, schema {version}, {assets:,} assets."


def close_database() -> None:
    obj = db.obj
    if obj is not None and not obj.is_closed():
        obj.close()
    if isinstance(obj, pw.SqliteDatabase) and obj.database not in ("", ":memory:"):
        from app.store import instances
        instances.unregister(Path(obj.database))


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


def current_target() -> str:
    return getattr(db.obj, "qm_target", "") if db.obj is not None else ""


