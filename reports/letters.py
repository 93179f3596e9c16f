"""Letters home as one PDF per batch: one letter per family, each starting on
a new page, ready to fold in three into a #10 window envelope.

Draws what app.reporting.letters gathers (every word already in the
family's language). The first page of a letter carries the district's
letterhead (logo, name, address, phone, email) in the top left, where a
double-window envelope shows it as the return address, and the family's
address where a #10 envelope's window is: 1 in from the left, from about
2.1 in to 3.0 in down — inside the window whichever way the folded sheet
slides in the envelope. Small marks on the left edge show where to fold.
Pages are numbered within each letter ("Page 1 of 2") so a stack of
printed letters can be put in envelopes without mixing families.

Text is set in DejaVu Sans (resources/fonts), embedded: Helvetica's
encoding lacks letters some families' names have (Nguyễn, Łukasz).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.reporting.document import Progress
from app.reporting.letters import KINDS, Batch, Letter, Table, write_csv
from app.services.errors import ValidationError

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
SANS, BOLD = "QM-DejaVuSans", "QM-DejaVuSans-Bold"

WIDTH, HEIGHT = LETTER
LEFT, RIGHT = 0.85 * inch, WIDTH - 0.85 * inch
TOP, BOTTOM = HEIGHT - 0.5 * inch, 0.75 * inch
# The family's address, placed for a #10 window envelope (see the docstring).
WINDOW_X, WINDOW_TOP, WINDOW_W = 1.0 * inch, HEIGHT - 2.05 * inch, 3.6 * inch
FOLDS = (HEIGHT - HEIGHT / 3, HEIGHT / 3)
BODY_TOP = HEIGHT - 3.85 * inch  # the first page's text starts below the top fold
GREY = Color(0.35, 0.35, 0.35)
RULE = Color(0.7, 0.7, 0.7)
SHADE = Color(0.92, 0.92, 0.92)

BODY, LEAD = 10, 13.5
SMALL, SMALL_LEAD = 8.5, 10.5


def register_fonts() -> None:
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(SANS, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


def write(batch: Batch, path: str | os.PathLike[str], progress: Progress | None = None,
          duplex: bool = False) -> Path:
    """The batch as the file's suffix says: .pdf to print, .csv for a mail merge."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt == "csv":
        return write_csv(batch, path)
    if fmt != "pdf":
        raise ValidationError("Write the letters to a .pdf file (to print) or a .csv file "
                              "(for a mail merge).", field="output")
    return write_letters(batch, path, progress, duplex)


def write_letters(batch: Batch, path: str | os.PathLike[str], progress: Progress | None = None,
                  duplex: bool = False) -> Path:
    """The batch's letters in one PDF; written whole or not at all. ``duplex``:
    for two-sided printing, a letter of an odd number of pages is followed by
    a blank page, so the next family's letter starts on a sheet of its own."""
    register_fonts()
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        c = Canvas(str(tmp), pagesize=LETTER, pageCompression=1)
        title = KINDS[batch.kind] + f" — {batch.site}" + (f", grade {batch.grade}" if batch.grade else "")
        c.setTitle(title)
        c.setAuthor(batch.sender.name)
        c.setCreator("Quartermaster")
        logo = _logo(batch.sender.logo)
        total = len(batch.letters)
        for i, letter in enumerate(batch.letters):
            # A dry run first, to number the pages "1 of N" within the letter.
            pages = _Drawing(c, batch, letter, logo, dry=True).draw()
            _Drawing(c, batch, letter, logo, dry=False, pages=pages).draw()
            if duplex and pages % 2:
                c.showPage()
            if progress and (i % 20 == 0 or i == total - 1):
                progress(i + 1, total, f"Drawing letter {i + 1:,} of {total:,}")
        c.save()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _logo(path: str | None) -> Any:
    """The logo as reportlab reads it; None when there is none or it cannot be read."""
    if not path or not Path(path).is_file():
        return None
    from reportlab.lib.utils import ImageReader
    try:
        image = ImageReader(path)
        image.getSize()
        return image
    except Exception:  # noqa: BLE001 - a bad image leaves the letterhead without a logo
        return None


class _Drawing:
    """One letter, drawn (or, dry, only laid out to count its pages)."""

    def __init__(self, c: Canvas, batch: Batch, letter: Letter, logo: Any, dry: bool,
                 pages: int = 0) -> None:
        self.c, self.batch, self.letter, self.logo, self.dry = c, batch, letter, logo, dry
        self.pages = pages
        self.page = 0
        self.y = 0.0

    # --- primitives that a dry run skips -------------------------------------------------

    def text(self, x: float, y: float, s: str, font: str = SANS, size: float = BODY,
             align: str = "left", color: Color = black) -> None:
        if self.dry or not s:
            return
        self.c.setFont(font, size)
        self.c.setFillColor(color)
        if align == "right":
            self.c.drawRightString(x, y, s)
        elif align == "center":
            self.c.drawCentredString(x, y, s)
        else:
            self.c.drawString(x, y, s)
        self.c.setFillColor(black)

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5,
             color: Color = black) -> None:
        if self.dry:
            return
        self.c.setStrokeColor(color)
        self.c.setLineWidth(width)
        self.c.line(x1, y1, x2, y2)
        self.c.setStrokeColor(black)

    def shade(self, x: float, y: float, w: float, h: float) -> None:
        if not self.dry:
            self.c.setFillColor(SHADE)
            self.c.rect(x, y, w, h, stroke=0, fill=1)
            self.c.setFillColor(black)

    # --- pages --------------------------------------------------------------------------

    def draw(self) -> int:
        self.first_page()
        self.body()
        self.end_page()
        return self.page

    def first_page(self) -> None:
        self.page = 1
        self.letterhead()
        self.address()
        self.y = BODY_TOP

    def new_page(self) -> None:
        self.end_page()
        self.page += 1
        top = TOP - 0.1 * inch
        self.text(LEFT, top, self.batch.sender.name, BOLD, SMALL, color=GREY)
        self.text(RIGHT, top, f"{self.letter.subject} — {self.letter.guardian}", SANS, SMALL,
                  "right", GREY)
        self.rule(LEFT, top - 5, RIGHT, top - 5, 0.4, RULE)
        self.y = top - 0.35 * inch

    def end_page(self) -> None:
        page_of = self.letter.page_of.format(page=self.page, pages=self.pages or "?")
        self.text(LEFT, 0.45 * inch, f"{self.batch.sender.name} · {self.letter.family}", SANS, 7,
                  color=GREY)
        self.text(RIGHT, 0.45 * inch, page_of, SANS, 7, "right", GREY)
        if not self.dry:
            self.c.showPage()

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    # --- the first page's top third -----------------------------------------------------

    def letterhead(self) -> None:
        s = self.batch.sender
        x = LEFT
        if self.logo is not None:
            iw, ih = self.logo.getSize()
            scale = min(1.3 * inch / iw, 0.85 * inch / ih)
            w, h = iw * scale, ih * scale
            if not self.dry:
                self.c.drawImage(self.logo, LEFT, TOP - h, w, h, mask="auto")
            x = LEFT + w + 0.15 * inch
        y = TOP - 11
        self.text(x, y, _fit(s.name, BOLD, 12.5, RIGHT - x), BOLD, 12.5)
        y -= 13
        for line in s.address_lines:
            self.text(x, y, line, SANS, SMALL)
            y -= SMALL_LEAD
        contact = "   ".join(v for v in (s.phone, s.email) if v)
        self.text(x, y, contact, SANS, SMALL)
        # The date, on the right of the address: clear of both windows.
        self.text(RIGHT, WINDOW_TOP - BODY, self.letter.date_line, SANS, BODY, "right")
        for fold in FOLDS:  # fold marks on the left edge
            self.rule(0.15 * inch, fold, 0.4 * inch, fold, 0.4, RULE)

    def address(self) -> None:
        lines = [self.letter.guardian, *self.letter.address_lines]
        y = WINDOW_TOP - BODY
        for i, line in enumerate(lines[:5]):
            font = BOLD if i == 0 else SANS
            self.text(WINDOW_X, y, _fit(line, font, BODY, WINDOW_W), font, BODY)
            y -= 12

    # --- the letter ---------------------------------------------------------------------

    def body(self) -> None:
        letter = self.letter
        self.need(40)
        self.text(LEFT, self.y, letter.subject, BOLD, 14)
        self.y -= 26
        self.paragraph(letter.greeting)
        for p in letter.paragraphs:
            self.paragraph(p)
        self.table(letter.table)
        if letter.terms:
            self.terms(letter.terms_title, letter.terms)
        if letter.signatures:  # agreeing to the terms just read
            self.signatures(letter.signatures)
        for p in letter.after:
            self.paragraph(p)
        self.need(LEAD * (1.3 + len(letter.signoff.splitlines())) + 4)
        self.y -= 4
        self.text(LEFT, self.y, letter.closing)
        self.y -= LEAD * 1.3
        for i, line in enumerate(letter.signoff.splitlines()):
            self.text(LEFT, self.y, line, SANS if i else BOLD)
            self.y -= LEAD

    def paragraph(self, text: str, size: float = BODY, lead: float = LEAD, indent: float = 0,
                  after: float = 7) -> None:
        lines = _wrap(text, SANS, size, RIGHT - LEFT - indent)
        for line in lines:
            self.need(lead)
            self.text(LEFT + indent, self.y, line, SANS, size)
            self.y -= lead
        self.y -= after

    def table(self, table: Table) -> None:
        if not table.headings:
            return
        total_w = sum(table.widths)
        widths = [w / total_w * (RIGHT - LEFT) for w in table.widths]
        xs = [LEFT]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        pad = 4

        def cells(row: Sequence[str], font: str) -> list[list[tuple[str, bool]]]:
            return [_wrap_cell(v, font, SMALL, w - 2 * pad) for v, w in zip(row, widths)]

        def heading() -> None:
            head = cells(table.headings, BOLD)
            h = max(len(c) for c in head) * SMALL_LEAD + 6
            self.shade(LEFT, self.y - h + SMALL_LEAD - 1, RIGHT - LEFT, h)
            self.row(head, xs, widths, table.right, BOLD, pad)
            self.y -= 2

        self.y -= 2
        self.need(3 * SMALL_LEAD + 12)
        heading()
        for row in table.rows:
            wrapped = cells(row, SANS)
            h = max(len(c) for c in wrapped) * SMALL_LEAD + 5
            if self.y - h < BOTTOM:
                self.new_page()
                heading()
            self.row(wrapped, xs, widths, table.right, SANS, pad)
            self.rule(LEFT, self.y + SMALL_LEAD - 2, RIGHT, self.y + SMALL_LEAD - 2, 0.3, RULE)
        if table.total:
            self.need(SMALL_LEAD + 8)
            self.y -= 2
            label, amount = table.total
            gap = max(widths[-1], pdfmetrics.stringWidth(amount, BOLD, BODY - 0.5) + 2 * pad + 10)
            self.text(RIGHT - gap, self.y, label, BOLD, BODY - 0.5, "right")
            self.text(RIGHT - pad, self.y, amount, BOLD, BODY - 0.5, "right")
            self.y -= LEAD
        self.y -= 8

    def row(self, wrapped: list[list[tuple[str, bool]]], xs: list[float], widths: list[float],
            right: tuple[int, ...], font: str, pad: float) -> None:
        height = max(len(c) for c in wrapped)
        for i, (x, w, lines) in enumerate(zip(xs, widths, wrapped)):
            y = self.y
            for line, quiet in lines:
                # What follows a cell's first line break (a student's ID and grade) is quieter.
                f, colour = (SANS, GREY) if quiet else (font, black)
                if i in right:
                    self.text(x + w - pad, y, line, f, SMALL, "right", colour)
                else:
                    self.text(x + pad, y, line, f, SMALL, "left", colour)
                y -= SMALL_LEAD
        self.y -= height * SMALL_LEAD + 5

    def terms(self, title: str, terms: list[str]) -> None:
        self.need(3 * LEAD)
        self.text(LEFT, self.y, title, BOLD, BODY + 1)
        self.y -= LEAD
        for n, term in enumerate(terms, 1):
            lines = _wrap(term, SANS, 9, RIGHT - LEFT - 16)
            self.need(len(lines) * 11)
            self.text(LEFT, self.y, f"{n}.", SANS, 9)
            for line in lines:
                self.text(LEFT + 16, self.y, line, SANS, 9)
                self.y -= 11
            self.y -= 2.5
        self.y -= 6

    def signatures(self, signers: list[tuple[str, str, str]]) -> None:
        self.need(len(signers) * 0.46 * inch + 14)  # the block stays together
        self.y -= 2
        for signer, printed, date in signers:
            self.need(0.46 * inch)
            self.y -= 0.26 * inch
            name_x, date_x = LEFT + 3.2 * inch, LEFT + 5.35 * inch
            self.rule(LEFT, self.y, name_x - 0.2 * inch, self.y, 0.7)
            if printed:
                self.rule(name_x, self.y, date_x - 0.2 * inch, self.y, 0.7)
            self.rule(date_x, self.y, RIGHT, self.y, 0.7)
            self.text(LEFT, self.y - 10, _fit(signer, SANS, 7.5, 3.0 * inch), SANS, 7.5)
            self.text(name_x, self.y - 10, printed, SANS, 7.5)
            self.text(date_x, self.y - 10, date, SANS, 7.5)
            self.y -= 0.2 * inch
        self.y -= 14


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Words to lines no wider than ``width``; a word longer than a line is
    cut where it must be (a serial number in a narrow column)."""
    lines: list[str] = []
    for para in (text or "").split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if pdfmetrics.stringWidth(trial, font, size) <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            while pdfmetrics.stringWidth(word, font, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines or [""]


def _wrap_cell(value: str, font: str, size: float, width: float) -> list[tuple[str, bool]]:
    """A cell's lines, each with whether it is quiet (after the first line break)."""
    first, _, rest = str(value or "").partition("\n")
    return ([(line, False) for line in _wrap(first, font, size, width)]
            + ([(line, True) for line in _wrap(rest, SANS, size, width)] if rest else []))
