"""Stocktake scanning at district scale: from a scan to its verdict.

On the 100,000-asset demo, a session over the largest site; then a walk
through its rooms — room label, the room's assets, some from other rooms and
other sites, unknown tags and repeats — timed two ways:

* service: ``stocktake.record_scan`` (its own transaction, commit included);
* desktop: the Stocktake page's ``handle_scan`` until the verdict, room
  progress, scan list and status overlay are painted (offscreen).

Also: starting the session (the snapshot), status, close (reconciliation).

    .venv/bin/python bench/scan.py [--assets 100000] [--scans 3000]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import Timer, demo_db, summary  # noqa: E402


def walk(site_id: int, rng: random.Random, scans: int) -> list[str]:
    """Codes as a technician would scan them, room after room."""
    from app.models import Asset, Location
    rooms = list(Location.select(Location.id, Location.barcode).where(Location.site == site_id).tuples())
    by_room = defaultdict(list)
    for _aid, tag, loc in Asset.select(Asset.id, Asset.tag, Asset.location).where(
            Asset.site == site_id).tuples():
        by_room[loc].append(tag)
    elsewhere = [t for (t,) in Asset.select(Asset.tag).where(Asset.site != site_id).limit(500).tuples()]
    codes: list[str] = []
    rng.shuffle(rooms)
    while len(codes) < scans:
        for loc, label in rooms:
            codes.append(label)
            tags = list(by_room.get(loc, []))
            rng.shuffle(tags)
            for tag in tags[: int(len(tags) * 0.9)]:
                codes.append(tag)
                r = rng.random()
                if r < 0.03:
                    codes.append(tag)  # scanned twice
                elif r < 0.06:
                    other = rng.choice(rooms)[0]
                    if by_room.get(other):
                        codes.append(rng.choice(by_room[other]))  # misplaced
                elif r < 0.07 and elsewhere:
                    codes.append(rng.choice(elsewhere))  # other site
                elif r < 0.08:
                    codes.append(f"XX-{rng.randint(1, 10**6):07d}")  # unknown
            if len(codes) >= scans:
                break
    return codes[:scans]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--scans", type=int, default=3000)
    ap.add_argument("--gui-scans", type=int, default=1000)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    path = demo_db(args.assets, fresh_copy=True)
    from app.models import Asset, Site
    from app.services import stocktake
    from app.store.db import open_database
    open_database(path)
    import peewee as pw
    site_id, site_assets = (Asset.select(Asset.site, pw.fn.COUNT(Asset.id))
                            .group_by(Asset.site).order_by(pw.fn.COUNT(Asset.id).desc())
                            .tuples().first())
    site = Site.get_by_id(site_id)
    print(f"database: {Asset.select().count():,} assets; session over {site.name} "
          f"({site_assets:,} assets)")

    with Timer() as t:
        session = stocktake.start(site_id=site_id, name="bench")
    print(f"start (snapshot of {stocktake.status(session.id)['expected']:,} expected): "
          f"{t.seconds * 1000:.0f} ms")

    rng = random.Random(7)
    codes = walk(site_id, rng, args.scans + args.gui_scans)
    svc_codes, gui_codes = codes[:args.scans], codes[args.scans:]
    times = defaultdict(list)
    everything = []
    for code in svc_codes:
        t0 = time.perf_counter()
        v = stocktake.record_scan(session.id, code, workstation="bench")
        dt_ = time.perf_counter() - t0
        times[v.verdict].append(dt_)
        everything.append(dt_)
    print(summary("service scan → verdict", everything, "p99 ≤ 50 ms"))
    for verdict, samples in sorted(times.items()):
        print("  " + summary(verdict, samples))

    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication.instance() or QApplication([])
    from ui.pages.stocktake import Page
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    win.resize(1360, 860)
    win.show()
    page.open_session(session.id)
    from ui.jobs import wait_for_jobs
    wait_for_jobs()
    for _ in range(20):
        app.processEvents()
    page._status_timer.setInterval(10**8)  # measure the scan path, not the periodic recount
    gui = []
    for code in gui_codes:
        t0 = time.perf_counter()
        page.handle_scan(code)
        page.verdict.repaint()
        win.repaint()
        app.processEvents()
        gui.append(time.perf_counter() - t0)
    print(summary("desktop scan → verdict shown", gui, "p99 ≤ 50 ms"))

    with Timer() as t:
        st = stocktake.status(session.id)
    print(f"status ({len(st['rooms'])} rooms): {t.seconds * 1000:.0f} ms")
    with Timer() as t:
        rec = stocktake.close(session.id)
    c = rec.counts
    print(f"close + reconciliation ({len(rec.lines):,} lines: {c['verified']:,} verified, "
          f"{c['missing']:,} missing, {c['misplaced']:,} misplaced, {c['unknown']:,} unknown): "
          f"{t.seconds * 1000:.0f} ms")
    from reports.stocktake import write_report
    for ext in ("csv", "pdf"):
        with Timer() as t:
            write_report(rec, path.parent / f"stocktake-bench.{ext}")
        print(f"report {ext.upper()}: {t.seconds * 1000:.0f} ms")
    with Timer() as t:
        result = stocktake.apply(session.id, ["move-misplaced", "mark-missing"])
    print(f"apply ({result.summary()}): {t.seconds:.1f} s")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
