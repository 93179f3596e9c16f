"""A million assets: tags past the counter's digits sort as numbers (lists and
the year-end register, on SQLite and PostgreSQL), and the assets list's
queries are served by indexes (EXPLAIN QUERY PLAN on SQLite; EXPLAIN on
PostgreSQL, on tables big enough for its planner to mean it)."""
from __future__ import annotations

import peewee as pw
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import listing
from app.reporting import year_end
from app.services import tags
from app.models import Asset
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


def _first_page_sql(kind: str, filters: dict, descending: bool = False) -> tuple[str, list]:
    """The SQL (and parameters) of the first page the table model reads for
    ``filters``, built by the same code (listing.query_ids)."""
    database = db.obj
    seen: list[tuple[str, list]] = []
    real = database.execute

    def capture(query, *args, **kwargs):
        seen.append(database.get_sql_context().sql(query).query())
        return real(query, *args, **kwargs)

    database.execute = capture
    try:
        listing.query_ids(kind, filters, None, descending, limit=listing.PAGE_SIZE)
    finally:
        del database.execute
    return seen[-1]


def _plans(filters: dict, descending: bool) -> list[str]:
    """SQLite's plan of the Assets list's first page for ``filters``."""
    sql, params = _first_page_sql("assets", filters, descending)
    return [r[3] for r in db.obj.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


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


# --- PostgreSQL: the planner's own choice on a table big enough to mean it ----
#
# With a few rows PostgreSQL reads the whole table whatever indexes exist (it
# is cheaper), so a plan of the 30-row table above would say nothing; turning
# enable_seqscan off would only show that *some* index could serve. Here the
# tables get tens of thousands of rows spread the way a district's are (most
# assets deployed, one room in thousands, a third E-Rate, a few lent out),
# statistics are gathered, and the planner decides as it would at 1,000,000
# (bench/plans.py prints the same plans on the 1,000,000-asset database).

PG_ASSETS = 60_000
PG_CASES = [("assets", f) for f in FILTERS.values()] + [
    ("assets", {"search": "zq9"}),  # a rare word: the trigram index, not a walk
    ("loans", {}),
    ("people", {}),
    ("people", {"active": True}),
]


def _pg_plan(kind: str, filters: dict) -> list[str]:
    sql, params = _first_page_sql(kind, filters)
    return [r[0] for r in db.obj.execute_sql("EXPLAIN " + sql, params).fetchall()]


def _fill_like_a_district(n: int) -> None:
    """``n`` assets, n/2 people and n/2 loans in one statement each (the
    services would take minutes): 40 sites, 2,000 rooms, 20 models in 5
    categories."""
    ex = db.execute_sql
    ex("INSERT INTO site (name, code) SELECT 'Site ' || i, 'S' || i FROM generate_series(1, 40) i")
    ex("INSERT INTO location (site_id, name) SELECT 1 + mod(i, 40), 'Room ' || i "
       "FROM generate_series(1, 2000) i")
    ex("INSERT INTO category (name, kind, life_years) SELECT 'Category ' || i, 'laptop', 4 "
       "FROM generate_series(1, 5) i")
    ex("INSERT INTO manufacturer (name) VALUES ('Dell')")
    ex("INSERT INTO hardware_model (name, manufacturer_id, category_id) "
       "SELECT 'Model ' || i, 1, 1 + mod(i, 5) FROM generate_series(1, 20) i")
    ex("INSERT INTO person (kind, first_name, last_name, id_number, site_id, language, active, "
       "created_at, updated_at, version) SELECT 'student', 'First' || i, 'Last' || (mod(i * 7919, %s)), "
       "'S' || i, 1 + mod(i, 40), 'en', mod(i, 10) <> 0, now(), now(), 1 FROM generate_series(1, %s) i",
       (n // 2, n // 2))
    ex("INSERT INTO asset (tag, tag_key, status, model_id, site_id, location_id, "
       "assigned_person_id, funding_type, last_audit_date, search_text, created_at, updated_at, "
       "version) SELECT 'QM-' || lpad(i::text, 6, '0'), 'QM-' || lpad(i::text, 6, '0'), "
       "CASE WHEN mod(i, 20) < 17 THEN 'deployed' WHEN mod(i, 20) < 19 THEN 'ready' ELSE 'retired' END, "
       "1 + mod(i, 20), 1 + mod(i, 40), 1 + mod(i, 2000), CASE WHEN mod(i, 3) = 0 THEN 1 + mod(i, %s) END, "
       "CASE WHEN mod(i, 3) = 1 THEN 'erate' END, "
       "CASE WHEN mod(i, 10) < 7 THEN current_date END, "
       "'qm-' || lpad(i::text, 6, '0') || ' sn' || md5(i::text) || "
       "CASE WHEN mod(i, 2) = 0 THEN ' dell latitude' ELSE ' hp probook' END || ' room ' || mod(i, 2000), "
       "now(), now(), 1 FROM generate_series(1, %s) i",
       (n // 2, n))
    ex("INSERT INTO loan (asset_id, person_id, out_at, due, returned_at, agreement_signed, language) "
       "SELECT i * 2, 1 + mod(i, %s), now() - (mod(i, 700)) * interval '1 day', "
       "current_date + (mod(i, 300) - 100), CASE WHEN mod(i, 5) = 0 THEN now() END, true, 'en' "
       "FROM generate_series(1, %s) i",
       (n // 2, n // 2))
    ex("ANALYZE")


@pytest.mark.postgres
def test_list_queries_use_indexes_on_postgresql(db):
    if not isinstance(db, pw.PostgresqlDatabase):
        pytest.skip("PostgreSQL's planner")
    _fill_like_a_district(PG_ASSETS)
    table = {"assets": "asset", "loans": "loan", "people": "person"}
    problems = []
    for kind, filters in PG_CASES:
        plan = _pg_plan(kind, filters)
        text = "\n".join(plan)
        if f"Seq Scan on {table[kind]} " in text + " ":
            problems.append(f"{kind} {filters}: reads every row\n{text}")
        # The default order comes from an index (at most a sort of equal keys
        # by id, an Incremental Sort), never a sort of every row.
        if not filters and any(p.strip().startswith("->  Sort") or p.startswith("Sort")
                               for p in plan):
            problems.append(f"{kind} default: sorts every row\n{text}")
        # Open loans by due day straight from the open loans' index (schema
        # step 12), not by walking every loan's due day past the returned ones.
        if kind == "loans" and "loan_open_due" not in text:
            problems.append(f"loans default: not from loan_open_due\n{text}")
    assert not problems, "\n\n".join(problems)


@pytest.mark.postgres
def test_a_bulk_load_on_postgresql_leaves_statistics_to_plan_by(db):
    """Autovacuum gathers statistics only a while after a load; a report run
    straight after would be planned for empty tables (a 2,000-asset year-end
    took 15 s instead of 1 s). A bulk load gathers them as it ends."""
    if not isinstance(db, pw.PostgresqlDatabase):
        pytest.skip("PostgreSQL's statistics")
    from app.store import search

    def estimated() -> float:
        return db.execute_sql("SELECT reltuples FROM pg_class WHERE relname = 'asset'").fetchone()[0]
    d = district()
    with db.atomic(), search.bulk_mode():
        for n in range(40):
            asset(d, tag=f"QM-{n:06d}")
        with search.bulk_mode():  # nested loads gather them once, at the end
            pass
        assert estimated() <= 0  # never analysed yet (-1 on PostgreSQL 14+)
        # the trigram index is built once at the end, not kept up row by row
        assert not db.execute_sql("SELECT to_regclass('asset_search_trgm')").fetchone()[0]
    assert estimated() == 40
    assert db.execute_sql("SELECT to_regclass('asset_search_trgm')").fetchone()[0]
    assert listing.query_ids("assets", {"search": "qm-000039"}) == \
        [a.id for a in Asset.select().where(Asset.tag == "QM-000039")]
