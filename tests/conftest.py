"""Shared fixtures. Tests run offscreen; each gets its own database file.

Set QM_TEST_PG_URL=postgresql://… to run the database tests against
PostgreSQL as well (CI does, and sets QM_REQUIRE_PG so they cannot be
skipped there).
"""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QM_USER", "tester")
os.environ.pop("QUARTERMASTER_DB", None)

PG_URL = os.environ.get("QM_TEST_PG_URL")


@pytest.fixture(autouse=True)
def _who_is_tester(monkeypatch):
    """Every test starts as "tester": the CLI run in-process with ``--user X``
    sets QM_USER for the rest of the process, and a later test on the same
    worker then recorded X in history (test_effective_dates failed after
    test_cli_intake)."""
    monkeypatch.setenv("QM_USER", "tester")


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
    """Create an empty database with a unique name; return (name, url)."""
    if not PG_URL:
        if os.environ.get("QM_REQUIRE_PG"):
            pytest.fail("QM_REQUIRE_PG is set but QM_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL (set QM_TEST_PG_URL)")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    name = f"qm_test_{worker}_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG_URL.rsplit('/', 1)[0]}/{name}"


@contextlib.contextmanager
def _pg_admin():
    """An autocommit cursor on the server's maintenance database."""
    import psycopg2
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _pg_drop(name: str) -> None:
    """Drop a test database even if a connection the test opened is still alive."""
    with _pg_admin() as cur:
        if cur.connection.server_version >= 130000:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _close_all(*databases) -> None:
    from app.store.db import close_database
    close_database()
    for database in databases:
        with contextlib.suppress(Exception):
            if not database.is_closed():
                database.close()


@pytest.fixture(params=list(_backends()))
def db(request, tmp_path):
    """A fresh database: the same test runs on SQLite and, when QM_TEST_PG_URL
    is set (always in CI), on PostgreSQL. Service and report tests use this.
    On PostgreSQL each test gets its own database, dropped afterwards."""
    from app.store.db import close_database, open_database
    if request.param == "sqlite":
        database = open_database(tmp_path / "qm.sqlite")
        yield database
        close_database()
        return
    name, url = _pg_database()
    try:
        database = open_database(url)
        yield database
        _close_all(database)
    finally:
        _pg_drop(name)


@pytest.fixture
def pg_url():
    """A URL of a fresh, empty PostgreSQL database (skipped without a server)."""
    name, url = _pg_database()
    try:
        yield url
        _close_all()
    finally:
        _pg_drop(name)


@pytest.fixture(autouse=True)
def _unexpected_errors_fail_the_test(request, monkeypatch):
    """An unexpected exception in the desktop (a slot, a job) would open the
    crash dialog, which is modal: the test run would hang on it. Here it is
    recorded instead, and the test fails with the traceback. Tests of the
    dialog itself (the ``crash_hook`` fixture) keep the real one."""
    if "crash_hook" in request.fixturenames:
        yield
        return
    from ui import crash  # Qt is imported only when a dialog is shown
    seen: list[str] = []
    monkeypatch.setattr(crash, "_show", lambda exc_type, exc, details, where: seen.append(details))
    yield
    if seen:
        pytest.fail("an unexpected error reached the crash dialog:\n" + "\n".join(seen),
                    pytrace=False)


@pytest.fixture
def cli(db, capsys):
    """The command line on the test's database: ``code, out, err = cli("asset", "show", …)``.
    main() closes the database; it is opened again so the test can read the result back."""
    from app.cli import main
    from app.store.db import current_target, open_database
    target = current_target()

    def run(*args):
        code = main(["--db", target, *args])
        out = capsys.readouterr()
        open_database(target)
        return code, out.out, out.err
    return run


class QueryCounter:
    """Counts the SQL statements run on the test's database from now on."""

    def __init__(self, monkeypatch):
        from app.store.db import db as database
        self.n = 0
        real = database.obj.execute_sql

        def counting(sql, params=None, *a, **kw):
            self.n += 1
            return real(sql, params, *a, **kw)
        monkeypatch.setattr(database.obj, "execute_sql", counting)


@pytest.fixture
def query_counter(db, monkeypatch):
    return QueryCounter(monkeypatch)
