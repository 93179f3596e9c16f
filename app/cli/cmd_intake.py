"""`quartermaster intake`: receive a delivery from a file of scanned serials."""
from __future__ import annotations

import argparse
import sys

from app.cli import CommandError, Subparsers

EPILOG = """\
examples:
  quartermaster intake --model "Chromebook 3110" --po 4500123 --cost 299 \\
      --location "Lincoln High/Room 214" --serials scanner.txt --labels labels.pdf
  quartermaster intake --model 82W2 --po PO-77 --funding erate --frn 2599012345 \\
      --funding-year 2026 --location LOC-00012 --serials manifest.csv --template dymo-30252
  quartermaster intake --model 4M8V6UT --po PO-78 --funding grant --grant "ESSER III" \\
      --serials cdw-shipment.csv --skip-bad

The file is a scanner's memory (one serial per line) or a shipping manifest CSV
whose header names the serial column (Serial, Serial Number, S/N, Service
Tag…). All or nothing: a serial that is repeated in the file or already in the
register stops the whole file (each problem printed as "line N: reason"),
unless --skip-bad receives the others. "SN:", "S/N", "(21)" and a bare "S" in
front of a serial that matches the model's pattern are taken off.
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("intake", help="receive a delivery: one asset per scanned serial",
                       description="Create one asset per serial in FILE with the next tags, "
                                   "the same model, PO, cost, funding and room for all.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, metavar="M", help="model name or model number")
    p.add_argument("--po", required=True, metavar="P", help="purchase order number")
    p.add_argument("--serials", required=True, metavar="FILE",
                   help="one serial per line, or a manifest CSV with a serial column")
    p.add_argument("--cost", metavar="C", help="unit cost")
    p.add_argument("--funding", metavar="F", help="general, erate, grant or other "
                                                  "(grant:NAME also works)")
    p.add_argument("--grant", metavar="NAME", help="grant name (funding grant)")
    p.add_argument("--frn", metavar="FRN", help="E-Rate FRN (implies --funding erate)")
    p.add_argument("--funding-year", metavar="Y", help="E-Rate funding year")
    p.add_argument("--location", metavar="L", help='"SITE/ROOM" or a room label code')
    p.add_argument("--supplier", metavar="S", help="supplier name (created if new)")
    p.add_argument("--date", metavar="D", help="purchase date")
    p.add_argument("--warranty-end", metavar="D", help="warranty end date")
    p.add_argument("--expected", type=int, metavar="N",
                   help="quantity on the PO (default: the number of serials in the file)")
    p.add_argument("--labels", metavar="FILE.pdf", help="write the labels (PDF, or .zpl)")
    p.add_argument("--template", metavar="T",
                   help="label template (default: the default_label_template setting)")
    p.add_argument("--skip-bad", action="store_true",
                   help="receive the good serials even if some lines are refused")
    p.set_defaults(func=run)


def _values(args: argparse.Namespace) -> dict[str, object]:
    from app.services import intake
    values: dict[str, object] = {"model_id": intake.resolve_model(args.model).id, "order_number": args.po,
                    "cost": args.cost, "purchase_date": args.date,
                    "warranty_end": args.warranty_end, "expected_qty": args.expected}
    funding = (args.funding or "").strip()
    if funding.lower().startswith("grant:"):
        values["funding_name"] = funding.split(":", 1)[1].strip()
        funding = "grant"
    if args.grant:
        values["funding_name"] = args.grant
        funding = funding or "grant"
    if args.frn or args.funding_year:
        funding = funding or "erate"
        values["erate_frn"] = args.frn
        values["erate_funding_year"] = args.funding_year
    if funding:
        values["funding_type"] = funding.lower()
    if args.location:
        values["location_id"] = intake.resolve_location(args.location).id
    if args.supplier:
        values["supplier"] = args.supplier
    return values


def run(args: argparse.Namespace) -> int:
    from app.services import intake, settings
    template = args.template or settings.get("default_label_template")
    if args.labels:
        from reports import labels
        labels.get_template(template)  # an unknown template stops before anything is written
    values = _values(args)
    values["label_template"] = template
    result = intake.receive_file(values, path=args.serials, skip_bad=args.skip_bad)
    for number, reason in result.problems:
        print(f"line {number}: {reason}", file=sys.stderr)
    if not result.written:
        raise CommandError(f"nothing received: {len(result.problems)} problem(s) above; fix the "
                           "file or use --skip-bad to receive the other serials")
    for number, text in result.warnings:
        print(f"warning: line {number}: {text}", file=sys.stderr)
    rep = result.report
    assert rep is not None  # written: the intake was received and closed
    tags = result.tags
    span = tags[0] if len(tags) == 1 else f"{tags[0]} … {tags[-1]}"
    print(f"Received {len(tags)} device{'s' if len(tags) != 1 else ''} on PO {rep.order_number}: "
          f"{span} (intake {result.session_id})")
    if result.skipped:
        print(f"Skipped {result.skipped} line(s).")
    if rep.short or rep.over:
        print(rep.summary())
    if args.labels:
        path = _write_labels(rep.session_id, result.asset_ids, args.labels, template)
        print(f"Labels: {path}")
    return 0


def _write_labels(session_id: int, asset_ids: list[int], path: str, template: str) -> str:
    from app.services import intake
    from reports import labels
    items = labels.items_for_assets(asset_ids)
    if path.lower().endswith(".zpl"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(labels.render_zpl(items, template=template))
    else:
        labels.render_pdf(items, path, template=template)
    item_ids = [i["item_id"] for i in intake.items(session_id) if not i["undone"]]
    intake.mark_printed(item_ids)
    return path
