"""Machine utilization: how much each lendable device is used.

For a period (the last 12 months by default): per device, the loans that
began in it and the days it was out (each loan's days inside the period,
an open loan counting to the period's end), by category; then the devices
held (not retired or disposed, not assigned to anyone) that have not been
lent for a year — candidates to redeploy. Grouped queries in SQL; the days
out are summed in Python from one lean query of the loans overlapping the
period.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from app.models import Asset, Category, HardwareModel, Loan, Location, Site
from app.models.common import ASSET_STATUSES, INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, as_date, day, local_date, organisation, raw_rows
from app.reporting.document import Chart, Column, Progress, ReportDocument, Section, Table
from app.reporting.repairs import date_range
from app.services import tags
from app.services.base import current_user
from app.store.db import rows as query_rows

DEVICE_COLUMNS = [
    Column("Tag", width=1.0), Column("Model", width=2.0), Column("Category", width=1.2),
    Column("Site", width=1.6), Column("Loans", "int", width=0.7, total=True),
    Column("Days out", "int", width=0.8, total=True), Column("Use %", "percent", width=0.7),
]
CATEGORY_COLUMNS = [
    Column("Category", width=2.0), Column("Devices lent", "int", width=0.9, total=True),
    Column("Loans", "int", width=0.8, total=True), Column("Days out", "int", width=0.9, total=True),
    Column("Average use %", "percent", width=0.9),
]
IDLE_COLUMNS = [
    Column("Tag", width=1.0), Column("Model", width=2.0), Column("Category", width=1.2),
    Column("Site / Room", width=2.2), Column("Status", width=1.0),
    Column("Last lent", "date", width=0.9), Column("Idle (days)", "int", width=0.8),
]


def usage(start: dt.date, end: dt.date, site_id: int | None) -> dict[int, list[int]]:
    """asset id → [loans begun in the period, days out in the period]."""
    begin = dt.datetime.combine(start, dt.time.min)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
    q = (Loan.select(Loan.asset, Loan.out_at, Loan.returned_at)
         .where((Loan.out_at < finish) & (Loan.returned_at.is_null() | (Loan.returned_at >= begin))))
    if site_id:
        q = q.join(Asset, on=(Loan.asset == Asset.id)).where(Asset.site == site_id)
    loans: dict[int, int] = {}
    spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for asset_id, out_at, returned_at in raw_rows(q):
        went = local_date(out_at)
        first = max(went, start)
        last = min(local_date(returned_at) if returned_at else end, end)
        loans[asset_id] = loans.get(asset_id, 0) + (went >= start)
        if last >= first:
            spans.setdefault(asset_id, []).append((first, last))
    return {aid: [loans[aid], _days_covered(spans.get(aid, []))] for aid in loans}


def _days_covered(spans: list[tuple[dt.date, dt.date]]) -> int:
    """Days inside the union of inclusive date spans (loans recorded over each
    other, or out and back the same day, never count a day twice)."""
    days = 0
    current: tuple[dt.date, dt.date] | None = None
    for first, last in sorted(spans):
        if current and first <= current[1] + dt.timedelta(days=1):
            current = (current[0], max(current[1], last))
            continue
        if current:
            days += (current[1] - current[0]).days + 1
        current = (first, last)
    if current:
        days += (current[1] - current[0]).days + 1
    return days


ROOM_COLUMNS = [
    Column("Site", width=1.8), Column("Room (lab, cart)", width=1.8),
    Column("Devices", "int", width=0.8, total=True), Column("Loans", "int", width=0.8, total=True),
    Column("Device-days out", "int", width=1.0, total=True),
]


# (tag, model, category, site, loans, days out, use as a fraction of the period)
DeviceRow = tuple[str, str, str, str, int, int, float]
# (site, room, devices, loans, device-days out)
RoomRow = tuple[str, str, int, int, int]
# (tag, model, category, site / room, status, last lent, idle days)
IdleRow = tuple[str, str, str, str, str, dt.date | None, int | None]


@dataclass
class _RoomUse:
    site: str
    room: str
    assets: set[int] = field(default_factory=set)
    loans: int = 0
    days: int = 0


def room_rows(start: dt.date, end: dt.date, site_id: int | None) -> list[RoomRow]:
    """Loans to a room rather than a person (a lab, a cart): per room, the
    devices lent to it, the loans begun in the period and their days out."""
    begin = dt.datetime.combine(start, dt.time.min)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
    q = (Loan.select(Loan.location, Site.name, Location.name, Loan.asset, Loan.out_at,
                     Loan.returned_at)
         .join(Location, on=(Loan.location == Location.id))
         .join(Site, on=(Location.site == Site.id))
         .where(Loan.location.is_null(False) & (Loan.out_at < finish)
                & (Loan.returned_at.is_null() | (Loan.returned_at >= begin))))
    if site_id:
        q = q.where(Location.site == site_id)
    rooms: dict[int, _RoomUse] = {}
    for loc, site, room, asset_id, out_at, returned_at in raw_rows(q):
        went = local_date(out_at)
        first = max(went, start)
        last = min(local_date(returned_at) if returned_at else end, end)
        r = rooms.setdefault(loc, _RoomUse(site, room))
        r.assets.add(asset_id)
        r.loans += went >= start
        r.days += max(0, (last - first).days + 1)
    return sorted(((r.site, r.room, len(r.assets), r.loans, r.days) for r in rooms.values()),
                  key=lambda r: (-r[4], r[0], r[1]))


def device_rows(used: dict[int, list[int]], period_days: int) -> list[DeviceRow]:
    if not used:
        return []
    rows: list[DeviceRow] = []
    ids = list(used)
    for start in range(0, len(ids), 500):
        q = (Asset.select(Asset.id, Asset.tag, HardwareModel.name, Category.name, Site.name)
             .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER,
                        on=(Asset.model == HardwareModel.id))
             .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                        on=(HardwareModel.category == Category.id))
             .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
             .where(Asset.id.in_(ids[start:start + 500])))
        for aid, tag, model, cat, site in query_rows(q):
            loans, days = used[aid]
            rows.append((tag, model or "", cat or "", site or "", loans, days,
                         round(days / period_days, 4)))
    rows.sort(key=lambda r: (-r[5], r[0]))
    return rows


def idle_rows(today: dt.date, site_id: int | None, idle_days: int = 365) -> list[IdleRow]:
    """Held, unassigned devices with no loan for ``idle_days`` (never lent
    ones count from their purchase date; those bought within the year are
    not idle yet)."""
    since = dt.datetime.combine(today - dt.timedelta(days=idle_days), dt.time.min)
    last = (Loan.select(Loan.asset.alias("aid"), pw.fn.MAX(Loan.out_at).alias("last_out"),
                        pw.fn.SUM(pw.Case(None, [(Loan.returned_at.is_null(), 1)], 0))
                        .alias("open_loans"))
            .group_by(Loan.asset).alias("last"))
    q = (Asset.select(Asset.tag, HardwareModel.name, Category.name, Site.name, Location.name,
                      Asset.status, last.c.last_out, Asset.purchase_date)
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.category == Category.id))
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .join_from(Asset, Location, pw.JOIN.LEFT_OUTER, on=(Asset.location == Location.id))
         .join_from(Asset, last, pw.JOIN.LEFT_OUTER, on=(last.c.aid == Asset.id))
         .where(Asset.status.not_in(list(INACTIVE_STATUSES) + ["missing", "in_repair"])
                & Asset.assigned_person.is_null() & Asset.assigned_location.is_null()
                & (pw.fn.COALESCE(last.c.open_loans, 0) == 0)
                & ((last.c.last_out < since)
                   | (last.c.last_out.is_null()
                      & (Asset.purchase_date.is_null()
                         | (Asset.purchase_date < since.date()))))))
    if site_id:
        q = q.where(Asset.site == site_id)
    rows: list[IdleRow] = []
    for tag, model, cat, site, room, status, last_out, bought in raw_rows(
            q.order_by(*tags.order_by(Asset.tag_key))):
        lent = local_date(last_out) if last_out else None
        since_day = lent or as_date(bought)
        rows.append((tag, model or "", cat or "", " / ".join(x for x in (site, room) if x),
                     ASSET_STATUSES.get(status) or status, lent,
                     (today - since_day).days if since_day else None))
    rows.sort(key=lambda r: (-(r[6] or 10**6), r[0]))
    return rows


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    start, end = date_range(params)
    site = find_site(params.site)
    site_id = site.id if site else None
    period = (end - start).days + 1
    used = usage(start, end, site_id)
    devices = device_rows(used, period)
    if progress is not None:
        progress(1, 2, "Idle devices…")
    idle = idle_rows(end, site_id)
    rooms = room_rows(start, end, site_id)
    cats: dict[str, list[int]] = {}
    for r in devices:
        c = cats.setdefault(r[2] or "(none)", [0, 0, 0])
        c[0] += 1
        c[1] += r[4]
        c[2] += r[5]
    by_cat = sorted(((name, n, loans, days, round(days / (n * period), 4))
                     for name, (n, loans, days) in cats.items()), key=lambda r: (-r[3], r[0]))
    span = f"{day(start)} to {day(end)}"
    scope = f" at {site.name}" if site else ""
    sections = [
        Section(key="By category", title="Device use by category" + scope,
                intro=f"Loans from {span} ({period} days). Days out count each loan's days in "
                      "the period; use % is days out over the days in the period.",
                figures=[("Devices lent", len(devices)), ("Loans begun", sum(r[4] for r in devices)),
                         ("Days out", sum(r[5] for r in devices)),
                         ("Idle a year or more", len(idle))],
                tables=[Table(CATEGORY_COLUMNS, by_cat, empty_text="No loans in this period.")],
                charts=[Chart("Days out by category", [(r[0], r[3]) for r in by_cat], kind="int")]
                if by_cat else []),
        Section(key="Loans per device", title="Loans per device" + scope,
                intro="Each device lent in the period, most days out first.",
                tables=[Table(DEVICE_COLUMNS, devices, empty_text="No loans in this period.")],
                landscape=True),
        Section(key="Lab and cart use", title="Lab and cart use" + scope,
                intro="Devices lent to a room (a lab, a cart) rather than a person, by room.",
                tables=[Table(ROOM_COLUMNS, rooms, empty_text="No loans to rooms in this period.")]),
        Section(key="Idle a year", title="Devices idle a year or more" + scope,
                intro=f"Held and not assigned to anyone, with no loan since "
                      f"{day(end - dt.timedelta(days=365))} (never-lent devices bought before "
                      "then count too): candidates to redeploy.",
                tables=[Table(IDLE_COLUMNS, idle, empty_text="No idle devices.")],
                landscape=True),
    ]
    return ReportDocument(title="Machine utilization", organisation=organisation(),
                          sections=sections, subtitle=span + (f" — {site.name}" if site else ""),
                          generated_by=current_user(), csv_table=(1, 0))


SPEC = ReportSpec(
    name="utilization", title="Machine utilization",
    description="Loans and days out per device and by category in a period, and the devices "
                "that have not been lent or assigned for a year.",
    params=("date_from", "date_to", "site"), formats=("pdf", "xlsx", "csv"), build=build,
    order=76)
