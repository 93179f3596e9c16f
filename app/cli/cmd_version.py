"""`quartermaster version`."""
from __future__ import annotations

import argparse

from app.cli import Subparsers, version_text


def register(sub: Subparsers) -> None:
    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=run, needs_db=False)


def run(args: argparse.Namespace) -> int:
    from app.store import migrations
    print(version_text())
    print(f"schema {migrations.LATEST}")
    return 0
