"""Export the current list (every row of its filter) to CSV or XLSX.

    open_export_dialog(parent, "assets", ids)   # ids None = every row
"""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import exporting
from ui.bus import bus
from ui.jobs import run_job


def open_export_dialog(parent, kind: str, ids: list[int] | None) -> None:
    count = "every" if ids is None else f"{len(ids):,}"
    path, chosen = QFileDialog.getSaveFileName(
        parent, f"Export {count} {kind}", f"{kind}.xlsx", "Excel workbook (*.xlsx);;CSV (*.csv)")
    if not path:
        return
    if not path.lower().endswith((".xlsx", ".csv")):
        path += ".csv" if "CSV" in chosen else ".xlsx"
    include_keys = False
    if kind == "licenses":
        include_keys = QMessageBox.question(
            parent, "Export licenses", "Include the product keys in the file?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No) == QMessageBox.Yes
    run_job(parent, f"Exporting {kind}",
            lambda progress: exporting.export(kind, path, ids=ids, include_keys=include_keys,
                                              progress=progress.update),
            on_done=lambda n: bus.status_message.emit(f"Exported {n:,} {kind} to {path}"))
