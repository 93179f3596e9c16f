"""An empty database: the asset editor makes its site, room, model (with a new
manufacturer and category) and supplier in place with "New…", through the
catalog services, and the first asset saves with all four."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog


@pytest.fixture
def empty(sqlite_db, tmp_path, monkeypatch, failing_boxes):
    return sqlite_db


@pytest.fixture
def answers(monkeypatch):
    """The New… dialogs filled in as a technician would, OK pressed; each
    answer may take several tries (a refusal keeps the dialog open)."""
    from ui.dialogs.quick_create import QuickCreateDialog
    queue: list[list[dict]] = []
    seen: list[tuple[str, list[str]]] = []

    def exec_(self):
        tries = queue.pop(0)
        errors = []
        for values in tries:
            for key, value in values.items():
                w = self.fields[key]
                if isinstance(w, QComboBox):
                    w.setEditText(value)
                else:
                    w.setText(value)
            self.save()
            if self.result() == QDialog.Accepted:
                break
            errors.append(self.error.text())
        seen.append((self.windowTitle(), errors))
        return self.result()
    monkeypatch.setattr(QuickCreateDialog, "exec", exec_)
    return queue, seen


def test_first_asset_on_an_empty_database(qtbot, empty, answers, db_path):
    from ui.dialogs.asset_editor import AssetEditor
    queue, seen = answers
    ed = AssetEditor(None)
    qtbot.addWidget(ed)
    for key in ("site_id", "model_id", "supplier_id"):
        assert ed.widgets[key].count() == 1  # only the blank choice
    assert not ed.new_buttons["location_id"].isEnabled()  # a room needs its site first

    queue.append([{"name": ""}, {"name": "Lincoln High", "code": "LHS"}])
    qtbot.mouseClick(ed.new_buttons["site_id"], Qt.LeftButton)
    assert ed.widgets["site_id"].currentText() == "Lincoln High"
    assert seen[-1][1] and "required" in seen[-1][1][0].lower()  # the refusal was shown
    assert ed.new_buttons["location_id"].isEnabled()

    queue.append([{"name": "Room 214"}])
    qtbot.mouseClick(ed.new_buttons["location_id"], Qt.LeftButton)
    assert ed.widgets["location_id"].currentText() == "Room 214"
    assert seen[-1] == ("New room at Lincoln High", [])

    queue.append([{"name": "Latitude 3440", "manufacturer": "Dell", "category": "Laptops"}])
    qtbot.mouseClick(ed.new_buttons["model_id"], Qt.LeftButton)
    assert ed.widgets["model_id"].currentText() == "Dell Latitude 3440"

    queue.append([{"name": "CDW-G", "phone": "800-808-4239"}])
    qtbot.mouseClick(ed.new_buttons["supplier_id"], Qt.LeftButton)
    assert ed.widgets["supplier_id"].currentText() == "CDW-G"
    # A second site with the same name is refused in the dialog; cancelling
    # leaves the choice as it was.
    queue.append([{"name": "lincoln high"}])
    qtbot.mouseClick(ed.new_buttons["site_id"], Qt.LeftButton)
    assert "already" in seen[-1][1][0]
    assert ed.widgets["site_id"].currentText() == "Lincoln High"

    ed.widgets["serial"].setText("5CD1234567")
    ed.save()
    assert ed.result() == QDialog.Accepted, [e.text() for e in ed.errors.values() if e.isVisible()]

    # Read back from the file: everything was written through the services.
    from app.models import Asset, Category, HardwareModel, HistoryEntry, Location, Site, Supplier
    from app.store.db import close_database, open_database
    close_database()
    open_database(db_path)
    a = Asset.get(Asset.serial == "5CD1234567")
    assert a.site.name == "Lincoln High" and a.site.code == "LHS"
    assert a.location.name == "Room 214" and a.location.site_id == a.site_id
    assert a.model.name == "Latitude 3440" and a.model.manufacturer.name == "Dell"
    assert a.model.category.name == "Laptops"
    assert a.supplier.name == "CDW-G" and a.supplier.phone == "800-808-4239"
    assert Site.select().count() == 1 and Location.select().count() == 1
    assert HardwareModel.select().count() == 1 and Category.select().count() == 1
    assert Supplier.select().count() == 1
    made = {h.entity for h in HistoryEntry.select().where(HistoryEntry.action == "create")}
    assert {"site", "location", "model", "supplier", "asset"} <= made


def test_a_refused_model_leaves_no_category_behind(qtbot, empty, answers):
    from app.models import Category
    from app.services import catalog
    from ui.dialogs.asset_editor import AssetEditor
    catalog.create_model("Latitude 3440", manufacturer="Dell")
    queue, seen = answers
    ed = AssetEditor(None)
    qtbot.addWidget(ed)
    queue.append([{"name": "Latitude 3440", "manufacturer": "Dell", "category": "Laptops"}])
    qtbot.mouseClick(ed.new_buttons["model_id"], Qt.LeftButton)
    assert "already exists" in seen[-1][1][0]
    assert Category.select().count() == 0  # one transaction: nothing half-written


def test_erate_group_shows_for_erate_funding_and_sets_ben_and_spin(qtbot, empty, answers,
                                                                  monkeypatch, db_path):
    """The Form 471 and FRN line item rows show when funding is E-Rate; the
    site's BEN and the supplier's SPIN are set in place; a bad line item is
    named under its field and nothing is saved."""
    from PySide6.QtWidgets import QInputDialog

    from app.models import Asset, Site, Supplier
    from ui.dialogs.asset_editor import AssetEditor
    queue, seen = answers
    ed = AssetEditor(None)
    qtbot.addWidget(ed)
    ed.show()
    assert not ed.erate_shown()
    queue.append([{"name": "Lincoln High", "ben": "BEN1"}, {"name": "Lincoln High", "ben": "125548"}])
    qtbot.mouseClick(ed.new_buttons["site_id"], Qt.LeftButton)
    assert "BEN" in seen[-1][1][0]  # the refusal was shown in the dialog
    queue.append([{"name": "Vector Networks", "spin": "143012345"}])
    qtbot.mouseClick(ed.new_buttons["supplier_id"], Qt.LeftButton)
    funding = ed.widgets["funding_type"]
    funding.setCurrentIndex(funding.findData("erate"))
    assert ed.erate_shown() and ed.widgets["erate_frn_line"].isVisible()
    assert "BEN 125548" in ed.erate_numbers.text() and "SPIN 143012345" in ed.erate_numbers.text()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("16012345", True))
    qtbot.mouseClick(ed.findChild(type(ed.new_buttons["site_id"]), "set-ben"), Qt.LeftButton)
    assert "BEN 16012345" in ed.erate_numbers.text()
    ed.widgets["erate_frn"].setText("2599012345")
    ed.widgets["erate_form471"].setText("251000123")
    ed.widgets["erate_frn_line"].setText("2599099999.001")
    ed.save()
    assert ed.result() != QDialog.Accepted
    assert "belongs to FRN 2599099999" in ed.errors["erate_frn_line"].text()
    assert Asset.select().count() == 0
    ed.widgets["erate_frn_line"].setText("4")
    ed.save()
    assert ed.result() == QDialog.Accepted
    a = Asset.get()
    assert (a.erate_frn_line, a.erate_form471, a.funding_type) == \
        ("2599012345.004", "251000123", "erate")
    assert Site.get().ben == "16012345" and Supplier.get().spin == "143012345"
    funding.setCurrentIndex(funding.findData("general"))
