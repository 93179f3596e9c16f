"""Schema steps: a database made by the first schema opens, migrates, and
keeps its data; a newer schema is refused; a copy is taken first."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import migrations
from app.store.db import DatabaseOpenError, close_database, open_database

V1 = Path(__file__).parent / "data" / "schema_v1.sql"


def make_v1(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript(V1.read_text(encoding="utf-8"))
    con.close()


def test_v1_database_migrates_with_data_intact(tmp_path):
    path = tmp_path / "old.sqlite"
    make_v1(path)
    from app.backup import copy_before_migration
    database = open_database(path, before_migration=copy_before_migration)
    try:
        assert migrations.current_version(database) == migrations.LATEST
        from app.models import Asset, Loan, Person
        from app.services import assets
        from app.store import search
        a = assets.get_by_tag("rhs-0001")
        assert a.serial == "5CD1234ABC" and str(a.cost) == "299.00"
        assert Loan.select().count() == 1 and Person.select().count() == 1
        hits = Asset.select().where(search.match_expression(Asset.id, Asset.search_text, "brien"))
        assert [h.tag for h in hits] == ["RHS-0001"]  # search works on migrated data
        assert search.has_fts()
    finally:
        close_database()
    copies = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "old.sqlite"
              and not p.name.startswith("old.sqlite-")]
    assert copies, "a copy of the file is taken before migrating"


def test_the_front_door_copies_the_file_before_migrating(tmp_path, capsys):
    """The store takes no copy itself (it sits below app.backup); the command
    line passes app.backup's copy, so an upgrade by any command is undoable."""
    from app import backup
    from app.cli import main
    plain = tmp_path / "plain" / "old.sqlite"
    plain.parent.mkdir()
    make_v1(plain)
    open_database(plain)
    close_database()
    assert not list(backup.list_backups(plain.parent / "backups", "old"))
    old = tmp_path / "cli" / "old.sqlite"
    old.parent.mkdir()
    make_v1(old)
    assert main(["--db", str(old), "check"]) == 0
    close_database()
    found = backup.list_backups(old.parent / "backups", "old")
    assert [b.reason for b in found] == ["before-migration-from-v1"]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    database = open_database(path)
    database.execute_sql("INSERT INTO qm_schema (version, description) VALUES (999, 'future')")
    close_database()
    with pytest.raises(DatabaseOpenError, match="newer Quartermaster"):
        open_database(path)
    close_database()


def test_not_a_database_is_reported(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is a spreadsheet, not a database" * 200)
    with pytest.raises(DatabaseOpenError, match="not a readable Quartermaster database|damaged"):
        open_database(path)
    close_database()


def test_fresh_database_is_at_latest(tmp_path):
    database = open_database(tmp_path / "fresh.sqlite")
    assert migrations.current_version(database) == migrations.LATEST
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    close_database()


def test_step_7_backfills_effective_dates_on_both_engines(db, monkeypatch):
    """A database made before step 7 (history without effective dates, no award
    fields, no year-end runs) migrates: a change is effective the day it was
    entered, except a creation (its purchase date), a disposal (its disposal
    date) and an audit (the audit date); and a year-end report then counts the
    disposal typed late in the year it took effect."""
    import datetime as dt

    from app.models import HistoryEntry
    from app.reporting.year_end import compute
    from app.services import assets, catalog, history
    from app.store.db import current_target
    now = {"t": dt.datetime(2026, 12, 6, 15)}
    monkeypatch.setattr(history, "utcnow", lambda: now["t"])
    monkeypatch.setattr(assets, "utcnow", lambda: now["t"])
    site = catalog.create_site("Riverside High School")
    room = catalog.create_location(site.id, "MDF")
    cat = catalog.create_category("Switches", life_years=10)
    model = catalog.create_model("Catalyst 9300", manufacturer="Cisco", category_id=cat.id)
    a = assets.create({"model_id": model.id, "location_id": room.id, "cost": "7495.00",
                       "purchase_date": "2022-05-06"})
    assets.dispose(a.id, "recycled", date="2026-03-15")
    assets.mark_audited([a.id], date=dt.date(2026, 2, 1))
    b = assets.create({"model_id": model.id, "location_id": room.id, "cost": "6000.00",
                       "purchase_date": "2021-01-04"})
    assets.update(b.id, {"cost": "5800.00"})
    sql = db.execute_sql
    sql("DROP INDEX IF EXISTS history_entry_entity_effective")
    for index in ("history_entry_entity_entity_id_at_id",  # step 13's, made after step 7
                  "history_entry_entity_effective_entity_id_field", "history_entry_action_at"):
        sql(f"DROP INDEX IF EXISTS {index}")
    for table, column in (("history_entry", "effective"), ("asset", "federal_award_id"),
                          ("asset", "federal_share"), ("asset", "condition")):
        sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    sql("DROP TABLE year_end_run")
    sql(f"DELETE FROM {migrations.VERSION_TABLE}")
    sql(f"INSERT INTO {migrations.VERSION_TABLE} (version, description) VALUES (6, 'old')")
    target = current_target()
    close_database()
    database = open_database(target)
    assert migrations.current_version(database) == migrations.LATEST
    columns = {c.name for c in database.get_columns("asset")}
    assert {"federal_award_id", "federal_share", "condition"} <= columns
    assert "year_end_run" in database.get_tables()
    indexes = {i.name for i in database.get_indexes("history_entry")}
    # Step 7's (entity, effective) index, replaced at step 13 by one that begins with it.
    assert "history_entry_entity_effective_entity_id_field" in indexes
    assert "history_entry_entity_effective" not in indexes
    H = HistoryEntry
    eff = {(e.entity_id, e.action, e.field): e.effective for e in H.select()}
    assert eff[(a.id, "create", None)] == dt.date(2022, 5, 6)
    assert eff[(a.id, "dispose", "status")] == dt.date(2026, 3, 15)
    assert eff[(a.id, "dispose", "disposal_date")] == dt.date(2026, 3, 15)
    assert eff[(a.id, "audit", "last_audit_date")] == dt.date(2026, 2, 1)
    assert eff[(b.id, "update", "cost")] == history.local_day(now["t"])
    ye = compute(2026)
    assert [i.tag for i in ye.disposals] == [a.tag]
    from decimal import Decimal
    assert ye.roll_total("disposals") == Decimal("7495.00")
    assert ye.roll_total("ending") == Decimal("6000.00")  # re-costed after year end


def make_snapshot_before_step_14(database) -> None:
    """Put the stocktake snapshot back as it was before step 14 (an id,
    three foreign keys, an index per column), rows kept, at version 13."""
    import peewee as pw
    sql = database.execute_sql
    pg = isinstance(database, pw.PostgresqlDatabase)
    rows = sql("SELECT session_id, asset_id, location_id FROM stocktake_expected").fetchall()
    sql("DROP TABLE stocktake_expected")
    sql(f"""CREATE TABLE "stocktake_expected" ("id" {'SERIAL' if pg else 'INTEGER'} NOT NULL PRIMARY KEY,
        "session_id" INTEGER NOT NULL, "asset_id" INTEGER NOT NULL, "location_id" INTEGER,
        FOREIGN KEY ("session_id") REFERENCES "stocktake_session" ("id") ON DELETE CASCADE,
        FOREIGN KEY ("asset_id") REFERENCES "asset" ("id") ON DELETE CASCADE,
        FOREIGN KEY ("location_id") REFERENCES "location" ("id") ON DELETE SET NULL)""")
    for name in ("session_id", "asset_id", "location_id"):
        sql(f'CREATE INDEX "stocktake_expected_{name}" ON "stocktake_expected" ("{name}")')
    sql('CREATE UNIQUE INDEX "stocktake_expected_session_id_asset_id" ON "stocktake_expected" '
        '("session_id", "asset_id")')
    sql("CREATE INDEX stocktake_expected_session_location ON stocktake_expected (session_id, location_id)")
    for row in rows:
        sql("INSERT INTO stocktake_expected (session_id, asset_id, location_id) VALUES "
            + ("(%s, %s, %s)" if pg else "(?, ?, ?)"), row)
    sql(f"DELETE FROM {migrations.VERSION_TABLE}")
    sql(f"INSERT INTO {migrations.VERSION_TABLE} (version, description) VALUES (13, 'older')")


def test_step_14_rekeys_the_stocktake_snapshot_and_keeps_its_rows(db):
    """A database made before step 14 (the snapshot with an id, foreign keys
    and an index per column) migrates on both engines: the same rows, keyed
    by (session, asset), the step-4 room index made again, and the stocktake
    goes on where it was."""
    import peewee as pw

    from app.services import stocktake
    from app.store.db import current_target
    from tests.app.factories import asset, district
    d = district()
    tags = [asset(d, location_id=room.id).tag for room in (d["r1"], d["r1"], d["r2"])]
    s = stocktake.start("Riverside High School", name="Year end")
    stocktake.record_scan(s.id, d["r1"].barcode, workstation="A")
    stocktake.record_scan(s.id, tags[0], workstation="A")
    rows = sorted(db.execute_sql("SELECT session_id, asset_id, location_id FROM stocktake_expected")
                  .fetchall())
    assert len(rows) == 3
    pg = isinstance(db, pw.PostgresqlDatabase)
    make_snapshot_before_step_14(db)
    target = current_target()
    close_database()
    database = open_database(target)
    assert migrations.current_version(database) == migrations.LATEST
    assert {c.name for c in database.get_columns("stocktake_expected")} == {
        "session_id", "asset_id", "location_id"}
    assert sorted(database.execute_sql("SELECT session_id, asset_id, location_id "
                                       "FROM stocktake_expected").fetchall()) == rows
    assert {i.name for i in database.get_indexes("stocktake_expected")} >= {
        "stocktake_expected_session_location"}
    assert database.get_foreign_keys("stocktake_expected") == []
    with pytest.raises(pw.IntegrityError), database.atomic():  # (session, asset) is the key
        database.execute_sql("INSERT INTO stocktake_expected (session_id, asset_id, location_id) "
                             + ("VALUES (%s, %s, %s)" if pg else "VALUES (?, ?, ?)"), rows[0])
    st = stocktake.status(s.id)
    assert (st["expected"], st["verified"]) == (3, 1)
    stocktake.record_scan(s.id, d["r2"].barcode, workstation="A")
    stocktake.record_scan(s.id, tags[2], workstation="A")
    result = stocktake.close(s.id)
    assert sorted(line.verdict for line in result.lines) == ["missing", "verified", "verified"]
