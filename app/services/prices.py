"""The damage price list: what a part costs to repair or replace.

A price is for one model or (model empty) for every model. ``part`` is a damage
kind (screen, keyboard, hinge, port, other), a kit part's name (Charger), or
"device" for the device itself. The price of a part for a model is, first
found: the model's own price; then what the model itself says (its
replacement cost for "device", the kit part's cost for a kit part); then the
price for every model.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

import peewee as pw

from app.models import HardwareModel, KitPart, Manufacturer, PriceItem
from app.models.program import DAMAGE_KINDS
from app.services import history
from app.services.base import writes
from app.services.errors import NotFound, ValidationError
from app.services.fields import clean_text, parse_money
from app.store.db import rows

ENTITY = "price_list"
DEVICE = "device"


def normalize_part(part: str) -> str:
    """A damage kind by key or label ("Screen" → "screen"), "device", or the
    part's name as given (kit parts keep their capitals)."""
    text = clean_text(part, "part", 100, required=True)
    key = text.lower()
    if key == DEVICE or key in DAMAGE_KINDS:
        return key
    for k, label in DAMAGE_KINDS.items():
        if label.lower() == key:
            return k
    return text


def find_price(part: str, model_id: int | None) -> PriceItem | None:
    """The price list's own entry for ``part`` (normalized) for one model, or
    for every model when ``model_id`` is None; None when there is none."""
    q = PriceItem.select().where(pw.fn.LOWER(PriceItem.part) == part.lower())
    q = q.where(PriceItem.model == model_id) if model_id else q.where(PriceItem.model.is_null())
    return q.get_or_none()


def price_for(part: str, model_id: int | None) -> Decimal | None:
    """The price of one ``part`` for a device of ``model_id`` (see the module
    docstring for the order), or None when nothing prices it."""
    part = normalize_part(part)
    if model_id:
        own = find_price(part, model_id)
        if own is not None:
            return own.amount
        if part == DEVICE:
            cost: Decimal | None = HardwareModel.select(HardwareModel.replacement_cost) \
                .where(HardwareModel.id == model_id).scalar()
            if cost is not None:
                return Decimal(str(cost)).quantize(Decimal("0.01"))
        else:
            kit = (KitPart.select(KitPart.cost).where((KitPart.model == model_id)
                                                      & (pw.fn.LOWER(KitPart.name) == part.lower())
                                                      & KitPart.cost.is_null(False))
                   .get_or_none())
            if kit is not None:
                return kit.cost
    every = find_price(part, None)
    return every.amount if every is not None else None


def part_names(model_id: int | None) -> list[str]:
    """Every part a fee can name for this model: its kit parts and the parts priced."""
    names: dict[str, str] = {}
    if model_id:
        for (name,) in rows(KitPart.select(KitPart.name).where(KitPart.model == model_id)):
            names.setdefault(name.lower(), name)
    q = PriceItem.select(PriceItem.part)
    q = q.where(PriceItem.model.is_null() | (PriceItem.model == model_id)) if model_id else q
    for (name,) in rows(q):
        names.setdefault(name.lower(), name)
    return list(names.values())


class PriceRow(TypedDict):
    """One line of the price list, as the CLI and Settings show it."""

    id: int
    part: str
    label: str
    model_id: int | None
    model: str
    amount: Decimal


def price_list() -> list[PriceRow]:
    """Every price (for every model first, then by model), for the CLI and Settings."""
    q = (PriceItem.select(PriceItem, HardwareModel, Manufacturer)
         .join_from(PriceItem, HardwareModel, pw.JOIN.LEFT_OUTER,
                    on=(PriceItem.model == HardwareModel.id))
         .join_from(HardwareModel, Manufacturer, pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.manufacturer == Manufacturer.id))
         .order_by(PriceItem.model.is_null(False), HardwareModel.name, PriceItem.part))
    out: list[PriceRow] = []
    for item in q:
        model = item.model if item.model_id else None
        out.append({"id": item.id, "part": item.part, "label": part_label(item.part),
                    "model_id": item.model_id,
                    "model": model_label(model) if model else "Every model",
                    "amount": item.amount})
    return out


def part_label(part: str) -> str:
    if part == DEVICE:
        return "Device (replacement)"
    return DAMAGE_KINDS.get(part, part)


def model_label(model: HardwareModel) -> str:
    maker = model.manufacturer.name if model.manufacturer is not None else ""
    return f"{maker} {model.name}".strip()


def model_choices() -> list[tuple[int, str]]:
    """(id, "Maker Name") of every model, by maker and name, for pickers."""
    q = (HardwareModel.select(HardwareModel, Manufacturer)
         .join(Manufacturer, pw.JOIN.LEFT_OUTER, on=(HardwareModel.manufacturer == Manufacturer.id))
         .order_by(Manufacturer.name, HardwareModel.name))
    return [(m.id, model_label(m)) for m in q]


def find_model(text: str) -> HardwareModel:
    """A model by id, name, or "maker name" (case-insensitive)."""
    text = (text or "").strip()
    if text.isdigit():
        m = HardwareModel.get_or_none(HardwareModel.id == int(text))
        if m:
            return m
    q = (HardwareModel.select(HardwareModel, Manufacturer)
         .join(Manufacturer, pw.JOIN.LEFT_OUTER, on=(HardwareModel.manufacturer == Manufacturer.id)))
    hits = [m for m in q if text.lower() in (m.name.lower(), model_label(m).lower())]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ValidationError(f"Several models are called {text}: give the maker too "
                              f"({', '.join(model_label(m) for m in hits)}).", field="model")
    raise NotFound(f"No model called {text}.")


@writes
def set_price(part: str, amount: object, model_id: int | None = None, by: str | None = None) -> PriceItem | None:
    """Set (or, with an empty amount, remove) the price of a part, for one
    model or for every model. History keeps each change."""
    part = normalize_part(part)
    if model_id and not HardwareModel.select().where(HardwareModel.id == model_id).exists():
        raise NotFound(f"No model with id {model_id}.")
    value = parse_money(amount, "amount") if amount not in (None, "") else None
    item = find_price(part, model_id)
    old = item.amount if item else None
    what = f"{part_label(part)}" + (f" ({model_label(HardwareModel.get_by_id(model_id))})"
                                    if model_id else "")
    if value is None:
        if item is not None:
            item.delete_instance()
            history.record(ENTITY, 0, "update", field=what, old=old, new=None, by=by)
        return None
    if item is None:
        item = PriceItem.create(part=part, model=model_id, amount=value)
    elif item.amount != value:
        PriceItem.update(amount=value).where(PriceItem.id == item.id).execute()
        item = PriceItem.get_by_id(item.id)
    if old != value:
        history.record(ENTITY, 0, "update", field=what, old=old, new=value, by=by)
    return item
