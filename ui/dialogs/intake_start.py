"""Start an intake: what every device of this delivery shares.

The model (picked, or created here with its maker and category), PO,
supplier, purchase date, unit cost, funding (general, E-Rate FRN and funding
year, a grant), destination room, warranty end, the quantity on the PO, the
label stock (a roll prints each label at once, a sheet when it is full), and
whether the devices come with pre-printed tag labels. ``intake.start``
validates; a refusal keeps the dialog open with the message by the field.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QRadioButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.models import HardwareModel, Manufacturer, Supplier
from app.services import catalog, intake, settings
from app.services.errors import DomainError, ValidationError
from reports import labels
from app.models.common import FUNDING_TYPES
from ui import theme
from ui.ops import Changes, run_op
from ui.widgets.buttons import ok_cancel

NEW_MODEL = -1


class IntakeStartDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New intake — receive a delivery")
        self.session = None
        self.setMinimumWidth(560)

        self.model = QComboBox()
        self.model.setObjectName("intake-model")
        self.model.setMinimumContentsLength(30)
        q = (HardwareModel.select(HardwareModel.id, HardwareModel.name, Manufacturer.name)
             .join(Manufacturer, on=(HardwareModel.manufacturer == Manufacturer.id),
                   join_type=pw.JOIN.LEFT_OUTER).order_by(Manufacturer.name, HardwareModel.name).tuples())
        # No model is chosen for the user: a delivery received as the wrong
        # model means relabelling every device.
        self.model.addItem("Choose the model…", None)
        for mid, name, maker in q:
            self.model.addItem(f"{maker} {name}" if maker else name, mid)
        self.model.addItem("New model…", NEW_MODEL)
        self.new_box = QGroupBox("New model")
        self.new_name = QLineEdit()
        self.new_name.setObjectName("intake-new-model")
        self.new_maker = QComboBox()
        self.new_maker.setEditable(True)
        self.new_maker.addItems([""] + catalog.maker_names())
        self.new_category = QComboBox()
        self.new_category.setEditable(True)
        self.new_category.addItems(catalog.category_names())
        self.new_number = QLineEdit()
        self.new_pattern = QLineEdit()
        self.new_pattern.setPlaceholderText(r"optional, e.g. ^5CD[A-Z0-9]{7}$")
        nf = QFormLayout(self.new_box)
        nf.addRow("Name", self.new_name)
        nf.addRow("Manufacturer", self.new_maker)
        nf.addRow("Category", self.new_category)
        nf.addRow("Model number", self.new_number)
        nf.addRow("Serial pattern", self.new_pattern)
        self.model.currentIndexChanged.connect(self._model_changed)

        self.po = QLineEdit()
        self.po.setObjectName("intake-po")
        self.supplier = QComboBox()
        self.supplier.setEditable(True)
        self.supplier.setObjectName("intake-supplier")
        self.supplier.addItems([""] + [s for (s,) in Supplier.select(Supplier.name)
                                       .order_by(Supplier.name).tuples()])
        self.purchase_date = QLineEdit(dt.date.today().isoformat())
        self.purchase_date.setObjectName("intake-date")
        self.cost = QLineEdit()
        self.cost.setObjectName("intake-cost")
        self.cost.setPlaceholderText("unit cost, e.g. 279.00")
        self.warranty = QLineEdit()
        self.warranty.setObjectName("intake-warranty")
        self.warranty.setPlaceholderText("YYYY-MM-DD (optional)")

        self.funding = QComboBox()
        self.funding.setObjectName("intake-funding")
        for key, text in FUNDING_TYPES.items():
            self.funding.addItem(text, key)
        self.frn = QLineEdit()
        self.frn.setObjectName("intake-frn")
        self.frn.setPlaceholderText("FRN")
        self.funding_year = QSpinBox()
        self.funding_year.setObjectName("intake-fy")
        self.funding_year.setRange(1998, 2100)
        self.funding_year.setPrefix("FY ")
        self.funding_year.setValue(dt.date.today().year + (1 if dt.date.today().month >= 7 else 0))
        self.grant = QLineEdit()
        self.grant.setObjectName("intake-grant")
        self.grant.setPlaceholderText("grant name")
        fund_row = QHBoxLayout()
        for w in (self.funding, self.frn, self.funding_year, self.grant):
            fund_row.addWidget(w)
        self.funding.currentIndexChanged.connect(self._funding_changed)

        self.site = QComboBox()
        self.site.setObjectName("intake-site")
        self.site.addItem("—", None)
        for sid, name in catalog.site_choices():
            self.site.addItem(name, sid)
        self.room = QComboBox()
        self.room.setObjectName("intake-room")
        self.site.currentIndexChanged.connect(self._load_rooms)
        place_row = QHBoxLayout()
        place_row.addWidget(self.site, 1)
        place_row.addWidget(self.room, 1)

        self.expected = QLineEdit()
        self.expected.setObjectName("intake-expected")
        self.expected.setValidator(QIntValidator(0, 100_000, self.expected))
        self.expected.setPlaceholderText("how many the PO orders (optional)")
        self.template = QComboBox()
        self.template.setObjectName("intake-template")
        default = settings.get("default_label_template")
        for t in labels.list_templates():
            how = "sheet: printed when full" if t.is_sheet else "roll: each label at once"
            self.template.addItem(f"{t.title} ({how})", t.name)
        self.template.setCurrentIndex(max(0, self.template.findData(default)))

        self.mode_new = QRadioButton("New tags: the next tag for each device, its label printed as we go")
        self.mode_new.setObjectName("intake-mode-new")
        self.mode_pre = QRadioButton("Pre-printed tags: scan the serial, then the tag label "
                                     "already on the device")
        self.mode_pre.setObjectName("intake-mode-preprinted")
        self.mode_new.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.mode_new)
        group.addButton(self.mode_pre)
        mode = QWidget()
        ml = QVBoxLayout(mode)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.mode_new)
        ml.addWidget(self.mode_pre)

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("", self.new_box)
        form.addRow("Purchase order", self.po)
        form.addRow("Supplier", self.supplier)
        form.addRow("Purchase date", self.purchase_date)
        form.addRow("Unit cost", self.cost)
        form.addRow("Funding", fund_row)
        form.addRow("Destination (site, room)", place_row)
        form.addRow("Warranty end", self.warranty)
        form.addRow("Quantity on the PO", self.expected)
        form.addRow("Label stock", self.template)
        form.addRow("Tags", mode)
        self.error = QLabel()
        self.error.setObjectName("intake-start-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"{theme.text_style('error')} font-weight: 600;")
        buttons = ok_cancel(self, "Start receiving")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self._fields = {"model_id": self.model, "order_number": self.po, "supplier_id": self.supplier,
                        "purchase_date": self.purchase_date, "cost": self.cost,
                        "funding_type": self.funding, "funding_name": self.grant,
                        "erate_frn": self.frn, "erate_funding_year": self.funding_year,
                        "location_id": self.room, "warranty_end": self.warranty,
                        "expected_qty": self.expected}
        self._model_changed()
        self._funding_changed()
        self._load_rooms()

    def _model_changed(self, *_):
        self.new_box.setVisible(self.model.currentData() == NEW_MODEL)

    def _funding_changed(self, *_):
        key = self.funding.currentData()
        self.frn.setVisible(key == "erate")
        self.funding_year.setVisible(key == "erate")
        self.grant.setVisible(key == "grant")

    def _load_rooms(self, *_):
        self.room.clear()
        sid = self.site.currentData()
        self.room.addItem("—" if sid is None else "(no room)", None)
        if sid is None:
            return
        for lid, name in catalog.room_choices(sid):
            self.room.addItem(name, lid)

    def values(self) -> dict:
        key = self.funding.currentData()
        values = {"order_number": self.po.text().strip(),
                  "purchase_date": self.purchase_date.text().strip() or None,
                  "cost": self.cost.text().strip() or None,
                  "warranty_end": self.warranty.text().strip() or None,
                  "funding_type": key,
                  "funding_name": self.grant.text().strip() or None if key == "grant" else None,
                  "erate_frn": self.frn.text().strip() or None if key == "erate" else None,
                  "erate_funding_year": self.funding_year.value() if key == "erate" else None,
                  "location_id": self.room.currentData(),
                  "expected_qty": int(self.expected.text() or 0) or None,
                  "label_template": self.template.currentData(),
                  "preprinted_tags": self.mode_pre.isChecked()}
        supplier = self.supplier.currentText().strip()
        if supplier:
            values["supplier"] = supplier
        if self.model.currentData() == NEW_MODEL:
            values["new_model"] = {"name": self.new_name.text().strip(),
                                   "manufacturer": self.new_maker.currentText().strip() or None,
                                   "category": self.new_category.currentText().strip() or None,
                                   "model_number": self.new_number.text().strip() or None,
                                   "serial_pattern": self.new_pattern.text().strip() or None}
        else:
            values["model_id"] = self.model.currentData()
        return values

    def accept(self):
        for w in self._fields.values():
            w.setStyleSheet("")
        if self.model.currentData() is None:
            self._refuse(ValidationError("Choose the model of the devices being received "
                                         "(or New model…).", field="model_id"))
            return
        if self.model.currentData() == NEW_MODEL and not self.new_name.text().strip():
            self._refuse(ValidationError("Give the new model a name.", field="model_id"))
            return
        if self.site.currentData() is not None and self.room.currentData() is None:
            self._refuse(ValidationError(f"Pick the room at {self.site.currentText()} the devices "
                                         "go to (a storage room is fine).", field="location_id"))
            return
        values = self.values()

        def started(session) -> None:
            self.session = session
            super(IntakeStartDialog, self).accept()
        run_op(self, lambda: intake.start(values), changes=Changes.INTAKE, success=started,
               title="New intake")

    def show_op_error(self, exc: DomainError) -> bool:
        self._refuse(exc)
        return True

    def _refuse(self, exc: DomainError) -> None:
        self.error.setText(str(exc))
        fields = getattr(exc, "errors", None) or {}
        for key in fields or ([exc.field] if getattr(exc, "field", None) else []):
            w = self._fields.get(key)
            if w is not None:
                w.setStyleSheet(f"border: 2px solid {theme.colour('error')};")
                w.setToolTip(fields.get(key, str(exc)))
