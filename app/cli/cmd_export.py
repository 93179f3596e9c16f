"""`quartermaster export --kind K -o FILE`: any list to CSV or XLSX."""
from __future__ import annotations


def register(sub) -> None:
    from app.exporting import KINDS
    p = sub.add_parser("export", help="export a list to CSV or XLSX",
                       description="Every row of the list (or those matching --query, as typed "
                                   "in the search box) to .csv or .xlsx. Cells that a spreadsheet "
                                   "would run as formulas are neutralized; product keys are left "
                                   "out unless --include-keys.")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--query", help="only rows matching this search text (assets, people, "
                                   "locations, loans, repairs)")
    p.add_argument("--include-keys", action="store_true", help="licenses: include product keys")
    p.add_argument("-o", "--output", required=True, metavar="FILE.csv|FILE.xlsx")
    p.set_defaults(func=run)


def run(args) -> int:
    from app import exporting, listing
    from app.cli import CommandError
    ids = None
    if args.query:
        if args.kind not in listing.KINDS:
            raise CommandError(f"--query works for {', '.join(listing.KINDS)}")
        ids = listing.query_ids(args.kind, {"search": args.query})
    n = exporting.export(args.kind, args.output, ids=ids, include_keys=args.include_keys,
                         by=args.user)
    print(f"wrote {n:,} {args.kind} to {args.output}")
    return 0
