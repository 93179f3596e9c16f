"""`quartermaster restore FILE`: put a backup back in place of the database."""
from __future__ import annotations

import argparse

from app.cli import Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("restore", help="replace the database with a backup (asks nothing)",
                       description="Verifies the backup (integrity check, a Quartermaster "
                                   "schema this version knows), backs up the current database "
                                   "first (or keeps it as it is when it is unreadable), then "
                                   "replaces the file atomically and opens it. Works on a "
                                   "damaged database too. Refused while another Quartermaster "
                                   "has the file open (it names the workstations), unless "
                                   "--force. Only a file holding Quartermaster's own schema is "
                                   "accepted; settings that point outside the database (backup "
                                   "folder, logo) are reset.")
    p.add_argument("file", metavar="FILE", help="a backup (.sqlite.gz or .sqlite)")
    p.add_argument("--force", action="store_true",
                   help="restore even while other Quartermaster programs have the file open "
                        "(they stop writing and must be re-opened)")
    p.set_defaults(func=run, needs_db=False)


def run(args: argparse.Namespace) -> int:
    from app import backup
    from app.store.db import close_database, open_database, resolve_target
    target = resolve_target(args.db)
    result = backup.restore(args.file, target, force=args.force)
    for line in result.reset_settings:
        print(f"note: {line}; set it again in Settings if it is still wanted")
    if result.safety_copy:
        print(f"the database as it was: {result.safety_copy}")
    print(f"restored {result.target} from {result.restored_from} ({result.assets:,} assets)")
    # Proves it opens, and brings an older schema up to date (copied first).
    open_database(result.target, before_migration=backup.copy_before_migration)
    close_database()
    print("ok: the restored database opens and passes its integrity check")
    return 0
