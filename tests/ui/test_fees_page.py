"""The Fees page: owed / paid / waived and school filters from SQL; Charge…,
Pay… (a receipt number, the receipt PDF), Waive… (the reason required, said
beside the field) and Receipt… clicked through their buttons and dialogs,
landing in the database."""
from __future__ import annotations

from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QToolButton

from app.models import Fee, FeePayment, Person
from app.services import assets, fees, kits, prices
from tests.ui.conftest import shown_window, toolbar_button
from tests.app.factories import asset, district


@pytest.fixture(autouse=True)
def boxes(recorded_boxes):
    return recorded_boxes


@pytest.fixture
def data(sqlite_db):
    d = district()
    Person.update(site=d["site"].id).where(Person.id == d["student"].id).execute()
    kits.set_parts(d["model"].id, [("Charger", 1, "25.00")])
    prices.set_price("screen", "45")
    a = asset(d)
    assets.check_out(a.id, d["student"].id)
    owed = fees.charge(d["student"].id, "screen", asset_id=a.id)
    paid = fees.charge(d["student"].id, "charger", asset_id=a.id)
    fees.pay(paid.id, "25")
    waived = fees.charge(d["staff"].id, "keyboard", amount="35")
    fees.waive(waived.id, "Warranty repair")
    return dict(d=d, asset=a, owed=owed, paid=paid, waived=waived)


@pytest.fixture
def page(open_page, data):
    from ui.pages.fees import Page
    return open_page(Page)


def shown(page) -> list[int]:
    QApplication.processEvents()
    m = page.list.model
    return [int(m.index(r, 0).data()) for r in range(m.rowCount())]


button = toolbar_button


def select(page, fee_id) -> None:
    QApplication.processEvents()
    page.list.table.clearSelection()
    page.list.select_id(fee_id)
    page.update_actions()
    assert page.list.selected_ids() == [fee_id]


def test_filters_status_and_school(page, data):
    assert shown(page) == [data["owed"].id]  # owed by default
    page.state.setCurrentIndex(page.state.findData("paid"))
    assert shown(page) == [data["paid"].id]
    page.state.setCurrentIndex(0)
    assert sorted(shown(page)) == sorted(f.id for f in (data["owed"], data["paid"], data["waived"]))
    page.site.setCurrentIndex(page.site.findData(data["d"]["site"].id))
    assert sorted(shown(page)) == sorted([data["owed"].id, data["paid"].id])
    page.apply_filters({"search": "charger"})
    assert shown(page) == [data["paid"].id]
    m = page.list.model
    assert m.index(0, m.column_index("student")).data() == "Garcia, Luis"
    assert m.index(0, m.column_index("paid")).data() == "25.00"
    # Sorting by a computed column runs in SQL.
    page.apply_filters({"search": ""})
    page.list.table.sortByColumn(m.column_index("balance"), Qt.DescendingOrder)
    assert shown(page)[0] == data["owed"].id


def test_pay_partly_then_in_full_with_receipt(page, data, monkeypatch, tmp_path):
    from ui.dialogs import fees as dialogs
    select(page, data["owed"].id)
    assert button(page, "Pay…").isEnabled() and not button(page, "Receipt…").isEnabled()

    def pay_too_much(self):
        self.widgets["amount"].setText("99")
        self.submit()
        assert self.result() != QDialog.Accepted and self.errors["amount"].isVisibleTo(self)
        self.widgets["amount"].setText("20")
        self.widgets["method"].setCurrentIndex(self.widgets["method"].findData("check"))
        self.widgets["reference"].setText("1042")
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.PayDialog, "exec", pay_too_much)
    saved = tmp_path / "receipt.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), "PDF (*.pdf)"))
    button(page, "Pay…").click()
    payment = FeePayment.get(FeePayment.fee == data["owed"].id)
    assert (payment.amount, payment.method, payment.reference) == (Decimal("20.00"), "check", "1042")
    assert page.last_receipt == payment.receipt
    text = pdfium.PdfDocument(str(saved))[0].get_textpage().get_text_range()
    assert payment.receipt in text and "$25.00" in text  # what is left

    def pay_rest(self):
        assert self.widgets["amount"].text() == "25.00"  # the balance offered
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.PayDialog, "exec", pay_rest)
    select(page, data["owed"].id)
    button(page, "Pay…").click()
    assert fees.get(data["owed"].id).status == "paid"
    assert data["owed"].id not in shown(page)  # the owed view no longer lists it

    page.state.setCurrentIndex(page.state.findData("paid"))
    select(page, data["owed"].id)
    assert button(page, "Receipt…").isEnabled() and not button(page, "Pay…").isEnabled()
    again = tmp_path / "again.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(again), "PDF (*.pdf)"))
    from PySide6.QtWidgets import QInputDialog
    last = fees.last_receipt(data["owed"].id)
    monkeypatch.setattr(QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True))
    button(page, "Receipt…").click()
    assert last in pdfium.PdfDocument(str(again))[0].get_textpage().get_text_range()


def test_waive_needs_a_reason(page, data, monkeypatch):
    from ui.dialogs import fees as dialogs

    def waive(self):
        self.submit()
        assert self.result() != QDialog.Accepted and self.errors["reason"].isVisibleTo(self)
        self.widgets["reason"].setPlainText("Family hardship")
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.WaiveDialog, "exec", waive)
    select(page, data["owed"].id)
    button(page, "Waive…").click()
    fee = fees.get(data["owed"].id)
    assert (fee.status, fee.waived_reason) == ("waived", "Family hardship")


def test_charge_by_tag_with_the_price_list(page, data, monkeypatch):
    from ui.dialogs import fees as dialogs

    def charge(self):
        self.widgets["who"].setText(data["asset"].tag)
        box = self.widgets["part"]
        box.setCurrentIndex(box.findData("screen"))
        assert self.price.text() == "45.00"
        self.submit()
        return self.result()
    monkeypatch.setattr(dialogs.ChargeDialog, "exec", charge)
    before = Fee.select().count()
    button(page, "Charge…").click()
    fee = Fee.select().order_by(Fee.id.desc()).get()
    assert Fee.select().count() == before + 1
    assert (fee.person_id, fee.asset_id, fee.part, fee.amount) == (
        data["d"]["student"].id, data["asset"].id, "screen", Decimal("45.00"))
    assert fee.id in shown(page)

    def nobody(self):
        self.widgets["who"].setText("NOBODY")
        self.submit()
        assert self.result() != QDialog.Accepted and self.banner.isVisibleTo(self)
        return self.result()
    monkeypatch.setattr(dialogs.ChargeDialog, "exec", nobody)
    button(page, "Charge…").click()
    assert Fee.select().count() == before + 1


def test_check_in_dialog_shows_the_fee_before_charging_it(qtbot, data, monkeypatch):
    """One device back: damage ticked, the charger not returned; the dialog
    shows what it costs before Check in, and Check in records the return and
    its fees in one go."""
    from app.services import settings
    from ui.dialogs.asset_actions import CheckInDialog
    settings.update({"fees_forgive_first": True})  # the student already has fees this year
    prices.set_price("hinge", "25")
    tag = data["asset"].tag
    dlg = CheckInDialog([tag])
    qtbot.addWidget(dlg)
    dlg.show()
    ret = dlg.device_return
    assert ret.isVisibleTo(dlg) and set(ret.part_boxes) == {"Charger"}
    assert ret.proposal.text() == "None."
    ret.damage_boxes["hinge"].setChecked(True)
    assert dlg.condition.currentText() == "damaged"
    ret.part_boxes["Charger"].setChecked(False)
    text = ret.proposal.text()
    assert "Hinge damage: <b>25.00</b>" in text and "Missing charger: <b>25.00</b>" in text
    assert "Owed: 50.00" in text
    dlg.commit()
    assert assets.get_by_tag(tag).status == "ready"
    made = {f.part: f for f in dlg.result_fees}
    assert (made["hinge"].amount, made["Charger"].amount) == (Decimal("25.00"), Decimal("25.00"))
    back = kits.loan_parts(made["hinge"].loan_id)
    assert [(p.name, p.state) for p in back] == [("Charger", "missing")]
    # Several tags: no per-device return box; a device not on loan neither.
    many = CheckInDialog([tag, "QM-000999"])
    qtbot.addWidget(many)
    assert not many.device_return.isVisibleTo(many)
    single = CheckInDialog([tag])
    qtbot.addWidget(single)
    assert not single.device_return.isVisibleTo(single)  # checked in already


def test_check_in_without_charging_records_damage_only(qtbot, data):
    from ui.dialogs.asset_actions import CheckInDialog
    dlg = CheckInDialog([data["asset"].tag])
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.device_return.damage_boxes["screen"].setChecked(True)
    assert "45.00" in dlg.device_return.proposal.text()
    dlg.device_return.charge.setChecked(False)
    before = Fee.select().count()
    dlg.commit()
    assert Fee.select().count() == before and dlg.result_fees == []
    from app.models import Loan
    assert Loan.select().where(Loan.asset == data["asset"].id).get().damage == ["screen"]


def test_fee_settings_rules_price_list_and_kits(qtbot, data):
    """Settings → Fees, prices and kits: every change lands through the services."""
    from app.services import settings
    from ui.dialogs.fee_settings import FeeSettingsDialog
    dlg = FeeSettingsDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.forgive.setChecked(True)
    dlg.scope.setCurrentIndex(dlg.scope.findData("ever"))
    dlg.insurance.setCurrentIndex(dlg.insurance.findData("full"))
    dlg.deductible.setValue(40)
    dlg.save_rules()
    r = fees.rules()
    assert (r["forgive_first"], r["forgive_scope"], r["insurance"], r["deductible"]) == (
        True, "ever", "full", Decimal("40.00"))
    assert settings.get("fees_insurance_deductible") == "40.00"
    # The price list: set for every model, then for one model; refusals said in the dialog.
    dlg.price_part.setCurrentIndex(dlg.price_part.findData("hinge"))
    dlg.price_amount.setText("")
    dlg.set_price()
    assert "Give the amount" in dlg.message.text()
    dlg.price_amount.setText("-3")
    dlg.set_price()
    assert "negative" in dlg.message.text()
    dlg.price_amount.setText("25")
    dlg.set_price()
    model = data["d"]["model"]
    dlg.price_model.setCurrentIndex(dlg.price_model.findData(model.id))
    dlg.price_amount.setText("29.50")
    dlg.set_price()
    assert prices.price_for("hinge", model.id) == Decimal("29.50")
    assert prices.price_for("hinge", None) == Decimal("25.00")
    row = next(i for i, r in enumerate(dlg.price_rows) if r["part"] == "hinge" and r["model_id"])
    dlg.price_table.selectRow(row)
    assert dlg.remove_price_btn.isEnabled() and dlg.price_amount.text() == "29.50"
    dlg.remove_price()
    assert prices.price_for("hinge", model.id) == Decimal("25.00")
    # The kit: shown for the model, edited, saved with the replacement cost.
    dlg.kit_model.setCurrentIndex(dlg.kit_model.findData(model.id))
    assert dlg.kit_rows() == [("Charger", "1", "25.00")]
    dlg.add_part_row("Case", 1, Decimal("20"))
    dlg.replacement.setText("310")
    dlg.save_kit()
    assert [(p.name, p.cost) for p in kits.parts_of(model.id)] == [
        ("Charger", Decimal("25.00")), ("Case", Decimal("20.00"))]
    assert kits.get_model(model.id).replacement_cost == Decimal("310.00")
    dlg.add_part_row("charger", 1, None)  # a second charger: refused, nothing saved
    dlg.replacement.setText("999")
    dlg.save_kit()
    assert "twice" in dlg.message.text()
    assert kits.get_model(model.id).replacement_cost == Decimal("310.00")


def test_people_fees_action_opens_the_fees_page_searched_for_them(qtbot, data, monkeypatch):
    """People → More → Fees… shows that student's fees, the search box saying so."""
    from app.services import people
    window = shown_window(qtbot, start_page="people")
    student = people.create(kind="student", first_name="Rosa", last_name="Vega",
                            id_number="S7770001")
    window.show_page("people")
    page = window.pages["people"]
    qtbot.waitUntil(lambda: page.list.model.rowCount() > 0)
    monkeypatch.setattr(page.list, "current_id", lambda: student.id)
    monkeypatch.setattr(page.list, "selected_ids", lambda: [student.id])
    page.update_actions()
    act = next(a for a in page.page_actions if a.text() == "Fees…")
    assert act.isEnabled()
    act.trigger()
    assert window.current_key() == "fees"
    assert window.pages["fees"].list.search.text() == "S7770001"
