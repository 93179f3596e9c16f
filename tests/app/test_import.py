"""Imports: every Snipe-IT sample, a hand-kept district sheet, bad cells with
their row and column, all-or-nothing (a refused import leaves the file
byte-for-byte unchanged), --update, and the CLI."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from app import importing, listing
from app.importing import mapping as maps
from app.models import Asset, License, Location, Person, Site, Supply

# ../shared/samples beside the repository (a worktree one folder deeper finds it too).
SAMPLES = next((p / "shared" / "samples" / "snipe-it" for p in Path(__file__).resolve().parents[2:5]
                if (p / "shared" / "samples" / "snipe-it").is_dir()),
               Path(__file__).resolve().parents[3] / "shared" / "samples" / "snipe-it")


def _sample(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not here")
    return path


@pytest.mark.parametrize("name,kind,count", [
    ("assets-sample.csv", "assets", 22), ("assets-sample-BAD.csv", "assets", 200),
    ("assets-sample-BLANKS.csv", "assets", 200), ("users-sample.csv", "people", 100),
    ("locations-sample.csv", "locations", None), ("models-sample.csv", "models", 20),
    ("licenses-sample.csv", "licenses", 50), ("consumables-sample.csv", "supplies", 3),
    ("accessories-sample.csv", "supplies", 3), ("components-sample.csv", None, 1)])
def test_every_snipe_it_sample_imports(db, name, kind, count):
    done = importing.commit(_sample(name))
    assert not done.problems
    if kind:
        assert done.kind == kind
    table = {"assets": Asset, "people": Person, "models": None, "licenses": License,
             "supplies": Supply, "locations": Site}.get(done.kind)
    if count and table is not None:
        assert table.select().count() == count


def test_snipe_assets_fields_land(db):
    importing.commit(_sample("assets-sample.csv"))
    a = Asset.get(Asset.tag == "ICC-2065556")
    assert a.cost == Decimal("2266.13") and a.purchase_date == dt.date(2023, 1, 23)
    assert a.model.name == 'Macbook Pro 13"' and a.site.name == "Wilkinson, Waters and Kerluke"
    assert listing.query_ids("assets", {"search": "ICC-2065556"}) == [a.id]  # searchable at once


def _write(path: Path, rows, delimiter=",", newline="\r\n", encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator=newline)
        w.writerows(rows)
    return path


HAND = [["Tag #", "Serial No", "Description", "Make", "Model", "Site / Room", "Date Acquired",
         "Cost", "Funding", "FRN", "Funding Year", "RAM"],
        ["LHS-0001", "5CD1234", "Teacher laptop", "HP", "ProBook 450", "Lincoln High / 214",
         "1/23/23", "$1,234.50", "E-Rate", "2399012345", "2023", "16"],
        ["LHS-0002", "5CD1235", "Switch", "Cisco", "C9200", "Lincoln High / MDF", "23-Jan-2023",
         "4,999.99", "general fund", "", "", ""]]


@pytest.mark.parametrize("delimiter,newline,encoding", [(",", "\r\n", "utf-8-sig"), (";", "\n", "cp1252"),
                                                        ("\t", "\r", "utf-8")])
def test_hand_kept_sheet_any_dialect(db, tmp_path, delimiter, newline, encoding):
    path = _write(tmp_path / "inv.csv", HAND, delimiter, newline, encoding)
    p = importing.preview(path, kind="assets")
    assert p.created == 2 and not p.problems
    assert p.new_entries["rooms"] == {"Lincoln High / 214", "Lincoln High / MDF"}
    importing.commit(path, kind="assets")
    a = Asset.get(Asset.tag == "LHS-0001")
    assert (a.serial, a.cost, a.purchase_date) == ("5CD1234", Decimal("1234.50"), dt.date(2023, 1, 23))
    assert (a.funding_type, a.erate_frn, a.erate_funding_year) == ("erate", "2399012345", 2023)
    assert a.location.name == "214" and a.site.name == "Lincoln High"
    assert a.custom == {"RAM": "16"}
    b = Asset.get(Asset.tag == "LHS-0002")
    assert b.purchase_date == dt.date(2023, 1, 23) and b.funding_type == "general"


def test_xlsx_with_sheet_choice(db, tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Inventory")
    ws.append(["Asset Tag", "Serial", "Name", "Purchase Date", "Cost", "Location"])
    ws.append(["X-1", "S1", "Projector", dt.datetime(2022, 7, 1), 899.5, "District Office / Board Room"])
    path = tmp_path / "inv.xlsx"
    wb.save(path)
    with pytest.raises(importing.ValidationError if hasattr(importing, "ValidationError") else Exception):
        importing.preview(path, sheet="Nope")
    importing.commit(path, sheet="Inventory")
    a = Asset.get(Asset.tag == "X-1")
    assert a.purchase_date == dt.date(2022, 7, 1) and a.cost == Decimal("899.50")


def test_bad_cells_are_named_and_nothing_is_written(sqlite_db, tmp_path):
    from app.store.db import close_database, current_target, open_database
    rows = [["Asset Tag", "Serial", "Purchase Date", "Cost", "FRN"],
            ["A-1", "S1", "2023-02-30", "12", ""],
            ["A-2", "6.37702E+15", "2023-01-01", "abc", ""],
            ["A-1", "S3", "", "", "12"],
            ["A-4", "S4", "1/2/2023", "-5", ""],
            ["A-5", "S5", "2023-01-01", "10", ""]]
    path = _write(tmp_path / "bad.csv", rows)
    target = current_target()
    close_database()
    before = hashlib.sha256(Path(target).read_bytes()).hexdigest()
    open_database(target)
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(path)
    found = {(p.row, p.column) for p in err.value.preview.problems}
    assert {(2, "Purchase Date"), (3, "Serial"), (3, "Cost"), (4, "Asset Tag"), (4, "FRN"),
            (5, "Cost")} <= found
    assert "scientific notation" in str(err.value.preview.problems)
    close_database()
    assert hashlib.sha256(Path(target).read_bytes()).hexdigest() == before
    open_database(target)
    done = importing.commit(path, skip_bad=True)
    assert done.created == 1 and [t for (t,) in Asset.select(Asset.tag).tuples()] == ["A-5"]


def test_existing_tag_conflicts_unless_update(db, tmp_path):
    path = _write(tmp_path / "a.csv", [["Tag", "Name", "Cost"], ["T-1", "Old", "10"]])
    importing.commit(path)
    path2 = _write(tmp_path / "b.csv", [["Tag", "Name", "Cost"], ["t-1 ", "New", "20"]])
    with pytest.raises(importing.ImportRefused, match="1 problem"):
        importing.commit(path2)
    done = importing.commit(path2, update=True)
    assert done.updated == 1
    a = Asset.get(Asset.tag == "T-1")
    assert (a.name, a.cost) == ("New", Decimal("20.00"))


def test_mapping_is_remembered(db, tmp_path):
    rows = [["Thing", "Code"], ["Projector", "P-1"]]
    path = _write(tmp_path / "m.csv", rows)
    importing.commit(path, kind="assets", mapping={0: "name", 1: "tag"})
    again = _write(tmp_path / "m2.csv", [["Thing", "Code"], ["Screen", "P-2"]])
    table, kind, mapping = importing.open_file(again, kind="assets")
    assert mapping == {0: "name", 1: "tag"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Asset Tag", "Tag #", "Serial No", "SERIAL", "Room", "Date Acquired",
                                 "Purchase Cost", "Notes", "Whatever", "Model", "Model Notes", "",
                                 "Category", "Category"]), min_size=1, max_size=12))
def test_header_suggestions_never_map_a_field_twice(headers):
    m = maps.suggest("assets", headers)
    owners = {}
    for i, f in sorted(m.items()):
        owners.setdefault(f, maps.norm(headers[i]))
        assert maps.norm(headers[i]) == owners[f]  # only a repeated header shares its field
    for i, f in m.items():
        assert f in maps.FIELDS["assets"]
        if headers[i] == "Model Notes":
            assert f not in ("model", "model_number")


def test_cli_import(tmp_path):
    db_path = tmp_path / "cli.sqlite"
    bad = _write(tmp_path / "bad.csv", [["Asset Tag", "Cost"], ["Z-1", "lots"]])
    run = lambda *a: subprocess.run([sys.executable, "-m", "app", "--db", str(db_path), *a],
                                    capture_output=True, text=True)
    r = run("import", str(bad))
    assert r.returncode == 1 and "row 2, column Cost:" in r.stdout and r.stderr.startswith("error:")
    good = _write(tmp_path / "good.csv", [["Asset Tag", "Cost"], ["Z-1", "5"]])
    r = run("import", str(good), "--dry-run")
    assert r.returncode == 0 and "1 to create" in r.stdout and "dry run" in r.stdout
    r = run("import", str(good))
    assert r.returncode == 0 and "1 created" in r.stdout
    r = run("find", "z-1")
    assert r.returncode == 0
