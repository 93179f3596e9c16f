"""Small read-only tables (a record's history, a person's holdings): a few
hundred rows at most, so a QTableWidget filled in one go is right here."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem


def small_table(headers) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.NoEditTriggers)
    t.setWordWrap(False)  # one line a row: long names are elided, never half-shown
    t.horizontalHeader().setStretchLastSection(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
    return t


def fill(table: QTableWidget, rows, tips: bool = False) -> None:
    """Put ``rows`` in the table; ``tips``: each cell's whole text as its tool
    tip too (for cells a narrow column cuts short)."""
    rows = list(rows)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            item = QTableWidgetItem(str(v))
            if tips:
                item.setToolTip(str(v))
            table.setItem(r, c, item)
