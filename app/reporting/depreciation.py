"""Depreciation schedule for the business office: capital assets at or above
the capitalization threshold (setting ``capitalization_threshold``), each
with cost, in-service date, useful life (its category's ``life_years``),
annual depreciation, this year's expense, accumulated depreciation at the
fiscal year's end and net book value; then the totals per category, and the
capital assets disposed of during the year with their depreciation to the
disposal date.

Which assets, and every figure, come from ``app.reporting.capital`` — the
same selection the year-end report's roll-forward uses, from the register as
it stood at the ends of the year by effective date — so the two reports list
the same assets: capital on the year's last day, including any not yet in
service (no depreciation yet). This year's expense here, held plus disposed,
is the roll-forward's depreciation for the year.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.reporting import ReportParams, ReportSpec, fiscal
from app.reporting._ops import day, organisation
from app.reporting.capital import (DEFAULT_LIFE, NO_CATEGORY, CapitalLine,  # noqa: F401
                                   CapitalYear, Progress, lookups, year_and_site)
from app.reporting.document import Cell, Column, Cover, ReportDocument, Section, Table, money
from app.reporting.writers import gc_paused
from app.services import settings, tags
from app.services.base import current_user

ASSET_COLUMNS = [
    Column("Category", width=1.4),
    Column("Tag", width=0.95),
    Column("Description", width=2.1),
    Column("Site", width=1.5),
    Column("Cost", "money", width=1.0, total=True),
    Column("In service", "date", width=0.9),
    Column("Life (yrs)", "int", width=0.75),
    Column("Annual", "money", width=0.95, total=True),
    Column("This year", "money", width=0.95, total=True),
    Column("Accumulated", "money", width=1.05, total=True),
    Column("Net book value", "money", width=1.25, total=True),
]

CATEGORY_COLUMNS = [
    Column("Category", width=2.2),
    Column("Life (years)", "int", width=0.8),
    Column("Assets", "int", width=0.7, total=True),
    Column("Cost", "money", width=1.1, total=True),
    Column("Annual", "money", width=1.0, total=True),
    Column("This year", "money", width=1.0, total=True),
    Column("Accumulated", "money", width=1.1, total=True),
    Column("Net book value", "money", width=1.1, total=True),
]


DISPOSED_COLUMNS = [
    Column("Category", width=1.4), Column("Tag", width=0.95), Column("Description", width=2.1),
    Column("Site", width=1.5), Column("Cost", "money", width=1.0, total=True),
    Column("In service", "date", width=0.9), Column("Disposed", "date", width=0.9),
    Column("This year", "money", width=0.95, total=True),
    Column("Accumulated", "money", width=1.05, total=True),
]


def capital_lines(fy: int, threshold: Decimal, site_id: int | None,
                  today: dt.date | None = None) -> list[CapitalLine]:
    """The year's capital assets (``app.reporting.capital.CapitalLine``), by category then
    tag; a year still running as it stands today, as the year-end report takes it."""
    first, last = fiscal.fiscal_year_bounds(fy)
    last = min(last, today or dt.date.today())
    with gc_paused():
        year = CapitalYear(first, last, threshold, site_id, lookups()).read()
    return sorted(year.lines, key=lambda x: (x.category.lower(), tags.sort_key(x.tag)))


def schedule(fy: int, threshold: Decimal, site_id: int | None, progress: Progress | None = None,
             lines: list[CapitalLine] | None = None) -> list[tuple[Any, ...]]:
    """(category, tag, description, site, cost, in service, life, annual, this
    year, accumulated, net book value) for each capital asset held at the end
    of fiscal year ``fy``, by category then tag."""
    if lines is None:
        lines = capital_lines(fy, threshold, site_id)
    out = []
    for n, x in enumerate(line for line in lines if line.held_at_end):
        out.append((x.category, x.tag, x.description, x.site, money(x.cost), x.start, x.life,
                    x.annual, x.depreciation, x.accumulated, x.cost - x.accumulated))
        if progress is not None and n % 5_000 == 4_999:
            progress(n + 1, 0, f"Depreciation: {n + 1:,} assets")
    return out


def _sum(rows: list[tuple[Any, ...]], i: int) -> Decimal:
    return money(sum((r[i] for r in rows), Decimal("0")))


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    fy, site = year_and_site(params)
    first, last = fiscal.fiscal_year_bounds(fy)
    label = fiscal.fiscal_year_label(fy)
    threshold = settings.money("capitalization_threshold")
    lines = capital_lines(fy, threshold, site.id if site else None)
    rows = schedule(fy, threshold, site.id if site else None, progress, lines)
    gone = [(x.category, x.tag, x.description, x.site, x.cost, x.start, x.disposed,
             x.depreciation, x.accumulated) for x in lines if x.disposed]

    groups: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        groups.setdefault(r[0], []).append(r[1:])
    by_category = []
    for cat, items in groups.items():
        lives = {r[5] for r in items}
        by_category.append((cat, lives.pop() if len(lives) == 1 else None, len(items),
                            _sum(items, 3), _sum(items, 6), _sum(items, 7), _sum(items, 8),
                            _sum(items, 9)))
    cost, annual, expense, accumulated, nbv = (_sum(rows, i) for i in (4, 7, 8, 9, 10))
    totals = ["Total", None, None, None, cost, None, None, annual, expense, accumulated, nbv]
    scope = f" \u2014 {site.name}" if site else ""
    span = f"{day(first)} to {day(last)}"
    gone_expense = _sum(gone, 7)
    figures: list[tuple[str, Cell]] = [("Capital assets", len(rows)), ("Cost", cost),
               (f"Depreciation {label}", expense + gone_expense), ("Net book value", nbv)]
    sections = [
        Section(key="By category", title=f"Depreciation by category, {label}" + scope,
                intro=f"Capital assets (cost ${threshold:,.2f} or more) held on {day(last)}, "
                      "as the register stood that day. Straight line over the category's useful life in whole months, the month "
                      "an asset goes into service counting in full, no salvage value.",
                figures=figures,
                tables=[Table(CATEGORY_COLUMNS, by_category,
                              totals=["Total", None, len(rows), cost, annual, expense,
                                      accumulated, nbv],
                              empty_text=f"No asset costing ${threshold:,.2f} or more was in "
                                         f"service on {day(last)}.")]),
        Section(key="Schedule", title=f"Depreciation schedule, {label}" + scope,
                intro=f"Each capital asset, by category then tag. This year is the depreciation for "
                      f"{span}; accumulated and net book value are on {day(last)}.",
                tables=[Table(ASSET_COLUMNS, rows, totals=totals, empty_text="No capital assets.")],
                landscape=True),
        Section(key="Disposed", title=f"Capital assets disposed of, {label}" + scope,
                intro=f"Capital assets disposed of from {span}: their depreciation this year "
                      "and accumulated depreciation run to the disposal date (the month of "
                      "disposal counted in full). With the schedule's, this year's depreciation "
                      "is the year-end roll-forward's depreciation for the year.",
                figures=[("Disposed of", len(gone)),
                         (f"Depreciation {label}, disposed", gone_expense),
                         (f"Depreciation {label}, all", expense + gone_expense)],
                tables=[Table(DISPOSED_COLUMNS, gone, empty_text="None.")], landscape=True),
    ]
    cover = Cover(title="Depreciation schedule", subtitle=label + scope,
                  lines=[("Fiscal year", span), ("Capitalization threshold", f"${threshold:,.2f}"),
                         ("Capital assets", f"{len(rows):,}"), ("Net book value", f"${nbv:,.2f}")],
                  signatures=("Prepared by", "Reviewed by (business office)"))
    doc = ReportDocument(title="Depreciation schedule", organisation=organisation(),
                         sections=sections, cover=cover, subtitle=label + scope,
                         generated_by=current_user())
    doc.csv_table = (1, 0)  # the CSV is the per-asset schedule
    return doc


SPEC = ReportSpec(
    name="depreciation", title="Depreciation schedule",
    description="Capital assets at or above the capitalization threshold: cost, in-service "
                "date, life, annual depreciation, accumulated at the fiscal year's end, net "
                "book value, and the totals per category.",
    params=("fiscal_year", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=80)
