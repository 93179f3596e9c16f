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


# A signature block is a small table: per signer a blank row to write in, then
# a row ruled with underscores (the PDF writer draws no lines between rows).
# The rule lengths are worked out for Helvetica 7.5 pt (an underscore is
# 0.556 em) across a Letter page less 0.6 in margins, so they fill each
# column without being cut.
_UNDERSCORE_PT = 0.556 * 7.5
_PAGE_PT = {False: 8.5 * 72 - 2 * 0.6 * 72, True: 11 * 72 - 2 * 0.6 * 72}
SIGN_WIDTHS = (("", 1.3), ("Print name", 2.3), ("Date", 1.1), ("Signature", 2.6))


def sign_table(signers, title: str, landscape: bool = False):
    from app.reporting.document import Column, Table
    total = sum(w for _, w in SIGN_WIDTHS)
    rules = []
    for _, w in SIGN_WIDTHS[1:]:
        points = w / total * _PAGE_PT[landscape] - 10
        rules.append("_" * max(4, int(points / _UNDERSCORE_PT)))
    rows = []
    for who in signers:
        rows.append(("", "", "", ""))
        rows.append((who, *rules))
    return Table([Column(t, width=w) for t, w in SIGN_WIDTHS], rows, title=title)
