"""`quartermaster kit`: what goes out with a device of a model (charger, case,
cable), and the model's replacement cost."""
from __future__ import annotations

import argparse

from app.cli import Subparsers
from app.cli.output import print_table

EXAMPLES = """\
examples:
  quartermaster kit set "Chromebook 3110" charger:1:25 case:1:20
  quartermaster kit set "MiFi 8000" cable
  quartermaster kit set "Chromebook 3110" --replacement-cost 300
  quartermaster kit show "Chromebook 3110"
  quartermaster kit set "Chromebook 3110" --none
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("kit", help="a model's kit (charger, case, cable) that goes out with "
                                   "every loan",
                       description="A model's kit: the parts every check-out of one of its "
                                   "devices records, and check-in marks returned or missing.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="kit_command", metavar="ACTION", required=True)
    s = ss.add_parser("set", help="replace the kit of a model")
    s.add_argument("model", metavar="MODEL", help="model name (or \"Maker Name\", or its id)")
    s.add_argument("parts", nargs="*", metavar="PART[:QTY[:COST]]")
    s.add_argument("--none", action="store_true", help="remove the kit")
    s.add_argument("--replacement-cost", metavar="AMOUNT",
                   help="what a new device of the model costs (a lost device's fee)")
    s.set_defaults(func=run_set)
    sh = ss.add_parser("show", help="a model's kit and replacement cost")
    sh.add_argument("model", metavar="MODEL")
    sh.set_defaults(func=run_show)


def run_set(args: argparse.Namespace) -> int:
    from app.cli import CommandError
    from app.services import kits, prices
    model = prices.find_model(args.model)
    if args.none and args.parts:
        raise CommandError("give parts or --none, not both")
    if not (args.none or args.parts or args.replacement_cost is not None):
        raise CommandError("give the parts (PART[:QTY[:COST]] …), --none or --replacement-cost")
    parts = [kits.parse_spec(text) for text in args.parts]
    cost = args.replacement_cost if args.replacement_cost is not None else kits.KEEP
    kits.save_kit(model.id, parts if (args.parts or args.none) else None, cost)
    _show(model.id)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from app.services import prices
    _show(prices.find_model(args.model).id)
    return 0


def _show(model_id: int) -> None:
    from app.services import kits, prices
    model = kits.get_model(model_id)
    print(f"{prices.model_label(model)}: replacement cost "
          + (f"{model.replacement_cost:.2f}" if model.replacement_cost is not None else "not set"))
    parts = kits.parts_of(model_id)
    if not parts:
        print("no kit")
        return
    print_table(["Part", "Qty", "Cost", "Fee if missing"],
                [[p.name, p.quantity, p.cost, prices.price_for(p.name, model_id)] for p in parts])
