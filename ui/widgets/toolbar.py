"""The top of a hand-built page: the title row with its tool buttons, and the
search box (clear button, placeholder, re-filter on typing)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton


def title_row(title: str) -> QHBoxLayout:
    """The page's title on the left; what is added next goes to the right."""
    row = QHBoxLayout()
    label = QLabel(title)
    label.setObjectName("page-title")
    row.addWidget(label)
    row.addStretch(1)
    return row


def tool_buttons(row: QHBoxLayout, prefix: str,
                 specs: Iterable[Sequence]) -> dict[str, QToolButton]:
    """One tool button per ``(key, text, slot[, tip])``, added to ``row`` and
    named ``{prefix}-{key}``; returned by key."""
    buttons: dict[str, QToolButton] = {}
    for key, text, slot, *tip in specs:
        b = QToolButton()
        b.setText(text)
        if tip:
            b.setToolTip(tip[0])
        b.setObjectName(f"{prefix}-{key}")
        b.clicked.connect(slot)
        row.addWidget(b)
        buttons[key] = b
    return buttons


def search_box(name: str, placeholder: str, on_text: Callable[[], object]) -> QLineEdit:
    """A search field named ``name`` with a clear button; ``on_text`` runs on
    every change of its text."""
    box = QLineEdit()
    box.setObjectName(name)
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    box.textChanged.connect(lambda _t: on_text())
    return box
