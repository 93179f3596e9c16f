"""The report of a distribution or collection day, as a ``ReportDocument``.

Distribution: the figures (students, received, not yet, agreements), the
count by homeroom, who has not received a device yet (by homeroom), then
every student with their device and agreement — the CSV's table.
Collection: the figures (returned, damaged, outstanding, fees), the count by
school, grade and homeroom, the outstanding devices with withdrawn students
first, then every device returned with its condition — the CSV holds every
device of the event, returned or outstanding.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.program import AGREEMENT_STATES, DAMAGE_KINDS
from app.reporting._ops import day, organisation, plural
from app.reporting.document import Column, Cover, ReportDocument, Section, Table, money
from app.services import events
from app.services.events import EventStatus
from app.services.base import current_user

STATE_TEXT = {"received": "Received", "had_device": "Had a device already", "not_yet": "Not yet"}


def _local(at: dt.datetime | None) -> dt.datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None, microsecond=0)


def _day(at: dt.datetime | None) -> str:
    local = _local(at)
    return day(local.date()) if local else ""


def _scope(st: EventStatus) -> str:
    return ", ".join(x for x in (st["site"], f"grade {st['grade']}" if st["grade"] else "",
                                 f"homeroom {st['homeroom']}" if st["homeroom"] else "") if x)


def event_report(event_id: int) -> ReportDocument:
    st = events.status(event_id)
    cover = Cover(title=st["name"], subtitle=f"{st['kind_label']} — {_scope(st)}",
                  lines=[("Event", str(st["id"])),
                         ("Started", _day(st["created_at"])
                          + (f" by {st['created_by']}" if st["created_by"] else "")),
                         ("Status", "closed " + _day(st["closed_at"])
                          if st["closed_at"] else st["status"])]
                  + ([("Due back", day(st["due"]))] if st.get("due") else []),
                  signatures=("Prepared by",))
    if st["kind"] == "distribution":
        sections, csv_table = _distribution(st), (2, 0)
    else:
        sections, csv_table = _collection(st), (2, 0)
    return ReportDocument(title=f"{st['kind_label']} day", organisation=organisation(),
                          sections=sections, cover=cover, subtitle=_scope(st),
                          generated_by=current_user(), csv_table=csv_table)


def _distribution(st: EventStatus) -> list[Section]:
    t, a = st["totals"], st["agreements"]
    summary = Section("Summary", "Summary", figures=[
        ("Students", t["students"]), ("Received here", t["received"]),
        ("Had a device already", t["had_device"]), ("Not yet", t["not_yet"]),
        ("Agreement signed", a["signed"]), ("Waiver on file", a["waiver"]),
        ("Family refused", a["refused"])],
        tables=[Table([Column("Homeroom", width=2.0), Column("Students", "int", total=True),
                       Column("Received", "int", total=True),
                       Column("Had one already", "int", total=True),
                       Column("Not yet", "int", total=True)],
                      [(g["homeroom"], g["students"], g["received"], g["had_device"],
                        g["not_yet"]) for g in st["homerooms"]], title="By homeroom")])
    left = [s for s in st["students"] if s["state"] == "not_yet"]
    groups: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for s in left:
        groups.setdefault(s["homeroom"], []).append((s["name"], s["id_number"], s["grade"]))
    not_yet = Section("Not yet", "Not yet received", intro=(
        f"{plural(len(left), 'student')} of this event {'has' if len(left) == 1 else 'have'} "
        "no device yet." if left else
        "Every student of this event has a device."),
        tables=[Table([Column("Student", width=2.2), Column("ID"), Column("Grade", width=0.6)],
                      [], groups=list(groups.items()), empty_text="Nobody.")])
    every = Section("Students", "Every student", landscape=True, tables=[Table(
        [Column("Homeroom", width=1.2), Column("Student", width=1.8), Column("ID"),
         Column("Grade", width=0.5), Column("State", width=1.3), Column("Device"),
         Column("Agreement", width=1.1), Column("Scanned at", "datetime", width=1.2)],
        [(s["homeroom"], s["name"], s["id_number"], s["grade"], STATE_TEXT[s["state"]],
          s["tag"], AGREEMENT_STATES.get(s["agreement"], "") if s["agreement"] else "",
          _local(s["at"])) for s in st["students"]])])
    return [summary, not_yet, every]


def _collection(st: EventStatus) -> list[Section]:
    t = st["totals"]
    fees = st["fees"]
    owed_fees, paid_fees, waived_fees = fees.get("owed"), fees.get("paid"), fees.get("waived")
    owed = money(owed_fees["amount"] if owed_fees else None)
    paid = money(paid_fees["amount"] if paid_fees else None)
    waived = (waived_fees["count"] if waived_fees else 0) or 0
    summary = Section("Summary", "Summary", figures=[
        ("Returned", t["returned"]), ("Damaged or incomplete", t["damaged"]),
        ("Outstanding", t["outstanding"]), ("Outstanding, withdrawn students", t["withdrawn"]),
        ("Fees owed", owed), ("Fees paid", paid), ("Fees waived", waived)],
        tables=[Table([Column("School", width=2.0), Column("Grade", width=0.6),
                       Column("Homeroom", width=1.3), Column("Returned", "int", total=True),
                       Column("Damaged", "int", total=True),
                       Column("Outstanding", "int", total=True),
                       Column("Withdrawn", "int", total=True)],
                      [(g["school"], g["grade"], g["homeroom"], g["returned"], g["damaged"],
                        g["outstanding"], g["withdrawn"]) for g in st["groups"]],
                      title="By school, grade and homeroom")])
    outstanding = Section("Outstanding", "Outstanding — withdrawn students first",
                          landscape=True, tables=[Table(
                              [Column("Device"), Column("Student", width=1.8), Column("ID"),
                               Column("School", width=1.6), Column("Grade", width=0.5),
                               Column("Homeroom", width=1.1), Column("Withdrawn", width=0.7),
                               Column("Due", "date", width=0.8)],
                              [(r["tag"], r["name"], r["id_number"], r["school"], r["grade"],
                                r["homeroom"], "withdrawn" if r["withdrawn"] else "", r["due"])
                               for r in st["outstanding"]], empty_text="Every device is back.")])
    every = Section("Devices", "Every device", landscape=True, tables=[Table(
        [Column("Device"), Column("State", width=0.9), Column("Student", width=1.6),
         Column("ID"), Column("School", width=1.4), Column("Grade", width=0.5),
         Column("Homeroom", width=1.0), Column("Condition", width=0.8),
         Column("Damage", width=1.2), Column("Missing parts", width=1.1),
         Column("Fee", "money", width=0.7, total=True),
         Column("Returned at", "datetime", width=1.1)],
        [(r["tag"], "Returned", r["name"], r["id_number"], r["school"], r["grade"],
          r["homeroom"], r["condition"], ", ".join(DAMAGE_KINDS.get(d, d) for d in r["damage"]),
          ", ".join(r["missing"]), money(r["fee"]) if r["fee"] is not None else Decimal("0.00"),
          _local(r["at"])) for r in st["returned"]]
        + [(r["tag"], "Withdrawn — outstanding" if r["withdrawn"] else "Outstanding", r["name"],
            r["id_number"], r["school"], r["grade"], r["homeroom"], "", "", "", Decimal("0.00"),
            None) for r in st["outstanding"]])])
    return [summary, outstanding, every]
