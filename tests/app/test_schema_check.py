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
