"""The five operational reports (room sheet, by person, loans, license
compliance, reorder): figures built through the services, checked against
sums worked out here, on both backends — in the document, then in the PDF,
XLSX and CSV the writers make from it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import StockMove
from app.reporting import ReportParams, get, registry
from app.services import assets, catalog, licenses, people, stock
from app.services.errors import NotFound, ValidationError
from app.store.db import db as database
from tests.app.factories import asset, district
from tests.conftest import QueryCounter

TODAY = dt.date.today()


def build(name, **params):
    """Build a report and hold every row (tables may be generators)."""
    doc = get(name).build(ReportParams(**params))
    for section in doc.sections:
        for table in section.tables:
            if table.groups is not None:
                table.groups = [(head, [tuple(r) for r in rows]) for head, rows in table.groups]
                table.rows = [r for _, rows in table.groups for r in rows]
            else:
                table.rows = [tuple(r) for r in table.rows]
    return doc


def col(table, title):
    return [c.title for c in table.columns].index(title)


def column(table, title):
    i = col(table, title)
    return [r[i] for r in table.rows]


def test_all_five_are_registered_with_pdf_xlsx_csv():
    for name in ("room-sheet", "by-person", "loans", "license-compliance", "reorder"):
        spec = registry()[name]
        assert {"pdf", "xlsx", "csv"} <= set(spec.formats)
        assert spec.title and spec.description


# --- room sheet -----------------------------------------------------------------------------

def _rooms(d):
    a1 = asset(d, serial="SN-A1", location_id=d["r1"].id)
    a2 = asset(d, serial="SN-A2", location_id=d["r1"].id, cost="1200.50")
    a3 = asset(d, serial="SN-A3", location_id=d["r2"].id)
    gone = asset(d, serial="SN-GONE", location_id=d["r1"].id)
    assets.retire(gone.id)
    elsewhere = asset(d, serial="SN-LMS", location_id=d["r3"].id)
    assets.check_out(a2.id, person_id=d["staff"].id, due=TODAY + dt.timedelta(days=30))
    return a1, a2, a3, gone, elsewhere


def test_room_sheet_a_page_per_room_with_signature_block(db):
    d = district()
    a1, a2, a3, gone, elsewhere = _rooms(d)
    catalog.create_location(d["site"].id, "Gym")
    doc = build("room-sheet", site="RHS")
    titles = [s.title for s in doc.sections]
    assert titles == ["Room sheets handed out", "Riverside High School \u2014 Gym",
                      "Riverside High School \u2014 Library",
                      "Riverside High School \u2014 Room 12"]
    index, gym, library, room12 = doc.sections
    assert all(s.new_page for s in doc.sections)
    assert gym.tables[0].rows == [] and gym.tables[0].empty_text == "None."
    assert column(library.tables[0], "Tag") == [a3.tag]
    assert column(room12.tables[0], "Tag") == sorted([a1.tag, a2.tag])  # retired left out
    holder = dict(zip(column(room12.tables[0], "Tag"), column(room12.tables[0], "Assigned to")))
    assert holder == {a1.tag: "", a2.tag: "Ann O'Brien"}
    assert dict(room12.figures)["Assets listed"] == 2
    assert dict(room12.figures)["Checked out / assigned"] == 1
    assert dict(room12.figures)["Room label"] == d["r1"].barcode
    for s in doc.sections[1:]:
        sign = s.tables[1]
        assert sign.title == "Verified by site staff"
        assert [c.title for c in sign.columns] == ["", "Print name", "Date", "Signature"]
        assert sign.rows[-1][0] == "Verified by" and set(sign.rows[-1][1]) == {"_"}
    t = index.tables[0]
    assert column(t, "Room") == ["Gym", "Library", "Room 12"]
    assert column(t, "Assets") == [0, 1, 2]
    assert column(t, "Out / assigned") == [0, 0, 1]
    assert dict(index.figures)["Rooms with no assets"] == 1
    assert doc.csv_table == (0, 0)


@pytest.mark.parametrize("how", ["RHS/Room 12", "Riverside High School / room 12", "code"])
def test_room_sheet_one_room_by_name_or_label(db, how):
    d = district()
    a1, a2, *_ = _rooms(d)
    doc = build("room-sheet", room=d["r1"].barcode if how == "code" else how)
    assert len(doc.sections) == 1
    assert sorted(column(doc.sections[0].tables[0], "Tag")) == sorted([a1.tag, a2.tag])
    assert doc.sections[0].title == "Riverside High School \u2014 Room 12"
    assert doc.subtitle.startswith("Riverside High School")


def test_room_sheet_room_name_within_a_site(db):
    d = district()
    catalog.create_location(d["other"].id, "Library")  # a Library at both schools
    a3 = asset(d, location_id=d["r2"].id)
    with pytest.raises(NotFound):
        build("room-sheet", room="Library")  # which one?
    doc = build("room-sheet", site="RHS", room="library")
    assert [s.title for s in doc.sections] == ["Riverside High School \u2014 Library"]
    assert column(doc.sections[0].tables[0], "Tag") == [a3.tag]
    with pytest.raises(ValidationError, match="not at Lincoln"):
        build("room-sheet", site="LMS", room=d["r1"].barcode)


def test_room_sheet_unknown_room_or_site_is_refused(db):
    district()
    with pytest.raises(NotFound, match="SITE/ROOM"):
        build("room-sheet", room="Nowhere/Room 1")
    with pytest.raises(NotFound):
        build("room-sheet", site="Atlantis")


def test_room_sheet_with_no_rooms_says_so(db):
    doc = build("room-sheet")
    assert len(doc.sections) == 1 and doc.sections[0].tables[0].rows == []


def test_room_sheet_queries_do_not_grow_with_rooms(db, monkeypatch):
    d = district()
    _rooms(d)
    counter = QueryCounter(monkeypatch)
    build("room-sheet")
    few = counter.n
    for i in range(6):
        room = catalog.create_location(d["site"].id, f"Room {100 + i}")
        asset(d, location_id=room.id)
    counter.n = 0
    build("room-sheet")
    assert counter.n == few


# --- by person ------------------------------------------------------------------------------

def _holders(d):
    staff_site = people.create(first_name="Rita", last_name="Moreno", id_number="E200",
                               kind="staff", site_id=d["site"].id)
    a = asset(d, serial="SN-1", cost="299.00")
    b = asset(d, serial="SN-2", cost="1200.50")
    c = asset(d, serial="SN-3", cost="349.99")
    e = asset(d, serial="SN-4", cost=None)
    f = asset(d, serial="SN-5", cost="10.00")
    assets.check_out(a.id, person_id=d["staff"].id, due=TODAY + dt.timedelta(days=90))
    assets.check_out(b.id, person_id=d["staff"].id)
    assets.check_out(c.id, person_id=d["student"].id, due=TODAY)
    assets.check_out(e.id, person_id=staff_site.id, due=TODAY + dt.timedelta(days=5))
    assets.check_out(f.id, person_id=d["student"].id)
    assets.check_in(f.id)  # returned: not held
    return staff_site, (a, b, c, e, f)


def test_by_person_one_person_with_total(db):
    d = district()
    _, (a, b, c, e, f) = _holders(d)
    doc = build("by-person", person="e100")
    section = doc.sections[0]
    items = section.tables[0]
    assert sorted(column(items, "Tag")) == sorted([a.tag, b.tag])
    assert sorted(column(items, "Serial")) == ["SN-1", "SN-2"]
    assert sum(column(items, "Cost")) == Decimal("299.00") + Decimal("1200.50")
    assert dict(section.figures)["Total cost"] == Decimal("1499.50")
    assert dict(section.figures)["Items held"] == 2
    due = dict(zip(column(items, "Tag"), column(items, "Due")))
    assert due[a.tag] == TODAY + dt.timedelta(days=90) and due[b.tag] is None
    assert column(items, "Checked out") == [dt.date.today()] * 2
    assert items.groups is None  # one person: no group heading repeating the title
    sign = section.tables[-1]
    assert [r[0] for r in sign.rows if r[0]] == ["Returned by", "Received by"]
    assert doc.sections[0].tables[doc.csv_table[1]] is items


def test_by_person_everyone_and_per_site(db):
    d = district()
    staff_site, (a, b, c, e, f) = _holders(d)
    doc = build("by-person", as_of=TODAY + dt.timedelta(days=1))
    summary, items = doc.sections[0].tables
    per = {r[col(summary, "ID")]: r for r in summary.rows}
    assert set(per) == {"E100", "E200", "S2000001"}
    assert per["E100"][col(summary, "Total cost")] == Decimal("1499.50")
    assert per["E100"][col(summary, "Items")] == 2
    assert per["S2000001"][col(summary, "Total cost")] == Decimal("349.99")
    assert per["S2000001"][col(summary, "Overdue")] == 1  # due today, report for tomorrow
    assert per["E200"][col(summary, "Total cost")] == Decimal("0.00")  # cost unknown
    assert sum(column(summary, "Items")) == len(items.rows) == 4
    assert dict(doc.sections[0].figures)["Total cost"] == Decimal("1849.49")
    assert doc.csv_table == (0, 1)  # the CSV is every item
    site_doc = build("by-person", site="RHS")
    assert column(site_doc.sections[0].tables[0], "ID") == ["E200"]


def test_by_person_nobody_holds_anything(db):
    d = district()
    doc = build("by-person", person="S2000001")
    assert doc.sections[0].tables[0].rows == []
    assert dict(doc.sections[0].figures)["Total cost"] == Decimal("0.00")
    with pytest.raises(NotFound):
        build("by-person", person="NOPE")
    assert d


# --- loans ----------------------------------------------------------------------------------

def _loans(d):
    cart = catalog.create_location(d["site"].id, "Cart 3")
    family = people.create(first_name="Maria", last_name="Lopez", id_number="F300", kind="family")
    out = {}
    for key, who, due in [("today", d["student"].id, TODAY),
                          ("yesterday", d["staff"].id, TODAY - dt.timedelta(days=1)),
                          ("in14", family.id, TODAY + dt.timedelta(days=14)),
                          ("in15", d["staff"].id, TODAY + dt.timedelta(days=15)),
                          ("nodue", d["staff"].id, None)]:
        a = asset(d, cost="100.00")
        assets.check_out(a.id, person_id=who, due=due)
        out[key] = a
    a = asset(d, cost="50.00")
    assets.check_out(a.id, location_id=cart.id, due=TODAY + dt.timedelta(days=3))
    out["cart"] = a
    back = asset(d)
    assets.check_out(back.id, person_id=d["staff"].id, due=TODAY)
    assets.check_in(back.id)
    out["returned"] = back
    return out


def test_loans_due_today_is_due_soon_not_overdue(db):
    d = district()
    a = _loans(d)
    doc = build("loans")
    overdue, soon = (s.tables[0] for s in doc.sections)
    assert column(overdue, "Tag") == [a["yesterday"].tag]
    assert column(overdue, "Days overdue") == [1]
    assert column(overdue, "Kind") == ["Staff"]
    assert column(overdue, "ID") == ["E100"]
    assert column(soon, "Tag") == [a["today"].tag, a["cart"].tag, a["in14"].tag]
    assert column(soon, "Days left") == [0, 3, 14]
    assert column(soon, "Kind") == ["Student", "Room", "Family"]
    assert column(soon, "Borrower")[1] == "Cart 3"
    assert column(soon, "Site")[1] == "Riverside High School"
    figures = dict(doc.sections[0].figures)
    assert figures["Overdue loans"] == 1 and figures["Due within 14 days"] == 3
    assert figures["Cost of overdue items"] == Decimal("100.00")


def test_loans_as_of_later_and_fewer_days(db):
    d = district()
    a = _loans(d)
    doc = build("loans", as_of=TODAY + dt.timedelta(days=10), days=4)
    overdue, soon = (s.tables[0] for s in doc.sections)
    days = dict(zip(column(overdue, "Tag"), column(overdue, "Days overdue")))
    assert days == {a["yesterday"].tag: 11, a["today"].tag: 10, a["cart"].tag: 7}
    assert column(overdue, "Tag")[0] == a["yesterday"].tag  # longest overdue first
    assert column(soon, "Tag") == [a["in14"].tag]  # due in 4 days from then; in15 is 5
    assert dict(doc.sections[0].figures)["Cost of overdue items"] == Decimal("250.00")


def test_loans_none(db):
    district()
    doc = build("loans")
    assert all(s.tables[0].rows == [] for s in doc.sections)
    assert doc.sections[0].tables[0].empty_text == "None."


# --- license compliance ---------------------------------------------------------------------

KEY = "ZX9QK-77PLM-SECRETKEY-0042"


def _licenses(d):
    pcs = [asset(d) for _ in range(4)]
    over = licenses.create(product="Office", version="2021", seats=2, allow_over=True,
                           product_key=KEY, cost="400.00")
    for a in pcs[:3]:
        licenses.assign(over.id, asset_id=a.id)
    site = licenses.create(product="GoGuardian", site_license=True,
                           expiry_date=TODAY + dt.timedelta(days=30), cost="2800.00")
    licenses.assign_many(site.id, [a.id for a in pcs])
    licenses.assign(site.id, person_id=d["staff"].id)
    gone = licenses.create(product="Old CAD", seats=10, expiry_date=TODAY - dt.timedelta(days=3))
    licenses.assign(gone.id, person_id=d["staff"].id)
    edge = licenses.create(product="Typing Club", seats=30,
                           expiry_date=TODAY + dt.timedelta(days=60), cost="99.00")
    later = licenses.create(product="Zoom", seats=5, expiry_date=TODAY + dt.timedelta(days=61))
    return over, site, gone, edge, later


def test_license_compliance_figures(db):
    d = district()
    over, site, gone, edge, later = _licenses(d)
    doc = build("license-compliance")
    seats, over_s, expiring, expired = doc.sections
    t = seats.tables[0]
    by = {r[0]: r for r in t.rows}
    assert list(by) == ["GoGuardian", "Office", "Old CAD", "Typing Club", "Zoom"]
    assert by["GoGuardian"][col(t, "Type")] == "Site license"
    assert by["GoGuardian"][col(t, "Owned")] is None and by["GoGuardian"][col(t, "Free")] is None
    assert by["GoGuardian"][col(t, "Used")] == 5
    assert by["Office"][col(t, "Owned")] == 2 and by["Office"][col(t, "Used")] == 3
    assert by["Office"][col(t, "Free")] == -1
    assert "over-allocated by 1" in by["Office"][col(t, "Problems")]
    assert by["Zoom"][col(t, "Problems")] == "OK"
    f = dict(seats.figures)
    assert f["Seats owned (per-seat licenses)"] == 2 + 10 + 30 + 5
    assert f["Seats in use"] == 3 + 5 + 1
    assert f["Seats free"] == 0 + 9 + 30 + 5
    assert f["Over-allocated"] == 1 and f["Expired"] == 1
    assert f["Expiring within 60 days"] == 2  # 30 and exactly 60; 61 is not
    assert over_s.tables[0].rows == [("Office", "2021", "", 2, 3, 1, "Yes")]
    assert column(expiring.tables[0], "Product") == ["GoGuardian", "Typing Club"]
    assert column(expiring.tables[0], "Days left") == [30, 60]
    assert dict(expiring.figures)["Paid last time"] == Decimal("2899.00")
    assert column(expired.tables[0], "Product") == ["Old CAD"]
    assert column(expired.tables[0], "Days ago") == [3]
    flat = repr([(s.figures, s.intro, [t.rows for t in s.tables]) for s in doc.sections])
    assert KEY not in flat and "SECRETKEY" not in flat


def test_license_compliance_nothing_wrong(db):
    doc = build("license-compliance", days=10)
    assert [s.tables[0].rows for s in doc.sections] == [[], [], [], []]
    assert "No compliance problems" in doc.sections[0].intro
    assert doc.sections[2].title == "Expiring within 10 days"


def test_license_compliance_queries_do_not_grow_with_seats(db, monkeypatch):
    d = district()
    _licenses(d)
    counter = QueryCounter(monkeypatch)
    build("license-compliance")
    few = counter.n
    lic = licenses.create(product="Chrome Enterprise", site_license=True)
    licenses.assign_many(lic.id, [asset(d).id for _ in range(25)])
    counter.n = 0
    build("license-compliance")
    assert counter.n == few


# --- reorder --------------------------------------------------------------------------------

def _supplies():
    cdw = catalog.create_supplier("CDW-G")
    at_point = stock.create(name="HP 58A toner", part_number="CF258A", reorder_point=4,
                            target=10, supplier_id=cdw.id)
    below = stock.create(name="Chromebook charger", reorder_point=5, target=20)
    above = stock.create(name="Paper, letter", reorder_point=2, target=8)
    retired = stock.create(name="Old drum", reorder_point=5, target=5)
    over_target = stock.create(name="Cat6 patch cable", reorder_point=50, target=30,
                               supplier_id=cdw.id)
    stock.receive(at_point.id, 15, unit_cost="89.99")
    return cdw, at_point, below, above, retired, over_target


def _issue(d, item, qty, days_ago=0):
    move = stock.issue(item.id, qty, location_id=d["r1"].id)
    if days_ago:
        StockMove.update(at=move.at - dt.timedelta(days=days_ago)).where(
            StockMove.id == move.id).execute()


def test_reorder_at_point_included_above_left_out(db):
    d = district()
    cdw, at_point, below, above, retired, over_target = _supplies()
    _issue(d, at_point, 5)
    _issue(d, at_point, 3, days_ago=200)
    _issue(d, at_point, 7, days_ago=400)  # more than a year ago: not in the use figure
    stock.receive(at_point.id, 4)  # 15 - 15 + 4 = 4: exactly the reorder point
    stock.receive(below.id, 3, unit_cost="24.00")
    _issue(d, below, 1)
    stock.receive(above.id, 5)
    stock.receive(retired.id, 1)
    stock.update(retired.id, {"active": False})
    stock.receive(over_target.id, 40, unit_cost="1.25")
    doc = build("reorder")
    t = doc.sections[0].tables[0]
    names = column(t, "Item")
    assert names == ["Cat6 patch cable", "HP 58A toner", "Chromebook charger"]  # CDW-G first
    row = dict(zip(names, t.rows))
    assert row["HP 58A toner"][col(t, "On hand")] == 4
    assert row["HP 58A toner"][col(t, "To order")] == 6
    assert row["HP 58A toner"][col(t, "Unit cost")] == Decimal("89.99")
    assert row["HP 58A toner"][col(t, "Est. cost")] == Decimal("539.94")
    assert row["HP 58A toner"][col(t, "Used (12 mo)")] == 8
    assert row["Chromebook charger"][col(t, "To order")] == 18
    assert row["Chromebook charger"][col(t, "Est. cost")] == Decimal("432.00")
    assert row["Cat6 patch cable"][col(t, "To order")] == 0  # above its target: never negative
    assert row["Cat6 patch cable"][col(t, "Est. cost")] == Decimal("0.00")
    f = dict(doc.sections[0].figures)
    assert f["Items to reorder"] == 3 and f["Units to order"] == 24
    assert f["Estimated cost"] == Decimal("971.94")
    assert [h.split(" \u2014 ")[0] for h, _ in t.groups] == ["CDW-G", "No supplier on file"]
    by_supplier = doc.sections[0].tables[1]
    assert by_supplier.rows == [("CDW-G", 2, 6, Decimal("539.94")),
                                ("No supplier on file", 1, 18, Decimal("432.00"))]


def test_reorder_unknown_cost_and_nothing_to_order(db):
    doc = build("reorder")
    assert doc.sections[0].tables[0].rows == []
    assert doc.sections[0].tables[0].empty_text.startswith("None.")
    item = stock.create(name="Label tape", reorder_point=1, target=6)
    doc = build("reorder")
    t = doc.sections[0].tables[0]
    assert t.rows == [("Label tape", "", "Other", "", 0, 1, 6, 6, None, None, 0,
                       "No supplier on file")]
    assert dict(doc.sections[0].figures)["Items without a unit cost"] == 1
    assert item.id


# --- the files: PDF, XLSX and CSV written from the documents ---------------------------------

def write_all(name, tmp_path, **params):
    """The report written in each of its formats, from a fresh build each time
    (rows may be generators); returns {fmt: path}."""
    from reports.render import write
    out = {}
    for fmt in get(name).formats:
        doc = get(name).build(ReportParams(**params))
        out[fmt] = write(doc, tmp_path / f"{name}.{fmt}", fmt)
    return out


def pdf_text(path) -> str:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def workbook(path):
    import openpyxl
    return openpyxl.load_workbook(path, read_only=False)


def sheet_table(ws, titles):
    """(rows, total row) of the table whose header row starts with ``titles``;
    group headings (one cell) skipped; ends at the first empty row."""
    titles = list(titles)
    rows, total, inside = [], None, False
    for values in ws.iter_rows(values_only=True):
        values = list(values)
        if not inside:
            inside = [v or "" for v in values[:len(titles)]] == [t or "" for t in titles]
            continue
        if all(v is None for v in values):
            break
        if values[0] == "Total":
            total = values
            continue
        if sum(v is not None for v in values) == 1 and isinstance(values[0], str):
            continue  # a group heading
        rows.append(values)
    assert inside, f"no table headed {titles} on sheet {ws.title}"
    return rows, total


def read_csv(path):
    import csv
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def cents(v) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"))


def test_room_sheet_files(db, tmp_path):
    d = district()
    a1, a2, a3, gone, elsewhere = _rooms(d)
    catalog.create_location(d["site"].id, "Gym")
    # Independently: what RHS rooms hold, retired and disposed left out.
    expected = {a.tag for a in (a1, a2, a3)}
    files = write_all("room-sheet", tmp_path, site="RHS")
    wb = workbook(files["xlsx"])
    assert wb.sheetnames == ["Rooms", "RHS Gym", "RHS Library", "RHS Room 12"]
    rows, total = sheet_table(wb["Rooms"], ["Site", "Room", "Room label", "Assets"])
    assert [r[1] for r in rows] == ["Gym", "Library", "Room 12"]
    assert [r[3] for r in rows] == [0, 1, 2] and total[3] == len(expected) == 3
    assert total[4] == 1
    tags = set()
    for name in wb.sheetnames[1:]:
        got, _ = sheet_table(wb[name], ["Seen", "Tag", "Name / model"])
        tags |= {r[1] for r in got}
        first = [row[0] for row in wb[name].iter_rows(values_only=True)]
        assert first[-1] == "Verified by" and "Verified by site staff" in first
    assert tags == expected
    text = pdf_text(files["pdf"])
    for tag in expected:
        assert tag in text
    assert gone.tag not in text and elsewhere.tag not in text
    assert text.count("Verified by site staff") == 3 and "None." in text
    assert "Riverside High School \u2014 Room 12" in text
    csv_rows = read_csv(files["csv"])
    assert csv_rows[0][:4] == ["Site", "Room", "Room label", "Assets"]
    assert [r[1] for r in csv_rows[1:]] == ["Gym", "Library", "Room 12"]
    one = write_all("room-sheet", tmp_path / "..", room=d["r1"].barcode)
    one_csv = read_csv(one["csv"])
    assert one_csv[0] == ["Seen", "Tag", "Name / model", "Serial", "Status", "Assigned to"]
    assert sorted(r[1] for r in one_csv[1:]) == sorted([a1.tag, a2.tag])
    assert "Ann O'Brien" in {r[5] for r in one_csv[1:]}
    assert len(workbook(one["xlsx"]).sheetnames) == 1


def test_by_person_files(db, tmp_path):
    d = district()
    staff_site, held = _holders(d)
    # Independently: cost per holder of what is out now (f was returned).
    costs = {"E100": Decimal("1499.50"), "S2000001": Decimal("349.99"), "E200": Decimal("0.00")}
    files = write_all("by-person", tmp_path)
    wb = workbook(files["xlsx"])
    ws = wb["By person"]
    summary, total = sheet_table(ws, ["Person", "ID", "Kind", "Site", "Grade", "Items"])
    assert {r[1]: cents(r[7]) for r in summary} == costs
    assert total[5] == 4 and cents(total[7]) == sum(costs.values()) == Decimal("1849.49")
    items, itotal = sheet_table(ws, ["Person", "ID", "Tag", "Name", "Serial"])
    assert len(items) == 4 and cents(itotal[7]) == Decimal("1849.49")
    assert sorted(r[4] for r in items) == ["SN-1", "SN-2", "SN-3", "SN-4"]
    assert all(isinstance(r[5], dt.datetime) for r in items)  # real dates, not text
    text = pdf_text(files["pdf"])
    assert "$1,849.49" in text and "$1,499.50" in text and "$349.99" in text
    assert "O'Brien, Ann (E100)" in text  # the group heading per person
    csv_rows = read_csv(files["csv"])
    assert csv_rows[0] == ["Person", "ID", "Tag", "Name", "Serial", "Checked out", "Due", "Cost"]
    assert sorted(r[4] for r in csv_rows[1:]) == ["SN-1", "SN-2", "SN-3", "SN-4"]
    assert sum(Decimal(r[7]) for r in csv_rows[1:] if r[7]) == Decimal("1849.49")
    assert {r[6] for r in csv_rows[1:] if r[1] == "S2000001"} == {TODAY.isoformat()}
    one = write_all("by-person", tmp_path / "..", person="E100")
    text = pdf_text(one["pdf"])
    assert "Assets held by Ann O'Brien (E100)" in text and "$1,499.50" in text
    assert "Returned by" in text and "Received by" in text


def test_loans_files(db, tmp_path):
    d = district()
    a = _loans(d)
    files = write_all("loans", tmp_path)
    wb = workbook(files["xlsx"])
    assert wb.sheetnames == ["Overdue", "Due soon"]
    overdue, total = sheet_table(wb["Overdue"], ["Borrower", "ID", "Kind"])
    assert [(r[4], r[8]) for r in overdue] == [(a["yesterday"].tag, 1)]
    assert cents(total[9]) == Decimal("100.00")
    soon, total = sheet_table(wb["Due soon"], ["Borrower", "ID", "Kind"])
    assert [(r[4], r[8]) for r in soon] == [(a["today"].tag, 0), (a["cart"].tag, 3),
                                            (a["in14"].tag, 14)]
    assert cents(total[9]) == Decimal("250.00")
    assert soon[0][7].date() == TODAY
    text = pdf_text(files["pdf"])
    for key in ("yesterday", "today", "cart", "in14"):
        assert a[key].tag in text
    for key in ("in15", "nodue", "returned"):
        assert a[key].tag not in text
    assert "Cart 3" in text and "Lopez, Maria F300 Family" in text
    csv_rows = read_csv(files["csv"])
    assert csv_rows[0][-2:] == ["Days overdue", "Cost"]
    assert [r[4] for r in csv_rows[1:]] == [a["yesterday"].tag]


def test_license_compliance_files_never_show_the_key(db, tmp_path):
    d = district()
    _licenses(d)
    files = write_all("license-compliance", tmp_path)
    wb = workbook(files["xlsx"])
    assert wb.sheetnames == ["Seats", "Over-allocated", "Expiring", "Expired"]
    seats, total = sheet_table(wb["Seats"], ["Product", "Version", "Vendor", "Type"])
    assert total[4] == 2 + 10 + 30 + 5 and total[5] == 3 + 5 + 1
    by = {r[0]: r for r in seats}
    assert by["GoGuardian"][3] == "Site license" and by["GoGuardian"][4] is None
    assert by["Office"][6] == -1
    over, _ = sheet_table(wb["Over-allocated"], ["Product", "Version", "Vendor", "Owned"])
    assert [(r[0], r[3], r[4], r[5]) for r in over] == [("Office", 2, 3, 1)]
    expiring, etotal = sheet_table(wb["Expiring"], ["Product", "Version", "Vendor", "Type"])
    assert [(r[0], r[6]) for r in expiring] == [("GoGuardian", 30), ("Typing Club", 60)]
    assert cents(etotal[7]) == Decimal("2899.00")
    cells = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
             if v is not None]
    text = pdf_text(files["pdf"])
    raw = files["csv"].read_text(encoding="utf-8-sig")
    for blob in (repr(cells), text, raw):
        assert KEY not in blob and "SECRETKEY" not in blob
    assert "over-allocated by 1" in text and "Site license" in text and "Old CAD" in text
    assert len(read_csv(files["csv"])) == 1 + 5


def test_reorder_files(db, tmp_path):
    d = district()
    cdw, at_point, below, above, retired, over_target = _supplies()
    _issue(d, at_point, 5)
    _issue(d, at_point, 3, days_ago=200)
    _issue(d, at_point, 7, days_ago=400)
    stock.receive(at_point.id, 4)
    stock.receive(below.id, 3, unit_cost="24.00")
    _issue(d, below, 1)
    stock.receive(above.id, 5)
    stock.update(retired.id, {"active": False})
    stock.receive(over_target.id, 40, unit_cost="1.25")
    # Independently: (target - on hand) x last unit cost for the items at/below the point.
    expected_cost = (10 - 4) * Decimal("89.99") + (20 - 2) * Decimal("24.00")
    files = write_all("reorder", tmp_path)
    wb = workbook(files["xlsx"])
    rows, total = sheet_table(wb["Reorder"], ["Item", "Part number", "Category"])
    assert [r[0] for r in rows] == ["Cat6 patch cable", "HP 58A toner", "Chromebook charger"]
    assert total[7] == 6 + 18 + 0 and cents(total[9]) == expected_cost == Decimal("971.94")
    assert total[10] == 8 + 1
    assert rows[1][4] == rows[1][5] == 4  # exactly at the reorder point
    text = pdf_text(files["pdf"])
    assert "$971.94" in text and "$539.94" in text and "Paper, letter" not in text
    assert "CDW-G \u2014 2 items, 6 to order, $539.94" in text
    csv_rows = read_csv(files["csv"])
    assert csv_rows[0][-1] == "Supplier"
    assert [(r[0], r[7], r[-1]) for r in csv_rows[1:]] == [
        ("Cat6 patch cable", "0", "CDW-G"), ("HP 58A toner", "6", "CDW-G"),
        ("Chromebook charger", "18", "No supplier on file")]


@pytest.mark.parametrize("name", ["room-sheet", "by-person", "loans", "license-compliance",
                                  "reorder"])
def test_nothing_to_report_writes_none(db, tmp_path, name):
    files = write_all(name, tmp_path)
    assert "None." in pdf_text(files["pdf"])
    assert workbook(files["xlsx"]).sheetnames
    assert len(read_csv(files["csv"])) == 1  # the header alone


def test_by_person_marks_someone_who_left(db):
    d = district()
    a = asset(d, cost="10.00")
    assets.check_out(a.id, person_id=d["staff"].id)
    from app.models import Person
    Person.update(active=False).where(Person.id == d["staff"].id).execute()  # left, still holds
    doc = build("by-person")
    summary = doc.sections[0].tables[0]
    assert column(summary, "Kind") == ["Staff (left)"]
