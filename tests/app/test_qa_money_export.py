"""What QA found in imports and exports: European and ambiguous amounts of
money, formula-like column names in an export's header row, and the holder
of an asset who has no ID number surviving export → import."""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from app import importing
from app.services.errors import ValidationError
from app.services.fields import parse_money
from tests.app.test_import import _write


# --- money ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, amount", [
    ("1.234,50", "1234.50"),          # European: the last mark is the decimal one
    ("1,234.50", "1234.50"),
    ("1.234.567,89", "1234567.89"),
    ("1,234,567.89", "1234567.89"),
    ("1 234,50", "1234.50"),          # space as thousands separator
    ("1\u00a0234,50", "1234.50"),     # no-break space (Excel in French)
    ("1\u202f234,50", "1234.50"),     # narrow no-break space
    ("1'234.50", "1234.50"),          # Swiss apostrophe
    ("1’234.50", "1234.50"),
    ("2,500", "2500.00"),             # US thousands, as US districts write it
    ("$2,500", "2500.00"),
    ("12,50", "12.50"),               # decimal comma
    ("89,9", "89.90"),
    ("1.234.567", "1234567.00"),      # several dot groups: thousands
    ("1,234,567", "1234567.00"),
    ("€ 1.234,50", "1234.50"),
    ("1.234,50 €", "1234.50"),
    ("US$ 12", "12.00"),
    ("12 USD", "12.00"),
    ("12,50 EUR", "12.50"),
    ("eur 3,5", "3.50"),
    ("£7", "7.00"),
    ("1234.567", "1234.57"),          # four digits before the dot: not a thousands group
    ("0,125", "0.12"),                # nor a leading zero
    ("1.30", "1.30"),
])
def test_money_in_every_common_spelling(text, amount):
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize("text, thousand, decimal", [
    ("1.299", "1299", "1.30"), ("2.500", "2500", "2.50"), ("€ 1.299", "1299", "1.30"),
    ("999.999 €", "999999", "1000.00")])
def test_a_dot_before_three_digits_is_refused_not_guessed(text, thousand, decimal):
    with pytest.raises(ValidationError) as err:
        parse_money(text, "cost")
    message = str(err.value)
    assert err.value.field == "cost" and message.startswith("Cost: ")
    assert "could be" in message and thousand in message and decimal in message


@pytest.mark.parametrize("text", ["(12.00)", "12.00-", "-$5", "$-5", "−5", "1.234,50-"])
def test_negative_costs_are_still_refused(text):
    with pytest.raises(ValidationError, match="Cost cannot be negative"):
        parse_money(text, "cost")
    assert parse_money(text, "cost", allow_negative=True) < 0


@pytest.mark.parametrize("text", ["1,2,3", "1.2.3", "1 2 3", "1,234.567.89", "1e5", "NaN", "$", "12..5"])
def test_malformed_money_is_named_not_read(text):
    with pytest.raises(ValidationError, match="is not an amount of money"):
        parse_money(text, "cost")


def test_qa_cp1252_semicolon_file(db, tmp_path):
    """The QA tester's Spanish-locale file: right amounts, and the ambiguous
    "€ 1.299" named by its row and column instead of stored as 1.30."""
    from app.models import Asset
    rows = [["Asset Tag", "Serial", "Name", "Site", "Cost"],
            ["ES-0001", "SN-A1", "Portátil docente", "Escuela Peña", "1.234,50"],
            ["ES-0002", "SN-A2", "Impresora", "Escuela Peña", "89,90"],
            ["ES-0003", "SN-A3", "Tablet", "Escuela Peña", "€ 1.299"],
            ["ES-0004", "SN-A4", "Tablet", "Escuela Peña", "1 234,50"]]
    path = tmp_path / "es.csv"
    with path.open("w", encoding="cp1252", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(path)
    problems = err.value.preview.problems
    assert [(p.row, p.column) for p in problems] == [(4, "Cost")]
    assert "could be 1,299 or 1.30" in problems[0].reason
    assert Asset.select().count() == 0
    done = importing.commit(path, skip_bad=True)
    costs = dict(Asset.select(Asset.tag, Asset.cost).tuples())
    assert costs == {"ES-0001": Decimal("1234.50"), "ES-0002": Decimal("89.90"),
                     "ES-0004": Decimal("1234.50")}
    assert done.created == 3


# --- formula-like column names -------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example","Room")'


def test_custom_field_names_cannot_run_as_formulas(tmp_path):
    """A custom field is a column of the asset export, so its name lands in
    the header row: it is neutralized there as a cell would be, in CSV and
    XLSX alike, while our own column names stay as the importer knows them."""
    from openpyxl import load_workbook

    from app import exporting
    from app.models import Asset
    from app.store.db import close_database, open_database
    from tests.app.factories import asset, district
    open_database(tmp_path / "one.sqlite")
    d = district()
    asset(d, tag="F-1", name="Laptop", custom={EVIL: "x", "+Cart": "A7", "@slot": "3"})
    exporting.export("assets", tmp_path / "1.csv")
    exporting.export("assets", tmp_path / "1.xlsx")
    close_database()
    with (tmp_path / "1.csv").open(encoding="utf-8-sig", newline="") as f:
        csv_head = next(csv.reader(f))
    xlsx_head = list(next(load_workbook(tmp_path / "1.xlsx").active.iter_rows(values_only=True)))
    for head in (csv_head, xlsx_head):
        assert head[:len(exporting.ASSET_HEADERS)] == list(exporting.ASSET_HEADERS)
        assert set(head[len(exporting.ASSET_HEADERS):]) == {"'" + EVIL, "'+Cart", "'@slot"}
        assert not any(h.startswith(("=", "+", "@")) for h in head)
    # Our own export still imports into an empty database, every value in place.
    open_database(tmp_path / "two.sqlite")
    done = importing.commit(tmp_path / "1.csv")
    assert done.created == 1 and not done.problems
    a = Asset.get(Asset.tag == "F-1")
    assert a.name == "Laptop" and a.location.name == "Room 12"
    assert sorted(v for v in a.custom.values()) == ["3", "A7", "x"]
    assert any(name.endswith(EVIL) for name in a.custom)
    close_database()


# --- who holds an asset --------------------------------------------------------------

def test_a_holder_without_an_id_number_survives_export_and_import(tmp_path):
    """The asset import makes people from names alone (no ID number); the
    export names the holder, so importing it into an empty database gives the
    same person the same asset — and the same file again."""
    from app import exporting
    from app.models import Asset, Person
    from app.services import assets
    from app.store.db import close_database, open_database
    from tests.app.factories import asset, district
    open_database(tmp_path / "one.sqlite")
    src = _write(tmp_path / "src.csv", [["Asset Tag", "Name", "Site", "Room", "Assigned To"],
                                        ["N-1", "Laptop", "Lincoln High", "214", "Nguyen, Bao"],
                                        ["N-2", "Tablet", "Lincoln High", "214", "Bao Nguyen"]])
    importing.commit(src)
    bao = Person.get(Person.last_name == "Nguyen")
    assert bao.id_number is None and bao.first_name == "Bao"
    d = district()
    with_id = asset(d, tag="N-3", name="Laptop")
    assets.check_out(with_id.id, person_id=d["staff"].id)  # Ann O'Brien, E100
    cart = asset(d, tag="N-4", name="Cart laptop")
    assets.check_out(cart.id, location_id=d["r2"].id)  # held by a room, not a person
    exporting.export("assets", tmp_path / "1.csv")
    close_database()
    with (tmp_path / "1.csv").open(encoding="utf-8-sig", newline="") as f:
        got = {r["Asset Tag"]: (r["Assigned To"], r["Assigned To ID"]) for r in csv.DictReader(f)}
    assert got == {"N-1": ("Nguyen, Bao", ""), "N-2": ("Nguyen, Bao", ""),
                   "N-3": ("O'Brien, Ann", "E100"), "N-4": ("", "")}
    head = exporting.ASSET_HEADERS
    assert head.index("Assigned To") + 1 == head.index("Assigned To ID")

    open_database(tmp_path / "two.sqlite")
    done = importing.commit(tmp_path / "1.csv")
    assert done.created == 4 and not done.problems
    holders = {tag: (p.last_name, p.first_name, p.id_number) if p else None
               for tag, p in ((a.tag, a.assigned_person) for a in Asset.select())}
    assert holders == {"N-1": ("Nguyen", "Bao", None), "N-2": ("Nguyen", "Bao", None),
                       "N-3": ("O'Brien", "Ann", "E100"), "N-4": None}
    assert Person.select().count() == 2  # one Bao Nguyen holds both, not two
    exporting.export("assets", tmp_path / "2.csv")
    close_database()
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()
