"""Bulk inserts on the driver's fast path (import, demo data).

peewee builds a Python object per row; for 100,000 rows that costs seconds.
Here rows go straight to the driver: ``executemany`` on SQLite, psycopg2's
``execute_values`` (one statement per page of rows) on PostgreSQL. Call inside
a transaction.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import peewee as pw

from app.store.db import db


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], page: int = 2000) -> int:
    """Insert rows (tuples in ``columns`` order) into ``table``; returns the count."""
    cols = ", ".join(f'"{c}"' for c in columns)
    conn = db.connection()
    cur = conn.cursor()
    total = 0
    if isinstance(db.obj, pw.PostgresqlDatabase):
        from psycopg2.extras import execute_values
        sql = f'INSERT INTO "{table}" ({cols}) VALUES %s'
        batch = []
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= page:
                execute_values(cur, sql, batch, page_size=page)
                total += len(batch)
                batch = []
        if batch:
            execute_values(cur, sql, batch, page_size=page)
            total += len(batch)
        return total
    marks = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
    batch = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= page:
            cur.executemany(sql, batch)
            total += len(batch)
            batch = []
    if batch:
        cur.executemany(sql, batch)
        total += len(batch)
    return total


def id_map(table: str, key_column: str) -> dict:
    """{key: id} for a whole table (after a bulk insert)."""
    return dict(db.execute_sql(f'SELECT "{key_column}", id FROM "{table}"').fetchall())
