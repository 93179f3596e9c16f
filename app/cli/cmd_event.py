"""`quartermaster event`: distribution and collection days of the 1:1 program."""
from __future__ import annotations

import argparse

from app.cli import CommandError, Subparsers

EPILOG = """\
examples:
  quartermaster event start distribution --site RHS --grade 9 --due 2027-06-11   (prints its id)
  quartermaster event scan 4 S2000123 QM-000101        (a student's card, then their device)
  quartermaster event scan 4 S2000124 QM-000102 --agreement refused
  quartermaster event start collection --site "Riverside High School"
  quartermaster event scan 5 QM-000101 QM-000102       (each device back in good condition)
  quartermaster event scan 5 QM-000103 --damaged screen,hinge --missing charger
  quartermaster event scan 5 --file scanner-memory.txt (CODE or CODE,TIMESTAMP per line)
  quartermaster event status 4
  quartermaster event close 4
  quartermaster event report 4 -o distribution-4.pdf   (or .csv)

At a distribution a student's ID card waits at this station (--station, default
the host name) for the device scanned next; a device with no student waiting, a
student who already has a device, a device already lent and a withdrawn student
are refused and nothing is written. At a collection --damaged and --missing
apply to every device of the command; a damaged or incomplete return is charged
by the price list.
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("event", help="distribution and collection days: start, scan, status, "
                                     "close, report",
                       description="Hand out and take back the students' devices at a school.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    esub = p.add_subparsers(dest="event_command", metavar="ACTION", required=True)

    s = esub.add_parser("start", help="open a distribution or collection; prints its id")
    s.add_argument("kind", choices=("distribution", "collection"))
    s.add_argument("--site", required=True, metavar="S", help="school name or code")
    s.add_argument("--grade", metavar="G")
    s.add_argument("--homeroom", metavar="H", help="homeroom or teacher")
    s.add_argument("--due", metavar="YYYY-MM-DD", help="distribution: when the devices come back")
    s.add_argument("--name", help="the event's name (default: kind, school and date)")
    s.set_defaults(func=run_start)

    s = esub.add_parser("scan", help="record scans: student cards and device tags")
    s.add_argument("id", type=int)
    s.add_argument("codes", nargs="*", metavar="CODE")
    s.add_argument("--file", metavar="F", help="a scanner memory file: CODE or CODE,TIMESTAMP per line")
    s.add_argument("--agreement", choices=("signed", "waiver", "refused"),
                   help="distribution: the agreement of the devices lent by this command "
                        "(default signed)")
    s.add_argument("--damaged", metavar="KINDS",
                   help="collection: damage found, e.g. screen,hinge (screen, keyboard, hinge, "
                        "port, other)")
    s.add_argument("--missing", metavar="PARTS", help="collection: kit parts not returned, e.g. charger")
    s.add_argument("--station", help="name of this scanning station (default: host name)")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=run_scan)

    s = esub.add_parser("status", help="who has received / returned, by homeroom")
    s.add_argument("id", type=int)
    s.add_argument("--all", action="store_true", help="list every student, not only who is left")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=run_status)

    s = esub.add_parser("list", help="list events")
    s.set_defaults(func=run_list)

    s = esub.add_parser("close", help="stop taking scans")
    s.add_argument("id", type=int)
    s.set_defaults(func=run_close)

    s = esub.add_parser("report", help="write the report (PDF or CSV)")
    s.add_argument("id", type=int)
    s.add_argument("-o", "--output", required=True, metavar="FILE.pdf|FILE.csv")
    s.set_defaults(func=run_report)


def run_start(args: argparse.Namespace) -> int:
    from app.services import events
    event = events.start(args.kind, args.site, grade=args.grade, homeroom=args.homeroom,
                         due=args.due, name=args.name)
    print(event.id)
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from app.services import events
    if not args.codes and not args.file:
        raise CommandError("give codes to scan, or --file FILE")
    event = events.get(args.id)
    if event.kind == "distribution" and (args.damaged or args.missing):
        raise CommandError("--damaged and --missing are for a collection")
    if event.kind == "collection" and args.agreement:
        raise CommandError("--agreement is for a distribution")
    codes: list[tuple[str, str]] = []  # (where, code)
    if args.file:
        from app.services import stocktake, textfile
        for number, code, _stamp in stocktake.parse_scan_lines(textfile.read_text(args.file,
                                                                                  "scanner")):
            codes.append((f"line {number}", code))
    codes += [("", c) for c in args.codes]
    opts = dict(station=args.station, agreement=args.agreement, damage=args.damaged,
                missing_parts=args.missing)
    # Checked once before any scan, so a bad option writes nothing.
    from app.services import assets
    assets.clean_damage(args.damaged)
    results = []
    for where, code in codes:
        results.append((where, events.scan(args.id, code, **opts)))
    if args.json:
        from app.cli.output import print_json
        print_json([{"code": r.code, "verdict": r.verdict, "tone": r.tone, "text": r.text,
                     "detail": r.detail, "person_id": r.person_id, "asset_id": r.asset_id,
                     "loan_id": r.loan_id, "written": r.written,
                     "fees": [{"kind": k, "part": p, "amount": a, "status": s}
                              for k, p, a, s in r.fees]} for _w, r in results])
        return 0
    for where, r in results:
        prefix = f"{where}: " if where else ""
        print(f"{prefix}{r.label.upper():<30} {r.text}" + (f" — {r.detail}" if r.detail else ""))
    return 0


def run_status(args: argparse.Namespace) -> int:
    from app.cli.output import print_json, print_table
    from app.services import events
    st = events.status(args.id)
    if args.json:
        print_json(st)
        return 0
    scope = ", ".join(x for x in (st["site"], f"grade {st['grade']}" if st["grade"] else "",
                                  f"homeroom {st['homeroom']}" if st["homeroom"] else "") if x)
    print(f"Event {st['id']}: {st['name']} ({st['kind_label']}, {scope}; {st['status']})")
    t = st["totals"]
    if st["kind"] == "distribution":
        a = st["agreements"]
        print(f"students {t['students']}, received {t['received']}, had a device already "
              f"{t['had_device']}, not yet {t['not_yet']}; agreements: signed {a['signed']}, "
              f"waiver {a['waiver']}, refused {a['refused']}")
        print()
        print_table(["Homeroom", "Students", "Received", "Had one", "Not yet"],
                    [[g["homeroom"], g["students"], g["received"], g["had_device"], g["not_yet"]]
                     for g in st["homerooms"]])
        rows = [s for s in st["students"] if args.all or s["state"] == "not_yet"]
        if rows:
            print()
            print("Every student:" if args.all else "Not yet received:")
            print_table(["Homeroom", "Student", "ID", "Grade", "State", "Device"],
                        [[s["homeroom"], s["name"], s["id_number"], s["grade"],
                          STATE_TEXT[s["state"]], s["tag"]] for s in rows])
        return 0
    fees = st["fees"]
    owed_fees = fees.get("owed")
    owed = (owed_fees["amount"] if owed_fees else None) or 0
    print(f"returned {t['returned']} (damaged {t['damaged']}), outstanding {t['outstanding']} "
          f"(withdrawn students {t['withdrawn']}); fees owed ${owed:,.2f}")
    print()
    print_table(["School", "Grade", "Homeroom", "Returned", "Damaged", "Outstanding", "Withdrawn"],
                [[g["school"], g["grade"], g["homeroom"], g["returned"], g["damaged"],
                  g["outstanding"], g["withdrawn"]] for g in st["groups"]])
    if st["outstanding"]:
        print()
        print("Outstanding (withdrawn students first):")
        print_table(["Device", "Student", "ID", "School", "Grade", "Homeroom", "Withdrawn"],
                    [[r["tag"], r["name"], r["id_number"], r["school"], r["grade"], r["homeroom"],
                      r["withdrawn"]] for r in st["outstanding"]])
    return 0


STATE_TEXT = {"received": "received", "had_device": "had one already", "not_yet": "not yet"}


def run_list(args: argparse.Namespace) -> int:
    from app.cli.output import print_table
    from app.services import events
    print_table(["Id", "Kind", "Name", "School", "Status", "Started"],
                [[e["id"], e["kind"], e["name"], e["site"], e["status"],
                  e["created_at"].strftime("%Y-%m-%d %H:%M")] for e in events.list_events()])
    return 0


def run_close(args: argparse.Namespace) -> int:
    from app.services import events
    event = events.close(args.id)
    st = events.status(event.id)
    t = st["totals"]
    if st["kind"] == "distribution":
        print(f"Event {event.id} closed: received {t['received']}, not yet {t['not_yet']}")
    else:
        print(f"Event {event.id} closed: returned {t['returned']}, outstanding {t['outstanding']}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from app.reporting.events import event_report
    from reports.program_event import write_report
    print(write_report(event_report(args.id), args.output))
    return 0
