"""Faults during bulk writes: whatever fails, on whichever thread, the one
transaction goes back whole and no row lands outside it.

SQLITE_FULL is made deterministic with ``PRAGMA max_page_count`` (the file may
not grow past N pages, as on a full disk); the database file afterwards is
byte-for-byte what it was before."""
from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

import pytest

from app import importing
from app.services.errors import StorageError
from app.store import bulk
from app.store.db import close_database, open_database
from tests.app.factories import asset, district

ROWS = 3_000


def _people_and_assets(tmp_path) -> Path:
    csv = tmp_path / "big.csv"
    with csv.open("w", encoding="utf-8") as f:
        f.write("Asset Tag,Name,Serial,Cost,Assigned To,Notes\n")
        for i in range(ROWS):
            holder = "Ada Lovelace" if i % 7 == 0 else ""
            f.write(f"F-{i:06d},Chromebook {i},SN{i:08d},249.00,{holder},row {i} {'n' * 40}\n")
    return csv


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    monkeypatch.setenv("QM_NO_AUTO_BACKUP", "1")
    path = tmp_path / "inv.sqlite"
    open_database(path)
    d = district()
    for i in range(30):
        asset(d, name=f"Before {i}")
    close_database()
    return path


def _settle(path: Path) -> None:
    """Whatever the WAL holds as committed goes into the file (and the WAL
    away), so comparing the file's bytes compares everything saved."""
    gc.collect()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    assert not Path(str(path) + "-wal").exists()


def _pages_needed(path: Path, csv: Path, tmp_path: Path) -> tuple[int, int]:
    """(pages before, pages after) a successful import, measured on a copy."""
    probe = tmp_path / "probe.sqlite"
    probe.write_bytes(path.read_bytes())
    database = open_database(probe)
    before = database.execute_sql("PRAGMA page_count").fetchone()[0]
    importing.commit(csv)
    after = database.execute_sql("PRAGMA page_count").fetchone()[0]
    close_database()
    return before, after


def test_disk_full_at_any_point_of_an_import_leaves_the_file_byte_identical(seeded, tmp_path):
    csv = _people_and_assets(tmp_path)
    before_pages, after_pages = _pages_needed(seeded, csv, tmp_path)
    assert after_pages - before_pages > 40
    original = seeded.read_bytes()
    grow = after_pages - before_pages
    # Spread over the import: the first page, the middle pages on either
    # thread, the index, the history, the last page and the commit.
    budgets = sorted({1, 2, 5, grow // 8, grow // 4, grow // 3, grow // 2, 2 * grow // 3,
                      3 * grow // 4, grow - 10, grow - 2, grow - 1})
    refused = 0
    for extra in budgets:
        database = open_database(seeded)
        database.execute_sql(f"PRAGMA max_page_count = {before_pages + extra}")
        with pytest.raises(StorageError) as err:
            importing.commit(csv)
        refused += 1
        assert "disk is full" in str(err.value) and "nothing" in str(err.value)
        del err  # its traceback holds the failed write's cursor, and so the file, open
        close_database()
        _settle(seeded)
        assert seeded.read_bytes() == original, f"the file changed at +{extra} pages"
    assert refused == len(budgets)
    open_database(seeded)  # and with room, the same file imports whole
    importing.commit(csv)
    close_database()
    con = sqlite3.connect(seeded)
    assert con.execute("SELECT COUNT(*) FROM asset WHERE tag LIKE 'F-%'").fetchone()[0] == ROWS
    assert con.execute("SELECT COUNT(*) FROM history_entry h JOIN asset a ON a.id = h.entity_id "
                       "AND h.entity = 'asset' WHERE a.tag LIKE 'F-%'").fetchone()[0] == ROWS
    con.close()


def test_an_io_error_in_the_background_writer_stops_both_threads(seeded, tmp_path, monkeypatch):
    """The second thread's statement fails the way SQLite fails on an I/O
    error: the transaction is rolled back under the caller, who goes on
    preparing pages. Not one of them may be saved."""
    csv = _people_and_assets(tmp_path)
    original = seeded.read_bytes()
    real_run = bulk.Background.run
    calls = {"n": 0}

    def failing_run(self, sql, params=()):
        calls["n"] += 1
        if calls["n"] == 4 and self.threaded:  # the second page's history
            def boom(conn=self.conn):
                conn.execute("ROLLBACK")  # what SQLite does by itself on SQLITE_IOERR
                raise sqlite3.OperationalError("disk I/O error")
            self._queue.put(("__boom__", boom, None))
            return
        return real_run(self, sql, params)

    real_work = bulk.Background._work

    def work(self):
        # Run the injected fault where the writer runs its statements.
        cur_execute = None

        class Cursor:
            def __init__(self, inner):
                self.inner = inner

            def execute(self, sql, params=()):
                if sql == "__boom__":
                    return params()
                return self.inner.execute(sql, params)

        conn = self.conn
        nonlocal_conn = conn

        class Conn:
            def __getattr__(self, name):
                return getattr(nonlocal_conn, name)

            def __setattr__(self, name, value):
                setattr(nonlocal_conn, name, value)

            def cursor(self):
                return Cursor(nonlocal_conn.cursor())

        del cur_execute
        self.conn = Conn()
        try:
            return real_work(self)
        finally:
            self.conn = nonlocal_conn

    monkeypatch.setattr(bulk.Background, "run", failing_run)
    monkeypatch.setattr(bulk.Background, "_work", work)
    database = open_database(seeded)
    assert database.connection().in_transaction is False
    with pytest.raises(StorageError, match="I/O error.*nothing from this action was saved"):
        importing.commit(csv)
    close_database()
    _settle(seeded)
    assert calls["n"] >= 4
    assert seeded.read_bytes() == original


def test_insert_rows_refuses_to_run_outside_a_transaction(sqlite_db):
    with pytest.raises(RuntimeError):
        bulk.insert_rows("site", ("name",), [("Nowhere",)])


def _counters_masked(data: bytes) -> bytes:
    """The file with its header's change counter and the version number
    beside it blanked: a transaction under a rollback journal counts itself
    there even when it is rolled back; they say nothing of the content."""
    return data[:24] + bytes(4) + data[28:92] + bytes(4) + data[96:]


@pytest.mark.parametrize("direct", [False, True], ids=["wal", "rollback-journal"])
@pytest.mark.parametrize("extra", [3, 40, 200])
def test_disk_full_during_demo_data_leaves_the_file_as_it_was(tmp_path, monkeypatch, extra, direct):
    """A small demo loads through the write-ahead log, a large one under a
    rollback journal (app.demo._direct_writes): either way a full disk leaves
    the file's content as it was, and it is back in WAL mode."""
    import app.demo
    from app.demo import build_demo
    monkeypatch.setattr(app.demo, "DIRECT_WRITES_FROM", 0 if direct else 10**9)
    monkeypatch.setenv("QM_NO_AUTO_BACKUP", "1")
    path = tmp_path / "empty.sqlite"
    open_database(path)
    close_database()
    _settle(path)
    original = path.read_bytes()
    database = open_database(path)
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages + extra}")
    with pytest.raises(StorageError, match="disk is full"):
        build_demo(assets=1500)
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    close_database()
    _settle(path)
    if direct:
        assert _counters_masked(path.read_bytes()) == _counters_masked(original)
    else:
        assert path.read_bytes() == original


def test_disk_full_while_applying_a_stocktake_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    """Applying moves, marks missing and creates the unknown tags (each in a
    savepoint): a full disk in any of them fails the whole apply, not one row."""
    from app.services import stocktake
    monkeypatch.setenv("QM_NO_AUTO_BACKUP", "1")
    path = tmp_path / "st.sqlite"
    open_database(path)
    d = district()
    tags = [asset(d, location_id=d["r2"].id, notes="n" * 2000).tag for _ in range(60)]
    s = stocktake.start("Riverside High School", name="Year end")
    stocktake.record_scan(s.id, d["r1"].barcode)
    for tag in tags:  # all found in the wrong room: every one is moved
        stocktake.record_scan(s.id, tag)
    for n in range(40):
        stocktake.record_scan(s.id, f"UNKNOWN-{n:03d}")
    stocktake.close(s.id)
    close_database()
    _settle(path)
    original = path.read_bytes()
    for extra in (1, 4, 12):
        database = open_database(path)
        pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
        database.execute_sql(f"PRAGMA max_page_count = {pages + extra}")
        with pytest.raises(StorageError, match="disk is full"):
            stocktake.apply(s.id, "move-misplaced,mark-missing,create-unknown")
        close_database()
        _settle(path)
        assert path.read_bytes() == original, f"the file changed at +{extra} pages"


def test_disk_full_in_an_update_import_row_fails_the_whole_import(seeded, tmp_path):
    """Updates go row by row in savepoints that turn a refusal into that row's
    problem; a full disk is no row's problem: the import fails whole."""
    con = sqlite3.connect(seeded)
    tags = [t for (t,) in con.execute("SELECT tag FROM asset ORDER BY id")]
    con.close()
    csv = tmp_path / "update.csv"
    with csv.open("w", encoding="utf-8") as f:
        f.write("Asset Tag,Name,Notes\n")
        for i, tag in enumerate(tags):
            f.write(f"{tag},Renamed {i},{'u' * 3000}\n")
    original = seeded.read_bytes()
    for extra in (1, 3, 6):
        database = open_database(seeded)
        pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
        database.execute_sql(f"PRAGMA max_page_count = {pages + extra}")
        with pytest.raises(StorageError, match="disk is full") as err:
            importing.commit(csv, update=True)
        del err
        close_database()
        _settle(seeded)
        assert seeded.read_bytes() == original, f"the file changed at +{extra} pages"
