"""The main window: sidebar of pages, the always-ready scan/search box, menus,
status bar; routes scans, navigation and record requests from the bus."""
from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMainWindow, QMessageBox, QSizePolicy, QSplitter,
                               QStackedWidget, QToolBar, QWidget)

from app.store.db import current_target, describe
from app.wording import plural
from ui import theme
from ui.bus import bus
from ui.files import ask_save_path
from ui.jobs import show_error
from ui.ops import Changes, announce, run_op
from ui.pages import PageSpec, discover

log = logging.getLogger(__name__)


# Go → page shortcuts by page key, so a page added, or one that fails to load,
# never moves another page's keys. Ctrl+0 is left to the Reports page (fit
# width), so the pages after the ninth take Ctrl+Shift+digit.
GO_SHORTCUTS = {"dashboard": "Ctrl+1", "assets": "Ctrl+2", "people": "Ctrl+3",
                "locations": "Ctrl+4", "licenses": "Ctrl+5", "supplies": "Ctrl+6",
                "loans": "Ctrl+7", "repairs": "Ctrl+8", "stocktake": "Ctrl+9",
                "intake": "Ctrl+Shift+1", "reports": "Ctrl+Shift+2", "settings": "Ctrl+Shift+3"}


def go_shortcuts(keys: list[str]) -> list[str | None]:
    """The Go shortcut of each page key: its own, else the next free
    Ctrl+Shift+digit (None once the digits run out)."""
    taken = {GO_SHORTCUTS[k] for k in keys if k in GO_SHORTCUTS}
    spare = [f"Ctrl+Shift+{d}" for d in "1234567890" if f"Ctrl+Shift+{d}" not in taken]
    return [GO_SHORTCUTS.get(k) or (spare.pop(0) if spare else None) for k in keys]


class MainWindow(QMainWindow):
    fit_to_screen = True  # screenshots turn it off: their size is exact, whatever the screen
    def __init__(self, start_page: str | None = None, size: tuple[int, int] | None = None):
        """``size``: a window size asked for on the command line (``gui --size``);
        it wins over the size remembered from the last session."""
        super().__init__()
        self._asked_size = size
        self.setObjectName("main-window")
        # The platform adds " — Quartermaster" (the application's display name).
        self.setWindowTitle(describe(current_target()))
        self.setWindowIcon(theme.icon("app"))
        self.specs: list[PageSpec] = discover()
        self.pages: dict[str, QWidget] = {}
        self.stale: set[str] = set()

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMinimumWidth(150)
        self.sidebar.setMaximumWidth(260)
        self.sidebar.setIconSize(self.sidebar.iconSize() * 1.2)
        for spec in self.specs:
            item = QListWidgetItem(theme.icon(spec.icon), spec.title)
            item.setData(Qt.UserRole, spec.key)
            self.sidebar.addItem(item)
        self.stack = QStackedWidget()
        self.welcome = None
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([190, 1200])
        self.setCentralWidget(self.splitter)
        self.sidebar.currentRowChanged.connect(self._row_changed)

        self._build_toolbar()
        self._build_menus()
        self.db_label = QLabel(describe(current_target()))
        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.db_label)
        self._show_identity()

        self._bus_links = [(bus.navigate, self.navigate), (bus.open_record, self.open_record),
                           (bus.status_message, self._status), (bus.scanned, self.route_scan),
                           (bus.data_changed, self._data_changed),
                           (bus.print_labels, self._print_labels)]
        for signal, slot in self._bus_links:
            signal.connect(slot)

        self._restore_layout()
        self._update_counts(later=True)
        first = start_page or QSettings().value("window/page", "dashboard")
        if self._asset_count == 0 and not start_page:
            self.show_welcome()
        else:
            self.show_page(first if self._spec(first) else self.specs[0].key)
        self._watch_other_instances()

    # --- pages --------------------------------------------------------------------------

    def _spec(self, key: str) -> PageSpec | None:
        return next((s for s in self.specs if s.key == key), None)

    def page(self, key: str) -> QWidget | None:
        """The page widget, created on first use (start-up builds only one page)."""
        if key in self.pages:
            return self.pages[key]
        spec = self._spec(key)
        if spec is None:
            return None
        try:
            widget = spec.factory(self.stack)
        except Exception as exc:  # noqa: BLE001 - one broken page must not take the app down
            log.exception("page %s failed", key)
            show_error(self, spec.title, exc)
            return None
        widget.setObjectName(f"page-{key}")
        self._adopt_undo(widget)
        self.pages[key] = widget
        self.stack.addWidget(widget)
        return widget

    def current_key(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(Qt.UserRole) if item else None

    def current_page(self) -> QWidget | None:
        w = self.stack.currentWidget()
        return w if w is not self.welcome else None

    def show_page(self, key: str) -> QWidget | None:
        row = next((i for i, s in enumerate(self.specs) if s.key == key), None)
        if row is None:
            return None
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)  # → _row_changed
        else:
            self._row_changed(row)
        return self.pages.get(key)

    def _row_changed(self, row: int) -> None:
        if row < 0:
            return
        key = self.specs[row].key
        widget = self.page(key)
        if widget is None:
            return
        self.stack.setCurrentWidget(widget)
        self._update_undo()
        if key in self.stale and hasattr(widget, "refresh"):
            self.stale.discard(key)
            widget.refresh()
        QSettings().setValue("window/page", key)

    def navigate(self, key: str, filters: dict) -> None:
        widget = self.show_page(key)
        if widget is None:
            self.statusBar().showMessage(f"There is no {key} page.", 5000)
            return
        self.stale.discard(key)
        if filters and hasattr(widget, "apply_filters"):
            widget.apply_filters(filters)

    def show_welcome(self) -> None:
        from ui.welcome import WelcomePage
        if self.welcome is None:
            self.welcome = WelcomePage(self)
            self.stack.addWidget(self.welcome)
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(-1)
        self.sidebar.blockSignals(False)
        self.stack.setCurrentWidget(self.welcome)
        self._update_undo()

    def is_ready(self) -> bool:
        w = self.stack.currentWidget()
        check = getattr(w, "is_ready", None)
        return bool(check()) if check else True

    # --- toolbar and menus ------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        self.addToolBar(tb)
        self.scanbox = QLineEdit()
        self.scanbox.setObjectName("scanbox")
        self.scanbox.setPlaceholderText("Scan or type a tag, serial, room label, name…  (Ctrl+F)")
        self.scanbox.setClearButtonEnabled(True)
        self.scanbox.addAction(theme.icon("scan"), QLineEdit.LeadingPosition)
        self.scanbox.returnPressed.connect(self._scanbox_entered)
        tb.addWidget(self.scanbox)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        self.act_new = tb.addAction("New asset", self.new_asset)
        self.act_new.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.act_check_in = tb.addAction("Check in…", self.check_in)
        self.act_find = QAction("&Find", self)
        self.act_find.setShortcut(QKeySequence.Find)
        self.act_find.triggered.connect(self._focus_search)
        self.addAction(self.act_find)

    def _show_identity(self) -> None:
        """Who is connected with what role (the server's answer on PostgreSQL),
        and what that role may not do greyed out; the server refuses it anyway."""
        from app.services import team
        ident = team.current()
        self.identity_label = QLabel(ident.text)
        self.identity_label.setObjectName("team-identity")
        may = ", ".join(a for a in team.ACTIONS if a in ident.can_do) or "read only"
        self.identity_label.setToolTip(f"Connected as {ident.user}, role {ident.role_label}. "
                                       f"May: {may}.")
        self.statusBar().addPermanentWidget(self.identity_label)
        writer = team.can("write")
        for act in (self.act_new, self.act_check_in, getattr(self, "act_import", None)):
            if act is not None:
                act.setEnabled(writer)
                if not writer:
                    act.setToolTip(f"Your role ({ident.role_label}) may only look.")

    def _focus_search(self) -> None:
        page = self.current_page()
        box = getattr(getattr(page, "list", None), "search", None)
        target = box if box is not None else self.scanbox
        target.setFocus()
        target.selectAll()

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file = mb.addMenu("&File")
        file.addAction("&Open database…", self.open_database_dialog, QKeySequence("Ctrl+Shift+O"))
        file.addAction("&New database…", self.new_database_dialog)
        file.addSeparator()
        self.act_import = file.addAction("&Import spreadsheet…", self.import_file,
                                         QKeySequence("Ctrl+Shift+I"))
        file.addAction("&Export this list…", self.export_list, QKeySequence("Ctrl+Shift+E"))
        file.addAction("&Backups…", self.backups)
        file.addSeparator()
        file.addAction("&Quit", self.close, QKeySequence.Quit)
        edit = mb.addMenu("&Edit")
        # The one Ctrl+Z of the window: it runs the current page's own undo
        # (the last asset edit, the last intake device) and is greyed out where
        # a page has none, instead of each page holding a competing shortcut.
        self.act_undo = edit.addAction("&Undo", self.undo_current)
        self.act_undo.setShortcut(QKeySequence.Undo)
        self.act_undo.setEnabled(False)
        edit.addSeparator()
        edit.addAction(self.act_find)
        self.go_menu = go = mb.addMenu("&Go")
        for spec, keys in zip(self.specs, go_shortcuts([s.key for s in self.specs])):
            act = go.addAction(spec.title, lambda k=spec.key: self.show_page(k))
            act.setObjectName(f"go-{spec.key}")
            if keys:
                act.setShortcut(QKeySequence(keys))
        go.addSeparator()
        go.addAction("Refresh", self.refresh_current, QKeySequence.Refresh)
        help_menu = mb.addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.HelpContents)
        help_menu.addAction("&About Quartermaster", self.about)

    # --- actions --------------------------------------------------------------------------

    def new_asset(self, tag: str | None = None) -> None:
        from ui.dialogs.asset_editor import open_asset
        asset_id = open_asset(self, None, **({"tag": tag} if tag else {}))
        if asset_id:
            self.navigate("assets", {"ids": [asset_id]})

    def check_in(self) -> None:
        from ui.dialogs.asset_actions import CheckInDialog
        CheckInDialog([], self).exec()

    def _page_undo(self, page=None):
        """The current page's undo action (pages offer one as ``undo_action``)."""
        page = page if page is not None else self.current_page()
        return getattr(page, "undo_action", None)

    def _adopt_undo(self, widget) -> None:
        """Take a page's own Ctrl+Z onto Edit → Undo (two live Ctrl+Z would be
        ambiguous and neither would fire); the page's action keeps working
        from its buttons and context menu."""
        act = self._page_undo(widget)
        if act is None:
            return
        act.setShortcut(QKeySequence())
        act.changed.connect(self._update_undo)

    def _update_undo(self) -> None:
        act = self._page_undo()
        if act is None:
            self.act_undo.setText("&Undo")
            self.act_undo.setEnabled(False)
        else:
            self.act_undo.setText(act.text())  # "Undo last edit", "Undo last device"
            self.act_undo.setEnabled(act.isEnabled())

    def undo_current(self) -> None:
        act = self._page_undo()
        if act is not None and act.isEnabled():
            act.trigger()

    def refresh_current(self) -> None:
        page = self.current_page()
        if page is not None and hasattr(page, "refresh"):
            page.refresh()
        self._update_counts()

    def import_file(self) -> None:
        from ui.dialogs.import_wizard import open_import_wizard
        open_import_wizard(self)

    def export_list(self) -> None:
        from ui.dialogs.export import open_export_dialog
        page = self.current_page()
        lst = getattr(page, "list", None)
        if lst is None:
            QMessageBox.information(self, "Export", "Open a list (Assets, People, …) to export it.")
            return
        open_export_dialog(self, lst.kind, list(lst.model.all_ids()))

    def backups(self) -> None:
        from ui.dialogs.backups import open_backups_dialog
        open_backups_dialog(self)

    def _print_labels(self, kind: str, ids: list) -> None:
        from ui.dialogs.labels import open_label_dialog
        open_label_dialog(self, kind, ids)

    def open_database_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open database", "",
                                              "Quartermaster database (*.sqlite *.db);;All files (*)")
        if path:
            self.switch_database(path)

    def new_database_dialog(self) -> None:
        path = ask_save_path(self, "New database", "inventory.sqlite",
                             "Quartermaster database (*.sqlite)")
        if path:
            self.switch_database(path)

    def switch_database(self, target: str) -> None:
        from app.backup import copy_before_migration
        from app.store.db import DatabaseOpenError, close_database, open_database
        old = current_target()
        close_database()
        try:
            open_database(target, before_migration=copy_before_migration)
        except DatabaseOpenError as exc:
            show_error(self, "Open database", exc)
            open_database(old)
            return
        # Remembered without a password (libpq finds it in ~/.pgpass or
        # PGPASSWORD next time, or the app asks): no password is written.
        QSettings().setValue("database/last", describe(target))
        replacement = MainWindow()
        replacement.resize(self.size())
        replacement.move(self.pos())
        replacement.show()
        QApplication.instance().setProperty("main_window", replacement)
        self._switching = True
        self.close()

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(where, what, keys) for every action with a shortcut: the menus,
        then each page's actions, read from the actions themselves so the
        list cannot drift from what the keys do."""
        rows = []

        def add(where, act):
            keys = act.shortcut().toString(QKeySequence.NativeText)
            text = act.text().replace("&", "").replace("…", "").strip()
            if keys and text:
                rows.append((where, text, keys))
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            for act in menu.actions() if menu else []:
                add(menu_action.text().replace("&", ""), act)
        add("Toolbar", self.act_new)
        for spec in self.specs:
            page = self.pages.get(spec.key) or (self.page(spec.key) if spec.key == "assets" else None)
            for act in getattr(page, "page_actions", []):
                add(spec.title, act)
            undo = self._page_undo(page)
            if undo is not None:
                rows.append((spec.title, undo.text(), self.act_undo.shortcut().toString(QKeySequence.NativeText)))
        return rows

    def show_shortcuts(self) -> None:
        from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QTableWidget,
                                       QTableWidgetItem, QVBoxLayout)
        dlg = QDialog(self)
        dlg.setObjectName("shortcuts-dialog")
        dlg.setWindowTitle("Keyboard shortcuts")
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 3, dlg)
        table.setObjectName("shortcuts-table")
        table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.setSelectionMode(QTableWidget.NoSelection)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        note = QLabel("Scan anywhere: the scanner does not need a text box. "
                      "Enter opens the selected row.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(dlg.reject)
        lay = QVBoxLayout(dlg)
        lay.addWidget(table, 1)
        lay.addWidget(note)
        lay.addWidget(buttons)
        dlg.resize(560, 520)
        self._shortcuts_dialog = dlg  # for tests
        dlg.exec()

    def about(self) -> None:
        from app import __version__
        QMessageBox.about(self, "About Quartermaster",
                          f"Quartermaster {__version__}\nAsset and equipment inventory for schools.\n\n"
                          f"Database: {describe(current_target())}")

    # --- scans and records ----------------------------------------------------------------

    def _scanbox_entered(self) -> None:
        text = self.scanbox.text().strip()
        if text:
            self.scanbox.clear()
            self.route_scan(text, typed=True)

    def route_scan(self, code: str, typed: bool = False) -> None:
        """A scan goes to an open dialog that takes scans, then the current page,
        then the default: open what it names."""
        modal = QApplication.activeModalWidget()
        if modal is not None:
            # A dialog takes the scan for what it is for (a batch, a seat list),
            # or says so; nothing ever acts behind it.
            if not (hasattr(modal, "handle_scan") and modal.handle_scan(code)):
                self.scan_not_used(code, modal)
            return
        page = self.current_page()
        if page is not None and hasattr(page, "handle_scan") and page.handle_scan(code):
            return
        self.open_scanned(code, typed=typed)

    def scan_not_used(self, code: str, modal: QWidget) -> None:
        """A scan the open dialog cannot use: said over that dialog (with the
        attention sound), never silently dropped, never acted on behind it."""
        from ui import feedback
        title = modal.windowTitle() or "this window"
        text = f"Scan {code} not used here: close “{title}” first"
        feedback.show_feedback("attention", text, modal)
        self.statusBar().showMessage(text, 8000)

    def open_scanned(self, code: str, typed: bool = False) -> None:
        from app import scanning
        resolved: list = []
        if not run_op(self, lambda: scanning.resolve(code), changes=Changes.NONE,
                      success=resolved.append, title="Scan"):
            return
        res = resolved[0]
        if res.kind == "asset" and len(res.candidates) > 1:
            self.navigate("assets", {"ids": list(res.candidates)})
        elif res.kind == "asset" and res.id:
            self.open_record("asset", res.id)
        elif res.kind == "location" and res.id:
            self.navigate("assets", {"location_id": res.id})
        elif res.kind == "person" and res.id:
            self.open_record("person", res.id)
        elif res.kind == "supply" and res.id and self._spec("supplies"):
            # A box's barcode means stock is moving: the Supplies page opens
            # Issue (or Receive, as its scan mode says) for that item.
            page = self.show_page("supplies")
            if not (page is not None and page.handle_scan(code)):
                self.open_record("supply", res.id)
        elif typed:
            self.navigate("assets", {"search": code})
        else:
            answer = QMessageBox.question(
                self, "Unknown tag", f"Nothing has the code {res.code or code}.\n"
                f"Create an asset with tag {res.code or code}?",
                QMessageBox.Yes | QMessageBox.No)
            if answer == QMessageBox.Yes:
                self.new_asset(res.code or code)

    def open_record(self, kind: str, record_id: int) -> None:
        if kind == "asset":
            from ui.dialogs.asset_editor import open_asset
            if open_asset(self, record_id):
                self._refresh_visible()
        else:
            key = {"person": "people", "location": "locations", "supply": "supplies",
                   "license": "licenses", "loan": "loans", "repair": "repairs"}.get(kind, kind)
            widget = self.show_page(key)
            if widget is not None and hasattr(widget, "open_record"):
                widget.open_record(record_id)

    # --- data changes -------------------------------------------------------------------------

    def _data_changed(self, changes: Changes) -> None:
        """Pages other than the one shown re-read when next shown, if the
        change is one they show (their ``CHANGES``; every change when a page
        does not say)."""
        self.stale.update(k for k, page in self.pages.items() if k != self.current_key()
                          and getattr(page, "CHANGES", Changes.ALL) & changes)
        if changes & Changes.SETTINGS:
            self._reload_scanner_settings()
        if changes & (Changes.ASSETS | Changes.INTAKE):
            self._update_counts()
        if self.welcome is not None and self.stack.currentWidget() is self.welcome \
                and self._asset_count:
            self.show_page("dashboard" if self._spec("dashboard") else self.specs[0].key)

    def _reload_scanner_settings(self) -> None:
        """The scanner's timing and suffix are settings: a change takes effect at once."""
        from ui.scanner import current_filter
        filt = current_filter()
        if filt is not None and hasattr(filt, "reload_settings"):
            filt.reload_settings()

    def _refresh_visible(self) -> None:
        page = self.current_page()
        lst = getattr(page, "list", None)
        if lst is not None and lst.loaded:
            lst.model.refresh_rows()

    def _update_counts(self, later: bool = False) -> None:
        """The status bar's asset count. ``later``: at start-up, whether there are
        any is enough to choose the first page; the count itself (a second at a
        million assets) comes off the GUI thread after the first paint."""
        from app.models import Asset
        if not later:
            self._show_count(Asset.select().count())
            return
        self._asset_count = 1 if Asset.select().exists() else 0
        if not self._asset_count:
            self._show_count(0)
            return
        from ui.jobs import run_quietly
        run_quietly(self, lambda: Asset.select().count(), self._show_count, title="Counting")

    def _show_count(self, n: int) -> None:
        self._asset_count = n
        self.count_label.setText(plural(n, "asset"))

    def _watch_other_instances(self) -> None:
        """Another workstation or window changed data: refresh what is shown."""
        from app.store import changes
        try:
            self._change_token = changes.changed_since(None)[1]
        except Exception:  # noqa: BLE001 - watching is a convenience, never a failure
            log.exception("change watch unavailable")
            return

        def poll():
            if self._reopen_if_restored():
                return
            try:
                changed, self._change_token = changes.changed_since(self._change_token)
            except Exception:  # noqa: BLE001
                return
            if changed:
                self.stale.update(self.pages)
                announce(Changes.ALL)  # counts, and pages that listen for changes
                page = self.current_page()
                if page is not None and hasattr(page, "refresh") and QApplication.activeModalWidget() is None:
                    self.stale.discard(self.current_key())
                    self._refresh_keeping_place(page)
        self._change_timer = QTimer(self, interval=2000, timeout=poll)
        self._change_timer.start()

    def _reopen_if_restored(self) -> bool:
        """Another workstation restored a backup over this file: re-open it
        (never keep writing to the old copy), show the restored data, and say so."""
        from app import backup
        from app.store import db as store_db
        try:
            if not store_db.file_replaced():
                return False
            target = store_db.current_target()
            note = store_db.replaced_message(target).split(";")[0]
            store_db.close_database()
            store_db.open_database(target, before_migration=backup.copy_before_migration)
        except Exception:  # the next write refuses, with the reason, anyway
            log.exception("re-opening the restored database failed")
            return False
        from app.store import changes
        self._change_token = changes.changed_since(None)[1]
        self.stale.update(self.pages)
        announce(Changes.ALL)
        page = self.current_page()
        if page is not None and hasattr(page, "refresh"):
            self.stale.discard(self.current_key())
            page.refresh()
        bus.status_message.emit(f"{note}; Quartermaster re-opened it and shows the restored data.")
        return True

    def _refresh_keeping_place(self, page) -> None:
        """Refresh a page for someone else's change without losing the
        selection or the scroll position where the page has a list."""
        lst = getattr(page, "list", None)
        table = getattr(lst, "table", None)
        if lst is None or table is None or not getattr(lst, "loaded", False):
            page.refresh()
            return
        selected = lst.selected_ids()
        current = lst.current_id()
        scroll = table.verticalScrollBar().value()
        page.refresh()
        from PySide6.QtCore import QItemSelectionModel
        flags = QItemSelectionModel.Select | QItemSelectionModel.Rows
        for record_id in selected or ([current] if current else []):
            row = lst.model.row_of(record_id)
            if row >= 0:
                table.selectionModel().select(lst.model.index(row, 0), flags)
        table.verticalScrollBar().setValue(scroll)

    # --- layout memory ------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        s = QSettings()
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        else:
            self.resize(1360, 860)
        if self._asked_size:
            self.resize(*self._asked_size)
        # restoreGeometry() nudges a window left on an unplugged monitor just
        # inside the nearest edge; where it was saved says whether it was.
        saved = s.value("window/frame")
        self._fit_screen(saved if isinstance(saved, QRect) and saved.isValid() else None)
        split = s.value("window/splitter")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.splitter.restoreState(split)

    def _fit_screen(self, saved: QRect | None = None) -> None:
        """Within the screen it opens on: a size remembered on a larger monitor
        (or the default) would put the toolbar's end and the status bar out
        of reach on a 1024×700 one; a window left on a monitor since unplugged
        comes back to the middle of the main one."""
        from PySide6.QtGui import QGuiApplication
        screens = QGuiApplication.screens()
        if not screens or self.isMaximized() or self.isFullScreen():
            return
        frame = self.frameGeometry()
        where = saved if saved is not None else frame
        screen = next((sc for sc in screens if sc.availableGeometry().intersects(where)), None)
        avail = (screen or QGuiApplication.primaryScreen()).availableGeometry()
        extra_w = frame.width() - self.width()  # the window manager's frame
        extra_h = frame.height() - self.height()
        w = min(self.width(), avail.width() - extra_w)
        h = min(self.height(), avail.height() - extra_h)
        if (w, h) != (self.width(), self.height()):
            self.resize(max(w, 640), max(h, 480))
        frame = self.frameGeometry()
        if screen is None or not avail.contains(frame):
            x = min(max(frame.x(), avail.x()), avail.right() - frame.width() + 1)
            y = min(max(frame.y(), avail.y()), avail.bottom() - frame.height() + 1)
            if screen is None:
                x = avail.x() + (avail.width() - frame.width()) // 2
                y = avail.y() + (avail.height() - frame.height()) // 2
            self.move(max(x, avail.x()), max(y, avail.y()))

    def showEvent(self, event):
        super().showEvent(event)
        if self.fit_to_screen and not getattr(self, "_fitted_shown", False):
            # Fitted once more now that the window manager's frame (title bar,
            # borders) is known: fitted before, the frame hung off a small screen.
            self._fitted_shown = True
            self._fit_screen()
            QTimer.singleShot(0, self._fit_screen)

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def closeEvent(self, event):
        for signal, slot in self._bus_links:  # a closed window no longer answers scans
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self._bus_links = []
        if getattr(self, "_change_timer", None):
            self._change_timer.stop()
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/frame", self.frameGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        for widget in self.pages.values():
            lst = getattr(widget, "list", None)
            if lst is not None:
                lst.save_header()
        super().closeEvent(event)
