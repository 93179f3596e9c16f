"""`quartermaster gui`: the desktop app (the default command). The only place
the command line imports Qt."""
from __future__ import annotations

import argparse

from app.cli import Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    p.add_argument("--page", help="page to open first (assets, people, …)")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the window offscreen, save a PNG once the page has painted, and exit")
    p.add_argument("--size", help="window size WIDTHxHEIGHT (wins over the size remembered from "
                                  "last time; a screenshot is 1440x900 unless given)")
    p.set_defaults(func=run, needs_db=False)


def run(args: argparse.Namespace) -> int:
    from ui.app import run_gui
    return int(run_gui(args))  # ui/ is not type-checked: its result is Any here
