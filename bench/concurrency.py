"""Two (or more) processes writing one SQLite file at once, through the services.

Each process loops over mixed writes for the given time: create an asset,
edit a shared asset (both processes edit the same 20), check one of its own
assets out and back in, receive and issue stock of the one shared supply item.
Reported: operations completed, errors (anything but a success: the target
is 0 — a busy database must be waited for, never refused), and how long
BEGIN IMMEDIATE waited for the other process's write lock (p50/p99/max).
Afterwards `quartermaster check` rules must pass (stock on hand equals its
movements even though both processes moved it).

    .venv/bin/python bench/concurrency.py [--seconds 60] [--procs 2] [--db FILE]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup(path: Path, procs: int) -> dict:
    from app.services import assets, catalog, people, stock
    from app.store.db import close_database, open_database
    open_database(path)
    site = catalog.create_site("Bench High School", code="BHS")
    room = catalog.create_location(site.id, "Room 1")
    shared = [assets.create({"name": f"Shared {i}", "location_id": room.id, "cost": "100.00"}).id
              for i in range(20)]
    borrowers = [people.create(first_name="Bench", last_name=f"Worker {i}", kind="staff").id
                 for i in range(procs)]
    supply = stock.create(name="Toner", barcode="BENCH-TONER", unit="each")
    stock.receive(supply.id, 1000)
    close_database()
    return {"room": room.id, "shared": shared, "borrowers": borrowers, "supply": supply.id}


def worker(path: str, seconds: float, index: int, plan: dict, out) -> None:
    """One process's loop; puts a result dict on ``out`` (also when it fails)."""
    try:
        _work(path, seconds, index, plan, out)
    except BaseException as exc:  # noqa: BLE001 - the parent must hear of it, not hang
        out.put({"index": index, "ops": 0, "errors": [f"worker failed: {exc!r}"], "waits": [],
                 "latencies": []})


def _work(path: str, seconds: float, index: int, plan: dict, out) -> None:
    from app.services import assets, stock
    from app.services.errors import DomainError
    from app.store import db as store_db
    from app.store.db import open_database

    waits: list[float] = []
    original = store_db.QMSqliteDatabase.begin

    def timed_begin(self, lock_type=None):
        t = time.perf_counter()
        original(self, lock_type)
        waits.append(time.perf_counter() - t)

    store_db.QMSqliteDatabase.begin = timed_begin
    open_database(path)
    ops, errors, latencies = 0, [], []
    mine = [assets.create({"name": f"P{index} loaner {i}", "location_id": plan["room"]}).id
            for i in range(3)]
    person = plan["borrowers"][index]
    shared = plan["shared"]
    del waits[:]  # count the loop only, not start-up
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
        steps = (
            lambda: assets.create({"name": f"P{index} new {n}", "location_id": plan["room"],
                                   "cost": "12.34"}),
            lambda: assets.update(shared[n % len(shared)], {"notes": f"edited by {index} #{n}"}),
            lambda: assets.check_out(mine[n % 3], person_id=person),
            lambda: assets.check_in(mine[n % 3]),
            lambda: stock.receive(plan["supply"], 2),
            lambda: stock.issue(plan["supply"], 1, person_id=person),
        )
        for step in steps:
            t = time.perf_counter()
            try:
                step()
                ops += 1
            except DomainError as exc:
                errors.append(f"{exc.__class__.__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001 - counted and shown, that is the point
                errors.append(f"{exc.__class__.__name__}: {exc}")
            latencies.append(time.perf_counter() - t)
    out.put({"index": index, "ops": ops, "errors": errors, "waits": waits,
             "latencies": latencies})


def run(path: Path, seconds: float = 60, procs: int = 2) -> dict:
    plan = setup(path, procs)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    children = [ctx.Process(target=worker, args=(str(path), seconds, i, plan, out))
                for i in range(procs)]
    for c in children:
        c.start()
    results = [out.get(timeout=seconds + 120) for _ in children]
    for c in children:
        c.join(timeout=30)
    from app.check import run_checks
    from app.store.db import close_database, open_database
    open_database(path)
    problems = run_checks()
    close_database()
    waits = [w for r in results for w in r["waits"]]
    lat = [x for r in results for x in r["latencies"]]
    return {"ops": sum(r["ops"] for r in results), "per_process": [r["ops"] for r in results],
            "errors": [e for r in results for e in r["errors"]], "waits": waits,
            "latencies": lat, "problems": problems, "seconds": seconds, "procs": procs}


def main() -> int:
    from bench._common import pct
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--db", help="SQLite file to use (default: a new temporary file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qm-bench-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "concurrency.sqlite"
        r = run(path, args.seconds, args.procs)
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    print(f"{r['procs']} processes, {r['seconds']:g} s of mixed writes on one SQLite file")
    print(f"operations completed: {r['ops']:,} ({' + '.join(f'{n:,}' for n in r['per_process'])}),"
          f" {r['ops'] / r['seconds']:,.0f}/s")
    print(f"errors: {len(r['errors'])} (target 0)")
    for e in r["errors"][:5]:
        print(f"  {e}")
    print(f"wait for the write lock: p50 {ms(pct(r['waits'], 50))}, p99 {ms(pct(r['waits'], 99))}, "
          f"max {ms(max(r['waits'], default=0))} over {len(r['waits']):,} transactions")
    print(f"operation time: p50 {ms(pct(r['latencies'], 50))}, p99 {ms(pct(r['latencies'], 99))}")
    print("check: " + ("ok" if not r["problems"] else "; ".join(r["problems"][:5])))
    return 0 if not r["errors"] and not r["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
