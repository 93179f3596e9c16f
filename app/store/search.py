"""The search box's index: the one module that holds database-specific SQL.

Every asset carries ``search_text``: the lower-cased tag, serial, name, model,
manufacturer, person, room, site and notes, kept current by the services. On
SQLite an FTS5 trigram index over that column answers substring queries in
milliseconds at 100,000 assets; on PostgreSQL a pg_trgm GIN index serves
``LIKE`` (the text and the words are both lower-cased, so no ``ILIKE``);
anywhere else a plain ``LIKE`` scan is the fallback.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import peewee as pw

from app.store.db import db, param, stream
from app.store.guard import guarded, transaction_lost

FTS_TABLE = "asset_fts"
TRIGRAM_INDEX = "asset_search_trgm"  # PostgreSQL


def asset_doc(*parts: object) -> str:
    """The searchable text for one asset from its parts (None skipped, and a
    part already contained in the text before it left out: the name is often
    the model's, and every substring of it is found there anyway)."""
    return doc_of_clean(*(None if p is None else str(p).strip().lower() for p in parts))


def doc_of_clean(*parts: str | None) -> str:
    """``asset_doc`` of parts already stripped and lower-cased (a loader that
    lower-cases the parts that repeat once, not once per asset)."""
    doc = ""
    for text in parts:
        if text and text not in doc:
            doc = f"{doc} | {text}" if doc else text
    return doc


# SQL that gathers the parts of asset_doc for many assets at once.
_DOC_QUERY = """
SELECT a.id, a.tag, a.serial, a.name, m.name, m.model_number, mf.name,
       p.first_name, p.last_name, p.id_number, l.name, al.name, s.name, a.notes,
       a.order_number, a.erate_frn
FROM asset a
LEFT JOIN hardware_model m ON m.id = a.model_id
LEFT JOIN manufacturer mf ON mf.id = m.manufacturer_id
LEFT JOIN person p ON p.id = a.assigned_person_id
LEFT JOIN location l ON l.id = a.location_id
LEFT JOIN location al ON al.id = a.assigned_location_id
LEFT JOIN site s ON s.id = a.site_id
"""


def person_text(first: str | None, last: str | None) -> str:
    """A holder's name as the search text holds it."""
    return f"{first or ''} {last or ''}".strip()


def _doc_from_row(row: Sequence[Any]) -> str:
    _, tag, serial, name, model, model_no, mfr, first, last, idno, room, aroom, site, notes, po, frn = row
    return asset_doc(tag, serial, name, mfr, model, model_no, person_text(first, last), idno, room, aroom, site,
                     po, frn, notes)


def refresh_assets(asset_ids: Iterable[int]) -> None:
    """Recompute search_text for these assets (call inside the service's transaction)."""
    ids = list(asset_ids)
    if not ids:
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join([param()] * len(chunk))
        rows = db.execute_sql(f"{_DOC_QUERY} WHERE a.id IN ({marks})", chunk).fetchall()
        _write_docs(rows)


def refresh_where(column: str, value_id: int) -> None:
    """Recompute for every asset whose ``column`` (e.g. assigned_person_id) is value_id."""
    allowed = {"assigned_person_id", "location_id", "assigned_location_id", "model_id", "site_id"}
    if column not in allowed:
        raise ValueError(column)
    rows = db.execute_sql(f"{_DOC_QUERY} WHERE a.{column} = {param()}", [value_id]).fetchall()
    _write_docs(rows)


def rebuild_all() -> None:
    """Recompute every asset's search_text, then rebuild the index (bulk work).

    The per-row triggers are suspended meanwhile: an external-content FTS
    table must never be told to delete a row it does not hold. Only texts
    that differ are written: a copied database (migrate-to, a server backup)
    already holds them, and on PostgreSQL every UPDATE writes a new row
    version and new index entries (1,000,000 unchanged assets: most of an
    hour of a migrate-to).
    """
    query = _DOC_QUERY.replace("a.erate_frn\n", "a.erate_frn, a.search_text\n", 1)
    with bulk_mode():
        for batch in stream(query):
            _write_docs([r[:-1] for r in batch if _doc_from_row(r[:-1]) != r[-1]])


def _write_docs(rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    p = param()
    params = [(_doc_from_row(r), r[0]) for r in rows]
    conn = db.connection()
    cur = conn.cursor()
    with guarded(conn, db.in_transaction()):
        cur.executemany(f"UPDATE asset SET search_text = {p} WHERE id = {p}", params)


# --- index installation -------------------------------------------------------

def install(database: pw.Database) -> None:
    """Create the search index for this database (a migration step calls this)."""
    if isinstance(database, pw.SqliteDatabase):
        database.execute_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "search_text, content='asset', content_rowid='id', tokenize='trigram')")
        database.execute_sql(f"""
            CREATE TRIGGER IF NOT EXISTS asset_fts_ai AFTER INSERT ON asset BEGIN
              INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
            END""")
        database.execute_sql(f"""
            CREATE TRIGGER IF NOT EXISTS asset_fts_ad AFTER DELETE ON asset BEGIN
              INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
            END""")
        database.execute_sql(f"""
            CREATE TRIGGER IF NOT EXISTS asset_fts_au AFTER UPDATE OF search_text ON asset BEGIN
              INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
              INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
            END""")
    elif isinstance(database, pw.PostgresqlDatabase):
        try:
            with database.atomic():
                database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            database.execute_sql(
                f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON asset "
                "USING gin (search_text gin_trgm_ops)")
        except pw.DatabaseError:
            # No right to create the extension: the LIKE scan still answers, slower.
            pass


_loading = {"depth": 0}


@contextlib.contextmanager
def _analyzed_after(database: pw.PostgresqlDatabase,
                    suspend_trigram: bool = False) -> Iterator[None]:
    """PostgreSQL plans by its statistics, which autovacuum gathers only a
    while after a load (and not at all while the load's transaction is open):
    a year-end run straight after loading saw "1 row" estimates and joined
    history to itself row by row (2,000 assets: 15 s instead of 1 s). So a
    bulk load ends by gathering them itself, in its own transaction (once,
    however the loads nest).

    ``suspend_trigram`` (bulk_mode: a load in one transaction, as SQLite's
    drops its FTS triggers): the trigram index is dropped for the load and
    built once at the end, which is several times faster than keeping it
    up to date row by row."""
    outermost = _loading["depth"] == 0
    dropped = False
    if outermost and suspend_trigram and _has_trigram(database):
        database.execute_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
        dropped = True
    _loading["depth"] += 1
    try:
        yield
    finally:
        _loading["depth"] -= 1
    if dropped:
        install(database)
    if outermost:
        database.execute_sql("ANALYZE")


def _has_trigram(database: pw.PostgresqlDatabase) -> bool:
    """The index is there and ours to drop (a team's technician loading
    through the app does not own it: the load then keeps it up to date)."""
    return bool(database.execute_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass(%s) "
        "AND pg_has_role(relowner, 'USAGE'))", (TRIGRAM_INDEX,)).fetchone()[0])


@contextlib.contextmanager
def bulk_mode() -> Iterator[None]:
    """For bulk loads inside one transaction: suspend per-row index upkeep and
    rebuild the index once at the end (several times faster at 100,000 rows)."""
    database = db.obj
    if isinstance(database, pw.PostgresqlDatabase):
        with _analyzed_after(database, suspend_trigram=True):
            yield
        return
    if not (isinstance(database, pw.SqliteDatabase) and has_fts()):
        yield
        return
    for name in ("asset_fts_ai", "asset_fts_ad", "asset_fts_au"):
        database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield
    finally:
        if not transaction_lost(database):  # else SQLite's rollback put the triggers back
            install(database)
    rebuild_index()


@contextlib.contextmanager
def inserts_indexed_by_caller() -> Iterator[str | None]:
    """For a bulk load that indexes its new rows itself, a page at a time:
    inserts into asset skip the per-row trigger while updates and deletes
    keep theirs (the rows already there stay indexed as they change).
    Yields the statement that indexes the assets with ``lo < id <= hi``
    (params ``(lo, hi)``), or None where there is no FTS index to keep."""
    database = db.obj
    if isinstance(database, pw.PostgresqlDatabase):
        with _analyzed_after(database):
            yield None
        return
    if not (isinstance(database, pw.SqliteDatabase) and has_fts()):
        yield None
        return
    database.execute_sql("DROP TRIGGER IF EXISTS asset_fts_ai")
    # Fewer, larger segments while loading: an 8 MB in-memory buffer before
    # each write to disk (kept: searches are faster over fewer segments), and
    # no merging until the load is done (measured: 5.5 s → 3.1 s to index
    # 100,000 assets a page at a time).
    _fts_config("hashsize", 8 << 20)
    _fts_config("automerge", 0)
    try:
        yield (f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
               "SELECT id, search_text FROM asset WHERE id > ? AND id <= ?")
    finally:
        if not transaction_lost(database):  # else SQLite's rollback undid all of this
            _fts_config("automerge", 4)  # FTS5's default: merging resumes a little at each write
            install(database)


def _fts_config(name: str, value: int) -> None:
    db.execute_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES (?, ?)", (name, value))


def rebuild_index() -> None:
    if isinstance(db.obj, pw.SqliteDatabase):
        db.execute_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def has_fts() -> bool:
    if not isinstance(db.obj, pw.SqliteDatabase):
        return False
    row = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()
    return row is not None


# --- querying -----------------------------------------------------------------

def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tokens(query: str) -> list[str]:
    # Control characters (a NUL ends an FTS5 string; PostgreSQL refuses it) are never stored.
    query = re.sub(r"[\x00-\x1f\x7f]", " ", query)
    # "Flores, James" as the Assigned-to column shows it: a comma ending a word
    # separates, it is not part of what is searched for (inner ones are kept).
    words = (t.strip(",;") for t in query.lower().split())
    return [t for t in words if t]


def match_expression(asset_id_column: pw.ColumnBase, search_text_column: pw.ColumnBase, query: str,
                     *, scan: bool = False) -> pw.ColumnBase | None:
    """A WHERE expression that keeps assets matching every word of ``query``.

    Works for any query text: quotes, apostrophes (O'Brien), dashes (5CD-12)
    and FTS operators are matched literally, never parsed.

    ``scan``: test each row's text instead of asking the index — for a word
    most assets contain, when only the first rows in an indexed order are
    wanted: walking that order and testing each row stops after a few hundred
    rows, where the index would first gather (and re-read) every match
    ("chromebook": 92,000 of 100,000 assets, ~100 ms in the index, 0.1 ms
    walking the tag order).
    """
    words = tokens(query)
    if not words:
        return None
    expr: pw.ColumnBase | None = None
    long_words = [w for w in words if len(w) >= 3]
    short_words = [w for w in words if len(w) < 3]
    if long_words and not scan and isinstance(db.obj, pw.SqliteDatabase) and has_fts():
        # Each word a quoted phrase: trigram FTS treats it as a substring.
        fts_query = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
        expr = asset_id_column.in_(
            pw.SQL(f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)", [fts_query]))
    else:
        short_words = words
    for w in short_words:
        # LIKE, never ILIKE, on every engine: search_text is lower-cased when it
        # is written (asset_doc) and so is each word (tokens), so ILIKE would
        # find nothing more, only fold every row's text again. On PostgreSQL
        # that made the walk of the tag order three times slower ("smith" at
        # a million assets: 71 → 25 ms); the trigram index serves LIKE as well.
        # NodeList, not Expression: peewee maps the LIKE operator to GLOB on SQLite.
        cond = pw.NodeList((search_text_column,
                            pw.SQL(f"LIKE {param()} ESCAPE '\\'", [f"%{_like_escape(w)}%"])))
        expr = cond if expr is None else (expr & cond)
    return expr


def count_matches(query: str) -> int | None:
    """How many assets match every word of ``query``, counted in the index
    alone (no asset row is read: 92,000 matches of 100,000 in ~40 ms, a third
    of counting through the asset table). None where the index cannot answer
    by itself (no FTS index, PostgreSQL, or a word shorter than a trigram)."""
    words = tokens(query)
    if not words or any(len(w) < 3 for w in words):
        return None
    if not (isinstance(db.obj, pw.SqliteDatabase) and has_fts()):
        return None
    fts_query = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
    row = db.execute_sql(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?",
                         (fts_query,)).fetchone()
    return int(row[0])


def fewer_matches_than(query: str, cap: int) -> bool | None:
    """Whether fewer than ``cap`` assets contain every word of ``query`` that
    is a trigram or longer, read from the index alone and never past ``cap``
    entries (a bound for the whole query: its short words only narrow it).
    None where the index cannot tell (no FTS index, PostgreSQL, no word of
    three letters or more)."""
    words = [w for w in tokens(query) if len(w) >= 3]
    if not words or not (isinstance(db.obj, pw.SqliteDatabase) and has_fts()):
        return None
    fts_query = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
    row = db.execute_sql(f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} "
                         f"WHERE {FTS_TABLE} MATCH ? LIMIT ?)", (fts_query, cap)).fetchone()
    return int(row[0]) < cap
