"""Warranties, repairs, the activity log and the depreciation schedule: known
figures built through the services on both backends, checked in the document
and then in the files the writers make (XLSX totals read back with openpyxl,
PDF text with pypdfium2, CSV rows)."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from app.reporting import ReportParams, get, registry
from app.services import assets, catalog, history, licenses, people, repairs, settings
from app.services.errors import NotFound, ValidationError
from tests.app.factories import asset, district

AS_OF = dt.date(2026, 3, 1)


def build(name, **params):
    doc = get(name).build(ReportParams(**params))
    for section in doc.sections:
        for table in section.tables:
            table.rows = [tuple(r) for r in table.rows]
    return doc


def column(table, title):
    i = [c.title for c in table.columns].index(title)
    return [r[i] for r in table.rows]


def write(doc, path, fmt):
    from reports.render import write as render
    return render(doc, path, fmt)


def pdf_text(path) -> str:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def sheet_rows(path, sheet):
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def total_row(rows):
    return next(r for r in rows if r and r[0] == "Total")


def test_registered_with_their_params():
    specs = registry()
    assert specs["warranties"].params == ("days", "site")
    assert specs["repairs"].params == ("date_from", "date_to", "site")
    assert specs["activity"].params == ("date_from", "date_to")
    assert specs["depreciation"].params == ("fiscal_year", "site")
    for name in ("warranties", "repairs", "activity", "depreciation"):
        assert set(specs[name].formats) == {"pdf", "xlsx", "csv"}


# --- warranties ---------------------------------------------------------------------------

def test_warranties_ending_and_ended(db, tmp_path):
    d = district()
    soon = asset(d, warranty_end=AS_OF + dt.timedelta(days=10), serial="SN-SOON")
    edge = asset(d, warranty_end=AS_OF + dt.timedelta(days=90))
    today = asset(d, warranty_end=AS_OF)
    ended = asset(d, warranty_end=AS_OF - dt.timedelta(days=5))
    asset(d, warranty_end=AS_OF + dt.timedelta(days=91))  # beyond the horizon
    asset(d, warranty_end=AS_OF - dt.timedelta(days=91))  # ended too long ago
    gone = asset(d, warranty_end=AS_OF + dt.timedelta(days=3))
    assets.retire(gone.id)
    other = asset(d, location_id=d["r3"].id, warranty_end=AS_OF + dt.timedelta(days=20))

    doc = build("warranties", as_of=AS_OF)
    ending, past = doc.sections[0].tables[0], doc.sections[1].tables[0]
    assert column(ending, "Tag") == [today.tag, soon.tag, other.tag, edge.tag]
    assert column(ending, "Days left") == [0, 10, 20, 90]
    assert column(past, "Tag") == [ended.tag] and column(past, "Days since") == [5]
    row = ending.rows[1]
    assert row[1] == "Chromebook 3110" and row[2] == "SN-SOON"
    assert row[3] == "Riverside High School / Room 12"
    assert dict(doc.sections[0].figures)["Ending"] == 4

    doc = build("warranties", as_of=AS_OF, days=15, site="LMS")
    assert column(doc.sections[0].tables[0], "Tag") == []
    doc = build("warranties", as_of=AS_OF, days=30, site="Lincoln Middle School")
    assert column(doc.sections[0].tables[0], "Tag") == [other.tag]

    with pytest.raises(NotFound):
        build("warranties", site="Atlantis")
    with pytest.raises(ValidationError):
        build("warranties", days=-1)

    doc = get("warranties").build(ReportParams(as_of=AS_OF))
    p = write(doc, tmp_path / "w.xlsx", "xlsx")
    rows = sheet_rows(p, "Ending")
    tags = [r[0] for r in rows if r]
    assert soon.tag in tags and edge.tag in tags
    soon_row = next(r for r in rows if r and r[0] == soon.tag)
    assert soon_row[4].date() == AS_OF + dt.timedelta(days=10) and soon_row[5] == 10
    doc = get("warranties").build(ReportParams(as_of=AS_OF))
    text = pdf_text(write(doc, tmp_path / "w.pdf", "pdf"))
    assert "Warranties ending within 90 days" in text and soon.tag in text and ended.tag in text
    assert gone.tag not in text
    doc = get("warranties").build(ReportParams(as_of=AS_OF))
    with open(write(doc, tmp_path / "w.csv", "csv"), encoding="utf-8-sig") as f:
        got = list(csv.DictReader(f))
    assert [r["Tag"] for r in got] == [today.tag, soon.tag, other.tag, edge.tag]
    assert got[1]["Warranty end"] == (AS_OF + dt.timedelta(days=10)).isoformat()


# --- repairs ------------------------------------------------------------------------------

def _repair(a, reported, problem="Will not power on", vendor=None, close=None, cost=None,
            repaired=True):
    r = repairs.open_repair(a.id, problem, vendor_id=vendor, reported=reported)
    if close:
        repairs.close_repair(r.id, repaired=repaired, returned=close, cost=cost)
    return r


def test_repairs_and_failure_rates(db, tmp_path):
    d = district()
    vendor = catalog.create_supplier("Vector Repair Depot")
    other_model = catalog.create_model("Latitude 3440", manufacturer="Dell", category_id=d["cat"].id)
    m1 = [asset(d) for _ in range(3)]
    m2 = [asset(d, model_id=other_model.id) for _ in range(2)]
    asset(d, model_id=other_model.id, status="retired")  # not in service, never failed
    _repair(m1[0], "2026-01-10", "Battery swollen", vendor.id, close="2026-01-20", cost="100.00")
    _repair(m1[1], "2026-02-01", "Cracked screen")  # still open
    _repair(m2[0], "2025-01-01", close="2025-01-15", cost="55.00")  # before the period
    _repair(m2[1], "2026-02-15", "Liquid spill", vendor.id, close="2026-02-20", cost="40.00",
            repaired=False)
    assets.retire(m2[1].id)  # written off after failing: still a unit in service
    _repair(m1[2], "2026-03-02")  # after the period

    doc = build("repairs", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 1))
    listing = doc.sections[0].tables[0]
    assert column(listing, "Tag") == [m1[0].tag, m1[1].tag, m2[1].tag]
    assert column(listing, "Vendor") == ["Vector Repair Depot", "", "Vector Repair Depot"]
    assert column(listing, "Status") == ["Closed (repaired)", "Open", "Closed (not repairable)"]
    assert column(listing, "Cost") == [Decimal("100.00"), None, Decimal("40.00")]
    assert column(listing, "Returned") == [dt.date(2026, 1, 20), None, dt.date(2026, 2, 20)]
    figures = dict(doc.sections[0].figures)
    assert figures["Repairs"] == 3 and figures["Still open"] == 1
    assert figures["Not repairable"] == 1 and figures["Repair cost"] == Decimal("140.00")
    assert figures["Average days to return"] == 7.5

    rates = doc.sections[1].tables[0]
    assert rates.rows == [
        ("Chromebook 3110", 3, 2, Decimal("66.7"), Decimal("100.00")),
        ("Latitude 3440", 2, 1, Decimal("50.0"), Decimal("40.00")),
    ]
    assert list(rates.totals) == ["Total", 5, 3, None, Decimal("140.00")]

    # A site with none of them, then the default period (the last 12 months).
    doc = build("repairs", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 1), site="LMS")
    assert doc.sections[0].tables[0].rows == [] and doc.sections[1].tables[0].rows == []
    with pytest.raises(ValidationError):
        build("repairs", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 1, 1))

    doc = get("repairs").build(ReportParams(date_from=dt.date(2026, 1, 1),
                                            date_to=dt.date(2026, 3, 1)))
    p = write(doc, tmp_path / "r.xlsx", "xlsx")
    assert total_row(sheet_rows(p, "Repairs"))[6] == 140
    assert total_row(sheet_rows(p, "Failure rates"))[1:3] == (5, 3)
    doc = get("repairs").build(ReportParams(date_from=dt.date(2026, 1, 1),
                                            date_to=dt.date(2026, 3, 1)))
    text = pdf_text(write(doc, tmp_path / "r.pdf", "pdf"))
    assert "Failure rates by model" in text and "Latitude 3440" in text and "$140.00" in text


def test_repairs_default_period_is_the_last_twelve_months():
    from app.reporting.repairs import date_range
    assert date_range(ReportParams(), today=dt.date(2026, 3, 1)) == \
        (dt.date(2025, 3, 2), dt.date(2026, 3, 1))
    assert date_range(ReportParams(), today=dt.date(2028, 2, 29)) == \
        (dt.date(2027, 3, 1), dt.date(2028, 2, 29))


# --- activity -----------------------------------------------------------------------------

def test_activity_log_names_records_and_never_shows_keys(db, tmp_path, monkeypatch):
    import app.reporting.activity as activity
    d = district()
    a = asset(d, serial="SER-1")
    assets.update(a.id, {"serial": "SER-2"}, by="alice")
    lic = licenses.create(product="Office 365", product_key="ABCDE-SECRET-KEY-12345", seats=5)
    licenses.update(lic.id, {"product_key": "ZZZZZ-OTHER-KEY-99999"}, by="bob")
    people.update(d["staff"].id, {"email": "ann@example.org"}, by="carol")
    # Long ago: outside the range asked for.
    history.record("asset", a.id, "note", note="old note", at=dt.datetime(2020, 1, 1, 12))
    monkeypatch.setattr(activity, "PAGE", 4)  # stream across several pages

    today = dt.date.today()
    doc = get("activity").build(ReportParams(date_from=today, date_to=today))
    table = doc.sections[0].tables[0]
    first = list(table.rows)
    again = list(table.rows)
    assert first == again  # the rows can be read twice
    from app.models import HistoryEntry
    lo, hi = activity.utc_bounds(today, today)
    expected = HistoryEntry.select().where((HistoryEntry.at >= lo) & (HistoryEntry.at < hi)).count()
    assert len(first) == expected == dict(doc.sections[0].figures)["Entries"]
    assert [r[0] for r in first] == sorted(r[0] for r in first)
    serial = next(r for r in first if r[4] == "Serial")
    from app.services.base import who  # "alice" on a file; the login on PostgreSQL
    # The last column, Effective, is blank: the change took effect the day it was entered.
    assert serial[1:] == (who("alice"), f"Asset {a.tag}", "Changed", "Serial", "SER-1", "SER-2", "",
                          None)
    key = next(r for r in first if r[4] == "Product key")
    assert key[2] == "License Office 365" and key[5] == key[6] == "\u2022\u2022\u2022\u2022"
    email = next(r for r in first if r[4] == "Email")
    assert email[2] == "Person O'Brien, Ann (E100)" and email[6] == "ann@example.org"
    assert any(r[2] == "Room Riverside High School / Room 12" for r in first)
    assert not any("old note" in r for r in first)

    old = get("activity").build(ReportParams(date_from=dt.date(2020, 1, 1),
                                             date_to=dt.date(2020, 1, 1)))
    assert [r[7] for r in old.sections[0].tables[0].rows] == ["old note"]

    for fmt in ("pdf", "xlsx", "csv"):
        doc = get("activity").build(ReportParams(date_from=today, date_to=today))
        p = write(doc, tmp_path / f"a.{fmt}", fmt)
        if fmt == "pdf":
            text = pdf_text(p)
        elif fmt == "xlsx":
            text = "\n".join(str(c) for r in sheet_rows(p, "Activity") for c in r)
        else:
            text = p.read_text(encoding="utf-8-sig")
        assert a.tag in text and "SER-2" in text
        assert "SECRET" not in text and "OTHER-KEY" not in text
    with pytest.raises(ValidationError):
        get("activity").build(ReportParams(date_from=today, date_to=today - dt.timedelta(days=1)))


# --- depreciation -------------------------------------------------------------------------

def test_activity_log_shows_the_effective_day_of_a_back_dated_change(db):
    d = district()
    a = asset(d)
    assets.dispose(a.id, "recycled", date="2025-03-15")
    today = dt.date.today()
    doc = get("activity").build(ReportParams(date_from=today, date_to=today))
    rows = [r for r in doc.sections[0].tables[0].rows if r[4] == "Status"]
    assert [r[-1] for r in rows] == [dt.date(2025, 3, 15)]


def test_depreciation_schedule(db, tmp_path):
    d = district()
    settings.update({"capitalization_threshold": "1000.00"})
    servers = catalog.create_category("Servers", "computer", life_years=5)
    server = catalog.create_model("PowerEdge R660", manufacturer="Dell", category_id=servers.id)
    s1 = asset(d, model_id=server.id, cost="6000.00", in_service_date="2023-07-15")
    s2 = asset(d, model_id=server.id, cost="1200.00", in_service_date=None,
               purchase_date="2026-01-10")
    loose = asset(d, model_id=None, cost="2000.00", in_service_date="2025-07-01")
    asset(d, model_id=server.id, cost="999.99", in_service_date="2024-01-01")  # below threshold
    gone = asset(d, model_id=server.id, cost="5000.00", in_service_date="2022-01-01")
    assets.dispose(gone.id, "recycled", date="2025-12-01")
    # Bought in FY2024, in service only next year: a capital asset held on June 30 with no
    # depreciation yet — listed, as the year-end roll-forward counts it (issue 19: the two
    # reports list the same assets).
    later = asset(d, model_id=server.id, cost="3000.00", in_service_date="2026-08-01")
    far = asset(d, model_id=server.id, cost="1500.00", in_service_date="2024-07-01",
                location_id=d["r3"].id)
    cb = asset(d, cost="1000.00", in_service_date="2024-07-01")  # Chromebooks: 4 years

    doc = build("depreciation", fiscal_year=2026)
    schedule = doc.sections[1].tables[0]
    by_tag = {r[1]: r for r in schedule.rows}
    assert set(by_tag) == {s1.tag, s2.tag, loose.tag, far.tag, cb.tag, later.tag}
    assert by_tag[later.tag][8:] == (Decimal("0.00"), Decimal("0.00"), Decimal("3000.00"))
    #            cost      life annual   this year accumulated  nbv
    assert by_tag[s1.tag][4:] == (Decimal("6000.00"), dt.date(2023, 7, 15), 5, Decimal("1200.00"),
                                  Decimal("1200.00"), Decimal("3600.00"), Decimal("2400.00"))
    assert by_tag[s2.tag][4:] == (Decimal("1200.00"), dt.date(2026, 1, 10), 5, Decimal("240.00"),
                                  Decimal("120.00"), Decimal("120.00"), Decimal("1080.00"))
    assert by_tag[loose.tag][0] == "(no category)" and by_tag[loose.tag][6] == 5
    assert by_tag[loose.tag][9:] == (Decimal("400.00"), Decimal("1600.00"))
    assert by_tag[cb.tag][6:] == (4, Decimal("250.00"), Decimal("250.00"), Decimal("500.00"),
                                  Decimal("500.00"))
    cats = {r[0]: r for r in doc.sections[0].tables[0].rows}
    # Servers: s1, s2, far (1500 from 2024-07: 24 months → 600 accumulated) and later.
    assert cats["Servers"] == ("Servers", 5, 4, Decimal("11700.00"), Decimal("2340.00"),
                               Decimal("1620.00"), Decimal("4320.00"), Decimal("7380.00"))
    assert cats["Chromebooks"][2:4] == (1, Decimal("1000.00"))
    totals = doc.sections[0].tables[0].totals
    assert list(totals) == ["Total", None, 6, Decimal("14700.00"), Decimal("2990.00"),
                            Decimal("2270.00"), Decimal("5220.00"), Decimal("9480.00")]
    # The server disposed of on 2025-12-01: 5000 from 2022-01, 42 → 48 months of 60.
    assert [r[1:] for r in doc.sections[2].tables[0].rows] == [
        (gone.tag, "PowerEdge R660", "Riverside High School", Decimal("5000.00"),
         dt.date(2022, 1, 1), dt.date(2025, 12, 1), Decimal("500.00"), Decimal("4000.00"))]

    doc = build("depreciation", fiscal_year=2026, site="LMS")
    assert [r[1] for r in doc.sections[1].tables[0].rows] == [far.tag]
    with pytest.raises(NotFound):
        build("depreciation", site="Nowhere")

    doc = get("depreciation").build(ReportParams(fiscal_year=2026))
    p = write(doc, tmp_path / "dep.xlsx", "xlsx")
    tot = total_row(sheet_rows(p, "By category"))
    assert tot[3:8] == (14700, 2990, 2270, 5220, 9480)
    tot = total_row(sheet_rows(p, "Schedule"))
    assert tot[4] == 14700 and tot[10] == 9480
    doc = get("depreciation").build(ReportParams(fiscal_year=2026))
    text = pdf_text(write(doc, tmp_path / "dep.pdf", "pdf"))
    assert "FY 2025" in text and s1.tag in text and "$9,480.00" in text
    assert "$1,000.00" in text  # the threshold on the cover
    doc = get("depreciation").build(ReportParams(fiscal_year=2026))
    with open(write(doc, tmp_path / "dep.csv", "csv"), encoding="utf-8-sig") as f:
        got = {r["Tag"]: r for r in csv.DictReader(f)}
    assert set(got) == set(by_tag) and got[s1.tag]["Net book value"] == "2400.00"
    assert got[s1.tag]["Category"] == "Servers"
