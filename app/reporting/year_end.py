"""The year-end inventory report the business office asks for each July.

Values are as of the last day of the fiscal year (``fiscal_year=2026`` is the
year ending June 30, 2026 with the default July start), rebuilt from history
(``app.reporting.asof``): an asset moved, re-costed or disposed of after year
end appears as it stood on that day.

Who counts as held at year end: acquired on or before the last day (purchase
date, else in-service date, else the day its record was created) and not
disposed of by then. A record entered after year end counts when its purchase
date is inside the year or earlier — the district owned it on June 30, it was
only entered late. Retired items are still owned until disposed of, so they
are held (and listed with their status).

Sections: summary by site and category (with charts); the capital assets
roll-forward per category for items at or above the capitalization threshold
(beginning + additions − disposals = ending, checked to the cent), with
straight-line accumulated depreciation (``app.reporting.fiscal``) and net book
value; the equipment register (held items at or above the inventory
threshold); additions and disposals during the year (register items, capital
ones flagged); register items missing or not verified this year; the E-Rate
register with its ten-year retention date. Thresholds are inclusive; both the
first and the last day belong to the year. Every amount is a ``Decimal``.

The roll-forward values each asset at its cost on the last day of the year, so
a re-cost during the year moves its beginning balance too and the identity
holds by construction. An item whose disposal date is before its acquisition
date (bad data) is treated as disposed of on the day it was acquired.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from app.models import Category, HardwareModel, HistoryEntry, Location, Site, StocktakeScan
from app.models.common import ASSET_STATUSES, DISPOSAL_METHODS, FUNDING_TYPES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import day, local_date, organisation, plural
from app.reporting.asof import COL, assets_as_of, end_of_day_utc, start_of_day_utc
from app.reporting.document import Chart, Column, Cover, ReportDocument, Section, Table
from app.reporting.fiscal import (fiscal_year_bounds, fiscal_year_label,
                                  last_completed_fiscal_year, straight_line)
from app.reporting.writers import gc_paused
from app.services import catalog, settings
from app.services.base import current_user
from app.services.errors import NotFound, ValidationError

ZERO = Decimal("0.00")
NO_MODEL = (None, ("Uncategorized", 0))
ERATE_RETENTION_YEARS = 10

I_ID, I_TAG, I_NAME, I_SERIAL, I_MODEL, I_STATUS, I_SITE, I_LOC = (
    COL["id"], COL["tag"], COL["name"], COL["serial"], COL["model_id"], COL["status"],
    COL["site_id"], COL["location_id"])
I_BOUGHT, I_COST, I_FTYPE, I_FNAME, I_FRN, I_FYEAR, I_INSERV = (
    COL["purchase_date"], COL["cost"], COL["funding_type"], COL["funding_name"], COL["erate_frn"],
    COL["erate_funding_year"], COL["in_service_date"])
I_DDATE, I_DMETHOD, I_DPROCEEDS, I_AUDIT, I_CREATED = (
    COL["disposal_date"], COL["disposal_method"], COL["disposal_proceeds"], COL["last_audit_date"],
    COL["created_at"])


def erate_retain_until(funding_year: int) -> dt.date:
    """E-Rate records are kept 10 years after the last day of the funding year
    (June 30 of funding_year + 1)."""
    return dt.date(funding_year + 1 + ERATE_RETENTION_YEARS, 6, 30)


@dataclass
class Item:
    """One asset as it stood at year end, with what the report needs of it."""
    id: int
    tag: str
    description: str
    serial: str
    category: str
    life_years: int
    status: str
    site: str
    room: str
    acquired: dt.date | None
    in_service: dt.date | None
    cost: Decimal
    funding: str
    frn: str | None
    funding_year: int | None
    disposed: dt.date | None  # when it left (None: still held at year end)
    disposal_method: str
    proceeds: Decimal | None
    last_audit: dt.date | None
    created_later: bool


@dataclass
class CategoryRoll:
    category: str
    life_years: int
    beginning: Decimal = ZERO
    additions: Decimal = ZERO
    disposals: Decimal = ZERO
    ending: Decimal = ZERO
    accumulated: Decimal = ZERO
    items: int = 0

    @property
    def net_book_value(self) -> Decimal:
        return self.ending - self.accumulated


@dataclass
class YearEnd:
    fiscal_year: int
    first: dt.date
    last: dt.date
    site: str | None
    capital_threshold: Decimal
    inventory_threshold: Decimal
    held_count: int = 0  # every item held at year end, at any cost
    held_cost: Decimal = ZERO
    register: list[Item] = field(default_factory=list)  # held, cost ≥ inventory threshold
    additions: list[Item] = field(default_factory=list)  # register-level, acquired in the year
    disposals: list[Item] = field(default_factory=list)  # register-level, disposed in the year
    unverified: list[Item] = field(default_factory=list)
    erate: list[Item] = field(default_factory=list)
    roll: list[CategoryRoll] = field(default_factory=list)
    by_site: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_category: list[tuple[str, int, Decimal]] = field(default_factory=list)

    def roll_total(self, name: str) -> Decimal:
        return sum((getattr(r, name) for r in self.roll), ZERO)


def _lookups():
    cats = {i: (n, life) for i, n, life in
            Category.select(Category.id, Category.name, Category.life_years).tuples()}
    models = {}
    for i, name, cat_id in HardwareModel.select(HardwareModel.id, HardwareModel.name,
                                                HardwareModel.category).tuples():
        models[i] = (name, cats.get(cat_id, ("Uncategorized", 0)))
    sites = dict(Site.select(Site.id, Site.name).tuples())
    rooms = dict(Location.select(Location.id, Location.name).tuples())
    return models, sites, rooms


def _verified_ids(first: dt.date, last: dt.date) -> set[int]:
    """Assets with evidence of a check during the year: a stocktake scan, or an
    audit recorded in history with a date inside the year."""
    start, end = start_of_day_utc(first), end_of_day_utc(last)
    ids = {a for (a,) in StocktakeScan.select(StocktakeScan.asset)
           .where(StocktakeScan.asset.is_null(False) & (StocktakeScan.scanned_at >= start)
                  & (StocktakeScan.scanned_at < end)).distinct().tuples()}
    H = HistoryEntry
    for entity_id, new in (H.select(H.entity_id, H.new)
                           .where((H.entity == "asset") & (H.field == "last_audit_date")
                                  & (H.at >= start) & (H.at < end)).tuples()):
        if new and first.isoformat() <= new[:10] <= last.isoformat():
            ids.add(entity_id)
    return ids


def compute(fiscal_year: int, site_id: int | None = None, site_name: str | None = None,
            progress=None) -> YearEnd:
    with gc_paused():
        return _compute(fiscal_year, site_id, site_name, progress)


def _compute(fiscal_year, site_id, site_name, progress) -> YearEnd:
    first, last = fiscal_year_bounds(fiscal_year)
    ye = YearEnd(fiscal_year, first, last, site_name,
                 settings.money("capitalization_threshold"), settings.money("inventory_threshold"))
    if progress:
        progress(0, 4, "Reading history")
    rows = assets_as_of(last)
    models, sites, rooms = _lookups()
    if progress:
        progress(1, 4, "Rebuilding the register at year end")
    cap, inv = ye.capital_threshold, ye.inventory_threshold
    rolls: dict[str, CategoryRoll] = {}
    site_tot: dict[str, list] = {}
    cat_tot: dict[str, list] = {}
    verified = None
    for r in rows:
        if site_id is not None and r[I_SITE] != site_id:
            continue
        acquired = r[I_BOUGHT] or r[I_INSERV] or (local_date(r[I_CREATED]) if r[I_CREATED] else None)
        if r[I_CREATED] is not None and r[I_BOUGHT] is None and r[-1]:
            acquired = None  # entered after year end with no purchase date: not known to be owned
        if acquired is None or acquired > last:
            continue
        status = r[I_STATUS]
        disposed = None
        if status == "disposed":
            disposed = max(r[I_DDATE] or dt.date.min, acquired)
            if disposed > last:  # a disposal dated after year end: still held on the day
                disposed = None
        if disposed is not None and disposed < first:
            continue  # gone before the year began
        cost = r[I_COST] if r[I_COST] is not None else ZERO
        model_name, (cat_name, life) = models.get(r[I_MODEL], NO_MODEL)
        # A full Item only for what is listed; the rest only add to the totals.
        item = None
        if cost >= inv or cost >= cap or r[I_FRN]:
            item = _item(r, acquired, disposed, cost, model_name, cat_name, life, sites, rooms)
        in_year = acquired >= first
        held = disposed is None
        if held:
            ye.held_count += 1
            ye.held_cost += cost
            t = site_tot.setdefault(sites.get(r[I_SITE]) or "(no site)", [0, ZERO])
            t[0] += 1
            t[1] += cost
            t = cat_tot.setdefault(cat_name, [0, ZERO])
            t[0] += 1
            t[1] += cost
        if cost >= cap:
            roll = rolls.get(cat_name)
            if roll is None:
                roll = rolls[cat_name] = CategoryRoll(cat_name, life or 0)
            if in_year:
                roll.additions += cost
            else:
                roll.beginning += cost
            if held:
                roll.ending += cost
                roll.items += 1
                roll.accumulated += straight_line(cost, r[I_INSERV] or acquired, life, last)[1]
            else:
                roll.disposals += cost
        if cost >= inv:
            if held:
                ye.register.append(item)
                if status == "missing" or item.last_audit is None or not (first <= item.last_audit <= last):
                    if verified is None:
                        verified = _verified_ids(first, last)
                    if status == "missing" or item.id not in verified:
                        ye.unverified.append(item)
            else:
                ye.disposals.append(item)
            if in_year:
                ye.additions.append(item)
        if item and item.frn and (held or (item.funding_year and erate_retain_until(item.funding_year) >= last)):
            ye.erate.append(item)
    # Items disposed of before the year are skipped above, but E-Rate records outlive them.
    _add_old_erate(ye, rows, site_id, models, sites, rooms)
    if progress:
        progress(2, 4, "Totals")
    for roll in rolls.values():
        assert roll.beginning + roll.additions - roll.disposals == roll.ending, \
            f"roll-forward for {roll.category} does not balance"
    ye.roll = sorted(rolls.values(), key=lambda x: x.category.lower())
    ye.by_site = sorted(((k, v[0], v[1]) for k, v in site_tot.items()), key=lambda x: x[0].lower())
    ye.by_category = sorted(((k, v[0], v[1]) for k, v in cat_tot.items()), key=lambda x: x[0].lower())
    place = lambda i: (i.site.lower(), i.room.lower(), i.tag)  # noqa: E731
    ye.register.sort(key=place)
    ye.unverified.sort(key=place)
    ye.additions.sort(key=lambda i: (i.acquired, i.tag))
    ye.disposals.sort(key=lambda i: (i.disposed, i.tag))
    ye.erate.sort(key=lambda i: (i.funding_year or 0, i.frn or "", i.tag))
    return ye


def _add_old_erate(ye: YearEnd, rows, site_id, models, sites, rooms) -> None:
    """E-Rate items disposed of before the year whose retention runs past year end."""
    have = {i.id for i in ye.erate}
    for r in rows:
        if not r[I_FRN] or r[I_ID] in have or r[I_STATUS] != "disposed" or not r[I_FYEAR]:
            continue
        if site_id is not None and r[I_SITE] != site_id:
            continue
        if erate_retain_until(r[I_FYEAR]) < ye.last:
            continue
        acquired = r[I_BOUGHT] or r[I_INSERV] or local_date(r[I_CREATED])
        if acquired is None or acquired > ye.last or (r[-1] and r[I_BOUGHT] is None):
            continue
        disposed = max(r[I_DDATE] or dt.date.min, acquired)
        if disposed >= ye.first:
            continue  # handled with the year's own rows
        model_name, (cat_name, life) = models.get(r[I_MODEL], NO_MODEL)
        ye.erate.append(_item(r, acquired, disposed, r[I_COST] or ZERO, model_name, cat_name, life,
                              sites, rooms))


def _item(r, acquired, disposed, cost, model_name, cat_name, life, sites, rooms) -> Item:
    name = r[I_NAME] or model_name or ""
    if r[I_NAME] and model_name and model_name not in r[I_NAME]:
        name = f"{r[I_NAME]} ({model_name})"
    ftype = r[I_FTYPE]
    funding = FUNDING_TYPES.get(ftype, ftype or "")
    if r[I_FNAME]:
        funding = f"{funding}: {r[I_FNAME]}" if ftype == "grant" else r[I_FNAME]
    status = r[I_STATUS]
    return Item(r[I_ID], r[I_TAG], name, r[I_SERIAL] or "", cat_name, life or 0,
                ASSET_STATUSES.get(status, status), sites.get(r[I_SITE], ""),
                rooms.get(r[I_LOC], ""), acquired, r[I_INSERV], cost, funding, r[I_FRN],
                r[I_FYEAR], disposed, DISPOSAL_METHODS.get(r[I_DMETHOD], r[I_DMETHOD] or ""),
                r[I_DPROCEEDS], r[I_AUDIT], r[-1])


# --- the document ---------------------------------------------------------------------

def _money_text(v: Decimal) -> str:
    return f"${v:,.2f}"


def _place(i: Item) -> str:
    return f"{i.site} / {i.room}" if i.room else i.site


def _summary(ye: YearEnd) -> Section:
    figures = [
        ("Items held at year end", ye.held_count),
        ("Their cost", ye.held_cost),
        ("Capital assets held", sum(r.items for r in ye.roll)),
        ("Capital assets cost", ye.roll_total("ending")),
        ("In the equipment register", len(ye.register)),
        ("Register cost", sum((i.cost for i in ye.register), ZERO)),
        ("Missing or not verified", len(ye.unverified)),
        ("E-Rate items on record", len(ye.erate)),
    ]
    cols = lambda first: [Column(first, width=3.0), Column("Items", "int", width=1.0, total=True),  # noqa: E731
                          Column("Cost", "money", width=1.4, total=True)]
    return Section(
        "Summary", "Summary by site and category",
        intro=(f"Everything held on {day(ye.last)}, at any cost, by the site it was at on that day "
               "and its category. Values are rebuilt from the history as of year end."),
        figures=figures,
        tables=[Table(cols("Site"), ye.by_site, title="By site"),
                Table(cols("Category"), ye.by_category, title="By category")],
        charts=[Chart("Cost by category", _largest_first(ye.by_category)),
                Chart("Cost by site", _largest_first(ye.by_site))])


def _largest_first(rows) -> list[tuple[str, Decimal]]:
    return sorted(((name, cost) for name, _, cost in rows), key=lambda x: (-x[1], x[0]))


ROLL_COLUMNS = [
    Column("Category", width=2.2), Column("Life (years)", "int", width=0.8),
    Column("Beginning balance", "money", width=1.3, total=True),
    Column("Additions", "money", width=1.2, total=True),
    Column("Disposals", "money", width=1.2, total=True),
    Column("Ending balance", "money", width=1.3, total=True),
    Column("Accumulated depreciation", "money", width=1.75, total=True),
    Column("Net book value", "money", width=1.3, total=True),
    Column("Items held", "int", width=0.8, total=True),
]


def _roll(ye: YearEnd) -> Section:
    rows = [(r.category, r.life_years, r.beginning, r.additions, r.disposals, r.ending,
             r.accumulated, r.net_book_value, r.items) for r in ye.roll]
    return Section(
        "Capital assets", "Capital assets roll-forward", landscape=True,
        intro=(f"Items costing {_money_text(ye.capital_threshold)} or more. Beginning balance: held on "
               f"{day(ye.first)}; additions: acquired during the year; disposals: disposed of during "
               f"the year; ending balance: held on {day(ye.last)}. Accumulated depreciation is straight "
               "line over the category's life from the in-service date (else the purchase date), the "
               "first month counted in full, no salvage value."),
        figures=[("Beginning balance", ye.roll_total("beginning")),
                 ("Additions", ye.roll_total("additions")),
                 ("Disposals", ye.roll_total("disposals")),
                 ("Ending balance", ye.roll_total("ending")),
                 ("Accumulated depreciation", ye.roll_total("accumulated")),
                 ("Net book value", ye.roll_total("ending") - ye.roll_total("accumulated"))],
        tables=[Table(ROLL_COLUMNS, rows, empty_text="No capital assets.")])


REGISTER_COLUMNS = [
    Column("Tag", width=0.9), Column("Description", width=1.9), Column("Serial", width=1.0),
    Column("Category", width=1.3), Column("Acquired", "date", width=0.8),
    Column("Cost", "money", width=0.95, total=True), Column("Site", width=1.65),
    Column("Room", width=1.15), Column("Funding", width=1.2), Column("Status", width=1.1),
]


def _register(ye: YearEnd) -> Section:
    def rows():
        for i in ye.register:
            yield (i.tag, i.description, i.serial, i.category, i.acquired, i.cost, i.site, i.room,
                   i.funding, i.status)
    return Section(
        "Register", "Equipment register", landscape=True,
        intro=(f"Every item held on {day(ye.last)} costing {_money_text(ye.inventory_threshold)} or "
               "more, by site and room."),
        figures=[("Items", len(ye.register)), ("Cost", sum((i.cost for i in ye.register), ZERO))],
        tables=[Table(REGISTER_COLUMNS, rows(), empty_text="No items at or above the threshold.")])


def _capital(ye: YearEnd, i: Item) -> str:
    return "yes" if i.cost >= ye.capital_threshold else ""


def _additions(ye: YearEnd) -> Section:
    cols = [Column("Tag", width=0.9), Column("Description", width=2.4), Column("Category", width=1.3),
            Column("Acquired", "date", width=0.85), Column("Cost", "money", width=1.0, total=True),
            Column("Site / room", width=2.2), Column("Funding", width=1.2), Column("Capital", width=0.6)]
    rows = [(i.tag, i.description, i.category, i.acquired, i.cost, _place(i), i.funding,
             _capital(ye, i)) for i in ye.additions]
    cap = [i for i in ye.additions if i.cost >= ye.capital_threshold]
    return Section(
        "Additions", "Additions during the year", landscape=True,
        intro=(f"Items costing {_money_text(ye.inventory_threshold)} or more acquired from "
               f"{day(ye.first)} to {day(ye.last)}, including any disposed of within the year."),
        figures=[("Items", len(ye.additions)), ("Cost", sum((i.cost for i in ye.additions), ZERO)),
                 ("Capital items", len(cap)), ("Capital cost", sum((i.cost for i in cap), ZERO))],
        tables=[Table(cols, rows, empty_text="No additions.")])


def _disposals(ye: YearEnd) -> Section:
    cols = [Column("Tag", width=0.9), Column("Description", width=2.3), Column("Category", width=1.3),
            Column("Disposed", "date", width=0.85), Column("Method", width=1.5),
            Column("Proceeds", "money", width=0.95, total=True),
            Column("Cost", "money", width=1.0, total=True), Column("Site", width=1.6),
            Column("Capital", width=0.6)]
    rows = [(i.tag, i.description, i.category, i.disposed, i.disposal_method, i.proceeds or ZERO,
             i.cost, i.site, _capital(ye, i)) for i in ye.disposals]
    cap = [i for i in ye.disposals if i.cost >= ye.capital_threshold]
    return Section(
        "Disposals", "Disposals during the year", landscape=True,
        intro=(f"Items costing {_money_text(ye.inventory_threshold)} or more disposed of from "
               f"{day(ye.first)} to {day(ye.last)}."),
        figures=[("Items", len(ye.disposals)), ("Cost", sum((i.cost for i in ye.disposals), ZERO)),
                 ("Proceeds", sum((i.proceeds or ZERO for i in ye.disposals), ZERO)),
                 ("Capital cost", sum((i.cost for i in cap), ZERO))],
        tables=[Table(cols, rows, empty_text="No disposals.")])


def _unverified(ye: YearEnd) -> Section:
    cols = [Column("Tag", width=0.9), Column("Description", width=2.4), Column("Site", width=1.5),
            Column("Room", width=1.3), Column("Status", width=1.0),
            Column("Last verified", "date", width=0.9), Column("Cost", "money", width=1.0, total=True)]
    # An audit date after year end (entered without history, e.g. by an import) is not
    # what stood on the day: left blank.
    rows = [(i.tag, i.description, i.site, i.room, i.status,
             i.last_audit if i.last_audit and i.last_audit <= ye.last else None, i.cost)
            for i in ye.unverified]
    missing = sum(1 for i in ye.unverified if i.status == ASSET_STATUSES["missing"])
    return Section(
        "Not verified", "Missing or not verified this year", landscape=True,
        intro=("Register items marked missing, or with no audit or stocktake scan between "
               f"{day(ye.first)} and {day(ye.last)}."),
        figures=[("Items", len(ye.unverified)), ("Marked missing", missing),
                 ("Cost", sum((i.cost for i in ye.unverified), ZERO))],
        tables=[Table(cols, rows, empty_text="Every register item was verified this year.")])


def _erate(ye: YearEnd) -> Section:
    cols = [Column("FRN", width=1.0), Column("Funding year", width=0.8),
            Column("Tag", width=0.9), Column("Description", width=2.0),
            Column("In service", "date", width=0.85), Column("Site / room", width=2.0),
            Column("Cost", "money", width=1.0, total=True), Column("Status", width=1.0),
            Column("Retain until", "date", width=0.85)]
    rows = [(i.frn, i.funding_year, i.tag, i.description, i.in_service, _place(i), i.cost,
             i.status, erate_retain_until(i.funding_year) if i.funding_year else None)
            for i in ye.erate]
    return Section(
        "E-Rate", "E-Rate register", landscape=True,
        intro=("Equipment bought with E-Rate funding, by funding year and FRN, including items "
               "disposed of whose records must still be kept: ten years after the end of the "
               "funding year (June 30 of the following year)."),
        figures=[("Items", len(ye.erate)), ("Cost", sum((i.cost for i in ye.erate), ZERO)),
                 ("FRNs", len({i.frn for i in ye.erate}))],
        tables=[Table(cols, rows, empty_text="No E-Rate equipment.")])


def build(params: ReportParams, progress=None) -> ReportDocument:
    fy = params.fiscal_year or last_completed_fiscal_year()
    if not 1990 <= fy <= 2200:
        raise ValidationError("The fiscal year is a year such as 2026.", field="fiscal_year")
    site = None
    if params.site:
        site = catalog.find_site(params.site)
        if site is None:
            raise NotFound(f"No site called {params.site!r}.")
    ye = compute(fy, site.id if site else None, site.name if site else None, progress)
    label = fiscal_year_label(fy)
    span = f"{day(ye.first)} – {day(ye.last)}"
    user = current_user()
    cover = Cover(
        "Year-end inventory report", subtitle=label,
        lines=[("Fiscal year", span), ("Site", site.name if site else "All sites"),
               ("Values as of", day(ye.last)),
               ("Capitalization threshold", _money_text(ye.capital_threshold)),
               ("Inventory threshold", _money_text(ye.inventory_threshold)),
               ("Items held", plural(ye.held_count, "item"))],
        signatures=["Prepared by", "Reviewed by (Business Office)"])
    sections = [_summary(ye), _roll(ye), _register(ye), _additions(ye), _disposals(ye),
                _unverified(ye), _erate(ye)]
    if progress:
        progress(3, 4, "Writing")
    return ReportDocument(
        title=f"Year-end inventory {label}", organisation=organisation(), sections=sections,
        cover=cover, subtitle=(site.name + " · " if site else "") + span, generated_by=user,
        csv_table=(2, 0))


SPEC = ReportSpec(
    name="year-end", title="Year-end inventory",
    description="For the business office: holdings by site and category as of the fiscal-year end, "
                "the capital assets roll-forward with depreciation, the equipment register, "
                "additions, disposals, items not verified and the E-Rate register.",
    params=("fiscal_year", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=5)
