"""The Work orders page: its views (my open, by site, overdue follow-ups) come
from SQL; New / Edit / Add note / Close are clicked through their buttons and
dialogs and land in the database; refusals show beside the field; an asset's
context action opens a work order for it."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QDialog, QToolButton

from app.models import WorkOrder
from app.services import workorders
from tests.ui.conftest import toolbar_button
from tests.app.factories import asset, district


@pytest.fixture(autouse=True)
def boxes(recorded_boxes, monkeypatch):
    monkeypatch.setenv("QM_USER", "tester")  # "My open" is the current user's
    return recorded_boxes


@pytest.fixture
def data(sqlite_db):
    d = district()
    a = asset(d, name="Cart 3 Chromebook")
    late = dt.date.today() - dt.timedelta(days=3)
    mine = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id,
                              "category": "repair", "summary": "Keyboard sticks",
                              "assignee": "tester", "follow_up": late})
    other = workorders.create({"requester_name": "Maria Lopez", "requester_contact": "555-0142",
                               "category": "account", "summary": "Portal password",
                               "site_id": d["other"].id, "assignee": "kim"})
    done = workorders.create({"requester_id": d["student"].id, "summary": "Old request",
                              "site_id": d["site"].id})
    workorders.close(done.id, "Done")
    return dict(d=d, asset=a, mine=mine, other=other, done=done)


@pytest.fixture
def page(open_page, data):
    from ui.pages.workorders import Page
    return open_page(Page)


def shown(page) -> list[int]:
    m = page.list.model
    return [int(m.index(r, 0).data()) for r in range(m.rowCount())]


button = toolbar_button


def select(page, number) -> None:
    """Select one row once the list has settled (its pages of rows arrive on
    the next event-loop turns), and check it took."""
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    # selectRow extends the selection when Qt believes Ctrl is held (a key
    # state another test's synthetic events can leave behind).
    page.list.table.clearSelection()
    page.list.select_id(number)
    page.update_actions()
    assert page.list.selected_ids() == [number]


def test_views_by_state_site_and_follow_up(page, data):
    assert sorted(shown(page)) == [data["mine"].id, data["other"].id]  # open by default
    assert page.list.counts.text() == "2 of 3 work orders"
    view = page.view
    view.setCurrentIndex(view.findData("mine"))
    assert shown(page) == [data["mine"].id]
    view.setCurrentIndex(view.findData("overdue"))
    assert shown(page) == [data["mine"].id]
    view.setCurrentIndex(view.findData("closed"))
    assert shown(page) == [data["done"].id]
    view.setCurrentIndex(0)  # all
    assert len(shown(page)) == 3
    page.site.setCurrentIndex(page.site.findData(data["d"]["other"].id))
    assert shown(page) == [data["other"].id]
    page.apply_filters({"search": "keyboard"})
    assert shown(page) == [data["mine"].id]
    row = page.list.model
    assert row.index(0, 5).data() == "O'Brien, Ann" and row.index(0, 7).data() == data["asset"].tag


def test_new_edit_note_close_through_buttons(page, data, monkeypatch):
    from ui.dialogs import work_orders as dialogs

    def new_exec(self):
        self.widgets["summary"].setText("Projector bulb out")
        self.widgets["category"].setCurrentIndex(self.widgets["category"].findData("repair"))
        self.requester.setText("S2000001")
        self.asset.setText(data["asset"].tag)
        self.widgets["follow_up"].setText("2030-01-05")
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.WorkOrderDialog, "exec", new_exec)
    button(page, "New").click()
    wo = WorkOrder.select().order_by(WorkOrder.id.desc()).get()
    assert (wo.summary, wo.requester_id, wo.asset_id, wo.assignee) == (
        "Projector bulb out", data["d"]["student"].id, data["asset"].id, "tester")
    assert wo.id in shown(page)

    select(page, wo.id)

    def edit_exec(self):
        assert self.widgets["summary"].text() == "Projector bulb out"
        self.widgets["priority"].setCurrentIndex(self.widgets["priority"].findData("urgent"))
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.WorkOrderDialog, "exec", edit_exec)
    button(page, "Edit").click()
    assert workorders.get(wo.id).priority == "urgent"

    def note_exec(self):
        self.widgets["note"].setPlainText("Ordered a bulb")
        self.widgets["minutes"].setValue(15)
        self.widgets["status"].setCurrentIndex(self.widgets["status"].findData("waiting_parts"))
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.NoteDialog, "exec", note_exec)
    select(page, wo.id)
    button(page, "Add note").click()
    got = workorders.details(wo.id)
    assert got["status_key"] == "waiting_parts" and got["minutes"] == 15

    def close_exec(self):
        self.submit()  # no resolution: refused beside the field
        assert self.result() != QDialog.Accepted and self.errors["resolution"].isVisibleTo(self)
        self.widgets["resolution"].setPlainText("Bulb replaced")
        self.widgets["minutes"].setValue(20)
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.CloseDialog, "exec", close_exec)
    select(page, wo.id)
    button(page, "Close").click()
    got = workorders.details(wo.id)
    assert got["status_key"] == "closed" and got["minutes"] == 35
    assert wo.id not in shown(page)  # the open view drops it


def test_edit_dialog_shows_thread_and_refuses_unknown_tag(qtbot, data, boxes):
    from ui.dialogs.work_orders import WorkOrderDialog
    workorders.add_note(data["mine"].id, "Popped the key cap", minutes=5)
    dlg = WorkOrderDialog(data["mine"].id)
    qtbot.addWidget(dlg)
    assert "Popped the key cap" in dlg.thread.toPlainText() and "5 min" in dlg.thread.toPlainText()
    dlg.asset.setText("QM-999999")
    dlg.submit()
    assert dlg.result() != QDialog.Accepted and dlg.errors["asset_id"].isVisibleTo(dlg)
    assert "No asset has the tag" in dlg.errors["asset_id"].text() and not boxes
    assert workorders.get(data["mine"].id).asset_id == data["asset"].id


def test_open_asset_and_asset_page_context_action(qtbot, page, data, monkeypatch):
    from ui.dialogs import work_orders as dialogs
    from ui.pages import workorders as mod
    opened = []
    monkeypatch.setattr(mod, "open_asset", lambda parent, asset_id: opened.append(asset_id))
    select(page, data["other"].id)
    assert not page.open_asset_action.isEnabled()  # a password reset has no asset
    select(page, data["mine"].id)
    button(page, "Open asset").click()
    assert opened == [data["asset"].id]

    from ui.pages.assets import Page as AssetsPage
    assets_page = AssetsPage()
    qtbot.addWidget(assets_page)
    assets_page.show()
    qtbot.waitUntil(assets_page.is_ready)
    seen = []

    def prefilled(self):
        # (Several assets now: the opener's asset is the first in the list.)
        seen.append((self.asset_ids()[0], self.widgets["assignee"].text()))
        return QDialog.Rejected
    monkeypatch.setattr(dialogs.WorkOrderDialog, "exec", prefilled)
    assets_page.list.select_id(data["asset"].id)
    act = next(a for a in assets_page.page_actions if a.text() == "New work order…")
    assets_page.update_actions()
    assert act.isEnabled()
    act.trigger()
    assert seen == [(data["asset"].id, "tester")]


def test_asset_editor_lists_its_work_orders(qtbot, data):
    from ui.dialogs.asset_editor import AssetEditor
    ed = AssetEditor(data["asset"].id)
    qtbot.addWidget(ed)
    t = ed.work_orders_table
    rows = [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())]
            for r in range(t.rowCount())]
    assert rows == [[f"#{data['mine'].id}", dt.date.today().isoformat(), "New", "Repair",
                     "Keyboard sticks", ""]]


def test_scanning_a_tag_opens_a_work_order_for_it(page, data, monkeypatch):
    from ui.dialogs import work_orders as dialogs
    seen = []
    monkeypatch.setattr(dialogs.WorkOrderDialog, "exec",
                        lambda self: seen.append(self.asset_ids()[0]) or QDialog.Rejected)
    assert page.handle_scan(data["asset"].tag.lower())
    assert seen == [data["asset"].id]
    assert not page.handle_scan("NOT-A-TAG")


def test_people_panel_lists_what_they_asked_for(qtbot, data):
    from ui.pages.people import PersonPanel
    panel = PersonPanel()
    qtbot.addWidget(panel)
    panel.show_person(data["d"]["staff"].id)
    t = panel.work_orders
    assert [t.item(r, 0).text() for r in range(t.rowCount())] == [f"#{data['mine'].id}"]
    assert t.item(0, 2).text() == "New" and t.item(0, 3).text() == "Keyboard sticks"
    panel.show_person(None)
    assert t.rowCount() == 0


def test_send_to_vendor_from_the_context_menu(page, data, monkeypatch):
    from app.services import catalog
    from ui.dialogs import work_orders as dialogs
    vendor = catalog.create_supplier("Vector Repair Depot")

    def send_exec(self):
        self.widgets["vendor_id"].setCurrentIndex(self.widgets["vendor_id"].findData(vendor.id))
        self.widgets["ticket"].setText("RMA5")
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.SendToRepairDialog, "exec", send_exec)
    select(page, data["other"].id)
    assert not page.repair_action.isEnabled()  # no asset
    select(page, data["mine"].id)
    assert page.repair_action.isEnabled()
    page.repair_action.trigger()
    got = workorders.details(data["mine"].id)
    assert got["status_key"] == "waiting_vendor" and got["repair_id"]


def test_dialog_takes_several_assets_by_scan_add_and_remove(qtbot, data, boxes):
    """Scans into the dialog add assets (a badge names the requester while
    none is named); Add takes a typed tag, Remove drops the selected; the
    work order saves with them in order, and Edit shows and changes them."""
    from PySide6.QtCore import Qt

    from ui.dialogs.work_orders import WorkOrderDialog
    d = data["d"]
    b, c = asset(d, name="Cart 3 charger"), asset(d, name="Cart 3 hub")
    dlg = WorkOrderDialog(None, asset_id=data["asset"].id)
    qtbot.addWidget(dlg)
    dlg.widgets["summary"].setText("Cart 3 to the library")
    assert dlg.handle_scan(b.tag.lower()) and dlg.handle_scan(data["asset"].tag)
    assert dlg.handle_scan("E100")  # Ann's badge: the requester
    assert dlg.requester.resolved == d["staff"].id
    assert not dlg.handle_scan("NOT-A-THING")
    dlg.asset.setText(c.tag)
    qtbot.mouseClick(dlg.findChild(type(dlg.buttons.buttons()[0]), "wo-add-asset"),
                     Qt.LeftButton)
    assert dlg.asset_ids() == [data["asset"].id, b.id, c.id] and dlg.asset.text() == ""
    dlg.asset_list_widget.item(1).setSelected(True)
    qtbot.mouseClick(dlg.findChild(type(dlg.buttons.buttons()[0]), "wo-remove-asset"),
                     Qt.LeftButton)
    dlg.submit()
    assert dlg.result() == QDialog.Accepted, dlg.banner.text()
    wo = dlg.result_value
    assert workorders.asset_ids(wo) == [data["asset"].id, c.id]
    assert wo.requester_id == d["staff"].id

    edit = WorkOrderDialog(wo.id)
    qtbot.addWidget(edit)
    assert edit.asset_ids() == [data["asset"].id, c.id]
    edit.handle_scan(b.tag)
    edit.submit()
    assert edit.result() == QDialog.Accepted
    assert workorders.asset_ids(workorders.get(wo.id)) == [data["asset"].id, c.id, b.id]
    assert not boxes


def test_asset_editor_lists_work_orders_it_is_one_of_several_on(qtbot, data):
    from ui.dialogs.asset_editor import AssetEditor
    d = data["d"]
    b = asset(d)
    wo = workorders.create({"asset_ids": [data["asset"].id, b.id], "requester_id": d["staff"].id,
                            "summary": "Reimage both"})
    ed = AssetEditor(b.id)
    qtbot.addWidget(ed)
    t = ed.work_orders_table
    assert [t.item(r, 0).text() for r in range(t.rowCount())] == [f"#{wo.id}"]
