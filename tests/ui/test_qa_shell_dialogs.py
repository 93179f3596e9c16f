"""QA walkthrough fixes in the shell and the asset dialogs: the window fits a
small screen, every page has a shortcut, Edit and Help menus, the title names
the app once, the Assets counts follow data changes, the check-out/check-in
dialogs' focus, labels and plurals, and a modal label dialog."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QKeySequence, QScreen
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.app.factories import asset

from tests.ui.test_shell import isolated_settings, reg  # noqa: F401 - the shell tests' set-up
from tests.ui.conftest import shown_window

SMALL = QRect(0, 0, 1024, 700)  # a 1024×700 laptop screen


@pytest.fixture
def small_screen(monkeypatch):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(SMALL))


def _remember(qtbot, size, pos):
    """A window closed at ``size``/``pos`` (as on a big monitor last time)."""
    from ui.main_window import MainWindow
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    w.resize(*size)
    w.move(*pos)
    w.close()


# --- 1. the window fits the screen it opens on -------------------------------------------

def test_remembered_big_geometry_is_clamped_to_a_small_screen(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (1360, 860), (40, 30))
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    frame = w.frameGeometry()
    assert frame.width() <= SMALL.width() and frame.height() <= SMALL.height()
    assert SMALL.contains(frame), frame


def test_window_left_off_every_screen_is_centred_on_the_primary(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (800, 600), (5000, 4000))
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    frame = w.frameGeometry()
    assert SMALL.contains(frame), frame
    assert abs(frame.center().x() - SMALL.center().x()) <= 2
    assert abs(frame.center().y() - SMALL.center().y()) <= 2


def test_an_asked_size_wins_over_the_remembered_one_and_still_fits(qtbot, reg, small_screen):
    from ui.main_window import MainWindow
    _remember(qtbot, (1360, 860), (0, 0))
    w = MainWindow(start_page="assets", size=(900, 600))
    qtbot.addWidget(w)
    assert (w.width(), w.height()) == (900, 600)
    big = MainWindow(start_page="assets", size=(1440, 900))
    qtbot.addWidget(big)
    assert SMALL.contains(big.frameGeometry())


def test_title_names_the_app_once(qtbot, reg):
    from ui.main_window import MainWindow
    app = QApplication.instance()
    old = app.applicationDisplayName()
    app.setApplicationDisplayName("Quartermaster")
    try:
        w = MainWindow(start_page="assets")
        qtbot.addWidget(w)
        # What the title bar shows: the platform appends the display name
        # unless the title already is it.
        shown = w.windowTitle()
        if shown != app.applicationDisplayName():
            shown = f"{shown} \u2014 {app.applicationDisplayName()}"
        assert shown.count("Quartermaster") == 1, shown
    finally:
        app.setApplicationDisplayName(old)


# --- 2. shortcuts, Edit and Help menus ---------------------------------------------------

@pytest.fixture
def window(qtbot, reg):
    w = shown_window(qtbot, start_page="assets")
    return w


def _menu(window, title):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)


def test_every_go_page_has_a_unique_shortcut_and_the_first_nine_stay(qtbot, window):
    go = [a for a in _menu(window, "Go").actions() if a.objectName().startswith("go-")]
    assert [a.objectName()[3:] for a in go] == [s.key for s in window.specs]
    keys = [a.shortcut().toString() for a in go]
    assert all(keys), dict(zip([a.text() for a in go], keys))
    everything = [a.shortcut().toString() for m in ("File", "Edit", "Go", "Help")
                  for a in _menu(window, m).actions() if not a.shortcut().isEmpty()]
    assert len(everything) == len(set(everything)), everything
    # The nine pages that own Ctrl+1…9 keep them when a page is added between
    # them (Work orders sits at order 85, before Stocktake: it takes a spare
    # Ctrl+Shift digit and Stocktake stays on Ctrl+9).
    from ui.main_window import GO_SHORTCUTS
    first = {k: v for k, v in GO_SHORTCUTS.items() if "Shift" not in v}
    assert len(first) == 9
    have = {a.objectName()[3:]: a.shortcut().toString() for a in go}
    assert {k: have[k] for k in first} == first
    for key in ("intake", "reports", "settings"):
        act = next(a for a in go if a.objectName() == f"go-{key}")
        act.trigger()
        assert window.current_key() == key


def test_go_shortcuts_do_not_move_when_a_page_is_missing():
    from ui.main_window import go_shortcuts
    assert go_shortcuts(["dashboard", "assets", "reports", "settings"]) == [
        "Ctrl+1", "Ctrl+2", "Ctrl+Shift+2", "Ctrl+Shift+3"]
    assert go_shortcuts(["assets", "newpage"]) == ["Ctrl+2", "Ctrl+Shift+1"]


def test_edit_undo_follows_the_page_and_undoes_the_last_asset_edit(qtbot, window, reg):
    from app.services import assets
    d, made = reg
    edit = _menu(window, "Edit")
    undo = next(a for a in edit.actions() if a.shortcut() == QKeySequence(QKeySequence.Undo))
    assert any(a.shortcut() == QKeySequence(QKeySequence.Find) for a in edit.actions())
    page = window.pages["assets"]
    assert page.undo_action.shortcut().isEmpty()  # one Ctrl+Z in the window, not two
    assert not undo.isEnabled()  # nothing selected
    assets.update(made[0].id, {"name": "Renamed"})
    page.list.select_id(made[0].id)
    qtbot.waitUntil(undo.isEnabled)
    qtbot.keyClick(page.list.table, Qt.Key_Z, Qt.ControlModifier)
    assert assets.get(made[0].id).name == "Chromebook 1"
    window.show_page("people")
    assert not undo.isEnabled()  # People has no undo
    window.show_page("assets")
    assert undo.isEnabled()


def test_shortcuts_dialog_lists_the_real_shortcuts_and_about_names_the_database(
        qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QDialog, QTableWidget

    from app.store.db import current_target
    monkeypatch.setattr(QDialog, "exec", lambda self: 0)
    window.show_shortcuts()
    rows = window.shortcut_rows()
    keys = {k for _w, _t, k in rows}
    assert {"Ctrl+Z", "Ctrl+F", "Ctrl+1", "Ctrl+Shift+1", "Ctrl+O", "Ctrl+I"} <= keys
    table = window._shortcuts_dialog.findChild(QTableWidget, "shortcuts-table")
    assert table.rowCount() == len(rows)
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append((title, text)))
    window.about()
    from app import __version__
    assert shown and __version__ in shown[0][1] and str(current_target()) in shown[0][1]


# --- 4. the Assets page counts follow data changes ----------------------------------------

def test_assets_counts_follow_an_import(qtbot, window, reg):
    from ui.bus import bus
    from ui.ops import Changes
    d, made = reg
    page = window.pages["assets"]
    page.apply_filters({"search": "SN0002"})  # SN00020–SN00029
    qtbot.waitUntil(lambda: page.list.counts.text() == "10 of 30 assets")  # the total: a worker's
    page.list.select_id(made[24].id)
    asset(d, tag="QM-000031", name="Projector", serial="PJ1")  # as an import would
    asset(d, tag="QM-000032", name="Projector", serial="PJ2")
    bus.data_changed.emit(Changes.ASSETS)
    qtbot.waitUntil(lambda: page.list.counts.text() == "10 of 32 assets")
    assert window.count_label.text() == "32 assets"
    asset(d, tag="QM-000033", name="Laptop", serial="SN00020X")  # one the search finds
    bus.data_changed.emit(Changes.ALL)
    qtbot.waitUntil(lambda: page.list.counts.text() == "11 of 33 assets")
    assert page.list.selected_ids() == [made[24].id]  # the re-read kept the selection


# --- 5. check-out and check-in dialogs ----------------------------------------------------

def _form_label(dialog, field):
    from PySide6.QtWidgets import QFormLayout
    form = dialog.findChild(QFormLayout) or dialog.layout().itemAt(0).layout()
    label = form.labelForField(field)
    return label.text() if label is not None else ""


def test_check_out_starts_in_the_person_search_and_the_room_is_only_for_rooms(qtbot, window, reg):
    from ui.dialogs.asset_actions import CheckOutDialog
    d, made = reg
    dlg = CheckOutDialog([made[0].id], window)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.focusWidget() is dlg.person.edit
    assert _form_label(dlg, dlg.location) == "Room" and _form_label(dlg, dlg.person) == "Person"
    assert not dlg.location.isEnabled() and dlg.location.currentIndex() == -1  # no room shown
    assert "room" in dlg.location.placeholderText().lower()
    dlg.to_location.setChecked(True)
    assert dlg.location.isEnabled() and dlg.location.currentData() is not None
    assert not dlg.person.isEnabled()
    dlg.to_person.setChecked(True)
    assert dlg.location.currentIndex() == -1
    assert dlg.width() >= 700 and dlg.isSizeGripEnabled()
    again = CheckOutDialog([made[0].id], window, person_id=d["staff"].id)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.focusWidget() is again.person.edit and again.person.person_id == d["staff"].id


def test_check_in_counts_in_words_keeps_its_instructions_and_reports_one_line_per_tag(
        qtbot, window, reg, monkeypatch):
    from app.services import assets
    from ui.dialogs.asset_actions import CheckInDialog
    d, made = reg
    dlg = CheckInDialog(["QM-000001"], window)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.count.text() == "1 tag"
    assert dlg.help.isVisible() and "one per line" in dlg.help.text()  # though the box is filled
    dlg.handle_scan("QM-000002")
    assert dlg.count.text() == "2 tags"
    dlg.tags.setPlainText("")
    assert dlg.count.text() == "0 tags"
    assets.check_out(made[2].id, person_id=d["staff"].id)
    dlg.tags.setPlainText("QM-000003\nQM-000001\nZZ-1")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warned.append(text))
    dlg.commit()
    text = warned[0]
    assert text.startswith("Checked in 1 asset.")
    lines = text.split("Not done:\n")[1].splitlines()
    assert sorted(lines) == ["QM-000001 \u2014 not checked out", "ZZ-1 \u2014 no asset has this tag"]


# --- 6. the label dialog --------------------------------------------------------------------

def test_label_dialog_is_titled_for_labels_counts_in_words_and_blocks_its_window(
        qtbot, window, reg, tmp_path, monkeypatch):
    from reports.labels import templates
    from ui.dialogs.labels import open_label_dialog
    monkeypatch.setattr(templates, "user_dir", lambda: tmp_path / "cfg")
    d, made = reg
    one = open_label_dialog(window, "asset", [made[0].id])
    qtbot.addWidget(one)
    assert one.windowTitle() == "Print labels"
    assert one.for_label.text() == "1 asset"
    assert one.windowModality() == Qt.WindowModal and one.isModal()
    assert QApplication.activeModalWidget() is one  # the main window behind is blocked
    one.close()
    three = open_label_dialog(window, "asset", [a.id for a in made[:3]])
    qtbot.addWidget(three)
    assert three.for_label.text() == "3 assets"
    three.close()
