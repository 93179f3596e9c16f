"""Consumable supplies: receive, issue, count, adjust, transfer.

On-hand is the sum of the item's movements; ``Supply.on_hand`` caches it and
is updated in the same transaction as the movement, so the two never differ.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

import peewee as pw

from app.models import Asset, Location, Person, StockMove, Supply, SupplyFit
from app.models.common import SUPPLY_CATEGORIES, utcnow
from app.services import history
from app.services.base import fetch, locked, search_text, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_int, parse_money
from app.store.db import BaseModel, db, first_row, param, rows as query_rows

FIELDS = ("name", "part_number", "barcode", "category", "unit", "reorder_point", "target",
          "bin", "unit_cost", "supplier_id", "notes", "active")


def get(supply_id: int) -> Supply:
    return fetch(Supply, supply_id, "No supply item with id {id}.")


def lookup_barcode(code: str) -> int | None:
    code = (code or "").strip()
    if not code:
        return None
    p = param()
    row = db.execute_sql(f"SELECT id FROM supply WHERE UPPER(barcode) = UPPER({p})", (code,)).fetchone()
    return int(row[0]) if row else None


def find(code: str) -> Supply | None:
    """A supply item by barcode, part number or exact name."""
    sid = lookup_barcode(code)
    if sid:
        return get(sid)
    code = (code or "").strip()
    return (Supply.get_or_none(pw.fn.UPPER(Supply.part_number) == code.upper())
            or Supply.get_or_none(pw.fn.LOWER(Supply.name) == code.lower()))


def clean(values: Mapping[str, Any], supply_id: int | None = None) -> dict[str, Any]:
    """The item's fields as stored, each checked; ValidationError names the first bad one."""
    out: dict[str, Any] = {}
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


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    return {("supplier" if k == "supplier_id" else k): v for k, v in values.items()}


@writes
def create(by: str | None = None, fits: list[int] | None = None, **values: Any) -> Supply:
    values = clean(values)
    if not values.get("name"):
        raise ValidationError("A supply item needs a name.", field="name")
    item = Supply.create(**_row(values))
    for model_id in fits or []:
        SupplyFit.insert(supply=item, model=model_id).on_conflict_ignore().execute()
    history.record("supply", item.id, "create", new=item.name, by=by)
    return item


@writes
def update(supply_id: int, changes: Mapping[str, Any], by: str | None = None,
           fits: list[int] | None = None) -> Supply:
    """Change an item's fields, and (when ``fits`` is given) the printer
    models it fits, in one transaction."""
    item = locked(Supply.select().where(Supply.id == supply_id)).get_or_none() or get(supply_id)
    values = clean(changes, supply_id)
    diff = {k: (getattr(item, k), v) for k, v in values.items() if getattr(item, k) != v}
    if diff:
        row = _row({k: v for k, (_, v) in diff.items()})
        row["updated_at"] = utcnow()
        Supply.update(**row).where(Supply.id == item.id).execute()
        history.record_changes("supply", item.id, diff, by=by)
    if fits is not None:
        before = sorted(m for (m,) in query_rows(SupplyFit.select(SupplyFit.model)
                        .where(SupplyFit.supply == supply_id)))
        if before != sorted(set(fits)):
            set_fits(supply_id, sorted(set(fits)), by=by)
    return get(item.id)


@writes
def set_fits(supply_id: int, model_ids: list[int], by: str | None = None) -> None:
    get(supply_id)
    SupplyFit.delete().where(SupplyFit.supply == supply_id).execute()
    for model_id in model_ids:
        SupplyFit.insert(supply=supply_id, model=model_id).on_conflict_ignore().execute()
    history.record("supply", supply_id, "update", field="fits",
                   new=",".join(map(str, model_ids)), by=by)


def _move(item: Supply, kind: str, qty: int, by: str | None, **extra: Any) -> StockMove:
    """Write one movement and the cached total together (caller holds the transaction).

    The total changes with one conditional UPDATE (``on_hand + qty >= 0``), so
    two workstations issuing the last box at the same moment cannot both
    succeed: on PostgreSQL the second waits for the row and re-checks."""
    n = (Supply.update(on_hand=Supply.on_hand + qty, updated_at=utcnow())
         .where((Supply.id == item.id) & (Supply.on_hand + qty >= 0)).execute())
    if n != 1:
        current: int = Supply.select(Supply.on_hand).where(Supply.id == item.id).scalar()
        unit = _unit(item, current)
        raise Conflict(f"Only {current} {unit + ' ' if unit else ''}of {item.name} on hand; "
                       f"cannot take {-qty}.")
    new_total: int = Supply.select(Supply.on_hand).where(Supply.id == item.id).scalar()
    before = new_total - qty
    move = StockMove.create(supply=item, kind=kind, qty=qty, balance=new_total,
                            by=who(by), **extra)
    history.record("supply", item.id, kind, field="on_hand", old=before, new=new_total, by=by,
                   note=extra.get("reason"))
    item.on_hand = new_total
    return move


def _unit(item: Supply, n: int) -> str:
    unit = item.unit or "each"
    return "" if unit == "each" else (unit if n == 1 or unit.endswith("s") else unit + "s")


@writes
def receive(supply_id: int, qty: object, unit_cost: object = None, order_number: str | None = None,
            by: str | None = None, reason: str | None = None) -> StockMove:
    item = get(supply_id)
    n = parse_int(qty, "quantity", 1, 1_000_000)
    if n is None:
        raise ValidationError("Receive a quantity of 1 or more.", field="quantity")
    cost = parse_money(unit_cost, "unit_cost")
    move = _move(item, "receive", n, by, unit_cost=cost,
                 order_number=clean_text(order_number, "order_number"), reason=reason)
    if cost is not None and cost != item.unit_cost:
        Supply.update(unit_cost=cost).where(Supply.id == item.id).execute()
    return move


@writes
def issue(supply_id: int, qty: object, person_id: int | None = None, location_id: int | None = None,
          asset_id: int | None = None, reason: str | None = None, by: str | None = None) -> StockMove:
    item = get(supply_id)
    n = parse_int(qty, "quantity", 1, 1_000_000)
    if n is None:
        raise ValidationError("Issue a quantity of 1 or more.", field="quantity")
    if sum(bool(x) for x in (person_id, location_id, asset_id)) != 1:
        raise ValidationError("Issue to one person, room or printer.")
    targets: tuple[tuple[type[BaseModel], int | None, str], ...] = (
        (Person, person_id, "person"), (Location, location_id, "room"), (Asset, asset_id, "asset"))
    for model, obj_id, what in targets:
        if obj_id and not model.select().where(model.id == obj_id).exists():
            raise NotFound(f"No {what} with id {obj_id}.")
    return _move(item, "issue", -n, by, to_person=person_id, to_location=location_id,
                 to_asset=asset_id, reason=clean_text(reason, "reason", 1000))


@writes
def adjust(supply_id: int, delta: object, reason: str, by: str | None = None) -> StockMove:
    item = get(supply_id)
    change = parse_int(delta, "adjustment")
    if not change:
        raise ValidationError("An adjustment changes the quantity.", field="adjustment")
    reason = clean_text(reason, "reason", 1000, required=True)
    return _move(item, "adjust", change, by, reason=reason)


@writes
def count(supply_id: int, counted: object, reason: str | None = None,
          by: str | None = None) -> StockMove:
    """Record a physical count; the difference becomes the movement."""
    item = get(supply_id)
    n = parse_int(counted, "counted quantity", 0, 10_000_000)
    if n is None:
        raise ValidationError("Enter the counted quantity.", field="counted")
    # Locked: the difference is worked out from what is read, and an issue
    # committed meanwhile must not be counted over.
    current: int = locked(Supply.select(Supply.on_hand).where(Supply.id == item.id)).scalar()
    return _move(item, "count", n - current, by,
                 reason=clean_text(reason, "reason", 1000) or "stock count")


@writes
def transfer(supply_id: int, to_bin: str, by: str | None = None) -> StockMove:
    item = get(supply_id)
    to_bin = clean_text(to_bin, "bin", required=True)
    if (item.bin or "").strip().lower() == to_bin.lower():
        raise ValidationError(f"{item.name} is already in bin {item.bin}.", field="bin")
    move = _move(item, "transfer", 0, by, from_bin=item.bin, to_bin=to_bin)
    Supply.update(bin=to_bin).where(Supply.id == item.id).execute()
    return move


class Fitting(TypedDict):
    """A supply item that fits a printer: what is on hand and what to order."""

    id: int
    name: str
    part_number: str | None
    barcode: str | None
    category: str
    on_hand: int
    reorder_point: int
    target: int
    bin: str | None
    unit: str
    low: bool
    to_order: int


class PrinterSupplies(TypedDict):
    """A printer asset and the supplies that fit it (`stock fits`)."""

    asset_id: int
    tag: str
    name: str | None
    model: str | None
    supplies: list[Fitting]


class SupplyRow(TypedDict):
    """A supply item as the Supplies page, `stock list` and the reorder report list it."""

    id: int
    name: str
    part_number: str | None
    barcode: str | None
    category: str
    unit: str
    on_hand: int
    reorder_point: int
    target: int
    bin: str | None
    unit_cost: Decimal | None
    active: bool
    category_label: str
    low: bool
    to_order: int
    fits: list[str]  # the printer models' names


class MoveRow(TypedDict):
    """One movement of an item, and where it went (``where``, for people)."""

    id: int
    at: dt.datetime
    kind: str
    qty: int
    balance: int | None
    to_person: int | None
    to_location: int | None
    to_asset: int | None
    from_bin: str | None
    to_bin: str | None
    unit_cost: Decimal | None
    order_number: str | None
    reason: str | None
    by: str | None
    first_name: str | None
    last_name: str | None
    tag: str | None
    room: str | None
    site: str | None
    where: str


def fitting(asset_id: int) -> list[Fitting]:
    """Supplies that fit this printer asset, with what is on hand and what to order."""
    model_id = Asset.select(Asset.model).where(Asset.id == asset_id).scalar()
    if not model_id:
        return []
    q = (Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.barcode,
                       Supply.category, Supply.on_hand, Supply.reorder_point,
                       Supply.target, Supply.bin, Supply.unit)
         .join(SupplyFit).where((SupplyFit.model == model_id) & Supply.active)
         .order_by(Supply.category, Supply.name))
    return [{"id": sid, "name": name, "part_number": part, "barcode": barcode,
             "category": category, "on_hand": on_hand, "reorder_point": reorder,
             "target": target, "bin": bin_, "unit": unit, "low": on_hand <= reorder,
             "to_order": _to_order(on_hand, reorder, target)}
            for sid, name, part, barcode, category, on_hand, reorder, target, bin_, unit
            in query_rows(q)]


def printer(asset_id: int) -> PrinterSupplies:
    """"What does this printer take, and how many do we have?" for one asset."""
    from app.models import HardwareModel
    row = (first_row(Asset.select(Asset.id, Asset.tag, Asset.name, HardwareModel.name)
           .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
           .where(Asset.id == asset_id)))
    if row is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return {"asset_id": row[0], "tag": row[1], "name": row[2], "model": row[3],
            "supplies": fitting(asset_id)}


def _to_order(on_hand: int, reorder_point: int, target: int) -> int:
    return max(0, (target or 0) - (on_hand or 0)) if (on_hand or 0) <= (reorder_point or 0) else 0


def to_order(item: Supply) -> int:
    return _to_order(item.on_hand, item.reorder_point, item.target)


def listing(low: bool = False, search: str = "", category: str | None = None,
            include_inactive: bool = False) -> list[SupplyRow]:
    """Every supply item with its figures and the printer models it fits (the
    Supplies page, `stock list`, the reorder report). Two queries."""
    from app.models import HardwareModel
    q = Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.barcode, Supply.category,
                      Supply.unit, Supply.on_hand, Supply.reorder_point, Supply.target,
                      Supply.bin, Supply.unit_cost, Supply.active)
    if not include_inactive:
        q = q.where(Supply.active)
    if low:
        q = q.where(Supply.on_hand <= Supply.reorder_point)
    if category:
        q = q.where(Supply.category == category)
    for word in search_text(search).split():
        like = f"%{word.lower()}%"
        q = q.where((pw.fn.LOWER(Supply.name) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Supply.part_number, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Supply.barcode, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Supply.bin, "")) ** like))
    items = list(query_rows(q.order_by(Supply.name)))
    fits: dict[int, list[str]] = {}
    for fit_id, model_name in (query_rows(SupplyFit.select(SupplyFit.supply, HardwareModel.name)
                                          .join(HardwareModel).order_by(HardwareModel.name))):
        fits.setdefault(fit_id, []).append(model_name)
    return [{"id": sid, "name": name, "part_number": part, "barcode": barcode,
             "category": category, "unit": unit, "on_hand": on_hand, "reorder_point": reorder,
             "target": target, "bin": bin_, "unit_cost": unit_cost, "active": active,
             "category_label": SUPPLY_CATEGORIES.get(category, str(category)),
             "low": active and on_hand <= reorder, "to_order": _to_order(on_hand, reorder, target),
             "fits": fits.get(sid, [])}
            for (sid, name, part, barcode, category, unit, on_hand, reorder, target, bin_,
                 unit_cost, active) in items]


def moves(supply_id: int, limit: int | None = 500) -> list[MoveRow]:
    """The item's movements, newest first, with where each went (one query)."""
    from app.models import Site
    q = (StockMove.select(StockMove.id, StockMove.at, StockMove.kind, StockMove.qty,
                          StockMove.balance, StockMove.to_person, StockMove.to_location,
                          StockMove.to_asset, StockMove.from_bin, StockMove.to_bin,
                          StockMove.unit_cost, StockMove.order_number, StockMove.reason,
                          StockMove.by, Person.first_name, Person.last_name, Asset.tag,
                          Location.name.alias("room"), Site.name.alias("site"))
         .join_from(StockMove, Person, pw.JOIN.LEFT_OUTER, on=(StockMove.to_person == Person.id))
         .join_from(StockMove, Asset, pw.JOIN.LEFT_OUTER, on=(StockMove.to_asset == Asset.id))
         .join_from(StockMove, Location, pw.JOIN.LEFT_OUTER,
                    on=(StockMove.to_location == Location.id))
         .join_from(Location, Site, pw.JOIN.LEFT_OUTER, on=(Location.site == Site.id))
         .where(StockMove.supply == supply_id)
         .order_by(StockMove.at.desc(), StockMove.id.desc()))
    if limit:
        q = q.limit(limit)
    out: list[MoveRow] = []
    for (mid, at, kind, qty, balance, to_person, to_location, to_asset, from_bin, to_bin,
         unit_cost, order_number, reason, by, first_name, last_name, tag, room,
         site) in query_rows(q):
        if kind == "transfer":
            where = f"bin {from_bin or '-'} \u2192 {to_bin}"
        elif to_person:
            where = f"{first_name} {last_name}"
        elif to_asset:
            where = tag or ""
        elif to_location:
            where = f"{site} / {room}"
        else:
            where = order_number or ""
        out.append({"id": mid, "at": at, "kind": kind, "qty": qty, "balance": balance,
                    "to_person": to_person, "to_location": to_location, "to_asset": to_asset,
                    "from_bin": from_bin, "to_bin": to_bin, "unit_cost": unit_cost,
                    "order_number": order_number, "reason": reason, "by": by,
                    "first_name": first_name, "last_name": last_name, "tag": tag, "room": room,
                    "site": site, "where": where})
    return out


class Recipient(TypedDict, total=False):
    """Whom an issue goes to: the one keyword ``issue()`` takes for it."""

    asset_id: int
    person_id: int
    location_id: int


def find_recipient(text: str) -> Recipient:
    """What ``issue --to`` names: a printer's tag, a person's ID number, or a
    room (label code or "Site / Room"). Returns the issue() keyword."""
    from app import scanning
    from app.services import catalog, people
    text = (text or "").strip()
    res = scanning.resolve(text)
    if res.kind == "asset" and res.id:
        return {"asset_id": res.id}
    if res.kind == "person" and res.id:
        return {"person_id": res.id}
    if res.kind == "location" and res.id:
        return {"location_id": res.id}
    loc = catalog.find_location(text)
    if loc:
        return {"location_id": loc.id}
    p = people.find(text)
    if p:
        return {"person_id": p.id}
    raise NotFound(f"No asset tag, person ID or room {text!r}.")


def require(code: str) -> Supply:
    """``find`` or a readable refusal (unknown barcode)."""
    item = find(code)
    if item is None:
        raise NotFound(f"No supply item has the barcode or part number {(code or '').strip()!r}.")
    return item
