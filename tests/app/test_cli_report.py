"""`quartermaster report …`: the list, each format, and every refusal as one
`error: …` line with exit 1."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from app.cli import main
from tests.app.factories import asset, district


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _fill_and_close() -> str:
    from app.services import repairs
    from app.store.db import close_database, current_target
    d = district()
    soon = dt.date.today() + dt.timedelta(days=10)
    a = asset(d, warranty_end=soon)
    asset(d, warranty_end=soon, location_id=d["r3"].id)
    repairs.open_repair(a.id, "Cracked screen", reported=dt.date.today())
    url = current_target()
    close_database()
    return url


@pytest.fixture
def target(db):
    """A small district on each backend, closed, for the CLI to open."""
    return _fill_and_close()


@pytest.fixture
def sqlite_target(sqlite_db):
    """The same on SQLite only: for what does not depend on the backend."""
    return _fill_and_close()


def test_list(sqlite_target, capsys):
    code, out, err = run(["--db", sqlite_target, "report", "--list"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["Name", "Title", "Options", "Formats"]
    row = next(ln for ln in lines if ln.startswith("warranties "))
    assert "Warranties ending" in row and "--days --site" in row and "pdf, xlsx, csv" in row
    row = next(ln for ln in lines if ln.startswith("depreciation "))
    assert "--fiscal-year --site" in row
    assert any(ln.startswith("activity ") and "--from --to" in ln for ln in lines)
    assert any(ln.startswith("repairs ") and "--from --to --site" in ln for ln in lines)


def test_each_format(target, tmp_path, capsys):
    q = ["--db", target, "report"]
    code, out, err = run(q + ["warranties", "--days", "30", "-o", str(tmp_path / "w.pdf")], capsys)
    assert code == 0, err
    assert out.startswith(f"wrote {tmp_path / 'w.pdf'} (") and "page" in out and "2 rows" in out
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(tmp_path / "w.pdf"))
    assert "Warranties ending within 30 days" in pdf[0].get_textpage().get_text_range()
    pdf.close()

    code, out, err = run(q + ["warranties", "--site", "LMS", "-o", str(tmp_path / "w.csv")], capsys)
    assert code == 0, err
    assert "(1 row)" in out
    rows = list(csv.DictReader(open(tmp_path / "w.csv", encoding="utf-8-sig")))
    assert len(rows) == 1 and rows[0]["Days left"] == "10"

    code, out, err = run(q + ["repairs", "--from", "1/1/2020", "--to",
                              dt.date.today().isoformat(), "-o", str(tmp_path / "r.xlsx")], capsys)
    assert code == 0, err
    assert "sheets" in out
    import openpyxl
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert "Repairs" in wb.sheetnames and "Failure rates" in wb.sheetnames
    wb.close()

    # --format beats the suffix.
    code, out, err = run(q + ["activity", "--format", "csv", "-o", str(tmp_path / "log.txt")],
                         capsys)
    assert code == 0, err
    header = (tmp_path / "log.txt").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("When,Who,Record,Action")

    code, out, err = run(q + ["depreciation", "--fiscal-year", "2026",
                              "-o", str(tmp_path / "d.pdf")], capsys)
    assert code == 0, err


REFUSALS = [
    (["warranties", "--fiscal-year", "2026"], "does not take --fiscal-year (it takes --days, --site)"),
    (["activity", "--site", "RHS"], "does not take --site"),
    (["repairs", "--from", "31/31/2025"], "--from:"),
    (["repairs", "--to", "someday"], "is not a date"),
    (["no-such-report"], "No report called 'no-such-report'"),
    (["warranties", "--site", "Atlantis"], "No site called 'Atlantis'"),
    (["repairs", "--from", "2026-03-01", "--to", "2026-01-01"], "is after"),
    (["warranties", "--days", "-4"], "Within days"),
]


def test_refusals(target, tmp_path, capsys):
    out_file = tmp_path / "x.pdf"
    for args, message in REFUSALS:
        code, out, err = run(["--db", target, "report"] + args + ["-o", str(out_file)], capsys)
        assert code == 1, args
        assert err.startswith("error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1
        assert not out_file.exists()


def test_refusals_about_the_file(sqlite_target, tmp_path, capsys):
    q = ["--db", sqlite_target, "report"]
    code, _out, err = run(q + ["warranties", "-o", str(tmp_path / "w.docx")], capsys)
    assert code == 1 and ".pdf, .xlsx or .csv" in err
    code, _out, err = run(q + ["warranties"], capsys)
    assert code == 1 and "-o warranties.pdf" in err
    code, _out, err = run(q, capsys)
    assert code == 1 and "--list" in err
    with pytest.raises(SystemExit) as exit_:  # argparse: misuse
        main(q + ["warranties", "--format", "doc", "-o", "x"])
    assert exit_.value.code == 2
