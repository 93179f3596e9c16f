"""The E-Rate asset inventory for a PIA review: units grouped by FRN line
item with counts, every unit with its filing numbers and location; the CLI
writes it as PDF, XLSX and CSV, and --funding-year limits it."""
from __future__ import annotations

import csv

from app.cli import main
from app.services import assets, catalog
from tests.app.factories import asset, district
from tests.reports.test_reports_ops import build, pdf_text, workbook, write_all


def _erate(d):
    catalog.set_site_ben(d["site"].id, "125548")
    catalog.set_site_ben(d["other"].id, "125549")
    sup = catalog.create_supplier("Vector Networks", spin="143012345")
    for n in range(3):
        asset(d, tag=f"AP-{n}", serial=f"Q2KD-{n}", supplier_id=sup.id, erate_frn="2599012345",
              erate_form471="251000123", erate_frn_line="1", erate_funding_year=2025,
              in_service_date="2025-09-02", cost="450.00")
    sw = asset(d, tag="SW-1", serial="FOC123", supplier_id=sup.id, location_id=d["r3"].id,
               erate_frn="2599012345", erate_form471="251000123", erate_frn_line="2",
               erate_funding_year=2025, cost="2999.00")
    assets.update(sw.id, {"status": "retired"})
    asset(d, tag="OLD-1", erate_frn="2499054321", erate_frn_line="1", erate_funding_year=2024,
          cost="100.00")
    asset(d, tag="NOLINE", funding_type="erate", erate_funding_year=2025)
    asset(d, tag="GEN-1", funding_type="general")  # not E-Rate: not in the inventory
    return sup


def test_grouped_by_line_item_with_counts(db):
    d = district()
    _erate(d)
    doc = build("erate-inventory", funding_year=2025)
    summary = doc.sections[0].tables[0]
    lines = {r[0]: r for r in summary.rows}
    assert set(lines) == {"2599012345.001", "2599012345.002", "No FRN line item recorded"}
    ap = lines["2599012345.001"]
    assert ap[1:7] == ("251000123", "2025", "125548", "143012345", "Vector Networks",
                       "Dell Chromebook 3110")
    assert ap[7:] == (3, 3, 0, 1350)
    assert lines["2599012345.002"][3] == "125549"  # the switch's site's BEN
    assert lines["2599012345.002"][7:10] == (1, 0, 1)  # retired, still listed
    inv = doc.sections[1].tables[0]
    heads = [h for h, _ in inv.groups]
    assert heads[0].startswith("FRN line item 2599012345.001 \u2014 Form 471 251000123, FY2025, "
                               "BEN 125548, SPIN 143012345 Vector Networks \u2014 3 units")
    unit = dict(zip([c.title for c in inv.columns], inv.groups[0][1][0]))
    assert unit["Asset tag"] == "AP-0" and unit["Serial number"] == "Q2KD-0"
    assert unit["Installed location"] == "Riverside High School / Room 12"
    assert unit["Entity"] == "Riverside High School" and unit["Status"] == "Ready to deploy"
    assert "1 unit without a line item" in doc.sections[0].intro
    tags = {r[10] for r in inv.rows}
    assert "OLD-1" not in tags and "GEN-1" not in tags and "NOLINE" in tags
    everything = build("erate-inventory")
    assert "2499054321.001" in {r[0] for r in everything.sections[0].tables[0].rows}


def test_written_in_every_format(db, tmp_path):
    d = district()
    _erate(d)
    out = write_all("erate-inventory", tmp_path, funding_year=2025)
    text = pdf_text(out["pdf"])
    assert "E-Rate asset inventory" in text and "2599012345.001" in text
    assert "Q2KD-2" in text and "47 CFR 54.516" in text
    wb = workbook(out["xlsx"])
    assert wb.sheetnames[:2] == ["Line items", "Inventory"]
    values = [v for row in wb["Line items"].iter_rows(values_only=True) for v in row]
    assert "2599012345.002" in values and 1350 in values
    with out["csv"].open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5  # every 2025 unit, flat, each naming its line item
    first = rows[0]
    assert (first["FRN line item"], first["BEN"], first["SPIN"], first["Form 471"]) == \
        ("2599012345.001", "125548", "143012345", "251000123")


def test_cli(db, tmp_path, capsys):
    from app.store.db import close_database, current_target
    d = district()
    _erate(d)
    url = current_target()
    close_database()
    out = tmp_path / "erate.xlsx"
    code = main(["--db", url, "report", "erate-inventory", "--funding-year", "2024",
                 "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    wb = workbook(out)
    cells = [v for row in wb["Inventory"].iter_rows(values_only=True) for v in row]
    assert "OLD-1" in cells and "AP-0" not in cells
    code = main(["--db", url, "report", "repairs", "--funding-year", "2024", "-o",
                 str(tmp_path / "r.pdf")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error:") and "--funding-year" in err
