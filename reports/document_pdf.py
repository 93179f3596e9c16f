"""A ``ReportDocument`` as a PDF (reportlab).

A cover page (organisation, title, the cover's lines, prepared by and date,
signature lines), then each section: its title, intro, key figures, tables
and bar charts. Every page carries a running header (title and subtitle)
and a footer ("Generated on …", "Page N of M"). Tables repeat their header
row on every page, right-align numbers ("$1,234.56"), end with a bold total
row and show grouped rows under sub-headings. A table cell never loses text:
what is too long for its column shrinks a little, then wraps onto more lines
(the row grows), so a serial or a room prints whole.

Drawn on the canvas row by row (no platypus tables: a 100,000-row platypus
table takes a minute). "Page N of M" needs the total before it is known, so
each footer draws a form XObject that is defined once, after the last page.
"""
from __future__ import annotations


import datetime as dt
import os
import zlib
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Iterable, Sequence

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.reporting.document import Cell, Chart, Cover, Progress, ReportDocument, Section, Table
from app.reporting.writers import gc_paused, new_sums, summer, table_rows, table_totals

FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
MARGIN: float = 0.6 * inch
TOP: float = 0.8 * inch  # from the top edge to where the content starts
BOTTOM: float = 0.75 * inch  # from the bottom edge to where the content ends
ROW = 10.5  # table row height
SIZE = 7.5  # table text size
MIN_SIZE = 6.0  # a cell too long for its column shrinks down to this size, then wraps
# A cell of one word (a tag, a serial, an FRN, an email) shrinks further, down
# to this, before it is broken: "5CD12 34XYZ" on two lines reads as two things.
MIN_WORD_SIZE = 4.5
LINE = SIZE + 1.6  # line spacing inside a wrapped cell
GREY = Color(0.42, 0.42, 0.42)
RULE = Color(0.7, 0.7, 0.7)
HEAD_FILL = Color(0.89, 0.91, 0.94)
GROUP_FILL = Color(0.95, 0.95, 0.95)
BAR = Color(0.22, 0.42, 0.65)
RIGHT_KINDS = ("int", "number", "money", "percent")
PAGES_FORM = "qmPageTotal"
# Page streams are compressed at level 3, not zlib's default 6: measured on a
# 4,866-page year-end register, 2.6 times less CPU for a file 8 % larger.
PAGE_ZLIB_LEVEL = 3


def money_text(v: Decimal | int | float | str) -> str:
    v = Decimal(v)
    return f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}"


def format_value(v: Cell, kind: str = "text") -> str:
    """A value as a table shows it."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    if kind == "money" or (isinstance(v, Decimal) and kind == "text"):
        return money_text(v)
    if kind == "percent":
        return f"{float(v) * 100:.1f} %"
    if isinstance(v, int):
        return f"{v:,}" if kind in RIGHT_KINDS else str(v)  # a year in a text column: 2026
    if isinstance(v, (float, Decimal)):
        return f"{v:,.2f}"
    return str(v)


def figure_text(v: Cell) -> str:
    if isinstance(v, dt.datetime):
        return v.strftime("%B %d, %Y %H:%M").replace(" 0", " ")
    if isinstance(v, dt.date):
        return f"{v:%B} {v.day}, {v.year}"
    return format_value(v)


_FIT_CACHE: dict[tuple[str, str, float, float], str] = {}


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with "…" to fit the width."""
    if stringWidth(text, font, size) <= width:
        return text
    key = (text, font, size, width)
    hit = _FIT_CACHE.get(key)
    if hit is not None:
        return hit
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    out = text[:lo].rstrip() + "…"
    if len(_FIT_CACHE) > 20000:
        _FIT_CACHE.clear()
    _FIT_CACHE[key] = out
    return out


# A table cell's PDF operators, remembered by value: its text operators with the
# row's baseline at y = 0, and how many lines it takes.
_CellOps = tuple[str, int]


class _Cells:
    """Table text as PDF string operands, cut to the column, with its width: the
    font's own width table over the WinAnsi bytes (the encoding reportlab uses for
    the standard fonts); characters outside it print as "?"."""

    def __init__(self, font: str, size: float) -> None:
        self.widths: Sequence[int] = getFont(font).widths
        self.scale = size / 1000
        self.ellipsis = self.widths[0x85]

    def units(self, b: bytes) -> int:
        return sum(map(self.widths.__getitem__, b))

    def wrap(self, b: bytes, limit: float) -> list[bytes]:
        """``b`` in lines no wider than ``limit`` (font units): at spaces, and inside a
        word only when the word alone is wider than the line (a long serial)."""
        widths = self.widths
        space = widths[32]
        lines: list[bytes] = []
        line, run = b"", 0
        for word in b.split(b" "):
            w = sum(map(widths.__getitem__, word))
            if line and run + space + w <= limit:
                line, run = line + b" " + word, run + space + w
                continue
            if line:
                lines.append(line)
            line, run = b"", 0
            while w > limit and len(word) > 1:  # break the word itself
                k, part = 0, 0
                while k < len(word) and part + widths[word[k]] <= limit:
                    part += widths[word[k]]
                    k += 1
                k = max(k, 1)
                lines.append(word[:k])
                word = word[k:]
                w = sum(map(widths.__getitem__, word))
            line, run = word, w
        if line or not lines:
            lines.append(line)
        return lines

    def prepare(self, text: str, avail: float) -> tuple[str, float]:
        b = text.encode("cp1252", "replace")
        units = sum(map(self.widths.__getitem__, b))
        limit = avail / self.scale
        if units > limit:
            limit -= self.ellipsis
            run, k = 0, 0
            for k, ch in enumerate(b):  # noqa: B007 - k is where the cut falls, read below
                run += self.widths[ch]
                if run > limit:
                    break
            b = b[:k].rstrip() + b"\x85"
            units = sum(map(self.widths.__getitem__, b))
        return escapePDF(b.decode("latin-1")), units * self.scale


class _Pdf:
    def __init__(self, path: str | os.PathLike[str], doc: ReportDocument) -> None:
        self.doc = doc
        self.c = Canvas(str(path), pagesize=LETTER, pageCompression=1)
        self.c.setTitle(doc.title + (f" — {doc.subtitle}" if doc.subtitle else ""))
        self.c.setAuthor(doc.generated_by or doc.organisation or "")
        self.c.setCreator("Quartermaster")
        self.page = 0
        self.landscape = False
        self.w: float
        self.h: float
        self.w, self.h = LETTER
        self.y = 0.0
        self.on_break: Callable[[], None] | None = None  # redraws a table's header after a page break
        who = f" by {doc.generated_by}" if doc.generated_by else ""
        self.footer = f"Generated on {figure_text(doc.generated_at)}{who}"
        self._running_cache: dict[float, tuple[str, str, str]] = {}
        self._cells: dict[tuple[str, float], _Cells] = {}
        self._prepared: dict[tuple[str, float, str], tuple[str, float]] = {}

    # --- pages ---
    def new_page(self, landscape_: bool | None = None, header: bool = True) -> None:
        if self.page:
            self.c.showPage()
            _pack_last_page(self.c)
        if landscape_ is not None:
            self.landscape = landscape_
        self.w, self.h = landscape(LETTER) if self.landscape else LETTER
        self.c.setPageSize((self.w, self.h))
        self.page += 1
        c = self.c
        left, right, footer = self._running(self.w)
        if header:
            c.setFont(BOLD, 8.5)  # registers the fonts on the first page
            c.setFont(FONT, 8.5)
            c.setFillColor(black)
            self.raw_text(BOLD, 8.5, [(MARGIN, self.h - 0.5 * inch, left, False)])
            if right:
                self.raw_text(FONT, 8.5, [(self.w - MARGIN, self.h - 0.5 * inch, right, True)])
            c.setStrokeColor(RULE)
            c.setLineWidth(0.5)
            c.line(MARGIN, self.h - 0.56 * inch, self.w - MARGIN, self.h - 0.56 * inch)
        c.setFont(FONT, 7.5)
        c.setFillColor(GREY)
        label = f"Page {self.page} of "
        x = self.w - MARGIN - 70
        self.raw_text(FONT, 7.5, [(MARGIN, 0.42 * inch, footer, False), (x, 0.42 * inch, label, False)])
        c.saveState()
        c.translate(x + stringWidth(label, FONT, 7.5), 0.42 * inch)
        c.doForm(PAGES_FORM)
        c.restoreState()
        c.setFillColor(black)
        self.y = self.h - TOP

    def raw_text(self, font: str, size: float, items: Iterable[tuple[float, float, str, bool]]) -> None:
        """Text straight into the page's content stream: (x, y, text, right-aligned)
        items in one text block — what drawString does, without a text object each."""
        cells = self._cells.get((font, size))
        if cells is None:
            cells = self._cells[(font, size)] = _Cells(font, size)
        ops: list[str] = []
        prepared = self._prepared
        for x, y, text, right in items:
            # The same header, footer and column titles on every page: prepared once.
            hit = prepared.get((font, size, text))
            if hit is None:
                hit = cells.prepare(text, 10_000)
                if len(prepared) < 10_000:
                    prepared[(font, size, text)] = hit
            esc, w = hit
            ops.append(f"1 0 0 1 {x - w if right else x:.2f} {y:.2f} Tm ({esc}) Tj")
        if ops:
            ref = self.c._doc.getInternalFontName(font)
            self.c._code.append(f"BT {ref} {size} Tf {' '.join(ops)} ET")

    def _running(self, w: float) -> tuple[str, str, str]:
        """Header left and right, footer: cut to the page width once per orientation."""
        hit = self._running_cache.get(w)
        if hit is None:
            hit = self._running_cache[w] = (
                fit(self.doc.title, BOLD, 8.5, (w - 2 * MARGIN) * 0.6),
                fit(self.doc.subtitle or "", FONT, 8.5, (w - 2 * MARGIN) * 0.38),
                fit(self.footer, FONT, 7.5, w - 2 * MARGIN - 90))
        return hit

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()
            if self.on_break:
                self.on_break()

    def finish(self) -> None:
        c = self.c
        c.beginForm(PAGES_FORM)
        c.setFont(FONT, 7.5)
        c.setFillColor(GREY)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.save()

    @property
    def width(self) -> float:
        return self.w - 2 * MARGIN

    # --- text ---
    def text(self, s: str, size: float = 9, font: str = FONT, gap: float = 1.35,
             color: Color = black) -> None:
        self.need(size * gap)
        self.c.setFont(font, size)
        self.c.setFillColor(color)
        self.c.drawString(MARGIN, self.y - size, fit(s, font, size, self.width))
        self.c.setFillColor(black)
        self.y -= size * gap

    def paragraph(self, s: str, size: float = 9, color: Color = black) -> None:
        for line in simpleSplit(s, FONT, size, self.width):
            self.text(line, size, color=color)

    # --- cover ---
    def cover(self, cv: Cover) -> None:
        doc = self.doc
        self.new_page(False, header=False)
        c = self.c
        y = self.h - 1.6 * inch
        if doc.organisation:
            c.setFont(BOLD, 15)
            c.drawString(MARGIN + 0.4 * inch, y, fit(doc.organisation, BOLD, 15, self.width - 0.8 * inch))
            y -= 0.55 * inch
        for line in simpleSplit(cv.title, BOLD, 26, self.width - 0.8 * inch):
            c.setFont(BOLD, 26)
            c.drawString(MARGIN + 0.4 * inch, y, line)
            y -= 32
        if cv.subtitle:
            y -= 4
            c.setFont(FONT, 14)
            c.setFillColor(GREY)
            c.drawString(MARGIN + 0.4 * inch, y, fit(cv.subtitle, FONT, 14, self.width - 0.8 * inch))
            c.setFillColor(black)
            y -= 20
        c.setStrokeColor(BAR)
        c.setLineWidth(2)
        c.line(MARGIN + 0.4 * inch, y, self.w - MARGIN - 0.4 * inch, y)
        y -= 0.45 * inch
        lines: list[tuple[str, Cell]] = list(cv.lines)
        if doc.generated_by:
            lines.append(("Prepared by", doc.generated_by))
        lines.append(("Date", figure_text(doc.generated_at.date())))
        label_w = max([stringWidth(str(k), BOLD, 11) for k, _ in lines] + [60]) + 14
        for k, v in lines:
            c.setFont(BOLD, 11)
            c.drawString(MARGIN + 0.4 * inch, y, str(k))
            c.setFont(FONT, 11)
            c.drawString(MARGIN + 0.4 * inch + label_w, y,
                         fit(figure_text(v), FONT, 11, self.width - 0.8 * inch - label_w))
            y -= 18
        y = min(y - 0.6 * inch, 3.6 * inch)
        c.setLineWidth(0.7)
        c.setStrokeColor(black)
        x0 = MARGIN + 0.4 * inch
        for caption in cv.signatures:
            c.line(x0, y, x0 + 3.4 * inch, y)
            c.line(x0 + 3.8 * inch, y, x0 + 5.6 * inch, y)
            c.setFont(FONT, 8.5)
            c.drawString(x0, y - 11, caption)
            c.drawString(x0 + 3.8 * inch, y - 11, "Date")
            y -= 0.85 * inch

    # --- sections ---
    def section(self, s: Section) -> None:
        if s.new_page or not self.page or s.landscape != self.landscape:
            self.new_page(s.landscape)
        else:
            self.need(60)
            self.y -= 10
        self.section_title = s.title
        self.text(s.title, 15, BOLD, gap=1.5)
        if s.intro:
            self.paragraph(s.intro, 9, GREY)
        self.y -= 4
        if s.figures:
            self.figures(s.figures)
        for t in s.tables:
            self.table(t)
        for ch in s.charts:
            self.chart(ch)

    def figures(self, figures: Sequence[tuple[str, Cell]]) -> None:
        per = 4 if not self.landscape else 5
        box_w = self.width / per
        for start in range(0, len(figures), per):
            self.need(38)
            c = self.c
            for i, (label, value) in enumerate(figures[start:start + per]):
                x = MARGIN + i * box_w
                c.setFillColor(GROUP_FILL)
                c.rect(x + 1, self.y - 34, box_w - 6, 32, stroke=0, fill=1)
                c.setFillColor(GREY)
                c.setFont(FONT, 7.5)
                c.drawString(x + 6, self.y - 12, fit(str(label), FONT, 7.5, box_w - 16))
                c.setFillColor(black)
                c.setFont(BOLD, 12)
                c.drawString(x + 6, self.y - 28, fit(figure_text(value), BOLD, 12, box_w - 16))
            self.y -= 40
        self.y -= 4

    def table(self, t: Table) -> None:
        cols = list(t.columns)
        total_w = sum(c.width for c in cols) or 1
        widths = [c.width / total_w * self.width for c in cols]
        xs: list[float] = []
        x = MARGIN
        for wdt in widths:
            xs.append(x)
            x += wdt
        right = [c.kind in RIGHT_KINDS for c in cols]
        kinds = [c.kind for c in cols]
        c = self.c
        pad = 3

        # Column titles wrap rather than lose words; the header row grows to fit.
        bold = _Cells(BOLD, SIZE)
        labels = [[ln.decode("latin-1") for ln in bold.wrap(col.title.encode("cp1252", "replace"),
                                                            (widths[i] - 2 * pad) / bold.scale)]
                  for i, col in enumerate(cols)]
        head_h = ROW + (max(map(len, labels), default=1) - 1) * LINE

        def header(cont: bool = False) -> None:
            if t.title:
                self.text(t.title + (" (continued)" if cont else ""), 10, BOLD, gap=1.5)
            elif cont:  # a new page names what it continues
                self.text(f"{self.section_title} (continued)", 10, BOLD, gap=1.5)
            c.setFillColor(HEAD_FILL)
            c.rect(MARGIN, self.y - head_h - 1, self.width, head_h + 1, stroke=0, fill=1)
            c.setFillColor(black)
            base = self.y - ROW + 2.5
            self.raw_text(BOLD, SIZE, [
                (xs[i] + widths[i] - pad if right[i] else xs[i] + pad, base - j * LINE, line, right[i])
                for i, lines in enumerate(labels) for j, line in enumerate(lines)])
            self.y -= head_h + 2
            c.setFont(FONT, SIZE)

        self.need((18 if t.title else 0) + head_h + ROW * 2)
        header()
        # Rows go straight into the page's content stream as text operators: reportlab's
        # drawString builds a text object per call, five times slower at 100,000 rows.
        # Each row is one text block under a translation to its baseline, so a cell's
        # operators do not depend on the row's height on the page: they are worked out
        # once per value and column and reused as they are.
        cells = _Cells(FONT, SIZE)
        caches: list[dict[object, _CellOps]] = [{} for _ in cols]
        avail = [wdt - 2 * pad for wdt in widths]
        font_ref = c._doc.getInternalFontName(FONT)
        columns = range(len(cols))
        char_width = cells.widths.__getitem__

        def cell_ops(i: int, v: Cell, cache: dict[object, _CellOps]) -> _CellOps:
            """The cell's operators (relative to the row's baseline) and how many
            lines it takes, remembered by value."""
            text = v if v.__class__ is str else format_value(v, kinds[i])
            if text.isascii():  # most cells: the same bytes, without the codec's Python layer
                b = text.encode("ascii")
                esc = escapePDF(text)
            else:
                b = text.encode("cp1252", "replace")
                esc = escapePDF(b.decode("latin-1"))
            units = sum(map(char_width, b))
            w = units * cells.scale
            hit: _CellOps
            if w <= avail[i]:
                x = (xs[i] + widths[i] - pad - w) if right[i] else (xs[i] + pad)
                hit = (f"1 0 0 1 {x:.2f} 0 Tm ({esc}) Tj", 1)
            elif right[i] or w * (MIN_WORD_SIZE if b" " not in b else MIN_SIZE) / SIZE <= avail[i]:
                # a little smaller, on one line (a number is never broken, however
                # small; a word, a code, only when it would be smaller than MIN_WORD_SIZE)
                size = int(SIZE * avail[i] / w * 100) / 100
                w = units * size / 1000
                x = (xs[i] + widths[i] - pad - w) if right[i] else (xs[i] + pad)
                hit = (f"{font_ref} {size:.2f} Tf 1 0 0 1 {x:.2f} 0 Tm ({esc}) Tj "
                       f"{font_ref} {SIZE} Tf", 1)
            else:
                parts: list[str] = []
                for j, line in enumerate(cells.wrap(b, avail[i] / cells.scale)):
                    lw = cells.units(line) * cells.scale
                    x = (xs[i] + widths[i] - pad - lw) if right[i] else (xs[i] + pad)
                    parts.append(f"1 0 0 1 {x:.2f} {0 - j * LINE:.2f} Tm "
                                 f"({escapePDF(line.decode('latin-1'))}) Tj")
                hit = (" ".join(parts), len(parts))
            if len(cache) < 50_000:
                cache[v if v.__class__ is str else (v.__class__, v)] = hit
            return hit
        self.on_break = lambda: header(cont=True)
        sums = new_sums(cols)
        add = summer(cols)
        n = 0
        bottom = BOTTOM
        head = f" cm BT {font_ref} {SIZE} Tf "
        for heading, row in table_rows(t):
            if row is None:
                self.need(ROW * 2.2)
                c.setFillColor(GROUP_FILL)
                c.rect(MARGIN, self.y - ROW - 1, self.width, ROW + 1, stroke=0, fill=1)
                c.setFillColor(black)
                c.setFont(BOLD, SIZE + 0.5)
                c.drawString(MARGIN + pad, self.y - ROW + 2.5,
                             fit(str(heading), BOLD, SIZE + 0.5, self.width - 2 * pad))
                c.setFont(FONT, SIZE)
                self.y -= ROW + 1
                continue
            ops: list[str] = []
            lines = 1
            for i, v, cache in zip(columns, row, caches):
                if v is None:
                    continue
                hit = cache.get(v if v.__class__ is str else (v.__class__, v))
                if hit is None:
                    hit = cell_ops(i, v, cache)
                ops.append(hit[0])
                if hit[1] > lines:
                    lines = hit[1]
            height = ROW + (lines - 1) * LINE if lines > 1 else ROW
            if self.y - height < bottom:
                self.need(height)
                c.setFillColor(black)
            if ops:
                c._code.append(f"q 1 0 0 1 0 {self.y - ROW + 2.5:.2f}{head}{' '.join(ops)} ET Q")
            self.y -= height
            add(sums, row)
            n += 1
            if self.progress and n % 5000 == 0:
                self.rows_done += 5000
                self.progress(self.rows_done, 0, f"{self.rows_done:,} rows")
        if n == 0 and t.groups is None:
            self.need(ROW)
            c.setFont(ITALIC, SIZE)
            c.setFillColor(GREY)
            c.drawString(MARGIN + pad, self.y - ROW + 2.5, t.empty_text)
            c.setFillColor(black)
            self.y -= ROW
        totals = table_totals(t, sums)
        if totals is not None:
            self.need(ROW + 3)
            c.setStrokeColor(black)
            c.setLineWidth(0.6)
            c.line(MARGIN, self.y - 1, MARGIN + self.width, self.y - 1)
            c.setFont(BOLD, SIZE)
            base = self.y - ROW + 1
            for i, v in enumerate(totals):
                if v is None or v == "":
                    continue
                s = format_value(v, kinds[i])  # a total is never cut: it shrinks to fit
                w = stringWidth(s, BOLD, SIZE)
                c.setFont(BOLD, min(SIZE, SIZE * (widths[i] - 2 * pad) / w) if w else SIZE)
                if right[i]:
                    c.drawRightString(xs[i] + widths[i] - pad, base, s)
                else:
                    c.drawString(xs[i] + pad, base, s)
            self.y -= ROW + 3
        self.on_break = None
        self.y -= 10

    def chart(self, ch: Chart) -> None:
        data = [(str(k), v) for k, v in ch.data]
        self.need(18 + 14 * min(len(data), 3))
        self.text(ch.title, 10, BOLD, gap=1.6)
        if not data:
            self.text("No data.", 8, ITALIC, color=GREY)
            return
        c = self.c
        label_w = min(max(stringWidth(k, FONT, 7.5) for k, _ in data) + 8, self.width * 0.3)
        value_w = max(stringWidth(self._chart_value(v, ch.kind), FONT, 7.5) for _, v in data) + 8
        bar_w = self.width - label_w - value_w
        top = max((v for _, v in data), default=0) or 1
        for k, v in data:
            self.need(13)
            c.setFont(FONT, 7.5)
            c.setFillColor(black)
            c.drawRightString(MARGIN + label_w - 6, self.y - 9, fit(k, FONT, 7.5, label_w - 8))
            length = max(0.0, float(v) / float(top) * bar_w) if v else 0.0
            c.setFillColor(BAR)
            c.rect(MARGIN + label_w, self.y - 11, length, 9, stroke=0, fill=1)
            c.setFillColor(black)
            c.drawString(MARGIN + label_w + length + 4, self.y - 9, self._chart_value(v, ch.kind))
            self.y -= 13
        self.y -= 10

    @staticmethod
    def _chart_value(v: Decimal | int | float, kind: str) -> str:
        return money_text(v) if kind == "money" else format_value(v, "int" if isinstance(v, int) else "number")

    progress: Progress | None = None
    rows_done = 0
    section_title = ""


def _pack_last_page(c: Canvas) -> None:
    """Compress the page just finished now, not when the file is saved: reportlab
    keeps every page's drawing as text until then, and a year-end register of
    a million assets is thousands of pages (a third of the writer's memory)."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream
    pages = c._doc.Pages.pages
    page = pages[-1] if pages else None
    if page is None or not page.stream or page.Contents or not page.compression:
        return
    stream = PDFStream(PDFDictionary({"Filter": PDFArray([PDFName("FlateDecode")])}),
                       zlib.compress(page.stream.encode("utf8"), PAGE_ZLIB_LEVEL))
    stream.__Comment__ = "page stream"
    page.Contents, page.stream = stream, None


def write_pdf(doc: ReportDocument, path: str | os.PathLike[str],
              progress: Progress | None = None) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with gc_paused():
            pdf = _Pdf(tmp, doc)
            pdf.progress = progress
            if doc.cover:
                pdf.cover(doc.cover)
            for s in doc.sections:
                pdf.section(s)
            if not pdf.page:
                pdf.new_page(False)
                pdf.text("This report is empty.", 10, ITALIC, color=GREY)
            pdf.finish()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


__all__ = ["write_pdf", "format_value", "money_text", "fit"]
