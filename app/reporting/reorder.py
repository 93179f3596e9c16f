"""Supplies to reorder: every active item at or below its reorder point, how
many to order to bring it back to its target, what that should cost, and how
much of it went out over the last twelve months (so the order can be sized
against real use). Grouped by supplier, one purchase order each.

Two queries whatever the size of the stock room: the items, and one grouped
SUM of the issue movements.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw

from app.models import StockMove, Supplier, Supply
from app.models.common import SUPPLY_CATEGORIES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import day, organisation, plural
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table, money
from app.services.base import current_user
from app.store.db import rows as query_rows

COLUMNS = [
    Column("Item", width=2.5),
    Column("Part number", width=1.1),
    Column("Category", width=0.8),
    Column("Bin", width=0.8),
    Column("On hand", "int", width=0.75),
    Column("Reorder at", "int", width=0.95),
    Column("Target", "int", width=0.7),
    Column("To order", "int", width=0.8, total=True),
    Column("Unit cost", "money", width=0.9),
    Column("Est. cost", "money", width=1.0, total=True),
    Column("Used (12 mo)", "int", width=1.05, total=True),
    Column("Supplier", width=2.0),  # the group heading in the PDF; a column in CSV and XLSX
]
NO_SUPPLIER = "No supplier on file"


@dataclass
class Reorder:
    """A supply item at or below its reorder point, with what to order."""
    id: int
    name: str
    part_number: str
    category: str
    bin: str
    unit: str
    on_hand: int
    reorder_point: int
    target: int | None
    to_order: int
    unit_cost: Decimal | None
    est_cost: Decimal | None
    used_12mo: int
    supplier: str

    def cells(self) -> tuple[Cell, ...]:
        """The item's row under COLUMNS."""
        return (self.name, self.part_number, self.category, self.bin, self.on_hand,
                self.reorder_point, self.target, self.to_order, self.unit_cost, self.est_cost,
                self.used_12mo, self.supplier)


def to_order(on_hand: int | None, target: int | None) -> int:
    """Enough to reach the target again; never negative."""
    return max(0, (target or 0) - (on_hand or 0))


def issued_since(since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    """Units issued per item in [since, until): one grouped SUM."""
    q = (StockMove.select(StockMove.supply, pw.fn.SUM(StockMove.qty))
         .where((StockMove.kind == "issue") & (StockMove.at >= since) & (StockMove.at < until))
         .group_by(StockMove.supply))
    # Issues are stored as negative changes to on-hand.
    return {sid: -int(total or 0) for sid, total in query_rows(q)}


def rows(as_of: dt.date | None = None) -> list[Reorder]:
    """The items to reorder, by supplier then name, with their figures."""
    as_of = as_of or dt.date.today()
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    since = until - dt.timedelta(days=365)
    used = issued_since(since, until)
    q = (Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.category, Supply.bin,
                       Supply.unit, Supply.on_hand, Supply.reorder_point, Supply.target,
                       Supply.unit_cost, Supplier.name)
         .join(Supplier, pw.JOIN.LEFT_OUTER, on=(Supply.supplier == Supplier.id))
         .where(Supply.active & (Supply.on_hand <= Supply.reorder_point))
         .order_by(Supplier.name.is_null(), Supplier.name, Supply.name, Supply.id))
    out: list[Reorder] = []
    for sid, name, part, cat, bin_, unit, on_hand, point, target, cost, supplier in query_rows(q):
        n = to_order(on_hand, target)
        out.append(Reorder(
            id=sid, name=name, part_number=part or "",
            category=SUPPLY_CATEGORIES.get(cat) or cat or "", bin=bin_ or "",
            unit=unit or "each", on_hand=on_hand, reorder_point=point,
            target=target, to_order=n, unit_cost=cost,
            est_cost=money(cost * n) if cost is not None else None,
            used_12mo=used.get(sid, 0), supplier=supplier or NO_SUPPLIER))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    # Stock on hand is what is on the shelf now, so the report offers no as-of
    # date; a caller may still move the twelve-month window of use.
    as_of = params.as_of or dt.date.today()
    items = rows(as_of)
    suppliers: dict[str, list[Reorder]] = {}
    for r in items:
        suppliers.setdefault(r.supplier, []).append(r)
    total_cost = sum((r.est_cost for r in items if r.est_cost is not None), Decimal("0.00"))
    no_cost = sum(1 for r in items if r.est_cost is None and r.to_order)
    units = sum(r.to_order for r in items)
    figures: list[tuple[str, Cell]] = [
        ("Items to reorder", len(items)),
        ("Units to order", units),
        ("Estimated cost", money(total_cost)),
        ("Suppliers", len(suppliers)),
    ]
    if no_cost:
        figures.append(("Items without a unit cost", no_cost))
    intro = ("Every active supply item with stock at or below its reorder point. To order "
             "brings it back to its target; the estimate uses the last unit cost paid. "
             f"Used (12 mo) is what was issued from {day(as_of - dt.timedelta(days=364))} "
             f"to {day(as_of)}.")
    groups = [
        (f"{name} \u2014 {plural(len(part), 'item')}, "
         f"{sum(r.to_order for r in part):,} to order, "
         f"${sum((r.est_cost for r in part if r.est_cost is not None), Decimal('0.00')):,.2f}",
         [r.cells() for r in part])
        for name, part in suppliers.items()
    ]
    # Grouped per supplier (the rows themselves are not kept twice).
    table = Table(COLUMNS, rows=[], groups=groups or None,
                  empty_text="None. Every item is above its reorder point.")
    by_supplier = Table(
        [Column("Supplier", width=3.0), Column("Items", "int", total=True),
         Column("Units to order", "int", total=True), Column("Est. cost", "money", total=True)],
        rows=[(name, len(part), sum(r.to_order for r in part),
               money(sum((r.est_cost for r in part if r.est_cost is not None),
                         Decimal("0.00"))))
              for name, part in suppliers.items()],
        title="By supplier")
    section = Section(key="Reorder", title="Supplies to reorder", intro=intro, figures=figures,
                      tables=[table] + ([by_supplier] if suppliers else []), landscape=True)
    return ReportDocument(title="Supplies to reorder", organisation=organisation(),
                          sections=[section], subtitle=f"As of {day(as_of)}",
                          generated_by=current_user())


SPEC = ReportSpec(
    name="reorder", title="Supplies to reorder",
    description="Toner, ink and other supplies at or below their reorder point: how many to "
                "order to reach the target, the estimated cost, and a year's use.",
    params=(), formats=("pdf", "xlsx", "csv"), build=build, order=60)
