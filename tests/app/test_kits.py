"""Kits: a model's parts go out with every loan of its devices and come back
returned or missing; the agreement state and damage found are kept on the
loan — on both engines."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import HistoryEntry, KitPart, Loan, LoanPart
from app.services import assets, catalog, kits
from app.services.errors import NotFound, ValidationError
from tests.app.factories import asset, district


def _kit(d):
    return kits.set_parts(d["model"].id, [("Charger", 1, "25.00"), ("Case", 1, None)], by="kim")


def test_set_parts_replaces_the_kit_and_leaves_history(db):
    d = district()
    parts = _kit(d)
    assert [(p.name, p.quantity, p.cost) for p in parts] == [("Charger", 1, Decimal("25.00")),
                                                             ("Case", 1, None)]
    kits.set_parts(d["model"].id, [("Charger", 2, "30"), ("Stylus", 1, "12.5")])
    assert [(p.name, p.quantity, p.cost) for p in kits.parts_of(d["model"].id)] == [
        ("Charger", 2, Decimal("30.00")), ("Stylus", 1, Decimal("12.50"))]
    notes = {(h.old, h.new) for h in HistoryEntry.select().where(
        (HistoryEntry.entity == "model") & (HistoryEntry.action == "kit"))}
    assert ("Case", None) in notes and (None, "Stylus (12.50)") in notes
    assert ("Charger (25.00)", "Charger ×2 (30.00)") in notes
    kits.set_parts(d["model"].id, [])
    assert kits.parts_of(d["model"].id) == [] and not kits.has_kit(d["model"].id)


def test_set_parts_refuses_bad_input_and_writes_nothing(db):
    d = district()
    _kit(d)
    for bad, words in ([("Charger", 1, None), ("charger", 1, None)], "twice"), \
            ([("", 1, None)], "required"), ([("Cable", 0, None)], "Quantity"), \
            ([("Cable", 1, "-3")], "negative"), ([("Device", 1, None)], "device itself"):
        with pytest.raises(ValidationError, match=words):
            kits.set_parts(d["model"].id, bad)
    assert [p.name for p in kits.parts_of(d["model"].id)] == ["Charger", "Case"]
    with pytest.raises(NotFound):
        kits.set_parts(99999, [("Charger", 1, None)])


def test_parse_spec():
    assert kits.parse_spec("charger") == ("charger", 1, None)
    assert kits.parse_spec("cable:2") == ("cable", 2, None)
    assert kits.parse_spec("case:1:20") == ("case", 1, Decimal("20.00"))
    with pytest.raises(ValidationError):
        kits.parse_spec("a:1:2:3")
    with pytest.raises(ValidationError):
        kits.parse_spec("case:two")


def test_check_out_records_the_kit_and_check_in_marks_parts(db):
    d = district()
    _kit(d)
    a = asset(d)
    loan = assets.check_out(a.id, d["student"].id, agreement_status="waiver")
    assert [(p.name, p.state) for p in kits.loan_parts(loan.id)] == [("Charger", "out"),
                                                                    ("Case", "out")]
    stored = Loan.get_by_id(loan.id)
    assert (stored.agreement_status, stored.agreement_signed) == ("waiver", False)
    # The kit changes later: the loan keeps what went out.
    kits.set_parts(d["model"].id, [("Charger", 1, None)])
    back = assets.check_in(a.id, damage=["Hinge", "screen"], missing_parts=["charger"], by="kim")
    assert back.damage == ["screen", "hinge"]  # vocabulary order, labels accepted
    assert {p.name: p.state for p in kits.loan_parts(loan.id)} == {"Charger": "missing",
                                                                   "Case": "returned"}
    h = {(e.field, e.old, e.new) for e in HistoryEntry.select().where(
        (HistoryEntry.entity == "asset") & (HistoryEntry.entity_id == a.id))}
    assert ("kit part", "Charger", "missing") in h and ("damage", None, "Screen, Hinge") in h


def test_signed_sets_both_and_refusal_is_recorded(db):
    d = district()
    a, b, c = asset(d), asset(d), asset(d)
    signed = assets.check_out(a.id, d["student"].id, agreement_status="signed")
    legacy = assets.check_out(b.id, d["staff"].id, agreement_signed=True)
    refused = assets.check_out(c.id, d["staff"].id, agreement_status="refused")
    got = {loan.id: (loan.agreement_status, loan.agreement_signed)
           for loan in Loan.select()}
    assert got == {signed.id: ("signed", True), legacy.id: ("signed", True),
                   refused.id: ("refused", False)}


def test_model_without_kit_records_no_parts(db):
    d = district()
    other = catalog.create_model("OptiPlex 7010", manufacturer="Dell", category_id=d["cat"].id)
    _kit(d)
    a = asset(d, model_id=other.id)
    loan = assets.check_out(a.id, d["staff"].id)
    assert kits.loan_parts(loan.id) == []
    assets.check_in(a.id, damage=["keyboard"])
    assert Loan.get_by_id(loan.id).damage == ["keyboard"]


def test_check_in_refusals_change_nothing(db):
    d = district()
    _kit(d)
    a = asset(d)
    loan = assets.check_out(a.id, d["student"].id)
    with pytest.raises(ValidationError, match="did not go out"):
        assets.check_in(a.id, missing_parts=["Stylus"])
    with pytest.raises(ValidationError, match="Unknown damage"):
        assets.check_in(a.id, damage=["melted"])
    with pytest.raises(ValidationError, match="agreement"):
        assets.check_out(asset(d).id, d["student"].id, agreement_status="maybe")
    stored = Loan.get_by_id(loan.id)
    assert stored.returned_at is None and stored.damage is None
    assert {p.state for p in LoanPart.select()} == {"out"}
    assert Loan.select().count() == 1
    # A clean return: every part back, no damage.
    assets.check_in(a.id)
    assert {p.state for p in kits.loan_parts(loan.id)} == {"returned"}
    assert Loan.get_by_id(loan.id).damage is None


def test_kit_parts_go_with_the_model(db):
    d = district()
    _kit(d)
    catalog_ids = {p.model_id for p in KitPart.select()}
    assert catalog_ids == {d["model"].id}
    kits.set_replacement_cost(d["model"].id, "$300")
    assert kits.get_model(d["model"].id).replacement_cost == Decimal("300.00")
    with pytest.raises(ValidationError):
        kits.set_replacement_cost(d["model"].id, "-1")
