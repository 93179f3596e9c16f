"""`quartermaster licenses`: seats owned, used and free; assign, release and
move seats. LICENSE is the product name (with its version when several share
a name, e.g. "Adobe Creative Cloud 2025") or the license's number."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli import Subparsers
from app.cli.output import print_list
from app.services.errors import NotFound

if TYPE_CHECKING:
    from app.models.stock import License

EXAMPLES = """\
examples:
  quartermaster licenses                          every license, seats and problems
  quartermaster licenses --over                   only over-allocated ones
  quartermaster licenses --expiring 60 --csv > renewals.csv
  quartermaster licenses assign "Adobe Creative Cloud" --to QM-000412
  quartermaster licenses assign Tableau --to E100         (a person's ID number)
  quartermaster licenses release "Adobe Creative Cloud" --from QM-000412
  quartermaster licenses move "Adobe Creative Cloud" --from QM-000412 --to QM-000977
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("licenses", help="software licenses: seats owned, used, free; assign seats",
                       description="Software licenses and their seats. Without an action: the "
                                   "list with owned / used / free and problems.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--over", action="store_true", help="only licenses using more seats than owned")
    p.add_argument("--expiring", type=int, metavar="DAYS",
                   help="only licenses ending within DAYS days (or already ended)")
    p.add_argument("--csv", action="store_true", help="CSV on standard output")
    p.set_defaults(func=run_list)
    ls = p.add_subparsers(dest="license_command", metavar="ACTION")

    a = ls.add_parser("assign", help="give a computer or a person a seat")
    a.add_argument("license", metavar="LICENSE")
    a.add_argument("--to", required=True, metavar="TAG|PERSON-ID",
                   help="a computer's asset tag or a person's ID number")
    a.set_defaults(func=run_assign)

    r = ls.add_parser("release", help="free a seat")
    r.add_argument("license", metavar="LICENSE")
    r.add_argument("--from", dest="holder", required=True, metavar="TAG|PERSON-ID")
    r.set_defaults(func=run_release)

    m = ls.add_parser("move", help="move a seat to another computer or person")
    m.add_argument("license", metavar="LICENSE")
    m.add_argument("--from", dest="holder", required=True, metavar="TAG|PERSON-ID")
    m.add_argument("--to", required=True, metavar="TAG|PERSON-ID")
    m.set_defaults(func=run_move)


def find_license(text: str) -> License:
    from app.services import licenses
    lic = licenses.find(text)
    if lic is None:
        raise NotFound(f"No single license is named {text.strip()!r}; "
                       f"`quartermaster licenses` lists them (a number works too).")
    return lic


def _holder(text: str) -> tuple[int | None, int | None]:
    """(asset id, person id) of what ``text`` names, one of them None."""
    from app.services import licenses
    kind, obj_id = licenses.find_holder(text)
    return (obj_id, None) if kind == "asset" else (None, obj_id)


def _seats_line(lic: License) -> str:
    from app.services import licenses
    s = licenses.summary(lic.id)
    if s["free"] is None:
        return f"{s['used']} seats in use (site license)"
    return f"{s['used']} of {s['seats']} seats in use, {s['free']} free"


HEADERS = ["Product", "Version", "Vendor", "Owned", "Used", "Free", "Expires", "Cost", "Problems"]


def run_list(args: argparse.Namespace) -> int:
    from app.services import licenses
    rows = [[r["product"], r["version"], r["vendor"],
             "site license" if r["site_license"] else r["seats"], r["used"],
             "" if r["free"] is None else r["free"], r["expiry_date"], r["cost"],
             "; ".join(r["problems"])]
            for r in licenses.compliance(over=args.over, expiring=args.expiring)]
    print_list(HEADERS, rows, args.csv, "no licenses match")
    return 0


def run_assign(args: argparse.Namespace) -> int:
    from app.services import licenses
    lic = find_license(args.license)
    asset_id, person_id = _holder(args.to)
    licenses.assign(lic.id, asset_id=asset_id, person_id=person_id)
    print(f"assigned a seat of {lic} to {args.to.strip()}; {_seats_line(lic)}")
    return 0


def run_release(args: argparse.Namespace) -> int:
    from app.services import licenses
    lic = find_license(args.license)
    asset_id, person_id = _holder(args.holder)
    licenses.release(lic.id, asset_id=asset_id, person_id=person_id)
    print(f"released the seat of {lic} from {args.holder.strip()}; {_seats_line(lic)}")
    return 0


def run_move(args: argparse.Namespace) -> int:
    from app.services import licenses
    lic = find_license(args.license)
    from_asset, from_person = _holder(args.holder)
    to_asset, to_person = _holder(args.to)
    licenses.move(lic.id, from_asset_id=from_asset, from_person_id=from_person,
                  to_asset_id=to_asset, to_person_id=to_person)
    print(f"moved the seat of {lic} from {args.holder.strip()} to {args.to.strip()}")
    return 0
