"""Team mode on PostgreSQL: roles the server enforces (issue 21).

`team init` makes the viewer / technician / admin group roles and grants;
each person connects as their own login. The server refuses what a role may
not do (and the refusal reads as a sentence), writes history's "who" itself,
keeps history append-only, and records every reading of a product key.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import peewee as pw
import pytest

from app.models import HistoryEntry
from app.services import assets, history, licenses, settings, stock, team
from app.services.base import transaction
from app.services.errors import PermissionDenied
from app.store.db import close_database, db, open_database
from tests.app.factories import asset, district
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _as(url: str, user: str) -> str:
    """The same database, connected as ``user`` (trust authentication in tests)."""
    rest = url.split("://", 1)[1].split("@", 1)[-1]
    return f"postgresql://{user}@{rest}"


@pytest.fixture
def team_db(pg_url):
    """A database in team mode with one viewer, technician and admin, each a
    uniquely named login (roles are server-wide and the server is shared)."""
    tag = uuid.uuid4().hex[:8]
    prefix = f"qmt{tag}"
    users = {r: f"qmt{tag}_{r[:4]}_user" for r in ("viewer", "technician", "admin")}
    open_database(pg_url)  # as the owner (postgres)
    d = district()
    a = asset(d, name="Loaner")
    lic = licenses.create(product="Windows Server", seats=5,
                          product_key="ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ")
    item = stock.create(name="Toner", barcode="TONER-1")
    stock.receive(item.id, 10)
    groups = team.init(prefix=prefix)
    for role, name in users.items():
        team.add_user(name, role)
    close_database()
    try:
        yield {"url": pg_url, "users": users, "groups": groups, "d": d, "asset": a.id,
               "license": lic.id, "supply": item.id, "prefix": prefix}
    finally:
        close_database()
        _drop_roles(pg_url, list(users.values()) + groups)


def _drop_roles(url: str, names: list[str]) -> None:
    import psycopg2
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with contextlib.suppress(Exception), conn.cursor() as cur:
        existing = [n for n in names if _exists(cur, n)]
        if existing:
            cur.execute("DROP OWNED BY " + ", ".join(f'"{n}"' for n in existing))
    conn.close()
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        for n in names:
            cur.execute(f'DROP ROLE IF EXISTS "{n}"')
    conn.close()


def _exists(cur, name: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    return cur.fetchone() is not None


def _cli(url: str, *args: str, user_flag: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, QM_NO_AUTO_BACKUP="1")
    cmd = [sys.executable, "-m", "app", "--db", url]
    if user_flag:
        cmd += ["--user", user_flag]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=False)


def test_a_viewer_reads_but_the_server_refuses_its_writes(team_db):
    viewer = team_db["users"]["viewer"]
    open_database(_as(team_db["url"], viewer))
    ident = team.current()
    assert (ident.user, ident.role, ident.team) == (viewer, "viewer", True)
    assert not team.can("write") and not team.can("settings") and not team.can("reveal_key")
    assert assets.get(team_db["asset"]).name == "Loaner"  # reading works
    assert licenses.get(team_db["license"]).product == "Windows Server"
    assert licenses.masked(team_db["license"]) == "•••••-•••••-•••••-•••••-••XYZ"
    with pytest.raises(PermissionDenied) as err:
        assets.update(team_db["asset"], {"name": "Mine now"})
    message = str(err.value)
    assert viewer in message and "(viewer)" in message and "no permission on table asset" in message
    assert "Nothing was saved" in message
    close_database()
    # The command line says the same in one line.
    res = _cli(_as(team_db["url"], viewer), "stock", "receive", "TONER-1", "5")
    assert res.returncode == 1
    assert res.stderr.startswith("error: The database server refused this for " + viewer)
    open_database(team_db["url"])
    assert assets.get(team_db["asset"]).name == "Loaner" and stock.get(team_db["supply"]).on_hand == 10


def test_a_technician_works_but_cannot_change_settings_or_history(team_db):
    tech = team_db["users"]["technician"]
    open_database(_as(team_db["url"], tech))
    assert team.current().role == "technician" and team.can("write") and not team.can("settings")
    # Inventory work, including handing out a new tag (the counter row it may move).
    loan = assets.check_out(team_db["asset"], person_id=team_db["d"]["staff"].id,
                            by="Superintendent Smith")
    new = assets.create({"name": "Fresh"})
    assert loan.id and new.tag
    # History records the login, whatever name the app passes.
    entry = history.for_entity("asset", team_db["asset"])[0]
    assert (entry["action"], entry["who"]) == ("check_out", tech)
    with pytest.raises(PermissionDenied, match="refused this for .*technician"):
        settings.update({"org_name": "Hacked USD"})
    assert settings.get("org_name") != "Hacked USD"
    # Append-only history: neither the app's transaction nor raw SQL may change it.
    with pytest.raises(PermissionDenied, match="no permission on table history_entry"), transaction():
        HistoryEntry.delete().execute()
    for sql in ("DELETE FROM history_entry", "UPDATE history_entry SET who = 'someone else'"):
        with pytest.raises(pw.ProgrammingError, match="permission denied"), db.atomic():
            db.execute_sql(sql)
    # A forged who is overwritten by the server.
    with transaction():
        HistoryEntry.insert(entity="asset", entity_id=team_db["asset"], action="note",
                            who="Superintendent Smith", note="forged?").execute()
    assert HistoryEntry.get(HistoryEntry.note == "forged?").who == tech
    # Product keys: not readable, not even through the recording function.
    with pytest.raises(PermissionDenied, match="Product keys are readable only by the roles"):
        licenses.reveal_key(team_db["license"])
    with pytest.raises(pw.ProgrammingError, match="permission denied"), db.atomic():
        db.execute_sql("SELECT product_key FROM license")
    close_database()


def test_user_flag_cannot_change_who_history_records(team_db):
    tech = team_db["users"]["technician"]
    res = _cli(_as(team_db["url"], tech), "stock", "issue", "TONER-1", "2", "--to", "E100",
               user_flag="Superintendent Smith")
    assert res.returncode == 0, res.stderr
    assert "--user is ignored on PostgreSQL" in res.stderr
    open_database(team_db["url"])
    entry = history.for_entity("supply", team_db["supply"])[0]
    assert entry["action"] == "issue" and entry["who"] == tech
    assert not HistoryEntry.select().where(HistoryEntry.who == "Superintendent Smith").exists()


def test_an_admin_reads_keys_and_each_reading_is_recorded_by_the_server(team_db, tmp_path):
    admin = team_db["users"]["admin"]
    open_database(_as(team_db["url"], admin))
    assert team.current().role == "admin"
    assert team.can("settings") and team.can("reveal_key")
    settings.update({"org_name": "Riverside USD"})
    assert licenses.reveal_key(team_db["license"]) == "ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ"
    from app import exporting
    out = tmp_path / "keys.csv"
    exporting.export("licenses", out, include_keys=True)
    assert "ABCDE-FGHIJ" in out.read_text()
    rows = [(h["action"], h["who"]) for h in history.for_entity("license", team_db["license"])]
    assert ("reveal_key", admin) in rows and ("export_key", admin) in rows
    # Even an admin may not rewrite history.
    with pytest.raises(pw.ProgrammingError, match="permission denied"), db.atomic():
        db.execute_sql("DELETE FROM history_entry")
    close_database()


def test_team_commands_list_change_and_remove_people(team_db):
    users = team_db["users"]
    open_database(team_db["url"])
    listed = {m.name: m.role for m in team.members()}
    assert listed == {users["viewer"]: "viewer", users["technician"]: "technician",
                      users["admin"]: "admin"}
    team.set_role(users["technician"], "viewer")
    close_database()
    open_database(_as(team_db["url"], users["technician"]))
    assert team.current().role == "viewer"
    with pytest.raises(PermissionDenied):
        assets.update(team_db["asset"], {"name": "Now refused"})
    close_database()
    open_database(team_db["url"])
    team.remove_user(users["viewer"])
    assert users["viewer"] not in {m.name for m in team.members()}
    close_database()
    res = _cli(team_db["url"], "team", "list")
    assert res.returncode == 0 and users["technician"] in res.stdout and "viewer" in res.stdout
    res = _cli(team_db["url"], "team", "add-user", "bad name!", "--role", "viewer", "--no-password")
    assert res.returncode == 1 and "not a usable user name" in res.stderr


def test_an_upgrade_waits_for_the_owner(team_db):
    """A technician's workstation with a newer Quartermaster cannot change the
    schema; it says who can instead of failing half-way."""
    from app.store import migrations
    from app.store.db import DatabaseOpenError
    open_database(team_db["url"])
    db.execute_sql("DELETE FROM qm_schema")
    db.execute_sql("INSERT INTO qm_schema (version, description, applied_at) "
                   "VALUES (6, 'old', '2026-01-01')")
    close_database()
    with pytest.raises(DatabaseOpenError, match="only the owner of its tables may run"):
        open_database(_as(team_db["url"], team_db["users"]["admin"]))
    database = open_database(team_db["url"])  # the owner upgrades
    assert migrations.current_version(database) == migrations.LATEST
    close_database()


def test_step_14_keeps_the_technicians_grants_on_the_rebuilt_snapshot(team_db):
    """Step 14 drops and makes the stocktake snapshot table again: on a team
    database the groups get it back, so a technician can still start a count."""
    from app.services import stocktake
    from app.store import migrations
    from tests.app.test_migrations import make_snapshot_before_step_14
    make_snapshot_before_step_14(open_database(team_db["url"]))
    close_database()
    database = open_database(team_db["url"])  # the owner upgrades
    assert migrations.current_version(database) == migrations.LATEST
    close_database()
    open_database(_as(team_db["url"], team_db["users"]["technician"]))
    s = stocktake.start("Riverside High School", name="After the upgrade")
    assert stocktake.status(s.id)["expected"] == 1
    close_database()
    open_database(_as(team_db["url"], team_db["users"]["viewer"]))
    assert stocktake.status(s.id)["expected"] == 1  # viewers read it
    close_database()
