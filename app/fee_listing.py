"""The fees list of the desktop's Fees page, sorted and filtered in SQL like
every list in ``app.listing`` (which registers it as the kind "fees").

Filters: ``fee_state`` (owed / paid / waived), ``site_id`` (the student's
school, else the device's site), ``person_id``, ``search`` (student name or
ID, tag, what the fee is for)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee as pw

from app.models import Asset, Fee, FeePayment, Person, Site
from app.models.program import FEE_KINDS, FEE_STATUSES
from app.store import search
from app.store.db import rows as tuples_of

if TYPE_CHECKING:
    from app.listing import Column


def _paid_expr() -> pw.Function:
    # A function around the subquery: an expression the list can order by.
    return pw.fn.COALESCE(FeePayment.select(pw.fn.SUM(FeePayment.amount))
                          .where(FeePayment.fee == Fee.id), 0)


def _balance_expr() -> pw.Case:
    return pw.Case(None, [(Fee.status == "owed", Fee.amount - _paid_expr())], 0)


def columns() -> tuple[Column, ...]:
    from app.listing import Column
    from app.services import tags
    return (
        Column("number", "Fee", lambda: Fee.id, 50, "right"),
        Column("incurred", "Incurred", lambda: Fee.incurred_on, 85),
        Column("student", "Student", lambda: (Person.last_name, Person.first_name), 140),
        Column("student_id", "Student ID", lambda: Person.id_number, 80),
        Column("grade", "Grade", lambda: Person.grade, 55, hidden=True),
        Column("site", "School", lambda: Site.name, 140),
        Column("asset", "Asset", lambda: tags.order_by(Asset.tag_key), 85),
        Column("kind", "Kind", lambda: Fee.kind, 100, hidden=True),
        Column("description", "For", lambda: Fee.description, 150),
        Column("list_amount", "List price", lambda: Fee.list_amount, 80, "right", hidden=True),
        Column("amount", "Amount", lambda: Fee.amount, 70, "right"),
        Column("paid", "Paid", _paid_expr, 70, "right"),
        Column("balance", "Balance", _balance_expr, 70, "right"),
        Column("status", "Status", lambda: Fee.status, 70),
        Column("reason", "Reason", lambda: Fee.waived_reason, 200),
    )


def base(query: pw.ModelSelect[Fee]) -> pw.ModelSelect[Fee]:
    return (query.join(Person, on=(Fee.person == Person.id))
            .join_from(Fee, Asset, pw.JOIN.LEFT_OUTER, on=(Fee.asset == Asset.id))
            .join_from(Fee, Site, pw.JOIN.LEFT_OUTER,
                       on=(Site.id == pw.fn.COALESCE(Person.site, Asset.site))))


def where(filters: dict[str, Any]) -> list[pw.ColumnBase]:
    from app.listing import _ilike_any
    conds: list[pw.ColumnBase] = []
    state = filters.get("fee_state")
    if state in FEE_STATUSES:
        conds.append(Fee.status == state)
    if filters.get("site_id"):
        conds.append(Site.id == int(filters["site_id"]))
    if filters.get("person_id"):
        conds.append(Fee.person == int(filters["person_id"]))
    for word in search.tokens(filters.get("search") or ""):
        conds.append(_ilike_any(word, Person.last_name, Person.first_name, Person.id_number,
                                Asset.tag, Fee.description, Fee.part, Site.name))
    return conds


def rows(ids: list[int]) -> dict[int, tuple[Any, ...]]:
    q = base(Fee.select(Fee.id, Fee.incurred_on, Person.last_name, Person.first_name,
                        Person.id_number, Person.grade, Site.name, Asset.tag, Fee.kind,
                        Fee.description, Fee.list_amount, Fee.amount, Fee.status,
                        Fee.waived_reason)).where(Fee.id.in_(ids))
    paid: dict[int, Any] = dict(tuples_of(FeePayment.select(FeePayment.fee, pw.fn.SUM(FeePayment.amount))
                                          .where(FeePayment.fee.in_(ids)).group_by(FeePayment.fee)))
    out = {}
    for (i, incurred, last, first, idn, grade, site, tag, kind, text, listed, amount, status,
         reason) in tuples_of(q):
        amount = _money(amount)
        got = _money(paid.get(i))
        out[i] = (i, _day(incurred), f"{last}, {first}".strip(", "), idn or "", grade or "",
                  site or "", tag or "", FEE_KINDS.get(kind, kind), text or "",
                  _money(listed) if listed is not None else None, amount, got,
                  max(amount - got, Decimal("0.00")) if status == "owed" else Decimal("0.00"),
                  FEE_STATUSES.get(status, status), reason or "")
    return out


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _day(value: dt.date | str | None) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value
