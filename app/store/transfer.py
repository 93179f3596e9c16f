"""Copying a whole inventory from one database to another, and proving the copy.

Used by ``quartermaster migrate-to`` (the local SQLite file into an empty
PostgreSQL database) and by ``quartermaster backup`` on PostgreSQL (the server's
tables into a portable SQLite file that ``restore`` and ``migrate-to`` read).

The destination is the database bound to ``db``; the source is a raw DB-API
connection. Tables go in dependency order (``ALL_MODELS``), in batches, ids
kept; afterwards the PostgreSQL sequences are moved past the copied ids and
the search index is rebuilt.
"""
from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

import peewee as pw

from app.store.db import db

BATCH = 2000

# A raw DB-API connection (sqlite3's or psycopg2's): only cursor() is used.
Connection = Any
Converter = Callable[[Any], Any]


class Totals(TypedDict):
    """Row counts per table and the totals that must survive a copy."""
    tables: dict[str, int]
    asset_cost: decimal.Decimal
    stock_on_hand: int
    stock_moved: int


def _tables() -> Iterator[tuple[type[pw.Model], str, list[pw.Field[Any]]]]:
    from app.models import ALL_MODELS
    for model in ALL_MODELS:
        fields = list(model._meta.sorted_fields)
        yield model, model._meta.table_name, fields


def _to_postgres(field: pw.Field[Any]) -> Converter | None:
    """A converter from a raw SQLite value to what PostgreSQL accepts for ``field``."""
    if isinstance(field, pw.BooleanField):
        return lambda v: None if v is None else bool(v)
    if isinstance(field, pw.DecimalField):
        return field.python_value
    return None


def _to_sqlite(field: pw.Field[Any]) -> Converter:
    def convert(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.isoformat(sep=" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, decimal.Decimal):
            return str(v)
        return v
    return convert


def copy_all(src_conn: Connection, src_is_postgres: bool,
             progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table from ``src_conn`` into the bound database (inside the
    caller's transaction). Returns rows copied per table."""
    from app.store import search
    dest_pg = isinstance(db.obj, pw.PostgresqlDatabase)
    copied: dict[str, int] = {}
    db.execute_sql('DELETE FROM "setting"')  # what opening the new file noted for itself
    if dest_pg:
        # Copied history keeps who did it then: the server's "who = login"
        # trigger (schema step 8) is for new entries. Back on at the end of the
        # same transaction.
        db.execute_sql("ALTER TABLE history_entry DISABLE TRIGGER history_who")
    if src_is_postgres:
        # One snapshot of every table, read through server-side cursors: the
        # plain psycopg2 cursor would copy a whole table (a million assets,
        # millions of history entries) into memory before the first row.
        src_conn.cursor().execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    # One bulk load: the search texts are rebuilt inside it, so PostgreSQL
    # builds its trigram index and gathers statistics once, at the end.
    with search.bulk_mode():
        try:
            _copy_tables(src_conn, src_is_postgres, dest_pg, copied, progress)
        finally:
            if src_is_postgres and not src_conn.closed:
                src_conn.cursor().execute("ROLLBACK")
        if dest_pg:
            reset_sequences()
            db.execute_sql("ALTER TABLE history_entry ENABLE TRIGGER history_who")
        search.rebuild_all()
    return copied


def _copy_tables(src_conn: Connection, src_is_postgres: bool, dest_pg: bool,
                 copied: dict[str, int], progress: Callable[[str, int], None] | None) -> None:
    from app.store import bulk
    from app.store.db import server_cursor
    for model, table, fields in _tables():
        cols = [f.column_name for f in fields]
        converters: list[Converter | None] = (
            [_to_postgres(f) for f in fields] if dest_pg else [_to_sqlite(f) for f in fields])
        key = model._meta.primary_key
        # Every model has a primary key: an id, or (the stocktake snapshot) a composite key.
        if isinstance(key, pw.CompositeKey):
            keys = [model._meta.fields[n].column_name for n in key.field_names]
        else:
            assert isinstance(key, pw.Field)
            keys = [key.column_name]
        cur = server_cursor(src_conn, BATCH) if src_is_postgres else src_conn.cursor()
        quoted = ", ".join(f'"{c}"' for c in cols)
        order = ", ".join(f'"{c}"' for c in keys)
        cur.execute(f'SELECT {quoted} FROM "{table}" ORDER BY {order}')
        total = 0
        while True:
            batch = cur.fetchmany(BATCH)
            if not batch:
                break
            if any(converters):
                batch = [tuple(c(v) if c else v for c, v in zip(converters, row))
                         for row in batch]
            total += bulk.insert_rows(table, cols, batch, page=BATCH)
            if progress:
                progress(table, total)
        cur.close()
        copied[table] = total


def reset_sequences() -> None:
    """Move each PostgreSQL id sequence past the largest copied id, so the
    next new row does not collide with a copied one."""
    for model, table, _fields in _tables():
        pk = model._meta.primary_key
        if not isinstance(pk, pw.AutoField):
            continue
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk.column_name}'), "
            f"COALESCE(MAX(\"{pk.column_name}\"), 1), MAX(\"{pk.column_name}\") IS NOT NULL) "
            f"FROM \"{table}\"")


def summary(conn: Connection) -> Totals:
    """Row counts per table and the totals that must survive a copy, read over
    a raw DB-API connection (either backend)."""
    cur = conn.cursor()
    counts: dict[str, int] = {}
    for _model, table, _fields in _tables():
        cur.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(cur.fetchone()[0])
    cur.execute('SELECT SUM(cost) FROM "asset"')
    cost = cur.fetchone()[0]
    cur.execute('SELECT SUM(on_hand) FROM "supply"')
    on_hand = cur.fetchone()[0]
    cur.execute('SELECT SUM(qty) FROM "stock_move"')
    moved = cur.fetchone()[0]
    cur.close()
    cents = decimal.Decimal("0.01")
    return {
        "tables": counts,
        "asset_cost": decimal.Decimal(str(cost or 0)).quantize(cents),
        "stock_on_hand": int(on_hand or 0),
        "stock_moved": int(moved or 0),
    }


def differences(a: Totals, b: Totals) -> list[str]:
    """Every way two summaries disagree, as sentences."""
    out = []
    for table, n in a["tables"].items():
        m = b["tables"].get(table)
        if m != n:
            out.append(f"{table}: {n} rows in the source, {m} in the copy")
    totals: tuple[tuple[str, object, object], ...] = (
        ("total asset cost", a["asset_cost"], b["asset_cost"]),
        ("stock on hand", a["stock_on_hand"], b["stock_on_hand"]),
        ("sum of stock movements", a["stock_moved"], b["stock_moved"]))
    for label, x, y in totals:
        if x != y:
            out.append(f"{label}: {x} in the source, {y} in the copy")
    return out


def is_empty(database: pw.Database) -> tuple[bool, str]:
    """Whether ``database`` holds no inventory (no tables, or only empty
    Quartermaster tables); the reason when it does."""
    tables = set(database.get_tables())
    if not tables:
        return True, ""
    from app.store.migrations import VERSION_TABLE
    known = {table for _m, table, _f in _tables()} | {VERSION_TABLE}
    strangers = sorted(tables - known - {"asset_fts"})
    if strangers:
        return False, f"it already has other tables ({', '.join(strangers[:5])})"
    for table in sorted(tables & (known - {VERSION_TABLE})):
        if database.execute_sql(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
            return False, f"its {table} table already has rows"
    return True, ""
