"""Damage fees: the price list, a damaged or incomplete return charged with
first-incident forgiveness and insurance, payments with receipts, waivers —
on both engines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import Fee, FeePayment, HistoryEntry, Person
from app.services import assets, fees, history, kits, people, prices, settings
from app.services.errors import Conflict, NotFound, ValidationError
from tests.app.factories import asset, district

D = Decimal


def program(**rules):
    """A district with a Chromebook kit and the demo's price list."""
    d = district()
    kits.set_parts(d["model"].id, [("Charger", 1, "25.00"), ("Case", 1, "20.00")])
    kits.set_replacement_cost(d["model"].id, "300")
    for part, amount in (("screen", "45"), ("keyboard", "35"), ("hinge", "25"), ("port", "30")):
        prices.set_price(part, amount)
    settings.update({f"fees_{k}": v for k, v in rules.items()})
    return d


def returned(d, student_id=None, damage=None, missing=None, **kw):
    a = asset(d)
    loan = assets.check_out(a.id, student_id or d["student"].id, agreement_status="signed")
    assets.check_in(a.id, damage=damage, missing_parts=missing, **kw)
    return loan


def test_price_list_order_model_then_own_data_then_every_model(db):
    d = program()
    m = d["model"].id
    assert prices.price_for("Screen", m) == D("45.00")
    prices.set_price("screen", "60", model_id=m)
    assert prices.price_for("screen", m) == D("60.00") and prices.price_for("screen", None) == D("45.00")
    assert prices.price_for("device", m) == D("300.00")  # the model's replacement cost
    prices.set_price("device", "250")
    assert prices.price_for("device", m) == D("300.00") and prices.price_for("device", None) == D("250.00")
    assert prices.price_for("charger", m) == D("25.00")  # the kit part's cost
    prices.set_price("Charger", "29", model_id=m)
    assert prices.price_for("charger", m) == D("29.00")
    assert prices.price_for("other", m) is None
    prices.set_price("screen", "", model_id=m)  # removed
    assert prices.price_for("screen", m) == D("45.00")
    listed = {(r["part"], r["model"], r["amount"]) for r in prices.price_list()}
    assert ("screen", "Every model", D("45.00")) in listed
    assert ("Charger", "Dell Chromebook 3110", D("29.00")) in listed
    with pytest.raises(ValidationError):
        prices.set_price("screen", "-5")
    assert HistoryEntry.select().where(HistoryEntry.entity == "price_list").count() >= 7


def test_damaged_return_first_incident_forgiven_second_charged(db):
    d = program(forgive_first=True)
    first = returned(d, damage=["screen"])
    proposed = fees.propose(first.id)
    assert [(p.part, p.list_amount, p.amount, p.status, p.forgiven) for p in proposed] == [
        ("screen", D("45.00"), D("0.00"), "waived", True)]
    made = fees.charge_for_return(first.id, by="kim")
    assert [(f.status, f.amount, f.forgiven) for f in made] == [("waived", D("0.00"), True)]
    assert "forgiven" in Fee.get_by_id(made[0].id).waived_reason
    assert fees.charge_for_return(first.id) == []  # charged once only
    second = returned(d, damage=["keyboard", "hinge"])
    made = fees.charge_for_return(second.id)
    assert sorted((f.part, f.amount, f.status) for f in made) == [
        ("hinge", D("25.00"), "owed"), ("keyboard", D("35.00"), "owed")]
    assert fees.owed_by(d["student"].id) == D("60.00")
    # Another student's first incident is theirs.
    other = people.create(first_name="Ana", last_name="Ruiz", id_number="S2000002", kind="student")
    third = returned(d, student_id=other.id, damage=["port"])
    assert [f.status for f in fees.charge_for_return(third.id)] == ["waived"]


def test_forgiveness_counts_per_school_year(db):
    d = program(forgive_first=True)
    fee = fees.charge(d["student"].id, "screen", day=dt.date(2025, 5, 1))  # last school year
    assert fee.forgiven and fee.status == "waived"
    loan = returned(d, damage=["screen"])
    assert [f.forgiven for f in fees.charge_for_return(loan.id)] == [True]  # a new year
    settings.update({"fees_forgive_scope": "ever"})
    loan = returned(d, damage=["hinge"])
    assert [f.forgiven for f in fees.charge_for_return(loan.id)] == [False]


def test_forgiveness_off_charges_the_first(db):
    d = program()
    loan = returned(d, damage=["screen"])
    assert [(f.amount, f.status) for f in fees.charge_for_return(loan.id)] == [(D("45.00"), "owed")]


def test_missing_charger_becomes_a_fee(db):
    d = program(forgive_first=True)  # missing parts are not forgiven unless set
    loan = returned(d, missing=["charger"])
    assert [(p.name, p.state) for p in kits.loan_parts(loan.id)] == [("Charger", "missing"),
                                                                    ("Case", "returned")]
    made = fees.charge_for_return(loan.id)
    assert [(f.kind, f.part, f.amount, f.status) for f in made] == [
        ("missing_part", "Charger", D("25.00"), "owed")]
    # The check-in dialog's proposal for a loan still out: what is ticked.
    out = assets.check_out(asset(d).id, d["student"].id)
    proposal = fees.propose(out.id, damage=["screen"], missing_parts=["case"])
    assert [(p.kind, p.part, p.list_amount) for p in proposal] == [
        ("damage", "screen", D("45.00")), ("missing_part", "Case", D("20.00"))]
    with pytest.raises(Conflict, match="still checked out"):
        fees.charge_for_return(out.id)


def test_insured_student_pays_the_deductible_once_per_incident(db):
    d = program(insurance="deductible", insurance_deductible="25")
    # (The roster import sets insured_through; written directly here.)
    Person.update(insured_through=history.today() + dt.timedelta(days=200)) \
        .where(Person.id == d["student"].id).execute()
    loan = returned(d, damage=["screen", "keyboard"], missing=["charger"])
    made = {f.part: f for f in fees.charge_for_return(loan.id)}
    assert (made["screen"].amount, made["screen"].insured, made["screen"].status) == (
        D("25.00"), True, "owed")
    assert (made["keyboard"].amount, made["keyboard"].status) == (D("0.00"), "waived")
    assert (made["Charger"].amount, made["Charger"].insured) == (D("25.00"), False)  # not a claim
    assert made["screen"].list_amount == D("45.00")
    settings.update({"fees_insurance": "full"})
    loan = returned(d, damage=["hinge"])
    assert [(f.amount, f.status, f.insured) for f in fees.charge_for_return(loan.id)] == [
        (D("0.00"), "waived", True)]
    # Insurance that ran out before the incident does not cover it.
    Person.update(insured_through=history.today() - dt.timedelta(days=1)) \
        .where(Person.id == d["student"].id).execute()
    loan = returned(d, damage=["hinge"])
    assert [(f.amount, f.insured) for f in fees.charge_for_return(loan.id)] == [(D("25.00"), False)]


def test_partial_payment_then_paid_with_sequential_receipts(db):
    d = program()
    fee = fees.charge(d["student"].id, "screen")
    assert (fee.amount, fee.status) == (D("45.00"), "owed")
    first = fees.pay(fee.id, "20", method="check", reference="1042", by="kim")
    year = history.today().year
    assert first.receipt == f"R-{year}-000001"
    assert fees.balance(fees.get(fee.id)) == D("25.00") and fees.get(fee.id).status == "owed"
    with pytest.raises(ValidationError, match="25.00 left"):
        fees.pay(fee.id, "30")
    second = fees.pay(fee.id, "$25.00")
    assert second.receipt == f"R-{year}-000002"
    assert fees.get(fee.id).status == "paid" and fees.balance(fees.get(fee.id)) == D("0.00")
    with pytest.raises(Conflict, match="paid"):
        fees.pay(fee.id, "1")
    data = fees.receipt(second.receipt)
    assert (data["paid_to_date"], data["balance"], data["student"]) == (D("45.00"), D("0.00"),
                                                                         "Luis Garcia")
    assert fees.receipt(first.receipt)["balance"] == D("25.00")
    assert FeePayment.select().count() == 2
    for bad, words in (("0", "more than"), ("-3", "negative"), ("abc", "amount")):
        with pytest.raises(ValidationError, match=words):
            fees.pay(fees.charge(d["student"].id, "hinge").id, bad)
    with pytest.raises(ValidationError, match="method"):
        fees.pay(fees.charge(d["student"].id, "port").id, "5", method="bitcoin")
    with pytest.raises(NotFound):
        fees.receipt("R-1999-000001")


def test_waive_needs_a_reason(db):
    d = program()
    fee = fees.charge(d["student"].id, "keyboard")
    for why in ("", "   ", None):
        with pytest.raises(ValidationError, match="reason"):
            fees.waive(fee.id, why)
    assert fees.get(fee.id).status == "owed"
    fees.pay(fee.id, "10")
    waived = fees.waive(fee.id, "Family hardship (principal approved)", by="kim")
    assert (waived.status, waived.waived_reason) == ("waived", "Family hardship (principal approved)")
    assert fees.balance(waived) == D("0.00")
    with pytest.raises(Conflict, match="already waived"):
        fees.waive(fee.id, "again")
    entry = HistoryEntry.get((HistoryEntry.entity == "fee") & (HistoryEntry.action == "waive"))
    assert entry.note == "Family hardship (principal approved)"


def test_charge_by_hand_kinds_and_refusals(db):
    d = program()
    a = asset(d)
    lost = fees.charge(d["student"].id, "device", asset_id=a.id)
    assert (lost.kind, lost.amount) == ("lost", D("300.00"))
    case = fees.charge(d["student"].id, "case", asset_id=a.id)
    assert (case.kind, case.part, case.amount) == ("missing_part", "Case", D("20.00"))
    other = fees.charge(d["student"].id, "Stylus", amount="12.50")
    assert (other.kind, other.amount) == ("other", D("12.50"))
    with pytest.raises(ValidationError, match="amount"):
        fees.charge(d["student"].id, "Stylus")
    with pytest.raises(ValidationError, match="no price"):
        fees.charge(d["student"].id, "other")
    with pytest.raises(ValidationError):
        fees.charge(d["student"].id, "screen", amount="0")
    with pytest.raises(NotFound):
        fees.charge(999999, "screen")
    assert Fee.select().count() == 3


def test_resolve_target_by_tag_or_student_id(db):
    d = program()
    a = asset(d)
    loan = assets.check_out(a.id, d["student"].id)
    assert fees.resolve_target(a.tag)[0].id == d["student"].id
    person, dev, found = fees.resolve_target("S2000001")
    assert (person.id, dev.id, found.id) == (d["student"].id, a.id, loan.id)
    assets.check_in(a.id)
    assert fees.resolve_target(a.tag)[2].id == loan.id  # the last borrower
    with pytest.raises(NotFound):
        fees.resolve_target("nobody")


def test_rows_filter_by_status_and_site(db):
    d = program()
    Person.update(site=d["site"].id).where(Person.id == d["student"].id).execute()
    owed = fees.charge(d["student"].id, "screen")
    paid = fees.charge(d["student"].id, "hinge")
    fees.pay(paid.id, "25")
    assert [r["id"] for r in fees.rows(owed_only=True)] == [owed.id]
    assert {r["id"] for r in fees.rows(site="RHS")} == {owed.id, paid.id}
    assert fees.rows(site="LMS") == []
    row = {r["id"]: r for r in fees.rows()}[paid.id]
    assert (row["status"], row["paid"], row["balance"], row["site"]) == (
        "Paid", D("25.00"), D("0.00"), "Riverside High School")
    with pytest.raises(ValidationError):
        fees.rows(status="late")


def test_settings_are_validated(db):
    with pytest.raises(ValidationError):
        settings.update({"fees_insurance": "maybe"})
    with pytest.raises(ValidationError):
        settings.update({"fees_forgive_scope": "week"})
    with pytest.raises(ValidationError):
        settings.update({"fees_insurance_deductible": "-4"})
    settings.update({"fees_insurance_deductible": "$50"})
    assert settings.get("fees_insurance_deductible") == "50.00"
