"""Shared fixtures. Tests run offscreen; each gets its own database file.

Set QM_TEST_PG_URL=postgresql://… to run the database tests against
PostgreSQL as well (CI does, and sets QM_REQUIRE_PG so they cannot be
skipped there).
"""
from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QM_USER", "tester")
os.environ.pop("QUARTERMASTER_DB", None)

PG_URL = os.environ.get("QM_TEST_PG_URL")


def _backends():
    yield "sqlite"
    if PG_URL or os.environ.get("QM_REQUIRE_PG"):
        yield pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "qm.sqlite"


@pytest.fixture
def sqlite_db(db_path):
    """A fresh, migrated SQLite database file under tmp_path (GUI tests, and
    tests about the file itself: backups, crash safety)."""
    from app.store.db import close_database, open_database
    database = open_database(db_path)
    yield database
    close_database()


def _pg_database():
    import peewee as pw
    from urllib.parse import urlparse
    if not PG_URL:
        pytest.fail("QM_REQUIRE_PG is set but QM_TEST_PG_URL is not") if os.environ.get(
            "QM_REQUIRE_PG") else pytest.skip("no PostgreSQL (set QM_TEST_PG_URL)")
    name = "qm_test_" + uuid.uuid4().hex[:10]
    admin = pw.PostgresqlDatabase(urlparse(PG_URL).path.lstrip("/") or "postgres",
                                  **_pg_kwargs())
    admin.connect()
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, admin


def _pg_kwargs():
    from urllib.parse import urlparse
    u = urlparse(PG_URL)
    return dict(user=u.username, password=u.password, host=u.hostname, port=u.port)


@pytest.fixture(params=list(_backends()))
def db(request, tmp_path):
    """A fresh database: the same test runs on SQLite and, when QM_TEST_PG_URL
    is set (always in CI), on PostgreSQL. Service and report tests use this."""
    from app.store.db import close_database, open_database
    if request.param == "sqlite":
        database = open_database(tmp_path / "qm.sqlite")
        yield database
        close_database()
        return
    name, admin = _pg_database()
    base = PG_URL.rsplit("/", 1)[0]
    database = open_database(f"{base}/{name}")
    yield database
    close_database()
    admin.connect()
    admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture
def pg_url():
    """A URL of a fresh, empty PostgreSQL database (skipped without a server)."""
    name, admin = _pg_database()
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from app.store.db import close_database
    close_database()
    admin.connect()
    admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
