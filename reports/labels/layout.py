"""Where the code and each line of text go on one label.

Pure geometry in points, label-relative (origin at the label's bottom-left),
shared by the PDF and ZPL writers. The rules a person checks on a real label:

- the code keeps the largest module that fits, a whole number of printer
  dots, with its quiet zone clear of text and of the label's edge;
- text shrinks to fit its width (real font metrics), is cut with "…" only
  below the smallest readable size, and lines are dropped, least important
  first, rather than squeezing the bars below a scannable height;
- nothing overlaps and no ink comes closer to the edge than the padding.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reportlab.pdfbase.pdfmetrics import stringWidth

from app.services.errors import ValidationError
from reports.labels.symbols import COMBINED, TITLES, Symbol, check_symbology, encode
from reports.labels.templates import MM, Template

FONT, BOLD = "Helvetica", "Helvetica-Bold"
MIN_SIZE = 5.0  # pt: smaller is not readable on a label
ASCENT, DESCENT = 0.72, 0.21  # Helvetica, as fractions of the size
LEADING = 1.12
# Lines give way in this order when the label is too small for all of them.
DROP_ORDER = ("funding", "place", "serial", "org", "name", "title")
ABOVE_CODE = ("flag", "org", "title", "name")
MAX_MODULE_1D = 0.5 * MM
MAX_MODULE_2D = 1.2 * MM
MIN_MODULE = 0.165 * MM  # 6.5 mil (2 dots at 300 dpi): the floor for office laser and inkjet output

# A line fitted to its width: (font, text, size, width).
Fitted = tuple[str, str, float, float]
Box = tuple[float, float, float, float]  # x, y, w, h


@dataclass
class TextLine:
    key: str
    text: str
    font: str
    size: float
    x: float  # left of the text
    baseline: float
    width: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.baseline - DESCENT * self.size, self.x + self.width,
                self.baseline + ASCENT * self.size)


@dataclass
class CodeBox:
    symbol: Symbol
    module: float  # pt per module (a whole number of dots)
    dots: int  # dots per module at the template's dpi
    x: float  # bottom-left of the ink
    y: float
    w: float
    h: float

    @property
    def quiet_box(self) -> tuple[float, float, float, float]:
        q = self.symbol.quiet * self.module
        if self.symbol.linear:
            return (self.x - q, self.y, self.x + self.w + q, self.y + self.h)
        return (self.x - q, self.y - q, self.x + self.w + q, self.y + self.h + q)


@dataclass
class LabelLayout:
    w: float
    h: float
    code: CodeBox
    texts: list[TextLine] = field(default_factory=list)
    logo: Box | None = None
    extra: list[CodeBox] = field(default_factory=list)  # a second code (Code 128 + QR)

    @property
    def codes(self) -> list[CodeBox]:
        return [self.code] + self.extra


def fit_text(text: str, font: str, pref: float, width: float) -> tuple[str, float, float]:
    """(text, size, width): the preferred size, smaller if needed to fit ``width``,
    never below MIN_SIZE; at the minimum the text is cut and ends with "…"."""
    w1 = stringWidth(text, font, 1.0)
    if w1 <= 0:
        return text, pref, 0.0
    size = min(pref, width / w1)
    if size >= MIN_SIZE:
        return text, size, w1 * size
    size = MIN_SIZE
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    text = text.rstrip() + "…" if text else ""
    return text, size, stringWidth(text, font, size)


def _module(t: Template, span: float, modules: int, quiet: int, inset: float,
            cap: float) -> tuple[float, int]:
    """Largest whole-dot module with ``modules`` of ink plus quiet zones (which may
    lie in the padding, never beyond the label's edge) inside ``span``."""
    dot = 72.0 / t.dpi
    min_dots = 2 if t.dpi < 250 else 1  # 1 dot at 203 dpi is too thin to scan
    k = int(span / (modules * dot))
    while k >= min_dots:
        x = k * dot
        if x <= cap and modules * x + 2 * max(inset, quiet * x) <= span + 1e-6:
            break
        k -= 1
    if k < min_dots or k * dot < MIN_MODULE:
        return 0.0, 0
    return k * dot, k


def _too_small(sym: Symbol, t: Template) -> ValidationError:
    return ValidationError(
        f"{sym.data!r} does not fit as {TITLES[sym.kind]} on {t.title}: "
        + ("try QR or DataMatrix, or a wider label." if sym.linear else "choose a larger label."))


def layout_label(t: Template, lines: Mapping[str, str], code: str, symbology: str,
                 keys: tuple[str, ...] | None = None, logo_aspect: float | None = None) -> LabelLayout:
    """The layout of one label. ``lines`` holds the texts by key, ``keys`` the
    lines to show in order (default: the template's), ``logo_aspect`` the
    width/height of the logo if one is to be drawn."""
    symbology = check_symbology(symbology)
    sym = encode(COMBINED[symbology][0] if symbology in COMBINED else symbology, code)
    keys = tuple(t.lines if keys is None else keys)
    want = [k for k in keys if k != "logo" and (lines.get(k) or "").strip()]
    if "tag" not in want:
        want.append("tag")  # the human-readable code is never left out
    if t.flag and (lines.get("flag") or "").strip():
        if "flag" not in want:
            want.insert(0, "flag")  # LOANER on every label of a loaner, first unless placed
    elif "flag" in want:
        want.remove("flag")
    texts = {k: (str(lines.get(k) or code) if k == "tag" else " ".join(str(lines[k]).split()))
             for k in want}
    if texts.get("tag") and sym.kind == "code39":
        texts["tag"] = texts["tag"].upper()
    use_logo = "logo" in keys and logo_aspect
    w, h = t.label_w * MM, t.label_h * MM
    ix, iy = (v * MM for v in t.insets_mm())
    if symbology in COMBINED:
        return _combined(t, sym, encode(COMBINED[symbology][1], code), texts, want, w, h, ix, iy,
                         logo_aspect if use_logo else None)
    if sym.linear:
        return _linear(t, sym, texts, want, w, h, ix, iy, logo_aspect if use_logo else None)
    return _matrix(t, sym, texts, want, w, h, ix, iy, logo_aspect if use_logo else None)


def _sizes(t: Template, h_content: float) -> dict[str, tuple[str, float]]:
    """Font and preferred size per line, scaled to the label's height."""
    tag = max(6.5, min(20.0, h_content * 0.19))
    small = max(MIN_SIZE, min(12.0, tag * 0.66))
    return {"tag": (BOLD, tag), "title": (BOLD, tag * 1.15), "flag": (BOLD, tag),
            "name": (FONT, small * 1.08),
            "org": (FONT, small), "serial": (FONT, small), "place": (FONT, small),
            "funding": (FONT, small)}


def _fit_lines(t: Template, texts: Mapping[str, str], keys: Iterable[str],
               width_for: Callable[[str], float], h_content: float,
               budget: float) -> tuple[dict[str, Fitted], float]:
    """Sizes for ``keys`` that fit widths and, together, the height ``budget``:
    shrink evenly to the minimum, then drop lines in DROP_ORDER."""
    sizes = _sizes(t, h_content)
    keys = list(keys)
    scale = 1.0
    while True:
        fitted: dict[str, Fitted] = {}
        for k in keys:
            font, pref = sizes[k]
            pref = max(MIN_SIZE, pref * scale)
            fitted[k] = (font,) + fit_text(texts[k], font, pref, width_for(k))
        total = sum(f[2] * LEADING for f in fitted.values())
        if total <= budget or (len(keys) == 1 and scale <= 0.5):
            return fitted, total
        if scale > 0.75:
            scale -= 0.05
            continue
        droppable = [k for k in DROP_ORDER if k in keys]
        if not droppable:
            if scale > 0.5:
                scale -= 0.05
                continue
            return fitted, total
        keys.remove(droppable[0])
        scale = 1.0


def _linear(t: Template, sym: Symbol, texts: Mapping[str, str], keys: list[str], w: float, h: float,
            ix: float, iy: float, logo_aspect: float | None) -> LabelLayout:
    module, dots = _module(t, w, sym.width, sym.quiet, ix, MAX_MODULE_1D)
    if not module:
        raise _too_small(sym, t)
    ink_w = sym.width * module
    content_w, content_h = w - 2 * ix, h - 2 * iy
    # Bars at least 15 % of the code's width (the usual print-quality floor
    # for handheld scanning), but never more than ~half the label.
    min_bar = min(max(6 * MM, 0.15 * ink_w), 0.45 * content_h)
    max_bar = max(min_bar, min(18 * MM, 0.35 * ink_w))
    gap_code = 0.6 * MM  # between bars and text
    logo_w = [0.0]

    def width_for(k: str) -> float:
        return content_w - (logo_w[0] if k in ABOVE_CODE else 0.0)

    budget = content_h - min_bar - 2 * gap_code
    fitted, total = _fit_lines(t, texts, keys, width_for, content_h, budget)
    above = [k for k in keys if k in fitted and k in ABOVE_CODE]
    below = [k for k in keys if k in fitted and k not in ABOVE_CODE]
    below.sort(key=lambda k: k != "tag")  # the readable tag sits right under the bars
    above_h = sum(fitted[k][2] * LEADING for k in above)
    if logo_aspect and above:
        # The logo stands left of the lines above the code, as tall as they are;
        # they refit into what is left of the width.
        logo_w[0] = min(above_h * logo_aspect, content_w * 0.3) + 1 * MM
        fitted, total = _fit_lines(t, texts, list(fitted), width_for, content_h, budget)
        above = [k for k in above if k in fitted]
        below = [k for k in below if k in fitted]
        above_h = sum(fitted[k][2] * LEADING for k in above)
    below_h = sum(fitted[k][2] * LEADING for k in below)
    gaps = gap_code * ((1 if above else 0) + (1 if below else 0))
    bar_h = max(min(max_bar, content_h - above_h - below_h - gaps), 2 * MM)
    block = above_h + gaps + bar_h + below_h
    top = h - iy - max(0.0, (content_h - block) / 2)
    texts_out: list[TextLine] = []
    y = top
    logo: Box | None = None
    if above:
        if logo_aspect:
            lw = logo_w[0] - 1 * MM
            lh = min(above_h, lw / logo_aspect)
            logo = (ix, top - (above_h + lh) / 2, lw, lh)
        left = ix + logo_w[0]
        for k in above:
            font, text, size, tw = fitted[k]
            y -= size * LEADING
            texts_out.append(TextLine(k, text, font, size, left + (content_w - logo_w[0] - tw) / 2,
                                      y + DESCENT * size + (LEADING - 1) * size / 2, tw))
        y -= gap_code
    code_box = CodeBox(sym, module, dots, (w - ink_w) / 2, y - bar_h, ink_w, bar_h)
    y -= bar_h + (gap_code if below else 0)
    for k in below:
        font, text, size, tw = fitted[k]
        y -= size * LEADING
        texts_out.append(TextLine(k, text, font, size, (w - tw) / 2,
                                  y + DESCENT * size + (LEADING - 1) * size / 2, tw))
    return LabelLayout(w, h, code_box, texts_out, logo)


def _matrix(t: Template, sym: Symbol, texts: Mapping[str, str], keys: list[str], w: float, h: float,
            ix: float, iy: float, logo_aspect: float | None) -> LabelLayout:
    n = sym.width
    side_by_side = w >= 1.35 * h
    content_w, content_h = w - 2 * ix, h - 2 * iy
    if side_by_side:
        # The square takes the height, at most ~45 % of the width, so the text keeps room.
        module, dots = _module(t, h, n, sym.quiet, iy, MAX_MODULE_2D)
        while module and n * module + max(ix, sym.quiet * module) > 0.45 * w + 1e-6:
            module, dots = _module(t, h, n, sym.quiet, iy, module - 1e-6)
    else:
        module, dots = _module(t, min(w, 0.6 * h), n, sym.quiet, ix, MAX_MODULE_2D)
    if not module:
        raise _too_small(sym, t)
    ink = n * module
    q = sym.quiet * module
    if side_by_side:
        code_box = CodeBox(sym, module, dots, max(ix, q), (h - ink) / 2, ink, ink)
        col_x = code_box.x + ink + max(q, 2 * MM)
        col_w = w - ix - col_x
        col_top, col_h = h - iy, content_h
    else:
        code_box = CodeBox(sym, module, dots, (w - ink) / 2, h - max(iy, q) - ink, ink, ink)
        col_x, col_w = ix, content_w
        col_top = code_box.y - max(q, 1 * MM)
        col_h = col_top - iy
    logo_h = [0.0]
    budget = col_h
    if logo_aspect and side_by_side:
        logo_h[0] = min(col_h * 0.3, col_w / logo_aspect * 0.5)
        budget -= logo_h[0] + 0.8 * MM
    # Beside a 2-D code the text has the full height: let it be larger.
    fitted, total = _fit_lines(t, texts, keys, lambda k: col_w, content_h * 1.25, budget)
    order = [k for k in keys if k in fitted]
    used = total + (logo_h[0] + 0.8 * MM if logo_h[0] else 0.0)
    y = col_top - max(0.0, (col_h - used) / 2)
    logo: Box | None = None
    if logo_h[0] and logo_aspect:
        logo = (col_x, y - logo_h[0], logo_h[0] * logo_aspect, logo_h[0])
        y -= logo_h[0] + 0.8 * MM
    out: list[TextLine] = []
    for k in order:
        font, text, size, tw = fitted[k]
        y -= size * LEADING
        x = col_x if side_by_side else (w - tw) / 2
        out.append(TextLine(k, text, font, size, x, y + DESCENT * size + (LEADING - 1) * size / 2, tw))
    return LabelLayout(w, h, code_box, out, logo)


def _combined(t: Template, sym: Symbol, qr: Symbol, texts: Mapping[str, str], keys: list[str],
              w: float, h: float, ix: float, iy: float, logo_aspect: float | None) -> LabelLayout:
    """A QR code at the left (for phones) and the 1-D layout beside it (for
    handheld scanners), the second starting where the QR's quiet zone ends."""
    n = qr.width
    module, dots = _module(t, h, n, qr.quiet, iy, MAX_MODULE_2D)
    while module and n * module + max(ix, qr.quiet * module) > 0.3 * w + 1e-6:
        module, dots = _module(t, h, n, qr.quiet, iy, module - 1e-6)
    if not module:
        raise _too_small(qr, t)
    ink = n * module
    box = CodeBox(qr, module, dots, max(ix, qr.quiet * module), (h - ink) / 2, ink, ink)
    x0 = box.x + ink + qr.quiet * module - ix
    rest = _linear(t, sym, texts, keys, w - x0, h, ix, iy, logo_aspect)
    rest.code.x += x0
    for line in rest.texts:
        line.x += x0
    logo = (rest.logo[0] + x0, *rest.logo[1:]) if rest.logo else None
    return LabelLayout(w, h, rest.code, rest.texts, logo, [box])
