"""`quartermaster purge`: records past retention — preview, then purge with a
backup first and a certificate PDF. Nothing under a retention rule is purged."""
from __future__ import annotations

import argparse
import datetime as dt

from app.cli import Subparsers

EXAMPLES = """\
examples:
  quartermaster purge --preview
  quartermaster purge -o purge-certificate.pdf
  quartermaster purge --asset QM-000123 QM-000124 -o certificate.pdf   (only these disposed assets)
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("purge", help="purge records past retention (backup first, certificate PDF)",
                       description="Retention rules (years are settings): E-Rate records, "
                                   "disposed assets, people who left (anonymised), closed work "
                                   "orders, history.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preview", action="store_true", help="list what is due, by rule; change nothing")
    p.add_argument("--asset", nargs="+", metavar="TAG", help="purge only these disposed assets")
    p.add_argument("-o", "--output", metavar="FILE.pdf",
                   help="the certificate (default purge-certificate-DATE.pdf here)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli.output import print_table
    from app.services import retention
    if args.preview:
        due = retention.preview()
        print_table(["Rule", "Kept (years)", "Due", "For example"],
                    [[d.title, d.years, d.count, ", ".join(d.samples)] for d in due])
        for d in due:
            for line in d.held:
                print(f"kept: {line}")
        return 0
    ids = None
    if args.asset:
        from app.services import assets
        ids = [assets.get_by_tag(t).id for t in args.asset]
    out = args.output or f"purge-certificate-{dt.date.today().isoformat()}.pdf"
    result = retention.purge(asset_ids=ids)
    from app.reporting import purge_certificate
    from reports.render import write
    write(purge_certificate.build(result), out, "pdf")
    for title, _reason, _years, count in result.lines:
        print(f"{title}: {count}")
    if result.backup:
        print(f"backup taken first: {result.backup}")
    print(f"certificate: {out}")
    return 0
