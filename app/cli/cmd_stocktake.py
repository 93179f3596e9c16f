"""`quartermaster stocktake`: the year-end physical inventory from a terminal."""
from __future__ import annotations

import argparse

from app.cli import CommandError, Subparsers

EPILOG = """\
examples:
  quartermaster stocktake start --scope "Lincoln High School"     (prints the session id)
  quartermaster stocktake start --scope "LHS/Room 214,Library" --name "Spring count"
  quartermaster stocktake scan 2 LOC-00049 QM-000101 QM-000102    (room label, then assets)
  quartermaster stocktake scan 2 --file scanner-memory.txt         (CODE or CODE,TIMESTAMP per line)
  quartermaster stocktake status 2
  quartermaster stocktake close 2 --apply move-misplaced,mark-missing
  quartermaster stocktake report 2 -o stocktake-2.pdf              (or .csv: every tag)

closing alone changes nothing in the register. --apply sets the last-audit
date of every verified asset (the day it was scanned) and does the actions
named: move-misplaced, move-other-site, mark-missing, create-unknown
("--apply audit" sets only the last-audit dates)
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("stocktake", help="physical inventory: start, scan, status, close, report",
                       description="Count what is really in each room of a site.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ssub = p.add_subparsers(dest="stocktake_command", metavar="ACTION", required=True)

    s = ssub.add_parser("start", help="open a session; prints its id")
    s.add_argument("--scope", required=True, metavar='"SITE[/ROOM,…]"',
                   help="site name or code, optionally /room names or label codes")
    s.add_argument("--name", help="session name (default: scope and date)")
    s.set_defaults(func=run_start)

    s = ssub.add_parser("scan", help="record scans (room labels set the room)")
    s.add_argument("id", type=int)
    s.add_argument("codes", nargs="*", metavar="CODE")
    s.add_argument("--file", metavar="FILE", help="a scanner memory file: CODE or CODE,TIMESTAMP per line")
    s.add_argument("--workstation", help="name of this scanning station (default: host name)")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=run_scan)

    s = ssub.add_parser("status", help="progress per room and counts by verdict")
    s.add_argument("id", type=int)
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=run_status)

    s = ssub.add_parser("list", help="list sessions")
    s.set_defaults(func=run_list)

    s = ssub.add_parser("close", help="stop scanning; show the reconciliation; optionally apply")
    s.add_argument("id", type=int)
    s.add_argument("--apply", metavar="ACTIONS",
                   help="comma-separated: move-misplaced, move-other-site, mark-missing, create-unknown "
                        "(\"audit\" alone just sets the last-audit dates)")
    s.set_defaults(func=run_close)

    s = ssub.add_parser("report", help="write the report (PDF or CSV)")
    s.add_argument("id", type=int)
    s.add_argument("-o", "--output", required=True, metavar="FILE.pdf|FILE.csv")
    s.add_argument("--verified", action="store_true", help="PDF: list verified assets too")
    s.set_defaults(func=run_report)


def run_start(args: argparse.Namespace) -> int:
    from app.services import stocktake
    session = stocktake.start(args.scope, name=args.name)
    print(session.id)
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from app.services import stocktake
    if not args.codes and not args.file:
        raise CommandError("give codes to scan, or --file FILE")
    verdicts = []
    problems = []
    if args.file:
        result = stocktake.load_file(args.id, args.file, workstation=args.workstation)
        verdicts += result.verdicts
        problems += [f"line {n}: {why}" for n, why in result.problems]
    for code in args.codes:
        verdicts.append(stocktake.record_scan(args.id, code, workstation=args.workstation))
    if args.json:
        from app.cli.output import print_json
        print_json([{"code": v.code, "verdict": v.verdict, "message": v.message, "tag": v.tag,
                     "expected": v.expected, "room": v.room} for v in verdicts])
    else:
        for v in verdicts:
            room = f"  [{v.room} {v.room_verified}/{v.room_expected}]" if v.room else ""
            print(f"{v.label.upper():<28} {v.message}{room}")
        for line in problems:
            print(f"problem: {line}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from app.cli.output import print_json, print_table
    from app.services import stocktake
    st = stocktake.status(args.id)
    if args.json:
        print_json(st)
        return 0
    from app.wording import status_label
    print(f"Stocktake {st['id']}: {st['name']} ({status_label(st['status'])})")
    c = st["counts"]
    print(f"expected {st['expected']}, found {st['found']}, not yet found {st['not_yet_found']}; "
          f"verified {c['verified']}, misplaced {c['misplaced']}, other site {c['other_site']}, "
          f"unknown {c['unknown']}, retired/disposed {c['inactive']}, duplicate {c['duplicate']}")
    print()
    print_table(["Room", "Verified", "Expected", "Scanned here"],
                [[r["name"], r["verified"], r["expected"], r["scanned"]] for r in st["rooms"]])
    return 0


def run_list(args: argparse.Namespace) -> int:
    from app.cli.output import print_table
    from app.services import stocktake
    from app.wording import status_label
    print_table(["Id", "Name", "Site", "Status", "Started"],
                [[s["id"], s["name"], s["site"], status_label(s["status"]),
                  s["created_at"].strftime("%Y-%m-%d %H:%M")] for s in stocktake.list_sessions()])
    return 0


def run_close(args: argparse.Namespace) -> int:
    from app.services import stocktake
    actions = None
    if args.apply is not None:
        actions = [] if args.apply.strip().lower() == "audit" else stocktake.parse_actions(args.apply)
    rec = stocktake.close(args.id)
    c = rec.counts
    print(f"Stocktake {args.id} closed: verified {c['verified']}, missing {c['missing']}, "
          f"on loan (accounted for) {c['on_loan']}, misplaced {c['misplaced']}, other site {c['other_site']}, unknown {c['unknown']}, "
          f"retired/disposed found {c['inactive']}, duplicate scans {rec.duplicates}")
    for verdict in ("missing", "misplaced", "other_site", "unknown", "inactive", "on_loan"):
        for ln in rec.of(verdict):
            # A missing asset with a holder is checked out to a room (where it should be).
            lent = "checked out to" if ln.verdict == "missing" else "on loan to"
            extra = f" ({lent} {ln.holder})" if ln.holder else ""
            where = f"expected {ln.expected or '—'}" + (f", scanned in {ln.scanned}" if ln.scanned else "")
            print(f"  {ln.label:<28} {ln.tag or ln.code:<14} {where}{extra}")
    if actions is None:
        print("Nothing changed in the register; apply with --apply "
              "move-misplaced,mark-missing,create-unknown (or --apply audit).")
        return 0
    result = stocktake.apply(args.id, actions)
    print(f"Applied: {result.summary()}")
    for tag, why in result.problems:
        print(f"  skipped {tag}: {why}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from app.services import stocktake
    from reports.stocktake import write_report
    path = write_report(stocktake.reconciliation(args.id), args.output,
                        include_verified=args.verified)
    print(path)
    return 0
