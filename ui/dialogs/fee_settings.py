"""Settings → Fees, prices and kits: first-incident forgiveness and
insurance rules, the damage price list, and each model's kit (parts, their
cost) and replacement cost. Every change goes through a service with run_op."""
from __future__ import annotations

import html
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.models.program import DAMAGE_KINDS
from app.services import fees, kits, prices, settings
from ui import theme
from ui.ops import Changes, run_op


class FeeSettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fees, prices and kits")
        self.setObjectName("fee-settings")
        self.message = QLabel()
        self.message.setObjectName("fee-settings-message")
        self.message.setWordWrap(True)
        self.models = prices.model_choices()
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self._rules_box(), 1)
        top.addWidget(self._kit_box(), 1)
        lay.addLayout(top)
        lay.addWidget(self._price_box(), 1)
        lay.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.load_rules()
        self.load_prices()
        self.load_kit()
        self.resize(980, 680)

    # --- showing results ------------------------------------------------------------

    def show_op_error(self, exc) -> bool:
        self.message.setText(theme.coloured(html.escape(str(exc))))
        return True

    def _ok(self, text: str) -> None:
        self.message.setText(theme.coloured(html.escape(text), "ok"))

    # --- rules ----------------------------------------------------------------------

    def _rules_box(self) -> QGroupBox:
        box = QGroupBox("Forgiveness and insurance")
        f = QFormLayout(box)
        self.forgive = QCheckBox("Forgive a student's first incident")
        self.forgive.setObjectName("fees_forgive_first")
        self.scope = QComboBox()
        self.scope.setObjectName("fees_forgive_scope")
        for key, label in fees.FORGIVE_SCOPES.items():
            self.scope.addItem(label, key)
        self.forgive_parts = QCheckBox("A missing kit part is an incident too")
        self.forgive_parts.setObjectName("fees_forgive_parts")
        self.insurance = QComboBox()
        self.insurance.setObjectName("fees_insurance")
        for key, label in fees.INSURANCE_MODES.items():
            self.insurance.addItem(label, key)
        self.deductible = QDoubleSpinBox()
        self.deductible.setObjectName("fees_insurance_deductible")
        self.deductible.setRange(0, 10_000)
        self.deductible.setDecimals(2)
        self.deductible.setPrefix("$ ")
        note = QLabel("A school year is the fiscal year. Insurance covers damage and a lost "
                      "device for students insured through the day it happened; a missing "
                      "charger or case is charged at its price.")
        note.setWordWrap(True)
        note.setStyleSheet(theme.text_style("muted"))
        save = QPushButton("Save rules")
        save.setObjectName("save-fee-rules")
        save.clicked.connect(self.save_rules)
        f.addRow(self.forgive)
        f.addRow("Counted", self.scope)
        f.addRow(self.forgive_parts)
        f.addRow("Insurance", self.insurance)
        f.addRow("Deductible", self.deductible)
        f.addRow(note)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(save)
        f.addRow(row)
        return box

    def load_rules(self) -> None:
        r = fees.rules()
        self.forgive.setChecked(r["forgive_first"])
        self.scope.setCurrentIndex(max(0, self.scope.findData(r["forgive_scope"])))
        self.forgive_parts.setChecked(r["forgive_parts"])
        self.insurance.setCurrentIndex(max(0, self.insurance.findData(r["insurance"])))
        self.deductible.setValue(float(r["deductible"]))

    def save_rules(self) -> None:
        values = {"fees_forgive_first": self.forgive.isChecked(),
                  "fees_forgive_scope": self.scope.currentData(),
                  "fees_forgive_parts": self.forgive_parts.isChecked(),
                  "fees_insurance": self.insurance.currentData(),
                  "fees_insurance_deductible": f"{self.deductible.value():.2f}"}
        run_op(self, lambda: settings.update(values), changes=Changes.SETTINGS | Changes.FEES,
               success=lambda _r: self._ok("Rules saved."), title="Fee rules")

    # --- price list -----------------------------------------------------------------

    def _price_box(self) -> QGroupBox:
        box = QGroupBox("Price list")
        v = QVBoxLayout(box)
        self.price_table = QTableWidget(0, 3)
        self.price_table.setObjectName("price-table")
        self.price_table.setHorizontalHeaderLabels(["Part", "Model", "Amount"])
        self.price_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.price_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.price_table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.price_table.verticalHeader().setVisible(False)
        self.price_table.verticalHeader().setDefaultSectionSize(24)
        self.price_table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.price_table.horizontalHeader().setStretchLastSection(True)
        self.price_table.setColumnWidth(0, 200)
        self.price_table.setColumnWidth(1, 260)
        self.price_table.itemSelectionChanged.connect(self._price_picked)
        v.addWidget(self.price_table, 1)
        row = QHBoxLayout()
        self.price_part = QComboBox()
        self.price_part.setObjectName("price-part")
        self.price_part.setEditable(True)
        self.price_model = QComboBox()
        self.price_model.setObjectName("price-model")
        self.price_model.addItem("Every model", None)
        for mid, label in self.models:
            self.price_model.addItem(label, mid)
        self.price_amount = QLineEdit()
        self.price_amount.setObjectName("price-amount")
        self.price_amount.setPlaceholderText("amount, e.g. 45.00")
        set_btn = QPushButton("Set price")
        set_btn.setObjectName("set-price")
        set_btn.clicked.connect(self.set_price)
        self.remove_price_btn = QPushButton("Remove price")
        self.remove_price_btn.setObjectName("remove-price")
        self.remove_price_btn.clicked.connect(self.remove_price)
        self.remove_price_btn.setEnabled(False)
        for w, stretch in ((self.price_part, 1), (self.price_model, 2), (self.price_amount, 1),
                           (set_btn, 0), (self.remove_price_btn, 0)):
            row.addWidget(w, stretch)
        v.addLayout(row)
        return box

    def _fill_parts(self) -> None:
        current = self.price_part.currentText()
        self.price_part.clear()
        for key, label in DAMAGE_KINDS.items():
            self.price_part.addItem(label, key)
        self.price_part.addItem(prices.part_label("device"), "device")
        from app.models import KitPart
        names = sorted({n for (n,) in KitPart.select(KitPart.name).tuples()}
                       | set(prices.part_names(None)), key=str.lower)
        for name in names:
            if name.lower() not in DAMAGE_KINDS and name.lower() != "device" \
                    and self.price_part.findData(name) < 0:
                self.price_part.addItem(name, name)
        if current:
            self.price_part.setCurrentText(current)

    def load_prices(self) -> None:
        self._fill_parts()
        self.price_rows = prices.price_list()
        self.price_table.setRowCount(len(self.price_rows))
        for i, r in enumerate(self.price_rows):
            amount = QTableWidgetItem(f"{r['amount']:,.2f}")
            amount.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            for col, item in enumerate((QTableWidgetItem(r["label"]), QTableWidgetItem(r["model"]),
                                        amount)):
                self.price_table.setItem(i, col, item)
        self.remove_price_btn.setEnabled(False)

    def _selected_price(self) -> dict | None:
        rows = {i.row() for i in self.price_table.selectedIndexes()}
        return self.price_rows[rows.pop()] if len(rows) == 1 else None

    def _price_picked(self) -> None:
        r = self._selected_price()
        self.remove_price_btn.setEnabled(r is not None)
        if r is None:
            return
        i = self.price_part.findData(r["part"])
        if i >= 0:
            self.price_part.setCurrentIndex(i)
        else:
            self.price_part.setCurrentText(r["part"])
        self.price_model.setCurrentIndex(max(0, self.price_model.findData(r["model_id"])))
        self.price_amount.setText(f"{r['amount']:.2f}")

    def _part(self) -> str:
        text = self.price_part.currentText().strip()
        i = self.price_part.findText(text)
        return self.price_part.itemData(i) if i >= 0 and self.price_part.itemData(i) else text

    def set_price(self) -> None:
        part, model_id, amount = self._part(), self.price_model.currentData(), \
            self.price_amount.text().strip()
        if not amount:
            self.show_op_error("Give the amount (Remove price takes a price off the list).")
            self.price_amount.setFocus()
            return
        run_op(self, lambda: prices.set_price(part, amount, model_id=model_id),
               changes=Changes.FEES, success=lambda _r: (self.load_prices(),
                                                         self._ok("Price set.")),
               title="Price list")

    def remove_price(self) -> None:
        r = self._selected_price()
        if r is None:
            return
        run_op(self, lambda: prices.set_price(r["part"], None, model_id=r["model_id"]),
               changes=Changes.FEES, success=lambda _r: (self.load_prices(),
                                                         self._ok("Price removed.")),
               title="Price list")

    # --- kits -----------------------------------------------------------------------

    def _kit_box(self) -> QGroupBox:
        box = QGroupBox("A model's kit and replacement cost")
        v = QVBoxLayout(box)
        f = QFormLayout()
        self.kit_model = QComboBox()
        self.kit_model.setObjectName("kit-model")
        self.kit_model.setMinimumContentsLength(18)
        self.kit_model.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        for mid, label in self.models:
            self.kit_model.addItem(label, mid)
        with_kit = next((mid for mid, _l in self.models if kits.has_kit(mid)), None)
        if with_kit:  # start on a model that has a kit: what there is to see
            self.kit_model.setCurrentIndex(self.kit_model.findData(with_kit))
        self.kit_model.currentIndexChanged.connect(self.load_kit)
        self.replacement = QLineEdit()
        self.replacement.setObjectName("kit-replacement-cost")
        self.replacement.setPlaceholderText("what a new one costs (a lost device's fee)")
        f.addRow("Model", self.kit_model)
        f.addRow("Replacement cost", self.replacement)
        v.addLayout(f)
        self.kit_table = QTableWidget(0, 3)
        self.kit_table.setObjectName("kit-table")
        self.kit_table.setHorizontalHeaderLabels(["Part", "Qty", "Cost if missing"])
        self.kit_table.verticalHeader().setVisible(False)
        self.kit_table.verticalHeader().setDefaultSectionSize(24)
        self.kit_table.horizontalHeader().setStretchLastSection(True)
        self.kit_table.setColumnWidth(0, 160)
        self.kit_table.setColumnWidth(1, 50)
        v.addWidget(self.kit_table, 1)
        row = QHBoxLayout()
        add = QPushButton("Add part")
        add.setObjectName("add-kit-part")
        add.clicked.connect(self.add_part_row)
        remove = QPushButton("Remove part")
        remove.setObjectName("remove-kit-part")
        remove.clicked.connect(self.remove_part_row)
        save = QPushButton("Save kit")
        save.setObjectName("save-kit")
        save.clicked.connect(self.save_kit)
        self.save_kit_btn = save
        for w in (add, remove):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(save)
        v.addLayout(row)
        if not self.models:
            for w in (add, remove, save, self.replacement):
                w.setEnabled(False)
        return box

    def load_kit(self, *_args) -> None:
        model_id = self.kit_model.currentData()
        self.kit_table.setRowCount(0)
        if not model_id:
            self.replacement.clear()
            return
        model = kits.get_model(model_id)
        self.replacement.setText(f"{model.replacement_cost:.2f}"
                                 if model.replacement_cost is not None else "")
        for part in kits.parts_of(model_id):
            self.add_part_row(part.name, part.quantity, part.cost)

    def add_part_row(self, name: str = "", qty: int = 1, cost: Decimal | None = None) -> None:
        if not isinstance(name, str):  # clicked(bool)
            name, qty, cost = "", 1, None
        i = self.kit_table.rowCount()
        self.kit_table.insertRow(i)
        self.kit_table.setItem(i, 0, QTableWidgetItem(name))
        self.kit_table.setItem(i, 1, QTableWidgetItem(str(qty)))
        self.kit_table.setItem(i, 2, QTableWidgetItem(f"{cost:.2f}" if cost is not None else ""))
        if not name:
            self.kit_table.setCurrentCell(i, 0)

    def remove_part_row(self) -> None:
        rows = sorted({i.row() for i in self.kit_table.selectedIndexes()}
                      | ({self.kit_table.currentRow()} if self.kit_table.currentRow() >= 0 else set()),
                      reverse=True)
        for r in rows:
            self.kit_table.removeRow(r)

    def kit_rows(self) -> list[tuple[str, str, str]]:
        out = []
        for r in range(self.kit_table.rowCount()):
            cells = [(self.kit_table.item(r, c).text().strip() if self.kit_table.item(r, c) else "")
                     for c in range(3)]
            if any(cells):
                out.append((cells[0], cells[1] or "1", cells[2]))
        return out

    def save_kit(self) -> None:
        model_id = self.kit_model.currentData()
        if not model_id:
            return
        parts, cost = self.kit_rows(), self.replacement.text().strip()
        label = self.kit_model.currentText()
        run_op(self, lambda: kits.save_kit(model_id, parts, cost),
               changes=Changes.FEES | Changes.CATALOG,
               success=lambda _r: (self.load_kit(), self.load_prices(),
                                   self._ok(f"Kit of {label} saved.")),
               title="Kit")


def open_fee_settings(parent: QWidget | None) -> None:
    FeeSettingsDialog(parent).exec()
