"""What survives a crash or a failing disk: a process killed (SIGKILL) in the
middle of an import or a stocktake leaves a database that passes `check`
with every committed change present; a full disk or a read-only database
during a write is a clear StorageError and loses nothing already saved."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.models import Asset
from app.services import assets as asset_svc
from app.services.errors import StorageError
from app.store.db import close_database, open_database
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]
QM = [sys.executable, "-m", "app"]


def qm(dbp, *args, timeout=120):
    return subprocess.run(QM + ["--db", str(dbp), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def committed(dbp: Path, sql: str) -> int:
    con = sqlite3.connect(f"file:{dbp}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL ``proc`` once ``ready()`` is true; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return True
        except sqlite3.OperationalError:
            pass
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the process never reached the point to kill it at")


def test_import_killed_midway_is_all_or_nothing(tmp_path):
    dbp = tmp_path / "inv.sqlite"
    assert qm(dbp, "demo", "--assets", "50").returncode == 0
    rows = 20_000  # long enough to be caught writing on a quiet, fast machine
    csv = tmp_path / "big.csv"
    with csv.open("w", encoding="utf-8") as f:
        f.write("Asset Tag,Name,Serial,Cost,Notes\n")
        for i in range(rows):
            f.write(f"BIG-{i:06d},Chromebook {i},SN{i:08d},249.00,imported row {i}\n")
    wal = Path(str(dbp) + "-wal")
    proc = subprocess.Popen(QM + ["--db", str(dbp), "import", str(csv)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The import writes its rows inside one transaction: kill once the WAL shows it writing.
    killed = kill_when(proc, lambda: wal.exists() and wal.stat().st_size > 300_000)
    res = qm(dbp, "check")
    assert res.returncode == 0, res.stdout + res.stderr
    n = committed(dbp, "SELECT COUNT(*) FROM asset WHERE tag LIKE 'BIG-%'")
    assert killed, "the import ended before it could be killed"
    # Nearly always killed mid-transaction (nothing); if the kill landed just after
    # the commit, everything. Never a part.
    assert n in (0, rows), f"a killed import left {n} of {rows} rows"
    assert committed(dbp, "SELECT COUNT(*) FROM asset WHERE tag NOT LIKE 'BIG-%'") == 50
    if n == 0:  # the same file imports whole afterwards
        res = qm(dbp, "import", str(csv))
        assert res.returncode == 0, res.stderr
        assert committed(dbp, "SELECT COUNT(*) FROM asset WHERE tag LIKE 'BIG-%'") == rows
    assert qm(dbp, "check").returncode == 0


def test_stocktake_killed_midway_keeps_every_committed_scan(tmp_path):
    dbp = tmp_path / "inv.sqlite"
    assert qm(dbp, "demo", "--assets", "400").returncode == 0
    con = sqlite3.connect(dbp)
    site, = con.execute("SELECT name FROM site ORDER BY id LIMIT 1").fetchone()
    tags = [t for t, in con.execute("SELECT tag FROM asset ORDER BY id")]
    con.close()
    res = qm(dbp, "stocktake", "start", "--scope", site)
    assert res.returncode == 0, res.stderr
    session = int(res.stdout.strip().splitlines()[-1])
    scans = tmp_path / "scanner.txt"
    scans.write_text("\n".join(tags * 3) + "\n", encoding="utf-8")  # 1,200 scans
    count = f"SELECT COUNT(*) FROM stocktake_scan WHERE session_id = {session}"
    proc = subprocess.Popen(QM + ["--db", str(dbp), "stocktake", "scan", str(session),
                                  "--file", str(scans)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {"n": 0}

    def some_committed():
        seen["n"] = committed(dbp, count)
        return seen["n"] >= 100

    killed = kill_when(proc, some_committed)
    res = qm(dbp, "check")
    assert res.returncode == 0, res.stdout + res.stderr
    after = committed(dbp, count)
    assert after >= seen["n"]  # every scan committed before the kill is there
    assert killed and after < len(tags) * 3
    res = qm(dbp, "stocktake", "status", str(session), "--json")
    assert res.returncode == 0, res.stderr  # the session carries on after the crash
    res = qm(dbp, "stocktake", "scan", str(session), tags[0])
    assert res.returncode == 0 and "already scanned" in res.stdout, res.stdout


def test_full_disk_is_a_clear_error_and_loses_nothing(sqlite_db):
    d = district()
    saved = [asset(d, name=f"Saved {i}").id for i in range(5)]
    pages = sqlite_db.execute_sql("PRAGMA page_count").fetchone()[0]
    # Fault injection: the file may not grow past a few more pages, as on a full disk.
    sqlite_db.execute_sql(f"PRAGMA max_page_count = {pages + 3}")
    with pytest.raises(StorageError) as err:
        for i in range(200):
            asset(d, name=f"Overflow {i}", notes="x" * 5000)
    assert "disk is full" in str(err.value) and "nothing from this action was saved" in str(err.value)
    path = sqlite_db.database
    close_database()
    open_database(path)
    assert [a.id for a in Asset.select().where(Asset.id.in_(saved))] == saved
    from app.check import run_checks
    assert run_checks() == []
    asset(d, name="After freeing space")  # writable again


def test_read_only_database_is_a_clear_error_and_loses_nothing(sqlite_db, tmp_path):
    d = district()
    a = asset(d, name="Kept")
    if os.geteuid() != 0:
        path = Path(sqlite_db.database)
        close_database()
        for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
            if p.exists():
                p.chmod(0o444)
        path.parent.chmod(0o555)
        try:
            with pytest.raises((StorageError, Exception)) as err:
                open_database(path)
                asset_svc.update(a.id, {"name": "Changed"})
            assert "read-only" in str(err.value) or "readonly" in str(err.value).lower() \
                or "Cannot open" in str(err.value)
        finally:
            path.parent.chmod(0o755)
            for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
                if p.exists():
                    p.chmod(0o644)
        close_database()
        open_database(path)
    else:
        # Root writes through file modes; SQLite's own read-only switch is the fault here.
        sqlite_db.execute_sql("PRAGMA query_only = 1")
        with pytest.raises(StorageError, match="read-only.*nothing from this action was saved"):
            asset_svc.update(a.id, {"name": "Changed"})
        sqlite_db.execute_sql("PRAGMA query_only = 0")
    assert asset_svc.get(a.id).name == "Kept"


# --- kills during backup and restore: no plain copy left anywhere ---------------------------

SLOW = """
import sys, time
from app import backup, restoring
from app.cli import main
stage = sys.argv.pop(1)
module, name = {"backup": (backup, "_write_compressed"), "restore": (restoring, "verify_file")}[stage]
real = getattr(module, name)
def slow(*args, **kwargs):
    print("copy on disk", flush=True)  # the plain copy is written: a slow disk from here
    time.sleep(60)
    return real(*args, **kwargs)
setattr(module, name, slow)
sys.exit(main())
"""


def _temp_entries() -> set[str]:
    import tempfile
    return set(os.listdir(tempfile.gettempdir()))


def _plain_copies(folder: Path) -> list[Path]:
    """Any file under ``folder`` that is an uncompressed SQLite database and not
    the inventory itself (or its WAL)."""
    out = []
    for p in folder.rglob("*"):
        if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\x00" and p.name != "inv.sqlite":
            out.append(p)
    return out


@pytest.mark.parametrize("stage", ["backup", "restore"])
def test_killed_backup_or_restore_leaves_no_plain_copy(tmp_path, stage):
    dbp = tmp_path / "inv.sqlite"
    assert qm(dbp, "demo", "--assets", "200").returncode == 0
    good = tmp_path / "good.sqlite.gz"
    assert qm(dbp, "backup", "-o", str(good)).returncode == 0
    temp_before = _temp_entries()
    args = ["backup"] if stage == "backup" else ["restore", str(good)]
    proc = subprocess.Popen([sys.executable, "-c", SLOW, stage, "--db", str(dbp), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "QM_NO_AUTO_BACKUP": "1"})
    try:
        assert proc.stdout.readline().strip() == "copy on disk"
        left = _plain_copies(tmp_path)
        assert left, "the copy the run was making should be on disk now"
        assert all(os.stat(p.parent).st_mode & 0o077 == 0 or os.stat(p).st_mode & 0o077 == 0
                   for p in left)  # private while it exists
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # The system temp folder never held a copy.
    assert not {n for n in _temp_entries() - temp_before if n.startswith("qm-")}
    res = qm(dbp, "check")  # the next start-up clears the dead run's leftovers
    assert res.returncode == 0, res.stdout + res.stderr
    assert _plain_copies(tmp_path) == []
    leftovers = [p.name for p in tmp_path.rglob("*")
                 if p.name.endswith((".part", ".restoring")) or p.name.startswith(".qm-tmp-")]
    assert leftovers == []
    assert committed(dbp, "SELECT COUNT(*) FROM asset") == 200
