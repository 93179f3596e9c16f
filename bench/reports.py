"""Year-end report figures: the PDF and the XLSX of ``quartermaster report
year-end`` on demo districts of 10,000 and 100,000 assets (built once with the
demo generator and cached, as the other benches do).

    .venv/bin/python bench/reports.py

Each figure is the whole job — rebuild the register as of the fiscal-year end
from history, build the document, write the file. Two runs per size:

- default thresholds ($5,000 capital, $1,500 register): the demo's register is
  a few hundred items, so the figure is mostly the as-of rebuild;
- inventory threshold $0: every item held is listed in the register and the
  not-verified list — ~80,000 and ~160,000 table rows at 100,000 assets, the
  writers' worst case.

Targets (issue [E]) at 100,000 assets: PDF ≤ 20 s, XLSX ≤ 10 s; growth from
10,000 no worse than linear (≤ 10×).
"""
from __future__ import annotations

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import OUT, demo_db  # noqa: E402

SIZES = (10_000, 100_000)
TARGET = {"pdf": 20.0, "xlsx": 10.0}


def run(path, fmt: str, out_dir) -> tuple[float, float, int, int]:
    """(wall s, CPU s, pages or sheets, bytes) for one year-end file."""
    from app.reporting import ReportParams, get
    from app.store.db import close_database, open_database
    from reports.render import write
    open_database(path)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        doc = get("year-end").build(ReportParams())
        out = write(doc, out_dir / f"year-end.{fmt}")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        close_database()
    if fmt == "pdf":
        import pypdfium2
        parts = len(pypdfium2.PdfDocument(str(out)))
    else:
        import zipfile
        parts = sum(1 for n in zipfile.ZipFile(out).namelist() if n.startswith("xl/worksheets/sheet"))
    return wall, cpu, parts, out.stat().st_size


def everything_listed(path):
    """A copy of the demo database with the register threshold at $0."""
    from app.services import settings
    from app.store.db import close_database, open_database
    copy = path.with_name(path.stem + "-all-listed.sqlite")
    if not copy.exists():
        tmp = copy.with_suffix(".building")
        shutil.copy(path, tmp)
        open_database(tmp)
        settings.update({"inventory_threshold": "0.00"}, by="bench")
        close_database()
        tmp.rename(copy)
    return copy


def main():
    out_dir = OUT / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in SIZES:
        base = demo_db(n)
        for label, path in (("default thresholds", base), ("register threshold $0", everything_listed(base))):
            for fmt in ("pdf", "xlsx"):
                wall, cpu, parts, size = run(path, fmt, out_dir)
                results[(n, label, fmt)] = wall
                what = "pages" if fmt == "pdf" else "sheets"
                target = f"  (target ≤ {TARGET[fmt]:.0f} s)" if n == 100_000 else ""
                print(f"year-end {fmt.upper():4} {n:>7,} assets, {label:22}: {wall:6.2f} s "
                      f"(CPU {cpu:5.2f} s), {parts:,} {what}, {size / 1e6:.1f} MB{target}", flush=True)
    for label in ("default thresholds", "register threshold $0"):
        for fmt in ("pdf", "xlsx"):
            ratio = results[(100_000, label, fmt)] / results[(10_000, label, fmt)]
            print(f"growth 10,000 → 100,000, {fmt.upper()}, {label}: {ratio:.1f}× (linear = 10×)")


if __name__ == "__main__":
    main()
