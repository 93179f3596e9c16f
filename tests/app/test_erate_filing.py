"""E-Rate filing numbers: the site's BEN, the supplier's SPIN, the asset's
Form 471 number and FRN line item — validated in one place, kept by the
editor's services, imported and exported."""
from __future__ import annotations

import csv

import pytest

from app import exporting, importing
from app.models import Asset, Site, Supplier
from app.services import assets, catalog
from app.services.errors import ValidationError
from app.services.fields import check_ben, check_form471, check_frn_line, check_spin
from tests.app.factories import asset, district


def test_number_rules():
    assert check_ben(" 125548 ") == "125548" and check_ben(125548.0) == "125548"
    assert check_spin("143-012-345") == "143012345"
    assert check_form471("251000123") == "251000123" and check_form471("1012345") == "1012345"
    assert check_frn_line("2599012345.1") == "2599012345.001"
    assert check_frn_line("3", "2599012345") == "2599012345.003"
    assert check_frn_line(None) is None
    for bad, rule, msg in (("12AB", check_ben, "BEN"), ("14301234", check_spin, "9 digits"),
                           ("25100012", check_form471, "Form 471"),
                           ("2599012345", check_frn_line, "line number"),
                           ("2599012345.000", check_frn_line, "line number"),
                           ("259901234.001", check_frn_line, "line number")):
        with pytest.raises(ValidationError, match=msg):
            rule(bad)
    with pytest.raises(ValidationError, match="belongs to FRN 2599012345"):
        check_frn_line("2599012345.001", "2599099999")


def test_asset_filing_fields_saved_and_checked(db):
    d = district()
    a = asset(d, tag="E-1", erate_frn="2599012345", erate_funding_year=2025,
              erate_form471="251000123", erate_frn_line="2")
    a = Asset.get_by_id(a.id)
    assert (a.funding_type, a.erate_form471, a.erate_frn_line) == \
        ("erate", "251000123", "2599012345.002")
    # A line item alone names its FRN.
    b = asset(d, tag="E-2", erate_frn_line="2599054321.001")
    assert Asset.get_by_id(b.id).erate_frn == "2599054321"
    with pytest.raises(ValidationError) as err:
        assets.update(a.id, {"erate_frn_line": "2599099999.001"})
    assert err.value.errors["erate_frn_line"].startswith("FRN line item 2599099999.001 belongs")
    with pytest.raises(ValidationError) as err:
        assets.update(a.id, {"erate_frn": "2599099999"})  # the old line item no longer fits
    assert "change the line item with the FRN" in str(err.value)
    with pytest.raises(ValidationError, match="funded by E-Rate"):
        assets.create({"tag": "E-3", "funding_type": "general", "erate_form471": "251000123"})
    with pytest.raises(ValidationError, match="Form 471"):
        assets.update(a.id, {"erate_form471": "12"})
    assert assets.details(a.id)["erate_frn_line"] == "2599012345.002"


def test_site_ben_and_supplier_spin(db):
    site = catalog.create_site("Lincoln High", ben="125548")
    sup = catalog.create_supplier("Vector Networks", spin="143012345")
    assert (Site.get_by_id(site.id).ben, Supplier.get_by_id(sup.id).spin) == \
        ("125548", "143012345")
    catalog.set_site_ben(site.id, "16012345")
    catalog.set_supplier_spin(sup.id, "")
    assert (Site.get_by_id(site.id).ben, Supplier.get_by_id(sup.id).spin) == ("16012345", None)
    with pytest.raises(ValidationError, match="BEN"):
        catalog.set_site_ben(site.id, "BEN-12")
    with pytest.raises(ValidationError, match="SPIN"):
        catalog.create_supplier("Other", spin="12")
    assert not Supplier.select().where(Supplier.name == "Other").exists()
    from app.services import history
    assert [h["new"] for h in history.for_entity("site", site.id) if h["field"] == "ben"] == \
        ["16012345"]


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_import_reads_filing_columns_and_sets_ben_and_spin(db, tmp_path):
    path = _write(tmp_path / "erate.csv", [
        ["Asset Tag", "Name", "Site", "Supplier", "Funding", "FRN", "Funding Year", "Form 471",
         "FRN Line Item", "BEN", "SPIN"],
        ["AP-1", "Access point", "Lincoln High", "Vector Networks", "E-Rate", "2599012345",
         "2025", "251000123", "2599012345.001", "125548", "143012345"],
        ["AP-2", "Access point", "Lincoln High", "Vector Networks", "E-Rate", "", "2025",
         "251000123", "2599012345.1", "125548", "143012345"],
    ])
    done = importing.commit(path, kind="assets")
    assert done.created == 2
    a2 = Asset.get(Asset.tag == "AP-2")
    assert (a2.erate_frn, a2.erate_frn_line, a2.erate_form471) == \
        ("2599012345", "2599012345.001", "251000123")
    assert a2.site.ben == "125548" and a2.supplier.spin == "143012345"
    # A second BEN for the same site, a bad line item: named, nothing written.
    bad = _write(tmp_path / "bad.csv", [
        ["Asset Tag", "Site", "FRN", "FRN Line Item", "BEN"],
        ["AP-3", "Lincoln High", "2599012345", "2599099999.001", ""],
        ["AP-4", "Lincoln High", "", "", "999"],
    ])
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(bad, kind="assets")
    problems = {(p.row, p.column): p.reason for p in err.value.preview.problems}
    assert "belongs to FRN 2599099999" in problems[(2, "FRN Line Item")]
    assert problems[(3, "BEN")] == "Lincoln High has the BEN 125548, not 999"
    assert not Asset.select().where(Asset.tag.in_(["AP-3", "AP-4"])).exists()


def test_export_round_trip_keeps_filing_numbers(db, tmp_path):
    d = district()
    catalog.set_site_ben(d["site"].id, "125548")
    sup = catalog.create_supplier("Vector Networks", spin="143012345")
    asset(d, tag="AP-9", supplier_id=sup.id, erate_frn="2599012345", erate_form471="251000123",
          erate_frn_line="7", erate_funding_year=2025)
    out = tmp_path / "a.xlsx"
    exporting.export("assets", out)
    from openpyxl import load_workbook
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    got = dict(zip(rows[0], rows[1]))
    assert (got["Form 471"], got["FRN Line Item"], got["BEN"], got["SPIN"]) == \
        ("251000123", "2599012345.007", "125548", "143012345")
    # Read back into a fresh register: the same numbers, the site's BEN with them.
    Asset.delete().execute()
    Site.update(ben=None).execute()
    importing.commit(out, kind="assets")
    a = Asset.get(Asset.tag == "AP-9")
    assert (a.erate_frn_line, a.erate_form471, a.site.ben) == \
        ("2599012345.007", "251000123", "125548")
