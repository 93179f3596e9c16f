"""`quartermaster import FILE`: assets, people, locations, models, licenses or
supplies from CSV or XLSX — all or nothing."""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from app.cli import CommandError, Subparsers
from app.wording import plural

if TYPE_CHECKING:
    from app.importing import Preview


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "import", help="import a CSV or XLSX file (all rows or none)",
        description="Import assets, people, locations, models, licenses or supplies. Snipe-IT "
                    "exports are recognized as they are; other sheets are mapped from their "
                    "headers (or --mapping). The whole file is checked first: if any row has a "
                    "problem nothing is written (unless --skip-bad), and every problem is "
                    "printed as 'row N, column C: reason'.")
    p.add_argument("file", help="a .csv or .xlsx file")
    p.add_argument("--kind", choices=("assets", "people", "locations", "models", "licenses", "supplies",
                                      "students", "chromebooks"),
                   help="what the rows are (default: guessed from the headers); students: a SIS "
                        "roster (Aeries, PowerSchool, Synergy), updated by student ID; "
                        "chromebooks: Google Admin's Chrome device export, matched by serial")
    p.add_argument("--sheet", help="XLSX: the sheet to read (default: the first)")
    p.add_argument("--mapping", metavar="MAP.json",
                   help='JSON object of column header → field, e.g. {"Tag #": "tag", "Room": "room"}; '
                        'columns it does not name keep their suggested field; null leaves one out')
    p.add_argument("--dry-run", "--preview", dest="dry_run", action="store_true",
                   help="check and report (with --full: who would be withdrawn); write nothing")
    p.add_argument("--full", action="store_true",
                   help="students: this is the whole roster of its schools; students of those "
                        "schools missing from it are marked withdrawn (preview first)")
    p.add_argument("--update", action="store_true",
                   help="update assets whose tag already exists (otherwise a conflict)")
    p.add_argument("--skip-bad", action="store_true", help="import the good rows, skip rows with problems")
    p.add_argument("--allow-duplicate-serials", action="store_true",
                   help="accept a serial that appears twice in the file or is already on another "
                        "asset (otherwise each is a problem)")
    p.add_argument("--location-separator", metavar="SEP",
                   help="split a combined Location column into site and room at SEP (e.g. ' / ' "
                        "or ' - '); 'none' keeps the whole text as the site")
    p.add_argument("--no-custom", action="store_true",
                   help="ignore unmapped columns instead of keeping them as custom fields")
    p.set_defaults(func=run)


def _mapping(args: argparse.Namespace) -> dict[int, str] | None:
    if not args.mapping:
        return None
    from app import importing
    try:
        with open(args.mapping, encoding="utf-8") as f:
            given = json.load(f)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the mapping {args.mapping}: {exc}") from exc
    if not isinstance(given, dict):
        raise CommandError("the mapping file is a JSON object of header → field")
    # The map changes the columns it names; the others keep the field their
    # header suggests (or the one remembered for these headers).
    out: dict[int, str]
    table, _kind, out = importing.open_file(args.file, args.kind, args.sheet)
    index = {h.strip().lower(): i for i, h in enumerate(table.headers)}
    for header, fieldname in given.items():
        i = index.get(str(header).strip().lower())
        if i is None:
            raise CommandError(f"the file has no column {header!r}")
        if fieldname in (None, "", importing.IGNORE):
            out[i] = importing.IGNORE  # the column is left out, not kept as a custom field
            continue
        if not isinstance(fieldname, str):
            raise CommandError(f"the mapping gives {header!r} the field {fieldname!r}; "
                               "a field is a name like \"tag\" or \"room\"")
        for j, taken in list(out.items()):
            if taken == fieldname and j != i:
                del out[j]  # one column feeds a field: the one the map names
        out[i] = fieldname
    return out


def run(args: argparse.Namespace) -> int:
    from app import importing
    mapping = _mapping(args)
    opts = dict(kind=args.kind, sheet=args.sheet, mapping=mapping, update=args.update,
                skip_bad=args.skip_bad, custom=not args.no_custom,
                allow_duplicate_serials=args.allow_duplicate_serials,
                location_separator=args.location_separator, full=args.full)
    if args.dry_run:
        p = importing.preview(args.file, **opts)
        _report(p)
        if p.problems and not args.skip_bad:
            print(f"error: {plural(len(p.problems), 'problem')}; nothing would be imported "
                  "(fix the file, or use --skip-bad)", file=sys.stderr)
            return 1
        print("dry run: nothing was written")
        return 0
    try:
        done = importing.commit(args.file, **opts)
    except importing.ImportRefused as exc:
        _report(exc.preview)
        raise CommandError(str(exc)) from None
    _report(done)
    print(f"imported: {done.created:,} created, {done.updated:,} updated, {plural(done.skipped, 'row')} skipped"
          + (f", {plural(len(done.withdraw), 'student')} withdrawn" if done.full else "")
          + (f", {plural(len(done.unknown), 'unknown serial')} listed" if done.unknown else ""))
    return 0


def _report(p: Preview) -> None:
    print(p.summary())
    columns = ", ".join(f"{p.headers[i] or '(blank)'} → {f}" for i, f in sorted(p.mapping.items()))
    print(f"columns: {columns}")
    for problem in p.problems:
        print(f"  {problem}")
    for note in p.warnings:
        print(f"  note: {note}")
    if p.full:
        for idn, name, site, grade, held in p.withdraw:
            devices = f", holds {plural(held, 'device')}" if held else ""
            print(f"  withdraw: {idn} {name} ({site or 'no school'}"
                  f"{', grade ' + grade if grade else ''}{devices})")
    for row, serial, model, user in p.unknown:
        print(f"  unknown serial: row {row}: {serial}"
              + "".join(f" · {x}" for x in (model, user) if x))
