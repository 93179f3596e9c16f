"""Repair history and failure rates: what broke, who fixed it, what fails most.

Every repair reported in the date range (tag, model, reported, problem,
vendor, status, cost, returned), then failure rates per model: units in
service, failures (repairs reported in the range), failures per 100 units and
what the repairs cost. A unit counts as in service when it is still held, or
when it failed in the range and has been retired since (so a model whose
failures were written off does not look better for it). Two grouped queries
and one joined list, all in SQL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw

from app.models import Asset, HardwareModel, Repair, Supplier
from app.models.common import INACTIVE_STATUSES, OPEN_REPAIR_STATUSES, REPAIR_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, day, organisation
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table, money
from app.services import tags
from app.services.base import current_user
from app.services.errors import ValidationError
from app.store.db import rows as query_rows


def date_range(params: ReportParams, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From and to, both inclusive; the last 12 months by default."""
    end = params.date_to or today or dt.date.today()
    start = params.date_from
    if start is None:
        try:
            start = end.replace(year=end.year - 1) + dt.timedelta(days=1)
        except ValueError:  # February 29
            start = end.replace(year=end.year - 1, day=28) + dt.timedelta(days=1)
    if start > end:
        raise ValidationError(f"From ({day(start)}) is after To ({day(end)}).", field="date_from")
    return start, end


REPAIR_COLUMNS = [
    Column("Tag", width=1.0),
    Column("Model", width=1.8),
    Column("Reported", "date", width=0.9),
    Column("Problem", width=3.0),
    Column("Vendor", width=1.4),
    Column("Status", width=1.3),
    Column("Cost", "money", width=0.8, total=True),
    Column("Returned", "date", width=0.9),
]

RATE_COLUMNS = [
    Column("Model", width=2.6),
    Column("Units in service", "int", width=1.0, total=True),
    Column("Failures", "int", width=0.8, total=True),
    Column("Per 100 units", "number", width=0.9),
    Column("Repair cost", "money", width=1.0, total=True),
]


# (tag, model, reported, problem, vendor, status, cost, returned)
RepairRow = tuple[str, str, dt.date, str, str, str, Decimal | None, dt.date | None]
# (model, units in service, failures, per 100 units, repair cost)
RateRow = tuple[str, int, int, Decimal | None, Decimal]

_OPEN_LABELS = frozenset(REPAIR_STATUSES[s] for s in OPEN_REPAIR_STATUSES)


def _short(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def repair_rows(start: dt.date, end: dt.date, site_id: int | None) -> list[RepairRow]:
    q = (Repair.select(Asset.tag, HardwareModel.name, Asset.name, Repair.reported, Repair.problem,
                       Supplier.name, Repair.status, Repair.cost, Repair.returned)
         .join_from(Repair, Asset, on=(Repair.asset == Asset.id))
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(Repair, Supplier, pw.JOIN.LEFT_OUTER, on=(Repair.vendor == Supplier.id))
         .where(Repair.reported.between(start, end)))
    if site_id:
        q = q.where(Asset.site == site_id)
    return [(tag, model or name or "", reported, _short(problem), vendor or "",
             REPAIR_STATUSES.get(status) or status, cost, returned)
            for tag, model, name, reported, problem, vendor, status, cost, returned
            in query_rows(q.order_by(Repair.reported, *tags.order_by(Asset.tag_key)))]


def failure_rates(start: dt.date, end: dt.date, site_id: int | None) -> list[RateRow]:
    """(model, units in service, failures, per 100 units, repair cost) for each
    model with a repair reported in the range, the highest rate first."""
    in_range = Repair.reported.between(start, end)
    failed = (Repair.select(Repair.asset).where(in_range))
    unit_q = (Asset.select(Asset.model, pw.fn.COUNT(Asset.id))
              .where(Asset.model.is_null(False)
                     & (Asset.status.not_in(INACTIVE_STATUSES) | Asset.id.in_(failed))))
    fail_q = (Repair.select(Asset.model, pw.fn.COUNT(Repair.id), pw.fn.SUM(Repair.cost))
              .join_from(Repair, Asset, on=(Repair.asset == Asset.id))
              .where(in_range & Asset.model.is_null(False)))
    if site_id:
        unit_q = unit_q.where(Asset.site == site_id)
        fail_q = fail_q.where(Asset.site == site_id)
    units: dict[int, int] = {m: n for m, n in query_rows(unit_q.group_by(Asset.model))}
    failures = list(query_rows(fail_q.group_by(Asset.model)))
    names: dict[int, str] = {m: name for m, name in query_rows(
        HardwareModel.select(HardwareModel.id, HardwareModel.name)
        .where(HardwareModel.id.in_([m for m, _n, _c in failures])))} if failures else {}
    out: list[RateRow] = []
    for model_id, n, cost in failures:
        total = units.get(model_id, 0)
        rate = (Decimal(100 * n) / total).quantize(Decimal("0.1")) if total else None
        out.append((names.get(model_id, ""), total, n, rate, money(cost)))
    out.sort(key=lambda r: (-(r[3] or 0), -r[2], r[0]))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    start, end = date_range(params)
    site = find_site(params.site)
    site_id = site.id if site else None
    repairs = repair_rows(start, end, site_id)
    if progress is not None:
        progress(1, 2, "Failure rates\u2026")
    rates = failure_rates(start, end, site_id)
    cost = money(sum((r[6] for r in repairs if r[6] is not None), Decimal("0")))
    still_open = sum(1 for r in repairs if r[5] in _OPEN_LABELS)
    unrepairable = sum(1 for r in repairs if r[5] == REPAIR_STATUSES["unrepairable"])
    turnaround = [(r[7] - r[2]).days for r in repairs if r[7] is not None]
    figures: list[tuple[str, Cell]] = [
        ("Repairs", len(repairs)),
        ("Still open", still_open),
        ("Not repairable", unrepairable),
        ("Repair cost", cost),
        ("Average days to return",
         round(sum(turnaround) / len(turnaround), 1) if turnaround else "\u2014"),
    ]
    scope = f" at {site.name}" if site else ""
    span = f"{day(start)} to {day(end)}"
    sections = [
        Section(key="Repairs", title="Repairs" + scope,
                intro=f"Every repair reported from {span}, in the order reported.",
                figures=figures,
                tables=[Table(REPAIR_COLUMNS, repairs,
                              empty_text="No repair was reported in this period.")],
                landscape=True),
        Section(key="Failure rates", title="Failure rates by model" + scope,
                intro="Failures are repairs reported in the period; units in service are the "
                      "model's assets still held, plus any that failed in the period and were "
                      "retired since. Highest rate first.",
                figures=[("Models with failures", len(rates)),
                         ("Units of those models", sum(r[1] for r in rates))],
                tables=[Table(RATE_COLUMNS, rates, empty_text="No failures in this period.",
                              totals=["Total", sum(r[1] for r in rates), sum(r[2] for r in rates),
                                      None, money(sum((r[4] for r in rates), Decimal("0")))])],
                charts=[Chart("Failures by model",
                              [(r[0], r[2]) for r in sorted(rates, key=lambda r: -r[2])[:10]],
                              kind="int")] if rates else [],
                landscape=True),
    ]
    return ReportDocument(title="Repair history and failure rates", organisation=organisation(),
                          sections=sections,
                          subtitle=span + (f" \u2014 {site.name}" if site else ""),
                          generated_by=current_user())


SPEC = ReportSpec(
    name="repairs", title="Repair history and failure rates",
    description="Every repair in a period (reported, problem, vendor, status, cost, returned) "
                "and failures per 100 units for each model, with what the repairs cost.",
    params=("date_from", "date_to", "site"), formats=("pdf", "xlsx", "csv"), build=build,
    order=70)
