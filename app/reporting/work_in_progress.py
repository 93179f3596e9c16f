"""Work in progress: the open work orders by status and by age, then each of
them (oldest first) with its follow-up date and the time spent so far.

Grouped counts and one joined list, in SQL; ages are whole days since the
work order was opened, as of today.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from app.models import Asset, Person, Site, WorkOrder, WorkOrderNote
from app.models.common import (OPEN_WORK_ORDER_STATUSES, WORK_ORDER_CATEGORIES,
                               WORK_ORDER_PRIORITIES, WORK_ORDER_STATUSES)
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, day, local_date, organisation
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table
from app.services.base import current_user
from app.store.db import rows as query_rows

# Age bands (days since opened, inclusive upper bounds); the last is open-ended.
AGE_BANDS = ((7, "0–7 days"), (30, "8–30 days"), (90, "31–90 days"), (None, "Over 90 days"))

LIST_COLUMNS = [
    Column("No.", "int", width=0.5),
    Column("Opened", "date", width=0.9),
    Column("Age (days)", "int", width=0.7),
    Column("Status", width=1.2),
    Column("Priority", width=0.7),
    Column("Category", width=0.8),
    Column("Summary", width=2.8),
    Column("Requester", width=1.5),
    Column("Site", width=1.5),
    Column("Asset", width=0.9),
    Column("Assignee", width=0.9),
    Column("Follow-up", "date", width=0.9),
    Column("Minutes", "int", width=0.7, total=True),
]


# An open work order under LIST_COLUMNS: (no., opened, age in days, status,
# priority, category, summary, requester, site, asset, assignee, follow-up, minutes).
OpenRow = tuple[int, dt.date, int, str, str, str, str, str, str, str, str, dt.date | None, int]


def band_of(age: int) -> str:
    for limit, label in AGE_BANDS:
        if limit is None or age <= limit:
            return label
    return AGE_BANDS[-1][1]


def open_rows(site_id: int | None, today: dt.date) -> list[OpenRow]:
    spent = (WorkOrderNote.select(WorkOrderNote.work_order.alias("wo"),
                                  pw.fn.SUM(WorkOrderNote.minutes).alias("minutes"))
             .group_by(WorkOrderNote.work_order).alias("spent"))
    q = (WorkOrder.select(WorkOrder.id, WorkOrder.opened_at, WorkOrder.status, WorkOrder.priority,
                          WorkOrder.category, WorkOrder.summary, Person.first_name,
                          Person.last_name, WorkOrder.requester_name, Site.name, Asset.tag,
                          WorkOrder.assignee, WorkOrder.follow_up, spent.c.minutes)
         .join_from(WorkOrder, Person, pw.JOIN.LEFT_OUTER, on=(WorkOrder.requester == Person.id))
         .join_from(WorkOrder, Site, pw.JOIN.LEFT_OUTER, on=(WorkOrder.site == Site.id))
         .join_from(WorkOrder, Asset, pw.JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
         .join_from(WorkOrder, spent, pw.JOIN.LEFT_OUTER, on=(spent.c.wo == WorkOrder.id))
         .where(WorkOrder.status.in_(list(OPEN_WORK_ORDER_STATUSES)))
         .order_by(WorkOrder.opened_at, WorkOrder.id))
    if site_id:
        q = q.where(WorkOrder.site == site_id)
    out: list[OpenRow] = []
    for (n, opened, status, prio, cat, summary, first, last, rname, site, tag, assignee, follow,
         minutes) in query_rows(q):
        opened_on = local_date(opened)
        out.append((n, opened_on, (today - opened_on).days, WORK_ORDER_STATUSES.get(status) or status,
                    WORK_ORDER_PRIORITIES.get(prio) or prio, WORK_ORDER_CATEGORIES.get(cat) or cat,
                    " ".join((summary or "").split()),
                    f"{first} {last}".strip() if last or first else (rname or ""), site or "",
                    tag or "", assignee or "", follow, int(minutes or 0)))
    return out


def build(params: ReportParams, progress: Progress | None = None,
          today: dt.date | None = None) -> ReportDocument:
    today = today or params.as_of or dt.date.today()
    site = find_site(params.site)
    rows = open_rows(site.id if site else None, today)
    statuses = [WORK_ORDER_STATUSES[s] for s in OPEN_WORK_ORDER_STATUSES]
    bands = [label for _, label in AGE_BANDS]
    grid = {(b, s): 0 for b in bands for s in statuses}
    for r in rows:
        grid[(band_of(r[2]), r[3])] += 1
    by_age: list[tuple[Cell, ...]] = [(b, *[grid[(b, s)] for s in statuses], sum(grid[(b, s)] for s in statuses))
              for b in bands]
    overdue = sum(1 for r in rows if r[11] is not None and r[11] < today)
    ages = [r[2] for r in rows]
    scope = f" at {site.name}" if site else ""
    figures: list[tuple[str, Cell]] = [("Open work orders", len(rows)),
               ("Overdue follow-ups", overdue),
               ("Average age (days)", round(sum(ages) / len(ages), 1) if ages else "—"),
               ("Oldest (days)", max(ages) if ages else "—")]
    age_columns = ([Column("Age", width=1.2)] + [Column(s, "int", width=1.0, total=True)
                                                 for s in statuses]
                   + [Column("Total", "int", width=0.8, total=True)])
    sections = [
        Section(key="Work in progress", title="Open work orders" + scope,
                intro=f"Every work order not resolved or closed on {day(today)}, oldest first.",
                figures=figures,
                tables=[Table(LIST_COLUMNS, rows, empty_text="No open work orders.")],
                landscape=True),
        Section(key="By age and status", title="Open work orders by age and status" + scope,
                intro="Age is the number of days since the work order was opened.",
                tables=[Table(age_columns, by_age)],
                charts=[Chart("Open work orders by status",
                              [(s, sum(grid[(b, s)] for b in bands)) for s in statuses],
                              kind="int")] if rows else [],
                landscape=True),
    ]
    return ReportDocument(title="Work in progress", organisation=organisation(),
                          sections=sections,
                          subtitle=day(today) + (f" — {site.name}" if site else ""),
                          generated_by=current_user())


SPEC = ReportSpec(
    name="work-in-progress", title="Work in progress",
    description="Open work orders by age and status, then each open work order (oldest first) "
                "with its follow-up date and the time spent so far.",
    params=("site",), formats=("pdf", "xlsx", "csv"), build=build, order=72)
