"""The big verdict banner of a scanning page (Stocktake, Intake, Events): a
scan's result in large letters, filled in the colour of its tone, with a
secondary line under it, and optionally the tone's sound.

    banner.show("ok", "VERIFIED\\nQM-000300", "Room 12 — 3 of 20", sound="Verified: QM-000300")
    banner.show(None, "Ready — scan the next serial")   # idle: the palette's own colours
    banner.clear()                                       # back to the idle text

Tones are ``ok``, ``attention``, ``error`` (``ui.feedback.LEVELS``) or None
for idle; colours come from ``ui.theme`` only, so the banner reads on the
light and the dark palette alike. The head's and the banner's accessible
names follow the text, so screen readers and tests read what is shown.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui import feedback, theme


class VerdictBanner(QWidget):
    """``name``: the head label's object name (its style sheet selector and
    what tests and the e2e probe find); the secondary line is ``name-detail``."""

    def __init__(self, name: str = "verdict-banner", idle_text: str = "", *, size_pt: int = 30,
                 min_height: int = 120, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"{name}-box")
        self.name, self.size_pt, self.idle_text = name, size_pt, idle_text
        self.tone: str | None = None
        self.head = QLabel()
        self.head.setObjectName(name)
        self.head.setAlignment(Qt.AlignCenter)
        self.head.setWordWrap(True)
        self.head.setMinimumHeight(min_height)
        # Long text wraps; it never makes the page wider than a small screen.
        self.head.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.detail_label = QLabel()
        self.detail_label.setObjectName(f"{name}-detail")
        self.detail_label.setAlignment(Qt.AlignCenter)
        self.detail_label.setWordWrap(True)
        self.detail_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        f = self.detail_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        self.detail_label.setFont(f)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.head)
        lay.addWidget(self.detail_label)
        self.clear()

    # --- what pages call ------------------------------------------------------------------

    def show(self, tone: str | None = None, text: str = "", detail: str = "", *,  # type: ignore[override]
             sound: str | None = None) -> None:
        """Show ``text`` big in ``tone``'s colour (None: idle) and ``detail``
        under it. ``sound``: also play the tone's sound, with this text as what
        the scan said (``ui.feedback.last_feedback``; no toast over the window:
        the banner says it already). Called with no arguments it is QWidget.show()."""
        if tone is None and not text and not detail and sound is None:
            super().show()
            return
        self.tone = tone if tone in feedback.LEVELS else (None if tone is None else "error")
        self.head.setText(text)
        self.head.setStyleSheet(theme.banner_style(self.name, self.tone, self.size_pt))
        self.set_detail(detail)
        self._update_accessible()
        if sound is not None:
            feedback.show_feedback(self.tone or "ok", sound, self, toast=False)

    def set_detail(self, detail: str) -> None:
        """Change the secondary line only (the verdict stays)."""
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        self._update_accessible()

    def clear(self) -> None:
        """Back to idle: the idle text, no colour, no secondary line."""
        self.show(None, self.idle_text or " ")

    def set_idle_text(self, text: str) -> None:
        self.idle_text = text
        if self.tone is None:
            self.clear()

    # --- what tests and screen readers read -------------------------------------------------

    def text(self) -> str:
        return self.head.text()

    def detail(self) -> str:
        return self.detail_label.text()

    def _update_accessible(self) -> None:
        head, detail = " ".join(self.head.text().split()), self.detail_label.text()
        self.head.setAccessibleName(head)
        self.detail_label.setAccessibleName(detail)
        self.setAccessibleName(f"{head}. {detail}" if detail else head)
        self.setAccessibleDescription(self.tone or "idle")
