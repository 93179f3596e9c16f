"""`quartermaster loaner`: the 1:1 program's loaner swap from the command line —
a student's device to repair and a loaner lent in one step, the swap ended
when the repair comes back, and the list of swaps. Marking assets as loaners
is `quartermaster asset loaner TAG…`.
"""
from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from app.cli import CommandError, Subparsers

if TYPE_CHECKING:
    import datetime as dt

    from app.models.places import Site

EXAMPLES = """\
examples:
  quartermaster asset loaner QM-000901 QM-000902 QM-000903
  quartermaster loaner swap QM-000412 --problem "cracked screen" --vendor "CDW-G"
  quartermaster loaner swap QM-000412 --loaner QM-000902 --problem "keyboard"
  quartermaster loaner return 7
  quartermaster loaner return QM-000412 --resolution "screen replaced" --cost 89
  quartermaster loaner list --open --site "Lincoln High"
  quartermaster loaner pool

`swap` checks the student's device in and opens its repair, and lends a free
loaner of the device's school (or the one given) to the same student, in one
step. `return` ends a swap (by its number, or the tag of its device or loaner):
the repair is closed, the loaner checked in and the device lent back. Closing
the repair (`asset repair close`) ends the swap too.
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("loaner", help="swap a student's broken device for a loaner, and back",
                       description="The loaner swap: the device to repair and a loaner out in "
                                   "one step; reversed when the repair returns.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="loaner_command", metavar="ACTION", required=True)

    s = ss.add_parser("swap", help="send a student's device to repair and lend a loaner")
    s.add_argument("tag", metavar="TAG", help="the student's device")
    s.add_argument("--loaner", metavar="TAG", help="the loaner to lend (default: the first "
                                                   "free one at the device's school)")
    s.add_argument("--problem", required=True, metavar="TEXT")
    s.add_argument("--vendor", metavar="NAME", help="the repair vendor (a supplier)")
    s.add_argument("--ticket", metavar="RMA")
    s.add_argument("--effective", metavar="DATE", help="the day it happened (default today)")
    s.set_defaults(func=run_swap)

    r = ss.add_parser("return", help="end a swap: the repaired device back, the loaner in")
    r.add_argument("swap", metavar="SWAP-ID|TAG")
    r.add_argument("--cost", metavar="X", help="the repair's cost")
    r.add_argument("--resolution", metavar="TEXT", help="what the repair did")
    r.add_argument("--effective", metavar="DATE", help="the day it came back (default today)")
    r.set_defaults(func=run_return)

    li = ss.add_parser("list", help="loaner swaps, newest first")
    li.add_argument("--open", action="store_true", help="only swaps not yet ended")
    li.add_argument("--site", metavar="S", help="the device's school (name or code)")
    li.add_argument("--csv", action="store_true", help="CSV on standard output")
    li.set_defaults(func=run_list)

    po = ss.add_parser("pool", help="loaners per school: free, out, unavailable")
    po.add_argument("--site", metavar="S")
    po.add_argument("--csv", action="store_true", help="CSV on standard output")
    po.set_defaults(func=run_pool)


def _asset_id(text: str) -> int:
    from app import scanning
    from app.services import assets
    asset_id = assets.lookup_tag(text.strip())
    if asset_id is None:
        res = scanning.resolve(text.strip())
        asset_id = res.id if res.kind == "asset" else None
    if asset_id is None:
        raise CommandError(f"no asset has the tag {text.strip()}")
    return asset_id


def _site(text: str | None) -> Site | None:
    if not text:
        return None
    from app.services import catalog
    site = catalog.find_site(text)
    if site is None:
        raise CommandError(f"no site {text.strip()!r}")
    return site


def _when(day: dt.date | None) -> str:
    from app.services import history
    return f" (effective {day.isoformat()})" if day and day != history.today() else ""


def _period_note(day: dt.date | None) -> None:
    """As `asset`: a back-dated change into a year already reported says so."""
    if day is not None:
        from app.services import periods
        note = periods.closed_year_note(day)
        if note:
            print(f"note: {note}")


def run_swap(args: argparse.Namespace) -> int:
    import peewee as pw

    from app.models import Supplier
    from app.services import loaners
    from app.services.assets import effective_day
    device_id = _asset_id(args.tag)
    loaner_id = _asset_id(args.loaner) if args.loaner else None
    vendor = None
    if args.vendor:
        vendor = Supplier.get_or_none(pw.fn.LOWER(Supplier.name) == args.vendor.strip().lower())
        if vendor is None:
            raise CommandError(f"no supplier {args.vendor.strip()!r}")
    day = effective_day(args.effective) if args.effective else None
    sw = loaners.swap(device_id, loaner_id=loaner_id, problem=args.problem,
                      vendor_id=vendor.id if vendor else None, ticket=args.ticket, effective=day)
    person = sw.person
    who = person.full_name + (f" ({person.id_number})" if person.id_number else "")
    print(f"swap {sw.id}: loaner {sw.loaner.tag} lent to {who}; {sw.device.tag} in repair "
          f"{sw.repair_id}{' with ' + vendor.name if vendor else ''}{_when(day)}")
    _period_note(day)
    return 0


def run_return(args: argparse.Namespace) -> int:
    from app.services import loaners
    from app.services.assets import effective_day
    sw = loaners.find(args.swap)
    day = effective_day(args.effective) if args.effective else None
    done = loaners.reverse(sw.id, effective=day, cost=args.cost, resolution=args.resolution)
    back = (f"{done.device.tag} back to {done.person.full_name}" if done.lent_back
            else f"{done.device.tag} was not lent back (it could not be repaired, or is "
                 "not available)")
    print(f"swap {done.id} ended: loaner {done.loaner.tag} checked in, {back}{_when(day)}")
    _period_note(day)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from app.cli.output import print_list
    from app.services import loaners
    site = _site(args.site)
    rows = loaners.list_swaps(open_only=args.open, site_id=site.id if site else None)
    headers = ["Swap", "Status", "Opened", "Ended", "Student", "ID", "Device", "Loaner", "School",
               "Problem", "Repair", "Vendor"]
    table = [[r["id"], loaners.SWAP_STATUSES.get(r["status"], r["status"]), r["opened"],
              r["closed"], r["student"], r["id_number"], r["device"], r["loaner"], r["site"],
              r["problem"], r["repair"], r["vendor"]] for r in rows]
    print_list(headers, table, args.csv, "no loaner swaps" + (" open" if args.open else ""))
    return 0


def run_pool(args: argparse.Namespace) -> int:
    from app.cli.output import print_list
    from app.services import loaners
    site = _site(args.site)
    rows = loaners.pool(site.id if site else None)
    headers = ["School", "Loaners", "Free", "Out", "Unavailable"]
    table = [[r["site"], r["loaners"], r["free"], r["out"], r["unavailable"]] for r in rows]
    print_list(headers, table, args.csv, "no loaners (mark some: quartermaster asset loaner TAG…)")
    return 0
