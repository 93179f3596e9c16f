"""The rules the business depends on, kept by the database itself (schema step 8).

Services check these rules and refuse with a readable message, but a check
made by reading is not enough when two workstations act at the same moment:
on PostgreSQL's READ COMMITTED both can read "free" and both write. So each
rule is also a constraint the database enforces, on both engines:

- one open loan per asset: a partial unique index on ``loan(asset_id) WHERE
  returned_at IS NULL``;
- one counted scan per asset per stocktake (the first scan verifies, the rest
  are duplicates): a partial unique index on ``stocktake_scan(session_id,
  asset_id)`` over the counted verdicts;
- seats within owned unless the license allows over-allocation: a trigger on
  seat and on license (PostgreSQL's takes the license row lock first, so two
  inserts cannot both count "one free");
- stock never negative: ``CHECK (on_hand >= 0)`` on PostgreSQL, the same rule
  as a trigger on SQLite (which cannot add a CHECK to an existing table).

Before the constraints go on, ``repair`` puts right what an older version let
through, deterministically and with a history row for each change (see its
docstring). ``CONSTRAINT_MESSAGES`` turns each constraint's error into the
sentence a technician reads.
"""
from __future__ import annotations

import datetime as dt
import logging

import peewee as pw

from app.store.db import param

log = logging.getLogger(__name__)

COUNTED_VERDICTS = ("verified", "misplaced", "other_site", "inactive")
_COUNTED_SQL = ", ".join(f"'{v}'" for v in COUNTED_VERDICTS)

LOAN_INDEX = "loan_one_open_per_asset"
SCAN_INDEX = "stocktake_scan_one_counted"
SEAT_RULE = "seat_within_owned"
STOCK_RULE = "supply_on_hand_not_negative"

# What each constraint's error means, in words. Keys are what the error text
# holds: PostgreSQL names the constraint; SQLite names the columns of a unique
# index, or carries the trigger's own message (which starts with the rule name).
CONSTRAINT_MESSAGES = (
    ((LOAN_INDEX, "loan.asset_id"),
     ("That asset is already checked out (another workstation checked it out at the "
      "same moment); nothing was saved.")),
    ((SCAN_INDEX, "stocktake_scan.session_id, stocktake_scan.asset_id"),
     "That asset was already counted in this stocktake; nothing was saved."),
    ((SEAT_RULE,),
     ("Every seat of that license is in use (over-allocation is not allowed); release "
      "one or buy more. Nothing was saved.")),
    ((STOCK_RULE,),
     "There is not enough on hand: stock cannot go below zero. Nothing was saved."),
)


def message_for(error_text: str) -> str | None:
    """The readable refusal for a constraint error, or None if it is not one of ours."""
    for keys, message in CONSTRAINT_MESSAGES:
        if any(k in error_text for k in keys):
            return message
    return None


def _pg(database: pw.Database) -> bool:
    return isinstance(database, pw.PostgresqlDatabase)


def _p(database: pw.Database) -> str:
    return param(database)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- finding and repairing what breaks the rules -------------------------------------

def repair(database: pw.Database) -> list[str]:
    """Put right, deterministically, what breaks the rules; return what was done.

    - An asset with several open loans keeps the one whose borrower is the
      asset's current holder (the newest when none is); the others were never
      really out (two workstations raced) and are closed as returned the moment
      they were made, with a note.
    - A stocktake with several counted scans of one asset keeps the first (by
      id) and marks the later ones "duplicate", which is what they are.
    - A license with more seats assigned than owned, which does not allow
      over-allocation, is marked as allowing it: no assignment is lost and the
      compliance report goes on showing it over-allocated until someone
      releases seats (and may then turn over-allocation off again).
    - A supply below zero is set to what its movements add up to, with an
      adjustment movement back to zero when they add up to less than zero.
    Each change is written to history with the note "schema step 8".
    """
    done: list[str] = []
    p = _p(database)
    now = _now()

    def hist(entity: str, entity_id: int, action: str, field: str, old: str | None, new: str | None,
             note: str) -> None:
        database.execute_sql(
            f"INSERT INTO history_entry (entity, entity_id, action, field, old, new, who, at, note) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (entity, entity_id, action, field, old, new, "schema step 8", now, note))

    # Loans.
    for (asset_id,) in database.execute_sql(
            "SELECT asset_id FROM loan WHERE returned_at IS NULL GROUP BY asset_id "
            "HAVING COUNT(*) > 1 ORDER BY asset_id").fetchall():
        holder = database.execute_sql(
            f"SELECT tag, assigned_person_id, assigned_location_id FROM asset WHERE id = {p}",
            (asset_id,)).fetchone()
        loans = database.execute_sql(
            f"SELECT id, person_id, location_id, out_at FROM loan WHERE asset_id = {p} "
            "AND returned_at IS NULL ORDER BY id", (asset_id,)).fetchall()
        keep = next((ln for ln in reversed(loans)
                     if (ln[1], ln[2]) == (holder[1], holder[2])), loans[-1])
        for loan_id, _person, _loc, _out_at in loans:
            if loan_id == keep[0]:
                continue
            database.execute_sql(
                f"UPDATE loan SET returned_at = out_at, in_by = {p}, notes = "
                f"COALESCE(notes || {p}, {p}) WHERE id = {p}",
                ("schema step 8", "\n" + _LOAN_NOTE, _LOAN_NOTE, loan_id))
            hist("asset", asset_id, "repair", "loan", f"loan {loan_id} open", f"loan {loan_id} closed",
                 f"schema step 8: {_LOAN_NOTE}")
        done.append(f"asset {holder[0]}: closed {len(loans) - 1} duplicate open loan(s), "
                    f"kept loan {keep[0]}")
    # Stocktake scans.
    for session_id, asset_id, n in database.execute_sql(
            f"SELECT session_id, asset_id, COUNT(*) FROM stocktake_scan WHERE asset_id IS NOT NULL "
            f"AND verdict IN ({_COUNTED_SQL}) GROUP BY session_id, asset_id HAVING COUNT(*) > 1 "
            "ORDER BY session_id, asset_id").fetchall():
        first = database.execute_sql(
            f"SELECT MIN(id) FROM stocktake_scan WHERE session_id = {p} AND asset_id = {p} "
            f"AND verdict IN ({_COUNTED_SQL})", (session_id, asset_id)).fetchone()[0]
        database.execute_sql(
            f"UPDATE stocktake_scan SET verdict = 'duplicate' WHERE session_id = {p} AND "
            f"asset_id = {p} AND verdict IN ({_COUNTED_SQL}) AND id <> {p}",
            (session_id, asset_id, first))
        hist("stocktake", session_id, "repair", "scan", None, None,
             f"schema step 8: {n - 1} later scan(s) of asset id {asset_id} marked duplicate")
        done.append(f"stocktake {session_id}: {n - 1} later scan(s) of asset id {asset_id} "
                    "marked duplicate")
    # Seats.
    false = "FALSE" if _pg(database) else "0"
    true = "TRUE" if _pg(database) else "1"
    for lic_id, product, seats, used in database.execute_sql(
            f"SELECT l.id, l.product, l.seats, COUNT(s.id) FROM license l JOIN seat s ON "
            f"s.license_id = l.id WHERE l.site_license = {false} AND l.allow_over = {false} AND "
            "l.seats IS NOT NULL GROUP BY l.id, l.product, l.seats HAVING COUNT(s.id) > l.seats "
            "ORDER BY l.id").fetchall():
        database.execute_sql(f"UPDATE license SET allow_over = {true} WHERE id = {p}", (lic_id,))
        hist("license", lic_id, "repair", "allow_over", "no", "yes",
             f"schema step 8: {used} seats assigned but {seats} owned; release seats, "
             "then turn over-allocation off")
        done.append(f"license {product}: {used} seats assigned but {seats} owned; "
                    "marked as allowing over-allocation")
    # Stock: the movements are the truth, on_hand their cached sum.
    for supply_id, name, on_hand in database.execute_sql(
            "SELECT id, name, on_hand FROM supply WHERE on_hand < 0 ORDER BY id").fetchall():
        total = int(database.execute_sql(
            f"SELECT COALESCE(SUM(qty), 0) FROM stock_move WHERE supply_id = {p}",
            (supply_id,)).fetchone()[0])
        if total < 0:
            database.execute_sql(
                f'INSERT INTO stock_move (supply_id, kind, qty, reason, balance, "by", at) '
                f"VALUES ({p}, 'adjust', {p}, {p}, 0, {p}, {p})",
                (supply_id, -total, "schema step 8: stock cannot be negative", "schema step 8",
                 now))
            total = 0
        database.execute_sql(f"UPDATE supply SET on_hand = {p} WHERE id = {p}", (total, supply_id))
        hist("supply", supply_id, "adjust", "on_hand", str(on_hand), str(total),
             "schema step 8: stock cannot be negative")
        done.append(f"supply {name}: on hand was {on_hand}; now {total}")
    for line in done:
        log.warning("schema step 8 repaired: %s", line)
    return done


_LOAN_NOTE = ("closed by the upgrade: the asset had another open loan at the same time "
              "(two workstations checked it out at once)")


# --- installing the constraints --------------------------------------------------------

def install(database: pw.Database) -> None:
    """Create the constraints (idempotent). Call ``repair`` first."""
    database.execute_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS {LOAN_INDEX} ON loan (asset_id) "
                         "WHERE returned_at IS NULL")
    database.execute_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS {SCAN_INDEX} ON stocktake_scan "
                         f"(session_id, asset_id) WHERE asset_id IS NOT NULL AND verdict IN "
                         f"({_COUNTED_SQL})")
    if _pg(database):
        _install_pg(database)
    else:
        _install_sqlite(database)


def _install_sqlite(database: pw.Database) -> None:
    over = ("(SELECT COUNT(*) FROM seat s WHERE s.license_id = l.id) > l.seats")
    seat_when = (f"EXISTS (SELECT 1 FROM license l WHERE l.id = NEW.license_id AND NOT "
                 f"l.site_license AND NOT l.allow_over AND l.seats IS NOT NULL AND {over})")
    fail_seat = f"SELECT RAISE(ABORT, '{SEAT_RULE}: every seat of the license is in use');"
    database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {SEAT_RULE}_insert AFTER INSERT ON seat "
                         f"WHEN {seat_when} BEGIN {fail_seat} END")
    database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {SEAT_RULE}_move AFTER UPDATE OF "
                         f"license_id ON seat WHEN {seat_when} BEGIN {fail_seat} END")
    database.execute_sql(
        f"CREATE TRIGGER IF NOT EXISTS {SEAT_RULE}_license AFTER UPDATE OF seats, site_license, "
        f"allow_over ON license WHEN NOT NEW.site_license AND NOT NEW.allow_over AND NEW.seats "
        f"IS NOT NULL AND (SELECT COUNT(*) FROM seat WHERE license_id = NEW.id) > NEW.seats "
        f"BEGIN {fail_seat} END")
    fail_stock = f"SELECT RAISE(ABORT, 'CHECK constraint failed: {STOCK_RULE}');"
    database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {STOCK_RULE}_insert BEFORE INSERT ON "
                         f"supply WHEN NEW.on_hand < 0 BEGIN {fail_stock} END")
    database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {STOCK_RULE}_update BEFORE UPDATE OF "
                         f"on_hand ON supply WHEN NEW.on_hand < 0 BEGIN {fail_stock} END")


_PG_SEAT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION qm_{SEAT_RULE}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lic_id integer;
    owned integer;
    unlimited boolean;
    used bigint;
BEGIN
    IF TG_TABLE_NAME = 'license' THEN
        lic_id := NEW.id;
    ELSE
        lic_id := NEW.license_id;
    END IF;
    -- The license row lock serialises every seat change of one license, so a
    -- concurrent insert is counted (READ COMMITTED reads afresh after the
    -- wait). NO KEY UPDATE does not conflict with the key-share lock the
    -- foreign-key check on seat takes, so two inserts cannot deadlock on it.
    SELECT seats, site_license OR allow_over INTO owned, unlimited
        FROM license WHERE id = lic_id FOR NO KEY UPDATE;
    IF unlimited OR owned IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO used FROM seat WHERE license_id = lic_id;
    IF used > owned THEN
        RAISE EXCEPTION '{SEAT_RULE}: license %% has %% seats and %% are assigned', lic_id, owned, used
            USING ERRCODE = 'check_violation', CONSTRAINT = '{SEAT_RULE}';
    END IF;
    RETURN NULL;
END
$$
"""


# Inserting seats is checked once per statement (assigning 5,000 computers at
# once counts each license once, not 5,000 times), over the licenses the
# statement touched, locked in id order so two bulk inserts cannot deadlock.
_PG_SEAT_STATEMENT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION qm_{SEAT_RULE}_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM license WHERE id IN (SELECT DISTINCT license_id FROM new_rows)
        ORDER BY id FOR NO KEY UPDATE;
    SELECT l.id, l.seats, count(s.id) AS used INTO bad
        FROM license l JOIN seat s ON s.license_id = l.id
        WHERE l.id IN (SELECT DISTINCT license_id FROM new_rows)
          AND NOT (l.site_license OR l.allow_over) AND l.seats IS NOT NULL
        GROUP BY l.id, l.seats HAVING count(s.id) > l.seats LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '{SEAT_RULE}: license %% has %% seats and %% are assigned',
            bad.id, bad.seats, bad.used
            USING ERRCODE = 'check_violation', CONSTRAINT = '{SEAT_RULE}';
    END IF;
    RETURN NULL;
END
$$
"""


def _install_pg(database: pw.Database) -> None:
    # (%% is one % once the driver has filled in its (empty) parameters.)
    database.execute_sql(_PG_SEAT_FUNCTION)
    database.execute_sql(_PG_SEAT_STATEMENT_FUNCTION)
    database.execute_sql(f"DROP TRIGGER IF EXISTS {SEAT_RULE} ON seat")
    database.execute_sql(f"DROP TRIGGER IF EXISTS {SEAT_RULE}_move ON seat")
    database.execute_sql(f"CREATE TRIGGER {SEAT_RULE} AFTER INSERT ON seat REFERENCING NEW TABLE "
                         f"AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION qm_{SEAT_RULE}_insert()")
    database.execute_sql(f"CREATE TRIGGER {SEAT_RULE}_move AFTER UPDATE OF license_id ON seat "
                         f"FOR EACH ROW EXECUTE FUNCTION qm_{SEAT_RULE}()")
    database.execute_sql(f"DROP TRIGGER IF EXISTS {SEAT_RULE} ON license")
    database.execute_sql(f"CREATE TRIGGER {SEAT_RULE} AFTER UPDATE OF seats, site_license, "
                         f"allow_over ON license FOR EACH ROW EXECUTE FUNCTION qm_{SEAT_RULE}()")
    exists = database.execute_sql("SELECT 1 FROM pg_constraint WHERE conname = %s AND "
                                  "conrelid = 'supply'::regclass", (STOCK_RULE,)).fetchone()
    if not exists:
        database.execute_sql(f"ALTER TABLE supply ADD CONSTRAINT {STOCK_RULE} CHECK (on_hand >= 0)")
