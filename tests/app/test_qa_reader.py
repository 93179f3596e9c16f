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
