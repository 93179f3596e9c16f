"""Records retention and purge: the rules (years kept, and why), what is due
now by rule, and purging it — a backup first, then a certificate PDF."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QGridLayout, QGroupBox, QLabel,
                               QMessageBox, QPushButton, QSpinBox, QTableView, QVBoxLayout)

from app.services import retention, settings
from ui.dialogs.stock_forms import RowsModel, error_style, setup_table
from ui.ops import Changes, run_op


class PurgeDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Records retention and purge")
        self.setMinimumSize(760, 560)
        rules = QGroupBox("Retention rules")
        grid = QGridLayout(rules)
        self.years: dict[str, QSpinBox] = {}
        for row, rule in enumerate(retention.RULES):
            box = QSpinBox()
            box.setObjectName(f"years-{rule.key}")
            box.setRange(rule.minimum_years, 100)
            box.setSuffix(" years")
            box.setValue(retention.years(rule.key))
            reason = QLabel(rule.reason)
            reason.setWordWrap(True)
            grid.addWidget(QLabel(rule.title), row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(reason, row, 2)
            self.years[rule.key] = box
        grid.setColumnStretch(2, 1)
        save = QPushButton("Save rules")
        save.clicked.connect(self.save_rules)
        grid.addWidget(save, len(retention.RULES), 1)
        self.model = RowsModel(("Records", "Kept", "Due now", "For example"), self, right=(2,))
        self.table = setup_table(QTableView())
        self.table.setModel(self.model)
        self.held = QLabel()
        self.held.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("purge-message")
        self.message.setWordWrap(True)
        self.purge_button = QPushButton("Purge…")
        self.purge_button.setObjectName("purge")
        self.purge_button.clicked.connect(self.purge)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.purge_button, QDialogButtonBox.ActionRole)
        lay = QVBoxLayout(self)
        lay.addWidget(rules)
        lay.addWidget(QLabel("Due for purging now"))
        lay.addWidget(self.table, 1)
        lay.addWidget(self.held)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        self.due: list = []
        self.refresh()

    def refresh(self) -> None:
        self.due = retention.preview()
        self.model.set_rows(list(range(len(self.due))),
                            [(d.title, f"{d.years} years", str(d.count), ", ".join(d.samples))
                             for d in self.due])
        held = [h for d in self.due for h in d.held]
        self.held.setText(("Kept by another rule: " + "; ".join(held[:8])
                           + (f" and {len(held) - 8} more" if len(held) > 8 else ""))
                          if held else "")
        from app.services import team
        allowed = team.can("purge")  # on a team database, admins only
        self.purge_button.setEnabled(allowed and any(d.count for d in self.due))
        self.purge_button.setToolTip("" if allowed else "Only an admin may purge records.")

    def show_op_error(self, exc) -> bool:
        self.message.setStyleSheet(error_style())
        self.message.setText(str(exc))
        return True

    def save_rules(self) -> None:
        values = {retention.setting_key(k): box.value() for k, box in self.years.items()}
        if run_op(self, lambda: settings.update(values), changes=Changes.SETTINGS,
                  title="Retention rules"):
            self.message.setStyleSheet("")
            self.message.setText("Rules saved.")
            self.refresh()

    def purge(self) -> None:
        total = sum(d.count for d in self.due)
        if QMessageBox.question(
                self, "Purge records",
                f"Purge {total:,} records past retention? A backup is taken first; people are "
                "anonymised, the rest removed.") != QMessageBox.Yes:
            return
        from ui.files import ask_save_path
        path = ask_save_path(self, "Save the purge certificate",
                             f"purge-certificate-{dt.date.today().isoformat()}.pdf",
                             "PDF (*.pdf)")
        if not path:
            return

        def work():
            from app.reporting import purge_certificate
            from reports.render import write
            result = retention.purge()
            write(purge_certificate.build(result), path, "pdf")
            return result

        def done(result) -> None:
            self.message.setStyleSheet("")
            self.message.setText(f"Purged {sum(n for *_x, n in result.lines):,} records; "
                                 f"certificate saved to {path}.")
            self.refresh()
        run_op(self, work, changes=Changes.ALL, success=done, title="Purge records")


def open_purge_dialog(parent=None) -> None:
    PurgeDialog(parent).exec()
