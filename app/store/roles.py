"""Team mode on PostgreSQL: people and what they may do, kept by the server.

Each technician connects as their own PostgreSQL login, a member of one of
three group roles (names ``<prefix>_viewer``, ``<prefix>_technician``,
``<prefix>_admin``; the prefix is ``qm`` unless ``team init`` was told
otherwise, and is remembered in the ``qm_team`` table):

- viewer: reads everything but the product keys;
- technician: inventory work (check-out/in, stocktake, intake, labels,
  imports, supplies, licenses, people); may add history but never change it,
  and may not change settings (row-level security lets it move only the tag
  counter, which handing out tags needs);
- admin: all of that, plus settings, deleting history-free records, and the
  product keys (read through ``qm_product_key``, which records each reading).

Whatever the role, the server writes history's "who" (a trigger sets it to
``session_user``; nothing the app sends can change it) and nobody but the
table owner may UPDATE or DELETE history (no role is granted either).

This is the one module that holds PostgreSQL's role and privilege SQL. Only
the owner of the tables (or a superuser) runs ``init`` and the user commands;
creating logins needs CREATEROLE.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee as pw

ROLES = ("viewer", "technician", "admin")
DEFAULT_PREFIX = "qm"
TEAM_TABLE = "qm_team"

# Tables a technician changes in the course of inventory work.
_TECHNICIAN_TABLES = (
    "site", "location", "category", "manufacturer", "hardware_model", "supplier", "person",
    "asset", "tag_record", "license", "seat", "supply", "supply_fit", "stock_move", "loan",
    "repair", "stocktake_session", "stocktake_expected", "stocktake_scan", "intake_session",
    "intake_item", "import_mapping", "work_order", "work_order_note", "backup_media",
    "year_end_run", "work_order_asset", "kit_part", "loan_part", "program_event", "event_scan",
    "price_item", "fee", "fee_payment", "loaner_swap",
)
# Settings kept by the machine while working (not by a person in Settings).
COUNTER_KEYS = ("tag_next",)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")


class RoleError(Exception):
    """A team command that cannot be done; ``kind`` is invalid, conflict or
    not_found (the services turn it into their own errors)."""

    def __init__(self, kind: str, message: str, field: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.field = field


def _q(name: str) -> str:
    """A quoted identifier (names are checked before they get here)."""
    return '"' + name.replace('"', '""') + '"'


def check_name(name: str, what: str = "user name") -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise RoleError("invalid", f"{name!r} is not a usable {what}: letters, digits, _ . @ - "
                              "(up to 63, starting with a letter or _).")
    return name


def group(prefix: str, role: str) -> str:
    return f"{prefix}_{role}"


# --- what every PostgreSQL database gets (schema step 8) ---------------------------------

_HISTORY_WHO = """
CREATE OR REPLACE FUNCTION qm_history_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The login that is connected, whatever the client sent: the audit trail
    -- says who really did it. (session_user, not current_user: a SECURITY
    -- DEFINER function acting for someone still records that someone.)
    NEW.who := session_user;
    RETURN NEW;
END
$$
"""

_PRODUCT_KEY = """
CREATE OR REPLACE FUNCTION qm_product_key(lic_id integer, purpose text DEFAULT 'reveal')
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k text;
BEGIN
    SELECT product_key INTO k FROM license WHERE id = lic_id;
    IF k IS NOT NULL THEN
        INSERT INTO history_entry (entity, entity_id, action, field, who, at, note)
        VALUES ('license', lic_id,
                CASE WHEN purpose = 'export' THEN 'export_key' ELSE 'reveal_key' END,
                'product_key', session_user, now() AT TIME ZONE 'UTC',
                CASE WHEN purpose = 'export' THEN 'product key exported'
                     ELSE 'product key shown' END);
    END IF;
    RETURN k;
END
$$
"""

# What anyone may know about a key without reading it: whether one is stored,
# and its shape (dashes, with only the last three characters when longer than 8).
_KEY_STORED = """
CREATE OR REPLACE FUNCTION qm_product_key_stored(lic_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT COALESCE(btrim(product_key), '') <> '' FROM license WHERE id = lic_id
$$
"""
_KEY_MASKED = """
CREATE OR REPLACE FUNCTION qm_product_key_masked(lic_id integer) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN k IS NULL OR k = '' THEN ''
                WHEN length(k) > 8 THEN regexp_replace(left(k, -3), '[^- ]', '•', 'g') || right(k, 3)
                ELSE regexp_replace(k, '[^- ]', '•', 'g') END
    FROM (SELECT btrim(product_key) AS k FROM license WHERE id = lic_id) AS t
$$
"""

# Keys digested for matching (an import's "same product and key?"), never shown.
_KEY_TOKENS = """
CREATE OR REPLACE FUNCTION qm_product_key_tokens()
RETURNS TABLE (id integer, product text, token text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT l.id, l.product::text,
           CASE WHEN n = '' THEN '' ELSE md5(n) END
    FROM license l,
         LATERAL (SELECT regexp_replace(lower(COALESCE(l.product_key, '')), '[^[:alnum:]]', '',
                                        'g') AS n) AS k
$$
"""


# Records retention (app.services.retention): history is append-only for every
# role, so the purge an admin may run deletes and anonymises history rows
# through these owner's functions, which only the admin group may call.
_PURGE_HISTORY = """
CREATE OR REPLACE FUNCTION qm_purge_history(ent text, ids integer[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF ent = '' THEN
        DELETE FROM history_entry WHERE id = ANY(ids);
    ELSE
        DELETE FROM history_entry WHERE entity = ent AND entity_id = ANY(ids);
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$
"""
_ANONYMISE_HISTORY = """
CREATE OR REPLACE FUNCTION qm_anonymise_history(pid integer, label text, full_name text,
                                                fields text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE history_entry SET "old" = label
     WHERE old_id = pid AND field = ANY(fields) AND "old" = full_name;
    UPDATE history_entry SET "new" = label
     WHERE new_id = pid AND field = ANY(fields) AND "new" = full_name;
    UPDATE history_entry SET "old" = NULL, "new" = NULL, note = NULL
     WHERE entity = 'person' AND entity_id = pid;
END
$$
"""
PURGE_FUNCTIONS = ("qm_purge_history(text, integer[])",
                   "qm_anonymise_history(integer, text, text, text[])")


def install_purge_functions(database: pw.Database, admin: str) -> None:
    """The purge's history functions, callable by ``admin`` (a group role) only."""
    database.execute_sql(_PURGE_HISTORY)
    database.execute_sql(_ANONYMISE_HISTORY)
    for fn in PURGE_FUNCTIONS:
        database.execute_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        database.execute_sql(f"GRANT EXECUTE ON FUNCTION {fn} TO {_q(admin)}")


def install_server_rules(database: pw.Database) -> None:
    """History's "who" set by the server; product keys read through a
    recording function that only the owner (and roles granted it) may call."""
    database.execute_sql(_HISTORY_WHO)
    database.execute_sql("DROP TRIGGER IF EXISTS history_who ON history_entry")
    database.execute_sql("CREATE TRIGGER history_who BEFORE INSERT ON history_entry "
                         "FOR EACH ROW EXECUTE FUNCTION qm_history_who()")
    database.execute_sql(_PRODUCT_KEY)
    database.execute_sql("REVOKE ALL ON FUNCTION qm_product_key(integer, text) FROM PUBLIC")
    database.execute_sql(_KEY_STORED)
    database.execute_sql(_KEY_MASKED)
    database.execute_sql(_KEY_TOKENS)


# --- team init and users --------------------------------------------------------------------

def team_prefix(database: pw.Database) -> str | None:
    """The group-role prefix if ``team init`` ran on this database, else None."""
    if TEAM_TABLE not in database.get_tables():
        return None
    row = database.execute_sql(f"SELECT prefix FROM {TEAM_TABLE} LIMIT 1").fetchone()
    return row[0] if row else None


def init(database: pw.Database, prefix: str = DEFAULT_PREFIX,
         key_readers: tuple[str, ...] = ("admin",)) -> list[str]:
    """Create the group roles (if missing) and grant them this database's
    tables. Idempotent: run it again after an upgrade adds tables. Returns the
    group role names."""
    prefix = check_name(prefix, "role prefix")
    viewer, tech, admin = (group(prefix, r) for r in ROLES)
    dbname = database.execute_sql("SELECT current_database()").fetchone()[0]
    ex: Callable[..., Any] = database.execute_sql
    for name in (viewer, tech, admin):
        if not ex("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            ex(f"CREATE ROLE {_q(name)} NOLOGIN")
    # technician has what viewer has, admin what technician has.
    ex(f"GRANT {_q(viewer)} TO {_q(tech)}")
    ex(f"GRANT {_q(tech)} TO {_q(admin)}")
    ex(f"CREATE TABLE IF NOT EXISTS {TEAM_TABLE} (prefix TEXT NOT NULL)")
    ex(f"DELETE FROM {TEAM_TABLE}")
    ex(f"INSERT INTO {TEAM_TABLE} (prefix) VALUES (%s)", (prefix,))

    # Nobody reaches the database unless granted; then the groups.
    ex(f"REVOKE ALL ON DATABASE {_q(dbname)} FROM PUBLIC")
    ex(f"GRANT CONNECT, TEMPORARY ON DATABASE {_q(dbname)} TO {_q(viewer)}")
    ex(f"GRANT USAGE ON SCHEMA public TO {_q(viewer)}")
    tables = [t for t in database.get_tables()]
    for t in tables:
        ex(f"REVOKE ALL ON TABLE {_q(t)} FROM {_q(viewer)}, {_q(tech)}, {_q(admin)}")
    # Read: everything but the key column (column privileges on license).
    for t in tables:
        if t == "license":
            cols = [c.name for c in database.get_columns("license") if c.name != "product_key"]
            ex(f"GRANT SELECT ({', '.join(_q(c) for c in cols)}) ON TABLE license TO {_q(viewer)}")
        else:
            ex(f"GRANT SELECT ON TABLE {_q(t)} TO {_q(viewer)}")
    ex(f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {_q(viewer)}")
    # Inventory work.
    for t in _TECHNICIAN_TABLES:
        if t in tables:
            ex(f"GRANT INSERT, UPDATE, DELETE ON TABLE {_q(t)} TO {_q(tech)}")
    ex(f"GRANT INSERT ON TABLE history_entry TO {_q(tech)}")  # append only: never UPDATE/DELETE
    ex(f"GRANT INSERT, UPDATE ON TABLE setting TO {_q(tech)}")  # rows limited below
    ex(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_q(tech)}")
    # Settings: admin changes any; technician only the machine-kept counters.
    ex(f"GRANT DELETE ON TABLE setting TO {_q(admin)}")
    ex("ALTER TABLE setting ENABLE ROW LEVEL SECURITY")
    for policy in ("qm_setting_read", "qm_setting_admin", "qm_setting_counters"):
        ex(f"DROP POLICY IF EXISTS {policy} ON setting")
    ex("CREATE POLICY qm_setting_read ON setting FOR SELECT USING (true)")
    ex(f"CREATE POLICY qm_setting_admin ON setting FOR ALL TO {_q(admin)} "
       "USING (true) WITH CHECK (true)")
    keys = ", ".join(f"'{k}'" for k in COUNTER_KEYS)
    ex(f"CREATE POLICY qm_setting_counters ON setting FOR ALL TO {_q(tech)} "
       f"USING (key IN ({keys})) WITH CHECK (key IN ({keys}))")
    # Product keys: read only through the recording function.
    ex("REVOKE ALL ON FUNCTION qm_product_key(integer, text) FROM PUBLIC")
    for r in ROLES:
        ex(f"REVOKE EXECUTE ON FUNCTION qm_product_key(integer, text) FROM {_q(group(prefix, r))}")
    for r in key_readers:
        ex(f"GRANT EXECUTE ON FUNCTION qm_product_key(integer, text) TO {_q(group(prefix, r))}")
    install_purge_functions(database, admin)
    return [viewer, tech, admin]


def grant_new_tables(database: pw.Database) -> None:
    """After a schema step adds tables to a team database: the groups get
    them as ``init`` grants them (read for viewers, inventory work for
    technicians), and the admins the purge's history functions. Nothing to do
    when team mode is not set up."""
    prefix = team_prefix(database)
    if prefix is None:
        return
    viewer, tech, admin = (group(prefix, r) for r in ROLES)
    install_purge_functions(database, admin)
    tables = set(database.get_tables())
    for t in _TECHNICIAN_TABLES:
        if t in tables:
            database.execute_sql(f"GRANT SELECT ON TABLE {_q(t)} TO {_q(viewer)}")
            database.execute_sql(f"GRANT INSERT, UPDATE, DELETE ON TABLE {_q(t)} TO {_q(tech)}")
    database.execute_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_q(tech)}")


@dataclass
class Member:
    name: str
    role: str | None
    can_login: bool


def _require_team(database: pw.Database) -> str:
    prefix = team_prefix(database)
    if prefix is None:
        raise RoleError("conflict", "Team mode is not set up on this database: run "
                       "`quartermaster team init URL` first (as the database owner).")
    return prefix


def _role_arg(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise RoleError("invalid", f"A role is one of {', '.join(ROLES)}.", field="role")
    return role


def add_user(database: pw.Database, name: str, role: str, password: str | None = None) -> Member:
    """A login for a person, in one group. An existing role (a login made for
    GSSAPI, say) is joined to the group rather than created."""
    prefix = _require_team(database)
    name, role = check_name(name), _role_arg(role)
    if name.startswith(prefix + "_") and name[len(prefix) + 1:] in ROLES:
        raise RoleError("conflict", f"{name} is one of the group roles, not a person.")
    exists = database.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if exists and membership(database, name) is not None:
        raise RoleError("conflict", f"{name} is already a team member; use `team set-role` to change the role.")
    if not exists:
        database.execute_sql(f"CREATE ROLE {_q(name)} LOGIN")
    if password:
        database.execute_sql(f"ALTER ROLE {_q(name)} PASSWORD %s", (password,))
    database.execute_sql(f"GRANT {_q(group(prefix, role))} TO {_q(name)}")
    return Member(name, role, True)


def set_role(database: pw.Database, name: str, role: str) -> Member:
    prefix = _require_team(database)
    name, role = check_name(name), _role_arg(role)
    if membership(database, name) is None:
        raise RoleError("not_found", f"{name} is not a team member (`team list` shows who is).")
    for r in ROLES:
        database.execute_sql(f"REVOKE {_q(group(prefix, r))} FROM {_q(name)}")
    database.execute_sql(f"GRANT {_q(group(prefix, role))} TO {_q(name)}")
    return Member(name, role, True)


def remove_user(database: pw.Database, name: str, drop_login: bool = True) -> str | None:
    """Take a person out of the team; their login is dropped too unless it
    owns something or ``drop_login`` is False (history keeps their name).
    Returns why the login was kept, if it was kept against the wish."""
    prefix = _require_team(database)
    name = check_name(name)
    if membership(database, name) is None:
        raise RoleError("not_found", f"{name} is not a team member (`team list` shows who is).")
    for r in ROLES:
        database.execute_sql(f"REVOKE {_q(group(prefix, r))} FROM {_q(name)}")
    if drop_login:
        try:
            with database.atomic():  # a savepoint: leaving the team stands if this fails
                database.execute_sql(f"DROP ROLE {_q(name)}")
        except pw.DatabaseError as exc:
            return f"their login was kept: {str(exc).splitlines()[0]}"
    return None


def membership(database: pw.Database, name: str) -> str | None:
    """The team role of login ``name`` (the highest group it is in), or None."""
    prefix = team_prefix(database)
    if prefix is None:
        return None
    found = None
    for r in ROLES:
        row = database.execute_sql(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = %s AND u.rolname = %s",
            (group(prefix, r), name)).fetchone()
        if row:
            found = r
    return found


def members(database: pw.Database) -> list[Member]:
    prefix = _require_team(database)
    rows = database.execute_sql(
        "SELECT u.rolname, g.rolname, u.rolcanlogin FROM pg_auth_members m "
        "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
        "WHERE g.rolname = ANY(%s) ORDER BY u.rolname",
        ([group(prefix, r) for r in ROLES],)).fetchall()
    groups = {group(prefix, r) for r in ROLES}
    best: dict[str, tuple[int, bool]] = {}
    for user, grp, login in rows:
        if user in groups:
            continue
        rank = ROLES.index(grp[len(prefix) + 1:])
        if user not in best or rank > best[user][0]:
            best[user] = (rank, login)
    return [Member(u, ROLES[rank], login) for u, (rank, login) in sorted(best.items())]


def effective_role(database: pw.Database) -> tuple[str, str]:
    """(session user, role) for the connection: ``owner`` for the tables'
    owner or a superuser (who may do everything), a team role, or ``none``."""
    user, is_super, owner = database.execute_sql(
        "SELECT session_user, (SELECT rolsuper FROM pg_roles WHERE rolname = session_user), "
        "pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = "
        "'history_entry' AND schemaname = current_schema()), 'USAGE')").fetchone()
    if is_super or owner:
        return user, "owner"
    return user, membership(database, user) or "none"
