"""Issue 25: the year-end reads whole only the assets it may list, and reads
history through the step-13 indexes — on both backends.

``states_as_of(listed_from=...)`` gives every asset its key columns (held,
where, at what cost, E-Rate) and the other columns only to the assets that
may cost ``listed_from`` on one of the days or carry an FRN. An asset below
the threshold today that was above it on the first day (a cost corrected
later), or the other way round, must still come whole, or the roll-forward
would list it without its tag.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from app.models import HistoryEntry
from app.reporting import asof, capital, year_end
from app.reporting.asof import COL, FIELDS, states_as_of
from app.services import assets, catalog
from app.store import migrations
from tests.reports.test_effective_dates import district  # noqa: F401  (fixture)

KEY = [COL[f] for f in asof._KEY]
B, E = dt.date(2025, 6, 30), dt.date(2026, 6, 30)


def _more(district):  # noqa: F811
    clock, d, a = district
    cheap = catalog.create_model("Chromebook 3110", manufacturer="Dell")
    clock.at(2024, 9, 3)
    for key, cost, extra in (("CHEAP", "289.00", {}),
                             ("RISE", "400.00", {}),
                             ("DROP", "6000.00", {}),
                             ("FRN", "120.00", {"erate_frn": "2399000001", "erate_funding_year": 2024}),
                             ("LATEFRN", "150.00", {})):
        a[key] = assets.create(dict(model_id=cheap.id, location_id=d["lib"].id, cost=cost,
                                    purchase_date="2024-09-03", name=f"Cart {key}", **extra))
    clock.at(2026, 12, 6)
    # Corrected in December, effective inside FY2026: above / below the thresholds on E only.
    assets.update(a["RISE"].id, {"cost": "6100.00"}, effective="2025-08-01")
    assets.update(a["DROP"].id, {"cost": "100.00"}, effective="2025-08-01")
    assets.update(a["LATEFRN"].id, {"erate_frn": "2399000002", "erate_funding_year": 2025},
                  effective="2025-09-01")
    assets.check_out(a["CHEAP"].id, person_id=d["teacher"].id, effective="2026-02-02")
    return a


def test_rows_read_for_listing_match_whole_rows(district):  # noqa: F811
    a = _more(district)
    whole = {rows[0][0]: rows for rows in states_as_of((B, E), holders=False)}
    keyed = {rows[0][0]: rows for rows in states_as_of((B, E), holders=False,
                                                       listed_from=D("500.00"))}
    assert whole.keys() == keyed.keys() and len(whole) == 15
    for aid, rows in whole.items():
        for w, k in zip(rows, keyed[aid]):
            assert [w[i] for i in KEY] == [k[i] for i in KEY], FIELDS
            may_list = any((r[COL["cost"]] or 0) >= 500 or r[COL["erate_frn"]] for r in rows)
            if may_list:
                assert w == k
    # Only the cheap one that never reached the threshold comes without its details.
    bare = {aid for aid, rows in keyed.items() if rows[0][COL["tag"]] is None}
    assert bare == {a["CHEAP"].id}
    # Nothing is listed from 0 up: every row whole, as without ``listed_from``.
    assert [r for r in states_as_of((B, E), holders=False, listed_from=D("0"))] == \
        list(states_as_of((B, E), holders=False))


def test_year_end_is_the_same_read_whole_or_keyed(district, monkeypatch):  # noqa: F811
    a = _more(district)
    for fy in (2025, 2026, 2027):
        keyed = year_end.compute(fy)
        real = capital.states_as_of
        monkeypatch.setattr(capital, "states_as_of",
                            lambda days, holders, listed_from: real(days, holders))
        whole = year_end.compute(fy)
        monkeypatch.setattr(capital, "states_as_of", real)
        assert keyed == whole
    ye = year_end.compute(2026)
    lines = {line.tag: line for line in ye.capital}
    drop, rise = lines[a["DROP"].tag], lines[a["RISE"].tag]
    # Capital on June 30, 2025 at $6,000; $100 from August 1: out by adjustment.
    assert drop.begin_cost == D("6000.00") and not drop.held_at_end
    assert drop.description == "Cart DROP (Chromebook 3110)"
    assert rise.description == "Cart RISE (Chromebook 3110)" and rise.cost == D("6100.00")
    assert rise.held_at_end and rise.begin_category is None
    assert {a["FRN"].tag, a["LATEFRN"].tag} <= {i.tag for i in ye.erate}
    before = year_end.compute(2025)
    assert lines[a["RISE"].tag].begin_cost == D("0.00")
    assert {line.tag: line for line in before.capital}[a["DROP"].tag].cost == D("6000.00")
    assert a["LATEFRN"].tag not in {i.tag for i in before.erate}  # FRN from September 2025


def test_step_13_indexes_serve_the_history_reads(db):
    """The history indexes exist on both engines; on SQLite the later-changes
    query reads them in order (no sort) and the audits from the effective-day index."""
    names = {i.name for i in db.get_indexes("history_entry")}
    assert {"history_entry_entity_entity_id_at_id", "history_entry_entity_effective_entity_id_field",
            "history_entry_action_at"} <= names
    assert migrations.LATEST >= 13
    if db.__class__.__name__.startswith("Postgres"):
        return
    sql, params = asof._later_changes(dt.date(2026, 6, 30)).sql()
    plan = " | ".join(r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "history_entry_entity_entity_id_at_id" in plan and "TEMP B-TREE FOR" not in plan, plan
    assert "history_entry_action_at" in plan, plan
    H = HistoryEntry
    audits = H.select(H.entity_id, H.new).where(
        (H.entity == "asset") & (H.field == "last_audit_date") & (H.effective >= dt.date(2025, 7, 1))
        & (H.effective <= dt.date(2026, 6, 30)))
    sql, params = audits.sql()
    plan = " | ".join(r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "history_entry_entity_effective_entity_id_field" in plan, plan
