"""Light and dark palettes that follow the operating system, the style
sheet, icons tinted for the palette, and the status colours (error, warning,
ok) that stay readable on either palette — use ``colour("error")`` and
friends instead of writing #c62828 or Qt.red into a widget."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

import resources

# Text on the window background: the light palette's deep tones are too dim on
# the dark one's #2a2f36, so the dark palette gets lighter tints of the same hues.
_TEXT = {"error": ("#c62828", "#ff8a80"), "warning": ("#b26a00", "#ffb74d"),
         "ok": ("#1e7b34", "#81c995"), "muted": ("#6b7280", "#9aa3ad")}
# Filled banners with white text (scan verdicts): contrast holds on both palettes.
_BANNER = {"ok": "#1e7b34", "attention": "#b26a00", "error": "#b3261e"}
# A table row's background tint (alpha over the base colour): reads on either palette.
_TINT = {"error": (229, 57, 53, 40), "warning": (255, 160, 0, 40), "ok": (67, 160, 71, 40)}
# The label-sheet preview draws paper, which is white whatever the palette.
_PAPER = {"paper": "#ffffff", "edge": "#888888", "label_edge": "#999999",
          "used": "#c8c8c8", "filled": "#dbe8ff", "filled_edge": "#2f6fde"}
# An asset status that needs attention, by its label: the colour of its text in lists.
_STATUS_KIND = {"Missing": "error", "In repair": "warning", "Retired": "muted",
                "Disposed": "muted"}
_LEVEL_TEXT = {"attention": "warning"}


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    return QApplication.palette().window().color().lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1f2329"), QColor("#2a2f36"), QColor("#e6e8eb")
    for role, color in ((QPalette.Window, window), (QPalette.WindowText, text),
                        (QPalette.Base, base), (QPalette.AlternateBase, QColor("#262b31")),
                        (QPalette.Text, text), (QPalette.Button, window),
                        (QPalette.ButtonText, text), (QPalette.ToolTipBase, window),
                        (QPalette.ToolTipText, text), (QPalette.Highlight, QColor("#3d7bd9")),
                        (QPalette.HighlightedText, QColor("#ffffff")),
                        (QPalette.Mid, QColor("#6b7280")), (QPalette.Midlight, QColor("#3a4048")),
                        (QPalette.PlaceholderText, QColor("#8b939e")),
                        (QPalette.Link, QColor("#7fb0ff"))):
        p.setColor(role, color)
    p.setColor(QPalette.Disabled, QPalette.Text, QColor("#777d86"))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#777d86"))
    return p


def colour(kind: str) -> str:
    """The text colour (hex) of ``error``, ``warning`` (or ``attention``), ``ok``
    or ``muted`` for the palette in use."""
    light, dark = _TEXT.get(_LEVEL_TEXT.get(kind, kind), _TEXT["error"])
    return dark if is_dark() else light


def error_colour() -> str:
    return colour("error")


def warning_colour() -> str:
    return colour("warning")


def qcolour(kind: str) -> QColor:
    """``colour(kind)`` as a QColor (item foregrounds, brushes)."""
    return QColor(colour(kind))


@lru_cache(maxsize=64)
def _brush(kind: str, dark: bool) -> QBrush:
    light, dark_hex = _TEXT.get(_LEVEL_TEXT.get(kind, kind), _TEXT["error"])
    return QBrush(QColor(dark_hex if dark else light))


def brush(kind: str) -> QBrush:
    """``colour(kind)`` as a QBrush for a model's ForegroundRole (cached per palette)."""
    return _brush(kind, is_dark())


@lru_cache(maxsize=16)
def tint(kind: str = "error") -> QBrush:
    """A translucent row background of ``kind`` (error, warning, ok)."""
    return QBrush(QColor(*_TINT.get(kind, _TINT["error"])))


def status_brush(label: str | None) -> QBrush | None:
    """The text colour of an asset status in a list (by its label: "Missing"
    red, "In repair" amber, retired and disposed muted); None for the rest."""
    kind = _STATUS_KIND.get(label or "")
    return brush(kind) if kind else None


def paper(role: str) -> QColor:
    """A colour of the label-sheet preview: paper, edge, label_edge, used
    (labels already peeled off), filled (labels to print), filled_edge."""
    return QColor(_PAPER[role])


def banner_style(name: str, level: str | None, size_pt: int) -> str:
    """The style sheet of a big verdict label (``QLabel#name``): filled in the
    level's colour with white text, or in the palette's own colours when idle."""
    bg, fg = banner_colours(level) if level else ("palette(mid)", "palette(text)")
    return (f"QLabel#{name} {{ background: {bg}; color: {fg}; font-size: {size_pt}pt; "
            "font-weight: 700; border-radius: 12px; padding: 12px; }")


def text_style(kind: str) -> str:
    """A style sheet that sets a label's text to ``colour(kind)``."""
    return f"color: {colour(kind)};"


def coloured(text: str, kind: str = "error") -> str:
    """Rich text for a label: ``text`` in the status colour (text is not escaped)."""
    return f"<span style='color:{colour(kind)}'>{text}</span>"


def banner_colours(level: str | None) -> tuple[str, str]:
    """(background, text) of a filled verdict banner for ok / attention / error."""
    return _BANNER.get(level or "", _BANNER["error"]), "#ffffff"


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.Highlight, QColor("#2f6fd0"))
    p.setColor(QPalette.AlternateBase, QColor("#f5f7fa"))
    p.setColor(QPalette.Midlight, QColor("#e3e6ea"))
    return p


def apply(app: QApplication) -> None:
    """Fusion style, the palette for the OS scheme, and the style sheet;
    follows the OS when the user switches between light and dark."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if is_dark() else light_palette())
    try:
        app.setStyleSheet(resources.path("style.qss").read_text(encoding="utf-8"))
    except OSError:
        pass
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(
            lambda _s: (app.setPalette(dark_palette() if is_dark() else light_palette()),
                        icon.cache_clear()))


@lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    """An icon from resources/icons, its strokes tinted for the palette."""
    try:
        svg = resources.path("icons", f"{name}.svg").read_text(encoding="utf-8")
    except OSError:
        return QIcon()
    color = "#c9d1db" if is_dark() else "#4a5562"
    result = QIcon()
    # Selected mode: the strokes in the highlighted-text colour, so a selected
    # sidebar item's icon is white on blue like its text, not grey on blue.
    selected = QApplication.palette().color(QPalette.HighlightedText).name()
    for mode, tint in ((QIcon.Normal, color), (QIcon.Selected, selected)):
        pm = QPixmap()
        pm.loadFromData(QByteArray(svg.replace("#5f6b7a", tint).encode()), "SVG")
        result.addPixmap(pm, mode)
    return result
