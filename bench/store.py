"""Store benchmarks at district scale: demo build, scanned-tag lookup through
the service layer, and search-box queries. Prints figures for the README.

    .venv/bin/python bench/store.py [--assets 100000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import OUT, Timer, summary  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=100_000)
    args = ap.parse_args()
    from app.demo import build_demo
    from app.store.db import close_database, open_database
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"store-bench-{args.assets}.sqlite"
    for p in OUT.glob(path.name + "*"):
        p.unlink()
    open_database(path)
    with Timer() as t:
        build_demo(assets=args.assets, seed=1)
    print(f"demo build, {args.assets:,} assets: {t.seconds:.1f} s  (target ≤ 30 s)")
    close_database()

    open_database(path)
    from app import scanning
    from app.models import Asset
    from app.services import assets
    from app.store import search
    rng = random.Random(5)
    tags = [f"QM-{rng.randint(1, args.assets):06d}" for _ in range(5000)]
    variants = [t.lower() if i % 2 else f" {t} " for i, t in enumerate(tags)]
    for v in variants[:200]:
        assets.lookup_tag(v)  # warm the page cache
    samples = []
    for v in variants:
        t0 = time.perf_counter()
        assert assets.lookup_tag(v) is not None
        samples.append(time.perf_counter() - t0)
    print(summary("scanned tag → asset id (services.assets.lookup_tag)", samples, "p99 ≤ 1 ms"))
    samples = []
    for v in variants[:2000]:
        t0 = time.perf_counter()
        assert scanning.resolve(v).kind == "asset"
        samples.append(time.perf_counter() - t0)
    print(summary("scan resolution (app.scanning.resolve)", samples, "p99 ≤ 1 ms"))
    samples = []
    for v in variants[:1000]:
        t0 = time.perf_counter()
        Asset.get(Asset.tag_key == v.strip().upper())
        samples.append(time.perf_counter() - t0)
    print(summary("for comparison: peewee Model.get by tag", samples))

    queries = ["garcia", "5cd", "o'brien", "chromebook", "room 104", "qm-0042", "latitude 3440",
               "e-rate", "5CD-12", "lib", "zz-no-match"]
    samples = []
    for q in queries:
        expr = search.match_expression(Asset.id, Asset.search_text, q)
        for _ in range(3):
            t0 = time.perf_counter()
            ids = [r[0] for r in Asset.select(Asset.id).where(expr).order_by(Asset.tag_key).tuples()]
            samples.append(time.perf_counter() - t0)
        print(f"  search {q!r}: {len(ids):,} hits, {samples[-1] * 1000:.1f} ms")
    print(summary("search box query (ids of all matches, ordered)", samples, "≤ 50 ms"))
    close_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
