"""The year-end report as the business office gets it: the register as CSV
from the command line, the PDF register with every serial and room whole,
and a workbook that prints one page wide with its headers repeated."""
from __future__ import annotations

import csv

import openpyxl
import pypdfium2

from app.cli import main
from app.services import assets, catalog


def _district():
    site = catalog.create_site("Lincoln High School", code="LHS")
    mdf = catalog.create_location(site.id, "Main distribution frame, building C north wing")
    cat = catalog.create_category("Network switches", life_years=7)
    model = catalog.create_model("Catalyst 9300-48P", manufacturer="Cisco", category_id=cat.id)
    made = []
    for n, serial in enumerate(["FOCTXYRT7SE", "FOC2233X0QZ", "FG200FTK22904113XYZQ"]):
        made.append(assets.create({"model_id": model.id, "location_id": mdf.id, "cost": "7495.00",
                                   "serial": serial, "purchase_date": f"2025-0{n + 7}-15",
                                   "funding_type": "erate", "erate_frn": f"25990{n:05d}",
                                   "erate_funding_year": 2025,
                                   "in_service_date": f"2025-0{n + 7}-20"}))
    return made


def test_register_as_csv_pdf_and_printable_xlsx(db, tmp_path, capsys):
    from app.store.db import current_target
    made = _district()
    target = current_target()

    out = tmp_path / "ye.csv"
    assert main(["--db", target, "report", "year-end", "--fiscal-year", "2026", "--format", "csv",
                 "-o", str(out)]) == 0
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["Serial"] for r in rows) == sorted(a.serial for a in made)
    assert {r["Cost"] for r in rows} == {"7495.00"} and rows[0]["Tag"].startswith("QM-")

    pdf = tmp_path / "ye.pdf"
    assert main(["--db", target, "report", "year-end", "--fiscal-year", "2026", "-o", str(pdf)]) == 0
    text = "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(str(pdf)))
    squeezed = "".join(text.split())
    assert "…" not in text
    for a in made:
        assert a.serial in squeezed, a.serial
    assert "Maindistributionframe,buildingCnorthwing" in squeezed

    xlsx = tmp_path / "ye.xlsx"
    assert main(["--db", target, "report", "year-end", "--fiscal-year", "2026", "-o", str(xlsx)]) == 0
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    register = next(ws for ws in wb.worksheets if ws.title.startswith("Register"))
    assert register.page_setup.orientation == "landscape"
    assert register.print_title_rows and register.freeze_panes
    header_row = int(register.print_title_rows.split(":")[0].strip("$"))
    assert register.cell(header_row, 1).value == "Tag"
    capsys.readouterr()
