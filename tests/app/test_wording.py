"""How values read to people: one plural, one status label, field labels,
timestamps and the file names save dialogs suggest (app/wording.py); and the
Stocktake service's totals and Apply dry run that the page shows."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app import wording
from app.models.common import ASSET_STATUSES, REPAIR_STATUSES


def test_plural():
    assert wording.plural(1, "asset") == "1 asset"
    assert wording.plural(0, "asset") == "0 assets"
    assert wording.plural(1200, "box", "boxes") == "1,200 boxes"
    # The reports and the dialogs use this one.
    from app.reporting import _ops
    from app.reporting._ops import plural as report_plural
    assert report_plural is wording.plural and _ops.plural(1, "seat") == "1 seat"


@given(st.integers(min_value=0, max_value=10**7))
def test_plural_is_singular_only_for_one(n):
    text = wording.plural(n, "tag")
    assert text.endswith(" tag") == (n == 1) and text.replace(",", "").startswith(str(n))


def test_counts_of_a_kind_of_record():
    assert wording.count(1, "assets") == "1 asset" and wording.count(2, "assets") == "2 assets"
    assert wording.count(1, "people") == "1 person" and wording.count(5, "people") == "5 people"
    assert wording.count(1, "supplies") == "1 supply"


def test_status_labels_read_the_same_everywhere():
    for key, label in ASSET_STATUSES.items():
        assert wording.status_label(key) == label
        assert wording.status_label(label) == label  # already a label: unchanged
    assert wording.status_label("deployed") == "Deployed"
    assert wording.status_label("in_repair") == "In repair"
    assert wording.status_label("waiting_parts", "repair") == REPAIR_STATUSES["waiting_parts"]
    assert wording.status_label("closed") == "Closed" and wording.status_label("applied") == "Applied"
    assert wording.status_label("some_new_state") == "Some new state"
    assert wording.status_label(None) == ""


def test_field_labels_and_history_values():
    assert wording.field_label("warranty_end") == "Warranty end"
    assert wording.field_label("erate_frn") == "E-Rate FRN"
    assert wording.field_label("location") == "Room"
    assert wording.history_value("status", "deployed") == "Deployed"
    assert wording.history_value("serial", "ABC") == "ABC" and wording.history_value("x", None) == ""
    assert wording.action_label("check_out") == "Checked out"


def test_whole_local_timestamps():
    at = dt.datetime(2026, 12, 6, 9, 30, 15)  # stored: naive UTC
    local = at.replace(tzinfo=dt.UTC).astimezone()
    assert wording.timestamp(at) == local.strftime("%Y-%m-%d %H:%M:%S")
    assert wording.timestamp("2026-12-06 09:30:15.123456") == wording.timestamp(at)
    assert wording.timestamp(at, utc=False) == "2026-12-06 09:30:15"
    assert wording.timestamp(None) == ""


def test_file_names_say_what_and_when():
    day = dt.date(2026, 12, 6)
    assert wording.file_name("loan agreement", "S2000324", ext="pdf", day=day) == \
        "loan-agreement-S2000324-2026-12-06.pdf"
    assert wording.file_name("assets", ext="csv", day=day) == "assets-2026-12-06.csv"
    assert wording.file_name("stocktake", "Year end / Riverside", ext=".pdf", day=day) == \
        "stocktake-Year-end-Riverside-2026-12-06.pdf"
    assert wording.file_name("inventory", None, "", ext="sqlite.gz", day=day) == \
        "inventory-2026-12-06.sqlite.gz"


def test_stocktake_totals_and_the_apply_dry_run(db):
    from app.models import Asset
    from app.services import assets, stocktake
    from tests.app.factories import asset, district
    d = district()
    here, lent, lost = asset(d), asset(d), asset(d)
    lib = asset(d, location_id=d["r2"].id)
    assets.check_out(lent.id, person_id=d["staff"].id)
    s = stocktake.start("RHS")
    assert stocktake.totals(s.id)["found"] == 0
    stocktake.record_scan(s.id, d["r1"].barcode)
    stocktake.record_scan(s.id, here.tag)
    stocktake.record_scan(s.id, lib.tag)
    stocktake.record_scan(s.id, "NOPE-1")
    t = stocktake.totals(s.id)
    full = stocktake.status(s.id)
    assert (t["expected"], t["found"], t["counts"]) == (full["expected"], full["found"], full["counts"])
    assert t["found"] == 2 and t["counts"]["misplaced"] == 1 and t["counts"]["unknown"] == 1
    stocktake.close(s.id)
    actions = ["move-misplaced", "mark-missing", "create-unknown"]
    before = list(Asset.select(Asset.id, Asset.status, Asset.location, Asset.last_audit_date)
                  .order_by(Asset.id).tuples())
    plan = stocktake.preview_apply(s.id, actions)
    after = list(Asset.select(Asset.id, Asset.status, Asset.location, Asset.last_audit_date)
                 .order_by(Asset.id).tuples())
    assert after == before and stocktake.get(s.id).status == "closed"  # nothing written
    assert not assets.lookup_tag("NOPE-1")
    result = stocktake.apply(s.id, actions)
    assert plan.summary() == result.summary()
    # The lent asset is on loan, accounted for: not marked missing, and no problem to report.
    assert (result.moved, result.marked_missing, result.created, len(result.problems)) == (1, 1, 1, 0)
    assert assets.get(lost.id).status == "missing" and assets.get(lent.id).status != "missing"
