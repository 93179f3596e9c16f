"""The import wizard and export dialog driven as a user would."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.models import Asset
from tests.app.test_import import HAND, _write


@pytest.fixture(autouse=True)
def boxes(monkeypatch):
    seen = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: seen.append(a[2]))
    return seen


def test_wizard_maps_previews_and_imports(qtbot, sqlite_db, tmp_path, boxes):
    from ui.dialogs.import_wizard import ImportWizard
    from ui.jobs import wait_for_jobs
    bad = HAND + [["LHS-0003", "S3", "Cart", "HP", "X", "Lincoln High / 1", "not a date", "", "", "", "", ""]]
    path = _write(tmp_path / "inv.csv", bad)
    w = ImportWizard(None, str(path))
    qtbot.addWidget(w)
    assert w.kind.currentData() == "assets"
    assert w.columns.cellWidget(0, 2).currentData() == "tag"  # "Tag #"
    w.preview()
    qtbot.waitUntil(lambda: w.done_preview is not None, timeout=10_000)
    assert "row 4, column Date Acquired" in w.report.toPlainText()
    assert not w.import_button.isEnabled()  # refused: nothing can be imported yet
    w.skip_box.setChecked(True)
    w.preview()
    qtbot.waitUntil(lambda: w.import_button.isEnabled(), timeout=10_000)
    w.commit()
    qtbot.waitUntil(lambda: bool(boxes), timeout=10_000)  # the job finished and reported
    wait_for_jobs()
    assert sorted(t for (t,) in Asset.select(Asset.tag).tuples()) == ["LHS-0001", "LHS-0002"]
    assert "Imported 2 new" in boxes[-1]


def test_export_dialog_writes_the_rows(qtbot, sqlite_db, tmp_path, monkeypatch):
    from app import importing
    from ui.dialogs.export import open_export_dialog
    from ui.jobs import wait_for_jobs
    importing.commit(_write(tmp_path / "inv.csv", HAND))
    out = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    ids = [a for (a,) in Asset.select(Asset.id).tuples()]
    open_export_dialog(None, "assets", ids[:1])
    qtbot.waitUntil(out.exists, timeout=10_000)
    wait_for_jobs()
    assert out.read_text(encoding="utf-8-sig").count("\n") == 2  # header and one row
