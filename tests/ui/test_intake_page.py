"""The Intake page in the main window, driven like a receiving bench: the
start dialog, then 50 serials typed at scanner speed into an unrelated field
(the application-wide filter takes them), a refused duplicate, undo before
and after printing, labels on a sheet and on a roll that decode to the tags."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from tests.app.factories import asset, district

HP = r"^5CD[A-Z0-9]{7}$"


@pytest.fixture
def bench(sqlite_db, qtbot, qapp, tmp_path, monkeypatch, failing_boxes):
    from app.services import catalog
    from ui.scanner import BurstDetector, ScannerFilter
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    d = district()
    d["hp"] = catalog.create_model("Chromebook 11 G9 EE", manufacturer="HP",
                                   category_id=d["cat"].id, serial_pattern=HP)
    d["old"] = asset(d, serial="5CD9999999", location_id=d["r2"].id)
    # A 300 ms silence window so a loaded test machine cannot split a burst.
    filt = ScannerFilter(qapp, detector=BurstDetector(silence_ms=300), emit_bus=True)
    qapp.installEventFilter(filt)
    yield d
    qapp.removeEventFilter(filt)
    filt.deleteLater()


def burst(qtbot, text):
    """A scanner: a few ms per character, then Enter, into whatever has focus."""
    qtbot.wait(40)
    for ch in list(text) + [Qt.Key_Return]:
        w = QApplication.focusWidget()
        qtbot.keyPress(w, ch, Qt.NoModifier, delay=1)
        qtbot.keyRelease(QApplication.focusWidget(), ch, Qt.NoModifier)
    QApplication.processEvents()  # the scan is announced just after its Enter is delivered


def decode_pdfs(paths) -> list[str]:
    codes = []
    for p in paths:
        doc = pdfium.PdfDocument(str(p))
        for i in range(len(doc)):
            codes += [r.text for r in zxingcpp.read_barcodes(doc[i].render(scale=300 / 72).to_pil())]
    return codes


def start_from_dialog(page, d, template, expected):
    from ui.dialogs.intake_start import IntakeStartDialog
    dlg = IntakeStartDialog(page)
    dlg.model.setCurrentIndex(dlg.model.findData(d["hp"].id))
    dlg.po.setText("PO-4471")
    dlg.supplier.setCurrentText("CDW-G")
    dlg.purchase_date.setText("11/30/2026")
    dlg.cost.setText("$279.00")
    dlg.funding.setCurrentIndex(dlg.funding.findData("erate"))
    dlg.frn.setText("2599012345")
    dlg.funding_year.setValue(2026)
    dlg.site.setCurrentIndex(dlg.site.findData(d["site"].id))
    dlg.room.setCurrentIndex(dlg.room.findData(d["r1"].id))
    dlg.warranty.setText("2029-11-30")
    dlg.expected.setText(str(expected))
    dlg.template.setCurrentIndex(dlg.template.findData(template))
    dlg.accept()
    assert dlg.session is not None, dlg.error.text()
    page.open_session(dlg.session.id)
    return dlg.session


def test_dialog_refuses_with_the_message_by_the_field(bench, qtbot):
    from ui.dialogs.intake_start import IntakeStartDialog
    dlg = IntakeStartDialog()
    qtbot.addWidget(dlg)
    assert dlg.model.currentData() is None  # no model is chosen for the user
    dlg.accept()
    assert dlg.session is None and "Choose the model" in dlg.error.text()
    dlg.model.setCurrentIndex(dlg.model.findData(bench["hp"].id))
    dlg.accept()
    assert dlg.session is None and "purchase order" in dlg.error.text()
    dlg.po.setText("PO-1")
    dlg.cost.setText("lots")
    dlg.accept()
    assert dlg.session is None and "red" not in dlg.error.text() and dlg.cost.styleSheet()
    dlg.cost.setText("")
    dlg.model.setCurrentIndex(dlg.model.findData(-1))
    dlg.new_name.setText("Chromebook Plus 14")
    dlg.new_maker.setCurrentText("Acer")
    dlg.accept()
    assert dlg.session is not None and dlg.session.model.name == "Chromebook Plus 14"


def test_fifty_devices_at_scanner_speed(bench, qtbot, tmp_path, monkeypatch):
    from app.models import Asset
    from app.services import assets, intake, tags
    from ui import feedback
    from ui.main_window import MainWindow
    from ui.pages.intake import PDF_FOLDER
    d = bench
    win = MainWindow(start_page="intake")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    page = win.current_page()
    page.printer.setCurrentIndex(page.printer.findData(PDF_FOLDER))
    folder = tmp_path / "labels"
    page.folder.setText(str(folder))
    s = start_from_dialog(page, d, "avery-5160", 50)
    assert page.stack.currentIndex() == 1 and page.totals_line.text() == "0 of 50"
    assert "PO PO-4471" in page.defaults.text() and "Room 12" in page.defaults.text()

    # The focus is in an unrelated field: the toolbar's search box.
    win.activateWindow()
    win.scanbox.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.scanbox)

    first = tags.peek_next_tag()
    burst(qtbot, "SN:5CD0000100")
    assert page.banner.text() == first and page.totals_line.text() == "1 of 50"
    assert feedback.last_feedback[0] == "ok" and win.scanbox.text() == ""
    # Undo before its label printed (Ctrl+Z with the focus on the page): the tag is freed.
    page.entry.setFocus()
    qtbot.keyClick(page.entry, Qt.Key_Z, Qt.ControlModifier)
    assert page.banner.text() == f"UNDONE {first}" and page.totals_line.text() == "0 of 50"
    assert not tags.tag_in_use(first) and not tags.is_voided(first)
    win.scanbox.setFocus()

    serials = []
    for i in range(50):
        serial = f"5CD00{i:05d}"
        serials.append(serial)
        shown = {0: f"S{serial}", 1: f"SN:{serial}", 2: f"(21){serial}"}.get(i % 7, serial)
        burst(qtbot, shown)
        assert page.totals_line.text() == f"{i + 1} of 50", (i, page.banner.detail())
    made = list(Asset.select().where(Asset.order_number == "PO-4471").order_by(Asset.id))
    assert [a.serial for a in made] == serials
    numbers = [tags.tag_number(a.tag) for a in made]
    assert made[0].tag == first and numbers == list(range(numbers[0], numbers[0] + 50))
    for a in (made[0], made[-1]):
        assert (a.model_id, str(a.cost), a.funding_type, a.erate_frn, a.erate_funding_year) == \
            (d["hp"].id, "279.00", "erate", "2599012345", 2026)
        assert a.location_id == d["r1"].id and a.warranty_end == dt.date(2029, 11, 30)
        assert a.purchase_date == dt.date(2026, 11, 30) and a.supplier.name == "CDW-G"
    # The sheet of 30 printed when full; 20 wait for the next sheet.
    assert len(page.printed_files) == 1 and len(intake.queued(s.id)) == 20
    assert page.print_button.text() == "Print queued labels (20)"

    # A serial already in the register is refused, with the asset to open.
    burst(qtbot, "5CD9999999")
    assert page.banner.text() == "ALREADY IN THE REGISTER"
    assert d["old"].tag in page.banner.detail() and "Library" in page.banner.detail()
    assert page.open_existing.isVisible() and feedback.last_feedback[0] == "error"
    assert page.totals_line.text() == "50 of 50"
    opened = []
    import ui.dialogs.asset_editor as editor
    monkeypatch.setattr(editor, "open_asset", lambda parent, rid: opened.append(rid) and False)
    page.open_existing.click()
    assert opened == [d["old"].id]
    # The last serial again at once is the scanner repeating itself: ignored, no error.
    page.handle_scan(serials[-1])
    assert "ignored" in page.banner.detail() and page.totals_line.text() == "50 of 50"

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    page.findChild(QPushButton, "intake-close").click()  # asks first, then prints and closes
    assert asked and "20 queued labels will be printed now" in asked[0]
    rep = intake.report(s.id)
    assert rep.summary() == "PO PO-4471: received 50 of 50 — complete"
    assert page.stack.currentIndex() == 2 and "complete" in page.closed_title.text()
    assert len(page.printed_files) == 2 and intake.queued(s.id) == []
    codes = decode_pdfs(page.printed_files)
    assert sorted(codes) == sorted(a.tag for a in made)
    assert all(Path(p).parent == folder for p in page.printed_files)

    # A roll prints each label at once; undoing a printed one voids its tag.
    page.printed_files.clear()
    s2 = start_from_dialog(page, d, "dymo-30252", 2)
    win.scanbox.setFocus()
    burst(qtbot, "5CD1000001")
    tag = page.banner.text()
    assert len(page.printed_files) == 1 and decode_pdfs(page.printed_files) == [tag]
    assert intake.queued(s2.id) == []
    page.undo_button.click()
    assert tags.is_voided(tag) and "voided" in page.banner.detail()
    assert assets.lookup_tag(tag) is None
    burst(qtbot, "5CD1000002")
    assert page.banner.text() != tag

    # A printer failure keeps the device and queues its label with the reason.
    (tmp_path / "not-a-folder").write_text("x")
    page.folder.setText(str(tmp_path / "not-a-folder"))
    burst(qtbot, "5CD1000003")
    q = intake.queued(s2.id)
    assert len(q) == 1 and q[0]["error"] and "stay queued" in page.banner.detail()
    assert assets.lookup_tag(q[0]["tag"]) is not None
    assert feedback.last_feedback[0] == "attention"
    page.folder.setText(str(folder))
    assert page.print_queued(force=True) == 1 and intake.queued(s2.id) == []
    win.close()


def test_preprinted_pairs_serial_then_tag_and_resumes(bench, qtbot):
    from app.services import intake, tags
    from ui.main_window import MainWindow
    d = bench
    reserved = tags.reserve(2, reason="pre-printed")
    s = intake.start({"model_id": d["hp"].id, "order_number": "PO-8", "preprinted_tags": True,
                      "expected_qty": 2})
    win = MainWindow(start_page="intake")
    qtbot.addWidget(win)
    win.show()
    page = win.current_page()
    assert page.session_id == s.id  # the open intake is picked up
    page.entry.setText("SN:5CD2000001")  # typed by hand, then Enter
    page.entry.returnPressed.emit()
    assert page.banner.text() == "SCAN THE TAG" and page.pending == "5CD2000001"
    assert page.entry.text() == ""
    assert page.handle_scan(d["old"].tag)
    assert page.banner.text() == "TAG REFUSED" and page.pending == "5CD2000001"
    assert page.handle_scan(reserved[0])
    assert page.banner.text() == reserved[0] and page.totals_line.text() == "1 of 2"
    assert page.pending is None and intake.queued(s.id) == []
    win.close()
    win2 = MainWindow(start_page="intake")
    qtbot.addWidget(win2)
    assert win2.current_page().session_id == s.id
    assert win2.current_page().totals_line.text() == "1 of 2"
    win2.close()


def test_a_partly_used_sheet_starts_where_its_labels_do(bench, qtbot, tmp_path):
    """The first sheet prints when the labels left on it are queued, from the
    label the technician names; the sheet after it starts at 1, and closing
    prints the rest from there and says where the next sheet starts."""
    from reports.labels.pdf import placements
    from ui.main_window import MainWindow
    from ui.pages.intake import PDF_FOLDER
    win = MainWindow(start_page="intake")
    qtbot.addWidget(win)
    win.show()
    page = win.current_page()
    page.printer.setCurrentIndex(page.printer.findData(PDF_FOLDER))
    page.folder.setText(str(tmp_path / "labels"))
    start_from_dialog(page, bench, "avery-5160", 60)
    assert page.start_at.isVisible() and page.start_at.maximum() == 30
    page.start_at.setValue(21)  # labels 1–20 of the sheet in the printer are used
    printed = []
    real = page._print
    page._print = lambda ids, t, start=1: printed.append((len(ids), start)) or real(ids, t, start)
    for i in range(9):
        page.handle_scan(f"5CD10{i:05d}")
    assert printed == []  # 9 of the 10 labels left on the sheet
    page.handle_scan("5CD1000009")
    assert printed == [(10, 21)] and page.start_at.value() == 1
    for i in range(10, 15):
        page.handle_scan(f"5CD10{i:05d}")
    page.print_queued(force=True)  # a partial sheet of 5
    assert printed[-1] == (5, 1) and page.start_at.value() == 6
    assert placements(page._template(), 10, 21)[0] == (0, 20)


def test_inactive_assets_are_named_by_their_status_label(bench, qtbot):
    """A serial or tag of a disposed asset reads "Disposed", a retired one
    "Retired" (app.wording's labels), on the banner and in what the sound says."""
    from app.services import assets, intake, tags
    from app.wording import status_label
    from ui import feedback
    from ui.main_window import MainWindow
    d = bench
    gone = asset(d, serial="5CD7777777")
    shelved = asset(d, serial="5CD8888888")
    assets.dispose(gone.id, "recycled")
    assets.retire(shelved.id)
    intake.start({"model_id": d["hp"].id, "order_number": "PO-9", "expected_qty": 2})
    win = MainWindow(start_page="intake")
    qtbot.addWidget(win)
    win.show()
    page = win.current_page()
    for a, status in ((gone, "disposed"), (shelved, "retired")):
        assert page.handle_scan(a.serial)
        assert page.banner.text() == "ALREADY IN THE REGISTER" and page.banner.tone == "error"
        assert f"({status_label(status)}, " in page.banner.detail()
        assert feedback.last_feedback == ("error", f"Already {a.tag} ({status_label(status)})")
    assert "Retired" not in intake.scan(page.session_id, gone.serial).message
    reserved = tags.reserve(1, reason="pre-printed")
    pre = intake.start({"model_id": d["hp"].id, "order_number": "PO-10", "preprinted_tags": True})
    out = intake.scan(pre.id, "5CD9000001")
    out = intake.scan(pre.id, gone.tag, pending=out.pending)
    assert out.kind == "tag_refused" and "(Disposed, " in out.message and reserved
    win.close()
