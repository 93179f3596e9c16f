"""`quartermaster version`."""
from app.cli import version_text


def register(sub) -> None:
    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=run, needs_db=False)


def run(args) -> int:
    from app.store import migrations
    print(version_text())
    print(f"schema {migrations.LATEST}")
    return 0
