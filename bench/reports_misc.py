"""Time the warranties, repairs, activity and depreciation reports on demo
databases: the builder alone (rows drained), then build + write for each of
PDF, XLSX and CSV, with the rows and pages written.

    .venv/bin/python bench/reports_misc.py            # 2,000 and 100,000 assets
    .venv/bin/python bench/reports_misc.py 20000

The demo holds few assets above the $5,000 capitalization threshold, so the
depreciation schedule is also timed with the threshold at $500 (on a copy),
where most computers and displays are on it. The activity log covers the
whole history (every demo purchase, loan, retirement and disposal).
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from _common import demo_db

CASES = [
    ("warranties", {"days": 365}),
    ("repairs", {}),
    ("activity", {"date_from": dt.date(2010, 1, 1)}),
    ("depreciation", {}),
    ("depreciation", {"threshold": "500.00"}),
]


def drain(doc) -> int:
    n = 0
    for section in doc.sections:
        for table in section.tables:
            for _row in table.rows:
                n += 1
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
    from app.services import settings
    from app.store.db import close_database, open_database
    from reports.render import write
    path = demo_db(assets, fresh_copy=True)
    open_database(path)
    print(f"--- {assets:,} assets ({path.name})")
    with tempfile.TemporaryDirectory() as out:
        for name, opts in CASES:
            opts = dict(opts)
            threshold = opts.pop("threshold", None)
            if threshold:
                settings.update({"capitalization_threshold": threshold})
            spec = get(name)
            label = name + (f" (threshold ${threshold})" if threshold else "")
            t = time.perf_counter()
            rows = drain(spec.build(ReportParams(**opts)))
            build_s = time.perf_counter() - t
            parts = [f"build {build_s:.2f} s ({rows:,} rows)"]
            for fmt in ("pdf", "xlsx", "csv"):
                target = Path(out) / f"{name}.{fmt}"
                t = time.perf_counter()
                write(spec.build(ReportParams(**opts)), target, fmt)
                s = time.perf_counter() - t
                extra = f", {pages(target):,} pages" if fmt == "pdf" else ""
                parts.append(f"{fmt} {s:.2f} s ({target.stat().st_size / 1e6:.1f} MB{extra})")
            print(f"{label:<34} " + "; ".join(parts), flush=True)
            if threshold:
                settings.update({"capitalization_threshold": "5000.00"})
    close_database()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [2_000, 100_000]
    for size in sizes:
        run(size)
