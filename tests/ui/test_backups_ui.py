"""Backups in the desktop: the Backups dialog (list, Backup now, Restore…,
change folder), the daily backup in the background, the dialog offered for a
damaged database, Settings' database field, and the change poll that
refreshes a list when another process writes (keeping the selection)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import backup
from app.models import Asset
from app.services import assets
from tests.app.factories import asset, district
from tests.ui.conftest import shown_window

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def isolated_settings(isolated_qsettings, monkeypatch):
    for name in ("warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: pytest.fail(f"message box: {a[1:3]}"))


@pytest.fixture
def reg(sqlite_db):
    d = district()
    made = [asset(d, name=f"Laptop {n}") for n in range(1, 13)]
    return d, made


def test_backups_dialog_lists_backs_up_and_restores(qtbot, reg, tmp_path, monkeypatch):
    from ui.dialogs.backups import BackupsDialog
    from ui.jobs import wait_for_jobs
    d, made = reg
    dlg = BackupsDialog()
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 0 and "No backups yet" in dlg.note.text()
    dlg.btn_now.click()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=10_000)
    wait_for_jobs()
    assert dlg.table.item(0, 1).text() == "manual" and dlg.table.item(0, 2).text() == "12"
    assets.update(made[0].id, {"name": "Changed after the backup"})
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    dlg.table.selectRow(0)
    dlg.restore_selected()
    assert assets.get(made[0].id).name == "Laptop 1"  # restored and re-opened
    reasons = [dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())]
    assert "before restore" in reasons  # the database as it was is kept
    share = tmp_path / "share"
    share.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(share))
    dlg.change_folder()
    assert dlg.folder == share and "share" in dlg.folder_label.text()
    assert dlg.table.rowCount() == 0


def test_restore_answered_no_changes_nothing(qtbot, reg, monkeypatch):
    from ui.dialogs.backups import BackupsDialog
    d, made = reg
    backup.make_backup("manual")
    assets.update(made[0].id, {"name": "Kept"})
    dlg = BackupsDialog()
    qtbot.addWidget(dlg)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    dlg.restore_selected()
    assert assets.get(made[0].id).name == "Kept"


def test_daily_backup_runs_in_the_background(qtbot, reg, tmp_path):
    from ui.dialogs.backups import start_daily_backup
    results = []
    thread = start_daily_backup(lambda info, error: results.append((info, error)))
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    thread.join(5)
    info, error = results[0]
    assert error == "" and info is not None and info.reason == "daily"
    assert info.path.exists() and Asset.select().count() == 12  # the GUI connection still works


def test_damaged_database_offers_restore(qtbot, tmp_path, monkeypatch):
    from app.store.db import DatabaseOpenError, close_database, open_database
    from ui.dialogs import backups as dialogs
    path = tmp_path / "inv.sqlite"
    open_database(path)
    d = district()
    asset(d)
    good = backup.make_backup("manual")
    close_database()
    with path.open("r+b") as f:  # the schema pages overwritten
        f.seek(100)
        f.write(os.urandom(4096 * 8))
    with pytest.raises(DatabaseOpenError) as err:
        open_database(path)
    shown = {}

    def fake_exec(box):
        shown["text"] = box.text() + " " + box.informativeText()
        shown["buttons"] = [b.text() for b in box.buttons()]
        restore = next(b for b in box.buttons() if b.text().startswith("Restore"))
        monkeypatch.setattr(box, "clickedButton", lambda: restore)
        return 0
    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    infos = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: infos.append(a[2]))
    opened = dialogs.recover_dialog(str(path), str(err.value))
    assert sorted(shown["buttons"]) == ["Open another database…", "Quit", "Restore newest backup…"]
    assert "Restore the newest good backup" in shown["text"]
    assert opened == str(path) and Asset.select().count() == 1
    assert good.path.name in infos[0]
    close_database()


def test_settings_shows_and_tests_the_database(qtbot, reg, tmp_path, monkeypatch):
    from ui.main_window import MainWindow
    w = MainWindow(start_page="settings")
    qtbot.addWidget(w)
    w.show()
    page = w.page("settings")
    qtbot.waitUntil(page.is_ready)
    assert "qm.sqlite" in page.db_target.text() and "qm.sqlite" in page.db_label.text()
    assert "Backups in" in page.backup_label.text()
    page.db_target.setText(str(tmp_path / "new-one.sqlite"))
    page._test_connection()
    assert "will create a new database" in page.db_result.text()
    page.db_target.setText(str(page.db_target.text()).replace("new-one", "qm"))
    page._test_connection()
    assert "schema" in page.db_result.text() and "12 assets" in page.db_result.text()
    page.db_target.setText("postgresql://nobody@127.0.0.1:1/none")
    page._test_connection()
    assert "Cannot connect" in page.db_result.text()
    switched = []
    monkeypatch.setattr(w, "switch_database", lambda t: switched.append(t))
    page.db_target.setText(str(tmp_path / "other.sqlite"))
    page._use_database()
    assert switched == [str(tmp_path / "other.sqlite")]
    w.close()


def test_another_process_writing_refreshes_the_list_keeping_the_selection(qtbot, reg):
    d, made = reg
    w = shown_window(qtbot, start_page="assets")
    page = w.current_page()
    page.list.select_id(made[3].id)
    assert page.list.selected_ids() == [made[3].id]
    w._change_timer.setInterval(100)
    from app.store.db import current_target
    script = textwrap.dedent(f"""
        import sys
        from app.store.db import open_database
        from app.services import assets
        open_database(sys.argv[1])
        assets.update({made[5].id}, {{"name": "Renamed on the other computer"}})
    """)
    res = subprocess.run([sys.executable, "-c", script, current_target()], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    row = page.list.model.row_of(made[5].id)
    col = page.list.model.column_index("name")
    qtbot.waitUntil(lambda: page.list.model.index(row, col).data() == "Renamed on the other computer",
                    timeout=10_000)
    assert page.list.selected_ids() == [made[3].id]
    w.close()


def test_a_restore_on_another_workstation_reopens_the_window_on_the_restored_data(qtbot, reg):
    """The window is registered, so a restore elsewhere is refused; forced, the
    window notices within its poll, re-opens the file and says why."""
    from app.store.db import current_target
    _d, made = reg
    info = backup.make_backup("manual")
    assets.update(made[0].id, {"name": "Changed after the backup"})
    w = shown_window(qtbot, start_page="assets")
    w._change_timer.setInterval(100)
    messages = []
    from ui.bus import bus
    bus.status_message.connect(messages.append)
    qm = [sys.executable, "-m", "app", "--db", current_target(), "restore", str(info.path)]
    env = {**os.environ, "QM_NO_AUTO_BACKUP": "1"}
    res = subprocess.run(qm, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert res.returncode == 1 and "is using qm.sqlite on" in res.stderr
    res = subprocess.run(qm[:-1] + ["--force", qm[-1]], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env=env, check=False)
    assert res.returncode == 0, res.stderr
    qtbot.waitUntil(lambda: any("restored from a backup" in m for m in messages), timeout=10_000)
    assert assets.get(made[0].id).name == "Laptop 1"  # the restored data, from the re-opened file
    assets.update(made[1].id, {"name": "Written after the restore"})  # and writable again
    w.close()


def test_restore_in_use_asks_and_reset_settings_are_shown(qtbot, reg, tmp_path, monkeypatch):
    from app.services import settings
    from ui.dialogs.backups import restore_with_confirmation
    settings.update({"backup_folder": str(tmp_path / "elsewhere")})
    info = backup.make_backup("manual")
    settings.update({"backup_folder": None})
    asked, told = [], []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    assert restore_with_confirmation(None, info.path, "today")
    assert len(asked) == 1 and not told[0].startswith("Restore anyway")
    assert "backup folder setting" in told[0] and str(tmp_path / "elsewhere") in told[0]
    assert settings.get("backup_folder") is None
