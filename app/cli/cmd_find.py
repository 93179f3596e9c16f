"""`quartermaster find TEXT`: what a scan of TEXT would open."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from app.cli import CommandError, Subparsers
from app.cli.output import print_fields, print_json

if TYPE_CHECKING:
    from app.scanning import Resolution


def register(sub: Subparsers) -> None:
    p = sub.add_parser("find", help="show what a scan of TEXT would open",
                       description="Resolve TEXT the way a barcode scan is resolved (asset tag, "
                                   "room label, supply barcode, serial, person ID) and print it.")
    p.add_argument("text", help="a tag, serial, room label, supply barcode or ID number")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app import scanning
    res = scanning.resolve(args.text)
    if not res.found:
        raise CommandError(f"nothing matches {args.text.strip()!r}")
    record = describe(res)
    if args.json:
        print_json(record)
    else:
        print_fields([(k.replace("_", " "), v if not isinstance(v, dict) else
                       ", ".join(f"{a}: {b}" for a, b in v.items() if b not in (None, "")))
                      for k, v in record.items() if k not in ("id",)])
    return 0


def describe(res: Resolution) -> dict[str, Any]:
    """A plain dict of the record a scan resolved to."""
    from app.models import Location, Person, Supply
    from app.services import assets, people
    assert res.id is not None  # resolved: every kind but "unknown" carries its record's id
    if res.kind == "asset":
        out: dict[str, Any] = {"kind": "asset", "matched_by": res.matched_by}
        out.update(assets.details(res.id))
        holder = out.pop("holder")
        out["assigned_to"] = holder["name"] if holder else None
        out.pop("custom")
        out.pop("status")
        out["status"] = out.pop("status_label")
        if res.candidates:
            out["also_matching"] = len(res.candidates) - 1
        return out
    if res.kind == "location":
        loc = Location.get_by_id(res.id)
        return {"kind": "location", "id": loc.id, "room": loc.name, "site": loc.site.name,
                "label": loc.barcode, "assets": loc.assets.count()}
    if res.kind == "supply":
        s = Supply.get_by_id(res.id)
        return {"kind": "supply", "id": s.id, "name": s.name, "part_number": s.part_number,
                "barcode": s.barcode, "category": s.category, "on_hand": s.on_hand,
                "reorder_point": s.reorder_point, "bin": s.bin}
    p = Person.get_by_id(res.id)
    return {"kind": "person", "id": p.id, "name": p.full_name, "person_kind": p.kind,
            "id_number": p.id_number, "email": p.email,
            "site": p.site.name if p.site is not None else None,
            "holds": len(people.holdings(p.id))}
