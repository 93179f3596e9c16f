"""Assets as they stood at the end of a past day, rebuilt from history by the
day each change took effect in the world.

Every change of an asset is a ``HistoryEntry`` (entity "asset", field, old and
new as written by ``app.services.history``: ISO dates, "1234.50" money,
status keys, and the old/new ids of references) carrying both when it was
entered (``at``) and the day it took effect (``effective``). A disposal dated
March 15 but typed in December is effective March 15: on June 30 the asset is
already gone, although the entry was made after June 30.

The rule, per asset and field: the value on a day is the new value of the
*latest-entered* change effective on or before that day; with none, the
value the record had before its first change. A change entered later
restates the value from its effective day on, so the reconstruction always
ends at today's row. A field whose changes all took effect by the day has
today's value, so only the assets with a change effective after the day are
read from history (one query, through the (entity, effective) index).

What is rebuilt: status, cost, site, room, model, supplier, dates (purchase,
in service, disposal, last audit), disposal method and proceeds, funding,
E-Rate and federal-award fields, holder, condition, tag, serial and name.
Notes do not matter to what is owned where, and are left as they are.

An asset whose record was created after the day is returned with the values
it was created with and ``created_later`` set; whether it counts as held then
is the report's decision (the year-end report counts it when its purchase
date is inside the year: the district owned it, it was entered late). An
entry without an effective day (written by an older version, not backfilled)
is taken as effective the day it was entered.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import peewee as pw

from app.models import Asset, HistoryEntry

# The columns of a state row, in order; the last is ``created_later``.
FIELDS = ("id", "tag", "name", "serial", "model_id", "status", "site_id", "location_id",
          "supplier_id", "purchase_date", "cost", "funding_type", "funding_name", "erate_frn",
          "erate_funding_year", "in_service_date", "disposal_date", "disposal_method",
          "disposal_proceeds", "last_audit_date", "federal_award_id", "federal_share",
          "condition", "assigned_person_id", "assigned_location_id", "created_at",
          "holder", "created_later")
# Columns read from the asset table (the last two are worked out here).
_STORED = FIELDS[:-2]
COL = {name: i for i, name in enumerate(FIELDS)}


def _date(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def _money(text):
    return Decimal(text).quantize(Decimal("0.01")) if text not in (None, "") else None


def _int(text):
    return int(text) if text not in (None, "") else None


def _text(text):
    return text if text not in (None, "") else None


_REF = object()  # the old value is the entry's old_id
# history field → (state column, how its old value is read back)
REVERTIBLE = {
    "status": (COL["status"], _text),
    "cost": (COL["cost"], _money),
    "site": (COL["site_id"], _REF),
    "location": (COL["location_id"], _REF),
    "model": (COL["model_id"], _REF),
    "supplier": (COL["supplier_id"], _REF),
    "purchase_date": (COL["purchase_date"], _date),
    "in_service_date": (COL["in_service_date"], _date),
    "disposal_date": (COL["disposal_date"], _date),
    "last_audit_date": (COL["last_audit_date"], _date),
    "disposal_method": (COL["disposal_method"], _text),
    "disposal_proceeds": (COL["disposal_proceeds"], _money),
    "funding_type": (COL["funding_type"], _text),
    "funding_name": (COL["funding_name"], _text),
    "erate_frn": (COL["erate_frn"], _text),
    "erate_funding_year": (COL["erate_funding_year"], _int),
    "tag": (COL["tag"], _text),
    "serial": (COL["serial"], _text),
    "name": (COL["name"], _text),
    "federal_award_id": (COL["federal_award_id"], _text),
    "federal_share": (COL["federal_share"], _money),
    "condition": (COL["condition"], _text),
    "holder": (COL["holder"], _text),  # the name shown: a person, or a cart / lab
}


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in local time, as the naive UTC stored timestamps use."""
    local_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return local_midnight.astimezone(dt.UTC).replace(tzinfo=None)


def start_of_day_utc(day: dt.date) -> dt.datetime:
    return end_of_day_utc(day - dt.timedelta(days=1))


def _later_changes(day: dt.date):
    """The query of every (entity id, action, field, old, new, old_id, new_id,
    effective, at) of the assets with at least one change effective after
    ``day`` or entered after it (a creation), in asset id order, then in the
    order entered."""
    H = HistoryEntry
    cutoff = end_of_day_utc(day)
    later = (H.select(H.entity_id).where(
        (H.entity == "asset")
        & ((H.effective > day) | (H.effective.is_null() & (H.at >= cutoff))
           | ((H.action == "create") & (H.at >= cutoff)))))
    return (H.select(H.entity_id, H.action, H.field, H.old, H.new, H.old_id, H.new_id,
                     H.effective, H.at)
            .where((H.entity == "asset") & H.entity_id.in_(later)
                   & ((H.action == "create") | H.field.in_(list(REVERTIBLE))))
            .order_by(H.entity_id, H.at, H.id))


def _change_groups(day: dt.date):
    """(asset id, its changes) for the assets ``_later_changes`` names, in id
    order, read a page at a time: a change is (action, field, old, new, old_id,
    new_id, effective day, entered at — for a creation or an entry without an
    effective day, else None)."""
    from app.store.db import stream
    current, got = None, []
    for chunk in stream(_later_changes(day)):
        for entity_id, action, field, old, new, old_id, new_id, eff, at in chunk:
            if entity_id != current:
                if got:
                    yield current, got
                current, got = entity_id, []
            if eff is None or action == "create":
                at = _raw_datetime(at)
            else:
                at = None
            eff = _raw_date(eff) if eff is not None else _local_day(at)
            got.append((action, field, old, new, old_id, new_id, eff, at))
    if got:
        yield current, got


def changes_effective_after(day: dt.date) -> dict[int, list[tuple]]:
    """Asset id → every change of its history (see ``_change_groups``), for the
    assets with at least one change effective after ``day`` or entered after it
    (a creation). Holds them all: the reports stream them instead."""
    return dict(_change_groups(day))


_LOCAL_DAYS: dict = {}


def _local_day(at: dt.datetime) -> dt.date:
    """The local day of a stored (naive UTC) timestamp, remembered per quarter
    hour (every time zone changes its offset on a quarter hour)."""
    key = (at.year, at.month, at.day, at.hour, at.minute // 15)
    got = _LOCAL_DAYS.get(key)
    if got is None:
        if len(_LOCAL_DAYS) > 100_000:
            _LOCAL_DAYS.clear()
        got = _LOCAL_DAYS[key] = at.replace(tzinfo=dt.UTC).astimezone().date()
    return got


def rebuild(row: list, changes: list[tuple], day: dt.date,
            cutoff: dt.datetime | None = None) -> list:
    """Put one state row (today's values) back to the end of ``day``, in place,
    from its changes in the order entered (see the module's rule). ``cutoff``
    is ``end_of_day_utc(day)``, worked out here when not given."""
    by_field: dict[str, list[tuple]] = {}
    for change in changes:
        action, field = change[0], change[1]
        if action == "create":
            if cutoff is None:
                cutoff = end_of_day_utc(day)
            if change[7] >= cutoff:
                row[-1] = True
            continue
        if field in REVERTIBLE:
            by_field.setdefault(field, []).append(change)
    for field, entries in by_field.items():
        if all(e[6] <= day for e in entries):
            continue  # every change had taken effect: today's value stands
        i, read = REVERTIBLE[field]
        known = [e for e in entries if e[6] <= day]
        if known:
            _, _, _, new, _, new_id, _, _ = known[-1]
            row[i] = (new_id if new else None) if read is _REF else read(new)
        else:
            _, _, old, _, old_id, _, _, _ = entries[0]
            row[i] = (old_id if old else None) if read is _REF else read(old)
    return row


def _raw_date(v):
    if v is None or isinstance(v, dt.date):
        return v.date() if isinstance(v, dt.datetime) else v
    return dt.date.fromisoformat(v[:10])


def _raw_datetime(v):
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(v)


def _raw_money(v, _cent=Decimal("0.01")):
    return None if v is None else Decimal(str(v)).quantize(_cent)


_CONVERT = {"purchase_date": _raw_date, "in_service_date": _raw_date, "disposal_date": _raw_date,
            "last_audit_date": _raw_date, "created_at": _raw_datetime, "cost": _raw_money,
            "disposal_proceeds": _raw_money, "federal_share": _raw_money}


def holder_names() -> tuple[dict[int, str], dict[int, str]]:
    """Person id → full name and room id → name: how history writes a holder."""
    from app.models import Location, Person
    run = Person._meta.database.execute
    people = {i: _full_name(f, last) for i, f, last in
              run(Person.select(Person.id, Person.first_name, Person.last_name)).fetchall()}
    rooms = dict(run(Location.select(Location.id, Location.name)).fetchall())
    return people, rooms


def _full_name(first, last) -> str:
    return f"{first} {last}".strip()


def states_as_of(days) -> Iterator[tuple[list, ...]]:
    """Every asset, in id order, as it stood at the end of each of ``days``:
    one tuple of rows (lists in ``FIELDS`` order) per asset, a row per day in
    the order given. An asset with no change after the earliest day has one
    row, the same list for every day: treat the rows as read-only.

    One pass over the register and, beside it in the same id order, the
    history of the assets that changed after the earliest day (a merge of two
    cursors), so nothing but the current asset is held: a 1,000,000-asset
    year-end reads in constant memory. The holder's name comes joined from
    the person or room. The rows come straight from the cursor and only the
    dates and amounts are converted here: peewee's per-cell conversion cost
    20 s at 100,000 assets."""
    from app.models import Location, Person
    from app.store.db import stream
    days = tuple(days)
    groups = _change_groups(min(days))
    pending = next(groups, None)
    query = (Asset.select(*[getattr(Asset, f) for f in _STORED], Person.first_name,
                          Person.last_name, Location.name)
             .join(Person, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Person.id))
             .switch(Asset)
             .join(Location, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_location == Location.id))
             .order_by(Asset.id))
    # Dates and amounts repeat (an order's purchase date, a model's cost): each
    # column remembers what its values convert to.
    convert = [(i, _CONVERT[f], {}) for i, f in enumerate(_STORED) if f in _CONVERT]
    cutoffs = [(d, end_of_day_utc(d)) for d in days]
    n = len(_STORED)
    for chunk in stream(query):
        for t in chunk:
            row = list(t[:n])
            for i, f, memo in convert:
                v = row[i]
                if v is not None:
                    got = memo.get(v)
                    if got is None:
                        if len(memo) > 50_000:
                            memo.clear()
                        got = memo[v] = f(v)
                    row[i] = got
            first, last, room = t[n:]
            row.append(_full_name(first, last) if first is not None or last is not None
                       else room)
            row.append(False)
            aid = row[0]
            while pending is not None and pending[0] < aid:
                pending = next(groups, None)
            if pending is not None and pending[0] == aid:
                changes = pending[1]
                yield tuple(rebuild(list(row), changes, d, c) for d, c in cutoffs)
            else:
                yield (row,) * len(days)


def assets_as_of(day: dt.date) -> list[list]:
    """Every asset as it stood at the end of ``day``: lists in ``FIELDS`` order."""
    return [rows[0] for rows in states_as_of((day,))]
