"""Files the application writes: private, and never left half-written.

Databases, backups, exports and logs hold names, e-mail addresses and product
keys, so on POSIX they are created 0600 in 0700 folders: ``private()`` puts a
umask of 077 around a write (counted, so threads that overlap do not undo each
other's), and the command line and the desktop app set it for the whole
process at start-up. Windows keeps its own per-user ACLs; nothing to do there.

A temporary copy is made in the folder of its destination (same file system,
so the final rename is atomic, and never in the shared system temp folder),
named ``.qm-tmp-HOST-PID-…`` so a later start-up can tell a dead process's
leftovers (a killed backup) from a live one's: ``clean_stale`` removes those
at once and anything of another computer's after a day.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

PRIVATE_UMASK = 0o077
STALE_AFTER_S = 24 * 3600
TMP_PREFIX = ".qm-tmp-"

_lock = threading.Lock()
_depth = 0
_saved: int | None = None


def set_private_umask() -> None:
    """For the whole process (the command line and the desktop app call this first)."""
    if os.name == "posix":
        os.umask(PRIVATE_UMASK)


@contextlib.contextmanager
def private():
    """Files and folders created inside are readable by their owner only."""
    global _depth, _saved
    if os.name != "posix":
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = os.umask(PRIVATE_UMASK)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.umask(_saved)
                _saved = None


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) as private folders; an existing one is left as it is."""
    with private():
        path.mkdir(parents=True, exist_ok=True)
    return path


def host() -> str:
    # Letters, digits and _ only: temporary names are parsed back (see _OWNER).
    name = re.sub(r"[^A-Za-z0-9_]+", "_", socket.gethostname() or "host")[:40]
    return name or "host"


def temp_dir(beside: Path, purpose: str = "copy") -> Path:
    """A private temporary folder in ``beside`` (the destination's folder)."""
    private_dir(beside)
    with private():
        return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{host()}-{os.getpid()}-{purpose}-",
                                     dir=beside))


@contextlib.contextmanager
def temporary_dir(beside: Path, purpose: str = "copy"):
    """``temp_dir`` removed again on the way out, whatever happens."""
    path = temp_dir(beside, purpose)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def temp_name(dest: Path, suffix: str) -> Path:
    """A temporary file name beside ``dest`` that says whose it is:
    ``.NAME.HOST-PID.SUFFIX`` (e.g. ``.inventory.sqlite.lab3-4242.restoring``)."""
    return dest.with_name(f".{dest.name}.{host()}-{os.getpid()}.{suffix}")


_OWNER = re.compile(r"^\.qm-tmp-(?P<host>\w+)-(?P<pid>\d+)-|\.(?P<host2>\w+)-(?P<pid2>\d+)"
                    r"\.(part|restoring)$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _is_dead_leftover(name: str, age_s: float) -> bool:
    if age_s > STALE_AFTER_S:
        return True
    m = _OWNER.search(name)
    if not m or os.name != "posix":
        return False
    who, pid = (m["host"], m["pid"]) if m["host"] else (m["host2"], m["pid2"])
    return who == host() and not _pid_alive(int(pid))


# What this and earlier versions leave while writing: temporary folders, the
# ``.NAME.HOST-PID.part``/``.restoring`` files of temp_name, and the older
# ``NAME.sqlite.gz.part`` and ``.NAME.restoring``. Nothing else is touched
# (the database may sit in a Documents folder full of other people's files).
_OURS = re.compile(r"^(\.qm-tmp-.+|\..+\.\w+-\d+\.(part|restoring)"
                   r"|.+\.sqlite(\.gz)?\.part|\..+\.restoring)$")
# Older versions copied backups into the system temp folder.
_SYSTEM_TEMP = re.compile(r"^qm-(backup|export)-\w+$")


def _leftover(name: str, system_temp: bool) -> bool:
    return bool((_SYSTEM_TEMP if system_temp else _OURS).match(name))


def clean_stale(*folders: Path | None) -> list[Path]:
    """Remove what killed or crashed runs left in these folders: temporary
    copies, ``.part`` and ``.restoring`` files. A dead process's on this
    computer go at once; anything else only after a day (another computer may
    still be writing it). Returns what was removed."""
    removed = []
    now = time.time()
    system_temp = Path(tempfile.gettempdir()).resolve()
    for folder in folders:
        if folder is None:
            continue
        in_temp = Path(folder).resolve() == system_temp
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            if not _leftover(e.name, in_temp):
                continue
            try:
                age = now - e.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if not _is_dead_leftover(e.name, age):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path)
                else:
                    os.unlink(e.path)
                removed.append(Path(e.path))
            except OSError:
                continue
    return removed


