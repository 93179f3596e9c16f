"""Depreciation schedule for the business office: capital assets at or above
the capitalisation threshold (setting ``capitalization_threshold``), each
with cost, in-service date, useful life (its category's ``life_years``),
annual depreciation, this year's expense, accumulated depreciation at the
fiscal year's end and net book value; then the totals per category.

The figures come from ``app.reporting.fiscal.straight_line`` (full-month
convention, no salvage value), the same rule the year-end report uses. An
asset is on the schedule when it was in service by the year's last day
(its in-service date, else its purchase date) and not disposed of by then.
One joined query over the assets above the threshold; the arithmetic is
Python ``Decimal``, exact to the cent.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw

from app.models import Asset, Category, HardwareModel, Site
from app.reporting import ReportParams, ReportSpec, fiscal
from app.reporting._ops import day, organisation
from app.reporting.document import Column, Cover, ReportDocument, Section, Table, money
from app.reporting.warranties import find_site
from app.services import settings
from app.services.base import current_user
from app.services.errors import ValidationError

DEFAULT_LIFE = 5  # years, for an asset with no category
NO_CATEGORY = "(no category)"

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


def schedule(fy: int, threshold: Decimal, site_id: int | None, progress=None) -> list[tuple]:
    """(category, tag, description, site, cost, in service, life, annual, this
    year, accumulated, net book value) for each capital asset held at the end
    of fiscal year ``fy``, by category then tag."""
    first, last = fiscal.fiscal_year_bounds(fy)
    before = first - dt.timedelta(days=1)
    in_service = pw.fn.COALESCE(Asset.in_service_date, Asset.purchase_date)
    q = (Asset.select(Category.name, Category.life_years, Asset.tag, Asset.name, HardwareModel.name,
                      Site.name, Asset.cost, Asset.in_service_date, Asset.purchase_date)
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.category == Category.id))
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .where((Asset.cost >= threshold) & in_service.is_null(False) & (in_service <= last)
                & ((Asset.disposal_date > last)
                   | (Asset.disposal_date.is_null() & (Asset.status != "disposed")))))
    if site_id:
        q = q.where(Asset.site == site_id)
    q = q.order_by(pw.fn.COALESCE(Category.name, ""), Asset.tag)
    out = []
    for n, (cat, life, tag, name, model, site, cost, isd, bought) in enumerate(q.tuples()):
        start = isd or bought
        life = DEFAULT_LIFE if cat is None else life
        annual, accumulated, nbv = fiscal.straight_line(cost, start, life, last)
        _a, accumulated_before, _n = fiscal.straight_line(cost, start, life, before)
        description = name or model or ""
        if name and model and model not in name:
            description = f"{name} ({model})"
        out.append((cat or NO_CATEGORY, tag, description, site or "", money(cost), start, life,
                    annual, accumulated - accumulated_before, accumulated, nbv))
        if progress is not None and n % 5_000 == 4_999:
            progress(n + 1, 0, f"Depreciation: {n + 1:,} assets")
    return out


def _sum(rows, i: int) -> Decimal:
    return money(sum((r[i] for r in rows), Decimal("0")))


def build(params: ReportParams, progress=None) -> ReportDocument:
    fy = params.fiscal_year or fiscal.last_completed_fiscal_year()
    if not 1950 <= int(fy) <= 2100:
        raise ValidationError("The fiscal year is a year from 1950 to 2100.", field="fiscal_year")
    fy = int(fy)
    first, last = fiscal.fiscal_year_bounds(fy)
    label = fiscal.fiscal_year_label(fy)
    threshold = settings.money("capitalization_threshold")
    site = find_site(params.site)
    rows = schedule(fy, threshold, site.id if site else None, progress)

    groups: dict[str, list[tuple]] = {}
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
    figures = [("Capital assets", len(rows)), ("Cost", cost),
               (f"Depreciation {label}", expense), ("Net book value", nbv)]
    sections = [
        Section(key="By category", title=f"Depreciation by category, {label}" + scope,
                intro=f"Capital assets (cost ${threshold:,.2f} or more) held on {day(last)}. "
                      "Straight line over the category's useful life in whole months, the month "
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
    ]
    cover = Cover(title="Depreciation schedule", subtitle=label + scope,
                  lines=[("Fiscal year", span), ("Capitalisation threshold", f"${threshold:,.2f}"),
                         ("Capital assets", f"{len(rows):,}"), ("Net book value", f"${nbv:,.2f}")],
                  signatures=("Prepared by", "Reviewed by (business office)"))
    doc = ReportDocument(title="Depreciation schedule", organisation=organisation(),
                         sections=sections, cover=cover, subtitle=label + scope,
                         generated_by=current_user())
    doc.csv_table = (1, 0)  # the CSV is the per-asset schedule
    return doc


SPEC = ReportSpec(
    name="depreciation", title="Depreciation schedule",
    description="Capital assets at or above the capitalisation threshold: cost, in-service "
                "date, life, annual depreciation, accumulated at the fiscal year's end, net "
                "book value, and the totals per category.",
    params=("fiscal_year", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=80)
