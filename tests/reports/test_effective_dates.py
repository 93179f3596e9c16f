"""Issue 19: changes are reported by the day they took effect, not the day they
were typed — on both backends.

The regression: a $7,495 E-Rate switch disposed of on 2026-03-15 but entered on
December 6 stayed "held" on June 30, 2026 (FY2026 disposals $0.00), so FY2027
began at $73,000.00 while FY2026 ended at $80,495.00, and the depreciation
report listed 9 assets where the year-end listed 10.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import openpyxl
import pypdfium2
import pytest

from app.models import HistoryEntry, Loan
from app.reporting import ReportParams, get
from app.reporting.year_end import compute
from app.services import assets, catalog, people, periods
from app.services.base import who  # the login on PostgreSQL, whatever name is given
from app.services.errors import ValidationError
from reports.render import write
from tests.reports.test_year_end import Clock

CAP = D("5000.00")


@pytest.fixture
def district(db, monkeypatch):
    clock = Clock(monkeypatch)
    clock.at(2021, 1, 4)
    rhs = catalog.create_site("Riverside High School", code="RHS")
    mdf = catalog.create_location(rhs.id, "MDF")
    idf = catalog.create_location(rhs.id, "IDF 1")
    lib = catalog.create_location(rhs.id, "Library")
    switches = catalog.create_category("Network switches", life_years=10)
    servers = catalog.create_category("Servers", life_years=5)
    displays = catalog.create_category("Interactive displays", life_years=7)
    switch = catalog.create_model("Catalyst 9300", manufacturer="Cisco", category_id=switches.id)
    server = catalog.create_model("PowerEdge R750", manufacturer="Dell", category_id=servers.id)
    panel = catalog.create_model("ActivPanel 9", manufacturer="Promethean", category_id=displays.id)
    teacher = people.create(first_name="Ann", last_name="Lee", id_number="E100")
    a = {}

    def buy(key, model, cost, bought, room=mdf, **kw):
        clock.at(*map(int, bought.split("-")))
        a[key] = assets.create(dict(model_id=model.id, location_id=room.id, cost=cost,
                                    purchase_date=bought, **kw))

    buy("SW", switch, "7495.00", "2022-05-06", erate_frn="2299012345", erate_funding_year=2022)
    buy("SW2", switch, "5210.00", "2023-08-02")
    buy("S1", server, "9800.00", "2024-08-23")
    buy("S2", server, "9800.00", "2024-08-23")
    for n in range(3):
        buy(f"SW3{n}", switch, "6795.00", "2025-06-18", room=idf)
    buy("P1", panel, "9000.00", "2025-09-02", room=lib)
    buy("P2", panel, "9000.00", "2025-09-02", room=lib)
    # Bought in FY2026, put in service only after year end: capital, no depreciation yet.
    buy("P3", panel, "9805.00", "2026-05-01", room=lib, in_service_date="2026-08-01")
    return clock, {"mdf": mdf, "idf": idf, "lib": lib, "teacher": teacher}, a


def totals(fy):
    ye = compute(fy)
    return ye, {r.category: r for r in ye.roll}


def test_a_disposal_typed_late_is_gone_on_its_own_day(district):
    clock, _d, a = district
    ye, _ = totals(2026)
    assert ye.roll_total("ending") == D("80495.00")  # before the disposal is known
    clock.at(2026, 12, 6)
    assets.dispose(a["SW"].id, "recycled", date="2026-03-15")

    ye26, roll26 = totals(2026)
    ye27, roll27 = totals(2027)
    sw = roll26["Network switches"]
    assert sw.disposals == D("7495.00") and ye26.roll_total("disposals") == D("7495.00")
    assert ye26.roll_total("ending") == D("73000.00") == ye27.roll_total("beginning")
    for name, r in roll26.items():
        assert r.ending == roll27[name].beginning and r.ad_ending == roll27[name].ad_beginning
    assert [i.tag for i in ye26.disposals] == [a["SW"].tag]
    assert ye26.disposals[0].disposed == dt.date(2026, 3, 15)
    assert a["SW"].tag not in {i.tag for i in ye26.register}
    # Accumulated depreciation of the switch to March 2026: 7495 × 47/120 months.
    assert sw.ad_disposals == D("2935.54")
    assert sw.ad_beginning + sw.ad_depreciation - sw.ad_disposals + sw.ad_adjustments \
        == sw.ad_ending

    # The depreciation schedule and the year-end list the same nine assets.
    doc = get("depreciation").build(ReportParams(fiscal_year=2026))
    listed = {r[1] for r in doc.sections[1].tables[0].rows}
    held = {x.tag for x in ye26.capital if x.held_at_end}
    assert listed == held and len(listed) == 9 == sum(r.items for r in ye26.roll)
    assert a["P3"].tag in listed
    assert [r[1] for r in doc.sections[2].tables[0].rows] == [a["SW"].tag]
    # Its depreciation for the year, held plus disposed, is the roll-forward's.
    this_year = sum(r[8] for r in doc.sections[1].tables[0].rows) \
        + sum(r[7] for r in doc.sections[2].tables[0].rows)
    assert this_year == ye26.roll_total("ad_depreciation")
    # The E-Rate record is kept after disposal.
    assert a["SW"].tag in {i.tag for i in ye26.erate}


def test_late_moves_and_cost_corrections_use_their_effective_day(district):
    clock, d, a = district
    clock.at(2026, 12, 6)
    # Moved to IDF 1 on June 1 (typed in December): on June 30 it was there.
    assets.update(a["S1"].id, {"location_id": d["idf"].id}, effective="2026-06-01")
    # The invoice was $9,500, not $9,800, from the start of FY2026.
    assets.update(a["S2"].id, {"cost": "9500.00"}, effective="2025-07-01")
    # Checked out to a teacher from February 2 to August 20.
    assets.check_out(a["P1"].id, person_id=d["teacher"].id, effective="2026-02-02")
    assets.check_in(a["P1"].id, effective="2026-08-20", condition="good")

    ye25, roll25 = totals(2025)
    ye26, roll26 = totals(2026)
    servers = roll26["Servers"]
    assert roll25["Servers"].ending == D("19600.00") == servers.beginning
    assert servers.adjustments == D("-300.00") and servers.ending == D("19300.00")
    # 9800 × 11/60 on June 30, 2025; restated at 9500 the same 11 months: −55.00.
    assert servers.ad_adjustments == D("-55.00")
    assert servers.ad_beginning + servers.ad_depreciation - servers.ad_disposals \
        + servers.ad_adjustments == servers.ad_ending
    s1 = next(i for i in ye26.register if i.tag == a["S1"].tag)
    assert s1.room == "IDF 1"
    assert next(i for i in ye25.register if i.tag == a["S1"].tag).room == "MDF"
    p1 = next(i for i in ye26.register if i.tag == a["P1"].tag)
    assert (p1.holder, p1.status) == ("Ann Lee", "Deployed")
    assert next(i for i in compute(2027).register if i.tag == a["P1"].tag).condition == "good"
    loan = Loan.get(Loan.asset == a["P1"].id)
    assert loan.out_at.date() <= dt.date(2026, 2, 2) and loan.returned_at.date() <= dt.date(2026, 8, 20)
    entry = (HistoryEntry.select().where((HistoryEntry.entity_id == a["S2"].id)
                                         & (HistoryEntry.field == "cost")).get())
    assert entry.effective == dt.date(2025, 7, 1) and entry.at.date() == dt.date(2026, 12, 6)


def test_effective_dates_are_refused_in_the_future_or_before_the_purchase(district):
    clock, d, a = district
    clock.at(2026, 12, 6)
    with pytest.raises(ValidationError, match="after today"):
        assets.update(a["S1"].id, {"cost": "1.00"}, effective="2026-12-07")
    with pytest.raises(ValidationError, match="was bought on 2024-08-23"):
        assets.dispose(a["S1"].id, "recycled", date="2024-08-01")
    with pytest.raises(ValidationError, match="was bought on 2024-08-23"):
        assets.check_out(a["S1"].id, person_id=d["teacher"].id, effective="2024-01-01")
    assets.check_out(a["S1"].id, person_id=d["teacher"].id, effective="2026-10-01")
    with pytest.raises(ValidationError, match="went out on 2026-10-01"):
        assets.check_in(a["S1"].id, effective="2026-09-30")
    assert assets.get(a["S1"].id).cost == D("9800.00")  # nothing half-written


def test_back_dated_change_into_a_reported_year_is_listed_next_year(district):
    clock, _d, a = district
    clock.at(2026, 7, 20)
    assets.update(a["S1"].id, {"cost": "9700.00"}, effective="2026-06-01")  # before the report
    clock.at(2026, 8, 1, 15)
    get("year-end").build(ReportParams(fiscal_year=2026))  # the report the business office signs
    assert periods.produced_at(2026) == dt.datetime(2026, 8, 1, 15)
    assert "prior-period change" in periods.closed_year_note(dt.date(2026, 3, 15))
    assert periods.closed_year_note(dt.date(2026, 7, 15)) is None
    clock.at(2026, 12, 6)
    assets.dispose(a["SW"].id, "sold", date="2026-03-15", proceeds="100.00")

    changes = periods.prior_period_changes(2027)
    assert {(c["tag"], c["field"], c["new"]) for c in changes} >= {
        (a["SW"].tag, "status", "disposed"), (a["SW"].tag, "disposal_date", "2026-03-15")}
    assert a["S1"].tag not in {c["tag"] for c in changes}  # it was in the report
    assert all(c["who"] == who("tester") and c["effective"] == dt.date(2026, 3, 15) for c in changes)

    doc = get("year-end").build(ReportParams(fiscal_year=2027))
    section = next(s for s in doc.sections if s.key == "Prior-period changes")
    rows = list(section.tables[0].rows)
    assert ("FY 2025–26", a["SW"].tag, "Status", "Ready to deploy", "Disposed",
            dt.date(2026, 3, 15)) in [r[:6] for r in rows]
    assert all(r[7] == who("tester") and r[8] == dt.date(2026, 8, 1) for r in rows)
    assert dict(doc.cover.lines)["Prior-period changes"] == str(len(rows))


def test_a_year_not_ended_is_provisional(district, tmp_path):
    ye = compute(2027, today=dt.date(2026, 12, 6))
    assert ye.provisional and ye.as_of == dt.date(2026, 12, 6)
    assert not compute(2026, today=dt.date(2026, 12, 6)).provisional
    doc = get("year-end").build(ReportParams(fiscal_year=2027))
    if dt.date.today() <= dt.date(2027, 6, 30):
        assert doc.notice.startswith("Provisional, as of today")
        assert "PROVISIONAL" in doc.cover.subtitle
        out = write(doc, tmp_path / "ye.pdf")
        pdf = pypdfium2.PdfDocument(str(out))
        cover = " ".join(pdf[0].get_textpage().get_text_range().split())
        assert "Provisional, as of today" in cover
        pdf.close()
    doc = get("year-end").build(ReportParams(fiscal_year=2026))
    assert doc.notice is None and "Status" not in dict(doc.cover.lines)


def test_register_has_custodian_condition_and_federal_award(district, tmp_path):
    clock, d, a = district
    clock.at(2026, 5, 4)
    assets.update(a["P2"].id, {"funding_type": "grant", "funding_name": "ESSER III",
                               "federal_award_id": "S425U210042", "federal_share": "100",
                               "condition": "fair"})
    assets.check_out(a["P2"].id, person_id=d["teacher"].id)
    with pytest.raises(ValidationError, match="funded by a grant"):
        assets.update(a["P1"].id, {"funding_type": "general", "federal_award_id": "X1"})
    with pytest.raises(ValidationError, match="percentage from 0 to 100"):
        assets.update(a["P1"].id, {"federal_share": "120"})
    out = write(get("year-end").build(ReportParams(fiscal_year=2026)), tmp_path / "ye.xlsx")
    wb = openpyxl.load_workbook(out)
    rows = list(wb["Register"].iter_rows(values_only=True))
    head = next(n for n, r in enumerate(rows) if r[0] == "Tag")
    cols = list(rows[head])
    p2 = next(dict(zip(cols, r)) for r in rows[head + 1:] if r[0] == a["P2"].tag)
    assert (p2["Custodian"], p2["Condition"]) == ("Ann Lee", "fair")
    assert p2["Funding"] == "Grant: ESSER III (FAIN S425U210042)"
    fed = list(wb["Federal awards"].iter_rows(values_only=True))
    head = next(n for n, r in enumerate(fed) if r[0] == "Source")
    row = dict(zip(fed[head], fed[head + 1]))
    assert (row["Source"], row["Award / FAIN"], row["Tag"]) == ("ESSER III", "S425U210042",
                                                                a["P2"].tag)
    assert row["Federal share"] == 1  # 100 %, a real percentage cell


def test_loans_report_as_of_a_past_day_uses_the_days_loans_went_out_and_came_back(district):
    clock, d, a = district
    clock.at(2026, 12, 6)
    assets.check_out(a["P1"].id, person_id=d["teacher"].id, due="2026-03-01",
                     effective="2026-02-02")
    assets.check_in(a["P1"].id, effective="2026-05-10")  # typed in December
    doc = get("loans").build(ReportParams(as_of=dt.date(2026, 4, 1)))
    assert [r[4] for r in doc.sections[0].tables[0].rows] == [a["P1"].tag]  # overdue then
    assert list(get("loans").build(ReportParams(as_of=dt.date(2026, 6, 1)))
                .sections[0].tables[0].rows) == []
    assert list(get("loans").build(ReportParams(as_of=dt.date(2026, 1, 15)))
                .sections[0].tables[0].rows) == []  # not out yet
