"""The supply item editor: name, part number, box barcode, category, unit,
reorder point and target, bin, unit cost, supplier, and the printer models
it fits. Quantities change only through receive / issue / count.

    edit_supply(parent, None)  /  edit_supply(parent, supply_id)  -> id or None
"""
from __future__ import annotations

import peewee as pw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QListWidget, QListWidgetItem, QPlainTextEdit, QSpinBox

from app.models.common import SUPPLY_CATEGORIES
from app.services import stock
from ui.dialogs.stock_forms import FormDialog
from ui.models.table import display
from ui.ops import Changes


def printer_models(include: set[int]) -> list[tuple[int, str]]:
    """Models a supply can fit: printers and projectors, plus any already chosen."""
    from app.models import Category, HardwareModel, Manufacturer
    q = (HardwareModel.select(HardwareModel.id, HardwareModel.name, Manufacturer.name)
         .join(Category, join_type=pw.JOIN.LEFT_OUTER, on=(HardwareModel.category == Category.id))
         .join_from(HardwareModel, Manufacturer, join_type=pw.JOIN.LEFT_OUTER,
                    on=(HardwareModel.manufacturer == Manufacturer.id))
         .where(Category.kind.in_(["printer", "projector"]) | HardwareModel.id.in_(list(include) or [0]))
         .order_by(Manufacturer.name, HardwareModel.name))
    return [(i, f"{maker} {name}" if maker else name) for i, name, maker in q.tuples()]


class SupplyEditor(FormDialog):
    TITLE = "Supply item"
    CHANGES = Changes.SUPPLIES

    def __init__(self, supply_id: int | None = None, parent=None):
        super().__init__(parent)
        self.supply_id = supply_id
        self.setObjectName("supply-editor")
        self.setMinimumWidth(480)
        self.add_field("name", "Item", placeholder="e.g. HP 58A Black Toner")
        self.add_field("part_number", "Part number")
        self.add_field("barcode", "Box barcode", placeholder="scan the box (UPC/EAN)")
        cat = self.add_field("category", "Category", QComboBox())
        for key, label in SUPPLY_CATEGORIES.items():
            cat.addItem(label, key)
        self.add_field("unit", "Unit", placeholder="each, case, box…")
        for key, label in (("reorder_point", "Reorder point"), ("target", "Stock up to")):
            s = self.add_field(key, label, QSpinBox())
            s.setRange(0, 10_000_000)
        self.add_field("bin", "Bin")
        self.add_field("unit_cost", "Unit cost", placeholder="0.00")
        sup = self.add_field("supplier_id", "Supplier", QComboBox())
        from app.models import Supplier
        sup.addItem("", None)
        for sid, name in Supplier.select(Supplier.id, Supplier.name).order_by(Supplier.name).tuples():
            sup.addItem(name, sid)
        self.fits = self.add_field("fits", "Fits", QListWidget())
        self.fits.setMaximumHeight(130)
        notes = self.add_field("notes", "Notes", QPlainTextEdit())
        notes.setFixedHeight(50)
        self.add_field("active", "", QCheckBox("Active (uncheck for items no longer stocked)"))
        self.widgets["active"].setChecked(True)
        chosen: set[int] = set()
        if supply_id:
            chosen = self._load(supply_id)
        else:
            self.setWindowTitle("New supply item")
            self.widgets["unit"].setText("each")
        for mid, name in printer_models(chosen):
            li = QListWidgetItem(name)
            li.setData(Qt.UserRole, mid)
            li.setFlags(li.flags() | Qt.ItemIsUserCheckable)
            li.setCheckState(Qt.Checked if mid in chosen else Qt.Unchecked)
            self.fits.addItem(li)

    def _load(self, supply_id: int) -> set[int]:
        from app.models import SupplyFit
        item = stock.get(supply_id)
        self.setWindowTitle(f"Supply item — {item.name}")
        for key in ("name", "part_number", "barcode", "unit", "bin"):
            self.widgets[key].setText(getattr(item, key) or "")
        self.widgets["unit_cost"].setText(display(item.unit_cost).replace(",", ""))
        self.widgets["reorder_point"].setValue(item.reorder_point or 0)
        self.widgets["target"].setValue(item.target or 0)
        self.widgets["category"].setCurrentIndex(max(0, self.widgets["category"].findData(item.category)))
        self.widgets["supplier_id"].setCurrentIndex(
            max(0, self.widgets["supplier_id"].findData(item.supplier_id)))
        self.widgets["notes"].setPlainText(item.notes or "")
        self.widgets["active"].setChecked(bool(item.active))
        return {m for (m,) in SupplyFit.select(SupplyFit.model)
                .where(SupplyFit.supply == supply_id).tuples()}

    def chosen_models(self) -> list[int]:
        return [self.fits.item(i).data(Qt.UserRole) for i in range(self.fits.count())
                if self.fits.item(i).checkState() == Qt.Checked]

    def values(self) -> dict:
        v = {k: self.value(k) for k in ("name", "part_number", "barcode", "category", "unit",
                                        "reorder_point", "target", "bin", "unit_cost",
                                        "supplier_id", "notes", "active")}
        return {k: (val if val != "" else None) for k, val in v.items()}

    def apply(self):
        v = self.values()
        if self.supply_id is None:
            return stock.create(fits=self.chosen_models(), **v)
        return stock.update(self.supply_id, v, fits=self.chosen_models())


def edit_supply(parent, supply_id: int | None) -> int | None:
    dlg = SupplyEditor(supply_id, parent)
    if dlg.exec() and dlg.result_value is not None:
        return dlg.result_value.id
    return None
