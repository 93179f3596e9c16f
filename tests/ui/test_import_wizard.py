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
    shown = [tuple(w.problems.item(r, c).text() for c in range(4)) for r in range(w.problems.rowCount())]
    assert ("4", "Date Acquired", "problem") == shown[0][:3] and "not a date" in shown[0][3]
    assert "Nothing will be imported" in w.report.toPlainText()
    assert not w.import_button.isEnabled()  # refused: nothing can be imported yet
    # "Site / Room" was suggested as the split column; the RAM column stays a custom field.
    assert w.columns.cellWidget(5, 2).currentData() == "site_room"
    assert w.columns.cellWidget(11, 2).currentData() == "custom"
    w.columns.cellWidget(11, 2).setCurrentIndex(0)  # ignore RAM after all
    w.skip_box.setChecked(True)
    w.preview()
    qtbot.waitUntil(lambda: w.import_button.isEnabled(), timeout=10_000)
    w.commit()
    qtbot.waitUntil(lambda: bool(boxes), timeout=10_000)  # the job finished and reported
    wait_for_jobs()
    assert sorted(t for (t,) in Asset.select(Asset.tag).tuples()) == ["LHS-0001", "LHS-0002"]
    assert "Imported 2 new" in boxes[-1]
    a = Asset.get(Asset.tag == "LHS-0001")
    assert (a.site.name, a.location.name, a.custom) == ("Lincoln High", "214", None)


def test_wizard_cancel_writes_nothing(qtbot, sqlite_db, tmp_path, boxes, monkeypatch):
    from app import importing
    from ui.dialogs.import_wizard import ImportWizard
    from ui.jobs import wait_for_jobs
    path = _write(tmp_path / "inv.csv", HAND)
    w = ImportWizard(None, str(path))
    qtbot.addWidget(w)
    real = importing.commit
    monkeypatch.setattr(importing, "commit",
                        lambda *a, **k: real(*a, **{**k, "cancelled": lambda: True}))
    w.commit()
    qtbot.waitUntil(lambda: "Cancelled" in w.report.toPlainText(), timeout=10_000)
    wait_for_jobs()
    assert Asset.select().count() == 0 and not boxes


def test_wizard_follows_a_changed_path_and_names_bad_paths(qtbot, sqlite_db, tmp_path, boxes):
    """Another file typed after a preview is loaded with its own columns
    (Enter loads it); a folder or a missing file is said in words."""
    from ui.dialogs.import_wizard import ImportWizard
    first = _write(tmp_path / "assets.csv", [["Asset Tag", "Name", "Room", "Site", "Cost"],
                                            ["A-1", "Laptop", "1", "HS", "10"]])
    people = _write(tmp_path / "people.csv", [["First Name", "Last Name"], ["Ana", "Rivera"]])
    w = ImportWizard(None, str(first))
    qtbot.addWidget(w)
    w.preview()
    qtbot.waitUntil(lambda: w.done_preview is not None, timeout=10_000)
    assert w.import_button.isEnabled()
    w.path.setText(str(people))
    assert not w.import_button.isEnabled() and w.columns.rowCount() == 0  # the old file is gone
    qtbot.keyClick(w.path, "\r")
    assert w.kind.currentData() == "people" and w.columns.rowCount() == 2
    w.preview()
    qtbot.waitUntil(lambda: w.done_preview is not None, timeout=10_000)
    assert w.done_preview.kind == "people" and w.done_preview.created == 1 and not boxes
    for bad, said in ((tmp_path, "is a folder"), (tmp_path / "nope.csv", "does not exist")):
        w.path.setText(str(bad))
        w.preview()
        assert said in boxes[-1] and "Errno" not in boxes[-1]


def test_export_dialog_writes_the_rows(qtbot, sqlite_db, tmp_path, monkeypatch):
    from app import importing
    from ui.dialogs.export import ExportDialog
    from ui.jobs import wait_for_jobs
    importing.commit(_write(tmp_path / "inv.csv", HAND))
    out = tmp_path / "out"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    ids = [a for (a,) in Asset.select(Asset.id).tuples()]
    dlg = ExportDialog(None, "assets", ids[:1])
    qtbot.addWidget(dlg)
    assert dlg.findChild(type(dlg.keys), "export-keys") is None or not dlg.keys.isVisible()
    dlg.format.setCurrentIndex(dlg.format.findData("csv"))
    dlg.start()
    written = tmp_path / "out.csv"  # the suffix of the chosen format is added
    qtbot.waitUntil(written.exists, timeout=10_000)
    wait_for_jobs()
    assert written.read_text(encoding="utf-8-sig").count("\n") == 2  # header and one row


def test_export_dialog_keys_checkbox_for_licenses(qtbot, sqlite_db, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from app.services import licenses
    from ui.dialogs.export import ExportDialog
    from ui.jobs import wait_for_jobs
    licenses.create(product="Office", seats=5, product_key="ABCDE-12345")
    out = tmp_path / "keys.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    dlg = ExportDialog(None, "licenses", None)
    qtbot.addWidget(dlg)
    assert dlg.format.currentData() == "xlsx" and not dlg.keys.isChecked()
    dlg.keys.setChecked(True)
    dlg.start()
    qtbot.waitUntil(out.exists, timeout=10_000)
    wait_for_jobs()
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][-1] == "Product key" and rows[1][-1] == "ABCDE-12345"
