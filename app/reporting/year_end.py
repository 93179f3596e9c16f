"""The year-end inventory report the business office asks for each July.

Values are as of the last day of the fiscal year (``fiscal_year=2026`` is the
year ending June 30, 2026 with the default July start), rebuilt from history
by the day each change took effect (``app.reporting.asof``): an asset moved,
re-costed or disposed of after year end appears as it stood on that day, and
one disposed of before it is gone even if the disposal was typed months later.
A year that has not ended yet is reported as it stands today, marked
provisional on the cover.

Who counts as held at year end (``app.reporting.capital``): acquired on or
before the last day (purchase date, else in-service date, else the day its
record was created) and not disposed of by then. Retired items are still
owned until disposed of, so they are held (and listed with their status).

Sections: summary by site and category (with charts); the capital assets
roll-forward per category (``app.reporting.capital``: cost and accumulated
depreciation, beginning + additions − disposals ± adjustments = ending, to the
cent, the beginning always the previous year's ending) and net book value;
the equipment register (held items at or above the inventory threshold, with
custodian and condition); additions and disposals during the year; register
items missing or not verified this year; the E-Rate register with its
ten-year retention date; federally funded equipment (2 CFR 200.313); and the
prior-period changes — entered after an earlier year's report was produced,
effective inside that year. Thresholds are inclusive; both the first and the
last day belong to the year. Every amount is a ``Decimal``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.models.activity import HistoryEntry, StocktakeScan
from app.models.common import ASSET_STATUSES, DISPOSAL_METHODS, FUNDING_TYPES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import day, local_date, organisation
from app.wording import plural
from app.reporting.asof import (COL, HOLDER_NOW, Row, end_of_day_utc, holders_now,
                                start_of_day_utc, tuples)
from app.reporting.capital import (CapitalLine, CapitalYear, CategoryRoll, Lookups, Progress,
                                   acquired_on, describe, disposed_on, lookups, year_and_site)
from app.reporting.document import Cell, Chart, Column, Cover, ReportDocument, Section, Table
from app.reporting.fiscal import fiscal_year_bounds, fiscal_year_label
from app.reporting.writers import gc_paused
from app.services import periods, settings, tags
from app.services.base import current_user

ZERO = Decimal("0.00")
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
I_AWARD, I_SHARE, I_CONDITION, I_HOLDER, I_PERSON, I_AROOM = (
    COL["federal_award_id"], COL["federal_share"], COL["condition"], COL["holder"],
    COL["assigned_person_id"], COL["assigned_location_id"])


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
    holder: str = ""  # custodian: the person or cart/lab it was checked out to
    condition: str = ""
    grant: bool = False  # funded by a grant (2 CFR 200.313 records)
    funding_source: str = ""  # the grant or program name
    award_id: str = ""  # FAIN or award number
    federal_share: Decimal | None = None  # per cent


@dataclass
class YearEnd:
    fiscal_year: int
    first: dt.date
    last: dt.date
    site: str | None
    capital_threshold: Decimal
    inventory_threshold: Decimal
    as_of: dt.date  # values as of: the last day, or today while the year runs
    provisional: bool = False  # the year has not ended
    held_count: int = 0  # every item held at year end, at any cost
    held_cost: Decimal = ZERO
    register: list[Item] = field(default_factory=list)  # held, cost ≥ inventory threshold
    additions: list[Item] = field(default_factory=list)  # register-level, acquired in the year
    disposals: list[Item] = field(default_factory=list)  # register-level, disposed in the year
    unverified: list[Item] = field(default_factory=list)
    erate: list[Item] = field(default_factory=list)
    federal: list[Item] = field(default_factory=list)  # grant-funded register items, held or disposed
    roll: list[CategoryRoll] = field(default_factory=list)
    capital: list[CapitalLine] = field(default_factory=list)  # per asset (app.reporting.capital)
    by_site: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_category: list[tuple[str, int, Decimal]] = field(default_factory=list)
    prior_period: list[periods.PriorChange] = field(default_factory=list)

    def roll_total(self, name: str) -> Decimal:
        return sum((getattr(r, name) for r in self.roll), ZERO)


def _verified_ids(first: dt.date, last: dt.date) -> set[int]:
    """Assets with evidence of a check during the year: a stocktake scan, or an
    audit recorded in history with a date inside the year."""
    start, end = start_of_day_utc(first), end_of_day_utc(last)
    ids: set[int] = {a for (a,) in tuples(
        StocktakeScan.select(StocktakeScan.asset)
        .where(StocktakeScan.asset.is_null(False) & (StocktakeScan.scanned_at >= start)
               & (StocktakeScan.scanned_at < end)).distinct())}
    H = HistoryEntry
    audits = (H.entity == "asset") & (H.field == "last_audit_date")
    # Two queries, each through the (entity, effective) index: one OR reads every entry.
    for query in (H.select(H.entity_id, H.new).where(audits & (H.effective >= first)
                                                     & (H.effective <= last)),
                  H.select(H.entity_id, H.new).where(audits & H.effective.is_null()
                                                     & (H.at >= start) & (H.at < end))):
        for entity_id, new in tuples(query):
            if new and first.isoformat() <= new[:10] <= last.isoformat():
                ids.add(entity_id)
    return ids


def compute(fiscal_year: int, site_id: int | None = None, site_name: str | None = None,
            progress: Progress | None = None, today: dt.date | None = None) -> YearEnd:
    with gc_paused():
        return _compute(fiscal_year, site_id, site_name, progress, today or dt.date.today())


def _compute(fiscal_year: int, site_id: int | None, site_name: str | None,
             progress: Progress | None, today: dt.date) -> YearEnd:
    first, last = fiscal_year_bounds(fiscal_year)
    ye = YearEnd(fiscal_year, first, last, site_name,
                 settings.money("capitalization_threshold"), settings.money("inventory_threshold"),
                 as_of=min(last, today), provisional=last >= today)
    if progress:
        progress(0, 4, "Reading history")
    # A year still running is reported as it stands today (no depreciation in advance).
    last = ye.as_of
    look = lookups()
    if progress:
        progress(1, 4, "Rebuilding the register at year end")
    cap, inv = ye.capital_threshold, ye.inventory_threshold
    # (site id, model id) → [items held, their cost]
    held_tot: dict[tuple[int | None, int | None], list[Any]] = {}
    verified = None
    # Listed items whose custodian is today's, named once the pass is done.
    unnamed: list[tuple[Item, int | None, int | None]] = []
    year = CapitalYear(first, last, cap, site_id, look)
    # One pass over the register, each asset as it stood on the day before the
    # year and on its last day; only what is listed is kept, the rest only adds
    # to the totals (this loop runs once per asset: keep it lean).
    for r in year.rows(listed_from=min(cap, inv)):
        if site_id is not None and r[I_SITE] != site_id:
            continue
        acquired = r[I_BOUGHT] or r[I_INSERV] or acquired_on(r)
        if acquired is None or acquired > last:
            continue
        status = r[I_STATUS]
        disposed = disposed_on(r, acquired, last) if status == "disposed" else None
        if disposed is not None and disposed < first:
            _old_erate(ye, r, acquired, disposed, look, unnamed)
            continue  # gone before the year began
        cost = r[I_COST] if r[I_COST] is not None else ZERO
        held = disposed is None
        if held:
            key = (r[I_SITE], r[I_MODEL])
            t = held_tot.get(key)
            if t is None:
                t = held_tot[key] = [0, ZERO]
            t[0] += 1
            t[1] += cost
        if cost < inv and not r[I_FRN]:
            continue
        # A full Item only for what is listed.
        model_name, cat_name, life = look.category(r[I_MODEL])
        item = _item(r, acquired, disposed, cost, model_name, cat_name, life, look)
        if r[I_HOLDER] is HOLDER_NOW:
            unnamed.append((item, r[I_PERSON], r[I_AROOM]))
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
            if acquired >= first:
                ye.additions.append(item)
            if item.grant:
                ye.federal.append(item)
        if item.frn and (held or (item.funding_year and erate_retain_until(item.funding_year) >= last)):
            ye.erate.append(item)
    if progress:
        progress(2, 4, "Totals")
    for (item, _, _), name in zip(unnamed, holders_now([(p, a) for _, p, a in unnamed])):
        item.holder = name or ""
    del unnamed
    ye.capital, rolls = year.lines, year.rolls
    for roll in rolls.values():
        assert roll.balances(), f"roll-forward for {roll.category} does not balance"
    ye.roll = sorted(rolls.values(), key=lambda x: x.category.lower())
    site_tot: dict[str, list[Any]] = {}
    cat_tot: dict[str, list[Any]] = {}
    for (site, model), (count, cost) in held_tot.items():
        ye.held_count += count
        ye.held_cost += cost
        for name, tot in ((look.sites.get(site or 0) or "(no site)", site_tot),
                          (look.category(model)[1], cat_tot)):
            t = tot.setdefault(name, [0, ZERO])
            t[0] += count
            t[1] += cost
    ye.by_site = sorted(((k, v[0], v[1]) for k, v in site_tot.items()), key=lambda x: x[0].lower())
    ye.by_category = sorted(((k, v[0], v[1]) for k, v in cat_tot.items()), key=lambda x: x[0].lower())
    place = lambda i: (i.site.lower(), i.room.lower(), tags.sort_key(i.tag))  # noqa: E731
    ye.register.sort(key=place)
    ye.unverified.sort(key=place)
    ye.additions.sort(key=lambda i: (i.acquired, tags.sort_key(i.tag)))
    ye.disposals.sort(key=lambda i: (i.disposed, tags.sort_key(i.tag)))
    ye.erate.sort(key=lambda i: (i.funding_year or 0, i.frn or "", tags.sort_key(i.tag)))
    ye.federal.sort(key=lambda i: (i.funding_source.lower(), i.award_id,
                                  tags.sort_key(i.tag)))
    ye.prior_period = periods.prior_period_changes(fiscal_year)
    return ye


def _old_erate(ye: YearEnd, r: Row, acquired: dt.date, disposed: dt.date, look: Lookups,
               unnamed: list[tuple[Item, int | None, int | None]]) -> None:
    """An E-Rate item disposed of before the year whose retention runs past year
    end: still listed in the E-Rate register."""
    if not r[I_FRN] or r[I_STATUS] != "disposed" or not r[I_FYEAR]:
        return
    if erate_retain_until(r[I_FYEAR]) < ye.as_of:
        return
    model_name, cat_name, life = look.category(r[I_MODEL])
    item = _item(r, acquired, disposed, r[I_COST] or ZERO, model_name, cat_name, life, look)
    ye.erate.append(item)
    if r[I_HOLDER] is HOLDER_NOW:
        unnamed.append((item, r[I_PERSON], r[I_AROOM]))


def _item(r: Row, acquired: dt.date, disposed: dt.date | None, cost: Decimal, model_name: str,
          cat_name: str, life: int, look: Lookups) -> Item:
    ftype = r[I_FTYPE]
    funding = FUNDING_TYPES.get(ftype, ftype or "")
    if r[I_FNAME]:
        funding = f"{funding}: {r[I_FNAME]}" if ftype == "grant" else r[I_FNAME]
    grant = ftype == "grant"
    if grant and r[I_AWARD]:
        funding += f" (FAIN {r[I_AWARD]})"
    status: str = r[I_STATUS]
    return Item(r[I_ID], r[I_TAG], describe(r[I_NAME], model_name), r[I_SERIAL] or "", cat_name,
                life or 0, ASSET_STATUSES.get(status, status), look.sites.get(r[I_SITE], ""),
                look.rooms.get(r[I_LOC], ""), acquired, r[I_INSERV], cost, funding, r[I_FRN],
                r[I_FYEAR], disposed, DISPOSAL_METHODS.get(r[I_DMETHOD], r[I_DMETHOD] or ""),
                r[I_DPROCEEDS], r[I_AUDIT], r[-1],
                holder="" if r[I_HOLDER] is HOLDER_NOW else r[I_HOLDER] or "",
                condition=r[I_CONDITION] or "", grant=grant, funding_source=r[I_FNAME] or "",
                award_id=r[I_AWARD] or "", federal_share=r[I_SHARE])


# --- the document ---------------------------------------------------------------------

def _money_text(v: Decimal) -> str:
    return f"${v:,.2f}"


def _place(i: Item) -> str:
    return f"{i.site} / {i.room}" if i.room else i.site


def _summary(ye: YearEnd) -> Section:
    figures: list[tuple[str, Cell]] = [
        ("Items held at year end", ye.held_count),
        ("Their cost", ye.held_cost),
        ("Capital assets held", sum(r.items for r in ye.roll)),
        ("Capital assets net book value", ye.roll_total("net_book_value")),
        ("Capital assets cost", ye.roll_total("ending")),
        ("In the equipment register", len(ye.register)),
        ("Register cost", sum((i.cost for i in ye.register), ZERO)),
        ("Missing or not verified", len(ye.unverified)),
        ("E-Rate items on record", len(ye.erate)),
    ]
    def cols(first: str) -> list[Column]:
        return [Column(first, width=3.0), Column("Items", "int", width=1.0, total=True),
                Column("Cost", "money", width=1.4, total=True)]
    return Section(
        "Summary", "Summary by site and category",
        intro=(f"Everything held on {day(ye.as_of)}, at any cost, by the site it was at on that day "
               "and its category. Values are rebuilt from the history as of year end."),
        figures=figures,
        tables=[Table(cols("Site"), ye.by_site, title="By site"),
                Table(cols("Category"), ye.by_category, title="By category")],
        charts=[Chart("Cost by category", _largest_first(ye.by_category)),
                Chart("Cost by site", _largest_first(ye.by_site))])


def _largest_first(rows: list[tuple[str, int, Decimal]]) -> list[tuple[str, Decimal]]:
    return sorted(((name, cost) for name, _, cost in rows), key=lambda x: (-x[1], x[0]))


ROLL_COLUMNS = [
    Column("Category", width=1.45), Column("Life (years)", "int", width=0.85),
    Column("Beginning balance", "money", width=1.3, total=True),
    Column("Additions", "money", width=1.0, total=True),
    Column("Disposals", "money", width=1.0, total=True),
    Column("Adjustments", "money", width=1.05, total=True),
    Column("Ending balance", "money", width=1.2, total=True),
    Column("Accumulated depreciation", "money", width=1.8, total=True),
    Column("Net book value", "money", width=1.2, total=True),
    Column("Items held", "int", width=0.85, total=True),
]
DEPRECIATION_ROLL_COLUMNS = [
    Column("Category", width=1.45),
    Column("Beginning accumulated", "money", width=1.6, total=True),
    Column("Depreciation for the year", "money", width=1.75, total=True),
    Column("Accumulated on disposals", "money", width=1.75, total=True),
    Column("Adjustments", "money", width=1.05, total=True),
    Column("Ending accumulated", "money", width=1.45, total=True),
    Column("Net book value", "money", width=1.2, total=True),
]


def _roll(ye: YearEnd) -> Section:
    rows = [(r.category, r.life_years, r.beginning, r.additions, r.disposals, r.adjustments,
             r.ending, r.ad_ending, r.net_book_value, r.items) for r in ye.roll]
    ad_rows = [(r.category, r.ad_beginning, r.ad_depreciation, r.ad_disposals, r.ad_adjustments,
                r.ad_ending, r.net_book_value) for r in ye.roll]
    before = ye.first - dt.timedelta(days=1)
    return Section(
        "Capital assets", "Capital assets roll-forward", landscape=True,
        intro=(f"Items costing {_money_text(ye.capital_threshold)} or more. Beginning balance: held on "
               f"{day(before)}, the previous year's ending balance; additions: acquired during the "
               f"year; disposals: disposed of during the year; adjustments: costs corrected, items "
               f"moved between categories or across the threshold during the year; ending balance: "
               f"held on {day(ye.as_of)}. Accumulated depreciation is straight line over the "
               "category's life from the in-service date (else the purchase date), the first month "
               "counted in full, no salvage value; it rolls forward the same way, disposals "
               "carrying their depreciation to the disposal date. Dates are the days changes took "
               "effect, whenever they were entered."),
        figures=[("Beginning balance", ye.roll_total("beginning")),
                 ("Additions", ye.roll_total("additions")),
                 ("Disposals", ye.roll_total("disposals")),
                 ("Adjustments", ye.roll_total("adjustments")),
                 ("Ending balance", ye.roll_total("ending")),
                 ("Accumulated depreciation", ye.roll_total("ad_ending")),
                 ("Net book value", ye.roll_total("ending") - ye.roll_total("ad_ending"))],
        tables=[Table(ROLL_COLUMNS, rows, title="Cost", empty_text="No capital assets."),
                Table(DEPRECIATION_ROLL_COLUMNS, ad_rows, title="Accumulated depreciation",
                      empty_text="No capital assets.")])


REGISTER_COLUMNS = [
    Column("Tag", width=0.85), Column("Description", width=1.7), Column("Serial", width=1.0),
    Column("Category", width=1.1), Column("Acquired", "date", width=0.8),
    Column("Cost", "money", width=0.9, total=True), Column("Site", width=1.4),
    Column("Room", width=1.0), Column("Custodian", width=1.15), Column("Condition", width=0.75),
    Column("Funding", width=1.2), Column("Status", width=0.9),
]


def _register(ye: YearEnd) -> Section:
    def rows() -> Iterator[tuple[Any, ...]]:
        for i in ye.register:
            yield (i.tag, i.description, i.serial, i.category, i.acquired, i.cost, i.site, i.room,
                   i.holder, i.condition, i.funding, i.status)
    return Section(
        "Register", "Equipment register", landscape=True,
        intro=(f"Every item held on {day(ye.as_of)} costing {_money_text(ye.inventory_threshold)} or "
               "more, by site and room, with who had it checked out (custodian) and its last "
               "recorded condition."),
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
               f"{day(ye.first)} to {day(ye.as_of)}, including any disposed of within the year."),
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
               f"{day(ye.first)} to {day(ye.as_of)}."),
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
             i.last_audit if i.last_audit and i.last_audit <= ye.as_of else None, i.cost)
            for i in ye.unverified]
    missing = sum(1 for i in ye.unverified if i.status == ASSET_STATUSES["missing"])
    return Section(
        "Not verified", "Missing or not verified this year", landscape=True,
        intro=("Register items marked missing, or with no audit or stocktake scan between "
               f"{day(ye.first)} and {day(ye.as_of)}."),
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


def _federal(ye: YearEnd) -> Section:
    cols = [Column("Source", width=1.5), Column("Award / FAIN", width=1.2),
            Column("Federal share", "percent", width=1.05), Column("Tag", width=0.85),
            Column("Description", width=1.7), Column("Serial", width=1.0),
            Column("Acquired", "date", width=0.8), Column("Cost", "money", width=0.9, total=True),
            Column("Site / room", width=1.6), Column("Condition", width=0.8),
            Column("Disposed", "date", width=0.8), Column("Proceeds", "money", width=0.85)]
    rows = [(i.funding_source, i.award_id, i.federal_share / 100 if i.federal_share is not None
             else None, i.tag, i.description, i.serial, i.acquired, i.cost, _place(i),
             i.condition, i.disposed, i.proceeds) for i in ye.federal]
    return Section(
        "Federal awards", "Equipment bought with federal awards", landscape=True,
        intro=("Register items funded by a grant, held at year end or disposed of during the "
               "year, with the records 2 CFR 200.313(d)(1) asks for: the source of funding and "
               "its federal award identification number (FAIN), the federal share of the cost, "
               "acquisition date and cost, location, condition and disposal."),
        figures=[("Items", len(ye.federal)), ("Cost", sum((i.cost for i in ye.federal), ZERO)),
                 ("Awards", len({i.award_id for i in ye.federal if i.award_id}))],
        tables=[Table(cols, rows, empty_text="No grant-funded equipment.")])


FIELD_NAMES = {"status": "Status", "cost": "Cost", "site": "Site", "location": "Room",
               "model": "Model", "purchase_date": "Purchase date",
               "in_service_date": "In-service date", "disposal_date": "Disposal date",
               "disposal_method": "Disposal method", "disposal_proceeds": "Proceeds",
               "funding_type": "Funding", "funding_name": "Funding source",
               "federal_award_id": "Award / FAIN", "federal_share": "Federal share",
               "erate_frn": "E-Rate FRN", "erate_funding_year": "E-Rate funding year",
               "holder": "Custodian"}


def _prior_period(ye: YearEnd) -> Section:
    cols = [Column("Fiscal year", width=0.9), Column("Tag", width=0.9),
            Column("Change", width=1.2), Column("From", width=1.4), Column("To", width=1.4),
            Column("Effective", "date", width=0.85), Column("Entered", "datetime", width=1.25),
            Column("By", width=1.0), Column("Report produced", "date", width=0.95)]

    def shown(field: str, value: str | None) -> str:
        if value and field == "status":
            return ASSET_STATUSES.get(value, value)
        if value and field == "disposal_method":
            return DISPOSAL_METHODS.get(value, value)
        if value and field == "funding_type":
            return FUNDING_TYPES.get(value, value)
        if value and field == "federal_share":
            return f"{value} %"
        return value or ""

    rows = [(c["label"], c["tag"], FIELD_NAMES.get(c["field"] or "", c["field"] or ""),
             shown(c["field"] or "", c["old"]), shown(c["field"] or "", c["new"]),
             _as_date(c["effective"]),
             _local_time(c["entered"]), c["who"] or "", local_date(_as_time(c["produced"])))
            for c in ye.prior_period]
    years = sorted({c["label"] for c in ye.prior_period})
    return Section(
        "Prior-period changes", "Prior-period changes", landscape=True,
        intro=("Changes entered after an earlier fiscal year's year-end report was produced that "
               "take effect inside that year, so that report did not include them: what changed, "
               "from and to what, the day it took effect, when it was entered and by whom. The "
               "beginning balances of this report include them."),
        figures=[("Changes", len(rows)), ("Fiscal years affected", ", ".join(years) or "none")],
        tables=[Table(cols, rows, empty_text="No prior-period changes.")])


def _as_date(v: Any) -> dt.date | None:
    return v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])


def _as_time(v: Any) -> dt.datetime | None:
    return v if v is None or isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))


def _local_time(v: Any) -> dt.datetime | None:
    """A stored (naive UTC) timestamp as local wall-clock time, to the minute."""
    at = _as_time(v)
    if at is None:
        return None
    return at.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None, second=0,
                                                                   microsecond=0)


def provisional_text(ye: YearEnd) -> str | None:
    """"Provisional, as of today (…)" while the fiscal year has not ended."""
    if not ye.provisional:
        return None
    return f"Provisional, as of today ({day(ye.as_of)})"


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    fy, site = year_and_site(params)
    ye = compute(fy, site.id if site else None, site.name if site else None, progress)
    label = fiscal_year_label(fy)
    span = f"{day(ye.first)} – {day(ye.last)}"
    user = current_user()
    status = provisional_text(ye)
    cover = Cover(
        "Year-end inventory report",
        subtitle=label + (" — PROVISIONAL" if status else ""),
        lines=[("Fiscal year", span), ("Site", site.name if site else "All sites"),
               *([("Status", status)] if status else []),
               ("Values as of", day(ye.as_of)),
               ("Capitalization threshold", _money_text(ye.capital_threshold)),
               ("Inventory threshold", _money_text(ye.inventory_threshold)),
               ("Items held", plural(ye.held_count, "item")),
               ("Prior-period changes", str(len(ye.prior_period)))],
        signatures=["Prepared by", "Reviewed by (Business Office)"])
    sections = [_summary(ye), _roll(ye), _register(ye), _additions(ye), _disposals(ye),
                _unverified(ye), _erate(ye), _federal(ye), _prior_period(ye)]
    if progress:
        progress(3, 4, "Writing")
    if not site:  # what the business office receives: later back-dated changes are prior-period
        periods.record_year_end(fy, provisional=ye.provisional)
    doc = ReportDocument(
        title=f"Year-end inventory {label}", organisation=organisation(), sections=sections,
        cover=cover, subtitle=(site.name + " · " if site else "") + span
        + (" · provisional" if status else ""), generated_by=user, csv_table=(2, 0))
    doc.notice = status and f"{status}: the fiscal year ends {day(ye.last)}"
    return doc


SPEC = ReportSpec(
    name="year-end", title="Year-end inventory",
    description="For the business office: holdings by site and category as of the fiscal-year end, "
                "the capital assets roll-forward with depreciation, the equipment register, "
                "additions, disposals, items not verified and the E-Rate register.",
    params=("fiscal_year", "site"), formats=("pdf", "xlsx", "csv"), build=build, order=5)
