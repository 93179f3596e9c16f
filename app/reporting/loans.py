"""Loans overdue and due soon: who to chase this week.

Loans open on the as-of date (out by the end of that day and not yet back —
by the days they went out and came back, so a check-in typed late still
counts on its own day) with a due date: those past due on the as-of date, then those due within the next N days (a loan due on the as-of date
itself is due soon, not overdue — the dashboard counts it the same way).
One query with its joins for each list; loans to a room or cart show the
room as the borrower.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import peewee as pw

from app.models import Asset, HardwareModel, Loan, Location, Person, Site
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, as_date, as_money, day, local_date, organisation, plural, raw_rows
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table, money
from app.services import tags
from app.services.base import current_user
from app.services.errors import ValidationError

DEFAULT_DAYS = 14
KINDS = {"staff": "Staff", "student": "Student", "family": "Family"}


def _columns(last: str) -> list[Column]:
    return [
        Column("Borrower", width=2.0),
        Column("ID", width=0.9),
        Column("Kind", width=1.05),
        Column("Site", width=1.5),
        Column("Tag", width=1.0),
        Column("Item", width=2.0),
        Column("Out", "date", width=0.9),
        Column("Due", "date", width=0.9),
        Column(last, "int", width=1.0),
        Column("Cost", "money", width=0.9, total=True),
    ]


# A loan's line: (borrower, ID, kind, site, tag, item, out, due, days overdue
# or left, cost).
LoanRow = tuple[str, str, str, str, str, str, dt.date | None, dt.date, int, Decimal | None]


def _query(where: pw.Expression, site_id: int | None, as_of: dt.date) -> Iterator[tuple[Any, ...]]:
    room = Location.alias("room")
    room_site = Site.alias("room_site")
    q = (Loan.select(Loan.id, Loan.out_at, Loan.due, Person.first_name, Person.last_name,
                     Person.id_number, Person.kind, Site.name, room.name, room_site.name,
                     Asset.tag, Asset.name, HardwareModel.name, Asset.cost)
         .join_from(Loan, Asset, on=(Loan.asset == Asset.id))
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(Loan, Person, pw.JOIN.LEFT_OUTER, on=(Loan.person == Person.id))
         .join_from(Person, Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
         .join_from(Loan, room, pw.JOIN.LEFT_OUTER, on=(Loan.location == room.id))
         .join_from(room, room_site, pw.JOIN.LEFT_OUTER, on=(room.site == room_site.id))
         .where(open_on(as_of) & Loan.due.is_null(False) & where))
    if site_id:
        # The device's site, the borrower's school, or the room it went to.
        q = q.where((Asset.site == site_id) | (Person.site == site_id) | (room.site == site_id))
    return raw_rows(q.order_by(Loan.due, Person.last_name, Person.first_name,
                              *tags.order_by(Asset.tag_key)))


def open_on(as_of: dt.date) -> pw.Expression:
    """Loans out at the end of ``as_of``: gone out by then, not back by then."""
    from app.reporting.asof import end_of_day_utc
    cut = end_of_day_utc(as_of)
    return (Loan.out_at < cut) & (Loan.returned_at.is_null() | (Loan.returned_at >= cut))


def _rows(q: Iterable[tuple[Any, ...]], as_of: dt.date, overdue: bool) -> list[LoanRow]:
    out: list[LoanRow] = []
    for (_lid, out_at, due_at, first, last, idn, kind, site, room, room_site, tag, name, model,
         cost_at) in q:
        due, cost = as_date(due_at), as_money(cost_at)
        assert due is not None  # the query asks for loans with a due date
        if first is not None or last is not None:
            borrower = f"{last}, {first}".strip(", ")
            kind_label = KINDS.get(kind, kind or "")
        else:
            # A cart or a lab: the room borrows it, at its own site.
            borrower, kind_label, site = room or "", "Room", room_site
        days = (as_of - due).days if overdue else (due - as_of).days
        item = name or model or ""
        if name and model and model not in name:
            item = f"{name} ({model})"
        out.append((borrower, idn or "", kind_label, site or "", tag, item,
                    local_date(out_at), due, days, cost))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    as_of = params.as_of or dt.date.today()
    days = DEFAULT_DAYS if params.days is None else int(params.days)
    if days < 0:
        raise ValidationError("Within days is 0 or more.", field="days")
    site = None
    if params.site:
        site = find_site(params.site)
    site_id = site.id if site else None
    overdue = _rows(_query(Loan.due < as_of, site_id, as_of), as_of, True)
    soon = _rows(_query(Loan.due.between(as_of, as_of + dt.timedelta(days=days)), site_id, as_of),
                 as_of, False)
    borrowers = len({(r[0], r[1]) for r in overdue})
    value = money(sum((r[9] for r in overdue if r[9] is not None), Decimal("0")))
    worst = max((r[8] for r in overdue), default=0)
    figures: list[tuple[str, Cell]] = [
        ("Overdue loans", len(overdue)),
        ("Borrowers overdue", borrowers),
        ("Cost of overdue items", value),
        ("Most days overdue", worst),
        (f"Due within {plural(days, 'day')}", len(soon)),
    ]
    scope = f" at {site.name}" if site else ""
    sections = [
        Section(key="Overdue", title="Overdue loans" + scope,
                intro=f"Checked out and not returned, due before {day(as_of)}; the longest "
                      "overdue first.",
                figures=figures,
                tables=[Table(_columns("Days overdue"), overdue, empty_text="None.")],
                landscape=True),
        Section(key="Due soon", title=f"Due within {plural(days, 'day')}" + scope,
                intro=f"Due from {day(as_of)} to {day(as_of + dt.timedelta(days=days))}.",
                figures=[("Loans due", len(soon)),
                         ("Borrowers", len({(r[0], r[1]) for r in soon}))],
                tables=[Table(_columns("Days left"), soon, empty_text="None.")],
                landscape=True, new_page=False),
    ]
    return ReportDocument(title="Loans overdue and due soon", organisation=organisation(),
                          sections=sections,
                          subtitle=f"As of {day(as_of)}" + (f" \u2014 {site.name}" if site else ""),
                          generated_by=current_user())


SPEC = ReportSpec(
    name="loans", title="Loans overdue and due soon",
    description="Devices checked out and past due, and those due within the next days: "
                "borrower, ID, staff/student/family, tag, item, out and due dates, days overdue.",
    params=("days", "as_of", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=30)
