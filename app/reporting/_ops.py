"""Small helpers the operational reports share (room sheet, by person,
loans, license compliance, reorder): dates as people read them, the
organisation's name, UTC timestamps as local dates."""
from __future__ import annotations

import datetime as dt

from app.services import settings


def day(d: dt.date | None) -> str:
    """"December 2, 2026" (no platform-specific strftime flags)."""
    if d is None:
        return ""
    return f"{d:%B} {d.day}, {d.year}"


def organisation() -> str:
    return settings.get("org_name") or ""


def local_date(at: dt.datetime | None) -> dt.date | None:
    """A stored (naive UTC) timestamp as the local calendar date."""
    if at is None:
        return None
    if isinstance(at, str):  # SQLite hands back text for computed columns
        at = dt.datetime.fromisoformat(at)
    return at.replace(tzinfo=dt.timezone.utc).astimezone().date()


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
