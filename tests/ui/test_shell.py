"""The main window and its pages over a small register: load, sort, search,
filter, edit with validation errors, stale-edit conflict, check-out/check-in,
dashboard links, scan routing and screenshot mode."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app import listing
from app.services import assets
from tests.app.factories import asset, district
from tests.ui.conftest import shown_window


@pytest.fixture(autouse=True)
def isolated_settings(failing_boxes, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)


@pytest.fixture
def reg(sqlite_db):
    d = district()
    made = [asset(d, tag=f"QM-{n:06d}", name=f"Chromebook {n}", serial=f"SN{n:05d}") for n in range(1, 31)]
    return d, made


@pytest.fixture
def window(qtbot, reg):
    w = shown_window(qtbot, start_page="assets")
    return w


def test_table_model_data_makes_no_query(qtbot, reg, monkeypatch):
    from ui.models.table import ListTableModel
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    model = ListTableModel("assets")
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 30)  # counted on the worker thread
    assert model.columnCount() == len(listing.columns("assets"))
    calls = []
    real = listing.fetch_rows
    monkeypatch.setattr(listing, "fetch_rows", lambda *a: calls.append(a) or real(*a))
    assert model.index(0, 0).data() == "QM-000001"
    assert model.index(25, 0).data() == "…"  # not cached: painted empty, page queued
    assert calls == []  # data() itself never queries
    qtbot.waitUntil(lambda: model.index(25, 0).data() == "QM-000026")
    assert len(calls) == 1  # one query fetched the whole page


def test_sort_search_and_filters(qtbot, window, reg):
    d, made = reg
    page = window.pages["assets"]
    model = page.list.model
    assert model.rowCount() == 30 and page.list.counts.text() == "30 assets"
    before = model.queries
    window.pages["assets"].list.table.sortByColumn(model.column_index("tag"), Qt.DescendingOrder)
    assert model.index(0, 0).data() == "QM-000030"
    # First ids, first rows: once, though Qt asks twice; no count on the GUI
    # thread (a first page shorter than a page is the whole list).
    assert model.queries - before == 2
    qtbot.keyClicks(page.list.search, "sn0002")
    qtbot.waitUntil(lambda: model.rowCount() == 10)  # SN00020–SN00029
    qtbot.waitUntil(lambda: page.list.counts.text() == "10 of 30 assets")
    page.list.search.clear()
    assets.retire(made[0].id)
    page.apply_filters({"status": "retired"})
    assert model.ids == [made[0].id]
    page.apply_filters({"status": "active", "site_id": d["site"].id})
    assert model.rowCount() == 29


def test_editor_shows_errors_beside_fields(qtbot, window, reg):
    from ui.dialogs.asset_editor import AssetEditor
    d, made = reg
    dlg = AssetEditor(made[0].id, window)
    qtbot.addWidget(dlg)
    dlg.widgets["cost"].setText("-5")
    dlg.widgets["purchase_date"].setText("31/31/2024")
    dlg.widgets["tag"].setText("QM-000002")
    dlg.save()
    for field in ("cost", "purchase_date", "tag"):
        assert dlg.errors[field].isVisibleTo(dlg), field
    assert "already on another asset" in dlg.errors["tag"].text()
    assert assets.get(made[0].id).cost == made[0].cost  # nothing saved
    dlg.widgets["tag"].setText("QM-000001")
    dlg.widgets["cost"].setText("$1,234.50")
    dlg.widgets["purchase_date"].setText("1/23/2024")
    dlg.save()
    a = assets.get(made[0].id)
    assert str(a.cost) == "1234.50" and a.purchase_date == dt.date(2024, 1, 23)
    from PySide6.QtWidgets import QDialog
    assert dlg.result() == QDialog.DialogCode.Accepted


def test_stale_edit_shows_both_versions(qtbot, window, reg, monkeypatch):
    from ui.dialogs import asset_editor
    d, made = reg
    dlg = asset_editor.AssetEditor(made[1].id, window)
    qtbot.addWidget(dlg)
    assets.update(made[1].id, {"name": "Renamed elsewhere"})  # another workstation
    shown = {}

    def fake_exec(self):
        from PySide6.QtWidgets import QTableWidget
        table = self.findChild(QTableWidget)
        shown["rows"] = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
        return asset_editor.StaleDialog.MINE
    monkeypatch.setattr(asset_editor.StaleDialog, "exec", fake_exec)
    dlg.widgets["name"].setText("My name")
    dlg.save()
    assert ["Name", "Renamed elsewhere", "My name"] in shown["rows"]
    assert assets.get(made[1].id).name == "My name"


def test_check_out_and_check_in(qtbot, window, reg, monkeypatch):
    from ui.dialogs.asset_actions import CheckInDialog, CheckOutDialog
    d, made = reg
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    dlg = CheckOutDialog([made[2].id], window)
    qtbot.addWidget(dlg)
    dlg.handle_scan("qm-000004")  # a scan adds to the batch
    dlg.person.edit.setText("E100")
    dlg.person.refresh()
    assert dlg.person.person_id == d["staff"].id
    dlg.commit()
    for a in (made[2], made[3]):
        assert assets.details(a.id)["holder"]["name"] == "Ann O'Brien"
    back = CheckInDialog([], window)
    qtbot.addWidget(back)
    back.handle_scan("QM-000003")
    back.tags.appendPlainText("QM-000004, QM-999999")
    back.commit()
    assert sorted(back.result_batch.done) == ["QM-000003", "QM-000004"]
    assert back.result_batch.problems[0][0] == "QM-999999"
    assert "QM-999999" in warned[0]  # the summary names what was not done
    assert assets.details(made[2].id)["holder"] is None


def test_check_out_records_a_family_that_refused_to_sign(qtbot, window, reg, monkeypatch):
    """Districts record a refusal or a waiver as well as a signature."""
    from app.models import Loan
    from ui.dialogs.asset_actions import CheckOutDialog
    d, made = reg
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    dlg = CheckOutDialog([made[2].id], window)
    qtbot.addWidget(dlg)
    dlg.person.edit.setText("E100")
    dlg.person.refresh()
    dlg.signed.setChecked(True)
    assert not dlg.unsigned.isEnabled()  # a signature is not also a refusal
    dlg.signed.setChecked(False)
    dlg.unsigned.setCurrentIndex(dlg.unsigned.findData("refused"))
    dlg.commit()
    loan = Loan.get(Loan.asset == made[2].id)
    assert loan.agreement_status == "refused" and not loan.agreement_signed


def test_dashboard_tile_opens_filtered_list(qtbot, window, reg):
    d, made = reg
    assets.retire(made[5].id)
    window.show_page("dashboard")
    dash = window.pages["dashboard"]
    qtbot.waitUntil(dash.is_ready)
    assert dash.tiles["total"].number.text() == "30"
    dash.tiles["missing"].click()
    assert window.current_key() == "assets"
    assert window.pages["assets"].list.model.filters == {"status": "missing"}
    dash.category_bars.grid.itemAtPosition(0, 0).widget().click()
    assert window.pages["assets"].list.model.filters == {"category_id": d["cat"].id}


def test_scan_routing(qtbot, window, reg, monkeypatch):
    from ui.bus import bus
    from ui.dialogs import asset_editor
    d, made = reg
    opened = []
    monkeypatch.setattr(asset_editor, "open_asset", lambda parent, aid, **k: opened.append((aid, k)))
    bus.scanned.emit("  qm-000007 ")
    bus.scanned.emit("SN00008")  # a serial opens its asset too
    assert [a for a, _ in opened] == [made[6].id, made[7].id]
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    bus.scanned.emit("QM-123456")
    assert "Create an asset with tag QM-123456" in asked[0]
    assert opened[-1] == (None, {"tag": "QM-123456"})
    window.navigate("locations", {})
    bus.scanned.emit(f"LOC-{d['r3'].id:05d}")
    assert window.current_key() == "assets"
    assert window.pages["assets"].list.model.filters.get("location_id") == d["r3"].id


def test_welcome_on_empty_database(qtbot, sqlite_db):
    from ui.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.stack.currentWidget() is w.welcome
    w.welcome.load_demo()
    qtbot.waitUntil(lambda: w.stack.currentWidget() is not w.welcome, timeout=60_000)
    assert listing.count_all("assets") == 2000


def test_layout_is_remembered(qtbot, reg):
    from ui.main_window import MainWindow
    w = MainWindow(start_page="assets")
    qtbot.addWidget(w)
    w.resize(701, 555)
    w.pages["assets"].list.table.setColumnHidden(1, True)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.size().width() == 701
    assert again.current_key() == "assets"
    assert again.pages["assets"].list.table.isColumnHidden(1)


def test_screenshot_mode(tmp_path, reg, sqlite_db):
    from app.store.db import close_database, current_target
    target = current_target()
    close_database()
    out = tmp_path / "assets.png"
    r = subprocess.run([sys.executable, "-m", "app", "--db", str(target), "gui", "--page", "assets",
                        "--screenshot", str(out), "--size", "1024x700"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from PIL import Image
    assert Image.open(out).size == (1024, 700)


def test_first_page_paints_before_the_full_id_list(qtbot, reg, monkeypatch):
    from ui.models.table import ListTableModel
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    model = ListTableModel("assets")
    model.reload()
    assert len(model.ids) == 10 and not model.complete
    assert model.index(9, 0).data() == "QM-000010"
    qtbot.waitUntil(lambda: model.complete)  # the worker thread delivered the rest
    assert len(model.ids) == 30 and model.id_at(29) == reg[1][29].id


def test_supply_box_scanned_anywhere_opens_issue(qtbot, window, monkeypatch):
    """A supply barcode scanned on another page goes to Supplies and opens
    Issue for that item (stock is moving), not just the item."""
    from app.services import stock
    from ui.bus import bus
    from ui.pages import supplies
    item = stock.create(name="HP 58A Black Toner", part_number="CF258A",
                        barcode="779167641974", reorder_point=2, target=6)
    seen = []
    monkeypatch.setattr(supplies, "IssueDialog",
                        lambda parent, sid, to=None: type("D", (), {"exec": lambda self: seen.append(sid) or 0})())
    window.navigate("people", {})
    bus.scanned.emit("779167641974")
    assert window.current_key() == "supplies"
    assert seen == [item.id]


def test_the_window_fits_its_screen_and_names_the_app_once(qtbot, window):
    from PySide6.QtGui import QGuiApplication
    avail = QGuiApplication.primaryScreen().availableGeometry()  # offscreen: 800×800
    least = window.minimumSizeHint()  # narrower than this the window cannot be
    frame = window.frameGeometry()
    assert frame.width() <= max(avail.width(), least.width() + 10)  # not the default 1360
    assert frame.height() <= avail.height() + 10  # not the default 860
    assert "Quartermaster" not in window.windowTitle()  # the platform appends the app's name
    window.move(5000, 5000)  # left on a monitor since unplugged
    window._fit_screen()
    frame = window.frameGeometry()
    assert avail.left() <= frame.left() < avail.right() and avail.top() <= frame.top() < avail.bottom()


def test_gui_size_is_read_or_refused(capsys):
    from ui.app import _size
    assert _size(None) is None and _size("1024x700") == (1024, 700)
    assert _size("10") is False and "--size takes WIDTHxHEIGHT" in capsys.readouterr().err
