"""The person editor: name, kind, ID number, contact, site and the letter
language; for a student also what the SIS roster brings — grade, homeroom,
the guardian letters go to (name, email, phone), the mailing address, the
household siblings share, and enrolment (withdrawn on a day). Saved through
the people service, which checks every field and writes the history.

    from ui.dialogs.person_editor import edit_person
    edit_person(parent, None)        # new; returns the id or None
    edit_person(parent, person_id)
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit

from app.models.common import LANGUAGES, PERSON_KINDS
from app.services import people
from ui.dialogs.stock_forms import FormDialog
from ui.models.table import display
from ui.ops import Changes

TEXT_FIELDS = ("first_name", "last_name", "id_number", "email", "phone", "grade", "homeroom",
               "guardian_name", "guardian_email", "guardian_phone", "household", "withdrawn_on")
STUDENT_FIELDS = ("grade", "homeroom", "guardian_name", "guardian_email", "guardian_phone",
                  "address", "household", "enrolment", "withdrawn_on")


class PersonEditor(FormDialog):
    TITLE = "Person"
    CHANGES = Changes.PEOPLE

    def __init__(self, person_id: int | None = None, parent=None):
        super().__init__(parent)
        self.person_id = person_id
        self.version = None
        self.setObjectName("person-editor")
        self.setMinimumWidth(500)
        kind = self.add_field("kind", "Kind", QComboBox())
        for key, label in PERSON_KINDS.items():
            kind.addItem(label, key)
        self.add_field("first_name", "First name")
        self.add_field("last_name", "Last name")
        self.add_field("id_number", "ID number", placeholder="employee or student ID (badge)")
        self.add_field("email", "Email")
        self.add_field("phone", "Phone")
        site = self.add_field("site_id", "Site", QComboBox())
        site.addItem("", None)
        from app.services import catalog
        for sid, name in catalog.site_choices():
            site.addItem(name, sid)
        lang = self.add_field("language", "Letters in", QComboBox())
        for key, label in LANGUAGES.items():
            lang.addItem(label, key)
        self.student_header = QLabel("<b>Student</b> — from the SIS roster (import --kind students)")
        self.student_header.setObjectName("student-header")
        self.form.addRow(self.student_header)
        self.add_field("grade", "Grade", placeholder="K, 1 … 12")
        self.add_field("homeroom", "Homeroom / teacher")
        self.add_field("guardian_name", "Guardian")
        self.add_field("guardian_email", "Guardian email")
        self.add_field("guardian_phone", "Guardian phone")
        address = self.add_field("address", "Mailing address", QPlainTextEdit())
        address.setFixedHeight(52)
        self.add_field("household", "Household", placeholder="family id (siblings share it)")
        enrol = self.add_field("enrolment", "Enrolment", QComboBox())
        enrol.addItem("", None)
        for key, label in people.ENROLMENTS.items():
            enrol.addItem(label, key)
        self.add_field("withdrawn_on", "Withdrawn on", placeholder="YYYY-MM-DD (today if blank)")
        enrol.currentIndexChanged.connect(self._enrolment_changed)
        notes = self.add_field("notes", "Notes", QPlainTextEdit())
        notes.setFixedHeight(50)
        kind.currentIndexChanged.connect(self._kind_changed)
        if person_id:
            self._load(person_id)
        else:
            self.setWindowTitle("New person")
        self._kind_changed()
        self._enrolment_changed()

    def _rows_visible(self, keys, visible: bool) -> None:
        for key in keys:
            row = self._row_of(key)
            if row >= 0:
                # Showing a row shows every widget in it: its error line stays as it was.
                had_error = not self.errors[key].isHidden()
                self.form.setRowVisible(row, visible)
                self.errors[key].setVisible(visible and had_error)

    def _row_of(self, key: str) -> int:
        """The form row holding the field (each field sits in its own box with its error)."""
        w = self.widgets[key]
        for row in range(self.form.rowCount()):
            item = self.form.itemAt(row, self.form.ItemRole.FieldRole)
            layout = item.layout() if item is not None else None
            if layout is not None and layout.indexOf(w) >= 0:
                return row
        return -1

    def _kind_changed(self) -> None:
        student = self.widgets["kind"].currentData() == "student"
        self.student_header.setVisible(student)
        self._rows_visible(STUDENT_FIELDS, student)
        if student:
            self._enrolment_changed()

    def _enrolment_changed(self) -> None:
        withdrawn = self.widgets["enrolment"].currentData() == "withdrawn"
        student = self.widgets["kind"].currentData() == "student"
        self._rows_visible(("withdrawn_on",), withdrawn and student)

    def _load(self, person_id: int) -> None:
        from app.models import Person
        p = Person.get_by_id(person_id)
        self.version = p.version
        self.setWindowTitle(f"Person — {p.full_name}")
        for key in TEXT_FIELDS:
            value = getattr(p, key)
            self.widgets[key].setText(display(value) if key == "withdrawn_on" else (value or ""))
        for key, value in (("kind", p.kind), ("site_id", p.site_id), ("language", p.language),
                           ("enrolment", p.enrolment)):
            w = self.widgets[key]
            w.setCurrentIndex(max(0, w.findData(value)))
        self.widgets["address"].setPlainText(p.address or "")
        self.widgets["notes"].setPlainText(p.notes or "")

    def values(self) -> dict:
        keys = ["kind", "first_name", "last_name", "id_number", "email", "phone", "site_id",
                "language", "notes"]
        if self.value("kind") == "student":
            keys += list(STUDENT_FIELDS)
        v = {k: self.value(k) for k in keys}
        if v.get("enrolment") != "withdrawn":
            v.pop("withdrawn_on", None)
        return {k: (val if val != "" else None) for k, val in v.items()}

    def apply(self):
        v = self.values()
        if self.person_id:
            return people.update(self.person_id, v, expected_version=self.version)
        return people.create(**v)


def edit_person(parent, person_id: int | None) -> int | None:
    dlg = PersonEditor(person_id, parent)
    if dlg.exec() and dlg.result_value is not None:
        return dlg.result_value.id
    return None
