"""Warranties ending: what to get fixed (or renewed) while it is still covered.

Assets still held (not retired or disposed) whose warranty ends within the
next N days, and those whose warranty ended in the last N days — a device
that fails next week is a vendor ticket or a purchase order depending on
which list it is in. One indexed range query on ``warranty_end`` with its
joins; both lists come from it.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import peewee as pw

from app.models import Asset, HardwareModel, Location, Site
from app.models.common import INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, day, organisation, plural
from app.reporting.document import Chart, Column, Progress, ReportDocument, Section, Table
from app.services.base import current_user
from app.services.errors import ValidationError
from app.store.db import rows as query_rows

DEFAULT_DAYS = 90
MAX_DAYS = 3660


def _columns(last: str) -> list[Column]:
    return [
        Column("Tag", width=1.0),
        Column("Model", width=2.2),
        Column("Serial", width=1.4),
        Column("Site / Room", width=2.4),
        Column("Warranty end", "date", width=1.0),
        Column(last, "int", width=0.8),
    ]


# (tag, model, serial, site / room, warranty end, days left or since)
WarrantyRow = tuple[str, str, str, str, dt.date, int]


def rows(today: dt.date, days: int, site_id: int | None) -> list[WarrantyRow]:
    """(tag, model, serial, site / room, warranty end, days left) for every held
    asset whose warranty ends between ``today - days`` and ``today + days``."""
    q = (Asset.select(Asset.tag, HardwareModel.name, Asset.name, Asset.serial, Site.name,
                      Location.name, Asset.warranty_end)
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .join_from(Asset, Location, pw.JOIN.LEFT_OUTER, on=(Asset.location == Location.id))
         .where(Asset.warranty_end.between(today - dt.timedelta(days=days),
                                           today + dt.timedelta(days=days))
                & Asset.status.not_in(INACTIVE_STATUSES)))
    if site_id:
        q = q.where(Asset.site == site_id)
    out: list[WarrantyRow] = []
    for tag, model, name, serial, site, room, end in query_rows(q.order_by(Asset.warranty_end,
                                                                         Asset.tag)):
        place = " / ".join(p for p in (site, room) if p)
        out.append((tag, model or name or "", serial or "", place, end, (end - today).days))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    today = params.as_of or dt.date.today()
    days = DEFAULT_DAYS if params.days is None else int(params.days)
    if not 0 <= days <= MAX_DAYS:
        raise ValidationError(f"Within days is from 0 to {MAX_DAYS:,}.", field="days")
    site = find_site(params.site)
    found = rows(today, days, site.id if site else None)
    ending = [r for r in found if r[5] >= 0]
    ended: list[WarrantyRow] = [(*r[:5], -r[5]) for r in found if r[5] < 0]
    ended.reverse()  # the most recently ended first
    by_model = Counter(r[1] or "(no model)" for r in ending)
    scope = f" at {site.name}" if site else ""
    horizon = today + dt.timedelta(days=days)
    sections = [
        Section(key="Ending", title=f"Warranties ending within {plural(days, 'day')}" + scope,
                intro=f"Assets in service whose warranty ends from {day(today)} to "
                      f"{day(horizon)}: the soonest first. Report a fault before the end date "
                      "and the vendor still repairs it.",
                figures=[("Ending", len(ending)), ("Already ended (last "
                                                   f"{plural(days, 'day')})", len(ended)),
                         ("Models affected", len(by_model))],
                tables=[Table(_columns("Days left"), ending,
                              empty_text=f"No warranty ends in the next {plural(days, 'day')}.")],
                charts=[Chart("Ending by model", by_model.most_common(10), kind="int")]
                if by_model else [],
                new_page=True),
        Section(key="Ended", title=f"Warranties ended in the last {plural(days, 'day')}" + scope,
                intro=f"Assets still in service whose warranty ended from "
                      f"{day(today - dt.timedelta(days=days))} to {day(today)}: repairs are now "
                      "paid for, or the device is due for replacement.",
                tables=[Table(_columns("Days since"), ended,
                              empty_text=f"No warranty ended in the last {plural(days, 'day')}.")],
                new_page=False),
    ]
    return ReportDocument(title="Warranties ending", organisation=organisation(),
                          sections=sections,
                          subtitle=f"As of {day(today)}" + (f" \u2014 {site.name}" if site else ""),
                          generated_by=current_user())


SPEC = ReportSpec(
    name="warranties", title="Warranties ending",
    description="Assets whose warranty ends within the next days, and those whose warranty "
                "ended in the last days: tag, model, serial, site and room, end date, days left.",
    params=("days", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=50)
