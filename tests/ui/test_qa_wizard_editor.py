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
def isolated(tmp_path, monkeypatch):
    """Settings under tmp_path; every message box recorded, none left to block."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "qsettings"))
    QSettings().clear()
    seen = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: seen.append(a[2]))
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
    fields = list(dlg.widgets.values()) + list(dlg.custom_widgets.values())
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
