"""The People page's CALPADS device file action."""
from __future__ import annotations

from tests.app.factories import district
from tests.app.test_calpads import _students


def test_people_page_writes_the_file(qtbot, sqlite_db, tmp_path, monkeypatch):
    """People → CALPADS device file… asks where, writes the caret file."""
    from PySide6.QtWidgets import QFileDialog

    from ui.pages.people import Page
    d = district()
    _students(d)
    target = tmp_path / "devices.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "CALPADS file, caret-delimited (*.txt)"))
    page = Page()
    qtbot.addWidget(page)
    page.show()
    act = next(a for a in page.page_actions if a.text() == "CALPADS device file…")
    page.update_actions()
    assert act.isEnabled()
    act.trigger()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert any(ln.split("^")[3] == "1234567890" for ln in lines)
