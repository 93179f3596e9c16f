"""Large results are read a chunk at a time (app.store.db.stream), on
PostgreSQL through a server-side cursor: psycopg2's plain cursor copies the
whole result into the client before the first row, which at a million assets
is hundreds of MB for an export or the year-end register."""
from __future__ import annotations

import csv

import peewee as pw
import pytest

from app import exporting
from app.models import Asset
from app.store import db as store
from app.store.db import db, stream
from tests.app.factories import asset, district


def _series(n: int, width: int = 1) -> str:
    """SQL for rows (i, a text of ``width`` x's), i = 1..n, in either dialect."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        return f"SELECT i, repeat('x', {width}) FROM generate_series(1, {n}) AS i ORDER BY i"
    return (f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
            f"SELECT i, printf('%.{width}c', 'x') FROM s ORDER BY i")


def _open_cursors() -> list[str]:
    return [r[0] for r in db.execute_sql("SELECT name FROM pg_cursors").fetchall()]


def test_stream_gives_every_row_in_chunks_on_both_engines(db):
    d = district()
    made = [asset(d, tag=f"QM-{n:06d}").id for n in range(12)]
    query = Asset.select(Asset.id, Asset.tag).order_by(Asset.id)
    chunks = list(stream(query, size=5))
    assert [len(c) for c in chunks] == [5, 5, 2]
    assert [tuple(r) for c in chunks for r in c] == [(i, f"QM-{n:06d}") for n, i in enumerate(made)]
    # SQL text with parameters, the same rows
    text = list(stream(f"SELECT id FROM asset WHERE id > {store.param()} ORDER BY id", (made[9],)))
    assert [r[0] for c in text for r in c] == made[10:]
    assert list(stream(_series(7), size=3))[-1][-1][0] == 7


def test_on_postgresql_the_rows_come_from_a_server_side_cursor(db):
    if not isinstance(db, pw.PostgresqlDatabase):
        pytest.skip("a server-side cursor is PostgreSQL's")
    rows = stream(_series(12), size=5)
    first = next(rows)
    assert len(first) == 5
    # The server holds the cursor while the reader is between chunks ...
    names = _open_cursors()
    assert len(names) == 1 and names[0].startswith("qm_stream_"), names
    assert [r[0] for c in rows for r in c] == list(range(6, 13))
    # ... and closes it when done, with the transaction it opened for it.
    assert _open_cursors() == []
    assert not db.in_transaction()


def test_on_postgresql_a_stream_inside_a_transaction_stays_in_it(db):
    if not isinstance(db, pw.PostgresqlDatabase):
        pytest.skip("a server-side cursor is PostgreSQL's")
    with db.atomic():
        db.execute_sql("CREATE TEMP TABLE seen (i integer) ON COMMIT DROP")
        db.execute_sql("INSERT INTO seen VALUES (1), (2), (3)")
        # the uncommitted rows are visible: the cursor reads in this transaction
        got = [r[0] for c in stream("SELECT i FROM seen ORDER BY i", size=2) for r in c]
        assert got == [1, 2, 3]
        assert db.in_transaction()


def test_two_streams_read_side_by_side(db):
    """The year-end register merges two streams in id order (asof.states_as_of)."""
    a, b = stream(_series(9), size=2), stream(_series(4), size=3)
    merged = []
    for chunk in a:
        merged.append(chunk[0][0])
        more = next(b, None)
        if more:
            merged.append(-more[0][0])
    assert merged == [1, -1, 3, -4, 5, 7, 9]
    if isinstance(db, pw.PostgresqlDatabase):
        assert _open_cursors() == []


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def test_on_postgresql_memory_stays_flat_however_large_the_result(db):
    """100 MB of rows: the plain cursor holds all of them at once (the
    measurement sees it), the stream a chunk."""
    if not isinstance(db, pw.PostgresqlDatabase):
        pytest.skip("SQLite's cursor steps through the file already")
    sql = _series(100_000, width=1000)
    before = _rss_mb()
    cursor = db.execute_sql(sql)
    cursor.fetchmany(10)
    plain = _rss_mb() - before
    cursor.close()
    del cursor
    before = _rss_mb()
    peak, n = 0.0, 0
    for chunk in stream(sql, size=2000):
        n += len(chunk)
        peak = max(peak, _rss_mb() - before)
    assert n == 100_000
    assert plain > 60, f"the plain cursor grew only {plain:.0f} MB: the measure says nothing"
    assert peak < 25, f"streaming grew the process by {peak:.0f} MB"


def test_the_export_reads_through_the_stream(db, tmp_path, monkeypatch):
    """Every asset exported, read through a server-side cursor on PostgreSQL."""
    d = district()
    for n in range(25):
        asset(d, tag=f"QM-{n:06d}", name=f"Laptop {n}")
    made: list = []
    real = store.server_cursor

    def spy(conn, size=store.STREAM_SIZE):
        cursor = real(conn, size)
        made.append(cursor)
        return cursor
    monkeypatch.setattr(store, "server_cursor", spy)
    out = tmp_path / "assets.csv"
    assert exporting.export("assets", out) == 25
    with open(out, newline="", encoding="utf-8-sig") as f:
        tags = [row["Asset Tag"] for row in csv.DictReader(f)]
    assert tags == [f"QM-{n:06d}" for n in range(25)]
    if isinstance(db, pw.PostgresqlDatabase):
        assert made and all(c.name.startswith("qm_stream_") and c.closed for c in made)
        assert _open_cursors() == []
    else:
        assert made == []


def test_rebuilding_the_search_text_rewrites_only_what_differs(db, monkeypatch):
    """rebuild_all reads every asset through the stream and writes back only
    the texts that changed (a copied database holds them already)."""
    from app import listing
    from app.store import search
    d = district()
    _a, b = (asset(d, tag=f"QM-{n:06d}", name=f"Laptop {word}")
             for n, word in enumerate(("alpha", "zebra")))
    db.execute_sql(f"UPDATE asset SET search_text = '' WHERE id = {store.param()}", (b.id,))
    written: list = []
    real = search._write_docs

    def spy(rows):
        written.extend(rows)
        real(rows)
    monkeypatch.setattr(search, "_write_docs", spy)
    with db.atomic():
        search.rebuild_all()
    assert [r[0] for r in written] == [b.id]
    assert listing.query_ids("assets", {"search": "zebra"}) == [b.id]
