"""`quartermaster migrate-to URL`: move the local inventory onto a PostgreSQL server."""
from __future__ import annotations

import argparse

from app.cli import CommandError, Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("migrate-to", help="copy this SQLite inventory into an empty PostgreSQL database",
                       description="Creates the schema in the (empty) PostgreSQL database, copies "
                                   "every table in dependency order keeping ids, resets the id "
                                   "sequences, rebuilds the search index, then compares row counts "
                                   "and totals on both sides. The SQLite file is not changed. "
                                   "Afterwards use --db URL (or Settings → Database) to work on "
                                   "the server.")
    p.add_argument("url", metavar="postgresql://USER@HOST/DB")
    p.set_defaults(func=run, auto_backup=False)


def run(args: argparse.Namespace) -> int:
    import peewee as pw

    from app.store import transfer
    from app.store.db import db, describe, is_postgres_url, make_database, open_database
    if not is_postgres_url(args.url):
        raise CommandError("migrate-to takes a postgresql://user@host/dbname URL")
    source = db.obj
    if not isinstance(source, pw.SqliteDatabase):
        raise CommandError("migrate-to copies a local SQLite inventory; --db names a server already")
    target = make_database(args.url)
    try:
        target.connect()
        empty, why = transfer.is_empty(target)
    except pw.DatabaseError as exc:
        raise CommandError(f"cannot connect to {describe(args.url)}: "
                           f"{str(exc).strip().splitlines()[0]}") from exc
    finally:
        if not target.is_closed():
            target.close()
    if not empty:
        raise CommandError(f"{describe(args.url)} is not empty: {why}. migrate-to only copies into "
                           "an empty database (create one with `createdb`).")
    src_conn = source.connection()
    before = transfer.summary(src_conn)
    print(f"copying {source.database} → {describe(args.url)}")
    dest = open_database(args.url)
    try:
        with dest.atomic() as txn:
            copied = transfer.copy_all(src_conn, src_is_postgres=False)
            after = transfer.summary(dest.connection())
            problems = transfer.differences(before, after)
            if problems:
                txn.rollback()  # verified inside the transaction: a bad copy leaves nothing
    finally:
        source.close()
    width = max(len(t) for t in before["tables"])
    print(f"{'table':<{width}}  {'sqlite':>9}  {'postgresql':>10}")
    for table, n in before["tables"].items():
        print(f"{table:<{width}}  {n:>9,}  {after['tables'].get(table, 0):>10,}")
    print(f"total asset cost: ${before['asset_cost']:,} / ${after['asset_cost']:,}")
    print(f"stock on hand: {before['stock_on_hand']:,} / {after['stock_on_hand']:,}")
    if problems:
        for line in problems:
            print(f"mismatch: {line}")
        raise CommandError(f"the copy does not match the source ({len(problems)} difference(s)); "
                           "it was rolled back, so the PostgreSQL tables are empty again")
    print(f"ok: {sum(copied.values()):,} rows copied; counts and totals match")
    return 0
