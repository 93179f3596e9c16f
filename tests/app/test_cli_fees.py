"""`quartermaster fees` and `kit`: charge, list (--owed, --site, --csv), pay with a
printed receipt number and a receipt PDF, waive, the price list, kits, and
one-line errors — on both engines; `report fees-outstanding` from the registry."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pypdfium2 as pdfium
import pytest

from app.cli import main
from app.models import Fee, FeePayment, Person
from app.services import assets, fees, history, kits, people
from app.store.db import close_database, open_database
from tests.app.factories import asset, district


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path):
    """A database (file or server URL) with a small district, closed again so
    the command opens it as a person would."""
    if request.param == "sqlite":
        url = str(tmp_path / "d.sqlite")
    else:
        url = request.getfixturevalue("pg_url")
    open_database(url)
    d = district()
    Person.update(site=d["site"].id).where(Person.id == d["student"].id).execute()
    other = people.create(first_name="Ana", last_name="Ruiz", id_number="S2000002",
                          kind="student", site_id=d["other"].id)
    a = asset(d)
    b = asset(d)
    assets.check_out(a.id, d["student"].id)
    assets.check_out(b.id, other.id)
    close_database()
    yield url, a.tag, b.tag
    close_database()


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_kit_prices_charge_pay_waive_round_trip(target, capsys, tmp_path):
    url, tag, other_tag = target
    db = ["--db", url]
    code, out, err = run(db + ["kit", "set", "Chromebook 3110", "charger:1:25", "case:1:20",
                               "--replacement-cost", "300"], capsys)
    assert code == 0, err
    assert "replacement cost 300.00" in out and "charger" in out
    code, out, _ = run(db + ["kit", "show", "Dell Chromebook 3110"], capsys)
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["charger", "case"]
    assert run(db + ["fees", "price", "set", "screen", "45"], capsys)[0] == 0
    code, out, _ = run(db + ["fees", "price", "set", "device", "329", "--model",
                             "Chromebook 3110"], capsys)
    assert out.strip() == "Device (replacement): 329.00 for Dell Chromebook 3110"
    code, out, _ = run(db + ["fees", "prices"], capsys)
    assert "Screen" in out and "329.00" in out

    code, out, err = run(db + ["fees", "charge", tag.lower(), "--part", "Screen"], capsys)
    assert code == 0, err
    screen = int(out.splitlines()[0])
    assert "45.00 owed" in out
    code, out, _ = run(db + ["fees", "charge", "S2000002", "--part", "charger"], capsys)
    charger = int(out.splitlines()[0])
    code, out, _ = run(db + ["fees", "charge", "S2000001", "--part", "stylus", "--amount",
                             "12.50"], capsys)
    stylus = int(out.splitlines()[0])

    pdf = tmp_path / "receipt.pdf"
    code, out, err = run(db + ["fees", "pay", str(screen), "20", "--method", "check",
                               "--reference", "1042", "--receipt", str(pdf)], capsys)
    assert code == 0, err
    year = history.today().year
    assert out.splitlines()[0] == f"R-{year}-000001" and "25.00 left to pay" in out
    text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert f"R-{year}-000001" in text and "Luis Garcia" in text and "$25.00" in text
    assert "Check" in text and "1042" in text
    code, out, _ = run(db + ["fees", "pay", str(screen), "25"], capsys)
    assert out.splitlines()[0] == f"R-{year}-000002" and "paid in full" in out
    again = tmp_path / "again.pdf"
    assert run(db + ["fees", "receipt", f"R-{year}-000002", "-o", str(again)], capsys)[0] == 0
    assert "Paid in full" in pdfium.PdfDocument(str(again))[0].get_textpage().get_text_range()
    code, out, _ = run(db + ["fees", "waive", str(stylus), "--why", "Returned the stylus"], capsys)
    assert code == 0 and "waived" in out

    code, out, _ = run(db + ["fees", "list", "--csv"], capsys)
    rows = {int(r["Fee"]): r for r in csv.DictReader(io.StringIO(out))}
    assert (rows[screen]["Status"], rows[screen]["Paid"], rows[screen]["Balance"]) == (
        "Paid", "45.00", "0.00")
    assert (rows[charger]["Status"], rows[charger]["Amount"], rows[charger]["School"]) == (
        "Owed", "25.00", "Lincoln Middle School")
    assert rows[stylus]["Reason"] == "Returned the stylus"
    code, out, _ = run(db + ["fees", "list", "--owed"], capsys)
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(charger)]
    assert out.splitlines()[-1] == "1 fee; $25.00 owed"
    code, out, _ = run(db + ["fees", "list", "--owed", "--site", "RHS"], capsys)
    assert out.strip() == "no fees owed"

    report = tmp_path / "owed.csv"
    code, out, err = run(db + ["report", "fees-outstanding", "-o", str(report)], capsys)
    assert code == 0, err
    lines = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert [(r["School"], r["Student"], r["Balance"]) for r in lines] == [
        ("Lincoln Middle School", "Ana Ruiz", "25.00")]
    code, out, _ = run(db + ["report", "--list"], capsys)
    assert "fees-outstanding" in out


@pytest.mark.parametrize("args, words", [
    (["fees", "charge", "NOPE-1", "--part", "screen"], "neither an asset tag"),
    (["fees", "charge", "S2000001", "--part", "stylus"], "give the amount"),
    (["fees", "pay", "999", "5"], "No fee #999"),
    (["fees", "pay", "abc", "5"], "not a fee number"),
    (["fees", "waive", "1", "--why", "  "], "reason is required"),
    (["fees", "list", "--site", "Nowhere"], "No site"),
    (["fees", "list", "--status", "late"], "Unknown fee status"),
    (["fees", "price", "set", "screen", "-4"], "negative"),
    (["fees", "price", "set", "screen", "5", "--model", "Nope"], "No model"),
    (["fees", "price", "remove", "keyboard"], "no price"),
    (["fees", "receipt", "R-1999-000009", "-o", "x.pdf"], "No receipt"),
    (["kit", "set", "Chromebook 3110", "charger:two"], "whole number"),
    (["kit", "set", "Chromebook 3110"], "give the parts"),
    (["kit", "show", "Nope"], "No model"),
])
def test_bad_input_is_one_error_line(target, capsys, args, words):
    url, tag, _ = target
    if args[:2] == ["fees", "waive"]:
        assert run(["--db", url, "fees", "charge", tag, "--part", "x", "--amount", "5"],
                   capsys)[0] == 0
    code, out, err = run(["--db", url] + args, capsys)
    assert code == 1 and words in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_pay_refuses_more_than_owed_and_writes_nothing(target, capsys, tmp_path):
    url, tag, _ = target
    run(["--db", url, "fees", "charge", tag, "--part", "keyboard", "--amount", "35"], capsys)
    pdf = tmp_path / "r.pdf"
    code, _, err = run(["--db", url, "fees", "pay", "1", "40", "--receipt", str(pdf)], capsys)
    assert code == 1 and "35.00 left" in err and not pdf.exists()
    code, _, err = run(["--db", url, "fees", "pay", "1", "5", "--receipt", str(tmp_path / "r.txt")],
                       capsys)
    assert code == 1 and "PDF" in err
    open_database(url)
    try:
        assert FeePayment.select().count() == 0 and Fee.get_by_id(1).status == "owed"
    finally:
        close_database()


def test_collection_return_charged_once_with_forgiveness(target, capsys):
    """The first damaged return of the year is forgiven, the second charged —
    seen through the CLI's list."""
    url, tag, other_tag = target
    open_database(url)
    try:
        from app.services import prices, settings
        settings.update({"fees_forgive_first": True})
        prices.set_price("hinge", "25")
        kits.set_parts(assets.get_by_tag(tag).model_id, [("Charger", 1, "25")])
        student = people.find("S2000001")
        loan = assets.open_loan(assets.get_by_tag(tag).id)
        assets.check_in(loan.asset_id, damage=["hinge"])
        first = fees.charge_for_return(loan.id)
        again = assets.check_out(loan.asset_id, student.id)
        assets.check_in(loan.asset_id, damage=["hinge"], missing_parts=["charger"])
        second = fees.charge_for_return(again.id)
        assert [f.status for f in first] == ["waived"]
        assert sorted((f.part, f.status) for f in second) == [("Charger", "owed"), ("hinge", "owed")]
        assert dt.date.today() >= first[0].incurred_on
    finally:
        close_database()
    code, out, _ = run(["--db", url, "fees", "list", "--owed", "--csv"], capsys)
    owed = sorted((r["Part"], r["Amount"]) for r in csv.DictReader(io.StringIO(out)))
    assert owed == [("Charger", "25.00"), ("hinge", "25.00")]
