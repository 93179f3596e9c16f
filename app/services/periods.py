"""Fiscal years whose year-end report has been produced, and the changes
entered afterwards that reach back into them (prior-period changes).

A change back-dated into such a year is allowed and kept like any other (its
history entry says when it was entered and when it took effect); the next
year's report lists it, with who entered it and when, because the report the
business office signed for that year did not contain it.
"""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from app.models import Asset, HistoryEntry, YearEndRun
from app.reporting.fiscal import fiscal_year_bounds, fiscal_year_label, fiscal_year_of
from app.services import history
from app.services.base import who, writes
from app.store.db import rows

# Fields whose back-dated change is worth an auditor's attention (not notes, tags…).
REPORTED_FIELDS = ("status", "cost", "site", "location", "model", "purchase_date",
                   "in_service_date", "disposal_date", "disposal_method", "disposal_proceeds",
                   "funding_type", "funding_name", "federal_award_id", "federal_share",
                   "erate_frn", "erate_funding_year", "holder")


@writes
def record_year_end(fiscal_year: int, provisional: bool, by: str | None = None) -> YearEndRun:
    """Note that the year-end report of ``fiscal_year`` was produced now."""
    return YearEndRun.create(fiscal_year=int(fiscal_year), produced_at=history.utcnow(),
                             by=who(by), provisional=bool(provisional))


def produced_at(fiscal_year: int) -> dt.datetime | None:
    """When the first final (not provisional) report of the year was produced."""
    first: dt.datetime | None = (
        YearEndRun.select(YearEndRun.produced_at)
        .where((YearEndRun.fiscal_year == fiscal_year) & (YearEndRun.provisional == False))
        .order_by(YearEndRun.produced_at).scalar())
    return first


def closed_year_note(day: dt.date) -> str | None:
    """A sentence when ``day`` lies in a fiscal year whose report was produced:
    what a person entering a change effective that day should know."""
    fy = fiscal_year_of(day)
    when = produced_at(fy)
    if when is None:
        return None
    return (f"prior-period change: the {fiscal_year_label(fy)} year-end report was produced on "
            f"{history.local_day(when).isoformat()}; the next report lists this change")


class PriorChange(TypedDict):
    """A change entered after its year's report was produced (the year-end report lists it)."""

    fiscal_year: int
    label: str
    tag: str
    action: str
    field: str | None
    old: str | None
    new: str | None
    who: str | None
    entered: dt.datetime
    effective: dt.date | None
    produced: dt.datetime


def prior_period_changes(fiscal_year: int) -> list[PriorChange]:
    """Changes entered after an earlier year's report was produced and effective
    inside that year, oldest year first: what the report of ``fiscal_year`` lists."""
    runs: dict[int, dt.datetime] = {}
    for fy, at in (rows(YearEndRun.select(YearEndRun.fiscal_year, YearEndRun.produced_at)
                   .where((YearEndRun.fiscal_year < fiscal_year)
                          & (YearEndRun.provisional == False)))):
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        if fy not in runs or at < runs[fy]:
            runs[fy] = at
    H = HistoryEntry
    out: list[PriorChange] = []
    for fy in sorted(runs):
        first, last = fiscal_year_bounds(fy)
        q = (H.select(H.entity_id, H.action, H.field, H.old, H.new, H.who, H.at, H.effective,
                      Asset.tag)
             .join(Asset, on=(Asset.id == H.entity_id))
             .where((H.entity == "asset") & (H.at > runs[fy]) & (H.effective >= first)
                    & (H.effective <= last) & H.field.in_(REPORTED_FIELDS))
             .order_by(H.effective, H.at, H.id))
        for _id, action, field, old, new, user, at, effective, tag in rows(q):
            out.append({"fiscal_year": fy, "label": fiscal_year_label(fy), "tag": tag,
                        "action": action, "field": field, "old": old, "new": new, "who": user,
                        "entered": at, "effective": effective, "produced": runs[fy]})
    return out
