"""`quartermaster letters`: letters home for one school, one per family, in the
family's language (English or Spanish), as one PDF to print and mail or a
CSV for a mail merge."""
from __future__ import annotations

import argparse

from app.cli import CommandError

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


def register(sub) -> None:
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
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf|FILE.csv")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from app.reporting import letters
    from app.services.fields import parse_date
    kind = (args.kind or "").strip().lower()
    if kind not in letters.KINDS:
        raise CommandError(f"--kind is one of {', '.join(letters.KINDS)}; not {args.kind!r}")
    fmt = Path(args.output).suffix.lower().lstrip(".")
    if fmt not in ("pdf", "csv"):
        raise CommandError("write the letters to a .pdf file (to print) or a .csv file "
                           "(for a mail merge)")
    by = parse_date(args.by, "by") if args.by else None
    batch = letters.gather(kind, args.site, args.grade, respond_by=by)
    if fmt == "pdf":
        from reports.letters import write_letters
        path = write_letters(batch, args.output)
    else:
        path = letters.write_csv(batch, args.output)
    print(f"wrote {path} ({summary(batch)})")
    for line in warnings(batch):
        print(f"warning: {line}")
    return 0


def summary(batch) -> str:
    from app.wording import plural
    n = len(batch.letters)
    students = sum(len(letter.children) for letter in batch.letters)
    spanish = sum(1 for letter in batch.letters if letter.language == "es")
    text = f"{plural(n, 'letter')} to {plural(n, 'family', 'families')} of " \
           f"{plural(students, 'student')}"
    return text + (f", {spanish} in Spanish" if spanish else "")


def warnings(batch) -> list[str]:
    """What the person mailing the letters must know: families with no
    address to mail to, a logo that cannot be read."""
    from pathlib import Path
    out = []
    missing = batch.without_address
    if missing:
        names = ", ".join(letter.guardian for letter in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        out.append(f"{len(missing)} of the letters have no mailing address "
                   f"(send them home with the student): {names}{more}")
    logo = batch.sender.logo
    if logo and not Path(logo).is_file():
        out.append(f"the logo file {logo} is not there; the letters have no logo")
    return out
