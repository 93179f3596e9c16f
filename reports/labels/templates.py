"""Label stock: the built-in templates in resources/labels/*.toml, custom ones
the user saves in the user config folder, and per-printer calibration offsets.

A template is geometry only (millimetres in the dataclass, points on demand).
Sheets have a grid of cells on a page; rolls and thermal stock print one
label per page, the page being the label laid out as it is read.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import resources
from app import APP_NAME, printers
from app.services.errors import NotFound, ValidationError

MM = 72 / 25.4  # points per millimetre
# resources.path() finds shipped files in frozen builds too; an editable install
# made before resources/ became a package sees a namespace package without it.
BUILTIN_DIR = (resources.path("labels") if hasattr(resources, "path")
               else Path(__file__).resolve().parents[2] / "resources" / "labels")
KINDS = ("sheet", "roll", "thermal")
# "flag" is a word the item itself asks for (LOANER): printed on every template
# that does not turn it off, where the template's lines put it (default first).
LINE_KEYS = ("logo", "flag", "org", "title", "name", "tag", "serial", "place", "funding")
_UNITS = {"mm": 1.0, "in": 25.4, "pt": 25.4 / 72}


def user_dir() -> Path:
    """Where custom templates and calibration offsets live (resources/ stays read-only)."""
    return printers.config_dir()


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    kind: str  # sheet / roll / thermal
    label_w: float  # mm
    label_h: float
    page_w: float = 0.0  # sheets: the page; rolls: the label itself
    page_h: float = 0.0
    cols: int = 1
    rows: int = 1
    left: float = 0.0
    top: float = 0.0
    pitch_x: float = 0.0
    pitch_y: float = 0.0
    corner_radius: float = 0.0
    padding: float = 1.5  # ink keeps this far from the label's edge
    dpi: int = 300  # dot grid bars snap to (the printer's head for rolls/thermal)
    printable_w: float | None = None  # printers that cannot print to the edge
    printable_h: float | None = None
    lines: tuple[str, ...] = ("org", "name", "tag", "serial")
    flag: bool = True  # print an item's flag line (LOANER); `flag = false` in the TOML: never
    aliases: tuple[str, ...] = ()
    builtin: bool = True
    path: str | None = field(default=None, compare=False)

    # --- derived geometry ---------------------------------------------------------
    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def is_sheet(self) -> bool:
        return self.kind == "sheet"

    @property
    def page_size_pt(self) -> tuple[float, float]:
        return self.page_w * MM, self.page_h * MM

    def cell_mm(self, index: int) -> tuple[float, float, float, float]:
        """(x, y_from_top, w, h) of cell ``index`` (0-based, row by row) in mm."""
        col, row = index % self.cols, index // self.cols % self.rows
        return (self.left + col * self.pitch_x, self.top + row * self.pitch_y,
                self.label_w, self.label_h)

    def cell_pt(self, index: int,
                offset: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
        """(x, y, w, h) of a cell in PDF points, y measured up from the page bottom.
        ``offset`` is the printer's calibration in mm (+x right, +y down)."""
        x, y_top, w, h = self.cell_mm(index)
        x += offset[0]
        y_top += offset[1]
        return x * MM, (self.page_h - y_top - h) * MM, w * MM, h * MM

    def insets_mm(self) -> tuple[float, float]:
        """How far ink keeps from the label's left/right and top/bottom edges."""
        ix = iy = self.padding
        if self.printable_w:
            ix = max(ix, (self.label_w - self.printable_w) / 2 + 0.3)
        if self.printable_h:
            iy = max(iy, (self.label_h - self.printable_h) / 2 + 0.3)
        return ix, iy

    def dots(self, mm: float) -> int:
        return int(round(mm / 25.4 * self.dpi))

    def to_toml(self) -> str:
        def num(v: float) -> str:
            return f"{v:g}"
        out = [f"# Custom label template saved by {APP_NAME}.",
               f"name = {json.dumps(self.name)}", f"title = {json.dumps(self.title)}",
               f"kind = {json.dumps(self.kind)}", 'unit = "mm"',
               f"label = [{num(self.label_w)}, {num(self.label_h)}]"]
        if self.kind == "sheet":
            out += [f"page = [{num(self.page_w)}, {num(self.page_h)}]",
                    f"grid = [{self.cols}, {self.rows}]",
                    f"margins = [{num(self.left)}, {num(self.top)}]",
                    f"pitch = [{num(self.pitch_x)}, {num(self.pitch_y)}]"]
        if self.printable_w and self.printable_h:
            out.append(f"printable = [{num(self.printable_w)}, {num(self.printable_h)}]")
        out += [f"corner_radius = {num(self.corner_radius)}", f"padding = {num(self.padding)}",
                f"dpi = {self.dpi}", f"lines = {json.dumps(list(self.lines))}"]
        if not self.flag:
            out.append("flag = false")
        return "\n".join(out) + "\n"


def parse_template(text: str, builtin: bool, path: str | None = None) -> Template:
    """A Template from TOML text; raises ValidationError naming what is wrong."""
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"Label template {path or ''} is not valid TOML: {exc}") from exc
    unit = _UNITS.get(d.get("unit", "mm"))
    if unit is None:
        raise ValidationError(f"Label template {path}: unit must be mm, in or pt.")

    def pair(key: str, default: list[float] | None = None) -> tuple[float, float] | None:
        v = d.get(key, default)
        if v is None:
            return None
        if not (isinstance(v, list) and len(v) == 2):
            raise ValidationError(f"Label template {path}: {key} needs two numbers.")
        return float(v[0]) * unit, float(v[1]) * unit

    kind = d.get("kind", "sheet")
    label = pair("label")
    if label is None:
        raise ValidationError(f"Label template {path}: label = [width, height] is missing.")
    # Template's fields from the file, checked by validate() once the template is made.
    kw: dict[str, Any] = dict(name=str(d.get("name") or Path(path or "custom").stem), kind=kind,
              title=str(d.get("title") or d.get("name") or "Custom labels"),
              label_w=label[0], label_h=label[1],
              corner_radius=float(d.get("corner_radius", 0)) * unit,
              padding=float(d.get("padding", 1.5 / unit)) * unit,
              dpi=int(d.get("dpi", 300)),
              lines=tuple(d.get("lines", Template.lines)),
              flag=bool(d.get("flag", True)),
              aliases=tuple(d.get("aliases", ())), builtin=builtin, path=path)
    if kind == "sheet":
        page, grid = pair("page"), d.get("grid")
        margins, pitch = pair("margins", [0, 0]) or (0.0, 0.0), pair("pitch")
        if page is None or not grid:
            raise ValidationError(f"Label template {path}: a sheet needs page and grid.")
        pitch = pitch or label
        kw.update(page_w=page[0], page_h=page[1], cols=int(grid[0]), rows=int(grid[1]),
                  left=margins[0], top=margins[1], pitch_x=pitch[0], pitch_y=pitch[1])
    else:
        kw.update(page_w=label[0], page_h=label[1], pitch_x=label[0], pitch_y=label[1])
    printable = pair("printable")
    if printable:
        kw.update(printable_w=printable[0], printable_h=printable[1])
    return validate(Template(**kw))


def validate(t: Template) -> Template:
    """Refuse geometry that cannot be printed; returns the template."""
    problems = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", t.name):
        problems.append("the name uses lower-case letters, digits, dots and dashes")
    if t.kind not in KINDS:
        problems.append(f"kind is one of {', '.join(KINDS)}")
    if not (5 <= t.label_w <= 500 and 5 <= t.label_h <= 500):
        problems.append("a label is 5 to 500 mm on each side")
    if t.cols < 1 or t.rows < 1 or t.cols * t.rows > 400:
        problems.append("the grid has 1 to 400 labels")
    if t.kind == "sheet":
        right = t.left + (t.cols - 1) * t.pitch_x + t.label_w
        bottom = t.top + (t.rows - 1) * t.pitch_y + t.label_h
        if t.left < 0 or t.top < 0 or right > t.page_w + 0.05 or bottom > t.page_h + 0.05:
            problems.append("the labels run off the page (check margins, pitch and grid)")
        if (t.cols > 1 and t.pitch_x < t.label_w - 0.05) or (t.rows > 1 and t.pitch_y < t.label_h - 0.05):
            problems.append("the pitch is smaller than the label, so labels overlap")
    if t.padding < 0 or 2 * t.padding >= min(t.label_w, t.label_h):
        problems.append("the padding leaves no room on the label")
    if t.corner_radius < 0 or 2 * t.corner_radius > min(t.label_w, t.label_h):
        problems.append("the corner radius is larger than half the label")
    if not 100 <= t.dpi <= 1200:
        problems.append("dpi is between 100 and 1200")
    bad = [k for k in t.lines if k not in LINE_KEYS]
    if bad:
        problems.append(f"unknown lines {', '.join(bad)} (use {', '.join(LINE_KEYS)})")
    if problems:
        raise ValidationError(f"Label template {t.name}: " + "; ".join(problems) + ".")
    return t


_cache: dict[str, Template] | None = None


def _load_all() -> dict[str, Template]:
    global _cache
    if _cache is None:
        found: dict[str, Template] = {}
        for p in sorted(BUILTIN_DIR.glob("*.toml")):
            t = parse_template(p.read_text(encoding="utf-8"), True, str(p))
            found[t.name] = t
        _cache = found
    out = dict(_cache)
    folder = user_dir()
    if folder.is_dir():
        for p in sorted(folder.glob("*.toml")):
            try:
                t = parse_template(p.read_text(encoding="utf-8"), False, str(p))
            except (ValidationError, OSError, ValueError, TypeError):
                continue  # a broken custom file must not hide the built-ins
            if t.name not in out:
                out[t.name] = t
    return out


def list_templates() -> list[Template]:
    """Built-in templates (sheets, then rolls, then thermal) followed by custom ones."""
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(_load_all().values(), key=lambda t: (not t.builtin, order.get(t.kind, 9), t.name))


def get_template(name: str | Template | None) -> Template:
    if isinstance(name, Template):
        return name
    key = str(name or "").strip().lower()
    templates = _load_all()
    if key in templates:
        return templates[key]
    for t in templates.values():
        if key in t.aliases:
            return t
    raise NotFound(f"No label template called {name!r}. "
                   f"Known: {', '.join(sorted(templates))}.")


def save_custom(t: Template) -> Path:
    """Store a custom template beside the built-ins (in the user folder)."""
    t = validate(replace(t, builtin=False))
    if t.name in {b.name for b in _load_all().values() if b.builtin}:
        raise ValidationError(f"{t.name} is a built-in template; give yours another name.")
    folder = user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{t.name}.toml"
    path.write_text(t.to_toml(), encoding="utf-8")
    return path


def delete_custom(name: str) -> None:
    t = get_template(name)
    if t.builtin:
        raise ValidationError(f"{t.name} is built in and cannot be deleted.")
    if t.path is not None:
        Path(t.path).unlink(missing_ok=True)


# --- calibration ---------------------------------------------------------------

def _offsets_file() -> Path:
    return user_dir() / "offsets.json"


def get_offset(template: str, printer: str | None = None) -> tuple[float, float]:
    """The x/y shift in mm (+x right, +y down) measured for this printer and
    template (app.printers keeps them; this names the template canonically)."""
    return printers.get_offset(printer, get_template(template).name, path=_offsets_file())


def set_offset(template: str, dx: float, dy: float, printer: str | None = None) -> None:
    printers.set_offset(printer, dx, dy, get_template(template).name, path=_offsets_file())
