"""`quartermaster stocktake …` from start to report."""
from __future__ import annotations

import csv

from app.cli import main
from tests.app.factories import asset, district


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_stocktake_commands(db, tmp_path, capsys):
    from app.services import assets
    from app.store.db import close_database, current_target, open_database
    d = district()
    a = asset(d)
    b = asset(d, location_id=d["r2"].id)
    c = asset(d)
    target = current_target()
    room12 = d["r1"].barcode
    close_database()
    q = ["--db", target, "--user", "cli-tester", "stocktake"]

    code, out, err = run(q + ["start", "--scope", "RHS", "--name", "Spring"], capsys)
    assert code == 0, err
    sid = out.strip()
    assert sid.isdigit()
    code, out, _ = run(q + ["scan", sid, room12, a.tag, b.tag, "WHAT-1"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ROOM LABEL") and "Room 12" in lines[0]
    assert lines[1].startswith("VERIFIED") and "[Room 12 1/2]" in lines[1]
    assert lines[2].startswith("MISPLACED") and "Library" in lines[2]
    assert lines[3].startswith("UNKNOWN TAG")
    f = tmp_path / "mem.txt"
    f.write_text(f"{room12}\nnot a tag at all\n")
    code, out, _ = run(q + ["scan", sid, "--file", str(f)], capsys)
    assert code == 0 and "UNKNOWN TAG" in out
    code, out, _ = run(q + ["status", sid], capsys)
    assert code == 0 and "expected 3, found 2" in out and "Room 12" in out
    code, out, err = run(q + ["scan", sid], capsys)
    assert code == 1 and "error: give codes" in err  # after --user's warning on PostgreSQL
    code, out, err = run(q + ["close", sid, "--apply", "teleport"], capsys)
    assert code == 1 and "Unknown action 'teleport'" in err
    code, out, _ = run(q + ["close", sid, "--apply", "move-misplaced,mark-missing"], capsys)
    assert code == 0, out
    assert "missing 1" in out and c.tag in out and "Applied: 2 audited, 1 moved, 1 marked missing" in out
    code, out, err = run(q + ["scan", sid, a.tag], capsys)
    assert code == 1 and "applied" in err

    code, out, _ = run(q + ["report", sid, "-o", str(tmp_path / "s.csv")], capsys)
    assert code == 0
    rows = {r["Tag"]: r for r in csv.DictReader(open(tmp_path / "s.csv", encoding="utf-8-sig"))}
    assert rows[c.tag]["Verdict"] == "Missing" and rows["WHAT-1"]["Verdict"] == "Unknown tag"
    # --user names who did it on a local file; on PostgreSQL the login is recorded.
    from urllib.parse import urlparse

    from app.store.db import is_postgres_url
    by = urlparse(target).username if is_postgres_url(target) else "cli-tester"
    assert rows[a.tag]["Scanned by"] == by
    code, out, _ = run(q + ["report", sid, "-o", str(tmp_path / "s.pdf")], capsys)
    assert code == 0 and (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    code, _, err = run(q + ["report", sid, "-o", str(tmp_path / "s.txt")], capsys)
    assert code == 1 and ".pdf or a .csv" in err
    code, out, _ = run(q + ["list"], capsys)
    assert "Spring" in out and "Applied" in out  # the status by its label

    open_database(target)
    assert assets.get(b.id).location_id == d["r1"].id and assets.get(c.id).status == "missing"
