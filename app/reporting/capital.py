"""Capital assets across one fiscal year: the single selection the year-end
report's roll-forward and the depreciation schedule both use, so they list the
same assets with the same figures.

An asset is *held* on a day when, in the register as it stood that day
(``app.reporting.asof``, by effective date), it had been acquired — purchase
date, else in-service date, else the day its record was created (not known to
be owned if the record was created later and carries neither date) — and not
disposed of. It is a *capital asset* on that day when held there at a cost at
or above the capitalization threshold. Not yet in service is still capital;
it simply has no depreciation yet.

The year is rolled forward per asset between the two ends of the year — the
day before it starts (B) and its last day (E) — so the next year's beginning
is this year's ending by construction, whatever was entered late:

- beginning: capital on B, at its cost and category on B;
- additions: acquired during the year and capital on E (held, or disposed of
  within the year), at its cost on E;
- disposals: disposed of during the year, capital by its cost on E;
- ending: capital on E;
- adjustments: what is left — a cost corrected during the year, an asset
  moved to another category or site, an asset crossing the threshold.

Accumulated depreciation rolls the same way (GASB 34): beginning on B (the
parameters on B), depreciation for the year (the parameters on E, from B to E
or to the disposal date), accumulated depreciation of disposals (to the
disposal date), adjustments (the beginning restated by a corrected cost, life
or in-service date), ending on E. Each asset satisfies beginning + additions −
disposals + adjustments = ending exactly, so every category does too.
Straight line per ``app.reporting.fiscal.straight_line``; an asset with no
category depreciates over ``DEFAULT_LIFE`` years.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from collections.abc import Callable, Iterator

from app.models.places import Category, HardwareModel, Location, Site
from app.reporting import ReportParams
from app.reporting._ops import find_site, local_date
from app.reporting.asof import COL, Row, states_as_of, tuples
from app.reporting.fiscal import (fiscal_year_bounds, fiscal_year_label,
                                  last_completed_fiscal_year, straight_line)
from app.services.errors import ValidationError

ZERO = Decimal("0.00")
DEFAULT_LIFE = 5  # years, for an asset with no category
NO_CATEGORY = "(no category)"

Progress = Callable[[int, int, str], None]  # (done, of, what): a report's progress callback

I_ID, I_TAG, I_NAME, I_MODEL, I_STATUS, I_SITE = (
    COL["id"], COL["tag"], COL["name"], COL["model_id"], COL["status"], COL["site_id"])
I_BOUGHT, I_COST, I_INSERV, I_DDATE, I_CREATED = (
    COL["purchase_date"], COL["cost"], COL["in_service_date"], COL["disposal_date"],
    COL["created_at"])


@dataclass
class Lookups:
    models: dict[int, tuple[str, tuple[str, int]]]  # model id → (name, (category, life years))
    sites: dict[int, str]  # site id → name
    rooms: dict[int, str]  # room id → name

    def category(self, model_id: int | None) -> tuple[str, str, int]:
        """(model name, category name, life years) of a model id (None: no model)."""
        name, (cat, life) = self.models.get(model_id or 0, ("", (NO_CATEGORY, DEFAULT_LIFE)))
        return name, cat, life


def lookups() -> Lookups:
    cats: dict[int, tuple[str, int]] = {
        i: (n, life) for i, n, life in
        tuples(Category.select(Category.id, Category.name, Category.life_years))}
    models = {}
    for i, name, cat_id in tuples(HardwareModel.select(HardwareModel.id, HardwareModel.name,
                                                        HardwareModel.category)):
        models[i] = (name, cats.get(cat_id, (NO_CATEGORY, DEFAULT_LIFE)))
    return Lookups(models, {i: n for i, n in tuples(Site.select(Site.id, Site.name))},
                   {i: n for i, n in tuples(Location.select(Location.id, Location.name))})


def year_and_site(params: ReportParams, today: dt.date | None = None) -> tuple[int, Site | None]:
    """The fiscal year (by default the last completed one) and the site (None:
    all sites) a report of the capital assets' year is asked for. A year not
    begun yet has nothing to report and is refused."""
    fy = params.fiscal_year or last_completed_fiscal_year()
    if not 1950 <= int(fy) <= 2200:
        raise ValidationError("The fiscal year is a year such as 2026.", field="fiscal_year")
    fy = int(fy)
    if fiscal_year_bounds(fy)[0] > (today or dt.date.today()):
        raise ValidationError(f"{fiscal_year_label(fy)} has not begun yet: there is nothing to "
                              "report.", field="fiscal_year")
    return fy, find_site(params.site)


def describe(name: str | None, model_name: str | None) -> str:
    """"Main switch (Catalyst 9300)": the asset's name with its model, or either."""
    text = name or model_name or ""
    if name and model_name and model_name not in name:
        text = f"{name} ({model_name})"
    return text


def acquired_on(r: Row) -> dt.date | None:
    """When the district came to own the asset, as the row states it."""
    day: dt.date | None = r[I_BOUGHT] or r[I_INSERV]
    if day is None and r[I_CREATED] is not None and not r[-1]:
        day = local_date(r[I_CREATED])
    return day


def disposed_on(r: Row, acquired: dt.date | None, day: dt.date) -> dt.date | None:
    """The disposal date if the row is disposed of by ``day`` (a disposal dated
    before acquisition, bad data, counts on the day of acquisition)."""
    if r[I_STATUS] != "disposed":
        return None
    when: dt.date = max(r[I_DDATE] or dt.date.min, acquired or dt.date.min)
    return when if when <= day else None


def held_on(r: Row, day: dt.date) -> bool:
    acquired = acquired_on(r)
    return acquired is not None and acquired <= day and disposed_on(r, acquired, day) is None


@dataclass
class CapitalLine:
    """One asset's part in the year's roll-forward (values in cents)."""
    id: int
    tag: str
    description: str
    site: str
    category: str  # on E
    life: int
    cost: Decimal  # on E
    start: dt.date | None  # depreciation starts: in service, else acquired
    acquired: dt.date | None
    held_at_end: bool  # capital on E
    disposed: dt.date | None  # disposed of during the year, capital by its cost on E
    added: bool
    begin_category: str | None  # None: not capital on B
    begin_life: int = 0
    begin_cost: Decimal = ZERO
    begin_accumulated: Decimal = ZERO
    annual: Decimal = ZERO
    restated_beginning: Decimal = ZERO  # accumulated on B with E's cost, life and start
    accumulated: Decimal = ZERO  # on E, or on the disposal date

    @property
    def depreciation(self) -> Decimal:
        """Depreciation for the year (to the disposal date for a disposal)."""
        return self.accumulated - self.restated_beginning

    @property
    def net_book_value(self) -> Decimal:
        return self.cost - self.accumulated if self.held_at_end else ZERO


@dataclass
class CategoryRoll:
    category: str
    life_years: int
    beginning: Decimal = ZERO
    additions: Decimal = ZERO
    disposals: Decimal = ZERO
    adjustments: Decimal = ZERO
    ending: Decimal = ZERO
    ad_beginning: Decimal = ZERO
    ad_depreciation: Decimal = ZERO
    ad_disposals: Decimal = ZERO
    ad_adjustments: Decimal = ZERO
    ad_ending: Decimal = ZERO
    items: int = 0  # capital assets held at the end
    lines: list[CapitalLine] = field(default_factory=list, repr=False)

    @property
    def accumulated(self) -> Decimal:
        """Accumulated depreciation at the end of the year."""
        return self.ad_ending

    @property
    def net_book_value(self) -> Decimal:
        return self.ending - self.ad_ending

    def balances(self) -> bool:
        return (self.beginning + self.additions - self.disposals + self.adjustments == self.ending
                and self.ad_beginning + self.ad_depreciation - self.ad_disposals
                + self.ad_adjustments == self.ad_ending)


class CapitalYear:
    """The capital assets of the year from ``first`` to ``last``, fed one asset
    at a time (its row on the day before ``first`` and its row on ``last``,
    from ``app.reporting.asof.states_as_of``): one line per asset capital on
    B, capital on E or disposed of within the year as capital, and the
    roll-forward per category. Nothing but the capital lines is kept."""

    def __init__(self, first: dt.date, last: dt.date, threshold: Decimal,
                 site_id: int | None, look: Lookups):
        self.first, self.last, self.threshold = first, last, threshold
        self.before = first - dt.timedelta(days=1)
        self.site_id, self.look = site_id, look
        self.lines: list[CapitalLine] = []
        self.rolls: dict[str, CategoryRoll] = {}

    def rows(self, holders: bool = False, listed_from: Decimal | None = None) -> Iterator[Row]:
        """Every asset as it stood on E, in id order (``states_as_of``, with
        its ``holders``), each added to the year (with its row on B) before it
        is passed on. Only the rows that may cost ``listed_from`` (default: the
        capitalization threshold) are read whole (see ``states_as_of``)."""
        listed_from = self.threshold if listed_from is None else min(listed_from, self.threshold)
        threshold = self.threshold
        for rb, r in states_as_of((self.before, self.last), holders, listed_from):
            if rb is r:  # the same row on both days: most assets, and most below the threshold
                cost = r[I_COST]
                if (cost if cost is not None else ZERO) < threshold:
                    yield r  # capital on neither day: ``add`` would do nothing
                    continue
            self.add(rb, r)
            yield r

    def read(self) -> CapitalYear:
        """Add every asset (``rows`` with nothing else to do per asset)."""
        for _ in self.rows():
            pass
        return self

    def begin_row(self, r: Row) -> bool:
        """Whether ``r`` (a row on B) was a capital asset on B."""
        cost = r[I_COST] if r[I_COST] is not None else ZERO
        return (cost >= self.threshold
                and (self.site_id is None or r[I_SITE] == self.site_id)
                and held_on(r, self.before))

    def add(self, rb: Row | None, r: Row | None) -> None:
        """One asset: ``rb`` its row on B (None: not in the register then, or
        not capital), ``r`` its row on E (None: no longer in the register)."""
        if rb is not None and not self.begin_row(rb):
            rb = None
        if r is None:
            if rb is not None:
                self._gone(rb)
            return
        cost = r[I_COST] if r[I_COST] is not None else ZERO
        here = self.site_id is None or r[I_SITE] == self.site_id
        if rb is None and not (here and cost >= self.threshold):
            return  # most assets: below the threshold on both days
        first, last, look = self.first, self.last, self.look
        acquired = acquired_on(r)
        capital = here and cost >= self.threshold and acquired is not None and acquired <= last
        if not (capital or rb is not None):
            return
        held = capital and disposed_on(r, acquired, last) is None
        gone = disposed_on(r, acquired, last) if capital else None
        if gone is not None and gone < first:
            gone, capital = None, False  # disposed of before the year: not in it
        if not (held or gone or rb is not None):
            return
        model_name, cat, life = look.category(r[I_MODEL])
        start = r[I_INSERV] or acquired
        line = CapitalLine(r[I_ID], r[I_TAG], describe(r[I_NAME], model_name),
                           look.sites.get(r[I_SITE], ""), cat, life, cost, start, acquired,
                           held, gone, bool((held or gone) and acquired and acquired >= first),
                           None)
        if rb is not None:
            _begin(line, rb, self.before, look)
        if held or gone:
            annual, line.accumulated, _ = straight_line(cost, start, life, gone or last)
            line.annual = annual
            line.restated_beginning = straight_line(cost, start, life, self.before)[1]
        self.lines.append(line)
        _post(line, self._roll)

    def _gone(self, r: Row) -> None:
        """Capital on B, no longer in the register at all."""
        model_name, cat, life = self.look.category(r[I_MODEL])
        line = CapitalLine(r[I_ID], r[I_TAG], describe(r[I_NAME], model_name),
                           self.look.sites.get(r[I_SITE], ""), cat, life, ZERO, None, None,
                           False, None, False, None)
        _begin(line, r, self.before, self.look)
        self.lines.append(line)
        _post(line, self._roll)

    def _roll(self, cat: str, life: int) -> CategoryRoll:
        got = self.rolls.get(cat)
        if got is None:
            got = self.rolls[cat] = CategoryRoll(cat, life)
        return got


def _begin(line: CapitalLine, r: Row, before: dt.date, look: Lookups) -> None:
    _, cat, life = look.category(r[I_MODEL])
    cost = r[I_COST] if r[I_COST] is not None else ZERO
    line.begin_category = cat
    line.begin_cost = cost
    line.begin_accumulated = straight_line(cost, r[I_INSERV] or acquired_on(r), life, before)[1]
    line.begin_life = life


def _post(line: CapitalLine, roll: Callable[[str, int], CategoryRoll]) -> None:
    """Add one asset to its categories' roll-forward."""
    if line.begin_category is not None:
        rb = roll(line.begin_category, line.begin_life)
        rb.beginning += line.begin_cost
        rb.ad_beginning += line.begin_accumulated
        rb.adjustments -= line.begin_cost
        rb.ad_adjustments -= line.begin_accumulated
    if not (line.held_at_end or line.disposed):
        return
    re = roll(line.category, line.life)
    re.lines.append(line)
    re.adjustments += line.cost - (line.cost if line.added else ZERO)
    if line.added:
        re.additions += line.cost
    re.ad_depreciation += line.depreciation
    re.ad_adjustments += line.restated_beginning
    if line.held_at_end:
        re.ending += line.cost
        re.ad_ending += line.accumulated
        re.items += 1
    else:
        re.disposals += line.cost
        re.ad_disposals += line.accumulated
