"""Property: whatever is entered late, the year-end figures tie.

Hypothesis draws sequences of operations — purchases, disposals, moves, cost
corrections, reclassifications, retirements, check-outs and check-ins — each
with an effective date across three fiscal years and entered up to a year and
a half after it. They go through the services (a refused one, e.g. dated before
the purchase, is dropped, as a person would see it refused). Then for every
fiscal year and category:

- FY n ending = FY n+1 beginning, for cost and accumulated depreciation;
- beginning + additions − disposals ± adjustments = ending, for both;
- every figure equals a brute-force recomputation from the test's own list of
  the operations that were accepted (state by effective date: the latest-entered
  change effective by the day; straight line recomputed here);
- the depreciation schedule lists exactly the capital assets held at year end;
- the as-of register (cost, room, model, status, custodian) matches at both ends.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.reporting.asof import COL, assets_as_of
from app.reporting.depreciation import capital_lines
from app.reporting.fiscal import fiscal_year_bounds
from app.reporting.year_end import compute
from app.services import assets, catalog, history, people
from app.services.errors import DomainError

CAP = D("5000.00")
YEARS = (2025, 2026, 2027)
COSTS = [D("4000.00"), D("4999.99"), D("5000.00"), D("6200.50"), D("7495.00"), D("12000.01")]
LIVES = (3, 5, 7)
START = dt.date(2023, 1, 1)  # purchases from here (some before the first year)
SPAN = (dt.date(2027, 6, 30) - START).days


def _day(offset: int, lo: dt.date = START) -> dt.date:
    return min(lo + dt.timedelta(days=offset), dt.date(2027, 6, 30))


EFFECTIVE_SPAN = 1094


# --- brute force -------------------------------------------------------------------

def months(start, day):
    return 0 if day < start else (day.year - start.year) * 12 + day.month - start.month + 1


def accumulated(cost: D, start: dt.date, life: int, day: dt.date) -> D:
    m = months(start, day)
    if m >= life * 12:
        return cost
    return min(cost, (cost * m / (life * 12)).quantize(D("0.01"), ROUND_HALF_UP))


class Model:
    """The accepted operations, and the register rebuilt from them alone."""

    def __init__(self):
        self.assets = {}  # id → {"bought", "initial": {...}, "events": [(seq, eff, field, value)]}
        self.seq = 0

    def buy(self, asset_id, bought, cost, model, room):
        self.assets[asset_id] = {"bought": bought, "events": [], "initial": {
            "cost": cost, "model": model, "room": room, "status": "ready",
            "disposal_date": None, "holder": None}}

    def change(self, asset_id, eff, **fields):
        self.seq += 1
        for field, value in fields.items():
            self.assets[asset_id]["events"].append((self.seq, eff, field, value))

    def state(self, asset_id, day):
        a = self.assets[asset_id]
        out = dict(a["initial"])
        latest = {}
        for seq, eff, field, value in a["events"]:
            if eff <= day and (field not in latest or seq > latest[field][0]):
                latest[field] = (seq, value)
        out.update({f: v for f, (_, v) in latest.items()})
        return out

    def held(self, asset_id, day):
        s = self.state(asset_id, day)
        gone = s["status"] == "disposed" and s["disposal_date"] and s["disposal_date"] <= day
        return self.assets[asset_id]["bought"] <= day and not gone, s


def brute_year(m: Model, fy: int, category_of, life_of, today: dt.date):
    first, last = fiscal_year_bounds(fy)
    last = min(last, today)  # a year still running: as it stands today
    before = first - dt.timedelta(days=1)
    out = {}

    def cat(name):
        return out.setdefault(name, {k: D("0.00") for k in (
            "beginning", "additions", "disposals", "ending", "ad_beginning", "ad_depreciation",
            "ad_disposals", "ad_ending")})

    held_tags = set()
    for asset_id, a in m.assets.items():
        bought = a["bought"]
        held_b, sb = m.held(asset_id, before)
        if held_b and sb["cost"] >= CAP:
            c = cat(category_of[sb["model"]])
            c["beginning"] += sb["cost"]
            c["ad_beginning"] += accumulated(sb["cost"], bought, life_of[sb["model"]], before)
        held_e, se = m.held(asset_id, last)
        if bought > last or se["cost"] < CAP:
            continue
        gone = (not held_e and se["status"] == "disposed" and first <= se["disposal_date"] <= last)
        if not (held_e or gone):
            continue
        c = cat(category_of[se["model"]])
        life = life_of[se["model"]]
        end = last if held_e else se["disposal_date"]
        if bought >= first:
            c["additions"] += se["cost"]
        ad_end = accumulated(se["cost"], bought, life, end)
        c["ad_depreciation"] += ad_end - accumulated(se["cost"], bought, life, before)
        if held_e:
            held_tags.add(asset_id)
            c["ending"] += se["cost"]
            c["ad_ending"] += ad_end
        else:
            c["disposals"] += se["cost"]
            c["ad_disposals"] += ad_end
    return out, held_tags


# --- the property ------------------------------------------------------------------

lag = st.integers(0, 540)
op = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, SPAN), st.sampled_from(range(len(COSTS))),
              st.integers(0, 2), st.integers(0, 3), lag),
    st.tuples(st.just("dispose"), st.integers(0, 30), st.integers(0, 1094), lag),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 3), st.integers(0, 1094), lag),
    st.tuples(st.just("cost"), st.integers(0, 30), st.sampled_from(range(len(COSTS))),
              st.integers(0, 1094), lag),
    st.tuples(st.just("model"), st.integers(0, 30), st.integers(0, 2), st.integers(0, 1094), lag),
    st.tuples(st.just("retire"), st.integers(0, 30), st.integers(0, 1094), lag),
    st.tuples(st.just("out"), st.integers(0, 30), st.integers(0, 1), st.integers(0, 1094), lag),
    st.tuples(st.just("in"), st.integers(0, 30), st.integers(0, 1094), lag),
)


class Clock:
    def __init__(self, monkeypatch):
        self.now = dt.datetime(2022, 12, 1, 12)
        monkeypatch.setattr(history, "utcnow", lambda: self.now)
        monkeypatch.setattr(assets, "utcnow", lambda: self.now)

    def enter(self, eff: dt.date, lag_days: int):
        """Move the clock to when an operation effective ``eff`` is typed: ``lag_days``
        later, and never before the previous one (entries are in order)."""
        wanted = dt.datetime.combine(eff + dt.timedelta(days=lag_days), dt.time(12))
        self.now = max(self.now + dt.timedelta(hours=1), wanted)


def _fresh_database(folder: Path):
    from app.store.db import close_database, open_database
    close_database()
    return open_database(folder / "qm.sqlite")


@hsettings(max_examples=40, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=8, max_size=30))
def test_roll_forward_ties_whatever_is_entered_late(ops, monkeypatch):
    from app.store.db import close_database
    with tempfile.TemporaryDirectory() as folder:
        _fresh_database(Path(folder))
        try:
            _run(ops, monkeypatch)
        finally:
            close_database()


def _run(ops, monkeypatch):
    clock = Clock(monkeypatch)
    site_a = catalog.create_site("Riverside High School", code="RHS")
    site_b = catalog.create_site("Lincoln Middle School", code="LMS")
    rooms = [catalog.create_location(site_a.id, "MDF"), catalog.create_location(site_a.id, "IDF 1"),
             catalog.create_location(site_b.id, "MDF"), catalog.create_location(site_b.id, "Library")]
    models, category_of, life_of = [], {}, {}
    for n, life in enumerate(LIVES):
        cat = catalog.create_category(f"Category {n}", life_years=life)
        model = catalog.create_model(f"Model {n}", manufacturer="Cisco", category_id=cat.id)
        models.append(model.id)
        category_of[model.id], life_of[model.id] = cat.name, life
    staff = [people.create(first_name="Ann", last_name="Lee", id_number="E1"),
             people.create(first_name="Bo", last_name="Diaz", id_number="E2")]
    m = Model()
    owned: list[int] = []
    for o in ops:
        kind = o[0]
        try:
            if kind == "buy":
                _, offset, cost_i, model_i, room_i, late = o
                bought = _day(offset)
                clock.enter(bought, late)
                a = assets.create({"model_id": models[model_i],
                                   "location_id": rooms[room_i].id, "cost": COSTS[cost_i],
                                   "purchase_date": bought})
                owned.append(a.id)
                m.buy(a.id, bought, COSTS[cost_i], models[model_i], rooms[room_i].id)
                continue
            if not owned:
                continue
            asset_id = owned[o[1] % len(owned)]
            # Effective some days after its purchase (a few before it: refused).
            eff = _day(o[-2] - 20, m.assets[asset_id]["bought"])
            clock.enter(eff, o[-1])
            current = assets.get(asset_id)
            if kind == "dispose":
                assets.dispose(asset_id, "recycled", date=eff)
                m.change(asset_id, eff, status="disposed", disposal_date=eff)
            elif kind == "move":
                room = rooms[o[2]].id
                if room == current.location_id:
                    continue
                site = next(r.site_id for r in rooms if r.id == room)
                assets.update(asset_id, {"location_id": room, "site_id": site}, effective=eff)
                m.change(asset_id, eff, room=room)
            elif kind == "cost":
                cost = COSTS[o[2]]
                if cost == current.cost:
                    continue
                assets.update(asset_id, {"cost": cost}, effective=eff)
                m.change(asset_id, eff, cost=cost)
            elif kind == "model":
                model = models[o[2]]
                if model == current.model_id:
                    continue
                assets.update(asset_id, {"model_id": model}, effective=eff)
                m.change(asset_id, eff, model=model)
            elif kind == "retire":
                if current.status == "retired":
                    continue
                assets.retire(asset_id, effective=eff)
                m.change(asset_id, eff, status="retired")
            elif kind == "out":
                person = staff[o[2]]
                was = current.status
                assets.check_out(asset_id, person_id=person.id, effective=eff)
                fields = {"holder": person.full_name}
                if was != "deployed":
                    fields["status"] = "deployed"
                m.change(asset_id, eff, **fields)
            elif kind == "in":
                was = current.status
                assets.check_in(asset_id, effective=eff)
                fields = {"holder": None}
                if was != "ready":
                    fields["status"] = "ready"
                m.change(asset_id, eff, **fields)
        except DomainError:
            continue  # refused (dated before the purchase, already disposed, …): nothing written
    _check(m, category_of, life_of, history.today())


def _check(m: Model, category_of, life_of, today: dt.date):
    previous = None
    for fy in YEARS:
        first, last = fiscal_year_bounds(fy)
        if first > today:
            break  # not begun when the operations stop
        last = min(last, today)
        ye = compute(fy, today=today)
        assert ye.provisional == (last == today)
        expected, held = brute_year(m, fy, category_of, life_of, today)
        got = {r.category: r for r in ye.roll}
        for name in set(expected) | set(got):
            e, r = expected.get(name), got.get(name)
            assert r is not None and e is not None, (fy, name)
            for key, value in e.items():
                assert getattr(r, key) == value, (fy, name, key, getattr(r, key), value)
            assert r.adjustments == r.ending - r.beginning - r.additions + r.disposals
            assert r.beginning + r.additions - r.disposals + r.adjustments == r.ending
            assert (r.ad_beginning + r.ad_depreciation - r.ad_disposals + r.ad_adjustments
                    == r.ad_ending)
            assert r.net_book_value == r.ending - r.ad_ending
        if previous is not None:
            for name in set(previous) | set(got):
                end = previous.get(name)
                begin = got.get(name)
                assert (end.ending if end else 0) == (begin.beginning if begin else 0), (fy, name)
                assert (end.ad_ending if end else 0) == (begin.ad_beginning if begin else 0)
        previous = got
        lines = capital_lines(fy, CAP, None, today=today)
        assert {x.id for x in lines if x.held_at_end} == held
        assert sum(r.items for r in ye.roll) == len(held)
        for day in (first - dt.timedelta(days=1), last):
            for row in assets_as_of(day):
                s = m.state(row[COL["id"]], day)
                assert (row[COL["cost"]], row[COL["location_id"]], row[COL["model_id"]],
                        row[COL["status"]], row[COL["holder"]]) == \
                    (s["cost"], s["room"], s["model"], s["status"], s["holder"]), (day, row)


def test_brute_force_straight_line_matches_the_reports_rule():
    from app.reporting.fiscal import straight_line
    for cost in COSTS:
        for life in LIVES:
            for day in (dt.date(2024, 6, 30), dt.date(2026, 6, 30), dt.date(2031, 1, 1)):
                assert straight_line(cost, dt.date(2024, 2, 10), life, day)[1] == \
                    accumulated(cost, dt.date(2024, 2, 10), life, day)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
