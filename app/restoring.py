"""Restoring a backup: exclusive, verified, and trusting nothing in the file.

``restore`` refuses while another Quartermaster has the file open (naming
them; ``force`` goes ahead and they stop writing), accepts only a sound file
holding Quartermaster's own schema (``app.store.schema``), resets settings
that point outside the database, takes a backup of the current file first,
and then writes the backup's pages into the database file through SQLite's
backup API (a damaged file is replaced with ``os.replace`` instead, its old
-wal/-shm removed first so SQLite cannot replay them onto it) and re-opens.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import peewee as pw

from app import files
from app.backup import (
    FOLDER_SETTING,
    BackupError,
    _asset_count,
    _fsync_dir,
    _integrity,
    _is_open,
    _storage,
    backup_folder,
    copy_before_migration,
    database_file,
    snapshot,
)
from app.store.db import db, is_postgres_url
from app.store.guard import who_is_busy
from app.store.instances import InstanceInfo

log = logging.getLogger(__name__)


class BackupInUse(BackupError):
    """Other Quartermaster processes have the file open (``others``: their descriptions)."""

    def __init__(self, message: str, others: list[InstanceInfo]) -> None:
        super().__init__(message)
        self.others = others


@dataclass
class RestoreResult:
    target: Path
    restored_from: Path
    safety_copy: Path | None
    assets: int
    reset_settings: list[str] = field(default_factory=list)  # "the backup folder setting (…) was reset"


def _decompress_to(src: Path, dest: Path) -> None:
    with src.open("rb") as head:
        magic = head.read(2)
    try:
        if magic == b"\x1f\x8b":
            with gzip.open(src, "rb") as f, dest.open("wb") as out:
                shutil.copyfileobj(f, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        else:
            shutil.copyfile(src, dest)
            with dest.open("rb+") as out:
                os.fsync(out.fileno())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        with contextlib.suppress(OSError):
            dest.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
            raise _storage(exc, dest.parent) from exc
        raise BackupError(f"{src.name} is not a complete backup ({exc}); pick another.") from exc


def verify_file(path: Path) -> int:
    """Check that ``path`` is a sound Quartermaster database this version can
    open; returns its asset count."""
    from app.store import migrations, schema
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = _integrity(conn)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = None
            if migrations.VERSION_TABLE in tables:
                version = conn.execute(
                    f"SELECT MAX(version) FROM {migrations.VERSION_TABLE}").fetchone()[0]
            assets = _asset_count(conn)
            foreign = schema.foreign_objects(conn) if not problems else []
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The backup is not a readable database ({exc}); pick another.") from exc
    if problems:
        raise BackupError(f"The backup is damaged ({'; '.join(problems)}); pick another.")
    if "asset" not in tables or version is None:
        raise BackupError("That file is not a Quartermaster database; pick a backup Quartermaster made.")
    if int(version) > migrations.LATEST:
        raise BackupError(f"That backup was made by a newer Quartermaster (schema {version}); "
                          "update Quartermaster to restore it.")
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise BackupError(f"That backup holds a {foreign[0]}{more}; it was not restored. "
                          "Restore a backup Quartermaster made.")
    return assets


def _keep_damaged(target: Path, folder: Path) -> Path | None:
    """The current file cannot be backed up properly: keep it as it is, WAL and all."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = folder / f"{target.stem}-{stamp}-unreadable{target.suffix or '.sqlite'}"
    try:
        files.private_dir(folder)
        with files.private():
            shutil.copyfile(target, dest)
            for extra in ("-wal", "-shm"):
                side = Path(str(target) + extra)
                if side.exists():
                    shutil.copyfile(side, Path(str(dest) + extra))
    except OSError as exc:
        raise _storage(exc, folder) from exc
    return dest


def restore(backup: str | os.PathLike[str], target: str | os.PathLike[str] | None = None, *,
            force: bool = False, by: str | None = None) -> RestoreResult:
    """Replace the database with ``backup`` (after verifying it and backing up
    the current file), then re-open it if it was open.

    Refused while another Quartermaster has the file open (named in the
    message) unless ``force``; then those processes stop writing at their
    next change and say why. A sound current file gets the backup's pages
    written into it through SQLite (every process sees one file, never an
    old unlinked one); a damaged one is replaced by a rename."""
    from app.store import instances
    from app.store.db import close_database, open_database, resolve_target
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"There is no backup file {backup}.")
    bound_file = database_file() if _is_open() else None
    if target is None:
        target = str(bound_file) if bound_file else resolve_target(None)
    if is_postgres_url(str(target)):
        raise BackupError("Restore replaces a local SQLite file. To load a backup into a "
                          "PostgreSQL server, restore it to a file and run "
                          "`quartermaster --db FILE migrate-to postgresql://…` into an empty database.")
    target = Path(target).resolve()
    was_open = bound_file is not None and bound_file.resolve() == target
    others = instances.others(target) if target.exists() else []
    if others and not force:
        raise BackupInUse(f"Quartermaster is using {target.name} on {instances.describe_all(others)}. "
                          "Close it there first (or restore with --force: those programs then "
                          "stop writing and must be re-opened).", others)
    folder = backup_folder(target) if not was_open else backup_folder(bound_file)
    files.private_dir(target.parent)
    tmp = files.temp_name(target, "restoring")
    with instances.doing(f"restoring {backup.name}"):
        with files.private():
            _decompress_to(backup, tmp)
        try:
            try:
                assets = verify_file(tmp)
                reset = _neutralise(tmp, backup.name, by)
                safety = None
                sound = False
                if target.exists():
                    instances.note_restore(target, backup.name)
                    try:
                        # From here on, every other process refuses its next write
                        # (a new generation in the file), so the copy taken next
                        # holds everything they saved and nothing is lost after it.
                        _fence(target)
                        if was_open:
                            conn = db.obj.connection()
                            safety = snapshot(conn, None, stem=target.stem, reason="before-restore",
                                              folder=folder).path
                        else:
                            conn = sqlite3.connect(target, timeout=30)
                            try:
                                safety = snapshot(conn, None, stem=target.stem, reason="before-restore",
                                                  folder=folder).path
                            finally:
                                conn.close()
                        sound = True
                    except (BackupError, sqlite3.DatabaseError, pw.DatabaseError) as exc:
                        if isinstance(exc, BackupError) and "could not be written" in str(exc):
                            raise
                        text = str(exc).lower()
                        if "locked" in text or "busy" in text:
                            # A sound file another program keeps busy is no damaged file:
                            # never swap it away under a writer.
                            holders = who_is_busy(str(target))
                            raise BackupError(
                                f"{target.name} stayed busy for too long"
                                f"{': Quartermaster on ' + holders if holders else ''}. Nothing "
                                "was restored; try again when that is done.") from exc
                        safety = _keep_damaged(target, folder)
                if was_open:
                    close_database()
                if not (sound and _write_into(tmp, target)):
                    for extra in ("-wal", "-shm", "-journal"):
                        with contextlib.suppress(FileNotFoundError):
                            os.remove(str(target) + extra)
                    os.replace(tmp, target)
                    _fsync_dir(target.parent)
            except OSError as exc:
                raise _storage(exc, target.parent) from exc
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        except BaseException:
            if was_open:  # the fence renewed the file's generation: this process re-opens it
                with contextlib.suppress(Exception):
                    close_database()
                    open_database(target, before_migration=copy_before_migration)
            raise
    if was_open:
        open_database(target, before_migration=copy_before_migration)
    log.info("restored %s from %s", target, backup)
    return RestoreResult(target, backup, safety, assets, reset)


def _fence(target: Path) -> None:
    """A new generation in the live file (``PRAGMA user_version``), written
    under the write lock: another process's next transaction sees it and
    stops (see ``db.file_identity``)."""
    import random

    from app.store.db import BUSY_TIMEOUT_S
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute(f"PRAGMA user_version = {random.randint(1, 2**31 - 1)}")
    finally:
        conn.close()


def _write_into(src: Path, target: Path) -> bool:
    """Write the verified copy's pages into the database file in place, through
    SQLite's backup API under its write lock (waiting for a writer to finish):
    processes that still have the file open keep one file, see the restored
    data, and notice the new generation before they write. False when that
    cannot be done (the page sizes differ): the caller swaps the file."""
    from app.store.db import BUSY_TIMEOUT_S
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    dest = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
    try:
        if source.execute("PRAGMA page_size").fetchone() != dest.execute("PRAGMA page_size").fetchone():
            return False
        source.backup(dest)
        with contextlib.suppress(sqlite3.Error):
            dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True
    except sqlite3.Error as exc:
        log.warning("restore in place failed (%s); replacing the file instead", exc)
        return False
    finally:
        source.close()
        dest.close()


# Settings that point outside the database: a restored file must not choose
# where later backups (all personal data, product keys) are written, or which
# file is read as the logo. They go back to their defaults and the user is told.
OUTSIDE_SETTINGS = {FOLDER_SETTING: "backup folder", "org_logo": "logo file"}


def _neutralise(path: Path, source: str, by: str | None) -> list[str]:
    """Reset the settings of ``OUTSIDE_SETTINGS`` in the verified copy, give
    it a new generation (``PRAGMA user_version``: processes holding the old
    file see the change), and note the restore in its history. Returns one
    phrase per reset setting."""
    import json
    import random

    from app.services.base import current_user
    reset = []
    conn = sqlite3.connect(path)
    try:
        with conn:
            for key, label in OUTSIDE_SETTINGS.items():
                row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
                value = json.loads(row[0]) if row and row[0] else None
                if value in (None, ""):
                    continue
                conn.execute("DELETE FROM setting WHERE key = ?", (key,))
                reset.append(f"the {label} setting ({value}) was reset")
                _history(conn, "setting", "reset", key, str(value), None, by or current_user(),
                         f"reset when restored from {source}: it pointed outside the database")
            _history(conn, "database", "restore", None, None, source, by or current_user(),
                     f"restored from {source}")
        conn.execute(f"PRAGMA user_version = {random.randint(1, 2**31 - 1)}")
    finally:
        conn.close()
    return reset


def _history(conn: sqlite3.Connection, entity: str, action: str, field: str | None, old: str | None,
             new: str | None, who: str, note: str) -> None:
    conn.execute("INSERT INTO history_entry (entity, entity_id, action, field, old, new, who, at, "
                 "note) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)",
                 (entity, action, field, old, new, who,
                  dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" "), note))
