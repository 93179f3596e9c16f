"""The license editor: product, version, vendor, seats or site license,
over-allocation allowed, dates, cost and the product key.

The key is never put in the form in clear: an existing key shows masked, and
typing in the box replaces it; "Reveal" on the Licenses page shows it (and
writes that to history).

    from ui.dialogs.license_editor import edit_license
    edit_license(parent, None)        # new; returns the id or None
    edit_license(parent, license_id)
"""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QPlainTextEdit, QSpinBox

from app.services import licenses
from ui.dialogs.stock_forms import FormDialog
from ui.models.table import display
from ui.ops import Changes


class LicenseEditor(FormDialog):
    TITLE = "License"
    CHANGES = Changes.LICENSES

    def __init__(self, license_id: int | None = None, parent=None):
        super().__init__(parent)
        self.license_id = license_id
        self.setObjectName("license-editor")
        self.setMinimumWidth(480)
        self.add_field("product", "Product", placeholder="e.g. Adobe Creative Cloud")
        self.add_field("version", "Version")
        self.add_field("vendor", "Vendor")
        sup = self.add_field("supplier_id", "Bought from", QComboBox())
        from app.models import Supplier
        sup.addItem("", None)
        for sid, name in Supplier.select(Supplier.id, Supplier.name).order_by(Supplier.name).tuples():
            sup.addItem(name, sid)
        seats = self.add_field("seats", "Seats owned", QSpinBox())
        seats.setRange(0, 10_000_000)
        seats.setGroupSeparatorShown(True)
        site = self.add_field("site_license", "", QCheckBox("Site license (no seat limit)"))
        site.toggled.connect(lambda on: seats.setEnabled(not on))
        self.add_field("allow_over", "", QCheckBox(
            "Allow more seats than owned (shown as a compliance problem)"))
        self.add_field("purchase_date", "Purchased", placeholder="YYYY-MM-DD or 1/23/2025")
        self.add_field("expiry_date", "Expires", placeholder="blank if perpetual")
        self.add_field("cost", "Cost", placeholder="0.00")
        self.add_field("order_number", "PO number")
        self.add_field("licensed_to", "Licensed to")
        self.add_field("product_key", "Product key", placeholder="e.g. 7K2Q9-M4T8P-R3W6D")
        notes = self.add_field("notes", "Notes", QPlainTextEdit())
        notes.setFixedHeight(60)
        if license_id:
            self._load(license_id)
        else:
            self.setWindowTitle("New license")

    def _load(self, license_id: int) -> None:
        lic = licenses.get(license_id)
        self.version_no = lic.version_no
        self.setWindowTitle(f"License — {lic}")
        for key in ("product", "version", "vendor", "order_number", "licensed_to"):
            self.widgets[key].setText(getattr(lic, key) or "")
        for key in ("purchase_date", "expiry_date", "cost"):
            self.widgets[key].setText(display(getattr(lic, key)).replace(",", ""))
        self.widgets["seats"].setValue(lic.seats or 0)
        self.widgets["site_license"].setChecked(bool(lic.site_license))
        self.widgets["allow_over"].setChecked(bool(lic.allow_over))
        i = self.widgets["supplier_id"].findData(lic.supplier_id)
        self.widgets["supplier_id"].setCurrentIndex(max(i, 0))
        self.widgets["notes"].setPlainText(lic.notes or "")
        shape = licenses.masked(lic.id)
        if shape:
            self.widgets["product_key"].setPlaceholderText(f"{shape}  (type to replace)")

    def values(self) -> dict:
        v = {k: self.value(k) for k in ("product", "version", "vendor", "supplier_id",
                                        "site_license", "allow_over", "purchase_date",
                                        "expiry_date", "cost", "order_number", "licensed_to",
                                        "notes")}
        # 0 seats reads as "not given": the service then asks for a count or a site license
        v["seats"] = None if v["site_license"] else (self.value("seats") or None)
        key = self.value("product_key")
        if key:
            v["product_key"] = key
        return {k: (val if val != "" else None) for k, val in v.items()}

    def apply(self):
        v = self.values()
        if self.license_id:
            return licenses.update(self.license_id, v, expected_version=self.version_no)
        return licenses.create(**v)


def edit_license(parent, license_id: int | None) -> int | None:
    dlg = LicenseEditor(license_id, parent)
    if dlg.exec() and dlg.result_value is not None:
        return dlg.result_value.id
    return None
