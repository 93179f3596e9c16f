"""The loaner pool and the one-step loaner swap: a swap and its reversal
(both loans, both statuses, the repair, history), the refusals, a back-dated
swap — each checked in the database, on both engines."""
from __future__ import annotations

import datetime as dt

import pytest

from app.models import Asset, HistoryEntry, Loan, LoanerSwap, Repair
from app.services import assets, catalog, loaners, people, repairs
from app.services.errors import Conflict, NotFound
from tests.app.factories import asset, district


def snapshot():
    """Everything a refusal must not change."""
    return (list(Asset.select().order_by(Asset.id).tuples()),
            list(Loan.select().order_by(Loan.id).tuples()),
            list(Repair.select().order_by(Repair.id).tuples()),
            LoanerSwap.select().count(), HistoryEntry.select().count())


@pytest.fixture
def setup(db):
    d = district()
    device = asset(d, serial="CB-STUDENT")
    pool = [asset(d, serial=f"CB-LOAN{i}") for i in range(3)]
    other_site = asset(d, location_id=d["r3"].id, serial="CB-LMS")
    assert loaners.set_loaner([a.id for a in pool] + [other_site.id]) == \
        [a.tag for a in pool] + [other_site.tag]
    vendor = catalog.create_supplier("CDW-G") if hasattr(catalog, "create_supplier") else None
    loan = assets.check_out(device.id, person_id=d["student"].id, due="2027-06-11",
                            agreement_signed=True, effective="2026-08-20")
    d.update(device=device, pool=pool, other_site=other_site, vendor=vendor, loan=loan)
    return d


def _open_loan(asset_id):
    return Loan.get_or_none((Loan.asset == asset_id) & Loan.returned_at.is_null())


def test_mark_and_unmark_loaners_with_history(setup):
    d = setup
    a = d["pool"][0]
    assert Asset.get_by_id(a.id).loaner is True
    rows = [h for h in HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                                   & (HistoryEntry.entity_id == a.id)
                                                   & (HistoryEntry.field == "loaner"))]
    assert [(h.old, h.new) for h in rows] == [("no", "yes")]
    assert loaners.set_loaner([a.id], on=False) == [a.tag]
    assert Asset.get_by_id(a.id).loaner is False
    assert loaners.set_loaner([a.id], on=False) == []  # already out of the pool: nothing to do
    old = asset(d)
    assets.retire(old.id)
    with pytest.raises(Conflict, match="retired"):
        loaners.set_loaner([a.id, old.id])
    assert Asset.get_by_id(a.id).loaner is False  # the batch is all or nothing


def test_pool_counts_free_and_out_per_site(setup):
    d = setup
    counts = {r["site"]: r for r in loaners.pool()}
    assert counts["Riverside High School"] == {"site_id": d["site"].id, "site": "Riverside High School",
                                               "loaners": 3, "free": 3, "out": 0, "unavailable": 0}
    assert counts["Lincoln Middle School"]["free"] == 1
    loaners.swap(d["device"].id, problem="cracked screen")
    rhs = {r["site"]: r for r in loaners.pool()}["Riverside High School"]
    assert (rhs["free"], rhs["out"]) == (2, 1)
    assert [a.tag for a in loaners.free_loaners(d["site"].id)] == [a.tag for a in d["pool"][1:]]


def test_swap_and_its_reversal(setup):
    d = setup
    device, student = d["device"], d["student"]
    first = loaners.swap(device.id, problem="cracked screen", vendor_id=None, by="tech")
    loaner = d["pool"][0]  # the first free loaner of the device's school, by tag
    assert (first.device_id, first.loaner_id, first.person_id, first.status) == \
        (device.id, loaner.id, student.id, "open")
    # The student's device is back in and in repair, with the problem.
    assert Asset.get_by_id(device.id).status == "in_repair"
    assert _open_loan(device.id) is None
    assert Loan.get_by_id(d["loan"].id).returned_at is not None
    rep = Repair.get_by_id(first.repair_id)
    assert (rep.asset_id, rep.problem, rep.status) == (device.id, "cracked screen", "open")
    # The loaner is out to the same student, due when the device was.
    lent = _open_loan(loaner.id)
    assert lent.id == first.loaner_loan_id and lent.person_id == student.id
    assert lent.due == dt.date(2027, 6, 11) and lent.agreement_signed
    assert Asset.get_by_id(loaner.id).status == "deployed"
    assert Asset.get_by_id(loaner.id).assigned_person_id == student.id
    # History on both assets and on the student.
    for entity, eid in (("asset", device.id), ("asset", loaner.id), ("person", student.id)):
        assert HistoryEntry.select().where((HistoryEntry.entity == entity)
                                           & (HistoryEntry.entity_id == eid)
                                           & (HistoryEntry.action == "loaner_swap")).count() == 1
    assert [r["id"] for r in loaners.list_swaps(open_only=True, person_id=student.id)] == [first.id]

    done = loaners.reverse(first.id, resolution="screen replaced")
    assert done.status == "reversed" and done.closed_at is not None and done.lent_back
    assert Repair.get_by_id(rep.id).status == "closed"
    assert _open_loan(loaner.id) is None
    assert Asset.get_by_id(loaner.id).status == "ready"
    back = _open_loan(device.id)
    assert back.person_id == student.id and back.due == dt.date(2027, 6, 11)
    assert Asset.get_by_id(device.id).status == "deployed"
    for entity, eid in (("asset", device.id), ("asset", loaner.id), ("person", student.id)):
        assert HistoryEntry.select().where((HistoryEntry.entity == entity)
                                           & (HistoryEntry.entity_id == eid)
                                           & (HistoryEntry.action == "loaner_return")).count() == 1
    assert loaners.list_swaps(open_only=True) == []
    # Reversing twice is refused, and changes nothing.
    before = snapshot()
    with pytest.raises(Conflict, match="already ended"):
        loaners.reverse(first.id)
    assert snapshot() == before


def test_closing_the_repair_reverses_the_swap(setup):
    d = setup
    sw = loaners.swap(d["device"].id, problem="keyboard")
    repairs.close_repair(sw.repair_id, cost="45", resolution="keyboard replaced")
    assert LoanerSwap.get_by_id(sw.id).status == "reversed"
    assert _open_loan(d["device"].id).person_id == d["student"].id
    assert _open_loan(sw.loaner_id) is None


def test_unrepairable_device_keeps_the_swap_open_until_ended(setup):
    d = setup
    sw = loaners.swap(d["device"].id, problem="water damage")
    repairs.close_repair(sw.repair_id, repaired=False)
    assert LoanerSwap.get_by_id(sw.id).status == "open"
    assert _open_loan(sw.loaner_id).person_id == d["student"].id  # the student keeps the loaner
    done = loaners.reverse(sw.id)
    assert not done.lent_back and _open_loan(d["device"].id) is None
    assert _open_loan(sw.loaner_id) is None


def test_swap_with_a_scanned_loaner_and_find_by_tag(setup):
    d = setup
    chosen = d["pool"][2]
    sw = loaners.swap(d["device"].id, loaner_id=chosen.id, problem="hinge")
    assert sw.loaner_id == chosen.id
    assert loaners.find(chosen.tag).id == sw.id
    assert loaners.find(d["device"].tag).id == sw.id
    assert loaners.find(str(sw.id)).id == sw.id
    with pytest.raises(NotFound):
        loaners.find(d["pool"][0].tag)


def test_refusals_change_nothing(setup):
    d = setup
    staff_device = asset(d)
    room_device = asset(d)
    assets.check_out(room_device.id, location_id=d["r2"].id)
    plain = asset(d)
    before = snapshot()
    with pytest.raises(Conflict, match="not checked out to a student"):
        loaners.swap(staff_device.id, problem="broken")
    with pytest.raises(Conflict, match="not checked out to a student"):
        loaners.swap(room_device.id, problem="broken")
    with pytest.raises(Conflict, match="not in the loaner pool"):
        loaners.swap(d["device"].id, loaner_id=plain.id, problem="broken")
    assert snapshot() == before
    # A loaner already out.
    other = people.create(first_name="Ana", last_name="Ruiz", id_number="S2000002", kind="student")
    assets.check_out(d["pool"][0].id, person_id=other.id)
    before = snapshot()
    with pytest.raises(Conflict, match="already out to Ana Ruiz"):
        loaners.swap(d["device"].id, loaner_id=d["pool"][0].id, problem="broken")
    assert snapshot() == before
    # No free loaner at the school: the other two are lent too.
    for a in d["pool"][1:]:
        assets.check_out(a.id, person_id=other.id)
    before = snapshot()
    with pytest.raises(Conflict, match="No free loaner at Riverside High School"):
        loaners.swap(d["device"].id, problem="broken")
    assert snapshot() == before
    # A loaner from the other school, scanned, is fine.
    sw = loaners.swap(d["device"].id, loaner_id=d["other_site"].id, problem="broken")
    with pytest.raises(Conflict, match="already in loaner swap"):
        loaners.swap(d["device"].id, problem="again")
    with pytest.raises(Conflict, match="lent in loaner swap"):
        loaners.set_loaner([d["other_site"].id], on=False)
    assert sw.status == "open"


def test_back_dated_swap_and_return(setup):
    d = setup
    sw = loaners.swap(d["device"].id, problem="battery", effective="2026-10-01")
    day = dt.date(2026, 10, 1)
    rep = Repair.get_by_id(sw.repair_id)
    assert rep.reported == day
    assert loaners.list_swaps()[0]["opened"] == day
    lent = Loan.get_by_id(sw.loaner_loan_id)
    from app.services.history import local_day
    assert local_day(lent.out_at) == day
    assert local_day(Loan.get_by_id(d["loan"].id).returned_at) == day
    entries = HistoryEntry.select().where(HistoryEntry.action == "loaner_swap")
    assert {h.effective for h in entries} == {day}
    # It cannot end before it began.
    before = snapshot()
    with pytest.raises(Exception, match="2026-09-30"):
        loaners.reverse(sw.id, effective="2026-09-30")
    assert snapshot() == before
    done = loaners.reverse(sw.id, effective="2026-10-15")
    assert Repair.get_by_id(rep.id).returned == dt.date(2026, 10, 15)
    again = _open_loan(d["device"].id)
    assert local_day(again.out_at) == dt.date(2026, 10, 15)
    assert local_day(Loan.get_by_id(sw.loaner_loan_id).returned_at) == dt.date(2026, 10, 15)
    assert loaners.list_swaps()[0]["closed"] == dt.date(2026, 10, 15)
    assert done.lent_back
    # A swap before the device went out is refused by check-in's own rule.
    with pytest.raises(Exception):
        loaners.swap(d["device"].id, problem="x", effective="2026-08-01")


def test_asset_filter_loaners(setup):
    from app import listing
    d = setup
    ids = listing.query_ids("assets", {"loaner": "all"})
    assert set(ids) == {a.id for a in d["pool"]} | {d["other_site"].id}
    loaners.swap(d["device"].id, problem="screen")
    assert set(listing.query_ids("assets", {"loaner": "out"})) == {d["pool"][0].id}
    assert d["pool"][0].id not in listing.query_ids("assets", {"loaner": "free"})


def test_two_desks_swapping_at_once_lend_two_different_loaners(setup):
    """Another workstation's swap is still open (its transaction holds the
    first free loaner): this one takes the next free loaner rather than
    waiting for a row it then cannot use (PostgreSQL) or reads after it
    (SQLite waits for the writer)."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    from app.store.db import current_target
    d = setup
    second = asset(d)
    other = people.create(first_name="Ana", last_name="Ruiz", id_number="S2000002", kind="student")
    assets.check_out(second.id, person_id=other.id, effective="2026-08-20")
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from app.store.db import open_database, db
        from app.services import loaners
        open_database(sys.argv[1])
        with db.atomic():
            sw = loaners.swap({d["device"].id}, problem="screen")
            print(sw.loaner_id, flush=True)
            time.sleep(1.5)
        """), current_target()], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        first_loaner = int(holder.stdout.readline())
        mine = loaners.swap(second.id, problem="keyboard")
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0
    assert first_loaner == d["pool"][0].id
    assert mine.loaner_id == d["pool"][1].id
    assert LoanerSwap.select().count() == 2


def test_the_loaner_goes_out_with_its_kit_and_comes_back_with_it(setup):
    """With kits (branch n-kits-fees): the loaner's kit parts go out on its
    loan, the device's come back, and the reversal turns both around."""
    kits = pytest.importorskip("app.services.kits")
    d = setup
    kits.set_parts(d["model"].id, [("Charger", 1, "25.00"), ("Case", 1, "18.00")])
    device_loan = assets.check_out(asset(d).id, person_id=d["staff"].id)  # a kit on a loan
    assert {p.state for p in kits.loan_parts(device_loan.id)} == {"out"}
    assets.check_in(d["device"].id)
    first = assets.check_out(d["device"].id, person_id=d["student"].id)
    sw = loaners.swap(d["device"].id, problem="screen")
    parts = lambda loan_id: sorted((p.name, p.state) for p in kits.loan_parts(loan_id))  # noqa: E731
    assert parts(first.id) == [("Case", "returned"), ("Charger", "returned")]
    assert parts(sw.loaner_loan_id) == [("Case", "out"), ("Charger", "out")]
    loaners.reverse(sw.id)
    assert parts(sw.loaner_loan_id) == [("Case", "returned"), ("Charger", "returned")]
    again = _open_loan(d["device"].id)
    assert parts(again.id) == [("Case", "out"), ("Charger", "out")]


def test_a_repair_already_open_becomes_the_swaps_repair(setup):
    d = setup
    rep = repairs.open_repair(d["device"].id, "flickering screen")  # the student kept it meanwhile
    sw = loaners.swap(d["device"].id, problem="flickering screen, worse")
    assert sw.repair_id == rep.id and Repair.select().count() == 1
    assert Asset.get_by_id(d["device"].id).status == "in_repair"
    repairs.close_repair(rep.id)
    assert LoanerSwap.get_by_id(sw.id).status == "reversed"
    assert _open_loan(d["device"].id).person_id == d["student"].id
    assert Asset.get_by_id(d["device"].id).status == "deployed"
