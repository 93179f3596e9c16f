"""`quartermaster stock`: receive, issue, count and list consumable supplies.

CODE is what is on the box or the bin label: the item's barcode, its part
number, or its exact name. Stock never goes negative: an issue larger than
what is on hand is refused and nothing is written.
"""
from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from app.cli import Subparsers
from app.cli.output import print_fields, print_list, print_table

if TYPE_CHECKING:
    from app.models.stock import Supply

EXAMPLES = """\
examples:
  quartermaster stock receive 192545000001 12 --cost 89.50 --po PO-25-00123
  quartermaster stock issue CF258A 1 --to QM-000412          (a printer's tag)
  quartermaster stock issue CF258A 1 --to E100               (a person's ID number)
  quartermaster stock issue "Copy paper" 10 --to "Lincoln High / 214"
  quartermaster stock count CF258A 3 --reason "shelf count"
  quartermaster stock list --low --csv > reorder.csv
  quartermaster stock fits QM-000412                         (what a printer takes)
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("stock", help="receive, issue, count and list supplies (toner, paper…)",
                       description="Supply stock: every movement is kept in the item's history "
                                   "and on hand never goes below zero.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="stock_command", metavar="ACTION", required=True)

    r = ss.add_parser("receive", help="add delivered stock")
    r.add_argument("code", metavar="CODE", help="barcode, part number or name of the item")
    r.add_argument("qty", metavar="QTY", help="how many arrived")
    r.add_argument("--cost", metavar="C", help="unit cost (becomes the item's unit cost)")
    r.add_argument("--po", metavar="P", help="purchase order number")
    r.set_defaults(func=run_receive)

    i = ss.add_parser("issue", help="hand out stock to a person, a room or a printer")
    i.add_argument("code", metavar="CODE", help="barcode, part number or name of the item")
    i.add_argument("qty", metavar="QTY", help="how many")
    i.add_argument("--to", required=True, metavar="TAG|PERSON-ID|LOCATION",
                   help="a printer's asset tag, a person's ID number, or a room "
                        "(label code or \"Site / Room\")")
    i.add_argument("--reason", metavar="R", help="note kept with the movement")
    i.set_defaults(func=run_issue)

    c = ss.add_parser("count", help="record a shelf count; the difference becomes an adjustment")
    c.add_argument("code", metavar="CODE")
    c.add_argument("qty", metavar="QTY", help="the quantity counted on the shelf")
    c.add_argument("--reason", metavar="R", help="why it differs (default: stock count)")
    c.set_defaults(func=run_count)

    t = ss.add_parser("transfer", help="move an item to another bin")
    t.add_argument("code", metavar="CODE")
    t.add_argument("bin", metavar="BIN")
    t.set_defaults(func=run_transfer)

    lst = ss.add_parser("list", help="every item with on hand, reorder point and what to order")
    lst.add_argument("--low", action="store_true", help="only items at or below their reorder point")
    lst.add_argument("--csv", action="store_true", help="CSV on standard output")
    lst.set_defaults(func=run_list)

    h = ss.add_parser("history", help="an item's movements, newest first")
    h.add_argument("code", metavar="CODE")
    h.add_argument("--limit", type=int, default=50, metavar="N")
    h.set_defaults(func=run_history)

    f = ss.add_parser("fits", help="what a printer takes, and how many are on hand")
    f.add_argument("tag", metavar="TAG", help="the printer's asset tag (or serial)")
    f.set_defaults(func=run_fits)


def _done(verb: str, qty: int, item: Supply, extra: str = "") -> None:
    print(f"{verb} {qty} × {item.name}{extra}; on hand now {item.on_hand}")


def run_receive(args: argparse.Namespace) -> int:
    from app.services import stock
    item = stock.require(args.code)
    move = stock.receive(item.id, args.qty, unit_cost=args.cost, order_number=args.po)
    _done("received", move.qty, stock.get(item.id), f" (PO {args.po})" if args.po else "")
    return 0


def run_issue(args: argparse.Namespace) -> int:
    from app.services import stock
    item = stock.require(args.code)
    to = stock.find_recipient(args.to)
    move = stock.issue(item.id, args.qty, reason=args.reason, **to)
    where = stock.moves(item.id, limit=1)[0]["where"]
    _done("issued", -move.qty, stock.get(item.id), f" to {where}")
    return 0


def run_count(args: argparse.Namespace) -> int:
    from app.services import stock
    item = stock.require(args.code)
    move = stock.count(item.id, args.qty, reason=args.reason)
    diff = f"{move.qty:+d}" if move.qty else "no difference"
    print(f"counted {args.qty} × {item.name} ({diff}); on hand now {stock.get(item.id).on_hand}")
    return 0


def run_transfer(args: argparse.Namespace) -> int:
    from app.services import stock
    item = stock.require(args.code)
    old = item.bin or "-"
    stock.transfer(item.id, args.bin)
    print(f"moved {item.name} from bin {old} to {args.bin.strip()}")
    return 0


HEADERS = ["Item", "Part number", "Barcode", "Category", "On hand", "Reorder point", "Target",
           "To order", "Bin", "Fits"]


def run_list(args: argparse.Namespace) -> int:
    from app.services import stock
    rows = [[r["name"], r["part_number"], r["barcode"], r["category_label"], r["on_hand"],
             r["reorder_point"], r["target"], r["to_order"], r["bin"], ", ".join(r["fits"])]
            for r in stock.listing(low=args.low)]
    print_list(HEADERS, rows, args.csv,
               "no items at or below their reorder point" if args.low else "no supply items",
               shown=[0, 1, 4, 5, 6, 7, 8])
    return 0


def run_history(args: argparse.Namespace) -> int:
    from app.services import stock
    item = stock.require(args.code)
    rows = [[m["at"].strftime("%Y-%m-%d %H:%M") if m["at"] else "", m["kind"], f"{m['qty']:+d}"
             if m["qty"] else "0", m["balance"], m["where"], m["reason"] or "", m["by"] or ""]
            for m in stock.moves(item.id, limit=args.limit)]
    print(f"{item.name}: {item.on_hand} on hand")
    if rows:
        print_table(["When", "Movement", "Qty", "Balance", "Where", "Reason", "By"], rows)
    return 0


def run_fits(args: argparse.Namespace) -> int:
    from app import scanning
    from app.services import stock
    from app.services.errors import NotFound
    res = scanning.resolve(args.tag)
    if res.kind != "asset" or not res.id:
        raise NotFound(f"No asset has the tag {args.tag.strip()!r}.")
    info = stock.printer(res.id)
    print_fields([("asset", f"{info['tag']} {info['name'] or ''}".strip()),
                  ("model", info["model"])])
    if not info["supplies"]:
        print("no supply items are recorded as fitting this model")
        return 0
    print_table(["Item", "Part number", "On hand", "Reorder point", "To order", "Bin"],
                [[s["name"], s["part_number"], s["on_hand"], s["reorder_point"], s["to_order"],
                  s["bin"]] for s in info["supplies"]])
    return 0
