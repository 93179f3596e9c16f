"""Hostile text through every way in: quotes, SQL, LIKE wildcards, backslashes,
spreadsheet formulas, control characters, NUL, right-to-left marks and a
10 MB cell — through create, update, search, import, export, scan
resolution and stocktake, on both backends. Nothing runs as SQL, search
still finds what it should, exports neutralize formulas, the database
passes `check`. And personal data and product keys never reach a log."""
from __future__ import annotations

import csv
import logging

import openpyxl
import pytest

from app import exporting, importing, listing, scanning
from app.check import run_checks
from app.models import Asset, Person
from app.services import assets, licenses, people, stocktake
from app.services.errors import DomainError, ValidationError
from tests.app.factories import asset, district

HOSTILE = [
    "O'Brien's \"quoted\" laptop",
    "'; DROP TABLE asset; --",
    "Robert'); DROP TABLE person; --",
    "100% _wild_ card",
    "back\\slash \\\\ and \\%",
    "=cmd|' /C calc'!A0",
    "+SUM(A1:A9)",
    "@import",
    "-2+3",
    "tab\tand\x07bell\x1b[31m",
    "nul\x00byte",
    "\u202eRTL override\u200f mark \u05e9\u05dc\u05d5\u05dd",
    "emoji 🧑‍🏫 and ümlauts",
]


def _assert_tables_intact():
    assert Asset.select().count() >= 1 and Person.select().count() >= 1
    assert run_checks() == []


def test_hostile_text_through_create_update_search(db):
    d = district()
    made = {}
    for i, text in enumerate(HOSTILE):
        a = asset(d, name=text, notes=text, serial=f"S-{i}")
        made[text] = a.id
        stored = assets.get(a.id)
        expected = text.replace("\x00", "").replace("\x07", "").replace("\x1b", "")
        assert stored.name == expected.strip()  # kept literally, control characters dropped
        assets.update(a.id, {"notes": text + " again"})
    for text, asset_id in made.items():
        shown = assets.get(asset_id).name  # what the technician sees and types back
        words = [w for w in shown.split() if len(w) >= 2][:2]
        query = " ".join(words)
        ids = listing.query_ids("assets", {"search": query})
        assert asset_id in ids, (text, query)
    # Wildcards match literally, not as patterns.
    with_percent = sorted(i for t, i in made.items() if "%" in t)
    assert len(with_percent) == 2
    assert sorted(listing.query_ids("assets", {"search": "%"})) == with_percent
    assert listing.query_ids("assets", {"search": "_wild_"}) == [made["100% _wild_ card"]]
    for text in HOSTILE:  # every hostile string is a harmless search
        listing.query_ids("assets", {"search": text})
        listing.query_ids("people", {"search": text})
    person = people.create(first_name="Robert'); DROP TABLE person; --", last_name="Tables",
                           kind="student", id_number="S'1; --")
    assert Person.get_by_id(person.id).first_name.startswith("Robert')")
    _assert_tables_intact()


def test_hostile_scans_stocktake_and_a_ten_megabyte_cell(db):
    d = district()
    asset(d, tag="QM-000001")
    big = "x" * 10_000_000
    with pytest.raises(ValidationError, match="longer than"):
        asset(d, name=big)
    with pytest.raises(ValidationError, match="longer than"):
        asset(d, notes=big)
    session = stocktake.start(site_id=d["site"].id)
    for text in HOSTILE + ["x" * 100_000]:
        scanning.resolve(text)
        try:
            v = stocktake.record_scan(session.id, text)
        except DomainError:
            continue  # refused with a sentence (e.g. nothing left after cleaning, too long)
        assert v.verdict in ("unknown", "duplicate", "not_asset")
    assert stocktake.record_scan(session.id, "qm-000001").verdict in ("verified", "misplaced")
    stocktake.status(session.id)
    _assert_tables_intact()


def test_hostile_import_and_export(db, tmp_path):
    district()
    src = tmp_path / "hostile.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Asset Tag", "Name", "Notes", "Serial"])
        for i, text in enumerate(HOSTILE):
            w.writerow([f"H-{i:03d}", text, text, f"SER{i}"])
    done = importing.commit(src, kind="assets")
    assert done.created == len(HOSTILE)
    out_csv = tmp_path / "out.csv"
    out_xlsx = tmp_path / "out.xlsx"
    ids = listing.query_ids("assets", {"search": "h-0"})
    exporting.export("assets", out_csv, ids=None)
    exporting.export("assets", out_xlsx, ids=None)
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    for formula in ("=cmd|' /C calc'!A0", "+SUM(A1:A9)", "@import"):
        assert formula not in cells and "'" + formula in cells
    wb = openpyxl.load_workbook(out_xlsx, read_only=True)
    values = [c for row in wb.active.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    wb.close()
    assert not any(v.startswith(("=", "+", "@")) for v in values)
    assert any("DROP TABLE asset" in v for v in values)
    assert ids  # search still works over imported rows
    _assert_tables_intact()
    # A 10 MB cell in a file: a row problem named in the preview, nothing written.
    src = tmp_path / "big.csv"
    src.write_text("Asset Tag,Name,Notes\nB-1,Ok,fine\nB-2,Big," + "y" * 10_000_000 + "\n",
                   encoding="utf-8")
    with pytest.raises(DomainError):
        importing.commit(src, kind="assets")
    problems = importing.preview(src, kind="assets").problems
    assert any("10,000,000 characters" in str(p) for p in problems)
    assert Asset.select().where(Asset.tag.startswith("B-")).count() == 0
    assert run_checks() == []


SECRET_KEY = "QMKEY-7F3A9-SECRET-42"
NAME, EMAIL, ID_NUMBER = "Zenobia Quartz", "zenobia.quartz@example.org", "S9876543"


def test_keys_and_personal_data_never_reach_a_log(db, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    d = district()
    first, last = NAME.split()
    p = people.create(first_name=first, last_name=last, email=EMAIL, id_number=ID_NUMBER,
                      kind="student")
    people.update(p.id, {"email": "z.q@example.org"})
    lic = licenses.create(product="Office", seats=5, product_key=SECRET_KEY)
    licenses.update(lic.id, {"notes": "renewed"})
    a = asset(d)
    assets.check_out(a.id, person_id=p.id)
    src = tmp_path / "people.csv"
    src.write_text("First Name,Last Name,Email,ID Number\nYara,Quell,yara@example.org,S5550001\n",
                   encoding="utf-8")
    importing.commit(src, kind="people")
    with pytest.raises(DomainError):
        people.create(first_name="Dup", last_name="Licate", id_number=ID_NUMBER, kind="student")
    exporting.export("licenses", tmp_path / "l.csv")
    assert SECRET_KEY not in (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    from app import backup
    if backup.database_file():
        backup.make_backup("manual")
    text = caplog.text
    for secret in (SECRET_KEY, first, last, EMAIL, ID_NUMBER, "Yara", "yara@example.org", "S5550001"):
        assert secret not in text, secret


def test_export_escapes_formulas_in_looked_up_names(db, tmp_path):
    """Site, room, model, maker, category and supplier names come from small
    tables the export looks up once: they are neutralised as well as the
    asset's own cells."""
    district()
    src = tmp_path / "places.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Asset Tag", "Serial", "Site", "Room", "Manufacturer", "Model", "Category",
                    "Supplier"])
        w.writerow(["F-001", "FS1", "=SITE()", "+ROOM", "@MAKER", "=MODEL", "+CATEGORY",
                    "-SUPPLIER x"])
    importing.commit(src, kind="assets")
    out_csv = tmp_path / "out.csv"
    exporting.export("assets", out_csv, ids=None)
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    for formula in ("=SITE()", "+ROOM", "@MAKER", "=MODEL", "+CATEGORY", "-SUPPLIER x"):
        assert formula not in cells and "'" + formula in cells, formula
