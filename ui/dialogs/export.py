"""Export the current list (every row of its filter) to CSV or XLSX.

    open_export_dialog(parent, "assets", ids)   # ids None = every row

The dialog asks the format (and, for licenses, whether product keys go in
the file), then where to save; the rows are written by a background job.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QLabel, QVBoxLayout)

from app import exporting
from app.wording import count
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import run_job

FORMATS = (("xlsx", "Excel workbook (.xlsx) — real dates and numbers"),
           ("csv", "CSV (.csv) — UTF-8, for any program"))


class ExportDialog(QDialog):
    def __init__(self, parent, kind: str, ids: list[int] | None):
        super().__init__(parent)
        self.kind, self.ids = kind, (list(ids) if ids is not None else None)
        self.path: str | None = None
        self.setWindowTitle(f"Export {kind}")
        self.setObjectName("export-dialog")
        count = f"every one of the {kind}" if ids is None else f"{len(self.ids):,} {kind}"
        what = QLabel(f"Exports {count} in the current list, every column.")
        what.setWordWrap(True)
        self.format = QComboBox()
        self.format.setObjectName("export-format")
        for key, label in FORMATS:
            self.format.addItem(label, key)
        self.keys = QCheckBox("Include product keys (anyone with the file can use them)")
        self.keys.setObjectName("export-keys")
        form = QFormLayout()
        form.addRow(what)
        form.addRow("Format", self.format)
        if kind == "licenses":
            form.addRow("", self.keys)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        go = buttons.addButton("Export…", QDialogButtonBox.AcceptRole)
        go.setObjectName("export-go")
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def start(self) -> None:
        """Ask where to save, then write in the background and close."""
        fmt = self.format.currentData()
        path = ask_save_path(self, f"Export {self.kind}", (self.kind,),
                             "Excel workbook (*.xlsx)" if fmt == "xlsx" else "CSV (*.csv)")
        if not path:
            return
        if Path(path).suffix.lower() != f".{fmt}":
            path += f".{fmt}"
        self.path = path
        kind, ids, keys = self.kind, self.ids, self.kind == "licenses" and self.keys.isChecked()
        run_job(self.parent(), f"Exporting {kind}",
                lambda progress: exporting.export(kind, path, ids=ids, include_keys=keys,
                                                  progress=progress.update),
                on_done=lambda n: bus.status_message.emit(f"Exported {count(n, kind)} to {path}"))
        self.accept()


def open_export_dialog(parent, kind: str, ids: list[int] | None) -> None:
    ExportDialog(parent, kind, ids).exec()
