"""A ``ReportDocument`` as an XLSX workbook or a CSV file.

XLSX: a cover sheet, then one sheet per section — a title row, the key
figures (label, value), each table with a bold header, its rows typed by the
column kind (money as numbers styled "$#,##0.00", real dates, integers), its
total row as numbers (never formulas, so any reader sees the values), and
the charts' figures as small tables. Panes are frozen under the first
table's header. The sheet XML is streamed straight into the zip (the way
``app.exporting`` does), since openpyxl's write-only mode spends ~0.2 ms per
cell — 100,000 rows write in a few seconds this way.

CSV: the document's ``csv_table`` — header and rows, UTF-8 with a BOM,
money as plain 1234.56, dates ISO, no cell a spreadsheet would run as a
formula.

Percent columns hold fractions (0.25 is 25 %).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import os
import re
import tempfile
import threading
import zipfile
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO

from app.cells import column_letters as _column_letters, csv_value, safe_cell  # noqa: F401
from app.cells import xlsx_text_tail, xlsx_tail, xml_text as _xml_text
from app.reporting.document import Cell, Column, Cover, Progress, ReportDocument, Row, Section, Table

# A table's running totals, one per column: a Decimal for money, an int or
# float for other total=True columns, None where nothing is summed.
Sums = list[Decimal | int | float | None]

SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

_gc_lock = threading.Lock()
_gc = {"depth": 0, "was_enabled": False}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a report is built or written.

    A 100,000-asset report allocates a few hundred thousand small lists and
    tuples that all stay alive; each automatic collection walks every one of
    them again, which cost a third of the year-end build. Nothing here makes
    reference cycles worth collecting, and collection resumes when the outermost
    block ends (the switch is process-wide, so nested and threaded use counts)."""
    with _gc_lock:
        if _gc["depth"] == 0:
            _gc["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc["depth"] -= 1
            if _gc["depth"] == 0 and _gc["was_enabled"]:
                gc.enable()

# Cell styles (indexes into cellXfs below).
S_NORMAL, S_BOLD, S_DATE, S_TIME, S_MONEY, S_MONEY_B, S_TITLE, S_PCT, S_INT, S_INT_B, \
    S_NUM, S_NUM_B, S_PCT_B, S_SUB, S_WRAP = range(15)
_KIND_STYLE = {"money": (S_MONEY, S_MONEY_B), "int": (S_INT, S_INT_B), "number": (S_NUM, S_NUM_B),
               "percent": (S_PCT, S_PCT_B), "date": (S_DATE, S_DATE), "datetime": (S_TIME, S_TIME),
               "text": (S_NORMAL, S_BOLD)}

_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="166" formatCode="&quot;$&quot;#,##0.00"/></numFmts>'
    '<fonts count="4"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/></font>'
    '<font><i/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="15">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="3" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="10" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def sheet_names(labels: Iterable[str]) -> list[str]:
    """XLSX sheet names: at most 31 characters, none of []:*?/\\, unique (case-blind)."""
    seen: set[str] = set()
    out = []
    for label in labels:
        base = SHEET_NAME_BAD.sub("-", label or "").strip("' ")[:31] or "Sheet"
        name, n = base, 2
        while name.lower() in seen:
            suffix = f" ({n})"
            name, n = base[:31 - len(suffix)] + suffix, n + 1
        seen.add(name.lower())
        out.append(name)
    return out


# --- cells ---------------------------------------------------------------------------

def _text_tail(text: str, style: int = S_NORMAL) -> str:
    return xlsx_text_tail(text, style)


def _text_cell(ref: str, text: str, style: int = S_NORMAL) -> str:
    return f'<c r="{ref}"{_text_tail(text, style)}'


def _cell(ref: str, v: Cell, kind: str = "text", bold: bool = False) -> str:
    """One cell, typed by its value, styled by its column kind ("" for no value)."""
    if v is None or v == "":
        return ""
    return f'<c r="{ref}"{_cell_tail(v, kind, bold)}'


def _cell_tail(v: Cell, kind: str = "text", bold: bool = False) -> str:
    """A cell's XML after its reference (``app.cells``), styled by its column kind:
    amounts in a text or date column are money, numbers there plain."""
    style = _KIND_STYLE.get(kind, (S_NORMAL, S_BOLD))[1 if bold else 0]
    plain = kind in ("text", "date", "datetime")
    return xlsx_tail(v, S_BOLD if bold else S_NORMAL, None if plain else style,
                     S_MONEY_B if bold else S_MONEY)


def table_totals(table: Table, sums: Sums) -> list[Cell] | None:
    """The total row: the table's own, or the sums of its total=True columns."""
    if table.totals is not None:
        return list(table.totals)
    if not any(c.total for c in table.columns):
        return None
    out: list[Cell] = [s if c.total else None for c, s in zip(table.columns, sums)]
    if out and out[0] is None and table.columns[0].kind == "text":
        out[0] = "Total"
    return out


def table_rows(table: Table) -> Iterator[tuple[str, None] | tuple[None, Row]]:
    """(group heading or None, row) pairs: the rows, or each group's rows under its heading."""
    if table.groups is not None:
        for heading, rows in table.groups:
            yield heading, None
            for row in rows:
                yield None, row
    else:
        for row in table.rows:
            yield None, row


def new_sums(columns: Sequence[Column]) -> Sums:
    return [Decimal("0.00") if c.kind == "money" else 0 if c.total else None for c in columns]


def summer(columns: Sequence[Column]) -> Callable[[Sums, Row], None]:
    """A function adding a row's total=True columns into ``sums``."""
    idx = [i for i, c in enumerate(columns) if c.total]

    def add(sums: Sums, row: Row) -> None:
        for i in idx:
            v = row[i]
            # (Decimal first: a money cell, the usual total, without the isinstance)
            if v.__class__ is Decimal or (v is not None and v.__class__ is not bool
                                          and isinstance(v, (int, float, Decimal))):
                # A money column's sum is a Decimal and its cells Decimal; an int or
                # number column's are plain numbers: no column mixes the two.
                sums[i] = sums[i] + v  # type: ignore[operator]
    return add


# --- XLSX -----------------------------------------------------------------------------

class _Sheet:
    """Rows streamed into one worksheet part."""

    def __init__(self, raw: IO[bytes], width: int = 26) -> None:
        self.raw = raw
        self.r = 0
        self.buf: list[str] = []
        self.letters = [_column_letters(i) for i in range(width)]
        self.widths: dict[int, float] = {}
        self.cols = 1
        self.merges: list[str] = []  # "A3:H3": a line of text across the table's width

    def row(self, cells: list[str], height: float | None = None) -> int:
        self.r += 1
        if len(cells) > self.cols:
            self.cols = len(cells)
        ht = f' ht="{height:.1f}" customHeight="1"' if height else ""
        self.buf.append(f'<row r="{self.r}"{ht}>{"".join(cells)}</row>')
        if len(self.buf) >= 1000:
            self.flush()
        return self.r

    def blank(self) -> None:
        self.r += 1

    def ref(self, i: int) -> str:
        if i >= len(self.letters):
            self.letters = [_column_letters(n) for n in range(i + 26)]
        return f"{self.letters[i]}{self.r + 1}"

    def want(self, i: int, chars: float) -> None:
        self.widths[i] = max(self.widths.get(i, 0), min(chars, 60))

    def text_across(self, text: str, span: int, chars: float) -> None:
        """A line of prose (a subtitle, an intro) wrapped across the first ``span``
        columns (about ``chars`` wide) rather than running off past the table, where
        a spreadsheet would print it on pages of its own or shrink the sheet to fit."""
        lines = max(1, -(-int(len(text) * 1.1) // max(int(chars), 1)))
        r = self.row([_text_cell(self.ref(0), text, S_WRAP)], height=15.0 * lines + 2)
        if span > 1:
            self.merges.append(f"A{r}:{_column_letters(span - 1)}{r}")

    def flush(self) -> None:
        if self.buf:
            self.raw.write("".join(self.buf).encode("utf-8"))
            self.buf = []


# Print layout: Letter, half-inch margins. A sheet whose columns are wider than
# a portrait page holds (in Excel's character units) prints landscape; either
# way it is scaled to one page wide and as many pages long as it needs.
PORTRAIT_MAX_CHARS = 100
DEFAULT_COL_CHARS = 8.43


def sheet_width(sheet: _Sheet) -> float:
    """The printed width of the used columns, in characters."""
    return sum(sheet.widths.get(i, DEFAULT_COL_CHARS) for i in range(sheet.cols))


def _sheet_tail(sheet: _Sheet, title: str) -> str:
    """After <sheetData>: margins, page set-up (orientation by width, fit to one
    page wide) and a footer with the report's title and page numbers."""
    orientation = "landscape" if sheet_width(sheet) > PORTRAIT_MAX_CHARS else "portrait"
    footer = _xml_text(f"&L{title.replace('&', '&&')}&RPage &P of &N")
    merges = (f'<mergeCells count="{len(sheet.merges)}">'
              + "".join(f'<mergeCell ref="{m}"/>' for m in sheet.merges) + "</mergeCells>"
              if sheet.merges else "")
    return ('</sheetData>' + merges + '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            f'<pageSetup paperSize="1" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
            f'<headerFooter><oddFooter>{footer}</oddFooter></headerFooter></worksheet>')


def _sheet_head(freeze_row: int | None, sheet: _Sheet) -> str:
    widths = sheet.widths
    pane = ""
    if freeze_row:
        pane = (f'<pane ySplit="{freeze_row}" topLeftCell="A{freeze_row + 1}" activePane="bottomLeft" '
                f'state="frozen"/>')
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:.1f}" customWidth="1"/>'
                   for i, w in sorted(widths.items()))
    dim = f"A1:{_column_letters(sheet.cols - 1)}{max(sheet.r, 1)}"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="{dim}"/><sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")


def _value_width(v: object) -> float:
    if v is None:
        return 0
    if isinstance(v, Decimal):
        return len(f"{v:,.2f}") + 5
    if isinstance(v, dt.datetime):
        return 17
    if isinstance(v, dt.date):
        return 12
    # Spreadsheet fonts other than Calibri (LibreOffice's) run about a tenth wider.
    return len(str(v)) * 1.1 + 2


def _write_section(sheet: _Sheet, doc: ReportDocument, section: Section, progress: Progress | None,
                   done: list[int]) -> int | None:
    """Write one section's rows; returns the row to freeze panes under (or None)."""
    sheet.row([_text_cell(sheet.ref(0), section.title, S_TITLE)])
    # Prose lines wrap across the first table's columns (or the figures' two).
    first = list(section.tables[0].columns) if section.tables else []
    span = max(len(first), 2)
    chars = sum(max(len(c.title) + 2, c.width * 9) for c in first) if first else 60
    sub = " — ".join(p for p in (doc.organisation, doc.title, doc.subtitle) if p)
    if sub:
        sheet.text_across(sub, span, chars)
    if section.intro:
        sheet.text_across(section.intro, span, chars)
    freeze = None
    if section.figures:
        sheet.blank()
        for label, value in section.figures:
            kind = "money" if isinstance(value, Decimal) else "text"
            sheet.row([_text_cell(sheet.ref(0), str(label), S_BOLD), _cell(sheet.ref(1), value, kind)])
            sheet.want(0, len(str(label)) + 2)
            sheet.want(1, _value_width(value))
    for table in section.tables:
        sheet.blank()
        cols = list(table.columns)
        if table.title:
            sheet.row([_text_cell(sheet.ref(0), table.title, S_BOLD)])
        head = sheet.row([_text_cell(sheet.ref(i), c.title, S_BOLD) for i, c in enumerate(cols)])
        if freeze is None:
            freeze = head
        for i, c in enumerate(cols):
            sheet.want(i, max(len(c.title) + 2, c.width * 9))
        kinds = [c.kind for c in cols]
        sums = new_sums(cols)
        add = summer(cols)
        # Cell XML after its reference, by value, per column: a register repeats its
        # sites, rooms, categories, dates and costs thousands of times.
        caches: list[dict[tuple[type, Cell], str]] = [{} for _ in cols]
        letters = [_column_letters(i) for i in range(len(cols))]
        n = 0
        for heading, row in table_rows(table):
            if row is None:
                sheet.row([_text_cell(sheet.ref(0), str(heading), S_BOLD)])
                continue
            r = str(sheet.r + 1)
            if len(row) > len(letters):
                letters = [_column_letters(i) for i in range(len(row))]
                kinds += ["text"] * (len(row) - len(kinds))
                caches += [{} for _ in range(len(row) - len(caches))]
            out: list[str] = []
            for i, v in enumerate(row):
                if v is None or v == "":
                    continue
                key = (v.__class__, v)
                remember = True
                try:
                    tail = caches[i].get(key)
                except TypeError:  # an unhashable value: written, not remembered
                    tail, remember = None, False
                if tail is None:
                    tail = _cell_tail(v, kinds[i])
                    if remember and len(caches[i]) < 50_000:
                        caches[i][key] = tail
                out.append(f'<c r="{letters[i]}{r}"{tail}')
            sheet.row(out)
            add(sums, row)
            if n < 200:  # columns as wide as what they hold (the first rows tell)
                for i, v in enumerate(row):
                    if v is not None:
                        sheet.want(i, _value_width(v))
            n += 1
            if progress and n % 5000 == 0:
                done[0] += 5000
                progress(done[0], 0, f"{done[0]:,} rows")
        if n == 0 and table.groups is None:
            sheet.row([_text_cell(sheet.ref(0), table.empty_text, S_SUB)])
        totals = table_totals(table, sums)
        if totals is not None:
            sheet.row([_cell(sheet.ref(i), v, kinds[i] if i < len(kinds) else "text", bold=True)
                       for i, v in enumerate(totals)])
            for i, v in enumerate(totals):
                sheet.want(i, _value_width(v) + 1)  # bold figures need a little more
    for chart in section.charts:
        sheet.blank()
        sheet.row([_text_cell(sheet.ref(0), chart.title, S_BOLD)])
        kind = "money" if chart.kind == "money" else "int"
        for label, value in chart.data:
            sheet.row([_text_cell(sheet.ref(0), str(label)), _cell(sheet.ref(1), value, kind)])
            sheet.want(0, len(str(label)) + 2)
            sheet.want(1, _value_width(value))
    return freeze


def write_xlsx(doc: ReportDocument, path: str | os.PathLike[str],
               progress: Progress | None = None) -> Path:
    """The document as a workbook: a cover sheet, then one sheet per section."""
    path = Path(path)
    labels = (["Cover"] if doc.cover else []) + [s.key or s.title for s in doc.sections]
    names = sheet_names(labels)
    tmp = path.with_name(path.name + ".part")
    done = [0]
    try:
        with gc_paused(), zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            parts: list[int] = []
            titles: list[int | None] = []  # the header row each sheet repeats on every page
            n = 0
            if doc.cover:
                n += 1
                parts.append(n)
                titles.append(None)
                _write_cover_sheet(z, n, doc, doc.cover)
            for section in doc.sections:
                n += 1
                parts.append(n)
                titles.append(_write_section_sheet(z, n, doc, section, progress, done))
            _write_package(z, names, parts, doc, titles)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_section_sheet(z: zipfile.ZipFile, n: int, doc: ReportDocument, section: Section,
                         progress: Progress | None, done: list[int]) -> int | None:
    # The <cols> and frozen pane go before <sheetData>, but are known only after the
    # rows; so the rows stream to a temporary part and the sheet is assembled at the end.
    with tempfile.TemporaryFile() as body:
        sheet = _Sheet(body)
        freeze = _write_section(sheet, doc, section, progress, done)
        sheet.flush()
        body.seek(0)
        with z.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as raw:
            raw.write(_sheet_head(freeze, sheet).encode("utf-8"))
            while True:
                chunk = body.read(1 << 20)
                if not chunk:
                    break
                raw.write(chunk)
            raw.write(_sheet_tail(sheet, doc.title).encode("utf-8"))
    # The header to repeat on every printed page: the table's, when the sheet holds
    # one table (a sheet of several would repeat the first table's over the others).
    return freeze if len(section.tables) == 1 else None


def _write_cover_sheet(z: zipfile.ZipFile, n: int, doc: ReportDocument, c: Cover) -> None:
    import io
    body = io.BytesIO()
    sheet = _Sheet(body)
    if doc.organisation:
        sheet.row([_text_cell(sheet.ref(0), doc.organisation, S_BOLD)])
    sheet.row([_text_cell(sheet.ref(0), c.title, S_TITLE)])
    if c.subtitle:
        sheet.row([_text_cell(sheet.ref(0), c.subtitle, S_SUB)])
    sheet.blank()
    lines: list[tuple[str, Cell]] = list(c.lines)
    if doc.generated_by:
        lines.append(("Prepared by", doc.generated_by))
    lines.append(("Generated on", doc.generated_at))
    for label, value in lines:
        sheet.row([_text_cell(sheet.ref(0), str(label), S_BOLD),
                   _cell(sheet.ref(1), value, "datetime" if isinstance(value, dt.datetime) else "text")])
        sheet.want(0, len(str(label)) + 2)
        sheet.want(1, _value_width(value))
    if c.signatures:
        sheet.blank()
        for caption in c.signatures:
            sheet.row([_text_cell(sheet.ref(0), str(caption), S_BOLD),
                       _text_cell(sheet.ref(1), "Signature: ____________________   Date: __________")])
            sheet.want(0, len(str(caption)) + 2)
        sheet.want(1, 52)
    sheet.flush()
    with z.open(f"xl/worksheets/sheet{n}.xml", "w") as raw:
        raw.write(_sheet_head(None, sheet).encode("utf-8"))
        raw.write(body.getvalue())
        raw.write(_sheet_tail(sheet, doc.title).encode("utf-8"))


def _write_package(z: zipfile.ZipFile, names: list[str], parts: list[int], doc: ReportDocument,
                   title_rows: list[int | None]) -> None:
    sheets_ct = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in parts)
    z.writestr("[Content_Types].xml",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/>'
               '<Override PartName="/xl/workbook.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
               + sheets_ct +
               '<Override PartName="/xl/styles.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
               '<Override PartName="/docProps/core.xml" '
               'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
               '</Types>')
    z.writestr("_rels/.rels",
               f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">'
               f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
               'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
    z.writestr("docProps/core.xml",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
               'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
               f'<dc:title>{_xml_text(doc.title)}</dc:title>'
               f'<dc:creator>{_xml_text(doc.generated_by or doc.organisation or "")}</dc:creator>'
               '</cp:coreProperties>')
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
                   f'Target="worksheets/sheet{n}.xml"/>' for i, n in enumerate(parts))
    rels += f'<Relationship Id="rId{len(parts) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    z.writestr("xl/_rels/workbook.xml.rels",
               f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">'
               f"{rels}</Relationships>")
    sheets = "".join(f'<sheet name="{_xml_text(name).replace(chr(34), "&quot;")}" sheetId="{i + 1}" '
                     f'r:id="rId{i + 1}"/>' for i, name in enumerate(names))
    # Print titles: each sheet's table header repeats at the top of every printed page.
    defined = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{_xml_text(_quote_sheet(name))}!${row}:${row}</definedName>"
        for i, (name, row) in enumerate(zip(names, title_rows)) if row)
    z.writestr("xl/workbook.xml",
               f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
               + (f"<definedNames>{defined}</definedNames>" if defined else "") + '</workbook>')
    z.writestr("xl/styles.xml", _STYLES)


def _quote_sheet(name: str) -> str:
    """A sheet name as a formula reference: 'Equipment register', quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


# --- CSV ------------------------------------------------------------------------------

def write_csv(doc: ReportDocument, path: str | os.PathLike[str],
              progress: Progress | None = None) -> Path:
    """The document's ``csv_table``: header then every row (grouped rows flattened)."""
    path = Path(path)
    si, ti = doc.csv_table
    try:
        table = doc.sections[si].tables[ti]
    except IndexError:
        from app.services.errors import ValidationError
        raise ValidationError("This report has no table to write as CSV; choose PDF or XLSX.") \
            from None
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow([safe_cell(c.title) for c in table.columns])
            n = 0
            for _heading, row in table_rows(table):
                if row is None:
                    continue
                w.writerow([csv_value(v) for v in row])
                n += 1
                if progress and n % 5000 == 0:
                    progress(n, 0, f"{n:,} rows")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

