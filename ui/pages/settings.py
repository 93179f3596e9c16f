"""Settings: the organisation (name and logo on labels and reports; address,
phone and email on the letters home), tag
numbering, fiscal year and thresholds, loans, the database in use, the
scanner (what tells its bursts from typing, prefix/suffix, repeats, sounds)
and the scanner test when the scanner module is installed.

The page scrolls vertically only; Save stays in a bar below the scroll area
so it is on screen at any window height."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from app.services import settings
from app.store.db import current_target, describe
from ui import theme
from ui.bus import bus
from ui.ops import Changes, run_op

PAGE_KEY = "settings"
PAGE_TITLE = "Settings"
PAGE_ORDER = 110
PAGE_ICON = "settings"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


class Page(QWidget):
    CHANGES = Changes.SETTINGS

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Settings")
        title.setObjectName("page-title")
        self.org = QLineEdit()
        self.org.setObjectName("org_name")
        self.logo = QLineEdit()
        self.logo.setPlaceholderText("an image file (PNG, JPG) for labels and reports")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_logo)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(browse)
        # The district's contact on the letters home (reports/letters.py).
        self.address = QPlainTextEdit()
        self.address.setObjectName("org_address")
        self.address.setPlaceholderText("street\ncity, state ZIP")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 4 + 14)
        self.phone = QLineEdit()
        self.phone.setObjectName("org_phone")
        self.phone.setPlaceholderText("the number families call about devices")
        self.email = QLineEdit()
        self.email.setObjectName("org_email")
        self.email.setPlaceholderText("e.g. devices@district.org")
        self.prefix = QLineEdit()
        self.prefix.setObjectName("tag_prefix")
        self.digits = QSpinBox()
        self.digits.setRange(1, 12)
        self.next_number = QSpinBox()
        self.next_number.setRange(1, 2_000_000_000)
        self.next_number.setObjectName("tag_next")
        self.example = QLabel()
        for w in (self.prefix,):
            w.textChanged.connect(self._show_example)
        self.digits.valueChanged.connect(self._show_example)
        self.next_number.valueChanged.connect(self._show_example)
        self.fy_month = QComboBox()
        self.fy_month.addItems(MONTHS)
        self.capital = _money_box()
        self.capital.setObjectName("capitalization_threshold")
        self.inventory = _money_box()
        self.inventory.setObjectName("inventory_threshold")
        self.loan_days = QSpinBox()
        self.loan_days.setRange(1, 3650)
        self.loan_days.setSuffix(" days")
        self.template = QComboBox()
        # Long stock names must not widen the page past a 1024 px window.
        self.template.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.template.setMinimumContentsLength(18)
        try:
            from reports.labels import list_templates
            for t in list_templates():
                self.template.addItem(getattr(t, "title", t.name), t.name)
        except Exception:  # noqa: BLE001 - a broken template file must not hide Settings
            pass
        self.message = QLabel()
        self.message.setObjectName("settings-message")
        self.message.setWordWrap(True)
        save = QPushButton("Save settings")
        save.setObjectName("save-settings")
        save.setDefault(True)
        save.clicked.connect(self.save)
        self.save_button = save
        from app.services import team
        if not team.can("settings"):  # the server refuses it anyway; say so up front
            save.setEnabled(False)
            save.setToolTip(f"Only an admin may change settings (you are "
                            f"{team.current().text}).")

        org_box = QGroupBox("Organization")
        f = QFormLayout(org_box)
        f.addRow("Name", self.org)
        f.addRow("Logo", logo_row)
        f.addRow("Address", self.address)
        f.addRow("Phone", self.phone)
        f.addRow("Email", self.email)
        tag_box = QGroupBox("Asset tags")
        f = QFormLayout(tag_box)
        f.addRow("Prefix", self.prefix)
        f.addRow("Digits", self.digits)
        f.addRow("Next number", self.next_number)
        f.addRow("Next tag", self.example)
        money_box = QGroupBox("Fiscal year and reports")
        f = QFormLayout(money_box)
        f.addRow("Fiscal year starts", self.fy_month)
        f.addRow("Capitalization threshold", self.capital)
        f.addRow("Inventory threshold", self.inventory)
        other = QGroupBox("Loans and labels")
        f = QFormLayout(other)
        f.addRow("Default loan length", self.loan_days)
        f.addRow("Default label stock", self.template)
        fees_btn = QPushButton("Fees, prices and kits…")
        fees_btn.setObjectName("open-fee-settings")
        fees_btn.setToolTip("Damage price list, first-incident forgiveness, insurance, and each "
                            "model's kit and replacement cost")
        fees_btn.clicked.connect(self._fee_settings)
        f.addRow("Device fees", fees_btn)

        db_box = QGroupBox("Database")
        self.db_label = QLabel()
        self.db_label.setWordWrap(True)
        self.db_label.setObjectName("db-in-use")
        open_btn = QPushButton("Open another database…")
        open_btn.clicked.connect(lambda: self.window().open_database_dialog()
                                 if hasattr(self.window(), "open_database_dialog") else None)
        d = QVBoxLayout(db_box)
        d.addWidget(self.db_label)
        # Which database this computer uses: remembered in the local settings
        # (QSettings), never in the database itself.
        self.db_target = QLineEdit()
        self.db_target.setObjectName("db-target")
        self.db_target.setPlaceholderText("a file path, or postgresql://user@host/dbname for a team")
        test_btn = QPushButton("Test connection")
        test_btn.setObjectName("db-test")
        test_btn.clicked.connect(self._test_connection)
        use_btn = QPushButton("Use this database")
        use_btn.setObjectName("db-use")
        use_btn.clicked.connect(self._use_database)
        target_row = QHBoxLayout()
        target_row.addWidget(self.db_target, 1)
        target_row.addWidget(test_btn)
        target_row.addWidget(use_btn)
        d.addLayout(target_row)
        self.db_result = QLabel()
        self.db_result.setObjectName("db-test-result")
        self.db_result.setWordWrap(True)
        self.db_result.hide()
        d.addWidget(self.db_result)
        self.backup_label = QLabel()
        self.backup_label.setObjectName("backup-summary")
        self.backup_label.setWordWrap(True)
        d.addWidget(self.backup_label)
        row = QHBoxLayout()
        row.addWidget(open_btn)
        backups = QPushButton("Backups…")
        backups.setObjectName("open-backups")
        backups.clicked.connect(self._backups)
        row.addWidget(backups)
        purge = QPushButton("Retention and purge…")
        purge.setObjectName("open-purge")
        purge.clicked.connect(self._purge)
        row.addWidget(purge)
        row.addStretch(1)
        d.addLayout(row)

        scanner_box = self._build_scanner()

        body = QWidget()
        body.setObjectName("settings-body")
        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.addWidget(title)
        cols = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        for w in (org_box, tag_box, money_box):
            left.addWidget(w)
        for w in (other, db_box):
            right.addWidget(w)
        left.addStretch(1)
        right.addStretch(1)
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)
        lay.addLayout(cols)
        # The scanner settings and the test box span the width: the test's
        # table needs it for its seven columns.
        lay.addWidget(scanner_box)
        self.scanner_test = None
        from ui.widgets.scanner_test import ScannerTestWidget
        scan_box = QGroupBox("Scanner test")
        self.scanner_test = ScannerTestWidget(scan_box)
        QVBoxLayout(scan_box).addWidget(self.scanner_test)
        lay.addWidget(scan_box)
        lay.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("settings-scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        # Vertical only: every row wraps or shrinks to the width it is given.
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        bar = QFrame()
        bar.setObjectName("settings-bar")
        bar.setFrameShape(QFrame.StyledPanel)
        buttons = QHBoxLayout(bar)
        buttons.setContentsMargins(12, 6, 12, 6)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(save)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.scroll, 1)
        outer.addWidget(bar)
        self._ready = False

    def _build_scanner(self) -> QGroupBox:
        """The scanner's thresholds, affixes, repeat window and sounds."""
        box = QGroupBox("Scanner")
        box.setObjectName("scanner-settings")
        self.scan_enabled = QCheckBox("Recognize scanner bursts in every window")
        self.scan_enabled.setObjectName("scanner_enabled")
        self.scan_min_length = _int_box(1, 64, " characters", "scanner_min_length",
                                        "A shorter burst is a person typing (a tag has 4 or more).")
        self.scan_max_gap = _int_box(5, 250, " ms", "scanner_max_avg_gap_ms",
                                     "The average time between a scan's characters; scanners "
                                     "send one every 1-20 ms, people every 80-300 ms.")
        self.scan_silence = _int_box(20, 2000, " ms", "scanner_silence_ms",
                                     "A pause this long ends a scan that sent no Enter or Tab.")
        self.scan_repeat = _int_box(0, 10_000, " ms", "scanner_repeat_ms",
                                    "The same code again within this time is ignored (0: never).")
        self.scan_repeat.setSingleStep(250)
        self.scan_enter = QCheckBox("Enter")
        self.scan_enter.setObjectName("scanner_terminator_enter")
        self.scan_tab = QCheckBox("Tab")
        self.scan_tab.setObjectName("scanner_terminator_tab")
        ends = QHBoxLayout()
        ends.addWidget(self.scan_enter)
        ends.addWidget(self.scan_tab)
        ends.addStretch(1)
        for w in (self.scan_enter, self.scan_tab):
            w.setToolTip("The key the scanner sends after a code; with neither ticked, "
                         "silence ends a scan.")
        self.scan_prefix = QLineEdit()
        self.scan_prefix.setObjectName("scanner_prefix")
        self.scan_prefix.setPlaceholderText("none")
        self.scan_suffix = QLineEdit()
        self.scan_suffix.setObjectName("scanner_suffix")
        self.scan_suffix.setPlaceholderText("none")
        for w in (self.scan_prefix, self.scan_suffix):
            w.setToolTip("Characters the scanner was programmed to add; removed from each code.")
        self.scan_sounds = QCheckBox("Play a sound after each scan")
        self.scan_sounds.setObjectName("scanner_sounds")
        self.scan_volume = _int_box(0, 100, " %", "scanner_volume", "Loudness of the sounds.")
        self.scan_volume.setSingleStep(10)
        self.scan_sounds.toggled.connect(self.scan_volume.setEnabled)
        restore = QPushButton("Restore defaults")
        restore.setObjectName("scanner-defaults")
        restore.setToolTip("Put the scanner's default values in these fields (then Save settings).")
        restore.clicked.connect(self.restore_scanner_defaults)

        left, right = QFormLayout(), QFormLayout()
        left.addRow(self.scan_enabled)
        left.addRow("Minimum length", self.scan_min_length)
        left.addRow("Average gap at most", self.scan_max_gap)
        left.addRow("Ended by", ends)
        left.addRow("Silence ends a scan after", self.scan_silence)
        right.addRow("Prefix to strip", self.scan_prefix)
        right.addRow("Suffix to strip", self.scan_suffix)
        right.addRow("Ignore a repeat within", self.scan_repeat)
        right.addRow(self.scan_sounds)
        right.addRow("Volume", self.scan_volume)
        restore_row = QHBoxLayout()
        restore_row.addStretch(1)
        restore_row.addWidget(restore)
        right.addRow(restore_row)
        row = QHBoxLayout(box)
        row.addLayout(left, 1)
        row.addSpacing(12)
        row.addLayout(right, 1)
        return box

    def _show_scanner(self, s: dict) -> None:
        d = settings.DEFAULTS

        def num(key):
            try:
                return int(s.get(key))
            except (TypeError, ValueError):
                return int(d[key])
        self.scan_enabled.setChecked(bool(s.get("scanner_enabled", True)))
        self.scan_min_length.setValue(num("scanner_min_length"))
        self.scan_max_gap.setValue(num("scanner_max_avg_gap_ms"))
        self.scan_silence.setValue(num("scanner_silence_ms"))
        self.scan_repeat.setValue(num("scanner_repeat_ms"))
        ends = {t.strip().lower() for t in str(s.get("scanner_terminators") or "").split(",")}
        self.scan_enter.setChecked("enter" in ends)
        self.scan_tab.setChecked("tab" in ends)
        self.scan_prefix.setText(s.get("scanner_prefix") or "")
        self.scan_suffix.setText(s.get("scanner_suffix") or "")
        self.scan_sounds.setChecked(bool(s.get("scanner_sounds", True)))
        self.scan_volume.setValue(num("scanner_volume"))
        self.scan_volume.setEnabled(self.scan_sounds.isChecked())

    def restore_scanner_defaults(self) -> None:
        self._show_scanner(dict(settings.DEFAULTS))
        self.message.setText("Scanner defaults restored in the fields — Save settings to use them.")

    def scanner_values(self) -> dict:
        ends = [name for name, box in (("enter", self.scan_enter), ("tab", self.scan_tab))
                if box.isChecked()]
        return {
            "scanner_enabled": self.scan_enabled.isChecked(),
            "scanner_min_length": self.scan_min_length.value(),
            "scanner_max_avg_gap_ms": self.scan_max_gap.value(),
            "scanner_silence_ms": self.scan_silence.value(),
            "scanner_terminators": ",".join(ends),
            "scanner_prefix": self.scan_prefix.text(),
            "scanner_suffix": self.scan_suffix.text(),
            "scanner_repeat_ms": self.scan_repeat.value(),
            "scanner_sounds": self.scan_sounds.isChecked(),
            "scanner_volume": self.scan_volume.value(),
        }

    def showEvent(self, event):
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        s = settings.get_all()
        self.org.setText(s.get("org_name") or "")
        self.logo.setText(s.get("org_logo") or "")
        self.address.setPlainText(s.get("org_address") or "")
        self.phone.setText(s.get("org_phone") or "")
        self.email.setText(s.get("org_email") or "")
        self.prefix.setText(s.get("tag_prefix") or "")
        self.digits.setValue(int(s.get("tag_digits") or 6))
        self.next_number.setValue(int(s.get("tag_next") or 1))
        self.fy_month.setCurrentIndex(int(s.get("fiscal_year_start_month") or 7) - 1)
        self.capital.setValue(float(s.get("capitalization_threshold") or 0))
        self.inventory.setValue(float(s.get("inventory_threshold") or 0))
        self.loan_days.setValue(int(s.get("loan_days") or 180))
        self._show_scanner(s)
        i = self.template.findData(s.get("default_label_template"))
        if i >= 0:
            self.template.setCurrentIndex(i)
        self.db_label.setText(f"In use: <b>{describe(current_target())}</b>")
        if not self.db_target.text():
            self.db_target.setText(describe(current_target()))
        self._show_backups()
        self.message.clear()
        self._ready = True

    def _show_example(self) -> None:
        from app.services.tags import format_tag
        self.example.setText(format_tag(self.next_number.value(), self.prefix.text(),
                                        self.digits.value()))

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Logo", "", "Images (*.png *.jpg *.jpeg *.gif *.bmp)")
        if path:
            self.logo.setText(path)

    def _fee_settings(self) -> None:
        from ui.dialogs.fee_settings import open_fee_settings
        open_fee_settings(self)

    def _backups(self) -> None:
        from ui.dialogs.backups import open_backups_dialog
        open_backups_dialog(self)
        self._show_backups()

    def _purge(self) -> None:
        from ui.dialogs.purge import open_purge_dialog
        open_purge_dialog(self)
        self._show_backups()

    def _show_backups(self) -> None:
        from app import backup
        from app.store.db import is_sqlite
        if not is_sqlite():
            self.backup_label.setText("Backups: a PostgreSQL server is backed up with pg_dump; "
                                      "Backups… writes a portable copy.")
            return
        folder = backup.backup_folder()
        newest = backup.newest_backup(folder)
        when = newest.taken_at.strftime("%Y-%m-%d %H:%M") if newest else "none yet"
        self.backup_label.setText(f"Backups in {folder} — newest: {when}")

    def _test_connection(self) -> None:
        from app.store.db import DatabaseOpenError, test_connection
        try:
            text = test_connection(self.db_target.text())
        except DatabaseOpenError as exc:
            self.db_result.setText(theme.coloured(html.escape(str(exc))))
        else:
            self.db_result.setText(text)
        self.db_result.show()

    def _use_database(self) -> None:
        target = self.db_target.text().strip()
        if not target or target == describe(current_target()):
            return
        window = self.window()
        if hasattr(window, "switch_database"):
            window.switch_database(target)

    def values(self) -> dict:
        return {
            "org_name": self.org.text().strip(),
            "org_logo": self.logo.text().strip() or None,
            "org_address": self.address.toPlainText(),
            "org_phone": self.phone.text().strip(),
            "org_email": self.email.text().strip(),
            "tag_prefix": self.prefix.text(),
            "tag_digits": self.digits.value(),
            "tag_next": self.next_number.value(),
            "fiscal_year_start_month": self.fy_month.currentIndex() + 1,
            "capitalization_threshold": f"{self.capital.value():.2f}",
            "inventory_threshold": f"{self.inventory.value():.2f}",
            "loan_days": self.loan_days.value(),
            "default_label_template": self.template.currentData(),
            **self.scanner_values(),
        }

    def show_op_error(self, exc) -> bool:
        """A refused save is said under the form, not in a box (see ui.ops)."""
        self.message.setText(theme.coloured(html.escape(str(exc))))
        return True

    def save(self) -> None:
        values = self.values()
        if values["org_logo"]:
            from pathlib import Path
            if not Path(values["org_logo"]).is_file():
                self.message.setText(theme.coloured(
                    f"The logo file {html.escape(values['org_logo'])} does not exist."))
                return
        if values["scanner_silence_ms"] <= values["scanner_max_avg_gap_ms"]:
            # Otherwise every pause between a scan's characters would end it.
            self.message.setText(theme.coloured(
                "The silence that ends a scan must be longer than the average gap."))
            self.scan_silence.setFocus()
            return
        if not run_op(self, lambda: settings.update(values), changes=Changes.SETTINGS,
                      title="Settings"):
            return
        self.message.setText("Saved.")
        from ui.scanner import current_filter
        filt = current_filter()
        if filt is not None:
            filt.reload_settings()  # in case nothing links it to the bus (tests, embedding)
        if self.scanner_test is not None:
            self.scanner_test.show_rules()
        bus.status_message.emit("Settings saved")

    def is_ready(self) -> bool:
        return self._ready


def _int_box(low: int, high: int, suffix: str, name: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setObjectName(name)
    box.setToolTip(tip)
    return box


def _money_box() -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, 10_000_000)
    box.setDecimals(2)
    box.setPrefix("$ ")
    box.setGroupSeparatorShown(True)
    return box
