"""Refresh plan: the devices to replace in each of the next fiscal years, and
what replacing them costs — the budget line a board asks for.

A device is due for replacement on the earlier of two days: its Auto Update
Expiration (Google stops updating a Chromebook; set by the chromebooks
import) and the end of its category's life (``Category.life_years`` from
the day it went into service, or its purchase date). Devices in service
(not retired or disposed) due within the next N fiscal years (the current
one first; fiscal years as ``app.reporting.fiscal`` names them) are counted
by year, school and model; those already past due are a line of their own.

Replacement cost is the model's current price (``HardwareModel.
replacement_cost``); a model without one is priced at its latest purchase
cost, and the report says so for each such model; a model with neither is
counted at no cost and named.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from app.models import Asset, Category, HardwareModel, Site
from app.models.common import INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec, fiscal
from app.reporting._ops import as_date, day, organisation, plural, raw_rows
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table, money
from app.reporting._ops import find_site
from app.services.base import current_user
from app.services.errors import ValidationError
from app.store.db import rows as query_rows

DEFAULT_YEARS = 5
MAX_YEARS = 10
PAST_DUE = "Past due"
AUE, LIFE = "Auto Update Expiration", "End of life"

# Where a device falls in the plan: a fiscal year, or PAST_DUE.
Bucket = int | str


@dataclass
class Device:
    """A device in service due for replacement within the plan."""
    id: int
    tag: str
    serial: str
    model_id: int | None
    model: str
    site: str
    aue: dt.date | None
    life_end: dt.date | None
    due: dt.date
    why: str  # AUE or LIFE
    bucket: Bucket
    price: Decimal | None = None  # unit price
    price_from: str = "no price"  # where the price comes from


@dataclass
class YearTotal:
    """One bucket of the plan: devices, by why, and what they cost."""
    n: int = 0
    why: Counter[str] = field(default_factory=Counter)  # AUE / LIFE → devices
    cost: Decimal = Decimal("0.00")


def life_end(start: dt.date | None, years: int | None) -> dt.date | None:
    """The day a device's service life ends: ``years`` after ``start`` (Feb 29 → Feb 28)."""
    if start is None or not years:
        return None
    y = start.year + int(years)
    return dt.date(y, start.month, min(start.day, calendar.monthrange(y, start.month)[1]))


def due_of(aue: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, str | None]:
    """(the day a device is due for replacement, why): the earlier of the two."""
    if aue and (end is None or aue <= end):
        return aue, AUE
    if end:
        return end, LIFE
    return None, None


def prices(model_ids: Iterable[int | None]) -> dict[int, tuple[Decimal | None, str]]:
    """model id → (unit price, where it comes from): the model's replacement
    cost, else the latest purchase cost of that model, else (None, "no price")."""
    ids = [m for m in model_ids if m]
    out: dict[int, tuple[Decimal | None, str]] = {}
    if not ids:
        return out
    for mid, cost in query_rows(HardwareModel.select(HardwareModel.id, HardwareModel.replacement_cost)
                             .where(HardwareModel.id.in_(ids))):
        if cost is not None:
            out[mid] = (money(cost), "model price")
    rest = [m for m in ids if m not in out]
    if rest:
        latest = (Asset.select(Asset.model, Asset.cost, Asset.purchase_date)
                  .where(Asset.model.in_(rest) & Asset.cost.is_null(False))
                  .order_by(Asset.model, Asset.purchase_date.desc(nulls="LAST"), Asset.id.desc()))
        for mid, cost, bought in query_rows(latest):
            if mid not in out:
                when = f" ({bought.isoformat()})" if bought else ""
                out[mid] = (money(cost), f"latest purchase{when}")
    for m in ids:
        out.setdefault(m, (None, "no price"))
    return out


def plan(today: dt.date, years: int, site_id: int | None = None) -> tuple[list[int], list[Device], int]:
    """(fiscal years, devices): every device in service due by the end of the
    last year, with its due day, why, bucket (a fiscal year, or PAST_DUE) and
    unit price; and how many devices have no date to plan by."""
    current = fiscal.current_fiscal_year(today)
    fys = list(range(current, current + years))
    first_day = fiscal.fiscal_year_bounds(current)[0]
    horizon = fiscal.fiscal_year_bounds(fys[-1])[1]
    q = (Asset.select(Asset.id, Asset.tag, Asset.serial, Asset.name, Asset.model,
                      HardwareModel.name, Site.name, Asset.aue_date, Asset.in_service_date,
                      Asset.purchase_date, Category.life_years)
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.category == Category.id))
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .where(Asset.status.not_in(INACTIVE_STATUSES)))
    if site_id:
        q = q.where(Asset.site == site_id)
    devices: list[Device] = []
    undated = 0
    for (aid, tag, serial, name, mid, model, site, aue, in_service, bought,
         life) in raw_rows(q):
        aue = as_date(aue)
        end = life_end(as_date(in_service) or as_date(bought), life)
        due, why = due_of(aue, end)
        if due is None or why is None:
            undated += 1
            continue
        if due > horizon:
            continue
        bucket = PAST_DUE if due < first_day else fiscal.fiscal_year_of(due)
        devices.append(Device(id=aid, tag=tag, serial=serial or "", model_id=mid,
                              model=model or name or "(no model)", site=site or "(no site)",
                              aue=aue, life_end=end, due=due, why=why, bucket=bucket))
    unit = prices({d.model_id for d in devices})
    for d in devices:
        if d.model_id is not None and d.model_id in unit:
            d.price, d.price_from = unit[d.model_id]
    return fys, devices, undated


def _label(bucket: Bucket) -> str:
    return PAST_DUE if isinstance(bucket, str) else fiscal.fiscal_year_label(bucket)


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    years = DEFAULT_YEARS if params.years is None else int(params.years)
    if not 1 <= years <= MAX_YEARS:
        raise ValidationError(f"Years ahead is from 1 to {MAX_YEARS}.", field="years")
    site = find_site(params.site)
    today = params.as_of or dt.date.today()
    fys, devices, undated = plan(today, years, site.id if site else None)
    buckets: list[Bucket] = [PAST_DUE, *fys]
    order = {b: i for i, b in enumerate(buckets)}

    # By year.
    per_year = {b: YearTotal() for b in buckets}
    for d in devices:
        y = per_year[d.bucket]
        y.n += 1
        y.why[d.why] += 1
        y.cost += d.price or 0
    year_rows = [(_label(b), per_year[b].n, per_year[b].why[AUE], per_year[b].why[LIFE],
                  per_year[b].cost) for b in buckets if b != PAST_DUE or per_year[b].n]
    total_cost = sum((r[4] for r in year_rows), Decimal("0.00"))

    # By year, school and model: (bucket, school, model, unit price, price from) → devices.
    groups: Counter[tuple[Bucket, str, str, Decimal | None, str]] = Counter(
        (d.bucket, d.site, d.model, d.price, d.price_from) for d in devices)
    detail: list[tuple[Cell, ...]] = [
        (_label(b), s, m, n, p, src, (p or 0) * n)
        for (b, s, m, p, src), n in sorted(groups.items(), key=lambda kv: (
            order[kv[0][0]], kv[0][1].lower(), kv[0][2].lower()))]
    fallback = sorted({(d.model, d.price_from) for d in devices
                       if d.price_from != "model price"})
    unpriced = sorted({m for m, src in fallback if src == "no price"})

    scope = f" \u2014 {site.name}" if site else ""
    span = (f"{fiscal.fiscal_year_label(fys[0])} to {fiscal.fiscal_year_label(fys[-1])}"
            if len(fys) > 1 else fiscal.fiscal_year_label(fys[0]))
    first_day = fiscal.fiscal_year_bounds(fys[0])[0]
    intro = (f"Devices in service that reach their Auto Update Expiration or the end of their "
             f"category's life from {day(first_day)} through "
             f"{day(fiscal.fiscal_year_bounds(fys[-1])[1])}, by fiscal year, priced at each "
             "model's current replacement cost. A device is counted once, in the year of the "
             "earlier of the two days.")
    if per_year[PAST_DUE].n:
        intro += (f" Past due: {plural(per_year[PAST_DUE].n, 'device')} reached that day "
                  f"before {day(first_day)} and still in service.")
    notes = []
    from_purchase = [(m, src) for m, src in fallback if src != "no price"]
    if from_purchase:
        notes.append("Priced from the latest purchase (the model has no replacement cost set): "
                     + "; ".join(f"{m}, {src}" for m, src in from_purchase) + ".")
    if unpriced:
        notes.append("No price at all (counted at $0 — set the model's replacement cost): "
                      + ", ".join(unpriced) + ".")
    if undated:
        notes.append(f"{plural(undated, 'device')} in service have neither an Auto Update "
                     "Expiration nor an in-service or purchase date, and are not in the plan.")
    intro_notes = " ".join(notes)

    summary = Section(
        key="By year", title=f"Refresh plan, {span}{scope}",
        intro=intro + (" " + intro_notes if intro_notes else ""),
        figures=[("Devices to replace", len(devices)), ("Replacement cost", total_cost),
                 ("Reaching AUE", sum(1 for d in devices if d.why == AUE)),
                 ("End of life", sum(1 for d in devices if d.why == LIFE))],
        tables=[Table([Column("Fiscal year", width=1.4), Column("Devices", "int", total=True),
                       Column("Reaching AUE", "int", total=True),
                       Column("End of life", "int", total=True),
                       Column("Replacement cost", "money", width=1.3, total=True)],
                      year_rows, title="By fiscal year",
                      empty_text="No device is due for replacement in these years.")],
        charts=[Chart("Replacement cost by fiscal year", [(r[0], r[4]) for r in year_rows])]
        if devices else [])
    by_school = Section(
        key="By school and model", title=f"By school and model{scope}",
        intro="Each fiscal year's devices by school and model, with the unit price used and "
              "where it comes from.",
        tables=[Table([Column("Fiscal year", width=1.1), Column("School", width=2.0),
                       Column("Model", width=2.2), Column("Devices", "int", width=0.7, total=True),
                       Column("Unit price", "money", width=0.9),
                       Column("Price from", width=1.6),
                       Column("Cost", "money", width=1.1, total=True)],
                      detail, empty_text="No device is due for replacement in these years.")],
        landscape=True)
    listing = Section(
        key="Devices", title=f"Devices{scope}",
        intro="Every device in the plan, soonest first.",
        tables=[Table([Column("Tag", width=1.0), Column("Serial", width=1.3),
                       Column("Model", width=2.0), Column("School", width=1.8),
                       Column("AUE", "date", width=0.9), Column("Life ends", "date", width=0.9),
                       Column("Due", "date", width=0.9), Column("Why", width=1.5),
                       Column("Fiscal year", width=1.0), Column("Price", "money", width=0.9)],
                      ((d.tag, d.serial, d.model, d.site, d.aue, d.life_end,
                        d.due, d.why, _label(d.bucket), d.price)
                       for d in sorted(devices, key=lambda d: (d.due, d.tag))),
                      empty_text="No device is due for replacement in these years.")],
        landscape=True)
    return ReportDocument(title="Refresh plan", organisation=organisation(),
                          sections=[summary, by_school, listing],
                          subtitle=f"{span}{scope}", generated_by=current_user(),
                          csv_table=(1, 0),
                          notice=f"{plural(len(devices), 'device')} to replace, "
                                 f"${total_cost:,.2f}")


SPEC = ReportSpec(
    name="refresh-plan", title="Refresh plan",
    description="Devices reaching Auto Update Expiration or the end of their category's life in "
                "each of the next fiscal years, by school and model, with the replacement cost "
                "at current model prices: the budget for the board.",
    params=("years", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=64)
