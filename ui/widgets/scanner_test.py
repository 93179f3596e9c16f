"""Scanner test (embedded in the Settings page): scan into the box and see
exactly what the scanner sends — each character, the gaps between them, the
terminator — and whether Quartermaster recognized it as a scan, with the
reason when not. Scans made here only show up here; they open nothing.
The line above the box states the rules the running filter applies now
(``show_rules``; Settings calls it after a save)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ui import feedback

COLS = ("Time", "Characters", "Count", "Gaps (ms)", "Average", "Ended by", "Result")


def visible(text: str) -> str:
    """Characters as a person can read them, control characters named."""
    names = {"\t": "⇥", "\r": "⏎", "\n": "␊", " ": "␣"}
    return "".join(names.get(c, c if c.isprintable() else f"\\x{ord(c):02x}") for c in text)


class ScannerTestWidget(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("scanner-test")
        # The scanner filter sees this property and keeps scans made here local.
        self.setProperty("scanner_test", True)
        self.filter = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.box = QLineEdit()
        self.box.setObjectName("scanner-test-box")
        self.box.setPlaceholderText("Click here, then scan a label (or type, to compare)")
        # Empty (hidden) until the first run: a lone placeholder dash reads as a stray mark.
        self.result = QLabel()
        self.result.setObjectName("scanner-test-result")
        self.result.setWordWrap(True)
        self.result.hide()
        f = self.result.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        self.result.setFont(f)
        self.table = QTableWidget(0, len(COLS))
        self.table.setHorizontalHeaderLabels(COLS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        # Narrow enough that "Ended by" and the start of "Result" fit the
        # Settings page at 1024 px; the Result column takes the rest.
        for col, width in enumerate((64, 130, 50, 120, 64, 72)):
            self.table.setColumnWidth(col, width)
        self.table.setMinimumHeight(140)
        sounds = QHBoxLayout()
        sounds.addWidget(QLabel("Sounds:"))
        for level, text in (("ok", "OK"), ("attention", "Attention"), ("error", "Error")):
            b = QPushButton(text)
            b.setObjectName(f"sound-{level}")
            b.clicked.connect(lambda _=False, lv=level, t=text: feedback.show_feedback(
                lv, f"{t} — test", self, sound=True))
            sounds.addWidget(b)
        self.method = QLabel()
        sounds.addWidget(self.method, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.status)
        lay.addWidget(self.box)
        lay.addWidget(self.result)
        lay.addWidget(self.table, 1)
        lay.addLayout(sounds)
        self.attach()

    def attach(self) -> None:
        """Listen to the application's scanner filter (installed by the app)."""
        from ui.scanner import current_filter
        filt = current_filter()
        if filt is self.filter:
            return
        if self.filter is not None:
            try:
                self.filter.observed.disconnect(self.show_run)
            except (RuntimeError, TypeError):
                pass
        self.filter = filt
        if filt is not None:
            filt.observed.connect(self.show_run)
        self.show_rules()

    def show_rules(self) -> None:
        """State what the running filter counts as a scan (its current settings)."""
        filt = self.filter
        if filt is None:
            self.status.setText("Scanner input is not active in this window "
                                "(the scanner filter is not installed).")
        elif not filt.enabled:
            self.status.setText("Scanner recognition is switched off (Settings → Scanner): "
                                "scans arrive as typing.")
        else:
            d = filt.detector
            affixes = ""
            if d.prefix or d.suffix:
                affixes = f"; prefix {d.prefix!r}, suffix {d.suffix!r} removed"
            ends = " or ".join(t.capitalize() for t in ("enter", "tab") if t in d.terminators)
            ended = f"ended by {ends} or {d.silence_ms:.0f} ms of silence" if ends else \
                f"ended by {d.silence_ms:.0f} ms of silence"
            repeat = (f"; the same code again within {d.repeat_ms:.0f} ms is ignored"
                      if d.repeat_ms > 0 else "")
            self.status.setText(
                f"A scan is {d.min_length}+ characters, on average ≤ {d.max_avg_gap_ms:.0f} ms "
                f"apart, {ended}{affixes}{repeat}.")
        self.method.setText(f"played by: {feedback.sound_method()}")

    def showEvent(self, event):  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.attach()

    def show_run(self, run: dict) -> None:
        """One finished run of keystrokes (from the filter's ``observed``)."""
        if not self.isVisible():
            return
        gaps = run.get("gaps") or []
        if run["kind"] == "scan":
            text = f"Recognized as a scan: {run['code']}"
        elif run["kind"] == "repeat":
            text = f"Recognized (same code again within the repeat time, ignored): {run['code']}"
        else:
            text = f"Not a scan — typed by a person? {run.get('reason', '')}"
        self.result.setText(text)
        self.result.show()
        row = 0
        self.table.insertRow(row)
        values = (dt.datetime.now().strftime("%H:%M:%S"), visible(run["raw"]), str(len(run["raw"])),
                  " ".join(f"{g:.0f}" for g in gaps), f"{run.get('avg_gap', 0):.1f}",
                  run.get("terminator", ""), text)
        for col, value in enumerate(values):
            item = QTableWidgetItem(value)
            if col in (2, 4):
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(row, col, item)
        while self.table.rowCount() > 50:
            self.table.removeRow(self.table.rowCount() - 1)
        if run["kind"] == "scan" and self.box.hasFocus():
            feedback.show_feedback("ok", run["code"], self)
