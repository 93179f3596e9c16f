"""The reader against the files a QA tester brought: binary junk named .csv,
title lines that look like another separator, broken sheets inside a good
zip, IDs kept with leading zeros by a number format."""
from __future__ import annotations

import codecs
import datetime as dt
import zipfile

import pytest

from app.importing import reader
from app.services.errors import ValidationError


def _rows(path, sheet=None):
    table = reader.open_table(path, sheet)
    return table.headers, list(table.rows())


# --- A: a file that is not text ----------------------------------------------------

@pytest.mark.parametrize("data", [
    bytes(range(256)) * 40 + b"\x89PNG\r\n\x1a\n\x00\x00",  # the QA file
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000),
    bytes(b for b in range(1, 256) if b not in b"\t\n\r") * 40,  # no NUL, mostly control
    codecs.BOM_UTF8 + b"Tag,Serial\r\n" + bytes(range(1, 32)) * 100,
])
def test_binary_named_csv_is_refused(tmp_path, data):
    path = tmp_path / "X.csv"
    path.write_bytes(data)
    with pytest.raises(ValidationError, match=r"X\.csv is not a text spreadsheet \(it holds binary data\)"):
        reader.open_table(path)


def test_utf16_with_bom_and_cp1252_are_still_text(tmp_path):
    text = "Asset Tag\tName\r\nU-1\tZoë Ñúñez\r\n"
    le = tmp_path / "le.csv"
    le.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    be = tmp_path / "be.csv"
    be.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    for path in (le, be):
        assert _rows(path) == (["Asset Tag", "Name"], [(2, ["U-1", "Zoë Ñúñez"])])
    win = tmp_path / "win.csv"
    win.write_bytes("Asset Tag;Name\r\nE-1;Peña “Ñandú” – €5\r\n".encode("cp1252"))
    assert _rows(win) == (["Asset Tag", "Name"], [(2, ["E-1", "Peña “Ñandú” – €5"])])


def test_a_stray_control_character_is_not_binary(tmp_path):
    # FileMaker's in-cell line break (\x0b) and an old DOS end-of-file mark.
    path = tmp_path / "fm.csv"
    path.write_bytes(b"Asset Tag,Notes\r\nF-1,one\x0btwo\r\n\x1a")
    headers, rows = _rows(path)
    assert headers == ["Asset Tag", "Notes"] and rows[0] == (2, ["F-1", "one\x0btwo"])


# --- B: the separator is chosen from several lines ----------------------------------

def test_title_line_with_a_comma_above_a_semicolon_header(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_bytes("Inventory as of June 1, 2024\r\n"
                     "Asset Tag;Serial;Name;Cost\r\n"
                     "EU-1;EUS1;Laptop;1.234,50\r\n"
                     "EU-2;EUS2;Laptop;899,00\r\n".encode("cp1252"))
    table = reader.open_table(path)
    assert (table.headers, table.header_row) == (["Asset Tag", "Serial", "Name", "Cost"], 2)
    assert list(table.rows()) == [(3, ["EU-1", "EUS1", "Laptop", "1.234,50"]),
                                  (4, ["EU-2", "EUS2", "Laptop", "899,00"])]


@pytest.mark.parametrize("delim", [",", ";", "\t"])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_separator_survives_titles_quotes_and_line_ends(tmp_path, delim, newline):
    others = "".join(d for d in ",;\t" if d != delim)
    lines = [f"District{others[0]} technology{others[1]} list",  # the other separators
             "",
             delim.join(["Tag", "Notes", "Room"]),
             delim.join(["T-1", f'"two{newline}lines{others}"', "101"]),
             delim.join(["T-2", f'"a{delim}b"', "102"])]
    path = tmp_path / "d.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    table = reader.open_table(path)
    assert table.headers == ["Tag", "Notes", "Room"]
    assert list(table.rows()) == [(4, ["T-1", f"two{newline}lines{others}", "101"]),
                                  (5, ["T-2", f"a{delim}b", "102"])]


def test_one_column_file_and_a_sample_cut_mid_line(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("Asset Tag\nA-1\nA-2\n")
    assert _rows(one) == (["Asset Tag"], [(2, ["A-1"]), (3, ["A-2"])])
    # Long rows: the 64 KB sample ends inside a line, which must not vote.
    big = tmp_path / "big.csv"
    row = ";".join(["x" * 3000, "1,5", "y"])
    big.write_text("Tag;Cost;Room\n" + "\n".join([row] * 30) + "\n")
    assert reader.open_table(big).headers == ["Tag", "Cost", "Room"]


# --- C: a damaged sheet inside a good zip -------------------------------------------

def _workbook(path, rows, formats=None):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for r in rows:
        ws.append(r)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    wb.save(path)
    return path


def _cut_sheet(src, dst, keep):
    """A copy of ``src`` whose first sheet's XML stops after ``keep`` (a
    fraction) of its bytes, as a crashed save or a bad copy leaves it."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:int(len(data) * keep)]
            b.writestr(item, data)
    return dst


def test_sheet_cut_short_before_the_header_is_refused_when_opening(tmp_path):
    good = _workbook(tmp_path / "good.xlsx", [["Asset Tag", "Serial"], ["A-1", "S1"]])
    bad = _cut_sheet(good, tmp_path / "X.xlsx", 0.5)
    with pytest.raises(ValidationError, match=r"X\.xlsx is not a readable Excel workbook \(.*ParseError"):
        reader.open_table(bad)


def test_sheet_cut_short_midway_is_refused_while_reading(tmp_path):
    good = _workbook(tmp_path / "good.xlsx",
                     [["Asset Tag", "Serial", "Name"]] + [[f"A-{i}", f"S{i}", "Laptop"] for i in range(3000)])
    bad = _cut_sheet(good, tmp_path / "X.xlsx", 0.7)
    table = reader.open_table(bad)  # the top of the sheet is whole: the preview works
    assert table.headers == ["Asset Tag", "Serial", "Name"]
    got = []
    with pytest.raises(ValidationError, match=r"X\.xlsx is not a readable Excel workbook \("):
        for n, _cells in table.rows():
            got.append(n)
    # Rows come once each, in order, up to where the sheet breaks off.
    assert got == list(range(2, 2 + len(got))) and 100 < len(got) < 3000


def test_qa_bad_sheet_file(tmp_path):
    good = _workbook(tmp_path / "good.xlsx", [["Tag #", "Serial No"], ["QM-1", "S1"], ["QM-2", "S2"]])
    with zipfile.ZipFile(good) as a, zipfile.ZipFile(tmp_path / "15g.xlsx", "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            b.writestr(item, data[:-200] if item.filename == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(ValidationError, match="is not a readable Excel workbook"):
        _rows(tmp_path / "15g.xlsx")


# --- D: zeros kept by a zeros-only number format ------------------------------------

def _padded_workbook(path):
    return _workbook(path, [
        ["Employee ID", "Asset", "Plain", "Cost", "When", "Seven"],
        [1234, 103, 1234, 5, dt.date(2024, 8, 15), 42],
        [45, 0, 7, 1.5, None, -3],
        [123456, 1234567, 8, 2, None, 7.5],
    ], {"A2": "000000", "A3": "000000", "A4": "000000", "B2": "00000", "B3": "00000", "B4": "00000",
        "C2": "0", "C3": "#,##0", "D2": "0.00", "D3": "0.00", "F2": "0000000", "F3": "0000000",
        "F4": "0000000", "E2": "m/d/yyyy"})


PADDED = [(2, ["001234", "00103", 1234, 5, dt.date(2024, 8, 15), "0000042"]),
          (3, ["000045", "00000", 7, 1.5, "", "-0000003"]),
          (4, ["123456", "1234567", 8, 2, "", 7.5])]


def test_zeros_only_format_keeps_leading_zeros(tmp_path):
    from app.importing import xlsx
    path = _padded_workbook(tmp_path / "ids.xlsx")
    assert list(xlsx.rows_of(path, "Sheet1", min_row=2)) == PADDED
    assert list(reader.open_table(path).rows()) == PADDED


def test_openpyxl_fallback_keeps_the_same_zeros(tmp_path):
    path = _padded_workbook(tmp_path / "ids.xlsx")

    def trim(row):
        while row and row[-1] == "":
            row = row[:-1]
        return row
    slow = [(n, trim(r)) for n, r in reader._openpyxl_rows(path, "Sheet1")]
    assert slow == [(n, trim(r)) for n, r in PADDED]


def test_qa_staff_ids_match_people_after_import(db, tmp_path):
    from app import importing
    from app.models import Person
    path = _workbook(tmp_path / "staff.xlsx", [["Employee ID", "Last Name", "First Name"],
                                               [1234, "Smith", "John"], [45, "Lee", "Ann"]],
                     {"A2": "000000", "A3": "000000"})
    importing.commit(path, kind="people")
    assert sorted(p.id_number for p in Person.select()) == ["000045", "001234"]


# --- E: the expat reader gives what the iterparse one gave ---------------------------

_SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<x:sheetData>{}</x:sheetData></x:worksheet>')


def _with_sheet(tmp_path, rows_xml, date1904=False):
    """A workbook openpyxl made, its first sheet's XML replaced by ``rows_xml``
    (prefixed names: the reader must go by namespace, not by spelling)."""
    good = _workbook(tmp_path / "base.xlsx", [["x"]], {"A1": "yyyy-mm-dd"})
    path = tmp_path / "hand.xlsx"
    with zipfile.ZipFile(good) as a, zipfile.ZipFile(path, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _SHEET.format(rows_xml).encode()
            elif item.filename == "xl/workbook.xml" and date1904:
                data = data.replace(b"<workbookPr ", b'<workbookPr date1904="1" ', 1)
            b.writestr(item, data)
    return path


def test_inline_strings_cells_and_rows_without_r_booleans_errors(tmp_path):
    from app.importing import xlsx
    path = _with_sheet(tmp_path, (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:r><x:t>東京</x:t></x:r><x:r><x:t>都</x:t></x:r>'
        '<x:rPh sb="0" eb="2"><x:t>トウキョウ</x:t></x:rPh></x:is></x:c>'
        '<x:c r="C1" t="b"><x:v>1</x:v></x:c><x:c r="D1" t="e"><x:v>#N/A</x:v></x:c></x:row>'
        '<x:row><x:c><x:v>7</x:v></x:c><x:c/><x:c t="str"><x:f>A2</x:f><x:v>seven</x:v></x:c>'
        '<x:c t="b"><x:v>0</x:v></x:c></x:row>'  # no r on the row, nor on its cells
        '<x:row r="5"><x:c r="B5" s="1"><x:v>45901</x:v></x:c><x:c r="C5"><x:v>1.5E3</x:v></x:c>'
        '<x:c r="D5"><x:v>-0.25</x:v></x:c></x:row>'
        '<x:row r="6"><x:c r="A6" t="inlineStr"><x:is><x:t xml:space="preserve">  sp  </x:t></x:is></x:c></x:row>'))
    assert list(xlsx.rows_of(path, "Sheet1")) == [
        (1, ["東京都", "", True, "#N/A"]),
        (2, [7, "", "seven", False]),
        (5, ["", dt.date(2025, 9, 1), 1500.0, -0.25]),
        (6, ["  sp  "])]
    assert list(xlsx.rows_of(path, "Sheet1", min_row=3)) == [
        (5, ["", dt.date(2025, 9, 1), 1500.0, -0.25]), (6, ["  sp  "])]


def test_1904_epoch(tmp_path):
    from app.importing import xlsx
    path = _with_sheet(tmp_path, '<x:row r="1"><x:c r="A1" s="1"><x:v>0</x:v></x:c>'
                                 '<x:c r="B1" s="1"><x:v>1.5</x:v></x:c></x:row>', date1904=True)
    assert list(xlsx.rows_of(path, "Sheet1")) == [
        (1, [dt.date(1904, 1, 1), dt.datetime(1904, 1, 2, 12, 0)])]


def test_unknown_cell_type_midway_hands_over_to_openpyxl(tmp_path):
    from app.importing import xlsx
    rows = "".join(f'<x:row r="{i}"><x:c r="A{i}" t="inlineStr"><x:is><x:t>T-{i}</x:t></x:is></x:c></x:row>'
                   for i in range(1, 3000))
    odd = '<x:row r="3000"><x:c r="A3000" t="d"><x:v>2024-08-15T00:00:00</x:v></x:c></x:row>'
    path = _with_sheet(tmp_path, rows + odd + '<x:row r="3001"><x:c r="A3001"><x:v>5</x:v></x:c></x:row>')
    with pytest.raises(xlsx.Unsupported, match="cell type 'd'"):
        list(xlsx.rows_of(path, "Sheet1"))
    got = list(reader._xlsx_rows(path, "Sheet1", 2))
    assert [n for n, _c in got] == list(range(2, 3002))  # each row once, none lost
    assert got[0] == (2, ["T-2"]) and got[-1] == (3001, [5])
    assert got[-2][1][0] in (dt.date(2024, 8, 15), dt.datetime(2024, 8, 15))


def test_rows_come_while_the_sheet_is_read(tmp_path):
    """Memory stays flat: the first rows arrive before the sheet's end is parsed."""
    from app.importing import xlsx
    rows = "".join(f'<x:row r="{i}"><x:c r="A{i}"><x:v>{i}</x:v></x:c></x:row>' for i in range(1, 20000))
    path = _with_sheet(tmp_path, rows + '<x:row r="20000"><x:c r="A20000" t="zz"><x:v>1</x:v></x:c></x:row>')
    it = xlsx.rows_of(path, "Sheet1")
    assert next(it) == (1, [1])
    with pytest.raises(xlsx.Unsupported):
        list(it)
