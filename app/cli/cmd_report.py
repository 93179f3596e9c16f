"""`quartermaster report`: any registered report to a PDF, XLSX or CSV file."""
from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from app.cli import CommandError, Subparsers

if TYPE_CHECKING:
    from pathlib import Path

    from app.reporting import ReportParams, ReportSpec
    from app.reporting.document import ReportDocument

EPILOG = """\
examples:
  quartermaster report --list
  quartermaster report year-end --fiscal-year 2026 -o year-end.pdf
  quartermaster report warranties --days 60 --site LHS -o warranties.xlsx
  quartermaster report repairs --from 2025-07-01 --to 2026-06-30 -o repairs.csv
  quartermaster report activity --from 2026-11-01 --to 2026-11-30 --format csv -o nov.txt
  quartermaster report depreciation --fiscal-year 2026 -o depreciation.pdf
  quartermaster report refresh-plan --years 5 -o refresh.pdf
  quartermaster report to-recover --site LHS -o to-recover.csv
  quartermaster report erate-inventory --funding-year 2025 -o erate-fy2025.xlsx
  quartermaster report failure-patterns --from 2025-07-01 --to 2026-06-30 -o failures.pdf

The format comes from --format, else from the file's suffix. Each report
takes only the options `report --list` shows for it.
"""

# Report parameter → (command-line option, argparse dest).
OPTIONS = {
    "fiscal_year": ("--fiscal-year", "fiscal_year"),
    "as_of": ("--as-of", "as_of"),
    "site": ("--site", "site"),
    "date_from": ("--from", "date_from"),
    "date_to": ("--to", "date_to"),
    "days": ("--days", "days"),
    "person": ("--person", "person"),
    "room": ("--room", "room"),
    "years": ("--years", "years"),
    "funding_year": ("--funding-year", "funding_year"),
}
DATE_PARAMS = ("as_of", "date_from", "date_to")


def register(sub: Subparsers) -> None:
    p = sub.add_parser("report", help="write a report (year-end, warranties, repairs, …) "
                                      "as PDF, XLSX or CSV",
                       description="Write one of the reports `--list` shows to a file.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", metavar="NAME", help="the report (see --list)")
    p.add_argument("--list", action="store_true", help="list the reports, their options and formats")
    p.add_argument("--fiscal-year", type=int, metavar="Y",
                   help="fiscal year, named by the year it ends in")
    p.add_argument("--as-of", metavar="DATE", help="as of this date (default: today)")
    p.add_argument("--site", metavar="S", help="site name or code")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first day of the period")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day of the period")
    p.add_argument("--days", type=int, metavar="N", help="within N days")
    p.add_argument("--person", metavar="ID", help="person's ID number")
    p.add_argument("--room", metavar="R", help='room: "SITE/ROOM" or its label code')
    p.add_argument("--years", type=int, metavar="N", help="fiscal years ahead (refresh-plan)")
    p.add_argument("--funding-year", type=int, metavar="Y",
                   help="E-Rate funding year (2025 = July 2025 to June 2026)")
    p.add_argument("--format", choices=("pdf", "xlsx", "csv"),
                   help="output format (default: from the file's suffix)")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app import reporting
    if args.list:
        return _list(reporting.registry())
    if not args.name:
        raise CommandError("name a report (`quartermaster report --list` lists them)")
    spec = reporting.get(args.name)
    params = params_from(args, spec)
    if not args.output:
        raise CommandError(f"give the file to write: -o {spec.name}.{spec.formats[0]}")
    from reports.render import format_of
    fmt = format_of(args.output, args.format)
    if fmt not in spec.formats:
        raise CommandError(f"the {spec.name} report is written as "
                           f"{', '.join(spec.formats)}, not {fmt}")
    doc = spec.build(params)
    counter = count_rows(doc)
    from reports.render import write
    path = write(doc, args.output, fmt)
    print(f"wrote {path} ({describe_output(path, fmt, counter, doc)})")
    if doc.notice:  # e.g. a year-end report for a year still running: provisional
        print(doc.notice[0].lower() + doc.notice[1:])
    return 0


def params_from(args: argparse.Namespace, spec: ReportSpec) -> ReportParams:
    """ReportParams from the options given; an option the report does not take,
    or a date that is not a date, is refused."""
    from app.reporting import ReportParams
    from app.services.fields import parse_date
    values: dict[str, Any] = {}
    for param, (flag, dest) in OPTIONS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if param not in spec.params:
            takes = ", ".join(OPTIONS[p][0] for p in spec.params) or "no options"
            raise CommandError(f"the {spec.name} report does not take {flag} (it takes {takes})")
        if param in DATE_PARAMS:
            value = parse_date(value, flag)  # "--from: “31/31/25” is not a date …"
        values[param] = value
    return ReportParams(**values)


class _Counted:
    """Rows passed through as a writer reads them, counting the last pass."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.n = 0
        for row in self.rows:
            self.n += 1
            yield row


def count_rows(doc: ReportDocument) -> list[tuple[_Counted, bool]]:
    """Wrap every table's rows so the rows written can be told afterwards;
    (counter, is the CSV table) pairs."""
    counters: list[tuple[_Counted, bool]] = []
    for si, section in enumerate(doc.sections):
        for ti, table in enumerate(section.tables):
            main = (si, ti) == tuple(doc.csv_table)
            if table.groups is not None:
                groups: list[tuple[str, Iterable[Sequence[Any]]]] = []
                for heading, rows in table.groups:
                    c = _Counted(rows)
                    counters.append((c, main))
                    groups.append((heading, c))
                table.groups = groups
            else:
                c = _Counted(table.rows)
                counters.append((c, main))
                table.rows = c
    return counters


def describe_output(path: str | Path, fmt: str, counters: list[tuple[_Counted, bool]],
                    doc: ReportDocument) -> str:
    from app.wording import plural
    if fmt == "csv":
        return plural(sum(c.n for c, main in counters if main), "row")
    rows = plural(sum(c.n for c, _main in counters), "row")
    if fmt == "xlsx":
        sheets = len(doc.sections) + (1 if doc.cover else 0)
        return f"{plural(sheets, 'sheet')}, {rows}"
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return f"{plural(len(pdf), 'page')}, {rows}"
    finally:
        pdf.close()


def _list(specs: dict[str, ReportSpec]) -> int:
    from app.cli.output import print_table
    print_table(["Name", "Title", "Options", "Formats"],
                [[s.name, s.title, " ".join(OPTIONS[p][0] for p in s.params if p in OPTIONS),
                  ", ".join(s.formats)] for s in specs.values()])
    return 0
