"""License compliance: per license the seats owned, used and free (a site
license shown as such), then the problems — over-allocated licenses (more
seats in use than owned: a compliance finding in an audit), those expiring
within N days, and those already expired.

The figures come from ``app.services.licenses.compliance``: seats counted
with one grouped COUNT, so a 20,000-seat site license costs what a one-seat
license does. Product keys are never read into the report.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import day, organisation, plural
from app.reporting.document import Column, Progress, ReportDocument, Section, Table, money
from app.services import licenses
from app.services.licenses import LicenseStatus
from app.services.base import current_user
from app.services.errors import ValidationError

DEFAULT_DAYS = 60

SEAT_COLUMNS = [
    Column("Product", width=2.2),
    Column("Version", width=0.7),
    Column("Vendor", width=1.1),
    Column("Type", width=0.9),
    Column("Owned", "int", width=0.6, total=True),
    Column("Used", "int", width=0.6, total=True),
    Column("Free", "int", width=0.6),
    Column("Expires", "date", width=0.9),
    Column("Cost", "money", width=0.9, total=True),
    Column("Problems", width=2.9),
]
OVER_COLUMNS = [
    Column("Product", width=2.4), Column("Version", width=0.8), Column("Vendor", width=1.3),
    Column("Owned", "int", width=0.8), Column("Used", "int", width=0.8),
    Column("Over by", "int", width=0.8, total=True), Column("Over-allocation allowed", width=1.4),
]
EXPIRY_COLUMNS = [
    Column("Product", width=2.4), Column("Version", width=0.8), Column("Vendor", width=1.3),
    Column("Type", width=1.0), Column("Used", "int", width=0.7),
    Column("Expires", "date", width=0.9), Column("Days left", "int", width=0.8),
    Column("Cost", "money", width=0.9, total=True),
]
EXPIRED_COLUMNS = EXPIRY_COLUMNS[:6] + [Column("Days ago", "int", width=0.8),
                                        EXPIRY_COLUMNS[7]]


def _kind(site_license: bool) -> str:
    return "Site license" if site_license else "Per seat"


def _days_left(r: LicenseStatus) -> int:
    """Days to expiry of a license that has an expiry date (negative once past)."""
    return r["days_left"] or 0


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    days = DEFAULT_DAYS if params.days is None else int(params.days)
    if days < 0:
        raise ValidationError("Within days is 0 or more.", field="days")
    today = dt.date.today()
    rows = licenses.compliance(expiring_days=days)
    over = [r for r in rows if r["free"] is not None and r["free"] < 0]
    expiring = [r for r in rows if r["days_left"] is not None and 0 <= r["days_left"] <= days]
    expired = [r for r in rows if r["days_left"] is not None and r["days_left"] < 0]
    expiring.sort(key=_days_left)
    expired.sort(key=_days_left, reverse=True)

    seats = [(r["product"], r["version"] or "", r["vendor"] or "", _kind(r["site_license"]),
              None if r["site_license"] else r["seats"], r["used"], r["free"], r["expiry_date"],
              r["cost"], "; ".join(r["problems"]) or "OK") for r in rows]
    owned = sum(r["seats"] or 0 for r in rows if not r["site_license"])
    used = sum(r["used"] for r in rows)
    free = sum(max(0, r["free"]) for r in rows if r["free"] is not None)
    figures = [
        ("Licenses", len(rows)),
        ("Site licenses", sum(1 for r in rows if r["site_license"])),
        ("Seats owned (per-seat licenses)", owned),
        ("Seats in use", used),
        ("Seats free", free),
        ("Over-allocated", len(over)),
        (f"Expiring within {plural(days, 'day')}", len(expiring)),
        ("Expired", len(expired)),
    ]
    problems = len(over) + len(expired)
    intro = ("Seats owned, in use and free for every license. A site license covers every "
             "device and person, so it has no owned or free count. ")
    intro += ("No compliance problems found." if not problems and not expiring else
              f"{plural(len(over), 'license')} over-allocated, {len(expired)} expired, "
              f"{len(expiring)} expiring within {plural(days, 'day')}.")
    renewal = money(sum((r["cost"] for r in expiring if r["cost"] is not None), Decimal("0")))
    sections = [
        Section(key="Seats", title="License seats", intro=intro, figures=figures,
                tables=[Table(SEAT_COLUMNS, seats, empty_text="None.")], landscape=True),
        Section(key="Over-allocated", title="Over-allocated licenses",
                intro="More seats in use than owned: buy seats or release some before an "
                      "audit. A license allowing over-allocation still counts here.",
                tables=[Table(OVER_COLUMNS,
                              [(r["product"], r["version"] or "", r["vendor"] or "", r["seats"],
                                r["used"], -(r["free"] or 0), "Yes" if r["allow_over"] else "No")
                               for r in over], empty_text="None.")],
                landscape=True, new_page=False),
        Section(key="Expiring", title=f"Expiring within {plural(days, 'day')}",
                intro=f"From {day(today)} to {day(today + dt.timedelta(days=days))}; the "
                      "cost is what was paid last time.",
                figures=[("Expiring", len(expiring)), ("Paid last time", renewal)],
                tables=[Table(EXPIRY_COLUMNS,
                              [(r["product"], r["version"] or "", r["vendor"] or "", _kind(r["site_license"]),
                                r["used"], r["expiry_date"], r["days_left"], r["cost"])
                               for r in expiring], empty_text="None.")],
                landscape=True, new_page=False),
        Section(key="Expired", title="Expired licenses",
                intro="Past their expiry date: renew them, or release their seats and retire them.",
                tables=[Table(EXPIRED_COLUMNS,
                              [(r["product"], r["version"] or "", r["vendor"] or "", _kind(r["site_license"]),
                                r["used"], r["expiry_date"], -_days_left(r), r["cost"])
                               for r in expired], empty_text="None.")],
                landscape=True, new_page=False),
    ]
    return ReportDocument(title="License compliance", organisation=organisation(),
                          sections=sections, subtitle=f"As of {day(today)}",
                          generated_by=current_user())


SPEC = ReportSpec(
    name="license-compliance", title="License compliance",
    description="Seats owned, used and free per software license; over-allocated licenses, "
                "those expiring within the next days, and those expired. No product keys.",
    params=("days",), formats=("pdf", "xlsx", "csv"), build=build, order=40)
