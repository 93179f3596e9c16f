"""The CALPADS student device and connectivity file: one record per enrolled
student from the open loans, caret-delimited in the layout's order and
codes; the layout is kept in Settings and checked; the CLI writes it."""
from __future__ import annotations

import csv
import json

import pytest

from app import calpads
from app.cli import main
from app.services import assets, catalog, people, settings
from app.services.errors import ValidationError
from tests.app.factories import asset, district


def _students(d):
    hot = catalog.create_category("Hotspots", "network")
    jetpack = catalog.create_model("Jetpack 8800L", manufacturer="Verizon", category_id=hot.id)
    ipads = catalog.create_category("iPads", "tablet")
    ipad = catalog.create_model("iPad 10th gen", manufacturer="Apple", category_id=ipads.id)
    maya = people.create(first_name="Maya", last_name="Chen", id_number="1234567890",
                         kind="student", grade="7", site_id=d["site"].id)
    ben = people.create(first_name="Ben", last_name="Adams", id_number="S77", kind="student",
                        grade="K", site_id=d["other"].id)
    gone = people.create(first_name="Gone", last_name="Away", id_number="S99", kind="student",
                         site_id=d["site"].id)
    people.deactivate(gone.id)  # left the district: not reported
    cb = asset(d, tag="CB-1", serial="5CD-1")
    hs = asset(d, tag="HS-1", model_id=jetpack.id, serial="JP-1")
    tab = asset(d, tag="IP-1", model_id=ipad.id, serial="DMP-1")
    assets.check_out(cb.id, person_id=maya.id)
    assets.check_out(hs.id, person_id=maya.id)
    assets.check_out(tab.id, person_id=d["student"].id)  # Luis Garcia, no site
    return maya, ben, gone


def test_records_from_the_loans(db):
    d = district()
    _students(d)
    names, rows = calpads.records()
    by_id = {r[names.index("Local Student ID")]: dict(zip(names, r)) for r in rows}
    assert set(by_id) >= {"1234567890", "S77", "S2000001"} and "S99" not in by_id
    maya = by_id["1234567890"]
    assert (maya["SSID"], maya["School of Attendance"], maya["Grade Level Code"]) == \
        ("1234567890", "RHS", "7")
    assert (maya["District Device Assigned"], maya["Primary Learning Device Type"],
            maya["Primary Learning Device Provider"], maya["Hotspot Provided"],
            maya["Internet Access Type"]) == ("Y", "Chromebook", "School", "Y", "Hot Spot")
    ben = by_id["S77"]
    assert ben["SSID"] == "" and ben["District Device Assigned"] == "N"
    assert (ben["Primary Learning Device Type"], ben["Hotspot Provided"]) == ("", "N")
    assert by_id["S2000001"]["Primary Learning Device Type"] == "Tablet"
    _, lincoln = calpads.records(site="LMS")
    assert [r[names.index("Local Student ID")] for r in lincoln] == ["S77"]


def test_caret_file_and_csv(db, tmp_path):
    d = district()
    _students(d)
    people.create(first_name="Ann^Marie", last_name="O'Neil\nX", id_number="S5",
                  kind="student")
    n = calpads.write(tmp_path / "c.txt")
    text = (tmp_path / "c.txt").read_bytes().decode("utf-8")
    lines = text.split("\r\n")[:-1]
    assert len(lines) == n and text.endswith("\r\n")
    assert all(ln.count("^") == len(calpads.layout()["columns"]) - 1 for ln in lines)
    assert not lines[0].startswith("Reporting LEA")  # CALPADS files have no header row
    maya = next(ln.split("^") for ln in lines if "1234567890" in ln)
    assert maya[2:8] == ["1234567890", "1234567890", "Maya", "Chen", "7", "Y"]
    assert any("Ann Marie" in ln for ln in lines)  # a caret in a value never splits it
    calpads.write(tmp_path / "c.csv")
    with (tmp_path / "c.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n and rows[0].keys() >= {"SSID", "Primary Learning Device Type"}
    with pytest.raises(ValidationError, match=".txt"):
        calpads.write(tmp_path / "c.xlsx")


def test_layout_saved_in_settings_and_checked(db):
    d = district()
    _students(d)
    lay = calpads.default_layout()
    lay["columns"] = [{"name": "Record Type Code", "source": "constant", "value": "SDEV"},
                      {"name": "SSID", "source": "ssid"},
                      {"name": "Device", "source": "device_type",
                       "map": {"chromebook": "CB", "none": "NONE", "tablet": "TAB"}}]
    lay["delimiter"] = "|"
    calpads.save_layout(json.dumps(lay))
    assert json.loads(settings.get("calpads_layout"))["delimiter"] == "|"
    names, rows = calpads.records()
    assert names == ["Record Type Code", "SSID", "Device"]
    assert ["SDEV", "1234567890", "CB"] in rows and ["SDEV", "", "NONE"] in rows
    for bad, msg in (("{", "not JSON"), ('{"columns": []}', "list of columns"),
                     ('{"columns": [{"name": "X", "source": "shoe_size"}]}', "shoe_size"),
                     ('{"delimiter": "^^", "columns": [{"name": "X", "source": "ssid"}]}',
                      "one character")):
        with pytest.raises(ValidationError, match=msg):
            calpads.save_layout(bad)
    assert calpads.layout()["delimiter"] == "|"  # a refused layout changed nothing
    calpads.save_layout(None)
    assert calpads.layout()["columns"][0]["name"] == "Reporting LEA"


def test_cli(db, tmp_path, capsys):
    from app.store.db import close_database, current_target
    d = district()
    _students(d)
    url = current_target()
    close_database()
    out = tmp_path / "devices.txt"
    assert main(["--db", url, "export", "calpads", "--site", "RHS", "-o", str(out)]) == 0
    assert "student record" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].split("^")[3] == "1234567890"
    assert main(["--db", url, "export", "calpads", "--show-layout"]) == 0
    shown = json.loads(capsys.readouterr().out)
    shown["columns"] = shown["columns"][2:4]
    (tmp_path / "l.json").write_text(json.dumps(shown), encoding="utf-8")
    assert main(["--db", url, "export", "calpads", "--save-layout", str(tmp_path / "l.json"),
                 "-o", str(out)]) == 0
    capsys.readouterr()
    assert out.read_text(encoding="utf-8").splitlines()[0].count("^") == 1
    (tmp_path / "bad.json").write_text('{"columns": 3}', encoding="utf-8")
    code = main(["--db", url, "export", "calpads", "--save-layout", str(tmp_path / "bad.json")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error:") and "columns" in err
    code = main(["--db", url, "export", "--site", "RHS", "--kind", "assets", "-o",
                 str(tmp_path / "a.csv")])
    assert code == 1 and "--site is for `export calpads`" in capsys.readouterr().err
    assert main(["--db", url, "export", "--kind", "assets", "-o", str(tmp_path / "a.csv")]) == 0

