"""Label PDFs at exact size, and the calibration page.

Bars and 2-D modules are vector rectangles: one ``re`` per merged run, one
fill per code, each code's origin snapped to the template's dot grid on the
page (so at the printer's resolution every edge falls on a dot boundary).
Text uses the PDF base fonts (no embedding), which keeps 1,000 labels well
under a megabyte. The PDF asks viewers not to scale when printing.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, TypeVar

from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from app.labeling import LabelItem
from app.services.errors import ValidationError
from reports.labels.layout import FONT, CodeBox, LabelLayout, layout_label
from reports.labels.symbols import check_symbology
from reports.labels.templates import MM, Template, get_offset, get_template

if TYPE_CHECKING:
    from PIL import Image

OUTLINE_GRAY = 0.55

# Where a PDF goes: a path, or an open binary file (a preview's buffer).
Target: TypeAlias = str | os.PathLike[str] | IO[bytes]
# progress(done, total) -> True to stop early.
LabelProgress: TypeAlias = Callable[[int, int], bool | None]
_T = TypeVar("_T")


def expand(items: Iterable[_T], copies: int) -> list[_T]:
    """Each item ``copies`` times in a row (so a person peels them off together)."""
    if not 1 <= int(copies) <= 1000:
        raise ValidationError("Copies per label: 1 to 1,000.")
    return [it for it in items for _ in range(int(copies))]


def placements(t: Template, count: int, start_at: int = 1) -> list[tuple[int, int]]:
    """(page, cell) for ``count`` labels; sheets start at cell ``start_at`` (1-based)
    on the first page, the following pages from the top-left cell."""
    if t.is_sheet:
        if not 1 <= int(start_at) <= t.per_page:
            raise ValidationError(f"Start at a label from 1 to {t.per_page} on {t.title}.")
        first = int(start_at) - 1
    else:
        first = 0
    per = t.per_page if t.is_sheet else 1
    return [divmod(first + i, per) for i in range(count)]


def load_logo(source: str | os.PathLike[str] | Image.Image | None,
              max_px: int = 600) -> tuple[Any, float | None]:
    """A white-backed RGB copy of the logo, at most ``max_px`` on its long side
    (enough for 300 dpi on any label), and its width/height ratio."""
    if source is None:
        return None, None
    from PIL import Image
    try:
        img = source if isinstance(source, Image.Image) else Image.open(source)
        img.load()
    except (OSError, ValueError):
        return None, None  # a moved or broken logo file must not stop the labels
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGB", img.size, "white")
        bg.paste(img, mask=img.split()[-1])
        img = bg
    else:
        img = img.convert("RGB")
    img.thumbnail((max_px, max_px))
    return ImageReader(img), img.width / img.height


def _settings_logo() -> str | None:
    try:
        from app.services import settings
        path: str | None = settings.get("org_logo")
        return path
    except Exception:  # no database open: no logo
        return None


class _Painter:
    """Draws laid-out labels onto a canvas."""

    def __init__(self, canvas: Canvas, t: Template) -> None:
        self.c = canvas
        self.t = t
        self.dot = 72.0 / t.dpi
        self.font: tuple[str, float] | None = None

    def snap(self, v: float) -> float:
        return round(v / self.dot) * self.dot

    def codes(self, lay: LabelLayout, ox: float, oy: float) -> None:
        for box in lay.codes:
            self.code(box, ox, oy)

    def code(self, box: CodeBox, ox: float, oy: float) -> None:
        sym, m = box.symbol, box.module
        x0, y0 = self.snap(ox + box.x), self.snap(oy + box.y)
        ops = []
        if sym.linear:
            h = f"{box.h:.3f}"
            ops = [f"{x0 + c * m:.3f} {y0:.3f} {w * m:.3f} {h} re" for c, _, w, _ in sym.rects]
        else:
            top = y0 + sym.height * m
            ops = [f"{x0 + c * m:.3f} {top - (r + n) * m:.3f} {w * m:.3f} {n * m:.3f} re"
                   for c, r, w, n in sym.rects]
        ops.append("f")
        # One fill for the whole code: the public rect() call would emit a
        # fill per rectangle, which triples the size and time of a sheet.
        self.c._code.append("\n".join(ops))

    def texts(self, lay: LabelLayout, ox: float, oy: float) -> None:
        for line in lay.texts:
            key = (line.font, line.size)
            if key != self.font:
                self.c.setFont(line.font, line.size)
                self.font = key
            self.c.drawString(ox + line.x, oy + line.baseline, line.text)

    def outline(self, x: float, y: float, w: float, h: float, dash: bool = False) -> None:
        c = self.c
        c.saveState()
        c.setStrokeGray(OUTLINE_GRAY)
        c.setLineWidth(0.3)
        if dash:
            c.setDash(2, 2)
        r = self.t.corner_radius * MM
        if r:
            c.roundRect(x, y, w, h, r, stroke=1, fill=0)
        else:
            c.rect(x, y, w, h, stroke=1, fill=0)
        c.restoreState()
        self.font = None


def _new_canvas(out: Target, t: Template, title: str) -> Canvas:
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    c = Canvas(target, pagesize=t.page_size_pt, pageCompression=1)
    c.setTitle(title)
    c.setCreator("Quartermaster")
    # Actual size: a viewer that scales to fit shrinks every bar and cell.
    c.setViewerPreference("PrintScaling", "None")
    return c


def render_pdf(items: Iterable[LabelItem], out: Target, template: str | Template = "avery-5160",
               symbology: str = "code128", start_at: int = 1, copies: int = 1,
               layout: Sequence[str] | None = None, *, offset: tuple[float, float] | None = None,
               printer: str | None = None, logo: str | os.PathLike[str] | Image.Image | None = None,
               outlines: bool = False, progress: LabelProgress | None = None) -> Path | None:
    """Write labels for ``items`` (LabelItem-likes: ``.code``, ``.lines``) as a PDF.

    ``layout``: the line keys to show, in order (default: the template's).
    ``offset``: (dx, dy) mm printer calibration; default: the one stored for
    ``printer``. ``outlines`` draws each label's edge (previews, tests).
    ``progress(done, total)`` may return True to stop early.
    Returns the path written (None when ``out`` is a file object).
    """
    t = get_template(template)
    symbology = check_symbology(symbology)
    keys = tuple(layout) if layout is not None else t.lines
    all_items = expand(items, copies)
    if not all_items:
        raise ValidationError("There is nothing to label.")
    spots = placements(t, len(all_items), start_at)
    if offset is None:
        offset = get_offset(t.name, printer)
    logo_img, logo_aspect = (None, None)
    if "logo" in keys:
        logo_img, logo_aspect = load_logo(logo if logo is not None else _settings_logo())
    c = _new_canvas(out, t, f"Labels — {t.title}")
    paint = _Painter(c, t)
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], LabelLayout] = {}
    page = 0
    total = len(all_items)
    for i, (item, (pg, cell)) in enumerate(zip(all_items, spots)):
        if pg != page:
            c.showPage()
            paint.font = None
            page = pg
        lines = item.lines
        key = (item.code, tuple(sorted((k, str(v)) for k, v in lines.items() if v)))
        lay = cache.get(key)
        if lay is None:
            lay = layout_label(t, lines, item.code, symbology, keys, logo_aspect)
            cache[key] = lay
        x, y, w, h = t.cell_pt(cell, offset)
        if outlines:
            paint.outline(x, y, w, h)
        paint.codes(lay, x, y)
        paint.texts(lay, x, y)
        if lay.logo and logo_img is not None:
            lx, ly, lw, lh = lay.logo
            c.drawImage(logo_img, x + lx, y + ly, lw, lh, preserveAspectRatio=True, anchor="c")
        if progress and i % 100 == 99 and progress(i + 1, total):
            break
    if outlines and t.is_sheet:
        # Previews show the whole sheet, including the cells left empty.
        last_page, last_cell = spots[-1]
        used = {cell for pg, cell in spots if pg == last_page}
        for cell in range(t.per_page):
            if cell not in used:
                paint.outline(*t.cell_pt(cell, offset), dash=True)
    c.showPage()
    c.save()
    return Path(out) if isinstance(out, (str, os.PathLike)) else None


def label_layouts(items: Iterable[LabelItem], template: str | Template = "avery-5160",
                  symbology: str = "code128", layout: Sequence[str] | None = None,
                  logo_aspect: float | None = None) -> list[LabelLayout]:
    """The layouts render_pdf would draw (for geometry checks and previews)."""
    t = get_template(template)
    keys = tuple(layout) if layout is not None else t.lines
    return [layout_label(t, it.lines, it.code, check_symbology(symbology), keys, logo_aspect)
            for it in items]


def calibration_pdf(template: str | Template, out: Target, offset: tuple[float, float] | None = None,
                    printer: str | None = None) -> Path | None:
    """A page to hold against the label stock: every label's outline (shifted by
    the current offset), a cross at each centre, and millimetre rulers along
    the page edges to read how far the print lands from the real labels."""
    t = get_template(template)
    if offset is None:
        offset = get_offset(t.name, printer)
    c = _new_canvas(out, t, f"Calibration — {t.title}")
    paint = _Painter(c, t)
    pw, ph = t.page_size_pt
    for cell in range(t.per_page):
        x, y, w, h = t.cell_pt(cell, offset)
        paint.outline(x, y, w, h)
        c.saveState()
        c.setLineWidth(0.3)
        cx, cy = x + w / 2, y + h / 2
        arm = min(3 * MM, w / 6, h / 6)
        c.line(cx - arm, cy, cx + arm, cy)
        c.line(cx, cy - arm, cx, cy + arm)
        c.restoreState()
    _rulers(c, t, pw, ph)
    size = 7 if t.is_sheet else 5
    c.setFont(FONT, size)
    lines = [f"{t.title} — calibration",
             f"offset now x {offset[0]:+.1f} mm, y {offset[1]:+.1f} mm"]
    if t.is_sheet:
        lines += ["Print at Actual size (100 %), not Fit to page. Lay this page on a label",
                  "sheet against a window: read on the rulers how far the outlines sit from",
                  "the real labels; enter that as the offset (+x right, +y down), reprint."]
        x0, y0 = pw / 2 - 60 * MM, ph - 12 * MM - (t.top - 4 if t.top > 12 else 0) * MM
        y0 = max(y0, ph / 2)
        c.setFillGray(1)
        c.rect(x0 - 2, y0 - len(lines) * size * 1.3 + size, 124 * MM, len(lines) * size * 1.3 + 2,
               stroke=0, fill=1)
        c.setFillGray(0)
    else:
        x0, y0 = 6 * MM, ph / 2 + 4
    for i, line in enumerate(lines[: (len(lines) if t.is_sheet else 2)]):
        c.drawString(x0, y0 - i * size * 1.3, line)
    c.showPage()
    c.save()
    return Path(out) if isinstance(out, (str, os.PathLike)) else None


def _rulers(c: Canvas, t: Template, pw: float, ph: float) -> None:
    """Millimetre ticks along the top and left edges, numbered every 10 mm."""
    c.saveState()
    c.setLineWidth(0.25)
    c.setFont(FONT, 4.5 if t.is_sheet else 3.5)
    for mm in range(0, int(t.page_w) + 1):
        x = mm * MM
        n = 4 * MM if mm % 10 == 0 else (2.5 * MM if mm % 5 == 0 else 1.2 * MM)
        c.line(x, ph, x, ph - n)
        if mm % 10 == 0 and 0 < mm < t.page_w - 3:
            c.drawCentredString(x, ph - n - 2.2 * MM, str(mm))
    for mm in range(0, int(t.page_h) + 1):
        y = ph - mm * MM
        n = 4 * MM if mm % 10 == 0 else (2.5 * MM if mm % 5 == 0 else 1.2 * MM)
        c.line(0, y, n, y)
        if mm % 10 == 0 and 0 < mm < t.page_h - 3:
            c.drawString(n + 0.6 * MM, y - 1.2, str(mm))
    c.restoreState()


def pdf_bytes(items: Iterable[LabelItem], **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    render_pdf(items, buf, **kwargs)
    return buf.getvalue()
