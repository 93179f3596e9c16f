"""The year-end inventory report on a district whose figures are known: items
on both thresholds, bought on the first and the last day of the year, moved,
re-costed and disposed of after year end, entered late — every total worked
out here by hand, then found in the document, the XLSX and the PDF text, on
both backends."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import openpyxl
import pypdfium2
import pytest

from app.models import Asset
from app.reporting import ReportParams, get, registry
from app.reporting.asof import HOLDER_NOW, COL, assets_as_of, holders_now, states_as_of
from app.reporting.fiscal import fiscal_year_bounds
from app.reporting.year_end import compute, erate_retain_until
from app.services import assets, catalog, history, people, settings
from app.services.errors import NotFound, ValidationError
from reports.render import write

FY = 2026  # July 1, 2025 – June 30, 2026


class Clock:
    """What the services take for "now" (naive UTC, as stored)."""

    def __init__(self, monkeypatch):
        self.now = dt.datetime(2025, 1, 1, 12, 0)
        monkeypatch.setattr(history, "utcnow", lambda: self.now)
        monkeypatch.setattr(assets, "utcnow", lambda: self.now)

    def at(self, y, m, d, hour=12):
        self.now = dt.datetime(y, m, d, hour, 0)
        return self


def _district(clock):
    clock.at(2019, 1, 2)
    rhs = catalog.create_site("Riverside High School", code="RHS")
    lms = catalog.create_site("Lincoln Middle School", code="LMS")
    r1 = catalog.create_location(rhs.id, "Server room")
    r2 = catalog.create_location(rhs.id, "Room 12")
    r3 = catalog.create_location(lms.id, "Library")
    servers = catalog.create_category("Servers", life_years=5)
    switches = catalog.create_category("Network switches", life_years=10)
    displays = catalog.create_category("Interactive displays", life_years=7)
    m_server = catalog.create_model("PowerEdge R750", manufacturer="Dell", category_id=servers.id)
    m_switch = catalog.create_model("Catalyst 9300", manufacturer="Cisco", category_id=switches.id)
    m_display = catalog.create_model("ActivPanel 9", manufacturer="Promethean", category_id=displays.id)
    return dict(rhs=rhs, lms=lms, r1=r1, r2=r2, r3=r3, server=m_server, switch=m_switch,
                display=m_display)


def _make(model, room, cost, bought, **kw):
    return assets.create(dict(model_id=model.id, location_id=room.id, cost=cost,
                              purchase_date=bought, **kw))


@pytest.fixture
def district(db, monkeypatch):
    clock = Clock(monkeypatch)
    d = _district(clock)
    a = {}
    clock.at(2020, 9, 1)
    a["A"] = _make(d["server"], d["r1"], "9800.00", "2020-08-01", in_service_date="2020-09-01")
    clock.at(2019, 7, 20)
    a["B"] = _make(d["switch"], d["r1"], "7495.00", "2019-07-15")
    clock.at(2021, 1, 12)
    a["C"] = _make(d["switch"], d["r1"], "5210.00", "2021-01-10")
    clock.at(2025, 7, 1, 15)
    a["D"] = _make(d["server"], d["r1"], "5000.00", "2025-07-01")  # first day, exactly capital
    clock.at(2026, 6, 30, 15)
    a["E"] = _make(d["display"], d["r2"], "4999.99", "2026-06-30")  # last day, a cent short
    clock.at(2024, 1, 3)
    a["F"] = _make(d["display"], d["r2"], "1500.00", "2024-01-01")  # exactly the register
    a["G"] = _make(d["display"], d["r3"], "1499.99", "2024-01-01")  # a cent short of it
    clock.at(2026, 7, 2)
    a["H"] = _make(d["server"], d["r1"], "6000.00", "2026-07-01")  # the day after
    clock.at(2025, 6, 30, 15)
    a["I"] = _make(d["server"], d["r1"], "5500.00", "2025-06-30")  # the day before
    clock.at(2024, 5, 2)
    a["J"] = _make(d["display"], d["r2"], "6000.00", "2024-05-01")
    clock.at(2026, 8, 20)
    a["K"] = _make(d["display"], d["r2"], "8000.00", "2026-05-10")  # entered late
    clock.at(2023, 3, 2)
    a["L"] = _make(d["display"], d["r3"], "1600.00", "2023-03-01")
    a["N"] = _make(d["display"], d["r2"], "2000.00", "2023-03-01")
    clock.at(2016, 8, 2)
    a["M"] = _make(d["switch"], d["r1"], "7000.00", "2016-08-01", erate_frn="1699012345",
                   erate_funding_year=2016, in_service_date="2016-09-01")
    clock.at(2014, 8, 2)
    a["O"] = _make(d["switch"], d["r1"], "6500.00", "2014-08-01", erate_frn="1490123",
                   erate_funding_year=2014)
    clock.at(2024, 9, 2)
    a["P"] = _make(d["switch"], d["r3"], "1149.00", "2024-09-01", erate_frn="2499054321",
                   erate_funding_year=2024, in_service_date="2024-09-20")
    # During earlier years and the year itself.
    clock.at(2019, 6, 1)
    assets.dispose(a["O"].id, "recycled", date="2019-06-01")
    clock.at(2020, 3, 1)
    assets.dispose(a["M"].id, "recycled", date="2020-03-01")
    clock.at(2025, 10, 1)
    assets.update(a["L"].id, {"site_id": d["rhs"].id, "location_id": d["r2"].id})  # moved LMS → RHS in the year
    assets.mark_audited([a["A"].id, a["F"].id], date=dt.date(2025, 12, 1))
    clock.at(2026, 1, 5)
    assets.update(a["N"].id, {"status": "missing"})
    clock.at(2026, 2, 10)
    assets.dispose(a["B"].id, "sold", date="2026-02-10", proceeds="250.00")
    # After year end: none of this may show.
    clock.at(2026, 8, 1)
    assets.mark_audited([a["D"].id], date=dt.date(2026, 8, 1))
    clock.at(2026, 8, 15)
    assets.dispose(a["C"].id, "recycled", date="2026-08-15")
    clock.at(2026, 9, 1)
    assets.update(a["J"].id, {"cost": "4000.00", "site_id": d["lms"].id, "location_id": d["r3"].id})
    assets.update(a["A"].id, {"name": "Renamed later", "status": "retired"})
    return d, a


# Worked out by hand from the fixture.
BEGINNING = D("9800.00") + D("7495.00") + D("5210.00") + D("5500.00") + D("6000.00")  # A B C I J
ADDITIONS = D("5000.00") + D("8000.00")  # D K
DISPOSALS = D("7495.00")  # B
ENDING = D("39510.00")
# Full months in service to June 30, 2026 × cost ÷ life months, to the cent.
ACCUMULATED = {
    "A": D("9800.00"),  # 70 months from Sept 2020 ≥ 60: fully depreciated, never more than cost
    "C": D("2865.50"),  # 5210 × 66/120
    "I": D("1191.67"),  # 5500 × 13/60
    "J": D("1857.14"),  # 6000 × 26/84
    "D": D("1000.00"),  # 5000 × 12/60
    "K": D("190.48"),  # 8000 × 2/84
}
TOTAL_ACCUMULATED = sum(ACCUMULATED.values())
REGISTER = {"A": "9800.00", "C": "5210.00", "D": "5000.00", "E": "4999.99", "F": "1500.00",
            "I": "5500.00", "J": "6000.00", "K": "8000.00", "L": "1600.00", "N": "2000.00"}
REGISTER_COST = sum(D(v) for v in REGISTER.values())
HELD_COST = REGISTER_COST + D("1499.99") + D("1149.00")  # + G, P


def _tags(a, keys):
    return sorted(a[k].tag for k in keys)


def test_registered_with_fiscal_year_and_site():
    spec = registry()["year-end"]
    assert spec.params == ("fiscal_year", "site")
    assert spec.formats == ("pdf", "xlsx", "csv")  # issue 19: the register as CSV


def test_as_of_undoes_what_changed_after_the_day(district):
    d, a = district
    rows = {r[COL["id"]]: r for r in assets_as_of(dt.date(2026, 6, 30))}
    j, c, aa, k = rows[a["J"].id], rows[a["C"].id], rows[a["A"].id], rows[a["K"].id]
    assert j[COL["cost"]] == D("6000.00") and j[COL["location_id"]] == d["r2"].id
    assert j[COL["site_id"]] == d["rhs"].id
    assert c[COL["status"]] == "ready" and c[COL["disposal_date"]] is None
    assert aa[COL["status"]] == "ready" and aa[COL["name"]] is None
    assert rows[a["D"].id][COL["last_audit_date"]] is None
    assert k[COL["created_later"]] is True and j[COL["created_later"]] is False
    # today's rows are untouched
    assert Asset.get_by_id(a["J"].id).cost == D("4000.00")


def test_roll_forward_balances_and_matches_hand_figures(district):
    _, a = district
    ye = compute(FY)
    assert ye.roll_total("beginning") == BEGINNING
    assert ye.roll_total("additions") == ADDITIONS
    assert ye.roll_total("disposals") == DISPOSALS
    assert ye.roll_total("ending") == ENDING == BEGINNING + ADDITIONS - DISPOSALS
    for r in ye.roll:
        assert r.beginning + r.additions - r.disposals == r.ending
    assert ye.roll_total("accumulated") == TOTAL_ACCUMULATED == D("16904.79")
    by_cat = {r.category: r for r in ye.roll}
    assert by_cat["Servers"].ending == D("9800.00") + D("5000.00") + D("5500.00")
    assert by_cat["Network switches"].disposals == D("7495.00")
    assert by_cat["Network switches"].ending == D("5210.00")
    assert by_cat["Interactive displays"].additions == D("8000.00")
    assert by_cat["Servers"].accumulated == ACCUMULATED["A"] + ACCUMULATED["I"] + ACCUMULATED["D"]


def test_lists_at_year_end(district):
    d, a = district
    ye = compute(FY)
    assert sorted(i.tag for i in ye.register) == _tags(a, REGISTER)
    assert sum(i.cost for i in ye.register) == REGISTER_COST
    assert (ye.held_count, ye.held_cost) == (12, HELD_COST)
    assert [i.tag for i in ye.additions] == [a["D"].tag, a["K"].tag, a["E"].tag]  # by date
    assert [i.tag for i in ye.disposals] == [a["B"].tag]
    assert ye.disposals[0].proceeds == D("250.00") and ye.disposals[0].disposed == dt.date(2026, 2, 10)
    assert sorted(i.tag for i in ye.unverified) == _tags(a, "CDEIJKLN")
    assert [i.tag for i in ye.erate] == [a["M"].tag, a["P"].tag]
    assert erate_retain_until(2016) == dt.date(2027, 6, 30)
    assert dict((s, (n, c)) for s, n, c in ye.by_site) == {
        "Riverside High School": (10, REGISTER_COST),
        "Lincoln Middle School": (2, D("1499.99") + D("1149.00"))}
    j = next(i for i in ye.register if i.tag == a["J"].tag)
    assert (j.site, j.room, j.cost) == ("Riverside High School", "Room 12", D("6000.00"))


def test_site_filter_uses_the_site_at_year_end(district):
    d, a = district
    ye = compute(FY, site_id=d["lms"].id, site_name="Lincoln Middle School")
    # J moved there after year end, L left it during the year: only G and P were there.
    assert (ye.held_count, ye.held_cost) == (2, D("1499.99") + D("1149.00"))
    assert ye.register == [] and [i.tag for i in ye.erate] == [a["P"].tag]
    assert ye.roll_total("ending") == 0
    with pytest.raises(NotFound):
        get("year-end").build(ReportParams(fiscal_year=FY, site="Nowhere"))


def test_thresholds_come_from_settings(district):
    _, a = district
    settings.update({"capitalization_threshold": "5000.01", "inventory_threshold": "1500.01"})
    ye = compute(FY)
    assert a["D"].tag not in {i.tag for i in ye.additions if i.cost >= ye.capital_threshold}
    assert a["F"].tag not in {i.tag for i in ye.register}
    assert ye.roll_total("ending") == ENDING - D("5000.00")


def _sheet_table(ws, first_header):
    """{header: [values]} and the total row of the table whose header starts with ``first_header``."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(n for n, r in enumerate(rows) if r[0] == first_header)
    headers = [h for h in rows[start] if h is not None]
    data, total = [], None
    for r in rows[start + 1:]:
        if r[0] is None and all(v is None for v in r):
            break
        if r[0] == "Total":
            total = dict(zip(headers, r))
            break
        data.append(dict(zip(headers, r)))
    return data, total


def _figures(ws):
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}


def _dec(v):
    return D(str(v)).quantize(D("0.01"))


def test_xlsx_carries_every_total(district, tmp_path):
    _, a = district
    out = write(get("year-end").build(ReportParams(fiscal_year=FY)), tmp_path / "ye.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Cover", "Summary", "Capital assets", "Register", "Additions",
                             "Disposals", "Not verified", "E-Rate", "Federal awards",
                             "Prior-period changes"]
    rows, total = _sheet_table(wb["Capital assets"], "Category")
    assert _dec(total["Beginning balance"]) == BEGINNING
    assert _dec(total["Additions"]) == ADDITIONS
    assert _dec(total["Disposals"]) == DISPOSALS
    assert _dec(total["Ending balance"]) == ENDING
    assert _dec(total["Accumulated depreciation"]) == TOTAL_ACCUMULATED
    assert _dec(total["Net book value"]) == ENDING - TOTAL_ACCUMULATED
    for r in rows:
        assert _dec(r["Beginning balance"]) + _dec(r["Additions"]) - _dec(r["Disposals"]) \
            == _dec(r["Ending balance"])
    reg, reg_total = _sheet_table(wb["Register"], "Tag")
    assert sorted(r["Tag"] for r in reg) == _tags(a, REGISTER)
    assert sum(_dec(r["Cost"]) for r in reg) == REGISTER_COST == _dec(reg_total["Cost"])
    assert isinstance(reg[0]["Acquired"], dt.datetime)
    assert wb["Register"].cell(row=1, column=1).value == "Equipment register"
    assert _dec(_figures(wb["Summary"])["Their cost"]) == HELD_COST
    dis, dis_total = _sheet_table(wb["Disposals"], "Tag")
    assert [r["Tag"] for r in dis] == [a["B"].tag] and _dec(dis_total["Proceeds"]) == D("250.00")
    er, _ = _sheet_table(wb["E-Rate"], "FRN")
    assert [r["Retain until"].date() for r in er] == [dt.date(2027, 6, 30), dt.date(2035, 6, 30)]
    cover = _figures(wb["Cover"])
    assert cover["Fiscal year"] == "July 1, 2025 – June 30, 2026"


def test_pdf_text_shows_the_same_totals(district, tmp_path):
    _, a = district
    out = write(get("year-end").build(ReportParams(fiscal_year=FY)), tmp_path / "ye.pdf")
    pdf = pypdfium2.PdfDocument(str(out))
    pages = [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    text = " ".join(pages)
    for amount in (BEGINNING, ADDITIONS, DISPOSALS, ENDING, TOTAL_ACCUMULATED,
                   ENDING - TOTAL_ACCUMULATED, REGISTER_COST, HELD_COST):
        assert f"${amount:,.2f}" in text, amount
    assert "Prepared by" in pages[0] and "Reviewed by (Business Office)" in pages[0]
    assert "July 1, 2025 – June 30, 2026" in pages[0]
    assert all(f"Page {n} of {len(pages)}" in p for n, p in enumerate(pages, 1))
    assert a["H"].tag not in text  # bought after year end
    assert "1699012345" in text and "2027-06-30" in text


def test_default_is_the_last_completed_year(db):
    doc = get("year-end").build(ReportParams())
    first, last = fiscal_year_bounds(doc_year := int(doc.title.split("FY ")[1][:4]) + 1)
    assert last < dt.date.today() <= last.replace(year=last.year + 1)
    assert doc_year >= 2000


@pytest.mark.parametrize("name", ["year-end", "depreciation"])
def test_year_and_site_are_checked_alike(db, name):
    """The year-end and the depreciation schedule read their year and site the
    same way: a year not begun, a year out of range and an unknown site are
    refused with the same words."""
    build = get(name).build
    with pytest.raises(ValidationError, match="has not begun yet"):
        build(ReportParams(fiscal_year=dt.date.today().year + 2))
    with pytest.raises(ValidationError, match="a year such as"):
        build(ReportParams(fiscal_year=1200))
    with pytest.raises(NotFound, match="No site called 'Nowhere'"):
        build(ReportParams(fiscal_year=dt.date.today().year - 1, site="Nowhere"))


def test_holders_named_after_the_pass_match_the_join(district):
    """Read without the holder join (as the year-end reads a million assets),
    today's holders named afterwards for the rows that need them are the
    names the join gives: a person, else the cart or lab."""
    d, a = district
    teacher = people.create(first_name="Ann", last_name="Lee", id_number="E100")
    assets.check_out(a["F"].id, person_id=teacher.id)
    assets.check_out(a["J"].id, location_id=d["r3"].id)
    day = dt.date.today()
    joined = {rows[0][COL["id"]]: rows[0][COL["holder"]] for rows in states_as_of((day,))}
    lazy = [rows[0] for rows in states_as_of((day,), holders=False)]
    assert all(r[COL["holder"]] is HOLDER_NOW for r in lazy)
    names = holders_now([(r[COL["assigned_person_id"]], r[COL["assigned_location_id"]])
                         for r in lazy])
    assert {r[COL["id"]]: n for r, n in zip(lazy, names)} == joined
    assert (joined[a["F"].id], joined[a["J"].id]) == ("Ann Lee", "Library")
    ye = compute(2027, today=day)
    assert next(i for i in ye.register if i.tag == a["F"].tag).holder == "Ann Lee"
