"""Asset services: create, edit, retire, dispose, check out and in — and every
refusal leaves the database unchanged."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import Asset, HistoryEntry, Loan
from app.services import assets, history, tags
from app.services.errors import Conflict, StaleEdit, ValidationError
from tests.app.factories import asset, district


def snapshot():
    """Everything a refusal must not change."""
    return (list(Asset.select().order_by(Asset.id).tuples()),
            list(Loan.select().order_by(Loan.id).tuples()),
            HistoryEntry.select().count())


def test_create_assigns_next_tag_and_site_from_room(db):
    d = district()
    a = asset(d, serial="5CD-12X")
    b = asset(d)
    assert (a.tag, b.tag) == ("QM-000001", "QM-000002")
    assert a.site_id == d["site"].id
    assert a.cost == Decimal("299.00")
    assert a.purchase_date == dt.date(2024, 8, 15)
    assert history.for_entity("asset", a.id)[0]["action"] == "create"


def test_tag_matching_ignores_case_and_whitespace(db):
    d = district()
    a = asset(d, tag="RHS-0001")
    assert assets.lookup_tag("  rhs-0001 \t") == a.id
    before = snapshot()
    with pytest.raises(ValidationError) as err:
        asset(d, tag=" rhs-0001")
    assert err.value.field == "tag"
    assert snapshot() == before


def test_validation_names_every_bad_field(db):
    d = district()
    a = asset(d)
    before = snapshot()
    with pytest.raises(ValidationError) as err:
        assets.update(a.id, {"cost": "-1", "purchase_date": "2/30/2024", "erate_frn": "12AB"})
    assert set(err.value.errors) == {"cost", "purchase_date", "erate_frn"}
    assert snapshot() == before


def test_update_writes_history_with_names_and_ids(db):
    d = district()
    a = asset(d)
    a2 = assets.update(a.id, {"location_id": d["r2"].id, "cost": "310"}, expected_version=a.version)
    assert a2.version == a.version + 1 and a2.location_id == d["r2"].id
    rows = {h["field"]: h for h in history.for_entity("asset", a.id) if h["action"] == "update"}
    assert rows["location"]["old"] == "Room 12" and rows["location"]["new"] == "Library"
    assert rows["cost"]["old"] == "299.00" and rows["cost"]["new"] == "310.00"
    entry = HistoryEntry.get(HistoryEntry.field == "location")
    assert (entry.old_id, entry.new_id) == (d["r1"].id, d["r2"].id)


def test_stale_edit_is_refused_and_shows_both_versions(db):
    d = district()
    a = asset(d)
    assets.update(a.id, {"name": "Cart 3 #1"}, expected_version=a.version)  # someone else
    before = snapshot()
    with pytest.raises(StaleEdit) as err:
        assets.update(a.id, {"name": "Mine"}, expected_version=a.version)
    assert err.value.current["name"] == "Cart 3 #1"
    assert err.value.mine == {"name": "Mine"}
    assert snapshot() == before


def test_room_at_another_site_is_refused(db):
    d = district()
    before = snapshot()
    with pytest.raises(ValidationError):
        asset(d, site_id=d["site"].id, location_id=d["r3"].id)
    assert snapshot() == before


def test_check_out_and_in(db):
    d = district()
    a = asset(d)
    loan = assets.check_out(a.id, person_id=d["student"].id, due=dt.date.today() + dt.timedelta(days=30),
                            condition="good", agreement_signed=True)
    a = assets.get(a.id)
    assert a.status == "deployed" and a.assigned_person_id == d["student"].id
    assert loan.language == "es"  # the borrower's preferred language
    with pytest.raises(Conflict, match="already checked out"):
        assets.check_out(a.id, person_id=d["staff"].id)
    back = assets.check_in(a.id, condition="scratched")
    assert back.returned_at is not None and back.condition_in == "scratched"
    a = assets.get(a.id)
    assert a.status == "ready" and a.assigned_person_id is None
    with pytest.raises(Conflict, match="not checked out"):
        assets.check_in(a.id)


def test_check_out_to_location(db):
    d = district()
    a = asset(d)
    assets.check_out(a.id, location_id=d["r2"].id)
    assert assets.get(a.id).assigned_location_id == d["r2"].id


def test_check_out_of_disposed_asset_is_refused(db):
    d = district()
    a = asset(d)
    assets.dispose(a.id, method="recycled", date="2025-06-01", proceeds="0")
    before = snapshot()
    with pytest.raises(Conflict, match="disposed"):
        assets.check_out(a.id, person_id=d["staff"].id)
    assert snapshot() == before
    a = assets.get(a.id)
    assert (a.status, a.disposal_method, a.disposal_date) == ("disposed", "recycled", dt.date(2025, 6, 1))


def test_check_in_many(db):
    d = district()
    out = [asset(d) for _ in range(5)]
    for a in out[:4]:
        assets.check_out(a.id, person_id=d["student"].id)
    result = assets.check_in_many([a.tag.lower() for a in out] + ["NOPE-1", out[0].tag])
    assert sorted(result.done) == sorted(a.tag.lower() for a in out[:4])
    problems = dict(result.problems)
    assert problems["NOPE-1"] == "no asset has this tag"
    assert "not checked out" in problems[out[4].tag.lower()]
    assert Loan.select().where(Loan.returned_at.is_null()).count() == 0


def test_retire_releases_seats_when_asked(db):
    from app.services import licenses
    d = district()
    a = asset(d)
    lic = licenses.create(product="Office", seats=5)
    licenses.assign(lic.id, asset_id=a.id)
    assert assets.seat_count(a.id) == 1
    assets.retire(a.id, release_seats=True)
    assert assets.seat_count(a.id) == 0 and assets.get(a.id).status == "retired"


def test_undo_last_edit(db):
    d = district()
    a = asset(d, name="Old")
    assets.update(a.id, {"name": "New", "location_id": d["r2"].id})
    a = assets.undo_last_edit(a.id)
    assert a.name == "Old" and a.location_id == d["r1"].id


def test_tags_are_never_reused(db):
    d = district()
    reserved = tags.reserve(3)
    assert reserved == ["QM-000001", "QM-000002", "QM-000003"]
    a = asset(d)
    assert a.tag == "QM-000004"
    tags.void("QM-000002", reason="label printed, device returned")
    with pytest.raises(ValidationError, match="voided"):
        asset(d, tag="qm-000002")
    # A reserved tag can be used by the asset it was printed for.
    b = asset(d, tag="QM-000001")
    assert b.tag == "QM-000001"
    assert tags.peek_next_tag() == "QM-000005"


def test_hostile_text_is_stored_verbatim_and_searchable(db):
    from app.store import search
    d = district()
    nasty = "Robert'); DROP TABLE asset;-- \"=HYPERLINK()\" 100% _x_"
    a = asset(d, name=nasty, notes="\x00\x07bell" + "x" * 1000)
    got = assets.get(a.id)
    assert got.name == nasty and got.notes.startswith("bell")
    for q in ("drop table", "100%", "_x_", "'", '"=hyper'):
        expr = search.match_expression(Asset.id, Asset.search_text, q)
        assert [x.id for x in Asset.select().where(expr)] == [a.id], q


def test_status_and_audit_changes_by_loans_and_stocktakes_are_in_history(db):
    """Check-out, check-in and audits change status and audit date: history
    keeps the value before, so a report as of an earlier day can put it back."""
    d = district()
    a = asset(d, last_audit_date="2025-09-01")
    from app.services import people
    p = people.create(kind="staff", first_name="Ana", last_name="Ruiz", id_number="E77")
    assets.check_out(a.id, person_id=p.id)
    assets.check_in(a.id, status="retired")
    assets.mark_audited([a.id], date=dt.date(2026, 9, 2))
    rows = [(h["field"], h["old"], h["new"]) for h in reversed(history.for_entity("asset", a.id))]
    assert ("status", "ready", "deployed") in rows
    assert ("status", "deployed", "retired") in rows
    assert ("last_audit_date", "2025-09-01", "2026-09-02") in rows


def test_a_field_edit_cannot_dispose_or_retire_around_the_rules(db):
    # `asset set TAG status=disposed` (and the editor's Status list) went
    # through update(): a checked-out Chromebook became "Disposed but still
    # assigned" (`check` flagged it) and a disposal had no date or method.
    d = district()
    a = asset(d)
    assets.check_out(a.id, person_id=d["student"].id)
    for status, verb in (("disposed", "disposing of"), ("retired", "retiring")):
        with pytest.raises(Conflict, match=f"checked out; check it in before {verb} it"):
            assets.update(a.id, {"status": status})
    assets.check_in(a.id)
    with pytest.raises(ValidationError, match="disposal date"):
        assets.update(a.id, {"status": "disposed"})
    assert Asset.get_by_id(a.id).status == "ready"
    done = assets.update(a.id, {"status": "disposed", "disposal_date": dt.date.today(),
                                "disposal_method": "recycled"})
    assert done.status == "disposed" and done.disposal_date == dt.date.today()
