"""Numbered schema steps, run when a database is opened.

A new database gets the current tables at once and is stamped with the latest
version. An older one gets each missing step in order, each inside one
transaction, after a copy of the file has been taken. Never edit a shipped
step: add the next one.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import peewee as pw

from app.store import search
from app.store.db import param

log = logging.getLogger(__name__)

VERSION_TABLE = "qm_schema"


def _step_1_tables(database: pw.Database) -> None:
    from app.models import ALL_MODELS
    database.create_tables(ALL_MODELS, safe=True)


def _step_2_search(database: pw.Database) -> None:
    """Search index over assets (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)."""
    search.install(database)
    search.rebuild_all()


# (version, description, function). Append only.
def _step_3_case_insensitive_keys(database: pw.Database) -> None:
    """Indexes for the case-insensitive look-ups the services make on every
    create (a person's ID number, a supply barcode): without them an import of
    10,000 people compares each new one with every row before it."""
    database.execute_sql("CREATE INDEX IF NOT EXISTS person_id_number_upper "
                         "ON person (UPPER(id_number))")
    database.execute_sql("CREATE INDEX IF NOT EXISTS supply_barcode_upper "
                         "ON supply (UPPER(barcode))")


def _step_4_stocktake_room_indexes(database: pw.Database) -> None:
    """A stocktake answers each scan with its room's progress (verified of
    expected): without these, counting one room reads every row of the
    session, which at 100,000 assets is most of the 50 ms a scan may take."""
    database.execute_sql("CREATE INDEX IF NOT EXISTS stocktake_expected_session_location "
                         "ON stocktake_expected (session_id, location_id)")
    database.execute_sql("CREATE INDEX IF NOT EXISTS stocktake_scan_session_location "
                         "ON stocktake_scan (session_id, location_id)")


def _step_5_change_counter(database: pw.Database) -> None:
    """The counter other workstations watch to see that data changed
    (PostgreSQL; SQLite has PRAGMA data_version built in)."""
    from app.store import changes
    changes.install(database)


def _add_columns(database: pw.Database, fields: list[pw.Field]) -> None:
    """Add the model fields whose columns the table lacks (a database made by
    step 1 of a later version has them already). On SQLite a NOT NULL column
    with a default is added in one ALTER TABLE with that default: peewee's
    migrator would rebuild the table, and dropping the old copy cascades
    through the foreign keys (every loan of the asset table, for one)."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    from playhouse.migrate import migrate as run
    pg = isinstance(database, pw.PostgresqlDatabase)
    migrator = PostgresqlMigrator(database) if pg else SqliteMigrator(database)
    have: dict[str, set[str]] = {}
    ops = []
    for field in fields:
        table = field.model._meta.table_name
        if table not in have:
            have[table] = {c.name for c in database.get_columns(table)}
        if field.column_name in have[table]:
            continue
        if not pg and not field.null and field.default is not None and not callable(field.default):
            ctx = database.get_sql_context()
            ddl = ctx.sql(field.ddl(ctx)).query()[0]
            default = field.db_value(field.default)
            literal = f"'{default}'" if isinstance(default, str) else str(int(default)
                                                                          if isinstance(default, bool)
                                                                          else default)
            if " DEFAULT " not in ddl.upper():
                ddl += f" DEFAULT {literal}"
            database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')
        else:
            ops.append(migrator.add_column(table, field.column_name, field))
    if ops:
        run(*ops)


def _step_6_intake_fields(database: pw.Database) -> None:
    """Receiving a shipment keeps, per device, the serial-pattern warning, whether
    undo voided its tag, the last label-printing failure and the workstation
    that scanned it, and who closed the session. A database made by step 1 of this version has the columns already."""
    from app.models import IntakeItem, IntakeSession
    _add_columns(database, [IntakeItem.warning, IntakeItem.tag_voided, IntakeItem.label_error,
                            IntakeItem.station, IntakeSession.closed_by])
    database.execute_sql("CREATE INDEX IF NOT EXISTS intake_item_session_serial "
                         "ON intake_item (session_id, serial)")


def _step_7_effective_dates(database: pw.Database) -> None:
    """Every change carries the day it took effect in the world as well as when
    it was typed (history_entry.effective, indexed for "as of" reports), year-end
    reports produced are recorded (prior-period changes), and assets get the
    federal-award fields of 2 CFR 200.313 and a condition.

    Existing history is backfilled: a change is effective the local day it was
    entered, except where the record carries its own date — a creation on the
    purchase (else in-service) date, a disposal on its disposal date, an audit
    on the audit date, and a corrected purchase, in-service or disposal date
    from the earlier of its old and new values. The local day uses the
    machine's current UTC offset (an hour off across a DST change, at most)."""
    from app.models import Asset, HistoryEntry, YearEndRun
    pg = isinstance(database, pw.PostgresqlDatabase)
    _add_columns(database, [HistoryEntry.effective, Asset.federal_award_id, Asset.federal_share,
                            Asset.condition])
    database.create_tables([YearEndRun], safe=True)
    # Word for word what a new database gets from the model (Meta.indexes), so a
    # backup of an upgraded file passes the restore's schema check.
    database.execute_sql('CREATE INDEX IF NOT EXISTS "history_entry_entity_effective" '
                         'ON "history_entry" ("entity", "effective")')
    offset = dt.datetime.now().astimezone().utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if pg:
        local_day = f"CAST(at + INTERVAL '{minutes} minutes' AS DATE)"
        text_day = "CAST(SUBSTR({0}, 1, 10) AS DATE)"
    else:
        local_day = f"DATE(at, '{minutes:+d} minutes')"
        text_day = "SUBSTR({0}, 1, 10)"
    sql: Callable[..., Any] = database.execute_sql
    sql(f"UPDATE history_entry SET effective = {local_day} WHERE effective IS NULL")
    sql("UPDATE history_entry SET effective = (SELECT COALESCE(a.purchase_date, a.in_service_date,"
        " history_entry.effective) FROM asset a WHERE a.id = history_entry.entity_id) "
        "WHERE entity = 'asset' AND action = 'create' "
        "AND EXISTS (SELECT 1 FROM asset a WHERE a.id = history_entry.entity_id)")
    sql("UPDATE history_entry SET effective = (SELECT a.disposal_date FROM asset a "
        "WHERE a.id = history_entry.entity_id) WHERE entity = 'asset' "
        "AND (action = 'dispose' OR (field = 'status' AND new = 'disposed')) "
        "AND EXISTS (SELECT 1 FROM asset a WHERE a.id = history_entry.entity_id "
        "AND a.disposal_date IS NOT NULL)")
    sql(f"UPDATE history_entry SET effective = {text_day.format('new')} WHERE entity = 'asset' "
        "AND action = 'audit' AND new IS NOT NULL AND new <> ''")
    for column in ("new", "old"):
        day = text_day.format(column)
        sql(f"UPDATE history_entry SET effective = {day} WHERE entity = 'asset' "
            "AND field IN ('purchase_date', 'in_service_date', 'disposal_date') "
            f"AND {column} IS NOT NULL AND {column} <> '' AND {day} < effective")


def _step_8_database_rules(database: pw.Database) -> None:
    """The rules that must never break become constraints the database keeps
    (one open loan per asset, one counted scan per asset per stocktake, seats
    within owned, stock never negative), after what an older version let
    through is repaired deterministically and noted in history; on
    PostgreSQL, history's "who" is written by the server and product keys are
    read only through a function that records each reading."""
    from app.store import constraints, roles
    constraints.repair(database)
    constraints.install(database)
    if isinstance(database, pw.PostgresqlDatabase):
        roles.install_server_rules(database)
def _step_9_work_orders(database: pw.Database) -> None:
    """Work orders and their notes thread, and backup media (a new database
    has them from step 1)."""
    from app.models import BackupMedia, WorkOrder, WorkOrderNote
    database.create_tables([WorkOrder, WorkOrderNote, BackupMedia], safe=True)


def _step_10_list_indexes(database: pw.Database) -> None:
    """Indexes the assets list needs at a million rows: its default order
    (the tag's length, then the tag: numbers past the counter's digits sort
    as numbers, QM-999999 before QM-1000000), so the first page is read from
    the index instead of sorting every row; and the funding filter, which
    otherwise reads the whole table. The same SQL on both engines, so a new
    and an upgraded file agree word for word (the restore's schema check)."""
    database.execute_sql("CREATE INDEX IF NOT EXISTS asset_tag_sort "
                         "ON asset (LENGTH(tag_key), tag_key)")
    database.execute_sql("CREATE INDEX IF NOT EXISTS asset_funding_type "
                         "ON asset (funding_type)")


def _step_11_device_program(database: pw.Database) -> None:
    """The 1:1 device program (student roster fields, kits, distribution and
    collection days, damage fees and payments, loaner swaps, Chromebook
    fields from Google Admin), the E-Rate filing fields (BEN, SPIN, Form
    471, FRN line item) and several assets per work order."""
    from app.models import (Asset, EventScan, Fee, FeePayment, HardwareModel, KitPart, Loan,
                            LoanerSwap, LoanPart, Person, PriceItem, ProgramEvent, Site,
                            Supplier, WorkOrderAsset)
    _add_columns(database, [
        Person.homeroom, Person.guardian_name, Person.guardian_email, Person.guardian_phone,
        Person.household, Person.address, Person.enrolment, Person.withdrawn_on,
        Person.insured_through,
        Asset.erate_form471, Asset.erate_frn_line, Asset.aue_date, Asset.org_unit,
        Asset.last_sync, Asset.annotated_user, Asset.annotated_asset_id, Asset.loaner,
        Site.ben, Supplier.spin, HardwareModel.replacement_cost,
        Loan.agreement_status, Loan.damage])
    for field in (Person.household, Person.enrolment):
        name = f"{field.model._meta.table_name}_{field.column_name}"
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{field.model._meta.table_name}" '
                             f'("{field.column_name}")')
    database.create_tables([KitPart, LoanPart, ProgramEvent, EventScan, PriceItem, Fee,
                            FeePayment, LoanerSwap, WorkOrderAsset], safe=True)
    if isinstance(database, pw.PostgresqlDatabase):
        from app.store import roles
        roles.grant_new_tables(database)


def _step_12_postgres_list_indexes(database: pw.Database) -> None:
    """PostgreSQL only: the Loans list's first page (open loans by due day)
    from an index of the open loans alone. With the plain ``due`` index the
    server walked past the returned loans (712,673 loans, 1,000,000 assets:
    168 ms → 1 ms). SQLite's plan is unchanged, and its schema with it."""
    if isinstance(database, pw.PostgresqlDatabase):
        database.execute_sql("CREATE INDEX IF NOT EXISTS loan_open_due ON loan (due, id) "
                             "WHERE returned_at IS NULL")


def _step_13_history_as_of_indexes(database: pw.Database) -> None:
    """Indexes the "as of" reports (year-end, depreciation) read history
    through, measured at 1,000,000 assets (2.9 million history entries):

    - the history of the assets changed after a day, in the order entered
      (asset id, then ``at``, then id), read from the index in that order
      instead of sorted per asset (5.0 s → 2.5 s CPU on SQLite);
    - which assets changed after a day, and the audits of a year, from the
      entries' effective day with the asset id and field beside it, not
      looked up row by row in the table (1.5 s → 0.4 s; 0.9 s → 0.1 s);
    - the assets created after a day: the creations by ``at`` alone, not
      every entry entered since (1.5 s → 0.1 s).

    The same SQL on both engines. The older (entity, entity_id) and (entity,
    effective) indexes are the first columns of the first two and go: every
    query they served is served by those, and each index on history costs
    every write (a 1,000,000-row import wrote 3 more index entries a row,
    128 → 143 s). A backup made before this step still restores
    (``app.store.schema.RETIRED``)."""
    for name, columns in (("history_entry_entity_entity_id_at_id", '"entity", "entity_id", "at", "id"'),
                          ("history_entry_entity_effective_entity_id_field",
                           '"entity", "effective", "entity_id", "field"'),
                          ("history_entry_action_at", '"action", "at"')):
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "history_entry" ({columns})')
    for name in ("history_entry_entity_entity_id", "history_entry_entity_effective"):
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def _step_14_lean_stocktake_snapshot(database: pw.Database) -> None:
    """The stocktake's expected list keyed by (session, asset), with no id,
    no foreign keys and no single-column indexes: a start at a 1,000,000-asset
    district writes 173,000 rows in one statement, and each row paid for a
    key check per foreign key (on PostgreSQL a query that also locked the
    asset's row) and six index entries (PostgreSQL 3.0 s → 0.5 s, SQLite
    0.63 → 0.38 s). The rows are copied into the new table; the
    (session, room) index of step 4 is made again as step 4 makes it. A new
    database has the new table from step 1, and nothing here to do."""
    if "id" not in {c.name for c in database.get_columns("stocktake_expected")}:
        return
    from app.models import StocktakeExpected
    database.execute_sql("CREATE TEMPORARY TABLE qm_expected_copy AS "
                         "SELECT session_id, asset_id, location_id FROM stocktake_expected")
    database.execute_sql("DROP TABLE stocktake_expected")
    database.create_tables([StocktakeExpected])
    _step_4_stocktake_room_indexes(database)
    database.execute_sql("INSERT INTO stocktake_expected (session_id, asset_id, location_id) "
                         "SELECT session_id, asset_id, location_id FROM qm_expected_copy")
    database.execute_sql("DROP TABLE qm_expected_copy")
    if isinstance(database, pw.PostgresqlDatabase):
        from app.store import roles
        roles.grant_new_tables(database)


STEPS = [
    (1, "tables", _step_1_tables),
    (2, "search index", _step_2_search),
    (3, "case-insensitive key indexes", _step_3_case_insensitive_keys),
    (4, "stocktake room indexes", _step_4_stocktake_room_indexes),
    (5, "change counter", _step_5_change_counter),
    (6, "intake item warnings, voided tags, label errors, stations", _step_6_intake_fields),
    (7, "effective dates, year-end runs, federal-award fields", _step_7_effective_dates),
    (8, "database-kept rules: constraints, server-written history", _step_8_database_rules),
    (9, "work orders and backup media", _step_9_work_orders),
    (10, "assets list indexes: tag order, funding", _step_10_list_indexes),
    (11, "1:1 device program, E-Rate filing fields, work order assets", _step_11_device_program),
    (12, "PostgreSQL: open loans by due day", _step_12_postgres_list_indexes),
    (13, "history indexes for reports as of a day", _step_13_history_as_of_indexes),
    (14, "lean stocktake snapshot: keyed by session and asset", _step_14_lean_stocktake_snapshot),
]
LATEST = STEPS[-1][0]


def current_version(database: pw.Database) -> int:
    if VERSION_TABLE not in database.get_tables():
        return 0
    row = database.execute_sql(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
    return int(row[0] or 0)


def _stamp(database: pw.Database, version: int, description: str) -> None:
    p = param(database)
    database.execute_sql(
        f"INSERT INTO {VERSION_TABLE} (version, description, applied_at) VALUES ({p}, {p}, {p})",
        (version, description, dt.datetime.now().isoformat(timespec="seconds")))


def _ensure_version_table(database: pw.Database) -> None:
    database.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL, "
        "description TEXT, applied_at TEXT)")


def migrate(database: pw.Database, target: str = "",
            before_steps: Callable[[pw.Database, int], object] | None = None,
            upto: int | None = None) -> list[int]:
    """Bring the schema to ``upto`` (default: latest). Returns the steps applied.

    ``before_steps(database, version)`` runs once before the first step on an
    existing database: the application passes app.backup.copy_before_migration,
    so the store never reaches up to backups (and their folder setting)."""
    from app.store.db import DatabaseOpenError
    upto = LATEST if upto is None else upto
    version = current_version(database)
    if version > LATEST:
        raise DatabaseOpenError(
            f"This database was made by a newer Quartermaster (schema {version}; this "
            f"version knows up to {LATEST}). Update Quartermaster to open it.")
    if version >= upto:
        return []
    fresh = version == 0 and not any(t for t in database.get_tables() if t != VERSION_TABLE)
    if fresh and upto == LATEST:
        with database.atomic():
            _ensure_version_table(database)
            for _number, _description, step in STEPS:
                step(database)
            _stamp(database, LATEST, "new database")
        return [n for n, _, _ in STEPS]
    if before_steps is not None and version > 0:
        before_steps(database, version)
    applied = []
    for number, description, step in STEPS:
        if version < number <= upto:
            with database.atomic():
                _ensure_version_table(database)
                step(database)
                _stamp(database, number, description)
            log.info("schema step %s (%s) applied", number, description)
            applied.append(number)
    return applied

