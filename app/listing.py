"""Lists for the desktop's tables, sorted and filtered in SQL.

A list is a kind (assets, people, locations, loans, repairs, workorders) with declared
columns. ``query_ids`` returns the ordered ids for a filter and a sort — the
only thing a table keeps for all rows — and ``fetch_rows`` returns display
rows for a page of ids. Both are lean ``.tuples()`` queries: at 100,000 assets
the table never builds a model instance per row.

Filters are a plain dict, the same one the pages, the dashboard links and
exports pass around::

    {"search": "5CD-12", "status": "deployed", "category_id": 3, "site_id": 1,
     "location_id": 7, "funding_type": "erate", "not_audited": True,
     "person_id": 12, "warranty_days": 90, "loan_state": "overdue",
     "repair_state": "open", "active": True, "kind": "student", "loaner": "free"}
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

import peewee as pw

from app.models import (Asset, Category, HardwareModel, Loan, Location, Person, Repair, Site,
                        Supplier, WorkOrder, WorkOrderNote)
from app.models.common import (ASSET_STATUSES, FUNDING_TYPES, OPEN_REPAIR_STATUSES,
                               OPEN_WORK_ORDER_STATUSES, PERSON_KINDS, REPAIR_STATUSES,
                               WORK_ORDER_CATEGORIES, WORK_ORDER_PRIORITIES, WORK_ORDER_STATUSES)
from app.services import settings, tags
from app.services.base import search_text
from app.store import search
from app.store.db import BaseModel, Row, rows as query_rows

PAGE_SIZE = 200

# A list's filters: the plain dict of the module docstring, passed between the
# pages, the dashboard's links and the exports (a page sets only the keys it
# offers; each kind reads those it knows).
Filters: TypeAlias = dict[str, Any]
# A condition for a list's WHERE.
Condition: TypeAlias = pw.ColumnBase
# A display row: one value per column, in column order (text, numbers, dates,
# money as Decimal, None for blank).
DisplayRow: TypeAlias = tuple[Any, ...]
# A list's query of one model, as the kinds' joins pass it along.
Query: TypeAlias = "pw.ModelSelect[Any]"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    # The ORDER BY expression (or a tuple of them), None = not sortable.
    sort: Callable[[], pw.ColumnBase | tuple[pw.ColumnBase, ...]] | None
    width: int = 120
    align: str = "left"  # left / right / center
    hidden: bool = False  # hidden by default (the column chooser shows it)


# Aliases for the tables joined twice.
Room = Location.alias("room")
HeldRoom = Location.alias("held_room")
Holder = Person.alias("holder")


def fiscal_year_start(today: dt.date | None = None, month: int | None = None) -> dt.date:
    """First day of the fiscal year containing ``today`` (July 1 by default)."""
    today = today or dt.date.today()
    month = month or int(settings.get("fiscal_year_start_month") or 7)
    year = today.year if today.month >= month else today.year - 1
    return dt.date(year, month, 1)


# --- assets -----------------------------------------------------------------------

ASSET_COLUMNS = (
    Column("tag", "Tag", lambda: tags.order_by(Asset.tag_key), 110),
    Column("name", "Name", lambda: Asset.name, 200),
    Column("model", "Model", lambda: HardwareModel.name, 170),
    Column("category", "Category", lambda: Category.name, 110),
    Column("status", "Status", lambda: Asset.status, 125),
    Column("site", "Site", lambda: Site.name, 150),
    Column("room", "Room", lambda: Room.name, 100),
    Column("holder", "Assigned to", lambda: pw.fn.COALESCE(Holder.last_name, HeldRoom.name), 160),
    Column("serial", "Serial", lambda: Asset.serial_key, 130),
    Column("purchase_date", "Purchased", lambda: Asset.purchase_date, 95),
    Column("cost", "Cost", lambda: Asset.cost, 90, "right"),
    Column("funding", "Funding", lambda: Asset.funding_type, 110),
    Column("warranty_end", "Warranty end", lambda: Asset.warranty_end, 100, hidden=True),
    Column("last_audit_date", "Last audit", lambda: Asset.last_audit_date, 95, hidden=True),
    Column("order_number", "PO", lambda: Asset.order_number, 90, hidden=True),
    Column("notes", "Notes", None, 200, hidden=True),
)


def _asset_from(query: Query) -> Query:
    return (query
            .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
            .join(Category, pw.JOIN.LEFT_OUTER, on=(HardwareModel.category == Category.id))
            .join(Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
            .join(Room, pw.JOIN.LEFT_OUTER, on=(Asset.location == Room.id))
            .join(Holder, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Holder.id))
            .join(HeldRoom, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_location == HeldRoom.id)))


# Which joins a sort needs; ids queries join only what they use.
_ASSET_SORT_JOINS = {
    "model": ((HardwareModel, Asset.model == HardwareModel.id),),
    "category": ((HardwareModel, Asset.model == HardwareModel.id),
                 (Category, HardwareModel.category == Category.id)),
    "site": ((Site, Asset.site == Site.id),),
    "room": ((Room, Asset.location == Room.id),),
    "holder": ((Holder, Asset.assigned_person == Holder.id),
               (HeldRoom, Asset.assigned_location == HeldRoom.id)),
}


def check_search(filters: Filters | None) -> str:
    """The search text of ``filters``, or ValidationError when it is too long
    (see ``services.base.search_text``)."""
    return search_text(str((filters or {}).get("search") or ""))


# The Assets page's loaner filter: the pool, its free loaners, those lent.
LOANER_FILTERS = {"all": "Loaners", "free": "Loaners free", "out": "Loaners out"}


def _loaner_conds(which: str | bool) -> list[Condition]:
    """``which``: "all" (or True), "free" or "out" (see app.services.loaners)."""
    conds: list[Condition] = [Asset.loaner == True]  # noqa: E712 - SQL, not Python truth
    lent = pw.fn.EXISTS(Loan.select(Loan.id).where((Loan.asset == Asset.id)
                                                  & Loan.returned_at.is_null()))
    if which == "free":
        conds += [Asset.status == "ready", ~lent]
    elif which == "out":
        conds.append(lent)
    elif which not in (True, "all"):
        raise ValueError(f"unknown loaner filter {which!r}")
    return conds


def _asset_where(filters: Filters, scan: bool = False) -> list[Condition]:
    conds: list[Condition] = []
    text = check_search(filters).strip()
    if text:
        expr = search.match_expression(Asset.id, Asset.search_text, text, scan=scan)
        if expr is not None:
            conds.append(expr)
    status = filters.get("status")
    if status:
        if isinstance(status, (list, tuple, set)):
            conds.append(Asset.status.in_(list(status)))
        elif status == "active":
            conds.append(Asset.status.not_in(["retired", "disposed"]))
        else:
            conds.append(Asset.status == status)
    if filters.get("category_id"):
        conds.append(Asset.model.in_(HardwareModel.select(HardwareModel.id)
                                     .where(HardwareModel.category == int(filters["category_id"]))))
    if filters.get("model_id"):
        conds.append(Asset.model == int(filters["model_id"]))
    if filters.get("site_id"):
        conds.append(Asset.site == int(filters["site_id"]))
    if filters.get("location_id"):
        loc = int(filters["location_id"])
        conds.append((Asset.location == loc) | (Asset.assigned_location == loc))
    if filters.get("person_id"):
        conds.append(Asset.assigned_person == int(filters["person_id"]))
    if filters.get("funding_type"):
        conds.append(Asset.funding_type == filters["funding_type"])
    if filters.get("loaner"):
        conds.extend(_loaner_conds(filters["loaner"]))
    if filters.get("not_audited"):
        start = fiscal_year_start()
        conds.append(Asset.status.not_in(["retired", "disposed"]))
        conds.append(Asset.last_audit_date.is_null() | (Asset.last_audit_date < start))
    if filters.get("warranty_days"):
        today = dt.date.today()
        conds.append(Asset.warranty_end.between(today, today + dt.timedelta(
            days=int(filters["warranty_days"]))))
        conds.append(Asset.status.not_in(["retired", "disposed"]))
    if filters.get("ids") is not None:
        conds.append(Asset.id.in_(list(filters["ids"])))
    return conds


def _asset_row_tuples(ids: list[int]) -> Iterable[Row]:
    """One page of display rows, as tuples in ``_asset_rows``' column order.

    On SQLite, joins: each is a primary-key lookup per row. On PostgreSQL the
    planner costs 200 index lookups above hashing a whole joined table, so the
    same joins read all 20,000 rooms twice and spent 6–10 ms planning seven of
    them (at a million assets, 16–23 ms a page on the server, at every
    keystroke); a name looked up per row by a scalar subquery is always an
    index lookup (1.8 ms planning, 4 ms running). Its SQL is rendered once per
    process, the page's ids passed as one array."""
    from app.store.db import db
    if not isinstance(db.obj, pw.PostgresqlDatabase):
        return query_rows(_asset_from(Asset.select(
            Asset.id, Asset.tag, Asset.name, HardwareModel.name, Category.name, Asset.status,
            Site.name, Room.name, Holder.first_name, Holder.last_name, HeldRoom.name,
            Asset.serial, Asset.purchase_date, Asset.cost, Asset.funding_type, Asset.funding_name,
            Asset.erate_funding_year, Asset.warranty_end, Asset.last_audit_date,
            Asset.order_number, Asset.notes)).where(Asset.id.in_(ids)))
    found: list[Row] = db.execute_sql(
        _pg_asset_rows_sql(), ("{" + ",".join(str(int(i)) for i in ids) + "}",)).fetchall()
    return found


@functools.cache
def _pg_asset_rows_sql() -> str:
    model, category, site = HardwareModel.alias("m"), Category.alias("c"), Site.alias("s")
    room, holder, held_room = Location.alias("r"), Person.alias("p"), Location.alias("hr")

    def one(field: pw.Field, key: pw.Field,
            ref: pw.ColumnBase | pw.ModelSelect[HardwareModel]) -> pw.ColumnBase:
        found: pw.ColumnBase = field.model.select(field).where(key == ref)
        return found
    query = Asset.select(
        Asset.id, Asset.tag, Asset.name, one(model.name, model.id, Asset.model),
        one(category.name, category.id,
            HardwareModel.select(HardwareModel.category).where(HardwareModel.id == Asset.model)),
        Asset.status, one(site.name, site.id, Asset.site),
        one(room.name, room.id, Asset.location),
        one(holder.first_name, holder.id, Asset.assigned_person),
        one(holder.last_name, holder.id, Asset.assigned_person),
        one(held_room.name, held_room.id, Asset.assigned_location), Asset.serial,
        Asset.purchase_date, Asset.cost, Asset.funding_type, Asset.funding_name,
        Asset.erate_funding_year, Asset.warranty_end, Asset.last_audit_date, Asset.order_number,
        Asset.notes).where(Asset.id == pw.fn.ANY(pw.SQL("%s::int[]")))
    sql: str = query.sql()[0]
    return sql


def _asset_rows(ids: list[int]) -> dict[int, DisplayRow]:
    out: dict[int, DisplayRow] = {}
    money = Asset.cost.python_value
    for (i, tag, name, model, cat, status, site, room, hf, hl, hroom, serial, bought, cost,
         ftype, fname, fyear, warranty, audit, po, notes) in _asset_row_tuples(ids):
        holder = f"{hl}, {hf}" if hl else (hroom or "")
        funding = FUNDING_TYPES.get(ftype, ftype or "")
        if ftype == "erate" and fyear:
            funding = f"E-Rate FY{fyear}"
        elif ftype == "grant" and fname:
            funding = fname
        out[i] = (tag, name or "", model or "", cat or "", ASSET_STATUSES.get(status, status),
                  site or "", room or "", holder, serial or "", _date(bought), money(cost),
                  funding, _date(warranty), _date(audit), po or "",
                  (notes or "").replace("\n", " ")[:200])
    return out


# --- people -----------------------------------------------------------------------

PEOPLE_COLUMNS = (
    # By last name, then first: the terms the last-name index serves (the joined
    # "Last, First" sorted 416,000 people before the first page could paint).
    Column("name", "Name", lambda: (Person.last_name, Person.first_name), 220),
    Column("kind", "Kind", lambda: Person.kind, 110),
    Column("id_number", "ID number", lambda: Person.id_number, 110),
    Column("site", "Site", lambda: Site.name, 170),
    Column("grade", "Grade", lambda: Person.grade, 60),
    Column("email", "Email", lambda: Person.email, 220),
    Column("holding", "Holding", None, 70, "right"),
    Column("active", "Active", lambda: Person.active, 60, "center"),
)


def _people_where(filters: Filters) -> list[Condition]:
    conds: list[Condition] = []
    for word in search.tokens(check_search(filters)):
        conds.append(_ilike_any(word, Person.first_name, Person.last_name, Person.id_number,
                                Person.email))
    if filters.get("kind"):
        conds.append(Person.kind == filters["kind"])
    if filters.get("site_id"):
        conds.append(Person.site == int(filters["site_id"]))
    if filters.get("active") is not None:
        conds.append(Person.active == bool(filters["active"]))
    if filters.get("holding") and filters["holding"] != "withdrawn":
        conds.append(Person.id.in_(Asset.select(Asset.assigned_person)
                                   .where(Asset.assigned_person.is_null(False))))
    if filters.get("withdrawn_holding") or filters.get("holding") == "withdrawn":
        # The to-recover list's students: withdrawn, still holding a device.
        from app.services.people import withdrawn_holding
        conds.append(Person.id.in_(withdrawn_holding()))
    return conds


def _people_rows(ids: list[int]) -> dict[int, DisplayRow]:
    q = (Person.select(Person.id, Person.first_name, Person.last_name, Person.kind,
                       Person.id_number, Site.name, Person.grade, Person.email, Person.active)
         .join(Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
         .where(Person.id.in_(ids)))
    counts: dict[int, int] = dict(query_rows(
        Asset.select(Asset.assigned_person, pw.fn.COUNT(Asset.id))
        .where(Asset.assigned_person.in_(ids)).group_by(Asset.assigned_person)))
    out: dict[int, DisplayRow] = {}
    for i, first, last, kind, idn, site, grade, email, active in query_rows(q):
        out[i] = (f"{last}, {first}".strip(", "), PERSON_KINDS.get(kind, kind), idn or "",
                  site or "", grade or "", email or "", counts.get(i, 0),
                  "yes" if active else "no")
    return out


# --- locations --------------------------------------------------------------------

LOCATION_COLUMNS = (
    Column("site", "Site", lambda: Site.name, 200),
    Column("name", "Room", lambda: Location.name, 200),
    Column("barcode", "Room label", lambda: Location.barcode, 110),
    Column("assets", "Assets", None, 80, "right"),
    Column("notes", "Notes", None, 260),
)


def _location_where(filters: Filters) -> list[Condition]:
    conds: list[Condition] = []
    for word in search.tokens(check_search(filters)):
        conds.append(_ilike_any(word, Location.name, Location.barcode, Site.name))
    if filters.get("site_id"):
        conds.append(Location.site == int(filters["site_id"]))
    return conds


def _location_rows(ids: list[int]) -> dict[int, DisplayRow]:
    q = (Location.select(Location.id, Site.name, Location.name, Location.barcode, Location.notes)
         .join(Site, on=(Location.site == Site.id)).where(Location.id.in_(ids)))
    counts: dict[int, int] = dict(query_rows(
        Asset.select(Asset.location, pw.fn.COUNT(Asset.id))
        .where(Asset.location.in_(ids) & Asset.status.not_in(["retired", "disposed"]))
        .group_by(Asset.location)))
    return {i: (site, name, code or "", counts.get(i, 0), (notes or "").replace("\n", " "))
            for i, site, name, code, notes in query_rows(q)}


# --- loans ------------------------------------------------------------------------

LOAN_COLUMNS = (
    Column("tag", "Tag", lambda: tags.order_by(Asset.tag_key), 110),
    Column("asset", "Asset", lambda: Asset.name, 200),
    Column("borrower", "Borrower", lambda: pw.fn.COALESCE(Person.last_name, Location.name), 200),
    Column("id_number", "ID number", lambda: Person.id_number, 100),
    Column("out_at", "Out", lambda: Loan.out_at, 100),
    Column("due", "Due", lambda: Loan.due, 100),
    Column("state", "State", None, 110),
    Column("returned_at", "Returned", lambda: Loan.returned_at, 100),
    Column("agreement", "Agreement", lambda: Loan.agreement_signed, 80, "center"),
)


# Loan sorts that need the loan's joins (its asset, borrower, room); the others,
# without a search, need none (the Loans page's first screen: the asset join
# read 652,000 asset rows, 2 s, to sort the open loans by due date).
_LOAN_JOINED_SORTS = {"tag", "asset", "borrower", "id_number"}


def _loan_join(query: Query) -> Query:
    return (query.join(Asset, on=(Loan.asset == Asset.id))
            .join(Person, pw.JOIN.LEFT_OUTER, on=(Loan.person == Person.id))
            .join(Location, pw.JOIN.LEFT_OUTER, on=(Loan.location == Location.id)))


def _loan_where(filters: Filters) -> list[Condition]:
    conds: list[Condition] = []
    today = dt.date.today()
    state = filters.get("loan_state", "current")
    # Most loans are open (652,000 of 712,000 in the 1,000,000-asset demo): as
    # a plain IS NULL, SQLite read them all through the returned_at index and
    # sorted them for a first page by due date; as an expression it walks the
    # due-date index and stops after the first page.
    still_out = Loan.returned_at.is_null() == True  # noqa: E712 - SQL, not Python truth
    if state == "current":
        conds.append(still_out)
    elif state == "overdue":
        conds += [still_out, Loan.due < today]
    elif state == "due_soon":
        conds += [still_out, Loan.due.between(today, today + dt.timedelta(days=14))]
    elif state == "returned":
        conds.append(Loan.returned_at.is_null(False))
    for word in search.tokens(check_search(filters)):
        conds.append(_ilike_any(word, Asset.tag, Asset.name, Person.first_name,
                                Person.last_name, Person.id_number, Location.name))
    if filters.get("person_id"):
        conds.append(Loan.person == int(filters["person_id"]))
    return conds


def _loan_rows(ids: list[int]) -> dict[int, DisplayRow]:
    q = _loan_join(Loan.select(Loan.id, Asset.tag, Asset.name, Person.first_name, Person.last_name,
                               Location.name, Person.id_number, Loan.out_at, Loan.due,
                               Loan.returned_at, Loan.agreement_signed)).where(Loan.id.in_(ids))
    today = dt.date.today()
    out: dict[int, DisplayRow] = {}
    for i, tag, name, first, last, room, idn, out_at, due, ret, signed in query_rows(q):
        if ret:
            state = "Returned"
        elif due and _as_date(due) < today:
            state = f"Overdue {(today - _as_date(due)).days} d"
        elif due and _as_date(due) <= today + dt.timedelta(days=14):
            state = "Due soon"
        else:
            state = "Out"
        out[i] = (tag, name or "", f"{last}, {first}" if last else (room or ""), idn or "",
                  _date(out_at), _date(due), state, _date(ret), "yes" if signed else "")
    return out


# --- repairs ----------------------------------------------------------------------

REPAIR_COLUMNS = (
    Column("tag", "Tag", lambda: tags.order_by(Asset.tag_key), 110),
    Column("asset", "Asset", lambda: Asset.name, 190),
    Column("problem", "Problem", lambda: Repair.problem, 240),
    Column("vendor", "Vendor", lambda: Supplier.name, 150),
    Column("ticket", "RMA / ticket", lambda: Repair.ticket, 110),
    Column("reported", "Reported", lambda: Repair.reported, 95),
    Column("age", "Age (days)", lambda: Repair.reported.desc(), 80, "right"),
    Column("status", "Status", lambda: Repair.status, 120),
    Column("cost", "Cost", lambda: Repair.cost, 80, "right"),
)


def _repair_join(query: Query) -> Query:
    return (query.join(Asset, on=(Repair.asset == Asset.id))
            .join(Supplier, pw.JOIN.LEFT_OUTER, on=(Repair.vendor == Supplier.id)))


def _repair_where(filters: Filters) -> list[Condition]:
    conds: list[Condition] = []
    state = filters.get("repair_state", "open")
    if state == "open":
        conds.append(Repair.status.in_(list(OPEN_REPAIR_STATUSES)))
    elif state == "closed":
        conds.append(Repair.status.not_in(list(OPEN_REPAIR_STATUSES)))
    if filters.get("vendor_id"):
        conds.append(Repair.vendor == int(filters["vendor_id"]))
    for word in search.tokens(check_search(filters)):
        conds.append(_ilike_any(word, Asset.tag, Asset.name, Repair.problem,
                                Repair.ticket, Supplier.name))
    return conds


def _repair_rows(ids: list[int]) -> dict[int, DisplayRow]:
    q = _repair_join(Repair.select(Repair.id, Asset.tag, Asset.name, Repair.problem, Supplier.name,
                                   Repair.ticket, Repair.reported, Repair.status, Repair.cost,
                                   Repair.returned)).where(Repair.id.in_(ids))
    today = dt.date.today()
    money = Repair.cost.python_value
    out: dict[int, DisplayRow] = {}
    for i, tag, name, problem, vendor, ticket, reported, status, cost, returned in query_rows(q):
        end = _as_date(returned) if returned else today
        age = (end - _as_date(reported)).days if reported else None
        out[i] = (tag, name or "", (problem or "").replace("\n", " "), vendor or "",
                  ticket or "", _date(reported), age, REPAIR_STATUSES.get(status, status),
                  money(cost))
    return out


# --- work orders ------------------------------------------------------------------

# Urgent first when sorting by priority (the stored keys do not sort that way).
_PRIORITY_RANK = pw.Case(WorkOrder.priority, [("urgent", 0), ("high", 1), ("normal", 2)], 3)

WORK_ORDER_COLUMNS = (
    Column("number", "No.", lambda: WorkOrder.id, 60, "right"),
    Column("summary", "Summary", lambda: WorkOrder.summary, 240),
    Column("category", "Category", lambda: WorkOrder.category, 90),
    Column("priority", "Priority", lambda: _PRIORITY_RANK, 75),
    Column("status", "Status", lambda: WorkOrder.status, 120),
    Column("requester", "Requester",
           lambda: pw.fn.COALESCE(Person.last_name, WorkOrder.requester_name), 160),
    Column("site", "Site", lambda: Site.name, 150),
    Column("asset", "Asset", lambda: tags.order_by(Asset.tag_key), 100),
    Column("assignee", "Assignee", lambda: WorkOrder.assignee, 100),
    Column("opened", "Opened", lambda: WorkOrder.opened_at, 95),
    Column("age", "Age (days)", lambda: WorkOrder.opened_at.desc(), 75, "right"),
    Column("follow_up", "Follow-up", lambda: WorkOrder.follow_up, 95),
    Column("minutes", "Time (min)", None, 80, "right", hidden=True),
)


def _work_order_join(query: Query) -> Query:
    return (query.join(Person, pw.JOIN.LEFT_OUTER, on=(WorkOrder.requester == Person.id))
            .join_from(WorkOrder, Site, pw.JOIN.LEFT_OUTER, on=(WorkOrder.site == Site.id))
            .join_from(WorkOrder, Asset, pw.JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id)))


def _work_order_where(filters: Filters) -> list[Condition]:
    """``wo_state``: open, mine (open, assigned to ``assignee``), overdue
    (open, follow-up date passed), closed (resolved or closed); absent = all."""
    conds: list[Condition] = []
    state = filters.get("wo_state")
    open_ = WorkOrder.status.in_(list(OPEN_WORK_ORDER_STATUSES))
    if state in ("open", "mine", "overdue"):
        conds.append(open_)
    elif state == "closed":
        conds.append(~open_)
    if state == "mine":
        conds.append(WorkOrder.assignee == (filters.get("assignee") or ""))
    if state == "overdue":
        conds.append(WorkOrder.follow_up < (filters.get("today") or dt.date.today()))
    if filters.get("site_id"):
        conds.append(WorkOrder.site == int(filters["site_id"]))
    if filters.get("category"):
        conds.append(WorkOrder.category == filters["category"])
    if filters.get("asset_id"):
        conds.append(WorkOrder.asset == int(filters["asset_id"]))
    if filters.get("person_id"):
        conds.append(WorkOrder.requester == int(filters["person_id"]))
    for word in search.tokens(filters.get("search") or ""):
        conds.append(_ilike_any(word, WorkOrder.summary, WorkOrder.requester_name,
                                Person.last_name, Person.first_name, Asset.tag, Site.name,
                                WorkOrder.assignee))
    return conds


def _work_order_rows(ids: list[int]) -> dict[int, DisplayRow]:
    q = _work_order_join(WorkOrder.select(
        WorkOrder.id, WorkOrder.summary, WorkOrder.category, WorkOrder.priority, WorkOrder.status,
        Person.first_name, Person.last_name, WorkOrder.requester_name, Site.name, Asset.tag,
        WorkOrder.assignee, WorkOrder.opened_at, WorkOrder.closed_at, WorkOrder.follow_up)
    ).where(WorkOrder.id.in_(ids))
    spent: dict[int, int | None] = dict(query_rows(
        WorkOrderNote.select(WorkOrderNote.work_order, pw.fn.SUM(WorkOrderNote.minutes))
        .where(WorkOrderNote.work_order.in_(ids)).group_by(WorkOrderNote.work_order)))
    today = dt.date.today()
    out: dict[int, DisplayRow] = {}
    for (i, summary, cat, prio, status, first, last, rname, site, tag, assignee, opened, closed,
         follow) in query_rows(q):
        end = _as_date(closed) if closed else today
        out[i] = (i, (summary or "").replace("\n", " "), WORK_ORDER_CATEGORIES.get(cat, cat),
                  WORK_ORDER_PRIORITIES.get(prio, prio), WORK_ORDER_STATUSES.get(status, status),
                  f"{last}, {first}" if last else (rname or ""), site or "", tag or "",
                  assignee or "", _date(opened), (end - _as_date(opened)).days if opened else None,
                  _date(follow), int(spent.get(i) or 0))
    return out


# --- the table of kinds -----------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    name: str
    model: type[BaseModel]
    columns: tuple[Column, ...]
    base: Callable[[Query], Query]  # query -> query with the joins every filter may use
    where: Callable[[Filters], list[Condition]]
    rows: Callable[[list[int]], dict[int, DisplayRow]]
    default_sort: str


KINDS = {
    "assets": Kind("assets", Asset, ASSET_COLUMNS, lambda q: q, _asset_where, _asset_rows, "tag"),
    "people": Kind("people", Person, PEOPLE_COLUMNS,
                   lambda q: q.join(Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id)),
                   _people_where, _people_rows, "name"),
    "locations": Kind("locations", Location, LOCATION_COLUMNS,
                      lambda q: q.join(Site, on=(Location.site == Site.id)),
                      _location_where, _location_rows, "site"),
    "loans": Kind("loans", Loan, LOAN_COLUMNS, _loan_join, _loan_where, _loan_rows, "due"),
    "repairs": Kind("repairs", Repair, REPAIR_COLUMNS, _repair_join, _repair_where, _repair_rows,
                    "reported"),
    "workorders": Kind("workorders", WorkOrder, WORK_ORDER_COLUMNS, _work_order_join,
                       _work_order_where, _work_order_rows, "number"),
}


def columns(kind: str) -> tuple[Column, ...]:
    return KINDS[kind].columns


# Asset sorts an index serves, so the first rows in that order are read
# without sorting the rest (see query_ids' ``hits``).
_INDEXED_ASSET_SORTS = {"tag", "serial", "warranty_end", "last_audit_date"}
# "Most rows match": at least one row in this many, so walking the sort order
# finds a page of matches within ~20 pages of rows.
_DENSE = 20
# A search with at least this many matches finds its first page by walking an
# indexed sort order; one with fewer asks the search index for them all. Either
# way about this many rows are read at most when the matches are spread out:
# the index's N matches each read their row to be sorted, the walk reads
# PAGE_SIZE × total / N rows; the two are equal near sqrt(PAGE_SIZE × total),
# ~14,000 at a million assets.
_WALK_FROM = 10_000


def query_ids(kind: str, filters: Filters | None = None, sort: str | None = None,
              descending: bool = False, limit: int | None = None,
              hits: int | None = None, total: int | None = None) -> list[int]:
    """The ids of every row matching ``filters``, in display order (the first
    ``limit`` only, when given: what a table paints first).

    With a ``limit``, an indexed sort and a search most assets match, the
    page is found by walking the sort order and testing each row's text, not
    by gathering every match from the search index first: when the index
    finds at least ``_WALK_FROM`` matches (``_walk_first``), or when the
    caller has ``hits`` and ``total`` (count() and count_all()) and they say
    most assets match."""
    spec = KINDS[kind]
    model = spec.model
    filters = filters or {}
    sort = sort or spec.default_sort
    col = next((c for c in spec.columns if c.key == sort and c.sort), None)
    if col is None:
        col = next(c for c in spec.columns if c.key == spec.default_sort)
    query = model.select(model.id)
    if kind == "assets":
        for table, on in _ASSET_SORT_JOINS.get(col.key, ()):
            query = query.join_from(Asset, table, pw.JOIN.LEFT_OUTER, on=on)
    elif not (kind == "loans" and col.key not in _LOAN_JOINED_SORTS
              and not check_search(filters).strip()):
        query = spec.base(query)
    dense = (kind == "assets" and limit is not None and hits is not None and total
             and col.key in _INDEXED_ASSET_SORTS and hits * _DENSE >= total)
    conds = _asset_where(filters, scan=True) if dense else spec.where(filters)
    sort_by = col.sort
    assert sort_by is not None  # the default sort is always a sortable column
    expr = sort_by()
    order: list[pw.ColumnBase]
    if isinstance(expr, pw.Ordering):  # a column that sorts the other way by nature (age)
        node = expr.node
        order = [node.asc() if descending else node.desc(), model.id]
    else:
        if isinstance(expr, tuple):
            # Several terms (the tag's length, then the tag): never NULL, so
            # no NULLS clause, which SQLite's index for them could not serve.
            order = [t.desc() if descending else t.asc() for t in expr]
        else:
            order = [expr.desc(nulls="LAST") if descending else expr.asc(nulls="LAST")]
        order.append(model.id.desc() if descending else model.id)
    from app.store.db import db
    if (kind == "assets" and limit is not None and hits is None
            and col.key in _INDEXED_ASSET_SORTS and check_search(filters).strip()):
        first = _walk_first(query, filters, order, limit)
        if first is not None:
            return first
    if conds:
        query = query.where(*conds)
    query = query.order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    # The driver's rows, not peewee's: its per-row wrapping doubled a
    # 100,000-id sort (tag 121 → 50 ms).
    return [r[0] for r in db.execute(query).fetchall()]


def _walk_first(query: pw.ModelSelect[Any], filters: Filters, order: list[pw.ColumnBase],
                limit: int) -> list[int] | None:
    """The first ``limit`` assets matching a search (and nothing else), found
    by walking an indexed sort order and testing each row's text, when the
    search index says at least ``_WALK_FROM`` assets match (it counts no
    further) or cannot tell for a word shorter than a trigram; None when the
    index should gather the few matches instead. Needs no count of the matches
    (a count of "c" reads a million rows)."""
    from app.store.db import db
    if set(filters) != {"search"}:
        return None  # another filter may keep few of the rows walked
    text = check_search(filters).strip()
    few = search.fewer_matches_than(text, _WALK_FROM)
    if few or (few is None and any(len(w) >= 3 for w in search.tokens(text))):
        return None
    conds = _asset_where(filters, scan=True)
    return [r[0] for r in db.execute(query.where(*conds).order_by(*order).limit(limit)).fetchall()]


def count(kind: str, filters: Filters | None = None) -> int:
    """How many rows match ``filters`` (no sorting, no ids: cheap)."""
    spec = KINDS[kind]
    if kind == "assets" and filters and set(filters) == {"search"}:
        n = search.count_matches(filters["search"])  # the index alone, when it can
        if n is not None:
            return n
    query = spec.model.select(spec.model.id)
    # A loan's joins (its asset, borrower, room) only give the search its words:
    # without a search the count needs none (652,000 open loans: 3.2 s → 0.2 s).
    if kind != "assets" and not (kind == "loans" and not (filters or {}).get("search")):
        query = spec.base(query)
    conds = spec.where(filters or {})
    if conds:
        query = query.where(*conds)
    return query.count()


def count_all(kind: str) -> int:
    return KINDS[kind].model.select().count()


def fetch_rows(kind: str, ids: list[int]) -> dict[int, DisplayRow]:
    """Display rows (one value per column, in column order) for these ids."""
    if not ids:
        return {}
    out: dict[int, DisplayRow] = {}
    for start in range(0, len(ids), 500):
        out.update(KINDS[kind].rows(list(ids[start:start + 500])))
    return out


# --- helpers ----------------------------------------------------------------------

def _ilike_any(word: str, *fields: pw.ColumnBase) -> Condition:
    """Case-insensitive substring match of ``word`` in any of ``fields``; the
    word is a literal (quotes, %, _ and backslashes match themselves)."""
    expr: Condition | None = None
    for f in fields:
        cond = _like(f, word)
        expr = cond if expr is None else (expr | cond)
    assert expr is not None, "a match needs a field to look in"
    return expr


def _like(field: pw.ColumnBase, word: str) -> Condition:
    from app.store.db import db, param
    word = re.sub(r"[\x00-\x1f\x7f]", "", word)  # never stored; PostgreSQL refuses a NUL
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sqlite = isinstance(db.obj, pw.SqliteDatabase)
    op = "LIKE" if sqlite else "ILIKE"
    return pw.NodeList((field, pw.SQL(f"{op} {param()} ESCAPE '\\'", [f"%{escaped}%"])))


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _date(value: dt.date | str | None) -> dt.date | None:
    return _as_date(value) if value else None


# The Fees page's list lives with its columns (app/fee_listing.py).
def _register_fees() -> None:
    from app import fee_listing
    from app.models import Fee
    KINDS["fees"] = Kind("fees", Fee, fee_listing.columns(), fee_listing.base,
                         fee_listing.where, fee_listing.rows, "number")


_register_fees()
