"""What Quartermaster's own schema is, and what in a database file is not part of it.

A restored file is trusted with every later write, so it must hold only what
the migrations make: a trigger or view of someone else's runs on our data (a
trigger that deletes each new history entry switches the history off). The
reference is a new database built in memory by the same migration steps,
read from ``sqlite_master`` once per process. A file of an older schema
version holds a subset of it (steps only add); the comparison is:

- tables: the name is one of ours and every column is one of ours;
- indexes, triggers, views and virtual tables: the name is one of ours and
  the SQL is ours, word for word (whitespace aside).

``RETIRED`` keeps objects an earlier version made that a later step dropped
or redefined, and ``RETIRED_COLUMNS`` the columns a step took out of a table,
so a backup from then is still accepted: a step that drops or changes an
object adds the old one here.
"""
from __future__ import annotations

import functools
import re
import sqlite3
from typing import TypedDict

# (type, name, sql) of objects older versions made and a later step removed or changed.
RETIRED: frozenset[tuple[str, str, str]] = frozenset({
    # Step 13: replaced by the covering history indexes that begin with their columns.
    ("index", "history_entry_entity_entity_id",
     'CREATE INDEX "history_entry_entity_entity_id" ON "history_entry" ("entity", "entity_id")'),
    ("index", "history_entry_entity_effective",
     'CREATE INDEX "history_entry_entity_effective" ON "history_entry" ("entity", "effective")'),
    # Step 14: the stocktake snapshot's id, foreign keys and single-column indexes.
    ("index", "stocktake_expected_session_id",
     'CREATE INDEX "stocktake_expected_session_id" ON "stocktake_expected" ("session_id")'),
    ("index", "stocktake_expected_asset_id",
     'CREATE INDEX "stocktake_expected_asset_id" ON "stocktake_expected" ("asset_id")'),
    ("index", "stocktake_expected_location_id",
     'CREATE INDEX "stocktake_expected_location_id" ON "stocktake_expected" ("location_id")'),
    ("index", "stocktake_expected_session_id_asset_id",
     'CREATE UNIQUE INDEX "stocktake_expected_session_id_asset_id" ON "stocktake_expected" '
     '("session_id", "asset_id")'),
})
# (table, column) of columns older versions had and a later step removed.
RETIRED_COLUMNS: frozenset[tuple[str, str]] = frozenset({
    ("stocktake_expected", "id"),  # step 14
})

# SQLite's own bookkeeping (AUTOINCREMENT counters, ANALYZE statistics).
_SQLITE_OWN = re.compile(r"^sqlite_(sequence|stat\d)$")


def _norm(sql: str | None) -> str:
    return " ".join((sql or "").split())


class Snapshot(TypedDict):
    """What a database holds: each object's SQL, and each table's columns."""
    objects: dict[tuple[str, str], str]
    columns: dict[str, set[str]]


@functools.lru_cache(maxsize=1)
def reference() -> Snapshot:
    """{"objects": {(type, name): sql}, "columns": {table: {column, …}}} of a
    new database of the current version (SQLite)."""
    from app.store import migrations
    from app.store.db import db, make_database
    saved = db.obj
    fresh = make_database(":memory:")
    fresh.connect()
    db.initialize(fresh)  # the steps write through the proxy (models, search index)
    try:
        migrations.migrate(fresh)
        conn = fresh.connection()
        return _read(conn)
    finally:
        fresh.close()
        db.initialize(saved)


def _read(conn: sqlite3.Connection) -> Snapshot:
    objects: dict[tuple[str, str], str] = {}
    columns: dict[str, set[str]] = {}
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master"):
        if name.startswith("sqlite_autoindex_") or _SQLITE_OWN.match(name):
            continue
        objects[(kind, name)] = _norm(sql)
        if kind == "table":
            columns[name] = {r[1] for r in conn.execute(f'PRAGMA table_xinfo("{name}")')}
    return {"objects": objects, "columns": columns}


def foreign_objects(conn: sqlite3.Connection) -> list[str]:
    """What in the database behind ``conn`` Quartermaster's migrations do not
    make, one phrase each ("trigger wipe_history on history_entry"); empty when
    the file holds only our schema."""
    ref = reference()
    mine = _read(conn)
    retired = {(k, n): s for k, n, s in RETIRED}
    rows = {(k, n): t for k, n, t in conn.execute("SELECT type, name, tbl_name FROM sqlite_master")}
    out = []
    for (kind, name), sql in sorted(mine["objects"].items()):
        on = rows.get((kind, name))
        where = f" on {on}" if kind in ("trigger", "index") and on else ""
        ours = ref["objects"].get((kind, name))
        if ours is None and (kind, name) not in retired:
            out.append(f"{kind} {name}{where}, which Quartermaster does not make")
            continue
        if kind == "table" and not sql.upper().startswith("CREATE VIRTUAL"):
            extra = {c for c in mine["columns"].get(name, set()) - ref["columns"].get(name, set())
                     if (name, c) not in RETIRED_COLUMNS}
            if extra:
                out.append(f"table {name} with column(s) {', '.join(sorted(extra))} "
                           "Quartermaster does not make")
            continue
        if sql != ours and sql != _norm(retired.get((kind, name))):
            out.append(f"{kind} {name}{where} defined differently from Quartermaster's")
    return out
