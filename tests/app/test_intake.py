"""Receiving a shipment through the service, on SQLite and PostgreSQL: serial
prefixes, repeats within 2 s, existing serials, the pattern warning, undo
(printed → voided, not printed → freed), pre-printed tag pairing, short/over
on close, and the history every device gets."""
from __future__ import annotations

import datetime as dt

import pytest

from app import scanning
from app.models import Asset, HistoryEntry, IntakeItem, TagRecord
from app.models.common import utcnow
from app.services import assets, catalog, history, intake, tags
from app.services.base import who
from app.services.errors import Conflict, NotFound, ValidationError
from tests.app.factories import asset, district

HP = r"^5CD[A-Z0-9]{7}$"


@pytest.fixture
def d(db):
    d = district()
    d["hp"] = catalog.create_model("Chromebook 11 G9 EE", manufacturer="HP",
                                   category_id=d["cat"].id, model_number="4M8V6UT",
                                   serial_pattern=HP)
    d["sup"] = catalog.create_supplier("CDW-G")
    return d


def start(d, **kw):
    values = dict(model_id=d["hp"].id, order_number="PO-4471", supplier_id=d["sup"].id,
                  purchase_date="2026-11-30", cost="279.00", funding_type="erate",
                  erate_frn="2599012345", erate_funding_year=2026, location_id=d["r1"].id,
                  warranty_end="2029-11-30", label_template="avery-5160", expected_qty=3)
    values.update(kw)
    return intake.start(values, by="ann")


# --- serials as scanners send them ----------------------------------------------------

@pytest.mark.parametrize("raw, patterns, serial, prefix", [
    ("SN:5CD1234XYZ", [HP], "5CD1234XYZ", "SN:"),
    ("  S/N 5CD1234XYZ ", [HP], "5CD1234XYZ", "S/N"),
    ("(21)5CD1234XYZ", [HP], "5CD1234XYZ", "(21)"),
    ("S5CD1234XYZ", [HP], "5CD1234XYZ", "S"),
    ("SN5CD1234XYZ", [HP], "5CD1234XYZ", "SN"),
    ("sn# 5cd1234xyz", [HP], "5cd1234xyz", "sn#"),
    ("Serial No. 5CD1234XYZ", [HP], "5CD1234XYZ", "Serial No."),
    ("5CD1234XYZ\r\n", [HP], "5CD1234XYZ", ""),
    # A serial that really starts with S is left whole.
    ("SAB12345", [r"^SAB\d{5}$"], "SAB12345", ""),
    ("S5CD1234XYZ", [], "S5CD1234XYZ", ""),  # no pattern: a bare S is never cut
    ("SN12345678", [r"^SN\d{8}$"], "SN12345678", ""),
    ("S1234", [r"^\d{4}$", r"^S\d{4}$"], "S1234", ""),  # the whole fits: kept
])
def test_read_serial_strips_labels_not_serials(raw, patterns, serial, prefix):
    r = scanning.read_serial(raw, patterns)
    assert (r.serial, r.prefix) == (serial, prefix)


def _scanned_with_prefix_is_stored_clean(d):
    s = start(d)
    out = intake.scan(s.id, "SN:5CD1234XYZ", by="ann")
    assert out.kind == "received" and out.level == "ok" and out.serial == "5CD1234XYZ"
    assert assets.get(out.asset_id).serial == "5CD1234XYZ"
    out2 = intake.scan(s.id, "S5CD7777XYZ", by="ann")
    assert assets.get(out2.asset_id).serial == "5CD7777XYZ"


def _defaults_and_history_on_every_device(d):
    s = start(d)
    out = intake.scan(s.id, "5CD0000001", by="ann")
    a = assets.get(out.asset_id)
    assert (a.model_id, a.order_number, a.supplier_id, str(a.cost)) == \
        (d["hp"].id, "PO-4471", d["sup"].id, "279.00")
    assert a.purchase_date == dt.date(2026, 11, 30) and a.warranty_end == dt.date(2029, 11, 30)
    assert (a.funding_type, a.erate_frn, a.erate_funding_year) == ("erate", "2599012345", 2026)
    assert a.location_id == d["r1"].id and a.site_id == d["site"].id and a.status == "ready"
    h = history.for_entity("asset", a.id)
    assert h[-1]["action"] == "create" and h[-1]["who"] == who("ann")  # the login on PostgreSQL
    note = h[-1]["note"]
    assert note.startswith("received on PO PO-4471 from CDW-G") and f"by {who('ann')}" in note
    assert "Riverside High School / Room 12" in note and " UTC" in note
    item = IntakeItem.get(IntakeItem.id == out.item_id)
    assert item.tag == a.tag and item.serial == "5CD0000001" and not item.label_printed


def _consecutive_tags_and_counts(d):
    s = start(d, expected_qty=3)
    first = tags.peek_next_tag()
    outs = [intake.scan(s.id, f"5CD000010{i}") for i in range(3)]
    numbers = [tags.tag_number(o.tag) for o in outs]
    assert outs[0].tag == first and numbers == list(range(numbers[0], numbers[0] + 3))
    assert [o.count_text for o in outs] == ["1 of 3", "2 of 3", "3 of 3"]


def _same_serial_within_two_seconds_is_ignored_later_refused(d):
    s = start(d)
    t0 = utcnow()
    out = intake.scan(s.id, "5CD1111111", at=t0)
    again = intake.scan(s.id, "SN:5CD1111111", at=t0 + dt.timedelta(seconds=1.5))
    assert again.kind == "repeat" and again.level == "ok" and again.tag == out.tag
    assert again.received == 1
    later = intake.scan(s.id, "5CD1111111", at=t0 + dt.timedelta(seconds=3))
    assert later.kind == "exists" and later.level == "error" and later.existing["tag"] == out.tag
    assert Asset.select().where(Asset.serial_key == "5CD1111111").count() == 1


def _existing_serial_refused_with_its_tag_status_and_place(d):
    old = asset(d, serial="5CD9999999", location_id=d["r2"].id)
    s = start(d)
    before = tags.peek_next_tag()
    out = intake.scan(s.id, "5CD9999999")
    assert out.kind == "exists" and out.asset_id == old.id
    assert out.existing["tag"] == old.tag and out.existing["status_label"] == "Ready to deploy"
    assert out.existing["place"] == "Riverside High School / Library"
    assert old.tag in out.message and "Library" in out.message
    assert tags.peek_next_tag() == before  # no tag spent on a refusal
    assert out.received == 0


def _serial_not_matching_the_pattern_is_received_with_a_warning(d):
    s = start(d)
    out = intake.scan(s.id, "ABC123")
    assert out.kind == "received" and out.level == "attention"
    assert "does not look like" in out.warning
    assert IntakeItem.get_by_id(out.item_id).warning == out.warning
    assert "does not look like" in history.for_entity("asset", out.asset_id)[-1]["note"]
    rep = intake.close(s.id)
    assert rep.warnings[0]["serial"] == "ABC123"


# --- undo ---------------------------------------------------------------------------

def _undo_before_printing_frees_the_tag(d):
    s = start(d)
    out = intake.scan(s.id, "5CD2222222")
    u = intake.undo_last(s.id, by="ann")
    assert u.freed and not u.voided and u.tag == out.tag and u.received == 0
    assert Asset.get_or_none(Asset.id == out.asset_id) is None
    assert not tags.tag_in_use(out.tag) and not tags.is_voided(out.tag)
    again = intake.scan(s.id, "5CD3333333")
    assert again.tag == out.tag  # the next device gets it
    item = IntakeItem.get_by_id(out.item_id)
    assert item.undone and item.asset_id is None and not item.tag_voided
    hist = history.for_entity("intake", s.id)
    assert hist[0]["action"] == "undo" and "tag freed" in hist[0]["note"]
    removed = history.for_entity(intake.REMOVED_ENTITY, out.asset_id)
    assert removed[0]["action"] == "delete" and "receipt undone" in removed[0]["note"]
    assert removed[1]["action"] == "create" and "received on PO" in removed[1]["note"]
    if again.asset_id == out.asset_id:  # SQLite reused the id: the new device's trail is its own
        assert [h["action"] for h in history.for_entity("asset", again.asset_id)] == ["create"]


def _undo_after_printing_voids_the_tag_forever(d):
    s = start(d)
    out = intake.scan(s.id, "5CD2222223")
    intake.mark_printed([out.item_id])
    u = intake.undo_last(s.id)
    assert u.voided and not u.freed and "voided" in u.message
    assert tags.is_voided(out.tag)
    assert TagRecord.get(TagRecord.tag_key == tags.normalize_tag(out.tag)).state == "voided"
    nxt = intake.scan(s.id, "5CD3333334")
    assert nxt.tag != out.tag and tags.tag_number(nxt.tag) == tags.tag_number(out.tag) + 1
    with pytest.raises(ValidationError):
        assets.create({"tag": out.tag})
    assert IntakeItem.get_by_id(out.item_id).tag_voided
    assert intake.close(s.id).voided == [out.tag]


def _undo_not_last_handed_out_keeps_the_counter(d):
    s = start(d)
    out = intake.scan(s.id, "5CD2222224")
    other = assets.create({"name": "elsewhere"})  # another workstation took the next tag
    u = intake.undo_last(s.id)
    assert not u.freed and not u.voided
    assert tags.peek_next_tag() != out.tag and other.tag != out.tag


def _undo_takes_only_this_workstations_devices(d):
    s = start(d)
    mine = intake.scan(s.id, "5CD2222226", workstation="bench-1")
    theirs = intake.scan(s.id, "5CD2222227", workstation="bench-2")
    u = intake.undo_last(s.id, workstation="bench-1")
    assert u.tag == mine.tag and assets.lookup_tag(theirs.tag) == theirs.asset_id
    with pytest.raises(NotFound):
        intake.undo_last(s.id, workstation="bench-1")


def _undo_refused_once_the_device_was_used_and_when_empty(d):
    s = start(d)
    with pytest.raises(NotFound):
        intake.undo_last(s.id)
    out = intake.scan(s.id, "5CD2222225")
    assets.update(out.asset_id, {"name": "Cart 3 #1"})
    with pytest.raises(Conflict):
        intake.undo_last(s.id)


# --- pre-printed tags -----------------------------------------------------------------

def _preprinted_serial_then_tag_pairs(d):
    reserved = tags.reserve(3, reason="pre-printed")
    s = start(d, preprinted_tags=True)
    p = intake.scan(s.id, "SN:5CD4444444")
    assert p.kind == "pending" and p.pending == "5CD4444444" and p.received == 0
    assert intake.scan(s.id, "5CD4444444", pending=p.pending).kind == "pending"  # repeat
    out = intake.scan(s.id, reserved[1], pending=p.pending)
    assert out.kind == "received" and out.tag == reserved[1] and out.serial == "5CD4444444"
    a = assets.get(out.asset_id)
    assert a.tag == reserved[1] and a.order_number == "PO-4471"
    assert not TagRecord.select().where(TagRecord.tag_key == tags.normalize_tag(reserved[1])).exists()
    assert intake.queued(s.id) == []  # the label is already on the device


def _preprinted_refuses_a_tag_in_use_or_voided_and_a_tag_first(d):
    old = asset(d)
    s = start(d, preprinted_tags=True)
    first = intake.scan(s.id, old.tag)
    assert first.kind == "invalid" and "already on another asset" in first.message
    p = intake.scan(s.id, "5CD5555555")
    refused = intake.scan(s.id, old.tag, pending=p.pending)
    assert refused.kind == "tag_refused" and refused.pending == "5CD5555555"
    assert "already on another asset" in refused.message
    tags.void("QM-900001", "test")
    voided = intake.scan(s.id, "QM-900001", pending=p.pending)
    assert voided.kind == "tag_refused" and "voided" in voided.message
    ok = intake.scan(s.id, "QM-900002", pending=p.pending)
    assert ok.kind == "received" and ok.tag == "QM-900002"


def _preprinted_a_second_serial_replaces_the_pending_one(d):
    s = start(d, preprinted_tags=True)
    p = intake.scan(s.id, "5CD5555557")
    p2 = intake.scan(s.id, "5CD6666666", pending=p.pending)
    assert p2.kind == "pending" and p2.pending == "5CD6666666" and "had no tag" in p2.message


def _preprinted_undo_leaves_the_tag_usable(d):
    s = start(d, preprinted_tags=True)
    p = intake.scan(s.id, "5CD5555558")
    out = intake.scan(s.id, "QM-800001", pending=p.pending)
    u = intake.undo_last(s.id)
    assert not u.voided and not tags.is_voided("QM-800001")
    p = intake.scan(s.id, "5CD5555556")
    assert intake.scan(s.id, "QM-800001", pending=p.pending).tag == out.tag


# --- labels, closing ----------------------------------------------------------------

def _label_queue_and_failures(d):
    s = start(d)
    outs = [intake.scan(s.id, f"5CD777777{i}") for i in range(3)]
    assert [q["tag"] for q in intake.queued(s.id)] == [o.tag for o in outs]
    intake.label_failed([outs[0].item_id], "Printer DYMO is offline")
    intake.mark_printed([outs[1].item_id])
    q = intake.queued(s.id)
    assert [x["tag"] for x in q] == [outs[0].tag, outs[2].tag]
    assert q[0]["error"] == "Printer DYMO is offline"
    assert intake.describe(s.id)["queued"] == 2


def _close_lists_short_and_over_and_records_it(d):
    s = start(d, expected_qty=3)
    intake.scan(s.id, "5CD8000001")
    intake.scan(s.id, "5CD8000002")
    rep = intake.close(s.id, by="ann")
    assert (rep.received, rep.short, rep.over) == (2, 1, 0)
    assert rep.summary() == "PO PO-4471: received 2 of 3 — 1 short"
    assert len(rep.unprinted) == 2
    h = history.for_entity("intake", s.id)[0]
    assert h["action"] == "close" and "1 short" in h["note"] and h["who"] == who("ann")
    assert intake.get(s.id).status == "closed" and intake.get(s.id).closed_by == who("ann")
    with pytest.raises(Conflict):
        intake.scan(s.id, "5CD8000003")
    s2 = start(d, expected_qty=1)
    intake.scan(s2.id, "5CD8000004")
    intake.scan(s2.id, "5CD8000005")
    rep2 = intake.close(s2.id)
    assert (rep2.short, rep2.over) == (0, 1) and rep2.summary().endswith("1 over")


def _start_validates_and_can_create_the_model(d):
    with pytest.raises(ValidationError):
        intake.start({"order_number": "PO-1"})
    with pytest.raises(ValidationError):
        start(d, order_number="")
    with pytest.raises(ValidationError):
        start(d, funding_type="grant", erate_frn=None, erate_funding_year=None)
    s = intake.start({"new_model": {"name": "Chromebook Plus 14", "manufacturer": "Acer",
                                    "category": "Chromebooks"},
                      "order_number": "PO-9", "supplier": "New Vendor LLC",
                      "funding_type": "grant", "funding_name": "ESSER III"})
    info = intake.describe(s.id)
    assert info["model"] == "Acer Chromebook Plus 14" and info["supplier"] == "New Vendor LLC"
    assert info["funding"] == "Grant: ESSER III"
    assert intake.resolve_model("4M8V6UT").id == d["hp"].id
    assert intake.resolve_model("hp chromebook 11 g9 ee").id == d["hp"].id
    assert intake.resolve_location("RHS/Room 12").id == d["r1"].id
    assert intake.resolve_location(d["r2"].barcode).id == d["r2"].id


def _session_persists_across_reopen(d):
    s = start(d)
    intake.scan(s.id, "5CD8000009")
    assert [x["id"] for x in intake.list_sessions(include_closed=False)] == [s.id]
    assert intake.list_sessions()[0]["received"] == 1


def test_each_scan_receives_one_device(d):
    """Several checks on one database (a PostgreSQL database per test is slow to make)."""
    _scanned_with_prefix_is_stored_clean(d)
    _defaults_and_history_on_every_device(d)
    _consecutive_tags_and_counts(d)
    _same_serial_within_two_seconds_is_ignored_later_refused(d)
    _existing_serial_refused_with_its_tag_status_and_place(d)
    _serial_not_matching_the_pattern_is_received_with_a_warning(d)


def _undo_during_a_stocktake_takes_the_device_off_its_expected_list(d):
    """The stocktake's snapshot has no foreign key to cascade (schema step
    14): the undo takes the device out of it, so the room no longer expects a
    device that does not exist."""
    from app.services import stocktake
    s = start(d)
    out = intake.scan(s.id, "5CD4444444")
    count = stocktake.start("Riverside High School", name="Mid-year")
    before = stocktake.status(count.id)
    intake.undo_last(s.id, by="ann")
    after = stocktake.status(count.id)
    assert before["expected"] >= 1 and after["expected"] == before["expected"] - 1
    assert out.asset_id not in {line.asset_id for line in stocktake.reconciliation(count.id).lines}
    stocktake.close(count.id)


def test_undo_rules(d):
    """Several checks on one database (a PostgreSQL database per test is slow to make)."""
    _undo_during_a_stocktake_takes_the_device_off_its_expected_list(d)
    _undo_before_printing_frees_the_tag(d)
    _undo_after_printing_voids_the_tag_forever(d)
    _undo_not_last_handed_out_keeps_the_counter(d)
    _undo_refused_once_the_device_was_used_and_when_empty(d)
    _undo_takes_only_this_workstations_devices(d)


def test_preprinted_tags(d):
    """Several checks on one database (a PostgreSQL database per test is slow to make)."""
    _preprinted_serial_then_tag_pairs(d)
    _preprinted_refuses_a_tag_in_use_or_voided_and_a_tag_first(d)
    _preprinted_a_second_serial_replaces_the_pending_one(d)
    _preprinted_undo_leaves_the_tag_usable(d)


def test_sessions_labels_and_closing(d):
    """Several checks on one database (a PostgreSQL database per test is slow to make)."""
    _session_persists_across_reopen(d)
    _label_queue_and_failures(d)
    _close_lists_short_and_over_and_records_it(d)
    _start_validates_and_can_create_the_model(d)


# --- files --------------------------------------------------------------------------

def test_parse_manifest_and_plain_lists():
    csv_text = "PO,Model,Service Tag,Ship Date\n4471,3110,ABC1234,2026-11-30\n\n4471,3110,DEF5678,x\n"
    assert intake.parse_serial_file(csv_text) == [(2, "ABC1234"), (4, "DEF5678")]
    assert intake.parse_serial_file("\ufeffItem;S/N\nx;SN:1\n") == [(2, "SN:1")]
    assert intake.parse_serial_file("ABC1234\n\n  DEF5678 \r\n") == [(1, "ABC1234"), (3, "DEF5678")]
    with pytest.raises(ValidationError):
        intake.parse_serial_file("PO,Model\n1,2\n")


def test_receive_file_all_or_nothing(d):
    asset(d, serial="5CD9999999")
    values = dict(model_id=d["hp"].id, order_number="PO-5")
    before = Asset.select().count()
    res = intake.receive_file(values, text="5CD1000001\n5CD1000002\n5CD1000001\n5CD9999999\n")
    assert not res.written and Asset.select().count() == before
    assert res.problems == [(3, "serial 5CD1000001 is also on line 1"),
                            (4, "serial 5CD9999999 is already QM-000001 (Ready to deploy, "
                                "Riverside High School / Room 12)")]
    res = intake.receive_file(values, text="5CD1000001\n5CD1000002\n5CD1000001\n", skip_bad=True)
    assert res.written and len(res.tags) == 2 and res.skipped == 1
    assert res.report.received == 2 and intake.get(res.session_id).status == "closed"


def test_migration_step_6_adds_the_columns(db):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    import peewee as pw
    from app.store import migrations
    m = PostgresqlMigrator(db) if isinstance(db, pw.PostgresqlDatabase) else SqliteMigrator(db)
    with db.atomic():
        migrate(m.drop_column("intake_item", "warning"), m.drop_column("intake_item", "tag_voided"),
                m.drop_column("intake_item", "station"), m.drop_column("intake_session", "closed_by"))
    with db.atomic():
        migrations._step_6_intake_fields(db)
        migrations._step_6_intake_fields(db)  # twice: harmless
    cols = {c.name for c in db.get_columns("intake_item")}
    assert {"warning", "tag_voided", "label_error", "station"} <= cols
    assert "closed_by" in {c.name for c in db.get_columns("intake_session")}
    assert HistoryEntry.select().count() >= 0


# --- property: labels come off, serials stay whole ------------------------------------

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

_serials = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=7, max_size=7)


@hsettings(max_examples=200, deadline=None)
@given(body=_serials, label=st.sampled_from(["", "SN:", "S/N ", "S/N:", "(21)", "SN# ", " ",
                                             "Serial No. ", "S", "SN"]))
def test_read_serial_property(body, label):
    serial = "5CD" + body
    r = scanning.read_serial(f"{label}{serial}\r", [r"^5CD[A-Z0-9]{7}$"])
    assert r.serial == serial and r.matches is True


@hsettings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=12))
def test_a_serial_that_fits_is_never_cut(body):
    for serial in (f"S{body}", f"SN{body}"):
        pattern = r"^S[A-Z0-9]{1,14}$"
        assert scanning.read_serial(serial, [pattern]).serial == serial
