"""Where `demo --assets N` spends its time: each step's wall and CPU seconds
(this process's, both threads), into a new SQLite file (or a PostgreSQL URL).

    python bench/demo_phases.py [--assets 100000] [--db PATH|URL] [--profile OUT.prof]

The file is deleted afterwards unless --keep; QM_BENCH_DIR says where it goes.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--db", help="a new SQLite file or an empty PostgreSQL database's URL")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file")
    ap.add_argument("--profile", help="write a cProfile of the build here")
    args = ap.parse_args()
    from app.demo import build_demo
    from app.store.db import close_database, open_database
    where = Path(os.environ.get("QM_BENCH_DIR") or tempfile.gettempdir())
    target = args.db or str(where / f"demo-phases-{args.assets}-{os.getpid()}.sqlite")
    t0, c0 = time.perf_counter(), time.process_time()
    last = [t0, c0, "open"]

    def progress(done: int, total: int, text: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        print(f"  {last[2]:<20} {t - last[0]:7.1f} s wall {c - last[1]:7.1f} s CPU", flush=True)
        last[:] = [t, c, text]

    open_database(target)
    if args.profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    counts = build_demo(assets=args.assets, progress=progress)
    if args.profile:
        prof.disable()
        prof.dump_stats(args.profile)
    close_database()
    t, c = time.perf_counter(), time.process_time()
    print(f"demo --assets {args.assets:,}: {t - t0:.1f} s wall, {c - c0:.1f} s CPU "
          f"({counts.get('assets', 0):,} assets)")
    if not args.db and not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
