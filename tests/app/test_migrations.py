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
    database = open_database(path)
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
