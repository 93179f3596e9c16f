"""`quartermaster letters`: letters home for one school, one per family, in the
family's language (English or Spanish), as one PDF to print and mail or a
CSV for a mail merge."""
from __future__ import annotations

import argparse

from app.cli import CommandError, Subparsers

EPILOG = """\
kinds:
  not-returned  devices held by withdrawn students, or kept after a collection day
  fees          fees still owed (less payments)
  overdue       devices past their due date
  agreement     the device loan agreement for what each student holds now

examples:
  quartermaster letters --kind not-returned --site LMS -o not-returned.pdf
  quartermaster letters --kind fees --site "Lincoln Middle School" --grade 7 -o fees.csv
  quartermaster letters --kind overdue --site LMS --by 2026-12-18 -o overdue.pdf

Siblings (the same household, else the same guardian and address) share one
letter. The district's name, logo, address, phone and email come from
Settings. The CSV has one row per family; its columns are listed in the README.
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("letters", help="letters home (not returned, fees, overdue, agreement) "
                                       "in English and Spanish, as PDF or mail-merge CSV",
                       description="Write one letter per family of one school, in the "
                                   "family's language, to a PDF (ready for #10 window "
                                   "envelopes) or a CSV for a mail merge.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", required=True, metavar="KIND",
                   help="not-returned, fees, overdue or agreement")
    p.add_argument("--site", required=True, metavar="S", help="the school: name or code")
    p.add_argument("--grade", metavar="G", help="only students of this grade")
    p.add_argument("--by", metavar="DATE",
                   help="the day to return, pay or sign by (default: two weeks from today)")
    p.add_argument("--duplex", action="store_true",
                   help="for two-sided printing: each letter starts on a new sheet")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf|FILE.csv")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.reporting import letters
    from app.services.fields import parse_date
    kind = (args.kind or "").strip().lower()
    if kind not in letters.KINDS:
        raise CommandError(f"--kind is one of {', '.join(letters.KINDS)}; not {args.kind!r}")
    if Path(args.output).suffix.lower() not in (".pdf", ".csv"):
        raise CommandError("write the letters to a .pdf file (to print) or a .csv file "
                           "(for a mail merge)")
    by = parse_date(args.by, "--by") if args.by else None
    batch = letters.gather(kind, args.site, args.grade, respond_by=by)
    from reports.letters import write
    path = write(batch, args.output, duplex=args.duplex)
    print(f"wrote {path} ({batch.summary()})")
    for line in batch.warnings():
        print(f"warning: {line}")
    return 0
