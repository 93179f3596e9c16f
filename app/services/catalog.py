"""Sites, rooms, categories, manufacturers, models and suppliers."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import peewee as pw

from app.models import (Category, HardwareModel, Location, Manufacturer, Site, Supplier)
from app.models.common import CATEGORY_KINDS
from app.services import history
from app.services.base import fetch, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import check_ben, check_spin, clean_text, parse_int
from app.store import search
from app.store.db import BaseModel, first_row, rows

_M = TypeVar("_M", bound=BaseModel)


def location_code(location_id: int) -> str:
    """The code printed on a room label."""
    return f"LOC-{location_id:05d}"


def _get(model: type[_M], obj_id: int, what: str) -> _M:
    return fetch(model, obj_id, f"No {what} with id {{id}}.")


# --- sites and locations ----------------------------------------------------------

@writes
def create_site(name: str, code: str | None = None, address: str | None = None,
                by: str | None = None, ben: str | None = None) -> Site:
    name = clean_text(name, "name", required=True)
    ben = check_ben(ben)
    if Site.select().where(pw.fn.LOWER(Site.name) == name.lower()).exists():
        raise Conflict(f"There is already a site called {name}.")
    site = Site.create(name=name, code=clean_text(code, "code", 20), address=address, ben=ben)
    history.record("site", site.id, "create", new=name, by=by)
    return site


@writes
def create_location(site_id: int, name: str, parent_id: int | None = None,
                    barcode: str | None = None, by: str | None = None) -> Location:
    site = _get(Site, site_id, "site")
    name = clean_text(name, "name", required=True)
    if Location.select().where((Location.site == site)
                               & (pw.fn.LOWER(Location.name) == name.lower())).exists():
        raise Conflict(f"{site.name} already has a room called {name}.")
    loc = Location.create(site=site, name=name, parent=parent_id,
                          barcode=clean_text(barcode, "barcode", 64))
    if not loc.barcode:
        loc.barcode = location_code(loc.id)
        Location.update(barcode=loc.barcode).where(Location.id == loc.id).execute()
    history.record("location", loc.id, "create", new=f"{site.name} / {name}", by=by)
    return loc


@writes
def add_rooms(rooms: Iterable[tuple[int, str]], by: str | None = None) -> list[int]:
    """Many new rooms at once (an import's rooms): ``rooms`` is a list of
    (site_id, name) pairs, none of which exists yet. Each gets its label code
    and a history entry, as ``create_location`` gives one room; the cost is a
    few statements for the whole list, not five queries a room. Returns the
    rooms' ids in the order given (a name given twice gets one room)."""
    from app.store.bulk import insert_rows
    from app.models.common import utcnow
    wanted: dict[tuple[int, str], tuple[int, str]] = {}
    order: list[tuple[int, str]] = []
    for site_id, given in rooms:
        name = clean_text(given, "name", required=True)
        wanted.setdefault((site_id, name.lower()), (site_id, name))
        order.append((site_id, name.lower()))
    if not wanted:
        return []
    site_ids = sorted({s for s, _ in wanted})
    sites: dict[int, str] = dict(rows(Site.select(Site.id, Site.name).where(Site.id.in_(site_ids))))
    missing = [s for s in site_ids if s not in sites]
    if missing:
        raise NotFound(f"No site with id {missing[0]}.")
    # Only the rooms of those names are read: an import adds rooms a page at
    # a time, and reading every room of its sites each time grew with the file.
    # (SQLite's LOWER knows only ASCII letters: other names are compared here.)
    lowered = sorted({n for _, n in wanted})
    ascii_only = all(n.isascii() for n in lowered)
    for start in range(0, len(lowered), 500):
        q = Location.select(Location.site, Location.name).where(Location.site.in_(site_ids))
        if ascii_only:
            q = q.where(pw.fn.LOWER(Location.name).in_(lowered[start:start + 500]))
        elif start:
            break
        for site_id, name in rows(q):
            if (site_id, name.lower()) in wanted:
                raise Conflict(f"{sites[site_id]} already has a room called {name}.")
    insert_rows("location", ("site_id", "name"), list(wanted.values()))
    ids: dict[tuple[int, str], int] = {}
    for loc_id, site_id, room in (rows(Location.select(Location.id, Location.site, Location.name)
                                  .where(Location.site.in_(site_ids)
                                         & Location.barcode.is_null()))):
        if (site_id, room.lower()) in wanted:
            ids[(site_id, room.lower())] = loc_id
    from app.store.db import db, param
    cur = db.connection().cursor()
    mark = param()
    codes = [(location_code(i), i) for i in ids.values()]
    if isinstance(db.obj, pw.PostgresqlDatabase):
        # psycopg2's executemany is a round trip a room (15,000 rooms: seconds);
        # execute_batch sends them a thousand statements at a time.
        from psycopg2.extras import execute_batch
        execute_batch(cur, f"UPDATE location SET barcode = {mark} WHERE id = {mark}", codes,
                      page_size=1000)
    else:
        cur.executemany(f"UPDATE location SET barcode = {mark} WHERE id = {mark}", codes)
    user, now = who(by), utcnow()
    insert_rows("history_entry", ("entity", "entity_id", "action", "new", "who", "at"),
                [("location", ids[key], "create", f"{sites[s]} / {name}", user, now)
                 for key, (s, name) in wanted.items()])
    return [ids[key] for key in order]


@writes
def rename_location(location_id: int, name: str, by: str | None = None) -> Location:
    loc = _get(Location, location_id, "room")
    name = clean_text(name, "name", required=True)
    old = loc.name
    if old == name:
        return loc
    Location.update(name=name).where(Location.id == loc.id).execute()
    history.record("location", loc.id, "update", field="name", old=old, new=name, by=by)
    search.refresh_where("location_id", loc.id)
    search.refresh_where("assigned_location_id", loc.id)
    loc.name = name
    return loc


@writes
def fill_site_address(site_id: int, address: str | None, by: str | None = None) -> bool:
    """Give a site the address it lacks (an import naming the building's
    address on each room row); an address already there is kept."""
    site = _get(Site, site_id, "site")
    address = clean_text(address, "address", 500)
    if not address or (site.address or "").strip():
        return False
    Site.update(address=address).where(Site.id == site.id).execute()
    history.record("site", site.id, "update", field="address", old=None, new=address, by=by)
    return True


def ensure_site(name: str) -> Site:
    """The site with this name (any case), created if new. Call inside a transaction."""
    name = clean_text(name, "site", required=True)
    site = Site.get_or_none(pw.fn.LOWER(Site.name) == name.lower())
    if site is None:
        site = Site.create(name=name)
        history.record("site", site.id, "create", new=name)
    return site


def location_path(location_id: int | None) -> str:
    if not location_id:
        return ""
    row = (first_row(Location.select(Site.name, Location.name).join(Site)
           .where(Location.id == location_id)))
    return f"{row[0]} / {row[1]}" if row else ""


def find_location(text: str) -> Location | None:
    """A room by label code, "Site / Room", "Site/Room" (the site by name or
    code, as everywhere else), or a unique room name."""
    text = (text or "").strip()
    if not text:
        return None
    loc = Location.get_or_none(pw.fn.UPPER(Location.barcode) == text.upper())
    if loc:
        return loc
    if text.isdigit():
        loc = Location.get_or_none(Location.id == int(text))
        if loc:
            return loc
    if "/" in text:
        site_name, _, room = (p.strip() for p in text.partition("/"))
        site = find_site(site_name)
        if site is None:
            return None
        return Location.get_or_none((Location.site == site.id)
                                    & (pw.fn.LOWER(Location.name) == room.lower()))
    matches = list(Location.select().where(pw.fn.LOWER(Location.name) == text.lower()).limit(2))
    return matches[0] if len(matches) == 1 else None


def site_choices() -> list[tuple[int, str]]:
    """Every site as (id, name), by name: what a site drop-down lists."""
    return list(rows(Site.select(Site.id, Site.name).order_by(Site.name)))


def site_labels() -> list[tuple[str, str]]:
    """Every site as (name, "Name (CODE)"), by name: for a drop-down that
    passes the site's name on (report parameters)."""
    return [(name, f"{name} ({code})" if code else name) for name, code in
            rows(Site.select(Site.name, Site.code).order_by(Site.name))]


def room_choices(site_id: int | None) -> list[tuple[int, str]]:
    """The rooms of one site as (id, name), by name (none without a site)."""
    if not site_id:
        return []
    return list(rows(Location.select(Location.id, Location.name)
                .where(Location.site == site_id).order_by(Location.name)))


def all_room_choices() -> list[tuple[int, str]]:
    """Every room as (id, "Site / Room"), by site then room."""
    return [(lid, f"{site} / {room}") for lid, site, room in
            rows(Location.select(Location.id, Site.name, Location.name)
            .join(Site).order_by(Site.name, Location.name))]


def category_choices() -> list[tuple[int, str]]:
    """Every category as (id, name), by name."""
    return list(rows(Category.select(Category.id, Category.name).order_by(Category.name)))


def maker_names() -> list[str]:
    """Every manufacturer's name, sorted: what a maker drop-down offers."""
    return [m for (m,) in rows(Manufacturer.select(Manufacturer.name).order_by(Manufacturer.name))]


def category_names() -> list[str]:
    """Every category's name, sorted."""
    return [name for _, name in category_choices()]


def find_site(text: str) -> Site | None:
    text = (text or "").strip()
    if not text:
        return None
    return Site.get_or_none((pw.fn.LOWER(Site.name) == text.lower())
                            | (pw.fn.LOWER(Site.code) == text.lower()))


# --- categories, manufacturers, models, suppliers ------------------------------

def ensure_category(name: str, kind: str | None = None, life_years: int | None = None) -> Category:
    name = clean_text(name, "category", required=True)
    cat = Category.get_or_none(pw.fn.LOWER(Category.name) == name.lower())
    if cat is None:
        kind = kind if kind in CATEGORY_KINDS else guess_kind(name)
        cat = Category.create(name=name, kind=kind, life_years=life_years or default_life(kind))
        history.record("category", cat.id, "create", new=name)
    return cat


def guess_kind(name: str) -> str:
    n = name.lower()
    for words, kind in ((("chromebook",), "chromebook"), (("tablet", "ipad"), "tablet"),
                        (("printer", "copier", "mfp"), "printer"),
                        (("switch", "router", "access point", "firewall", "network", "wap", "wifi"), "network"),
                        (("projector", "display", "tv", "camera", "speaker", "audio", "video", "av"), "audio_visual"),
                        (("tape", "backup"), "backup_media"),
                        (("laptop", "desktop", "computer", "server", "pc", "macbook", "workstation"), "computer"),
                        (("keyboard", "mouse", "monitor", "dock", "headset", "webcam", "scanner"), "peripheral")):
        if any(w in n for w in words):
            return kind
    return "other"


def default_life(kind: str) -> int:
    return {"computer": 5, "chromebook": 4, "tablet": 4, "printer": 5, "network": 7,
            "audio_visual": 7, "backup_media": 5, "peripheral": 3}.get(kind, 5)


def ensure_manufacturer(name: str | None) -> Manufacturer | None:
    name = clean_text(name, "manufacturer")
    if not name:
        return None
    mfr = Manufacturer.get_or_none(pw.fn.LOWER(Manufacturer.name) == name.lower())
    if mfr is None:
        mfr = Manufacturer.create(name=name)
        history.record("manufacturer", mfr.id, "create", new=name)
    return mfr


def ensure_model(name: str, manufacturer: Manufacturer | None = None,
                 category: Category | int | None = None, model_number: str | None = None) -> HardwareModel:
    name = clean_text(name, "model", required=True)
    q = HardwareModel.select().where(pw.fn.LOWER(HardwareModel.name) == name.lower())
    q = q.where(HardwareModel.manufacturer == manufacturer) if manufacturer else \
        q.where(HardwareModel.manufacturer.is_null())
    model = q.get_or_none()
    if model is None:
        model = HardwareModel.create(name=name, manufacturer=manufacturer, category=category,
                                     model_number=clean_text(model_number, "model_number"))
        history.record("model", model.id, "create", new=name)
    elif category and model.category_id is None:
        HardwareModel.update(category=category).where(HardwareModel.id == model.id).execute()
    return model


def ensure_supplier(name: str | None) -> Supplier | None:
    name = clean_text(name, "supplier")
    if not name:
        return None
    sup = Supplier.get_or_none(pw.fn.LOWER(Supplier.name) == name.lower())
    if sup is None:
        sup = Supplier.create(name=name)
        history.record("supplier", sup.id, "create", new=name)
    return sup


@writes
def create_category(name: str, kind: str = "other", life_years: int | None = None,
                    custom_fields: list[dict[str, Any]] | None = None, by: str | None = None) -> Category:
    name = clean_text(name, "name", required=True)
    if kind not in CATEGORY_KINDS:
        raise ValidationError(f"Unknown category kind {kind!r}.", field="kind")
    if Category.select().where(pw.fn.LOWER(Category.name) == name.lower()).exists():
        raise Conflict(f"There is already a category called {name}.")
    life = parse_int(life_years, "life_years", 1, 50) or default_life(kind)
    cat = Category.create(name=name, kind=kind, life_years=life, custom_fields=custom_fields)
    history.record("category", cat.id, "create", new=name, by=by)
    return cat


@writes
def create_model(name: str, manufacturer: str | None = None, category_id: int | None = None,
                 model_number: str | None = None, eol_months: int | None = None,
                 serial_pattern: str | None = None, by: str | None = None,
                 category: str | None = None) -> HardwareModel:
    """A new model. ``category``: a category by name, created if new (in the
    same transaction), as the asset editor's "New…" offers on an empty database."""
    name = clean_text(name, "name", required=True)
    if category and category_id is None:
        category_id = ensure_category(category).id
    mfr = ensure_manufacturer(manufacturer)
    q = HardwareModel.select().where(pw.fn.LOWER(HardwareModel.name) == name.lower())
    q = q.where(HardwareModel.manufacturer == mfr) if mfr else q.where(HardwareModel.manufacturer.is_null())
    if q.exists():
        raise Conflict(f"The model {name} already exists.")
    if serial_pattern:
        import re
        try:
            re.compile(serial_pattern)
        except re.error:
            raise ValidationError("The serial pattern is not a valid regular expression.",
                                  field="serial_pattern") from None
    model = HardwareModel.create(name=name, manufacturer=mfr, category=category_id,
                                 model_number=clean_text(model_number, "model_number"),
                                 eol_months=parse_int(eol_months, "eol_months", 0, 600),
                                 serial_pattern=serial_pattern or None)
    history.record("model", model.id, "create", new=name, by=by)
    return model


@writes
def create_supplier(name: str, contact: str | None = None, phone: str | None = None,
                    email: str | None = None, account_number: str | None = None,
                    by: str | None = None, spin: str | None = None) -> Supplier:
    name = clean_text(name, "name", required=True)
    spin = check_spin(spin)
    if Supplier.select().where(pw.fn.LOWER(Supplier.name) == name.lower()).exists():
        raise Conflict(f"There is already a supplier called {name}.")
    sup = Supplier.create(name=name, contact=contact, phone=phone, email=email,
                          account_number=account_number, spin=spin)
    history.record("supplier", sup.id, "create", new=name, by=by)
    return sup


# --- E-Rate numbers -----------------------------------------------------------------

def _set_number(model: type[_M], record_id: int, entity: str, field: str, value: object,
                check: Callable[[object], str | None], by: str | None) -> _M:
    """One E-Rate number on a site or supplier, checked, with its history."""
    record = _get(model, record_id, entity)
    value = check(value)
    old = getattr(record, field)
    if value != old:
        history.record(entity, record.id, "update", field=field, old=old, new=value, by=by)
        model.update({field: value}).where(model.id == record.id).execute()
        setattr(record, field, value)
    return record


@writes
def set_site_ben(site_id: int, ben: object, by: str | None = None) -> Site:
    """The site's E-Rate Billed Entity Number (empty clears it)."""
    return _set_number(Site, site_id, "site", "ben", ben, check_ben, by)


@writes
def set_supplier_spin(supplier_id: int, spin: object, by: str | None = None) -> Supplier:
    """The supplier's SPIN (FCC Form 498 ID) as an E-Rate service provider."""
    return _set_number(Supplier, supplier_id, "supplier", "spin", spin, check_spin, by)


def site_ben(site_id: int | None) -> str | None:
    ben: str | None = Site.select(Site.ben).where(Site.id == site_id).scalar() if site_id else None
    return ben


def supplier_spin(supplier_id: int | None) -> str | None:
    spin: str | None = (Supplier.select(Supplier.spin).where(Supplier.id == supplier_id).scalar()
                        if supplier_id else None)
    return spin
