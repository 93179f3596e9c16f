"""E-Rate asset inventory: what a PIA reviewer or a USAC auditor asks to see.

The FCC's rule (47 CFR 54.516) has schools keep "asset and inventory records"
of equipment bought with Category Two support, sufficient to verify its actual
location, for 10 years after purchase. An auditor ties each FRN line item's
quantity on the Form 471 to the units found, so the inventory is grouped by
FRN line item, with the count and cost per line, then every unit: BEN and
entity, FRN, line item, Form 471, funding year, SPIN and service provider,
make and model, serial, tag, where it is installed, in-service date, status
and cost. One joined query, in line item order.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw

from app.models import Asset, HardwareModel, Location, Manufacturer, Site, Supplier
from app.models.common import ASSET_STATUSES, INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, organisation, plural
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table, money
from app.services.base import current_user
from app.store.db import rows as query_rows

NO_LINE = "No FRN line item recorded"

UNIT_COLUMNS = [
    Column("FRN line item", width=1.3),
    Column("FRN", width=1.05),
    Column("Form 471", width=0.95),
    Column("Funding year", width=0.9),
    Column("BEN", width=0.7),
    Column("Entity", width=1.3),
    Column("SPIN", width=0.95),
    Column("Service provider", width=1.1),
    Column("Make / model", width=1.5),
    Column("Serial number", width=1.2),
    Column("Asset tag", width=0.95),
    Column("Installed location", width=1.5),
    Column("In service", "date", width=1.0),
    Column("Status", width=0.8),
    Column("Cost", "money", width=0.85, total=True),
]

LINE_COLUMNS = [
    Column("FRN line item", width=1.4),
    Column("Form 471", width=1.0),
    Column("Funding year", width=0.7),
    Column("BEN", width=0.8),
    Column("SPIN", width=1.0),
    Column("Service provider", width=1.5),
    Column("Make / model", width=2.2),
    Column("Units", "int", width=0.6, total=True),
    Column("In use", "int", width=0.6, total=True),
    Column("Retired or disposed", "int", width=0.8, total=True),
    Column("Cost", "money", width=0.9, total=True),
]


def funding_year_label(year: int) -> str:
    """E-Rate funding year 2025 runs July 1, 2025 to June 30, 2026."""
    return f"FY{year} (July 1, {year} \u2013 June 30, {year + 1})"


@dataclass
class Unit:
    """One E-Rate asset as the inventory lists it."""
    line: str | None  # FRN line item
    frn: str | None
    form471: str | None
    fy: int | None  # funding year
    ben: str | None  # its site's BEN
    entity: str | None  # its site
    spin: str | None  # its supplier's SPIN
    provider: str | None  # its supplier
    make_model: str
    serial: str | None
    tag: str
    where: str  # "Site / Room"
    in_service: dt.date | None
    status_key: str
    status: str  # as people read it
    cost: Decimal | None

    def cells(self) -> tuple[Cell, ...]:
        """The unit's row under UNIT_COLUMNS."""
        return (self.line or "", self.frn or "", self.form471 or "", _year(self.fy), self.ben or "",
                self.entity or "", self.spin or "", self.provider or "", self.make_model,
                self.serial or "", self.tag, self.where, self.in_service, self.status, self.cost)


@dataclass
class LineItem:
    """The units of one FRN line item (or of none), with what they share."""
    line: str  # the line item, or NO_LINE
    form471: str
    fy: int | None
    ben: str
    spin: str
    provider: str
    make_model: str
    units: list[Unit]
    count: int
    in_use: int
    inactive: int
    cost: Decimal


def unit_rows(funding_year: int | None, site_id: int | None) -> list[Unit]:
    """Every E-Rate asset (funded by E-Rate, or carrying an FRN, Form 471 or
    line item), in FRN line item order, with its entity and provider."""
    q = (Asset.select(Asset.id, Asset.erate_frn_line, Asset.erate_frn, Asset.erate_form471,
                      Asset.erate_funding_year, Site.ben, Site.name, Supplier.spin,
                      Supplier.name, Manufacturer.name, HardwareModel.name, Asset.name,
                      Asset.serial, Asset.tag, Location.name, Asset.in_service_date,
                      Asset.status, Asset.cost)
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .join_from(Asset, Location, pw.JOIN.LEFT_OUTER, on=(Asset.location == Location.id))
         .join_from(Asset, Supplier, pw.JOIN.LEFT_OUTER, on=(Asset.supplier == Supplier.id))
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER,
                    on=(Asset.model == HardwareModel.id))
         .join_from(HardwareModel, Manufacturer, pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.manufacturer == Manufacturer.id))
         .where((Asset.funding_type == "erate") | Asset.erate_frn.is_null(False)
                | Asset.erate_form471.is_null(False) | Asset.erate_frn_line.is_null(False)))
    if funding_year:
        q = q.where(Asset.erate_funding_year == funding_year)
    if site_id:
        q = q.where(Asset.site == site_id)
    out: list[Unit] = []
    for (_id, line, frn, f471, fy, ben, site, spin, provider, maker, model, name, serial, tag,
         room, in_service, status, cost) in query_rows(q.order_by(Asset.erate_frn_line.is_null(),
                                                               Asset.erate_frn_line, Asset.erate_frn,
                                                               Asset.tag)):
        make_model = " ".join(x for x in (maker, model) if x) or (name or "")
        out.append(Unit(
            line=line, frn=frn, form471=f471, fy=fy, ben=ben, entity=site, spin=spin,
            provider=provider, make_model=make_model, serial=serial, tag=tag,
            where=" / ".join(x for x in (site, room) if x), in_service=in_service,
            status_key=status, status=ASSET_STATUSES.get(status) or status,
            cost=money(cost) if cost is not None else None))
    return out


def _year(fy: int | None) -> str:
    """A funding year as USAC writes it (2025, not 2,025)."""
    return str(fy) if fy else ""


def _one(values: Iterable[str | None]) -> str:
    """The value every unit of a line shares, or each of them (a line bought
    for several entities names each BEN)."""
    seen = list(dict.fromkeys(v for v in values if v))
    return ", ".join(seen)


def line_items(units: list[Unit]) -> list[LineItem]:
    per: dict[str, list[Unit]] = {}
    for u in units:
        per.setdefault(u.line or NO_LINE, []).append(u)
    out: list[LineItem] = []
    for line, us in per.items():
        inactive = sum(1 for u in us if u.status_key in INACTIVE_STATUSES)
        out.append(LineItem(
            line=line, form471=_one(u.form471 for u in us),
            fy=next((u.fy for u in us if u.fy), None),
            ben=_one(u.ben for u in us), spin=_one(u.spin for u in us),
            provider=_one(u.provider for u in us),
            make_model=_one(u.make_model for u in us),
            units=us, count=len(us), in_use=len(us) - inactive, inactive=inactive,
            cost=money(sum((u.cost for u in us if u.cost is not None), Decimal("0")))))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    site = find_site(params.site)
    year = params.funding_year or None
    units = unit_rows(year, site.id if site else None)
    lines = line_items(units)
    if progress is not None:
        progress(1, 2, "Line items\u2026")
    missing = {
        "line item": sum(1 for u in units if not u.line),
        "Form 471 number": sum(1 for u in units if not u.form471),
        "BEN (on its site)": sum(1 for u in units if not u.ben),
        "SPIN (on its supplier)": sum(1 for u in units if not u.spin),
        "serial number": sum(1 for u in units if not u.serial),
    }
    gaps = [f"{plural(n, 'unit')} without a {what}" for what, n in missing.items() if n]
    scope: list[str] = []
    if year:
        scope.append(f"funding year {funding_year_label(year)}")
    if site:
        scope.append(site.name)
    total = money(sum((ln.cost for ln in lines), Decimal("0")))
    figures: list[tuple[str, Cell]] = [
        ("FRN line items", sum(1 for ln in lines if ln.line != NO_LINE)),
        ("Units", len(units)),
        ("In use", sum(ln.in_use for ln in lines)),
        ("Retired or disposed", sum(ln.inactive for ln in lines)),
        ("Cost", total)]
    intro = ("Equipment bought with E-Rate support, grouped by FRN line item: the count per "
             "line is what a reviewer ties to the line item's quantity on the FCC Form 471. "
             "Schools keep these asset and inventory records, with each unit's actual "
             "location, for 10 years after purchase (47 CFR 54.516).")
    if gaps:
        intro += " To complete before a review: " + "; ".join(gaps) + "."
    groups = []
    for ln in lines:
        head = ln.line if ln.line == NO_LINE else f"FRN line item {ln.line}"
        bits = [f"Form 471 {ln.form471}" if ln.form471 else None,
                f"FY{ln.fy}" if ln.fy else None,
                f"BEN {ln.ben}" if ln.ben else None,
                f"SPIN {ln.spin} {ln.provider}".strip() if ln.spin else (ln.provider or None)]
        head += " \u2014 " + ", ".join(b for b in bits if b) if any(bits) else ""
        head += f" \u2014 {plural(ln.count, 'unit')}, ${ln.cost:,.2f}"
        groups.append((head, [u.cells() for u in ln.units]))
    summary = Table(LINE_COLUMNS,
                    [(ln.line, ln.form471, _year(ln.fy), ln.ben, ln.spin, ln.provider,
                      ln.make_model, ln.count, ln.in_use, ln.inactive, ln.cost)
                     for ln in lines],
                    title="Units per FRN line item",
                    empty_text="No E-Rate equipment is recorded"
                               + (f" for {', '.join(scope)}." if scope else "."))
    inventory = Table(UNIT_COLUMNS, rows=[], groups=groups or None, title="Asset inventory",
                      empty_text="None.")
    title = "E-Rate asset inventory"
    return ReportDocument(
        title=title, organisation=organisation(),
        subtitle=", ".join(scope) if scope else "all funding years",
        generated_by=current_user(), csv_table=(1, 0),
        sections=[
            Section(key="Line items", title=title + (f" \u2014 {', '.join(scope)}" if scope
                                                      else ""),
                    intro=intro, figures=figures,
                    tables=[summary], landscape=True),
            Section(key="Inventory", title="Asset inventory by FRN line item",
                    intro="Every unit: BEN and entity, FRN, line item, Form 471, funding year, "
                          "SPIN and service provider, make and model, serial number, asset "
                          "tag, installed location, in-service date, status and cost.",
                    tables=[inventory], landscape=True),
        ])


SPEC = ReportSpec(
    name="erate-inventory", title="E-Rate asset inventory",
    description="Equipment bought with E-Rate support for a PIA review or USAC audit: units "
                "per FRN line item (the count a reviewer ties to the Form 471), then every "
                "unit with BEN, Form 471, SPIN, serial, tag, location and status.",
    params=("funding_year", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=75)
