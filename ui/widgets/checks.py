"""A row of check boxes, one per choice (the damage kinds of a returned device,
its kit parts): made, named and wired in one place."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import QCheckBox, QHBoxLayout


def check_row(row: QHBoxLayout, choices: Mapping[str, str], name: str,
              on_toggled: Callable[[bool], object]) -> dict[str, QCheckBox]:
    """One box per ``key: label`` added to ``row``, named ``name.format(key=key)``,
    ``on_toggled`` run when any is ticked or cleared; returned by key."""
    boxes: dict[str, QCheckBox] = {}
    for key, label in choices.items():
        box = QCheckBox(label)
        box.setObjectName(name.format(key=key))
        box.toggled.connect(on_toggled)
        boxes[key] = box
        row.addWidget(box)
    return boxes
