"""`quartermaster export --kind K -o FILE`: any list to CSV or XLSX; and
`quartermaster export calpads -o FILE.txt`: the student device and
connectivity file for CALPADS."""
from __future__ import annotations

import argparse

from app.cli import Subparsers

EPILOG = """\
examples:
  quartermaster export --kind assets -o assets.xlsx
  quartermaster export --kind loans --query "Lincoln" -o loans.csv
  quartermaster export calpads -o calpads-devices.txt          (caret-delimited, as CALPADS takes it)
  quartermaster export calpads --site LHS -o check.csv          (with a header, to check in a spreadsheet)
  quartermaster export calpads --show-layout > layout.json      (the columns and codes in force)
  quartermaster export calpads --save-layout layout.json        (map to this year's CALPADS file)
"""


def register(sub: Subparsers) -> None:
    from app.exporting import KINDS
    p = sub.add_parser("export", help="export a list to CSV or XLSX, or the CALPADS device file",
                       description="Every row of the list (or those matching --query, as typed "
                                   "in the search box) to .csv or .xlsx. Cells that a spreadsheet "
                                   "would run as formulas are neutralized; product keys are left "
                                   "out unless --include-keys. `export calpads` writes the "
                                   "student device and connectivity file from the loans.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="?", choices=("calpads",), metavar="calpads",
                   help="the CALPADS student device and connectivity file (instead of --kind)")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--query", help="only rows matching this search text (assets, people, "
                                   "locations, loans, repairs)")
    p.add_argument("--include-keys", action="store_true", help="licenses: include product keys")
    p.add_argument("--site", metavar="S", help="calpads: only this site's students")
    p.add_argument("--layout", metavar="FILE.json", help="calpads: use this layout for this file")
    p.add_argument("--show-layout", action="store_true",
                   help="calpads: print the layout in force (JSON)")
    p.add_argument("--save-layout", metavar="FILE.json",
                   help="calpads: keep this layout in Settings (\"default\" goes back to the "
                        "shipped one)")
    p.add_argument("-o", "--output", metavar="FILE.csv|FILE.xlsx|FILE.txt")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app import exporting, listing
    from app.cli import CommandError
    if args.target == "calpads":
        return run_calpads(args)
    for flag, given in (("--site", args.site), ("--layout", args.layout),
                        ("--show-layout", args.show_layout), ("--save-layout", args.save_layout)):
        if given:
            raise CommandError(f"{flag} is for `export calpads`")
    if not args.kind:
        raise CommandError("say what to export: --kind KIND, or `export calpads`")
    if not args.output:
        raise CommandError("give the file to write: -o FILE.csv or FILE.xlsx")
    ids = None
    if args.query:
        if args.kind not in listing.KINDS:
            raise CommandError(f"--query works for {', '.join(listing.KINDS)}")
        ids = listing.query_ids(args.kind, {"search": args.query})
    n = exporting.export(args.kind, args.output, ids=ids, include_keys=args.include_keys,
                         by=args.user)
    print(f"wrote {n:,} {args.kind} to {args.output}")
    return 0


def run_calpads(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from app import calpads
    from app.cli import CommandError
    if args.kind or args.query or args.include_keys:
        raise CommandError("`export calpads` takes --site, --layout and -o, not --kind or --query")

    def read(path: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    if args.save_layout:
        value = None if args.save_layout == "default" else read(args.save_layout)
        lay = calpads.save_layout(value, by=args.user)
        print(f"CALPADS layout saved: {len(lay['columns'])} columns"
              if value else "CALPADS layout: back to the shipped default")
        if not args.output and not args.show_layout:
            return 0
    lay = calpads.check_layout(read(args.layout)) if args.layout else calpads.layout()
    if args.show_layout:
        print(json.dumps(lay, indent=2, ensure_ascii=False))
        if not args.output:
            return 0
    if not args.output:
        raise CommandError("give the file to write: -o FILE.txt (caret-delimited) or FILE.csv")
    n = calpads.write(args.output, site=args.site, lay=lay)
    print(f"wrote {n:,} student record{'s' if n != 1 else ''} to {args.output}")
    return 0
