"""Assets by person: what each person holds right now, for the staff member
leaving in June and the senior class graduating.

One person (by ID number), everyone at a site, or everyone holding anything.
Each item with its open loan's out and due dates (an assignment brought in by
an import may have none) and its cost; a total per person. One query with
its joins, whatever the number of people.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from app.models import Asset, HardwareModel, Loan, Person, Site
from app.models.common import ASSET_STATUSES, PERSON_KINDS
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import (find_site, as_date, as_money, day, local_date, organisation, plural,
                                raw_rows, sign_table)
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table, money
from app.services import people, tags
from app.services.base import current_user
from app.services.errors import NotFound

ITEM_COLUMNS = [
    Column("Person", width=1.9),
    Column("ID", width=0.9),
    Column("Tag", width=1.0),
    Column("Name", width=2.4),
    Column("Serial", width=1.4),
    Column("Checked out", "date", width=0.9),
    Column("Due", "date", width=0.9),
    Column("Cost", "money", width=0.9, total=True),
]
PERSON_COLUMNS = [
    Column("Person", width=2.2),
    Column("ID", width=1.0),
    Column("Kind", width=0.9),
    Column("Site", width=1.8),
    Column("Grade", width=0.6),
    Column("Items", "int", width=0.7, total=True),
    Column("Overdue", "int", width=0.7, total=True),
    Column("Total cost", "money", width=1.0, total=True),
]


@dataclass
class Holding:
    """One asset a person holds, with the person as the report names them."""
    person_id: int
    person: str  # "Last, First"
    id_number: str
    kind: str  # "Student", "Staff (left)"
    grade: str
    active: bool
    site: str
    tag: str
    item: str  # name (model) [status when not deployed]
    serial: str
    out: dt.date | None
    due: dt.date | None
    cost: Decimal | None

    def cells(self) -> tuple[Cell, ...]:
        """The item's row under ITEM_COLUMNS."""
        return (self.person, self.id_number, self.tag, self.item, self.serial, self.out,
                self.due, self.cost)


@dataclass
class PersonTotal:
    """What one person holds: their items, what they cost, how many are overdue."""
    first: Holding  # the person's fields, as on each of their items
    items: list[Holding] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    overdue: int = 0


def holdings(person_id: int | None = None, site_id: int | None = None) -> list[Holding]:
    """Every asset held by a person (one, those of a site, or all), by person
    then tag. The open loan is joined on the asset and its holder, so an item
    appears once."""
    q = (Asset.select(Person.id, Person.first_name, Person.last_name, Person.id_number,
                      Person.kind, Person.grade, Person.active, Site.name, Asset.tag, Asset.name,
                      HardwareModel.name, Asset.serial, Asset.status, Asset.cost, Loan.out_at,
                      Loan.due)
         .join_from(Asset, Person, on=(Asset.assigned_person == Person.id))
         .join_from(Person, Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(Asset, Loan, pw.JOIN.LEFT_OUTER,
                    on=((Loan.asset == Asset.id) & Loan.returned_at.is_null()
                        & (Loan.person == Asset.assigned_person))))
    if person_id:
        q = q.where(Asset.assigned_person == person_id)
    if site_id:
        q = q.where(Person.site == site_id)
    q = q.order_by(Person.last_name, Person.first_name, Person.id,
                   *tags.order_by(Asset.tag_key))
    out: list[Holding] = []
    for (pid, first, last, idn, kind, grade, active, site, tag, name, model, serial, status, cost,
         out_at, due) in raw_rows(q):
        item = name or model or ""
        if name and model and model not in name:
            item = f"{name} ({model})"
        if status != "deployed":
            item += f" [{ASSET_STATUSES.get(status, status)}]"
        out.append(Holding(
            person_id=pid, person=f"{last}, {first}".strip(", "), id_number=idn or "",
            # Someone who has left but still holds equipment is who to chase.
            kind=PERSON_KINDS.get(kind, kind or "") + ("" if active else " (left)"),
            grade=grade or "", active=active, site=site or "", tag=tag, item=item,
            serial=serial or "", out=local_date(out_at), due=as_date(due), cost=as_money(cost)))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    as_of = params.as_of or dt.date.today()
    person: Person | None = None
    site: Site | None = None
    if params.person:
        person = people.find(params.person)
        if person is None:
            raise NotFound(f"No person with the ID number {params.person!r}.")
    elif params.site:
        site = find_site(params.site)
    rows = holdings(person.id if person else None, site.id if site else None)

    per: dict[int, PersonTotal] = {}
    for r in rows:
        p = per.setdefault(r.person_id, PersonTotal(r))
        p.items.append(r)
        if r.cost is not None:
            p.total += r.cost
        if r.due is not None and r.due < as_of:
            p.overdue += 1
    total = money(sum((p.total for p in per.values()), Decimal("0")))
    overdue = sum(p.overdue for p in per.values())

    groups = []
    for p in per.values():
        first = p.first
        head = f"{first.person}"
        if first.id_number:
            head += f" ({first.id_number})"
        head += f" \u2014 {first.kind}"
        if first.site:
            head += f", {first.site}"
        head += f" \u2014 {plural(len(p.items), 'item')}, ${p.total:,.2f}"
        groups.append((head, [r.cells() for r in p.items]))
    items = Table(ITEM_COLUMNS, rows=[], groups=groups or None,
                  title="Items held", empty_text="None.")
    summary = Table(PERSON_COLUMNS,
                    rows=[(p.first.person, p.first.id_number, p.first.kind, p.first.site,
                           p.first.grade, len(p.items), p.overdue, money(p.total))
                          for p in per.values()],
                    title="Total per person", empty_text="None.")
    figures: list[tuple[str, Cell]] = [("People", len(per)), ("Items held", len(rows)),
                                       ("Overdue", overdue), ("Total cost", total)]
    if person:
        figures = [("Kind", PERSON_KINDS.get(person.kind, person.kind))] + figures[1:]
        if per:
            items.groups = None  # one person: no heading repeating the title
            items.rows = [r.cells() for r in rows]

    if person:
        who = person.full_name + (f" ({person.id_number})" if person.id_number else "")
        title = f"Assets held by {who}"
        intro = (f"Everything checked out to {person.full_name} on {day(as_of)}. Bring back "
                 "each item listed; both sign below when all are returned.")
        scope = who
        # A single person's list is a hand-back sheet: both sign it.
        tables = [items, sign_table(["Returned by", "Received by"], "Returned and received",
                                    landscape=True)]
        if not person.active:
            intro += " This person is no longer active."
    elif site:
        title, scope = f"Assets by person \u2014 {site.name}", site.name
        intro = f"Everyone at {site.name} holding district equipment on {day(as_of)}."
        tables = [summary, items]
    else:
        title, scope = "Assets by person", "Everyone"
        intro = f"Everyone holding district equipment on {day(as_of)}."
        tables = [summary, items]
    section = Section(key="By person", title=title, intro=intro, figures=figures, tables=tables,
                      landscape=True)
    return ReportDocument(title="Assets by person", organisation=organisation(),
                          sections=[section],
                          subtitle=f"{scope} \u2014 {day(as_of)}", generated_by=current_user(),
                          csv_table=(0, tables.index(items)))


SPEC = ReportSpec(
    name="by-person", title="Assets by person",
    description="What each person holds now (one person by ID number, everyone at a site, or "
                "everyone): tag, name, serial, checked out and due dates, cost, a total per "
                "person — for staff leaving and students graduating.",
    params=("person", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=20)
