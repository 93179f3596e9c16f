"""Fees outstanding by school: what families still owe for device damage and
missing parts, school by school, with each student's fees under their school.

A student's school is their own site (else the device's). Fees waived or paid
in full are left out; a fee partly paid shows what is left.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, organisation
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table
from app.services import fees
from app.services.fees import FeeRow
from app.services.base import current_user

NO_SCHOOL = "(no school)"

SUMMARY = [Column("School", width=2.6), Column("Students owing", "int", width=1.1, total=True),
           Column("Fees", "int", width=0.8, total=True),
           Column("Amount owed", "money", width=1.2, total=True)]
DETAIL = [Column("School", width=1.6), Column("Student", width=1.7), Column("Student ID", width=0.9),
          Column("Grade", width=0.5), Column("Fee", "int", width=0.5),
          Column("Incurred", "date", width=0.85), Column("Asset", width=0.95),
          Column("For", width=2.0), Column("Amount", "money", width=0.8, total=True),
          Column("Paid", "money", width=0.8, total=True),
          Column("Balance", "money", width=0.8, total=True)]


def gather(site: str | None = None) -> dict[str, list[FeeRow]]:
    """Owed fees by school name, schools in name order, students by name."""
    find_site(site)  # an unknown school is an error, not "every school"
    by_school: dict[str, list[FeeRow]] = defaultdict(list)
    for r in fees.rows(status="owed", site=site):
        if r["balance"] > 0:
            by_school[r["site"] or NO_SCHOOL].append(r)
    return {name: sorted(rows, key=lambda r: (r["student"].split()[-1:], r["student"], r["id"]))
            for name, rows in sorted(by_school.items(), key=lambda kv: (kv[0] == NO_SCHOOL, kv[0]))}


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    schools = gather(params.site)
    summary: list[tuple[str, int, int, Decimal]] = []
    groups: list[tuple[str, list[tuple[Cell, ...]]]] = []
    for name, rows in schools.items():
        owed = sum((r["balance"] for r in rows), Decimal("0.00"))
        summary.append((name, len({r["student_id"] or r["student"] for r in rows}), len(rows), owed))
        groups.append((name, [(name, r["student"], r["student_id"], r["grade"], r["id"],
                               r["incurred_on"], r["asset"], r["description"], r["amount"],
                               r["paid"], r["balance"]) for r in rows]))
    total = sum((s[3] for s in summary), Decimal("0.00"))
    figures: list[tuple[str, Cell]] = [("Amount owed", total), ("Fees owed", sum(s[2] for s in summary)),
               ("Students owing", sum(s[1] for s in summary)), ("Schools", len(summary))]
    detail_rows = [row for _name, rows in groups for row in rows]
    section = Section(
        key="Fees outstanding", title="Fees outstanding by school",
        intro="Device damage and missing-part fees still owed (what is left after payments). "
              "Payments are recorded at the school office; waived and paid fees are left out.",
        figures=figures,
        tables=[Table(SUMMARY, summary, title="By school", empty_text="No fees are owed."),
                Table(DETAIL, detail_rows, title="Fees owed", groups=groups,
                      empty_text="No fees are owed.")],
        landscape=True)
    return ReportDocument(title="Fees outstanding", organisation=organisation(),
                          sections=[section],
                          subtitle=f"Site: {params.site}" if params.site else "All schools",
                          generated_by=current_user(), csv_table=(0, 1))


SPEC = ReportSpec(
    name="fees-outstanding", title="Fees outstanding by school",
    description="Device damage and missing-part fees still owed, by school: students owing, "
                "amounts, and each fee with what was paid and what is left.",
    params=("site",), formats=("pdf", "xlsx", "csv"), build=build, order=35)
