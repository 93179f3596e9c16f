"""The lists' first-page queries and how the database answers them (issue #25):
for the Assets list's default order and each filter, the search, and the
Loans and People default lists, the plan's scans and the query's own time.

    python bench/plans.py DB [--analyze]

DB is a SQLite file or a postgresql:// URL (bench/scale.py runs it on its
1,000,000-asset databases). The queries are the ones the table models run,
captured from app.listing.query_ids (the first page, PAGE_SIZE rows).
PostgreSQL: EXPLAIN (ANALYZE) with the planner's own choices — no
enable_seqscan tricks — so a Seq Scan here is what a user would wait for.
"""
from __future__ import annotations

import argparse
import re
import time

from _common import ROOT  # noqa: F401 - puts the project on sys.path

# (list, filters): what each page asks for first, then each assets filter.
CASES = [
    ("assets", {}),
    ("assets", {"status": "deployed"}),
    ("assets", {"status": "active"}),
    ("assets", {"category_id": 1}),
    ("assets", {"site_id": 1}),
    ("assets", {"location_id": 1}),
    ("assets", {"funding_type": "erate"}),
    ("assets", {"not_audited": True}),
    ("assets", {"search": "dell"}),
    ("assets", {"search": "zq9"}),
    ("loans", {}),
    ("people", {}),
    ("people", {"active": True}),
]


def captured_sql(kind: str, filters: dict) -> tuple[str, list]:
    """The SQL (and parameters) query_ids runs for the first page."""
    from app import listing
    from app.store.db import db
    database = db.obj
    seen: list[tuple[str, list]] = []
    real = database.execute

    def capture(query, *args, **kwargs):
        seen.append(database.get_sql_context().sql(query).query())
        return real(query, *args, **kwargs)

    database.execute = capture
    try:
        listing.query_ids(kind, filters, None, False, limit=listing.PAGE_SIZE)
    finally:
        del database.execute
    return seen[-1]


def scans(plan: list[str]) -> list[str]:
    """The plan's lines that read a table or an index (PostgreSQL) or every
    step (SQLite's EXPLAIN QUERY PLAN is short)."""
    keep = re.compile(r"(Seq Scan|Index Scan|Index Only Scan|Bitmap|Sort|Limit|SCAN|SEARCH|"
                      r"TEMP B-TREE)")
    return [re.sub(r"\s+\(cost=[^)]*\)", "", p).strip() for p in plan if keep.search(p)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    args = ap.parse_args()
    import peewee as pw

    from app.store.db import close_database, open_database
    database = open_database(args.db)
    pg = isinstance(database, pw.PostgresqlDatabase)
    try:
        for kind, filters in CASES:
            sql, params = captured_sql(kind, filters)
            if pg:
                t0 = time.perf_counter()
                plan = [r[0] for r in database.execute_sql(
                    "EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params).fetchall()]
                took = time.perf_counter() - t0
                ms = next((float(m.group(1)) for p in plan
                           if (m := re.search(r"Execution Time: ([\d.]+) ms", p))), took * 1000)
            else:
                plan = [r[3] for r in database.execute_sql(
                    "EXPLAIN QUERY PLAN " + sql, params).fetchall()]
                t0 = time.perf_counter()
                database.execute_sql(sql, params).fetchall()
                ms = (time.perf_counter() - t0) * 1000
            seq = [p for p in plan if re.search(r"Seq Scan on asset\b|SCAN (t1|asset)$", p)]
            flag = "  FULL SCAN" if seq else ""
            print(f"{kind:<7} {str(filters or 'default'):<28} {ms:9.1f} ms{flag}")
            for step in scans(plan):
                print(f"        {step}")
    finally:
        close_database()


if __name__ == "__main__":
    main()
