"""ZPL II for Zebra thermal printers, and sending it raw to a print queue.

The same layout as the PDF, converted to printer dots: ^BY sets the module
(a whole number of dots), ^BC (Code 128) gets the exact code set switches
python-barcode chose, so the printed symbol is the one we measured; ^B3 is
Code 39, ^BQ QR and ^BX DataMatrix. Text is ^A0 (the scalable font) in a
one-line ^FB field sized from Helvetica metrics, which run wider than the
printer's condensed font, so a line that fits here fits on the label.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.labeling import LabelItem
from app.printers import send_raw as send_raw  # re-exported: labels.send_raw
from app.services.errors import ValidationError
from reports.labels.layout import ASCENT, CodeBox, layout_label
from reports.labels.symbols import check_symbology
from reports.labels.templates import Template, get_template


def _fd(text: str) -> str:
    """Field data escaped for ^FH (hex escapes with "_"): ^ ~ and _ would
    otherwise end the field or start a command."""
    return "".join(f"_{ord(ch):02X}" if ch in "^~_" or ord(ch) < 32 else ch for ch in text)


def code128_invocations(data: str) -> str:
    """``data`` as ZPL ^BC mode-N field data with explicit start and code-set
    switches (>: >; >9 start B/C/A, >6 >5 >7 switch to B/C/A), replaying
    python-barcode's choices so the symbol width matches the layout."""
    from barcode.charsets import code128 as cs
    from barcode.codex import Code128
    codes = Code128(data).encoded
    starts = {cs.START_CODES["A"]: ("A", ">9"), cs.START_CODES["B"]: ("B", ">:"),
              cs.START_CODES["C"]: ("C", ">;")}
    charset, out = starts[codes[0]][0], [starts[codes[0]][1]]
    switch = {99: ("C", ">5"), 100: ("B", ">6"), 101: ("A", ">7")}
    for value in codes[1:]:
        if value in switch and not (charset == "C" and value < 100) and \
                not (charset == "B" and value == 100) and not (charset == "A" and value == 101):
            charset, inv = switch[value]
            out.append(inv)
        elif charset == "C":
            out.append(f"{value:02d}")
        elif charset == "B":
            ch = chr(value + 32)
            out.append("><" if ch == ">" else ch)
        else:  # A: 0-63 are printable ASCII 32-95, 64-95 control codes
            ch = chr(value + 32) if value < 64 else chr(value - 64)
            out.append("><" if ch == ">" else ch)
    return "".join(out)


def _code_field(box: CodeBox, label_h: float, k: float) -> str:
    sym, d = box.symbol, box.dots
    x = round(box.x * k)
    y = round((label_h - box.y - box.h) * k)  # ZPL measures down from the top
    h = round(box.h * k)
    if sym.kind == "code128":
        return f"^FO{x},{y}^BY{d}^BCN,{h},N,N,N,N^FD{code128_invocations(sym.data)}^FS"
    if sym.kind == "code39":
        return f"^FO{x},{y}^BY{d},3.0^B3N,N,{h},N,N^FH^FD{_fd(sym.data)}^FS"
    if sym.kind == "qr":
        # ^BQ field data: error level M, then A = automatic input mode.
        return f"^FO{x},{y}^BQN,2,{d}^FH^FDMA,{_fd(sym.data)}^FS"
    return f"^FO{x},{y}^BXN,{d},200^FH^FD{_fd(sym.data)}^FS"


def render_zpl(items: Iterable[LabelItem], template: str | Template = "zebra-2x1-203",
               symbology: str = "code128", copies: int = 1, layout: Sequence[str] | None = None,
               *, offset: tuple[float, float] = (0.0, 0.0)) -> str:
    """One ^XA…^XZ format per label (copies by ^PQ), as text."""
    t = get_template(template)
    symbology = check_symbology(symbology)
    keys = tuple(layout) if layout is not None else t.lines
    if not 1 <= int(copies) <= 1000:
        raise ValidationError("Copies per label: 1 to 1,000.")
    todo = list(items)
    if not todo:
        raise ValidationError("There is nothing to label.")
    pw_dots, ll_dots = t.dots(t.label_w), t.dots(t.label_h)
    k = t.dpi / 72.0
    shift_x, shift_y = t.dots(offset[0]), t.dots(offset[1])
    out: list[str] = []
    for item in todo:
        lay = layout_label(t, item.lines, item.code, symbology, keys)
        cmds = ["^XA", "^CI28", f"^PW{pw_dots}", f"^LL{ll_dots}", f"^LH{shift_x},{shift_y}"]
        for box in lay.codes:
            cmds.append(_code_field(box, lay.h, k))
        for line in lay.texts:
            size = round(line.size * k)
            top = round((lay.h - line.baseline - ASCENT * line.size) * k)
            bx = round(line.x * k)
            bw = max(1, round(line.width * k) + 2)
            cmds.append(f"^FO{bx},{top}^A0N,{size},{size}^FB{bw},1,0,L,0^FH^FD{_fd(line.text)}^FS")
        if copies > 1:
            cmds.append(f"^PQ{int(copies)},0,1,Y")
        cmds.append("^XZ")
        out.append("\n".join(cmds))
    return "\n".join(out) + "\n"
