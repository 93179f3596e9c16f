"""The demo's 1:1 program kits and fees: kits on the Chromebook and hotspot
models, every loan of them with its parts, the price list, and fees owed,
paid (one in part) and waived with receipts — on both engines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.demo import build_demo
from app.models import Fee, FeePayment, HardwareModel, KitPart, Loan, LoanPart
from app.services import fees, prices, settings


def test_demo_kits_price_list_and_fees(db):
    build_demo(assets=600, seed=5, today=dt.date(2026, 12, 6))
    kits = {}
    for part in KitPart.select(KitPart, HardwareModel).join(HardwareModel).order_by(KitPart.id):
        kits.setdefault(part.model.name, []).append(part.name)
    assert kits["Chromebook 3110"] == ["Charger", "Case"]
    assert kits["T10 Mobile Hotspot"] == ["USB-C cable"]
    # Every loan of a kit model carries its parts: out while the loan is open.
    kit_models = {p.model_id for p in KitPart.select()}
    loans = list(Loan.select(Loan.id, Loan.returned_at).join_from(Loan, Loan.asset.rel_model)
                 .where(Loan.asset.rel_model.model.in_(kit_models)))
    assert loans
    parts = {}
    for lp in LoanPart.select():
        parts.setdefault(lp.loan_id, set()).add(lp.state)
    for loan in loans:
        assert parts[loan.id] <= ({"out"} if loan.returned_at is None else {"returned", "missing"})
    listed = {(r["part"], r["model"]): r["amount"] for r in prices.price_list()}
    assert listed[("screen", "Every model")] == Decimal("45.00")
    assert listed[("device", "Every model")] == Decimal("300.00")
    assert settings.get("fees_forgive_first") is True
    statuses = {f.status for f in Fee.select()}
    assert statuses == {"owed", "paid", "waived"}
    assert Fee.select().where(Fee.forgiven == True).exists()  # noqa: E712
    assert Fee.select().where(Fee.kind == "missing_part").exists()
    partly = [f for f in Fee.select().where(Fee.status == "owed")
              if Decimal("0") < fees.paid_amount(f.id) < f.amount]
    assert partly
    receipts = [p.receipt for p in FeePayment.select().order_by(FeePayment.id)]
    assert len(set(receipts)) == len(receipts) and all(r.startswith("R-20") for r in receipts)
    assert all(p.paid_on <= dt.date(2026, 12, 6) for p in FeePayment.select())
