"""Letters home: choose the kind, the school and a grade, then save one PDF to
print (one letter per family, in its language) or a CSV for a mail merge.
The letters are gathered and drawn in the background job with progress
(app.reporting.letters gathers, reports/letters.py draws); a refusal — no
school chosen, no family to write to — is said under the form."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
                               QLabel, QPushButton, QVBoxLayout)

from app.reporting import letters
from app.services import catalog
from app.services.errors import DomainError
from ui.bus import bus
from ui.dialogs.stock_forms import error_style, warn_style
from ui.files import ask_save_path
from ui.ops import Changes, run_op

FILTERS = {"pdf": "PDF to print (*.pdf)", "csv": "CSV for a mail merge (*.csv)"}
ALL_GRADES = "All grades"


class Cancelled(DomainError):
    """The person pressed Cancel: nothing was written."""


class LettersDialog(QDialog):
    def __init__(self, parent=None, site: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Letters home")
        self.setMinimumWidth(480)
        self.kind = QComboBox()
        self.kind.setObjectName("letters-kind")
        for key, title in letters.KINDS.items():
            self.kind.addItem(title, key)
        self.site = QComboBox()
        self.site.setObjectName("letters-site")
        for name, label in catalog.site_labels():
            self.site.addItem(label, name)
        if site is not None and self.site.findData(site) >= 0:
            self.site.setCurrentIndex(self.site.findData(site))
        self.grade = QComboBox()
        self.grade.setObjectName("letters-grade")
        self.respond_by = QDateEdit()
        self.respond_by.setObjectName("letters-by")
        self.respond_by.setCalendarPopup(True)
        self.respond_by.setDisplayFormat("yyyy-MM-dd")
        by = dt.date.today() + dt.timedelta(days=letters.RESPOND_DAYS)
        self.respond_by.setDate(QDate(by.year, by.month, by.day))
        self.respond_by.setToolTip("The day the letters ask families to return, pay or sign by")
        self.duplex = QCheckBox("Printed on both sides (each letter starts on a new sheet)")
        self.duplex.setObjectName("letters-duplex")
        self.site.currentIndexChanged.connect(lambda _i: self._fill_grades())
        self._fill_grades()

        about = QLabel("One letter per family — brothers and sisters together — in the "
                       "family's language (English or Spanish), with the district's logo and "
                       "contact from Settings.")
        about.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("letters-message")
        self.message.setWordWrap(True)
        self.pdf_button = QPushButton("Save PDF…")
        self.pdf_button.setObjectName("letters-pdf")
        self.pdf_button.setToolTip("One PDF of every letter, ready for #10 window envelopes")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.csv_button = QPushButton("Save CSV…")
        self.csv_button.setObjectName("letters-csv")
        self.csv_button.setToolTip("One row per family, for a mail merge")
        self.csv_button.clicked.connect(self.save_csv)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.pdf_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.csv_button, QDialogButtonBox.ActionRole)

        form = QFormLayout()
        form.addRow("Letter", self.kind)
        form.addRow("School", self.site)
        form.addRow("Grade", self.grade)
        form.addRow("Answer by", self.respond_by)
        form.addRow("", self.duplex)
        lay = QVBoxLayout(self)
        lay.addWidget(about)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        if self.site.count() == 0:
            self._say("Add a school (Locations) before writing letters home.", error=True)
            self.pdf_button.setEnabled(False)
            self.csv_button.setEnabled(False)

    def _fill_grades(self) -> None:
        current = self.grade.currentData()
        self.grade.clear()
        self.grade.addItem(ALL_GRADES, None)
        site = self.site.currentData()
        for g in letters.grades(site) if site else []:
            self.grade.addItem(f"Grade {g}", g)
        i = self.grade.findData(current)
        self.grade.setCurrentIndex(max(i, 0))

    def _say(self, text: str, error: bool = False, warn: bool = False) -> None:
        self.message.setStyleSheet(error_style() if error else warn_style() if warn else "")
        self.message.setText(text)

    def show_op_error(self, exc) -> bool:
        """A refusal (no family to write to, a file that cannot be written) is
        said under the form, not in a box (see ui.ops)."""
        self._say(str(exc), error=not isinstance(exc, Cancelled))
        return True

    def choices(self) -> dict:
        d = self.respond_by.date()
        return {"kind": self.kind.currentData(), "site": self.site.currentData(),
                "grade": self.grade.currentData(),
                "respond_by": dt.date(d.year(), d.month(), d.day()),
                "duplex": self.duplex.isChecked()}

    def save_pdf(self) -> None:
        self.save("pdf")

    def save_csv(self) -> None:
        self.save("csv")

    def save(self, fmt: str) -> None:
        c = self.choices()
        name = ("letters", c["kind"], c["site"] or "") + ((f"grade {c['grade']}",) if c["grade"] else ())
        path = ask_save_path(self, "Save letters home", name, FILTERS[fmt])
        if not path:
            return
        self._say("Writing the letters…")

        def work(progress):
            from reports.letters import write

            def tick(done: int, total: int, text: str) -> None:
                if progress.cancelled:
                    raise Cancelled("Cancelled: no file was written.")
                progress.update(done, total, text)

            batch = letters.gather(c["kind"], c["site"], c["grade"], respond_by=c["respond_by"],
                                   progress=tick)
            written = write(batch, path, tick, duplex=c["duplex"])
            return written, batch.summary(), batch.warnings()

        run_op(self, work, changes=Changes.NONE, slow=True, progress=True, cancellable=True,
               success=self._written, title="Letters home")

    def _written(self, result) -> None:
        path, summary, warnings = result
        text = f"Saved {path}: {summary}."
        if warnings:
            text += "\n" + "\n".join(w[:1].upper() + w[1:] + "." for w in warnings)
        self._say(text, warn=bool(warnings))
        bus.status_message.emit(f"Saved {path}")


def open_letters_dialog(parent=None, site: str | None = None) -> None:
    LettersDialog(parent, site).exec()
