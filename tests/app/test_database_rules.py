"""Schema step 8: the rules kept by the database itself, on both engines.

A database an older version left broken (two open loans of one asset, an
asset counted twice in a stocktake, more seats than owned, stock below zero)
is repaired deterministically on upgrade, each change noted in history, and
``check`` is clean afterwards. Then the constraints refuse any writer that
skips the services' checks, and the services turn that refusal into their
usual readable Conflict.
"""
from __future__ import annotations

import pytest

from app.check import run_checks
from app.models import HistoryEntry, License, Loan, Seat, StocktakeScan, Supply
from app.services import assets, licenses, stock, stocktake
from app.services.base import transaction
from app.services.errors import Conflict
from app.store import migrations
from app.store.db import close_database, current_target, is_sqlite, open_database
from tests.app.factories import asset, district


def _drop_rules(database) -> None:
    """Make the database look like one from before step 8 (no constraints)."""
    ex = database.execute_sql
    ex("DROP INDEX IF EXISTS loan_one_open_per_asset")
    ex("DROP INDEX IF EXISTS stocktake_scan_one_counted")
    if is_sqlite():
        for name in ("seat_within_owned_insert", "seat_within_owned_move", "seat_within_owned_license",
                     "supply_on_hand_not_negative_insert", "supply_on_hand_not_negative_update"):
            ex(f"DROP TRIGGER IF EXISTS {name}")
    else:
        ex("DROP TRIGGER IF EXISTS seat_within_owned ON seat")
        ex("DROP TRIGGER IF EXISTS seat_within_owned_move ON seat")
        ex("DROP TRIGGER IF EXISTS seat_within_owned ON license")
        ex("ALTER TABLE supply DROP CONSTRAINT IF EXISTS supply_on_hand_not_negative")
    ex("DELETE FROM qm_schema")
    ex("INSERT INTO qm_schema (version, description, applied_at) VALUES (6, 'old', '2026-01-01')")


def test_upgrade_repairs_what_an_old_version_let_through(db):
    d = district()
    a, b = asset(d), asset(d)
    pcs = [asset(d) for _ in range(3)]
    first = assets.check_out(a.id, person_id=d["staff"].id)
    session = stocktake.start(site_id=d["site"].id)
    stocktake.record_scan(session.id, a.tag, workstation="one")
    lic = licenses.create(product="Office", seats=2)
    item = stock.create(name="Paper", barcode="P-1")
    with db.atomic():
        _drop_rules(db)
        # What two workstations racing at READ COMMITTED used to leave behind.
        second = Loan.create(asset=a.id, person=d["student"].id)
        StocktakeScan.insert(session=session.id, code=a.tag, asset=a.id, verdict="verified",
                             by="x").execute()
        for pc in pcs:
            Seat.create(license=lic.id, asset=pc.id)
        Supply.update(on_hand=-3).where(Supply.id == item.id).execute()
    assert len(run_checks()) >= 3
    target = current_target()
    close_database()
    database = open_database(target)
    try:
        assert migrations.current_version(database) == migrations.LATEST
        assert run_checks() == []
        # The loan that matches the asset's holder (the staff member) stays open.
        assert Loan.get_by_id(first.id).returned_at is None
        closed = Loan.get_by_id(second.id)
        assert closed.returned_at == closed.out_at and "upgrade" in closed.notes
        verdicts = [v for (v,) in StocktakeScan.select(StocktakeScan.verdict)
                    .where(StocktakeScan.asset == a.id).order_by(StocktakeScan.id).tuples()]
        assert verdicts == ["verified", "duplicate"]
        assert License.get_by_id(lic.id).allow_over is True
        assert Supply.get_by_id(item.id).on_hand == 0
        notes = [n for (n,) in HistoryEntry.select(HistoryEntry.note)
                 .where(HistoryEntry.note.contains("schema step 8")).tuples()]
        assert len(notes) == 4
        # And from now on the rules hold whoever writes.
        with pytest.raises(Conflict, match="already checked out"):
            assets.check_out(a.id, person_id=d["student"].id)
        assert b.id
    finally:
        close_database()


def test_the_database_refuses_a_writer_that_skips_the_checks(db):
    d = district()
    a = asset(d)
    pc1, pc2 = asset(d), asset(d)
    assets.check_out(a.id, person_id=d["staff"].id)
    with pytest.raises(Conflict, match="already checked out"), transaction():
        Loan.create(asset=a.id, person=d["student"].id)
    session = stocktake.start(site_id=d["site"].id)
    stocktake.record_scan(session.id, a.tag, workstation="one")
    with pytest.raises(Conflict, match="already counted in this stocktake"), transaction():
        StocktakeScan.insert(session=session.id, code=a.tag, asset=a.id,
                             verdict="misplaced").execute()
    lic = licenses.create(product="Office", seats=1)
    licenses.assign(lic.id, asset_id=pc1.id)
    with pytest.raises(Conflict, match="Every seat of that license is in use"), transaction():
        Seat.create(license=lic.id, asset=pc2.id)
    with pytest.raises(Conflict, match="in use"):
        licenses.update(lic.id, {"seats": 0})
    with pytest.raises(Conflict, match="Every seat of that license is in use"), transaction():  # lowering the count under the seats in use, behind the service
        License.update(seats=0).where(License.id == lic.id).execute()
    item = stock.create(name="Toner", barcode="T-1")
    stock.receive(item.id, 2)
    with pytest.raises(Conflict, match="stock cannot go below zero"), transaction():
        Supply.update(on_hand=Supply.on_hand - 5).where(Supply.id == item.id).execute()
    # Nothing of the refused writes is there.
    assert run_checks() == []
    assert Seat.select().where(Seat.license == lic.id).count() == 1
    assert stock.get(item.id).on_hand == 2
    # Allowing over-allocation lifts the seat rule, as before.
    licenses.update(lic.id, {"allow_over": True})
    licenses.assign(lic.id, asset_id=pc2.id)
    assert licenses.seats_used(lic.id) == 2
