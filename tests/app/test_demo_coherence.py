"""The demo district is one an auditor would believe.

Every screenshot and every first impression is the demo, so its records obey
the rules a real district's do: E-Rate gear bought and installed inside its
funding year, capital equipment deployed in the network rooms, capital
additions and disposals (with their history) every year, grades that fit the
school, one Chromebook per student, hotspots lent to families, loans due after
they went out.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from decimal import Decimal

import pytest

from app.demo import GRADES, build_demo, erate_year, fiscal_year

TODAY = dt.date(2026, 12, 6)
CAPITAL = Decimal("5000.00")


@pytest.fixture(scope="module", params=[(4, TODAY), (1, dt.date(2026, 6, 20))],
                ids=["seed4-december", "seed1-june"])
def demo(request, tmp_path_factory):
    from app.store.db import close_database, open_database
    seed, today = request.param
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    open_database(path)
    build_demo(assets=2000, seed=seed, today=today)
    close_database()
    database = open_database(path)
    yield database, today
    close_database()


def rows(database, sql, *params):
    return database.execute_sql(sql, params).fetchall()


def as_date(v):
    if v is None or isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.date.fromisoformat(str(v)[:10])


def as_datetime(v):
    return v if isinstance(v, dt.datetime) or v is None else dt.datetime.fromisoformat(str(v))


def test_the_inventory_rules_hold(demo):
    from app.check import run_checks
    assert run_checks() == []


def test_erate_gear_is_bought_and_installed_within_its_funding_year(demo):
    database, _ = demo
    found = rows(database, "SELECT tag, purchase_date, in_service_date, erate_funding_year, erate_frn "
                           "FROM asset WHERE funding_type = 'erate'")
    assert len(found) >= 10
    for tag, bought, installed, fyear, frn in found:
        bought, installed = as_date(bought), as_date(installed)
        first, last = dt.date(fyear, 7, 1), dt.date(fyear + 1, 6, 30)
        assert erate_year(bought) == fyear
        assert first <= bought <= last, (tag, bought, fyear)
        if installed:
            assert bought <= installed <= last, (tag, bought, installed, fyear)
        assert frn.startswith(f"{fyear % 100:02d}"), (tag, frn, fyear)


def test_capital_items_in_service_are_deployed_in_network_rooms(demo):
    database, _ = demo
    found = rows(database, """
        SELECT a.tag, a.status, l.name, a.assigned_location_id, c.name
        FROM asset a JOIN location l ON l.id = a.location_id
        JOIN hardware_model m ON m.id = a.model_id JOIN category c ON c.id = m.category_id
        WHERE a.cost >= 5000 AND a.status NOT IN ('disposed', 'retired', 'missing')
          AND a.in_service_date IS NOT NULL""")
    assert len(found) >= 5
    for tag, status, room, held_by, category in found:
        assert status in ("deployed", "in_repair"), (tag, status)
        assert room in ("MDF", "IDF 1"), (tag, room, category)
        assert held_by is not None or status == "in_repair"
    # Across the register, most equipment is in use, not waiting in storage.
    by_status = Counter(s for (s,) in rows(database, "SELECT status FROM asset"))
    assert by_status["deployed"] > by_status["ready"]


def test_capital_additions_and_disposals_every_year(demo):
    """Each completed fiscal year of the eight has capital bought and capital
    disposed of, disposals carrying the history the dispose service writes —
    so the year-end report sees both."""
    from app.reporting.year_end import compute
    database, today = demo
    assets = rows(database, "SELECT id, purchase_date, disposal_date, cost FROM asset WHERE cost >= 5000")
    additions, disposals = Counter(), Counter()
    for _, bought, gone, _ in assets:
        additions[fiscal_year(as_date(bought))] += 1
        if gone:
            disposals[fiscal_year(as_date(gone))] += 1
    years = range(fiscal_year(today) - 8, fiscal_year(today))
    for fy in years:
        assert additions[fy] >= 1 and disposals[fy] >= 1, (fy, additions, disposals)
    # The dispose path's history: status, date, method and proceeds, on the day.
    disposed = rows(database, "SELECT id, disposal_date FROM asset WHERE status = 'disposed'")
    history = {}
    for entity_id, field, new, at in rows(database, "SELECT entity_id, field, new, at FROM history_entry "
                                                    "WHERE entity = 'asset' AND action = 'dispose'"):
        history.setdefault(entity_id, {})[field] = (new, as_date(at))
    for aid, gone in disposed:
        h = history[aid]
        assert set(h) >= {"status", "disposal_date", "disposal_method", "disposal_proceeds"}
        assert h["status"] == ("disposed", as_date(gone))
    # And the year-end report of each completed year sees them, and the years tie:
    # each year's ending balance is the next one's beginning.
    ending = None
    for fy in years:
        roll = compute(fy).roll
        begin, added, removed, end = (sum(getattr(r, f) for r in roll)
                                      for f in ("beginning", "additions", "disposals", "ending"))
        assert added > 0 and removed > 0, (fy, added, removed)
        assert begin + added - removed == end, fy
        assert ending is None or begin == ending, (fy, begin, ending)
        ending = end


def test_students_grades_fit_their_school(demo):
    database, _ = demo
    found = rows(database, "SELECT p.grade, s.code FROM person p JOIN site s ON s.id = p.site_id "
                           "WHERE p.kind = 'student'")
    assert found
    for grade, code in found:
        assert grade in GRADES[code], (grade, code)
    assert not rows(database, "SELECT 1 FROM person WHERE kind != 'student' AND grade IS NOT NULL")


def test_one_chromebook_per_student_plus_loaners(demo):
    database, _ = demo
    held = rows(database, """
        SELECT p.id, p.site_id, a.site_id, COUNT(*) FROM loan l
        JOIN person p ON p.id = l.person_id JOIN asset a ON a.id = l.asset_id
        JOIN hardware_model m ON m.id = a.model_id JOIN category c ON c.id = m.category_id
        WHERE l.returned_at IS NULL AND c.name = 'Chromebooks' AND p.kind = 'student'
        GROUP BY p.id, p.site_id, a.site_id""")
    assert len(held) > 100
    for pid, person_site, asset_site, n in held:
        assert n == 1, (pid, n)
        assert person_site == asset_site
    assert not rows(database, """
        SELECT 1 FROM loan l JOIN person p ON p.id = l.person_id
        WHERE l.returned_at IS NULL AND p.kind = 'student'
        GROUP BY p.id HAVING COUNT(*) > 1""")
    loaners = rows(database, """
        SELECT COUNT(*) FROM asset a JOIN hardware_model m ON m.id = a.model_id
        JOIN category c ON c.id = m.category_id JOIN location l ON l.id = a.location_id
        WHERE c.name = 'Chromebooks' AND a.status = 'ready' AND l.name = 'Library'""")[0][0]
    assert loaners > 0


def test_hotspots_are_lent_to_families(demo):
    database, _ = demo
    lent = rows(database, """
        SELECT c.name, COUNT(*) FROM loan l JOIN person p ON p.id = l.person_id
        JOIN asset a ON a.id = l.asset_id JOIN hardware_model m ON m.id = a.model_id
        JOIN category c ON c.id = m.category_id
        WHERE l.returned_at IS NULL AND p.kind = 'family' GROUP BY c.name""")
    assert dict(lent).keys() == {"Hotspots"} and dict(lent)["Hotspots"] >= 5


def test_loans_fall_inside_the_assets_life(demo):
    database, today = demo
    found = rows(database, """
        SELECT a.tag, a.purchase_date, a.in_service_date, a.disposal_date, l.out_at, l.due,
               l.returned_at, l.person_id
        FROM loan l JOIN asset a ON a.id = l.asset_id""")
    assert len(found) > 500
    overdue = 0
    for tag, bought, installed, gone, out, due, back, _person in found:
        out, back = as_datetime(out), as_datetime(back)
        start = as_date(installed) or as_date(bought)
        assert out.date() >= start, (tag, out, start)
        assert out.date() <= today
        if due is not None:
            assert as_date(due) > out.date(), (tag, out, due)
            overdue += back is None and as_date(due) < today
        if back is not None:
            assert out < back and back.date() <= today, (tag, out, back)
        if gone is not None:
            assert back is not None and back.date() <= as_date(gone), (tag, back, gone)
    assert overdue > 0  # the Loans page has something to chase
    # A past loan ended before the present one began.
    spans = {}
    for aid, out, back in rows(database, "SELECT asset_id, out_at, returned_at FROM loan ORDER BY out_at"):
        spans.setdefault(aid, []).append((as_datetime(out), as_datetime(back)))
    for aid, loans in spans.items():
        for (_, b1), (o2, _) in itertools.pairwise(loans):
            assert b1 is not None and b1 <= o2, (aid, loans)


def test_repairs_and_audits_fall_inside_the_assets_life(demo):
    database, today = demo
    for tag, bought, installed, reported, _returned in rows(database, """
            SELECT a.tag, a.purchase_date, a.in_service_date, r.reported, r.returned
            FROM repair r JOIN asset a ON a.id = r.asset_id"""):
        assert as_date(reported) >= as_date(installed or bought), tag
        assert as_date(reported) <= today
    for tag, installed, audited in rows(database, "SELECT tag, in_service_date, last_audit_date "
                                                  "FROM asset WHERE last_audit_date IS NOT NULL"):
        assert as_date(installed) <= as_date(audited) <= today, tag


def test_readme_tags_name_the_kind_of_thing_they_say(demo):
    """The README's examples name QM-000004 as a computer, QM-000010 as a
    printer and LOC-00049 as Room 214 at Lincoln High."""
    database, _ = demo
    kinds = dict(rows(database, """
        SELECT a.tag, c.name FROM asset a JOIN hardware_model m ON m.id = a.model_id
        JOIN category c ON c.id = m.category_id WHERE a.tag IN ('QM-000004', 'QM-000010')"""))
    assert kinds == {"QM-000004": "Laptops", "QM-000010": "Printers"}
    assert rows(database, "SELECT s.code, l.name FROM location l JOIN site s ON s.id = l.site_id "
                          "WHERE l.barcode = 'LOC-00049'") == [("LHS", "Room 214")]
    # QM-000101…110: spare Chromebooks in service at Lincoln High, free to lend.
    spares = rows(database, """
        SELECT a.status, a.assigned_person_id, a.assigned_location_id, s.code, a.in_service_date
        FROM asset a JOIN site s ON s.id = a.site_id
        WHERE a.tag BETWEEN 'QM-000101' AND 'QM-000110'""")
    assert len(spares) == 10
    assert all(r[:4] == ("ready", None, None, "LHS") and r[4] is not None for r in spares), spares


def test_same_seed_same_district(tmp_path, monkeypatch):
    """The same seed gives the same district, through the write-ahead log (a
    small demo) and under a rollback journal (a large one), which leaves the
    file back in WAL mode with no journal beside it."""
    import app.demo
    from app.store.db import close_database, open_database
    dumps = []
    for i in range(2):
        monkeypatch.setattr(app.demo, "DIRECT_WRITES_FROM", 10**9 if i == 0 else 0)
        database = open_database(tmp_path / f"s{i}.sqlite")
        build_demo(assets=300, seed=9, today=TODAY)
        assert rows(database, "PRAGMA journal_mode") == [("wal",)]
        assert not (tmp_path / f"s{i}.sqlite-journal").exists()
        dumps.append([rows(database, sql) for sql in (
            "SELECT * FROM asset ORDER BY id",
            "SELECT * FROM loan ORDER BY id",
            ("SELECT entity_id, action, field, old, new, at FROM history_entry "
             "WHERE entity = 'asset' ORDER BY id"),
            "SELECT kind, first_name, last_name, id_number, site_id, grade FROM person ORDER BY id",
            "SELECT asset_id, reported, problem, status, cost, returned FROM repair ORDER BY id")])
        close_database()
    assert dumps[0][0] and dumps[0] == dumps[1]


def test_serials_match_their_models_patterns(demo):
    import re
    database, _ = demo
    found = rows(database, "SELECT a.tag, a.serial, m.serial_pattern FROM asset a "
                           "JOIN hardware_model m ON m.id = a.model_id WHERE m.serial_pattern IS NOT NULL")
    assert len(found) > 1000
    bad = [(tag, serial, pattern) for tag, serial, pattern in found if not re.match(pattern, serial)]
    assert not bad, bad[:5]


def test_a_tape_rotation_is_in_progress(demo):
    # Issue #24: the demo's LTO cartridges are tracked as backup media in a
    # grandfather-father-son rotation, not only listed as assets (the Backup
    # media page was empty).
    from app.services import media
    database, today = demo
    listed = media.rows()
    lto = {s for (s,) in rows(database, "SELECT a.serial FROM asset a JOIN hardware_model m "
                                        "ON m.id = a.model_id WHERE m.name = 'LTO-8 Data Cartridge'")}
    assert len(listed) >= 5 and {m["barcode"] for m in listed} <= lto
    rotations = Counter(m["rotation"] for m in listed)
    assert set(rotations) == {"Daily (son)", "Weekly (father)", "Monthly (grandfather)"}
    places = Counter(m["location"] for m in listed)
    assert places["In the drive"] == 1 and places["Off-site vault"] and places["On-site safe"]
    assert all(m["written_on"] and m["written_on"] < today for m in listed if m["rotation"] != "Monthly (grandfather)")
    monthly = sorted(m["written_on"] for m in listed if m["rotation"] == "Monthly (grandfather)")
    assert len({(d.year, d.month) for d in monthly}) == len(monthly)  # one tape a month
    due = media.due(today=today, days=7)
    assert "Send to the vault" in {d["action"] for d in due}


def test_serials_are_unique_even_when_a_draw_repeats(tmp_path, monkeypatch):
    """A maker never repeats a serial: when the random draw gives one already
    used (a million assets meet birthday odds), the demo draws again. Every
    other draw here repeats the last serial, so the redraw must happen."""
    import app.demo as demo
    from app.store.db import close_database, open_database
    real = demo._serial
    calls = {"n": 0, "last": None}

    def repeating(rng, pattern, n):
        calls["n"] += 1
        if calls["last"] is not None and calls["n"] % 2 == 0:
            return calls["last"]
        calls["last"] = real(rng, pattern, n)
        return calls["last"]

    monkeypatch.setattr(demo, "_serial", repeating)
    database = open_database(tmp_path / "d.sqlite")
    build_demo(assets=500, seed=2, today=TODAY)
    keys = [k for (k,) in rows(database, "SELECT serial_key FROM asset")]
    close_database()
    assert calls["n"] > 1.4 * 500  # the repeats were drawn, and refused
    assert len(keys) == 500 and len(set(keys)) == len(keys)


def test_the_demo_leaves_exactly_the_schema_the_migrations_make(demo):
    """The demo builds the big tables' indexes after their rows: every one is
    back, word for word (the restore check compares them), and nothing else."""
    import sqlite3
    from app.store import schema
    database, _ = demo
    conn = sqlite3.connect(database.database)
    try:
        assert schema.foreign_objects(conn) == []
        assert schema._read(conn)["objects"] == schema.reference()["objects"]
    finally:
        conn.close()


def test_a_failed_demo_leaves_the_indexes_and_no_data(tmp_path, monkeypatch):
    """The indexes are dropped inside the demo's one transaction: a failure
    half-way rolls them back with the rows, and the file is as it was."""
    import sqlite3
    import app.demo as demo
    from app.store import schema
    from app.store.db import close_database, open_database

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "_upc", broken)  # the supplies, while the indexes are down
    database = open_database(tmp_path / "f.sqlite")
    with pytest.raises(RuntimeError):
        build_demo(assets=500, seed=2, today=TODAY)
    assert rows(database, "SELECT COUNT(*) FROM asset") == [(0,)]
    close_database()
    conn = sqlite3.connect(tmp_path / "f.sqlite")
    try:
        assert schema._read(conn)["objects"] == schema.reference()["objects"]
    finally:
        conn.close()


def test_the_search_index_holds_every_asset_as_a_rebuild_would(demo):
    """The demo indexes each page of assets for search as it is written (not
    one rebuild at the end): the index must hold exactly what the asset rows
    say, the loaner swaps' later changes included, and find an asset by any
    part of its serial, its holder's name and its room."""
    from app.store import search
    database, _ = demo
    assert rows(database, "INSERT INTO asset_fts(asset_fts, rank) VALUES ('integrity-check', 1)") == []
    # Every asset's row is in the index: counted from the index alone.
    assert search.count_matches("qm-") == rows(database, "SELECT COUNT(*) FROM asset")[0][0]
    tag, serial, first, last = rows(
        database, "SELECT a.tag, a.serial, p.first_name, p.last_name FROM asset a "
        "JOIN person p ON p.id = a.assigned_person_id WHERE a.serial IS NOT NULL "
        "ORDER BY a.id DESC LIMIT 1")[0]
    found = [t for (t,) in rows(
        database, "SELECT tag FROM asset WHERE id IN (SELECT rowid FROM asset_fts "
        "WHERE asset_fts MATCH ?)", f'"{serial[1:6].lower()}" AND "{last.lower()}"')]
    assert tag in found
    # A loaner lent in a swap (after the load, through the service) is found by its new holder.
    swaps = rows(database, "SELECT a.tag, p.last_name FROM loaner_swap s JOIN asset a "
                 "ON a.id = s.loaner_id JOIN person p ON p.id = s.person_id")
    assert swaps
    for loaner_tag, holder in swaps:
        hits = [t for (t,) in rows(database, "SELECT tag FROM asset WHERE id IN (SELECT rowid "
                                   "FROM asset_fts WHERE asset_fts MATCH ?)",
                                   f'"{loaner_tag.lower()}" AND "{holder.lower()}"')]
        assert hits == [loaner_tag]


def test_the_demo_leaves_the_process_as_it_found_it(tmp_path, monkeypatch):
    """The load pauses the cyclic garbage collector and registers plain
    adapters for None and bool (sqlite3's registry is process-wide): both are
    as they were afterwards, after a failure half-way too."""
    import gc
    import sqlite3
    import app.demo as demo
    from app.store.db import close_database, open_database
    before = dict(sqlite3.adapters)
    open_database(tmp_path / "p.sqlite")
    try:
        build_demo(assets=300, seed=2, today=TODAY)
        assert gc.isenabled() and dict(sqlite3.adapters) == before
    finally:
        close_database()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "_upc", broken)  # the supplies, half-way through
    open_database(tmp_path / "q.sqlite")
    try:
        with pytest.raises(RuntimeError):
            build_demo(assets=300, seed=2, today=TODAY)
        assert gc.isenabled() and dict(sqlite3.adapters) == before
    finally:
        close_database()
