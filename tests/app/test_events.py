"""Distribution and collection days (app.services.events), on both engines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import HistoryEntry, Loan, Person
from app.models.program import EventScan
from app.services import assets, events, fees, kits, people, prices
from app.services.errors import Conflict, ValidationError
from tests.app.factories import asset, district


def student(d, idn, first, last, homeroom="Room 12", grade="9", site="site", **kw):
    p = people.create(first_name=first, last_name=last, id_number=idn, kind="student",
                      site_id=d[site].id, grade=grade)
    Person.update(homeroom=homeroom, **kw).where(Person.id == p.id).execute()
    return p


@pytest.fixture
def day(db):
    d = district()
    d["ana"] = student(d, "S1", "Ana", "Lopez", "Room 12")
    d["ben"] = student(d, "S2", "Ben", "Wu", "Room 12")
    d["cai"] = student(d, "S3", "Cai", "Ng", "Library")
    d["far"] = student(d, "S9", "Far", "Away", "Room 5", site="other")
    d["gone"] = student(d, "S4", "Gil", "Left", "Room 12", enrolment="withdrawn",
                        withdrawn_on=dt.date(2026, 3, 1))
    kits.set_parts(d["model"].id, [("Charger", 1, "35.00"), ("Case", 1, "25.00")])
    d["devices"] = [asset(d) for _ in range(5)]
    return d


def test_a_whole_distribution(day):
    due = dt.date.today() + dt.timedelta(days=200)
    ev = events.start("distribution", "RHS", due=due, by="tech")
    a1, a2, a3, a4, _a5 = day["devices"]

    r = events.scan(ev.id, " s1 ", station="A")  # scanner case and whitespace
    assert (r.verdict, r.tone, r.person_id) == ("student", "ok", day["ana"].id)
    assert "Now scan their device" in r.detail
    r = events.scan(ev.id, a1.tag.lower(), station="A")
    assert (r.verdict, r.tone) == ("lent", "ok")
    loan = Loan.get_by_id(r.loan_id)
    assert loan.person_id == day["ana"].id and loan.asset_id == a1.id and loan.due == due
    assert loan.returned_at is None and loan.agreement_signed and loan.agreement_status == "signed"
    assert "agreement: signed" in r.detail and "with Charger, Case" in r.detail
    assert [(p.name, p.state) for p in kits.loan_parts(loan.id)] == [("Charger", "out"),
                                                                     ("Case", "out")]

    # Two stations, each with its own student.
    assert events.scan(ev.id, "S2", station="A").verdict == "student"
    assert events.scan(ev.id, "S3", station="B").verdict == "student"
    r = events.scan(ev.id, a2.tag, station="B", agreement="refused")
    assert r.verdict == "lent_refused" and r.tone == "warn" and r.person_id == day["cai"].id
    assert not Loan.get_by_id(r.loan_id).agreement_signed
    assert Loan.get_by_id(r.loan_id).agreement_status == "refused"
    assert EventScan.get_by_id(r.scan_id).agreement == "refused"  # the refusal is recorded
    assert events.scan(ev.id, a3.tag, station="A").person_id == day["ben"].id

    # Refusals: clear verdicts, nothing written.
    before = (EventScan.select().count(), Loan.select().count())
    r = events.scan(ev.id, a4.tag, station="A")
    assert (r.verdict, r.tone) == ("no_student", "error") and not r.written
    r = events.scan(ev.id, "S1", station="A")
    assert r.verdict == "has_device" and a1.tag in r.text
    r = events.scan(ev.id, "S4", station="A")
    assert r.verdict == "withdrawn"
    r = events.scan(ev.id, "E100", station="A")
    assert r.verdict == "not_student"
    r = events.scan(ev.id, "NOPE-999", station="A")
    assert r.verdict == "unknown" and r.tone == "error"
    assert (EventScan.select().count(), Loan.select().count()) == before

    # A student of another school: warned, and still served.
    r = events.scan(ev.id, "S9", station="A")
    assert (r.verdict, r.tone) == ("student_elsewhere", "warn") and "Lincoln" in r.detail
    # A device already out: refused, and the student keeps waiting.
    r = events.scan(ev.id, a1.tag, station="A")
    assert r.verdict == "device_out" and "Ana Lopez" in r.text and not r.written
    assert events.waiting_student(ev.id, "A") == day["far"].id
    r = events.scan(ev.id, a4.tag, station="A", agreement="waiver")
    assert r.verdict == "lent" and "waiver on file" in r.detail

    st = events.status(ev.id)
    rooms = {g["homeroom"]: g for g in st["homerooms"]}
    assert rooms["Room 12"]["students"] == 2 and rooms["Room 12"]["received"] == 2  # Gil withdrew
    assert rooms["Library"]["received"] == 1
    assert st["totals"]["not_yet"] == 0 and st["agreements"]["refused"] == 1
    # History: the check-out is in the asset's history, the event's start too.
    assert HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                       & (HistoryEntry.entity_id == a1.id)
                                       & (HistoryEntry.action == "check_out")).exists()
    assert HistoryEntry.select().where(HistoryEntry.entity == "program_event").exists()

    events.close(ev.id)
    with pytest.raises(Conflict):
        events.scan(ev.id, "S2", station="A")
    with pytest.raises(Conflict):
        events.close(ev.id)


def test_picked_student_and_not_yet(day):
    ev = events.start("distribution", day["site"].id, homeroom="room 12")
    st = events.status(ev.id)
    assert st["totals"] == {"students": 2, "received": 0, "had_device": 0, "not_yet": 2}
    assets.check_out(day["devices"][0].id, person_id=day["ben"].id)  # had one already
    assert events.totals(ev.id) == {"kind": "distribution", "students": 2, "received": 0,
                                    "refused": 0, "not_yet": 1}
    assert events.status(ev.id)["totals"]["had_device"] == 1
    r = events.scan(ev.id, "", person_id=day["cai"].id, station="X")
    assert r.verdict == "student_elsewhere" and "homeroom Library" in r.detail
    picks = events.students(ev.id, "lop")
    assert [p["id_number"] for p in picks] == ["S1"]


def test_bad_input_is_refused(day):
    with pytest.raises(ValidationError):
        events.start("party", "RHS")
    with pytest.raises(Exception, match="No site"):
        events.start("collection", "Hogwarts")
    ev = events.start("collection", "RHS")
    with pytest.raises(ValidationError, match="Unknown damage"):
        events.scan(ev.id, day["devices"][0].tag, damage=["teeth"])
    with pytest.raises(ValidationError):
        events.scan(ev.id, "   ")


def test_collection_withdrawn_first(day):
    a1, a2, a3, a4, a5 = day["devices"]
    assets.check_out(a1.id, person_id=day["ana"].id)
    assets.check_out(a2.id, person_id=day["ben"].id)
    assets.check_out(a3.id, person_id=day["cai"].id)
    assets.check_out(a4.id, person_id=day["gone"].id, effective=None)
    ev = events.start("collection", "RHS")
    st = events.status(ev.id)
    assert [r["tag"] for r in st["outstanding"]][0] == a4.tag  # the withdrawn student first
    assert st["outstanding"][0]["withdrawn"]
    r = events.scan(ev.id, a1.tag)
    assert (r.verdict, r.tone) == ("returned", "ok") and r.person_id == day["ana"].id
    assert Loan.get_by_id(r.loan_id).returned_at is not None
    assert assets.get(a1.id).status == "ready"
    r = events.scan(ev.id, a1.tag)
    assert r.verdict == "already_returned" and not r.written
    r = events.scan(ev.id, a5.tag)
    assert r.verdict == "not_out"
    r = events.scan(ev.id, "S2")
    assert r.verdict == "not_device" and a2.tag in r.detail
    prices.set_price("screen", "80.00")
    prices.set_price("hinge", "40.00")
    r = events.scan(ev.id, a2.tag, damage="screen,hinge")
    assert r.verdict == "returned_damaged" and r.tone == "warn"
    assert "screen, hinge" in r.detail and "fee $120.00 owed" in r.detail
    charged = fees.for_loan(r.loan_id)
    assert sorted((f.part, f.amount, f.status, f.event_id) for f in charged) == [
        ("hinge", Decimal("40.00"), "owed", ev.id), ("screen", Decimal("80.00"), "owed", ev.id)]
    assert all(f.person_id == day["ben"].id for f in charged)
    s = EventScan.get_by_id(r.scan_id)
    assert s.condition == "damaged" and s.damage == ["screen", "hinge"]
    assert Loan.get_by_id(r.loan_id).condition_in == "damaged"
    assert Loan.get_by_id(r.loan_id).damage == ["screen", "hinge"]
    # A part that did not go out: refused with the loan's own parts named, nothing written.
    r = events.scan(ev.id, a3.tag, missing_parts=["stylus"])
    assert r.verdict == "refused" and "Charger, Case" in r.detail and not r.written
    r = events.scan(ev.id, a3.tag, missing_parts="charger")
    assert r.verdict == "returned_damaged" and "missing: Charger" in r.detail
    assert {p.name: p.state for p in kits.loan_parts(r.loan_id)} == {"Charger": "missing",
                                                                     "Case": "returned"}
    assert [(f.kind, f.part, f.amount) for f in fees.for_loan(r.loan_id)] == [
        ("missing_part", "Charger", Decimal("35.00"))]  # the kit part's own cost
    st = events.status(ev.id)
    assert st["fees"]["owed"]["count"] == 3
    st = events.status(ev.id)
    assert st["totals"]["returned"] == 3 and st["totals"]["damaged"] == 2
    assert st["totals"]["outstanding"] == 1 and st["totals"]["withdrawn"] == 1
    assert [r["tag"] for r in st["outstanding"]] == [a4.tag]


def test_a_closed_collection_keeps_what_was_outstanding(day):
    a1, a2, *_ = day["devices"]
    assets.check_out(a1.id, person_id=day["ana"].id)
    ev = events.start("collection", "RHS")
    assets.check_out(a2.id, person_id=day["ben"].id)  # lent after the collection began
    assert [r["tag"] for r in events.status(ev.id)["outstanding"]] == [a1.tag]
    events.close(ev.id)
    assets.check_in(a1.id)  # brought back to the office in July
    st = events.status(ev.id)
    assert [r["tag"] for r in st["outstanding"]] == [a1.tag]  # still what the day missed
    assert events.totals(ev.id)["outstanding"] == 1
