"""`quartermaster demo`: fill an empty database with a realistic district."""
from __future__ import annotations

import argparse
import sys
import time

from app.cli import Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("demo", help="fill an empty database with a realistic demo district",
                       description="Sites and rooms, staff, students and families, eight years of "
                                   "purchases (E-Rate network gear, grant Chromebooks), loans (some "
                                   "overdue), repairs, licenses, supplies and history. Same seed, "
                                   "same data.")
    p.add_argument("--assets", type=int, default=2000, help="number of assets (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.demo import build_demo
    t0 = time.perf_counter()
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, text: str) -> None:
        if tty:
            print(f"\r{text:<20} {done}/{total}", end="", file=sys.stderr, flush=True)

    counts = build_demo(assets=args.assets, seed=args.seed, progress=progress)
    if tty:
        print(file=sys.stderr)
    from app.wording import count
    summary = ", ".join(count(v, k.replace("_", " ")) for k, v in counts.items())
    print(f"demo data: {summary} ({time.perf_counter() - t0:.1f} s)")
    return 0
