"""The bulk asset import's lean path: the second thread that indexes and logs
each page (bulk.Background), pages whose rows bring new models, rooms, people
and suppliers after the writer has started, and the backup taken beside the
import that must land before it commits."""
from __future__ import annotations

import sqlite3
import sys
import threading

import pytest

from app import backup, importing, listing
from app.importing.kinds import AssetHandler
from app.models import Asset, HistoryEntry, Loan, Person
from app.store import bulk, search
from app.store.db import db as database
from tests.app.factories import asset, district
from tests.app.test_import import _write


def _writer_alive() -> bool:
    return any(t.name == "qm-bulk-writer" for t in threading.enumerate())


def test_background_runs_in_order_and_hands_errors_back(sqlite_db):
    database.execute_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)")
    interval = sys.getswitchinterval()
    with database.atomic():
        with bulk.Background() as bg:
            assert bg.threaded and _writer_alive()
            for n in range(200):
                bg.run("INSERT INTO t (n, v) VALUES (?, ?)", (n, f"v{n}"))
            bg.run("UPDATE t SET v = 'last' WHERE n = (SELECT MAX(n) FROM t)")
            bg.wait()
            assert database.execute_sql("SELECT COUNT(*), MAX(v) FROM t").fetchone() == (200, "v99")
            assert database.execute_sql("SELECT v FROM t WHERE n = 199").fetchone() == ("last",)
            bg.run("INSERT INTO t (n, v) VALUES (?, ?)", (5, "twice"))  # a duplicate key
            with pytest.raises(sqlite3.IntegrityError):
                bg.wait()
            bg.run("INSERT INTO t (n, v) VALUES (?, ?)", (500, "after"))  # nothing runs after an error
            bg.wait()
    assert not _writer_alive() and sys.getswitchinterval() == interval
    assert database.execute_sql("SELECT COUNT(*) FROM t WHERE n = 500").fetchone() == (0,)


def test_background_left_by_an_error_drops_its_queue(sqlite_db):
    database.execute_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    with pytest.raises(RuntimeError, match="the caller's own"):
        with database.atomic():
            with bulk.Background() as bg:
                bg.run("INSERT INTO t (n) VALUES (1)")
                bg.run("INSERT INTO t (n) VALUES (1)")  # fails on the writer; the caller's error wins
                raise RuntimeError("the caller's own")
    assert not _writer_alive()
    assert database.execute_sql("SELECT COUNT(*) FROM t").fetchone() == (0,)  # rolled back whole


def test_background_runs_at_once_where_it_cannot_thread(db):
    database.execute_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    p = bulk.param()
    with bulk.Background(threaded=False) as bg:
        assert not bg.threaded and not _writer_alive()
        bg.run(f"INSERT INTO t (n) VALUES ({p})", (7,))
        assert database.execute_sql("SELECT n FROM t").fetchone() == (7,)  # no wait needed
        with pytest.raises(Exception):
            bg.run(f"INSERT INTO t (n) VALUES ({p})", (7,))


def test_late_pages_bring_new_places_models_people_and_untagged_rows(db, tmp_path, monkeypatch):
    """Small pages, so the writer is busy with earlier pages while later rows
    create what they need (each such write first waits for it): every asset
    still gets its own creation entry, loan and search text."""
    monkeypatch.setattr(AssetHandler, "PAGE", 25)
    d = district()
    old = [asset(d, tag=f"OLD-{n}") for n in range(3)]
    rows = [["Asset Tag", "Manufacturer", "Model", "Site", "Room", "Supplier", "Assigned To", "Notes"]]
    for n in range(300):
        page = n // 25
        rows.append([f"LP-{n:03d}" if n % 17 else "", f"Maker {page}", f"Model {page}",
                     f"Site {page % 4}", f"Room {page}", f"Vendor {page}",
                     f"Holder{page} Person" if n % 3 == 0 else "", f"note {n}"])
        if n % 100 == 50:  # an existing tag in the middle: an update (with --update)
            rows.append([old[n // 100].tag, "", "", "", "", "", "", f"updated at {n}"])
    done = importing.commit(_write(tmp_path / "late.csv", rows), update=True)
    assert (done.created, done.updated, done.problems) == (300, 3, [])

    new = {a.id: a for a in Asset.select().where(Asset.id.not_in([a.id for a in old]))}
    assert len(new) == 300 and all(a.tag for a in new.values())
    made = [e for e in HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                                   & (HistoryEntry.action == "create"))]
    assert sorted(e.entity_id for e in made if e.entity_id in new) == sorted(new)
    assert sum(e.entity_id in new for e in made) == 300  # one each, no more
    loans = {(ln.asset_id, ln.person_id) for ln in Loan.select().where(Loan.returned_at.is_null())}
    held = {(a.id, a.assigned_person_id) for a in new.values() if a.assigned_person_id}
    assert len(held) == 100 and held <= loans
    for page in (0, 5, 11):
        tagged = {a.id for a in new.values() if a.model.name == f"Model {page}"}
        assert len(tagged) == 25
        assert set(listing.query_ids("assets", {"search": f"model {page}"})) >= tagged
        assert {a.location.name for a in new.values() if a.id in tagged} == {f"Room {page}"}
        assert {a.supplier.name for a in new.values() if a.id in tagged} == {f"Vendor {page}"}
        holder = Person.get(Person.last_name == "Person", Person.first_name == f"Holder{page}")
        assert set(listing.query_ids("assets", {"search": f"holder{page}"})) == \
            {a.id for a in new.values() if a.assigned_person_id == holder.id}
    assert listing.query_ids("assets", {"search": "note 299"}) == \
        [next(a.id for a in new.values() if a.notes == "note 299")]
    assert Asset.get(Asset.tag == "OLD-1").notes == "updated at 150"
    assert listing.query_ids("assets", {"search": "updated at 250"}) == [old[2].id]


def test_a_failed_backup_refuses_the_import(sqlite_db, tmp_path, monkeypatch):
    d = district()
    asset(d)

    def broken(*a, **kw):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(backup, "snapshot", broken)
    path = _write(tmp_path / "ok.csv", [["Asset Tag", "Name"]] + [[f"B-{n}", "x"] for n in range(3000)])
    with pytest.raises(backup.BackupError, match="disk I/O error.*nothing was changed"):
        importing.commit(path)
    assert Asset.select().count() == 1 and not _writer_alive()
    assert listing.query_ids("assets", {"search": "B-1"}) == []


def test_a_refused_import_still_leaves_its_backup(sqlite_db, tmp_path):
    d = district()
    asset(d)
    path = _write(tmp_path / "bad.csv", [["Asset Tag", "Purchase Cost"], ["C-1", "10"], ["C-2", "lots"]])
    with pytest.raises(importing.ImportRefused):
        importing.commit(path)
    assert [b.reason for b in backup.list_backups()] == ["before-importing-bad-csv"]
    assert Asset.select().count() == 1


def test_search_text_leaves_out_a_part_already_in_it():
    assert search.asset_doc("Chromebook 3110", "Dell Chromebook 3110", None, "", "Dell", "RHS") == \
        "chromebook 3110 | dell chromebook 3110 | rhs"
    assert search.asset_doc(" A-1 ", "a-1", "Room 1") == "a-1 | room 1"
