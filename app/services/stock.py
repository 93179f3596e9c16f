"""Consumable supplies: receive, issue, count, adjust, transfer.

On-hand is the sum of the item's movements; ``Supply.on_hand`` caches it and
is updated in the same transaction as the movement, so the two never differ.
"""
from __future__ import annotations

import peewee as pw

from app.models import Asset, Location, Person, StockMove, Supply, SupplyFit
from app.models.common import SUPPLY_CATEGORIES, utcnow
from app.services import history
from app.services.base import writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_int, parse_money
from app.store.db import db

FIELDS = ("name", "part_number", "barcode", "category", "unit", "reorder_point", "target",
          "bin", "unit_cost", "supplier_id", "notes", "active")


def get(supply_id: int) -> Supply:
    s = Supply.get_or_none(Supply.id == supply_id)
    if s is None:
        raise NotFound(f"No supply item with id {supply_id}.")
    return s


def lookup_barcode(code: str) -> int | None:
    code = (code or "").strip()
    if not code:
        return None
    p = "%s" if not isinstance(db.obj, pw.SqliteDatabase) else "?"
    row = db.execute_sql(f"SELECT id FROM supply WHERE UPPER(barcode) = UPPER({p})", (code,)).fetchone()
    return row[0] if row else None


def find(code: str) -> Supply | None:
    """A supply item by barcode, part number or exact name."""
    sid = lookup_barcode(code)
    if sid:
        return get(sid)
    code = (code or "").strip()
    return (Supply.get_or_none(pw.fn.UPPER(Supply.part_number) == code.upper())
            or Supply.get_or_none(pw.fn.LOWER(Supply.name) == code.lower()))


def _clean(values: dict, supply_id: int | None = None) -> dict:
    out = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ValidationError(f"Unknown supply field {key!r}.")
        if key in ("reorder_point", "target"):
            value = parse_int(value, key, 0, 10_000_000) or 0
        elif key == "unit_cost":
            value = parse_money(value, key)
        elif key == "category":
            value = value or "other"
            if value not in SUPPLY_CATEGORIES:
                raise ValidationError("Unknown supply category.", field=key)
        elif key == "supplier_id":
            value = value or None
        elif key == "active":
            value = bool(value)
        elif key == "name":
            value = clean_text(value, key, required=True)
        elif key == "barcode":
            value = clean_text(value, key, 64)
            if value:
                q = Supply.select().where(pw.fn.UPPER(Supply.barcode) == value.upper())
                if supply_id:
                    q = q.where(Supply.id != supply_id)
                if q.exists():
                    raise ValidationError(f"Barcode {value} is already on another item.", field=key)
        else:
            value = clean_text(value, key, 10_000 if key == "notes" else 255)
        out[key] = value
    return out


def _row(values: dict) -> dict:
    return {("supplier" if k == "supplier_id" else k): v for k, v in values.items()}


@writes
def create(by: str | None = None, fits: list[int] | None = None, **values) -> Supply:
    values = _clean(values)
    if not values.get("name"):
        raise ValidationError("A supply item needs a name.", field="name")
    item = Supply.create(**_row(values))
    for model_id in fits or []:
        SupplyFit.insert(supply=item, model=model_id).on_conflict_ignore().execute()
    history.record("supply", item.id, "create", new=item.name, by=by)
    return item


@writes
def update(supply_id: int, changes: dict, by: str | None = None) -> Supply:
    item = get(supply_id)
    values = _clean(changes, supply_id)
    diff = {k: (getattr(item, k), v) for k, v in values.items() if getattr(item, k) != v}
    if diff:
        row = _row({k: v for k, (_, v) in diff.items()})
        row["updated_at"] = utcnow()
        Supply.update(**row).where(Supply.id == item.id).execute()
        history.record_changes("supply", item.id, diff, by=by)
    return get(item.id)


@writes
def set_fits(supply_id: int, model_ids: list[int], by: str | None = None) -> None:
    get(supply_id)
    SupplyFit.delete().where(SupplyFit.supply == supply_id).execute()
    for model_id in model_ids:
        SupplyFit.insert(supply=supply_id, model=model_id).on_conflict_ignore().execute()
    history.record("supply", supply_id, "update", field="fits",
                   new=",".join(map(str, model_ids)), by=by)


def _move(item: Supply, kind: str, qty: int, by: str | None, **extra) -> StockMove:
    """Write one movement and the cached total together (caller holds the transaction)."""
    # Re-read on-hand inside the transaction: another workstation may have moved stock.
    current = Supply.select(Supply.on_hand).where(Supply.id == item.id).scalar()
    new_total = current + qty
    if new_total < 0:
        raise Conflict(f"Only {current} {item.unit} of {item.name} on hand; "
                       f"cannot take {-qty}.")
    move = StockMove.create(supply=item, kind=kind, qty=qty, balance=new_total,
                            by=history.who(by), **extra)
    Supply.update(on_hand=Supply.on_hand + qty, updated_at=utcnow()) \
        .where(Supply.id == item.id).execute()
    history.record("supply", item.id, kind, field="on_hand", old=current, new=new_total, by=by,
                   note=extra.get("reason"))
    item.on_hand = new_total
    return move


@writes
def receive(supply_id: int, qty, unit_cost=None, order_number: str | None = None,
            by: str | None = None, reason: str | None = None) -> StockMove:
    item = get(supply_id)
    qty = parse_int(qty, "quantity", 1, 1_000_000)
    if qty is None:
        raise ValidationError("Receive a quantity of 1 or more.", field="quantity")
    cost = parse_money(unit_cost, "unit_cost")
    move = _move(item, "receive", qty, by, unit_cost=cost,
                 order_number=clean_text(order_number, "order_number"), reason=reason)
    if cost is not None and cost != item.unit_cost:
        Supply.update(unit_cost=cost).where(Supply.id == item.id).execute()
    return move


@writes
def issue(supply_id: int, qty, person_id: int | None = None, location_id: int | None = None,
          asset_id: int | None = None, reason: str | None = None, by: str | None = None) -> StockMove:
    item = get(supply_id)
    qty = parse_int(qty, "quantity", 1, 1_000_000)
    if qty is None:
        raise ValidationError("Issue a quantity of 1 or more.", field="quantity")
    if sum(bool(x) for x in (person_id, location_id, asset_id)) != 1:
        raise ValidationError("Issue to one person, room or printer.")
    for model, obj_id, what in ((Person, person_id, "person"), (Location, location_id, "room"),
                                (Asset, asset_id, "asset")):
        if obj_id and not model.select().where(model.id == obj_id).exists():
            raise NotFound(f"No {what} with id {obj_id}.")
    return _move(item, "issue", -qty, by, to_person=person_id, to_location=location_id,
                 to_asset=asset_id, reason=clean_text(reason, "reason", 1000))


@writes
def adjust(supply_id: int, delta, reason: str, by: str | None = None) -> StockMove:
    item = get(supply_id)
    delta = parse_int(delta, "adjustment")
    if not delta:
        raise ValidationError("An adjustment changes the quantity.", field="adjustment")
    reason = clean_text(reason, "reason", 1000, required=True)
    return _move(item, "adjust", delta, by, reason=reason)


@writes
def count(supply_id: int, counted, reason: str | None = None, by: str | None = None) -> StockMove:
    """Record a physical count; the difference becomes the movement."""
    item = get(supply_id)
    counted = parse_int(counted, "counted quantity", 0, 10_000_000)
    if counted is None:
        raise ValidationError("Enter the counted quantity.", field="counted")
    current = Supply.select(Supply.on_hand).where(Supply.id == item.id).scalar()
    return _move(item, "count", counted - current, by,
                 reason=clean_text(reason, "reason", 1000) or "stock count")


@writes
def transfer(supply_id: int, to_bin: str, by: str | None = None) -> StockMove:
    item = get(supply_id)
    to_bin = clean_text(to_bin, "bin", required=True)
    move = _move(item, "transfer", 0, by, from_bin=item.bin, to_bin=to_bin)
    Supply.update(bin=to_bin).where(Supply.id == item.id).execute()
    return move


def fitting(asset_id: int) -> list[dict]:
    """Supplies that fit this printer asset, with what is on hand."""
    model_id = Asset.select(Asset.model).where(Asset.id == asset_id).scalar()
    if not model_id:
        return []
    return list(Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.on_hand,
                              Supply.reorder_point, Supply.target, Supply.bin)
                .join(SupplyFit).where(SupplyFit.model == model_id)
                .order_by(Supply.name).dicts())


def to_order(item: Supply) -> int:
    return max(0, (item.target or 0) - (item.on_hand or 0)) if item.on_hand <= item.reorder_point else 0


def low_stock_query():
    return Supply.select().where(Supply.active & (Supply.on_hand <= Supply.reorder_point))
