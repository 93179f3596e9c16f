"""The Reports page: pick a report, only its options show, generate in the
background, the preview shows the PDF's pages, save (patched dialog) writes
files that read back, print to a PDF printer, errors in a message box, and
the last report and its options are remembered."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from tests.app.factories import asset, district

SOON = dt.date.today() + dt.timedelta(days=10)


@pytest.fixture
def setup(sqlite_db, qtbot, monkeypatch, tmp_path, isolated_qsettings):
    from PySide6.QtCore import QSettings
    QSettings().clear()
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: warnings.append(a[2]))
    d = district()
    tags = [asset(d, warranty_end=SOON).tag for _ in range(60)]  # two pages of them
    other = asset(d, warranty_end=SOON, location_id=d["r3"].id)
    return d, tags, other, warnings


def make_page(qtbot):
    from ui.pages.reports import Page
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    win.resize(1300, 850)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    page.test_window = win  # the window lives as long as the test holds the page
    return page


def generate(page, qtbot):
    from ui.jobs import wait_for_jobs
    before = page.pdf
    page.generate()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.pdf is not None and page.pdf is not before, timeout=15_000)


def visible_params(page):
    return {k for k, label in page.labels.items() if label.isVisibleTo(page)}


def test_generate_preview_save_print(setup, qtbot, tmp_path, monkeypatch):
    from ui.jobs import wait_for_jobs
    d, tags, other, warnings = setup
    page = make_page(qtbot)
    assert page.report_list.count() >= 4
    assert page.pdf is None and not page.save_buttons["pdf"].isEnabled()

    page.select_report("depreciation")
    assert visible_params(page) == {"fiscal_year", "site"}
    from app.reporting import fiscal
    assert page.fields["fiscal_year"].value() == fiscal.last_completed_fiscal_year()
    page.select_report("repairs")
    assert visible_params(page) == {"date_from", "date_to", "site"}
    assert page.fields["date_to"].date().toPython() == dt.date.today()
    assert page.fields["date_from"].calendarPopup()

    page.select_report("warranties")
    assert visible_params(page) == {"days", "site"}
    assert "warranty" in page.description.text().lower()
    assert page.fields["days"].value() == 90
    page.fields["days"].setValue(30)
    generate(page, qtbot)
    assert page.pages == 2 and page.page_label.text() == "Page 1 of 2"
    assert not page.preview.pixmap().isNull()
    width = page.preview.pixmap().width()
    assert not page.prev_button.isEnabled() and page.next_button.isEnabled()
    page.next_page()
    assert page.page_label.text() == "Page 2 of 2" and not page.next_button.isEnabled()
    page.zoom_in()
    assert page.preview.pixmap().width() > width
    page.fit_page()
    assert page.preview.pixmap().height() <= page.scroll.height()
    page.fit_width()
    assert page.preview.pixmap().width() == pytest.approx(width, abs=2)
    assert "2 pages" in page.status.text()

    # Save: the dialog is patched; each file reads back.
    chosen = {}
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (chosen["path"], a[4] if len(a) > 4 else ""))
    chosen["path"] = str(tmp_path / "warranties.pdf")
    page.save("pdf")
    wait_for_jobs()
    qtbot.waitUntil(lambda: (tmp_path / "warranties.pdf").exists(), timeout=10_000)
    assert (tmp_path / "warranties.pdf").read_bytes() == page.pdf
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(tmp_path / "warranties.pdf"))
    text = pdf[0].get_textpage().get_text_range()
    assert "Warranties ending within 30 days" in text and tags[0] in text
    pdf.close()

    chosen["path"] = str(tmp_path / "warranties")  # no suffix: the chosen format's is added
    page.save("xlsx")
    wait_for_jobs()
    qtbot.waitUntil(lambda: (tmp_path / "warranties.xlsx").exists(), timeout=10_000)
    import openpyxl
    wb = openpyxl.load_workbook(tmp_path / "warranties.xlsx", read_only=True)
    got = [r[0] for r in wb["Ending"].iter_rows(values_only=True) if r and r[0] in tags]
    wb.close()
    assert sorted(got) == sorted(tags)
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved"), timeout=5_000)

    chosen["path"] = str(tmp_path / "w.csv")
    page.save("csv")
    wait_for_jobs()
    qtbot.waitUntil(lambda: (tmp_path / "w.csv").exists(), timeout=10_000)
    lines = (tmp_path / "w.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Tag,Model,Serial") and len(lines) == 1 + 61

    # Only one site's assets.
    i = page.fields["site"].findData("Lincoln Middle School")
    page.fields["site"].setCurrentIndex(i)
    generate(page, qtbot)
    assert page.pages == 1
    chosen["path"] = str(tmp_path / "lms.csv")
    page.save("csv")
    wait_for_jobs()
    qtbot.waitUntil(lambda: (tmp_path / "lms.csv").exists(), timeout=10_000)
    rows = (tmp_path / "lms.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].startswith(other.tag)

    # Print to a PDF printer: every page arrives, turned to portrait.
    from PySide6.QtPrintSupport import QPrinter
    printer = QPrinter(QPrinter.HighResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setResolution(150)
    page.print_report_to(printer)
    wait_for_jobs()
    qtbot.waitUntil(lambda: "printer" in page.status.text(), timeout=15_000)
    printed = pdfium.PdfDocument(str(tmp_path / "printed.pdf"))
    assert len(printed) == page.pages
    w, h = printed[0].get_size()
    assert w < h
    printed.close()
    assert warnings == []


def test_errors_shortcuts_and_memory(setup, qtbot):
    from PySide6.QtTest import QTest
    from ui.jobs import wait_for_jobs
    d, tags, other, warnings = setup
    page = make_page(qtbot)
    page.select_report("by-person")
    assert visible_params(page) >= {"person"}
    page.fields["person"].setText("NO-SUCH-ID")
    page.generate()
    wait_for_jobs()
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "NO-SUCH-ID" in warnings[0]
    assert page.pdf is None and page.generate_button.isEnabled()

    page.select_report("repairs")
    page.fields["date_from"].setDate(page.fields["date_to"].date().addDays(5))
    warnings.clear()
    page.generate()
    wait_for_jobs()
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "after" in warnings[0]

    # Ctrl+G and Enter generate.
    page.select_report("warranties")
    page.fields["days"].setValue(45)
    page.report_list.setFocus()
    QTest.keyClick(page.report_list, Qt.Key_G, Qt.ControlModifier)
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.pdf is not None, timeout=15_000)
    first = page.pdf
    page.fields["days"].setFocus()
    QTest.keyClick(page.fields["days"], Qt.Key_Return)
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.pdf is not first, timeout=15_000)

    # A new page opens on the last report with its options.
    again = make_page(qtbot)
    assert again.current_spec().name == "warranties"
    assert again.fields["days"].value() == 45
    again.select_report("repairs")
    assert again.fields["date_from"].date() == page.fields["date_from"].date()
    # Another day: the dates go back to the report's defaults, the site stays.
    from PySide6.QtCore import QSettings
    QSettings().setValue("reports/repairs/saved_on", "2001-01-01")
    QSettings().setValue("reports/repairs/site", "Lincoln Middle School")
    later = make_page(qtbot)
    later.select_report("repairs")
    assert later.fields["date_to"].date().toPython() == dt.date.today()
    assert later.fields["date_from"].date() != page.fields["date_from"].date()
    assert later.fields["site"].currentData() == "Lincoln Middle School"


def test_erate_inventory_takes_a_funding_year(setup, qtbot):
    """The E-Rate inventory shows its Funding year box ("All years" at first)
    and the site; other reports do not show the box."""
    from app.services import catalog
    d = setup[0]
    catalog.set_site_ben(d["site"].id, "125548")
    asset(d, erate_frn="2599012345", erate_frn_line="1", erate_funding_year=2025)
    page = make_page(qtbot)
    page.select_report("erate-inventory")
    box = page.fields["funding_year"]
    assert box.isVisible() and box.text() == "All years"
    assert page.params().funding_year is None
    box.setValue(2025)
    params = page.params()
    assert params.funding_year == 2025
    from app.reporting import get
    doc = get("erate-inventory").build(params)
    assert [r[0] for r in doc.sections[0].tables[0].rows] == ["2599012345.001"]
    page.select_report("warranties")
    assert not box.isVisible()
