"""Time the operational reports — room sheets, assets by person, loans,
license compliance, supplies to reorder — on demo databases: the builder
alone (rows drained, grouped rows included), then build + write for each of
PDF, XLSX and CSV, with wall and CPU seconds, rows and pages.

    .venv/bin/python bench/reports_ops.py            # 2,000 and 100,000 assets
    .venv/bin/python bench/reports_ops.py 20000

The worst cases are the district-wide ones: every room's sheet (at 100,000
assets ~2,000 rooms, ~73,000 assets) and everyone holding equipment (~30,000
people, ~58,000 items, plus the per-person totals). CPU seconds are shown as
well because wall time on a shared machine says more about the neighbours.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _common import demo_db

CASES = [
    ("room-sheet", {}),
    ("room-sheet", {"site": "RHS"}),
    ("by-person", {}),
    ("by-person", {"site": "RHS"}),
    ("loans", {"days": 14}),
    ("license-compliance", {}),
    ("reorder", {}),
]


def drain(doc) -> int:
    n = 0
    for section in doc.sections:
        for table in section.tables:
            if table.groups is not None:
                for _heading, rows in table.groups:
                    n += sum(1 for _ in rows)
            else:
                n += sum(1 for _ in table.rows)
    return n


def pages(path: Path) -> int:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def run(assets: int) -> None:
    from app.reporting import ReportParams, get
    from app.store.db import close_database, open_database
    from reports.render import write
    path = demo_db(assets)
    open_database(path)
    print(f"--- {assets:,} assets ({path.name})")
    with tempfile.TemporaryDirectory() as out:
        for name, opts in CASES:
            spec = get(name)
            label = name + "".join(f" --{k} {v}" for k, v in opts.items())
            t, c = time.perf_counter(), time.process_time()
            rows = drain(spec.build(ReportParams(**opts)))
            parts = [f"build {time.perf_counter() - t:.2f} s / cpu {time.process_time() - c:.2f} s "
                     f"({rows:,} rows)"]
            for fmt in ("pdf", "xlsx", "csv"):
                target = Path(out) / f"{name}.{fmt}"
                t, c = time.perf_counter(), time.process_time()
                write(spec.build(ReportParams(**opts)), target, fmt)
                s, cpu = time.perf_counter() - t, time.process_time() - c
                extra = f", {pages(target):,} pages" if fmt == "pdf" else ""
                parts.append(f"{fmt} {s:.2f} s / cpu {cpu:.2f} s "
                             f"({target.stat().st_size / 1e6:.1f} MB{extra})")
            print(f"{label:<24} " + "; ".join(parts), flush=True)
    close_database()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [2_000, 100_000]
    for size in sizes:
        run(size)
