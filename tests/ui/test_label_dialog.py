"""The label dialog: preview, clicking the first free label, saving PDF and
ZPL, printing through Qt at actual size (to a PDF printer, decoded back),
calibration offsets and the custom template editor."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PySide6.QtCore import QPointF, Qt

from app.services import assets, catalog, settings
from reports import labels
from tests.ui.conftest import decode_label_cells, settle_jobs
from ui import printing


pytestmark = pytest.mark.usefixtures("failing_boxes")  # any message box fails the test


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    from reports.labels import templates
    monkeypatch.setattr(templates, "user_dir", lambda: tmp_path / "cfg")
    return tmp_path / "cfg"


@pytest.fixture
def three_assets(sqlite_db):
    settings.update({"org_name": "Lincoln Unified"})
    site = catalog.create_site("Lincoln High")
    room = catalog.create_location(site.id, "Room 214")
    return [assets.create(tag=f"QM-00010{i}", serial=f"SN{i}", location_id=room.id).id for i in range(1, 4)]


wait_jobs = settle_jobs
cells = decode_label_cells


def label_dialog(qtbot, ids, template=None):
    """The label dialog for these assets, with ``template`` chosen."""
    from ui.dialogs.labels import LabelDialog
    dlg = LabelDialog(None, "asset", ids)
    qtbot.addWidget(dlg)
    if template:
        dlg.template.setCurrentIndex(dlg.template.findData(template))
    return dlg


def test_preview_click_start_and_save_pdf(qtbot, three_assets, tmp_path, user_folder):
    dlg = label_dialog(qtbot, three_assets)
    dlg.show()
    dlg.template.setCurrentIndex(dlg.template.findData("avery-5160"))
    dlg.resize(1100, 800)
    # Click the 8th label (row 3, column 2) on the drawn sheet.
    rect = dlg.picker.cell_rect(7)
    qtbot.mouseClick(dlg.picker, Qt.LeftButton, pos=rect.center().toPoint())
    assert dlg.start.value() == 8
    dlg.refresh_preview()
    assert dlg.preview.pixmap() is not None and not dlg.preview.pixmap().isNull()
    assert "3 labels on 1 sheet" in dlg.summary.text()
    out = tmp_path / "a.pdf"
    dlg.save_pdf_to(str(out))
    wait_jobs(qtbot)
    assert cells(out, labels.get_template("avery-5160")) == {
        7: ["QM-000101"], 8: ["QM-000102"], 9: ["QM-000103"]}


def test_layout_lines_and_symbology_reach_the_pdf(qtbot, three_assets, tmp_path, user_folder):
    dlg = label_dialog(qtbot, three_assets[:1], "dymo-30334")
    dlg.symbology.setCurrentIndex(dlg.symbology.findData("qr"))
    dlg.line_checks["org"].setChecked(False)
    dlg.line_checks["place"].setChecked(True)
    assert not dlg.start.isEnabled()
    out = tmp_path / "d.pdf"
    dlg.save_pdf_to(str(out))
    wait_jobs(qtbot)
    page = pdfium.PdfDocument(out)[0]
    text = page.get_textpage().get_text_range()
    assert "Lincoln High · Room 214" in text and "Property of" not in text
    res = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
    assert [(r.text, r.format) for r in res] == [("QM-000101", zxingcpp.BarcodeFormat.QRCode)]


def test_zpl_save_and_send(qtbot, three_assets, tmp_path, monkeypatch, user_folder):
    dlg = label_dialog(qtbot, three_assets, "avery-5160")
    assert not dlg.save_zpl_btn.isEnabled()
    dlg.template.setCurrentIndex(dlg.template.findData("zebra-2x1-203"))
    assert dlg.save_zpl_btn.isEnabled()
    out = tmp_path / "z.zpl"
    dlg.save_zpl_to(str(out))
    assert out.read_text().count("^XA") == 3 and "^PW406" in out.read_text()
    sent = []
    monkeypatch.setattr("app.printers.send_raw", lambda data, queue: sent.append((queue, data)) or "ok")
    dlg.send_zpl_to("Zebra1")
    assert sent and sent[0][0] == "Zebra1" and "QM-000102" in sent[0][1]


def test_print_at_actual_size_through_qt(qtbot, three_assets, tmp_path, user_folder):
    dlg = label_dialog(qtbot, three_assets, "avery-l7651")
    dlg.start.setValue(5)
    out = tmp_path / "printed.pdf"
    printer = printing.pdf_printer(out, 300)
    dlg.print_to(printer)
    wait_jobs(qtbot)
    doc = pdfium.PdfDocument(out)
    w, h = doc[0].get_size()
    assert abs(w / 72 * 25.4 - 210) < 0.5 and abs(h / 72 * 25.4 - 297) < 0.5  # A4, not scaled
    t = labels.get_template("avery-l7651")
    assert cells(out, t) == {4: ["QM-000101"], 5: ["QM-000102"], 6: ["QM-000103"]}


def test_thermal_print_page_is_the_label(qtbot, three_assets, tmp_path, user_folder):
    dlg = label_dialog(qtbot, three_assets[:1], "zebra-2x1-203")
    out = tmp_path / "z.pdf"
    printer = printing.pdf_printer(out, 203)
    dlg.print_to(printer)
    wait_jobs(qtbot)
    page = pdfium.PdfDocument(out)[0]
    w, h = page.get_size()
    assert abs(w / 72 * 25.4 - 50.8) < 0.3 and abs(h / 72 * 25.4 - 25.4) < 0.3
    assert [r.text for r in zxingcpp.read_barcodes(page.render(scale=203 / 72).to_pil())] == ["QM-000101"]


def test_calibration_offsets_and_page(qtbot, three_assets, tmp_path, user_folder):
    dlg = label_dialog(qtbot, three_assets, "avery-5160")
    dlg.printer_name.setEditText("Office HP")
    dlg.dx.setValue(0.8)
    dlg.dy.setValue(-0.4)
    dlg.save_offset()
    assert labels.get_offset("avery-5160", "Office HP") == (0.8, -0.4)
    dlg.printer_name.setEditText("default")
    assert dlg.dx.value() == 0.0
    dlg.printer_name.setEditText("Office HP")
    assert dlg.dx.value() == 0.8
    out = tmp_path / "cal.pdf"
    printer = printing.pdf_printer(out, 150)
    dlg.print_calibration_to(printer)
    wait_jobs(qtbot)
    assert out.exists() and len(pdfium.PdfDocument(out)) == 1


def test_custom_template_editor(qtbot, three_assets, user_folder, monkeypatch):
    from ui.dialogs.labels import CustomTemplateDialog
    errors = []
    monkeypatch.setattr("ui.dialogs.labels.show_error", lambda *a: errors.append(a[2]))
    dlg = label_dialog(qtbot, three_assets)
    editor = CustomTemplateDialog(dlg, labels.get_template("avery-5160"))
    qtbot.addWidget(editor)
    editor.name.setText("district-2x7")
    editor.fields["cols"].setValue(2)
    editor.fields["rows"].setValue(7)
    editor.fields["label_w"].setValue(99.0)
    editor.fields["label_h"].setValue(38.0)
    editor.fields["pitch_x"].setValue(101.6)
    editor.fields["pitch_y"].setValue(38.1)
    editor.fields["left"].setValue(4.6)
    editor.fields["top"].setValue(10.0)
    editor.save()
    assert editor.saved is not None and editor.saved.parent == user_folder
    assert labels.get_template("district-2x7").rows == 7
    assert not errors
    # A bad geometry is refused with a message, not saved.
    editor.name.setText("too-wide")
    editor.fields["pitch_x"].setValue(150)
    editor.save()
    assert errors and "run off the page" in str(errors[0])


def test_new_tags_reserved_only_for_output(qtbot, sqlite_db, tmp_path, user_folder):
    from app.models import TagRecord
    from ui.dialogs.labels import LabelDialog
    dlg = LabelDialog(None, "new")
    qtbot.addWidget(dlg)
    dlg.new_count.setValue(4)
    dlg.template.setCurrentIndex(dlg.template.findData("avery-5167"))
    dlg.refresh_preview()
    assert TagRecord.select().count() == 0
    out = tmp_path / "n.pdf"
    dlg.save_pdf_to(str(out))
    wait_jobs(qtbot)
    assert TagRecord.select().count() == 4
    dlg.save_pdf_to(str(tmp_path / "again.pdf"))  # the same reserved tags, not four more
    wait_jobs(qtbot)
    assert TagRecord.select().count() == 4
    found = cells(out, labels.get_template("avery-5167"))
    assert sorted(v[0] for v in found.values()) == sorted(r.tag for r in TagRecord.select())


def test_open_label_dialog_for_rooms(qtbot, three_assets, user_folder):
    from ui.dialogs.labels import open_label_dialog
    dlg = open_label_dialog(None, "location", None)
    qtbot.addWidget(dlg)
    assert len(dlg.items) == 1 and dlg.items[0].lines["title"] == "Room 214"
    assert dlg.line_checks["title"].isChecked()
