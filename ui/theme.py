"""Light and dark palettes that follow the operating system, the style
sheet, and icons tinted for the palette."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

import resources


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
    svg = svg.replace("#5f6b7a", color)
    pm = QPixmap()
    pm.loadFromData(QByteArray(svg.encode()), "SVG")
    return QIcon(pm)
