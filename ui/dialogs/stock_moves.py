"""Receive, issue, count and move supplies between bins.

Each dialog takes scans: a box's barcode picks the item; in Issue, a
printer's tag (or a badge, or a room label) says where it goes, and for a
printer the supplies that fit it are listed with what is on hand.

    ReceiveDialog(parent, supply_id=None)
    IssueDialog(parent, supply_id=None, to_code=None)
    CountDialog(parent, supply_id)
    TransferDialog(parent, supply_id)
    open_printer_supplies(parent, asset_id)   # "what does this printer take?"
"""
from __future__ import annotations

import peewee as pw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSpinBox

from app.services import catalog, stock
from app.services.errors import NotFound, ValidationError
from ui import theme
from ui.dialogs.stock_forms import FormDialog, LookupEdit, warn_style
from ui.ops import Changes


def describe_item(text: str) -> tuple[int, str]:
    item = stock.require(text)
    bits = [f"{item.on_hand:,} on hand"]
    if item.bin:
        bits.append(f"bin {item.bin}")
    if item.on_hand <= item.reorder_point:
        bits.append(f"at or below reorder point {item.reorder_point}")
    return item.id, f"{item.name} ({item.part_number or 'no part number'}) — " + ", ".join(bits)


def describe_recipient(text: str) -> tuple[dict, str]:
    from app.models import Asset, HardwareModel, Person
    to = stock.find_recipient(text)
    if "asset_id" in to:
        tag, name, model = (Asset.select(Asset.tag, Asset.name, HardwareModel.name)
                            .join(HardwareModel, on=(Asset.model == HardwareModel.id),
                                  join_type=pw.JOIN.LEFT_OUTER)
                            .where(Asset.id == to["asset_id"]).tuples().first())
        label = name if name and name != model else ""
        return to, " ".join(x for x in ("Printer", tag, label, f"({model or 'no model'})") if x)
    if "person_id" in to:
        p = Person.get_by_id(to["person_id"])
        return to, f"{p.full_name} ({p.kind}, {p.id_number or 'no ID'})"
    return to, f"Room {catalog.location_path(to['location_id'])}"


def _item_text(supply_id: int) -> str:
    item = stock.get(supply_id)
    return item.barcode or item.part_number or item.name


class _ItemDialog(FormDialog):
    CHANGES = Changes.SUPPLIES

    def __init__(self, parent=None, supply_id: int | None = None):
        super().__init__(parent)
        self.item = LookupEdit(describe_item)
        self.add_field("item", "Item", self.item,
                       placeholder="Scan the box, or type barcode / part number / name")
        self.form.addRow("", self.item.note)
        if supply_id:
            self.item.setText(_item_text(supply_id))

    def supply_id(self) -> int:
        if self.item.resolved is None:
            raise ValidationError(self.item.note.text() or "Scan or type the item.", field="item")
        return self.item.resolved

    def _qty(self, label: str = "Quantity", minimum: int = 1) -> QSpinBox:
        q = QSpinBox()
        q.setRange(minimum, 1_000_000)
        q.setValue(max(minimum, 1))
        q.setGroupSeparatorShown(True)
        return self.add_field("qty", label, q)

    def handle_scan(self, code: str) -> bool:
        if stock.find(code) is not None:
            self.item.setText(code.strip())
            return True
        return False


class ReceiveDialog(_ItemDialog):
    TITLE = "Receive stock"

    def __init__(self, parent=None, supply_id: int | None = None):
        super().__init__(parent, supply_id)
        self.setObjectName("receive-dialog")
        self._qty()
        self.add_field("cost", "Unit cost", placeholder="optional, e.g. 89.50")
        self.add_field("po", "PO number", placeholder="optional")

    def apply(self):
        return stock.receive(self.supply_id(), self.value("qty"),
                             unit_cost=self.value("cost") or None,
                             order_number=self.value("po") or None)


class IssueDialog(_ItemDialog):
    TITLE = "Issue stock"

    def __init__(self, parent=None, supply_id: int | None = None, to_code: str | None = None):
        super().__init__(parent, supply_id)
        self.setObjectName("issue-dialog")
        self.setMinimumWidth(520)
        self._qty()
        self.to = LookupEdit(describe_recipient)
        self.add_field("to", "To", self.to,
                       placeholder="Scan a printer's tag, a badge or a room label; or type")
        self.form.addRow("", self.to.note)
        self.fits_title = QLabel()
        self.fits_title.setObjectName("fits-title")
        self.fits = QListWidget()
        self.fits.setObjectName("fits-list")
        self.fits.setMaximumHeight(140)
        self.fits.itemActivated.connect(self._pick_fit)
        self.fits.itemClicked.connect(self._pick_fit)
        self.form.addRow(self.fits_title)
        self.form.addRow(self.fits)
        self.add_field("reason", "Note", placeholder="optional")
        self.to.textChanged.connect(lambda _t: self._show_fits())
        if to_code:
            self.to.setText(to_code)
        self._show_fits()

    def _show_fits(self) -> None:
        self.fits.clear()
        to = self.to.resolved or {}
        if "asset_id" not in to:
            self.fits_title.hide()
            self.fits.hide()
            return
        rows = stock.fitting(to["asset_id"])
        self.fits_title.setText("What this printer takes (click to choose):" if rows else
                                "No supply item is recorded as fitting this printer's model.")
        self.fits_title.setStyleSheet("" if rows else warn_style())
        self.fits_title.show()
        self.fits.setVisible(bool(rows))
        for r in rows:
            li = QListWidgetItem(f"{r['name']} ({r['part_number'] or '-'}) — {r['on_hand']:,} on hand"
                                 + (f", bin {r['bin']}" if r["bin"] else "")
                                 + ("  · low" if r["low"] else ""))
            li.setData(Qt.UserRole, r["id"])
            if r["on_hand"] == 0:
                li.setForeground(theme.brush("error"))
            self.fits.addItem(li)
        if len(rows) == 1 and self.item.resolved is None:
            self.item.setText(_item_text(rows[0]["id"]))

    def _pick_fit(self, li: QListWidgetItem) -> None:
        self.item.setText(_item_text(li.data(Qt.UserRole)))

    def handle_scan(self, code: str) -> bool:
        if super().handle_scan(code):
            return True
        self.to.setText(code.strip())
        return True

    def apply(self):
        sid = self.supply_id()
        if self.to.resolved is None:
            raise ValidationError(self.to.note.text() or "Scan or type who or where it goes.",
                                  field="to")
        return stock.issue(sid, self.value("qty"), reason=self.value("reason") or None,
                           **self.to.resolved)


class CountDialog(_ItemDialog):
    TITLE = "Count stock"

    def __init__(self, parent=None, supply_id: int | None = None):
        super().__init__(parent, supply_id)
        self.setObjectName("count-dialog")
        q = QSpinBox()
        q.setRange(0, 10_000_000)
        q.setGroupSeparatorShown(True)
        self.add_field("qty", "Counted on the shelf", q)
        self.diff = QLabel()
        self.diff.setObjectName("count-difference")
        self.form.addRow("", self.diff)
        self.add_field("reason", "Reason", placeholder="why it differs, e.g. damaged box")
        if supply_id:
            q.setValue(stock.get(supply_id).on_hand)
        q.valueChanged.connect(lambda _v: self._show_diff())
        self.item.textChanged.connect(lambda _t: self._show_diff())
        self._show_diff()

    def _show_diff(self) -> None:
        if self.item.resolved is None:
            self.diff.setText("")
            return
        on_hand = stock.get(self.item.resolved).on_hand
        d = self.value("qty") - on_hand
        self.diff.setStyleSheet(warn_style() if d else "")
        self.diff.setText(f"{on_hand:,} on record — no difference" if not d else
                          f"{on_hand:,} on record — adjustment of {d:+,}")

    def apply(self):
        sid = self.supply_id()
        counted = self.value("qty")
        if counted != stock.get(sid).on_hand and not self.value("reason"):
            raise ValidationError("Say why the count differs (it is kept with the adjustment).",
                                  field="reason")
        return stock.count(sid, counted, reason=self.value("reason") or None)


class TransferDialog(_ItemDialog):
    TITLE = "Move to another bin"

    def __init__(self, parent=None, supply_id: int | None = None):
        super().__init__(parent, supply_id)
        self.setObjectName("transfer-dialog")
        self.add_field("bin", "New bin", placeholder="e.g. Shelf B3")

    def apply(self):
        return stock.transfer(self.supply_id(), self.value("bin"))


def open_printer_supplies(parent, asset_id: int) -> bool:
    """Issue to a printer, listing what it takes and how many are on hand
    (for an asset's page or a scanned printer tag). True if stock was issued."""
    from app.models import Asset
    tag = Asset.select(Asset.tag).where(Asset.id == asset_id).scalar()
    if tag is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return bool(IssueDialog(parent, to_code=tag).exec())
