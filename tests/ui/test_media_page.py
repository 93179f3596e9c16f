"""The Backup media page: scanning moves cartridges, the due list, and each
button (add, record write, destroy, print labels) clicked through."""
from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PySide6.QtCore import QItemSelectionModel

from app.services import media


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


@pytest.fixture
def page(open_page, sqlite_db):
    media.add(["A00120L8", "A00121L8"], media_set="Nightly", rotation="weekly")
    media.record_write("A00120L8")  # weekly, on site: due to the vault
    from ui.pages.media import Page
    return open_page(Page, width=1200)


def select(page, barcode):
    row = [r[0] for r in page.model.rows].index(barcode)
    page.table.selectionModel().select(page.model.index(row, 0),
                                       QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)


def test_scan_moves_and_due_list(page, boxes):
    assert [r[2] for r in page.due_model.rows] == ["A00120L8"]
    assert page.handle_scan("a00120l8")
    assert media.get("A00120L8").location == "offsite_vault"
    assert "Off-site vault" in page.verdict.text() and page.due_model.rows == []
    assert not page.handle_scan("QM-000001")  # not a cartridge: left to others
    page.scan.setText("Z99999L8")
    page.scan.returnPressed.emit()
    assert "No cartridge Z99999L8" in page.verdict.text() and not boxes


def test_buttons(page, monkeypatch, tmp_path, boxes):
    from ui.pages import media as mod

    def add_exec(self):
        self.widgets["barcode"].setPlainText("A00122L8\nA00123L8")
        self.widgets["rotation"].setCurrentIndex(self.widgets["rotation"].findData("monthly"))
        self.submit()
        return self.result()
    monkeypatch.setattr(mod.AddMediaDialog, "exec", add_exec)
    page.buttons["Add cartridges…"].click()
    assert media.get("A00123L8").rotation == "monthly" and len(page.model.rows) == 4

    select(page, "A00122L8")
    page.buttons["Record write"].click()
    assert media.get("A00122L8").times_used == 1
    page.buttons["Record write"].click()  # still under retention: refused, shown
    assert boxes and "kept until" in boxes[-1]

    select(page, "A00121L8")

    def destroy_exec(self):
        self.widgets["destruction"].setText("Shredded, cert 9")
        self.submit()
        return self.result()
    monkeypatch.setattr(mod.DestroyDialog, "exec", destroy_exec)
    page.buttons["Destroy…"].click()
    assert media.get("A00121L8").destroyed_on == dt.date.today()

    out = tmp_path / "lto.pdf"
    monkeypatch.setattr("ui.files.ask_save_path", lambda *a, **k: str(out))
    select(page, "A00123L8")
    page.buttons["Print LTO labels…"].click()
    doc = pdfium.PdfDocument(str(out))
    img = doc[0].render(scale=300 / 72).to_pil().convert("L")
    doc.close()
    assert [r.text for r in zxingcpp.read_barcodes(img)] == ["A00123L8"]
