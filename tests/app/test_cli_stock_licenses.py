"""`quartermaster stock …` and `quartermaster licenses …` on both backends:
the output, the database afterwards, and refusals as `error: …` exit 1."""
from __future__ import annotations

import csv
import io

import pytest

from app.cli import main
from app.services import catalog, licenses, stock
from tests.app.factories import asset, district


def _setup():
    d = district()
    cat = catalog.create_category("Printers", "printer")
    m = catalog.create_model("LaserJet M404", manufacturer="HP", category_id=cat.id)
    toner = stock.create(name="HP 58A toner", part_number="CF258A", barcode="192545000001",
                         category="toner", reorder_point=2, target=6, bin="A1", fits=[m.id])
    stock.create(name="Copy paper", category="paper", reorder_point=5, target=20)
    printer = asset(d, model_id=m.id, name="Office printer")
    return d, toner, printer


def test_stock_receive_issue_count_list(cli):
    d, toner, printer = _setup()
    code, out, _ = cli("stock", "receive", "192545000001", "5", "--cost", "89.50", "--po", "PO-9")
    assert code == 0 and out.strip() == "received 5 × HP 58A toner (PO PO-9); on hand now 5"
    code, out, _ = cli("stock", "issue", "cf258a", "1", "--to", printer.tag.lower())
    assert code == 0 and out.strip() == f"issued 1 × HP 58A toner to {printer.tag}; on hand now 4"
    code, out, _ = cli("stock", "issue", "CF258A", "1", "--to", "E100")
    assert code == 0 and "to Ann O'Brien" in out
    code, out, _ = cli("stock", "issue", "CF258A", "1", "--to", "Riverside High School / Room 12")
    assert code == 0 and "to Riverside High School / Room 12; on hand now 2" in out
    code, out, _ = cli("stock", "count", "CF258A", "1", "--reason", "one crushed")
    assert code == 0 and out.strip() == "counted 1 × HP 58A toner (-1); on hand now 1"
    assert stock.get(toner.id).on_hand == 1
    assert stock.moves(toner.id)[0]["reason"] == "one crushed"

    code, out, _ = cli("stock", "list", "--low", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["Item"], r["On hand"], r["To order"], r["Fits"]) for r in rows] == [
        ("Copy paper", "0", "20", ""), ("HP 58A toner", "1", "5", "LaserJet M404")]
    code, out, _ = cli("stock", "list")
    assert code == 0 and "HP 58A toner" in out and "CF258A" in out
    code, out, _ = cli("stock", "fits", printer.tag)
    assert code == 0 and "LaserJet M404" in out and "HP 58A toner" in out
    code, out, _ = cli("stock", "history", "CF258A")
    assert code == 0 and out.splitlines()[0] == "HP 58A toner: 1 on hand" and "PO-9" in out
    code, out, _ = cli("stock", "transfer", "CF258A", "B7")
    assert code == 0 and out.strip() == "moved HP 58A toner from bin A1 to B7"


def test_stock_refusals(cli):
    d, toner, printer = _setup()
    cli("stock", "receive", "CF258A", "2")
    code, out, err = cli("stock", "issue", "CF258A", "3", "--to", "E100")
    assert (code, out) == (1, "")
    assert err.strip() == "error: Only 2 of HP 58A toner on hand; cannot take 3."
    assert stock.get(toner.id).on_hand == 2
    code, _, err = cli("stock", "receive", "0000000", "1")
    assert code == 1 and err.startswith("error: No supply item has the barcode")
    code, _, err = cli("stock", "issue", "CF258A", "1", "--to", "nobody-here")
    assert code == 1 and "No asset tag, person ID or room" in err
    code, _, err = cli("stock", "receive", "CF258A", "-4")
    assert code == 1 and err.startswith("error: ")
    assert stock.get(toner.id).on_hand == 2


def test_licenses_list_assign_release_move(cli):
    d = district()
    a, b = asset(d), asset(d)
    lic = licenses.create(product="Adobe CC", version="2025", vendor="Adobe", seats=1,
                          product_key="AAAAA-BBBBB-CCCCC")
    licenses.create(product="SketchUp", seats=1, allow_over=True)
    code, out, _ = cli("licenses", "assign", "adobe cc", "--to", a.tag)
    assert code == 0 and out.strip() == f"assigned a seat of Adobe CC 2025 to {a.tag}; 1 of 1 seats in use, 0 free"
    code, _, err = cli("licenses", "assign", "Adobe CC", "--to", b.tag)
    assert code == 1 and "all are in use" in err
    code, out, _ = cli("licenses", "move", "Adobe CC 2025", "--from", a.tag, "--to", "E100")
    assert code == 0 and licenses.for_person(d["staff"].id)[0]["product"] == "Adobe CC"
    cli("licenses", "assign", "SketchUp", "--to", a.tag)
    cli("licenses", "assign", "SketchUp", "--to", "s2000001")
    code, out, _ = cli("licenses", "--over", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["Product"], r["Used"], r["Free"], r["Problems"]) for r in rows] == [
        ("SketchUp", "2", "-1", "over-allocated by 1")]
    assert "Product key" not in out and "AAAAA" not in out
    code, out, _ = cli("licenses")
    assert code == 0 and "Adobe CC" in out and "SketchUp" in out and "AAAAA" not in out
    code, out, _ = cli("licenses", "release", str(lic.id), "--from", "E100")
    assert code == 0 and "0 of 1 seats in use, 1 free" in out
    code, _, err = cli("licenses", "release", "Adobe CC", "--from", "E100")
    assert code == 1 and "has no seat" in err
    code, _, err = cli("licenses", "assign", "Photoshop", "--to", a.tag)
    assert code == 1 and "No single license is named 'Photoshop'" in err
