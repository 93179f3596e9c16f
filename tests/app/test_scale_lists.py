"""A million assets: tags past the counter's digits sort as numbers (lists and
the year-end register, on SQLite and PostgreSQL), and the assets list's
queries are served by indexes (EXPLAIN QUERY PLAN, SQLite)."""
from __future__ import annotations

import peewee as pw
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import listing
from app.reporting import year_end
from app.services import tags
from app.store.db import db
from tests.app.factories import asset, district

# Counter tags past six digits, and odd ones: no number, other prefixes, a
# space, lower case (matched and sorted by the upper-cased key).
TAGS = ["QM-1000000", "QM-999999", "SPARE", "QM-1000001", "hs 00123", "LIB-7", "QM-999998",
        "ZZ-1", "AB-0000001"]
# The tag's length first, then the tag: one prefix's numbers sort as numbers.
ASCENDING = ["ZZ-1", "LIB-7", "SPARE", "hs 00123", "QM-999998", "QM-999999", "AB-0000001",
             "QM-1000000", "QM-1000001"]


@given(st.text(max_size=20))
def test_sort_key_is_the_matching_key_s_length_then_the_key(text):
    key = tags.normalize_tag(text)  # the fast path for ASCII gives the same
    assert tags.sort_key(text) == (len(key), key)


@pytest.fixture
def tagged(db):
    d = district()
    by_tag = {t: asset(d, tag=t, name=f"Asset {t}", cost="6000.00") for t in TAGS}
    return d, by_tag


def _tags(ids, by_tag):
    tag_of = {a.id: t for t, a in by_tag.items()}
    return [tag_of[i] for i in ids]


def test_sort_key_orders_numbers_past_the_counter_digits():
    assert sorted(TAGS, key=tags.sort_key) == ASCENDING
    assert tags.sort_key("QM-999999") < tags.sort_key("QM-1000000")
    assert tags.sort_key(" qm-1000000 ") == tags.sort_key("QM-1000000")


def test_assets_list_sorts_tags_as_numbers_both_ways(tagged):
    _, by_tag = tagged
    assert _tags(listing.query_ids("assets"), by_tag) == ASCENDING
    assert _tags(listing.query_ids("assets", sort="tag"), by_tag) == ASCENDING
    assert _tags(listing.query_ids("assets", sort="tag", descending=True), by_tag) \
        == ASCENDING[::-1]
    # The first page alone (what the table paints first) is the same order.
    assert _tags(listing.query_ids("assets", limit=4), by_tag) == ASCENDING[:4]
    assert _tags(listing.query_ids("assets", descending=True, limit=3), by_tag) \
        == ASCENDING[::-1][:3]
    # A filter keeps the order (QM-999999 and QM-1000000 in one room).
    assert _tags(listing.query_ids("assets", {"search": "qm-"}), by_tag) \
        == [t for t in ASCENDING if t.startswith("QM-")]


def test_year_end_register_sorts_tags_as_numbers(tagged):
    import datetime as dt
    fy = listing.fiscal_year_start(dt.date.today()).year + 1
    ye = year_end.compute(fy)
    register = [i.tag for i in ye.register]
    assert register == ASCENDING, register


# --- the list queries use their indexes (SQLite's plan) -----------------------

FILTERS = {
    "default": {},
    "status": {"status": "deployed"},
    "status active": {"status": "active"},
    "category": {"category_id": 1},
    "site": {"site_id": 1},
    "room": {"location_id": 1},
    "funding": {"funding_type": "erate"},
    "not audited": {"not_audited": True},
    "search": {"search": "dell"},
}


def _plans(filters: dict, descending: bool) -> list[str]:
    """SQLite's plan of the query the table model runs for ``filters`` (its
    first page), built by the same code (listing.query_ids)."""
    database = db.obj
    seen: list[tuple[str, list]] = []
    real = database.execute

    def capture(query, *args, **kwargs):
        seen.append(database.get_sql_context().sql(query).query())
        return real(query, *args, **kwargs)

    database.execute = capture
    try:
        listing.query_ids("assets", filters, None, descending, limit=listing.PAGE_SIZE)
    finally:
        del database.execute
    sql, params = seen[-1]
    return [r[3] for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_asset_list_queries_use_indexes(db, name, descending):
    if not isinstance(db, pw.SqliteDatabase):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    d = district()
    for n in range(30):
        asset(d, tag=f"QM-{n:06d}", name=f"Dell {n}", funding_type="erate" if n % 3 else None)
    plan = _plans(FILTERS[name], descending)
    # "SCAN t1" (asset, as peewee aliases it) reads every row; "SCAN t1 USING
    # INDEX asset_tag_sort" walks the sort's index and stops at the page.
    scans = [step for step in plan if step.split()[:2] in (["SCAN", "t1"], ["SCAN", "asset"])
             and "USING" not in step]
    assert not scans, f"{name}: full scan of asset in {plan}"
    if name == "default":  # the first page straight from the index, no sort of every row
        assert not any("TEMP B-TREE" in step for step in plan), plan
