"""Patterns of failure: the part classifier, and the report by part, by
model and part, and by age, with failures per 100 units kept."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from app import failure_parts as fp
from app.cli import main
from app.services import assets, catalog, repairs
from tests.app.factories import asset, district
from tests.reports.test_reports_ops import build, pdf_text, workbook, write_all


@pytest.mark.parametrize("text,part", [
    ("Cracked screen after a drop", "screen"),
    ("LCD shows lines; no video", "screen"),
    ("Missing keys (E, R)", "keyboard"),
    ("Touchpad not clicking", "keyboard"),
    ("Battery swollen", "battery"),
    ("Won\u2019t hold a charge", "battery"),
    ("Hinge snapped, screen cracked", "hinge"),
    ("Charging port loose; charger is fine", "port"),
    ("USB-C port bent", "port"),
    ("HDMI out dead", "port"),
    ("Charger frayed", "charger"),
    ("AC adapter missing", "charger"),
    ("Monkeys in the portable classroom", "other"),
    ("Won't boot", "other"),
    ("", "other"),
    (None, "other"),
])
def test_part_of(text, part):
    assert fp.part_of(text) == part


@given(st.text(max_size=60))
def test_part_of_any_text_is_a_part(text):
    assert fp.part_of(text) in fp.PARTS


def test_age_bands():
    assert [fp.age_band(y) for y in (0, 0.99, 1, 2.5, 4.99, 5, 12, None, -1)] == [
        "Under 1 year", "Under 1 year", "1\u20132 years", "2\u20133 years", "4\u20135 years",
        "5 years or more", "5 years or more", "Age unknown", "Age unknown"]


TODAY = dt.date.today()


def _failures(d):
    """Six units of one model, four of another; failures of known parts and ages."""
    other = catalog.create_model("Latitude 3440", manufacturer="Dell")
    old = TODAY - dt.timedelta(days=int(3.5 * 365.25))
    new = TODAY - dt.timedelta(days=100)
    cb = [asset(d, tag=f"CB-{n}", in_service_date=old, purchase_date=old) for n in range(6)]
    lt = [asset(d, tag=f"LT-{n}", model_id=other.id, in_service_date=new, purchase_date=new)
          for n in range(4)]
    day = TODAY - dt.timedelta(days=5)
    for a, problem in ((cb[0], "Cracked screen"), (cb[1], "Screen flickers"),
                       (cb[2], "Hinge broke"), (lt[0], "Keyboard keys missing"),
                       (lt[1], "Battery swollen")):
        repairs.open_repair(a.id, problem, reported=day)
    # A unit that failed and was written off still counts as kept.
    assets.update(cb[2].id, {"status": "retired"})
    asset(d, tag="GONE", status="retired")  # never failed, retired: not kept
    repairs.open_repair(cb[3].id, "Screen cracked long ago",
                        reported=TODAY - dt.timedelta(days=800))  # outside the period


def test_report_by_part_model_and_age(db):
    d = district()
    _failures(d)
    doc = build("failure-patterns")
    parts = {r[0]: r[1:] for r in doc.sections[0].tables[0].rows}
    assert parts == {"Screen": (2, Decimal("40.0")), "Hinge": (1, Decimal("20.0")),
                     "Keyboard": (1, Decimal("20.0")), "Battery": (1, Decimal("20.0"))}
    matrix = {r[0]: r for r in doc.sections[1].tables[0].rows}
    cb = matrix["Chromebook 3110"]
    # model, units kept, screen, keyboard, battery, hinge, port, charger, other, failures, rate
    assert cb == ("Chromebook 3110", 6, 2, 0, 0, 1, 0, 0, 0, 3, Decimal("50.0"))
    assert matrix["Latitude 3440"][1:] == (4, 0, 1, 1, 0, 0, 0, 0, 2, Decimal("50.0"))
    ages = {r[0]: r[1:] for r in doc.sections[2].tables[0].rows}
    assert ages["3\u20134 years"] == (6, 3, Decimal("50.0"), "Screen")
    assert ages["Under 1 year"] == (4, 2, Decimal("50.0"), "Keyboard")


def test_written_and_cli(db, tmp_path, capsys):
    d = district()
    _failures(d)
    out = write_all("failure-patterns", tmp_path)
    text = pdf_text(out["pdf"])
    assert "Failures by part" in text and "Failures by age at failure" in text
    assert "3\u20134 years" in text
    wb = workbook(out["xlsx"])
    assert wb.sheetnames == ["By part", "By model and part", "By age", "By model"]
    with out["csv"].open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["Model"] for r in rows} == {"Chromebook 3110", "Latitude 3440"}
    assert rows[0]["Screen"] in ("2", "0")
    from app.store.db import close_database, current_target
    url = current_target()
    close_database()
    target = tmp_path / "f.csv"
    assert main(["--db", url, "report", "failure-patterns", "-o", str(target)]) == 0
    assert "wrote" in capsys.readouterr().out and target.exists()
