"""The schema a restore accepts is exactly what the migrations make: a file of
the first schema, and the same file upgraded step by step, hold nothing the
check calls foreign (a step whose objects differ between a new database and an
upgraded one would make every upgraded database's backups unrestorable)."""
from __future__ import annotations

import sqlite3

from app import backup
from app.store import schema
from app.store.db import close_database, open_database
from tests.app.test_migrations import make_v1


def _foreign(path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return schema.foreign_objects(con)
    finally:
        con.close()


def test_an_old_database_and_its_upgrade_hold_only_our_schema(tmp_path):
    path = tmp_path / "old.sqlite"
    make_v1(path)
    assert _foreign(path) == []
    assert backup.verify_file(path) >= 1  # a backup of the first schema restores
    open_database(path)  # every step, one by one
    close_database()
    assert _foreign(path) == []


def test_a_new_database_holds_only_our_schema(tmp_path):
    path = tmp_path / "new.sqlite"
    open_database(path)
    close_database()
    assert _foreign(path) == []


def test_a_file_from_before_step_13_restores_and_loses_the_indexes_it_replaced(tmp_path):
    """Step 13's covering history indexes replaced (entity, entity_id) and
    (entity, effective): a backup that still has them is ours, and opening it
    drops them."""
    from app.store import migrations
    path = tmp_path / "step12.sqlite"
    open_database(path)
    close_database()
    con = sqlite3.connect(path)
    old = ('CREATE INDEX "history_entry_entity_entity_id" ON "history_entry" ("entity", "entity_id")',
           'CREATE INDEX "history_entry_entity_effective" ON "history_entry" ("entity", "effective")')
    with con:
        for sql in old:
            con.execute(sql)
        con.execute(f"UPDATE {migrations.VERSION_TABLE} SET version = 12")
    con.close()
    assert _foreign(path) == []
    assert backup.verify_file(path) == 0  # accepted (it raises otherwise): an empty register
    open_database(path)
    close_database()
    con = sqlite3.connect(path)
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                       "AND tbl_name = 'history_entry'")}
    con.close()
    assert {"history_entry_entity_entity_id_at_id",
            "history_entry_entity_effective_entity_id_field"} <= names
    assert not names & {"history_entry_entity_entity_id", "history_entry_entity_effective"}
    assert _foreign(path) == []


def test_a_file_from_before_step_14_restores_and_its_snapshot_is_rekeyed(tmp_path):
    """Step 14 rebuilt the stocktake snapshot without its id and per-column
    indexes: a backup that still has them is ours, and opening it rebuilds it."""
    from app.store import migrations
    path = tmp_path / "step13.sqlite"
    open_database(path)
    close_database()
    con = sqlite3.connect(path)
    with con:
        con.execute("DROP TABLE stocktake_expected")
        con.execute('CREATE TABLE "stocktake_expected" ("id" INTEGER NOT NULL PRIMARY KEY, '
                    '"session_id" INTEGER NOT NULL, "asset_id" INTEGER NOT NULL, "location_id" INTEGER, '
                    'FOREIGN KEY ("session_id") REFERENCES "stocktake_session" ("id") ON DELETE CASCADE, '
                    'FOREIGN KEY ("asset_id") REFERENCES "asset" ("id") ON DELETE CASCADE, '
                    'FOREIGN KEY ("location_id") REFERENCES "location" ("id") ON DELETE SET NULL)')
        for name in ("session_id", "asset_id", "location_id"):
            con.execute(f'CREATE INDEX "stocktake_expected_{name}" ON "stocktake_expected" ("{name}")')
        con.execute('CREATE UNIQUE INDEX "stocktake_expected_session_id_asset_id" ON '
                    '"stocktake_expected" ("session_id", "asset_id")')
        con.execute("CREATE INDEX stocktake_expected_session_location ON stocktake_expected "
                    "(session_id, location_id)")
        con.execute(f"UPDATE {migrations.VERSION_TABLE} SET version = 13")
    con.close()
    assert _foreign(path) == []
    assert backup.verify_file(path) == 0  # accepted (it raises otherwise)
    open_database(path)
    close_database()
    con = sqlite3.connect(path)
    columns = {r[1] for r in con.execute("PRAGMA table_info(stocktake_expected)")}
    con.close()
    assert columns == {"session_id", "asset_id", "location_id"}
    assert _foreign(path) == []
