"""Backups: consistent, verified, compressed copies; the retention rule; restore
(also of a damaged database, and of a backup taken while another process was
writing); the automatic backups on open, before migrations and imports; the
CLI; PostgreSQL's portable copy."""
from __future__ import annotations

import datetime as dt
import gzip
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from app import backup
from app.cli import main
from app.models import Asset
from app.services import assets as asset_svc
from app.store.db import DatabaseOpenError, close_database, open_database
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]


def cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _plain_copy(info: backup.BackupInfo, dest: Path) -> Path:
    with gzip.open(info.path) as f:
        dest.write_bytes(f.read())
    return dest


# --- retention ------------------------------------------------------------------------------

NOW = dt.datetime(2025, 6, 15, 12, 0, 0)
times = st.lists(st.datetimes(min_value=dt.datetime(2022, 1, 1), max_value=NOW), max_size=80)


@hsettings(max_examples=150, deadline=None)
@given(times)
def test_retention_rule(ts):
    kept = backup.retain(ts, now=NOW)
    assert kept <= set(ts)
    if ts:
        assert max(ts) in kept  # the newest is never pruned
    ordered = sorted(set(ts), reverse=True)
    for bucket, count in ((lambda t: t.date(), 7), (lambda t: tuple(t.isocalendar())[:2], 4),
                          (lambda t: (t.year, t.month), 12)):
        newest_of = {}
        for t in ordered:
            newest_of.setdefault(bucket(t), t)
        recent_buckets = sorted(newest_of, key=lambda k: newest_of[k], reverse=True)[:count]
        for k in recent_buckets:  # the newest of each recent day / week / month is kept
            assert newest_of[k] in kept
    for t in kept:  # and nothing else, apart from the last 24 hours
        reasons = NOW - t < dt.timedelta(hours=24)
        for bucket, count in ((lambda t: t.date(), 7), (lambda t: tuple(t.isocalendar())[:2], 4),
                              (lambda t: (t.year, t.month), 12)):
            same = [u for u in ordered if bucket(u) == bucket(t)]
            newer_buckets = {bucket(u) for u in ordered if u > t and bucket(u) != bucket(t)}
            reasons = reasons or (same[0] == t and len(newer_buckets) < count)
        assert reasons, t
    assert len(kept) <= 7 + 4 + 12 + sum(1 for t in set(ts) if NOW - t < dt.timedelta(hours=24))
    assert backup.retain(kept, now=NOW) == kept  # pruning twice prunes nothing more


def test_prune_keeps_the_rule_on_disk(sqlite_db, tmp_path):
    district()
    folder = tmp_path / "backups"
    first = backup.make_backup("manual")
    # Forty older copies, one a day.
    for days in range(1, 41):
        stamp = (dt.datetime.now() - dt.timedelta(days=days)).strftime("%Y%m%d-%H%M%S")
        (folder / f"qm-{stamp}-daily-0a.sqlite.gz").write_bytes(first.path.read_bytes())
    removed = backup.prune(folder)
    left = backup.list_backups(folder)
    assert removed and len(left) == len(backup.retain([b.taken_at for b in left] +
                                                      [], now=dt.datetime.now()))
    assert 8 <= len(left) <= 7 + 4 + 12
    assert left[0].path == first.path


# --- making and listing ---------------------------------------------------------------------

def test_backup_is_verified_compressed_and_listed(sqlite_db, tmp_path):
    d = district()
    for _ in range(3):
        asset(d)
    info = backup.make_backup("manual")
    assert info.path.parent == tmp_path / "backups"
    assert info.path.name.startswith("qm-") and info.path.name.endswith("-manual-3a.sqlite.gz")
    with gzip.open(info.path) as f:  # gzip, and inside a SQLite database
        assert f.read(16) == b"SQLite format 3\x00"
    copy = _plain_copy(info, tmp_path / "copy.sqlite")
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM asset").fetchone()[0] == 3
    con.close()
    listed = backup.list_backups()
    assert [(b.path, b.assets, b.reason) for b in listed] == [(info.path, 3, "manual")]
    assert listed[0].size == info.path.stat().st_size > 0


def test_automatic_backups_skip_an_empty_database(sqlite_db, tmp_path):
    assert backup.make_backup("before importing x.csv") is None
    assert backup.maybe_backup_on_open() is None
    assert not (tmp_path / "backups").exists()


def test_daily_backup_on_open(sqlite_db, tmp_path):
    d = district()
    asset(d)
    first = backup.maybe_backup_on_open()
    assert first is not None and first.reason == "daily"
    assert backup.maybe_backup_on_open() is None  # a fresh one exists
    old = (dt.datetime.now() - dt.timedelta(days=2)).strftime("%Y%m%d-%H%M%S")
    first.path.rename(first.path.with_name(f"qm-{old}-daily-1a.sqlite.gz"))
    again = backup.maybe_backup_on_open()
    assert again is not None and len(backup.list_backups()) == 2


def test_cli_opening_makes_the_daily_backup(tmp_path, capsys):
    dbp = tmp_path / "d.sqlite"
    assert cli(["--db", str(dbp), "demo", "--assets", "30"], capsys)[0] == 0
    assert not list((tmp_path / "backups").glob("*.gz"))  # it was empty when opened
    code, _, err = cli(["--db", str(dbp), "check"], capsys)
    assert code == 0 and err == ""
    daily = list((tmp_path / "backups").glob("d-*-daily-30a.sqlite.gz"))
    assert len(daily) == 1
    cli(["--db", str(dbp), "check"], capsys)
    assert len(list((tmp_path / "backups").glob("*.gz"))) == 1  # once a day


def test_backup_before_import_and_before_migration(sqlite_db, tmp_path):
    d = district()
    asset(d)
    csv = tmp_path / "more.csv"
    csv.write_text("Asset Tag,Name\nX-1,Projector\n", encoding="utf-8")
    from app import importing
    importing.commit(csv, kind="assets")
    found = backup.list_backups()
    assert [b.reason for b in found] == ["before-importing-more-csv"] and found[0].assets == 1
    close_database()
    from tests.app.test_migrations import make_v1
    old = tmp_path / "old.sqlite"
    make_v1(old)
    open_database(old, before_migration=backup.copy_before_migration)
    close_database()
    before = [b for b in backup.list_backups(tmp_path / "backups", "old")]
    assert [b.reason for b in before] == ["before-migration-from-v1"]
    copy = tmp_path / "v1.sqlite"
    _plain_copy(before[0], copy)
    con = sqlite3.connect(copy)
    assert con.execute("SELECT MAX(version) FROM qm_schema").fetchone()[0] == 1
    con.close()


def test_backup_folder_is_configurable_and_checked(sqlite_db, tmp_path):
    d = district()
    asset(d)
    share = tmp_path / "share" / "qm"
    assert backup.set_backup_folder(share) == share
    info = backup.make_backup("manual")
    assert info.path.parent == share
    assert backup.list_backups()[0].path == info.path
    if os.geteuid() != 0:  # root writes anywhere; the message test needs a real refusal
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(backup.BackupError, match="cannot be written"):
            backup.set_backup_folder(locked / "sub")
    backup.set_backup_folder(None)
    assert backup.backup_folder() == tmp_path / "backups"


def test_backup_to_an_unwritable_place_is_a_clear_error(sqlite_db, tmp_path):
    d = district()
    asset(d)
    target = tmp_path / "not-a-folder"
    target.write_text("a file")
    with pytest.raises(backup.BackupError, match="could not be written"):
        backup.make_backup("manual", output=target / "x.sqlite.gz")
    assert Asset.select().count() == 1


# --- restoring ------------------------------------------------------------------------------

def test_restore_puts_the_backup_back_and_keeps_the_current_file(sqlite_db, tmp_path):
    d = district()
    a = asset(d, name="Before")
    info = backup.make_backup("manual")
    asset_svc.update(a.id, {"name": "After"})
    asset(d)
    result = backup.restore(info.path)
    assert result.assets == 1 and result.safety_copy and result.safety_copy.exists()
    assert "before-restore-2a" in result.safety_copy.name
    assert Asset.select().count() == 1 and Asset.get_by_id(a.id).name == "Before"  # re-opened
    asset(d)  # and writable
    from app.check import run_checks
    assert run_checks() == []


def test_restore_refuses_bad_files(sqlite_db, tmp_path):
    d = district()
    asset(d)
    info = backup.make_backup("manual")
    cut = tmp_path / "cut.sqlite.gz"
    cut.write_bytes(info.path.read_bytes()[:2000])
    with pytest.raises(backup.BackupError, match="not a complete backup|not a readable"):
        backup.restore(cut)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(backup.BackupError, match="not a Quartermaster database"):
        backup.restore(other)
    with pytest.raises(backup.BackupError, match="no backup file"):
        backup.restore(tmp_path / "missing.gz")
    assert Asset.select().count() == 1  # nothing changed
    assert not list(tmp_path.glob(".qm.sqlite.restoring"))


def _damage(path: Path, start: int = 100) -> None:
    """Overwrite 20 pages of the file after the header (the schema, tables, indexes)."""
    with path.open("r+b") as f:
        f.seek(start)
        f.write(os.urandom(4096 * 20))


def test_damage_found_by_the_daily_check_is_refused(sqlite_db, tmp_path):
    d = district()
    for _ in range(120):
        asset(d, notes="x" * 500)
    path = Path(sqlite_db.database)
    close_database()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("UPDATE setting SET value = '\"2000-01-01\"' WHERE key = 'integrity_checked_on'")
    con.commit()
    con.close()
    _damage(path, start=4096 * 8)  # table pages, not the schema: only a full check sees it
    with pytest.raises(DatabaseOpenError, match="Restore the newest good backup"):
        open_database(path)


def test_damaged_database_is_refused_then_restored_from_the_cli(tmp_path, capsys):
    dbp = tmp_path / "inv.sqlite"
    assert cli(["--db", str(dbp), "demo", "--assets", "200"], capsys)[0] == 0
    code, out, _ = cli(["--db", str(dbp), "backup"], capsys)
    assert code == 0 and "200 assets" in out
    good = backup.list_backups(tmp_path / "backups", "inv")[0]
    _damage(dbp)
    with pytest.raises(DatabaseOpenError, match="(?i)restore"):
        open_database(dbp)  # first open of the day: the full check finds it
    close_database()
    code, _, err = cli(["--db", str(dbp), "check"], capsys)
    assert code == 1 and err.startswith("error: ") and "restore" in err.lower()
    assert "Traceback" not in err
    code, out, err = cli(["--db", str(dbp), "restore", str(good.path)], capsys)
    assert code == 0, err
    assert "restored" in out and "200 assets" in out
    kept = [p for p in (tmp_path / "backups").iterdir() if "before-restore" in p.name
            or "unreadable" in p.name]
    assert kept, "the damaged file is kept, not thrown away"
    assert not Path(str(dbp) + "-wal").exists() or Path(str(dbp) + "-wal").stat().st_size == 0
    code, out, _ = cli(["--db", str(dbp), "check"], capsys)
    assert code == 0, out


WRITER = textwrap.dedent("""
    import sys, time
    from app.store.db import open_database
    from app.services import assets, catalog
    open_database(sys.argv[1])
    site = catalog.create_site("Busy School")
    room = catalog.create_location(site.id, "Room 1")
    print("ready", flush=True)
    end = time.monotonic() + float(sys.argv[2])
    n = 0
    while time.monotonic() < end:
        a = assets.create({"name": f"Writer {n}", "location_id": room.id, "cost": "10.00"})
        assets.update(a.id, {"name": f"Writer {n} edited"})
        n += 1
    print(n, flush=True)
""")


def test_backup_while_another_process_writes_then_restore(sqlite_db, tmp_path):
    d = district()
    asset(d)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(sqlite_db.database), "3"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "ready"
        taken = []
        for _ in range(4):
            taken.append(backup.make_backup("manual", prune_old=False))
        written = int(proc.stdout.readline())
    finally:
        proc.wait(timeout=30)
    assert written > 0
    for info in taken:  # each copy is one consistent snapshot
        copy = _plain_copy(info, tmp_path / f"c-{info.path.name}.sqlite")
        con = sqlite3.connect(copy)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = con.execute("SELECT COUNT(*) FROM asset").fetchone()[0]
        assert n == info.assets
        # every asset the copy holds has its search row and its history
        assert con.execute("SELECT COUNT(*) FROM asset WHERE name LIKE 'Writer %' AND "
                           "search_text = ''").fetchone()[0] == 0
        con.close()
    result = backup.restore(taken[-1].path)
    assert Asset.select().count() == result.assets == taken[-1].assets
    from app.check import run_checks
    assert run_checks() == []


# --- command line and PostgreSQL ------------------------------------------------------------

def test_cli_backup_list_and_output(tmp_path, capsys):
    dbp = tmp_path / "inv.sqlite"
    cli(["--db", str(dbp), "demo", "--assets", "20"], capsys)
    code, out, _ = cli(["--db", str(dbp), "backup", "--list"], capsys)
    assert code == 0 and "no backups yet" in out
    out_file = tmp_path / "elsewhere" / "copy.sqlite"
    out_file.parent.mkdir()
    code, out, _ = cli(["--db", str(dbp), "backup", "-o", str(out_file)], capsys)
    assert code == 0 and str(out_file) in out
    assert sqlite3.connect(out_file).execute("SELECT COUNT(*) FROM asset").fetchone()[0] == 20
    cli(["--db", str(dbp), "backup"], capsys)
    code, out, _ = cli(["--db", str(dbp), "backup", "--list"], capsys)
    assert code == 0 and "manual" in out and " 20 " in out
    code, _, err = cli(["--db", str(dbp), "restore", str(tmp_path / "nope.gz")], capsys)
    assert code == 1 and err.startswith("error: There is no backup file")


def test_postgres_backup_is_a_portable_sqlite_copy(pg_url, tmp_path, capsys):
    open_database(pg_url)
    d = district()
    for _ in range(5):
        asset(d)
    assert backup.make_backup("before importing x.csv") is None  # automatic: not on a server
    out = tmp_path / "server.sqlite.gz"
    info = backup.make_backup("manual", output=out)
    assert info.path == out and info.assets == 5
    assert Asset.select().count() == 5  # still bound to the server
    local = tmp_path / "local.sqlite"
    result = backup.restore(out, local)
    assert result.assets == 5
    close_database()
    open_database(local)
    from app.check import run_checks
    assert run_checks() == [] and Asset.select().count() == 5
    from app.services import people
    assert people.create(first_name="New", last_name="Person", kind="staff").id > 2
