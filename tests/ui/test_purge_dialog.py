"""The Retention and purge dialog, opened from Settings: rules saved (and a
refused one shown), what is due listed, Purge clicked through to the
certificate, the anonymised student and the backup."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PySide6.QtWidgets import QPushButton

from app.models import Asset, Person
from app.services import retention
from tests.app.factories import district
from tests.app.test_retention import _scene


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


def test_purge_dialog_from_settings(qtbot, sqlite_db, tmp_path, monkeypatch, boxes):
    d = district()
    s = _scene(d)
    from ui.dialogs import purge as mod
    opened = []
    monkeypatch.setattr(mod.PurgeDialog, "exec", lambda self: opened.append(self) or 0)
    from ui.pages.settings import Page
    page = Page()
    qtbot.addWidget(page)
    page.show()
    page.findChild(QPushButton, "open-purge").click()
    dlg = opened[0]
    qtbot.addWidget(dlg)
    due = {r[0]: r[2] for r in dlg.model.rows}
    assert due["Disposed assets"] == "1" and due["People who left"] == "1"
    assert s["erate"].tag in dlg.held.text()
    dlg.years["disposed_assets"].setValue(8)
    next(b for b in dlg.findChildren(QPushButton) if b.text() == "Save rules").click()
    assert retention.years("disposed_assets") == 8 and dlg.message.text() == "Rules saved."
    assert {r[0]: r[2] for r in dlg.model.rows}["Disposed assets"] == "0"
    out = tmp_path / "cert.pdf"
    monkeypatch.setattr("ui.files.ask_save_path", lambda *a, **k: str(out))
    dlg.purge_button.click()
    assert "certificate saved" in dlg.message.text(), dlg.message.text()
    assert Person.get_by_id(d["student"].id).full_name.startswith("former student #")
    assert Asset.select().where(Asset.id == s["old"].id).exists()  # kept 8 years now
    pdf = pdfium.PdfDocument(str(out))
    assert "Certificate of records purge" in pdf[0].get_textpage().get_text_range()
    pdf.close()
    assert not boxes
