"""The writers every report shares: a document of every column kind comes back
typed from the XLSX, formula-like text is neutralized in XLSX and CSV, the PDF
repeats the header row on each page, numbers its pages "Page N of M", cuts
long text to its column, and the CSV starts with a BOM."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal as D

import openpyxl
import pypdfium2
import pytest

from app.reporting.document import Chart, Column, Cover, ReportDocument, Section, Table
from app.reporting.writers import sheet_names
from app.services.errors import ValidationError
from reports.document_pdf import fit, format_value, money_text
from reports.render import write

COLUMNS = [Column("Tag"), Column("Qty", "int", total=True), Column("Cost", "money", total=True),
           Column("Weight", "number"), Column("Share", "percent"), Column("Bought", "date"),
           Column("Seen", "datetime"), Column("Note", width=1.5)]


def _row(i):
    return (f"QM-{i:05d}", i, D("1234.56") + i, 1.5, 0.25, dt.date(2025, 7, 1) + dt.timedelta(days=i % 300),
            dt.datetime(2026, 1, 2, 3, 4), "=HYPERLINK(\"http://x\")" if i == 0 else f"note {i}")


def _doc(n=3, rows=None):
    return ReportDocument(
        title="Writers test", organisation="Test USD", subtitle="FY 2025–26", generated_by="tester",
        cover=Cover("Writers test", "FY 2025–26", [("Fiscal year", "July 1, 2025 – June 30, 2026")],
                    ["Prepared by", "Reviewed by"]),
        sections=[
            Section("Main: [one]?", "Main table", figures=[("Items", n), ("Cost", D("99.50"))],
                    tables=[Table(COLUMNS, rows if rows is not None else [_row(i) for i in range(n)])],
                    charts=[Chart("Cost by thing", [("A", D("10.00")), ("B", D("5.50"))])]),
            Section("Main: [one]?", "Grouped", landscape=True,
                    tables=[Table(COLUMNS[:3], [], groups=[("Room 1", [("x", 1, D("2.00"))]),
                                                           ("Room 2", [("y", 2, D("3.00"))])])]),
        ])


def test_xlsx_cells_are_typed_and_safe(tmp_path):
    out = write(_doc(3), tmp_path / "w.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Cover", "Main- -one--", "Main- -one-- (2)"]
    ws = wb.worksheets[1]
    rows = list(ws.iter_rows(values_only=True))
    head = next(n for n, r in enumerate(rows) if r[0] == "Tag")
    assert ws.freeze_panes == f"A{head + 2}"
    first = rows[head + 1]
    assert first[:7] == ("QM-00000", 0, 1234.56, 1.5, 0.25, dt.datetime(2025, 7, 1),
                         dt.datetime(2026, 1, 2, 3, 4))
    assert first[7] == "'=HYPERLINK(\"http://x\")"  # neutralized, not a formula
    cost = ws.cell(row=head + 2, column=3)
    assert cost.number_format == '"$"#,##0.00' and cost.data_type == "n"
    assert ws.cell(row=head + 2, column=6).is_date
    assert ws.cell(row=head + 1, column=1).font.b
    total = rows[head + 4]
    assert total[0] == "Total" and total[1] == 3 and D(str(total[2])) == D("3706.68")
    # totals are values, not formulas
    assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)
    assert wb.worksheets[2]["A1"].value == "Grouped"
    assert any(r[0] == "Room 2" for r in wb.worksheets[2].iter_rows(values_only=True))


def test_sheet_names_are_legal_and_unique():
    names = sheet_names(["A" * 40, "A" * 40, "x/y:z", "Cover", "cover"])
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == 5
    assert names[2] == "x-y-z" and not any(c in "".join(names) for c in "[]:*?/\\")


def test_csv_has_bom_plain_numbers_iso_dates_and_no_formulas(tmp_path):
    out = write(_doc(2), tmp_path / "w.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == [c.title for c in COLUMNS]
    assert rows[1][:6] == ["QM-00000", "0", "1234.56", "1.5", "0.25", "2025-07-01"]
    assert rows[1][7].startswith("'=")
    assert len(rows) == 3  # no total row in the CSV


def test_format_by_suffix_and_refusal(tmp_path):
    with pytest.raises(ValidationError):
        write(_doc(1), tmp_path / "w.docx")
    assert write(_doc(1), tmp_path / "w.bin", "pdf").read_bytes().startswith(b"%PDF")


def _pages(path):
    pdf = pypdfium2.PdfDocument(str(path))
    return [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]


def test_pdf_header_repeats_and_pages_are_numbered(tmp_path):
    out = write(_doc(300), tmp_path / "w.pdf")
    pages = _pages(out)
    assert len(pages) >= 5
    for n, text in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in text
        assert "Generated on" in text
    table_pages = [p for p in pages[1:] if "QM-00" in p]
    assert len(table_pages) >= 4
    for text in table_pages:
        assert "Tag Qty Cost Weight Share Bought Seen Note" in text
        assert "Writers test" in text and "FY 2025–26" in text  # running header
    assert "Main table (continued)" in table_pages[1]
    every = " ".join(pages)
    assert "$1,234.56" in every and "$1,533.56" in every  # rows 0 and 299
    assert "Total 44,850 $415,218.00" in every
    assert "Prepared by" in pages[0] and "Reviewed by" in pages[0] and "Test USD" in pages[0]
    assert "Room 1" in pages[-1] and "Room 2" in pages[-1]


def test_pdf_table_cells_never_lose_text(tmp_path):
    """Issue 19: a register cell too long for its column used to be cut with "…"
    (FOCTXYRT7SE printed as "FOCTXYRT7…"). Now it shrinks a little, then wraps
    (the row grows); the whole text reads back from the PDF."""
    long = "Interactive display in the district office conference room " * 3
    rows = [("QM-1", 1, D("1.00"), 1.0, 0.1, dt.date(2026, 1, 1), dt.datetime(2026, 1, 1), long)]
    pages = _pages(write(_doc(rows=rows), tmp_path / "w.pdf"))
    assert "…" not in pages[1]
    assert "".join(long.split()) in "".join(pages[1].split())
    assert fit(long, "Helvetica", 8, 100).endswith("…")  # running headers still fit their line
    # A register: a serial a little too long shrinks; one far too long breaks
    # inside the word; a long room wraps at its spaces; rows below still print.
    cols = [Column("Tag", width=0.6), Column("Serial", width=0.45), Column("Room", width=0.5),
            Column("Cost", "money", width=0.5, total=True)]
    register = [("QM-000001", "FOCTXYRT7SE", "Room 214", D("7495.00")),
                ("QM-000002", "FG200FTK22904113XYZQ", "Computer Lab B (north wing)", D("6795.00")),
                ("QM-000003", "5CD1234XYZ", "MDF", D("1.00"))]
    doc = ReportDocument(title="Register", organisation="Test USD",
                         sections=[Section("Register", "Equipment register",
                                           tables=[Table(cols, register * 40)])])
    pages = _pages(write(doc, tmp_path / "r.pdf"))
    text = " ".join(pages)
    assert "…" not in text
    assert text.count("FOCTXYRT7SE") == 40
    squeezed = "".join(text.split())
    assert squeezed.count("FG200FTK22904113XYZQ") == 40
    assert squeezed.count("ComputerLabB(northwing)") == 40
    assert squeezed.count("5CD1234XYZ") == 40 and "$571,640.00" in text


def test_value_formats():
    assert money_text(D("1234.5")) == "$1,234.50" and money_text(D("-3")) == "-$3.00"
    assert format_value(D("1234.56"), "money") == "$1,234.56"
    assert format_value(1234, "int") == "1,234" and format_value(2026, "text") == "2026"
    assert format_value(0.125, "percent") == "12.5 %"
    assert format_value(dt.date(2026, 6, 30), "date") == "2026-06-30"


def test_rows_are_read_once_from_a_generator(tmp_path):
    """A generator of rows is read once and streamed; the sheet still states its size."""
    seen = []

    def rows():
        for i in range(3000):
            seen.append(i)
            yield _row(i)
    write(_doc(rows=rows()), tmp_path / "big.xlsx")
    assert len(seen) == 3000
    wb = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    assert wb.worksheets[1].max_row > 3000


def test_gc_paused_nests_and_restores():
    import gc

    from app.reporting.writers import gc_paused
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            raise RuntimeError("a failed report")
    assert gc.isenabled()


def test_xlsx_sheets_print_one_page_wide_with_repeated_headers(tmp_path):
    """Each sheet prints fitted to one page wide (as many long as it takes),
    landscape when its columns are wider than a portrait page, with the table's
    header repeated on every page and the panes frozen under it."""
    narrow = Table([Column("Tag"), Column("Cost", "money")], [(f"QM-{i:05d}", D("1.00")) for i in range(300)])
    wide = Table([Column(f"Column {i}", width=2) for i in range(9)],
                 [tuple(f"value {i}-{j}" for j in range(9)) for i in range(40)])
    doc = ReportDocument(title="Print test", organisation="Test USD", cover=Cover("Print test"),
                         sections=[Section("Narrow", "Narrow", tables=[narrow]),
                                   Section("Wide", "Wide", intro="Every column.", tables=[wide]),
                                   Section("Two", "Two tables", tables=[narrow, wide])])
    wb = openpyxl.load_workbook(write(doc, tmp_path / "p.xlsx"))
    cover, n, w, two = wb.worksheets
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert "Page &P of &N" in ws.oddFooter.right.text
    assert n.page_setup.orientation == "portrait" and w.page_setup.orientation == "landscape"
    header = [r for r in range(1, 12) if n.cell(r, 1).value == "Tag"][0]
    assert n.print_title_rows == f"${header}:${header}" and n.freeze_panes == f"A{header + 1}"
    header = [r for r in range(1, 12) if w.cell(r, 1).value == "Column 0"][0]
    assert w.print_title_rows == f"${header}:${header}" and w.freeze_panes == f"A{header + 1}"
    assert two.print_title_rows is None  # the first table's header would sit over the second
    assert cover.print_title_rows is None


def test_a_serial_in_the_year_end_register_stays_on_one_line(tmp_path):
    """A code (one word) a little too long for the register's Serial column
    shrinks further than other text rather than break: "WMJQ27M8H" over
    "HGB3" read as two things. Every character of it on one line."""
    from app.reporting.year_end import REGISTER_COLUMNS
    serial = "WMJQ27M8HHGB3"
    row = ("QM-000168", "ActivPanel 9 75in", serial, "Interactive displays", dt.date(2020, 2, 29),
           D("3899.00"), "Riverside Middle School", "Room 210", "Room 210", None,
           "General fund", "Deployed")
    doc = ReportDocument(title="Register", organisation="Test USD", sections=[
        Section("Register", "Equipment register", landscape=True,
                tables=[Table(REGISTER_COLUMNS, [row])])])
    pdf = pypdfium2.PdfDocument(str(write(doc, tmp_path / "r.pdf")))
    page = pdf[0].get_textpage()
    text = page.get_text_range()
    at = text.index(serial)  # whole in the text: no line break inside it
    bottoms = [page.get_charbox(i)[1] for i in range(at, at + len(serial))]
    assert max(bottoms) - min(bottoms) < 3  # a second line would be 9 points lower
