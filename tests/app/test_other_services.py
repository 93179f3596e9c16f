"""People, catalog, repairs, licenses and stock at the foundation level."""
from __future__ import annotations

import pytest

from app.models import Asset, Seat, StockMove, Supply
from app.services import assets, catalog, licenses, people, repairs, settings, stock
from app.services.errors import Conflict, ValidationError
from tests.app.factories import asset, district


def test_people_validation_and_search_refresh(db):
    d = district()
    with pytest.raises(ValidationError, match="belongs to someone else"):
        people.create(first_name="X", last_name="Y", id_number="e100")
    with pytest.raises(ValidationError, match="email"):
        people.create(first_name="X", last_name="Y", email="not-an-email")
    a = asset(d)
    assets.check_out(a.id, person_id=d["staff"].id)
    people.update(d["staff"].id, {"last_name": "Okafor"})
    from app.store import search
    hits = Asset.select().where(search.match_expression(Asset.id, Asset.search_text, "okafor"))
    assert [x.id for x in hits] == [a.id]
    with pytest.raises(Conflict, match="still has"):
        people.deactivate(d["staff"].id)


def test_repair_cycle_restores_status(db):
    d = district()
    a = asset(d)
    vendor = catalog.create_supplier("Vector Repair Depot")
    r = repairs.open_repair(a.id, "Cracked screen", vendor_id=vendor.id, ticket="RMA1")
    assert assets.get(a.id).status == "in_repair"
    with pytest.raises(Conflict, match="already has an open repair"):
        repairs.open_repair(a.id, "again")
    repairs.close_repair(r.id, cost="89.00", resolution="screen replaced")
    assert assets.get(a.id).status == "ready"
    rates = repairs.failure_rates()
    assert rates[0]["repairs"] == 1 and rates[0]["per_100"] == 100.0


def test_license_over_allocation_refused_unless_allowed(db):
    d = district()
    a, b = asset(d), asset(d)
    lic = licenses.create(product="Adobe CC", seats=1)
    licenses.assign(lic.id, asset_id=a.id)
    with pytest.raises(Conflict, match="all are in use"):
        licenses.assign(lic.id, asset_id=b.id)
    assert Seat.select().count() == 1
    loose = licenses.create(product="SketchUp", seats=1, allow_over=True)
    licenses.assign(loose.id, asset_id=a.id)
    licenses.assign(loose.id, asset_id=b.id)
    problems = {r["product"]: r["problems"] for r in licenses.compliance()}
    assert problems["SketchUp"] == ["over-allocated by 1"]
    site = licenses.create(product="M365", site_license=True)
    licenses.assign(site.id, asset_id=a.id)
    licenses.release(lic.id, asset_id=a.id)
    assert licenses.seats_used(lic.id) == 0


def test_stock_never_negative_and_cache_matches(db):
    d = district()
    item = stock.create(name="HP 58A", barcode="0123456789012", reorder_point=2, target=6)
    stock.receive(item.id, 5, unit_cost="109.99", order_number="PO-1")
    stock.issue(item.id, 2, location_id=d["r1"].id)
    before = list(StockMove.select().tuples())
    with pytest.raises(Conflict, match="Only 3"):
        stock.issue(item.id, 4, person_id=d["staff"].id)
    assert list(StockMove.select().tuples()) == before
    stock.count(item.id, 1, reason="damaged box")
    stock.adjust(item.id, 1, reason="found one")
    total = sum(m.qty for m in StockMove.select())
    assert Supply.get_by_id(item.id).on_hand == total == 2
    from app.check import run_checks
    assert run_checks() == []


def test_settings_validation(db):
    with pytest.raises(ValidationError):
        settings.update({"fiscal_year_start_month": 13})
    settings.update({"capitalization_threshold": "$5,000"} if False else {"capitalization_threshold": "7500"})
    assert str(settings.money("capitalization_threshold")) == "7500.00"
    assert settings.get("fiscal_year_start_month") == 7


def test_location_codes_resolve(db):
    from app import scanning
    d = district()
    res = scanning.resolve(d["r1"].barcode.lower())
    assert (res.kind, res.id) == ("location", d["r1"].id)
    assert catalog.find_location("Riverside High School / room 12").id == d["r1"].id


def test_drop_down_choices_come_from_the_catalog(db):
    """The lists the GUI's site/room/maker/category drop-downs show."""
    north = catalog.create_site("North Elementary", code="NE")
    south = catalog.create_site("Annex")
    catalog.create_location(north.id, "Room 2")
    r1 = catalog.create_location(north.id, "Library")
    catalog.ensure_manufacturer("Zebra")
    catalog.ensure_manufacturer("Dell")
    catalog.ensure_category("Laptop")
    choices = catalog.site_choices()
    assert [name for _, name in choices] == ["Annex", "North Elementary"]
    assert dict(choices)[north.id] == "North Elementary"
    assert catalog.site_labels() == [("Annex", "Annex"), ("North Elementary", "North Elementary (NE)")]
    assert [name for _, name in catalog.room_choices(north.id)] == ["Library", "Room 2"]
    assert catalog.room_choices(north.id)[0][0] == r1.id
    assert catalog.room_choices(south.id) == [] and catalog.room_choices(None) == []
    assert (r1.id, "North Elementary / Library") in catalog.all_room_choices()
    assert catalog.maker_names() == ["Dell", "Zebra"]
    assert "Laptop" in catalog.category_names()
    assert [n for _, n in catalog.category_choices()] == catalog.category_names()
