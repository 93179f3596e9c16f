"""The asset import's PostgreSQL write path: pages sent by COPY on the second
thread (bulk.copy_data / Background.copy), and a big load into a register no
larger than the file, which drops asset's plain indexes and foreign keys and
makes them again before it commits (store.pgload). Each test re-reads what
landed; on SQLite the same imports take the plain path and must land alike."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg2
import pytest

from app import importing, listing
from app.importing.kinds import AssetHandler
from app.models import Asset, HistoryEntry, Loan, Location, Person
from app.store import bulk
from app.store.db import db as database
from tests.app.test_import import _write


def _is_pg() -> bool:
    import peewee as pw
    return isinstance(database.obj, pw.PostgresqlDatabase)


def _copy(table: str, columns: tuple[str, ...], rows: list) -> int:
    """The rows by COPY as the asset import sends a page (``Background.copy``
    runs the same ``send_copy`` on its thread); on SQLite, ``insert_rows``."""
    if not _is_pg():
        return bulk.insert_rows(table, columns, rows)
    data, count = bulk.copy_data(rows)
    bulk.send_copy(database.connection(), bulk.copy_statement(table, columns), data)
    return count


def test_copy_rows_land_exactly_as_given(db):
    """Text with the characters COPY escapes, empty text beside NULL, money,
    dates, stamps and booleans read back as they were written."""
    database.execute_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT, e TEXT, m NUMERIC(12, 2), "
                         "d DATE, at TIMESTAMP, b BOOLEAN)")
    texts = ["plain", "back\\slash", "tab\there", "two\nlines", "cr\r\nlf", "\\N", "", None,
             "ünïcödé | ’quotes’ \"and\" 'more'", "\\.", "ends with \\"]
    stamp = dt.datetime(2026, 12, 6, 20, 47, 6, 958594)
    rows = [(n, t, "" if n % 2 else None, Decimal("1234.50") if n % 3 else None,
             dt.date(2025, 9, n + 1), stamp, n % 2 == 0) for n, t in enumerate(texts)]
    with database.atomic():
        assert _copy("t", ("n", "s", "e", "m", "d", "at", "b"), rows) == len(rows)
    back = database.execute_sql("SELECT n, s, e, m, d, at, b FROM t ORDER BY n").fetchall()
    got = [(r[0], r[1], r[2], Decimal(str(r[3])) if r[3] is not None else None,
            r[4] if isinstance(r[4], dt.date) else dt.date.fromisoformat(r[4]),
            r[5] if isinstance(r[5], dt.datetime) else dt.datetime.fromisoformat(r[5]),
            bool(r[6])) for r in back]
    assert got == rows


def _pg_shape() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """asset's indexes and constraints as the catalog defines them."""
    indexes = set(database.execute_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset'").fetchall())
    keys = set(database.execute_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'asset'::regclass").fetchall())
    return indexes, keys


def _rows(n: int) -> list[list[str]]:
    rows = [["Asset Tag", "Serial", "Model", "Manufacturer", "Site", "Room", "Supplier",
             "Assigned To", "Assigned To ID", "Purchase Date", "Purchase Cost", "Notes"]]
    for i in range(n):
        held = i % 3 != 1
        rows.append([f"PG-{i:05d}", f"SN{i:07d}", f"Model {i % 9}", f"Maker {i % 4}",
                     f"Site {i % 3}", f"Room {i // 40}", f"Vendor {i % 5}",
                     f"Person{i // 6}, Pat" if held else "", f"S{i // 6:06d}" if held else "",
                     f"2024-0{1 + i % 9}-1{i % 10}", f"{100 + i % 50}.25",
                     f"note {i}\twith a tab" if i % 97 == 0 else f"note {i}"])
    return rows


@pytest.mark.parametrize("big", [True, False], ids=["big-load", "kept-indexes"])
def test_pages_cross_boundaries_and_land_whole(db, tmp_path, monkeypatch, big):
    """Pages of 40 rows, with holders (two assets each, the second pages
    later), rooms, models and suppliers arriving mid-file: every asset, its
    creation entry, loan and search text is there, and on PostgreSQL the
    indexes and foreign keys are exactly as before (made again by a big load)."""
    monkeypatch.setattr(AssetHandler, "PAGE", 40)
    monkeypatch.setattr(AssetHandler, "BIG_LOAD", 100 if big else 10**9)
    shape = _pg_shape() if _is_pg() else None
    n = 1_030
    done = importing.commit(_write(tmp_path / "pg.csv", _rows(n)))
    assert (done.created, done.problems) == (n, [])
    if shape is not None:
        assert _pg_shape() == shape

    assets = {a.tag: a for a in Asset.select()}
    assert len(assets) == n
    made = {e.entity_id for e in HistoryEntry.select().where(
        (HistoryEntry.entity == "asset") & (HistoryEntry.action == "create"))}
    assert made == {a.id for a in assets.values()}
    held = [a for a in assets.values() if a.assigned_person_id]
    assert len(held) == sum(1 for i in range(n) if i % 3 != 1)
    people = {p.id: p for p in Person.select()}
    assert len(people) == len({i // 6 for i in range(n) if i % 3 != 1})
    for a in held:
        i = int(a.tag[3:])
        assert people[a.assigned_person_id].id_number == f"S{i // 6:06d}"
    loans = {(ln.asset_id, ln.person_id) for ln in Loan.select().where(Loan.returned_at.is_null())}
    assert loans == {(a.id, a.assigned_person_id) for a in held}
    a = assets["PG-00970"]  # of the last pages
    assert (a.serial, a.model.name, a.location.name, a.site.name, a.supplier.name) == \
        ("SN0000970", "Model 7", "Room 24", "Site 1", "Vendor 0")
    assert a.purchase_date == dt.date(2024, 8, 10) and a.cost == Decimal("120.25")
    assert assets["PG-00097"].notes == "note 97\twith a tab"
    assert Location.select().where(Location.barcode.is_null()).count() == 0
    assert len({loc.name for loc in Location.select()}) == (n - 1) // 40 + 1
    assert listing.query_ids("assets", {"search": "person170"}) == \
        sorted(x.id for x in held if people[x.assigned_person_id].last_name == "Person170")
    assert listing.query_ids("assets", {"search": "sn0001029"}) == [assets["PG-01029"].id]


def test_a_refused_big_load_leaves_nothing_and_its_indexes(db, tmp_path, monkeypatch):
    """A file refused after many pages were written (a repeated tag near its
    end): nothing of it stays, and asset keeps every index and foreign key."""
    monkeypatch.setattr(AssetHandler, "PAGE", 40)
    monkeypatch.setattr(AssetHandler, "BIG_LOAD", 100)
    shape = _pg_shape() if _is_pg() else None
    rows = _rows(600)
    rows.append(list(rows[5]))  # PG-00005 again
    with pytest.raises(importing.ImportRefused):
        importing.commit(_write(tmp_path / "bad.csv", rows))
    assert Asset.select().count() == 0 and Person.select().count() == 0
    assert Loan.select().count() == 0 and Location.select().count() == 0
    if shape is not None:
        assert _pg_shape() == shape


def test_a_reader_never_sees_half_a_big_load(pg_url, tmp_path, monkeypatch):
    """While a big load runs, another workstation reading the register sees
    what was there before (or waits for the load), never part of it."""
    from app.store.db import close_database, open_database
    open_database(pg_url)
    try:
        monkeypatch.setattr(AssetHandler, "PAGE", 40)
        monkeypatch.setattr(AssetHandler, "BIG_LOAD", 100)
        seen: list[object] = []
        other = psycopg2.connect(pg_url)
        other.autocommit = True

        def progress(done: int, _total: int, _text: str) -> None:
            if done and done % 500 == 0:
                with other.cursor() as cur:
                    cur.execute("SET lock_timeout = '200ms'")
                    try:
                        cur.execute("SELECT COUNT(*) FROM asset")
                        seen.append(cur.fetchone()[0])
                    except psycopg2.errors.LockNotAvailable:
                        seen.append("waits")

        done = importing.commit(_write(tmp_path / "pg.csv", _rows(1_500)), progress=progress)
        assert done.created == 1_500 and seen
        assert set(seen) <= {0, "waits"}, seen
        with other.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM asset")
            assert cur.fetchone()[0] == 1_500
        other.close()
    finally:
        close_database()
