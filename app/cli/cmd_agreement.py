"""`quartermaster agreement`: the loan agreement PDF a borrower signs (en/es)."""
from __future__ import annotations

import argparse

from app.cli import CommandError, Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("agreement", help="print a borrower's device loan agreement (PDF, English or Spanish)",
                       description="Lists the devices currently lent to a person, the terms and "
                                   "signature lines. WHO is a person's ID number or an asset tag "
                                   "(its current borrower).")
    p.add_argument("who", metavar="PERSON-ID|TAG")
    p.add_argument("--language", choices=("en", "es"),
                   help="language (default: the borrower's preferred language)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.models import Asset, Person
    from app.services import assets, people
    person = people.find(args.who)
    if person is None:
        asset_id = assets.lookup_tag(args.who)
        if asset_id is None:
            raise CommandError(f"no person or asset matches {args.who!r}")
        holder = Asset.select(Asset.assigned_person).where(Asset.id == asset_id).scalar()
        if not holder:
            raise CommandError(f"asset {args.who.strip()} is not lent to a person")
        person = Person.get_by_id(holder)
    from app.reporting.agreement import agreement_rows
    from reports.loan_agreement import render_agreement
    if not agreement_rows(person.id):
        raise CommandError(f"{person.full_name} has no devices on loan")
    render_agreement(person.id, args.output, language=args.language)
    print(f"wrote {args.output} ({person.full_name})")
    return 0
