"""Small "New…" dialogs beside the asset editor's lists: a site, a room, a
model or a supplier made in place, through the catalog services, so a
technician on an empty database can save a first asset without leaving the
editor. Each returns the new record's id (None when cancelled); a refusal
(a name already taken, a name missing) is shown in the dialog, which stays open.

    from ui.dialogs.quick_create import new_site
    site_id = new_site(parent)
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QLabel,
                               QLineEdit, QWidget)

from app.services import catalog
from app.services.errors import DomainError
from ui.ops import Changes, run_op
from ui.theme import error_colour
from ui.widgets.buttons import ok_cancel


class QuickCreateDialog(QDialog):
    """A form of named fields; OK calls ``create(values)`` and closes with its id."""

    def __init__(self, parent, title: str, fields: list[tuple[str, str, QWidget]],
                 create: Callable[[dict], int], changes: Changes):
        super().__init__(parent)
        self.changes = changes
        self.setWindowTitle(title)
        self.setObjectName("quick-create")
        self.create = create
        self.created_id: int | None = None
        self.fields = {key: w for key, _label, w in fields}
        form = QFormLayout(self)
        for key, label, w in fields:
            w.setObjectName(f"new-{key}")
            form.addRow(label, w)
        self.error = QLabel()
        self.error.setObjectName("quick-create-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_colour()};")
        self.error.hide()
        form.addRow(self.error)
        buttons = ok_cancel(self, on_ok=self.save)
        form.addRow(buttons)
        self.setMinimumWidth(360)

    def values(self) -> dict:
        out = {}
        for key, w in self.fields.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentText().strip() if w.isEditable() else w.currentData()
            else:
                out[key] = w.text().strip()
        return out

    def save(self) -> None:
        def made(new_id: int) -> None:
            self.created_id = new_id
            self.accept()
        run_op(self, lambda: self.create(self.values()), changes=self.changes, success=made,
               on_error=self.refused, title=self.windowTitle())

    def refused(self, exc: DomainError) -> None:
        """Shown in the form, which stays open, with the field at fault focused."""
        self.error.setText(str(exc))
        self.error.show()
        field = getattr(exc, "field", None)
        if field in self.fields:
            self.fields[field].setFocus()


def _run(dlg: QuickCreateDialog) -> int | None:
    if dlg.exec() == QDialog.Accepted and dlg.created_id is not None:
        return dlg.created_id
    return None


def new_site(parent) -> int | None:
    name, code, ben = QLineEdit(), QLineEdit(), QLineEdit()
    code.setPlaceholderText("optional, e.g. LHS")
    ben.setPlaceholderText("E-Rate Billed Entity Number, optional")
    dlg = QuickCreateDialog(parent, "New site", [("name", "Name", name), ("code", "Code", code),
                                                 ("ben", "BEN", ben)],
                            lambda v: catalog.create_site(v["name"], v["code"] or None,
                                                          ben=v["ben"] or None).id,
                            Changes.LOCATIONS)
    return _run(dlg)


def new_room(parent, site_id: int, site_name: str) -> int | None:
    name = QLineEdit()
    name.setPlaceholderText("e.g. Room 214, Library")
    dlg = QuickCreateDialog(parent, f"New room at {site_name}", [("name", "Room", name)],
                            lambda v: catalog.create_location(site_id, v["name"]).id,
                            Changes.LOCATIONS)
    return _run(dlg)


def new_model(parent) -> int | None:
    name, number = QLineEdit(), QLineEdit()
    maker, category = QComboBox(), QComboBox()
    for box, names in ((maker, catalog.maker_names()), (category, catalog.category_names())):
        box.setEditable(True)
        box.addItem("")
        box.addItems(names)
        box.lineEdit().setPlaceholderText("choose or type a new one")
    number.setPlaceholderText("optional")
    dlg = QuickCreateDialog(
        parent, "New model",
        [("name", "Model", name), ("manufacturer", "Manufacturer", maker),
         ("category", "Category", category), ("model_number", "Model number", number)],
        lambda v: catalog.create_model(v["name"], manufacturer=v["manufacturer"] or None,
                                       category=v["category"] or None,
                                       model_number=v["model_number"] or None).id,
        Changes.CATALOG)
    return _run(dlg)


def new_supplier(parent) -> int | None:
    name, contact, phone, email, spin = (QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit(),
                                         QLineEdit())
    spin.setPlaceholderText("E-Rate service provider's FCC Form 498 ID, optional")
    dlg = QuickCreateDialog(
        parent, "New supplier",
        [("name", "Name", name), ("contact", "Contact", contact), ("phone", "Phone", phone),
         ("email", "Email", email), ("spin", "SPIN", spin)],
        lambda v: catalog.create_supplier(v["name"], contact=v["contact"] or None,
                                          phone=v["phone"] or None, email=v["email"] or None,
                                          spin=v["spin"] or None).id,
        Changes.CATALOG)
    return _run(dlg)
