"""`quartermaster wo`: the work-order log — open, list, show, note (with time spent), close.

A requester is a person's ID number (or email, or "First Last"); a parent or a
visitor who is not in the register is a name and a contact instead.
"""
from __future__ import annotations

import argparse

from app.cli import Subparsers
from app.cli.output import pick, print_fields, print_list, print_table

EXAMPLES = """\
examples:
  quartermaster wo new --asset QM-000412 --requester E10000 --category repair --summary "No video"
  quartermaster wo new --asset QM-000412 --asset QM-000413 --asset QM-000414 \
      --requester E10000 --category move --summary "Cart 3 to the library"
  quartermaster wo new --requester-name "Maria Lopez" --contact 555-0142 \\
      --category account --summary "Parent portal password"
  quartermaster wo list --open
  quartermaster wo list --csv > workorders.csv
  quartermaster wo note 12 "Reseated the RAM" --minutes 20
  quartermaster wo repair 12 --vendor "Vector Repair Depot" --ticket RMA-5521
  quartermaster wo close 12 --resolution "Replaced the display cable"
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("wo", help="work orders: log requests, notes with time spent, close them",
                       description="Work orders (the request log). Each change is kept in the "
                                   "work order's history.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="wo_command", metavar="ACTION", required=True)

    n = ss.add_parser("new", help="open a work order; prints its number")
    n.add_argument("--asset", metavar="TAG", action="append",
                   help="an asset it is about (its tag); repeat for several")
    n.add_argument("--requester", metavar="ID",
                   help="who asked: ID number, email or \"First Last\" of a person")
    n.add_argument("--requester-name", metavar="NAME", help="who asked, when not in the register")
    n.add_argument("--contact", metavar="PHONE|EMAIL", help="how to reach that requester")
    n.add_argument("--category", required=True, metavar="C",
                   help="repair, install, move, account or other")
    n.add_argument("--summary", required=True, metavar="TEXT")
    n.add_argument("--description", metavar="TEXT")
    n.add_argument("--priority", default="normal", metavar="P", help="low, normal, high, urgent")
    n.add_argument("--assign", metavar="NAME", help="who works on it")
    n.add_argument("--follow-up", metavar="DATE", help="when to check back with the requester")
    n.set_defaults(func=run_new)

    lst = ss.add_parser("list", help="work orders, newest first")
    lst.add_argument("--open", action="store_true", help="only those not resolved or closed")
    lst.add_argument("--csv", action="store_true", help="CSV on standard output")
    lst.set_defaults(func=run_list)

    s = ss.add_parser("show", help="one work order with its notes")
    s.add_argument("number", metavar="N")
    s.set_defaults(func=run_show)

    t = ss.add_parser("note", help="add a note (and the time it took)")
    t.add_argument("number", metavar="N")
    t.add_argument("text", metavar="TEXT")
    t.add_argument("--minutes", metavar="M", default="0", help="time spent, in minutes")
    t.add_argument("--status", metavar="S",
                   help="new status (in_progress, waiting_vendor, waiting_parts, "
                        "waiting_user, resolved)")
    t.set_defaults(func=run_note)

    r = ss.add_parser("repair", help="send its asset to a vendor: a repair opened and linked")
    r.add_argument("number", metavar="N")
    r.add_argument("--vendor", metavar="NAME", help="the vendor (a supplier's name)")
    r.add_argument("--ticket", metavar="T", help="RMA or ticket number")
    r.set_defaults(func=run_repair)

    c = ss.add_parser("close", help="close with what was done")
    c.add_argument("number", metavar="N")
    c.add_argument("--resolution", required=True, metavar="TEXT")
    c.add_argument("--minutes", metavar="M", default="0", help="time spent on the last visit")
    c.set_defaults(func=run_close)


def run_new(args: argparse.Namespace) -> int:
    from app.services import assets, people, workorders
    from app.services.errors import NotFound
    values = {"category": args.category, "summary": args.summary,
              "description": args.description, "priority": args.priority,
              "assignee": args.assign, "follow_up": args.follow_up,
              "requester_name": args.requester_name, "requester_contact": args.contact}
    if args.asset:
        values["asset_ids"] = [assets.get_by_tag(tag).id for tag in args.asset]
    if args.requester:
        person = people.find(args.requester)
        if person is None:
            raise NotFound(f"No person matches {args.requester.strip()!r} (ID number, email or "
                           "\"First Last\"); use --requester-name and --contact for someone "
                           "not in the register.")
        values["requester_id"] = person.id
    wo = workorders.create({k: v for k, v in values.items() if v not in (None, "")})
    print(wo.id)
    return 0


HEADERS = ["Number", "Opened", "Status", "Priority", "Category", "Summary", "Requester", "Site",
           "Asset", "Assignee", "Follow-up", "Minutes", "Closed"]
KEYS = ["number", "opened", "status", "priority", "category", "summary", "requester", "site",
        "asset", "assignee", "follow_up", "minutes", "closed"]


def run_list(args: argparse.Namespace) -> int:
    from app.services import workorders
    rows = [pick(r, KEYS) for r in workorders.rows(open_only=args.open)]
    print_list(HEADERS, rows, args.csv, "no open work orders" if args.open else "no work orders",
               shown=[0, 1, 2, 3, 4, 5, 6, 8, 10], cell=lambda i, v: _short(v) if i == 5 else v)
    return 0


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def run_show(args: argparse.Namespace) -> int:
    from app.services import workorders
    d = workorders.details(args.number)
    print_fields([("Work order", f"#{d['number']}"), ("Summary", d["summary"]),
                  ("Status", d["status"]), ("Priority", d["priority"]),
                  ("Category", d["category"]), ("Requester", d["requester"]),
                  ("Site", d["site"]), ("Room", d["room"]),
                  ("Assets" if len(d["assets"]) > 1 else "Asset",
                   "; ".join(f"{a['tag']} {a['name']}".strip() for a in d["assets"]) or None),
                  ("Repair", f"repair {d['repair_id']}" if d["repair_id"] else None),
                  ("Assignee", d["assignee"]), ("Follow-up", d["follow_up"]),
                  ("Opened", d["opened_at"]), ("Opened by", d["created_by"]),
                  ("Closed", d["closed_at"]), ("Description", d["description"]),
                  ("Resolution", d["resolution"]), ("Time spent", f"{d['minutes']} min")])
    if d["notes"]:
        print()
        print_table(["When", "By", "Minutes", "Note"],
                    [[n["at"].strftime("%Y-%m-%d %H:%M"), n["by"] or "", n["minutes"],
                      " ".join(n["text"].split())] for n in d["notes"]])
    return 0


def run_note(args: argparse.Namespace) -> int:
    from app.services import workorders
    workorders.add_note(args.number, args.text, minutes=args.minutes, status=args.status)
    wo = workorders.get(args.number)
    print(f"noted on #{wo.id}; {workorders.minutes_spent(wo.id)} min in all; "
          f"status {workorders.details(wo.id)['status']}")
    return 0


def run_repair(args: argparse.Namespace) -> int:
    import peewee as pw

    from app.models import Supplier
    from app.services import workorders
    from app.services.errors import NotFound
    vendor_id = None
    if args.vendor:
        vendor = Supplier.get_or_none(pw.fn.LOWER(Supplier.name) == args.vendor.strip().lower())
        if vendor is None:
            raise NotFound(f"No supplier called {args.vendor.strip()!r}.")
        vendor_id = vendor.id
    repair = workorders.send_to_repair(args.number, vendor_id=vendor_id, ticket=args.ticket)
    print(f"repair {repair.id} opened for #{workorders.get(args.number).id}; waiting on vendor")
    return 0


def run_close(args: argparse.Namespace) -> int:
    from app.services import workorders
    wo = workorders.close(args.number, args.resolution, minutes=args.minutes)
    print(f"closed #{wo.id}")
    return 0
