"""Schema step 9 (work orders, their notes, backup media) on a database made
before it: the tables appear and the services work, on both engines."""
from __future__ import annotations

import pytest

from app.store import migrations
from app.store.db import close_database, open_database
from tests.app.test_migrations import make_v1


def _use_new_tables(database) -> None:
    from app.services import media, workorders
    assert migrations.current_version(database) == migrations.LATEST
    wo = workorders.create({"requester_name": "Maria Lopez", "summary": "After upgrade"})
    workorders.add_note(wo.id, "works", minutes=5)
    assert workorders.minutes_spent(wo.id) == 5
    media.add(["A00120L8"])
    assert media.get("A00120L8").location == "onsite_safe"


def test_v1_sqlite_gets_step_9(tmp_path):
    path = tmp_path / "old.sqlite"
    make_v1(path)
    database = open_database(path)
    try:
        _use_new_tables(database)
    finally:
        close_database()


@pytest.mark.postgres
def test_postgres_before_step_9_gets_it(pg_url):
    database = open_database(pg_url)
    database.execute_sql("DROP TABLE work_order_asset")
    database.execute_sql("DROP TABLE work_order_note")
    database.execute_sql("DROP TABLE work_order")
    database.execute_sql("DROP TABLE backup_media")
    database.execute_sql("DELETE FROM qm_schema WHERE version > 8")
    database.execute_sql("INSERT INTO qm_schema (version, description) VALUES (8, 'older')")
    close_database()
    database = open_database(pg_url)
    try:
        assert "work_order" in database.get_tables()
        _use_new_tables(database)
    finally:
        close_database()
