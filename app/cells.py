"""One cell writer for every file a spreadsheet opens: the list exports
(``app.exporting``) and the reports (``app.reporting.writers``).

What a value becomes in a CSV cell and in an XLSX cell, decided once: money
as a plain 1234.56 (CSV) or a number styled as money (XLSX), dates ISO or
real spreadsheet dates, and no text cell a spreadsheet would run as a
formula (CSV injection: "=", "+", "-", "@", tab, CR at the start get a
leading apostrophe; a negative number stays a number).

The XLSX cell styles are indexes into the workbook's cellXfs; every workbook
we write puts its date, date-time and money styles at ``DATE_STYLE``,
``TIME_STYLE`` and ``MONEY_STYLE``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_STYLE, TIME_STYLE, MONEY_STYLE = 2, 3, 4
EPOCH = dt.datetime(1899, 12, 30)  # the spreadsheet's day 0
_EPOCH_DAY = EPOCH.date()
XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_cell(value: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # Negative numbers stay numbers.
        if value[0] == "-" and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --- CSV ---------------------------------------------------------------------------

def csv_value(v: object) -> str:
    """A value as CSV text: "" for none, ISO dates, money 1234.56, yes/no, safe text."""
    if v is None:
        return ""
    if isinstance(v, str):
        return safe_cell(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return str(v)
    return safe_cell(str(v))


def money_text(v: object) -> str:
    """A stored amount (Decimal, int, float or text) as CSV money: 1234.50."""
    if v is None or v == "":
        return ""
    return f"{Decimal(str(v)):.2f}"


# --- XLSX --------------------------------------------------------------------------

def column_letters(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def xml_text(text: str) -> str:
    """Text for an XML element: characters XML cannot hold dropped, markup escaped."""
    if XML_BAD.search(text):
        text = XML_BAD.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text  # a bare CR would read back as LF


def xlsx_text_tail(text: str, style: int = 0) -> str:
    """An inline text cell's XML after its reference (the text made safe)."""
    s = f' s="{style}"' if style else ""
    return f'{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(safe_cell(text))}</t></is></c>'


def xlsx_tail(v: object, text_style: int = 0, number_style: int | None = None,
              money_style: int = MONEY_STYLE) -> str:
    """A cell's XML after ``<c r="A1"``, typed by its value: text (``text_style``),
    true/false, dates and date-times, money (``number_style``, else
    ``money_style``), other numbers (``number_style``, else ``text_style``)."""
    if isinstance(v, str):
        return xlsx_text_tail(v, text_style)
    if isinstance(v, bool):
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
        return f' s="{TIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(v, dt.date):
        return f' s="{DATE_STYLE}"><v>{(v - _EPOCH_DAY).days}</v></c>'
    if isinstance(v, Decimal):
        style = money_style if number_style is None else number_style
        return f' s="{style}"><v>{v:f}</v></c>'
    if isinstance(v, (int, float)):
        style = text_style if number_style is None else number_style
        s = f' s="{style}"' if style else ""
        return f'{s}><v>{v!r}</v></c>'
    return xlsx_text_tail(str(v), text_style)


def xlsx_cell(ref: str, v: object, text_style: int = 0, number_style: int | None = None,
              money_style: int = MONEY_STYLE) -> str:
    """One whole cell ("" for no value): see ``xlsx_tail``."""
    if v is None or v == "":
        return ""
    return f'<c r="{ref}"{xlsx_tail(v, text_style, number_style, money_style)}'


class Memo(dict[Any, Any]):
    """A column's conversion, made once per distinct value (an order's purchase
    date, a model's cost): ``memo[v]`` is a lookup in C, ``convert`` runs only
    on a miss, and ``map(memo.__getitem__, column)`` converts a whole column.
    ``known`` pairs are there from the start (``(None, None)``: None stays
    None) and survive ``forget``; past ``limit`` distinct values a miss is
    converted but not kept."""

    def __init__(self, convert: Callable[[Any], Any], *known: tuple[Any, Any],
                 limit: int | None = None) -> None:
        super().__init__(known)
        self.convert = convert
        self.known = known
        self.limit = limit

    def forget(self) -> None:
        """Empty the memo, but for the values it was made with."""
        self.clear()
        self.update(self.known)

    def __missing__(self, key: Any) -> Any:
        got = self.convert(key)
        if self.limit is None or len(self) < self.limit:
            self[key] = got
        return got


def stored_date(v: str | dt.date | None) -> dt.date | None:
    """A stored day (a date, a timestamp, or their ISO text) as a date."""
    if v is None or isinstance(v, dt.date):
        return v.date() if isinstance(v, dt.datetime) else v
    return dt.date.fromisoformat(v[:10])

