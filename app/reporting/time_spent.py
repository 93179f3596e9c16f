"""Time spent on work orders: minutes noted in a period, by category and by
site (and the two crossed), and by who did the work.

Time counts in the period its note was written, whatever the work order's
own dates; grouped sums in SQL.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import peewee as pw

from app.models import Site, WorkOrder, WorkOrderNote
from app.models.common import WORK_ORDER_CATEGORIES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, day, organisation
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table
from app.reporting.repairs import date_range
from app.services.base import current_user
from app.store.db import rows as query_rows

NO_SITE = "(no site)"

# (category key, site name, who, work orders, notes, minutes)
Group = tuple[str, str, str, int, int, int]
# (name, notes, minutes, hours)
Rollup = tuple[str, int, int, float]


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def minutes_by(start: dt.date, end: dt.date, site_id: int | None) -> list[Group]:
    """(category key, site name, who, work orders, notes, minutes) per group."""
    begin = dt.datetime.combine(start, dt.time.min)
    finish = dt.datetime.combine(end, dt.time.max)
    q = (WorkOrderNote.select(WorkOrder.category, Site.name, WorkOrderNote.by,
                              pw.fn.COUNT(pw.fn.DISTINCT(WorkOrder.id)),
                              pw.fn.COUNT(WorkOrderNote.id), pw.fn.SUM(WorkOrderNote.minutes))
         .join_from(WorkOrderNote, WorkOrder, on=(WorkOrderNote.work_order == WorkOrder.id))
         .join_from(WorkOrder, Site, pw.JOIN.LEFT_OUTER, on=(WorkOrder.site == Site.id))
         .where(WorkOrderNote.at.between(begin, finish) & (WorkOrderNote.minutes > 0))
         .group_by(WorkOrder.category, Site.name, WorkOrderNote.by))
    if site_id:
        q = q.where(WorkOrder.site == site_id)
    return [(cat, site or NO_SITE, who or "", int(n), int(notes), int(mins or 0))
            for cat, site, who, n, notes, mins in query_rows(q)]


def _rollup(groups: Iterable[Group], key: Callable[[Group], str]) -> list[Rollup]:
    """(name, notes, minutes, hours) per ``key(group)``, most time first."""
    sums: dict[str, list[int]] = {}
    for g in groups:
        s = sums.setdefault(key(g), [0, 0])
        s[0] += g[4]
        s[1] += g[5]
    return sorted(((name, notes, mins, _hours(mins)) for name, (notes, mins) in sums.items()),
                  key=lambda r: (-r[2], r[0]))


def columns(first: str) -> list[Column]:
    return [Column(first, width=2.4), Column("Notes", "int", width=0.8, total=True),
            Column("Minutes", "int", width=0.9, total=True),
            Column("Hours", "number", width=0.8, total=True)]


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    start, end = date_range(params)
    site = find_site(params.site)
    groups = minutes_by(start, end, site.id if site else None)

    def label(g: Group) -> str:
        return WORK_ORDER_CATEGORIES.get(g[0], g[0])
    by_cat = _rollup(groups, label)
    by_site = _rollup(groups, lambda g: g[1])
    by_who = _rollup(groups, lambda g: g[2] or "(unknown)")
    cats = list(WORK_ORDER_CATEGORIES.values())
    sites = sorted({g[1] for g in groups})
    cross = {(s, c): 0 for s in sites for c in cats}
    for g in groups:
        cross[(g[1], label(g))] += g[5]
    crossed: list[tuple[Cell, ...]] = [(s, *[_hours(cross[(s, c)]) for c in cats], _hours(sum(cross[(s, c)] for c in cats)))
               for s in sites]
    total = sum(g[5] for g in groups)
    span = f"{day(start)} to {day(end)}"
    scope = f" at {site.name}" if site else ""
    sections = [
        Section(key="By category", title="Time spent by category" + scope,
                intro=f"Minutes noted on work orders from {span}.",
                figures=[("Hours", _hours(total)), ("Notes with time", sum(g[4] for g in groups))],
                tables=[Table(columns("Category"), by_cat, empty_text="No time was noted.")],
                charts=[Chart("Hours by category", [(r[0], r[3]) for r in by_cat], kind="int")]
                if by_cat else []),
        Section(key="By site", title="Time spent by site" + scope,
                tables=[Table(columns("Site"), by_site, empty_text="No time was noted."),
                        Table([Column("Site", width=2.0)]
                              + [Column(c, "number", width=0.9, total=True) for c in cats]
                              + [Column("Hours", "number", width=0.9, total=True)],
                              crossed, title="Hours by site and category",
                              empty_text="No time was noted.")],
                landscape=True),
        Section(key="By technician", title="Time spent by technician" + scope,
                tables=[Table(columns("Technician"), by_who, empty_text="No time was noted.")]),
    ]
    return ReportDocument(title="Time spent on work orders", organisation=organisation(),
                          sections=sections, subtitle=span + (f" — {site.name}" if site else ""),
                          generated_by=current_user())


SPEC = ReportSpec(
    name="time-spent", title="Time spent on work orders",
    description="Minutes noted on work orders in a period, by category, by site (and the two "
                "crossed) and by technician.",
    params=("date_from", "date_to", "site"), formats=("pdf", "xlsx", "csv"), build=build,
    order=74)
