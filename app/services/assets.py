"""The asset register: create, edit, retire, dispose, check out and in."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

import peewee as pw

from app.models import (Asset, Category, HardwareModel, Loan, Location, Person, Repair, Seat,
                        Site, StocktakeExpected, Supplier)
from app.models.common import (ASSET_STATUSES, DISPOSAL_METHODS, FUNDING_TYPES,
                               INACTIVE_STATUSES, OPEN_REPAIR_STATUSES, utcnow)
from app.models.program import AGREEMENT_STATES, DAMAGE_KINDS
from app.services import history, kits, tags as tagsvc, validation
from app.services.base import fetch, locked, transaction, who, writes
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from app.services.fields import (check_form471, check_frn, check_frn_line, clean_text,
                                 parse_bool, parse_date, parse_int)
from app.store import search
from app.store.db import BaseModel, db, param, rows as query_rows

# Fields a person (or an import) may set directly. Status changes that have
# their own meaning (check-out, repair, disposal) go through their verbs, but
# the editor may still set the plain statuses.
EDITABLE: tuple[str, ...] = (
    "tag", "serial", "name", "model_id", "status", "site_id", "location_id",
    "purchase_date", "cost", "order_number", "supplier_id", "funding_type", "funding_name",
    "erate_frn", "erate_funding_year", "in_service_date", "warranty_end",
    "disposal_date", "disposal_method", "disposal_proceeds", "last_audit_date",
    "notes", "custom", "federal_award_id", "federal_share", "condition",
    "loaner",  # in the 1:1 program's loaner pool (app.services.loaners)
    "erate_form471", "erate_frn_line",
)
# What Google Admin says of a Chromebook (the chromebooks import; read-mostly in the editor).
CHROMEBOOK_FIELDS = ("aue_date", "org_unit", "last_sync", "annotated_user", "annotated_asset_id")
EDITABLE = EDITABLE + CHROMEBOOK_FIELDS
DATE_FIELDS = ("purchase_date", "in_service_date", "warranty_end", "disposal_date", "last_audit_date")
MONEY_FIELDS = ("cost", "disposal_proceeds")
FK_FIELDS: dict[str, type[HardwareModel] | type[Site] | type[Location] | type[Supplier]] = {
    "model_id": HardwareModel, "site_id": Site, "location_id": Location, "supplier_id": Supplier}
# Field name -> value, as the editor, the import and the CLI give them.
Values = dict[str, Any]
# Field name -> (old, new) of an edit.
Diff = dict[str, tuple[Any, Any]]
# Dates a correction restates from the earlier of the old and new day: a purchase
# date moved back to May was owned from May, whenever it was typed.
SELF_DATED = ("purchase_date", "in_service_date", "disposal_date")
SEARCH_FIELDS = {"tag", "serial", "name", "model_id", "site_id", "location_id", "notes",
                 "order_number", "erate_frn"}


def _attr(field: str) -> str:
    """Model attribute for a service field name (model_id → model)."""
    return field[:-3] if field in FK_FIELDS else field


# --- reading ----------------------------------------------------------------------

def lookup_tag(text: str) -> int | None:
    """The id of the asset with this tag, or None. The scanner's hot path: one
    indexed query on the raw connection, no model instance built."""
    key = tagsvc.normalize_tag(text)
    if not key:
        return None
    p = param()
    row = db.execute_sql(f"SELECT id FROM asset WHERE tag_key = {p}", (key,)).fetchone()
    return int(row[0]) if row else None


def lookup_serial(text: str) -> list[int]:
    key = (text or "").strip().upper()
    if not key:
        return []
    p = param()
    return [int(r[0]) for r in db.execute_sql(f"SELECT id FROM asset WHERE serial_key = {p} LIMIT 10",
                                         (key,)).fetchall()]


def get(asset_id: int) -> Asset:
    return fetch(Asset, asset_id, "No asset with id {id}.")


def lock(asset_id: int) -> Asset:
    """Read an asset for a change that depends on what is read (its loan, its
    status), holding its row lock on PostgreSQL until the transaction ends: a
    second workstation checking out the same asset waits, then sees the loan."""
    asset = locked(Asset.select().where(Asset.id == asset_id)).get_or_none()
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return asset


def get_by_tag(tag: str) -> Asset:
    asset_id = lookup_tag(tag)
    if asset_id is None:
        raise NotFound(f"No asset has the tag {tag.strip()}.")
    return get(asset_id)


class Holder(TypedDict):
    """Who has an asset: a person, or a location it is checked out to."""

    type: str  # person / location
    id: int
    name: str
    id_number: NotRequired[str | None]  # a person's


class OpenLoan(TypedDict):
    id: int
    out_at: dt.datetime
    due: dt.date | None
    borrower: str | None


class OpenRepair(TypedDict):
    id: int
    reported: dt.date
    problem: str
    status: str
    ticket: str | None
    vendor: str | None


class AssetDetails(TypedDict):
    """Everything a person wants to see about one asset, names resolved."""

    id: int
    tag: str
    serial: str | None
    name: str | None
    model: str | None
    manufacturer: str | None
    category: str | None
    status: str
    status_label: str
    site: str | None
    room: str | None
    holder: Holder | None
    purchase_date: dt.date | None
    cost: Decimal | None
    order_number: str | None
    supplier: str | None
    funding_type: str | None
    funding_name: str | None
    erate_frn: str | None
    erate_funding_year: int | None
    erate_form471: str | None
    erate_frn_line: str | None
    in_service_date: dt.date | None
    warranty_end: dt.date | None
    disposal_date: dt.date | None
    disposal_method: str | None
    disposal_proceeds: Decimal | None
    last_audit_date: dt.date | None
    notes: str | None
    custom: dict[str, Any]
    version: int
    open_loan: OpenLoan | None
    open_repair: OpenRepair | None


def details(asset_id: int) -> AssetDetails:
    """Everything a person wants to see about one asset, names resolved."""
    a = get(asset_id)
    model = a.model
    cat = model.category if model else None
    loan = open_loan(a.id)
    repair = (Repair.select().where((Repair.asset == a.id) & Repair.status.in_(OPEN_REPAIR_STATUSES))
              .order_by(Repair.id.desc()).get_or_none())
    holder: Holder | None = None
    person, place = a.assigned_person, a.assigned_location
    if person is not None:
        holder = {"type": "person", "id": person.id, "name": person.full_name,
                  "id_number": person.id_number}
    elif place is not None:
        holder = {"type": "location", "id": place.id, "name": place.name}
    site, room, supplier = a.site, a.location, a.supplier
    return {
        "id": a.id, "tag": a.tag, "serial": a.serial, "name": a.name,
        "model": model.name if model else None,
        "manufacturer": model.manufacturer.name if model and model.manufacturer else None,
        "category": cat.name if cat else None,
        "status": a.status, "status_label": ASSET_STATUSES.get(a.status, a.status),
        "site": site.name if site is not None else None,
        "room": room.name if room is not None else None,
        "holder": holder,
        "purchase_date": a.purchase_date, "cost": a.cost, "order_number": a.order_number,
        "supplier": supplier.name if supplier is not None else None,
        "funding_type": a.funding_type, "funding_name": a.funding_name,
        "erate_frn": a.erate_frn, "erate_funding_year": a.erate_funding_year,
        "erate_form471": a.erate_form471, "erate_frn_line": a.erate_frn_line,
        "in_service_date": a.in_service_date, "warranty_end": a.warranty_end,
        "disposal_date": a.disposal_date, "disposal_method": a.disposal_method,
        "disposal_proceeds": a.disposal_proceeds, "last_audit_date": a.last_audit_date,
        "notes": a.notes, "custom": a.custom or {}, "version": a.version,
        "open_loan": ({"id": loan.id, "out_at": loan.out_at, "due": loan.due,
                       "borrower": borrower(loan)}
                      if loan else None),
        "open_repair": ({"id": repair.id, "reported": repair.reported, "problem": repair.problem,
                         "status": repair.status, "ticket": repair.ticket,
                         "vendor": repair.vendor.name if repair.vendor else None}
                        if repair else None),
    }


def borrower(loan: Loan) -> str | None:
    """Who has the loan: the person's name, or the room's."""
    if loan.person is not None:
        return loan.person.full_name
    return loan.location.name if loan.location is not None else None


def open_loan(asset_id: int) -> Loan | None:
    return (Loan.select().where((Loan.asset == asset_id) & Loan.returned_at.is_null())
            .order_by(Loan.id.desc()).get_or_none())


def values_of(asset: Asset) -> Values:
    """The editable values of an asset, keyed as the services take them."""
    return {f: getattr(asset, f) for f in EDITABLE}


# --- effective dates ----------------------------------------------------------------

def effective_day(value: dt.date | str | None = None, asset: Asset | None = None, what: str = "change") -> dt.date:
    """The day a change took effect in the world: today when not given. A day
    after today, or before the asset was bought (else put in service), is
    refused — nothing can have happened to it then."""
    day = parse_date(value, "effective") if value not in (None, "") else None
    today = history.today()
    if day is None:
        return today
    if day > today:
        raise ValidationError(f"The {what} cannot take effect on {day.isoformat()}: that is "
                              f"after today ({today.isoformat()}).", field="effective")
    acquired = (asset.purchase_date or asset.in_service_date) if asset is not None else None
    if asset is not None and acquired and day < acquired:
        raise ValidationError(f"The {what} cannot take effect on {day.isoformat()}: asset "
                              f"{asset.tag} was bought on {acquired.isoformat()}.",
                              field="effective")
    return day


def _field_days(diff: Diff, day: dt.date, new_values: Values,
                asset: Asset) -> dict[str, dt.date | None]:
    """The effective day of each changed field: ``day``, except the record's own
    dates (the earlier of old, new and ``day``) and a disposal (its disposal date)."""
    days: dict[str, dt.date | None] = {}
    for key, (old, new) in diff.items():
        d = day
        if key in SELF_DATED:
            d = min([x for x in (old, new) if x] + [day])
        days[_attr(key)] = d
    disposed_on = new_values.get("disposal_date", asset.disposal_date)
    if diff.get("status", (None, None))[1] == "disposed" and disposed_on:
        for key in ("status", "disposal_date", "disposal_method", "disposal_proceeds"):
            if key in diff:
                days[key] = disposed_on
    return days


# --- validation -------------------------------------------------------------------

def clean(values: Mapping[str, Any], asset_id: int | None = None) -> Values:
    """Validate and convert editable fields. Raises ValidationError listing every
    problem (``errors`` maps field → message) so an editor can mark each field."""
    out: Values = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        if key not in EDITABLE:
            raise ValidationError(f"Unknown asset field {key!r}.")
        try:
            out[key] = _clean_one(key, value, asset_id)
        except ValidationError as err:
            errors[key] = str(err)
    if "purchase_date" in out and "disposal_date" in out and out["purchase_date"] \
            and out["disposal_date"] and out["disposal_date"] < out["purchase_date"]:
        errors["disposal_date"] = "Disposal date is before the purchase date."
    if "erate_frn" in out and out.get("erate_frn") and "funding_type" in out \
            and out["funding_type"] not in (None, "erate"):
        errors["funding_type"] = "An asset with an E-Rate FRN is funded by E-Rate."
    _erate_filing(values, out, errors, asset_id)
    if (out.get("federal_award_id") or out.get("federal_share") is not None) \
            and "funding_type" in out and out["funding_type"] not in (None, "grant"):
        errors["federal_award_id"] = ("An asset with a federal award (FAIN) or federal share "
                                      "is funded by a grant.")
    if errors:
        field = next(iter(errors))
        raise ValidationError(errors[field] if len(errors) == 1 else
                              "Some fields need fixing: " + " ".join(errors.values()),
                              field=field, errors=errors)
    return out


def _erate_filing(values: Mapping[str, Any], out: Values, errors: dict[str, str],
                  asset_id: int | None) -> None:
    """The FRN line item belongs to the asset's FRN (a bare line number "3"
    is completed from it), and a Form 471 or line item means E-Rate funding."""
    if "erate_frn_line" in out and "erate_frn_line" not in errors and out["erate_frn_line"]:
        frn = out.get("erate_frn") if "erate_frn" in out else (
            Asset.select(Asset.erate_frn).where(Asset.id == asset_id).scalar() if asset_id
            else None)
        try:
            out["erate_frn_line"] = check_frn_line(values["erate_frn_line"], frn)
            if not frn and "erate_frn" not in errors:  # the line item names its FRN
                out["erate_frn"] = out["erate_frn_line"].split(".")[0]
        except ValidationError as err:
            errors["erate_frn_line"] = str(err)
    elif out.get("erate_frn") and asset_id and "erate_frn_line" not in values:
        line = Asset.select(Asset.erate_frn_line).where(Asset.id == asset_id).scalar()
        if line and not line.startswith(out["erate_frn"] + "."):
            errors["erate_frn_line"] = (f"FRN line item {line} belongs to FRN {line[:10]}; "
                                        "change the line item with the FRN.")
    if (out.get("erate_form471") or out.get("erate_frn_line")) and "funding_type" in out \
            and out["funding_type"] not in (None, "erate"):
        errors["funding_type"] = ("An asset with an FCC Form 471 number or FRN line item is "
                                  "funded by E-Rate.")


def _clean_one(key: str, value: Any, asset_id: int | None) -> Any:
    if key == "tag":
        tag = tagsvc.clean_tag(value)
        q = Asset.select(Asset.id).where(Asset.tag_key == tagsvc.normalize_tag(tag))
        if asset_id:
            q = q.where(Asset.id != asset_id)
        if q.exists():
            raise ValidationError(f"Tag {tag} is already on another asset.", field="tag")
        if tagsvc.is_voided(tag):
            raise ValidationError(f"Tag {tag} was voided and cannot be used again.", field="tag")
        return tag
    if key in DATE_FIELDS or key == "aue_date":
        return validation.date(value, key)
    if key == "last_sync":
        return validation.moment(value, key)
    if key in MONEY_FIELDS:
        return validation.money(value, key)
    if key in FK_FIELDS:
        if value in (None, "", 0):
            return None
        if isinstance(value, BaseModel):
            value = value.id
        model = FK_FIELDS[key]
        if not model.select().where(model.id == int(value)).exists():
            raise ValidationError(f"That {_attr(key)} does not exist.", field=key)
        return int(value)
    if key == "status":
        value = (value or "ready")
        if value not in ASSET_STATUSES:
            raise ValidationError(f"Unknown status {value!r}; use one of "
                                  + ", ".join(ASSET_STATUSES) + ".", field=key)
        return value
    if key == "funding_type":
        value = clean_text(value, key, 20)
        if value and value not in FUNDING_TYPES:
            raise ValidationError("Funding is general, erate, grant or other.", field=key)
        return value
    if key == "erate_frn":
        return check_frn(value, key)
    if key == "erate_funding_year":
        return parse_int(value, key, 1998, 2100)
    if key == "erate_form471":
        return check_form471(value, key)
    if key == "erate_frn_line":
        # A bare line number needs the FRN: ``_erate_filing`` completes it.
        text = clean_text(value, key, 20)
        return text if text and text.replace(" ", "").isdigit() and len(text) <= 3 \
            else check_frn_line(value, None, key)
    if key == "federal_share":
        share = validation.money(value, key)
        if share is not None and not (0 <= share <= 100):
            raise ValidationError("The federal share is a percentage from 0 to 100.", field=key)
        return share
    if key == "federal_award_id":
        return clean_text(value, key, 60)
    if key == "condition":
        return clean_text(value, key, 100)
    if key == "loaner":
        return bool(parse_bool(value, key))
    if key == "disposal_method":
        value = clean_text(value, key, 40)
        if value and value not in DISPOSAL_METHODS:
            raise ValidationError("Disposal method is one of " + ", ".join(DISPOSAL_METHODS) + ".",
                                  field=key)
        return value
    if key == "custom":
        return validation.custom(value)
    if key == "serial":
        return validation.identifier(value, key)
    return validation.text(value, key)


def _place(values: Values) -> None:
    """Keep site and room consistent: a room implies its site."""
    loc_id = values.get("location_id")
    if loc_id:
        site_id = Location.select(Location.site).where(Location.id == loc_id).scalar()
        if values.get("site_id") and values["site_id"] != site_id:
            raise ValidationError("That room is at another site.", field="location_id")
        values["site_id"] = site_id


def _row(values: Mapping[str, Any]) -> Values:
    """Service field names → model column values."""
    row = {_attr(k): v for k, v in values.items()}
    if "tag" in values:
        row["tag_key"] = tagsvc.normalize_tag(values["tag"])
    if "serial" in values:
        row["serial_key"] = values["serial"].upper() if values["serial"] else None
    return row


# --- writing ----------------------------------------------------------------------

@writes
def create(values: Mapping[str, Any] | None = None, by: str | None = None,
           note: str | None = None, **kwargs: Any) -> Asset:
    """A new asset. Without a tag it gets the next one from the sequence."""
    given = dict(values or {}, **kwargs)
    if not given.get("tag"):
        given["tag"] = tagsvc.next_tags(1)[0]
    cleaned = clean(given)
    _place(cleaned)
    cleaned.setdefault("status", "ready")
    if (cleaned.get("erate_frn") or cleaned.get("erate_form471") or cleaned.get("erate_frn_line")) \
            and not cleaned.get("funding_type"):
        cleaned["funding_type"] = "erate"
    now = utcnow()
    row = _row(cleaned)
    row.update(created_at=now, updated_at=now, version=1)
    asset = Asset.create(**row)
    tagsvc.release_reservation(asset.tag)
    history.record("asset", asset.id, "create", new=asset.tag, by=by, note=note, at=now)
    search.refresh_assets([asset.id])
    return asset


@writes
def update(asset_id: int, changes: Mapping[str, Any], expected_version: int | None = None,
           by: str | None = None, action: str = "update",
           effective: dt.date | str | None = None) -> Asset:
    """Change fields of one asset. With ``expected_version`` (what the editor
    loaded), a record someone else saved meanwhile is refused with StaleEdit.
    ``effective`` is the day the change took effect (a move last Friday, a cost
    corrected from July 1): default today."""
    asset = get(asset_id)
    day = effective_day(effective, asset)
    if expected_version is not None and asset.version != expected_version:
        raise StaleEdit(
            f"Asset {asset.tag} was changed by someone else since you opened it.",
            current=values_of(asset), mine=dict(changes))
    values = clean(changes, asset.id)
    if "location_id" in values or "site_id" in values:
        merged: Values = {"location_id": values.get("location_id", asset.location_id),
                  "site_id": values.get("site_id", asset.site_id)}
        if "site_id" in values and "location_id" not in values and asset.location_id:
            loc_site = Location.select(Location.site).where(Location.id == asset.location_id).scalar()
            if loc_site != values["site_id"]:
                merged["location_id"] = None  # moving site without a room clears the room
        _place(merged)
        values.update(merged)
    diff: Diff = {}
    for key, new in values.items():
        old = getattr(asset, key if key not in FK_FIELDS else key)
        if old != new:
            diff[key] = (old, new)
    diff.update(_restated(asset, values, diff, day))
    if not diff:
        return asset
    _check_status_change(asset, diff, values)
    row = _row({k: v for k, (_, v) in diff.items()})
    row.update(version=asset.version + 1, updated_at=utcnow())
    n = (Asset.update(**row)
         .where((Asset.id == asset.id) & (Asset.version == asset.version)).execute())
    if n != 1:
        raise StaleEdit(f"Asset {asset.tag} was changed by someone else since you opened it.",
                        current=values_of(get(asset.id)), mine=dict(changes))
    history.record_changes("asset", asset.id, _readable(diff), by=by, action=action,
                           effective=_field_days(diff, day, values, asset))
    if SEARCH_FIELDS & diff.keys():
        search.refresh_assets([asset.id])
    return get(asset.id)


def _check_status_change(asset: Asset, diff: Diff, values: Values) -> None:
    """A field edit (the editor's Status list, `asset set status=…`) keeps the
    rules dispose() and retire() keep: nothing checked out is disposed of or
    retired, and a disposal has its date."""
    new = diff.get("status", (None, None))[1]
    if new in ("disposed", "retired") and open_loan(asset.id):
        verb = "disposing of" if new == "disposed" else "retiring"
        raise Conflict(f"Asset {asset.tag} is checked out; check it in before {verb} it.")
    if new == "disposed" and not values.get("disposal_date", asset.disposal_date):
        raise ValidationError(f"Give the disposal date (and method) to dispose of {asset.tag}: "
                              "Dispose…, or `quartermaster asset dispose`.", field="disposal_date")


def _restated(asset: Asset, values: Values, diff: Diff, day: dt.date) -> Diff:
    """Back-dated values equal to today's that still say something: a change to
    the field took effect after ``day``, so "it was already X from ``day``" restates
    the days between (recorded as X → X, effective ``day``)."""
    same = {_attr(k): k for k in values if k not in diff}
    if not same or day >= history.today():
        return {}
    from app.models import HistoryEntry as H
    later = {f for (f,) in query_rows(H.select(H.field).where(
        (H.entity == "asset") & (H.entity_id == asset.id) & H.field.in_(list(same))
        & (H.effective > day)))}
    return {same[f]: (values[same[f]], values[same[f]]) for f in later}


def _readable(diff: Diff) -> Diff:
    """History shows names, not ids, for references."""
    out: Diff = {}
    for key, (old, new) in diff.items():
        if key in FK_FIELDS:
            model = FK_FIELDS[key]
            old = model.get_or_none(model.id == old) if old else None
            new = model.get_or_none(model.id == new) if new else None
            key = _attr(key)
        out[key] = (old, new)
    return out


@writes
def retire(asset_id: int, by: str | None = None, note: str | None = None,
           release_seats: bool = False, expected_version: int | None = None,
           effective: dt.date | str | None = None) -> Asset:
    asset = lock(asset_id)
    day = effective_day(effective, asset, "retirement")
    if asset.status == "disposed":
        raise Conflict(f"Asset {asset.tag} is already disposed of.")
    if asset.status == "retired":
        return asset
    if open_loan(asset.id):
        raise Conflict(f"Asset {asset.tag} is checked out; check it in before retiring it.")
    if release_seats:
        _release_seats(asset, by)
    asset = update(asset.id, {"status": "retired"}, expected_version=expected_version,
                   by=by, action="retire", effective=day)
    if note:
        history.record("asset", asset.id, "note", note=note, by=by)
    return asset


def _release_seats(asset: Asset, by: str | None) -> int:
    rows = list(query_rows(Seat.select(Seat.id, Seat.license).where(Seat.asset == asset.id)))
    for _seat_id, license_id in rows:
        history.record("license", license_id, "release", old=asset.tag, by=by,
                       note="asset retired")
    Seat.delete().where(Seat.asset == asset.id).execute()
    return len(rows)


def delete_rows(ids: list[int]) -> None:
    """Delete these assets and the rows that only point at them: their seats
    and their places in stocktake snapshots (which have no foreign key to
    cascade them, schema step 14). Inside the caller's transaction; what to
    keep of their history is the caller's to decide."""
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        Seat.delete().where(Seat.asset.in_(chunk)).execute()
        StocktakeExpected.delete().where(StocktakeExpected.asset_id.in_(chunk)).execute()
        Asset.delete().where(Asset.id.in_(chunk)).execute()


def seat_count(asset_id: int) -> int:
    return Seat.select().where(Seat.asset == asset_id).count()


@writes
def dispose(asset_id: int, method: str, date: dt.date | str | None = None,
            proceeds: object = None, by: str | None = None, note: str | None = None) -> Asset:
    asset = lock(asset_id)
    if asset.status == "disposed":
        raise Conflict(f"Asset {asset.tag} is already disposed of.")
    if open_loan(asset.id):
        raise Conflict(f"Asset {asset.tag} is checked out; check it in before disposing of it.")
    day = effective_day(parse_date(date, "disposal_date"), asset, "disposal")
    _release_seats(asset, by)
    asset = update(asset.id, {"status": "disposed", "disposal_date": day,
                              "disposal_method": method, "disposal_proceeds": proceeds},
                   by=by, action="dispose", effective=day)
    if note:
        history.record("asset", asset.id, "note", note=note, by=by)
    return asset


# --- loans ------------------------------------------------------------------------

@writes
def check_out(asset_id: int, person_id: int | None = None, location_id: int | None = None,
              due: dt.date | str | None = None, condition: str | None = None,
              agreement_signed: bool = False, language: str | None = None,
              notes: str | None = None, by: str | None = None,
              effective: dt.date | str | None = None,
              agreement_status: str | None = None) -> Loan:
    """Lend an asset to a person or a location (a cart, a lab). ``effective``:
    the day it went out (default today); the loan starts that day.
    ``agreement_status``: signed / waiver / refused (AGREEMENT_STATES); "signed"
    (or ``agreement_signed``) records both. The model's kit goes out with it
    (LoanPart rows)."""
    asset = lock(asset_id)
    agreement_status = _agreement(agreement_status, agreement_signed)
    day = effective_day(effective, asset, "check-out")
    if bool(person_id) == bool(location_id):
        raise ValidationError("Check out to a person or to a location.", field="person_id")
    if asset.status in INACTIVE_STATUSES:
        raise Conflict(f"Asset {asset.tag} is {ASSET_STATUSES[asset.status].lower()}; "
                       "it cannot be checked out.")
    if asset.status == "in_repair":
        raise Conflict(f"Asset {asset.tag} is in repair; close the repair first.")
    if asset.status == "missing":
        raise Conflict(f"Asset {asset.tag} is marked missing; find it (check it in) first.")
    out = open_loan(asset.id)
    if out:
        raise Conflict(f"Asset {asset.tag} is already checked out to {borrower(out)}.")
    due_day = parse_date(due, "due")
    today = history.today()
    if due_day and day == today and due_day < today - dt.timedelta(days=1):
        raise ValidationError("The due date is in the past.", field="due")
    if due_day and due_day < day - dt.timedelta(days=1):
        raise ValidationError(f"The due date {due_day.isoformat()} is before the day it went out "
                              f"({day.isoformat()}).", field="due")
    last_back = (Loan.select(pw.fn.MAX(Loan.returned_at)).where(Loan.asset == asset.id).scalar())
    if last_back is not None and day < history.local_day(_as_datetime(last_back)):
        raise ValidationError(f"Asset {asset.tag} was checked in on "
                              f"{history.local_day(_as_datetime(last_back)).isoformat()}; it cannot "
                              f"have gone out again on {day.isoformat()}.", field="effective")
    person: Person | None = None
    location: Location | None = None
    if person_id:
        # A shared lock: check-outs to one person run side by side, but not
        # beside their deactivation (which reads their holdings, then writes).
        person = locked(Person.select().where(Person.id == person_id), share=True).get_or_none()
        if person is None:
            raise NotFound(f"No person with id {person_id}.")
        if not person.active:
            raise Conflict(f"{person.full_name} is no longer active.")
    else:
        location = Location.get_or_none(Location.id == location_id)
        if location is None:
            raise NotFound(f"No location with id {location_id}.")
    language = language or (person.language if person else "en")
    now = utcnow()
    try:
        with db.atomic():  # a savepoint: the refusal below can still read
            loan = Loan.create(asset=asset, person=person, location=location, out_at=_moment(day, now),
                               due=due_day, condition_out=clean_text(condition, "condition", 100),
                               agreement_signed=agreement_status == "signed",
                               agreement_status=agreement_status, language=language,
                               notes=clean_text(notes, "notes", 10_000), out_by=who(by))
    except pw.IntegrityError:
        # The database's one-open-loan rule: a writer that did not lock got there first.
        taken = open_loan(asset.id)
        if taken is None:
            raise
        raise Conflict(f"Asset {asset.tag} is already checked out to {borrower(taken)}.") from None
    kits.record_checkout(loan, asset.model_id)
    Asset.update(assigned_person=person, assigned_location=location, status="deployed",
                 version=Asset.version + 1, updated_at=now).where(Asset.id == asset.id).execute()
    history.record("asset", asset.id, "check_out", field="holder", old=None,
                   new=person or location, by=by,
                   note=f"due {due_day.isoformat()}" if due_day else None, at=now, effective=day)
    if asset.status != "deployed":  # so a report as of a past date knows its status then
        history.record("asset", asset.id, "check_out", field="status", old=asset.status,
                       new="deployed", by=by, at=now, effective=day)
    search.refresh_assets([asset.id])
    return loan


@writes
def check_in(asset_id: int, condition: str | None = None, by: str | None = None,
             status: str = "ready", notes: str | None = None,
             effective: dt.date | str | None = None,
             damage: list[str] | None = None,
             missing_parts: list[str] | None = None) -> Loan | None:
    """Take an asset back. Returns the closed loan (None if it had only an
    assignment without a loan record, e.g. from an import). ``effective``: the
    day it came back (default today); a condition noted becomes the asset's.
    ``damage``: DAMAGE_KINDS keys found (kept on the loan); the loan's kit parts
    come back "returned", or "missing" for the names in ``missing_parts``."""
    asset = lock(asset_id)
    damaged = clean_damage(damage)
    day = effective_day(effective, asset, "check-in")
    loan = open_loan(asset.id)
    if loan is not None and day < history.local_day(_as_datetime(loan.out_at)):
        raise ValidationError(f"Asset {asset.tag} went out on "
                              f"{history.local_day(_as_datetime(loan.out_at)).isoformat()}; it "
                              f"cannot have come back on {day.isoformat()}.", field="effective")
    if loan is None and not (asset.assigned_person_id or asset.assigned_location_id):
        if asset.status == "missing":
            # A missing asset turning up is a check-in too.
            update(asset.id, {"status": status}, by=by, action="found", effective=day)
            return None
        raise Conflict(f"Asset {asset.tag} is not checked out.")
    if status not in ASSET_STATUSES or status in ("deployed", "disposed"):
        raise ValidationError("After check-in an asset is ready, pending, in repair or retired.",
                              field="status")
    if loan is None and missing_parts:
        raise ValidationError(f"Asset {asset.tag} has no loan record, so no kit parts went out "
                              "with it to be missing.", field="missing_parts")
    missing = kits.match_missing(loan.id, missing_parts) if loan else []
    now = utcnow()
    condition = clean_text(condition, "condition", 100)
    holder = (asset.assigned_person if asset.assigned_person_id else
              asset.assigned_location if asset.assigned_location_id else None)
    if loan:
        Loan.update(returned_at=_moment(day, now), condition_in=condition,
                    in_by=who(by), damage=damaged or None,
                    notes=(loan.notes + "\n" + notes) if (loan.notes and notes) else (notes or loan.notes)
                    ).where(Loan.id == loan.id).execute()
        kits.record_checkin(loan, missing, by=by, asset_id=asset.id, at=now, effective=day)
    if damaged:
        history.record("asset", asset.id, "check_in", field="damage", new=", ".join(
            DAMAGE_KINDS[k] for k in damaged), by=by, at=now, effective=day)
    changed: dict[str, object] = {"assigned_person": None, "assigned_location": None,
                                  "status": status}
    if condition and condition != asset.condition:
        changed["condition"] = condition
    Asset.update(**changed, version=Asset.version + 1, updated_at=now) \
        .where(Asset.id == asset.id).execute()
    history.record("asset", asset.id, "check_in", field="holder", old=holder, new=None, by=by,
                   note=condition, at=now, effective=day)
    if asset.status != status:
        history.record("asset", asset.id, "check_in", field="status", old=asset.status,
                       new=status, by=by, at=now, effective=day)
    if "condition" in changed:
        history.record("asset", asset.id, "check_in", field="condition", old=asset.condition,
                       new=condition, by=by, at=now, effective=day)
    search.refresh_assets([asset.id])
    return Loan.get_by_id(loan.id) if loan else None


def _agreement(status: str | None, signed: bool) -> str | None:
    """The loan agreement's state: one of AGREEMENT_STATES, "signed" when only
    ``agreement_signed`` is given; a contradiction is refused."""
    key = (status or "").strip().lower() or None
    if key is None:
        return "signed" if signed else None
    if key not in AGREEMENT_STATES:
        raise ValidationError(f"Unknown agreement state {status!r}: use one of "
                              f"{', '.join(AGREEMENT_STATES)}.", field="agreement_status")
    if signed and key != "signed":
        raise ValidationError(f"The agreement cannot be both signed and "
                              f"“{AGREEMENT_STATES[key].lower()}”.", field="agreement_status")
    return key


def clean_damage(damage: str | Iterable[object] | None) -> list[str]:
    """DAMAGE_KINDS keys (labels accepted too), each once, in the vocabulary's order."""
    if not damage:
        return []
    if isinstance(damage, str):
        damage = [d for d in damage.split(",")]
    keys: set[str] = set()
    labels = {v.lower(): k for k, v in DAMAGE_KINDS.items()}
    for item in damage:
        text = str(item).strip().lower()
        if not text:
            continue
        key = text if text in DAMAGE_KINDS else labels.get(text)
        if key is None:
            raise ValidationError(f"Unknown damage {str(item).strip()!r}: use one of "
                                  f"{', '.join(DAMAGE_KINDS)}.", field="damage")
        keys.add(key)
    return [k for k in DAMAGE_KINDS if k in keys]


def _as_datetime(v: object) -> dt.datetime:
    return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))


def _moment(day: dt.date, now: dt.datetime) -> dt.datetime:
    """The stored timestamp of something that happened on ``day``: now when
    that is today, else the start of that local day (naive UTC)."""
    if day == history.local_day(now):
        return now
    local_midnight = dt.datetime.combine(day, dt.time.min).astimezone()
    return local_midnight.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class BatchResult:
    done: list[str] = dc_field(default_factory=list)
    problems: list[tuple[str, str]] = dc_field(default_factory=list)  # (tag, reason)


def check_in_many(tags: list[str], condition: str | None = None, by: str | None = None,
                  all_or_nothing: bool = False) -> BatchResult:
    """Check in many tags at once (year-end collection). Unknown or not-out tags
    are reported; the rest are checked in together in one transaction (or
    nothing is, with ``all_or_nothing``)."""
    result = BatchResult()
    seen: set[str] = set()
    ids: list[tuple[str, int]] = []
    for raw in tags:
        key = tagsvc.normalize_tag(raw)
        if not key or key in seen:
            continue
        seen.add(key)
        asset_id = lookup_tag(key)
        if asset_id is None:
            result.problems.append((raw.strip(), "no asset has this tag"))
            continue
        ids.append((raw.strip(), asset_id))
    if all_or_nothing and result.problems:
        return result
    with transaction():
        for tag, asset_id in ids:
            try:
                with db.atomic():
                    check_in(asset_id, condition=condition, by=by)
                result.done.append(tag)
            except Conflict as err:
                result.problems.append((tag, str(err)))
        if all_or_nothing and result.problems:
            raise Conflict("; ".join(f"{t}: {r}" for t, r in result.problems))
    return result


@writes
def mark_audited(asset_ids: list[int], date: dt.date | None = None, by: str | None = None) -> int:
    date = date or history.today()
    n = 0
    for start in range(0, len(asset_ids), 500):
        chunk = asset_ids[start:start + 500]
        # The date it replaces goes into history too, so a report as of an
        # earlier day can put it back.
        before: dict[int, dt.date | None] = dict(query_rows(Asset.select(Asset.id, Asset.last_audit_date).where(Asset.id.in_(chunk))))
        n += Asset.update(last_audit_date=date, version=Asset.version + 1, updated_at=utcnow()) \
            .where(Asset.id.in_(chunk)).execute()
        for asset_id in chunk:
            if asset_id in before:
                history.record("asset", asset_id, "audit", field="last_audit_date",
                               old=before[asset_id], new=date, by=by,
                               effective=min(date, history.today()))
    return n


def undo_last_edit(asset_id: int, by: str | None = None) -> Asset:
    """Put back the fields changed by the newest plain edit (Ctrl+Z)."""
    from app.models import HistoryEntry
    last = (HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                        & (HistoryEntry.entity_id == asset_id)
                                        & (HistoryEntry.action == "update"))
            .order_by(HistoryEntry.id.desc()).get_or_none())
    if last is None:
        raise Conflict("There is no edit to undo.")
    batch = list(HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                             & (HistoryEntry.entity_id == asset_id)
                                             & (HistoryEntry.action == "update")
                                             & (HistoryEntry.at == last.at)))
    changes: dict[str, object] = {}
    for entry in batch:
        field = entry.field
        if field in ("model", "site", "location", "supplier"):
            model = FK_FIELDS[field + "_id"]
            ref = model.get_or_none(model.name == entry.old) if entry.old else None
            changes[field + "_id"] = ref.id if ref else None
        elif field in EDITABLE:
            changes[field] = entry.old
    if not changes:
        raise Conflict("The last edit cannot be undone.")
    return update(asset_id, changes, by=by, action="undo")


def category_of(asset: Asset) -> Category | None:
    model = asset.model
    return model.category if model is not None else None
