"""A big load into a PostgreSQL table, inside the caller's transaction: its
plain b-tree indexes and foreign keys set aside while the rows go in, and
made again (the same definitions, read back from the catalog) before it
commits.

Keeping 13 b-trees and 6 foreign keys up to date row by row costs the
server about 130 us an asset row (a million rows: two minutes of server
time); building each index once over the loaded table and checking each
foreign key with one join costs seconds. The unique indexes (they refuse a
repeated key as the row arrives), the primary key and the trigram index
(kept up to date page by page while the client prepares the next page,
cheaper than building it whole at the end) stay.

All of it is DDL in the caller's transaction: a failed or cancelled load
rolls back to the indexes and keys as they were, and the table is locked
(ACCESS EXCLUSIVE, and the tables its foreign keys point at) until the load
commits, so no other session ever sees it without them or half loaded.
That lock is why this is for a load that at least doubles a table (a first
import into a new register), never for a few rows added to a big one.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import peewee as pw

from app.store.db import db


def owned(table: str) -> bool:
    """This login may drop and make the table's indexes (it owns the table)."""
    row = db.execute_sql("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
                         "WHERE oid = to_regclass(%s)", (table,)).fetchone()
    return bool(row and row[0])


@contextlib.contextmanager
def keys_checked_after(table: str) -> Iterator[bool]:
    """Inside the caller's transaction: ``table``'s plain (non-unique) b-tree
    indexes and its foreign keys dropped, and made again when the block ends
    without an error. Yields whether it did (False, and nothing changes,
    off PostgreSQL or when this login does not own the table)."""
    database = db.obj
    if not (isinstance(database, pw.PostgresqlDatabase) and db.in_transaction()
            and owned(table)):
        yield False
        return
    indexes = db.execute_sql(
        "SELECT quote_ident(c.relname), pg_get_indexdef(c.oid) FROM pg_index x "
        "JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE x.indrelid = to_regclass(%s) AND am.amname = 'btree' AND NOT x.indisunique "
        "AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
        "WHERE k.conindid = c.oid) ORDER BY c.relname", (table,)).fetchall()
    keys = db.execute_sql(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname", (table,)).fetchall()
    quoted = f'"{table}"'
    if keys:
        db.execute_sql(f"ALTER TABLE {quoted} "
                       + ", ".join(f"DROP CONSTRAINT {name}" for name, _ in keys))
    for name, _ in indexes:
        db.execute_sql(f"DROP INDEX {name}")
    yield True
    # Reached only when the load went through (an error leaves by the
    # caller's rollback, which brings back what was dropped).
    db.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        db.execute_sql(definition)
    if keys:
        # One statement: each key is checked by one join over the loaded rows.
        db.execute_sql(f"ALTER TABLE {quoted} "
                       + ", ".join(f"ADD CONSTRAINT {name} {definition}" for name, definition in keys))
