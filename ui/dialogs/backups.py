"""Backups: the list of copies in the backup folder, Backup now, Restore…,
Open folder, Change folder; the daily backup in the background when the app
opens; and the dialog offered when the database cannot be opened."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from app import backup
from app.services.errors import DomainError
from app.store.db import describe, is_sqlite
from app.wording import plural
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import run_job
from ui.ops import Changes, run_op, show_op_error

log = logging.getLogger(__name__)

HEADERS = ("Taken", "Why", "Assets", "Size")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class BackupsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("backups-dialog")
        self.setWindowTitle("Backups")
        self.resize(720, 460)
        self.folder_label = QLabel()
        self.folder_label.setObjectName("backup-folder")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("backup-note")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("backup-table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((170, 220, 90)):
            self.table.setColumnWidth(i, w)
        self.table.doubleClicked.connect(lambda *_: self.restore_selected())
        self.btn_now = QPushButton("Backup now")
        self.btn_now.setObjectName("backup-now")
        self.btn_now.clicked.connect(self.backup_now)
        self.btn_restore = QPushButton("Restore…")
        self.btn_restore.setObjectName("backup-restore")
        self.btn_restore.clicked.connect(self.restore_selected)
        self.btn_open = QPushButton("Open folder")
        self.btn_open.clicked.connect(self.open_folder)
        self.btn_folder = QPushButton("Change folder…")
        self.btn_folder.setObjectName("backup-change-folder")
        self.btn_folder.clicked.connect(self.change_folder)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.btn_now, self.btn_restore, self.btn_open, self.btn_folder):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.folder_label)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        lay.addLayout(buttons)
        self.backups: list[backup.BackupInfo] = []
        self.refresh()

    # --- contents ---------------------------------------------------------------------------

    def refresh(self) -> None:
        self.folder = backup.backup_folder()
        self.folder_label.setText(f"Backup folder: <b>{self.folder}</b>")
        sqlite = is_sqlite()
        self.backups = backup.list_backups(self.folder) if sqlite else []
        self.table.setRowCount(len(self.backups))
        for r, b in enumerate(self.backups):
            cells = (b.taken_at.strftime("%Y-%m-%d %H:%M:%S"), b.label, f"{b.assets:,}",
                     human_size(b.size))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                item.setToolTip(str(b.path))
                self.table.setItem(r, c, item)
        if self.backups:
            self.table.selectRow(0)
        self.btn_restore.setEnabled(sqlite)
        if not sqlite:
            self.note.setText("This is a PostgreSQL database: back the server up with pg_dump. "
                              "<i>Backup now</i> writes a portable SQLite copy of every table.")
        elif not self.backups:
            self.note.setText("No backups yet. One is made each day the app opens this database, "
                              "before every import and before every upgrade.")
        else:
            self.note.setText("Kept: everything from the last 24 hours, and the newest copy of each "
                              "of the last 7 days, 4 weeks and 12 months.")

    def selected(self) -> backup.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    # --- actions ----------------------------------------------------------------------------

    def backup_now(self) -> None:
        output = None
        if not is_sqlite():
            output = ask_save_path(self, "Portable copy", ("inventory",),
                                   "Compressed SQLite (*.sqlite.gz)")
            if not output:
                return

        def work(progress):
            return backup.make_backup("manual" if output is None else "export", output=output,
                                      automatic=False)

        def done(info):
            self.refresh()
            bus.status_message.emit(f"Backup saved: {info.path.name} ({info.assets:,} assets)")
        self.btn_now.setEnabled(False)
        worker = run_job(self, "Backing up", work, on_done=done, cancellable=False)
        worker.finished.connect(lambda: self.btn_now.setEnabled(True))
        self._worker = worker

    def restore_selected(self) -> None:
        info = self.selected()
        if info is None:
            path, _ = QFileDialog.getOpenFileName(self, "Restore backup", str(self.folder),
                                                  "Backups (*.sqlite.gz *.sqlite);;All files (*)")
            if not path:
                return
            target_path, when = Path(path), Path(path).name
        else:
            target_path, when = info.path, info.taken_at.strftime("%Y-%m-%d %H:%M")
        if restore_with_confirmation(self, target_path, when):
            self.refresh()

    def open_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def change_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Backup folder", str(self.folder))
        if not path:
            return
        # A setting the pages do not show; the dialog re-lists the new folder.
        run_op(self, lambda: backup.set_backup_folder(path), changes=Changes.NONE,
               success=lambda _r: self.refresh(), title="Backup folder")


def restore_with_confirmation(parent, path: Path, when: str) -> bool:
    answer = QMessageBox.question(
        parent, "Restore backup",
        f"Replace the database in use with the backup from {when}?\n\n"
        "The database as it is now is backed up first, so this can be undone. "
        "Close Quartermaster on other computers using this file first.",
        QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    if answer != QMessageBox.Yes:
        return False

    def restored(result) -> None:
        bus.status_message.emit(f"Restored {result.target.name} from {path.name} "
                                f"({plural(result.assets, 'asset')})")
        if result.reset_settings:
            QMessageBox.information(
                parent, "Restore backup",
                "The backup was restored. Settings that pointed outside the database were "
                "reset, so that a restored file cannot choose where your data goes:\n\n"
                + "\n".join(f"• {line[0].upper()}{line[1:]}." for line in result.reset_settings)
                + "\n\nSet them again in Settings if they are still wanted.")

    in_use: list[backup.BackupInUse] = []

    def refused(exc: DomainError) -> None:
        if isinstance(exc, backup.BackupInUse):
            in_use.append(exc)
        else:
            show_op_error(parent, "Restore backup", exc)

    if run_op(parent, lambda: backup.restore(path), changes=Changes.ALL, success=restored,
              on_error=refused, title="Restore backup"):
        return True
    if not in_use:
        return False
    again = QMessageBox.question(
        parent, "Restore backup",
        f"{in_use[0]}\n\nRestore anyway? Those programs stop writing at their next change "
        "and must be re-opened; what they saved until now is in the copy taken first.",
        QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    if again != QMessageBox.Yes:
        return False
    return bool(run_op(parent, lambda: backup.restore(path, force=True), changes=Changes.ALL,
                       success=restored, title="Restore backup"))


def open_backups_dialog(parent=None) -> None:
    BackupsDialog(parent).exec()


# --- the daily backup, off the GUI thread -------------------------------------------------

class _DailyBackup(QObject):
    finished = Signal(object, str)  # BackupInfo or None, error text


def start_daily_backup(on_done=None) -> threading.Thread:
    """Run ``backup.maybe_backup_on_open`` in a worker thread with its own
    connection; ``on_done(info, error)`` is called on the GUI thread."""
    relay = _DailyBackup()
    if on_done is not None:
        relay.finished.connect(on_done, Qt.QueuedConnection)

    def work():
        from app.store.db import worker_connection
        info, error = None, ""
        try:
            with worker_connection():
                info = backup.maybe_backup_on_open()
        except Exception as exc:  # noqa: BLE001 - reported in the status bar, never fatal
            log.warning("daily backup failed: %s", exc)
            error = str(exc)
        relay.finished.emit(info, error)
    thread = threading.Thread(target=work, name="daily-backup", daemon=True)
    thread._qm_relay = relay  # keep the relay alive until the thread ends
    thread.start()
    return thread


# --- a database that cannot be opened -------------------------------------------------------

def recover_dialog(target: str, message: str, parent=None) -> str | None:
    """Offer the ways out for a database that failed to open. Returns the
    target that opened (the restored file, or another one), or None to quit."""
    from app.store.db import DatabaseOpenError, is_postgres_url, open_database
    while True:
        box = QMessageBox(parent)
        box.setObjectName("recover-dialog")
        box.setIcon(QMessageBox.Critical)
        box.setWindowTitle("Quartermaster")
        box.setText(f"Quartermaster cannot use {describe(target)}.")
        box.setInformativeText(message)
        restore_btn = None
        if not is_postgres_url(target):
            restore_btn = box.addButton("Restore newest backup…", QMessageBox.AcceptRole)
        other_btn = box.addButton("Open another database…", QMessageBox.ActionRole)
        box.addButton("Quit", QMessageBox.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        if restore_btn is not None and clicked is restore_btn:
            path = Path(target)
            newest = backup.newest_backup(backup.backup_folder(path), path.stem)
            if newest is None:
                chosen, _ = QFileDialog.getOpenFileName(
                    parent, "No backups in the backup folder — pick one",
                    str(backup.backup_folder(path)), "Backups (*.sqlite.gz *.sqlite);;All files (*)")
                if not chosen:
                    continue
                source = Path(chosen)
            else:
                source = newest.path
            try:
                result = backup.restore(source, path)
                open_database(result.target, before_migration=backup.copy_before_migration)
            except (DomainError, DatabaseOpenError) as exc:
                message = str(exc)
                continue
            QMessageBox.information(parent, "Quartermaster",
                                    f"Restored {path.name} from {source.name} "
                                    f"({plural(result.assets, 'asset')}). The damaged file was kept in "
                                    f"{backup.backup_folder(path)}.")
            return str(result.target)
        if clicked is other_btn:
            chosen, _ = QFileDialog.getOpenFileName(parent, "Open database", "",
                                                    "Quartermaster database (*.sqlite *.db);;All files (*)")
            if not chosen:
                continue
            try:
                open_database(chosen, before_migration=backup.copy_before_migration)
            except DatabaseOpenError as exc:
                target, message = chosen, str(exc)
                continue
            return chosen
        return None
