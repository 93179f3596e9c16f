"""`quartermaster fees`: damage and missing-part fees — list, charge, pay (with a
receipt), waive, and the price list.

A fee is for a student; name them by their student ID, or by the tag of the
device they hold (or last held).
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli import CommandError, Subparsers
from app.cli.output import pick, print_list, print_table

if TYPE_CHECKING:
    from pathlib import Path

EXAMPLES = """\
examples:
  quartermaster fees list --owed --site RHS
  quartermaster fees list --csv > fees.csv
  quartermaster fees charge QM-000412 --part screen
  quartermaster fees charge S2000001 --part charger --amount 25
  quartermaster fees pay 12 20.00 --method check --reference 1042 --receipt receipt.pdf
  quartermaster fees pay S2000001 25    (the one fee that student owes)
  quartermaster fees waive 12 --why "Family hardship, approved by the principal"
  quartermaster fees prices
  quartermaster fees price set screen 45
  quartermaster fees price set device 329 --model "Chromebook 3110"
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("fees", help="damage fees: list, charge, pay with a receipt, waive; prices",
                       description="Fees a student's family owes for damage or missing parts. "
                                   "Payments are recorded (with a receipt number), not processed.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="fees_command", metavar="ACTION", required=True)

    lst = ss.add_parser("list", help="fees, newest first")
    lst.add_argument("--owed", action="store_true", help="only fees with something left to pay")
    lst.add_argument("--status", metavar="S", help="owed, paid or waived")
    lst.add_argument("--site", metavar="S", help="the student's school (name or code)")
    lst.add_argument("--csv", action="store_true", help="CSV on standard output")
    lst.set_defaults(func=run_list)

    c = ss.add_parser("charge", help="charge a fee by hand; prints its number")
    c.add_argument("who", metavar="TAG|STUDENT-ID")
    c.add_argument("--part", required=True, metavar="P",
                   help="screen, keyboard, hinge, port, other, a kit part (charger), or device")
    c.add_argument("--amount", metavar="A", help="the amount (default: the price list's, with "
                                                 "forgiveness and insurance)")
    c.add_argument("--note", metavar="TEXT", help="what happened")
    c.set_defaults(func=run_charge)

    pay = ss.add_parser("pay", help="record a payment; prints the receipt number")
    pay.add_argument("fee", metavar="ID",
                     help="the fee number, or a student ID or tag that owes one fee")
    pay.add_argument("amount", metavar="AMOUNT")
    pay.add_argument("--method", default="cash", metavar="M",
                     help="cash, check, card, online or other (default cash)")
    pay.add_argument("--reference", metavar="R", help="check number or transaction id")
    pay.add_argument("--date", metavar="DATE", help="the day it was paid (default today)")
    pay.add_argument("--receipt", metavar="FILE.pdf", help="also write the receipt as a PDF")
    pay.set_defaults(func=run_pay)

    w = ss.add_parser("waive", help="waive what is left of a fee (a reason is required)")
    w.add_argument("fee", metavar="ID",
                   help="the fee number, or a student ID or tag that owes one fee")
    w.add_argument("--why", required=True, metavar="W")
    w.set_defaults(func=run_waive)

    r = ss.add_parser("receipt", help="write a payment's receipt again as a PDF")
    r.add_argument("number", metavar="R-YEAR-NNNNNN")
    r.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    r.set_defaults(func=run_receipt)

    pr = ss.add_parser("prices", help="the price list")
    pr.set_defaults(func=run_prices)
    price = ss.add_parser("price", help="change the price list")
    ps = price.add_subparsers(dest="price_command", metavar="ACTION", required=True)
    s = ps.add_parser("set", help="set a part's price (for one model with --model)")
    s.add_argument("part", metavar="PART")
    s.add_argument("amount", metavar="AMOUNT")
    s.add_argument("--model", metavar="M", help="model name (default: every model)")
    s.set_defaults(func=run_price_set)
    rm = ps.add_parser("remove", help="remove a part's price")
    rm.add_argument("part", metavar="PART")
    rm.add_argument("--model", metavar="M")
    rm.set_defaults(func=run_price_remove)


HEADERS = ["Fee", "Incurred", "Student", "Student ID", "Grade", "School", "Asset", "Kind",
           "Part", "Description", "List amount", "Amount", "Paid", "Balance", "Status",
           "Reason"]
KEYS = ["id", "incurred_on", "student", "student_id", "grade", "site", "asset", "kind", "part",
        "description", "list_amount", "amount", "paid", "balance", "status", "reason"]


def run_list(args: argparse.Namespace) -> int:
    from app.services import fees
    rows = fees.rows(status=args.status, site=args.site, owed_only=args.owed)
    table = [pick(r, KEYS) for r in rows]
    if print_list(HEADERS, table, args.csv, "no fees owed" if args.owed else "no fees",
                  shown=[0, 1, 2, 3, 5, 6, 9, 11, 13, 14]):
        owed = sum((r["balance"] for r in rows), start=fees.ZERO)
        print(f"{len(rows)} fee{'s' if len(rows) != 1 else ''}; ${owed:,.2f} owed")
    return 0


def run_charge(args: argparse.Namespace) -> int:
    from app.services import fees
    person, asset, loan = fees.resolve_target(args.who)
    fee = fees.charge(person.id, args.part, args.amount, asset_id=asset.id if asset else None,
                      loan_id=loan.id if loan else None, description=args.note)
    print(fee.id)
    if fee.status == "waived":
        print(f"fee #{fee.id} for {person.full_name}: {fee.list_amount:.2f} waived "
              f"({fee.waived_reason})")
    else:
        print(f"fee #{fee.id} for {person.full_name}: {fee.amount:.2f} owed"
              + (f" (list {fee.list_amount:.2f})" if fee.list_amount != fee.amount else ""))
    return 0


def run_pay(args: argparse.Namespace) -> int:
    from app.services import fees
    if args.receipt and not args.receipt.lower().endswith(".pdf"):
        raise CommandError("the receipt is written as a PDF: give a FILE.pdf")
    payment = fees.pay(fees.find_owed(args.fee).id, args.amount, method=args.method, reference=args.reference,
                       paid_on=args.date)
    print(payment.receipt)
    fee = fees.get(payment.fee_id)
    left = fees.balance(fee)
    print(f"fee #{fee.id}: {payment.amount:.2f} paid; "
          + ("paid in full" if fee.status == "paid" else f"{left:.2f} left to pay"))
    if args.receipt:
        path = _write_receipt(payment.receipt, args.receipt)
        print(f"receipt written to {path}")
    return 0


def _write_receipt(number: str, path: str) -> Path:
    from app.services import fees
    from reports.fee_receipt import write_receipt
    return write_receipt(fees.receipt(number), path)


def run_receipt(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(".pdf"):
        raise CommandError("the receipt is written as a PDF: give a FILE.pdf")
    print(f"receipt written to {_write_receipt(args.number, args.output)}")
    return 0


def run_waive(args: argparse.Namespace) -> int:
    from app.services import fees
    fee = fees.waive(fees.find_owed(args.fee).id, args.why)
    print(f"fee #{fee.id} waived: {fee.waived_reason}")
    return 0


def run_prices(args: argparse.Namespace) -> int:
    from app.services import prices
    rows = prices.price_list()
    if not rows:
        print("the price list is empty (fees price set PART AMOUNT)")
        return 0
    print_table(["Part", "Model", "Amount"], [[r["label"], r["model"], r["amount"]] for r in rows])
    return 0


def _model_id(text: str | None) -> int | None:
    from app.services import prices
    return prices.find_model(text).id if text else None


def run_price_set(args: argparse.Namespace) -> int:
    from app.services import prices
    from app.services.fields import parse_money
    if parse_money(args.amount, "amount") is None:
        raise CommandError("give the amount (remove a price with `fees price remove`)")
    item = prices.set_price(args.part, args.amount, model_id=_model_id(args.model))
    assert item is not None  # an amount was given: a price set, not removed
    print(f"{prices.part_label(item.part)}: {item.amount:.2f}"
          + (f" for {prices.model_label(item.model)}" if item.model is not None else " for every model"))
    return 0


def run_price_remove(args: argparse.Namespace) -> int:
    from app.services import prices
    model_id = _model_id(args.model)
    part = prices.normalize_part(args.part)
    if prices.find_price(part, model_id) is None:
        raise CommandError(f"the price list has no price for {args.part}"
                           + (f" for {args.model}" if args.model else " for every model"))
    prices.set_price(part, None, model_id=model_id)
    print(f"removed the price of {prices.part_label(part)}")
    return 0
