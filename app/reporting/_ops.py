"""Small helpers the operational reports share (room sheet, by person,
loans, license compliance, reorder): dates as people read them, the
organisation's name, UTC timestamps as local dates."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

import peewee as pw

from app.services import settings
from app.wording import plural as plural  # the one plural, re-exported for reports

if TYPE_CHECKING:
    from app.models import Site
    from app.reporting.document import Table


def day(d: dt.date | None) -> str:
    """"December 2, 2026" (no platform-specific strftime flags)."""
    if d is None:
        return ""
    return f"{d:%B} {d.day}, {d.year}"


def find_site(text: str | None) -> Site | None:
    """The site a report is limited to (name or code), or None for all sites;
    a name that matches no site is an error, never "all sites"."""
    from app.services import catalog
    from app.services.errors import NotFound
    if not text:
        return None
    site = catalog.find_site(text)
    if site is None:
        raise NotFound(f"No site called {text!r}; give a site's name or code.")
    return site


def organisation() -> str:
    return settings.get("org_name") or ""


_OFFSETS: dict[tuple[int, int, int, int], dt.timedelta] = {}


@overload
def local_date(at: dt.datetime | str) -> dt.date: ...
@overload
def local_date(at: None) -> None: ...
@overload
def local_date(at: dt.datetime | str | None) -> dt.date | None: ...
def local_date(at: dt.datetime | str | None) -> dt.date | None:
    """A stored (naive UTC) timestamp as the local calendar date. The zone's
    offset is looked up once per UTC hour (offsets change on the hour), not
    once per row: 50,000 loans' dates in a tenth of the time."""
    if at is None:
        return None
    if isinstance(at, str):  # SQLite keeps timestamps as text (see raw_rows)
        at = dt.datetime.fromisoformat(at)
    key = (at.year, at.month, at.day, at.hour)
    off = _OFFSETS.get(key)
    if off is None:
        hour = at.replace(minute=0, second=0, microsecond=0, tzinfo=dt.UTC)
        off = _OFFSETS[key] = hour.astimezone().utcoffset() or dt.timedelta(0)
        if len(_OFFSETS) > 100_000:
            _OFFSETS.clear()
    return (at + off).date()


def raw_rows(query: pw.Query, size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """A query's rows straight from the driver's cursor, skipping peewee's
    per-cell conversion (seconds at 100,000 rows); convert dates and money
    with ``as_date`` / ``as_money`` where a column needs it."""
    from app.store.db import stream
    for chunk in stream(query, size=size):
        yield from chunk


def as_date(v: dt.date | str | None) -> dt.date | None:
    """A DATE column as the driver gave it (text on SQLite) as a date."""
    if v is None or type(v) is dt.date:
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(v[:10])


def as_money(v: Decimal | float | str | None, _cent: Decimal = Decimal("0.01")) -> Decimal | None:
    """A MoneyField as the driver gave it (REAL on SQLite) as exact cents."""
    return None if v is None else Decimal(str(v)).quantize(_cent)




# A signature block is a small table: per signer a blank row to write in, then
# a row ruled with underscores (the PDF writer draws no lines between rows).
# The rule lengths are worked out for Helvetica 7.5 pt (an underscore is
# 0.556 em) across a Letter page less 0.6 in margins, so they fill each
# column without being cut.
_UNDERSCORE_PT = 0.556 * 7.5
_PAGE_PT = {False: 8.5 * 72 - 2 * 0.6 * 72, True: 11 * 72 - 2 * 0.6 * 72}
SIGN_WIDTHS = (("", 1.3), ("Print name", 2.3), ("Date", 1.1), ("Signature", 2.6))


def sign_table(signers: Iterable[str], title: str, landscape: bool = False) -> Table:
    from app.reporting.document import Column, Table
    total = sum(w for _, w in SIGN_WIDTHS)
    rules = []
    for _, w in SIGN_WIDTHS[1:]:
        points = w / total * _PAGE_PT[landscape] - 10
        rules.append("_" * max(4, int(points / _UNDERSCORE_PT)))
    rows: list[tuple[str, ...]] = []
    for who in signers:
        rows.append(("", "", "", ""))
        rows.append((who, *rules))
    return Table([Column(t, width=w) for t, w in SIGN_WIDTHS], rows, title=title)
