"""Devices to recover: what withdrawn students still hold.

A student the roster import marked withdrawn stays active until their
devices are back; this lists each such device with the student, their
school, grade and homeroom, the day they left, and the guardian to call —
the technician's list before the family moves on. The data comes from the
people service (``people.to_recover``), the same query as the People page's
"Withdrawn with devices" filter.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import day, local_date, organisation, plural
from app.reporting.document import Chart, Column, Progress, ReportDocument, Section, Table
from app.reporting._ops import find_site
from app.services import people
from app.services.base import current_user

COLUMNS = [
    Column("School", width=1.6),
    Column("Student", width=1.8),
    Column("Student ID", width=1.0),
    Column("Grade", width=0.65),
    Column("Homeroom", width=1.0),
    Column("Withdrawn", "date", width=0.9),
    Column("Guardian", width=1.5),
    Column("Phone", width=1.1),
    Column("Tag", width=0.9),
    Column("Device", width=1.6),
    Column("Serial", width=1.1),
    Column("Out since", "date", width=0.9),
]


# (school, student, student ID, grade, homeroom, withdrawn, guardian, phone, tag,
# device, serial, out since)
RecoverRow = tuple[str, str, str, str, str, dt.date | None, str, str, str, str, str, dt.date | None]


def rows(site_id: int | None = None) -> list[RecoverRow]:
    return [(r["site"] or "", r["name"], r["id_number"] or "", r["grade"] or "",
             r["homeroom"] or "", r["withdrawn_on"], r["guardian"] or "", r["phone"] or "",
             r["tag"], r["device"], r["serial"] or "", local_date(r["out_at"]))
            for r in people.to_recover(site_id)]


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    site = find_site(params.site)
    found = rows(site.id if site else None)
    students = {(r[0], r[2]) for r in found}
    by_school = Counter(r[0] or "(no school)" for r in found)
    scope = f" at {site.name}" if site else ""
    today = dt.date.today()
    section = Section(
        key="To recover", title="Devices to recover from withdrawn students" + scope,
        intro="Students marked withdrawn (by a whole-roster import or by hand) who still hold "
              "a device: assigned to them, or out on a loan not yet returned. Call the "
              "guardian, collect the device and its kit, and check it in — the student is "
              "then off this list.",
        figures=[("Students", len(students)), ("Devices", len(found)),
                 ("Schools", len(by_school))],
        tables=[Table(COLUMNS, found, empty_text="No withdrawn student holds a device.")],
        charts=[Chart("Devices to recover by school", by_school.most_common(12), kind="int")]
        if len(by_school) > 1 else [],
        landscape=True)
    return ReportDocument(title="Devices to recover", organisation=organisation(),
                          sections=[section],
                          subtitle=f"As of {day(today)}" + (f" \u2014 {site.name}" if site else ""),
                          generated_by=current_user(),
                          notice=f"{plural(len(found), 'device')} held by "
                                 f"{plural(len(students), 'withdrawn student')}")


SPEC = ReportSpec(
    name="to-recover", title="Devices to recover (withdrawn students)",
    description="Withdrawn students who still hold devices: school, student, grade, homeroom, "
                "the day they left, guardian and phone, and each device's tag, model and serial.",
    params=("site",), formats=("pdf", "xlsx", "csv"), build=build, order=62)
