"""Two processes on one database: a busy SQLite file is waited for, never an
error; a stale edit is refused; the "has someone else changed data?" probe
sees other connections' commits and not our own (both backends)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.models import Asset
from app.services import assets as asset_svc, stock
from app.services.errors import StaleEdit
from app.store import changes
from app.store.db import close_database, current_target, open_database
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]


def other_process(target: str, code: str, timeout: float = 60) -> str:
    """Run ``code`` in another Python process on the same database."""
    script = "import sys\nfrom app.store.db import open_database\nopen_database(sys.argv[1])\n" \
             + textwrap.dedent(code)
    res = subprocess.run([sys.executable, "-c", script, target], capture_output=True, text=True,
                         cwd=ROOT, timeout=timeout)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_two_processes_writing_at_once_never_fail(tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.concurrency import run
    result = run(tmp_path / "shared.sqlite", seconds=2, procs=2)
    assert result["errors"] == []
    assert all(n > 0 for n in result["per_process"]), result["per_process"]
    assert result["problems"] == []  # stock on hand equals its movements, one open loan each
    open_database(tmp_path / "shared.sqlite")
    try:
        made = Asset.select().where(Asset.name.startswith("P")).count()
        assert made >= 6  # every process's creations are there
    finally:
        close_database()


def test_a_writer_waits_for_a_long_transaction_in_another_process(sqlite_db, tmp_path):
    d = district()
    a = asset(d)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from app.store.db import open_database, db
            open_database(sys.argv[1])
            with db.atomic():
                db.execute_sql("UPDATE asset SET notes = 'held' WHERE id = 1")
                print("holding", flush=True)
                time.sleep(1.5)
            print("done", flush=True)
        """), str(sqlite_db.database)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t = time.monotonic()
        asset_svc.update(a.id, {"name": "Waited for"})  # reads inside the write: no upgrade error
        waited = time.monotonic() - t
    finally:
        holder.wait(timeout=30)
    assert waited > 0.5
    got = Asset.get_by_id(a.id)
    assert got.name == "Waited for" and got.notes == "held"  # both writes are there


def test_stale_edit_from_another_process_is_refused(db):
    d = district()
    a = asset(d, name="Original")
    loaded = asset_svc.get(a.id).version
    other_process(current_target(), f"""
        from app.services import assets
        assets.update({a.id}, {{"name": "Changed elsewhere"}})
    """)
    with pytest.raises(StaleEdit) as err:
        asset_svc.update(a.id, {"name": "Mine"}, expected_version=loaded)
    assert err.value.current["name"] == "Changed elsewhere" and err.value.mine["name"] == "Mine"
    assert asset_svc.get(a.id).name == "Changed elsewhere"


def test_change_probe_sees_other_connections_not_our_own(db):
    d = district()
    a = asset(d)
    changed, token = changes.changed_since(None)
    assert changed is False
    asset_svc.update(a.id, {"name": "My own edit"})
    changed, token = changes.changed_since(token)
    assert changed is False  # our own write is not news to us
    assert changes.changed_since(token) == (False, token)
    other_process(current_target(), f"""
        from app.services import assets
        assets.update({a.id}, {{"name": "Their edit"}})
    """)
    changed, token = changes.changed_since(token)
    assert changed is True
    assert changes.changed_since(token) == (False, token)  # reported once


def test_stock_moves_from_two_processes_add_up(db):
    item = stock.create(name="Paper", barcode="PAPER-1")
    stock.receive(item.id, 100)
    script = f"""
        from app.services import stock
        for _ in range(20):
            stock.receive({item.id}, 1)
    """
    procs = [subprocess.Popen([sys.executable, "-c",
                               "import sys\nfrom app.store.db import open_database\n"
                               "open_database(sys.argv[1])\n" + textwrap.dedent(script),
                               current_target()], cwd=ROOT) for _ in range(2)]
    for _ in range(20):
        stock.receive(item.id, 1)
    assert all(p.wait(timeout=60) == 0 for p in procs)
    assert stock.get(item.id).on_hand == 160
    from app.check import run_checks
    assert run_checks() == []
