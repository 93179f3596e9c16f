"""A million assets (issue #25): the figures of the issue's table that can be
measured without a display, on a 1,000,000-asset demo database (SQLite, and
PostgreSQL when QM_TEST_PG_URL or --pg names a server).

    python bench/scale.py [--assets 1000000] [--skip-stocktake] [--pg URL] [--only postgresql]

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

PostgreSQL (``--pg postgresql://user@host/db`` or QM_TEST_PG_URL: a server
where that user may create databases): the same figures on a database
``qm_scale_N`` on that server, built once and reused. It is loaded with
``migrate-to`` from the SQLite demo file (``--pg-load demo`` builds it with
``demo --assets N`` straight into the server instead); the output says which,
and how long the load took when this run did it. The import goes into an empty
database of its own and the stocktake into a copy (CREATE DATABASE …
TEMPLATE), both dropped afterwards. Peak memory is the client's (the app's
process), as for SQLite; the server's own memory is its shared_buffers.

Not measured here: the search keystroke (needs real X input, bench/gui.py
and the e2e tests).
"""
from __future__ import annotations

import argparse
import contextlib
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
_CONFIG = Path(tempfile.mkdtemp(prefix="qm-bench-config-"))

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
    # A settings folder of the bench's own: a sort column or a window layout
    # left by an earlier session of this machine's user would change what a
    # page first reads (the Loans page sorted by tag joins every open loan's asset).
    env = dict(os.environ, QM_BENCH_HWM=str(hwm), QT_QPA_PLATFORM="offscreen",
               QM_NO_AUTO_BACKUP="1", QM_PAINT_CLOCK="1", QM_BENCH_T0=repr(time.time()),
               PYTHONPYCACHEPREFIX=str(PYCACHE), XDG_CONFIG_HOME=str(_CONFIG))
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


_LARGEST_SITE = ("SELECT site_id, COUNT(*) FROM asset WHERE site_id IS NOT NULL "
                 "AND status NOT IN ('retired', 'disposed') "
                 "GROUP BY site_id ORDER BY 2 DESC LIMIT 1")


def largest_site(db: Path | str) -> tuple[str, int]:
    if isinstance(db, str):  # a PostgreSQL URL
        with pg_connect(db) as conn, conn.cursor() as cur:
            cur.execute(_LARGEST_SITE)
            site_id, n = cur.fetchone()
            cur.execute("SELECT code, name FROM site WHERE id = %s", (site_id,))
            code, name = cur.fetchone()
        return code or name, n
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        site_id, n = conn.execute(_LARGEST_SITE).fetchone()
        code, name = conn.execute("SELECT code, name FROM site WHERE id = ?", (site_id,)).fetchone()
    return code or name, n


def last_session(db: Path | str) -> int:
    if isinstance(db, str):
        with pg_connect(db) as conn, conn.cursor() as cur:
            cur.execute("SELECT MAX(id) FROM stocktake_session")
            return int(cur.fetchone()[0])
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT MAX(id) FROM stocktake_session").fetchone()[0])


# --- PostgreSQL -------------------------------------------------------------------

def pg_url(base: str, name: str) -> str:
    """``base`` (a server URL naming any database) with its database replaced by ``name``."""
    from urllib.parse import urlsplit, urlunsplit
    u = urlsplit(base)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


@contextlib.contextmanager
def pg_connect(url: str, autocommit: bool = False):
    """A connection, closed on exit (psycopg2's own ``with`` only ends the
    transaction: a connection left open would stop CREATE DATABASE … TEMPLATE)."""
    import psycopg2
    conn = psycopg2.connect(url)
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.rollback()
    finally:
        conn.close()


def pg_admin(base: str, sql: str) -> list[tuple]:
    """Run ``sql`` on the server's maintenance database (CREATE/DROP DATABASE)."""
    with pg_connect(pg_url(base, "postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else []


def pg_drop(base: str, name: str) -> None:
    pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_assets(url: str) -> int | None:
    """Assets in a Quartermaster database at ``url``; None when it is not one (yet)."""
    try:
        with pg_connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('qm_schema') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT COUNT(*) FROM asset")
            return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - no such database
        return None


def pg_demo_db(base: str, assets: int, how: str, sqlite_db: Path | None) -> str:
    """URL of ``qm_scale_N`` on the server, built (and timed) unless it holds
    the ``assets`` already; ``how`` is "migrate" (migrate-to from the SQLite
    demo file) or "demo" (demo --assets N into the server)."""
    name = f"qm_scale_{assets}"
    url = pg_url(base, name)
    have = pg_assets(url)
    if have is not None and have >= assets:
        print(f"PostgreSQL {name}: reusing it ({have:,} assets); drop it to time the load")
        subprocess.run([sys.executable, "-c", "import sys; from app.store.db import "
                        "open_database, close_database; open_database(sys.argv[1]); "
                        "close_database()", url], cwd=ROOT, check=True)
        return url
    pg_drop(base, name)
    pg_admin(base, f'CREATE DATABASE "{name}"')
    try:
        if how == "demo":
            seconds, peak, _ = run(["--db", url, "demo", "--assets", str(assets)], "demo (PostgreSQL)")
            line(f"demo --assets {assets:,} (into PostgreSQL)", seconds, peak)
        else:
            assert sqlite_db is not None
            seconds, peak, _ = run(["--db", str(sqlite_db), "migrate-to", url], "migrate-to")
            line(f"load {assets:,} assets: migrate-to from SQLite", seconds, peak)
    except BaseException:
        pg_drop(base, name)
        raise
    with pg_connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # what autovacuum would do after a load, before the figures
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"PostgreSQL {name}: {cur.fetchone()[0]} on the server", flush=True)
    return url


def fiscal_year_now() -> int:
    import datetime as dt
    today = dt.date.today()
    return today.year + 1 if today.month >= 7 else today.year


def measure(engine: str, db: Path | str, work: Path, args, results: dict,
            make_empty, copy_for_stocktake) -> None:
    """Every figure on one engine. ``make_empty(name)`` gives the target of a
    new, empty database; ``copy_for_stocktake()`` a copy of ``db`` to write to."""
    tag = "" if engine == "sqlite" else " [PostgreSQL]"
    empty = make_empty("empty")
    run(["--db", str(empty), "check"], "empty database")
    shot = work / "shot.png"
    s_exit, m_empty, out = run(["--db", str(empty), "gui", "--page", "assets",
                                "--screenshot", str(shot)], "assets page (empty)")
    s_empty, cpu_empty = paint_times(out).get("painted", (s_exit, cpu_seconds()))
    line(f"Assets page start → painted, empty DB{tag}", s_empty, m_empty,
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
        line(f"{page.title()} page start → painted{tag}", painted[0], m,
             f", CPU {painted[1]:.1f} s at the paint{ratio}{figures}; exit {s:.2f} s")
        results[f"{page}_page"] = {"s": painted[0], "cpu_at_paint": painted[1], "mb": m,
                                   "cpu": cpu_seconds(), "exit_s": s,
                                   "ready_s": ready[0] if ready else None,
                                   "cpu_at_ready": ready[1] if ready else None}
    if args.pages_only:
        return

    pdf = work / "year-end.pdf"
    s, m, _ = run(["--db", str(db), "report", "year-end", "--fiscal-year",
                   str(fiscal_year_now()), "-o", str(pdf)], "year-end")
    line(f"year-end PDF{tag}", s, m, f", {pdf.stat().st_size / 1e6:.1f} MB PDF")
    results["year_end_pdf"] = {"s": s, "mb": m, "cpu": cpu_seconds()}

    csv = work / "assets.csv"
    s, m, _ = run(["--db", str(db), "export", "--kind", "assets", "-o", str(csv)], "export")
    with open(csv, "rb") as f:
        rows = sum(1 for _ in f) - 1
    line(f"export {rows:,} assets CSV{tag}", s, m, f", {csv.stat().st_size / 1e6:.0f} MB file")
    results["export_csv"] = {"s": s, "mb": m, "rows": rows, "cpu": cpu_seconds()}

    if not args.skip_import:
        target = make_empty("import")
        run(["--db", str(target), "check"], "empty database for the import")
        # --skip-bad: one run at 1,000,000 refused 15 exported rows and wrote nothing.
        s, m, _ = run(["--db", str(target), "import", "--kind", "assets", "--skip-bad",
                       str(csv)], "import")
        line(f"import {rows:,} rows (the export, into an empty DB){tag}", s, m)
        results["import_csv"] = {"s": s, "mb": m, "rows": rows, "cpu": cpu_seconds()}
    csv.unlink(missing_ok=True)

    if not args.skip_stocktake:
        copy = copy_for_stocktake()
        site, n = largest_site(copy)
        s, m, out = run(["--db", str(copy), "stocktake", "start", "--scope", site],
                        "stocktake start")
        line(f"stocktake start ({site}, {n:,} assets){tag}", s, m)
        results["stocktake_start"] = {"s": s, "mb": m, "assets": n, "cpu": cpu_seconds()}
        s, m, _ = run(["--db", str(copy), "stocktake", "close", str(last_session(copy))],
                      "stocktake close")
        line(f"stocktake close ({site}, nothing scanned){tag}", s, m)
        results["stocktake_close"] = {"s": s, "mb": m, "cpu": cpu_seconds()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--skip-stocktake", action="store_true",
                    help="skip the stocktake (it needs a copy of the database)")
    ap.add_argument("--skip-import", action="store_true",
                    help="skip importing the exported CSV into an empty database")
    ap.add_argument("--pg", metavar="URL", default=os.environ.get("QM_TEST_PG_URL"),
                    help="a PostgreSQL server (any database on it) to measure as well "
                         "(default: QM_TEST_PG_URL)")
    ap.add_argument("--pg-load", choices=("migrate", "demo"), default="migrate",
                    help="how qm_scale_N is filled when it is not there yet: migrate-to "
                         "from the SQLite demo file (default) or demo straight into the server")
    ap.add_argument("--only", choices=("sqlite", "postgresql"),
                    help="measure one engine only")
    ap.add_argument("--pages-only", action="store_true",
                    help="time the pages only (no year-end, export, import, stocktake)")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {load()}", flush=True)
    compile_once()
    engines = [e for e in ("sqlite", "postgresql") if args.only in (None, e)]
    if "postgresql" in engines and not args.pg:
        if args.only:
            raise SystemExit("error: --only postgresql needs --pg URL or QM_TEST_PG_URL")
        engines.remove("postgresql")
        print("PostgreSQL: not measured (set QM_TEST_PG_URL or pass --pg URL)")
    need_sqlite = "sqlite" in engines or args.pg_load == "migrate"
    db = demo_db(args.assets) if need_sqlite else None
    report: dict[str, dict] = {}
    for engine in engines:
        work = Path(tempfile.mkdtemp(prefix="qm-scale-", dir=OUT))
        results: dict[str, dict] = {}
        made: list[str] = []
        try:
            if engine == "sqlite":
                assert db is not None
                sqlite_db: Path = db

                def copy_sqlite() -> Path:
                    copy = work / "stocktake.sqlite"
                    shutil.copy(sqlite_db, copy)
                    # On disk before the start, as a register at rest is: the
                    # start's checkpoint syncs the file, and it otherwise
                    # waited for the copy's 2.2 GB to be written (2.0 s, not 1.1 s).
                    os.sync()
                    return copy
                measure("sqlite", db, work, args, results,
                        lambda name: work / f"{name}.sqlite", copy_sqlite)
            else:
                print(f"--- PostgreSQL ({describe_url(args.pg)}): CPU and peak are the app's "
                      "process; the server's own work is in the wall time only ---", flush=True)
                base = args.pg
                url = pg_demo_db(base, args.assets, args.pg_load, db)
                source = url.rsplit("/", 1)[1]

                def empty_pg(name: str) -> str:
                    db_name = f"qm_scale_{name}_{os.getpid()}"
                    pg_drop(base, db_name)
                    pg_admin(base, f'CREATE DATABASE "{db_name}"')
                    made.append(db_name)
                    return pg_url(base, db_name)

                def copy_pg() -> str:
                    db_name = f"qm_scale_stocktake_{os.getpid()}"
                    pg_drop(base, db_name)
                    pg_admin(base, f'CREATE DATABASE "{db_name}" TEMPLATE "{source}"')
                    made.append(db_name)
                    return pg_url(base, db_name)
                measure("postgresql", url, work, args, results, empty_pg, copy_pg)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            for name in made:
                pg_drop(args.pg, name)
        report[engine] = results
    out = OUT / f"scale-{args.assets}.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    saved = previous.get("engines", {"sqlite": previous["results"]} if "results" in previous else {})
    saved.update(report)
    out.write_text(json.dumps({"load": load(), "engines": saved}, indent=1))


def describe_url(url: str) -> str:
    from app.store.db import describe
    return describe(url)


if __name__ == "__main__":
    main()
