"""Receiving a shipment: one pass, a few seconds per device.

An intake session holds what every device of the delivery shares (model, PO,
supplier, dates, cost, funding, destination room, label stock, expected
quantity, and whether the devices arrive with pre-printed tag labels). Each
scanned serial becomes an asset at once, in one transaction with its
IntakeItem and its history ("received on PO …, by …, at …"). Labels are the
front end's business (app/ never draws them): an item is *queued* until the
caller reports its label printed (``mark_printed``); a printing failure leaves
it queued with the reason (``label_failed``), the asset is never lost.

``scan`` is the hot path (bench/intake.py times it at 100,000 assets): the
session row, a pattern look-up, the last item of the session, one indexed
serial look-up, then the asset service's create.

Undo removes the last device. Its tag goes back to the sequence only when no
label was printed with it (and it is still the last one handed out);
otherwise the tag is voided so it is never reused.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import socket
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import peewee as pw

from app import scanning
from app.models import (Asset, HardwareModel, IntakeItem, IntakeSession, Loan, Location, Repair,
                        Site, Supplier)
from app.models.common import ASSET_STATUSES, FUNDING_TYPES, utcnow
from app.services import assets as assetsvc, catalog, history, tags as tagsvc, textfile, validation
from app.services.base import fetch, transaction, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_int
from app.store.db import db, first_row, rows as query_rows, sql
from app.wording import plural

# The same serial again within this window is the scanner (or a shaky hand)
# repeating itself, not a second device: ignored without an error.
REPEAT_S = 2.0
# The history of a device removed by undo is kept under this entity name.
REMOVED_ENTITY = "asset_removed"
# What each outcome sounds and looks like: ok / attention / error.
LEVELS = {"received": "ok", "pending": "ok", "repeat": "ok", "exists": "error",
          "tag_refused": "error", "invalid": "error", "closed": "error"}
DEFAULT_FIELDS = ("model_id", "order_number", "supplier_id", "purchase_date", "cost",
                  "funding_type", "funding_name", "erate_frn", "erate_funding_year",
                  "location_id", "warranty_end")
SERIAL_HEADERS = ("serial", "serialnumber", "serialno", "serialnum", "sn", "snno",
                  "servicetag", "servicetagnumber", "deviceserial", "deviceserialnumber",
                  "serialservicetag", "manufacturerserial", "manufacturerserialnumber",
                  "mfrserial", "imeiserial", "esn")


class ExistingAsset(TypedDict):
    """The asset that already has a serial or tag scanned, in words."""

    id: int
    tag: str
    status: str
    status_label: str
    place: str
    order_number: str | None


@dataclass(frozen=True)
class Outcome:
    """What one scan did, ready to show in big letters."""

    kind: str  # received, pending, repeat, exists, tag_refused, invalid, closed
    message: str
    serial: str = ""
    tag: str | None = None
    asset_id: int | None = None
    item_id: int | None = None
    warning: str | None = None  # the serial does not look like this model's
    existing: ExistingAsset | None = None  # the asset that already has the serial
    pending: str | None = None  # pre-printed mode: the serial waiting for its tag
    received: int = 0
    expected: int | None = None

    @property
    def level(self) -> str:
        if self.kind == "received" and self.warning:
            return "attention"
        return LEVELS.get(self.kind, "error")

    @property
    def count_text(self) -> str:
        return count_text(self.received, self.expected)


def count_text(received: int, expected: int | None) -> str:
    return f"{received:,} of {expected:,}" if expected else f"{received:,} received"


# --- sessions -----------------------------------------------------------------------

def _clean_defaults(values: dict[str, Any]) -> dict[str, Any]:
    asset_values = {k: values.get(k) for k in DEFAULT_FIELDS if k in values}
    cleaned = assetsvc.clean(asset_values)
    if cleaned.get("erate_frn") and not cleaned.get("funding_type"):
        cleaned["funding_type"] = "erate"
    if cleaned.get("funding_type") != "erate" and (cleaned.get("erate_frn")
                                                   or cleaned.get("erate_funding_year")):
        raise ValidationError("An FRN and funding year go with E-Rate funding.",
                              field="funding_type")
    if cleaned.get("funding_type") == "grant" and not cleaned.get("funding_name"):
        raise ValidationError("Name the grant that pays for this delivery.", field="funding_name")
    return cleaned


def resolve_model(text: str) -> HardwareModel:
    """A model by name, model number or "Maker Name" (any case)."""
    key = (text or "").strip().lower()
    if not key:
        raise ValidationError("Name the model being received.", field="model")
    found = list(HardwareModel.select().where((pw.fn.LOWER(HardwareModel.name) == key)
                         | (pw.fn.LOWER(HardwareModel.model_number) == key)).limit(3))
    if not found:
        for m in HardwareModel.select():
            maker = m.manufacturer.name if m.manufacturer is not None else ""
            if f"{maker} {m.name}".strip().lower() == key:
                found.append(m)
    if len(found) > 1:
        raise ValidationError(f"Several models are called {text.strip()!r}; use the model "
                              "number or \"Maker Name\".", field="model")
    if not found:
        raise NotFound(f"No model is called {text.strip()!r} (name or model number); "
                       "create it first or check the spelling.")
    return found[0]


def resolve_location(text: str) -> Location:
    """A room as "SITE/ROOM" (site by name or code) or by its label code."""
    loc = catalog.find_location(text)
    if loc is None and "/" in (text or ""):
        site_text, _, room = (p.strip() for p in text.partition("/"))
        site = catalog.find_site(site_text)
        if site is not None:
            loc = Location.get_or_none((Location.site == site)
                                       & (pw.fn.LOWER(Location.name) == room.lower()))
    if loc is None:
        raise NotFound(f"No room {text.strip()!r}: give \"Site/Room\" or the room label code "
                       "(LOC-00012).")
    return loc


@writes
def start(values: dict[str, Any], by: str | None = None) -> IntakeSession:
    """Open an intake. ``values``: model_id (or new_model = {name, manufacturer,
    category}), order_number, supplier_id (or supplier = a name, created if new),
    purchase_date, cost, funding_type/funding_name/erate_frn/erate_funding_year,
    location_id, warranty_end, label_template, expected_qty, preprinted_tags."""
    values = dict(values)
    new_model = values.pop("new_model", None)
    if new_model:
        name = clean_text(new_model.get("name"), "model", required=True)
        category = None
        if new_model.get("category"):
            category = catalog.ensure_category(new_model["category"])
        maker = catalog.ensure_manufacturer(new_model.get("manufacturer"))
        existing = (HardwareModel.select().where(
            (pw.fn.LOWER(HardwareModel.name) == name.lower())
            & ((HardwareModel.manufacturer == maker) if maker else
               HardwareModel.manufacturer.is_null())).get_or_none())
        model = existing or catalog.create_model(
            name, manufacturer=maker.name if maker else None,
            category_id=category.id if category else None,
            model_number=new_model.get("model_number"),
            serial_pattern=new_model.get("serial_pattern"), by=by)
        values["model_id"] = model.id
    supplier_name = values.pop("supplier", None)
    supplier = catalog.ensure_supplier(supplier_name) if not values.get("supplier_id") else None
    if supplier is not None:
        values["supplier_id"] = supplier.id
    if not values.get("model_id"):
        raise ValidationError("Choose the model being received (or create it).", field="model_id")
    cleaned = _clean_defaults(values)
    if not cleaned.get("order_number"):
        raise ValidationError("Give the purchase order number.", field="order_number")
    expected = parse_int(values.get("expected_qty"), "expected_qty", 0, 1_000_000) or None
    template = clean_text(values.get("label_template"), "label_template", 64)
    session = IntakeSession.create(
        model=cleaned["model_id"], order_number=cleaned["order_number"],
        supplier=cleaned.get("supplier_id"), purchase_date=cleaned.get("purchase_date"),
        cost=cleaned.get("cost"), funding_type=cleaned.get("funding_type"),
        funding_name=cleaned.get("funding_name"), erate_frn=cleaned.get("erate_frn"),
        erate_funding_year=cleaned.get("erate_funding_year"),
        location=cleaned.get("location_id"), warranty_end=cleaned.get("warranty_end"),
        label_template=template, expected_qty=expected,
        preprinted_tags=bool(values.get("preprinted_tags")), status="open",
        created_by=who(by))
    model = HardwareModel.get_by_id(cleaned["model_id"])
    history.record("intake", session.id, "start",
                   new=f"PO {session.order_number}: {expected or '?'} × {model.name}", by=by)
    return session


def get(session_id: int) -> IntakeSession:
    return fetch(IntakeSession, session_id, "No intake session {id}.")


class SessionInfo(TypedDict):
    """An intake's defaults in words, and its counts (the intake page's header)."""

    id: int
    status: str
    model_id: int | None
    model: str
    serial_pattern: str | None
    order_number: str | None
    supplier: str
    purchase_date: dt.date | None
    cost: Decimal | None
    funding: str
    place: str
    warranty_end: dt.date | None
    label_template: str | None
    expected: int | None
    preprinted: bool
    received: int
    queued: int
    created_at: dt.datetime
    created_by: str | None
    count_text: str


class SessionRow(TypedDict):
    id: int
    order_number: str | None
    status: str
    expected: int | None
    created_at: dt.datetime
    model: str
    received: int


class QueuedLabel(TypedDict):
    """A device whose tag label has not been printed yet."""

    item_id: int
    asset_id: int
    tag: str
    serial: str
    error: str | None  # why the last printing failed


class ItemRow(TypedDict):
    """One scan that made a device, and what became of its label."""

    item_id: int
    at: dt.datetime
    serial: str
    tag: str
    asset_id: int | None
    printed: bool
    undone: bool
    voided: bool
    warning: str | None
    error: str | None
    label: str  # the state in words


class SerialWarning(TypedDict):
    tag: str
    serial: str
    warning: str | None


class UnprintedLabel(TypedDict):
    tag: str
    serial: str
    error: str | None


def describe(session_id: int) -> SessionInfo:
    """The session's defaults in words, and its counts (the page's header)."""
    s = get(session_id)
    model = s.model
    maker = model.manufacturer.name if model and model.manufacturer is not None else ""
    place = catalog.location_path(s.location_id) if s.location_id else ""
    from app import labeling
    funding = labeling.funding_line(s.funding_type, s.funding_name, s.erate_frn,
                                    s.erate_funding_year) or \
        FUNDING_TYPES.get(s.funding_type or "", "")
    received = _received(s.id)
    queued = (IntakeItem.select().where((IntakeItem.session == s.id) & (IntakeItem.undone == False)  # noqa: E712
                                        & (IntakeItem.label_printed == False)).count())  # noqa: E712
    return {
        "id": s.id, "status": s.status, "model_id": s.model_id,
        "model": f"{maker} {model.name}".strip() if model else "",
        "serial_pattern": model.serial_pattern if model else None,
        "order_number": s.order_number, "supplier": s.supplier.name if s.supplier else "",
        "purchase_date": s.purchase_date, "cost": s.cost, "funding": funding,
        "place": place, "warranty_end": s.warranty_end, "label_template": s.label_template,
        "expected": s.expected_qty, "preprinted": s.preprinted_tags, "received": received,
        "queued": queued, "created_at": s.created_at, "created_by": s.created_by,
        "count_text": count_text(received, s.expected_qty),
    }


def list_sessions(include_closed: bool = True) -> list[SessionRow]:
    q = (IntakeSession.select(IntakeSession.id, IntakeSession.order_number, IntakeSession.status,
                              IntakeSession.expected_qty, IntakeSession.created_at,
                              HardwareModel.name)
         .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(IntakeSession.model == HardwareModel.id))
         .order_by(IntakeSession.id.desc()))
    if not include_closed:
        q = q.where(IntakeSession.status == "open")
    counts: dict[int, int] = dict(query_rows(IntakeItem.select(IntakeItem.session, pw.fn.COUNT(IntakeItem.id))
                  .where(IntakeItem.undone == False)  # noqa: E712
                  .group_by(IntakeItem.session)))
    return [{"id": sid, "order_number": po, "status": status, "expected": exp,
             "created_at": at, "model": model or "", "received": counts.get(sid, 0)}
            for sid, po, status, exp, at, model in query_rows(q)]


# --- scanning -----------------------------------------------------------------------

# A session's defaults never change once it is started (only its status does),
# so each scan reads just the status and reuses the defaults it read first.
if TYPE_CHECKING:
    class _OpenSession(IntakeSession):
        """An intake as _open reads it: with its model's, supplier's, site's and
        room's names joined in (aliases on the row, not columns)."""

        model_name: str | None
        serial_pattern: str | None
        supplier_name: str | None
        site_name: str | None
        room_name: str | None


_sessions: dict[tuple[object, int, str], _OpenSession] = {}


def _open(session_id: int) -> _OpenSession:
    """The open session with what each scan shows and writes: the model's name
    and serial pattern, the supplier, site and room names."""
    # Locked on PostgreSQL until the transaction ends: benches scanning into one
    # intake take turns (a serial already received is seen; no scan after close).
    lock = " FOR UPDATE" if not isinstance(db.obj, pw.SqliteDatabase) else ""
    row = db.execute_sql(_sql("SELECT status, order_number, created_at FROM intake_session "
                              "WHERE id = ?" + lock), (session_id,)).fetchone()
    if row is None:
        raise NotFound(f"No intake session {session_id}.")
    if row[0] != "open":
        raise Conflict(f"Intake {session_id} (PO {row[1]}) is closed; start a new "
                       "intake to receive more devices.")
    key = (getattr(db.obj, "qm_target", None) or id(db.obj), session_id, str(row[2]))
    cached = _sessions.get(key)
    if cached is None:
        Room = Location.alias()
        q = (IntakeSession.select(IntakeSession, HardwareModel.name.alias("model_name"),
                                  HardwareModel.serial_pattern.alias("serial_pattern"),
                                  Supplier.name.alias("supplier_name"),
                                  Site.name.alias("site_name"), Room.name.alias("room_name"))
             .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(IntakeSession.model == HardwareModel.id))
             .switch(IntakeSession)
             .join(Supplier, pw.JOIN.LEFT_OUTER, on=(IntakeSession.supplier == Supplier.id))
             .switch(IntakeSession)
             .join(Room, pw.JOIN.LEFT_OUTER, on=(IntakeSession.location == Room.id))
             .join(Site, pw.JOIN.LEFT_OUTER, on=(Room.site == Site.id))
             .where(IntakeSession.id == session_id))
        s: _OpenSession = q.objects().first()
        if len(_sessions) > 50:
            _sessions.clear()
        _sessions[key] = cached = s
    return cached


def _received(session_id: int) -> int:
    row = db.execute_sql(_sql("SELECT COUNT(*) FROM intake_item WHERE session_id = ? AND "
                              "undone = ?"), (session_id, False)).fetchone()
    return int(row[0])


def _sql(text: str) -> str:
    return sql(text)


def serial_patterns(model_id: int | None) -> list[str]:
    """The model's serial pattern; without one, every known model's (a bare
    "S" prefix is then stripped only when the rest looks like some model's
    serial)."""
    if model_id:
        own: str | None = (HardwareModel.select(HardwareModel.serial_pattern)
                           .where(HardwareModel.id == model_id).scalar())
        if own:
            return [own]
    return [p for (p,) in query_rows(HardwareModel.select(HardwareModel.serial_pattern)
            .where(HardwareModel.serial_pattern.is_null(False)).distinct()) if p]


def _own_pattern(model_id: int | None) -> str | None:
    if not model_id:
        return None
    own: str | None = HardwareModel.select(HardwareModel.serial_pattern).where(
        HardwareModel.id == model_id).scalar()
    return own


def _existing(asset_id: int) -> ExistingAsset:
    row = (first_row(Asset.select(Asset.id, Asset.tag, Asset.status, Asset.location, Asset.site,
                        Asset.order_number)
           .where(Asset.id == asset_id)))
    if row is None:
        raise NotFound(f"No asset with id {asset_id}.")
    aid, tag, status, loc, site, po = row
    place = catalog.location_path(loc) if loc else (
        Site.select(Site.name).where(Site.id == site).scalar() if site else "")
    return {"id": aid, "tag": tag, "status": status,
            "status_label": ASSET_STATUSES.get(status) or status, "place": place or "no room",
            "order_number": po}


def _check_serial(s: _OpenSession, code: str,
                  now: dt.datetime) -> tuple[str, str | None, Outcome | None]:
    """(serial, warning, Outcome-or-None): the outcome when the scan stops here."""
    own = s.serial_pattern
    reading = scanning.read_serial(code, [own] if own else serial_patterns(None))
    serial = reading.serial
    if not serial:
        return serial, None, Outcome("invalid", "Nothing was scanned.", code)
    if len(serial) > 100:
        return serial, None, Outcome("invalid", "That is too long for a serial (100 characters "
                                     "at most).", serial)
    last = (first_row(IntakeItem.select(IntakeItem.serial, IntakeItem.at, IntakeItem.tag, IntakeItem.undone)
            .where(IntakeItem.session == s.id).order_by(IntakeItem.id.desc())))
    if last and not last[3] and last[0].upper() == serial.upper() \
            and (now - last[1]).total_seconds() < REPEAT_S:
        return serial, None, Outcome("repeat", f"{serial} again — already received as {last[2]}",
                                     serial, tag=last[2])
    ids = assetsvc.lookup_serial(serial)
    if ids:
        ex = _existing(ids[0])
        return serial, None, Outcome(
            "exists", f"Serial {serial} is already {ex['tag']} ({ex['status_label']}, "
            f"{ex['place']}) — not received again", serial, tag=ex["tag"], asset_id=ex["id"],
            existing=ex)
    warning = None
    if own and reading.matches is False:
        warning = (f"does not look like a {s.model_name} serial — received anyway; "
                   "Ctrl+Z if it was the wrong barcode")
    return serial, warning, None


def workstation_name() -> str:
    try:
        return socket.gethostname() or "workstation"
    except OSError:
        return "workstation"


def scan(session_id: int, code: str, pending: str | None = None, by: str | None = None,
         at: dt.datetime | None = None, workstation: str | None = None) -> Outcome:
    """One scan during an intake, answered at once.

    New-tag mode: the code is a serial; the device is created with the next tag.
    Pre-printed mode: a serial becomes ``pending`` (pass it back with the next
    scan); a tag scanned while a serial is pending pairs the two.
    """
    now = at or utcnow()
    code = scanning.clean_scan(code)
    station = workstation or workstation_name()
    with transaction():
        s = _open(session_id)
        if not code:
            return _with_counts(s, Outcome("invalid", "Nothing was scanned.", code, pending=pending))
        if s.preprinted_tags:
            return _with_counts(s, _preprinted(s, code, pending, by, now, station))
        serial, warning, stop = _check_serial(s, code, now)
        if stop is not None:
            return _with_counts(s, stop)
        return _with_counts(s, _receive(s, serial, None, warning, by, now, station))


def _with_counts(s: IntakeSession, out: Outcome) -> Outcome:
    from dataclasses import replace
    return replace(out, received=_received(s.id), expected=s.expected_qty)


def _preprinted(s: _OpenSession, code: str, pending: str | None, by: str | None,
                now: dt.datetime, station: str) -> Outcome:
    if pending:
        if tagsvc.normalize_tag(code) == tagsvc.normalize_tag(pending) or \
                scanning.read_serial(code).serial.upper() == pending.upper():
            return Outcome("pending", f"{pending} — now scan the tag label on the device",
                           pending, pending=pending)
        own = s.serial_pattern
        is_tag = tagsvc.looks_like_tag(code) or (
            own is not None and scanning.read_serial(code, [own]).matches is False)
        if is_tag:
            refused = _tag_refusal(code)
            if refused:
                return Outcome("tag_refused", refused, pending, tag=code, pending=pending)
            serial, warning, stop = _check_serial(s, pending, now)
            if stop is not None and stop.kind != "repeat":
                return stop
            return _receive(s, serial, tagsvc.clean_tag(code), warning, by, now, station)
    elif tagsvc.looks_like_tag(code):
        refused = _tag_refusal(code)
        return Outcome("invalid", refused or f"{code} is a tag label: scan the device's serial "
                       "first, then its tag.", code, tag=code)
    serial, warning, stop = _check_serial(s, code, now)
    if stop is not None:
        return stop if stop.kind != "repeat" else Outcome(
            "repeat", stop.message, serial, tag=stop.tag)
    note = f"{pending} had no tag and was not received; " if pending else ""
    return Outcome("pending", f"{note}{serial} — now scan the tag label on the device",
                   serial, warning=warning, pending=serial)


def _tag_refusal(code: str) -> str | None:
    tag = scanning.clean_scan(code)
    owner = assetsvc.lookup_tag(tag)
    if owner:
        ex = _existing(owner)
        return f"Tag {ex['tag']} is already on another asset ({ex['status_label']}, {ex['place']})."
    if tagsvc.is_voided(tag):
        return f"Tag {tag} was voided and cannot be used; put a new label on the device."
    if len(tag) > tagsvc.MAX_TAG_LENGTH:
        return f"A tag has at most {tagsvc.MAX_TAG_LENGTH} characters."
    return None


def _history_note(s: _OpenSession, user: str, now: dt.datetime) -> str:
    place = f"{s.site_name} / {s.room_name}" if s.location_id else "no room"
    supplier = f" from {s.supplier_name}" if s.supplier_id else ""
    return (f"received on PO {s.order_number}{supplier} (intake {s.id}), by {user}, "
            f"at {now:%Y-%m-%d %H:%M} UTC, into {place}")


def _receive(s: _OpenSession, serial: str, tag: str | None, warning: str | None,
             by: str | None, now: dt.datetime, station: str | None = None) -> Outcome:
    user = who(by)
    values: dict[str, Any] = {"serial": serial, "model_id": s.model_id, "order_number": s.order_number,
              "supplier_id": s.supplier_id, "purchase_date": s.purchase_date, "cost": s.cost,
              "funding_type": s.funding_type, "funding_name": s.funding_name,
              "erate_frn": s.erate_frn, "erate_funding_year": s.erate_funding_year,
              "location_id": s.location_id, "warranty_end": s.warranty_end, "status": "ready"}
    if tag:
        values["tag"] = tag
    note = _history_note(s, user, now) + (f"; the serial {warning}" if warning else "")
    asset = assetsvc.create(values, by=user, note=note)
    item_id = IntakeItem.insert(session=s.id, asset=asset.id, serial=serial, tag=asset.tag,
                                label_printed=bool(s.preprinted_tags), at=now,
                                warning=(warning or "")[:255] or None, station=station).execute()
    message = f"{asset.tag} ← {serial}"
    return Outcome("received", message, serial, tag=asset.tag, asset_id=asset.id,
                   item_id=item_id, warning=warning)


# --- labels -------------------------------------------------------------------------

def queued(session_id: int) -> list[QueuedLabel]:
    """Items whose label has not been printed yet, in scan order."""
    q = (query_rows(IntakeItem.select(IntakeItem.id, IntakeItem.asset, IntakeItem.tag, IntakeItem.serial,
                           IntakeItem.label_error)
         .where((IntakeItem.session == session_id) & (IntakeItem.undone == False)  # noqa: E712
                & (IntakeItem.label_printed == False) & IntakeItem.asset.is_null(False))  # noqa: E712
         .order_by(IntakeItem.id)))
    return [{"item_id": i, "asset_id": a, "tag": t, "serial": s, "error": e} for i, a, t, s, e in q]


@writes
def mark_printed(item_ids: list[int]) -> int:
    if not item_ids:
        return 0
    changed: int = (IntakeItem.update(label_printed=True, label_error=None)
                    .where(IntakeItem.id.in_(list(item_ids))).execute())
    return changed


@writes
def label_failed(item_ids: list[int], message: str) -> int:
    """The labels of these items did not print: they stay queued, with why."""
    if not item_ids:
        return 0
    changed: int = (IntakeItem.update(label_error=(message or "printing failed")[:255])
                    .where(IntakeItem.id.in_(list(item_ids))).execute())
    return changed


def items(session_id: int, limit: int | None = None) -> list[ItemRow]:
    """Every scan that made a device (undone ones too), newest first."""
    q = (IntakeItem.select(IntakeItem.id, IntakeItem.at, IntakeItem.serial, IntakeItem.tag,
                           IntakeItem.asset, IntakeItem.label_printed, IntakeItem.undone,
                           IntakeItem.tag_voided, IntakeItem.warning, IntakeItem.label_error)
         .where(IntakeItem.session == session_id).order_by(IntakeItem.id.desc()))
    if limit:
        q = q.limit(limit)
    out: list[ItemRow] = []
    for iid, at, serial, tag, aid, printed, undone, voided, warning, error in query_rows(q):
        state = ("undone, tag voided" if voided else "undone, tag freed") if undone else \
            ("printed" if printed else ("queued — " + error if error else "queued"))
        out.append({"item_id": iid, "at": at, "serial": serial, "tag": tag, "asset_id": aid,
                    "printed": bool(printed), "undone": bool(undone), "voided": bool(voided),
                    "warning": warning, "error": error, "label": state})
    return out


# --- undo ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Undone:
    tag: str
    serial: str
    voided: bool  # the label was printed: the tag is voided, never reused
    freed: bool  # the tag goes back to the sequence (the next device gets it)
    message: str
    received: int = 0
    expected: int | None = None


@writes
def undo_last(session_id: int, by: str | None = None, workstation: str | None = None) -> Undone:
    """Remove the last device this workstation received in this session
    (through the services, with history; another bench's devices are not
    touched). Its tag: voided if its label was printed, else freed."""
    s = _open(session_id)
    station = workstation or workstation_name()
    item = (IntakeItem.select().where((IntakeItem.session == s.id)
                                      & (IntakeItem.undone == False)  # noqa: E712
                                      & IntakeItem.asset.is_null(False)
                                      & ((IntakeItem.station == station)
                                         | IntakeItem.station.is_null()))
            .order_by(IntakeItem.id.desc()).get_or_none())
    if item is None or item.asset_id is None:
        raise NotFound("Nothing to undo: this workstation has not received a device in this "
                       "intake yet.")
    asset = assetsvc.get(item.asset_id)
    if Loan.select().where(Loan.asset == asset.id).exists() or \
            Repair.select().where(Repair.asset == asset.id).exists():
        raise Conflict(f"{asset.tag} has been checked out or sent for repair since it was "
                       "received; retire it instead of undoing.")
    if asset.version != 1:
        raise Conflict(f"{asset.tag} has been edited since it was received; retire it "
                       "instead of undoing.")
    user = who(by)
    tag, serial = asset.tag, asset.serial or item.serial
    reason = f"intake {s.id} (PO {s.order_number}): undone by {user}"
    history.record("asset", asset.id, "delete", old=tag, by=user,
                   note=f"receipt undone: {reason}, serial {serial}")
    assetsvc.delete_rows([asset.id])
    # SQLite hands the highest id out again: the removed asset's trail moves
    # aside so the next device does not inherit it (nothing is erased).
    from app.models import HistoryEntry
    HistoryEntry.update(entity=REMOVED_ENTITY).where(
        (HistoryEntry.entity == "asset") & (HistoryEntry.entity_id == asset.id)).execute()
    voided = freed = False
    if s.preprinted_tags:
        # The pre-printed label stays on the device: scanning it again pairs it.
        message = f"Undone: {tag} ({serial}) removed; its pre-printed label can be scanned again"
    elif item.label_printed:
        tagsvc.void(tag, reason=f"label printed, then {reason}", by=user)
        voided = True
        message = f"Undone: {tag} ({serial}) removed — its label was printed, so {tag} is " \
                  "voided: peel the label off and destroy it"
    else:
        freed = tagsvc.give_back(tag)
        message = (f"Undone: {tag} ({serial}) removed; {tag} goes to the next device" if freed
                   else f"Undone: {tag} ({serial}) removed; its label was never printed")
    IntakeItem.update(undone=True, asset=None, tag_voided=voided).where(
        IntakeItem.id == item.id).execute()
    history.record("intake", s.id, "undo", old=f"{tag} ({serial})", by=user,
                   note="tag voided" if voided else "tag freed" if freed else "label not printed")
    return Undone(tag, serial, voided, freed, message, _received(s.id), s.expected_qty)


# --- closing ------------------------------------------------------------------------

@dataclass
class CloseReport:
    session_id: int
    order_number: str | None
    expected: int | None
    received: int
    warnings: list[SerialWarning] = dc_field(default_factory=list)
    unprinted: list[UnprintedLabel] = dc_field(default_factory=list)  # labels still queued
    voided: list[str] = dc_field(default_factory=list)
    first_tag: str | None = None
    last_tag: str | None = None

    @property
    def short(self) -> int:
        return max(0, (self.expected or 0) - self.received) if self.expected else 0

    @property
    def over(self) -> int:
        return max(0, self.received - self.expected) if self.expected else 0

    def summary(self) -> str:
        head = f"PO {self.order_number}: received {count_text(self.received, self.expected)}"
        if self.short:
            head += f" — {self.short:,} short"
        elif self.over:
            head += f" — {self.over:,} over"
        elif self.expected:
            head += " — complete"
        return head


def report(session_id: int) -> CloseReport:
    s = get(session_id)
    rep = CloseReport(s.id, s.order_number, s.expected_qty, _received(s.id))
    live = [i for i in reversed(items(s.id)) if not i["undone"]]
    rep.warnings = [{"tag": i["tag"], "serial": i["serial"], "warning": i["warning"]}
                    for i in live if i["warning"]]
    rep.unprinted = [{"tag": i["tag"], "serial": i["serial"], "error": i["error"]}
                     for i in live if not i["printed"]]
    rep.voided = [i["tag"] for i in items(s.id) if i["voided"]][::-1]
    if live:
        rep.first_tag, rep.last_tag = live[0]["tag"], live[-1]["tag"]
    return rep


@writes
def close(session_id: int, by: str | None = None) -> CloseReport:
    """Stop receiving; record what arrived against the PO (short or over)."""
    s = _open(session_id)
    rep = report(s.id)
    IntakeSession.update(status="closed", closed_at=utcnow(), closed_by=who(by)).where(
        IntakeSession.id == s.id).execute()
    note = rep.summary()
    if rep.unprinted:
        note += f"; {plural(len(rep.unprinted), 'label')} not printed"
    if rep.voided:
        note += f"; voided {', '.join(rep.voided)}"
    history.record("intake", s.id, "close", new=f"{rep.received} received", by=by, note=note)
    return rep


# --- files of serials (the CLI) ---------------------------------------------------------

def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def parse_serial_file(text: str) -> list[tuple[int, str]]:
    """(line number, serial as written) from a scanner's memory (one per line)
    or a vendor's manifest CSV whose header names a serial column ("Serial",
    "Serial Number", "S/N", "Service Tag"…). Blank lines are skipped."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    if first.count(delimiter):
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows = list(reader)
        header_index = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
        header = [_header_key(c) for c in rows[header_index]]
        column = next((header.index(h) for h in SERIAL_HEADERS if h in header), None)
        if column is None:
            column = next((i for i, h in enumerate(header) if "serial" in h), None)
        if column is None:
            raise ValidationError(
                "The file has columns but none is a serial number (looked for Serial, "
                "Serial Number, S/N, Service Tag); give a plain list, one serial per line, "
                "or rename the column.")
        out = []
        # csv.reader rows ≈ lines unless a quoted cell spans lines: count by the reader.
        for number, row in enumerate(rows[header_index + 1:], header_index + 2):
            if not any(c.strip() for c in row):
                continue
            out.append((number, row[column].strip() if column < len(row) else ""))
        return out
    out = [(n, ln.strip()) for n, ln in enumerate(lines, 1) if ln.strip()
           and not ln.strip().startswith("#")]
    if out and _is_serial_header(out[0][1]):
        out = out[1:]  # a one-column manifest's header ("Serial Number") is no device
    return out


def _is_serial_header(text: str) -> bool:
    key = _header_key(text.strip('"'))
    return key in SERIAL_HEADERS or key in ("serials", "serialnumbers", "servicetags")


@dataclass
class FileBatchResult:
    session_id: int | None = None
    tags: list[str] = dc_field(default_factory=list)
    asset_ids: list[int] = dc_field(default_factory=list)
    problems: list[tuple[int, str]] = dc_field(default_factory=list)
    warnings: list[tuple[int, str]] = dc_field(default_factory=list)
    skipped: int = 0
    report: CloseReport | None = None

    @property
    def written(self) -> bool:
        return self.session_id is not None


def check_serials(lines: list[tuple[int, str]], model_id: int | None) -> tuple[
        list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
    """(good (line, serial), problems (line, reason), warnings (line, text))."""
    own = _own_pattern(model_id)
    patterns = [own] if own else serial_patterns(None)
    good: list[tuple[int, str]] = []
    problems: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, raw in lines:
        hidden = validation.invisible_characters(raw)
        if hidden or any(ord(ch) < 32 and ch != "\t" for ch in raw):
            problems.append((number, "the serial holds invisible or control characters ("
                             + ", ".join(hidden[:3] or ["control codes"]) + "); it would read "
                             "like a different one"))
            continue
        reading = scanning.read_serial(raw, patterns)
        serial = reading.serial
        if not serial:
            problems.append((number, "no serial"))
            continue
        if len(serial) > 100:
            problems.append((number, f"serial {serial[:20]}… is longer than 100 characters"))
            continue
        key = serial.upper()
        if key in seen:
            problems.append((number, f"serial {serial} is also on line {seen[key]}"))
            continue
        seen[key] = number
        ids = assetsvc.lookup_serial(serial)
        if ids:
            ex = _existing(ids[0])
            problems.append((number, f"serial {serial} is already {ex['tag']} "
                                     f"({ex['status_label']}, {ex['place']})"))
            continue
        if own and reading.matches is False:
            warnings.append((number, f"serial {serial} does not match the model's pattern {own}"))
        good.append((number, serial))
    return good, problems, warnings


def receive_file(values: dict[str, Any], path: str | Path | None = None, text: str | None = None,
                 skip_bad: bool = False, by: str | None = None) -> FileBatchResult:
    """Receive every serial of a file into a new, closed intake — all or nothing:
    a duplicate or an existing serial writes nothing (``problems``) unless
    ``skip_bad``, which receives the rest."""
    if text is None:
        if path is None:
            raise ValidationError("Give the file of serials.")
        text = textfile.read_text(path, "serial")
    lines = parse_serial_file(text)
    result = FileBatchResult()
    if not lines:
        raise ValidationError("The file holds no serials.")
    model_id = values.get("model_id")
    good, result.problems, result.warnings = check_serials(lines, model_id)
    if result.problems and not skip_bad:
        return result
    result.skipped = len(result.problems)
    if not good:
        raise ValidationError("No serial in the file can be received.")
    values = dict(values)
    if not values.get("expected_qty"):
        values["expected_qty"] = len(lines)
    user = who(by)
    with transaction():
        s = _open(start(values, by=user).id)
        now = utcnow()
        warn = dict(result.warnings)
        for number, serial in good:
            out = _receive(s, serial, None, warn.get(number), user, now, "file")
            if out.tag is not None and out.asset_id is not None:  # a received device has both
                result.tags.append(out.tag)
                result.asset_ids.append(out.asset_id)
        result.session_id = s.id
        result.report = close(s.id, by=user)
    return result


__all__ = ["start", "get", "describe", "list_sessions", "scan", "undo_last", "close", "report",
           "queued", "mark_printed", "label_failed", "items", "parse_serial_file",
           "check_serials", "receive_file", "resolve_model", "resolve_location", "Outcome",
           "Undone", "CloseReport", "FileBatchResult", "REPEAT_S"]
