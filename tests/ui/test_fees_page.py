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
def page(qtbot, data):
    from ui.pages.fees import Page
    p = Page()
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    qtbot.waitUntil(p.is_ready)
    return p


def shown(page) -> list[int]:
    QApplication.processEvents()
    m = page.list.model
    return [int(m.index(r, 0).data()) for r in range(m.rowCount())]


def button(page, text) -> QToolButton:
    return next(b for b in page.findChildren(QToolButton)
                if b.defaultAction() and b.defaultAction().text() == text)


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
