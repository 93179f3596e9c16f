"""What the license and supply dialogs share: a form whose fields each carry
their validation message, a scan-or-type box that says what it found, and a
read-only small-table model for lists that load lazily."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog,
                               QFormLayout, QHeaderView, QLabel, QLineEdit,
                               QPlainTextEdit, QSpinBox, QTableView, QVBoxLayout, QWidget)

from app.services.errors import DomainError, ValidationError
from ui import theme
from ui.ops import Changes, run_op
from ui.widgets.buttons import ok_cancel


def error_style() -> str:
    """A label's style sheet for an error message, in the palette's error colour."""
    return theme.text_style("error")


def warn_style() -> str:
    return theme.text_style("warning")


class FormDialog(QDialog):
    """A dialog of named fields; ``submit()`` runs the subclass's ``apply()``
    (the service call, returning its result) through ``run_op``, and shows a
    ValidationError next to its field, any other refusal in its banner."""

    TITLE = ""
    CHANGES = Changes.SUPPLIES  # what a successful apply changed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.TITLE)
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.banner = QLabel()
        self.banner.setObjectName("form-banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(error_style())
        self.banner.hide()
        self.buttons = ok_cancel(self, on_ok=self.submit)
        self.body = QVBoxLayout(self)
        self.body.addLayout(self.form)
        self.body.addWidget(self.banner)
        self.body.addWidget(self.buttons)
        self.result_value = None

    def add_field(self, key: str, label: str, widget: QWidget | None = None,
                  placeholder: str = "") -> QWidget:
        w = widget if widget is not None else QLineEdit()
        w.setObjectName(key)
        if placeholder and isinstance(w, QLineEdit):
            w.setPlaceholderText(placeholder)
        err = QLabel()
        err.setObjectName(f"error-{key}")
        err.setStyleSheet(error_style())
        err.setWordWrap(True)
        err.hide()
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(w)
        box.addWidget(err)
        self.form.addRow(label, box)
        self.widgets[key] = w
        self.errors[key] = err
        return w

    def value(self, key: str):
        w = self.widgets[key]
        if isinstance(w, QLineEdit):
            return w.text().strip()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText().strip()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QComboBox):
            return w.currentData()
        return None

    def clear_errors(self) -> None:
        for err in self.errors.values():
            err.hide()
        self.banner.hide()

    def show_field_error(self, exc: ValidationError) -> bool:
        shown = False
        for field, message in (exc.errors or {}).items():
            key = _FIELD_ALIASES.get(field, field)
            if key in self.errors:
                self.errors[key].setText(message)
                self.errors[key].show()
                shown = True
        return shown

    def show_op_error(self, exc: DomainError) -> bool:
        """A refusal next to the field it names, else in the banner above the buttons."""
        if isinstance(exc, ValidationError) and self.show_field_error(exc):
            return True
        self.banner.setText(str(exc))
        self.banner.show()
        return True

    def submit(self) -> None:
        self.clear_errors()

        def done(value) -> None:
            self.result_value = value
            self.accept()
        run_op(self, self.apply, changes=self.CHANGES, success=done, title=self.TITLE)


# A service names the field it refused by its own key; some forms call it otherwise.
_FIELD_ALIASES = {"quantity": "qty", "counted quantity": "qty", "counted": "qty",
                  "unit_cost": "cost", "order_number": "po", "adjustment": "qty"}


class LookupEdit(QLineEdit):
    """A box for a scanned or typed code; ``resolved`` is what it names now
    (or None) and the label under it says so as you type."""

    def __init__(self, resolve: Callable[[str], tuple[object, str]], parent=None):
        super().__init__(parent)
        self._resolve = resolve
        self.resolved = None
        self.note = QLabel()
        self.note.setObjectName("lookup-note")
        self.note.setWordWrap(True)
        self.textChanged.connect(self.lookup)

    def lookup(self, text: str | None = None) -> None:
        text = (self.text() if text is None else text).strip()
        if not text:
            self.resolved = None
            self.note.setText("")
            return
        # A refusal is this field's answer, said in its note as the user types.
        found: list = []
        run_op(self, lambda: self._resolve(text), changes=Changes.NONE, success=found.append,
               on_error=lambda exc: found.append((None, str(exc))))
        self.resolved, description = found[0]
        self.note.setStyleSheet("" if self.resolved is not None else warn_style())
        self.note.setText(description)


class RowsModel(QAbstractTableModel):
    """Read-only rows of plain values, with optional per-row colours;
    small lists (licenses, supply items) that are re-read in one query."""

    def __init__(self, headers: tuple[str, ...], parent=None, right: tuple[int, ...] = ()):
        super().__init__(parent)
        self.headers = headers
        self.rows: list[tuple] = []
        self.ids: list[int] = []
        self.foreground: dict[tuple[int, int], object] = {}
        self.background: dict[int, object] = {}
        self.bold: set[tuple[int, int]] = set()
        self.tooltips: dict[tuple[int, int], str] = {}
        self.right = set(right)

    def set_rows(self, ids: list[int], rows: list[tuple], foreground=None, background=None,
                 bold=None, tooltips=None) -> None:
        self.beginResetModel()
        self.ids, self.rows = list(ids), list(rows)
        self.foreground = foreground or {}
        self.background = background or {}
        self.bold = bold or set()
        self.tooltips = tooltips or {}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        r, c = index.row(), index.column()
        if role == Qt.DisplayRole:
            return self.rows[r][c]
        if role == Qt.ForegroundRole:
            return self.foreground.get((r, c))
        if role == Qt.BackgroundRole:
            return self.background.get(r)
        if role == Qt.FontRole and (r, c) in self.bold:
            from PySide6.QtGui import QFont
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.TextAlignmentRole and c in self.right:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:
            return self.tooltips.get((r, c)) or self.rows[r][c] or None
        if role == Qt.UserRole:
            return self.ids[r]
        return None

    def row_of(self, record_id: int) -> int:
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1


def setup_table(view: QTableView) -> QTableView:
    """Row selection, fixed row height, interactive columns with the last stretched."""
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.Fixed)
    vh.setDefaultSectionSize(24)
    hh = view.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.Interactive)
    hh.setStretchLastSection(True)
    hh.setHighlightSections(False)
    return view
