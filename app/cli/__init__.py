"""The `quartermaster` command line.

Each command group lives in its own module ``app/cli/cmd_<name>.py`` with a
``register(subparsers)`` function that adds its parser and sets ``func``;
modules are found at start-up, so a new feature adds a file and touches
nothing shared. A handler returns an exit code; domain errors become one
``error: …`` line and exit 1; argparse misuse exits 2. Qt is imported only
by the ``gui`` command.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from app import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A command cannot do what was asked: printed as ``error: …``, exit 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartermaster",
        description="Asset and equipment inventory for school districts.",
        epilog="Run without a command to open the desktop app. "
               "`quartermaster COMMAND --help` explains each command.")
    parser.add_argument("--db", metavar="PATH|URL",
                        help="database file or postgresql://user@host/db URL "
                             "(default: $QUARTERMASTER_DB, else the local database)")
    parser.add_argument("--user", metavar="NAME",
                        help="name recorded in history on a local file (default: the OS "
                             "user); on PostgreSQL history records the login")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        mod.register(sub)
    return parser


def _command_modules():
    import app.cli as pkg
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("cmd_"))
    return [importlib.import_module(f"app.cli.{n}") for n in names]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from app import files
    from app.store import instances, secrets
    files.set_private_umask()  # every file this process creates: its owner's only
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    secrets.install_log_filter()
    secrets.set_prompt(secrets.terminal_prompt)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(argv + ["gui"])
    instances.set_program("the desktop app" if args.command == "gui"
                          else f"quartermaster {args.command}")
    if args.user:
        import os
        os.environ["QM_USER"] = args.user
    from app.services.errors import DomainError
    from app.store.db import DatabaseOpenError
    try:
        if getattr(args, "needs_db", True):
            from app.backup import copy_before_migration
            from app.store.db import open_database
            open_database(args.db, before_migration=copy_before_migration)
            from app.backup import clean_leftovers
            clean_leftovers()
            _warn_user_ignored(args.user)
            if getattr(args, "auto_backup", True):
                from app.backup import daily_backup_or_warn
                daily_backup_or_warn()
        return int(args.func(args) or 0)
    except (CommandError, DomainError, DatabaseOpenError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        print(f"error: {exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}",
              file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, details in the log
        log_path = _log_crash()
        print(f"error: unexpected failure ({exc.__class__.__name__}: {_one_line(exc)}); "
              f"details in {log_path}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        from app.store.db import close_database
        try:
            close_database()
        except Exception:
            pass


def _warn_user_ignored(name: str | None) -> None:
    """``--user`` names who history records on a local file only: on a server
    history records the login, and the server writes it itself."""
    from app.store.db import is_sqlite
    if name and not is_sqlite():
        from app.services.base import session_user
        print(f"warning: --user is ignored on PostgreSQL; history records the login "
              f"{session_user()}", file=sys.stderr)


def _log_crash() -> str:
    """Append the current traceback to the user log file; return its path."""
    import datetime as dt
    import traceback
    from pathlib import Path

    from platformdirs import user_log_dir
    folder = Path(user_log_dir("Quartermaster", appauthor=False))
    try:
        path = folder / "quartermaster.log"
        from app import files
        from app.store.secrets import redact
        files.private_dir(folder)
        with files.private(), path.open("a", encoding="utf-8") as f:
            # Never a password: the command line may carry --db postgresql://user:pass@…
            f.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} "
                    f"{redact(repr(sys.argv))}\n")
            f.write(redact(traceback.format_exc()))
        return str(path)
    except OSError:
        return "(log unavailable)"


def _one_line(exc: Exception) -> str:
    from app.store.secrets import redact
    return redact(" ".join(str(exc).split())) or exc.__class__.__name__


def version_text() -> str:
    return f"quartermaster {__version__}"
