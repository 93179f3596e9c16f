"""Software licenses and the seats they give."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict, cast

import peewee as pw

from app.models import Asset, License, Person, Seat
from app.models.common import utcnow
from app.services import history
from app.services.base import fetch, locked, search_text, who, writes
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from app.services.fields import clean_text, parse_bool, parse_date, parse_int, parse_money
from app.store.db import db, dict_rows, rows as query_rows
from app.wording import plural, status_label

FIELDS = ("product", "version", "vendor", "supplier_id", "product_key", "seats", "site_license",
          "allow_over", "purchase_date", "cost", "expiry_date", "order_number",
          "licensed_to", "notes")


def get(license_id: int) -> License:
    return fetch(License, license_id, "No license with id {id}.")


def find(text: str) -> License | None:
    """A license by id or product name (exact, any case; unique)."""
    text = (text or "").strip()
    if text.isdigit():
        lic = License.get_or_none(License.id == int(text))
        if lic:
            return lic
    found = list(License.select().where(pw.fn.LOWER(License.product) == text.lower()).limit(2))
    if len(found) == 1:
        return found[0]
    found = list(License.select().where(
        pw.fn.LOWER(License.product.concat(" ").concat(pw.fn.COALESCE(License.version, "")))
        == text.lower()).limit(2))
    return found[0] if len(found) == 1 else None


def seats_used(license_id: int) -> int:
    return Seat.select().where(Seat.license == license_id).count()


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """The license's fields as stored, each checked."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ValidationError(f"Unknown license field {key!r}.")
        if key in ("purchase_date", "expiry_date"):
            value = parse_date(value, key)
        elif key == "cost":
            value = parse_money(value, key)
        elif key == "seats":
            value = parse_int(value, "seats", 0, 10_000_000)
        elif key in ("site_license", "allow_over"):
            value = bool(parse_bool(value, key))
        elif key == "supplier_id":
            value = value or None
        elif key in ("product_key", "notes"):
            value = clean_text(value, key, 100_000)
        elif key == "product":
            value = clean_text(value, key, required=True)
        else:
            value = clean_text(value, key)
        out[key] = value
    return out


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    return {("supplier" if k == "supplier_id" else k): v for k, v in values.items()}


@writes
def create(by: str | None = None, **values: Any) -> License:
    values = clean(values)
    if not values.get("product"):
        raise ValidationError("A license needs a product name.", field="product")
    if not values.get("site_license") and values.get("seats") is None:
        raise ValidationError("Give the number of seats owned, or mark it a site license.",
                              field="seats")
    lic = License.create(**_row(values))
    history.record("license", lic.id, "create", new=str(lic), by=by)
    return lic


@writes
def update(license_id: int, changes: Mapping[str, Any], expected_version: int | None = None,
           by: str | None = None) -> License:
    lic = _lock(license_id)  # the seat count read below must hold until we write
    if expected_version is not None and lic.version_no != expected_version:
        raise StaleEdit(f"{lic} was changed by someone else meanwhile.")
    values = clean(changes)
    diff: dict[str, tuple[object, object]] = {k: (getattr(lic, k), v) for k, v in values.items()
            if k != "product_key" and getattr(lic, k) != v}
    if "product_key" in values and _is_pg():
        # The key is not read back on PostgreSQL (nobody may read it unrecorded):
        # history notes that a key was set or cleared, never its value.
        stored = key_stored(lic.id)
        if values["product_key"] or stored:
            diff["product_key"] = ("••••" if stored else None, values["product_key"])
    elif "product_key" in values and lic.product_key != values["product_key"]:
        diff["product_key"] = (lic.product_key, values["product_key"])
    if not diff:
        return lic
    seats = values.get("seats", lic.seats)
    site = values.get("site_license", lic.site_license)
    allow = values.get("allow_over", lic.allow_over)
    if not site and seats is None:
        raise ValidationError("Give the number of seats owned, or mark it a site license.",
                              field="seats")
    if not site and seats is not None and not allow and seats_used(lic.id) > seats:
        raise Conflict(f"{seats_used(lic.id)} seats are in use; release some before "
                       f"lowering the count to {seats}.")
    row = _row({k: v for k, (_, v) in diff.items()})
    row.update(version_no=lic.version_no + 1, updated_at=utcnow())
    n = License.update(**row).where((License.id == lic.id)
                                    & (License.version_no == lic.version_no)).execute()
    if n != 1:
        raise StaleEdit(f"{lic} was changed by someone else meanwhile.")
    history.record_changes("license", lic.id, diff, by=by)
    return get(lic.id)


def _is_pg() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


def _lock(license_id: int) -> License:
    """Read the license holding its row lock (PostgreSQL), so two workstations
    taking the last seat at once cannot both succeed; SQLite serialises writers.
    (The database's seat trigger refuses over-allocation anyway.)"""
    lic = locked(License.select().where(License.id == license_id)).get_or_none()
    if lic is None:
        raise NotFound(f"No license with id {license_id}.")
    return lic


def _check_room(lic: License, adding: int = 1) -> None:
    if lic.site_license or lic.allow_over or lic.seats is None:
        return
    used = seats_used(lic.id)
    if used + adding > lic.seats:
        free = max(0, lic.seats - used)
        if adding == 1:
            raise Conflict(f"{lic} has {lic.seats} seats and all are in use "
                           f"({used} assigned); release one or buy more.")
        raise Conflict(f"{lic} has {plural(free, 'free seat')} of {lic.seats}; {adding} asked for. "
                       f"Release some or buy more.")


def _holder_check(lic: License, asset_id: int | None, person_id: int | None) -> str:
    """Validate a new holder and return its display name."""
    if bool(asset_id) == bool(person_id):
        raise ValidationError("Assign a seat to a computer or to a person.")
    if asset_id:
        asset = Asset.get_or_none(Asset.id == asset_id)
        if asset is None:
            raise NotFound(f"No asset with id {asset_id}.")
        if asset.status in ("retired", "disposed"):
            raise Conflict(f"Asset {asset.tag} is {status_label(asset.status)}.")
        if Seat.select().where((Seat.license == lic) & (Seat.asset == asset)).exists():
            raise Conflict(f"{asset.tag} already has a seat of {lic}.")
        return asset.tag
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    if Seat.select().where((Seat.license == lic) & (Seat.person == person)).exists():
        raise Conflict(f"{person.full_name} already has a seat of {lic}.")
    return person.full_name


@writes
def assign(license_id: int, asset_id: int | None = None, person_id: int | None = None,
           by: str | None = None) -> Seat:
    """Give a computer or a person a seat. Refused when every seat is taken,
    unless the license allows over-allocation (compliance then reports it).
    An expired license can still be assigned: compliance flags it."""
    lic = _lock(license_id)
    holder = _holder_check(lic, asset_id, person_id)
    _check_room(lic)
    seat = Seat.create(license=lic, asset=asset_id, person=person_id, by=who(by))
    history.record("license", lic.id, "assign", new=holder, by=by)
    if asset_id:
        history.record("asset", asset_id, "license_assign", new=str(lic), by=by)
    return seat


class Assigned(TypedDict):
    assigned: int  # seats given
    skipped: int  # computers that had one already


@writes
def assign_many(license_id: int, asset_ids: list[int], by: str | None = None) -> Assigned:
    """Seats for several computers at once (the Assets page selection): all or
    none. Computers that already have a seat are skipped, not an error."""
    lic = _lock(license_id)
    asset_ids = list(dict.fromkeys(int(a) for a in asset_ids))
    if not asset_ids:
        raise ValidationError("Choose the computers to assign.")
    have: set[int] = set()
    for start in range(0, len(asset_ids), 500):
        part = asset_ids[start:start + 500]
        have.update(a for (a,) in query_rows(Seat.select(Seat.asset)
                    .where((Seat.license == lic) & Seat.asset.in_(part))))
    todo = [a for a in asset_ids if a not in have]
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(todo), 500):
        part = todo[start:start + 500]
        found.update((i, (t, st)) for i, t, st in
                     query_rows(Asset.select(Asset.id, Asset.tag, Asset.status).where(Asset.id.in_(part))))
    missing = [a for a in todo if a not in found]
    if missing:
        raise NotFound(f"No asset with id {missing[0]}.")
    gone = [t for t, st in found.values() if st in ("retired", "disposed")]
    if gone:
        raise Conflict(f"{len(gone)} of the chosen assets are retired or disposed "
                       f"(e.g. {gone[0]}); leave them out.")
    if todo:
        _check_room(lic, adding=len(todo))
        user = who(by)
        now = utcnow()
        for start in range(0, len(todo), 500):
            Seat.insert_many([dict(license=lic.id, asset=a, by=user, assigned_at=now)
                              for a in todo[start:start + 500]]).execute()
        from app.models import HistoryEntry
        rows = [dict(entity="license", entity_id=lic.id, action="assign", new=found[a][0],
                     who=user, at=now) for a in todo]
        rows += [dict(entity="asset", entity_id=a, action="license_assign", new=str(lic),
                      who=user, at=now) for a in todo]
        for start in range(0, len(rows), 500):
            HistoryEntry.insert_many(rows[start:start + 500]).execute()
    return {"assigned": len(todo), "skipped": len(have)}


@writes
def move(license_id: int, from_asset_id: int | None = None, from_person_id: int | None = None,
         to_asset_id: int | None = None, to_person_id: int | None = None,
         by: str | None = None) -> Seat:
    """Move one seat to another computer or person (a replaced laptop): the
    count in use does not change, so a full license can still move seats."""
    lic = _lock(license_id)
    seat = _seat_of(lic, from_asset_id, from_person_id)
    old = _seat_holder_name(seat)
    new = _holder_check(lic, to_asset_id, to_person_id)
    Seat.update(asset=to_asset_id, person=to_person_id, assigned_at=utcnow(),
                by=who(by)).where(Seat.id == seat.id).execute()
    history.record("license", lic.id, "move", old=old, new=new, by=by)
    if seat.asset_id:
        history.record("asset", seat.asset_id, "license_release", old=str(lic), by=by,
                       note=f"seat moved to {new}")
    if to_asset_id:
        history.record("asset", to_asset_id, "license_assign", new=str(lic), by=by,
                       note=f"seat moved from {old}")
    return Seat.get_by_id(seat.id)


def _seat_of(lic: License, asset_id: int | None, person_id: int | None) -> Seat:
    if bool(asset_id) == bool(person_id):
        raise ValidationError("Name the computer or the person that holds the seat.")
    q = Seat.select().where(Seat.license == lic)
    q = q.where(Seat.asset == asset_id) if asset_id else q.where(Seat.person == person_id)
    seat = q.get_or_none()
    if seat is None:
        raise NotFound(f"That holder has no seat of {lic}.")
    return seat


def _seat_holder_name(seat: Seat) -> str:
    if seat.asset is not None:
        return seat.asset.tag
    return seat.person.full_name if seat.person is not None else ""


@writes
def release(license_id: int, asset_id: int | None = None, person_id: int | None = None,
            by: str | None = None) -> None:
    lic = _lock(license_id)
    seat = _seat_of(lic, asset_id, person_id)
    holder = _seat_holder_name(seat)
    seat.delete_instance()
    history.record("license", lic.id, "release", old=holder, by=by)
    if asset_id:
        history.record("asset", asset_id, "license_release", old=str(lic), by=by)


@writes
def release_seats(seat_ids: list[int], by: str | None = None) -> int:
    """Release several seats picked in the seat list (one transaction)."""
    seat_ids = [int(i) for i in seat_ids]
    n = 0
    for start in range(0, len(seat_ids), 500):
        part = seat_ids[start:start + 500]
        # Locked first: two workstations releasing the same seat release it once.
        part = [i for (i,) in query_rows(locked(Seat.select(Seat.id).where(Seat.id.in_(part))))]
        rows = list(query_rows(Seat.select(Seat.id, Seat.license, Seat.asset, Asset.tag, Person.first_name,
                                Person.last_name, License.product, License.version)
                    .join_from(Seat, License)
                    .join_from(Seat, Asset, pw.JOIN.LEFT_OUTER)
                    .join_from(Seat, Person, pw.JOIN.LEFT_OUTER)
                    .where(Seat.id.in_(part))))
        for _sid, lic_id, asset_id, tag, first, last, product, version in rows:
            holder = tag or f"{first} {last}".strip()
            history.record("license", lic_id, "release", old=holder, by=by)
            if asset_id:
                history.record("asset", asset_id, "license_release",
                               old=f"{product} {version or ''}".strip(), by=by)
        Seat.delete().where(Seat.id.in_(part)).execute()
        n += len(rows)
    return n


# --- the product key ----------------------------------------------------------------

def masked_key(key: str | None) -> str:
    """What the screen shows: the key's shape (its dashes) with only the last
    three characters readable."""
    if not key:
        return ""
    key = key.strip()
    keep = 3 if len(key) > 8 else 0
    cut = len(key) - keep
    return "".join(c if c in "- " or i >= cut else "\u2022" for i, c in enumerate(key))


@writes
def reveal_key(license_id: int, by: str | None = None) -> str | None:
    """The product key in clear, and a history entry saying who looked. On
    PostgreSQL the server reads the key and writes that entry itself
    (``qm_product_key``), and only roles granted that function may call it."""
    lic = get(license_id)
    if _is_pg():
        key: str | None = db.execute_sql("SELECT qm_product_key(%s, 'reveal')",
                                         (lic.id,)).fetchone()[0]
        return key
    if not lic.product_key:
        return None
    history.record("license", lic.id, "reveal_key", field="product_key", by=by,
                   note="product key shown")
    return lic.product_key


def key_stored(license_id: int) -> bool:
    """Whether a product key is stored (anyone may know that much)."""
    if _is_pg():
        return bool(db.execute_sql("SELECT qm_product_key_stored(%s)", (license_id,)).fetchone()[0])
    return bool(License.select(License.product_key).where(License.id == license_id).scalar())


def masked(license_id: int) -> str:
    """The key as the screen shows it (``masked_key``), for any role."""
    if _is_pg():
        return db.execute_sql("SELECT qm_product_key_masked(%s)", (license_id,)).fetchone()[0] or ""
    return masked_key(License.select(License.product_key)
                      .where(License.id == license_id).scalar())


def key_token(key: str | None) -> str:
    """A key compared loosely (case, dashes and spaces ignored) and digested,
    so an import can tell "same product, same key" without reading keys."""
    text = _KEY_NOISE.sub("", str(key or "").lower())
    return hashlib.md5(text.encode("utf-8")).hexdigest() if text else ""


def key_tokens() -> list[tuple[int, str, str]]:
    """(id, product, key_token) of every license. On PostgreSQL the server
    digests the keys (``qm_product_key_tokens``), so a technician's import can
    match licenses by key without the key column being readable."""
    if _is_pg():
        return [tuple(r) for r in db.execute_sql(
            "SELECT id, product, token FROM qm_product_key_tokens()").fetchall()]
    return [(i, p, key_token(k)) for i, p, k in
            query_rows(License.select(License.id, License.product, License.product_key))]


_KEY_NOISE = re.compile(r"[\W_]+")


@writes
def export_keys(license_ids: list[int] | None = None, by: str | None = None) -> dict[int, str]:
    """Product keys for an export, each one recorded in history as exported
    (on PostgreSQL by the server; a role not granted keys is refused)."""
    q = License.select(License.id).order_by(License.id)
    if license_ids is not None:
        q = q.where(License.id.in_(list(license_ids)))
    ids = [i for (i,) in query_rows(q)]
    keys: dict[int, str] = {}
    for lid in ids:
        if _is_pg():
            key = db.execute_sql("SELECT qm_product_key(%s, 'export')", (lid,)).fetchone()[0]
        else:
            key = License.select(License.product_key).where(License.id == lid).scalar()
            if key:
                history.record("license", lid, "export_key", field="product_key", by=by,
                               note="product key exported")
        if key:
            keys[lid] = key
    return keys


# --- lists and counts ---------------------------------------------------------------

class LicenseStatus(TypedDict):
    """A license's seats owned / used / free and its problems (the compliance list)."""

    id: int
    product: str
    version: str | None
    vendor: str | None
    seats: int | None
    site_license: bool
    allow_over: bool
    used: int
    free: int | None  # None for a site license
    expiry_date: dt.date | None
    days_left: int | None
    cost: Decimal | None
    has_key: bool
    problems: list[str]


class LicenseSummary(TypedDict):
    id: int
    name: str
    seats: int | None
    site_license: bool
    allow_over: bool
    used: int
    on_assets: int
    on_people: int
    free: int | None


class SeatHolder(TypedDict):
    """A seat and who holds it: a computer or a person (the seat list, a page at a time)."""

    seat_id: int
    kind: str  # asset / person
    asset_id: int | None
    person_id: int | None
    holder: str
    detail: str
    assigned_at: dt.datetime
    by: str | None


class LicenseSeat(TypedDict):
    """A license with a seat on a computer or a person."""

    seat_id: int
    id: int
    product: str
    version: str | None
    vendor: str | None
    expiry_date: dt.date | None
    assigned_at: dt.datetime


def compliance(expiring_days: int = 60, over: bool = False,
               expiring: int | None = None) -> list[LicenseStatus]:
    """Every license with owned / used / free and its problems.

    Seats are counted with one grouped COUNT, so a site license with 20,000
    seats costs what a license with one does. ``over`` keeps only licenses
    using more seats than owned; ``expiring`` keeps those that end within that
    many days (or already ended)."""
    used: dict[int, int] = dict(query_rows(Seat.select(Seat.license, pw.fn.COUNT(Seat.id))
                                           .group_by(Seat.license)))
    today = dt.date.today()
    rows: list[LicenseStatus] = []
    q = License.select(License.id, License.product, License.version, License.vendor,
                       License.seats, License.site_license, License.allow_over,
                       License.expiry_date, License.cost,
                       # Whether a key is stored, without reading it (roles may not).
                       (pw.fn.qm_product_key_stored(License.id) if _is_pg()
                        else (pw.fn.COALESCE(License.product_key, "") != "")).alias("has_key"))
    if expiring is not None:
        q = q.where(License.expiry_date <= today + dt.timedelta(days=int(expiring)))
    for (lid, product, version, vendor, seats, site_license, allow_over, expiry_date, cost,
         has_key) in query_rows(q.order_by(License.product, License.version)):
        n = used.get(lid, 0)
        free = None if site_license or seats is None else seats - n
        if over and not (free is not None and free < 0):
            continue
        problems: list[str] = []
        if free is not None and free < 0:
            problems.append(f"over-allocated by {-free}")
        days = (expiry_date - today).days if expiry_date else None
        if days is not None and days < 0:
            problems.append("expired")
        elif days is not None and days <= expiring_days:
            problems.append(f"expires in {days} days")
        rows.append({"id": lid, "product": product, "version": version,
                     "vendor": vendor, "seats": seats, "site_license": site_license,
                     "allow_over": allow_over, "used": n, "free": free,
                     "expiry_date": expiry_date, "days_left": days, "cost": cost,
                     "has_key": bool(has_key), "problems": problems})
    return rows


def summary(license_id: int) -> LicenseSummary:
    """One license's figures (two indexed queries, whatever its size)."""
    lic = get(license_id)
    used = seats_used(lic.id)
    on_assets = Seat.select().where((Seat.license == lic.id) & Seat.asset.is_null(False)).count()
    free = None if lic.site_license or lic.seats is None else lic.seats - used
    return {"id": lic.id, "name": str(lic), "seats": lic.seats, "site_license": lic.site_license,
            "allow_over": lic.allow_over, "used": used, "on_assets": on_assets,
            "on_people": used - on_assets, "free": free}


def _holders_query(license_id: int, search: str = "") -> pw.ModelSelect[Seat]:
    q = (Seat.select(Seat.id, Seat.asset, Seat.person, Asset.tag, Asset.name, Person.first_name,
                     Person.last_name, Person.id_number, Seat.assigned_at, Seat.by)
         .join_from(Seat, Asset, pw.JOIN.LEFT_OUTER)
         .join_from(Seat, Person, pw.JOIN.LEFT_OUTER)
         .where(Seat.license == license_id))
    for word in search_text(search).split():
        like = f"%{word.lower()}%"
        q = q.where((pw.fn.LOWER(pw.fn.COALESCE(Asset.tag, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Asset.name, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Person.first_name, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Person.last_name, "")) ** like)
                    | (pw.fn.LOWER(pw.fn.COALESCE(Person.id_number, "")) ** like))
    return q


def count_holders(license_id: int, search: str = "") -> int:
    return _holders_query(license_id, search).count()


def holders(license_id: int, search: str = "", offset: int = 0,
            limit: int = 200) -> list[SeatHolder]:
    """One page of a license's seats, computers first by tag then people by
    name: the seat list loads these a page at a time."""
    q = (_holders_query(license_id, search)
         .order_by(Seat.asset.is_null(), Asset.tag, Person.last_name, Person.first_name, Seat.id)
         .offset(offset).limit(limit))
    out: list[SeatHolder] = []
    for sid, aid, pid, tag, aname, first, last, idn, at, user in query_rows(q):
        if aid:
            out.append({"seat_id": sid, "kind": "asset", "asset_id": aid, "person_id": None,
                        "holder": tag, "detail": aname or "", "assigned_at": at, "by": user})
        else:
            out.append({"seat_id": sid, "kind": "person", "asset_id": None, "person_id": pid,
                        "holder": f"{last}, {first}".strip(", "), "detail": idn or "",
                        "assigned_at": at, "by": user})
    return out


def find_holder(text: str) -> tuple[str, int]:
    """What ``--to`` / ``--from`` names: an asset tag (or serial) or a person's
    ID number (or email, or "First Last"). Returns ("asset", id) or ("person", id)."""
    from app import scanning
    from app.services import people
    res = scanning.resolve(text)
    if res.kind in ("asset", "person") and res.id:
        return res.kind, res.id
    p = people.find(text)
    if p:
        return "person", p.id
    raise NotFound(f"No computer tag or person ID {(text or '').strip()!r}.")


@writes
def delete(license_id: int, by: str | None = None) -> None:
    lic = get(license_id)
    used = seats_used(lic.id)
    if used:
        raise Conflict(f"{lic} still has {plural(used, 'seat')} assigned; release them first.")
    history.record("license", lic.id, "delete", old=str(lic), by=by)
    lic.delete_instance()


def for_asset(asset_id: int) -> list[LicenseSeat]:
    """Licenses with a seat on this computer (the asset editor's Licenses tab)."""
    # The keys of these rows are the columns selected.
    return cast("list[LicenseSeat]", list(dict_rows(Seat.select(Seat.id.alias("seat_id"), License.id, License.product, License.version,
                            License.vendor, License.expiry_date, Seat.assigned_at)
                .join(License).where(Seat.asset == asset_id)
                .order_by(License.product))))


def for_person(person_id: int) -> list[LicenseSeat]:
    return cast("list[LicenseSeat]", list(dict_rows(Seat.select(Seat.id.alias("seat_id"), License.id, License.product, License.version,
                            License.vendor, License.expiry_date, Seat.assigned_at)
                .join(License).where(Seat.person == person_id)
                .order_by(License.product))))
