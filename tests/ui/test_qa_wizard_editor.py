"""QA walkthrough fixes in the import wizard and the asset editor, driven as a
technician would: another file typed after a preview, Enter in the path box,
bad paths said in words, the problems table; the editor's custom fields,
validation messages that leave their field whole, Esc with unsaved edits."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QScrollArea

from app.services import assets, catalog
from tests.app.factories import district


@pytest.fixture(autouse=True)
def isolated(recorded_boxes, monkeypatch):
    """Settings under tmp_path; every message box recorded, none left to block."""
    QSettings().clear()
    seen = recorded_boxes
    # An editor left edited is closed at teardown and asks to discard: no
    # answer is "keep editing" (a test that wants answers patches exec itself).
    monkeypatch.setattr(QMessageBox, "exec", lambda box: 0)
    return seen


# --- the asset editor -----------------------------------------------------------------

@pytest.fixture
def laptop(sqlite_db):
    d = district()
    cat = catalog.create_category("Laptops", custom_fields=[{"name": "RAM (GB)", "type": "number"},
                                                            {"name": "OS", "type": "text"}])
    model = catalog.create_model("Latitude 3440", manufacturer="Dell", category_id=cat.id)
    return assets.create(dict(tag="QM-000001", name="Lab laptop", model_id=model.id,
                              location_id=d["r1"].id, cost="899.00", purchase_date="2025-01-04",
                              custom={"RAM (GB)": "16", "OS": "Windows 11 Education"}))


def _editor(qtbot, asset_id, size=(1000, 640)):
    from ui.dialogs.asset_editor import AssetEditor
    dlg = AssetEditor(asset_id)
    qtbot.addWidget(dlg)
    if size:
        dlg.resize(*size)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _rect(w, dlg) -> QRect:
    return QRect(w.mapTo(dlg, w.rect().topLeft()), w.size())


def test_editor_custom_fields_line_up_and_nothing_overlaps(qtbot, laptop):
    """The model's custom fields are rows of the same form (one label column,
    under a title), every field at least its natural height, none on top of
    Notes; the form scrolls instead of squeezing at 1024×700."""
    dlg = _editor(qtbot, laptop.id)
    assert isinstance(dlg.tabs.widget(0), QScrollArea)
    assert set(dlg.custom_widgets) == {"RAM (GB)", "OS"}
    assert dlg.custom_widgets["OS"].text() == "Windows 11 Education"
    assert dlg.custom_title is not None and "Laptops" in dlg.custom_title.text()
    tag_label = dlg.form.labelForField(dlg.form.itemAt(0, dlg.form.ItemRole.FieldRole).layout())
    for name, w in dlg.custom_widgets.items():
        row, role = dlg.form.getWidgetPosition(w)
        assert row >= 0 and role == dlg.form.ItemRole.FieldRole, name  # in the main form
        label = dlg.form.labelForField(w)
        assert label.text() == name and label.x() == tag_label.x()
        assert w.x() == dlg.widgets["tag"].x()
    # Rows the editor hides (the E-Rate group, for other funding) take no space.
    fields = [w for w in list(dlg.widgets.values()) + list(dlg.custom_widgets.values())
              if not w.isHidden()]
    for w in fields:
        if w is not dlg.widgets["notes"]:  # a text box's hint is a page; it has a minimum
            assert w.height() >= w.sizeHint().height(), w.objectName()
    rects = [(w.objectName(), _rect(w, dlg.tabs.widget(0).widget())) for w in fields]
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            assert not ra.intersects(rb), (a, b)
    assert dlg.widgets["notes"].height() >= 70


def test_editor_fits_a_small_screen_and_remembers_its_size(qtbot, laptop):
    from ui.dialogs.asset_editor import AssetEditor
    dlg = _editor(qtbot, laptop.id, size=(700, 500))
    assert dlg.minimumHeight() <= 500 and dlg.minimumWidth() <= 640  # room on a 1024×700 screen
    save = next(b for b in dlg.findChildren(QPushButton) if b.text().replace("&", "") == "Save")
    assert dlg.rect().contains(_rect(save, dlg))  # Save stays on screen
    assert dlg.details_scroll.verticalScrollBar().maximum() > 0  # scrolls, does not squeeze
    for w in dlg.widgets.values():
        assert w.height() >= min(w.sizeHint().height(), 80), w.objectName()
    dlg.reject()  # no edits: closes at once, and keeps its size
    again = AssetEditor(laptop.id)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def _visible_in_scroll(dlg, w) -> bool:
    view = dlg.details_scroll.viewport()
    top = w.mapTo(view, w.rect().topLeft()).y()
    return top >= 0 and top + w.height() <= view.height()


@pytest.mark.parametrize("size", [(720, 480), (560, 420)])
def test_validation_message_goes_under_its_field_and_leaves_it_whole(qtbot, laptop, size):
    """'abc' in Cost and a bad date: each message wraps under its field, read
    whole, and the field keeps its height (it used to shrink to ~4 px)."""
    dlg = _editor(qtbot, laptop.id, size=size)
    dlg.widgets["cost"].setText("abc")
    dlg.widgets["purchase_date"].setText("1/2")
    dlg.widgets["tag"].setText("")  # a third message, at the top of the form
    dlg.save()
    qtbot.wait(10)
    details = dlg.details_scroll.widget()
    for key in ("cost", "purchase_date"):
        w, err = dlg.widgets[key], dlg.errors[key]
        assert err.isVisible() and err.text(), key
        assert w.height() >= w.sizeHint().height(), key
        field, message = _rect(w, details), _rect(err, details)
        assert message.top() >= field.bottom() and not message.intersects(field), key
        assert err.height() >= err.heightForWidth(err.width()), key  # not clipped
        assert message.left() == field.left() and message.width() <= field.width() + 1, key
    assert assets.get(laptop.id).cost == laptop.cost  # nothing saved


def test_a_message_far_down_the_form_is_scrolled_into_view(qtbot, laptop):
    dlg = _editor(qtbot, laptop.id, size=(600, 420))
    dlg.widgets["warranty_end"].setText("soon")
    dlg.save()
    qtbot.wait(10)
    assert dlg.errors["warranty_end"].isVisible()
    assert _visible_in_scroll(dlg, dlg.widgets["warranty_end"])
    assert _visible_in_scroll(dlg, dlg.errors["warranty_end"])


@pytest.fixture
def answer(monkeypatch):
    """Answer the editor's question box by the name of a button; record its text."""
    asked, replies = [], []

    def fake_exec(box):
        asked.append(box.text())
        reply = replies.pop(0)
        next(b for b in box.buttons() if b.text() == reply).click()
        return 0
    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return asked, replies


def test_escape_with_unsaved_changes_asks_first(qtbot, laptop, answer):
    asked, replies = answer
    dlg = _editor(qtbot, laptop.id)
    dlg.widgets["name"].setText("Renamed")
    dlg.custom_widgets["OS"].setText("Ubuntu")
    replies.append("Keep editing")
    qtbot.keyClick(dlg, Qt.Key_Escape)
    assert asked == ["Discard your changes to QM-000001?"]
    assert dlg.isVisible() and dlg.widgets["name"].text() == "Renamed"
    replies.append("Discard")
    dlg.close()  # the window's close button asks the same
    assert len(asked) == 2 and not dlg.isVisible() and dlg.result() == QDialog.Rejected
    assert assets.get(laptop.id).name == "Lab laptop"


def test_escape_without_changes_closes_at_once(qtbot, laptop, answer):
    asked, _replies = answer
    dlg = _editor(qtbot, laptop.id)
    dlg.widgets["name"].setText("Renamed")
    dlg.widgets["name"].setText("Lab laptop")  # typed and put back: nothing to lose
    qtbot.keyClick(dlg, Qt.Key_Escape)
    assert not asked and not dlg.isVisible()
    fresh = _editor(qtbot, None)  # a new asset, untouched
    qtbot.keyClick(fresh, Qt.Key_Escape)
    assert not asked and not fresh.isVisible()


def test_a_new_asset_with_edits_asks_and_saving_does_not(qtbot, laptop, answer):
    asked, replies = answer
    dlg = _editor(qtbot, None)
    dlg.widgets["name"].setText("Spare")
    replies.append("Keep editing")
    qtbot.keyClick(dlg, Qt.Key_Escape)
    assert asked == ["Discard your changes to this new asset?"] and dlg.isVisible()
    other = _editor(qtbot, laptop.id)
    other.widgets["name"].setText("Saved name")
    other.save()
    assert other.result() == QDialog.Accepted and len(asked) == 1  # saved: nothing asked
    replies.append("Discard")
    qtbot.keyClick(dlg, Qt.Key_Escape)
    assert not dlg.isVisible()


# --- the import wizard ------------------------------------------------------------------

def _csv(path, rows):
    from tests.app.test_import import _write
    return str(_write(path, rows))


def _wizard(qtbot, path=None):
    from ui.dialogs.import_wizard import ImportWizard
    w = ImportWizard(None, path)
    qtbot.addWidget(w)
    return w


def _previewed(qtbot, w):
    w.done_preview = None
    w.preview()
    qtbot.waitUntil(lambda: w.done_preview is not None, timeout=10_000)
    return w.done_preview


WIDE = [["Tag #", "Serial No", "Description", "Model", "Cost", "Colour"],
        ["W-1", "SW1", "Cart laptop", "ProBook", "10", "grey"]]
# Narrower, the columns in another order: the old mapping would take "Serial" for the tag.
NARROW = [["Serial", "Asset Tag", "Name"], ["SN-9", "N-1", "Spare"]]


def test_another_path_is_previewed_and_imported_with_its_own_columns(qtbot, sqlite_db, tmp_path,
                                                                     isolated):
    from app.models import Asset
    from ui.jobs import wait_for_jobs
    wide, narrow = _csv(tmp_path / "wide.csv", WIDE), _csv(tmp_path / "narrow.csv", NARROW)
    w = _wizard(qtbot, wide)
    assert _previewed(qtbot, w).created == 1 and w.import_button.isEnabled()
    w.path.setText(narrow)  # typed over: the wide file's table and mapping are gone
    assert w.table is None and w.columns.rowCount() == 0 and not w.import_button.isEnabled()
    p = _previewed(qtbot, w)  # Preview loads the new file first (it used to raise IndexError)
    assert not isolated, isolated
    assert w.columns.rowCount() == 3 and p.created == 1 and not p.problems
    assert [w.columns.item(i, 0).text() for i in range(3)] == ["Serial", "Asset Tag", "Name"]
    assert w.mapping() == {0: "serial", 1: "tag", 2: "name"}
    w.commit()
    qtbot.waitUntil(lambda: bool(isolated), timeout=10_000)
    wait_for_jobs()
    assert [(a.tag, a.serial) for a in Asset.select()] == [("N-1", "SN-9")]
    # ...and back to the wider file: all six of its columns, not the narrow three.
    w2 = _wizard(qtbot, narrow)
    w2.path.setText(wide)
    _previewed(qtbot, w2)
    assert w2.columns.rowCount() == 6 and w2.mapping()[0] == "tag"


def test_enter_in_the_path_box_loads_the_file(qtbot, sqlite_db, tmp_path, isolated):
    from app.models import Asset
    w = _wizard(qtbot)
    w.show()
    qtbot.keyClicks(w.path, _csv(tmp_path / "narrow.csv", NARROW))
    assert w.columns.rowCount() == 0
    qtbot.keyClick(w.path, Qt.Key_Return)
    assert w.columns.rowCount() == 3 and w.kind.currentData() == "assets" and not isolated
    assert w.isVisible()
    _previewed(qtbot, w)
    assert w.import_button.isEnabled()
    w.path.setFocus()
    qtbot.keyClick(w.path, Qt.Key_Return)  # again, Import enabled: reloads, never imports
    assert w.isVisible() and w.columns.rowCount() == 3 and not w.import_button.isEnabled()
    assert Asset.select().count() == 0 and not isolated


def test_a_kind_or_sheet_change_forgets_the_preview(qtbot, sqlite_db, tmp_path, isolated):
    from openpyxl import Workbook
    book = tmp_path / "two.xlsx"
    wb = Workbook()
    wb.active.title = "Assets"
    for row in WIDE:
        wb.active.append(row)
    people = wb.create_sheet("Staff")
    for row in (["First Name", "Last Name", "ID Number"], ["Ana", "Rivera", "E1"]):
        people.append(row)
    wb.save(book)
    w = _wizard(qtbot, str(book))
    assert [w.sheet.itemText(i) for i in range(w.sheet.count())] == ["Assets", "Staff"]
    _previewed(qtbot, w)
    assert w.import_button.isEnabled()
    w.sheet.setCurrentIndex(1)  # the other sheet: its own columns
    assert not w.import_button.isEnabled() and w.columns.rowCount() == 3
    assert w.columns.item(0, 0).text() == "First Name"
    w.kind.setCurrentIndex(w.kind.findData("people"))
    p = _previewed(qtbot, w)
    assert p.kind == "people" and p.created == 1 and not isolated
    w.kind.setCurrentIndex(w.kind.findData("assets"))  # another kind: preview again first
    assert not w.import_button.isEnabled()


def test_a_sheet_that_will_not_load_leaves_nothing_of_the_last_one(qtbot, sqlite_db, tmp_path,
                                                                    isolated, monkeypatch):
    from openpyxl import Workbook

    from app import importing
    from app.services.errors import ValidationError
    book = tmp_path / "two.xlsx"
    wb = Workbook()
    for row in WIDE:
        wb.active.append(row)
    wb.create_sheet("Broken").append(["x"])
    wb.save(book)
    w = _wizard(qtbot, str(book))
    assert w.columns.rowCount() == 6
    real = importing.open_file

    def open_file(path, kind=None, sheet=None, mapping=None):
        if sheet == "Broken":
            raise ValidationError("The sheet Broken is damaged.")
        return real(path, kind, sheet, mapping)
    monkeypatch.setattr(importing, "open_file", open_file)
    w.sheet.setCurrentIndex(1)
    assert isolated == ["The sheet Broken is damaged."]
    assert w.table is None and w.columns.rowCount() == 0 and not w.import_button.isEnabled()


@pytest.mark.parametrize("case, said", [("folder", "is a folder; choose a .csv or .xlsx file"),
                                        ("missing", "nope.csv does not exist"),
                                        ("denied", "locked.csv cannot be read: permission denied"),
                                        ("denied-at-open", "odd.csv cannot be read: permission denied")])
def test_a_bad_path_is_said_in_words(qtbot, sqlite_db, tmp_path, isolated, monkeypatch, case, said):
    import os

    from app import importing
    target = {"folder": tmp_path, "missing": tmp_path / "nope.csv"}.get(case)
    if case == "denied":  # the tests may run as root, who may read anything
        target = _csv(tmp_path / "locked.csv", NARROW)
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if str(p) == target
                            else real(p, mode, **k))
    if case == "denied-at-open":  # allowed by its mode bits, refused when opened
        target = _csv(tmp_path / "odd.csv", NARROW)

        def refuse(path, *a, **k):
            raise PermissionError(13, "Permission denied", str(path))
        monkeypatch.setattr(importing, "open_table", refuse)
    w = _wizard(qtbot)
    w.path.setText(str(target))
    qtbot.keyClick(w.path, Qt.Key_Return)
    w.preview()
    assert len(isolated) == 2, isolated  # once for Enter, once for Preview; no job started
    for text in isolated:
        assert said in text and "Errno" not in text and "failed" not in text
    assert w.table is None and w.columns.rowCount() == 0


def test_a_file_gone_after_loading_is_said_in_words(qtbot, sqlite_db, tmp_path, isolated):
    import os
    path = _csv(tmp_path / "narrow.csv", NARROW)
    w = _wizard(qtbot, path)
    os.remove(path)  # moved away in the file manager meanwhile
    w.preview()
    qtbot.waitUntil(lambda: bool(isolated), timeout=10_000)
    assert "narrow.csv does not exist" in isolated[-1] and "Errno" not in isolated[-1]


def test_problems_table_names_its_columns_and_wraps_long_reasons(qtbot, sqlite_db, tmp_path):
    rows = [["Tag #", "Serial No", "Date Acquired"],
            ["L-1", "6.37702E+15", "13/45/2023"]]
    w = _wizard(qtbot, _csv(tmp_path / "bad.csv", rows))
    w.resize(980, 700)
    w.show()
    p = _previewed(qtbot, w)
    assert p.problems
    t = w.problems
    assert [t.horizontalHeaderItem(c).text() for c in range(4)] == ["Row", "Column", "Kind", "Reason"]
    assert t.horizontalHeader().stretchLastSection() and t.wordWrap()
    long_row = max(range(t.rowCount()), key=lambda r: len(t.item(r, 3).text()))
    reason = t.item(long_row, 3)
    assert reason.toolTip() == reason.text() and t.item(long_row, 2).text() == "problem"
    def whole():
        return all(t.rowHeight(r) >= t.sizeHintForRow(r) for r in range(t.rowCount()))
    assert whole()
    wide_height = t.rowHeight(long_row)
    w.resize(700, 600)  # a narrower window: the Reason column shrinks, its rows grow
    qtbot.waitUntil(lambda: t.rowHeight(long_row) > wide_height, timeout=2_000)
    assert whole()
    w.resize(980, 700)  # and shrink back when there is room again
    qtbot.waitUntil(lambda: t.rowHeight(long_row) == wide_height, timeout=2_000)


# --- issue #20: the split and the holders, shown before anything is written -------------

DISTRICT = [["Asset Tag", "Serial", "Location", "Checked Out To: Full Name", "Student ID", "Grade"],
            ["RS-1", "5CD1", "Roseland Elementary / Rm 101", "Ana Lopez", "S1001", "3"],
            ["RS-2", "5CD2", "Roseland Elementary / Rm 102", "Ben Hall", "S1002", "4"],
            ["RS-3", "5CD3", "District Office", "", "", ""]]


def test_wizard_shows_the_site_room_split_and_the_holders(qtbot, sqlite_db, tmp_path):
    from app.models import Asset
    from app.services import people
    ana = people.create(first_name="Ana", last_name="Lopez", id_number="S1001", kind="student")
    w = _wizard(qtbot, _csv(tmp_path / "district.csv", DISTRICT))
    p = _previewed(qtbot, w)
    assert not p.problems
    places = [[w.places.item(r, c).text() for c in range(2)] for r in range(w.places.rowCount())]
    assert places == [["Roseland Elementary / Rm 101", "Roseland Elementary › Rm 101"],
                      ["Roseland Elementary / Rm 102", "Roseland Elementary › Rm 102"],
                      ["District Office", "District Office (a site, no room)"]]
    holders = [[w.holders.item(r, c).text() for c in range(4)] for r in range(w.holders.rowCount())]
    assert holders == [["2", "Ana Lopez · S1001", "Ana Lopez (S1001)", "ID number"],
                       ["3", "Ben Hall · S1002", "Ben Hall (S1002) — new student", "a new person"]]
    assert w.tabs.tabText(1) == "Sites and rooms (3)" and w.tabs.tabText(2) == "Holders (2)"
    # Turned off: each location stays whole, and the preview must be run again.
    w.split_at.setCurrentIndex(w.split_at.findData("none"))
    assert not w.import_button.isEnabled()
    _previewed(qtbot, w)
    assert w.places.item(0, 1).text() == "Roseland Elementary / Rm 101 (a site, no room)"
    w.split_at.setCurrentIndex(0)
    _previewed(qtbot, w)
    with qtbot.waitSignal(w.finished, timeout=20_000):
        with pytest.MonkeyPatch.context() as mp:
            from PySide6.QtWidgets import QMessageBox
            mp.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.Ok)
            w.import_button.click()
    a = Asset.get(Asset.tag == "RS-1")
    assert (a.site.name, a.location.name, a.assigned_person_id) == ("Roseland Elementary", "Rm 101",
                                                                     ana.id)


@pytest.mark.parametrize("field,typed,in_file,column", [
    ("purchase_date", "1900-01-01", "1900-01-01", "Purchase Date"),
    ("cost", "0.001", "0.001", "Purchase Cost"),
    ("tag", "QM-00\u200b1021", "QM-00\u200b1021", "Asset Tag")])
def test_editor_and_import_refuse_with_the_same_words(qtbot, sqlite_db, tmp_path, field, typed,
                                                      in_file, column):
    """Issue #20: one validation — what the editor refuses, the import refuses, in the same words."""
    from app import importing
    from ui.dialogs.asset_editor import AssetEditor
    dlg = AssetEditor(None)
    qtbot.addWidget(dlg)
    dlg.widgets[field].setText(typed)
    dlg.save()
    shown = dlg.errors[field]
    assert not shown.isHidden() and shown.text()
    path = _csv(tmp_path / "one.csv", [["Asset Tag", column] if column != "Asset Tag" else [column],
                                       ["QM-9", in_file] if column != "Asset Tag" else [in_file]])
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(path)
    assert err.value.preview.problems[0].reason == shown.text()
