"""The Letters home dialog (People page → Letters home…): kind, school and
grade, saved as a PDF or CSV through the save dialog, written in the
background job; a refusal is said under the form; the Settings page keeps
the district's contact the letters print."""
from __future__ import annotations

import csv

import pypdfium2 as pdfium
import pytest
from PySide6.QtWidgets import QFileDialog

from tests.app.letters_data import school
from tests.ui.conftest import settle_jobs


@pytest.fixture
def data(sqlite_db, failing_boxes):
    return school()


_settle = settle_jobs


def _dialog(qtbot):
    from ui.dialogs.letters import LettersDialog
    dlg = LettersDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_writes_the_pdf_and_the_csv_in_the_background(qtbot, data, tmp_path, monkeypatch):
    dlg = _dialog(qtbot)
    dlg.kind.setCurrentIndex(dlg.kind.findData("fees"))
    dlg.site.setCurrentIndex(dlg.site.findData("Lincoln Middle School"))
    assert [dlg.grade.itemData(i) for i in range(dlg.grade.count())] == [None, "6", "7", "8"]
    out = tmp_path / "fees.pdf"
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, filt, *a: asked.append(start) or (str(out), filt))
    dlg.pdf_button.click()
    _settle(qtbot)
    assert "letters-fees-Lincoln-Middle-School-" in asked[0]
    assert "Saved" in dlg.message.text() and "2 letters to 2 families" in dlg.message.text()
    doc = pdfium.PdfDocument(str(out))
    text = " ".join(" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))
    doc.close()
    assert "Monto a pagar $65.00" in text and "Amount due $25.50" in text

    merge = tmp_path / "fees.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(merge), ""))
    dlg.grade.setCurrentIndex(dlg.grade.findData("6"))
    dlg.csv_button.click()
    _settle(qtbot)
    with merge.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    # Grade 6: Luis (the Garcías) and Emma (the Smiths) owe.
    assert sorted(r["students"] for r in rows) == ["Emma Smith", "Luis García"]


def test_nobody_to_write_to_is_said_under_the_form(qtbot, data, tmp_path, monkeypatch):
    dlg = _dialog(qtbot)
    dlg.kind.setCurrentIndex(dlg.kind.findData("not-returned"))
    dlg.site.setCurrentIndex(dlg.site.findData("Riverside High School"))
    out = tmp_path / "none.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    dlg.pdf_button.click()
    _settle(qtbot)
    assert dlg.message.text().startswith("No families to write to: at Riverside High School")
    assert not out.exists()


def test_people_page_opens_it(qtbot, data, monkeypatch):
    from ui.dialogs import letters as dialog
    from ui.pages.people import Page
    opened = []
    monkeypatch.setattr(dialog.LettersDialog, "exec", lambda self: opened.append(self) or 0)
    page = Page()
    qtbot.addWidget(page)
    action = next(a for a in page.page_actions if a.text() == "Letters home…")
    assert action.isEnabled()  # nothing needs selecting
    action.trigger()
    assert opened and opened[0].windowTitle() == "Letters home"


def test_settings_page_keeps_the_district_contact(qtbot, data):
    from app.services import settings
    from ui.pages.settings import Page
    page = Page()
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(page.is_ready)
    assert page.phone.text() == "(951) 555-0142"
    page.address.setPlainText("  PO Box 9 \n\n Riverside, CA 92502 ")
    page.email.setText("help@riversideusd.org")
    page.save()
    assert page.message.text() == "Saved."
    assert settings.get("org_address") == "PO Box 9\nRiverside, CA 92502"
    assert settings.get("org_email") == "help@riversideusd.org"
    page.email.setText("not an email")
    page.save()
    assert "not an email address" in page.message.text()
    assert settings.get("org_email") == "help@riversideusd.org"
