"""ui.printing and app.printers: labels printed to a PDF printer decode back
to their tags, the calibration offset moves the print, raw ZPL reaches a
queue through `lp -o raw` (a fake lp on PATH, or a real CUPS queue when the
machine has one), and every printing button works when clicked — the
clicked(bool) argument never lands in a printer parameter."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.services import assets, catalog, settings
from reports import labels
from tests.ui.conftest import decode_label_cells, settle_jobs
from ui import printing


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, failing_boxes):
    """Offsets and custom templates in tmp_path; message boxes fail the test."""
    from reports.labels import templates
    monkeypatch.setattr(templates, "user_dir", lambda: tmp_path / "cfg")
    monkeypatch.setattr("app.printers.config_dir", lambda: tmp_path / "cfg")


@pytest.fixture
def tags(sqlite_db):
    settings.update({"org_name": "Lincoln Unified"})
    site = catalog.create_site("Lincoln High")
    room = catalog.create_location(site.id, "Room 214")
    return [assets.create(tag=f"QM-00020{i}", serial=f"SN{i}", location_id=room.id).id
            for i in range(1, 4)]


@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """`lp` and `lpstat` on PATH that record what they are given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "lp"
    log.mkdir()
    lp = bin_dir / "lp"
    lp.write_text(f"#!{sys.executable}\n"
                  "import sys, pathlib\n"
                  f"log = pathlib.Path({str(log)!r})\n"
                  "n = len(list(log.glob('args*')))\n"
                  "(log / f'args{n}').write_text('\\n'.join(sys.argv[1:]))\n"
                  "(log / f'data{n}').write_bytes(sys.stdin.buffer.read())\n"
                  "print(f'request id is {sys.argv[2]}-{n + 1} (1 file(s))')\n")
    lpstat = bin_dir / "lpstat"
    lpstat.write_text("#!/bin/sh\necho 'ZebraGK420'\necho 'OfficeHP'\n")
    for f in (lp, lpstat):
        f.chmod(f.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def sent():
        return [((log / f"args{i}").read_text().split("\n"), (log / f"data{i}").read_bytes())
                for i in range(len(list(log.glob("args*"))))]
    return sent


wait_jobs = settle_jobs
decode_cells = decode_label_cells


def barcode_left_top(pdf_path, dpi=300) -> tuple[int, int]:
    page = pdfium.PdfDocument(str(pdf_path))[0].render(scale=dpi / 72).to_pil()
    found = zxingcpp.read_barcodes(page)
    assert found, "nothing decoded"
    p = found[0].position.top_left
    return p.x, p.y


# --- printing a PDF ------------------------------------------------------------------------

def test_labels_print_at_actual_size_and_decode(qtbot, tags, tmp_path):
    out = tmp_path / "sheet.pdf"
    n = printing.print_labels(printing.pdf_printer(out, 300), labels.items_for_assets(tags),
                              "avery-5160", start_at=4)
    assert n == 1
    page = pdfium.PdfDocument(str(out))[0]
    w, h = page.get_size()
    assert abs(w / 72 - 8.5) < 0.01 and abs(h / 72 - 11) < 0.01  # Letter, not scaled
    t = labels.get_template("avery-5160")
    assert decode_cells(out, t) == {3: ["QM-000201"], 4: ["QM-000202"], 5: ["QM-000203"]}


def test_the_offset_moves_the_print_by_whole_dots(qtbot, tags, tmp_path):
    items = labels.items_for_assets(tags[:1])
    plain, moved, stored = tmp_path / "plain.pdf", tmp_path / "moved.pdf", tmp_path / "stored.pdf"
    printing.print_labels(printing.pdf_printer(plain, 300), items, "dymo-30334")
    printing.print_labels(printing.pdf_printer(moved, 300), items, "dymo-30334", offset=(2.0, 1.0))
    x0, y0 = barcode_left_top(plain)
    x1, y1 = barcode_left_top(moved)
    assert abs((x1 - x0) - round(2.0 / 25.4 * 300)) <= 1
    assert abs((y1 - y0) - round(1.0 / 25.4 * 300)) <= 1
    # Without an explicit offset the printer's stored calibration is used
    # (a PDF printer files it under "default").
    labels.set_offset("dymo-30334", -1.5, 0.5)
    assert printing.offset_for(printing.pdf_printer(stored), "dymo-30334") == (-1.5, 0.5)
    printing.print_labels(printing.pdf_printer(stored, 300), items, "dymo-30334")
    x2, y2 = barcode_left_top(stored)
    assert abs((x2 - x0) - round(-1.5 / 25.4 * 300)) <= 1
    assert abs((y2 - y0) - round(0.5 / 25.4 * 300)) <= 1


def test_report_pages_print_one_to_one(qtbot, tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    src = tmp_path / "src.pdf"
    c = canvas.Canvas(str(src), pagesize=A4)
    for i in range(3):
        c.rect(72, 72, 144, 144, fill=1)
        c.drawString(72, 300, f"page {i + 1}")
        c.showPage()
    c.save()
    data = src.read_bytes()
    out = tmp_path / "printed.pdf"
    printer = printing.pdf_printer(out, 150)
    printing.set_page_pt(printer, *printing.page_size_pt(data))
    assert printing.print_pdf(data, printer) == 3
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 3
    w, h = doc[0].get_size()
    assert abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1
    img = doc[0].render(scale=1).to_pil().convert("L")
    assert img.getpixel((144, int(A4[1]) - 144)) < 60  # the black square where it was drawn
    assert img.getpixel((300, 400)) > 200


# --- raw ZPL ------------------------------------------------------------------------------

def test_zpl_goes_raw_to_the_queue_with_its_calibration(qtbot, tags, fake_lp):
    labels.set_offset("zebra-2x1-203", 1.0, -0.5, printer="ZebraGK420")
    assert printing.zebra_queues() == ["OfficeHP", "ZebraGK420"]
    reply = printing.send_labels_zpl("ZebraGK420", labels.items_for_assets(tags), "zebra-2x1-203")
    assert "ZebraGK420-1" in reply
    [(args, data)] = fake_lp()
    assert args == ["-d", "ZebraGK420", "-o", "raw"]
    text = data.decode()
    assert text.count("^XA") == 3 and "QM-000203" in text
    assert "^LH8,-4" in text  # 1 mm right, 0.5 mm up at 8 dots/mm
    assert text == labels.render_zpl(labels.items_for_assets(tags), "zebra-2x1-203",
                                     offset=(1.0, -0.5))


def test_cli_send_uses_the_queue_calibration(tags, fake_lp, tmp_path, capsys):
    from app.cli import main
    from app.store.db import db
    labels.set_offset("zebra-2x1-203", 0.5, 0.0, printer="ZebraGK420")
    out = tmp_path / "t.zpl"
    assert main(["--db", db.qm_target, "labels", "--tags", "QM-000201", "-o", str(out),
                 "--send", "ZebraGK420"]) == 0
    assert "sent to ZebraGK420" in capsys.readouterr().out
    [(args, data)] = fake_lp()
    assert args == ["-d", "ZebraGK420", "-o", "raw"]
    assert data.decode() == out.read_text() and "^LH4,0" in data.decode()


def test_a_missing_queue_is_a_clear_refusal(fake_lp, monkeypatch, tmp_path):
    from app import printers
    from app.services.errors import ValidationError
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert printers.list_queues() == []
    with pytest.raises(ValidationError, match="lp command was not found"):
        printers.send_raw("^XA^XZ", "Zebra")


def _cups_queue() -> str | None:
    if not shutil.which("lpstat") or not shutil.which("lp"):
        return None
    res = subprocess.run(["lpstat", "-e"], capture_output=True, text=True, timeout=10)
    names = res.stdout.split()
    return "test" if "test" in names else None


@pytest.mark.skipif(_cups_queue() is None, reason="no CUPS queue named test "
                    "(lpadmin -p test -v file:///tmp/qm-cups-test.out -E)")
def test_a_real_cups_queue_takes_the_zpl(tags):
    from app import printers
    text = labels.render_zpl(labels.items_for_assets(tags[:1]), "zebra-2x1-203")
    assert "test" in printers.list_queues()
    assert "test-" in printers.send_raw(text, "test")


# --- the buttons ---------------------------------------------------------------------------

@pytest.fixture
def print_dialog_to_pdf(monkeypatch, tmp_path):
    """The system print dialog, answered: print to a PDF file, at 300 dpi."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    outputs = []

    def exec_(self):
        out = tmp_path / f"printed{len(outputs)}.pdf"
        outputs.append(out)
        p = self.printer()
        p.setOutputFormat(QPrinter.PdfFormat)
        p.setOutputFileName(str(out))
        p.setResolution(300)
        return QDialog.Accepted
    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    return outputs


def test_label_dialog_print_buttons_print(qtbot, tags, print_dialog_to_pdf):
    from ui.dialogs.labels import LabelDialog
    dlg = LabelDialog(None, "asset", tags)
    qtbot.addWidget(dlg)
    dlg.template.setCurrentIndex(dlg.template.findData("avery-5160"))
    qtbot.mouseClick(dlg.print_btn, Qt.LeftButton)
    wait_jobs(qtbot)
    qtbot.mouseClick(dlg.cal_btn, Qt.LeftButton)
    wait_jobs(qtbot)
    printed, calibration = print_dialog_to_pdf
    t = labels.get_template("avery-5160")
    assert decode_cells(printed, t) == {0: ["QM-000201"], 1: ["QM-000202"], 2: ["QM-000203"]}
    assert len(pdfium.PdfDocument(str(calibration))) == 1
    assert "Calibration page sent" in dlg.summary.text()


def test_the_offset_shown_is_the_one_printed(qtbot, tags, print_dialog_to_pdf):
    """The PDF printer's offsets are "default"'s: whatever the box showed for
    another printer, printing switches to the one printed on."""
    from ui.dialogs.labels import LabelDialog
    labels.set_offset("dymo-30334", 2.0, 0.0)  # default
    dlg = LabelDialog(None, "asset", tags[:1])
    qtbot.addWidget(dlg)
    dlg.template.setCurrentIndex(dlg.template.findData("dymo-30334"))
    dlg.printer_name.setEditText("Office HP")
    assert dlg.dx.value() == 0.0
    dlg.print_labels()
    wait_jobs(qtbot)
    assert dlg.printer_name.currentText() == "default" and dlg.dx.value() == 2.0
    plain = print_dialog_to_pdf[0].with_name("plain.pdf")
    printing.print_labels(printing.pdf_printer(plain, 300), labels.items_for_assets(tags[:1]),
                          "dymo-30334", offset=(0, 0))
    assert abs(barcode_left_top(print_dialog_to_pdf[0])[0] - barcode_left_top(plain)[0]
               - round(2.0 / 25.4 * 300)) <= 1


def test_send_to_zebra_button_sends(qtbot, tags, fake_lp, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from ui.dialogs.labels import LabelDialog
    asked = []
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda parent, title, label, items, i, editable: asked.append(items)
                        or ("ZebraGK420", True))
    dlg = LabelDialog(None, "asset", tags)
    qtbot.addWidget(dlg)
    dlg.template.setCurrentIndex(dlg.template.findData("zebra-2x1-203"))
    qtbot.mouseClick(dlg.send_zpl_btn, Qt.LeftButton)
    assert asked == [["OfficeHP", "ZebraGK420"]]
    [(args, data)] = fake_lp()
    assert args[:2] == ["-d", "ZebraGK420"] and data.decode().count("^XA") == 3
    assert "Sent to ZebraGK420" in dlg.summary.text()


def test_intake_uses_the_default_label_template_setting(sqlite_db, qtbot):
    from ui.pages.intake import Page
    settings.update({"default_label_template": "dymo-30334"})
    page = Page()
    qtbot.addWidget(page)
    page.info = {"label_template": None}
    assert page._template().name == "dymo-30334"
    page.info = {"label_template": "no-such-stock"}
    assert page._template().name == "dymo-30334"
    page.info = {"label_template": "avery-5163"}
    assert page._template().name == "avery-5163"
