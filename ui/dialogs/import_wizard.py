"""Import a spreadsheet: choose the file (and sheet), check what each column
means, preview what will be created and every problem, then import — all or
nothing — with progress and Cancel.

    open_import_wizard(parent, path=None)
"""
from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLineEdit, QMessageBox,
                               QPlainTextEdit, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout)

from app import importing
from app.importing import mapping as maps
from app.importing.reader import sheet_names, text_of
from app.services.errors import DomainError
from app.wording import plural
from ui import theme
from ui.jobs import run_job, show_error
from ui.ops import Changes, announce
from ui.widgets.tables import fill, small_table

IGNORE, CUSTOM = "", "custom"


class ImportWizard(QDialog):
    def __init__(self, parent=None, path: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import a spreadsheet")
        self.setObjectName("import-wizard")
        self.resize(980, 700)
        self.path = QLineEdit(path or "")
        self.path.setObjectName("import-path")
        browse = QPushButton("Choose file…")
        browse.clicked.connect(self.choose)
        self.kind = QComboBox()
        for k in importing.KINDS:
            self.kind.addItem(k.capitalize(), k)
        self.sheet = QComboBox()
        self.update_box = QCheckBox("Update records that already exist (an asset's tag, a person's ID number…)")
        self.skip_box = QCheckBox("Skip rows with problems (import the rest)")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Sheet", self.sheet)
        form.addRow("The rows are", self.kind)
        self.split_at = QComboBox()
        self.split_at.setObjectName("import-split")
        self.split_at.addItem("Site and room, where the file says so consistently", None)
        for sep in (" / ", " › ", " - ", ": ", ", "):
            self.split_at.addItem(f"Site and room, split at “{sep.strip()}”", sep)
        self.split_at.addItem("Don't split: the whole text is the site", "none")
        self.split_at.setToolTip("How a single Location column such as “Roseland Elementary / "
                                 "Rm 101” becomes a site and a room")
        self.dup_serials = QCheckBox("Accept serials that appear twice (in the file or the register)")
        form.addRow("", self.update_box)
        form.addRow("", self.skip_box)
        form.addRow("", self.dup_serials)
        form.addRow("A Location column means", self.split_at)

        self.columns = QTableWidget(0, 3)
        self.columns.setObjectName("import-columns")
        self.columns.setHorizontalHeaderLabels(("Column in the file", "First value", "Means"))
        self.columns.verticalHeader().setVisible(False)
        self.columns.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.report = QPlainTextEdit()
        self.report.setObjectName("import-preview")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Press Preview to see what will be created, and every problem.")
        self.problems = QTableWidget(0, 4)
        self.problems.setObjectName("import-problems")
        self.problems.setHorizontalHeaderLabels(("Row", "Column", "Kind", "Reason"))
        self.problems.verticalHeader().setVisible(False)
        self.problems.setEditTriggers(QTableWidget.NoEditTriggers)
        self.problems.setWordWrap(True)  # a reason reads whole (rows grow to fit; see show_preview)
        head = self.problems.horizontalHeader()
        for c in range(3):
            head.setSectionResizeMode(c, QHeaderView.ResizeToContents)
        head.setStretchLastSection(True)
        # The header tells of a new width before it has taken it (columnWidth()
        # still gives the old one), and a splitter drag tells of many: fit the
        # rows once, when the event loop is back.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit_problem_rows)
        head.sectionResized.connect(lambda i, _old, _new: i == 3 and self._refit.start())
        # What the rows will become: each combined location's site and room,
        # and who holds each asset (matched, or a new person).
        self.places = _result_table("import-places", ("Location in the file", "Becomes: site › room"))
        self.holders = _result_table("import-holders", ("Row", "In the file", "Holder", "Matched by"))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("import-tabs")
        self.tabs.addTab(self.problems, "Problems and notes")
        self.tabs.addTab(self.places, "Sites and rooms")
        self.tabs.addTab(self.holders, "Holders")
        below = QSplitter(Qt.Horizontal)
        below.addWidget(self.report)
        below.addWidget(self.tabs)
        below.setSizes([350, 630])
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.columns)
        split.addWidget(below)
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.import_button.setObjectName("import-go")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.commit)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.preview_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)
        self.table = None
        self.done_preview = None
        self.sheet.currentIndexChanged.connect(lambda _i: self.load(keep_kind=True))
        # Another file named: what was loaded (its columns, mapping, preview) is
        # no longer what will be imported. Enter loads the new one.
        self.path.textChanged.connect(lambda _t: self._forget())
        self.path.returnPressed.connect(self.load)
        self.kind.currentIndexChanged.connect(lambda _i: self.fill_columns(guess=True))
        for box in (self.update_box, self.skip_box, self.dup_serials):
            box.toggled.connect(lambda _on: self.import_button.setEnabled(False))
        self.split_at.currentIndexChanged.connect(lambda _i: self.import_button.setEnabled(False))
        if path:
            self.load()

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import", "", "Spreadsheets (*.csv *.xlsx *.txt *.tsv)")
        if path:
            self.path.setText(path)
            self.load()

    def _forget(self) -> None:
        if self.table is None:
            return
        self.table = None
        self.done_preview = None
        self.columns.setRowCount(0)
        for t in (self.problems, self.places, self.holders):
            t.setRowCount(0)
        self.report.clear()
        self.import_button.setEnabled(False)

    def load(self, keep_kind: bool = False) -> None:
        path = self.path.text().strip()
        # Another sheet (or a reload) that fails must not leave the last
        # table's columns behind to be previewed against this one.
        self._forget()
        if not path:
            return
        try:
            importing.check_file(path)
            if not keep_kind:
                self.sheet.blockSignals(True)
                self.sheet.clear()
                for name in sheet_names(path):
                    self.sheet.addItem(name, name)
                self.sheet.setEnabled(self.sheet.count() > 0)
                self.sheet.blockSignals(False)
            table, kind, _m = importing.open_file(path, None if not keep_kind else self.kind.currentData(),
                                                  self.sheet.currentData())
        except (DomainError, OSError) as exc:
            self._say_error("Import", path, exc)
            return
        self.table = table
        self.samples = next(iter(table.rows()), (0, []))[1]
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.kind.blockSignals(False)
        self.fill_columns(guess=True)

    def fill_columns(self, guess: bool = False) -> None:
        if self.table is None:
            return
        kind = self.kind.currentData()
        mapping = (maps.remembered(kind, self.table.headers) or maps.suggest(kind, self.table.headers))
        fields = list(maps.FIELDS[kind])
        self.columns.setRowCount(len(self.table.headers))
        for i, header in enumerate(self.table.headers):
            self.columns.setItem(i, 0, QTableWidgetItem(header or "(no header)"))
            sample = self.samples[i] if i < len(self.samples) else ""
            self.columns.setItem(i, 1, QTableWidgetItem(text_of(sample)[:80]))
            combo = QComboBox()
            combo.addItem("— ignore —", IGNORE)
            if kind == "assets":
                combo.addItem("custom field (kept as it is)", CUSTOM)
            for f in fields:
                combo.addItem(maps.LABELS.get(f, f.replace("_", " ").capitalize()), f)
            chosen = mapping.get(i)
            if chosen and chosen.startswith(CUSTOM):
                chosen = CUSTOM
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen else
                                  (1 if kind == "assets" and header else 0))
            combo.currentIndexChanged.connect(lambda _i: self.import_button.setEnabled(False))
            self.columns.setCellWidget(i, 2, combo)
        self.import_button.setEnabled(False)

    def mapping(self) -> dict[int, str]:
        out = {}
        for i in range(self.columns.rowCount()):
            f = self.columns.cellWidget(i, 2).currentData()
            if f:
                out[i] = f
        return out

    def options(self) -> dict:
        return dict(kind=self.kind.currentData(), sheet=self.sheet.currentData(),
                    mapping=self.mapping(), update=self.update_box.isChecked(),
                    skip_bad=self.skip_box.isChecked(), custom=False,
                    allow_duplicate_serials=self.dup_serials.isChecked(),
                    location_separator=self.split_at.currentData())

    def preview(self) -> None:
        if self.table is None:
            self.load()
            if self.table is None:
                return
        path, opts = self.path.text().strip(), self.options()
        run_job(self, "Checking the file",
                lambda progress: importing.preview(path, progress=progress.update, **opts),
                on_done=self.show_preview,
                on_error=lambda exc: self._say_error("Checking the file", path, exc))

    def _say_error(self, title: str, path: str, exc: BaseException) -> None:
        """A file the system would not read, in words rather than '[Errno 13]'."""
        if isinstance(exc, OSError):
            exc = DomainError(_unreadable(path, exc))
            show_error(self, title, exc)
        else:
            show_error(self, title, exc, "".join(traceback.format_exception(exc)))

    SHOWN = 5000  # rows of the problems table (the CLI prints them all)

    def show_preview(self, p) -> None:
        self.done_preview = p
        lines = [p.summary()]
        if p.problems:
            lines.append("\nNothing will be imported until the problems are fixed, unless you skip "
                         "those rows." if not self.skip_box.isChecked()
                         else f"\nThe {plural(len(p.bad_rows), 'row')} with problems will be skipped.")
        elif p.rows:
            lines.append("\nNo problems: press Import.")
        self.report.setPlainText("\n".join(lines))
        listed = [("problem", x) for x in p.problems] + [("note", x) for x in p.warnings]
        self.problems.setRowCount(min(len(listed), self.SHOWN))
        for r, (what, x) in enumerate(listed[:self.SHOWN]):
            for c, text in enumerate((str(x.row) if x.row else "", x.column, what, x.reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if what == "problem":
                    item.setForeground(theme.qcolour("error"))
                self.problems.setItem(r, c, item)
        self._fit_problem_rows()
        _fill(self.places, [(text, f"{site} › {room}" if room else f"{site or ''} (a site, no room)")
                            for text, site, room in p.places])
        _fill(self.holders, [(str(row), said, who, "a new person" if how == "new" else how)
                             for row, said, who, how in p.holders])
        self.tabs.setTabText(1, f"Sites and rooms ({len(p.places):,})" if p.places else "Sites and rooms")
        self.tabs.setTabText(2, f"Holders ({sum(p.holder_matches.values()):,})"
                             if p.holder_matches else "Holders")
        if len(listed) > self.SHOWN:
            self.report.appendPlainText(f"The table shows the first {self.SHOWN:,} of {len(listed):,}; "
                                        "`quartermaster import FILE --dry-run` lists them all.")
        self.import_button.setEnabled(bool(p.rows) and (not p.problems or self.skip_box.isChecked()))

    def _fit_problem_rows(self) -> None:
        """Rows as tall as their wrapped reason, again whenever the Reason
        column's width changes (dialog or splitter resized)."""
        if self.problems.rowCount() <= 500:  # measuring thousands would stall the dialog
            self.problems.resizeRowsToContents()

    def commit(self) -> None:
        path, opts = self.path.text().strip(), self.options()

        def work(progress):
            return importing.commit(path, progress=progress.update,
                                    cancelled=lambda: progress.cancelled, **opts)

        def done(result):
            announce(Changes.ALL)
            skipped = f"; skipped {plural(result.skipped, 'row')}" if result.skipped else ""
            QMessageBox.information(self, "Import", f"Imported {result.created:,} new and updated "
                                    f"{result.updated:,} {result.kind}{skipped}.")
            self.accept()

        def failed(exc):
            if isinstance(exc, importing.ImportRefused):
                self.show_preview(exc.preview)
            if isinstance(exc, importing.Cancelled):
                self.report.appendPlainText("\nCancelled: nothing was imported.")
                return
            self._say_error("Import", path, exc)
        run_job(self, "Importing", work, on_done=done, on_error=failed)


def _result_table(name: str, headers: tuple[str, ...]) -> QTableWidget:
    t = small_table(headers)
    t.setObjectName(name)
    t.setWordWrap(True)
    return t


def _fill(table: QTableWidget, rows: list[tuple]) -> None:
    fill(table, rows, tips=True)
    if rows:
        table.resizeColumnsToContents()


def _unreadable(path: str, exc: OSError) -> str:
    p = Path(path).expanduser()
    if isinstance(exc, IsADirectoryError):
        return f"{p} is a folder; choose a .csv or .xlsx file in it."
    if isinstance(exc, FileNotFoundError):
        return f"{p.name} does not exist (looked in {p.parent})."
    if isinstance(exc, PermissionError):
        return f"{p.name} cannot be read: permission denied."
    return f"{p.name} cannot be read: {(exc.strerror or str(exc)).lower()}."


def open_import_wizard(parent, path: str | None = None) -> bool:
    return ImportWizard(parent, path).exec() == QDialog.Accepted
