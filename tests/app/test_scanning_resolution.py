"""Tag normalization and scanned-string resolution, as properties."""
from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from app import scanning
from app.services import tags

tag_text = st.text(alphabet=string.ascii_letters + string.digits + "-_/. ", min_size=1, max_size=30)
space = st.text(alphabet=" \t\r\n", max_size=3)


@given(tag_text)
def test_normalize_is_idempotent(t):
    assert tags.normalize_tag(tags.normalize_tag(t)) == tags.normalize_tag(t)


@given(tag_text, space, space)
def test_normalize_ignores_case_and_surrounding_space(t, pre, post):
    assert tags.normalize_tag(pre + t.lower() + post) == tags.normalize_tag(t.upper())


@given(st.text(max_size=40))
def test_clean_scan_drops_control_characters(t):
    out = scanning.clean_scan(t)
    assert not any(ord(c) < 32 or ord(c) == 127 for c in out)
    assert out == out.strip()


@given(st.sampled_from(["S", "SN:", "SN ", "S/N:", "(21)", "sn#"]),
       st.text(alphabet=string.ascii_uppercase + string.digits, min_size=6, max_size=14))
def test_serial_prefixes_are_stripped(prefix, serial):
    if prefix == "S" and not serial[0].isdigit():
        serial = "5" + serial
    assert scanning.strip_serial_prefix(prefix + serial) == serial


@given(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=4, max_size=10),
       st.sampled_from(["", "*", "]C1"]), st.sampled_from(["", "#", "\r"]))
def test_affixes(code, prefix, suffix):
    assert scanning.strip_affixes(prefix + code + suffix, prefix, suffix) == code


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=3, max_size=12),
                min_size=1, max_size=5, unique_by=lambda s: s.upper()),
       st.data())
def test_any_tag_resolves_to_its_asset_whatever_the_case(sqlite_db, tag_list, data):
    from app.models import Asset
    from app.services import assets
    Asset.delete().execute()
    ids = {}
    for t in tag_list:
        if assets.lookup_tag(t) is None:
            ids[t] = assets.create(tag=t).id
    t = data.draw(st.sampled_from(sorted(ids)))
    variant = data.draw(st.sampled_from([t.lower(), f"  {t} ", t + "\r\n", t.upper()]))
    res = scanning.resolve(variant)
    assert (res.kind, res.id, res.matched_by) == ("asset", ids[t], "tag")


def test_resolution_order(sqlite_db):
    from app.services import assets, catalog, people, stock
    site = catalog.create_site("A")
    room = catalog.create_location(site.id, "R")
    a = assets.create(tag="T-1", serial="SER123456")
    s = stock.create(name="Toner", barcode="0001112223334")
    p = people.create(first_name="A", last_name="B", id_number="S99")
    assert scanning.resolve("t-1").kind == "asset"
    assert scanning.resolve(room.barcode).kind == "location"
    assert scanning.resolve("0001112223334").id == s.id
    res = scanning.resolve("SN:ser123456")
    assert (res.kind, res.id, res.matched_by) == ("asset", a.id, "serial")
    assert scanning.resolve("s99").id == p.id
    assert not scanning.resolve("nothing-here").found
    assert not scanning.resolve("   ").found
