"""Database passwords: where they come from, and keeping them out of every file.

A password is never written anywhere by Quartermaster: not in logs, crash
logs, error messages, history, settings or the instance registry. ``redact``
takes it out of any text (a ``postgresql://user:pass@host`` URL, a libpq
``password=…``) and is applied to log records (``install_log_filter``), the
crash log and the command line it records.

Where the password comes from, in libpq's order: the URL itself (accepted, but
better left out), ``PGPASSWORD``, ``~/.pgpass`` (libpq reads both itself when
no password is given), and else a prompt: ``set_prompt`` installs one (the
command line asks on its terminal; the desktop app shows a dialog), which
``password_for`` calls when the server asks for a password nobody gave.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable

MASK = "***"

# scheme://user:password@host — the password is everything between ':' and the last '@'
# of the authority part.
_URL = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@'\"]*):(?P<pw>[^\s/'\"]*)@")
_KV = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_ENV = re.compile(r"(?P<head>\bPGPASSWORD=)(?P<pw>\S+)")

_prompt: Callable[[str], str | None] | None = None


def redact(text) -> str:
    """``text`` with every password in it replaced by ***."""
    if text is None:
        return ""
    s = str(text)
    if ":" not in s and "password" not in s.lower() and "PGPASSWORD" not in s:
        return s
    s = _URL.sub(lambda m: f"{m['head']}:{MASK}@", s)
    s = _KV.sub(lambda m: f"{m['head']}{MASK}", s)
    return _ENV.sub(lambda m: f"{m['head']}{MASK}", s)


def set_prompt(prompt: Callable[[str], str | None] | None) -> None:
    """How to ask for a password (``prompt(where) -> password or None``)."""
    global _prompt
    _prompt = prompt


def needs_password(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no password supplied" in text or "password authentication failed" in text \
        or "fe_sendauth" in text


def ask(where: str) -> str | None:
    """The installed prompt's answer, or None (no prompt, or it was cancelled)."""
    if _prompt is None:
        return None
    return _prompt(where)


def terminal_prompt(where: str) -> str | None:
    """The command line's prompt: only on a terminal (a script gets the error instead)."""
    import getpass
    import sys
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(f"Password for {where}: ") or None
    except (EOFError, KeyboardInterrupt):
        return None


class RedactingFilter(logging.Filter):
    """Takes passwords out of every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """On every handler of ``logger`` (default: the root logger)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
