"""The scanner filter in a real Qt application: qtbot types at scanner speed
(a few ms per key) and at human speed (120 ms per key) into a focused text
field, a table and a dialog. Only bursts become scans, and the field keeps
exactly what the person typed."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.scanner import BurstDetector, ScannerFilter

SCANNER_MS = 1


class _Scans(list):
    filter: ScannerFilter
HUMAN_MS = 120


@pytest.fixture
def scans(qapp):
    """The filter installed on the application (defaults, but a 300 ms silence
    window so a loaded test machine's pause cannot split a burst)."""
    filt = ScannerFilter(qapp, detector=BurstDetector(silence_ms=300), emit_bus=False)
    got = _Scans()
    filt.scanned.connect(got.append)
    qapp.installEventFilter(filt)
    got.filter = filt
    yield got
    qapp.removeEventFilter(filt)
    filt.deleteLater()


def type_text(qtbot, widget, text, delay, end=Qt.Key_Return):
    if delay == SCANNER_MS:
        qtbot.wait(350)  # the person stops typing and picks up the scanner
    for ch in list(text) + ([end] if end is not None else []):
        key(qtbot, widget, ch, delay)


def key(qtbot, widget, k, delay=-1, modifier=Qt.NoModifier):
    """Like a keyboard: each press and each release goes to whatever has the
    focus at that moment (a table's first key may open a cell editor, and the
    scanner may close it again)."""
    qtbot.keyPress(QApplication.focusWidget() or widget, k, modifier, delay=delay)
    qtbot.keyRelease(QApplication.focusWidget() or widget, k, modifier)


def show_focused(qtbot, top: QWidget, target: QWidget):
    qtbot.addWidget(top)
    top.show()
    qtbot.waitExposed(top)
    top.activateWindow()
    target.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target)


def test_text_field_keeps_typing_and_loses_scans(qtbot, scans):
    top = QWidget()
    lay = QVBoxLayout(top)
    field, other = QLineEdit(), QLineEdit()
    lay.addWidget(field)
    lay.addWidget(other)
    entered = []
    field.returnPressed.connect(lambda: entered.append(field.text()))
    show_focused(qtbot, top, field)

    type_text(qtbot, field, "Room 5", HUMAN_MS, end=None)
    assert field.text() == "Room 5" and scans == []
    type_text(qtbot, field, "QM-000123", SCANNER_MS)
    assert scans == ["QM-000123"]
    assert field.text() == "Room 5" and entered == []  # Enter of the burst swallowed too
    type_text(qtbot, field, " ok", HUMAN_MS)
    assert field.text() == "Room 5 ok" and entered == ["Room 5 ok"]
    assert scans == ["QM-000123"] and other.text() == ""


def test_burst_into_the_middle_of_a_selection_restores_it(qtbot, scans):
    field = QLineEdit("hello world")
    show_focused(qtbot, field, field)
    field.setSelection(0, 5)
    type_text(qtbot, field, "LOC-00012", SCANNER_MS)
    assert scans == ["LOC-00012"] and field.text() == "hello world"


def test_tab_terminated_burst_keeps_focus(qtbot, scans):
    top = QWidget()
    lay = QVBoxLayout(top)
    a, b = QLineEdit(), QLineEdit()
    lay.addWidget(a)
    lay.addWidget(b)
    show_focused(qtbot, top, a)
    type_text(qtbot, a, "QM-000777", SCANNER_MS, end=Qt.Key_Tab)
    assert scans == ["QM-000777"] and a.text() == "" and QApplication.focusWidget() is a
    type_text(qtbot, a, "ab", HUMAN_MS, end=Qt.Key_Tab)
    assert a.text() == "ab" and QApplication.focusWidget() is b


def test_burst_without_terminator_ends_by_silence(qtbot, qapp):
    filt = ScannerFilter(qapp, detector=BurstDetector(silence_ms=150), emit_bus=False)
    got = []
    filt.scanned.connect(got.append)
    qapp.installEventFilter(filt)
    try:
        field = QLineEdit()
        show_focused(qtbot, field, field)
        type_text(qtbot, field, "5CD1234XYZ", SCANNER_MS, end=None)
        qtbot.waitUntil(lambda: got == ["5CD1234XYZ"], timeout=2000)
        assert field.text() == ""
    finally:
        qapp.removeEventFilter(filt)


def test_read_only_table_keeps_its_row(qtbot, scans):
    table = QTableWidget(3, 1)
    for row, text in enumerate(("alpha", "bravo", "QM-row")):
        table.setItem(row, 0, QTableWidgetItem(text))
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    show_focused(qtbot, table, table)
    table.setCurrentCell(0, 0)
    type_text(qtbot, table, "QM-000123", SCANNER_MS)
    assert scans == ["QM-000123"]
    qtbot.waitUntil(lambda: table.currentRow() == 0, timeout=1000)  # the type-ahead jump undone
    type_text(qtbot, table, "b", HUMAN_MS, end=None)
    # A person's key still searches (once the silence window says it was a person).
    qtbot.waitUntil(lambda: table.currentRow() == 1, timeout=1000)
    assert scans == ["QM-000123"]


def test_editable_table_cell_gets_only_typing(qtbot, scans):
    table = QTableWidget(2, 2)
    table.setEditTriggers(QTableWidget.AnyKeyPressed | QTableWidget.DoubleClicked)
    show_focused(qtbot, table, table)
    table.setCurrentCell(0, 0)
    type_text(qtbot, table, "QM-000555", SCANNER_MS)
    assert scans == ["QM-000555"]
    qtbot.waitUntil(lambda: table.state() != QTableWidget.EditingState, timeout=1000)
    assert table.item(0, 0) is None or table.item(0, 0).text() == ""
    assert table.state() != QTableWidget.EditingState
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table)
    type_text(qtbot, table, "ab", HUMAN_MS)
    qtbot.waitUntil(lambda: table.item(0, 0) is not None, timeout=1000)  # committed (queued)
    assert table.item(0, 0).text() == "ab" and scans == ["QM-000555"]


def test_dialog_default_button_is_not_pressed_by_a_scan(qtbot, scans):
    dlg = QDialog()
    lay = QVBoxLayout(dlg)
    name = QLineEdit()
    lay.addWidget(name)
    box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    box.accepted.connect(dlg.accept)
    box.rejected.connect(dlg.reject)
    lay.addWidget(box)
    show_focused(qtbot, dlg, name)
    type_text(qtbot, name, "QM-000123", SCANNER_MS)
    assert scans == ["QM-000123"] and name.text() == "" and dlg.isVisible()
    assert dlg.result() == 0
    type_text(qtbot, name, "Ann", HUMAN_MS)
    assert name.text() == "Ann" and dlg.result() == QDialog.Accepted
    assert scans == ["QM-000123"]


def test_fast_typist_rollover_arrives_intact(qtbot, scans):
    field = QLineEdit()
    show_focused(qtbot, field, field)
    # Two keys 10 ms apart, then a pause: too short for a scan, held then given back.
    key(qtbot, field, "t", HUMAN_MS)
    key(qtbot, field, "h", 10)
    key(qtbot, field, "e", HUMAN_MS)
    scans.filter.flush()
    assert field.text() == "the" and scans == []


def test_modifiers_and_shortcuts_pass(qtbot, scans):
    field = QLineEdit("abc")
    show_focused(qtbot, field, field)
    key(qtbot, field, Qt.Key_A, modifier=Qt.ControlModifier)
    assert field.selectedText() == "abc"
    key(qtbot, field, Qt.Key_Backspace)
    assert field.text() == "" and scans == []


def test_bus_gets_scans_but_the_scanner_test_keeps_its_own(qtbot, qapp):
    from ui.bus import bus
    from ui.scanner import install_scanner
    from ui.widgets.scanner_test import ScannerTestWidget
    filt = install_scanner(qapp)
    filt.detector = BurstDetector(silence_ms=300)
    got = []
    bus.scanned.connect(got.append)
    try:
        top = QWidget()
        lay = QVBoxLayout(top)
        field = QLineEdit()
        tester = ScannerTestWidget()
        lay.addWidget(field)
        lay.addWidget(tester)
        show_focused(qtbot, top, field)
        type_text(qtbot, field, "QM-000042", SCANNER_MS)
        qtbot.waitUntil(lambda: got == ["QM-000042"], timeout=1000)  # announced after the key event
        tester.box.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is tester.box)
        type_text(qtbot, tester.box, "QM-000043", SCANNER_MS)
        assert got == ["QM-000042"]  # scans in the test box open nothing
        assert "Recognized as a scan: QM-000043" in tester.result.text()
        assert tester.table.item(0, 1).text() == "QM-000043"
        assert tester.table.item(0, 5).text() == "enter"
        type_text(qtbot, tester.box, "hey", HUMAN_MS)
        assert tester.box.text() == "hey" and "Not a scan" in tester.result.text()
    finally:
        bus.scanned.disconnect(got.append)
        qapp.removeEventFilter(filt)
        del qapp._qm_scanner_filter


def test_a_replayed_key_that_opens_a_dialog_leaves_the_scanner_on(qtbot, scans):
    """A person's Space is held, then replayed to the button; the dialog it
    opens runs its own event loop inside that replay, and scans there are
    still told from typing."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton
    top = QWidget()
    button = QPushButton("Open", top)
    seen = []

    def open_dialog():
        dlg = QDialog(top)
        field = QLineEdit(dlg)

        def scan_then_close():
            dlg.activateWindow()
            field.setFocus()
            qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
            type_text(qtbot, field, "QM-000321", SCANNER_MS)
            seen.append(field.text())
            dlg.accept()
        QTimer.singleShot(0, scan_then_close)
        dlg.exec()
    button.clicked.connect(open_dialog)
    show_focused(qtbot, top, button)
    key(qtbot, button, Qt.Key_Space, HUMAN_MS)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [""] and scans == ["QM-000321"]


def test_a_tables_enter_shortcut_does_not_fire_for_a_scan(qtbot, scans):
    """Like every list page: Enter is a QAction shortcut on the table. Qt
    offers a key to the shortcuts (ShortcutOverride) before the KeyPress, so
    the burst's Enter must be claimed there; a person's Enter still opens."""
    from PySide6.QtGui import QAction, QKeySequence
    table = QTableWidget(3, 1)
    for row, text in enumerate(("alpha", "bravo", "charlie")):
        table.setItem(row, 0, QTableWidgetItem(text))
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    opened = []
    act = QAction(table)
    act.setShortcuts([QKeySequence(Qt.Key_Return), QKeySequence(Qt.Key_Enter)])
    act.setShortcutContext(Qt.WidgetShortcut)
    act.triggered.connect(lambda: opened.append(table.currentRow()))
    table.addAction(act)
    show_focused(qtbot, table, table)
    table.setCurrentCell(1, 0)
    type_text(qtbot, table, "QM-000123", SCANNER_MS)
    assert scans == ["QM-000123"] and opened == [] and table.currentRow() == 1
    qtbot.wait(350)
    key(qtbot, table, Qt.Key_Return, HUMAN_MS)
    assert opened == [1]


# --- search boxes: a person's keys at once ------------------------------------------------

def test_a_search_box_takes_a_persons_keys_at_once_and_gives_back_a_scan(qtbot, scans):
    """In a box marked ``echo_keys`` a key at a person's pace goes in when it
    is typed (a plain field holds it for the silence window); a scan's first
    key goes in too, and when the run proves a scan the box is put back as it
    was before it: text, cursor, and what the list searched for."""
    from ui.scanner import echo_keys
    top = QWidget()
    lay = QVBoxLayout(top)
    search, plain = echo_keys(QLineEdit()), QLineEdit()
    lay.addWidget(search)
    lay.addWidget(plain)
    texts: list[str] = []
    search.textChanged.connect(texts.append)
    show_focused(qtbot, top, search)
    for i, ch in enumerate("Room 5"):
        key(qtbot, search, ch, HUMAN_MS)
        assert search.text() == "Room 5"[:i + 1]  # at once: no silence window waited for
    search.setCursorPosition(2)
    type_text(qtbot, search, "QM-000123", SCANNER_MS)
    assert scans == ["QM-000123"]
    assert search.text() == "Room 5" and search.cursorPosition() == 2
    assert texts[-1] == "Room 5"  # the list searches for the typed text again
    search.end(False)
    type_text(qtbot, search, " ok", HUMAN_MS, end=None)
    assert search.text() == "Room 5 ok" and scans == ["QM-000123"]
    scans.filter.flush()  # the person stops typing there
    plain.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is plain)
    key(qtbot, plain, "R", HUMAN_MS)
    assert plain.text() == ""  # a form field holds the key until the run is known
    scans.filter.flush()
    assert plain.text() == "R"


def test_a_scan_over_a_search_box_selection_gives_it_back(qtbot, scans):
    from ui.scanner import echo_keys
    field = echo_keys(QLineEdit("hello world"))
    show_focused(qtbot, field, field)
    field.setSelection(6, 5)
    type_text(qtbot, field, "LOC-00012", SCANNER_MS)
    assert scans == ["LOC-00012"] and field.text() == "hello world"
    assert field.selectedText() == "world"


def test_a_fast_typists_rollover_in_a_search_box_keeps_its_order(qtbot, scans):
    """The first key goes in at once; from the scanner-fast gap the run is held
    (a later key let through would overtake the held one) until it is too slow
    for a scanner, then given back in order."""
    from ui.scanner import echo_keys
    field = echo_keys(QLineEdit())
    show_focused(qtbot, field, field)
    key(qtbot, field, "t", HUMAN_MS)
    assert field.text() == "t"
    key(qtbot, field, "h", 10)
    assert field.text() == "t"  # held: it may be a scanner's
    key(qtbot, field, "e", HUMAN_MS)  # far too slow for one now: both given back, in order
    assert field.text() == "the"
    scans.filter.flush()
    assert field.text() == "the" and scans == []
