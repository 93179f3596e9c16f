"""`quartermaster media`: backup cartridges (LTO) — add, write, move, due, destroy, list.

A move takes every barcode scanned into one place (the drive, the on-site
safe, the off-site vault box) at once: all move, or none if one is unknown.
"""
from __future__ import annotations

import argparse

from app.cli import Subparsers
from app.cli.output import pick, print_list, print_table

EXAMPLES = """\
examples:
  quartermaster media add A00120L8 A00121L8 A00122L8 --set Nightly --rotation weekly
  quartermaster media write A00120L8                      (tonight's backup went to it)
  quartermaster media move vault A00120L8 A00121L8         (scanned into the vault box)
  quartermaster media due --days 7                         (what to carry where this week)
  quartermaster media destroy A00122L8 --method "Shredded, certificate 5512"
  quartermaster media list --csv > tapes.csv
  quartermaster labels --lto A00120L8 A00121L8 -o lto.pdf  (Code 39 cartridge labels)
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("media", help="backup cartridges (LTO): rotation, location, retention",
                       description="Backup media tracked by barcode; every change is kept in "
                                   "the cartridge's history.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="media_command", metavar="ACTION", required=True)
    a = ss.add_parser("add", help="register new cartridges")
    a.add_argument("barcodes", nargs="+", metavar="BARCODE")
    a.add_argument("--set", dest="media_set", metavar="NAME", help="media set / backup pool")
    a.add_argument("--rotation", default="daily", help="daily, weekly or monthly (GFS)")
    a.add_argument("--location", default="onsite_safe",
                   help="drive, onsite_safe (safe) or offsite_vault (vault)")
    a.set_defaults(func=run_add)
    w = ss.add_parser("write", help="a backup was written to this cartridge")
    w.add_argument("barcode", metavar="BARCODE")
    w.add_argument("--on", metavar="DATE", help="when (default today)")
    w.add_argument("--retain-days", metavar="N",
                   help="keep it N days (default by rotation: daily 7, weekly 35, monthly 365)")
    w.set_defaults(func=run_write)
    m = ss.add_parser("move", help="cartridges scanned into a place")
    m.add_argument("location", metavar="LOCATION", help="drive, safe or vault")
    m.add_argument("barcodes", nargs="+", metavar="BARCODE")
    m.set_defaults(func=run_move)
    d = ss.add_parser("due", help="the rotation due list: what goes to or comes back from the vault")
    d.add_argument("--days", type=int, default=7, metavar="N")
    d.set_defaults(func=run_due)
    x = ss.add_parser("destroy", help="record a cartridge's destruction (after its retention)")
    x.add_argument("barcode", metavar="BARCODE")
    x.add_argument("--method", required=True, metavar="TEXT", help="how, and the certificate")
    x.add_argument("--on", metavar="DATE")
    x.set_defaults(func=run_destroy)
    lst = ss.add_parser("list", help="every cartridge")
    lst.add_argument("--csv", action="store_true")
    lst.set_defaults(func=run_list)


def run_add(args: argparse.Namespace) -> int:
    from app.services import media
    made = media.add(args.barcodes, media_set=args.media_set, rotation=args.rotation,
                     location=args.location)
    print(f"added {len(made)} cartridge{'s' if len(made) != 1 else ''}")
    return 0


def run_write(args: argparse.Namespace) -> int:
    from app.services import media
    m = media.record_write(args.barcode, written_on=args.on, retain_days=args.retain_days)
    print(f"{m.barcode}: written {m.written_on}, kept until "  # a date prints as ISO
          f"{m.retain_until}, used {m.times_used} times")
    return 0


def run_move(args: argparse.Namespace) -> int:
    from app.models.common import MEDIA_LOCATIONS
    from app.services import media
    moved = media.move(args.barcodes, args.location)
    print(f"{len(moved)} → {MEDIA_LOCATIONS[moved[0].location]}")
    return 0


def run_due(args: argparse.Namespace) -> int:
    from app.services import media
    rows = media.due(days=args.days)
    if not rows:
        print(f"nothing to carry in the next {args.days} days")
        return 0
    print_table(["Date", "Do", "Barcode", "Set", "Rotation", "Now"],
                [[r["date"], r["action"], r["barcode"], r["media_set"], r["rotation"],
                  r["location"]] for r in rows])
    return 0


def run_destroy(args: argparse.Namespace) -> int:
    from app.services import media
    m = media.destroy(args.barcode, args.method, on=args.on)
    print(f"{m.barcode}: destroyed {m.destroyed_on}")  # a date prints as ISO
    return 0


HEADERS = ["Barcode", "Set", "Rotation", "Location", "Written", "Retain until", "Times used",
           "Destroyed", "Destruction"]
KEYS = ["barcode", "media_set", "rotation", "location", "written_on", "retain_until",
        "times_used", "destroyed_on", "destruction"]


def run_list(args: argparse.Namespace) -> int:
    from app.services import media
    rows = [pick(r, KEYS) for r in media.rows()]
    print_list(HEADERS, rows, args.csv, "no cartridges", shown=range(8))
    return 0
