"""What a report is, before it is a file.

A report builder (``app/reporting/<name>.py``) reads the database and returns
a ``ReportDocument``: a cover, then sections, each with key figures, tables
and charts, every value a real Python value (``Decimal`` money, ``date``,
``int``, ``str``). The writers turn the same document into a PDF
(``reports.document_pdf``, reportlab), an XLSX (one sheet per section, real
numbers and dates) or a CSV (the document's main table), so the three
formats always carry the same figures.

Rows may be any iterable (a generator over a lean query), so a 100,000-row
register is never held twice; a writer that needs two passes says so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

# A value in a row, a total or a key figure: written as itself (money as
# Decimal, dates as dates), formatted by its column's kind.
Cell: TypeAlias = str | int | float | Decimal | dt.date | dt.datetime | None
Row: TypeAlias = Sequence[Cell]
# progress(done, total, text): a long build or write reports how far it got
# (total 0 when unknown).
Progress: TypeAlias = Callable[[int, int, str], None]

# Column kinds: how a value is formatted in a PDF and typed in a spreadsheet.
KINDS = ("text", "int", "number", "money", "percent", "date", "datetime")


@dataclass
class Column:
    title: str
    kind: str = "text"  # one of KINDS
    width: float = 1.0  # relative width in the PDF
    total: bool = False  # summed in the table's total row (money, int, number)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    columns: Sequence[Column]
    rows: Iterable[Row]  # each a tuple of Python values, one per column
    title: str | None = None
    # An explicit total row (same length as columns; None for blank cells).
    # When left None, writers sum the columns marked total=True.
    totals: Row | None = None
    empty_text: str = "None."  # shown when there are no rows
    # Rows grouped under sub-headings in the PDF (e.g. per room), as
    # (heading, rows) pairs; when set, ``rows`` is ignored.
    groups: Iterable[tuple[str, Iterable[Row]]] | None = None


@dataclass
class Chart:
    title: str
    data: Sequence[tuple[str, Decimal | int | float]]  # (label, value), drawn as a bar chart
    kind: str = "money"  # money or int: how the values are labelled


@dataclass
class Section:
    key: str  # short name: the XLSX sheet name (≤ 31 characters)
    title: str
    intro: str | None = None  # a paragraph under the title
    figures: Sequence[tuple[str, Cell]] = ()  # key figures shown above the tables
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    new_page: bool = True  # start on a new PDF page
    landscape: bool = False


@dataclass
class Cover:
    title: str
    subtitle: str | None = None
    lines: Sequence[tuple[str, str]] = ()  # ("Fiscal year", "July 1, 2025 – June 30, 2026")
    signatures: Sequence[str] = ()  # signature line captions ("Prepared by", "Approved by")


@dataclass
class ReportDocument:
    title: str  # running header
    organisation: str
    sections: list[Section]
    cover: Cover | None = None
    subtitle: str | None = None  # running header, second part (e.g. "FY 2025–26")
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    generated_by: str | None = None
    # The section/table a CSV holds: (section index, table index).
    csv_table: tuple[int, int] = (0, 0)
    # One line the command line prints with the file it wrote (e.g. that a
    # year-end report is provisional); the cover says it in the document.
    notice: str | None = None


def money(value: Decimal | int | float | str | None) -> Decimal:
    """Exact cents, for builders summing MoneyField values."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))
