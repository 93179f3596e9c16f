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


# --- the asset CSV is made column by column: the same bytes as cell by cell -------------

_CELL_TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    list("ab1.-=+@\t\r\n,\" \x00'é")), max_size=8))


@given(st.lists(st.tuples(_CELL_TEXT, _CELL_TEXT, _CELL_TEXT), min_size=1, max_size=6),
       st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_csv_columns_write_what_the_csv_module_writes(rows, typed):
    """A chunk's columns made safe and quoted whole give the csv module's own
    lines for the same cells made safe one by one (NULs, quotes, line breaks,
    formula starts and negative numbers included)."""
    import io
    columns = [tuple(r[i] for r in rows) for i in range(3)]
    got = exporting._csv_lines([exporting._csv_column(c, t) for c, t in zip(columns, typed)])
    want = io.StringIO(newline="")
    csv.writer(want).writerows(
        ["" if v is None else exporting.safe_cell(v) if t else v for v, t in zip(row, typed)]
        for row in rows)
    assert got == want.getvalue()


def test_asset_csv_is_the_workbook_rows_cell_by_cell(db, tmp_path):
    """Every asset CSV cell (hostile text in each column, looked-up names,
    holders, labels, money, dates, custom fields of every JSON type) is what
    the plain cell writer makes of the workbook's typed value, on both
    engines, for every row and for a selection."""
    import io

    from app.models import Asset, HardwareModel, Person, Site, Supplier
    d = district()
    supplier = Supplier.create(name="=Vendor, Inc.", spin="-143000000")
    hostile = dict(serial="+1", name='=HYPERLINK("x")', order_number="@po", condition="\tworn",
                   federal_award_id="-12.5", notes='one\r\n=two "three", four', erate_frn="=1",
                   funding_type="other", funding_name="-grant")
    asset(d, tag="H-1", cost="1234.50")
    asset(d, tag="H-2", cost=None, purchase_date=None)
    asset(d, tag="H-3", name="Cart, 30\"", notes="-5", funding_type="grant", funding_name="")
    asset(d, tag="H-4", serial="", name="")
    # Past the editor's rules on purpose: whatever is stored leaves safe.
    Asset.update(**hostile).where(Asset.tag == "H-1").execute()
    Asset.update(funding_type="erate", erate_funding_year=2024, federal_share="87.5"
                 ).where(Asset.tag == "H-2").execute()
    Asset.update(custom={"Color": "=red", "Flag": True, "Nested": {"a": 1}, "Ratio": 1.5,
                         "Count": 12345678901234567890, "Neg": "-3", "Text": 'x, "y"'}
                 ).where(Asset.tag == "H-1").execute()
    Asset.update(custom={"Color": "blue"}, supplier=supplier.id).where(Asset.tag == "H-3").execute()
    Asset.update(custom={}).where(Asset.tag == "H-4").execute()
    Asset.update(assigned_person=d["staff"].id).where(Asset.tag == "H-1").execute()
    Asset.update(assigned_person=d["student"].id).where(Asset.tag == "H-2").execute()
    Person.update(first_name="=Bob", last_name='-Smith, "Jr"').where(Person.id == d["staff"].id
                                                                     ).execute()
    Person.update(first_name="", last_name='=Garcia "G"').where(Person.id == d["student"].id
                                                                ).execute()
    Site.update(name="-North", ben="@1").where(Site.id == d["site"].id).execute()
    HardwareModel.update(name="+Model, \"2\"").where(HardwareModel.id == d["model"].id).execute()
    everyone = [i for (i,) in Asset.select(Asset.id).order_by(Asset.id).tuples()]
    for ids in (None, everyone[::-1][:3]):
        out = tmp_path / "a.csv"
        assert exporting.export("assets", out, ids=ids) == (4 if ids is None else 3)
        headers, rows = exporting.headers_and_rows("assets", ids)
        want = io.StringIO(newline="")
        w = csv.writer(want)
        w.writerow([exporting.safe_cell(h) for h in headers])
        w.writerows([exporting._csv_value(v) for v in row] for row in rows)
        assert out.read_bytes() == b"\xef\xbb\xbf" + want.getvalue().encode()
        if ids is None:  # the holder is made safe as a whole, then quoted
            text = out.read_text(encoding="utf-8-sig")
            assert "\"'-Smith, \"\"Jr\"\", =Bob\"" in text and "\"'=Garcia \"\"G\"\"\"" in text
