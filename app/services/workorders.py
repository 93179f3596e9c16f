"""Work orders: open, change, note (with time spent), resolve and close a request.

Every write is one transaction and leaves history on the work order (and, for
an asset it names, a line on the asset's history too). ``clean`` is the one
validation the dialog, the CLI and demo data go through.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, cast

import peewee as pw

from app.models import (Asset, Location, Person, Repair, Site, WorkOrder, WorkOrderAsset,
                        WorkOrderNote)
from app.models.common import (OPEN_REPAIR_STATUSES, OPEN_WORK_ORDER_STATUSES,
                               WORK_ORDER_CATEGORIES, WORK_ORDER_PRIORITIES, WORK_ORDER_STATUSES,
                               utcnow)
from app.services import history
from app.services.base import fetch_numbered, who, writes
from app.services.errors import Conflict, StaleEdit, ValidationError
from app.services.fields import clean_text, parse_date, parse_int
from app.wording import status_label
from app.store.db import BaseModel, dict_rows, first_row, rows as query_rows

ENTITY = "work_order"
# The fields ``create``/``update`` take; references by id.
FIELDS = ("summary", "description", "category", "priority", "status", "requester_id",
          "requester_name", "requester_contact", "site_id", "location_id", "asset_id",
          "repair_id", "assignee", "follow_up")
MAX_MINUTES = 24 * 60  # one note records at most a day's work


# --- reading ----------------------------------------------------------------------

def get(number: int | str) -> WorkOrder:
    return fetch_numbered(WorkOrder, number, "work order")


def is_open(wo: WorkOrder) -> bool:
    return wo.status in OPEN_WORK_ORDER_STATUSES


class NoteRow(TypedDict):
    id: int
    text: str
    minutes: int
    by: str | None
    at: dt.datetime


class AssetRef(TypedDict):
    """An asset as people read it on a work order."""

    id: int
    tag: str
    name: str


class WorkOrderDetails(TypedDict):
    """One work order as people read it (names, labels), with its thread."""

    number: int
    summary: str
    description: str | None
    category: str
    priority: str
    status: str
    status_key: str
    requester: str
    site: str | None
    room: str | None
    asset: str | None
    asset_tag: str | None
    assets: list[AssetRef]
    repair_id: int | None
    assignee: str | None
    follow_up: dt.date | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    created_by: str | None
    resolution: str | None
    minutes: int
    notes: list[NoteRow]


class WorkOrderRow(TypedDict):
    """A work order as the CLI list and the CSV show it."""

    number: int
    opened: dt.date | None
    status: str
    priority: str
    category: str
    summary: str
    requester: str
    site: str
    asset: str
    assignee: str
    follow_up: dt.date | None
    minutes: int
    closed: dt.date | None


def notes(number: int) -> list[NoteRow]:
    """The thread, oldest first."""
    # The keys of these rows are the columns selected.
    return cast("list[NoteRow]", list(dict_rows(WorkOrderNote.select(WorkOrderNote.id, WorkOrderNote.text, WorkOrderNote.minutes,
                                     WorkOrderNote.by, WorkOrderNote.at)
                .where(WorkOrderNote.work_order == int(number))
                .order_by(WorkOrderNote.at, WorkOrderNote.id))))


def minutes_spent(number: int) -> int:
    return int(WorkOrderNote.select(pw.fn.COALESCE(pw.fn.SUM(WorkOrderNote.minutes), 0))
               .where(WorkOrderNote.work_order == int(number)).scalar() or 0)


def asset_ids(wo: WorkOrder) -> list[int]:
    """The assets a work order is about, first first: its links (schema step
    11), else the one asset a work order made before them names."""
    linked = [a for (a,) in query_rows(WorkOrderAsset.select(WorkOrderAsset.asset)
              .where(WorkOrderAsset.work_order == wo.id).order_by(WorkOrderAsset.id))]
    if wo.asset_id and wo.asset_id not in linked:
        linked.insert(0, wo.asset_id)
    return linked


def asset_list(wo: WorkOrder) -> list[AssetRef]:
    """Its assets as people read them (tag, name), in order."""
    ids = asset_ids(wo)
    found = {i: (t, n) for i, t, n in query_rows(Asset.select(Asset.id, Asset.tag, Asset.name)
             .where(Asset.id.in_(ids)))} if ids else {}
    return [{"id": i, "tag": found[i][0], "name": found[i][1] or ""} for i in ids if i in found]


def requester_text(wo: WorkOrder) -> str:
    p = wo.requester
    if p is not None:
        return f"{p.full_name} ({p.id_number})" if p.id_number else p.full_name
    parts = [wo.requester_name or "", f"({wo.requester_contact})" if wo.requester_contact else ""]
    return " ".join(x for x in parts if x)


def details(number: int) -> WorkOrderDetails:
    """One work order as people read it (names, labels), with its thread."""
    wo = get(number)
    site, room, asset = wo.site, wo.location, wo.asset
    return {
        "number": wo.id, "summary": wo.summary, "description": wo.description,
        "category": WORK_ORDER_CATEGORIES.get(wo.category, wo.category),
        "priority": WORK_ORDER_PRIORITIES.get(wo.priority, wo.priority),
        "status": status_label(wo.status, "work_order"), "status_key": wo.status,
        "requester": requester_text(wo),
        "site": site.name if site is not None else None,
        "room": room.name if room is not None else None,
        "asset": f"{asset.tag} {asset.name or ''}".strip() if asset is not None else None,
        "asset_tag": asset.tag if asset is not None else None,
        "assets": asset_list(wo),
        "repair_id": wo.repair_id, "assignee": wo.assignee, "follow_up": wo.follow_up,
        "opened_at": wo.opened_at, "closed_at": wo.closed_at, "created_by": wo.created_by,
        "resolution": wo.resolution, "minutes": minutes_spent(wo.id), "notes": notes(wo.id),
    }


def rows(open_only: bool = False) -> list[WorkOrderRow]:
    """Every work order (newest first) for the CLI list and CSV."""
    q = (WorkOrder.select(WorkOrder, Person, Site, Asset)
         .join_from(WorkOrder, Person, pw.JOIN.LEFT_OUTER, on=(WorkOrder.requester == Person.id))
         .join_from(WorkOrder, Site, pw.JOIN.LEFT_OUTER, on=(WorkOrder.site == Site.id))
         .join_from(WorkOrder, Asset, pw.JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
         .order_by(WorkOrder.id.desc()))
    if open_only:
        q = q.where(WorkOrder.status.in_(list(OPEN_WORK_ORDER_STATUSES)))
    spent: dict[int, int | None] = dict(query_rows(
        WorkOrderNote.select(WorkOrderNote.work_order, pw.fn.SUM(WorkOrderNote.minutes))
        .group_by(WorkOrderNote.work_order)))
    links: dict[int, int] = dict(query_rows(
        WorkOrderAsset.select(WorkOrderAsset.work_order, pw.fn.COUNT(WorkOrderAsset.id))
        .group_by(WorkOrderAsset.work_order)))
    out: list[WorkOrderRow] = []
    for wo in q:
        site, asset = wo.site, wo.asset
        out.append({
            "number": wo.id, "opened": wo.opened_at.date() if wo.opened_at else None,
            "status": status_label(wo.status, "work_order"),
            "priority": WORK_ORDER_PRIORITIES.get(wo.priority, wo.priority),
            "category": WORK_ORDER_CATEGORIES.get(wo.category, wo.category),
            "summary": wo.summary, "requester": requester_text(wo),
            "site": site.name if site is not None else "",
            "asset": (asset.tag + (f" +{links[wo.id] - 1}" if links.get(wo.id, 0) > 1
                                   else "")) if asset is not None else "",
            "assignee": wo.assignee or "",
            "follow_up": wo.follow_up, "minutes": int(spent.get(wo.id) or 0),
            "closed": wo.closed_at.date() if wo.closed_at else None,
        })
    return out


def for_asset(asset_id: int) -> list[WorkOrder]:
    """Every work order about the asset: the first asset of some, one of
    several on others."""
    linked = WorkOrderAsset.select(WorkOrderAsset.work_order).where(
        WorkOrderAsset.asset == asset_id)
    return list(WorkOrder.select().where((WorkOrder.asset == asset_id) | WorkOrder.id.in_(linked))
                .order_by(WorkOrder.id.desc()))


def for_person(person_id: int) -> list[WorkOrder]:
    return list(WorkOrder.select().where(WorkOrder.requester == person_id)
                .order_by(WorkOrder.id.desc()))


# --- validation -------------------------------------------------------------------

def _choice(value: object, field: str, vocabulary: dict[str, str]) -> str:
    key = str(value or "").strip().lower().replace(" ", "_")
    if key in vocabulary:
        return key
    for k, label in vocabulary.items():  # "In progress" as well as in_progress
        if label.lower().replace(" ", "_") == key:
            return k
    raise ValidationError(f"Unknown {field.replace('_', ' ')} {str(value).strip()!r}: use one of "
                          f"{', '.join(vocabulary)}.", field=field)


def _ref(model: type[BaseModel], value: object, field: str, what: str) -> int | None:
    if value in (None, "", 0):
        return None
    ident = parse_int(value, field, minimum=1)
    if not model.select().where(model.id == ident).exists():
        raise ValidationError(f"That {what} does not exist.", field=field)
    return ident


def _assets(value: Iterable[object] | None) -> list[int]:
    """Asset ids, each once, in the order given; every one must exist."""
    ids: list[int] = []
    for v in value or ():
        ident = parse_int(v.id if isinstance(v, BaseModel) else v, "asset_ids", minimum=1)
        if ident is None:  # a blank among the ids names no asset
            raise ValidationError("One of those assets does not exist.", field="asset_ids")
        if ident not in ids:
            ids.append(ident)
    if ids:
        found = {i for (i,) in query_rows(Asset.select(Asset.id).where(Asset.id.in_(ids)))}
        if len(found) != len(ids):
            raise ValidationError("One of those assets does not exist.", field="asset_ids")
    return ids


def clean(values: Mapping[str, Any], current: WorkOrder | None = None) -> dict[str, Any]:
    """Checked, normalised values (only the keys given). Every problem is
    reported at once; the requester, site and room must agree with each other
    and with the asset when the caller leaves them out."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    checks: dict[str, Callable[[Any], object]] = {
        "summary": lambda v: clean_text(v, "summary", 200, required=True),
        "description": lambda v: clean_text(v, "description", 10_000),
        "category": lambda v: _choice(v, "category", WORK_ORDER_CATEGORIES),
        "priority": lambda v: _choice(v, "priority", WORK_ORDER_PRIORITIES),
        "status": lambda v: _choice(v, "status", WORK_ORDER_STATUSES),
        "requester_id": lambda v: _ref(Person, v, "requester_id", "person"),
        "requester_name": lambda v: clean_text(v, "requester_name", 120),
        "requester_contact": lambda v: clean_text(v, "requester_contact", 200),
        "site_id": lambda v: _ref(Site, v, "site_id", "site"),
        "location_id": lambda v: _ref(Location, v, "location_id", "room"),
        "asset_id": lambda v: _ref(Asset, v, "asset_id", "asset"),
        "repair_id": lambda v: _ref(Repair, v, "repair_id", "repair"),
        "assignee": lambda v: clean_text(v, "assignee", 100),
        "follow_up": lambda v: parse_date(v, "follow_up"),
        "asset_ids": _assets,
    }
    for key, value in values.items():
        if key not in checks:
            raise ValidationError(f"Unknown work order field {key!r}.")
        try:
            out[key] = checks[key](value)
        except ValidationError as exc:
            errors[exc.field or key] = str(exc)
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first if len(errors) == 1 else
                              f"{first} (and {len(errors) - 1} more)", errors=errors)

    def final(key: str) -> Any:
        return out[key] if key in out else (getattr(current, key) if current else None)

    # A room belongs to a site: fill the site in, or refuse a mismatch.
    loc_id = final("location_id")
    if loc_id:
        loc_site = Location.select(Location.site).where(Location.id == loc_id).scalar()
        if "site_id" in out and out["site_id"] and out["site_id"] != loc_site:
            raise ValidationError("That room is not at that site.", field="location_id")
        if not final("site_id"):
            out["site_id"] = loc_site
    # Several assets: the first is the work order's asset (the lists show it).
    if "asset_ids" in out:
        if out.get("asset_id") and out["asset_id"] not in out["asset_ids"]:
            out["asset_ids"].insert(0, out["asset_id"])
        out["asset_id"] = out["asset_ids"][0] if out["asset_ids"] else None
    # An asset's work order is where the asset is, unless told otherwise.
    asset_id = out.get("asset_id")
    if asset_id and not final("site_id"):
        where = first_row(Asset.select(Asset.site, Asset.location).where(Asset.id == asset_id))
        if where is None:
            raise ValidationError("That asset does not exist.", field="asset_id")
        out["site_id"], room = where
        if room and not final("location_id"):
            out["location_id"] = room
    if out.get("requester_id"):
        out.setdefault("requester_name", None)
        out.setdefault("requester_contact", None)
    if current is None and not (out.get("requester_id") or out.get("requester_name")):
        raise ValidationError("Who asked? Give a person from the register, or a name and a "
                              "way to reach them.", field="requester_name")
    return out


# --- writing ----------------------------------------------------------------------

@writes
def create(values: Mapping[str, Any], by: str | None = None) -> WorkOrder:
    values = dict(values)
    values.setdefault("category", "other")
    values.setdefault("priority", "normal")
    values.setdefault("status", "new")
    row = clean(values)
    if row["status"] not in OPEN_WORK_ORDER_STATUSES:
        raise ValidationError("A new work order is open: close it with a resolution.",
                              field="status")
    ids = row.pop("asset_ids", None) or ([row["asset_id"]] if row.get("asset_id") else [])
    wo = WorkOrder.create(**{_column(k): v for k, v in row.items()}, created_by=who(by))
    history.record(ENTITY, wo.id, "create", new=wo.summary, by=by)
    _link(wo, ids, [], by)
    return wo


def _link(wo: WorkOrder, ids: list[int], old: list[int], by: str | None) -> None:
    """Make the work order's asset links ``ids`` (was ``old``); each asset
    that joins gets a line in its history."""
    gone = [i for i in old if i not in ids]
    if gone:
        WorkOrderAsset.delete().where((WorkOrderAsset.work_order == wo.id)
                                      & WorkOrderAsset.asset.in_(gone)).execute()
    have = {a for (a,) in query_rows(WorkOrderAsset.select(WorkOrderAsset.asset)
            .where(WorkOrderAsset.work_order == wo.id))}
    new = [i for i in ids if i not in have]
    if new:
        WorkOrderAsset.insert_many([(wo.id, i) for i in new],
                                   fields=[WorkOrderAsset.work_order, WorkOrderAsset.asset]).execute()
    for i in ids:
        if i not in old:
            history.record("asset", i, "work_order", new=f"#{wo.id}", by=by, note=wo.summary)


def _column(key: str) -> str:
    return key.removesuffix("_id")


@writes
def update(number: int, changes: Mapping[str, Any], expected_version: int | None = None,
           by: str | None = None) -> WorkOrder:
    """Change fields. Closing goes through ``close`` (it needs a resolution);
    a closed work order is reopened by setting an open status."""
    wo = _locked(number)
    if expected_version is not None and wo.version != expected_version:
        raise StaleEdit(f"Work order #{wo.id} was changed by someone else since you opened it.",
                        current={k: getattr(wo, k) for k in FIELDS}, mine=dict(changes))
    row = clean(changes, current=wo)
    if row.get("status") == "closed" and wo.status != "closed":
        raise ValidationError("Close a work order with its resolution (Close…).", field="status")
    old_ids = asset_ids(wo)
    new_ids = row.pop("asset_ids", None)
    if new_ids is None and "asset_id" in row:  # one asset given: it replaces the first
        new_ids = ([row["asset_id"]] if row["asset_id"] else []) + \
            [i for i in old_ids[1:] if i != row["asset_id"]]
        if row["asset_id"] is None:
            new_ids = old_ids[1:]
            row["asset_id"] = new_ids[0] if new_ids else None
    diff: dict[str, tuple[object, object]] = {}
    for key, value in row.items():
        old = getattr(wo, key)
        if old != value:
            diff[key] = (old, value)
            setattr(wo, _column(key), value)
    if new_ids is not None and new_ids != old_ids:
        _link(wo, new_ids, old_ids, by)
        history.record_changes(ENTITY, wo.id, {"assets": (_tags(old_ids), _tags(new_ids))},
                               by=by)
        if not diff:
            wo.version += 1
            wo.updated_at = utcnow()
            wo.save()
    if not diff:
        return wo
    if "status" in diff:
        reopened = diff["status"][1] in OPEN_WORK_ORDER_STATUSES
        wo.closed_at = None if reopened else (wo.closed_at or utcnow())
    wo.version += 1
    wo.updated_at = utcnow()
    wo.save()
    history.record_changes(ENTITY, wo.id, _readable(diff), by=by)
    return wo


def _tags(ids: list[int]) -> str | None:
    tags: dict[int, str] = dict(query_rows(Asset.select(Asset.id, Asset.tag).where(Asset.id.in_(ids)))) if ids \
        else {}
    return ", ".join(tags[i] for i in ids if i in tags) or None


@writes
def add_asset(number: int, asset_id: int, by: str | None = None) -> WorkOrder:
    """One more asset on the work order (a scan into it)."""
    wo = _locked(number)
    ids = asset_ids(wo)
    if int(asset_id) in ids:
        return wo
    return update(wo.id, {"asset_ids": ids + [int(asset_id)]}, by=by)


def _readable(diff: Mapping[str, tuple[object, object]]) -> dict[str, tuple[object, object]]:
    """History shows names and labels, not ids and keys."""
    refs: dict[str, type[BaseModel]] = {"requester_id": Person, "site_id": Site,
                                        "location_id": Location, "asset_id": Asset}
    vocab = {"category": WORK_ORDER_CATEGORIES, "priority": WORK_ORDER_PRIORITIES,
             "status": WORK_ORDER_STATUSES}
    out: dict[str, tuple[object, object]] = {}
    for key, (old, new) in diff.items():
        if key in refs:
            model = refs[key]
            old = model.get_or_none(model.id == old) if old else None
            new = model.get_or_none(model.id == new) if new else None
            out[_column(key)] = (old, new)
        elif key in vocab:
            out[key] = (vocab[key].get(str(old), old), vocab[key].get(str(new), new))
        else:
            out[key] = (old, new)
    return out


def _locked(number: int) -> WorkOrder:
    """The work order, locked for this transaction on PostgreSQL (two
    technicians noting the same ticket must not lose a status change)."""
    wo = get(number)
    from app.store.db import db
    if isinstance(db.obj, pw.PostgresqlDatabase):
        wo = WorkOrder.select().where(WorkOrder.id == wo.id).for_update().get()
    return wo


@writes
def add_note(number: int, text: str, minutes: object = 0, status: str | None = None,
             by: str | None = None) -> WorkOrderNote:
    """A line in the thread with the time it took; a new work order that
    gets worked on moves to In progress (or to ``status`` when given)."""
    wo = _locked(number)
    text = clean_text(text, "note", 10_000, required=True)
    spent = parse_int(minutes if minutes not in (None, "") else 0, "minutes", minimum=0,
                      maximum=MAX_MINUTES) or 0
    if wo.status == "closed":
        raise Conflict(f"Work order #{wo.id} is closed; reopen it to add notes.")
    note = WorkOrderNote.create(work_order=wo, text=text, minutes=spent, by=who(by))
    history.record(ENTITY, wo.id, "note", new=f"{spent} min" if spent else None, by=by,
                   note=text)
    new_status = _choice(status, "status", WORK_ORDER_STATUSES) if status else (
        "in_progress" if wo.status == "new" else None)
    if new_status == "closed":
        raise ValidationError("Close a work order with its resolution (Close…).", field="status")
    if new_status and new_status != wo.status:
        history.record_changes(ENTITY, wo.id, _readable({"status": (wo.status, new_status)}),
                               by=by)
        wo.status = new_status
        wo.closed_at = None if new_status in OPEN_WORK_ORDER_STATUSES else utcnow()
        wo.version += 1
        wo.updated_at = utcnow()
        wo.save()
    return note


@writes
def send_to_repair(number: int, vendor_id: int | None = None, ticket: str | None = None,
                   by: str | None = None) -> Repair:
    """The work order's asset goes to a vendor: a repair opened (as on the
    Repairs page) and linked, the work order waiting on the vendor — together."""
    from app.services import repairs
    wo = _locked(number)
    if not is_open(wo):
        raise Conflict(f"Work order #{wo.id} is closed; reopen it first.")
    if not wo.asset_id:
        raise ValidationError(f"Work order #{wo.id} names no asset to send for repair.",
                              field="asset_id")
    if wo.repair_id and Repair.get_by_id(wo.repair_id).status in OPEN_REPAIR_STATUSES:
        raise Conflict(f"Work order #{wo.id} already has an open repair.")
    problem = wo.summary + (f"\n{wo.description}" if wo.description else "")
    repair = repairs.open_repair(wo.asset_id, problem, vendor_id=vendor_id, ticket=ticket, by=by)
    update(wo.id, {"repair_id": repair.id, "status": "waiting_vendor"}, by=by)
    return repair


@writes
def close(number: int, resolution: str, minutes: object = 0, by: str | None = None) -> WorkOrder:
    """Closed, with what was done. Time for the last visit can go with it."""
    wo = _locked(number)
    if wo.status == "closed":
        raise Conflict(f"Work order #{wo.id} is already closed.")
    resolution = clean_text(resolution, "resolution", 10_000, required=True)
    spent = parse_int(minutes if minutes not in (None, "") else 0, "minutes", minimum=0,
                      maximum=MAX_MINUTES) or 0
    if spent:
        WorkOrderNote.create(work_order=wo, text=resolution, minutes=spent, by=who(by))
    history.record_changes(ENTITY, wo.id, _readable({"status": (wo.status, "closed"),
                                                     "resolution": (wo.resolution, resolution)}),
                           by=by, action="close")
    wo.status = "closed"
    wo.resolution = resolution
    wo.closed_at = utcnow()
    wo.version += 1
    wo.updated_at = utcnow()
    wo.save()
    return wo
