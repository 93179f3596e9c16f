"""The roster and fleet from the command line: `import --kind students`
(with --full --preview, then --full), `import --kind chromebooks`, and the
to-recover and refresh-plan reports read back from their files."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from app.cli import main

DATA = Path(__file__).parent / "data"


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def target(db):
    """Two schools, a Chromebook model with a price and four Chromebooks, on each backend."""
    from app.services import assets, catalog, kits
    from app.store.db import close_database, current_target
    jeff = catalog.create_site("Jefferson Elementary", code="101")
    catalog.create_site("Roosevelt Middle", code="102")
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    model = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    kits.set_replacement_cost(model.id, "329.00")
    for s in ("5CD1234ABC", "5CD1234ABD", "5CD1234ABE", "NXHPVAA0019"):
        assets.create(dict(serial=s, site_id=jeff.id, model_id=model.id, purchase_date="2024-08-15"))
    url = current_target()
    close_database()
    return url


def _reopen(url):
    from app.store.db import open_database
    open_database(url)


def test_students_full_roster_preview_then_withdraw(target, tmp_path, capsys):
    q = ["--db", target, "import"]
    code, out, err = run(q + [str(DATA / "students_aeries.csv"), "--kind", "students"], capsys)
    assert code == 0, err
    assert "imported: 6 created, 0 updated" in out
    code, out, err = run(q + [str(DATA / "students_powerschool.csv"), "--kind", "students"], capsys)
    assert code == 0, err
    # Diego takes a Chromebook home.
    _reopen(target)
    from app.models import Asset, Person
    from app.store.db import close_database
    tag = Asset.get(Asset.serial == "5CD1234ABC").tag
    close_database()
    code, out, err = run(["--db", target, "asset", "checkout", tag, "--to", "20231001"], capsys)
    assert code == 0, err

    code, out, err = run(q + [str(DATA / "students_aeries.csv"), "--kind", "students", "--full",
                              "--preview"], capsys)
    assert code == 0, err
    assert "whole roster: 4 students missing from it to mark withdrawn (1 still holding devices)" in out
    assert "  withdraw: 20231001 Hernández, Diego (Jefferson Elementary, grade K, holds 1 device)" in out
    assert "dry run: nothing was written" in out
    _reopen(target)
    assert Person.get(Person.id_number == "20231001").enrolment == "enrolled"
    close_database()

    code, out, err = run(q + [str(DATA / "students_aeries.csv"), "--kind", "students", "--full"],
                         capsys)
    assert code == 0, err
    assert "imported: 0 created, 6 updated, 0 rows skipped, 4 students withdrawn" in out
    _reopen(target)
    diego = Person.get(Person.id_number == "20231001")
    assert (diego.enrolment, diego.withdrawn_on, diego.active) == ("withdrawn", dt.date.today(), True)
    close_database()

    code, out, err = run(["--db", target, "report", "to-recover", "-o", str(tmp_path / "r.csv")],
                         capsys)
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["School", "Student", "Student ID"]
    assert [(r[1], r[2], r[10]) for r in rows[1:]] == [("Hernández, Diego", "20231001", "5CD1234ABC")]
    code, out, err = run(["--db", target, "report", "to-recover", "--site", "102",
                          "-o", str(tmp_path / "none.pdf")], capsys)
    assert code == 0, err
    code, out, err = run(["--db", target, "report", "to-recover", "-o", str(tmp_path / "r.pdf")],
                         capsys)
    assert code == 0, err
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(tmp_path / "r.pdf"))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pdf.close()
    assert "Hernández, Diego" in text and "5CD1234ABC" in text and "Rosa Hernández" in text


def test_unknown_school_is_an_error_line(target, tmp_path, capsys):
    rows = list(csv.reader((DATA / "students_aeries.csv").open(encoding="utf-8-sig")))
    rows[2][5] = "Lincoln High"
    path = tmp_path / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    code, out, err = run(["--db", target, "import", str(path), "--kind", "students"], capsys)
    assert code == 1
    assert err.startswith("error: Nothing was imported")
    assert "row 3, column School: no site is named or coded “Lincoln High”" in out


def test_chromebooks_lists_unknown_serials(target, capsys):
    code, out, err = run(["--db", target, "import", str(DATA / "chromebooks_google_admin.csv"),
                          "--kind", "chromebooks"], capsys)
    assert code == 0, err
    assert "unknown serials: 3 (no asset has them; nothing is created for them)" in out
    assert "  unknown serial: row 6: UNKNOWN0001 · Lenovo 100e Gen 4" in out
    assert "  unknown serial: row 8: PF3XQ9Z7 · HP Chromebook 14 G7" in out
    assert "imported: 0 created, 4 updated, 0 rows skipped, 3 unknown serials listed" in out
    _reopen(target)
    from app.models import Asset
    assert Asset.select().count() == 4
    assert Asset.get(Asset.serial == "5CD1234ABC").aue_date == dt.date(2029, 6, 30)
    from app.store.db import close_database
    close_database()


def test_refresh_plan_cli(target, tmp_path, capsys):
    from app.reporting import fiscal
    run(["--db", target, "import", str(DATA / "chromebooks_google_admin.csv"),
         "--kind", "chromebooks"], capsys)
    code, out, err = run(["--db", target, "report", "refresh-plan", "--years", "6",
                          "-o", str(tmp_path / "plan.csv")], capsys)
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "plan.csv").open(encoding="utf-8-sig")))
    # Bought 2024-08-15 with a 4-year life: each is due 2028-08-15 (before
    # every AUE in the export, Aug 31, 2028 the nearest), in one fiscal year.
    today = dt.date.today()
    last = fiscal.fiscal_year_bounds(fiscal.current_fiscal_year(today) + 5)[1]
    in_plan = 4 if dt.date(2028, 8, 15) <= last else 0
    assert sum(int(r["Devices"]) for r in rows) == in_plan
    assert {r["Fiscal year"] for r in rows} == ({fiscal.fiscal_year_label(2029)} if in_plan else set())
    assert all(r["Unit price"] == "329.00" and r["Price from"] == "model price" for r in rows)
    assert sum(float(r["Cost"]) for r in rows) == pytest.approx(329.0 * in_plan)
    code, out, err = run(["--db", target, "report", "refresh-plan", "--years", "3",
                          "-o", str(tmp_path / "plan.pdf")], capsys)
    assert code == 0, err
    assert "wrote" in out and "device" in out
    code, out, err = run(["--db", target, "report", "refresh-plan", "--years", "40",
                          "-o", str(tmp_path / "x.pdf")], capsys)
    assert code == 1 and "Years ahead is from 1 to 10" in err
    code, out, err = run(["--db", target, "report", "warranties", "--years", "3",
                          "-o", str(tmp_path / "x.pdf")], capsys)
    assert code == 1 and "does not take --years" in err
