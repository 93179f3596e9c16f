"""`quartermaster media`: add, write, move by scan batch, due, destroy, list --csv."""
from __future__ import annotations

import csv
import io

from app.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_media_round_trip(tmp_path, capsys):
    db = ["--db", str(tmp_path / "d.sqlite")]
    code, out, err = run(db + ["media", "add", "A00120L8", "A00121L8", "--set", "Nightly",
                               "--rotation", "weekly"], capsys)
    assert code == 0 and out.strip() == "added 2 cartridges", err
    code, out, _ = run(db + ["media", "write", "a00120l8"], capsys)
    assert code == 0 and "used 1 times" in out
    code, out, _ = run(db + ["media", "due"], capsys)
    assert "Send to the vault" in out and "A00120L8" in out
    code, out, _ = run(db + ["media", "move", "vault", "A00120L8", "A00121L8"], capsys)
    assert code == 0 and out.strip() == "2 → Off-site vault"
    code, out, err = run(db + ["media", "destroy", "A00120L8", "--method", "shredded"], capsys)
    assert code == 1 and "cannot be destroyed before" in err
    code, out, _ = run(db + ["media", "destroy", "A00121L8", "--method", "Shredded, cert 77"],
                       capsys)
    assert code == 0 and "destroyed" in out
    code, out, _ = run(db + ["media", "list", "--csv"], capsys)
    rows = {r["Barcode"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["A00120L8"]["Location"] == "Off-site vault" and rows["A00120L8"]["Times used"] == "1"
    assert rows["A00121L8"]["Destruction"] == "Shredded, cert 77"


def test_media_refusals(tmp_path, capsys):
    db = ["--db", str(tmp_path / "d.sqlite")]
    run(db + ["media", "add", "A00120L8"], capsys)
    for args, message in [(["media", "add", "BAD"], "not an LTO barcode"),
                          (["media", "add", "A00120L8"], "Already in the register"),
                          (["media", "move", "moon", "A00120L8"], "Unknown location"),
                          (["media", "move", "vault", "A00120L8", "Z00001L8"], "No cartridge"),
                          (["media", "write", "A00120L8", "--retain-days", "0"], "")]:
        code, _, err = run(db + args, capsys)
        assert code == 1 and err.startswith("error: ") and message in err, (args, err)
    code, out, _ = run(db + ["media", "list"], capsys)
    assert "On-site safe" in out  # the refused batch moved nothing
