"""`quartermaster check`: integrity and the domain's invariants."""
from __future__ import annotations

import argparse

from app.cli import Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser("check", help="check the database and the inventory's own rules",
                       description="Runs SQLite's integrity check and verifies that cached stock "
                                   "equals its movements, seats stay within what is owned, and "
                                   "each asset has at most one open loan. Exit 1 lists problems.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.check import run_checks
    problems = run_checks()
    if problems:
        for line in problems:
            print(line)
        print(f"error: {len(problems)} problem(s) found")
        return 1
    print("ok: database and inventory rules check out")
    return 0
