"""Starting the desktop application."""
from __future__ import annotations

import sys


def run_gui(args) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

    from app.store.db import DatabaseOpenError, describe, open_database
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Quartermaster")
    try:
        open_database(args.db)
    except DatabaseOpenError as exc:
        QMessageBox.critical(None, "Quartermaster", str(exc))
        return 1
    from app.store.db import current_target
    label = QLabel(f"Quartermaster — {describe(current_target())}")
    label.resize(640, 200)
    label.show()
    return app.exec()
