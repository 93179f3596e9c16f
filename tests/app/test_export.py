"""Exports: every row of the filter, real dates and numbers in XLSX, formula
cells neutralized, keys only when asked, and the asset round trip."""
from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

from hypothesis import given, strategies as st

from app import exporting, importing, listing
from app.services import licenses
from tests.app.factories import asset, district


def test_csv_and_xlsx_carry_every_row_with_real_types(db, tmp_path):
    d = district()
    for n in range(3):
        asset(d, tag=f"E-{n}", name=f"=HYPERLINK(\"http://x\",\"{n}\")", serial=f"S{n}")
    out = tmp_path / "a.xlsx"
    assert exporting.export("assets", out) == 3
    from openpyxl import load_workbook
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    first = dict(zip(head, rows[1]))
    assert first["Asset Tag"] == "E-0" and first["Name"].startswith("'=")
    assert isinstance(first["Purchase Cost"], (int, float)) and first["Purchase Cost"] == 299  # a number, not text
    assert isinstance(first["Purchase Date"], dt.datetime)  # a real date cell
    only = listing.query_ids("assets", {"search": "S1"})
    exporting.export("assets", tmp_path / "one.csv", ids=only)
    with (tmp_path / "one.csv").open(encoding="utf-8-sig") as f:
        assert [r["Asset Tag"] for r in csv.DictReader(f)] == ["E-1"]


def test_product_keys_only_when_asked(db, tmp_path):
    licenses.create(product="Office", seats=5, product_key="ABCDE-12345")
    exporting.export("licenses", tmp_path / "l.csv")
    assert "ABCDE" not in (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    exporting.export("licenses", tmp_path / "k.csv", include_keys=True)
    assert "ABCDE-12345" in (tmp_path / "k.csv").read_text(encoding="utf-8-sig")


@given(st.text(min_size=1, max_size=20))
def test_no_cell_starts_a_formula(text):
    out = exporting.safe_cell(text)
    if out.startswith(exporting.FORMULA_PREFIXES):
        float(out)  # only a plain negative number may start with "-"


def test_asset_round_trip(tmp_path):
    from app.store.db import close_database, open_database
    open_database(tmp_path / "one.sqlite")
    d = district()
    asset(d, tag="R-1", serial="SN1", name="Laptop, 14\"", cost="1234.56", purchase_date="2022-07-01",
          funding_type="erate", erate_frn="2399012345", erate_funding_year=2022, notes="line1\nline2")
    asset(d, tag="R-2", serial=None, name="Projector", cost=None, location_id=d["r3"].id)
    exporting.export("assets", tmp_path / "1.csv")
    close_database()
    open_database(tmp_path / "two.sqlite")
    importing.commit(tmp_path / "1.csv")
    exporting.export("assets", tmp_path / "2.csv")
    close_database()
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()


def test_federal_award_and_condition_round_trip(tmp_path):
    """The 2 CFR 200.313 fields and the condition leave in an export and come back."""
    from decimal import Decimal

    from app.models import Asset
    from app.store.db import close_database, open_database
    open_database(tmp_path / "one.sqlite")
    d = district()
    asset(d, tag="G-1", name="Display", cost="6400.00", funding_type="grant", funding_name="ESSER III",
          federal_award_id="S425U210042", federal_share="87.5", condition="good")
    exporting.export("assets", tmp_path / "1.csv")
    close_database()
    open_database(tmp_path / "two.sqlite")
    importing.commit(tmp_path / "1.csv")
    got = Asset.get(Asset.tag == "G-1")
    assert (got.funding_type, got.funding_name, got.federal_award_id, got.federal_share,
            got.condition) == ("grant", "ESSER III", "S425U210042", Decimal("87.50"), "good")
    exporting.export("assets", tmp_path / "2.csv")
    close_database()
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()


def test_cli_export(tmp_path):
    dbp = tmp_path / "c.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "app", "--db", str(dbp), *a],
                                    capture_output=True, text=True)
    r = run("export", "--kind", "assets", "-o", str(tmp_path / "x.pdf"))
    assert r.returncode == 1 and r.stderr.startswith("error:")
    r = run("export", "--kind", "people", "-o", str(tmp_path / "p.csv"))
    assert r.returncode == 0 and (tmp_path / "p.csv").exists()


def test_xlsx_cells_exactly(db, tmp_path):
    """The sheet is written directly: text with markup characters and line
    breaks, formula-like text; dates, date-times, money, numbers."""
    from openpyxl import load_workbook

    from app.services import history
    d = district()
    asset(d, tag="X-1", name="  <b>Tom & Jerry's</b>\nline 2\x07", serial="=cmd|' /C calc'!A0",
          cost="1234.5", purchase_date="2021-03-04", erate_funding_year=2021, notes="@SUM(A1)")
    history.record("asset", 1, "note", new="checked", note="-1+1")
    exporting.export("assets", tmp_path / "a.xlsx")
    exporting.export("history", tmp_path / "h.xlsx")
    rows = list(load_workbook(tmp_path / "a.xlsx").active.iter_rows(values_only=True))
    got = dict(zip(rows[0], rows[1]))
    assert got["Name"] == "<b>Tom & Jerry's</b>\nline 2"  # (the service trims and drops \x07)
    assert got["Serial"] == "'=cmd|' /C calc'!A0" and got["Notes"] == "'@SUM(A1)"
    assert got["Purchase Date"] == dt.datetime(2021, 3, 4) and got["Purchase Cost"] == 1234.5
    assert got["Funding Year"] == 2021
    hist = list(load_workbook(tmp_path / "h.xlsx").active.iter_rows(values_only=True))
    last = dict(zip(hist[0], hist[-1]))
    assert isinstance(last["When"], dt.datetime) and last["Note"] == "'-1+1"


@given(st.text(max_size=30) | st.text("\r\n\t =-+@&<>\x00\x07é", max_size=8))
def test_any_text_makes_well_formed_xlsx_xml(text):
    from xml.etree.ElementTree import fromstring
    cell = exporting._xlsx_cell("A1", text)
    if cell:
        got = "".join(fromstring(cell).itertext())
        assert got == exporting._XML_BAD.sub("", exporting.safe_cell(text))


def test_custom_fields_export_and_come_back(tmp_path):
    """Each custom field an asset has is a column of the asset export, and an
    import of that file gives the same custom fields (the same file again)."""
    from app.models import Asset
    from app.store.db import close_database, open_database
    open_database(tmp_path / "one.sqlite")
    d = district()
    asset(d, tag="C-1", name="Cart laptop", custom={"RAM (GB)": "16", "Cart slot": "A7"})
    asset(d, tag="C-2", name="Desk laptop", custom={"RAM (GB)": "8"})
    asset(d, tag="C-3", name="Spare")
    exporting.export("assets", tmp_path / "1.csv")
    header = (tmp_path / "1.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.endswith(",Notes,Cart slot,RAM (GB)")
    close_database()
    open_database(tmp_path / "two.sqlite")
    importing.commit(tmp_path / "1.csv")
    got = {t: c for t, c in Asset.select(Asset.tag, Asset.custom).tuples()}
    assert got["C-1"] == {"RAM (GB)": "16", "Cart slot": "A7"}
    assert got["C-3"] is None
    exporting.export("assets", tmp_path / "2.csv")
    close_database()
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()
