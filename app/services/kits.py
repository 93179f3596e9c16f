"""Kits: what goes out with a device of a model besides the device itself (a
charger, a case, a cable), and which of those parts came back with a loan.

A model's kit is a list of named parts (``KitPart``); every check-out of an
asset of that model copies the kit into the loan (``LoanPart`` rows, state
"out"), so a later change to the kit does not rewrite what a student took
home. Check-in marks each part returned or missing (``mark_returned``), and a
missing part can become a fee (app.services.fees).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from app.models import HardwareModel, KitPart, Loan, LoanPart
from app.services import history
from app.services.base import fetch, writes
from app.services.errors import ValidationError
from app.services.fields import clean_text, parse_int, parse_money

PART_STATES = {"out": "Out", "returned": "Returned", "missing": "Missing"}
# "device" names the device itself on the price list; no kit part may take it.
RESERVED_NAMES = ("device",)


def get_model(model_id: int) -> HardwareModel:
    return fetch(HardwareModel, model_id, "No model with id {id}.")


def parts_of(model_id: int) -> list[KitPart]:
    """The kit of a model, in the order it was set."""
    return list(KitPart.select().where(KitPart.model == model_id).order_by(KitPart.id))


def has_kit(model_id: int | None) -> bool:
    return bool(model_id) and KitPart.select().where(KitPart.model == model_id).exists()


def loan_parts(loan_id: int) -> list[LoanPart]:
    """The parts that went out with a loan, and their state (out / returned / missing)."""
    return list(LoanPart.select().where(LoanPart.loan == loan_id).order_by(LoanPart.id))


# A kit part as given: a name, or (name, quantity[, cost]) with text or numbers.
PartSpec = str | Sequence[object]


def clean_parts(parts: Iterable[PartSpec] | None) -> list[tuple[str, int, Decimal | None]]:
    """Checked (name, quantity, cost) triples: names required and distinct
    (case-insensitive), quantity 1 or more, cost a non-negative amount or empty."""
    out: list[tuple[str, int, Decimal | None]] = []
    seen: set[str] = set()
    for item in parts or []:
        item = tuple(item) if not isinstance(item, str) else (item,)
        name = clean_text(item[0] if item else None, "part", 100, required=True)
        qty = (parse_int(item[1], "quantity", 1, 1000) if len(item) > 1 and item[1] not in (None, "")
               else None) or 1
        cost = parse_money(item[2], "cost") if len(item) > 2 else None
        key = name.lower()
        if key in RESERVED_NAMES:
            raise ValidationError(f"“{name}” names the device itself on the price list; "
                                  "call the kit part something else.", field="part")
        if key in seen:
            raise ValidationError(f"The kit names {name} twice.", field="part")
        seen.add(key)
        out.append((name, qty, cost))
    return out


def parse_spec(text: str) -> tuple[str, int, Decimal | None]:
    """``NAME[:QTY[:COST]]`` as the CLI takes it: ``charger``, ``cable:2``, ``case:1:20``."""
    bits = [b.strip() for b in str(text).split(":")]
    if len(bits) > 3 or not bits[0]:
        raise ValidationError(f"“{text}” is not a kit part: use NAME, NAME:QTY or NAME:QTY:COST.",
                              field="part")
    return clean_parts([tuple(bits)])[0]


@writes
def set_parts(model_id: int, parts: Iterable[PartSpec] | None,
              by: str | None = None) -> list[KitPart]:
    """Replace the kit of a model with ``parts`` ([(name, qty, cost)], an empty
    list removes the kit). History on the model names what changed. Loans
    already out keep the parts they went out with."""
    model = get_model(model_id)
    wanted = clean_parts(parts)
    current = {p.name.lower(): p for p in parts_of(model.id)}
    keep = {name.lower() for name, _q, _c in wanted}
    for key, part in current.items():
        if key not in keep:
            part.delete_instance()
            history.record("model", model.id, "kit", field="kit part", old=_describe(part), by=by)
    for name, qty, cost in wanted:
        had = current.get(name.lower())
        if had is None:
            made = KitPart.create(model=model, name=name, quantity=qty, cost=cost)
            history.record("model", model.id, "kit", field="kit part", new=_describe(made), by=by)
            continue
        before = _describe(had)
        if (had.name, had.quantity, had.cost) != (name, qty, cost):
            KitPart.update(name=name, quantity=qty, cost=cost).where(KitPart.id == had.id).execute()
            history.record("model", model.id, "kit", field="kit part", old=before,
                           new=_describe(KitPart.get_by_id(had.id)), by=by)
    return parts_of(model.id)


@writes
def set_replacement_cost(model_id: int, amount: object, by: str | None = None) -> HardwareModel:
    """What a new device of the model costs today (a lost device's fee, the
    refresh plan's budget). Empty clears it."""
    model = get_model(model_id)
    value = parse_money(amount, "replacement_cost") if amount not in (None, "") else None
    if value != model.replacement_cost:
        HardwareModel.update(replacement_cost=value).where(HardwareModel.id == model.id).execute()
        history.record("model", model.id, "update", field="replacement_cost",
                       old=model.replacement_cost, new=value, by=by)
    return get_model(model.id)


KEEP = object()  # save_kit: leave the replacement cost as it is


@writes
def save_kit(model_id: int, parts: Iterable[PartSpec] | None = None,
             replacement_cost: object = KEEP, by: str | None = None) -> list[KitPart]:
    """A model's kit (``parts`` None: unchanged) and its replacement cost
    together, or neither (the model editor's Save, `kit set`)."""
    if parts is not None:
        set_parts(model_id, parts, by=by)
    if replacement_cost is not KEEP:
        set_replacement_cost(model_id, replacement_cost, by=by)
    return parts_of(model_id)


def _describe(part: KitPart) -> str:
    text = part.name if part.quantity == 1 else f"{part.name} ×{part.quantity}"
    return f"{text} ({part.cost:.2f})" if part.cost is not None else text


# --- called by the loan services inside their transaction -------------------------

def record_checkout(loan: Loan, model_id: int | None) -> list[LoanPart]:
    """Copy the model's kit into the loan (inside check_out's transaction)."""
    kit = parts_of(model_id) if model_id else []
    if not kit:
        return []
    LoanPart.insert_many([{"loan": loan.id, "name": p.name, "quantity": p.quantity, "state": "out"}
                          for p in kit]).execute()
    return loan_parts(loan.id)


def match_missing(loan_id: int, names: Iterable[object] | None) -> list[str]:
    """The loan's part names for ``names`` (matched case-insensitively), or
    ValidationError naming a part that did not go out with the loan."""
    wanted = [str(n).strip() for n in (names or []) if str(n).strip()]
    if not wanted:
        return []
    out_parts = {p.name.lower(): p.name for p in loan_parts(loan_id)}
    result: list[str] = []
    for name in wanted:
        real = out_parts.get(name.lower())
        if real is None:
            went = ", ".join(out_parts.values()) or "no kit parts"
            raise ValidationError(f"“{name}” did not go out with this loan (it went out with "
                                  f"{went}).", field="missing_parts")
        if real not in result:
            result.append(real)
    return result


def record_checkin(loan: Loan, missing: list[str], *, by: str | None, asset_id: int,
                   at: dt.datetime, effective: dt.date) -> None:
    """Mark the loan's parts returned, or missing for the names in ``missing``
    (already matched by ``match_missing``); history on the asset names the missing ones."""
    if not LoanPart.select().where(LoanPart.loan == loan.id).exists():
        return
    LoanPart.update(state="returned").where(LoanPart.loan == loan.id).execute()
    if missing:
        LoanPart.update(state="missing").where((LoanPart.loan == loan.id)
                                               & LoanPart.name.in_(missing)).execute()
    for name in missing:
        history.record("asset", asset_id, "check_in", field="kit part", old=name, new="missing",
                       by=by, at=at, effective=effective)
