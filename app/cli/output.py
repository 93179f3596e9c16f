"""Printing records for people and for scripts."""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any


def to_jsonable(value: object) -> Any:
    """``value`` with dates as ISO text and Decimals as strings, for json.dump."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def pick(record: Mapping[str, object], keys: Sequence[str]) -> list[object]:
    """A record's values in ``keys`` order: one row of a list command's table
    (a service's TypedDict row is a mapping of its own keys)."""
    return [record[k] for k in keys]


def print_json(obj: object) -> None:
    json.dump(to_jsonable(obj), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_fields(pairs: list[tuple[str, object]]) -> None:
    width = max((len(k) for k, v in pairs if v not in (None, "")), default=0)
    for key, value in pairs:
        if value in (None, ""):
            continue
        if isinstance(value, decimal.Decimal):
            value = f"${value:,.2f}"
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) \
                else value.isoformat()
        print(f"{key:<{width}}  {value}")


def print_table(headers: list[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def print_list(headers: list[str], rows: Sequence[Sequence[Any]], as_csv: bool, empty: str,
               shown: Sequence[int] | None = None,
               cell: Callable[[int, Any], Any] | None = None) -> bool:
    """A list command's output: every column as CSV (``as_csv``), else the
    ``shown`` columns (default all) as a table, each value through ``cell(column,
    value)`` when given, else the ``empty`` line. True when a table was printed."""
    if as_csv:
        write_csv(headers, rows)
        return False
    if not rows:
        print(empty)
        return False
    cols = list(shown) if shown is not None else list(range(len(headers)))
    print_table([headers[i] for i in cols],
                [[cell(i, row[i]) if cell else row[i] for i in cols] for row in rows])
    return True


def write_csv(headers: list[str], rows: Iterable[Sequence[Any]], out: IO[str] | None = None) -> None:
    from app.cells import safe_cell  # formula neutralization, as exports do it
    w = csv.writer(out or sys.stdout, lineterminator="\n")
    w.writerow(headers)
    for row in rows:
        w.writerow([safe_cell(_cell(v)) for v in row])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
