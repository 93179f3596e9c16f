"""The Supplies page: every item with on hand, reorder point, target, what to
order, bin and the printer models it fits; low-stock rows stand out. Receive,
issue, count and move bins from here; the selected item's movements below.

Scanning on this page: a box's barcode opens Issue (or Receive, as chosen
beside the buttons) for that item; a printer's tag opens Issue to that
printer with the supplies that fit it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget)

from app.models.common import SUPPLY_CATEGORIES
from app.services import history, stock
from app.wording import plural
from ui import theme
from ui.bus import bus
from ui.dialogs.stock_forms import RowsModel, setup_table as _table
from ui.dialogs.stock_moves import (CountDialog, IssueDialog, ReceiveDialog, TransferDialog,
                                    open_printer_supplies)
from ui.dialogs.supply_editor import edit_supply
from ui.models.table import display
from ui.ops import Changes, run_op
from ui.widgets.toolbar import search_box, title_row, tool_buttons

PAGE_KEY = "supplies"
PAGE_TITLE = "Supplies"
PAGE_ORDER = 60
PAGE_ICON = "supplies"

HEADERS = ("Item", "Part number", "Barcode", "Category", "On hand", "Reorder point", "Target",
           "To order", "Bin", "Fits")
COL_ITEM, COL_PART, COL_BARCODE, COL_CATEGORY, COL_ON_HAND, COL_REORDER, COL_TARGET, \
    COL_TO_ORDER, COL_BIN, COL_FITS = range(len(HEADERS))
WIDTHS = (220, 110, 120, 90, 70, 95, 60, 70, 90)
MOVE_HEADERS = ("When", "Movement", "Qty", "Balance", "To / from", "Cost", "Reason", "By")
KIND_LABELS = {"receive": "Received", "issue": "Issued", "count": "Counted",
               "adjust": "Adjusted", "transfer": "Moved bin"}


class Page(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.loaded = False

        top = title_row("Supplies")
        self.buttons = tool_buttons(top, "supply", (
                ("new", "New", self.new_item, "Add a supply item"),
                ("edit", "Edit", self.edit, "Edit the item and the printers it fits"),
                ("receive", "Receive", self.receive, "Add delivered stock"),
                ("issue", "Issue", self.issue, "Hand out to a person, room or printer"),
                ("count", "Count", self.count, "Enter a shelf count; the difference is adjusted"),
                ("transfer", "Move bin", self.transfer, "Move the item to another bin"),
                ("printer", "Printer supplies…", self.printer,
                 "Scan or type a printer's tag: what it takes, and how many we have"),
                ("labels", "Bin labels", self.labels, "Print bin labels for the selection"),
                ("export", "Export", self.export, "Export this list")))

        self.search = search_box("supplies-search", "Search item, part number, barcode, bin…",
                                 self.refresh)
        self.show_combo = QComboBox()
        self.show_combo.setObjectName("filter-low")
        self.show_combo.addItem("All items", None)
        self.show_combo.addItem("Low stock (to order)", True)
        self.show_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.category = QComboBox()
        self.category.setObjectName("filter-category")
        self.category.addItem("Any category", None)
        for key, label in SUPPLY_CATEGORIES.items():
            self.category.addItem(label, key)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.scan_mode = QComboBox()
        self.scan_mode.setObjectName("scan-mode")
        self.scan_mode.addItem("Scanned box: issue", "issue")
        self.scan_mode.addItem("Scanned box: receive", "receive")
        self.scan_mode.setToolTip("What scanning a box's barcode on this page opens")
        self.counts = QLabel()
        self.counts.setObjectName("counts")
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.show_combo)
        filters.addWidget(self.category)
        filters.addWidget(self.scan_mode)
        filters.addWidget(self.counts)

        self.model = RowsModel(HEADERS, self, right=(COL_ON_HAND, COL_REORDER, COL_TARGET,
                                                     COL_TO_ORDER))
        self.table = _table(QTableView())
        self.table.setObjectName("supplies-table")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        for col, width in enumerate(WIDTHS):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_item())
        self.table.doubleClicked.connect(lambda _i: self.edit())

        panel = QWidget()
        self.detail_title = QLabel()
        self.detail_title.setObjectName("panel-title")
        self.detail_title.setWordWrap(True)
        self.moves_model = RowsModel(MOVE_HEADERS, self, right=(2, 3, 5))
        self.moves = _table(QTableView())
        self.moves.setObjectName("supply-history")
        self.moves.setModel(self.moves_model)
        for col, width in enumerate((125, 85, 55, 65, 230, 70, 200)):
            self.moves.setColumnWidth(col, width)
        pl = QVBoxLayout(panel)
        pl.setContentsMargins(0, 6, 0, 0)
        pl.addWidget(self.detail_title)
        pl.addWidget(self.moves, 1)

        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([560, 280])

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addLayout(top)
        lay.addLayout(filters)
        lay.addWidget(self.splitter, 1)
        bus.data_changed.connect(self._data_changed)
        self.show_item()

    # --- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        keep = self.selected_ids()
        rows = stock.listing(low=bool(self.show_combo.currentData()),
                             search=self.search.text().strip(),
                             category=self.category.currentData())
        self.loaded = True
        cells, bg, fg, bold = [], {}, {}, set()
        for i, r in enumerate(rows):
            cells.append((r["name"], r["part_number"] or "", r["barcode"] or "",
                          r["category_label"], f"{r['on_hand']:,}", f"{r['reorder_point']:,}",
                          f"{r['target']:,}", f"{r['to_order']:,}" if r["to_order"] else "",
                          r["bin"] or "", ", ".join(r["fits"])))
            if r["low"]:
                bg[i] = theme.tint("error")  # a red tint that reads on light and dark palettes
                fg[(i, COL_ON_HAND)] = theme.brush("error")
                bold.update({(i, COL_ON_HAND), (i, COL_TO_ORDER)})
        self.model.set_rows([r["id"] for r in rows], cells, foreground=fg, background=bg,
                            bold=bold)
        low = sum(1 for r in rows if r["low"])
        self.counts.setText(plural(len(rows), "item") + (f", {low:,} low" if low else ""))
        sm = self.table.selectionModel()
        for sid in keep:
            row = self.model.row_of(sid)
            if row >= 0:
                sm.select(self.model.index(row, 0), sm.SelectionFlag.Select | sm.SelectionFlag.Rows)
        if not sm.hasSelection() and rows:
            self.table.selectRow(0)  # the history below is never empty for no reason
        self.show_item()

    def showEvent(self, event):
        super().showEvent(event)
        if not self.loaded:
            self.refresh()

    def is_ready(self) -> bool:
        return self.loaded

    CHANGES = Changes.SUPPLIES

    def _data_changed(self, changes: Changes) -> None:
        if changes & self.CHANGES:
            if self.isVisible():
                self.refresh()
            else:
                self.loaded = False

    def selected_ids(self) -> list[int]:
        sm = self.table.selectionModel()
        rows = sorted(i.row() for i in sm.selectedRows()) if sm else []
        return [self.model.ids[r] for r in rows if r < len(self.model.ids)]

    def current_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def show_item(self) -> None:
        sid = self.current_id()
        for key in ("edit", "count", "transfer"):
            self.buttons[key].setEnabled(sid is not None)
        self.buttons["labels"].setEnabled(bool(self.selected_ids()))
        if sid is None:
            self.detail_title.setText("Select an item to see its movements.")
            self.moves_model.set_rows([], [])
            return
        item = stock.get(sid)
        to_order = stock.to_order(item)
        fits = self.model.rows[self.model.row_of(sid)][COL_FITS] if self.model.row_of(sid) >= 0 else ""
        bits = [f"<b>{item.name}</b>", f"{item.on_hand:,} on hand",
                f"reorder at {item.reorder_point:,}, stock up to {item.target:,}"]
        if to_order:
            bits.append(theme.coloured(f"order {to_order:,}", "error"))
        if item.unit_cost is not None:
            bits.append(f"${item.unit_cost:,.2f} each")
        if fits:
            bits.append(f"fits {fits}")
        self.detail_title.setText(" · ".join(bits))
        ids, rows = [], []
        for m in stock.moves(sid, limit=500):
            ids.append(m["id"])
            rows.append((display(m["at"]) + (m["at"].strftime(" %H:%M") if m["at"] else ""),
                         KIND_LABELS.get(m["kind"], m["kind"]),
                         f"{m['qty']:+,}" if m["qty"] else "0", f"{m['balance']:,}"
                         if m["balance"] is not None else "", m["where"],
                         display(m["unit_cost"]), m["reason"] or "", m["by"] or ""))
        edits = [h for h in history.for_entity("supply", sid, limit=200)
                 if h["action"] in ("create", "update")]
        for h in edits:
            ids.append(0)
            what = "created" if h["action"] == "create" else f"{h['field']}: {h['old'] or '—'} → {h['new'] or '—'}"
            rows.append((display(h["at"]) + h["at"].strftime(" %H:%M"), "Edited", "", "", what,
                         "", h["note"] or "", h["who"] or ""))
        order = sorted(range(len(rows)), key=lambda i: rows[i][0], reverse=True)
        self.moves_model.set_rows([ids[i] for i in order], [rows[i] for i in order])

    # --- actions ------------------------------------------------------------------------

    def _after(self, ok) -> None:
        if ok:
            self.refresh()

    def new_item(self) -> None:
        sid = edit_supply(self, None)
        if sid:
            self.refresh()
            self.select(sid)

    def edit(self) -> None:
        sid = self.current_id()
        if sid:
            self._after(edit_supply(self, sid))

    def receive(self, _checked=False, supply_id: int | None = None) -> None:
        self._after(ReceiveDialog(self, supply_id or self.current_id()).exec())

    def issue(self, _checked=False, supply_id: int | None = None, to_code: str | None = None) -> None:
        self._after(IssueDialog(self, supply_id or self.current_id(), to_code).exec())

    def count(self) -> None:
        sid = self.current_id()
        if sid:
            self._after(CountDialog(self, sid).exec())

    def transfer(self) -> None:
        sid = self.current_id()
        if sid:
            self._after(TransferDialog(self, sid).exec())

    def printer(self) -> None:
        self._after(IssueDialog(self).exec())

    def labels(self) -> None:
        ids = self.selected_ids()
        if ids:
            bus.print_labels.emit("supply", ids)

    def export(self) -> None:
        from ui.dialogs.export import open_export_dialog
        open_export_dialog(self, "supplies", list(self.model.ids))

    def select(self, supply_id: int) -> None:
        row = self.model.row_of(supply_id)
        if row < 0 and (self.search.text() or self.show_combo.currentIndex()
                        or self.category.currentIndex()):
            for w in (self.show_combo, self.category):
                w.blockSignals(True)
                w.setCurrentIndex(0)
                w.blockSignals(False)
            self.search.clear()  # refreshes
            row = self.model.row_of(supply_id)
        if row >= 0:
            # Only this row: selectRow extends the selection while Qt believes
            # Ctrl is held (a key state a scanner's burst can leave behind).
            self.table.clearSelection()
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # --- page contract ------------------------------------------------------------------

    def open_record(self, supply_id: int) -> None:
        if not self.loaded:
            self.refresh()
        self.select(supply_id)

    def apply_filters(self, filters: dict) -> None:
        for w, key in ((self.show_combo, "low"), (self.category, "category")):
            w.blockSignals(True)
            w.setCurrentIndex(max(0, w.findData(filters.get(key))))
            w.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(filters.get("search") or "")
        self.search.blockSignals(False)
        self.refresh()

    def handle_scan(self, code: str) -> bool:
        """A box's barcode opens Issue or Receive for its item; a printer's tag
        opens Issue to that printer with what fits it. Anything else: default."""
        from app import scanning
        resolved: list = []
        if not run_op(self, lambda: scanning.resolve(code), changes=Changes.NONE,
                      success=resolved.append, title="Scan"):
            return True
        res = resolved[0]
        if res.kind == "supply" and res.id:
            if not self.loaded:
                self.refresh()
            self.select(res.id)
            if self.scan_mode.currentData() == "receive":
                self.receive(supply_id=res.id)
            else:
                self.issue(supply_id=res.id)
            return True
        if res.kind == "asset" and res.id and stock.fitting(res.id):
            self._after(open_printer_supplies(self, res.id))
            return True
        return False
