"""`quartermaster team`: people and roles on a PostgreSQL server.

Each person connects as their own PostgreSQL login in one of three group
roles (viewer, technician, admin); the server enforces what each may do and
writes history's "who" itself. Run these as the database owner.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from app.cli import CommandError, Subparsers
from app.cli.output import print_table

EXAMPLES = """\
examples (as the owner of the database, e.g. the login that created it):
  quartermaster team init postgresql://qm_owner@db.district.org/inventory
  quartermaster --db postgresql://qm_owner@db.district.org/inventory team add-user alice --role technician
  quartermaster --db … team set-role alice --role admin
  quartermaster --db … team remove-user alice
  quartermaster --db … team list
"""


def register(sub: Subparsers) -> None:
    p = sub.add_parser("team", help="people and roles on a PostgreSQL server (team mode)",
                       description="Team mode: each person connects as their own PostgreSQL "
                                   "login in the viewer, technician or admin group; the server "
                                   "refuses what a role may not do and records who did what.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2
    p.set_defaults(func=usage, needs_db=False)
    ts = p.add_subparsers(dest="team_command", metavar="ACTION")

    i = ts.add_parser("init", help="create the group roles and grant them this database's tables")
    i.add_argument("url", metavar="postgresql://OWNER@HOST/DB")
    i.add_argument("--prefix", default="qm",
                   help="group role names are PREFIX_viewer, PREFIX_technician, PREFIX_admin "
                        "(default qm; roles are server-wide, so give each database its own)")
    i.add_argument("--key-readers", default="admin", metavar="ROLES",
                   help="comma-separated roles that may read product keys (default admin)")
    i.set_defaults(func=run_init, needs_db=False)

    a = ts.add_parser("add-user", help="a login for a person, in one role")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=("viewer", "technician", "admin"))
    pw_group = a.add_mutually_exclusive_group()
    pw_group.add_argument("--password-stdin", action="store_true",
                          help="read the new login's password from standard input")
    pw_group.add_argument("--no-password", action="store_true",
                          help="set no password (GSSAPI, certificates or peer authentication)")
    a.set_defaults(func=run_add, auto_backup=False, needs_db=True)

    s = ts.add_parser("set-role", help="move a person to another role")
    s.add_argument("name")
    s.add_argument("--role", required=True, choices=("viewer", "technician", "admin"))
    s.set_defaults(func=run_set_role, auto_backup=False, needs_db=True)

    r = ts.add_parser("remove-user", help="take a person out of the team (history keeps their name)")
    r.add_argument("name")
    r.add_argument("--keep-login", action="store_true",
                   help="only leave the team; keep the PostgreSQL login")
    r.set_defaults(func=run_remove, auto_backup=False, needs_db=True)

    ls = ts.add_parser("list", help="who is in the team, with what role")
    ls.set_defaults(func=run_list, auto_backup=False, needs_db=True)

    w = ts.add_parser("whoami", help="the login connected and its role")
    w.set_defaults(func=run_whoami, auto_backup=False, needs_db=True)


def run_init(args: argparse.Namespace) -> int:
    from app.services import team
    from app.store.db import describe, is_postgres_url, open_database
    if not is_postgres_url(args.url):
        raise CommandError("team init takes a postgresql://owner@host/dbname URL")
    open_database(args.url)  # creates or upgrades the tables (as their owner)
    readers = [r.strip() for r in args.key_readers.split(",") if r.strip()]
    groups = team.init(prefix=args.prefix, key_readers=readers)
    print(f"ok: team mode on {describe(args.url)}; group roles {', '.join(groups)}")
    print("next: `quartermaster --db URL team add-user NAME --role technician` for each person")
    return 0


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise CommandError("no password on standard input")
        return line
    if not sys.stdin.isatty():
        raise CommandError("give --password-stdin or --no-password (no terminal to ask on)")
    first = getpass.getpass(f"Password for {args.name}: ")
    if not first or first != getpass.getpass("Again: "):
        raise CommandError("the passwords are empty or differ; nothing was changed")
    return first


def run_add(args: argparse.Namespace) -> int:
    from app.services import team
    member = team.add_user(args.name, args.role, _password(args))
    print(f"ok: {member.name} is a {member.role}")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    from app.services import team
    member = team.set_role(args.name, args.role)
    print(f"ok: {member.name} is now a {member.role}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from app.services import team
    kept = team.remove_user(args.name, drop_login=not args.keep_login)
    if kept:
        print(f"ok: {args.name} left the team; {kept}")
    else:
        print(f"ok: {args.name} left the team" + ("" if args.keep_login else "; login dropped"))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from app.services import team
    rows = [[m.name, m.role, "yes" if m.can_login else "no"] for m in team.members()]
    print_table(["login", "role", "can log in"], rows)
    return 0


def run_whoami(args: argparse.Namespace) -> int:
    from app.services import team
    ident = team.current()
    print(ident.text)
    return 0
