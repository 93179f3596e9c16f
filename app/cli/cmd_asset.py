"""`quartermaster asset`: the asset lifecycle from the command line — check out,
check in, move, dispose of, retire, correct fields, and repairs — for batch
work and scripts (the year-end mass check-in, the business office's disposal
list).

Every action goes through the same services the desktop app uses, so the same
rules, history and refusals apply. A batch is all or nothing: one refused tag
and none of the others change. ``--effective`` is the day the change took
effect in the world (default today): a disposal or a move typed late is
reported as of its own day, and one reaching into a fiscal year whose
year-end report was already produced is said to be a prior-period change.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.cli import CommandError, Subparsers

if TYPE_CHECKING:
    import datetime as dt

    from app.models import Asset, HardwareModel, Location, Site, Supplier

EXAMPLES = """\
examples:
  quartermaster asset checkout QM-000412 QM-000413 --to S20417 --due 2027-06-11
  quartermaster asset checkout QM-000300 --to "Lincoln High/Library Cart A"
  quartermaster asset checkin QM-000412 QM-000413 --condition "good"
  quartermaster asset checkin QM-000412 --damage screen,hinge --missing charger
  quartermaster asset move QM-000300 --to LHS/214 --effective 2026-11-02
  quartermaster asset dispose QM-000120 QM-000121 --date 2026-03-15 --method recycled
  quartermaster asset dispose QM-000077 --date 2026-05-01 --method sold --proceeds 250
  quartermaster asset retire QM-000088 --effective 2026-06-30
  quartermaster asset set QM-000300 cost=7000 --effective 2025-07-01
  quartermaster asset set QM-000300 funding_type=grant funding_name="Title IV-A" \\
      federal_award_id=S424A250001 federal_share=75
  quartermaster asset loaner QM-000901 QM-000902      (--off takes them out of the pool)
  quartermaster asset repair open QM-000412 --problem "cracked screen" --vendor "Dell"
  quartermaster asset repair close QM-000412 --cost 89 --resolution "screen replaced"

TAG is the asset tag (or its serial). A PERSON-ID is an ID number (or email);
a room is its label code or SITE/ROOM, the site by name or code. Dates are
2026-03-15 or 3/15/2026; --effective may not be after today or before the
asset was bought. `asset set` takes the editor's fields: name, serial, status,
cost, purchase_date, in_service_date, warranty_end, order_number, funding_type,
funding_name, erate_frn, erate_funding_year, federal_award_id, federal_share,
condition, loaner (yes/no), notes, model, site, room, supplier (a blank value
clears a field).
"""

# `asset set` names for reference fields → (service field, how it is found).
REF_FIELDS = {"model": "model_id", "site": "site_id", "room": "location_id",
              "location": "location_id", "supplier": "supplier_id"}


def register(sub: Subparsers) -> None:
    p = sub.add_parser("asset", help="check out, check in, move, dispose of, retire, correct "
                                     "and repair assets",
                       description="The asset lifecycle: each action through the same rules "
                                   "as the desktop app, all or nothing for a batch.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="asset_command", metavar="ACTION", required=True)

    def effective(q: argparse.ArgumentParser) -> None:
        q.add_argument("--effective", metavar="DATE",
                       help="the day it happened (default today)")

    c = ss.add_parser("checkout", help="lend assets to a person or a room (a cart, a lab)")
    c.add_argument("tags", nargs="+", metavar="TAG")
    c.add_argument("--to", required=True, metavar="PERSON-ID|SITE/ROOM")
    c.add_argument("--due", metavar="DATE", help="when it is due back")
    c.add_argument("--condition", metavar="TEXT", help="condition as it goes out")
    effective(c)
    c.set_defaults(func=run_checkout)

    i = ss.add_parser("checkin", help="take assets back")
    i.add_argument("tags", nargs="+", metavar="TAG")
    i.add_argument("--condition", metavar="TEXT", help="condition as it comes back")
    i.add_argument("--damage", metavar="KIND[,KIND]",
                   help="damage found: screen, keyboard, hinge, port, other")
    i.add_argument("--missing", metavar="PART[,PART]", help="kit parts not returned (charger, …)")
    i.add_argument("--no-charge", action="store_true",
                   help="record the damage and missing parts without charging fees")
    effective(i)
    i.set_defaults(func=run_checkin)

    m = ss.add_parser("move", help="record that assets are now in another room")
    m.add_argument("tags", nargs="+", metavar="TAG")
    m.add_argument("--to", required=True, metavar="SITE/ROOM")
    effective(m)
    m.set_defaults(func=run_move)

    from app.models.common import DISPOSAL_METHODS
    d = ss.add_parser("dispose", help="dispose of assets (recycled, sold, …)")
    d.add_argument("tags", nargs="+", metavar="TAG")
    d.add_argument("--date", required=True, metavar="DATE", help="the day they left the district")
    d.add_argument("--method", required=True, choices=list(DISPOSAL_METHODS), metavar="M",
                   help="one of " + ", ".join(DISPOSAL_METHODS))
    d.add_argument("--proceeds", metavar="X", help="sale proceeds, for each asset")
    d.add_argument("--note", metavar="TEXT")
    d.set_defaults(func=run_dispose)

    r = ss.add_parser("retire", help="take assets out of service (still owned)")
    r.add_argument("tags", nargs="+", metavar="TAG")
    r.add_argument("--release-seats", action="store_true",
                   help="free the software seats assigned to them")
    effective(r)
    r.set_defaults(func=run_retire)

    s = ss.add_parser("set", help="correct fields of one asset (cost, funding, dates, …)")
    s.add_argument("tag", metavar="TAG")
    s.add_argument("values", nargs="+", metavar="FIELD=VALUE")
    effective(s)
    s.set_defaults(func=run_set)

    ln = ss.add_parser("loaner", help="put assets in the loaner pool (or --off: take them out)")
    ln.add_argument("tags", nargs="+", metavar="TAG")
    ln.add_argument("--off", action="store_true", help="take them out of the loaner pool")
    ln.set_defaults(func=run_loaner)

    rp = ss.add_parser("repair", help="open or close a repair")
    rs = rp.add_subparsers(dest="repair_command", metavar="open|close", required=True)
    o = rs.add_parser("open", help="send assets in for repair")
    o.add_argument("tags", nargs="+", metavar="TAG")
    o.add_argument("--problem", required=True, metavar="TEXT")
    o.add_argument("--vendor", metavar="NAME", help="the repair vendor (a supplier)")
    o.add_argument("--ticket", metavar="RMA")
    o.add_argument("--date", metavar="DATE", help="the day it was reported (default today)")
    o.set_defaults(func=run_repair_open)
    cl = rs.add_parser("close", help="close the open repair of assets")
    cl.add_argument("tags", nargs="+", metavar="TAG")
    cl.add_argument("--unrepairable", action="store_true", help="it could not be repaired")
    cl.add_argument("--cost", metavar="X")
    cl.add_argument("--resolution", metavar="TEXT")
    cl.add_argument("--date", metavar="DATE", help="the day it came back (default today)")
    cl.set_defaults(func=run_repair_close)


# --- shared -----------------------------------------------------------------------

def _assets(tags: list[str]) -> list[Asset]:
    """The assets named, in order, each once; an unknown tag refuses the batch."""
    from app import scanning
    from app.services import assets
    found: list[Asset] = []
    seen: set[int] = set()
    unknown: list[str] = []
    for raw in tags:
        text = raw.strip()
        asset_id = assets.lookup_tag(text)
        if asset_id is None:
            res = scanning.resolve(text)
            asset_id = res.id if res.kind == "asset" else None
        if asset_id is None:
            unknown.append(text)
        elif asset_id not in seen:
            seen.add(asset_id)
            found.append(assets.get(asset_id))
    if unknown:
        raise CommandError(f"no asset has the tag {', '.join(unknown)} — nothing was changed")
    return found


def _batch(items: list[Asset], action: Callable[[Asset], str]) -> list[str]:
    """Run ``action(asset)`` for each asset in one transaction; the first refusal
    undoes the lot and names its tag."""
    from app.services.base import transaction
    from app.services.errors import DomainError
    lines = []
    with transaction():
        for asset in items:
            try:
                lines.append(action(asset))
            except DomainError as err:
                text = str(err) if asset.tag in str(err) else f"{asset.tag}: {err}"
                if len(items) > 1:
                    text = f"{text.rstrip('.')} — nothing was changed"
                raise type(err)(text) from err
    return lines


def _report(lines: list[str], day: dt.date | None = None) -> int:
    for line in lines:
        print(line)
    if day is not None:
        from app.services import periods
        note = periods.closed_year_note(day)
        if note:
            print(f"note: {note}")
    return 0


def _day(text: str | None, what: str = "--effective") -> dt.date | None:
    from app.services.assets import effective_day
    from app.services.fields import parse_date
    return effective_day(parse_date(text, what)) if text else None


def _when(day: dt.date | None) -> str:
    from app.services import history
    return f" (effective {day.isoformat()})" if day and day != history.today() else ""


def find_room(text: str) -> Location | None:
    """A room by label code, "Site/Room" with the site's name or code, or a unique name."""
    import peewee as pw

    from app.models import Location
    from app.services import catalog
    loc = catalog.find_location(text)
    if loc is None and "/" in text:
        site_text, _, room = (p.strip() for p in text.partition("/"))
        site = catalog.find_site(site_text)
        if site is not None:
            loc = Location.get_or_none((Location.site == site.id)
                                       & (pw.fn.LOWER(Location.name) == room.lower()))
    return loc


def _room_or_fail(text: str) -> Location:
    loc = find_room(text)
    if loc is None:
        raise CommandError(f"no room {text.strip()!r} (give its label code or SITE/ROOM)")
    return loc


# --- actions ----------------------------------------------------------------------

def run_checkout(args: argparse.Namespace) -> int:
    from app.services import assets, catalog, people
    items = _assets(args.tags)
    day = _day(args.effective)
    person = people.find(args.to)
    room = None if person else find_room(args.to)
    if person is not None:
        holder = f"{person.full_name}" + (f" ({person.id_number})" if person.id_number else "")
    elif room is not None:
        holder = catalog.location_path(room.id)
    else:
        raise CommandError(f"no person with the ID number {args.to.strip()!r} and no room by "
                           "that name (give an ID number, or SITE/ROOM)")

    def one(asset: Asset) -> str:
        loan = assets.check_out(asset.id, person_id=person.id if person else None,
                                location_id=room.id if room else None, due=args.due,
                                condition=args.condition, effective=day)
        due = f", due {loan.due.isoformat()}" if loan.due else ""
        return f"checked out {asset.tag} to {holder}{due}{_when(day)}"
    return _report(_batch(items, one), day)


def run_checkin(args: argparse.Namespace) -> int:
    from app.services import assets
    items = _assets(args.tags)
    day = _day(args.effective)

    damage = [d for d in (args.damage or "").split(",") if d.strip()] or None
    missing = [m.strip() for m in (args.missing or "").split(",") if m.strip()] or None

    def one(asset: Asset) -> str:
        holder = assets.details(asset.id)["holder"]
        loan = assets.check_in(asset.id, condition=args.condition, effective=day, damage=damage,
                               missing_parts=missing)
        who = f" from {holder['name']}" if holder else ""
        line = f"checked in {asset.tag}{who}{_when(day)}"
        if loan is not None and (damage or missing) and not args.no_charge:
            from app.services import fees
            for fee in fees.charge_for_return(loan.id):
                line += (f"\n  fee #{fee.id}: {fee.description} {fee.list_amount:.2f} "
                         + (f"waived ({fee.waived_reason})" if fee.status == "waived" else
                            f"→ {fee.amount:.2f} owed"))
        return line
    return _report(_batch(items, one), day)


def run_move(args: argparse.Namespace) -> int:
    from app.services import assets, catalog
    items = _assets(args.tags)
    day = _day(args.effective)
    room = _room_or_fail(args.to)
    where = catalog.location_path(room.id)

    def one(asset: Asset) -> str:
        before = catalog.location_path(asset.location_id) or "no room"
        if asset.location_id == room.id:
            return f"{asset.tag} is already in {where}"
        assets.update(asset.id, {"location_id": room.id, "site_id": room.site_id}, action="move",
                      effective=day)
        return f"moved {asset.tag} from {before} to {where}{_when(day)}"
    return _report(_batch(items, one), day)


def run_dispose(args: argparse.Namespace) -> int:
    from app.models.common import DISPOSAL_METHODS
    from app.services import assets
    from app.services.fields import parse_date
    items = _assets(args.tags)
    date = parse_date(args.date, "--date")

    def one(asset: Asset) -> str:
        done = assets.dispose(asset.id, args.method, date=date, proceeds=args.proceeds,
                              note=args.note)
        money = f", proceeds ${done.disposal_proceeds:,.2f}" if done.disposal_proceeds else ""
        return (f"disposed of {asset.tag} on {done.disposal_date} "  # a date prints as ISO
                f"({DISPOSAL_METHODS[args.method].lower()}{money})")
    return _report(_batch(items, one), date)


def run_retire(args: argparse.Namespace) -> int:
    from app.services import assets
    items = _assets(args.tags)
    day = _day(args.effective)

    def one(asset: Asset) -> str:
        if asset.status == "retired":
            return f"{asset.tag} is already retired"
        assets.retire(asset.id, release_seats=args.release_seats, effective=day)
        return f"retired {asset.tag}{_when(day)}"
    return _report(_batch(items, one), day)


def parse_assignments(values: list[str]) -> dict[str, Any]:
    """FIELD=VALUE pairs → the service's change set (reference names resolved)."""
    import peewee as pw

    from app.models import HardwareModel, Location, Supplier
    from app.services import assets, catalog
    changes: dict[str, Any] = {}
    for pair in values:
        field, eq, value = pair.partition("=")
        field = field.strip().lower().replace("-", "_")
        if not eq or not field:
            raise CommandError(f"{pair!r} is not FIELD=VALUE")
        value = value.strip()
        if field in REF_FIELDS:
            key = REF_FIELDS[field]
            if not value:
                changes[key] = None
                continue
            ref: Site | Location | HardwareModel | Supplier | None
            if field == "site":
                ref = catalog.find_site(value)
            elif field in ("room", "location"):
                ref = find_room(value)
            elif field == "model":
                ref = HardwareModel.get_or_none(pw.fn.LOWER(HardwareModel.name) == value.lower())
            else:
                ref = Supplier.get_or_none(pw.fn.LOWER(Supplier.name) == value.lower())
            if ref is None:
                raise CommandError(f"no {field} {value!r}")
            changes[key] = ref.id
            if isinstance(ref, Location):  # a room at another site moves the asset there
                changes.setdefault("site_id", ref.site_id)
        elif field in assets.EDITABLE and field not in ("custom", "tag"):
            changes[field] = value or None
        else:
            raise CommandError(f"{field!r} is not a field `asset set` changes (see "
                               "`quartermaster asset --help`)")
    return changes


def run_set(args: argparse.Namespace) -> int:
    from app.services import assets
    asset = _assets([args.tag])[0]
    changes = parse_assignments(args.values)
    day = _day(args.effective)
    before = assets.values_of(asset)
    done = assets.update(asset.id, changes, effective=day)
    after = assets.values_of(done)
    names = {v: k for k, v in REF_FIELDS.items() if k != "location"}
    shown = [f"{names.get(key, key)} {_show(before.get(key), key)} → {_show(after.get(key), key)}"
             for key in after if before.get(key) != after.get(key)]
    if not shown:
        print(f"{asset.tag}: nothing to change")
        return 0
    return _report([f"{asset.tag}: " + "; ".join(shown) + _when(day)], day)


def _show(value: object, key: str) -> str:
    from app.services.assets import FK_FIELDS
    from app.services.base import fmt
    if value in (None, ""):
        return "(blank)"
    if key in FK_FIELDS:
        ref = FK_FIELDS[key].get_or_none(FK_FIELDS[key].id == value)
        return str(ref) if ref else str(value)
    return str(fmt(value))


def run_loaner(args: argparse.Namespace) -> int:
    from app.services import loaners
    items = _assets(args.tags)
    changed = set(loaners.set_loaner([a.id for a in items], on=not args.off))
    verb = "taken out of" if args.off else "put in"
    return _report([f"{a.tag} {verb} the loaner pool" if a.tag in changed else
                    f"{a.tag} is {'not ' if args.off else 'already '}in the loaner pool"
                    for a in items])


def run_repair_open(args: argparse.Namespace) -> int:
    import peewee as pw

    from app.models import Supplier
    from app.services import repairs
    from app.services.fields import parse_date
    items = _assets(args.tags)
    vendor = None
    if args.vendor:
        vendor = Supplier.get_or_none(pw.fn.LOWER(Supplier.name) == args.vendor.strip().lower())
        if vendor is None:
            raise CommandError(f"no supplier {args.vendor.strip()!r}")
    date = parse_date(args.date, "--date")

    def one(asset: Asset) -> str:
        rep = repairs.open_repair(asset.id, args.problem, vendor_id=vendor.id if vendor else None,
                                  ticket=args.ticket, reported=date)
        at = f" with {vendor.name}" if vendor else ""
        return f"opened repair {rep.id} for {asset.tag}{at} on {rep.reported.isoformat()}"
    return _report(_batch(items, one), date)


def run_repair_close(args: argparse.Namespace) -> int:
    from app.services import repairs
    from app.services.errors import Conflict
    from app.services.fields import parse_date
    items = _assets(args.tags)
    date = parse_date(args.date, "--date")

    def one(asset: Asset) -> str:
        rep = repairs.open_repair_for(asset.id)
        if rep is None:
            raise Conflict("it has no open repair")
        from app.services import loaners
        swap = loaners.open_swap_for_repair(rep.id)
        done = repairs.close_repair(rep.id, repaired=not args.unrepairable, returned=date,
                                    cost=args.cost, resolution=args.resolution)
        how = "not repairable" if args.unrepairable else "repaired"
        ended = ""
        if swap is not None and loaners.get(swap.id).status != "open":
            ended = f"; loaner swap {swap.id} ended, loaner {swap.loaner.tag} checked in"
        elif swap is not None:
            ended = f"; loaner {swap.loaner.tag} stays out (end the swap: loaner return {swap.id})"
        return (f"closed repair {done.id} for {asset.tag} ({how}) on "
                f"{done.returned}{ended}")  # a date prints as ISO
    return _report(_batch(items, one), date)
