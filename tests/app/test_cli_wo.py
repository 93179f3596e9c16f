"""`quartermaster wo`: new prints the number, list/--open/--csv, show, note, close, errors."""
from __future__ import annotations

import csv
import io

from app.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_work_order_round_trip(tmp_path, capsys):
    dbp = str(tmp_path / "d.sqlite")
    assert run(["--db", dbp, "demo", "--assets", "60", "--seed", "3"], capsys)[0] == 0
    import sqlite3
    con = sqlite3.connect(dbp)
    tag = con.execute("SELECT tag FROM asset WHERE status IN ('ready', 'deployed') "
                      "ORDER BY id LIMIT 1").fetchone()[0]
    con.close()
    code, out, err = run(["--db", dbp, "wo", "new", "--asset", tag.lower(), "--requester",
                          "E10000", "--category", "repair", "--summary", "No video"], capsys)
    assert code == 0, err
    first = int(out.strip())
    code, out, _ = run(["--db", dbp, "wo", "new", "--requester-name", "Maria Lopez", "--contact",
                        "555-0142", "--category", "Account", "--summary", "Portal password",
                        "--priority", "high"], capsys)
    second = int(out.strip())
    assert second == first + 1
    code, out, _ = run(["--db", dbp, "wo", "note", str(first), "Reseated cable", "--minutes",
                        "25"], capsys)
    assert code == 0 and "25 min in all" in out and "In progress" in out
    code, out, _ = run(["--db", dbp, "wo", "close", str(second), "--resolution", "Reset it",
                        "--minutes", "10"], capsys)
    assert code == 0 and out.strip() == f"closed #{second}"
    code, out, _ = run(["--db", dbp, "wo", "list", "--open"], capsys)
    listed = [line.split()[0] for line in out.strip().splitlines()[1:]]
    assert code == 0 and str(first) in listed and str(second) not in listed
    code, out, _ = run(["--db", dbp, "wo", "list", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    by_number = {int(r["Number"]): r for r in rows}
    assert by_number[first]["Asset"] == tag and by_number[first]["Minutes"] == "25"
    assert by_number[second]["Status"] == "Closed" and by_number[second]["Priority"] == "High"
    assert by_number[second]["Requester"] == "Maria Lopez (555-0142)"
    code, out, err = run(["--db", dbp, "wo", "repair", str(first), "--vendor",
                          "vector repair depot", "--ticket", "RMA-1"], capsys)
    assert code == 0 and "waiting on vendor" in out, err
    code, out, err = run(["--db", dbp, "wo", "repair", str(first), "--vendor", "Nobody Inc"],
                         capsys)
    assert code == 1 and "No supplier called 'Nobody Inc'" in err
    code, out, _ = run(["--db", dbp, "wo", "show", f"#{first}"], capsys)
    assert code == 0 and tag in out and "Reseated cable" in out and "25 min" in out
    assert "Waiting on vendor" in out and "Repair" in out


def test_wo_refusals_are_one_line(tmp_path, capsys):
    dbp = str(tmp_path / "d.sqlite")
    run(["--db", dbp, "demo", "--assets", "30", "--seed", "3"], capsys)
    before = run(["--db", dbp, "wo", "list", "--csv"], capsys)[1]
    cases = [
        (["wo", "new", "--requester", "E10000", "--category", "plumbing", "--summary", "x"],
         "Unknown category"),
        (["wo", "new", "--requester", "NOBODY", "--category", "repair", "--summary", "x"],
         "No person matches"),
        (["wo", "new", "--asset", "QM-999999", "--requester", "E10000", "--category", "repair",
          "--summary", "x"], "No asset has the tag"),
        (["wo", "new", "--category", "repair", "--summary", "x"], "Who asked"),
        (["wo", "show", "4242"], "No work order #4242"),
        (["wo", "note", "4242", "x"], "No work order #4242"),
        (["wo", "close", "4242", "--resolution", "x"], "No work order #4242"),
    ]
    for args, message in cases:
        code, out, err = run(["--db", dbp, *args], capsys)
        assert code == 1 and err.startswith("error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1
    code, out, err = run(["--db", dbp, "wo", "new", "--requester", "E10000", "--category",
                          "repair", "--summary", "ok", "--follow-up", "2027-02-30"], capsys)
    assert code == 1 and "error:" in err
    assert run(["--db", dbp, "wo", "list", "--csv"], capsys)[1] == before  # nothing written


def test_empty_list_says_so(tmp_path, capsys):
    dbp = str(tmp_path / "d.sqlite")
    assert run(["--db", dbp, "wo", "list"], capsys)[1].strip() == "no work orders"
    assert run(["--db", dbp, "wo", "list", "--open"], capsys)[1].strip() == "no open work orders"


def test_demo_has_a_year_of_work_orders(tmp_path, capsys):
    import datetime as dt
    dbp = str(tmp_path / "d.sqlite")
    run(["--db", dbp, "demo", "--assets", "700", "--seed", "5"], capsys)
    rows = list(csv.DictReader(io.StringIO(run(["--db", dbp, "wo", "list", "--csv"], capsys)[1])))
    assert len(rows) >= 100
    opened = sorted(dt.date.fromisoformat(r["Opened"]) for r in rows)
    assert (opened[-1] - opened[0]).days > 250
    assert {r["Category"] for r in rows} == {"Repair", "Install", "Move", "Account", "Other"}
    assert sum(int(r["Minutes"]) for r in rows) > 0
    assert any(r["Status"] == "Closed" for r in rows) and any(r["Status"] != "Closed" for r in rows)
    assert rows[-1]["Number"] == "1" and rows[-1]["Status"] != "Closed"  # README notes #1


def test_wo_new_takes_several_assets(tmp_path, capsys):
    dbp = str(tmp_path / "d.sqlite")
    assert run(["--db", dbp, "demo", "--assets", "60", "--seed", "3"], capsys)[0] == 0
    import sqlite3
    con = sqlite3.connect(dbp)
    tags = [t for (t,) in con.execute("SELECT tag FROM asset WHERE status IN ('ready', "
                                      "'deployed') ORDER BY id LIMIT 3")]
    con.close()
    args = ["--db", dbp, "wo", "new", "--requester", "E10000", "--category", "move",
            "--summary", "Cart to the library"]
    for t in tags:
        args += ["--asset", t]
    code, out, err = run(args, capsys)
    assert code == 0, err
    number = out.strip()
    code, out, _ = run(["--db", dbp, "wo", "show", number], capsys)
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("Assets"))
    assert [line.index(t) for t in tags] == sorted(line.index(t) for t in tags)
    con = sqlite3.connect(dbp)
    linked = con.execute("SELECT COUNT(*) FROM work_order_asset WHERE work_order_id = ?",
                         (int(number),)).fetchone()[0]
    con.close()
    assert linked == 3
    code, out, err = run(["--db", dbp, "wo", "new", "--requester", "E10000", "--category",
                          "move", "--summary", "x", "--asset", tags[0], "--asset", "NOPE-1"],
                         capsys)
    assert code == 1 and err.startswith("error:") and "NOPE-1" in err
