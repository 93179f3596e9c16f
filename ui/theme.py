"""Light and dark palettes that follow the operating system, the style
sheet, icons tinted for the palette, and the status colours (error, warning,
ok) that stay readable on either palette — use ``colour("error")`` and
friends instead of writing #c62828 or Qt.red into a widget."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

import resources

# Text on the window background: the light palette's deep tones are too dim on
# the dark one's #2a2f36, so the dark palette gets lighter tints of the same hues.
_TEXT = {"error": ("#c62828", "#ff8a80"), "warning": ("#b26a00", "#ffb74d"),
         "ok": ("#1e7b34", "#81c995"), "muted": ("#6b7280", "#9aa3ad")}
# Filled banners with white text (scan verdicts): contrast holds on both palettes.
_BANNER = {"ok": "#1e7b34", "attention": "#b26a00", "error": "#b3261e"}
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
