"""The Events page: a distribution (card then device, a picked student, the
agreement choice, refusals on the banner) and a collection (damage ticked,
withdrawn students' devices first), scans routed by the main window."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QDialog

from app.models import Loan, Person
from app.services import assets, events, kits, people
from tests.app.factories import asset, district


def _student(d, idn, first, last, room, **kw):
    p = people.create(first_name=first, last_name=last, id_number=idn, kind="student",
                      site_id=d["site"].id, grade="9")
    Person.update(homeroom=room, **kw).where(Person.id == p.id).execute()
    return p


@pytest.fixture
def world(sqlite_db, recorded_boxes, monkeypatch):
    from ui import feedback
    monkeypatch.setattr(feedback, "_sounds_on", lambda: False)
    d = district()
    kits.set_parts(d["model"].id, [("Charger", 1, "35.00"), ("Case", 1, "25.00")])
    d["ana"] = _student(d, "S1", "Ana", "Lopez", "Room 12")
    d["ben"] = _student(d, "S2", "Ben", "Wu", "Room 12")
    d["gil"] = _student(d, "S4", "Gil", "Left", "Library", enrolment="withdrawn")
    d["devs"] = [asset(d) for _ in range(4)]
    return d


@pytest.fixture
def window(world, qtbot):
    from ui.main_window import MainWindow
    win = MainWindow(start_page="events")
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    page = win.show_page("events")
    yield win, page
    from ui.jobs import wait_for_jobs
    page._status_timer.stop()
    wait_for_jobs()
    win.close()


def test_distribution_on_the_page(window, world, qtbot, monkeypatch):
    from ui.pages import events as events_page
    win, page = window
    assert page.stack.currentIndex() == 0  # no event yet

    def fill_dialog(dlg):
        dlg.kind.setCurrentIndex(dlg.kind.findData("distribution"))
        dlg.site.setCurrentIndex(dlg.site.findData(world["site"].id))
        assert dlg.homeroom.findData("Room 12") > 0  # the school's homerooms are offered
        return QDialog.Accepted
    monkeypatch.setattr(events_page.NewEventDialog, "exec", fill_dialog)
    page.new_button.click()
    assert page.is_open and page.kind == "distribution"
    assert page.dist_box.isVisibleTo(page) and not page.coll_box.isVisibleTo(page)
    a1, a2, a3, _a4 = world["devs"]

    win.route_scan("S1")  # what the scanner filter sends: the page takes it
    assert page.banner.text() == "STUDENT\nAna Lopez (S1)"
    assert page.banner.tone == "ok"
    assert "Ana Lopez (S1)" in page.waiting.text()
    win.route_scan(a1.tag)
    assert page.banner.text().startswith("DEVICE LENT") and "with Charger, Case" in page.banner.detail()
    assert "No student waiting" in page.waiting.text()
    assert page.scan_item(0, 2) == "Device lent" and page.scan_item(0, 4) == a1.tag

    # A device with nobody waiting: refused on the banner, nothing written.
    win.route_scan(a2.tag)
    assert page.banner.text().startswith("SCAN THE STUDENT FIRST") and page.banner.tone == "error"
    assert assets.open_loan(a2.id) is None
    win.route_scan("S4")
    assert page.banner.text().startswith("WITHDRAWN STUDENT")

    # Ben without his card, the family refused to sign.
    monkeypatch.setattr(events_page.PickStudentDialog, "exec", lambda dlg: QDialog.Accepted)
    monkeypatch.setattr(events_page.PickStudentDialog, "person_id",
                        lambda dlg: world["ben"].id)
    page.findChild(type(page.new_button), "events-pick").click()
    assert page.banner.text() == "STUDENT\nBen Wu (S2)"
    page.agreement_buttons["refused"].setChecked(True)
    win.route_scan(a2.tag)
    assert page.banner.text().startswith("LENT — FAMILY REFUSED") and page.banner.tone == "attention"
    loan = assets.open_loan(a2.id)
    assert loan.person_id == world["ben"].id and loan.agreement_status == "refused"

    page.refresh_status()
    from ui.jobs import wait_for_jobs
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.groups.rowCount() == 1, timeout=5000)
    assert [page.groups.item(0, c).text() for c in range(5)] == ["Room 12", "2", "2", "0", "0"]
    assert "2 received · 0 not yet of 2 students · 1 family refused" in page.totals_line.text()

    page.close_button.click()  # the question is answered Yes
    assert page.stack.currentIndex() == 2 and "closed" in page.closed_text.text()
    assert not page.handle_scan(a3.tag)  # a closed event takes no scans


def test_collection_on_the_page(window, world, qtbot, tmp_path):
    win, page = window
    a1, a2, a3, _a4 = world["devs"]
    assets.check_out(a1.id, person_id=world["ana"].id)
    assets.check_out(a2.id, person_id=world["ben"].id)
    assets.check_out(a3.id, person_id=world["gil"].id)
    ev = events.start("collection", "RHS")
    page.refresh()  # a new open event (the CLI's, a colleague's) is joined
    assert page.session_id == ev.id and page.coll_box.isVisibleTo(page)
    assert set(page.missing_boxes) == {"Case", "Charger"}

    win.route_scan(a1.tag)
    assert page.banner.text().startswith("RETURNED") and page.banner.tone == "ok"
    page.damage_boxes["screen"].setChecked(True)  # ticking damage marks it damaged
    assert page.damaged.isChecked()
    page.missing_boxes["Charger"].setChecked(True)
    win.route_scan(a2.tag)
    assert page.banner.text().startswith("RETURNED DAMAGED") and page.banner.tone == "attention"
    assert "damage: screen" in page.banner.detail() and "missing: Charger" in page.banner.detail()
    assert page.good.isChecked() and not page.damage_boxes["screen"].isChecked()  # reset
    back = Loan.get(Loan.asset == a2.id)
    assert back.damage == ["screen"] and back.condition_in == "damaged"

    page.refresh_status()
    from ui.jobs import wait_for_jobs
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.people.rowCount() == 1, timeout=5000)
    assert page.people.item(0, 0).text() == a3.tag and page.people.item(0, 4).text() == "withdrawn"
    page.write_report(str(tmp_path / "c.pdf"))
    wait_for_jobs()
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
