"""`quartermaster backup`: a verified, compressed copy now, or the list of copies."""
from __future__ import annotations

import argparse

from app.cli import Subparsers

EPILOG = """\
examples:
  quartermaster backup                      (into the backup folder; prints the file)
  quartermaster backup -o /mnt/share/inventory.sqlite.gz
  quartermaster backup --list
  quartermaster --db postgresql://tech@server/inventory backup -o inventory.sqlite.gz
      (PostgreSQL: a portable SQLite copy of every table; server backups are pg_dump's job)
"""


def register(sub: Subparsers) -> None:
    import argparse
    p = sub.add_parser("backup", help="back up the database now, or list backups",
                       description="Copies the database with SQLite's online backup (safe while "
                                   "others are writing), checks the copy's integrity and writes it "
                                   "gzip-compressed into the backup folder (default: `backups` "
                                   "beside the database), keeping 7 daily, 4 weekly and 12 monthly "
                                   "copies.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the backup to FILE (.gz: compressed) instead of the backup folder")
    p.add_argument("--list", action="store_true", help="list the backups in the backup folder")
    p.set_defaults(func=run, auto_backup=False)


def run(args: argparse.Namespace) -> int:
    from app import backup
    from app.store.db import is_sqlite
    if args.list:
        return _list()
    info = backup.make_backup(reason="manual" if is_sqlite() else "export", output=args.output,
                              automatic=False)
    kind = "backup" if is_sqlite() else "portable SQLite copy of the PostgreSQL database"
    print(f"{kind}: {info.path}")
    print(f"{info.assets:,} assets, {_size(info.size)}, integrity check ok")
    return 0


def _list() -> int:
    from app import backup
    from app.cli.output import print_table
    folder = backup.backup_folder()
    found = backup.list_backups(folder)
    print(f"backup folder: {folder}")
    if not found:
        print("no backups yet")
        return 0
    print_table(["Taken", "Why", "Assets", "Size", "File"],
                [[b.taken_at.strftime("%Y-%m-%d %H:%M:%S"), b.label, f"{b.assets:,}",
                  _size(b.size), b.path.name] for b in found])
    return 0


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)
