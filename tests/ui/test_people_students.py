"""Students in the GUI: the person editor shows and saves the roster fields
(through the people service), the People page filters withdrawn students
still holding devices, and the asset editor shows the Chromebook group."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QComboBox, QDialog

from app.models import Asset, HistoryEntry, Person
from app.services import assets, catalog, people


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


@pytest.fixture
def data(sqlite_db):
    site = catalog.create_site("Jefferson Elementary", code="101")
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    model = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    ana = people.create(first_name="Ana", last_name="Ruiz", kind="student", id_number="S1",
                        site_id=site.id, grade="5", language="es", enrolment="enrolled")
    ben = people.create(first_name="Ben", last_name="Cole", kind="student", id_number="S2",
                        site_id=site.id, grade="7")
    staff = people.create(first_name="Eve", last_name="Ng", kind="staff", id_number="E1")
    cb = assets.create(dict(model_id=model.id, site_id=site.id, serial="5CD1", aue_date="2029-06-30",
                            org_unit="/Students/Jefferson"))
    other = assets.create(dict(model_id=model.id, site_id=site.id, serial="5CD2"))
    return dict(site=site, model=model, ana=ana, ben=ben, staff=staff, cb=cb, other=other)


def test_person_editor_saves_student_fields(qtbot, data):
    from ui.dialogs.person_editor import PersonEditor
    dlg = PersonEditor(data["ana"].id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.student_header.isVisible() and dlg.widgets["guardian_name"].isVisible()
    assert not dlg.widgets["withdrawn_on"].isVisible()  # enrolled: no withdrawal day
    dlg.widgets["homeroom"].setText("5B — Ms. Rivera")
    dlg.widgets["guardian_name"].setText("Rosa Ruiz")
    dlg.widgets["guardian_email"].setText("rosa@example.org")
    dlg.widgets["guardian_phone"].setText("(559) 555-0101")
    dlg.widgets["address"].setPlainText("1 Oak St\nFresno, CA 93701")
    enrol = dlg.widgets["enrolment"]
    enrol.setCurrentIndex(enrol.findData("withdrawn"))
    assert dlg.widgets["withdrawn_on"].isVisible()
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    ana = Person.get_by_id(data["ana"].id)
    assert (ana.homeroom, ana.guardian_name, ana.guardian_email, ana.guardian_phone) == (
        "5B — Ms. Rivera", "Rosa Ruiz", "rosa@example.org", "(559) 555-0101")
    assert ana.address == "1 Oak St\nFresno, CA 93701"
    assert (ana.enrolment, ana.withdrawn_on, ana.language) == ("withdrawn", dt.date.today(), "es")
    assert HistoryEntry.select().where((HistoryEntry.entity == "person")
                                       & (HistoryEntry.entity_id == ana.id)
                                       & (HistoryEntry.field == "guardian_name")).exists()


def test_person_editor_refuses_a_bad_guardian_email_beside_it(qtbot, data):
    from ui.dialogs.person_editor import PersonEditor
    dlg = PersonEditor(data["ben"].id)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.widgets["guardian_email"].setText("not an address")
    dlg.submit()
    assert dlg.result() != QDialog.Accepted
    assert dlg.errors["guardian_email"].isVisible()
    assert "email address" in dlg.errors["guardian_email"].text()
    assert Person.get_by_id(data["ben"].id).guardian_email is None


def test_person_editor_hides_student_fields_for_staff_and_creates(qtbot, data):
    from ui.dialogs.person_editor import PersonEditor
    dlg = PersonEditor(data["staff"].id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.student_header.isVisible() and not dlg.widgets["guardian_name"].isVisible()
    new = PersonEditor(None)
    qtbot.addWidget(new)
    new.show()
    new.widgets["kind"].setCurrentIndex(new.widgets["kind"].findData("student"))
    new.widgets["first_name"].setText("Leo")
    new.widgets["last_name"].setText("Park")
    new.widgets["id_number"].setText("S9")
    new.widgets["grade"].setText("K")
    new.widgets["homeroom"].setText("K-1")
    new.submit()
    leo = Person.get(Person.id_number == "S9")
    assert (leo.kind, leo.grade, leo.homeroom) == ("student", "K", "K-1")


def test_people_page_withdrawn_with_devices(qtbot, data):
    assets.check_out(data["cb"].id, data["ben"].id)
    people.withdraw([data["ben"].id, data["ana"].id])
    from ui.pages.people import Page
    page = Page()
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.refresh()
    combo = page.findChild(QComboBox, "filter-holding")
    combo.setCurrentIndex(combo.findData("withdrawn"))  # "Withdrawn with devices"
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 1)
    page.list.select_id(data["ben"].id)
    page.panel.show_person(data["ben"].id)
    text = page.panel.title.text()
    assert "Withdrawn" in text and "grade 7" in text


def test_asset_editor_chromebook_group(qtbot, data):
    from ui.dialogs.asset_editor import AssetEditor
    dlg = AssetEditor(data["cb"].id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.chromebook_shown()
    assert dlg.widgets["aue_date"].text() == "2029-06-30"
    assert dlg.widgets["last_sync"].isReadOnly()
    dlg.widgets["aue_date"].setText("Jun 30 2030")
    dlg.widgets["annotated_user"].setText("ben.cole@students.example.org")
    dlg.save()
    qtbot.waitUntil(lambda: Asset.get_by_id(data["cb"].id).aue_date == dt.date(2030, 6, 30))
    a = Asset.get_by_id(data["cb"].id)
    assert a.annotated_user == "ben.cole@students.example.org"
    assert a.org_unit == "/Students/Jefferson" and a.last_sync is None


def test_import_wizard_whole_roster_lists_then_asks(qtbot, data, monkeypatch):
    """The wizard's "whole roster" box: Preview lists who would be withdrawn
    (nothing changes); Import asks, and No writes nothing."""
    from pathlib import Path

    from PySide6.QtWidgets import QMessageBox

    from ui.dialogs.import_wizard import ImportWizard
    catalog.create_site("Roosevelt Middle", code="102")
    roster = Path(__file__).parents[1] / "app" / "data" / "students_aeries.csv"
    w = ImportWizard(None, str(roster))
    qtbot.addWidget(w)
    w.kind.setCurrentIndex(w.kind.findData("students"))
    assert w.full_box.isEnabled()
    w.full_box.setChecked(True)
    w.preview()
    qtbot.waitUntil(lambda: w.done_preview is not None, timeout=10_000)
    listed = {w.listed.item(r, 0).text() for r in range(w.listed.rowCount())}
    assert listed == {"S1", "S2"}  # the two students of Jefferson the roster leaves out
    assert w.tabs.tabText(3) == "To withdraw (2)"
    assert Person.get(Person.id_number == "S1").enrolment == "enrolled"
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.No)
    w.commit()
    assert asked and "Mark 2 students withdrawn" in asked[0]
    assert not Person.select().where(Person.id_number == "99400001").exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    w.commit()
    qtbot.waitUntil(lambda: Person.get(Person.id_number == "S1").enrolment == "withdrawn",
                    timeout=10_000)
    assert Person.select().where(Person.id_number == "99400001").exists()
    w.kind.setCurrentIndex(w.kind.findData("chromebooks"))
    assert not w.full_box.isEnabled() and not w.full_box.isChecked()


def test_reports_page_refresh_plan_years(qtbot, data, isolated_qsettings, tmp_path, monkeypatch):
    """The Reports page offers the refresh plan with its years (default 5) and
    the to-recover list with a site; both generate."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMainWindow

    from ui.jobs import wait_for_jobs
    from ui.pages.reports import Page
    QSettings().clear()
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    win.resize(1300, 850)
    qtbot.addWidget(win)
    win.show()
    page.select_report("refresh-plan")
    shown = {k for k, label in page.labels.items() if label.isVisibleTo(page)}
    assert shown == {"years", "site"}
    assert page.fields["years"].value() == 5
    page.fields["years"].setValue(4)
    assert page.params().years == 4
    page.generate()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.pdf is not None, timeout=15_000)
    page.select_report("to-recover")
    assert {k for k, label in page.labels.items() if label.isVisibleTo(page)} == {"site"}
    before = page.pdf
    page.generate()
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.pdf is not before, timeout=15_000)
