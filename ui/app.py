"""Starting the desktop application (and its screenshot mode)."""
from __future__ import annotations

import os
import sys


def run_gui(args) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    if getattr(args, "screenshot", None) and not os.environ.get("QT_QPA_PLATFORM") \
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Quartermaster")
    app.setApplicationName("Quartermaster")
    app.setApplicationDisplayName("Quartermaster")
    from ui import crash
    crash.install()  # a bug in a slot, timer or job: logged, a dialog, and the window carries on
    if getattr(args, "screenshot", None):
        # Screenshots never read or change the user's remembered layout.
        QSettings.setDefaultFormat(QSettings.IniFormat)
        import tempfile
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="qm-shot-"))
    from ui import theme
    theme.apply(app)

    from app.store import secrets
    secrets.set_prompt(_password_dialog)
    from app.store.db import DatabaseOpenError, is_postgres_url, open_database, resolve_target
    target = args.db or os.environ.get("QUARTERMASTER_DB") or QSettings().value("database/last") or None
    from app.backup import copy_before_migration
    try:
        open_database(target, before_migration=copy_before_migration)
    except DatabaseOpenError as first:
        failure: DatabaseOpenError | None = first
        remembered = target and not args.db and not os.environ.get("QUARTERMASTER_DB")
        missing = not is_postgres_url(str(target or "")) and target \
            and not os.path.exists(str(target))
        if remembered and missing:
            QSettings().remove("database/last")  # the last file is gone: fall back to the default
            target = None
            try:
                open_database(None, before_migration=copy_before_migration)
                failure = None
            except DatabaseOpenError as again:
                failure = again
        if failure is not None:
            # Damaged, unreadable or unreachable: the ways out, never a traceback; nothing
            # is written to a database that could not be verified.
            from ui.dialogs.backups import recover_dialog
            opened = recover_dialog(resolve_target(target), str(failure))
            if opened is None:
                return 1
            from app.store.db import describe
            QSettings().setValue("database/last", describe(opened))  # never a password

    from app.backup import clean_leftovers
    clean_leftovers()  # what killed backups and restores left behind
    from ui.main_window import MainWindow
    from ui.scanner import install_scanner
    app.setProperty("scanner", None)
    app._qm_scanner = install_scanner(app)
    size = _size(getattr(args, "size", None))
    if size is False:
        return 2
    window = MainWindow(start_page=getattr(args, "page", None), size=size)
    app._qm_window = window
    if os.environ.get("QM_E2E_STATE"):  # the end-to-end tests' probe (tests/e2e/)
        from ui import e2e_probe
        window._qm_e2e_probe = e2e_probe.install(window)
    if getattr(args, "screenshot", None):
        return _screenshot(app, window, args)
    _daily_backup(window)
    window.show()
    code = app.exec()
    from ui.jobs import wait_for_jobs
    wait_for_jobs()  # a page's figures still being counted: let the thread end first
    return code


def _password_dialog(where: str) -> str | None:
    """The server wants a password that ~/.pgpass and PGPASSWORD did not give:
    ask (kept in memory only, never saved)."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit
    text, ok = QInputDialog.getText(None, "Quartermaster", f"Password for {where}:",
                                    QLineEdit.Password)
    return text if ok and text else None


def _daily_backup(window) -> None:
    """The daily automatic backup, in the background; the status bar says how it went."""
    from ui.dialogs.backups import start_daily_backup

    def done(info, error):
        try:
            if error:
                window.statusBar().showMessage(f"The daily backup failed: {error}", 15000)
            elif info is not None:
                window.statusBar().showMessage(f"Daily backup saved: {info.path.name}", 8000)
        except RuntimeError:  # the window closed meanwhile
            pass
    window._qm_daily_backup = start_daily_backup(done)


def _size(text):
    """``--size WIDTHxHEIGHT`` as (width, height); None when not given, False
    (after printing why) when it cannot be read."""
    if not text:
        return None
    try:
        w, h = (int(x) for x in str(text).lower().split("x"))
        if w > 0 and h > 0:
            return w, h
    except ValueError:
        pass
    print(f"error: --size takes WIDTHxHEIGHT, not {text}", file=sys.stderr)
    return False


def _screenshot(app, window, args) -> int:
    """Show offscreen, wait until the page has painted its data, save, exit."""
    import time

    from PySide6.QtCore import QTimer
    w, h = _size(getattr(args, "size", None)) or (1440, 900)
    window.fit_to_screen = False
    window.resize(w, h)
    window.show()
    deadline = time.monotonic() + 30
    result = {"code": 1}

    def check():
        if window.is_ready() or time.monotonic() > deadline:
            for _ in range(3):
                app.processEvents()
            ok = window.grab().save(args.screenshot)
            if not ok:
                print(f"error: cannot write {args.screenshot}", file=sys.stderr)
            result["code"] = 0 if ok else 1
            app.quit()
        else:
            QTimer.singleShot(30, check)
    QTimer.singleShot(0, check)
    app.exec()
    from ui.jobs import wait_for_jobs
    wait_for_jobs()
    return result["code"]
