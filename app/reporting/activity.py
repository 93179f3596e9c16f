"""Activity log: who changed what, when, from what to what, over a date range.

The history table can hold millions of entries, so the rows are streamed:
pages of 2,000 entries in time order (keyset paging on ``at, id``, so each
page is an indexed range read and nothing is held twice), each page's
records named in one query per kind (an asset by its tag, a person by name
and ID, a room as "Site / Room"). The rows object can be iterated again — a
writer that needs two passes reads the log twice rather than keeping it.
Product keys never appear: history masks them when it records them, and
this report masks any secret field again.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import peewee as pw

from app.models import (Asset, Category, HardwareModel, HistoryEntry, License, Location,
                        Manufacturer, Person, Repair, Site, StocktakeSession, Supplier, Supply)
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import as_date, day, organisation
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table
from app.services.base import current_user
from app.services.errors import ValidationError
from app.services.history import SECRET_FIELDS
from app.store.db import BaseModel, rows as query_rows
from app.wording import ACTION_LABELS, action_label, field_label  # noqa: F401 - re-exported

DEFAULT_DAYS = 30
PAGE = 2_000

# A log line under COLUMNS: (when, who, record, action, field, old, new, note, effective).
LogRow = tuple[dt.datetime | None, str, str, str, str, str, str, str, dt.date | None]

KIND_LABELS = {
    "asset": "Asset", "person": "Person", "license": "License", "supply": "Supply",
    "location": "Room", "site": "Site", "model": "Model", "category": "Category",
    "manufacturer": "Maker", "supplier": "Supplier", "repair": "Repair",
    "stocktake": "Stocktake", "setting": "Settings", "tags": "Tags", "demo": "Demo data",
    "import": "Import", "export": "Export", "database": "Database",
}
# Kinds that are one thing, not a record with an id worth showing.
SINGLETONS = ("setting", "tags", "demo", "import", "export", "database")


COLUMNS = [
    Column("When", "datetime", width=1.3),
    Column("Who", width=0.9),
    Column("Record", width=1.9),
    Column("Action", width=1.1),
    Column("Field", width=1.0),
    Column("Old", width=1.8),
    Column("New", width=1.8),
    Column("Note", width=1.6),
    # The day the change took effect in the world, when that is not the day it was
    # entered (a disposal dated March 15 typed in December).
    Column("Effective", "date", width=0.9),
]


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The stored (naive UTC) instants of local midnight on ``start`` and on the
    day after ``end``: the range [lo, hi) covers both whole local days."""
    def utc(d: dt.date) -> dt.datetime:
        local = dt.datetime.combine(d, dt.time()).astimezone()
        return local.astimezone(dt.UTC).replace(tzinfo=None)
    return utc(start), utc(end + dt.timedelta(days=1))


def date_range(params: ReportParams, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = params.date_to or today or dt.date.today()
    start = params.date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError(f"From ({day(start)}) is after To ({day(end)}).", field="date_from")
    return start, end


class _LocalTime:
    """Stored UTC → local wall-clock time, to the second. The zone's offset is
    looked up once per hour of UTC (offsets change on the hour at most), not
    per entry: the conversion was a fifth of the log's time."""

    def __init__(self) -> None:
        self.offsets: dict[tuple[int, int, int, int], dt.timedelta] = {}

    def __call__(self, at: dt.datetime | str | None) -> dt.datetime | None:
        if at is None:
            return None
        if isinstance(at, str):  # SQLite: "2026-01-02 10:11:12.345678"
            at = dt.datetime.fromisoformat(at[:19])
        elif at.microsecond:
            at = at.replace(microsecond=0)
        key = (at.year, at.month, at.day, at.hour)
        offset = self.offsets.get(key)
        if offset is None:
            offset = at.replace(tzinfo=dt.UTC).astimezone().utcoffset() or dt.timedelta(0)
            self.offsets[key] = offset
        return at + offset


def _person(first: str | None, last: str | None, idn: str | None) -> str:
    name = ", ".join(p for p in (last, first) if p)
    return f"{name} ({idn})" if idn else name


def _ids(field: pw.Field, ids: list[int]) -> pw.Expression:
    """``field IN (1, 2, …)`` with the ids as literal integers: a page names up
    to 2,000 records, and peewee builds a bound parameter per element slowly."""
    return field.in_(pw.SQL("(" + ",".join(str(int(i)) for i in ids) + ")"))


def _names(kind: str, ids: list[int]) -> dict[int, str]:
    """Record labels for one kind, in one query."""
    if kind == "asset":
        # Most entries are about assets: their tags through the driver's own rows.
        q = Asset.select(Asset.id, Asset.tag).where(_ids(Asset.id, ids))
        return dict(Asset._meta.database.execute(q).fetchall())
    if kind == "person":
        return {i: _person(f, la, n) for i, f, la, n in
                query_rows(Person.select(Person.id, Person.first_name, Person.last_name, Person.id_number)
                        .where(_ids(Person.id, ids)))}
    if kind == "license":
        return {i: f"{p} {v}" if v else p for i, p, v in
                query_rows(License.select(License.id, License.product, License.version)
                        .where(_ids(License.id, ids)))}
    if kind == "location":
        return {i: f"{s} / {r}" for i, s, r in
                query_rows(Location.select(Location.id, Site.name, Location.name)
                        .join(Site, on=(Location.site == Site.id)).where(_ids(Location.id, ids)))}
    if kind == "repair":
        return {i: f"{t} ({day(d)})" for i, t, d in
                query_rows(Repair.select(Repair.id, Asset.tag, Repair.reported)
                        .join(Asset, on=(Repair.asset == Asset.id)).where(_ids(Repair.id, ids)))}
    simple: dict[str, tuple[type[BaseModel], pw.Field]] = {
        "supply": (Supply, Supply.name), "site": (Site, Site.name),
        "model": (HardwareModel, HardwareModel.name), "category": (Category, Category.name),
        "manufacturer": (Manufacturer, Manufacturer.name), "supplier": (Supplier, Supplier.name),
        "stocktake": (StocktakeSession, StocktakeSession.name)}
    if kind in simple:
        model, field = simple[kind]
        return {i: name for i, name in query_rows(model.select(model.id, field).where(_ids(model.id, ids)))}
    return {}


def _record(kind: str, entity_id: int, names: dict[tuple[str, int], str]) -> str:
    label = KIND_LABELS.get(kind, kind.capitalize())
    if kind in SINGLETONS:
        return label
    name = names.get((kind, entity_id))
    return f"{label} {name}" if name else f"{label} #{entity_id}"


def _secret(value: object) -> str | None:
    return "\u2022\u2022\u2022\u2022" if value else None


class LogRows:
    """The entries from ``lo`` to ``hi`` (stored UTC), as report rows, streamed
    page by page; iterating again re-reads the database. ``progress(n, total,
    text)`` hears after each page."""

    def __init__(self, lo: dt.datetime, hi: dt.datetime, total: int,
                 progress: Progress | None = None) -> None:
        self.lo, self.hi, self.total, self.progress = lo, hi, total, progress

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[LogRow]:
        H = HistoryEntry
        last = None
        done = 0
        local = _LocalTime()
        while True:
            q = (H.select(H.id, H.at, H.who, H.entity, H.entity_id, H.action, H.field, H.old,
                          H.new, H.note, H.effective)
                 .where((H.at >= self.lo) & (H.at < self.hi)))
            if last is not None:
                q = q.where((H.at >= last[0]) & ((H.at > last[0]) | (H.id > last[1])))
            # The driver's own values (peewee's per-row converters would double the
            # time): ``at`` is text on SQLite, a datetime on PostgreSQL, and goes
            # back into the next page's WHERE exactly as it came.
            page = H._meta.database.execute(q.order_by(H.at, H.id).limit(PAGE)).fetchall()
            if not page:
                return
            wanted: defaultdict[str, set[int]] = defaultdict(set)
            for row in page:
                if row[3] not in SINGLETONS:
                    wanted[row[3]].add(row[4])
            names: dict[tuple[str, int], str] = {}
            for kind, ids in wanted.items():
                for i, name in _names(kind, sorted(ids)).items():
                    names[(kind, i)] = name
            for _id, at, who, kind, entity_id, action, field, old, new, note, eff in page:
                if field in SECRET_FIELDS:
                    old, new = _secret(old), _secret(new)
                when = local(at)
                eff_day = as_date(eff)
                yield (when, who or "", _record(kind, entity_id, names),
                       action_label(action), field_label(field), old or "", new or "",
                       note or "",
                       eff_day if eff_day and (when is None or eff_day != when.date()) else None)
            done += len(page)
            if self.progress is not None:
                self.progress(done, self.total, f"Activity log: {done:,} of {self.total:,}")
            last = (page[-1][1], page[-1][0])
            if len(page) < PAGE:
                return


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    start, end = date_range(params)
    lo, hi = utc_bounds(start, end)
    H = HistoryEntry
    window = (H.at >= lo) & (H.at < hi)
    by_action: list[tuple[str, int]] = [
        (a, n) for a, n in query_rows(H.select(H.action, pw.fn.COUNT(H.id)).where(window)
                                   .group_by(H.action).order_by(pw.fn.COUNT(H.id).desc()))]
    total = sum(n for _a, n in by_action)
    people = (H.select(pw.fn.COUNT(H.who.distinct())).where(window).scalar()) or 0
    records = (H.select(H.entity, H.entity_id).where(window).distinct().count()) if total else 0
    figures: list[tuple[str, Cell]] = [("Entries", total), ("People", people),
                                       ("Records changed", records)]
    span = f"{day(start)} to {day(end)}"
    chart = Chart("Entries by action", [(action_label(a), n) for a, n in by_action[:10]],
                  kind="int")
    section = Section(
        key="Activity", title="Activity log",
        intro=f"Every change recorded from {span} (local time), oldest first: who, what record, "
              "what happened, and each field's old and new value. Product keys are never shown.",
        figures=figures,
        tables=[Table(COLUMNS, LogRows(lo, hi, total, progress),
                      empty_text="Nothing was recorded in this period.")],
        charts=[chart] if by_action else [], landscape=True)
    return ReportDocument(title="Activity log", organisation=organisation(), sections=[section],
                          subtitle=span, generated_by=current_user())


SPEC = ReportSpec(
    name="activity", title="Activity log",
    description="Every change in a date range from the history: when, who, which record "
                "(asset tag, person, room…), what happened and each field's old and new value.",
    params=("date_from", "date_to"), formats=("pdf", "xlsx", "csv"), build=build, order=90)
