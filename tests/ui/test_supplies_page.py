"""The Supplies page and its dialogs: low rows stand out, receive by scanning
the box, issue to a printer listing what fits it, count with a reason, move
bins, the item's history, scans on the page, and refusals shown."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.services import catalog, stock
from tests.app.factories import asset, district


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


@pytest.fixture
def data(sqlite_db):
    d = district()
    cat = catalog.create_category("Printers", "printer")
    m = catalog.create_model("LaserJet M404", manufacturer="HP", category_id=cat.id)
    toner = stock.create(name="HP 58A toner", part_number="CF258A", barcode="192545000001",
                         category="toner", reorder_point=2, target=6, bin="A1", fits=[m.id])
    drum = stock.create(name="HP 32A drum", part_number="CF232A", barcode="192545000002",
                        category="drum", reorder_point=0, target=2, fits=[m.id])
    paper = stock.create(name="Copy paper", category="paper", reorder_point=5, target=20)
    stock.receive(toner.id, 5, unit_cost="89.50", order_number="PO-1")
    stock.receive(drum.id, 1)
    stock.receive(paper.id, 3)
    printer = asset(d, model_id=m.id, name="Office printer")
    return dict(d=d, model=m, toner=toner, drum=drum, paper=paper, printer=printer)


@pytest.fixture
def page(open_page, data):
    from ui.pages.supplies import Page
    return open_page(Page)


def _row(page, name):
    return next(r for r in range(page.model.rowCount()) if page.model.index(r, 0).data() == name)


def test_list_low_rows_stand_out_and_filters(page, data):
    from ui import theme
    from ui.pages import supplies as mod
    assert page.model.rowCount() == 3 and page.counts.text() == "3 items, 1 low"
    paper, toner = _row(page, "Copy paper"), _row(page, "HP 58A toner")
    assert page.model.index(paper, 0).data(Qt.BackgroundRole) == theme.tint("error")
    assert page.model.index(paper, mod.COL_TO_ORDER).data() == "17"
    assert page.model.index(toner, 0).data(Qt.BackgroundRole) is None
    assert page.model.index(toner, mod.COL_FITS).data() == "LaserJet M404"
    assert [page.model.index(toner, c).data() for c in (mod.COL_ON_HAND, mod.COL_REORDER,
                                                        mod.COL_TARGET, mod.COL_BIN)] == ["5", "2", "6", "A1"]
    page.show_combo.setCurrentIndex(1)
    assert page.model.rowCount() == 1
    page.show_combo.setCurrentIndex(0)
    page.category.setCurrentIndex(page.category.findData("toner"))
    assert page.model.rowCount() == 1
    page.apply_filters({"search": "cf232"})
    assert [page.model.index(r, 0).data() for r in range(page.model.rowCount())] == ["HP 32A drum"]


def test_item_history_panel(page, data):
    stock.issue(data["toner"].id, 2, asset_id=data["printer"].id)
    page.refresh()
    page.open_record(data["toner"].id)
    m = page.moves_model
    kinds = [m.index(r, 1).data() for r in range(m.rowCount())]
    assert kinds[:2] == ["Issued", "Received"] and "Edited" in kinds
    assert m.index(0, 4).data() == data["printer"].tag and m.index(0, 2).data() == "-2"
    assert m.index(1, 4).data() == "PO-1" and m.index(1, 5).data() == "89.50"
    assert "3 on hand" in page.detail_title.text()


def test_receive_by_scanning_the_box(qtbot, data):
    from ui.dialogs.stock_moves import ReceiveDialog
    dlg = ReceiveDialog()
    qtbot.addWidget(dlg)
    assert dlg.handle_scan("192545000002")
    assert dlg.item.resolved == data["drum"].id and "HP 32A drum" in dlg.item.note.text()
    dlg.widgets["qty"].setValue(4)
    dlg.widgets["cost"].setText("120")
    dlg.widgets["po"].setText("PO-77")
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    assert stock.get(data["drum"].id).on_hand == 5
    assert stock.moves(data["drum"].id)[0]["order_number"] == "PO-77"


def test_unknown_barcode_is_refused_beside_the_field(qtbot, data, boxes):
    from ui.dialogs.stock_moves import ReceiveDialog
    dlg = ReceiveDialog()
    qtbot.addWidget(dlg)
    assert dlg.handle_scan("000000000") is False  # not a supply: the dialog leaves it
    dlg.item.setText("000000000")
    assert "No supply item has the barcode" in dlg.item.note.text()
    dlg.submit()
    assert dlg.result() != QDialog.Accepted and dlg.errors["item"].isVisibleTo(dlg)
    assert "No supply item" in dlg.errors["item"].text() and not boxes


def test_issue_to_a_printer_lists_what_fits_and_refuses_too_many(qtbot, data, boxes):
    from ui.dialogs.stock_moves import IssueDialog
    dlg = IssueDialog()
    qtbot.addWidget(dlg)
    assert dlg.handle_scan(data["printer"].tag)  # not a box: where it goes
    assert "Office printer" in dlg.to.note.text()
    fits = [dlg.fits.item(i).text() for i in range(dlg.fits.count())]
    assert len(fits) == 2 and fits[0].startswith("HP 32A drum") and "1 on hand" in fits[0]
    dlg._pick_fit(dlg.fits.item(1))
    assert dlg.item.resolved == data["toner"].id
    dlg.widgets["qty"].setValue(9)
    dlg.submit()
    assert dlg.result() != QDialog.Accepted
    # Said in the dialog itself (run_op: the form's own message spot), not in a box.
    said = [dlg.banner.text()] * dlg.banner.isVisibleTo(dlg) + [
        e.text() for e in dlg.errors.values() if e.isVisibleTo(dlg)]
    assert said == ["Only 5 of HP 58A toner on hand; cannot take 9."] and not boxes
    assert stock.get(data["toner"].id).on_hand == 5
    dlg.widgets["qty"].setValue(2)
    dlg.submit()
    assert dlg.result() == QDialog.Accepted and stock.get(data["toner"].id).on_hand == 3
    assert stock.moves(data["toner"].id)[0]["to_asset"] == data["printer"].id


def test_issue_to_a_person_or_room(qtbot, data):
    from ui.dialogs.stock_moves import IssueDialog
    dlg = IssueDialog(None, data["paper"].id)
    qtbot.addWidget(dlg)
    dlg.to.setText("nobody at all")
    dlg.submit()
    assert "No asset tag, person ID or room" in dlg.errors["to"].text()
    dlg.to.setText("Riverside High School / Library")
    assert not dlg.fits.isVisibleTo(dlg)
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    assert stock.moves(data["paper"].id)[0]["where"] == "Riverside High School / Library"


def test_count_needs_a_reason_when_it_differs(qtbot, data):
    from ui.dialogs.stock_moves import CountDialog
    dlg = CountDialog(None, data["toner"].id)
    qtbot.addWidget(dlg)
    assert dlg.widgets["qty"].value() == 5 and "no difference" in dlg.diff.text()
    dlg.widgets["qty"].setValue(3)
    assert dlg.diff.text() == "5 on record — adjustment of -2"
    dlg.submit()
    assert dlg.errors["reason"].isVisibleTo(dlg) and stock.get(data["toner"].id).on_hand == 5
    dlg.widgets["reason"].setText("two boxes crushed")
    dlg.submit()
    assert dlg.result() == QDialog.Accepted and stock.get(data["toner"].id).on_hand == 3
    m = stock.moves(data["toner"].id)[0]
    assert (m["kind"], m["qty"], m["reason"]) == ("count", -2, "two boxes crushed")


def test_transfer_bins(qtbot, data):
    from ui.dialogs.stock_moves import TransferDialog
    dlg = TransferDialog(None, data["toner"].id)
    qtbot.addWidget(dlg)
    dlg.widgets["bin"].setText("a1")
    dlg.submit()
    assert "already in bin A1" in dlg.errors["bin"].text()
    dlg.widgets["bin"].setText("Shelf B3")
    dlg.submit()
    assert dlg.result() == QDialog.Accepted and stock.get(data["toner"].id).bin == "Shelf B3"


def test_page_scans_open_issue_or_receive_and_printer_tags(page, data, monkeypatch):
    from ui.dialogs import stock_moves
    opened = []

    def fake_exec(self):
        opened.append((type(self).__name__, self.item.resolved,
                       getattr(self, "to", None) and self.to.resolved))
        return QDialog.Rejected
    monkeypatch.setattr(stock_moves.ReceiveDialog, "exec", fake_exec)
    monkeypatch.setattr(stock_moves.IssueDialog, "exec", fake_exec)
    assert page.handle_scan("192545000001")
    assert opened[-1] == ("IssueDialog", data["toner"].id, None)
    assert page.current_id() == data["toner"].id
    page.scan_mode.setCurrentIndex(page.scan_mode.findData("receive"))
    assert page.handle_scan("192545000002")
    assert opened[-1][:2] == ("ReceiveDialog", data["drum"].id)
    assert page.handle_scan(data["printer"].tag)
    # two items fit it: the dialog lists them and waits for a choice
    assert opened[-1] == ("IssueDialog", None, {"asset_id": data["printer"].id})
    chromebook = asset(data["d"])
    assert page.handle_scan(chromebook.tag) is False  # not a printer: default routing
    assert page.handle_scan("UNKNOWN-999") is False


def test_editor_creates_with_fits_and_refuses_duplicate_barcode(qtbot, data):
    from ui.dialogs.supply_editor import SupplyEditor
    dlg = SupplyEditor()
    qtbot.addWidget(dlg)
    dlg.widgets["name"].setText("HP 58X toner")
    dlg.widgets["barcode"].setText("192545000001")
    items = [dlg.fits.item(i) for i in range(dlg.fits.count())]
    assert [i.text() for i in items] == ["HP LaserJet M404"]
    items[0].setCheckState(Qt.Checked)
    dlg.submit()
    assert "already on another item" in dlg.errors["barcode"].text()
    dlg.widgets["barcode"].setText("192545000009")
    dlg.widgets["reorder_point"].setValue(1)
    dlg.submit()
    assert dlg.result() == QDialog.Accepted
    item = stock.require("192545000009")
    assert [r["name"] for r in stock.fitting(data["printer"].id)] == [
        "HP 32A drum", "HP 58A toner", "HP 58X toner"]
    edit = SupplyEditor(item.id)
    qtbot.addWidget(edit)
    edit.fits.item(0).setCheckState(Qt.Unchecked)
    edit.widgets["bin"].setText("C2")
    edit.submit()
    assert stock.get(item.id).bin == "C2"
    assert "HP 58X toner" not in [r["name"] for r in stock.fitting(data["printer"].id)]


def test_printer_asset_page_lists_what_it_takes(qtbot, data, monkeypatch):
    """A printer's editor has a Supplies tab: what fits, on hand, to order;
    other assets have none."""
    from ui.dialogs import stock_moves
    from ui.dialogs.asset_editor import AssetEditor
    dlg = AssetEditor(data["printer"].id)
    qtbot.addWidget(dlg)
    assert dlg.tabs.isTabVisible(dlg.supplies_index)
    t = dlg.supplies_table
    rows = {t.item(r, 0).text(): (t.item(r, 2).text(), t.item(r, 4).text()) for r in range(t.rowCount())}
    assert set(rows) == {data["toner"].name, data["drum"].name}
    assert rows[data["toner"].name][0] == str(stock.get(data["toner"].id).on_hand)
    issued = []
    monkeypatch.setattr(stock_moves, "open_printer_supplies", lambda parent, aid: issued.append(aid) or True)
    dlg._issue_supplies()
    assert issued == [data["printer"].id]
    other = AssetEditor(asset(data["d"]).id)
    qtbot.addWidget(other)
    assert not other.tabs.isTabVisible(other.supplies_index)
