"""Software licenses and the seats they give."""
from __future__ import annotations

import datetime as dt

import peewee as pw

from app.models import Asset, License, Person, Seat
from app.models.common import utcnow
from app.services import history
from app.services.base import writes
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from app.services.fields import clean_text, parse_bool, parse_date, parse_int, parse_money

FIELDS = ("product", "version", "vendor", "supplier_id", "product_key", "seats", "site_license",
          "allow_over", "purchase_date", "cost", "expiry_date", "order_number",
          "licensed_to", "notes")


def get(license_id: int) -> License:
    lic = License.get_or_none(License.id == license_id)
    if lic is None:
        raise NotFound(f"No license with id {license_id}.")
    return lic


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


def _clean(values: dict) -> dict:
    out = {}
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


def _row(values: dict) -> dict:
    return {("supplier" if k == "supplier_id" else k): v for k, v in values.items()}


@writes
def create(by: str | None = None, **values) -> License:
    values = _clean(values)
    if not values.get("product"):
        raise ValidationError("A license needs a product name.", field="product")
    if not values.get("site_license") and values.get("seats") is None:
        raise ValidationError("Give the number of seats owned, or mark it a site license.",
                              field="seats")
    lic = License.create(**_row(values))
    history.record("license", lic.id, "create", new=str(lic), by=by)
    return lic


@writes
def update(license_id: int, changes: dict, expected_version: int | None = None,
           by: str | None = None) -> License:
    lic = get(license_id)
    if expected_version is not None and lic.version_no != expected_version:
        raise StaleEdit(f"{lic} was changed by someone else meanwhile.")
    values = _clean(changes)
    diff = {k: (getattr(lic, k), v) for k, v in values.items() if getattr(lic, k) != v}
    if not diff:
        return lic
    seats = values.get("seats", lic.seats)
    site = values.get("site_license", lic.site_license)
    allow = values.get("allow_over", lic.allow_over)
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


def _check_room(lic: License, adding: int = 1) -> None:
    if lic.site_license or lic.allow_over or lic.seats is None:
        return
    used = seats_used(lic.id)
    if used + adding > lic.seats:
        raise Conflict(f"{lic} has {lic.seats} seats and all are in use "
                       f"({used} assigned); release one or buy more.")


@writes
def assign(license_id: int, asset_id: int | None = None, person_id: int | None = None,
           by: str | None = None) -> Seat:
    lic = get(license_id)
    if bool(asset_id) == bool(person_id):
        raise ValidationError("Assign a seat to a computer or to a person.")
    if lic.expiry_date and lic.expiry_date < dt.date.today():
        pass  # expired licenses may still be tracked; compliance reports flag them
    if asset_id:
        asset = Asset.get_or_none(Asset.id == asset_id)
        if asset is None:
            raise NotFound(f"No asset with id {asset_id}.")
        if asset.status in ("retired", "disposed"):
            raise Conflict(f"Asset {asset.tag} is {asset.status}.")
        if Seat.select().where((Seat.license == lic) & (Seat.asset == asset)).exists():
            raise Conflict(f"{asset.tag} already has a seat of {lic}.")
        holder = asset.tag
    else:
        person = Person.get_or_none(Person.id == person_id)
        if person is None:
            raise NotFound(f"No person with id {person_id}.")
        if Seat.select().where((Seat.license == lic) & (Seat.person == person)).exists():
            raise Conflict(f"{person.full_name} already has a seat of {lic}.")
        holder = person.full_name
    _check_room(lic)
    seat = Seat.create(license=lic, asset=asset_id, person=person_id, by=history.who(by))
    history.record("license", lic.id, "assign", new=holder, by=by)
    if asset_id:
        history.record("asset", asset_id, "license_assign", new=str(lic), by=by)
    return seat


@writes
def release(license_id: int, asset_id: int | None = None, person_id: int | None = None,
            by: str | None = None) -> None:
    lic = get(license_id)
    q = Seat.select().where(Seat.license == lic)
    q = q.where(Seat.asset == asset_id) if asset_id else q.where(Seat.person == person_id)
    seat = q.first()
    if seat is None:
        raise NotFound(f"That holder has no seat of {lic}.")
    holder = seat.asset.tag if seat.asset_id else seat.person.full_name
    seat.delete_instance()
    history.record("license", lic.id, "release", old=holder, by=by)
    if asset_id:
        history.record("asset", asset_id, "license_release", old=str(lic), by=by)


def compliance(expiring_days: int = 60) -> list[dict]:
    """Every license with owned / used / free and its problems."""
    used = dict(Seat.select(Seat.license, pw.fn.COUNT(Seat.id)).group_by(Seat.license).tuples())
    today = dt.date.today()
    rows = []
    for lic in License.select().order_by(License.product, License.version):
        n = used.get(lic.id, 0)
        free = None if lic.site_license or lic.seats is None else lic.seats - n
        problems = []
        if free is not None and free < 0:
            problems.append(f"over-allocated by {-free}")
        if lic.expiry_date and lic.expiry_date < today:
            problems.append("expired")
        elif lic.expiry_date and (lic.expiry_date - today).days <= expiring_days:
            problems.append(f"expires in {(lic.expiry_date - today).days} days")
        rows.append({"id": lic.id, "product": lic.product, "version": lic.version,
                     "vendor": lic.vendor, "seats": lic.seats, "site_license": lic.site_license,
                     "used": n, "free": free, "expiry_date": lic.expiry_date, "cost": lic.cost,
                     "problems": problems})
    return rows


def for_asset(asset_id: int) -> list[dict]:
    """Licenses with a seat on this computer (the asset editor's Licenses tab)."""
    return list(Seat.select(Seat.id.alias("seat_id"), License.id, License.product, License.version,
                            License.vendor, License.expiry_date, Seat.assigned_at)
                .join(License).where(Seat.asset == asset_id)
                .order_by(License.product).dicts())


def for_person(person_id: int) -> list[dict]:
    return list(Seat.select(Seat.id.alias("seat_id"), License.id, License.product, License.version,
                            License.vendor, License.expiry_date, Seat.assigned_at)
                .join(License).where(Seat.person == person_id)
                .order_by(License.product).dicts())
