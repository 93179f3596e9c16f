"""Work orders: the request log, its thread with time spent, closing with a
resolution, history, and refusals — on both engines."""
from __future__ import annotations

import datetime as dt

import pytest

from app.services.base import who
from app.models import HistoryEntry, WorkOrder, WorkOrderNote
from app.services import history, repairs, workorders
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from tests.app.factories import asset, district


def test_open_from_an_asset_takes_its_place_and_leaves_history(db):
    d = district()
    a = asset(d, location_id=d["r2"].id)
    wo = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id,
                            "category": "repair", "summary": "Hinge cracked"}, by="kim")
    wo = workorders.get(wo.id)
    assert (wo.site_id, wo.location_id, wo.status, wo.priority) == (d["site"].id, d["r2"].id,
                                                                    "new", "normal")
    assert wo.created_by == who("kim")  # the login on PostgreSQL
    on_asset = HistoryEntry.get((HistoryEntry.entity == "asset") & (HistoryEntry.entity_id == a.id)
                                & (HistoryEntry.action == "work_order"))
    assert on_asset.new == f"#{wo.id}" and on_asset.note == "Hinge cracked"
    assert [w.id for w in workorders.for_asset(a.id)] == [wo.id]
    assert [w.id for w in workorders.for_person(d["staff"].id)] == [wo.id]


def test_parent_requester_by_name_and_contact(db):
    district()
    wo = workorders.create({"requester_name": "Maria Lopez", "requester_contact": "555-0142",
                            "category": "account", "summary": "Parent portal password"})
    assert workorders.details(wo.id)["requester"] == "Maria Lopez (555-0142)"
    with pytest.raises(ValidationError, match="Who asked"):
        workorders.create({"category": "other", "summary": "Nobody asked"})
    assert WorkOrder.select().count() == 1


def test_validation_reports_every_field_and_writes_nothing(db):
    d = district()
    with pytest.raises(ValidationError) as err:
        workorders.create({"requester_id": d["staff"].id, "category": "plumbing",
                           "priority": "whenever", "summary": "  "})
    assert set(err.value.errors) == {"category", "priority", "summary"}
    with pytest.raises(ValidationError, match="not at that site"):
        workorders.create({"requester_id": d["staff"].id, "summary": "x",
                           "site_id": d["other"].id, "location_id": d["r1"].id})
    assert WorkOrder.select().count() == 0 and HistoryEntry.select().where(
        HistoryEntry.entity == "work_order").count() == 0


def test_notes_time_status_and_close(db):
    d = district()
    wo = workorders.create({"requester_id": d["student"].id, "category": "install",
                            "summary": "Install Geogebra", "site_id": d["site"].id})
    workorders.add_note(wo.id, "Downloaded installer", minutes=15)
    assert workorders.get(wo.id).status == "in_progress"
    workorders.add_note(wo.id, "Asked teacher for admin window", minutes="10",
                        status="waiting_user")
    assert workorders.get(wo.id).status == "waiting_user"
    with pytest.raises(ValidationError, match="[Mm]inutes"):
        workorders.add_note(wo.id, "too long", minutes=5000)
    with pytest.raises(ValidationError, match="[Rr]esolution"):
        workorders.close(wo.id, " ")
    workorders.close(wo.id, "Installed on 30 lab machines", minutes=45)
    closed = workorders.details(wo.id)
    assert closed["status_key"] == "closed" and closed["closed_at"] is not None
    assert closed["minutes"] == 70 and len(closed["notes"]) == 3
    assert closed["resolution"] == "Installed on 30 lab machines"
    with pytest.raises(Conflict, match="already closed"):
        workorders.close(wo.id, "again")
    with pytest.raises(Conflict, match="closed"):
        workorders.add_note(wo.id, "late note")
    assert WorkOrderNote.select().count() == 3
    actions = [h["action"] for h in history.for_entity("work_order", wo.id)]
    assert actions.count("note") == 2 and "close" in actions and "create" in actions
    # Reopen by setting an open status: closed_at is cleared.
    workorders.update(wo.id, {"status": "in_progress"})
    assert workorders.get(wo.id).closed_at is None
    assert [r["number"] for r in workorders.rows(open_only=True)] == [wo.id]


def test_update_history_reads_names_and_stale_edit_refused(db):
    d = district()
    wo = workorders.create({"requester_id": d["staff"].id, "summary": "Move projector"})
    workorders.update(wo.id, {"category": "move", "site_id": d["other"].id,
                              "follow_up": "2026-01-15", "assignee": "kim"},
                      expected_version=1)
    got = workorders.get(wo.id)
    assert got.follow_up == dt.date(2026, 1, 15) and got.version == 2
    entries = {h["field"]: h for h in history.for_entity("work_order", wo.id)}
    assert entries["category"]["new"] == "Move" and entries["site"]["new"] == d["other"].name
    with pytest.raises(StaleEdit):
        workorders.update(wo.id, {"priority": "high"}, expected_version=1)
    with pytest.raises(ValidationError, match="resolution"):
        workorders.update(wo.id, {"status": "closed"})
    assert workorders.get(wo.id).priority == "normal"


def test_repair_links_to_work_order_and_repairs_unchanged(db):
    d = district()
    a = asset(d)
    wo = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id,
                            "summary": "Screen dead", "category": "repair"})
    r = repairs.open_repair(a.id, "Screen dead")
    workorders.update(wo.id, {"repair_id": r.id, "status": "waiting_vendor"})
    assert workorders.details(wo.id)["repair_id"] == r.id
    repairs.close_repair(r.id, resolution="Panel replaced")
    assert workorders.get(wo.id).status == "waiting_vendor"  # the technician closes it


def test_unknown_numbers(db):
    with pytest.raises(NotFound, match="No work order #99"):
        workorders.get(99)
    with pytest.raises(NotFound, match="not a work order number"):
        workorders.get("abc")


def test_send_to_repair_opens_and_links_a_repair_in_one_go(db):
    from app.models import Repair
    from app.services import assets, catalog
    d = district()
    a = asset(d)
    vendor = catalog.create_supplier("Vector Repair Depot")
    wo = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id,
                            "summary": "Screen dead", "category": "repair"})
    r = workorders.send_to_repair(wo.id, vendor_id=vendor.id, ticket="RMA77")
    got = workorders.get(wo.id)
    assert (got.repair_id, got.status) == (r.id, "waiting_vendor")
    assert (r.vendor_id, r.ticket, r.problem) == (vendor.id, "RMA77", "Screen dead")
    assert assets.get(a.id).status == "in_repair"
    with pytest.raises(Conflict, match="already has an open repair"):
        workorders.send_to_repair(wo.id)
    no_asset = workorders.create({"requester_id": d["staff"].id, "summary": "Password"})
    with pytest.raises(ValidationError, match="names no asset"):
        workorders.send_to_repair(no_asset.id)
    # A refusal from the repair side leaves the work order as it was.
    retired = asset(d)
    assets.retire(retired.id)
    wo2 = workorders.create({"asset_id": retired.id, "requester_id": d["staff"].id,
                             "summary": "Old one"})
    with pytest.raises(Conflict, match="cannot go in for repair"):
        workorders.send_to_repair(wo2.id)
    assert workorders.get(wo2.id).status == "new" and Repair.select().count() == 1


def test_several_assets_per_work_order(db):
    """Assets linked in order, the first the work order's asset; each that
    joins gets a history line; the asset's list finds the work order through
    the link; an edit replaces the list and says so in the history."""
    from app.models import WorkOrderAsset
    d = district()
    a, b, c = asset(d), asset(d), asset(d, location_id=d["r3"].id)
    wo = workorders.create({"asset_ids": [b.id, a.id, b.id], "requester_id": d["staff"].id,
                            "category": "move", "summary": "Cart to library"})
    assert workorders.get(wo.id).asset_id == b.id
    assert workorders.asset_ids(wo) == [b.id, a.id]
    assert [x["tag"] for x in workorders.details(wo.id)["assets"]] == [b.tag, a.tag]
    assert [w.id for w in workorders.for_asset(a.id)] == [wo.id]
    assert workorders.rows()[0]["asset"] == f"{b.tag} +1"
    workorders.add_asset(wo.id, c.id)
    assert workorders.asset_ids(workorders.get(wo.id)) == [b.id, a.id, c.id]
    workorders.update(wo.id, {"asset_ids": [a.id, c.id]})
    got = workorders.get(wo.id)
    assert got.asset_id == a.id and workorders.asset_ids(got) == [a.id, c.id]
    assert workorders.for_asset(b.id) == []
    assert WorkOrderAsset.select().where(WorkOrderAsset.work_order == wo.id).count() == 2
    lines = [h for h in history.for_entity("asset", c.id) if h["action"] == "work_order"]
    assert [h["new"] for h in lines] == [f"#{wo.id}"]  # once, when it joined
    changed = [h for h in history.for_entity("work_order", wo.id) if h["field"] == "assets"]
    assert changed[0]["old"] == f"{b.tag}, {a.tag}, {c.tag}" and \
        changed[0]["new"] == f"{a.tag}, {c.tag}"  # newest first
    with pytest.raises(ValidationError, match="does not exist"):
        workorders.update(wo.id, {"asset_ids": [a.id, 999_999]})
    assert workorders.asset_ids(workorders.get(wo.id)) == [a.id, c.id]


def test_a_work_order_from_before_the_links_keeps_its_asset(db):
    """A work order made with one asset and no link row (before schema step
    11) still lists it, and adding one keeps it first."""
    from app.models import WorkOrderAsset
    d = district()
    a, b = asset(d), asset(d)
    wo = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id, "summary": "Old"})
    WorkOrderAsset.delete().execute()
    assert workorders.asset_ids(workorders.get(wo.id)) == [a.id]
    workorders.add_asset(wo.id, b.id)
    assert workorders.asset_ids(workorders.get(wo.id)) == [a.id, b.id]
    assert workorders.get(wo.id).asset_id == a.id
