"""The Backup media page: LTO cartridges scanned from place to place, the
rotation due list, new cartridges, writes, destruction and LTO labels."""
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from app.models import BackupMedia
from app.models.common import MEDIA_LOCATIONS, MEDIA_ROTATIONS
from app.services import media
from ui.dialogs.stock_forms import FormDialog, RowsModel, setup_table
from ui.ops import Changes, run_op
from ui.widgets.toolbar import title_row

PAGE_KEY = "media"
PAGE_TITLE = "Backup media"
PAGE_ORDER = 88
PAGE_ICON = "media"

HEADERS = ("Barcode", "Set", "Rotation", "Location", "Written", "Retain until", "Used",
           "Destroyed")
DUE_HEADERS = ("Date", "Do", "Barcode", "Set", "Rotation", "Now")


class AddMediaDialog(FormDialog):
    TITLE = "Add cartridges"
    CHANGES = Changes.MEDIA

    def __init__(self, parent=None):
        super().__init__(parent)
        codes = QPlainTextEdit()
        codes.setPlaceholderText("Scan or type barcodes, one a line (A00120L8)")
        codes.setFixedHeight(110)
        self.add_field("barcode", "Barcodes", codes)
        self.add_field("media_set", "Media set", placeholder="e.g. Nightly")
        rot = QComboBox()
        for key, label in MEDIA_ROTATIONS.items():
            rot.addItem(label, key)
        self.add_field("rotation", "Rotation", rot)

    def apply(self):
        codes = [c for c in self.value("barcode").split() if c]
        return media.add(codes, media_set=self.value("media_set"),
                         rotation=self.value("rotation"))


class DestroyDialog(FormDialog):
    TITLE = "Destroy cartridge"
    CHANGES = Changes.MEDIA

    def __init__(self, barcode: str, parent=None):
        super().__init__(parent)
        self.barcode = barcode
        self.add_field("destruction", f"How ({barcode})",
                       placeholder="Shredded by …, certificate no. …")

    def apply(self):
        return media.destroy(self.barcode, self.value("destruction"))


class Page(QWidget):
    CHANGES = Changes.MEDIA

    def __init__(self, parent=None):
        super().__init__(parent)
        top = title_row("Backup media")
        self.buttons: dict[str, QPushButton] = {}
        for text, slot in (("Add cartridges…", self.add_media), ("Record write", self.record_write),
                           ("Destroy…", self.destroy), ("Print LTO labels…", self.print_labels)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            top.addWidget(b)
            self.buttons[text] = b
        scan_row = QHBoxLayout()
        scan_row.addWidget(QLabel("Scan cartridges into:"))
        self.place = QComboBox()
        for key, label in MEDIA_LOCATIONS.items():
            self.place.addItem(label, key)
        self.place.setCurrentIndex(self.place.findData("offsite_vault"))
        scan_row.addWidget(self.place)
        self.scan = QLineEdit()
        self.scan.setObjectName("media-scan")
        self.scan.setPlaceholderText("Scan a cartridge barcode, then Enter")
        self.scan.returnPressed.connect(self._scanned)
        scan_row.addWidget(self.scan, 1)
        self.verdict = QLabel()
        self.verdict.setObjectName("media-verdict")
        scan_row.addWidget(self.verdict, 1)
        self.model = RowsModel(HEADERS, self, right=(6,))
        self.table = setup_table(QTableView())
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(self.update_actions)
        self.due_model = RowsModel(DUE_HEADERS, self)
        self.due_table = setup_table(QTableView())
        self.due_table.setModel(self.due_model)
        self.due_table.setColumnWidth(1, 210)
        self.due_title = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addLayout(top)
        lay.addLayout(scan_row)
        lay.addWidget(self.table, 3)
        lay.addWidget(self.due_title)
        lay.addWidget(self.due_table, 1)
        self._loaded = False
        self.update_actions()

    # --- page contract ------------------------------------------------------------

    def refresh(self) -> None:
        keep = set(self.selected_barcodes())  # a re-read keeps the selection
        rows = list(BackupMedia.select().order_by(BackupMedia.barcode))
        self.model.set_rows([m.id for m in rows], [(
            m.barcode, m.media_set or "", MEDIA_ROTATIONS.get(m.rotation, m.rotation),
            MEDIA_LOCATIONS.get(m.location, m.location), _d(m.written_on), _d(m.retain_until),
            str(m.times_used), _d(m.destroyed_on)) for m in rows])
        sel = self.table.selectionModel()
        for r, m in enumerate(rows):
            if m.barcode in keep:
                sel.select(self.model.index(r, 0),
                           QItemSelectionModel.Select | QItemSelectionModel.Rows)
        due = media.due(days=7)
        self.due_model.set_rows(list(range(len(due))), [
            (_d(r["date"]), r["action"], r["barcode"], r["media_set"], r["rotation"],
             r["location"]) for r in due])
        self.due_title.setText(f"Due in the next 7 days: {len(due)}" if due
                               else "Nothing to carry to or from the vault in the next 7 days.")
        self._loaded = True
        self.update_actions()

    def showEvent(self, event):
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def is_ready(self) -> bool:
        return self._loaded

    def handle_scan(self, code: str) -> bool:
        """A cartridge's barcode scanned anywhere on the page moves it to the chosen place."""
        if not media.BARCODE_RE.match(code.strip().upper()):
            return False
        self.scan.setText(code)
        self._scanned()
        return True

    # --- actions --------------------------------------------------------------------

    def selected_barcodes(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r][0] for r in rows]

    def update_actions(self) -> None:
        n = len(self.selected_barcodes())
        self.buttons["Record write"].setEnabled(n == 1)
        self.buttons["Destroy…"].setEnabled(n == 1)
        self.buttons["Print LTO labels…"].setEnabled(n >= 1)

    def _scanned(self) -> None:
        code = self.scan.text().strip()
        self.scan.clear()
        if not code:
            return
        where = self.place.currentData()

        def moved(result) -> None:
            self.verdict.setText(f"{result[0].barcode} → {MEDIA_LOCATIONS[where]}")
            self.refresh()
        run_op(self, lambda: media.move([code], where), changes=Changes.MEDIA, success=moved,
               on_error=lambda exc: self.verdict.setText(str(exc)), title="Move cartridge")

    def add_media(self) -> None:
        if AddMediaDialog(self).exec():
            self.refresh()

    def record_write(self) -> None:
        codes = self.selected_barcodes()
        if len(codes) == 1:
            run_op(self, lambda: media.record_write(codes[0]), changes=Changes.MEDIA,
                   success=lambda _m: self.refresh(), title="Record write")

    def destroy(self) -> None:
        codes = self.selected_barcodes()
        if len(codes) == 1 and DestroyDialog(codes[0], self).exec():
            self.refresh()

    def print_labels(self) -> None:
        from reports import labels
        from ui.files import ask_save_path
        codes = self.selected_barcodes()
        if not codes:
            return
        path = ask_save_path(self, "Save LTO labels", "lto-labels.pdf", "PDF (*.pdf)")
        if not path:
            return
        items = [labels.LabelItem(c, {"tag": c}) for c in codes]
        run_op(self, lambda: labels.render_pdf(items, path, "lto-ultrium", "code39",
                                                layout=("tag",)),
               changes=Changes.NONE, title="Print LTO labels",
               success=lambda _r: self.verdict.setText(f"{len(codes)} labels saved to {path}"))


def _d(value) -> str:
    return value.isoformat() if value else ""

