"""A lean streaming reader for one XLSX sheet: rows of values (text, int,
float, bool, date or datetime), parsed with the C expat parser and cleared
as it goes, so memory stays flat. openpyxl's read-only mode does the same
work with Python per cell and takes about twice as long on 100,000 rows;
the reader falls back to it for anything this one does not understand.

    rows_of(path, sheet_name) -> iterator of (row number, [values])
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from xml.etree.ElementTree import ParseError, iterparse

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
BUILTIN_DATES = set(range(14, 23)) | {27, 30, 36, 45, 46, 47, 50, 57}
_COLUMN = re.compile(r"[A-Z]+")
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)


class Unsupported(Exception):
    """The workbook uses something this reader leaves to openpyxl."""


# What a damaged part raises: XML cut short, a bad checksum, a broken stream.
# openpyxl then gets its turn, and its refusal is the one the user reads.
BROKEN = (ParseError, zipfile.BadZipFile, zlib.error, EOFError)


def _sheet_path(z: zipfile.ZipFile, sheet: str) -> str:
    target = None
    rid = None
    for _ev, el in iterparse(z.open("xl/workbook.xml")):
        if el.tag == NS + "sheet" and el.get("name") == sheet:
            rid = el.get(REL_NS + "id")
    for _ev, el in iterparse(z.open("xl/_rels/workbook.xml.rels")):
        if el.tag == PKG_NS + "Relationship" and el.get("Id") == rid:
            target = el.get("Target")
    if not target:
        raise Unsupported(f"no part for sheet {sheet!r}")
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    out = []
    for _ev, el in iterparse(z.open("xl/sharedStrings.xml")):
        if el.tag == NS + "si":
            # Rich text: every run's <t>, but not the phonetic guide (<rPh>).
            parts = [t.text or "" for t in el.iter(NS + "t")]
            for ph in el.iter(NS + "rPh"):
                for t in ph.iter(NS + "t"):
                    parts.remove(t.text or "")
            out.append("".join(parts))
            el.clear()
    return out


# A number format of zeros only ("000000"): Excel shows 103 as 000103. Such
# cells hold IDs (student, employee, asset numbers) whose zeros are part of
# them, so they are read as the text Excel shows.
ZEROS = re.compile(r"0{2,}")


def _styles(z: zipfile.ZipFile) -> tuple[set[int], dict[int, int], bool]:
    """Indexes of cell styles that show a date; of those that pad a whole
    number with zeros, each with its width; and whether the 1904 epoch is used."""
    epoch1904 = False
    for _ev, el in iterparse(z.open("xl/workbook.xml")):
        if el.tag == NS + "workbookPr":
            epoch1904 = el.get("date1904") in ("1", "true")
    if "xl/styles.xml" not in z.namelist():
        return set(), {}, epoch1904
    custom: dict[int, str] = {}
    padded_formats: dict[int, int] = {}
    dates: set[int] = set()
    padded: dict[int, int] = {}
    in_xfs = False
    n = 0
    for ev, el in iterparse(z.open("xl/styles.xml"), events=("start", "end")):
        if ev == "start":
            if el.tag == NS + "cellXfs":
                in_xfs = True
            continue
        if el.tag == NS + "numFmt":
            raw = el.get("formatCode", "")
            code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", raw)
            custom[int(el.get("numFmtId"))] = code
            if ZEROS.fullmatch(raw):
                padded_formats[int(el.get("numFmtId"))] = len(raw)
        elif el.tag == NS + "cellXfs":
            in_xfs = False
        elif el.tag == NS + "xf" and in_xfs:
            fmt = int(el.get("numFmtId", 0))
            if fmt in BUILTIN_DATES or (fmt in custom and _DATE_CODE.search(custom[fmt])):
                dates.add(n)
            elif fmt in padded_formats:
                padded[n] = padded_formats[fmt]
            n += 1
    return dates, padded, epoch1904


def zero_padded(n: int, width: int) -> str:
    """A whole number as a zeros-only format shows it: 103 in "000000" is "000103"."""
    return "-" + str(-n).zfill(width) if n < 0 else str(n).zfill(width)


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    letters = ref.rstrip("0123456789")
    n = _COLUMNS.get(letters)
    if n is None:
        if not _COLUMN.fullmatch(letters):
            raise Unsupported(f"cell reference {ref!r}")
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        n -= 1
        _COLUMNS[letters] = n
    return n


def sheet_names(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        try:
            return [el.get("name") for _ev, el in iterparse(z.open("xl/workbook.xml"))
                    if el.tag == NS + "sheet"]
        except (KeyError, *BROKEN) as exc:
            raise Unsupported(str(exc)) from exc


def dimension_rows(path, sheet: str) -> int:
    """The last row the sheet says it uses (its <dimension>), 0 when it does not say."""
    with zipfile.ZipFile(path) as z:
        head = z.open(_sheet_path(z, sheet)).read(4096).decode("utf-8", "replace")
    m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return int(m.group(1)) if m else 0


def _from_serial(value: float, epoch1904: bool):
    base = dt.datetime(1904, 1, 1) if epoch1904 else dt.datetime(1899, 12, 30)
    when = base + dt.timedelta(seconds=round(value * 86400))
    return when.date() if when.time() == dt.time(0) else when


def rows_of(path, sheet: str, min_row: int = 1):
    """(row number, cells) for each row with at least one value, from ``min_row``."""
    z = zipfile.ZipFile(path)
    try:
        part = _sheet_path(z, sheet)
        strings = _shared_strings(z)
        dates, padded, epoch1904 = _styles(z)
        c_tag, v_tag, row_tag, is_tag, t_tag = NS + "c", NS + "v", NS + "row", NS + "is", NS + "t"
        cells: dict[int, object] = {}
        next_row = 1
        sheet_data = None
        for ev, el in iterparse(z.open(part), events=("start", "end")):
            tag = el.tag
            if ev == "start":
                if tag == NS + "sheetData":
                    sheet_data = el
                continue
            if tag == c_tag:
                kind = el.get("t")
                if kind == "inlineStr":
                    box = el.find(is_tag)
                    value = "".join(t.text or "" for t in box.iter(t_tag)) if box is not None else ""
                else:
                    v = el.find(v_tag)
                    text = v.text if v is not None else None
                    if text is None:
                        value = None
                    elif kind == "s":
                        value = strings[int(text)]
                    elif kind in ("str", "e"):
                        value = text
                    elif kind == "b":
                        value = text == "1"
                    else:
                        number = float(text)
                        style = el.get("s")
                        style = int(style) if style is not None else 0
                        if style in dates:
                            value = _from_serial(number, epoch1904)
                        elif number.is_integer() and "." not in text and "E" not in text.upper():
                            value = int(text)
                            if style in padded:
                                value = zero_padded(value, padded[style])
                        else:
                            value = number
                ref = el.get("r")
                col = _column(ref) if ref else len(cells)
                if value is not None and value != "":
                    cells[col] = value
            elif tag == row_tag:
                r = el.get("r")
                number = int(r) if r else next_row
                next_row = number + 1
                if cells and number >= min_row:
                    width = max(cells) + 1
                    yield number, [cells.get(i, "") for i in range(width)]
                cells = {}
                if sheet_data is not None:
                    sheet_data.clear()  # finished rows go; memory stays flat
    except (KeyError, ValueError, IndexError, AttributeError, *BROKEN) as exc:
        raise Unsupported(f"{type(exc).__name__}: {exc}") from exc
    finally:
        z.close()
