"""Restores under load and from hostile files.

A restore while another Quartermaster writes is refused (naming the
workstation) and loses nothing; with --force the other process stops writing
and says why. A "backup" carrying a trigger, table, view or column of its own is
refused in one line; one whose settings point outside the database is restored
with those settings reset."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app import backup, files
from app.backup import BackupError
from app.models import Asset
from app.services import settings
from app.store import instances
from app.store.db import close_database, open_database
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]
QM = [sys.executable, "-m", "app"]


def qm(dbp, *args, timeout=120):
    return subprocess.run(QM + ["--db", str(dbp), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, "QM_NO_AUTO_BACKUP": "1"},
                          check=False)


@pytest.fixture
def inventory(tmp_path, monkeypatch):
    """A database with a few assets and a plain backup of it; closed."""
    monkeypatch.setenv("QM_NO_AUTO_BACKUP", "1")
    path = tmp_path / "inv.sqlite"
    open_database(path)
    d = district()
    for i in range(5):
        asset(d, name=f"Kept {i}")
    info = backup.make_backup("manual", tmp_path / "good.sqlite")
    close_database()
    return path, info.path


def _crafted(good: Path, tmp_path: Path, name: str, *sql: str) -> Path:
    bad = tmp_path / f"{name}.sqlite"
    bad.write_bytes(good.read_bytes())
    con = sqlite3.connect(bad)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()
    return bad


@pytest.mark.parametrize("name, sql, reason", [
    ("trigger", [("CREATE TRIGGER wipe AFTER INSERT ON history_entry BEGIN "
                  "DELETE FROM history_entry WHERE id = new.id; END")],
     "trigger wipe on history_entry, which Quartermaster does not make"),
    ("table", ["CREATE TABLE payload (x TEXT)"], "table payload, which Quartermaster does not make"),
    ("view", ["CREATE VIEW everyone AS SELECT * FROM person"],
     "view everyone, which Quartermaster does not make"),
    ("changed-trigger", ["DROP TRIGGER asset_fts_ai",
                         ("CREATE TRIGGER asset_fts_ai AFTER INSERT ON asset BEGIN "
                          "DELETE FROM history_entry; END")],
     "trigger asset_fts_ai on asset defined differently"),
    ("column", ["ALTER TABLE person ADD COLUMN ssn TEXT"], "table person with column(s) ssn"),
    ("index", ["CREATE INDEX sneaky ON person (email)"], "index sneaky on person"),
])
def test_a_backup_with_a_schema_of_its_own_is_refused(inventory, tmp_path, name, sql, reason):
    target, good = inventory
    before = target.read_bytes()
    bad = _crafted(good, tmp_path, name, *sql)
    with pytest.raises(BackupError) as err:
        backup.restore(bad, target)
    message = str(err.value)
    assert reason in message and "\n" not in message and "not restored" in message
    assert target.read_bytes() == before
    res = qm(target, "restore", str(bad))  # the command line: one line, exit 1
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and reason in res.stderr


def test_settings_pointing_outside_are_reset_and_the_user_told(inventory, tmp_path):
    target, good = inventory
    elsewhere = tmp_path / "attacker-share"
    bad = _crafted(good, tmp_path, "redirect",
                   f"INSERT OR REPLACE INTO setting (key, value) VALUES ('backup_folder', "
                   f"'{json.dumps(str(elsewhere))}')",
                   "INSERT OR REPLACE INTO setting (key, value) VALUES ('org_logo', "
                   "'\"/etc/shadow\"')")
    res = qm(target, "restore", str(bad))
    assert res.returncode == 0, res.stderr
    assert f"the backup folder setting ({elsewhere}) was reset" in res.stdout
    assert "the logo file setting (/etc/shadow) was reset" in res.stdout
    open_database(target)
    try:
        assert settings.get("backup_folder") is None and settings.get("org_logo") is None
        assert backup.backup_folder() == target.parent / "backups"
        info = backup.make_backup("manual")
        assert info.path.parent == target.parent / "backups" and not elsewhere.exists()
        from app.models import HistoryEntry
        notes = [h.note for h in HistoryEntry.select().where(HistoryEntry.action == "reset")]
        assert len(notes) == 2 and all("pointed outside the database" in n for n in notes)
    finally:
        close_database()


WRITER = textwrap.dedent("""
    import sys, time
    from app.store.db import open_database
    from app.services import assets
    from app.services.errors import DomainError
    from app.models import Location
    open_database(sys.argv[1])
    room = Location.select().first()
    n = 0
    print("ready", flush=True)
    while True:
        try:
            a = assets.create({"name": f"Writer {n}", "location_id": room.id})
        except DomainError as exc:
            print("stopped:", exc, flush=True)
            sys.exit(3)
        print("saved", a.tag, flush=True)
        n += 1
        time.sleep(0.02)
""")


def _start_writer(target: Path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "QM_NO_AUTO_BACKUP": "1", "QM_USER": "writer"})
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_restore_while_another_process_writes_is_refused_then_forced(inventory, tmp_path):
    target, good = inventory
    proc = _start_writer(target)
    saved: list[str] = []
    try:
        for _ in range(5):
            saved.append(proc.stdout.readline().split()[1])
        live = instances.others(target)
        assert [i["pid"] for i in live] == [proc.pid] and live[0]["user"] == "writer"
        res = qm(target, "restore", str(good))
        assert res.returncode == 1
        assert f"is using inv.sqlite on {files.host()} (writer" in res.stderr, res.stderr
        assert "--force" in res.stderr
        for _ in range(5):  # still writing, into the same file
            saved.append(proc.stdout.readline().split()[1])
        started = time.monotonic()
        res = qm(target, "restore", "--force", str(good))
        assert res.returncode == 0, res.stderr
        # The writer stops at its next change and says why (within seconds).
        out, err = proc.communicate(timeout=30)
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = out.splitlines()
    assert proc.returncode == 3, (out, err)
    assert lines[-1].startswith("stopped: The database inv.sqlite was restored from a backup by ")
    assert "stopped writing" in lines[-1]
    saved += [ln.split()[1] for ln in lines if ln.startswith("saved")]
    # Every write the writer reported went into the file: the safety copy taken
    # before the restore holds each of them; the restored file holds none.
    safety = max((target.parent / "backups").glob("inv-*-before-restore-*.sqlite.gz"))
    plain = tmp_path / "safety.sqlite"
    import gzip
    plain.write_bytes(gzip.decompress(safety.read_bytes()))
    con = sqlite3.connect(plain)
    kept = {t for (t,) in con.execute("SELECT tag FROM asset WHERE name LIKE 'Writer %'")}
    con.close()
    assert set(saved) <= kept and len(saved) >= 10
    con = sqlite3.connect(target)
    assert con.execute("SELECT COUNT(*) FROM asset WHERE name LIKE 'Writer %'").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM asset").fetchone()[0] == 5
    con.close()
    assert qm(target, "check").returncode == 0


def test_a_killed_process_does_not_block_a_restore(inventory):
    target, good = inventory
    proc = _start_writer(target)
    proc.stdout.readline()
    proc.kill()
    proc.wait()
    assert instances.others(target) == []  # its lock went with it
    res = qm(target, "restore", str(good))
    assert res.returncode == 0, res.stderr


def test_a_swapped_file_is_noticed_before_the_next_write(inventory, tmp_path):
    """A damaged file is replaced by a rename: a process holding the old one
    notices the new inode inside the write lock and writes nothing."""
    target, good = inventory
    open_database(target)
    d_room = Asset.select().first().location_id
    replacement = tmp_path / "other.sqlite"
    replacement.write_bytes(good.read_bytes())
    os.replace(replacement, target)
    from app.services import assets
    from app.services.errors import StorageError
    with pytest.raises(StorageError, match="was restored from a backup"):
        assets.create({"name": "Lost?", "location_id": d_room})
    close_database()
    con = sqlite3.connect(target)
    assert con.execute("SELECT COUNT(*) FROM asset WHERE name = 'Lost?'").fetchone()[0] == 0
    con.close()


HOLDER = textwrap.dedent("""
    import sys, time
    from app.store.db import open_database, db
    from app.store import instances
    open_database(sys.argv[1])
    with instances.doing("importing big.csv"):
        with db.atomic():
            print("holding", flush=True)
            time.sleep(float(sys.argv[2]))
""")


def test_a_lock_wait_says_who_holds_the_lock_and_what_for(inventory, monkeypatch):
    target, _good = inventory
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), "20"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "QM_NO_AUTO_BACKUP": "1", "QM_USER": "importer"})
    try:
        assert proc.stdout.readline().strip() == "holding"
        from app.store import db as store_db
        monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 1)
        open_database(target)
        from app.services import assets
        from app.services.errors import StorageError
        room = Asset.select().first().location_id
        with pytest.raises(StorageError) as err:
            assets.create({"name": "Waiting", "location_id": room})
        message = str(err.value)
        assert f"Quartermaster on {files.host()} (importer, importing big.csv since " in message
        assert "Nothing from this action was saved" in message
        close_database()
    finally:
        proc.kill()
        proc.wait()


def test_a_restore_waiting_on_a_busy_file_never_swaps_it(inventory, monkeypatch):
    """Another program holds the write lock for longer than the wait: the
    restore is refused with who is busy, and the file is the same file."""
    target, good = inventory
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), "20"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "QM_NO_AUTO_BACKUP": "1", "QM_USER": "importer"})
    try:
        assert proc.stdout.readline().strip() == "holding"
        inode = target.stat().st_ino
        monkeypatch.setattr(sqlite3, "connect", _short_wait(sqlite3.connect))
        with pytest.raises(BackupError, match="stayed busy for too long: Quartermaster on .*importing"):
            backup.restore(good, target, force=True)
        assert target.stat().st_ino == inode
        assert not list(target.parent.glob("backups/*unreadable*"))
    finally:
        proc.kill()
        proc.wait()


def _short_wait(connect):
    def quick(*args, **kwargs):
        kwargs["timeout"] = min(kwargs.get("timeout", 5), 0.5)
        return connect(*args, **kwargs)
    return quick


def test_the_registry_is_as_private_as_the_database(tmp_path):
    """A private file's registry is private; a file shared with a group (a team
    folder) gets a registry the group can read and lock, so others are seen."""
    private = tmp_path / "mine.sqlite"
    open_database(private)
    folder = instances.folder_for(private)
    assert folder.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
    close_database()
    shared = tmp_path / "team.sqlite"
    open_database(shared)
    close_database()
    shared.chmod(0o660)
    open_database(shared)
    folder = instances.folder_for(shared)
    assert folder.stat().st_mode & 0o070 == 0o070
    assert all(p.stat().st_mode & 0o066 == 0o060 for p in folder.iterdir())
    close_database()
