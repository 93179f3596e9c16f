"""The loaner swap from the desktop: the People page opens the dialog, a scan
routed by the main window fills the loaner, Swap makes the swap (read back
from the database), the person's panel shows it, and ending it reverses it.
A refusal is shown and leaves the dialog open with nothing written."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox

from app.models import Asset, Loan, LoanerSwap
from app.services import assets, loaners
from tests.app.factories import asset, district
from tests.ui.conftest import shown_window


@pytest.fixture
def program(sqlite_db):
    d = district()
    d["device"] = asset(d, name="Luis's Chromebook")
    d["pool"] = [asset(d, name=f"Loaner {i}") for i in range(2)]
    loaners.set_loaner([a.id for a in d["pool"]])
    assets.check_out(d["device"].id, person_id=d["student"].id)
    return d


def _in_modal(qtbot, steps):
    """Run ``steps(dialog)`` once the modal dialog is up; reject it if they fail."""
    ran = []

    def go():
        dlg = QApplication.activeModalWidget()
        try:
            steps(dlg)
            ran.append("ok")
        finally:
            if dlg is not None and dlg.isVisible() and ran != ["ok"]:
                dlg.reject()
    QTimer.singleShot(0, go)
    return ran


def test_swap_from_the_people_page_with_a_scanned_loaner(qtbot, program, recorded_boxes):
    from ui.dialogs.loaner_swap import SwapDialog
    d = program
    w = shown_window(qtbot, start_page="people")
    page = w.current_page()
    page.list.select_id(d["student"].id)

    def steps(dlg):
        assert isinstance(dlg, SwapDialog)
        assert dlg.device.currentData() == d["device"].id  # what the student holds
        assert "Luis Garcia" in dlg.holder.text()
        assert d["pool"][0].tag in dlg.loaner.placeholderText()  # the first free one
        w.route_scan(d["pool"][1].tag)  # a scan while the dialog is open: the loaner
        assert dlg.loaner.text() == d["pool"][1].tag
        qtbot.keyClicks(dlg.problem, "cracked screen")
        dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
        assert not dlg.isVisible()
    ran = _in_modal(qtbot, steps)
    page.swap_for_loaner()
    assert ran == ["ok"] and recorded_boxes == []
    sw = LoanerSwap.get()
    assert (sw.device_id, sw.loaner_id, sw.person_id) == (d["device"].id, d["pool"][1].id,
                                                          d["student"].id)
    assert Asset.get_by_id(d["device"].id).status == "in_repair"
    assert sw.repair.problem == "cracked screen"
    panel = page.panel
    assert not panel.swaps.isHidden() and panel.swaps.rowCount() == 1
    assert panel.swaps.item(0, 3).text() == d["pool"][1].tag

    page.end_swap()  # "Return from repair / end swap", confirmed (question → Yes)
    assert LoanerSwap.get_by_id(sw.id).status == "reversed"
    assert Loan.get((Loan.asset == d["device"].id) & Loan.returned_at.is_null()).person_id == \
        d["student"].id
    assert panel.swaps.isHidden()
    w.close()


def test_a_refused_swap_is_shown_and_changes_nothing(qtbot, program, recorded_boxes):
    from ui.dialogs.loaner_swap import SwapDialog
    d = program
    spare = asset(d)  # in nobody's hands
    dlg = SwapDialog(spare.id)
    qtbot.addWidget(dlg)
    assert "Not checked out to a student" in dlg.holder.text()
    dlg.problem.setPlainText("screen")
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
    assert recorded_boxes and "not checked out to a student" in recorded_boxes[-1]
    assert LoanerSwap.select().count() == 0 and dlg.result() == 0
    # A tag that is no loaner, typed in: said beside the field, refused on Swap.
    dlg2 = SwapDialog(d["device"].id)
    qtbot.addWidget(dlg2)
    dlg2.loaner.setText(spare.tag)
    assert "not in the loaner pool" in dlg2.loaner_note.text()
    dlg2.problem.setPlainText("screen")
    dlg2.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
    assert "not in the loaner pool" in recorded_boxes[-1]
    assert LoanerSwap.select().count() == 0
    assert Asset.get_by_id(d["device"].id).status == "deployed"


def test_assets_page_marks_loaners_and_filters_them(qtbot, program, recorded_boxes):
    d = program
    w = shown_window(qtbot, start_page="assets")
    page = w.current_page()
    page.list.select_id(d["device"].id)
    page.unmark_loaners()  # not a loaner: nothing to do, no error
    extra = asset(d)
    page.list.apply()
    page.list.select_id(extra.id)
    page.mark_loaners()
    assert Asset.get_by_id(extra.id).loaner
    page.apply_filters({"loaner": "free"})
    ids = set(page.list.model.all_ids())
    assert ids == {a.id for a in d["pool"]} | {extra.id}
    status = page.findChild(QComboBox, "filter-status")
    assert status.currentText() == "Loaners free"
    # Chosen in the status list: the pool, then its loaners out, then any status again.
    loaners.swap(d["device"].id, problem="screen")
    page.list.apply()
    status.setCurrentIndex(status.findData("loaner:out"))
    assert set(page.list.model.all_ids()) == {d["pool"][0].id}
    status.setCurrentIndex(status.findData("loaner:all"))
    assert set(page.list.model.all_ids()) == {a.id for a in d["pool"]} | {extra.id}
    status.setCurrentIndex(0)
    assert len(page.list.model.all_ids()) == Asset.select().count()
    w.close()


def test_the_asset_editor_offers_the_swap_and_its_end(qtbot, program, recorded_boxes):
    from ui.dialogs.asset_editor import AssetEditor
    from ui.dialogs.loaner_swap import SwapDialog
    d = program
    ed = AssetEditor(d["device"].id)
    qtbot.addWidget(ed)
    assert ed.swap_button.isVisibleTo(ed) and not ed.end_swap_button.isVisibleTo(ed)
    assert not ed.widgets["loaner"].isChecked()

    def steps(dlg):
        assert isinstance(dlg, SwapDialog)
        dlg.problem.setPlainText("hinge")
        dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
    ran = _in_modal(qtbot, steps)
    ed.swap_button.click()
    assert ran == ["ok"], recorded_boxes
    sw = LoanerSwap.get()
    assert "loaner swap" in ed.banner.text() and d["pool"][0].tag in ed.banner.text()
    assert ed.end_swap_button.isVisibleTo(ed) and not ed.swap_button.isVisibleTo(ed)
    ed.end_swap_button.click()  # confirmed (question → Yes)
    assert LoanerSwap.get_by_id(sw.id).status == "reversed"
    assert ed.swap_button.isVisibleTo(ed)
    # The loaner's own editor: its check box is ticked, and saving it off takes it out of the pool.
    ed2 = AssetEditor(d["pool"][0].id)
    qtbot.addWidget(ed2)
    assert ed2.widgets["loaner"].isChecked()
    ed2.widgets["loaner"].setChecked(False)
    ed2.save()
    assert not Asset.get_by_id(d["pool"][0].id).loaner
