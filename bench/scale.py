"""A million assets (issue #25): the figures of the issue's table that can be
measured without a display, on a 1,000,000-asset demo database (SQLite).

    python bench/scale.py [--assets 1000000] [--skip-stocktake]

Each figure is one run of the real command line in a child process, timed
from process start to exit, so it includes Python's start-up and opening the
database; peak memory is the child's own VmHWM (read at its exit), not a guess.
The demo database is built once with ``python -m app demo`` and cached under
bench/out/ (the build's time and size are printed only when this run built
it). Pages are timed as ``gui --page X --screenshot`` under the offscreen Qt
platform, with the app's paint clock (``QM_PAINT_CLOCK``, ui/paint_clock.py):
start → the page's first paint (a list's first rows; the Dashboard's tiles,
its figures filled in later by a worker thread), with the CPU seconds spent
by then, and when the figures were painted, apart. The stocktake runs on a copy,
so the cached file stays as the demo made it.

The import reads back the CSV the export wrote (every asset, its people and
places by name) into an empty database. QM_BENCH_DIR puts the cached
database elsewhere (a 1,000,000-asset file is 1.9 GB).

Not measured here: the search keystroke (needs real X input, bench/gui.py
and the e2e tests), and PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import OUT, ROOT

# Runs the app's front door and writes the process's peak resident memory
# (VmHWM) to the file named by QM_BENCH_HWM when it exits.
_CHILD = """
import atexit, os, runpy, sys
def _hwm():
    with open('/proc/self/status') as f:
        kb = next(int(l.split()[1]) for l in f if l.startswith('VmHWM:'))
    with open(os.environ['QM_BENCH_HWM'], 'w') as out:
        out.write(str(kb))
atexit.register(_hwm)
sys.argv = ['quartermaster'] + sys.argv[1:]
runpy.run_module('app', run_name='__main__', alter_sys=True)
"""


_cpu = {"last": 0.0}

# An installed app has its modules compiled (pip writes the .pyc files); a
# checkout run with PYTHONDONTWRITEBYTECODE compiles ~170 modules at every
# start (~0.9 s CPU). The children read bytecode compiled once into the bench
# folder, whatever that variable says, so each figure times the app, not the
# compiler.
PYCACHE = OUT / "pycache"


def compile_once() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app", "ui", "reports"], cwd=ROOT,
                   env=dict(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE)),
                   stdout=subprocess.DEVNULL, check=True)


def cpu_seconds() -> float:
    """CPU seconds (user + system) of the child that ``run`` ran last: on a
    shared machine the wall time says how busy the others were, this does not."""
    return _cpu["last"]


def run(args: list[str], label: str) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of ``python -m app ARGS`` in a child process."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    hwm = Path(tempfile.mkstemp(prefix="qm-hwm-")[1])
    # No daily backup on open: it would copy and verify the 1.7 GB file inside
    # whichever command came first (it made a 6 s stocktake start take 142 s).
    env = dict(os.environ, QM_BENCH_HWM=str(hwm), QT_QPA_PLATFORM="offscreen",
               QM_NO_AUTO_BACKUP="1", QM_PAINT_CLOCK="1", QM_BENCH_T0=repr(time.time()),
               PYTHONPYCACHEPREFIX=str(PYCACHE))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _cpu["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        raise SystemExit(f"{label} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    try:
        peak = int(hwm.read_text()) / 1024
    except (OSError, ValueError):
        peak = float("nan")
    hwm.unlink(missing_ok=True)
    return seconds, peak, r.stdout


def paint_times(stdout: str) -> dict[str, tuple[float, float]]:
    """The app's paint clock (ui/paint_clock.py): {"painted"|"ready": (seconds
    since start, CPU seconds)}."""
    out = {}
    for text in stdout.splitlines():
        parts = text.split()
        if len(parts) == 3 and parts[0] in ("painted", "ready"):
            out[parts[0]] = (float(parts[1]), float(parts[2]))
    return out


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def line(what: str, seconds: float, peak: float | None = None, extra: str = "") -> None:
    mem = f", peak {peak:,.0f} MB" if peak is not None else ""
    print(f"{what:<44} {seconds:8.2f} s (CPU {cpu_seconds():.1f} s){mem}{extra}   "
          f"(load {load()})", flush=True)


def demo_db(assets: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"scale-{assets}.sqlite"
    if path.exists():
        print(f"demo --assets {assets:,}: reusing {path} "
              f"({path.stat().st_size / 1e9:.2f} GB); delete it to time the build")
        # Schema steps added since it was built (an index on a million rows takes
        # seconds) run here, untimed, not inside whichever figure opens it first.
        subprocess.run([sys.executable, "-c", "import sys; from app.store.db import "
                        "open_database, close_database; open_database(sys.argv[1]); "
                        "close_database()", str(path)], cwd=ROOT, check=True)
        return path
    tmp = OUT / f"scale-{assets}.building.sqlite"
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    seconds, peak, _ = run(["--db", str(tmp), "demo", "--assets", str(assets)], "demo")
    tmp.rename(path)
    line(f"demo --assets {assets:,}", seconds, peak,
         f", file {path.stat().st_size / 1e9:.2f} GB")
    return path


def largest_site(db: Path) -> tuple[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        site_id, n = conn.execute("SELECT site_id, COUNT(*) FROM asset WHERE site_id IS NOT NULL "
                                  "AND status NOT IN ('retired', 'disposed') "
                                  "GROUP BY site_id ORDER BY 2 DESC LIMIT 1").fetchone()
        code, name = conn.execute("SELECT code, name FROM site WHERE id = ?", (site_id,)).fetchone()
    return code or name, n


def fiscal_year_now() -> int:
    import datetime as dt
    today = dt.date.today()
    return today.year + 1 if today.month >= 7 else today.year


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--skip-stocktake", action="store_true",
                    help="skip the stocktake (it needs a copy of the database)")
    ap.add_argument("--skip-import", action="store_true",
                    help="skip importing the exported CSV into an empty database")
    ap.add_argument("--pages-only", action="store_true",
                    help="time the pages only (no year-end, export, import, stocktake)")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {load()}", flush=True)
    compile_once()
    db = demo_db(args.assets)
    work = Path(tempfile.mkdtemp(prefix="qm-scale-", dir=OUT))
    results: dict[str, dict] = {}
    try:
        empty = work / "empty.sqlite"
        run(["--db", str(empty), "check"], "empty database")
        shot = work / "shot.png"
        s_exit, m_empty, out = run(["--db", str(empty), "gui", "--page", "assets",
                                    "--screenshot", str(shot)], "assets page (empty)")
        s_empty, cpu_empty = paint_times(out).get("painted", (s_exit, cpu_seconds()))
        line("Assets page start → painted, empty DB", s_empty, m_empty,
             f", CPU {cpu_empty:.1f} s at the paint")
        results["assets_page_empty"] = {"s": s_empty, "cpu_at_paint": cpu_empty, "mb": m_empty,
                                        "cpu": cpu_seconds()}
        for page in ("assets", "dashboard", "loans", "people"):
            s, m, out = run(["--db", str(db), "gui", "--page", page, "--screenshot", str(shot)],
                            f"{page} page")
            # The first paint (a list's first rows; the Dashboard's tiles, its
            # figures to come) and the paint with everything, from the app's
            # paint clock: seconds since start and CPU seconds by then.
            clock = paint_times(out)
            painted, ready = clock.get("painted", (s, cpu_seconds())), clock.get("ready")
            ratio = f", {painted[0] / s_empty:.2f}× empty" if page == "assets" else ""
            figures = (f"; figures in at {ready[0]:.2f} s (CPU {ready[1]:.1f} s)"
                       if ready and ready[0] - painted[0] > 0.05 else "")
            line(f"{page.title()} page start → painted", painted[0], m,
                 f", CPU {painted[1]:.1f} s at the paint{ratio}{figures}; exit {s:.2f} s")
            results[f"{page}_page"] = {"s": painted[0], "cpu_at_paint": painted[1], "mb": m,
                                       "cpu": cpu_seconds(), "exit_s": s,
                                       "ready_s": ready[0] if ready else None,
                                       "cpu_at_ready": ready[1] if ready else None}
        if args.pages_only:
            (OUT / f"scale-{args.assets}-pages.json").write_text(json.dumps(
                {"load": load(), "results": results}, indent=1))
            return

        pdf = work / "year-end.pdf"
        s, m, _ = run(["--db", str(db), "report", "year-end", "--fiscal-year",
                       str(fiscal_year_now()), "-o", str(pdf)], "year-end")
        line("year-end PDF", s, m, f", {pdf.stat().st_size / 1e6:.1f} MB PDF")
        results["year_end_pdf"] = {"s": s, "mb": m, "cpu": cpu_seconds()}

        csv = work / "assets.csv"
        s, m, _ = run(["--db", str(db), "export", "--kind", "assets", "-o", str(csv)], "export")
        with open(csv, "rb") as f:
            rows = sum(1 for _ in f) - 1
        line(f"export {rows:,} assets CSV", s, m, f", {csv.stat().st_size / 1e6:.0f} MB file")
        results["export_csv"] = {"s": s, "mb": m, "rows": rows, "cpu": cpu_seconds()}

        if not args.skip_import:
            target = work / "import.sqlite"
            run(["--db", str(target), "check"], "empty database for the import")
            # --skip-bad: one run at 1,000,000 refused 15 exported rows and wrote nothing.
            s, m, _ = run(["--db", str(target), "import", "--kind", "assets", "--skip-bad",
                           str(csv)], "import")
            line(f"import {rows:,} rows (the export, into an empty DB)", s, m)
            results["import_csv"] = {"s": s, "mb": m, "rows": rows, "cpu": cpu_seconds()}
            target.unlink(missing_ok=True)

        if not args.skip_stocktake:
            copy = work / "stocktake.sqlite"
            shutil.copy(db, copy)
            site, n = largest_site(copy)
            s, m, out = run(["--db", str(copy), "stocktake", "start", "--scope", site],
                            "stocktake start")
            line(f"stocktake start ({site}, {n:,} assets)", s, m)
            results["stocktake_start"] = {"s": s, "mb": m, "assets": n, "cpu": cpu_seconds()}
            with sqlite3.connect(copy) as conn:
                session = conn.execute("SELECT MAX(id) FROM stocktake_session").fetchone()[0]
            s, m, _ = run(["--db", str(copy), "stocktake", "close", str(session)],
                          "stocktake close")
            line(f"stocktake close ({site}, nothing scanned)", s, m)
            results["stocktake_close"] = {"s": s, "mb": m, "cpu": cpu_seconds()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / f"scale-{args.assets}.json").write_text(json.dumps(
        {"load": load(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
