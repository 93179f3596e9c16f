"""`quartermaster labels`: label sheets (PDF) and thermal labels (ZPL)."""
from __future__ import annotations

import argparse
from pathlib import Path

from typing import TYPE_CHECKING

from app.cli import CommandError, Subparsers

if TYPE_CHECKING:
    from reports.labels import LabelItem

QUERY_HELP = """\
what to label (one of):
  --tags T [T ...]        these asset tags
  --query Q               assets matching Q: either filters joined by ";"
                            site=NAME|CODE;room=ROOM|"Site / Room"|LOC-code;
                            category=NAME;since=YYYY-MM-DD  (added on or after)
                          e.g. --query "site=LHS;since=2025-07-01",
                          or plain text as typed in the search box
                          (e.g. --query "latitude 3440"); disposed assets are
                          left out unless --include-disposed
  --location L [L ...]    room labels for these rooms (label code, "Site / Room", id)
  --locations             room labels for every room
  --supplies [ID ...]     supply bin labels with the item's barcode (default: all)
  --new N                 N blank labels with the next tag numbers, reserved so
                          nothing else takes them
  --lto B [B ...]         LTO cartridge labels for these barcodes (e.g. A00120L8):
                          Code 39 on LTO label stock unless told otherwise

examples:
  quartermaster labels --tags QM-000101 QM-000102 -o labels.pdf
  quartermaster labels --query "room=LHS/Room 214" --start-at 7 -o room214.pdf
  quartermaster labels --new 30 --template zebra-2x1-203 -o tags.zpl --send ZebraGK420
  quartermaster labels --calibrate --template avery-5160 -o calibrate.pdf
  quartermaster labels --lto A00120L8 A00121L8 A00122L8 -o lto.pdf
  quartermaster labels --set-offset 0.8 -0.5 --template avery-5160 --printer "Office HP"
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "labels", help="print asset, room, supply, blank-tag and LTO labels (PDF or ZPL)",
        usage="quartermaster labels (--tags T… | --query Q | --location L… | --locations |\n"
              "                            --supplies [ID…] | --new N | --lto B…) [--template NAME]\n"
              "                            [--symbology code128|code39|qr|datamatrix|code128+qr] [--start-at N]\n"
              "                            [--copies C] [--lines KEYS] [--printer NAME]\n"
              "                            -o FILE.pdf|FILE.zpl [--send QUEUE]\n"
              "       quartermaster labels --list-templates\n"
              "       quartermaster labels --calibrate --template NAME [--printer NAME] -o FILE.pdf\n"
              "       quartermaster labels --set-offset DX DY --template NAME [--printer NAME]",
        description="Make labels that scan: PDF at exact size for Avery sheets and "
                    "DYMO/Brother rolls (print at Actual size), ZPL for Zebra thermal printers.",
        epilog=QUERY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--tags", nargs="+", metavar="T", help=argparse.SUPPRESS)
    what.add_argument("--query", metavar="Q", help=argparse.SUPPRESS)
    what.add_argument("--location", nargs="+", metavar="L", help=argparse.SUPPRESS)
    what.add_argument("--locations", action="store_true", help=argparse.SUPPRESS)
    what.add_argument("--supplies", nargs="*", metavar="ID", type=int, help=argparse.SUPPRESS)
    what.add_argument("--new", type=int, metavar="N", help=argparse.SUPPRESS)
    what.add_argument("--lto", nargs="+", metavar="BARCODE", help=argparse.SUPPRESS)
    what.add_argument("--list-templates", action="store_true",
                      help="list the label templates (built-in and custom) and stop")
    what.add_argument("--calibrate", action="store_true",
                      help="write the calibration page for --template (outlines and rulers)")
    what.add_argument("--set-offset", nargs=2, type=float, metavar=("DX", "DY"),
                      help="store the printer offset in mm for --template (+x right, +y down)")
    p.add_argument("--include-disposed", action="store_true",
                   help="with --query: label disposed assets too (left out by default)")
    p.add_argument("--template", metavar="NAME",
                   help="label stock (default: the setting, or zebra-2x1-203 for .zpl); "
                        "see --list-templates")
    p.add_argument("--symbology", default=None,
                   choices=["code128", "code39", "qr", "datamatrix", "code128+qr"],
                   help="barcode type (default code128, code39 for --lto; code128+qr puts "
                        "both on each label)")
    p.add_argument("--start-at", type=int, default=1, metavar="N",
                   help="first free label on a partly used sheet, counted row by row from 1")
    p.add_argument("--copies", type=int, default=1, metavar="C", help="copies of each label")
    p.add_argument("--lines", metavar="KEYS",
                   help="comma-separated lines to show, in order: logo,org,title,name,tag,"
                        "serial,place,funding (default: the template's)")
    p.add_argument("--printer", metavar="NAME",
                   help="apply this printer's calibration offset (with --send: the queue's)")
    p.add_argument("--send", metavar="QUEUE",
                   help="ZPL: also send it raw to this CUPS printer queue (lp -o raw)")
    p.add_argument("-o", "--output", metavar="FILE.pdf|FILE.zpl", help="file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reports import labels
    if args.list_templates:
        return _list()
    if args.set_offset:
        if not args.template:
            raise CommandError("--set-offset needs --template")
        labels.set_offset(args.template, args.set_offset[0], args.set_offset[1], args.printer)
        t = labels.get_template(args.template)
        print(f"offset for {t.name} on {args.printer or 'any printer'}: "
              f"x {args.set_offset[0]:+.2f} mm, y {args.set_offset[1]:+.2f} mm")
        return 0
    if not args.output:
        raise CommandError("say where to write the labels: -o FILE.pdf or -o FILE.zpl")
    out = Path(args.output)
    zpl = out.suffix.lower() == ".zpl"
    if out.suffix.lower() not in (".pdf", ".zpl"):
        raise CommandError("the output file ends in .pdf or .zpl")
    args.symbology = args.symbology or ("code39" if args.lto else "code128")
    template = labels.get_template(args.template or
                                   ("lto-ultrium" if args.lto and not zpl else _default_template(zpl)))
    if args.calibrate:
        if zpl:
            raise CommandError("the calibration page is a PDF")
        labels.calibration_pdf(template, out, printer=args.printer)
        print(f"wrote the calibration page for {template.name} to {out}")
        return 0
    items = _items(args)
    if not items:
        raise CommandError("nothing to label: no record matches")
    layout = ([k.strip() for k in args.lines.split(",") if k.strip()] if args.lines
              else labels.default_lines(template, _kind(args)))
    unknown = [k for k in layout if k not in labels.LINE_TITLES]
    if unknown:
        raise CommandError(f"unknown line {', '.join(unknown)}; use {','.join(labels.LINE_TITLES)}")
    if zpl:
        if template.kind != "thermal":
            raise CommandError(f"ZPL is for Zebra thermal templates; {template.name} is a "
                               f"{template.kind} template (write a .pdf)")
        # Sent to a queue, the labels carry that queue's calibration (the one
        # the GUI saved for it) unless --printer names another.
        text = labels.render_zpl(items, template, args.symbology, copies=args.copies, layout=layout,
                                 offset=labels.get_offset(template.name, args.printer or args.send))
        out.write_text(text, encoding="utf-8")
        print(f"wrote {len(items) * args.copies} labels to {out}")
        if args.send:
            from app import printers
            reply = printers.send_raw(text, args.send)
            print(f"sent to {args.send}" + (f": {reply}" if reply else ""))
        return 0
    if args.send:
        raise CommandError("--send is for ZPL; print the PDF at Actual size instead")
    labels.render_pdf(items, out, template, args.symbology, start_at=args.start_at,
                      copies=args.copies, layout=layout, printer=args.printer)
    count = len(items) * args.copies
    pages = len({pg for pg, _ in labels.placements(template, count, args.start_at)})
    print(f"wrote {count} labels on {pages} page{'s' if pages != 1 else ''} to {out} "
          f"({template.name}; print at Actual size)")
    return 0


def _kind(args: argparse.Namespace) -> str:
    if args.location or args.locations:
        return "location"
    if args.supplies is not None:
        return "supply"
    if args.lto:
        return "lto"
    return "new" if args.new is not None else "asset"


def _default_template(zpl: bool) -> str:
    if zpl:
        return "zebra-2x1-203"
    from app.services import settings
    return settings.get("default_label_template") or "avery-5160"


def _items(args: argparse.Namespace) -> list[LabelItem]:
    from app import labeling
    from reports import labels
    from app.services import assets, catalog
    if args.tags:
        ids: list[int] = []
        unknown: list[str] = []
        for tag in args.tags:
            aid = assets.lookup_tag(tag)
            (ids.append(aid) if aid else unknown.append(tag))
        if unknown:
            raise CommandError(f"no asset has the tag {', '.join(unknown)}")
        return labels.items_for_assets(ids)
    if args.query:
        return labels.items_for_query(**labeling.parse_query(args.query),
                                      include_disposed=args.include_disposed)
    if args.location:
        ids = []
        for text in args.location:
            loc = catalog.find_location(text)
            if loc is None:
                raise CommandError(f"no room {text!r} (use its label code or \"Site / Room\")")
            ids.append(loc.id)
        return labels.items_for_locations(ids)
    if args.locations:
        return labels.items_for_locations(None)
    if args.supplies is not None:
        return labels.items_for_supplies(args.supplies or None)
    if args.new is not None:
        return labels.items_for_new_tags(args.new)
    if args.lto:
        from app.services import media
        return [labels.LabelItem(code, {"tag": code})
                for code in (media.check_barcode(b) for b in args.lto)]
    raise CommandError("say what to label: --tags, --query, --location, --locations, "
                       "--supplies, --new or --lto (see --help)")


def _list() -> int:
    from app.cli.output import print_table
    from reports import labels
    rows: list[list[object]] = []
    for t in labels.list_templates():
        size = f"{t.label_w:g} × {t.label_h:g} mm"
        rows.append([t.name, t.kind, size, t.per_page if t.is_sheet else 1,
                     t.title + ("" if t.builtin else " (custom)")])
    print_table(["name", "kind", "label", "per page", "title"], rows)
    return 0
