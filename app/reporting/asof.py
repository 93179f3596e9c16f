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
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, cast

import peewee as pw

from app.cells import Memo, stored_date
from app.models.activity import HistoryEntry
from app.models.assets import Asset
from app.models.people import Person
from app.models.places import Location

Row = list[Any]  # a state row, in ``FIELDS`` order
# (action, field, old, new, old_id, new_id, effective day, entered at or None)
Change = tuple[str, str | None, str | None, str | None, int | None, int | None, dt.date,
               dt.datetime | None]

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


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _money(text: str | None) -> Decimal | None:
    return Decimal(text).quantize(Decimal("0.01")) if text not in (None, "") else None


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def _text(text: str | None) -> str | None:
    return text if text not in (None, "") else None


# history field → (state column, how its old value is read back; None: a reference,
# whose value is the entry's old_id / new_id)
REVERTIBLE: dict[str, tuple[int, Callable[[str | None], Any] | None]] = {
    "status": (COL["status"], _text),
    "cost": (COL["cost"], _money),
    "site": (COL["site_id"], None),
    "location": (COL["location_id"], None),
    "model": (COL["model_id"], None),
    "supplier": (COL["supplier_id"], None),
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


def _later_changes(day: dt.date) -> pw.ModelSelect[HistoryEntry]:
    """The query of every (entity id, action, field, old, new, old_id, new_id,
    effective, at) of the assets with at least one change effective after
    ``day`` or entered after it (a creation), in asset id order, then in the
    order entered. A creation is read only if entered after ``day``: before,
    it cannot make the asset ``created_later`` on ``day`` or any later day."""
    H = HistoryEntry
    cutoff = end_of_day_utc(day)
    # Three queries, each through an index, rather than one OR that reads every
    # asset entry (3 s at 1,000,000 assets); ``entity || ''`` keeps the planner
    # on the ``at`` index for the late creations.
    later = (H.select(H.entity_id).where((H.entity == "asset") & (H.effective > day))
             | H.select(H.entity_id).where((H.entity == "asset") & H.effective.is_null()
                                           & (H.at >= cutoff))
             | H.select(H.entity_id).where((H.at >= cutoff) & (H.action == "create")
                                           & (H.entity.concat("") == "asset")))
    return (H.select(*_columns(H, ("entity_id", "action", "field", "old", "new", "old_id",
                                   "new_id", "effective", "at")))
            .where((H.entity == "asset") & H.entity_id.in_(later)
                   & (((H.action == "create") & (H.at >= cutoff))  # only a late one matters
                      | H.field.in_(list(REVERTIBLE))))
            .order_by(H.entity_id, H.at, H.id))


# Dates, timestamps and amounts the rows convert themselves (each distinct value
# once): on PostgreSQL they are read as text, since psycopg2 makes a date,
# datetime or Decimal of every value (a million rows' key columns: 2.0 s CPU
# typed, 0.8 s as text). SQLite stores them as text already.
_AS_TEXT = frozenset({"purchase_date", "cost", "in_service_date", "disposal_date",
                      "disposal_proceeds", "last_audit_date", "federal_share", "created_at",
                      "effective", "at"})


def _columns(model: Any, names: Iterable[str]) -> list[Any]:
    """``model``'s fields by name, those in ``_AS_TEXT`` read as text on PostgreSQL."""
    from app.store.db import db
    text = isinstance(db.obj, pw.PostgresqlDatabase)
    return [pw.Cast(getattr(model, f), "text") if text and f in _AS_TEXT else getattr(model, f)
            for f in names]


def _change_groups(day: dt.date) -> Iterator[tuple[int, list[Change], dt.date, dt.datetime | None]]:
    """(asset id, its changes, the latest day any of them took effect, when
    its record was created or None) for the assets ``_later_changes`` names,
    in id order, read a page at a time: a change is (action, field, old, new,
    old_id, new_id, effective day, entered at — for a creation or an entry
    without an effective day, else None)."""
    from app.store.db import stream
    days = Memo(stored_date, (None, None), limit=100_000)  # effective days repeat: each is converted once
    current = -1  # no asset yet
    got: list[Change] = []
    newest: dt.date = dt.date.min
    created: dt.datetime | None = None
    for chunk in stream(_later_changes(day)):
        for entity_id, action, field, old, new, old_id, new_id, eff, at in chunk:
            if entity_id != current:
                if got:
                    yield current, got, newest, created
                current, got, newest, created = entity_id, [], dt.date.min, None
            if eff is None or action == "create":
                at = dt.datetime.fromisoformat(at) if at.__class__ is str else at
                if action == "create":
                    created = at
                eff = days[eff] if eff is not None else _local_day(at)
            else:
                at = None
                eff = days[eff]
            if eff > newest:
                newest = eff
            got.append((action, field, old, new, old_id, new_id, eff, at))
    if got:
        yield current, got, newest, created


_LOCAL_DAYS: dict[tuple[int, int, int, int, int], dt.date] = {}


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


def rebuild(row: Row, changes: list[Change], day: dt.date,
            cutoff: dt.datetime | None = None) -> Row:
    """Put one state row (today's values) back to the end of ``day``, in place,
    from its changes in the order entered (see the module's rule). ``cutoff``
    is ``end_of_day_utc(day)``, worked out here when not given."""
    # Per field: its first change, the latest entered that had taken effect by
    # the day, and whether any had not.
    fields: dict[str | None, list[Any]] = {}
    for change in changes:
        field = change[1]
        if change[0] == "create":
            if cutoff is None:
                cutoff = end_of_day_utc(day)
            at = change[7]
            if at is not None and at >= cutoff:
                row[-1] = True
            continue
        got = fields.get(field)
        if got is None:
            got = fields[field] = [change, None, False]
        if change[6] <= day:
            got[1] = change
        else:
            got[2] = True
    for field, (first, known, later) in fields.items():
        spec = REVERTIBLE.get(field or "")
        if not later or spec is None:
            continue  # every change had taken effect: today's value stands
        i, read = spec
        if known is not None:
            new, new_id = known[3], known[5]
            row[i] = (new_id if new else None) if read is None else read(new)
        else:
            old, old_id = first[2], first[4]
            row[i] = (old_id if old else None) if read is None else read(old)
    return row


def _raw_money(v: Any, _cent: Decimal = Decimal("0.01")) -> Decimal | None:
    return None if v is None else Decimal(str(v)).quantize(_cent)


# The holder column of a row read with ``holders=False`` whose holder was not
# rebuilt from history: today's holder, named by ``holders_now``.
HOLDER_NOW: Any = type("HolderNow", (), {"__repr__": lambda self: "HOLDER_NOW"})()


def holders_now(holders: list[tuple[int | None, int | None]]) -> list[str | None]:
    """The name of today's holder for each (assigned person id, assigned room
    id) of rows read with ``holders=False`` — the person, else the cart or lab
    — as ``states_as_of`` joins it in, looked up for these ids only."""
    people: dict[int, str] = {}
    rooms: dict[int, str | None] = {}
    person_ids = sorted({p for p, _ in holders if p is not None})
    room_ids = sorted({r for _, r in holders if r is not None})
    for start in range(0, len(person_ids), 900):
        for i, first, last in tuples(Person.select(Person.id, Person.first_name, Person.last_name)
                                     .where(Person.id.in_(person_ids[start:start + 900]))):
            if first is not None or last is not None:
                people[i] = _full_name(first, last)
    for start in range(0, len(room_ids), 900):
        rooms.update(tuples(Location.select(Location.id, Location.name)
                            .where(Location.id.in_(room_ids[start:start + 900]))))
    return [people[p] if p in people else rooms.get(r) if r is not None else None
            for p, r in holders]


def tuples(query: Any) -> list[tuple[Any, ...]]:
    """A query's rows as tuples (peewee's ``.tuples()``, typed)."""
    return cast(list[tuple[Any, ...]], list(query.tuples()))


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first} {last}".strip()


# What decides whether an asset is held on a day, where, at what cost, and
# whether it is E-Rate equipment: the columns every row of ``states_as_of`` has
# when it reads only the listed rows whole (``listed_from``).
_KEY = ("id", "model_id", "status", "site_id", "purchase_date", "cost", "erate_frn",
        "in_service_date", "disposal_date", "created_at")
# The rest, read for the rows that may be listed (their id first).
_DETAIL = ("id",) + tuple(f for f in _STORED if f not in _KEY)
# The fields whose change after a day can bring an asset up to ``listed_from``.
_LISTING_FIELDS = ("cost", "erate_frn")


def states_as_of(days: Iterable[dt.date], holders: bool = True,
                 listed_from: Decimal | None = None) -> Iterator[tuple[Row, ...]]:
    """Every asset, in id order, as it stood at the end of each of ``days``:
    one tuple of rows (lists in ``FIELDS`` order) per asset, a row per day in
    the order given. An asset with no change after a day has the same list
    for that day as for today: treat the rows as read-only.

    One pass over the register and, beside it in the same id order, the
    history of the assets that changed after the earliest day (a merge of two
    cursors), so nothing but the current asset is held: a 1,000,000-asset
    year-end reads in constant memory. The holder's name comes joined from
    the person or room; with ``holders=False`` it is not read (``HOLDER_NOW``,
    unless history rebuilt it: name the few rows that need it with
    ``holders_now``), which spares a million lookups. The rows come straight from the cursor and only the
    dates and amounts are converted here, each distinct value once (peewee's
    per-cell conversion cost 20 s at 100,000 assets); ``created_at`` stays as
    stored (text on SQLite), for ``app.reporting._ops.local_date``, since it
    matters only for an asset with neither a purchase nor an in-service date.

    ``listed_from`` (a cost): only the assets that may cost that much on one of
    the days, or carry an E-Rate FRN, are read whole — today at or above it
    (less a dollar), with an FRN, or with a cost or FRN changed after the
    earliest day. The others (most of a large register) have only the
    ``_KEY`` columns, the rest None: enough to tell that they are held, where
    and at what cost, never to list them. A third cursor in the same id order
    (3.5 of the 4.9 s CPU a 1,000,000-asset read took went to the columns
    nobody lists)."""
    from app.store.db import db
    database = db.obj
    if not isinstance(database, pw.PostgresqlDatabase):
        yield from _states_as_of(tuple(days), holders, listed_from)
        return
    # One transaction for the three server-side cursors (one snapshot), and no
    # JIT: compiling these plain scans cost the server ~2 s a query at 1,000,000 rows.
    with database.atomic():
        database.execute_sql("SET LOCAL jit = off")
        yield from _states_as_of(tuple(days), holders, listed_from)


def _states_as_of(days: tuple[dt.date, ...], holders: bool,
                  listed_from: Decimal | None) -> Iterator[tuple[Row, ...]]:
    from app.store.db import stream
    groups = _change_groups(min(days))
    pending = next(groups, None)
    if listed_from is not None and listed_from <= 0:
        listed_from = None  # everything may be listed (a missing cost counts as 0)
    whole = listed_from is None
    query = Asset.select(*_columns(Asset, _STORED if whole else _DETAIL))
    if holders:
        query = (query.select_extend(Person.first_name, Person.last_name, Location.name)
                 .join(Person, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Person.id))
                 .switch(Asset)
                 .join(Location, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_location == Location.id)))
    cutoffs = [(d, end_of_day_utc(d)) for d in days]
    n = len(_STORED)
    bought, inserv, ddate, audit = (Memo(stored_date, (None, None), limit=100_000) for _ in range(4))
    cost, proceeds, share = (Memo(_raw_money, (None, None), limit=100_000) for _ in range(3))
    if whole:
        rows = _whole_rows(stream(query.order_by(Asset.id)), holders, n, bought, cost, inserv,
                           ddate, proceeds, audit, share)
    else:
        assert listed_from is not None
        H = HistoryEntry
        first, cutoff = min(cutoffs)
        fields = (H.entity == "asset") & H.field.in_(list(_LISTING_FIELDS))
        # Two look-ups through the (entity, effective, entity_id, field) index: one
        # OR made PostgreSQL scan the whole history.
        changed = H.select(H.entity_id).where(fields & (H.effective > first))
        entered = H.select(H.entity_id).where(fields & H.effective.is_null() & (H.at >= cutoff))
        # Less a dollar: whatever the engine makes of a stored amount, nothing at the
        # threshold is left out (an extra row read whole changes nothing).
        query = query.where((Asset.cost >= float(listed_from) - 1) | Asset.erate_frn.is_null(False)
                            | Asset.id.in_(changed) | Asset.id.in_(entered))
        key = Asset.select(*_columns(Asset, _KEY)).order_by(Asset.id)
        rows = _keyed_rows(stream(key), stream(query.order_by(Asset.id)), holders, n, bought,
                           cost, inserv, ddate, proceeds, audit, share)
    for row in rows:
        aid = row[0]
        while pending is not None and pending[0] < aid:
            pending = next(groups, None)
        if pending is None or pending[0] != aid:
            yield (row,) * len(days)
            continue
        _, changes, newest, created = pending
        # A day after every change took effect and after the record was created
        # keeps today's row.
        yield tuple(row if newest <= d and (created is None or created < c)
                    else rebuild(list(row), changes, d, c) for d, c in cutoffs)


def _whole_rows(chunks: Iterator[list[Any]], holders: bool, n: int,
                bought: Memo, cost: Memo, inserv: Memo, ddate: Memo, proceeds: Memo,
                audit: Memo, share: Memo) -> Iterator[Row]:
    """State rows from a cursor over every ``_STORED`` column (and the holder's names)."""
    # The converted columns' places, written out below (a comprehension per row costs more).
    assert [COL[f] for f in ("purchase_date", "cost", "in_service_date", "disposal_date",
                             "disposal_proceeds", "last_audit_date", "federal_share",
                             "created_at")] == [9, 10, 15, 16, 18, 19, 21, 25]
    for chunk in chunks:
        for t in chunk:
            if holders:
                first, last, room = t[n:]
                holder = (_full_name(first, last) if first is not None or last is not None
                          else room)
            else:
                holder = HOLDER_NOW
            yield [*t[:9], bought[t[9]], cost[t[10]], *t[11:15], inserv[t[15]], ddate[t[16]],
                   t[17], proceeds[t[18]], audit[t[19]], t[20], share[t[21]], *t[22:n],
                   holder, False]


def _keyed_rows(keys: Iterator[list[Any]], details: Iterator[list[Any]], holders: bool, n: int,
                bought: Memo, cost: Memo, inserv: Memo, ddate: Memo, proceeds: Memo,
                audit: Memo, share: Memo) -> Iterator[Row]:
    """State rows from a cursor over every asset's ``_KEY`` columns merged with
    one, in the same id order, over the ``_DETAIL`` columns of some of them."""
    assert _KEY == ("id", "model_id", "status", "site_id", "purchase_date", "cost", "erate_frn",
                    "in_service_date", "disposal_date", "created_at")
    assert _DETAIL == ("id", "tag", "name", "serial", "location_id", "supplier_id",
                       "funding_type", "funding_name", "erate_funding_year", "disposal_method",
                       "disposal_proceeds", "last_audit_date", "federal_award_id",
                       "federal_share", "condition", "assigned_person_id",
                       "assigned_location_id")
    more = (w for chunk in details for w in chunk)
    w = next(more, None)
    bare = None if holders else HOLDER_NOW  # never listed: its holder is never named
    for chunk in keys:
        for t in chunk:
            aid = t[0]
            while w is not None and w[0] < aid:
                w = next(more, None)
            if w is None or w[0] != aid:
                yield [aid, None, None, None, t[1], t[2], t[3], None, None, bought[t[4]],
                       cost[t[5]], None, None, t[6], None, inserv[t[7]], ddate[t[8]], None,
                       None, None, None, None, None, None, None, t[9], bare, False]
                continue
            if holders:
                first, last, room = w[17:]
                holder = (_full_name(first, last) if first is not None or last is not None
                          else room)
            else:
                holder = HOLDER_NOW
            yield [aid, w[1], w[2], w[3], t[1], t[2], t[3], w[4], w[5], bought[t[4]],
                   cost[t[5]], w[6], w[7], t[6], w[8], inserv[t[7]], ddate[t[8]], w[9],
                   proceeds[w[10]], audit[w[11]], w[12], share[w[13]], w[14], w[15], w[16],
                   t[9], holder, False]
            w = next(more, None)


def assets_as_of(day: dt.date) -> list[Row]:
    """Every asset as it stood at the end of ``day``: lists in ``FIELDS`` order."""
    return [rows[0] for rows in states_as_of((day,))]
