"""Import of 100,000 asset rows: time and peak memory.

The rows are the demo district's own export (so they hold sites, rooms,
models, makers, suppliers, funding, dates and borrowers by ID number). The
borrowers are imported first, once, into a base database; then each run
copies the base and imports the assets in a fresh child process, which
reports its own time and peak RSS. A 20,000-row run beside the 100,000-row
one shows that memory stays flat as the file grows. The same file into an
empty database (every holder then a new person, written a page at a time
beside the assets) is the case a county office's first import is.

    python bench/import.py [--assets 100000]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from _common import OUT, ROOT, demo_db

CHILD = """
import sys, time
sys.path.insert(0, "bench")
from _common import peak_mb
from app.store.db import open_database
from app import importing
open_database(sys.argv[1])
t = time.perf_counter()
# The demo draws serials at random: at 100,000 assets two can collide, which the
# import (rightly) calls a problem; the benchmark skips that row and times the rest.
done = importing.commit(sys.argv[2], skip_bad=True)
seconds = time.perf_counter() - t
peak = peak_mb()
print(done.created, f"{seconds:.2f}", f"{peak:.0f}")
"""

EXPORT = """
import sys, time
sys.path.insert(0, "bench")
from _common import peak_mb
from app.store.db import open_database
from app import exporting
open_database(sys.argv[1])
out = []
for target in sys.argv[2:]:
    t = time.perf_counter()
    exporting.export("assets", target)
    out.append(f"{time.perf_counter() - t:.2f}")
print(*out, f"{peak_mb():.0f}")
"""

PEOPLE = """
import sys, time
from app.store.db import open_database
from app import importing
open_database(sys.argv[1])
t = time.perf_counter()
done = importing.commit(sys.argv[2], kind="people")
print(done.created, f"{time.perf_counter() - t:.1f}")
"""


def _fresh(path):
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


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
    base = OUT / f"import-base-{args.assets}.sqlite"
    if not base.exists():
        building = OUT / "import-base.building"
        _fresh(building)
        r = subprocess.run([sys.executable, "-c", PEOPLE, str(building), str(people_path)], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stdout, r.stderr)
            return 1
        n, secs = r.stdout.split()
        print(f"(set-up: {int(n):,} borrowers imported (people, lean path) in {secs} s)")
        from app.store.db import close_database, open_database
        open_database(building)  # checkpoint the WAL into the file before copying it
        close_database()
        building.rename(base)
    sizes = sorted({min(20_000, args.assets), args.assets})
    for size in sizes:
        part = csv_path if size == args.assets else OUT / f"assets-first-{size}.csv"
        if not part.exists():
            with csv_path.open(encoding="utf-8-sig", newline="") as src, \
                    part.open("w", encoding="utf-8-sig", newline="") as out:
                for n, line in enumerate(src):
                    if n > size:
                        break
                    out.write(line)
        target = OUT / "import-target.sqlite"
        _fresh(target)
        shutil.copy(base, target)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", CHILD, str(target), str(part)], cwd=ROOT,
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode:
            print(r.stdout, r.stderr)
            return 1
        created, seconds, peak = r.stdout.split()
        print(f"import {int(created):,} asset rows from CSV: {float(seconds):.1f} s (check + write + search index + "
              f"history, one transaction, backup beside it), process {wall:.1f} s, peak memory {peak} MB"
              + ("  (targets ≤ 15 s, ≤ 150 MB)" if size == args.assets else ""))
    target = OUT / "import-target.sqlite"
    _fresh(target)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", CHILD, str(target), str(csv_path)], cwd=ROOT,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode:
        print(r.stdout, r.stderr)
        return 1
    created, seconds, peak = r.stdout.split()
    print(f"import {int(created):,} asset rows from CSV into an empty database (holders created): "
          f"{float(seconds):.1f} s, process {wall:.1f} s, peak memory {peak} MB")
    # Export the demo district to both formats, then import the workbook.
    xlsx_path, csv_out = OUT / f"export-{args.assets}.xlsx", OUT / f"export-{args.assets}.csv"
    r = subprocess.run([sys.executable, "-c", EXPORT, str(source), str(csv_out), str(xlsx_path)],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr)
        return 1
    csv_s, xlsx_s, peak = r.stdout.split()
    print(f"export {args.assets:,} assets: CSV {float(csv_s):.1f} s, XLSX {float(xlsx_s):.1f} s, "
          f"peak memory {peak} MB")
    target = OUT / "import-target.sqlite"
    _fresh(target)
    shutil.copy(base, target)
    r = subprocess.run([sys.executable, "-c", CHILD, str(target), str(xlsx_path)], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr)
        return 1
    created, seconds, peak = r.stdout.split()
    print(f"import {int(created):,} asset rows from XLSX: {float(seconds):.1f} s, peak memory {peak} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
