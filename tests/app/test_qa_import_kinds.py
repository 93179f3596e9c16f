"""Import cases from trying the import as a district would, with sheets the
tests had not seen: odd header spellings, a mapping file that names only the
odd columns, totals rows, files where nothing matches, re-assignment on
update, Google Admin's sign-in addresses, supply vendors, seats for
"Last, First" names and more seats than a license has, building addresses
on room rows, and cells cut to length."""
from __future__ import annotations

import json

import pytest

from app import exporting, importing
from app.cli import main
from app.importing import mapping as maps
from app.models import Asset, HistoryEntry, License, Loan, Person, Site, Supply, Supplier
from app.services import people
from app.services.errors import ValidationError
from tests.app.test_import import _write

ODD = ["Asset #", "S/N", "Bldg", "Rm", "Assigned User", "PO Date", "Price", "Warranty Exp.",
       "E-Rate FRN", "Funding Yr", "Item #", "Model #"]


def test_odd_header_spellings_are_recognized():
    got = {ODD[i]: f for i, f in maps.suggest("assets", ODD).items()}
    assert got == {"Asset #": "tag", "S/N": "serial", "Bldg": "site", "Rm": "room",
                   "Assigned User": "holder_name", "PO Date": "purchase_date", "Price": "cost",
                   "Warranty Exp.": "warranty_end", "E-Rate FRN": "erate_frn",
                   "Funding Yr": "erate_funding_year", "Model #": "model_number"}
    # "Item #" is a number, not the name; "Employee #" an ID, not a name.
    assert maps.suggest("assets", ["Item #", "Employee #"]) == {1: "holder_id"}
    assert maps.guess_kind(["Model", "Manufacturer", "Category", "Model Number", "EOL"]) == "models"
    assert maps.guess_kind(["Asset #", "Model", "Room"]) == "assets"


def test_cli_mapping_names_only_the_columns_it_changes(tmp_path, capsys):
    path = _write(tmp_path / "odd.csv", [["Tag Nbr", "S/N", "Where", "Price", "E-Rate FRN", "Junk"],
                                         ["OH-1", "SN-1", "Lincoln High", "$1,299.00", "2599012345", "x"]])
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Tag Nbr": "tag", "Where": "site", "Junk": None}))
    db = str(tmp_path / "m.sqlite")
    assert main(["--db", db, "import", str(path), "--mapping", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert "S/N → serial" in out and "Price → cost" in out and "Junk → ignore" in out
    a = Asset.get(Asset.tag == "OH-1")
    assert (a.serial, str(a.cost), a.erate_frn, a.funding_type, a.site.name, a.custom) == \
        ("SN-1", "1299.00", "2599012345", "erate", "Lincoln High", None)


def test_a_totals_row_is_left_out_with_a_note(db, tmp_path):
    rows = [["Asset Tag", "Name", "Cost"], ["T-1", "Laptop", "800"], ["T-2", "Laptop", "1000"],
            ["", "", ""], ["Total", "", "1800"], ["GRAND TOTAL: 2", "", ""]]
    done = importing.commit(_write(tmp_path / "t.csv", rows))
    assert (done.created, done.rows, done.problems) == (2, 2, [])
    assert [str(w) for w in done.warnings] == [
        "row 5: “Total” reads as a totals row, not a record; it is left out",
        "row 6: “GRAND TOTAL: 2” reads as a totals row, not a record; it is left out"]
    assert sorted(t for (t,) in Asset.select(Asset.tag).tuples()) == ["T-1", "T-2"]
    # A real record whose name starts with the word stays a record.
    done = importing.commit(_write(tmp_path / "u.csv", [["Asset Tag", "Name", "Cost", "Room"],
                                                        ["T-3", "Total Station", "5000", "Lab"]]))
    assert done.created == 1


def test_a_file_where_no_column_matches_is_refused(db, tmp_path):
    path = _write(tmp_path / "junk.csv", [["Inventory as of June 1", "2024"], ["a", "b"]])
    with pytest.raises(ValidationError, match="None of the columns of junk.csv could be matched "
                                              "to an asset field"):
        importing.preview(path, kind="assets")
    assert Asset.select().count() == 0


def test_no_tag_column_says_tags_will_be_made(db, tmp_path):
    p = importing.preview(_write(tmp_path / "n.csv", [["Serial", "Model"], ["SN1", "Latitude"]]))
    assert [w.reason for w in p.warnings if w.row == 0] == [
        "no column gives the asset tag: each new asset gets the next free tag (map the tag "
        "column if the file has one)"]


def test_update_moves_the_asset_to_the_holder_the_file_names(db, tmp_path):
    a = people.create(first_name="Ann", last_name="Lee", id_number="E100")
    b = people.create(first_name="Bo", last_name="Ng", id_number="E200")
    importing.commit(_write(tmp_path / "v1.csv", [["Asset Tag", "Room", "Site", "Employee ID"],
                                                  ["UP-1", "101", "HS", "E100"],
                                                  ["UP-2", "102", "HS", "E100"]]))
    done = importing.commit(_write(tmp_path / "v2.csv", [["Asset Tag", "Room", "Site", "Employee ID"],
                                                         ["UP-1", "201", "HS", "E200"],
                                                         ["UP-2", "102", "HS", ""]]), update=True)
    assert done.problems == []
    up1, up2 = Asset.get(Asset.tag == "UP-1"), Asset.get(Asset.tag == "UP-2")
    assert (up1.assigned_person_id, up1.location.name, up1.status) == (b.id, "201", "deployed")
    assert up2.assigned_person_id == a.id  # an empty cell changes nothing
    loans = list(Loan.select().where(Loan.asset == up1.id).order_by(Loan.id))
    assert [(ln.person_id, ln.returned_at is None) for ln in loans] == [(a.id, False), (b.id, True)]
    moves = HistoryEntry.select().where((HistoryEntry.entity_id == up1.id)
                                        & HistoryEntry.action.in_(["check_in", "check_out"]))
    assert {e.action for e in moves} == {"check_in", "check_out"}


def test_update_refuses_a_holder_for_a_retired_asset(db, tmp_path):
    people.create(first_name="Bo", last_name="Ng", id_number="E200")
    importing.commit(_write(tmp_path / "v1.csv", [["Asset Tag", "Status"], ["R-1", "retired"]]))
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(_write(tmp_path / "v2.csv", [["Asset Tag", "Employee ID", "Notes"],
                                                      ["R-1", "E200", "changed"]]), update=True)
    assert "retired" in str(err.value.preview.problems[0])
    a = Asset.get(Asset.tag == "R-1")
    assert (a.assigned_person_id, a.notes, a.status) == (None, None, "retired")  # the row whole, or not


def test_google_admin_sign_in_addresses_are_emails(db, tmp_path):
    rows = [["Serial Number", "Asset ID", "Model", "User", "Status"],
            ["5CD1", "CB-1", "Chromebook 3110", "maria.garcia@district.org", "ACTIVE"],
            ["5CD2", "CB-2", "Chromebook 3110", "jdoe@district.org", "ACTIVE"],
            ["5CD3", "CB-3", "Chromebook 3110", "maria.garcia@district.org", "ACTIVE"],
            ["5CD4", "CB-4", "Chromebook 3110", "", "DEPROVISIONED"]]
    importing.commit(_write(tmp_path / "g.csv", rows))
    got = sorted((p.first_name, p.last_name, p.email) for p in Person.select())
    assert got == [("", "jdoe", "jdoe@district.org"), ("Maria", "Garcia", "maria.garcia@district.org")]
    assert Asset.get(Asset.tag == "CB-3").assigned_person.email == "maria.garcia@district.org"
    assert Asset.get(Asset.tag == "CB-4").status == "retired"


def test_supplies_keep_their_vendor(db, tmp_path):
    rows = [["Item", "Part Number", "Qty", "Vendor"], ["HP 58A Toner", "CF258A", "12", "CDW-G"],
            ["Paper", "", "3", ""]]
    p = importing.preview(_write(tmp_path / "s.csv", rows), kind="supplies")
    assert p.new_entries["suppliers"] == {"CDW-G"}
    importing.commit(tmp_path / "s.csv", kind="supplies")
    toner = Supply.get(Supply.name == "HP 58A Toner")
    assert toner.supplier.name == "CDW-G" and toner.on_hand == 12
    assert Supply.get(Supply.name == "Paper").supplier_id is None
    assert Supplier.select().count() == 1


def test_license_seats_for_last_first_names_and_no_more_than_owned(db, tmp_path):
    people.create(first_name="John", last_name="Smith")
    rows = [["Name", "Seats", "Full Name"], ["Adobe CC", "3", "García, María"],
            ["Adobe CC", "3", "Smith, John"]]
    importing.commit(_write(tmp_path / "l.csv", rows), kind="licenses")
    assert sorted((p.first_name, p.last_name) for p in Person.select()) == [("John", "Smith"),
                                                                          ("María", "García")]
    over = _write(tmp_path / "o.csv", [["Name", "Seats", "Full Name"], ["SMART", "1", "Pat Jones"],
                                       ["SMART", "1", "Kim Park"]])
    p = importing.preview(over, kind="licenses")
    assert [(x.row, x.column) for x in p.problems] == [(3, "Full Name")]
    assert "no seat left" in p.problems[0].reason
    with pytest.raises(importing.ImportRefused):
        importing.commit(over, kind="licenses")
    assert License.select().where(License.product == "SMART").count() == 0
    # An existing license's own seats count too.
    more = _write(tmp_path / "m.csv", [["Name", "Seats", "Full Name"], ["Adobe CC", "3", "Kim Park"],
                                       ["Adobe CC", "3", "Pat Jones"]])
    p = importing.preview(more, kind="licenses", update=True)
    assert [x.row for x in p.problems] == [3]


def test_room_rows_give_their_building_its_address(db, tmp_path):
    rows = [["Building", "Room", "Address", "City", "State", "Zip"],
            ["Lincoln High", "214", "100 Main St", "Springfield", "CA", "95000"],
            ["Lincoln High", "Library", "100 Main St", "Springfield", "CA", "95000"]]
    importing.commit(_write(tmp_path / "loc.csv", rows), kind="locations")
    assert Site.get(Site.name == "Lincoln High").address == "100 Main St, Springfield, CA, 95000"
    Site.create(name="Adams")  # an existing site without an address gets it; one with keeps it
    importing.commit(_write(tmp_path / "loc2.csv", [["Building", "Room", "Address"],
                                                   ["Adams", "1", "9 Elm"],
                                                   ["Lincoln High", "Gym", "elsewhere"]]),
                     kind="locations")
    assert Site.get(Site.name == "Adams").address == "9 Elm"
    assert Site.get(Site.name == "Lincoln High").address == "100 Main St, Springfield, CA, 95000"


def test_a_cell_cut_to_length_gets_a_note(db, tmp_path):
    p = importing.preview(_write(tmp_path / "c.csv", [["Asset Tag", "Name", "Serial"],
                                                      ["C-1", "x" * 10_000, "S" * 150]]))
    notes = [(w.row, w.column, w.reason) for w in p.warnings if w.row]
    assert (2, "Name", "the cell holds 10,000 characters; the first 255 are kept") in notes
    assert (2, "Serial", "the cell holds 150 characters; the first 100 are kept") in notes


def test_update_with_our_own_export_changes_nothing(db, tmp_path):
    rows = [["Asset Tag", "Name", "RAM (GB)", "Room", "Site"], ["X-1", "Laptop", "32", "1", "HS"]]
    importing.commit(_write(tmp_path / "a.csv", rows))
    Asset.update(custom={"RAM (GB)": 32, "Other": "kept"}).where(Asset.tag == "X-1").execute()
    exporting.export("assets", tmp_path / "out.csv")
    before = HistoryEntry.select().count()
    importing.commit(tmp_path / "out.csv", update=True)
    assert HistoryEntry.select().count() == before + 1  # the import's own entry only
    importing.commit(_write(tmp_path / "b.csv", [["Asset Tag", "RAM (GB)"], ["X-1", "64"]]), update=True)
    assert Asset.get(Asset.tag == "X-1").custom == {"RAM (GB)": "64", "Other": "kept"}


def test_a_people_list_with_short_headers_is_taken_for_people():
    assert maps.guess_kind(["First", "Last", "ID Number", "Email"]) == "people"
    assert maps.guess_kind(["Asset Tag", "Model", "Room"]) == "assets"


def test_device_and_equipment_columns_are_the_name(tmp_path):
    # District sheets head the device's own name "Device" or "Equipment";
    # taken as a custom field, every imported asset had a blank name.
    for header in ("Device", "Equipment", "Item Description", "Asset Description"):
        got = maps.suggest("assets", ["Asset Tag", header, "Device Type"])
        assert got == {0: "tag", 1: "name", 2: "category"}, header
