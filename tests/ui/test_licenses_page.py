"""The Licenses page and its dialogs: the table and its colours, the seat list
loaded a page at a time, Reveal, giving seats by scanning, moving, releasing,
the editor's refusals, and assign_to_assets for the Assets selection."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.models import Asset, Seat
from app.services import history, licenses
from tests.app.factories import asset, district


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


@pytest.fixture
def data(sqlite_db):
    d = district()
    today = dt.date.today()
    a, b = asset(d), asset(d)
    adobe = licenses.create(product="Adobe CC", version="2025", vendor="Adobe", seats=1,
                            cost="900", product_key="ABCDE-FGHIJ-KLMNO",
                            expiry_date=today + dt.timedelta(days=30))
    site = licenses.create(product="Microsoft 365", site_license=True,
                           expiry_date=today + dt.timedelta(days=300))
    sketch = licenses.create(product="SketchUp", seats=1, allow_over=True,
                             expiry_date=today - dt.timedelta(days=3))
    licenses.assign(adobe.id, asset_id=a.id)
    licenses.assign(sketch.id, asset_id=a.id)
    licenses.assign(sketch.id, asset_id=b.id)
    return dict(d=d, a=a, b=b, adobe=adobe, site=site, sketch=sketch)


@pytest.fixture
def page(open_page, data):
    from ui.pages.licenses import Page
    return open_page(Page, width=1200)


def _cell(page, row, col, role=Qt.DisplayRole):
    return page.model.index(row, col).data(role)


def test_table_shows_seats_site_license_and_colours(page, data):
    from PySide6.QtGui import QBrush

    from ui import theme
    from ui.pages import licenses as mod
    RED, AMBER = QBrush(theme.qcolour("error")), QBrush(theme.qcolour("warning"))
    rows = {_cell(page, r, mod.COL_PRODUCT): r for r in range(page.model.rowCount())}
    assert list(rows) == ["Adobe CC", "Microsoft 365", "SketchUp"]
    adobe, site, sketch = rows["Adobe CC"], rows["Microsoft 365"], rows["SketchUp"]
    assert [_cell(page, adobe, c) for c in (mod.COL_OWNED, mod.COL_USED, mod.COL_FREE,
                                            mod.COL_COST)] == ["1", "1", "0", "900.00"]
    assert _cell(page, site, mod.COL_OWNED) == "site license" and _cell(page, site, mod.COL_FREE) == ""
    # expiry inside 60 days is amber, past expiry and over-allocation red
    assert _cell(page, adobe, mod.COL_EXPIRES, Qt.ForegroundRole) == AMBER
    assert _cell(page, site, mod.COL_EXPIRES, Qt.ForegroundRole) is None
    assert _cell(page, sketch, mod.COL_EXPIRES, Qt.ForegroundRole) == RED
    assert _cell(page, sketch, mod.COL_FREE) == "-1"
    assert _cell(page, sketch, mod.COL_FREE, Qt.ForegroundRole) == RED
    assert "over-allocated by 1" in _cell(page, sketch, mod.COL_PROBLEMS)
    page.show_combo.setCurrentIndex(page.show_combo.findData("over"))
    assert page.model.rowCount() == 1 and page.counts.text() == "1 of 3 licenses"
    page.show_combo.setCurrentIndex(0)
    page.search.setText("micro")
    assert page.model.rowCount() == 1 and page.current_id() == data["site"].id


def test_key_masked_then_revealed_with_history(page, data):
    page.select(data["adobe"].id)
    assert page.key_label.text() == "•••••-•••••-••MNO"
    page.reveal_button.click()
    assert page.key_label.text() == "ABCDE-FGHIJ-KLMNO" and page.reveal_button.text() == "Hide"
    entry = history.for_entity("license", data["adobe"].id)[0]
    assert entry["action"] == "reveal_key"
    page.reveal_button.click()
    assert page.key_label.text() == "•••••-•••••-••MNO"
    page.select(data["site"].id)
    assert page.key_label.text() == "(none stored)" and not page.reveal_button.isEnabled()


def test_seats_are_counted_and_listed_a_page_at_a_time(page, data, qtbot):
    d = data["d"]
    now = dt.datetime(2025, 1, 1)
    Asset.insert_many([dict(tag=f"ZZ-{i:04d}", tag_key=f"ZZ-{i:04d}", status="deployed",
                            model=d["model"].id, created_at=now, updated_at=now)
                       for i in range(450)]).execute()
    ids = [i for (i,) in Asset.select(Asset.id).where(Asset.tag.startswith("ZZ-")).tuples()]
    licenses.assign_many(data["site"].id, ids)
    page.refresh()
    page.select(data["site"].id)
    assert page.seat_count.text() == "450 seats in use (site license)"
    assert page.seats.rowCount() == 200 and page.seats.canFetchMore()
    before = page.seats.queries
    page.seat_view.scrollToBottom()  # the view asks for the next page as it scrolls
    qtbot.waitUntil(lambda: page.seats.rowCount() > 200)
    while page.seats.canFetchMore():
        page.seats.fetchMore()
    assert page.seats.rowCount() == 450 and page.seats.queries - before == 2
    assert page.seats.index(399, 0).data() == "ZZ-0399"
    page.seat_search.setText("zz-044")
    page.load_seats()
    assert page.seats.total == 10 and page.seats.rowCount() == 10


def test_scan_gives_a_seat_and_a_full_license_says_so(page, data, boxes):
    page.select(data["adobe"].id)
    other = asset(data["d"])
    assert page.handle_scan(other.tag) is True
    assert boxes and "all are in use" in boxes[-1]
    assert licenses.seats_used(data["adobe"].id) == 1
    page.select(data["site"].id)
    assert page.handle_scan(other.tag.lower()) is True
    assert licenses.seats_used(data["site"].id) == 1 and page.seats.rowCount() == 1
    assert page.handle_scan("S2000001") is True  # a student's badge
    assert licenses.seats_used(data["site"].id) == 2
    assert page.handle_scan("NOTHING-HERE") is False  # the default routing takes it
    page.scan_gives.setChecked(False)
    assert page.handle_scan(data["b"].tag) is False


def test_release_and_move_seats(page, data, qtbot):
    from ui.dialogs.license_seats import MoveSeatDialog
    page.select(data["sketch"].id)
    assert page.seats.rowCount() == 2
    page.seat_view.selectRow(0)
    seat = page.selected_seats()[0]
    dlg = MoveSeatDialog(data["sketch"].id, seat, page)
    qtbot.addWidget(dlg)
    dlg.handle_scan("E100")
    assert "Ann O'Brien" in dlg.target.note.text()
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    assert [r["product"] for r in licenses.for_person(data["d"]["staff"].id)] == ["SketchUp"]
    # a holder that already has a seat is refused beside the field, not saved
    page.refresh()
    page.select(data["sketch"].id)
    page.seat_view.selectRow(0)
    dlg = MoveSeatDialog(data["sketch"].id, page.selected_seats()[0], page)
    qtbot.addWidget(dlg)
    dlg.target.setText("nobody")
    dlg.submit()
    assert dlg.errors["to"].isVisibleTo(dlg) and "No computer tag" in dlg.errors["to"].text()
    page.seat_view.selectAll()
    page.release()
    assert licenses.seats_used(data["sketch"].id) == 0 and page.seats.rowCount() == 0


def test_assign_dialog_takes_scans(qtbot, data, boxes):
    from ui.dialogs.license_seats import AssignSeatsDialog
    dlg = AssignSeatsDialog(data["site"].id)
    qtbot.addWidget(dlg)
    assert dlg.handle_scan(data["a"].tag)
    assert dlg.handle_scan(data["b"].tag)
    assert dlg.handle_scan(data["a"].tag)  # already has one: refused, shown
    assert "already has a seat" in boxes[-1]
    assert dlg.log.item(0).text().startswith("✗") and dlg.log.item(1).text().startswith("✓")
    assert dlg.count.text() == "2 seats in use (site license)"
    dlg.reject()
    assert dlg.result() == QDialog.Accepted  # seats were given


def test_editor_refusals_and_save(qtbot, sqlite_db):
    from ui.dialogs.license_editor import LicenseEditor
    dlg = LicenseEditor()
    qtbot.addWidget(dlg)
    dlg.submit()
    assert dlg.errors["product"].isVisibleTo(dlg)
    dlg.widgets["product"].setText("Tableau")
    dlg.submit()
    assert "seats owned" in dlg.errors["seats"].text()
    dlg.widgets["seats"].setValue(5)
    dlg.widgets["expiry_date"].setText("13/45/2025")
    dlg.submit()
    assert dlg.errors["expiry_date"].isVisibleTo(dlg)
    dlg.widgets["expiry_date"].setText("6/30/2027")
    dlg.widgets["product_key"].setText("TABLE-AU000-12345")
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    lic = licenses.find("tableau")
    assert (lic.seats, lic.expiry_date, lic.product_key) == (5, dt.date(2027, 6, 30), "TABLE-AU000-12345")
    again = LicenseEditor(lic.id)
    qtbot.addWidget(again)
    assert again.widgets["product_key"].text() == ""  # never in clear in the form
    assert "•••••-•••••-••345" in again.widgets["product_key"].placeholderText()
    again.widgets["seats"].setValue(0)
    again.submit()
    assert "seats owned" in again.errors["seats"].text() and licenses.get(lic.id).seats == 5
    again.widgets["seats"].setValue(7)
    again.submit()
    assert licenses.get(lic.id).product_key == "TABLE-AU000-12345" and licenses.get(lic.id).seats == 7


def test_assign_to_assets_from_a_selection(qtbot, data, boxes, monkeypatch):
    from ui.dialogs import license_seats
    chosen = {}

    def fake_exec(self):
        self.combo.setCurrentIndex(self.combo.findData(chosen["id"]))
        return QDialog.Accepted
    monkeypatch.setattr(license_seats.LicenseChoiceDialog, "exec", fake_exec)
    more = [asset(data["d"]).id for _ in range(3)]
    chosen["id"] = data["adobe"].id
    assert license_seats.assign_to_assets(None, more) is False
    assert "0 free seat" in boxes[-1] and licenses.seats_used(data["adobe"].id) == 1
    chosen["id"] = data["site"].id
    assert license_seats.assign_to_assets(None, more + [data["a"].id]) is True
    assert Seat.select().where(Seat.license == data["site"].id).count() == 4


def test_assets_page_gives_seats_to_its_selection(qtbot, data, monkeypatch):
    """Assets page → select computers → Give license seats… (Ctrl+L)."""
    from ui.dialogs import license_seats
    from ui.pages.assets import Page

    def fake_exec(self):
        self.combo.setCurrentIndex(self.combo.findData(data["site"].id))
        return QDialog.Accepted
    monkeypatch.setattr(license_seats.LicenseChoiceDialog, "exec", fake_exec)
    page = Page()
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 2)
    page.list.table.selectAll()
    act = next(a for a in page.page_actions if a.text().startswith("Give license seats"))
    assert act.shortcut().toString() == "Ctrl+L"
    act.trigger()
    assert Seat.select().where(Seat.license == data["site"].id).count() == 2
