"""Backups of the inventory, and restoring one.

A backup is a consistent copy of the SQLite file taken with SQLite's online
backup API (safe while this or another Quartermaster is writing: the copy is
one snapshot), checked with ``PRAGMA integrity_check``, gzip-compressed, and
written into the backup folder: ``backups`` beside the database unless
Settings names another (a network share, say). The file name carries all that
listing needs, so listing never decompresses:

    inventory-20250114-083000-daily-12345a.sqlite.gz
    (database name, local time taken, why, asset count)

Backups are taken automatically when a database last backed up more than a
day ago is opened (app or command line), before every schema migration, before
every import and before a restore. The folder keeps the newest copy of each of
the last 7 days, 4 weeks and 12 months that have one, and everything from the
last 24 hours (``retain``); older copies are pruned after each new one.

Restoring one is ``app.restoring``'s job.

On PostgreSQL the server's own backups are ``pg_dump``'s job; ``backup``
there writes a portable copy instead: every table into a new SQLite file
(gzip-compressed like any backup), which ``restore`` opens as a local
inventory and ``migrate-to`` can load into an empty server.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import peewee as pw

from app import files
from app.services.errors import DomainError
from app.store.db import db

log = logging.getLogger(__name__)

FOLDER_SETTING = "backup_folder"
MAX_AGE = dt.timedelta(days=1)
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
KEEP_RECENT = dt.timedelta(hours=24)
SUFFIX = ".sqlite.gz"
_NAME = re.compile(r"^(?P<stem>.+?)-(?P<ts>\d{8}-\d{6})(?:-(?P<n>\d+))?-(?P<reason>[a-z][a-z0-9-]*)"
                   r"-(?P<assets>\d+)a\.sqlite\.gz$")


class BackupError(DomainError):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: dt.datetime
    reason: str
    assets: int
    size: int

    @property
    def label(self) -> str:
        return self.reason.replace("-", " ")


# --- where backups go ---------------------------------------------------------------------

def database_file(database: pw.Database | None = None) -> Path | None:
    database = database or db.obj
    if isinstance(database, pw.SqliteDatabase) and database.database not in ("", ":memory:"):
        return Path(database.database)
    return None


def _is_open() -> bool:
    return db.obj is not None and not db.obj.is_closed()


def backup_folder(db_file: Path | None = None) -> Path:
    """The configured backup folder, else ``backups`` beside the database."""
    configured = None
    if _is_open() and (db_file is None or db_file == database_file()):
        with contextlib.suppress(pw.DatabaseError, sqlite3.DatabaseError):
            from app.services import settings
            configured = settings.get(FOLDER_SETTING)
    elif db_file is not None and db_file.exists():
        configured = _setting_from_file(db_file, FOLDER_SETTING)
    if configured:
        return Path(str(configured)).expanduser()
    db_file = db_file or database_file()
    if db_file is None:
        return Path.cwd()
    return db_file.resolve().parent / "backups"


def set_backup_folder(folder: str | os.PathLike[str] | None, by: str | None = None) -> Path:
    """Choose where backups go (None: beside the database); the folder must be writable."""
    from app.services import settings
    if folder:
        path = Path(folder).expanduser()
        try:
            files.private_dir(path)
            probe = path / ".quartermaster-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BackupError(f"Backups cannot be written to {path}: {exc.strerror or exc}. "
                              "Pick a folder you can write to.") from exc
        settings.update({FOLDER_SETTING: str(path)}, by=by)
    else:
        settings.update({FOLDER_SETTING: None}, by=by)
    return backup_folder()


def _setting_from_file(path: Path, key: str) -> Any:
    import json
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return json.loads(row[0]) if row and row[0] else None


# --- names and listing ----------------------------------------------------------------------

def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return s if s and s[0].isalpha() else f"b-{s}".rstrip("-")


def parse_name(path: Path) -> BackupInfo | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        taken = dt.datetime.strptime(m["ts"], "%Y%m%d-%H%M%S")
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return BackupInfo(path, taken, m["reason"], int(m["assets"]), size)


def list_backups(folder: Path | None = None, stem: str | None = None) -> list[BackupInfo]:
    """Backups of this database in the folder, newest first."""
    db_file = database_file()
    folder = folder or backup_folder(db_file)
    if stem is None and db_file is not None:
        stem = db_file.stem
    elif stem is None and isinstance(db.obj, pw.PostgresqlDatabase):
        stem = db.obj.database or "postgres"  # the portable copies of this server database
    try:
        entries = list(folder.glob(f"*{SUFFIX}"))
    except OSError:
        return []
    out = []
    for p in entries:
        info = parse_name(p)
        m = _NAME.match(p.name)
        if info and m and (stem is None or m["stem"] == stem):
            out.append(info)
    out.sort(key=lambda b: (b.taken_at, b.path.name), reverse=True)
    return out


def newest_backup(folder: Path | None = None, stem: str | None = None) -> BackupInfo | None:
    found = list_backups(folder, stem)
    return found[0] if found else None


def _unique_path(folder: Path, stem: str, taken: dt.datetime, reason: str, assets: int) -> Path:
    ts = taken.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        extra = "" if n == 1 else f"-{n}"
        p = folder / f"{stem}-{ts}{extra}-{_slug(reason)}-{assets}a{SUFFIX}"
        if not p.exists():
            return p
    raise BackupError(f"Too many backups in {folder} within one second.")


# --- retention ------------------------------------------------------------------------------

def retain(times: Iterable[dt.datetime], now: dt.datetime | None = None, daily: int = KEEP_DAILY,
           weekly: int = KEEP_WEEKLY, monthly: int = KEEP_MONTHLY,
           recent: dt.timedelta = KEEP_RECENT) -> set[dt.datetime]:
    """Which backup times to keep: everything younger than ``recent``, and the
    newest backup of each of the ``daily`` most recent days that have one, of
    the ``weekly`` most recent ISO weeks and of the ``monthly`` most recent months."""
    now = now or dt.datetime.now()
    ordered = sorted(set(times), reverse=True)
    keep = {t for t in ordered if now - t < recent}
    rules: tuple[tuple[Callable[[dt.datetime], Hashable], int], ...] = (
             (lambda t: t.date(), daily),
             (lambda t: tuple(t.isocalendar())[:2], weekly),
             (lambda t: (t.year, t.month), monthly))
    for bucket, count in rules:
        seen: set[Hashable] = set()
        for t in ordered:  # newest first: the first of each bucket is its newest
            if len(seen) >= count:
                break
            k = bucket(t)
            if k not in seen:
                seen.add(k)
                keep.add(t)
    return keep


def prune(folder: Path | None = None, stem: str | None = None,
          now: dt.datetime | None = None) -> list[Path]:
    """Delete the backups ``retain`` does not keep; returns what was deleted."""
    found = list_backups(folder, stem)
    kept = retain([b.taken_at for b in found], now)
    removed = []
    for b in found:
        if b.taken_at not in kept:
            with contextlib.suppress(OSError):
                b.path.unlink()
                removed.append(b.path)
    return removed


# --- making one -----------------------------------------------------------------------------

def _integrity(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return [] if rows and rows[0][0] == "ok" else [r[0] for r in rows[:5]] or ["no answer"]


def _asset_count(conn: sqlite3.Connection) -> int:
    try:
        return int(conn.execute("SELECT COUNT(*) FROM asset").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _storage(exc: OSError, where: Path) -> BackupError:
    reason = exc.strerror or str(exc)
    if getattr(exc, "errno", None) == 28:
        reason = "the disk is full"
    return BackupError(f"The backup could not be written to {where}: {reason}. "
                       "Free some space or choose another backup folder (Settings → Backups); "
                       "the database itself is unchanged.")


def _write_compressed(plain: Path, dest: Path) -> None:
    part = files.temp_name(dest, "part")
    try:
        with plain.open("rb") as src, part.open("wb") as raw:
            with gzip.GzipFile(filename=dest.name[:-3], mode="wb", fileobj=raw,
                               compresslevel=1) as gz:  # 3x faster than 6, 12% larger
                shutil.copyfileobj(src, gz, 1 << 20)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, dest)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    _fsync_dir(dest.parent)


def snapshot(src: sqlite3.Connection, dest: Path | None, *, stem: str, reason: str,
             folder: Path | None = None) -> BackupInfo:
    """Copy the database behind ``src`` (one consistent snapshot), verify the
    copy, and write it to ``dest`` (``.gz``: compressed; else a plain SQLite
    file) or, without ``dest``, under its own name into ``folder``."""
    taken = dt.datetime.now().replace(microsecond=0)
    where = Path(dest).parent if dest is not None else folder
    assert where is not None
    try:
        files.private_dir(where)
    except OSError as exc:
        raise _storage(exc, where) from exc
    # The plain copy is as private as the database and lives beside the
    # backup, never in the shared temp folder; a killed run's is removed at
    # the next start-up (files.clean_stale).
    with files.private(), files.temporary_dir(where, "backup") as tmp:
        plain = Path(tmp) / "copy.sqlite"
        out = sqlite3.connect(plain)
        try:
            src.backup(out)  # all pages in one step: a single snapshot even while others write
            out.execute("PRAGMA journal_mode=DELETE")
            problems = _integrity(out)
            assets = _asset_count(out)
        finally:
            out.close()
        if problems:
            raise BackupError("The database failed its integrity check while being backed up "
                              f"({'; '.join(problems)}); no backup was written. Restore the "
                              "newest good backup.")
        if dest is None:
            assert folder is not None
            dest = _unique_path(folder, stem, taken, reason, assets)
        try:
            if dest.name.endswith(".gz"):
                _write_compressed(plain, dest)
            else:
                part = files.temp_name(dest, "part")
                try:
                    shutil.copyfile(plain, part)
                    with part.open("rb+") as f:
                        os.fsync(f.fileno())
                    os.replace(part, dest)
                finally:
                    with contextlib.suppress(OSError):
                        part.unlink()
        except OSError as exc:
            raise _storage(exc, dest.parent) from exc
    return BackupInfo(dest, taken, _slug(reason), assets, dest.stat().st_size)


def copy_before_migration(database: pw.Database, version: int) -> Path | None:
    """A consistent copy of the SQLite file, taken before any schema step runs
    (what the front doors pass to open_database as ``before_migration``)."""
    if not isinstance(database, pw.SqliteDatabase) or database.database in ("", ":memory:"):
        return None
    info = make_backup(reason=f"before migration from v{version}", database=database,
                       automatic=False)
    return info.path if info else None


def has_data(conn: sqlite3.Connection) -> bool:
    """Whether the database holds anything worth a copy (an empty new file does not)."""
    for table in ("asset", "person", "location", "supply", "license", "site"):
        try:
            if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                return True
        except (sqlite3.DatabaseError, pw.DatabaseError):
            continue
    return False


@overload
def make_backup(reason: str = ..., output: str | os.PathLike[str] | None = ..., *,
                database: pw.Database | None = ..., automatic: Literal[False],
                prune_old: bool = ...) -> BackupInfo: ...
@overload
def make_backup(reason: str = ..., output: str | os.PathLike[str] | None = ..., *,
                database: pw.Database | None = ..., automatic: bool | None = ...,
                prune_old: bool = ...) -> BackupInfo | None: ...
def make_backup(reason: str = "manual", output: str | os.PathLike[str] | None = None, *,
                database: pw.Database | None = None, automatic: bool | None = None,
                prune_old: bool = True) -> BackupInfo | None:
    """Back up the open SQLite database. ``output``: that file instead of the
    backup folder. Automatic backups (the default unless ``reason`` is
    "manual" or an output is given) skip an empty database and PostgreSQL,
    returning None."""
    database = database or db.obj
    if automatic is None:
        automatic = reason == "daily" or (reason != "manual" and output is None)
    if isinstance(database, pw.PostgresqlDatabase):
        if automatic:
            return None
        return export_postgres(output)
    db_file = database_file(database)
    if db_file is None:
        if automatic:
            return None
        raise BackupError("This database lives in memory only; there is no file to back up.")
    conn = database.connection()
    if automatic and not has_data(conn):
        return None
    folder = None if output else backup_folder(db_file)
    info = snapshot(conn, Path(output) if output else None, stem=db_file.stem, reason=reason,
                    folder=folder)
    log.info("backup written: %s (%s)", info.path, reason)
    if folder is not None and prune_old:
        prune(folder, db_file.stem)
    return info


class PendingBackup:
    """A backup being made on its own thread; ``result()`` waits for it and
    raises what went wrong."""

    def __init__(self, work: Callable[[], BackupInfo | None]) -> None:
        import threading
        self._info: BackupInfo | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._info = work()
            except BaseException as exc:  # handed to whoever asks for the result
                self._error = exc
        self._thread = threading.Thread(target=run, name="qm-backup", daemon=True)
        self._thread.start()

    def result(self) -> BackupInfo | None:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._info

    def wait(self) -> None:
        """Wait without raising (the caller is already failing): the error is logged."""
        try:
            self.result()
        except Exception as exc:  # noqa: BLE001 - logged; the caller's own error wins
            log.warning("backup not written: %s", exc)


def start_backup(reason: str) -> PendingBackup | None:
    """The automatic backup taken before a bulk change (an import), made from
    a connection of its own on a second thread, so the change can go ahead
    meanwhile: the copy is the database as last committed, whatever the
    change has written so far. Call ``result()`` before committing the
    change (a failed backup should refuse it). None where an automatic
    backup is not made (PostgreSQL, a database in memory, an empty one)."""
    database = db.obj
    db_file = database_file(database)
    if isinstance(database, pw.PostgresqlDatabase) or db_file is None:
        return None
    if not has_data(database.connection()):
        return None
    folder = backup_folder(db_file)  # read here: the settings live on this thread's connection

    def work() -> BackupInfo:
        from app.store.db import BUSY_TIMEOUT_S
        try:
            src = sqlite3.connect(db_file, timeout=BUSY_TIMEOUT_S)
            try:
                info = snapshot(src, None, stem=db_file.stem, reason=reason, folder=folder)
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise BackupError(f"The backup {reason} could not be made ({exc}); "
                              "nothing was changed.") from exc
        log.info("backup written: %s (%s)", info.path, reason)
        prune(folder, db_file.stem)
        return info
    return PendingBackup(work)


def maybe_backup_on_open(max_age: dt.timedelta = MAX_AGE) -> BackupInfo | None:
    """The daily backup: when the open SQLite database's newest backup is
    older than ``max_age`` (or there is none) and it holds data. Set
    ``QM_NO_AUTO_BACKUP=1`` to leave it out (benchmarks, scripted runs)."""
    if os.environ.get("QM_NO_AUTO_BACKUP"):
        return None  # scripted runs and benchmarks that time a command
    db_file = database_file()
    if db_file is None:
        return None
    newest = newest_backup(backup_folder(db_file), db_file.stem)
    if newest is not None and dt.datetime.now() - newest.taken_at < max_age:
        return None
    return make_backup(reason="daily")


def daily_backup_or_warn() -> None:
    """For the command line: the daily backup; a failure is a warning on
    stderr, never a reason to refuse the command."""
    import sys
    try:
        maybe_backup_on_open()
    except (DomainError, OSError, sqlite3.Error, pw.DatabaseError) as exc:
        print(f"warning: the daily backup was not made: {exc}", file=sys.stderr)


# --- PostgreSQL: a portable copy ------------------------------------------------------------

def export_postgres(output: str | os.PathLike[str] | None = None) -> BackupInfo:
    """Every table of the PostgreSQL inventory into a new SQLite file (gzip
    when the name ends in .gz), verified like a backup."""
    from app.store import transfer
    from app.store.db import open_database
    pg = db.obj
    name = pg.database or "postgres"
    taken = dt.datetime.now().replace(microsecond=0)
    folder = None
    if output is None:
        folder = where = backup_folder(None)
        try:
            files.private_dir(folder)
        except OSError as exc:
            raise _storage(exc, folder) from exc
    else:
        where = Path(output).resolve().parent
    src_conn = pg.connection()
    try:  # every column, product keys too: in team mode only the tables' owner may read them
        with pg.atomic():
            pg.execute_sql("SELECT product_key FROM license LIMIT 1")
    except pw.ProgrammingError as exc:
        raise BackupError("A copy of the whole server database includes the product keys, "
                          "which in team mode only the tables' owner may read. Export as the "
                          "owner, or back the server up with pg_dump (see the README).") from exc
    source = transfer.summary(src_conn)
    with files.private(), files.temporary_dir(where, "export") as tmp:
        plain = Path(tmp) / f"{name}.sqlite"
        try:
            local = open_database(plain)
            with local.atomic():
                transfer.copy_all(src_conn, src_is_postgres=True)
            problems = transfer.differences(source, transfer.summary(local.connection()))
            local.close()
        finally:
            db.initialize(pg)
        if problems:
            raise BackupError("The export does not match the server: " + "; ".join(problems))
        conn = sqlite3.connect(plain)
        try:
            dest = Path(output) if output else None
            info = snapshot(conn, dest, stem=name, reason="export", folder=folder)
        finally:
            conn.close()
    return BackupInfo(info.path, taken, "export", info.assets, info.size)


def clean_leftovers() -> list[Path]:
    """At start-up: what killed backups, restores and exports left behind
    (plain copies, ``.part`` and ``.restoring`` files) beside the database, in
    the backup folder and in the system temp folder (older versions put their
    copies there). See ``files.clean_stale``."""
    import tempfile
    db_file = database_file()
    folders: list[Path | None] = [Path(tempfile.gettempdir())]
    if db_file is not None:
        folders.append(db_file.resolve().parent)
        with contextlib.suppress(Exception):
            folders.append(backup_folder(db_file))
    elif _is_open():
        with contextlib.suppress(Exception):
            folders.append(backup_folder(None))
    removed = files.clean_stale(*folders)
    for p in removed:
        log.info("removed a leftover temporary copy: %s", p)
    return removed


_RESTORING = ("restore", "verify_file", "BackupInUse", "RestoreResult")


def __getattr__(name: str) -> Any:
    """Restoring lives in app/restoring.py (which builds on this module); its
    names stay reachable from here: ``backup.restore(…)``."""
    if name in _RESTORING:
        from app import restoring
        return getattr(restoring, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
