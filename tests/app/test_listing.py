"""Lists for the desktop tables: filters, sorting and display rows, in SQL,
on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app import listing
from app.services import assets, repairs
from tests.app.factories import asset, district


@pytest.fixture
def reg(db):
    d = district()
    a1 = asset(d, tag="QM-000010", name="Lab cart 5CD-12", serial="5CD1234XYZ", cost="1500.00")
    a2 = asset(d, tag="qm-000002", name="Teacher laptop", location_id=d["r3"].id, cost="899.99",
               funding_type="erate", erate_frn="2399012345", erate_funding_year=2024)
    a3 = asset(d, tag="QM-000003", name="Spare", cost=None)
    assets.check_out(a2.id, person_id=d["staff"].id, due=dt.date.today() + dt.timedelta(days=3))
    assets.retire(a3.id)
    repairs.open_repair(a1.id, "Cracked screen")
    return d, a1, a2, a3


def test_default_order_and_rows(reg):
    d, a1, a2, a3 = reg
    ids = listing.query_ids("assets")
    assert ids == [a2.id, a3.id, a1.id]  # tags compared case-insensitively: 000002, 000003, 000010
    rows = listing.fetch_rows("assets", ids)
    cols = [c.key for c in listing.columns("assets")]
    r2 = dict(zip(cols, rows[a2.id]))
    assert r2["holder"] == "O'Brien, Ann" and r2["site"] == "Lincoln Middle School"
    assert r2["cost"] == Decimal("899.99") and r2["funding"] == "E-Rate FY2024"
    assert dict(zip(cols, rows[a1.id]))["status"] == "In repair"


def test_every_sortable_column_both_ways(reg):
    for kind in listing.KINDS:
        for col in listing.columns(kind):
            if col.sort is None:
                continue
            up = listing.query_ids(kind, {}, col.key, False)
            down = listing.query_ids(kind, {}, col.key, True)
            assert sorted(up) == sorted(down)


def test_sort_by_cost_puts_blanks_last(reg):
    d, a1, a2, a3 = reg
    assert listing.query_ids("assets", {}, "cost") == [a2.id, a1.id, a3.id]
    assert listing.query_ids("assets", {}, "cost", descending=True) == [a1.id, a2.id, a3.id]


@pytest.mark.parametrize("text", ["O'Brien", "5CD-12", "100%", "a_b", '"quoted"', "\\", "--", "'; DROP TABLE asset; --"])
def test_search_punctuation_never_errors(reg, text):
    ids = listing.query_ids("assets", {"search": text})
    assert isinstance(ids, list)
    listing.query_ids("people", {"search": text})
    listing.query_ids("loans", {"loan_state": "all", "search": text})


def test_search_finds_person_room_and_serial_fragment(reg):
    d, a1, a2, a3 = reg
    assert listing.query_ids("assets", {"search": "o'brien"}) == [a2.id]
    assert listing.query_ids("assets", {"search": "5CD-12"}) == [a1.id]
    assert listing.query_ids("assets", {"search": "1234xyz"}) == [a1.id]


def test_filters(reg):
    d, a1, a2, a3 = reg
    assert listing.query_ids("assets", {"status": "retired"}) == [a3.id]
    assert set(listing.query_ids("assets", {"status": "active"})) == {a1.id, a2.id}
    assert listing.query_ids("assets", {"site_id": d["other"].id}) == [a2.id]
    assert listing.query_ids("assets", {"funding_type": "erate"}) == [a2.id]
    assert listing.query_ids("assets", {"category_id": d["cat"].id, "location_id": d["r3"].id}) == [a2.id]
    assert set(listing.query_ids("assets", {"not_audited": True})) == {a1.id, a2.id}
    assets.mark_audited([a1.id])
    assert listing.query_ids("assets", {"not_audited": True}) == [a2.id]
    assert listing.query_ids("assets", {"person_id": d["staff"].id}) == [a2.id]


def test_people_loans_repairs_locations(reg):
    d, a1, a2, a3 = reg
    people = listing.query_ids("people", {"search": "E100"})
    assert people == [d["staff"].id]
    assert listing.fetch_rows("people", people)[d["staff"].id][6] == 1  # holding one item
    loans = listing.query_ids("loans", {"loan_state": "due_soon"})
    assert len(loans) == 1 and listing.fetch_rows("loans", loans)[loans[0]][6] == "Due soon"
    assert listing.query_ids("loans", {"loan_state": "overdue"}) == []
    reps = listing.query_ids("repairs", {"repair_state": "open"})
    row = listing.fetch_rows("repairs", reps)[reps[0]]
    assert row[0] == "QM-000010" and row[2] == "Cracked screen" and row[6] == 0
    rooms = listing.query_ids("locations", {"site_id": d["site"].id}, "name")
    assert rooms == [d["r2"].id, d["r1"].id]
    assert listing.fetch_rows("locations", rooms)[d["r1"].id][3] == 1  # a3 retired is not counted


def test_fiscal_year_start():
    assert listing.fiscal_year_start(dt.date(2026, 6, 30), 7) == dt.date(2025, 7, 1)
    assert listing.fiscal_year_start(dt.date(2026, 7, 1), 7) == dt.date(2026, 7, 1)
    assert listing.fiscal_year_start(dt.date(2026, 2, 1), 1) == dt.date(2026, 1, 1)


def test_search_takes_a_name_as_the_assigned_to_column_shows_it(reg):
    d, a1, a2, a3 = reg
    assert listing.query_ids("assets", {"search": "O'Brien, Ann"}) == [a2.id]
    assert listing.query_ids("people", {"search": "O'Brien, Ann"}) == [d["staff"].id]


def test_asset_rows_name_every_related_row_or_leave_it_blank(db):
    """Each display row names the asset's model, category, site, room and
    holder (a person, or the room it is lent to), and leaves blank what the
    asset has none of. PostgreSQL reads these names by a lookup per row
    rather than by joins (see _asset_rows_query): the same rows either way."""
    d = district()
    lent = asset(d, tag="QM-000001", location_id=d["r2"].id)
    assets.check_out(lent.id, person_id=d["staff"].id)
    cart = asset(d, tag="QM-000002", location_id=d["r1"].id)
    assets.check_out(cart.id, location_id=d["r3"].id)
    bare = asset(d, tag="QM-000003", model_id=None, location_id=None, cost=None,
                 purchase_date=None)
    rows = listing.fetch_rows("assets", [lent.id, cart.id, bare.id])
    cols = [c.key for c in listing.columns("assets")]
    got = {i: dict(zip(cols, r)) for i, r in rows.items()}
    named = ("model", "category", "site", "room", "holder")
    assert [got[lent.id][k] for k in named] == [
        "Chromebook 3110", "Chromebooks", "Riverside High School", "Library", "O'Brien, Ann"]
    assert [got[cart.id][k] for k in named] == [
        "Chromebook 3110", "Chromebooks", "Riverside High School", "Room 12", "Room 5"]
    assert [got[bare.id][k] for k in named] == ["", "", "", "", ""]
    assert got[bare.id]["cost"] is None and got[lent.id]["cost"] == Decimal("299.00")
    assert got[lent.id]["purchase_date"] == dt.date(2024, 8, 15)


def test_search_ignores_case_and_takes_wildcards_literally(db):
    """The search text and the typed words are both lower-cased, so a plain
    LIKE (not ILIKE) finds capitals typed or stored; % and _ match only
    themselves, on both engines and through the index or a walk alike."""
    d = district()
    full = asset(d, tag="QM-000100", name="Lab Cart 100%")
    other = asset(d, tag="QM-000200", name="LAB CART 1000")
    under = asset(d, tag="QM-000300", name="Spare A_B")
    asset(d, tag="QM-000400", name="Spare AXB")
    for sort in ("tag", "name"):
        for limit in (None, listing.PAGE_SIZE):
            def found(text: str) -> set[int]:
                return set(listing.query_ids("assets", {"search": text}, sort, limit=limit))
            assert found("lab CART") == {full.id, other.id}
            assert found("100%") == {full.id}
            assert found("a_b") == {under.id}
            assert found("A_") == {under.id}
