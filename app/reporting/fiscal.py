"""Fiscal years and straight-line depreciation, exact to the cent.

A fiscal year is named by the calendar year it ends in: with the default
July start (setting ``fiscal_year_start_month``), FY 2026 runs from
July 1, 2025 to June 30, 2026, both days inside it. With a January start a
fiscal year is the calendar year.

Depreciation convention (``straight_line``): straight line over the useful
life in whole months, the month an asset goes into service counting as a
full month ("full-month convention"), no salvage value. So an asset in
service on any day of July 2025 has 12 months of depreciation on June 30,
2026, and one placed in service on June 30, 2026 has one. Accumulated
depreciation is computed from cost × months ÷ life months each time (never
by adding rounded monthly amounts), rounded half-up to the cent, and never
exceeds cost: in the last month of its life an asset reaches exactly zero
net book value.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def start_month(value: int | None = None) -> int:
    """The month the fiscal year starts in (1–12), from settings unless given."""
    if value is None:
        from app.services import settings
        value = int(settings.get("fiscal_year_start_month") or 7)
    if not 1 <= int(value) <= 12:
        raise ValueError("The fiscal year starts in a month from 1 to 12.")
    return int(value)


def fiscal_year_bounds(fy: int, start_month: int | None = None) -> tuple[dt.date, dt.date]:
    """First and last day (both inside) of fiscal year ``fy``, named by the year it ends in."""
    m = _month(start_month)
    if m == 1:
        return dt.date(fy, 1, 1), dt.date(fy, 12, 31)
    return dt.date(fy - 1, m, 1), dt.date(fy, m, 1) - dt.timedelta(days=1)


def fiscal_year_of(d: dt.date, start_month: int | None = None) -> int:
    """The fiscal year a day belongs to."""
    m = _month(start_month)
    if m == 1:
        return d.year
    return d.year + 1 if d.month >= m else d.year


def current_fiscal_year(today: dt.date | None = None, start_month: int | None = None) -> int:
    return fiscal_year_of(today or dt.date.today(), start_month)


def last_completed_fiscal_year(today: dt.date | None = None, start_month: int | None = None) -> int:
    """The most recent fiscal year whose last day has passed (the usual year-end report)."""
    return current_fiscal_year(today, start_month) - 1


def fiscal_year_label(fy: int, start_month: int | None = None) -> str:
    """"FY 2025–26" for a July–June year, "FY 2026" for a calendar year."""
    first, last = fiscal_year_bounds(fy, start_month)
    if first.year == last.year:
        return f"FY {last.year}"
    return f"FY {first.year}–{last.year % 100:02d}"


def _month(value: int | None) -> int:
    return start_month(value)


def months_in_service(start: dt.date | None, as_of: dt.date) -> int:
    """Whole months of service on ``as_of``, the starting month counted in full (0 before it)."""
    if start is None or as_of < start:
        return 0
    return (as_of.year - start.year) * 12 + (as_of.month - start.month) + 1


def straight_line(cost: Decimal | None, start: dt.date | None, life_years: int | None,
                  as_of: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    """(annual depreciation, accumulated depreciation, net book value) on ``as_of``.

    No life (None or 0), no start date or no cost: not depreciated — annual and
    accumulated are 0.00 and the net book value is the cost.
    """
    cost = ZERO if cost is None else Decimal(cost).quantize(CENT, ROUND_HALF_UP)
    if not life_years or life_years <= 0 or start is None or cost <= 0:
        return ZERO, ZERO, cost
    life_months = int(life_years) * 12
    annual = (cost / int(life_years)).quantize(CENT, ROUND_HALF_UP)
    months = months_in_service(start, as_of)
    if months >= life_months:
        accumulated = cost
    else:
        accumulated = min(cost, (cost * months / life_months).quantize(CENT, ROUND_HALF_UP))
    return annual, accumulated, cost - accumulated
