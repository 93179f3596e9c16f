"""The front door: find, check, version, demo; errors and exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_demo_then_find_and_check(tmp_path, capsys):
    dbp = str(tmp_path / "d.sqlite")
    code, out, _ = run(["--db", dbp, "demo", "--assets", "300", "--seed", "7"], capsys)
    assert code == 0 and "300 assets" in out
    code, out, _ = run(["--db", dbp, "check"], capsys)
    assert code == 0, out
    code, out, _ = run(["--db", dbp, "find", " qm-000005 ", "--json"], capsys)
    rec = json.loads(out)
    assert code == 0 and rec["tag"] == "QM-000005" and rec["kind"] == "asset"
    assert rec["model"] and rec["site"] and rec["status"]
    code, out, err = run(["--db", dbp, "find", "no-such-thing"], capsys)
    assert code == 1 and err.strip() == "error: nothing matches 'no-such-thing'"
    code, _, err = run(["--db", dbp, "demo"], capsys)
    assert code == 1 and err.startswith("error: ") and "empty database" in err


def test_same_seed_same_data(tmp_path, capsys):
    import datetime as dt
    from app.demo import build_demo
    from app.models import Asset, Loan
    from app.store.db import close_database, open_database
    dumps = []
    for i in range(2):
        open_database(tmp_path / f"s{i}.sqlite")
        build_demo(assets=200, seed=3, today=dt.date(2026, 3, 1))
        dumps.append((list(Asset.select(Asset.tag, Asset.serial, Asset.cost, Asset.status,
                                        Asset.purchase_date).tuples()),
                      list(Loan.select(Loan.asset, Loan.person, Loan.due).tuples())))
        close_database()
    assert dumps[0] == dumps[1]


def test_check_reports_broken_invariants(tmp_path, capsys):
    dbp = str(tmp_path / "c.sqlite")
    run(["--db", dbp, "demo", "--assets", "100"], capsys)
    from app.store.db import close_database, open_database
    database = open_database(dbp)
    database.execute_sql("UPDATE supply SET on_hand = on_hand + 5 WHERE id = 1")
    close_database()
    code, out, _ = run(["--db", dbp, "check"], capsys)
    assert code == 1 and "stock:" in out


def test_misuse_exits_2_and_help_works(tmp_path):
    r = subprocess.run([sys.executable, "-m", "app", "--db", str(tmp_path / "x.sqlite"), "find"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    r = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "find" in r.stdout and "check" in r.stdout


def test_unreadable_database_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"\x00garbage" * 1000)
    code, _, err = run(["--db", str(bad), "check"], capsys)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_env_var_picks_database(tmp_path, monkeypatch, capsys):
    dbp = tmp_path / "env.sqlite"
    monkeypatch.setenv("QUARTERMASTER_DB", str(dbp))
    code, _, _ = run(["check"], capsys)
    assert code == 0 and dbp.exists()
