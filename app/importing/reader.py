"""Reading spreadsheets as a stream of rows: CSV in any common encoding (with
or without a byte-order mark), comma, semicolon or tab separated, CRLF, LF or
CR-only line endings; XLSX (any sheet). Memory stays flat: rows are yielded,
never collected."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from typing import Any

from app.services.errors import ValidationError
from app.services.textfile import wide_encoding

MAX_CELL = 32_767  # Excel's own limit: a longer cell is refused (the row named), never cut


@dataclass
class Table:
    headers: list[str]
    sheets: list[str]
    sheet: str | None
    path: Path
    # The row holding the column names (1 unless title rows stand above it).
    header_row: int = 1

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number as the user sees it in the file, cells)."""
        return _rows(self)

    def estimate_rows(self) -> int:
        """About how many data rows (for a progress bar): lines counted in
        the raw bytes, or the sheet's recorded size; 0 when unknown."""
        if self.sheet is not None:
            from app.importing import xlsx
            try:
                return max(xlsx.dimension_rows(self.path, self.sheet) - 1, 0)
            except (xlsx.Unsupported, OSError, KeyError):
                return 0
        lf = cr = 0
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                lf += chunk.count(b"\n")
                cr += chunk.count(b"\r")
        return max((lf or cr) - 1, 0)


def open_table(path: str | PathLike[str], sheet: str | None = None) -> Table:
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"There is no file {path}.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, sheet)
    if suffix == ".xls":
        raise ValidationError("Old .xls workbooks cannot be read: save the sheet as .xlsx or CSV.")
    found = pick_header(_first_rows(enumerate(_csv_rows(path), start=1)))
    if found is None:
        raise ValidationError(f"{path.name} is empty.")
    n, headers = found
    return Table([_header(h) for h in headers], [], None, path, n)


# Title lines ("Springfield USD — Technology inventory", a blank line) often
# stand above a hand-kept sheet's column names: look this far down for them.
HEADER_SEARCH_ROWS = 20


def _first_rows(rows: Iterable[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    out = []
    for n, cells in rows:
        if any(_header(c) for c in cells):
            out.append((n, cells))
            if len(out) >= HEADER_SEARCH_ROWS:
                break
    return out


def pick_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, list[Any]] | None:
    """The row that names the columns: the first one that is mostly text and
    fills at least half as many cells as the widest row near the top (a title
    fills one). Falls back to the first non-empty row."""
    if not rows:
        return None

    def filled(cells: list[Any]) -> list[Any]:
        return [c for c in cells if _header(c)]
    widest = max(len(filled(c)) for _, c in rows)
    for n, cells in rows:
        f = filled(cells)
        if len(f) >= max(2, (widest + 1) // 2) and \
                sum(isinstance(c, str) for c in f) >= 0.8 * len(f):
            return n, cells
    return rows[0]


def _header(h: object) -> str:
    return "" if h is None else str(h).replace("\ufeff", "").strip()


def _rows(table: Table) -> Iterator[tuple[int, list[Any]]]:
    if table.sheet is not None:
        yield from _xlsx_rows(table.path, table.sheet, table.header_row + 1)
        return
    width = len(table.headers)
    for n, (line, _end, row) in enumerate(_csv_records(table.path, width), start=1):
        if n > table.header_row and any(c.strip() for c in row):
            if len(row) > width and any(c.strip() for c in row[width:]):
                raise ValidationError(
                    f"{table.path.name}, line {line}: the row has {len(row)} cells but the header "
                    f"names {width} columns — a separator too many, or a quote left open above; "
                    "nothing was imported. Fix that line and import again.")
            yield n, row


def _refuse_swallowed(path: Path, line: int, row: list[str], width: int, delim: str) -> None:
    """A quoted cell running over line ends is a note with line breaks, unless
    a line inside it holds a whole row of the file (as many separators as the
    header): then a quote was left open and the rows after it swallowed."""
    if width < 3:
        return
    for cell in row:
        if "\n" in cell or "\r" in cell:
            for part in re.split(r"\r\n|\r|\n", cell)[1:]:
                if part.count(delim) >= width - 1:
                    raise ValidationError(
                        f"{path.name}, line {line}: a quote opened on this line is not closed "
                        "until a later line, so the rows between would be read as one cell; "
                        "nothing was imported. Close the quote (or remove it) and import again.")


# --- CSV ---------------------------------------------------------------------------

# Bytes that mean nothing in Windows-1252: a file holding them is not Excel's
# Windows "CSV" but (with its CR-only lines) old Mac Excel's Mac Roman.
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


# Control characters that text never holds (tab, line ends, the vertical tab
# FileMaker writes for a line break inside a cell, and form feed aside).
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
# More than this share of them in the first 64 KB is no hand-kept spreadsheet.
_CONTROL_SHARE = 0.05


def _refuse_binary(path: Path, head: bytes) -> None:
    """A picture, a zip or an .exe renamed to .csv decodes as Windows-1252
    into "columns" named by control characters: say what it is instead."""
    # A share, not any: a text export can hold a stray NUL or two in a cell (cleaned later).
    if len(_CONTROL.findall(head)) > _CONTROL_SHARE * len(head):
        raise ValidationError(
            f"{path.name} is not a text spreadsheet (it holds binary data); open it in the "
            "program it came from and save it as CSV or Excel workbook (.xlsx).")


def _encoding(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    if head.startswith(codecs.BOM_UTF8):
        _refuse_binary(path, head[len(codecs.BOM_UTF8):])
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # its NUL bytes are text: half of every Latin letter
    wide = wide_encoding(head)
    if wide:
        return wide
    _refuse_binary(path, head)
    decoder = codecs.getincrementaldecoder("utf-8")()
    mac = False
    lf = False
    with path.open("rb") as f:
        try:
            while chunk := f.read(1 << 20):
                lf = lf or b"\n" in chunk
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        f.seek(0)
        while chunk := f.read(1 << 20):
            lf = lf or b"\n" in chunk
            mac = mac or bool(_NOT_CP1252.search(chunk))
    # Excel's "CSV" on Windows is cp1252; old Mac Excel wrote Mac Roman with CR-only lines.
    return "mac_roman" if mac or not lf else "cp1252"


# Text that was UTF-8, read once as Windows-1252 and saved again ("Lutsâ€™k"):
# put back when the round trip is exact, otherwise left as it is.
_MOJIBAKE = re.compile("[ÂÃÄÅâ][\u0080-\u02ff\u2000-\u20ff\u2100-\u2122]")


def repair_mojibake(text: str) -> str:
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# Lines looked at to tell the separator, from the first SAMPLE_CHARS of the file.
DIALECT_SAMPLE_ROWS = 20
SAMPLE_CHARS = 64 * 1024


def _dialect(sample: str) -> type[csv.Dialect]:
    """Comma, semicolon or tab: whichever splits most of the first non-empty
    lines into one same number of columns (more than one). A title line above
    the header ("Inventory as of June 1, 2024") or a semicolon file's
    unquoted "1.234,50" then cannot decide it; on a tie the separator giving
    more columns wins. With no such separator, the one the first line holds
    most of."""
    # The sample may stop inside its last line: that line does not count.
    cut = len(sample) >= SAMPLE_CHARS - 1 and not sample.endswith(("\r", "\n"))
    best, best_score = None, (0, 0)
    for delim in ",;\t":
        widths = []
        for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
            if any(c.strip() for c in row):
                widths.append(len(row))
                if len(widths) > DIALECT_SAMPLE_ROWS:
                    break
        if len(widths) > DIALECT_SAMPLE_ROWS or (cut and len(widths) > 1):
            widths.pop()
        counts: dict[int, int] = {}
        for w in widths:
            if w > 1:
                counts[w] = counts.get(w, 0) + 1
        if counts:
            width, rows = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
            if (rows, width) > best_score:
                best, best_score = delim, (rows, width)
    if best is None:
        first = re.split(r"\r\n|\r|\n", sample, maxsplit=1)[0] if sample else ""
        unquoted = re.sub(r'"[^"]*"', "", first)
        counts_1 = {d: unquoted.count(d) for d in ",;\t"}
        best = max(counts_1, key=counts_1.__getitem__) if any(counts_1.values()) else ","

    separator: str = best  # the class body below does not see best's narrowing to str

    class Dialect(csv.excel):
        delimiter = separator
    return Dialect


def _csv_rows(path: Path) -> Iterator[list[str]]:
    for _line, _end, row in _csv_records(path):
        yield row


def _csv_records(path: Path, width: int = 0) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of each record. Malformed quoting (a
    quote never closed, text after a closing quote) is refused with its line,
    never guessed at."""
    enc = _encoding(path)
    # A 1 MB buffer: each read from the disk lets go of Python's lock, and a
    # thread waiting for that lock (the import's writer) is starved while the
    # reading thread keeps taking it back every few milliseconds.
    with path.open("r", encoding=enc, errors="replace", newline="", buffering=1 << 20) as f:
        sample = f.read(SAMPLE_CHARS)
        f.seek(0)
        if enc == "utf-8-sig" or sample.startswith("\ufeff"):
            sample = sample.lstrip("\ufeff")
        dialect = _dialect(sample)
        csv.field_size_limit(16 * 1024 * 1024)
        legacy = enc in ("cp1252", "mac_roman")
        reader = csv.reader(f, dialect, strict=True)
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                what = ("a quote opened here is never closed"
                        if "end of data" in str(exc) or reader.line_num > line + 1 else
                        "a quoted cell has text after its closing quote")
                raise ValidationError(
                    f"{path.name}, line {line}: {what} ({exc}); nothing was imported. Fix the "
                    "quotes on that line and import again.") from None
            end = reader.line_num
            if end > line and width:
                _refuse_swallowed(path, line, row, width, dialect.delimiter)
            if row and row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            if legacy:
                row = [repair_mojibake(c) for c in row]
            yield line, end, row
            line = end + 1


# --- XLSX --------------------------------------------------------------------------

def _open_xlsx(path: Path, sheet: str | None) -> Table:
    from app.importing import xlsx
    try:
        names = xlsx.sheet_names(path)
        if sheet is None and names:
            sheet = names[0]
        if sheet in names:
            found = pick_header(_first_rows(xlsx.rows_of(path, sheet)))
            if found is None:
                raise ValidationError(f"The sheet {sheet!r} is empty.")
            return Table([_header(h) for h in found[1]], names, sheet, path, found[0])
    except (xlsx.Unsupported, zipfile.BadZipFile, OSError):
        pass  # openpyxl reads it, or says why not
    return _open_xlsx_openpyxl(path, sheet)


def _open_xlsx_openpyxl(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise _unreadable(path, exc) from exc
    names = wb.sheetnames
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        wb.close()
        raise ValidationError(f"{path.name} has no sheet {sheet!r}; its sheets are: {', '.join(names)}.")
    try:
        found = pick_header(_first_rows(enumerate(
            map(_openpyxl_values, wb[sheet].iter_rows(max_row=4 * HEADER_SEARCH_ROWS)), start=1)))
    except Exception as exc:  # noqa: BLE001 - a sheet's XML cut short, a bad checksum, …
        raise _unreadable(path, exc) from exc
    finally:
        wb.close()
    if found is None:
        raise ValidationError(f"The sheet {sheet!r} is empty.")
    return Table([_header(h) for h in found[1]], names, sheet, path, found[0])


def _unreadable(path: Path, exc: Exception) -> ValidationError:
    return ValidationError(f"{path.name} is not a readable Excel workbook "
                           f"({type(exc).__name__}: {exc}).")


def _xlsx_rows(path: Path, sheet: str, first: int = 2) -> Iterator[tuple[int, list[Any]]]:
    from app.importing import xlsx
    try:
        for n, cells in xlsx.rows_of(path, sheet, min_row=first):
            first = n + 1
            yield n, cells
        return
    except xlsx.Unsupported:
        pass  # openpyxl goes on from the row after the last one given, or says why not
    yield from _openpyxl_rows(path, sheet, first)


def _openpyxl_rows(path: Path, sheet: str, first: int = 2) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise _unreadable(path, exc) from exc
    try:
        # Cells, not values_only: their number format keeps an ID's zeros
        # (about 10% slower, on a path taken only for odd workbooks).
        rows = enumerate(wb[sheet].iter_rows(min_row=first), start=first)
        while True:
            try:
                n, row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - a sheet's XML cut short, a bad checksum, …
                raise _unreadable(path, exc) from exc
            cells = _openpyxl_values(row)
            if any(c != "" for c in cells):
                yield n, cells
    finally:
        wb.close()


def _openpyxl_values(row: Sequence[Any]) -> list[Any]:
    """The values of a read-only row's cells; a whole number in a zeros-only
    format ("000000") as the zero-padded text Excel shows, as the lean reader
    gives it."""
    from app.importing import xlsx
    out = []
    for c in row:
        v = c.value
        if type(v) is int:
            fmt = c.number_format
            if fmt and xlsx.ZEROS.fullmatch(fmt):
                v = xlsx.zero_padded(v, len(fmt))
        out.append(_cell(v))
    return out


def _cell(v: Any) -> Any:
    """XLSX values: dates stay dates, numbers stay numbers, text is text."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def sheet_names(path: str | PathLike[str]) -> list[str]:
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    from app.importing import xlsx
    try:
        return xlsx.sheet_names(path)
    except (xlsx.Unsupported, zipfile.BadZipFile, OSError):
        pass
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


