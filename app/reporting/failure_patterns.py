"""Patterns of failure: what breaks, on which models, and at what age.

Every repair reported in the period is classified by the part its problem
names (``app.failure_parts``: screen, keyboard, battery, hinge, port,
charger, other) and by the device's age when it was reported (years from in
service, else from purchase, in bands). Rates are failures per 100 units
kept: the units of a model (or of an age band) still held, plus any that
failed in the period and were retired since — the same rule as the repairs
report, whose by-model rates this report repeats.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw

from app import failure_parts as fp
from app.models import Asset, HardwareModel, Repair
from app.models.common import INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import as_date, day, find_site, organisation, raw_rows
from app.reporting.document import Cell, Chart, Column, Progress, ReportDocument, Section, Table
from app.reporting.repairs import RATE_COLUMNS, date_range, failure_rates
from app.services.base import current_user
from app.store.db import rows as query_rows

PART_KEYS = list(fp.PARTS)
BAND_NAMES = [name for _, _, name in fp.AGE_BANDS] + [fp.UNKNOWN_AGE]


def per_100(n: int, units: int) -> Decimal | None:
    return (Decimal(100 * n) / units).quantize(Decimal("0.1")) if units else None


def _years(start: dt.date | None, on: dt.date) -> float | None:
    return (on - start).days / 365.25 if start else None


@dataclass(frozen=True)
class Failure:
    """A repair reported in the range, classified."""
    asset: int
    model_id: int | None
    model: str  # "(no model)" when it has none
    part: str  # a key of app.failure_parts.PARTS
    band: str  # its age band at failure


def failures(start: dt.date, end: dt.date, site_id: int | None) -> list[Failure]:
    """Each repair reported in the range: model, part, age band."""
    q = (Repair.select(Repair.asset, Asset.model, HardwareModel.name, Repair.reported,
                       Repair.problem, Asset.in_service_date, Asset.purchase_date)
         .join_from(Repair, Asset, on=(Repair.asset == Asset.id))
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .where(Repair.reported.between(start, end)))
    if site_id:
        q = q.where(Asset.site == site_id)
    out: list[Failure] = []
    for asset_id, model_id, model, reported, problem, in_service, bought in query_rows(q):
        began = in_service or bought
        out.append(Failure(asset=asset_id, model_id=model_id, model=model or "(no model)",
                           part=fp.part_of(problem), band=fp.age_band(_years(began, reported))))
    return out


def units_by_band(start: dt.date, end: dt.date, site_id: int | None) -> Counter[str]:
    """Units kept, by their age at the end of the period (the same units the
    by-model rates count)."""
    failed = Repair.select(Repair.asset).where(Repair.reported.between(start, end))
    q = (Asset.select(Asset.in_service_date, Asset.purchase_date)
         .where(Asset.status.not_in(INACTIVE_STATUSES) | Asset.id.in_(failed)))
    if site_id:
        q = q.where(Asset.site == site_id)
    bands: Counter[str] = Counter()
    for in_service, bought in raw_rows(q):
        began = as_date(in_service) or as_date(bought)
        bands[fp.age_band(_years(began, end))] += 1
    return bands


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    start, end = date_range(params)
    site = find_site(params.site)
    site_id = site.id if site else None
    rows = failures(start, end, site_id)
    if progress is not None:
        progress(1, 3, "Failure rates by model\u2026")
    rates = failure_rates(start, end, site_id)
    units_of = {r[0]: r[1] for r in rates}
    if progress is not None:
        progress(2, 3, "Ages\u2026")
    bands = units_by_band(start, end, site_id)

    by_part = Counter(r.part for r in rows)
    total = len(rows)
    part_rows = [(fp.label(p), by_part[p],
                  (Decimal(100 * by_part[p]) / total).quantize(Decimal("0.1")) if total else None)
                 for p in PART_KEYS if by_part[p]]
    part_rows.sort(key=lambda r: -r[1])

    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        matrix[r.model][r.part] += 1
    model_part_rows: list[tuple[Cell, ...]] = []
    for model, parts in sorted(matrix.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(parts.values())
        units = units_of.get(model, 0)
        model_part_rows.append((model, units, *(parts[p] for p in PART_KEYS), n,
                                per_100(n, units)))

    by_band = Counter(r.band for r in rows)
    band_parts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        band_parts[r.band][r.part] += 1
    band_rows = []
    for name in BAND_NAMES:
        if not (by_band[name] or bands[name]):
            continue
        common = band_parts[name].most_common(1)
        band_rows.append((name, bands[name], by_band[name], per_100(by_band[name], bands[name]),
                          fp.label(common[0][0]) if common else ""))

    scope = f" at {site.name}" if site else ""
    span = f"{day(start)} to {day(end)}"
    part_cols = [Column(fp.label(p), "int", width=0.7, total=True) for p in PART_KEYS]
    sections = [
        Section(key="By part", title="Failures by part" + scope,
                intro=f"Repairs reported from {span}, each classified by the part its problem "
                      "names first (screen, keyboard and touchpad, battery, hinge, port, "
                      "charger; other when none is named).",
                figures=[("Failures", total),
                         ("Most common", part_rows[0][0] if part_rows else "\u2014"),
                         ("Models with failures", len(matrix))],
                tables=[Table([Column("Part", width=2.0), Column("Failures", "int", width=1.0,
                                                                 total=True),
                               Column("Share (%)", "number", width=1.0)], part_rows,
                              empty_text="No failures in this period.")],
                charts=[Chart("Failures by part", [(r[0], r[1]) for r in part_rows],
                              kind="int")] if part_rows else []),
        Section(key="By model and part", title="Failures by model and part" + scope,
                intro="Each model's failures by part, with its units kept and failures per "
                      "100 units (units kept: the model's assets still held, plus any that "
                      "failed in the period and were retired since).",
                tables=[Table([Column("Model", width=2.4), Column("Units kept", "int", width=0.8),
                               *part_cols, Column("Failures", "int", width=0.8, total=True),
                               Column("Per 100 units", "number", width=0.9)],
                              model_part_rows, empty_text="No failures in this period.")],
                landscape=True),
        Section(key="By age", title="Failures by age at failure" + scope,
                intro="Age is the years from the device's in-service date (else its purchase "
                      "date) to the day the failure was reported. Units kept are counted by "
                      f"their age on {day(end)}.",
                tables=[Table([Column("Age", width=1.6), Column("Units kept", "int", width=1.0,
                                                                total=True),
                               Column("Failures", "int", width=0.9, total=True),
                               Column("Per 100 units", "number", width=1.0),
                               Column("Most common part", width=1.4)], band_rows,
                              empty_text="No failures in this period.")],
                charts=[Chart("Failures by age", [(r[0], r[2]) for r in band_rows],
                              kind="int")] if band_rows else []),
        Section(key="By model", title="Failure rates by model" + scope,
                intro="As in the repairs report: highest rate first.",
                tables=[Table(RATE_COLUMNS, rates, empty_text="No failures in this period.")],
                landscape=True),
    ]
    return ReportDocument(title="Patterns of failure", organisation=organisation(),
                          sections=sections, subtitle=span + (f" \u2014 {site.name}" if site
                                                              else ""),
                          generated_by=current_user(), csv_table=(1, 0))


SPEC = ReportSpec(
    name="failure-patterns", title="Patterns of failure",
    description="Failures by part (screen, keyboard, battery, hinge, port, charger), by model "
                "and part, and by age at failure, with failures per 100 units kept.",
    params=("date_from", "date_to", "site"), formats=("pdf", "xlsx", "csv"), build=build,
    order=71)
