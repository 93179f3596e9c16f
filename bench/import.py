"""Import of 100,000 asset rows: time and peak memory.

The rows are the demo district's own export (so they hold sites, rooms,
models, makers, suppliers, funding and dates); they are imported into an
empty database in a child process whose peak RSS is read afterwards.

    python bench/import.py [--assets 100000]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from _common import OUT, ROOT, demo_db

CHILD = """
import sys, time
from app.store.db import open_database
from app import importing
open_database(sys.argv[1])
importing.commit(sys.argv[3], kind="people")  # the borrowers the assets name by ID number
t = time.perf_counter()
done = importing.commit(sys.argv[2])
print(f"{done.created} {time.perf_counter() - t:.2f}")
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--assets", type=int, default=100_000)
    args = ap.parse_args()
    source = demo_db(args.assets)
    csv_path = OUT / f"assets-{args.assets}.csv"
    people_path = OUT / f"people-{args.assets}.csv"
    if not csv_path.exists() or not people_path.exists():
        from app import exporting
        from app.store.db import close_database, open_database
        open_database(source)
        exporting.export("assets", csv_path)
        exporting.export("people", people_path)
        close_database()
    target = OUT / "import-target.sqlite"
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"import-target.sqlite{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", CHILD, str(target), str(csv_path), str(people_path)], cwd=ROOT,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode:
        print(r.stderr)
        return 1
    created, seconds = r.stdout.split()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"import {int(created):,} asset rows from CSV: {float(seconds):.1f} s "
          f"(check + write, one transaction), process {wall:.1f} s, peak memory {peak:.0f} MB"
          "  (targets ≤ 15 s, ≤ 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
