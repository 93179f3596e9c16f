"""Three processes hammering the same records at once (issue 21).

Each process loops for a few seconds over check-out and check-in of the same
few assets, stocktake scans of them, seat assignment on a license with fewer
seats than computers, and issuing the last boxes of one supply item. Every
success a process reports is written down; afterwards ``check`` must be clean
and each reported success must be in the database exactly once (no second
open loan, no asset counted twice, no seat over what is owned, no stock
below zero, no duplicate history). Runs on SQLite and, with QM_TEST_PG_URL
(always in CI), on PostgreSQL, where READ COMMITTED used to let two
workstations both read "free".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from app.check import run_checks
from app.models import HistoryEntry, Loan, Seat, StockMove, StocktakeScan, Supply
from app.services import assets, licenses, stock, stocktake
from app.store.db import current_target
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]
PROCS = 3
SECONDS = float(os.environ.get("QM_CONTENTION_SECONDS", "4"))
SEATS_OWNED = 4
STOCK = 40

WORKER = textwrap.dedent("""
    import json, random, sys, time
    from app.store.db import open_database
    target, index, plan, start_at, seconds = (sys.argv[1], int(sys.argv[2]),
                                              json.loads(sys.argv[3]), float(sys.argv[4]),
                                              float(sys.argv[5]))
    open_database(target)
    from app.services import assets, licenses, stock, stocktake
    from app.services.errors import Conflict, NotFound
    rnd = random.Random(index)
    done = {"out": [], "in": [], "scan": [], "assign": [], "release": [], "issue": [],
            "refused": 0, "errors": []}
    station = f"station-{index}"
    time.sleep(max(0.0, start_at - time.time()))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        shared = rnd.choice(plan["shared"])
        step = rnd.randrange(6)
        try:
            if step == 0:
                loan = assets.check_out(shared, person_id=plan["people"][index])
                done["out"].append([shared, loan.id])
            elif step == 1:
                loan = assets.check_in(shared)
                done["in"].append([shared, loan.id if loan else None])
            elif step == 2:
                v = stocktake.record_scan(plan["session"], plan["tags"][str(shared)],
                                          workstation=station)
                done["scan"].append([shared, v.verdict, v.scan_id])
            elif step == 3:
                target_asset = rnd.choice(plan["seat_assets"])
                seat = licenses.assign(plan["license"], asset_id=target_asset)
                done["assign"].append([target_asset, seat.id])
            elif step == 4:
                target_asset = rnd.choice(plan["seat_assets"])
                licenses.release(plan["license"], asset_id=target_asset)
                done["release"].append(target_asset)
            else:
                move = stock.issue(plan["supply"], 1, person_id=plan["people"][index])
                done["issue"].append(move.id)
        except (Conflict, NotFound):
            done["refused"] += 1  # the readable refusal: someone else got there first
        except Exception as exc:  # noqa: BLE001 - any other failure is what the test looks for
            done["errors"].append(f"{type(exc).__name__}: {exc}")
    print(json.dumps(done))
""")


def test_three_processes_on_the_same_records_keep_every_rule(db):
    d = district()
    shared = [asset(d, name=f"Shared {i}").id for i in range(6)]
    seat_assets = [asset(d, name=f"Seat PC {i}").id for i in range(8)]
    people_ids = [d["staff"].id, d["student"].id, d["staff"].id]
    lic = licenses.create(product="Contended Suite", seats=SEATS_OWNED)
    item = stock.create(name="Last toner", barcode="CONTEND-1")
    stock.receive(item.id, STOCK)
    session = stocktake.start(site_id=d["site"].id)
    plan = {"shared": shared, "seat_assets": seat_assets, "people": people_ids,
            "license": lic.id, "supply": item.id, "session": session.id,
            "tags": {str(a): assets.get(a).tag for a in shared}}
    history_before = Counter(a for (a,) in HistoryEntry.select(HistoryEntry.action).tuples())

    start_at = time.time() + 3  # after every process has imported and connected
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, current_target(), str(i),
                               json.dumps(plan), str(start_at), str(SECONDS)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(PROCS)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=SECONDS + 120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert [e for r in results for e in r["errors"]] == []
    assert run_checks() == []
    outs = [tuple(x) for r in results for x in r["out"]]
    ins = [tuple(x) for r in results for x in r["in"]]
    scans = [tuple(x) for r in results for x in r["scan"]]
    assigns = [tuple(x) for r in results for x in r["assign"]]
    releases = [x for r in results for x in r["release"]]
    issues = [x for r in results for x in r["issue"]]
    print(f"\n{PROCS} processes x {SECONDS:g} s: {len(outs)} check-outs, {len(ins)} check-ins, "
          f"{len(scans)} scans, {len(assigns)} seat assignments, {len(releases)} releases, "
          f"{len(issues)} issues; {sum(r['refused'] for r in results)} refused")
    assert min(len(outs), len(ins), len(scans), len(assigns), len(issues)) > 0, results
    assert sum(r["refused"] for r in results) > 0  # they really did collide

    # Loans: every reported check-out is one loan row, and nothing else is.
    loans = {i: (a, ret) for i, a, ret in Loan.select(Loan.id, Loan.asset, Loan.returned_at).tuples()}
    assert sorted(i for _, i in outs) == sorted(loans)
    assert all(loans[i][0] == a for a, i in outs)
    # Every reported check-in closed a different loan; the loans still open were not checked in.
    returned = [i for _, i in ins if i is not None]
    assert len(returned) == len(set(returned))
    assert sorted(returned) == sorted(i for i, (_, ret) in loans.items() if ret is not None)
    still_out = Counter(a for a, ret in loans.values() if ret is None)
    assert all(n == 1 for n in still_out.values())
    # History: one check-out and one check-in entry per reported success (no duplicates).
    hist = Counter((a, f) for a, f in HistoryEntry.select(HistoryEntry.action, HistoryEntry.field)
                   .where(HistoryEntry.action.in_(("check_out", "check_in"))).tuples())
    assert hist[("check_out", "holder")] == len(outs)
    assert hist[("check_in", "holder")] == len(ins)

    # Stocktake: each reported scan is one row; each asset counted (verified) once at most.
    rows = {i: (a, v) for i, a, v in StocktakeScan.select(StocktakeScan.id, StocktakeScan.asset,
                                                          StocktakeScan.verdict).tuples()}
    assert sorted(s for _, _, s in scans) == sorted(rows)
    assert all(rows[s] == (a, v) for a, v, s in scans)
    verified = Counter(a for a, v in rows.values() if v == "verified")
    assert set(verified) <= set(shared) and all(n == 1 for n in verified.values())
    assert Counter(a for a, v, _ in scans if v == "verified") == verified
    status = stocktake.status(session.id)
    assert status["verified"] <= status["expected"]

    # Seats: never more than owned; reported assignments minus releases are the seats held.
    seats = list(Seat.select(Seat.id, Seat.asset).where(Seat.license == lic.id).tuples())
    assert len(seats) <= SEATS_OWNED
    assert len(assigns) - len(releases) == len(seats)
    assert {i for i, _ in seats} <= {i for _, i in assigns}

    # Stock: each reported issue is one movement; on hand never below zero.
    moves = [i for (i,) in StockMove.select(StockMove.id).where(
        (StockMove.supply == item.id) & (StockMove.kind == "issue")).tuples()]
    assert sorted(moves) == sorted(issues)
    on_hand = Supply.get_by_id(item.id).on_hand
    assert on_hand == STOCK - len(issues) >= 0
    assert history_before["issue"] == 0
