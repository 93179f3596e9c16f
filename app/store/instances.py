"""Which Quartermaster processes have a database file open, and what each is doing.

Every process that opens a SQLite file registers in a private folder beside it
(``.NAME.instances/``): one small JSON file per process (workstation, user,
pid, what it is doing and since when), on which the process holds an OS lock
while it runs. The lock goes with the process however it ends (SIGKILL, a
crash, a power cut on that workstation), so a file whose lock can be taken is
a leftover and is removed; no heartbeat to miss. SQLite coordinates
workstations on a shared folder with the same kind of byte-range locks.

Restore asks who else is live (and refuses while anyone is, unless forced);
a writer that waits too long for the write lock says who is busy with what;
a restore leaves a note (``restored.json``) that a process still holding
the file reads to say why it stopped writing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict, cast

from app import files

_LOCK_AT = 1 << 30  # lock a byte far past the text, so others can still read it (Windows)
_mutex = threading.RLock()
_program = "Quartermaster"
_mine: dict[Path, _Registration] = {}


class InstanceInfo(TypedDict, total=False):
    """What one process writes about itself (read back from another
    process's file, so any key may be missing)."""
    workstation: str
    user: str
    pid: int
    program: str
    started: str
    activity: str | None
    since: str


class RestoreNote(TypedDict, total=False):
    """The note a restore leaves beside the file (``restored.json``)."""
    workstation: str
    user: str
    source: str
    at: str


def folder_for(db_file: Path) -> Path:
    db_file = Path(db_file)
    return db_file.parent / f".{db_file.name}.instances"


def set_program(text: str) -> None:
    """What this process is, as others see it ("the desktop app", "quartermaster import")."""
    global _program
    _program = text
    with _mutex:
        for reg in _mine.values():
            reg.write()


def _user() -> str:
    try:
        return os.environ.get("QM_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is no reason to fail
        return "?"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # (sys.platform, not os.name: mypy skips the branch)
        import msvcrt
        os.lseek(fd, _LOCK_AT, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _LOCK_AT, os.SEEK_SET)
    except OSError:
        return False
    return True


class _Registration:
    def __init__(self, db_file: Path):
        self.db_file = db_file
        self.folder = folder_for(db_file)
        self.path = self.folder / f"{files.host()}-{os.getpid()}.json"
        self.activity: str | None = None
        self.since = dt.datetime.now().replace(microsecond=0)
        self.started = self.since
        # As visible as the database itself: private for a private file; on a
        # team folder whose file others may open, theirs to read and lock too.
        mode = _shared_mode(db_file)
        files.private_dir(self.folder)
        if mode & 0o077:
            with contextlib.suppress(OSError):
                os.chmod(self.folder, 0o700 | (mode & 0o066) | ((mode & 0o044) >> 2))
        with files.private():
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if mode & 0o077 and hasattr(os, "fchmod"):
            with contextlib.suppress(OSError):
                os.fchmod(self.fd, mode)
        if not _try_lock(self.fd):
            os.close(self.fd)
            raise OSError(f"cannot lock {self.path}")
        self.write()

    def info(self) -> InstanceInfo:
        return {"workstation": files.host(), "user": _user(), "pid": os.getpid(),
                "program": _program, "started": self.started.isoformat(),
                "activity": self.activity, "since": self.since.isoformat()}

    def write(self) -> None:
        data = json.dumps(self.info()).encode("utf-8")
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, data, 0) if hasattr(os, "pwrite") else self._write_seek(data)

    def _write_seek(self, data: bytes) -> None:
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.write(self.fd, data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self.fd)  # releases the lock
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # the last one out removes the folder


def _shared_mode(db_file: Path) -> int:
    try:
        return os.stat(db_file).st_mode & 0o666
    except OSError:
        return 0o600


def register(db_file: Path) -> None:
    """This process has ``db_file`` open (idempotent). Never fails: a folder
    that cannot be written (a read-only share) only means others cannot see us."""
    db_file = Path(db_file).resolve()
    with _mutex:
        if db_file in _mine:
            return
        try:
            _mine[db_file] = _Registration(db_file)
        except OSError:
            return
    files.clean_stale(db_file.parent)


def unregister(db_file: Path | None = None) -> None:
    with _mutex:
        keys = [Path(db_file).resolve()] if db_file is not None else list(_mine)
        for k in keys:
            reg = _mine.pop(k, None)
            if reg is not None:
                reg.close()


def set_activity(text: str | None) -> None:
    with _mutex:
        for reg in _mine.values():
            reg.activity = text
            reg.since = dt.datetime.now().replace(microsecond=0)
            reg.write()


@contextlib.contextmanager
def doing(text: str) -> Iterator[None]:
    """Say what this process is doing while the block runs (an import, a restore…)."""
    with _mutex:
        before = {k: (r.activity, r.since) for k, r in _mine.items()}
    set_activity(text)
    try:
        yield
    finally:
        with _mutex:
            for k, reg in _mine.items():
                reg.activity, reg.since = before.get(k, (None, reg.since))
                reg.write()


def _read(path: Path) -> dict[str, Any] | None:
    for _ in range(3):  # a file being rewritten can read empty for a moment
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
            return data if isinstance(data, dict) else None
        except (OSError, ValueError):
            continue
    return None


def others(db_file: Path) -> list[InstanceInfo]:
    """The other live processes with ``db_file`` open (leftovers are removed)."""
    db_file = Path(db_file).resolve()
    folder = folder_for(db_file)
    own = folder / f"{files.host()}-{os.getpid()}.json"
    out: list[InstanceInfo] = []
    try:
        entries = sorted(folder.glob("*.json"))
    except OSError:
        return []
    for path in entries:
        if path == own or path.name == "restored.json":
            continue
        try:
            fd = os.open(path, os.O_RDWR)
        except PermissionError:
            # Another user's, which this one may not lock: it cannot be shown to
            # be gone, so it counts (a restore can still be forced).
            out.append(cast(InstanceInfo, _read(path) or {"workstation": path.stem.rsplit("-", 1)[0]}))
            continue
        except OSError:
            continue  # gone meanwhile
        try:
            free = _try_lock(fd)
            if free:
                with contextlib.suppress(OSError):
                    path.unlink()  # its process is gone
                continue
        finally:
            os.close(fd)
        info = cast(InstanceInfo, _read(path) or {"workstation": path.stem.rsplit("-", 1)[0]})
        out.append(info)
    return out


def describe(info: InstanceInfo) -> str:
    """'LAB-3 (jdoe, quartermaster import: importing big.csv since 10:02)'."""
    who = info.get("user") or "?"
    what = info.get("activity") or info.get("program") or "Quartermaster"
    since = info.get("since") or info.get("started")
    when = ""
    if since:
        with contextlib.suppress(ValueError):
            t = dt.datetime.fromisoformat(since)
            when = f" since {t:%H:%M}" if t.date() == dt.date.today() else f" since {t:%Y-%m-%d %H:%M}"
    return f"{info.get('workstation', '?')} ({who}, {what}{when})"


def describe_all(infos: list[InstanceInfo]) -> str:
    return "; ".join(describe(i) for i in infos)


def note_restore(db_file: Path, source: str) -> None:
    """Leave word for the processes still holding the file (see ``last_restore``)."""
    folder = folder_for(Path(db_file).resolve())
    files.private_dir(folder)
    note: RestoreNote = {"workstation": files.host(), "user": _user(), "source": source,
            "at": dt.datetime.now().replace(microsecond=0).isoformat()}
    with files.private(), contextlib.suppress(OSError):
        (folder / "restored.json").write_text(json.dumps(note), encoding="utf-8")


def last_restore(db_file: Path) -> RestoreNote | None:
    return cast(RestoreNote | None, _read(folder_for(Path(db_file).resolve()) / "restored.json"))
