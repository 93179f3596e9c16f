"""The physical inventory, end to end through the service: every verdict,
room progress, a scanner memory file, resuming after the database is
reopened, two workstations, close, and apply (nothing changes before)."""
from __future__ import annotations

import datetime as dt

import peewee as pw
import pytest

from app.models import Asset, HistoryEntry, StocktakeExpected, StocktakeScan
from app.services import assets, stocktake
from app.services.errors import Conflict, NotFound
from tests.app.factories import asset, district


def test_every_verdict_then_close_and_apply(db):
    d = district()
    here = asset(d)  # Room 12
    also_here = asset(d)  # Room 12, never scanned → missing
    lib = asset(d, location_id=d["r2"].id)  # Library, found in Room 12 → misplaced
    lent = asset(d, location_id=d["r2"].id)  # Library, on loan to a person, not found
    assets.check_out(lent.id, person_id=d["staff"].id)
    away = asset(d, location_id=d["r3"].id)  # the other site
    gone = asset(d)
    assets.retire(gone.id)
    s = stocktake.start("Riverside High School", name="Year end")
    assert stocktake.status(s.id)["expected"] == 4  # retired not expected, other site not

    v = stocktake.record_scan(s.id, d["r1"].barcode, workstation="A")
    assert (v.verdict, v.room, v.room_verified, v.room_expected) == ("room", "Room 12", 0, 2)
    v = stocktake.record_scan(s.id, " " + here.tag.lower() + "\r", workstation="A")
    assert (v.verdict, v.level, v.room_verified) == ("verified", "ok", 1)
    v = stocktake.record_scan(s.id, lib.tag, workstation="A")
    assert v.verdict == "misplaced" and v.expected == "Riverside High School / Library"
    assert v.level == "attention"
    v = stocktake.record_scan(s.id, away.tag, workstation="A")
    assert v.verdict == "other_site" and "Lincoln Middle School" in v.expected
    v = stocktake.record_scan(s.id, "MYSTERY-1", workstation="A")
    assert v.verdict == "unknown" and v.level == "error" and v.scan_id
    v = stocktake.record_scan(s.id, gone.tag, workstation="A")
    assert v.verdict == "inactive" and "is Retired" in v.message  # the status by its label
    v = stocktake.record_scan(s.id, here.tag, workstation="A")
    assert v.verdict == "duplicate" and "Room 12" in v.message
    assert stocktake.record_scan(s.id, "mystery-1", workstation="A").verdict == "duplicate"
    assert stocktake.record_scan(s.id, d["student"].id_number).verdict == "not_asset"

    st = stocktake.status(s.id)
    assert st["counts"]["verified"] == 1 and st["counts"]["duplicate"] == 2
    assert st["found"] == 2 and st["not_yet_found"] == 2
    room12 = next(r for r in st["rooms"] if r["name"] == "Room 12")
    assert (room12["verified"], room12["expected"]) == (1, 2)

    rec = stocktake.close(s.id)
    with pytest.raises(Conflict):
        stocktake.record_scan(s.id, also_here.tag)
    # Issue 19: an asset on loan to a person is accounted for, with its
    # borrower, not missing (it used to count as missing).
    assert rec.counts == {"verified": 1, "misplaced": 1, "other_site": 1, "unknown": 1,
                          "inactive": 1, "missing": 1, "on_loan": 1}
    assert [ln.tag for ln in rec.of("missing")] == [also_here.tag]
    on_loan = rec.of("on_loan")
    assert [(ln.tag, ln.holder, ln.label) for ln in on_loan] == [
        (lent.tag, "Ann O'Brien", "On loan — accounted for")]
    assert rec.duplicates == 2
    # Nothing in the register changed yet.
    assert assets.get(lib.id).location_id == d["r2"].id
    assert assets.get(here.id).last_audit_date is None
    assert assets.get(also_here.id).status == "ready"

    result = stocktake.apply(s.id, "move-misplaced,mark-missing,create-unknown")
    assert (result.moved, result.marked_missing, result.created) == (1, 1, 1)
    assert result.problems == []
    assert assets.get(lib.id).location_id == d["r1"].id
    assert assets.get(also_here.id).status == "missing"
    assert assets.get(lent.id).status == "deployed"
    assert assets.get(away.id).location_id == d["r3"].id  # other-site moves were not chosen
    created = assets.get_by_tag("MYSTERY-1")
    assert created.location_id == d["r1"].id
    today = dt.date.today()
    assert assets.get(here.id).last_audit_date == today
    assert assets.get(lib.id).last_audit_date == today
    assert HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                       & (HistoryEntry.entity_id == lib.id)
                                       & (HistoryEntry.action == "stocktake")).exists()
    assert stocktake.get(s.id).status == "applied"
    # Applying again changes nothing; other-site moves can still be chosen later.
    again = stocktake.apply(s.id, ["move-misplaced", "mark-missing", "create-unknown"])
    assert (again.moved, again.marked_missing, again.created, again.audited) == (0, 0, 0, 0)
    later = stocktake.apply(s.id, ["move-other-site"])
    assert later.moved == 1 and assets.get(away.id).location_id == d["r1"].id
    with pytest.raises(Conflict):
        stocktake.reopen(s.id)


def test_rooms_scope_one_room_starts_in_it(db):
    d = district()
    a = asset(d)
    b = asset(d, location_id=d["r2"].id)
    s = stocktake.start("RHS/Room 12")
    assert stocktake.status(s.id)["expected"] == 1
    v = stocktake.record_scan(s.id, a.tag, workstation="W")
    assert v.verdict == "verified" and v.room == "Room 12" and (v.room_verified, v.room_expected) == (1, 1)
    v = stocktake.record_scan(s.id, b.tag, workstation="W")  # same site, not in scope, wrong room
    assert v.verdict == "misplaced" and v.expected.endswith("Library")
    v = stocktake.record_scan(s.id, d["r3"].barcode, workstation="W")
    assert v.verdict == "not_asset" and "another site" in v.message
    with pytest.raises(NotFound):
        stocktake.start("RHS/Gym")
    with pytest.raises(NotFound):
        stocktake.start("Nowhere High")


def test_no_room_yet_verifies_at_site_level(db):
    d = district()
    a = asset(d)
    s = stocktake.start("RHS")
    v = stocktake.record_scan(s.id, a.tag, workstation="W")
    assert v.verdict == "verified" and "scan a room label" in v.message and v.room is None


def test_scanner_file_with_rooms_and_timestamps(db, tmp_path):
    d = district()
    a = asset(d)
    b = asset(d, location_id=d["r2"].id)
    s = stocktake.start("RHS")
    f = tmp_path / "scanner.txt"
    f.write_bytes(("\ufeff# exported by the scanner\r\n"
                   f"{d['r2'].barcode},2025-06-12 09:00:00\r\n"
                   f"{b.tag},2025-06-12 09:00:05\r\n"
                   f"{d['r1'].barcode}\r\n"
                   f"{a.tag};2025-06-12T09:02:00Z\r\n"
                   "\r\n"
                   f"{a.tag},not a time\r\n"
                   "UNKNOWN-77\r\n").encode())
    result = stocktake.load_file(s.id, f, workstation="W")
    assert result.counts == {"room": 2, "verified": 2, "unknown": 1}
    assert len(result.problems) == 1 and result.problems[0][0] == 7
    scan = StocktakeScan.get((StocktakeScan.session == s.id) & (StocktakeScan.asset == a.id))
    assert scan.scanned_at == dt.datetime(2025, 6, 12, 9, 2, 0)
    # The file's rooms did not move this workstation's own live room.
    assert stocktake.current_room(s.id, "W") is None
    assert stocktake.current_room(s.id, "W (file)") == d["r1"].id


def test_resume_after_reopening_and_two_workstations(db, tmp_path):
    from app.store.db import close_database, current_target, open_database
    d = district()
    a = asset(d)
    b = asset(d)
    c = asset(d, location_id=d["r2"].id)
    s = stocktake.start("RHS")
    stocktake.record_scan(s.id, d["r1"].barcode, workstation="front")
    stocktake.record_scan(s.id, a.tag, workstation="front")
    stocktake.record_scan(s.id, d["r2"].barcode, workstation="back")
    target = current_target()
    close_database()
    open_database(target)  # the app was closed and opened again
    assert [x["id"] for x in stocktake.list_sessions(include_closed=False)] == [s.id]
    assert stocktake.current_room(s.id, "front") == d["r1"].id
    assert stocktake.current_room(s.id, "back") == d["r2"].id
    v = stocktake.record_scan(s.id, b.tag, workstation="front")
    assert v.verdict == "verified" and (v.room_verified, v.room_expected) == (2, 2)
    v = stocktake.record_scan(s.id, c.tag, workstation="back")
    assert v.verdict == "verified" and v.room == "Library"
    v = stocktake.record_scan(s.id, c.tag, workstation="front")
    assert v.verdict == "duplicate" and "Library" in v.message
    recent = stocktake.recent_scans(s.id)
    assert recent[0]["station"] == "front" and isinstance(recent[0]["at"], dt.datetime)
    rec = stocktake.close(s.id)
    assert rec.counts["verified"] == 3 and rec.counts["missing"] == 0
    stocktake.reopen(s.id)
    assert stocktake.record_scan(s.id, a.tag, workstation="x").verdict == "duplicate"


def test_apply_needs_a_closed_session_and_known_actions(db):
    d = district()
    asset(d)
    s = stocktake.start("RHS")
    with pytest.raises(Conflict):
        stocktake.apply(s.id, [])
    stocktake.close(s.id)
    from app.services.errors import ValidationError
    with pytest.raises(ValidationError):
        stocktake.apply(s.id, "move-everything")
    assert Asset.select().where(Asset.status == "missing").count() == 0


def test_report_csv_and_pdf(db, tmp_path):
    import csv

    import pypdfium2 as pdfium

    from reports.stocktake import write_report
    d = district()
    a = asset(d)
    b = asset(d)
    s = stocktake.start("RHS")
    stocktake.record_scan(s.id, d["r1"].barcode, workstation="W")
    stocktake.record_scan(s.id, a.tag, workstation="W")
    stocktake.record_scan(s.id, "=HYPERLINK(1)", workstation="W")
    rec = stocktake.close(s.id)
    rows = list(csv.DictReader(open(write_report(rec, tmp_path / "r.csv"), encoding="utf-8-sig")))
    by_tag = {r["Tag"]: r for r in rows}
    assert by_tag[a.tag]["Verdict"] == "Verified"
    assert by_tag[a.tag]["Scanned location"] == "Riverside High School / Room 12"
    assert by_tag[a.tag]["Scanned at"]
    assert by_tag[b.tag]["Verdict"] == "Missing" and by_tag[b.tag]["Expected location"].endswith("Room 12")
    assert "'=HYPERLINK(1)" in by_tag  # a formula is neutralized
    pdf = pdfium.PdfDocument(str(write_report(rec, tmp_path / "r.pdf")))
    text = pdf[0].get_textpage().get_text_range()
    assert "Physical inventory" in text and b.tag in text and "Missing" in text
    # The summary of counts is wrapped, not run off the page's edge.
    assert "duplicate scans 0" in text
    page = pdf[0].get_textpage()
    width = pdf[0].get_width()
    assert max(page.get_charbox(i)[2] for i in range(page.count_chars())) < width - 20


def test_lent_to_a_room_and_not_found_is_missing_lent_to_a_person_is_not(db, tmp_path):
    """A projector checked out to a room should be in that room: not found, it
    is missing. A student's Chromebook at home is on loan — accounted for, and
    the report and its CSV say so with the borrower."""
    import csv

    import pypdfium2 as pdfium

    from reports.stocktake import write_report
    d = district()
    projector = asset(d, location_id=d["r2"].id)
    assets.check_out(projector.id, location_id=d["r2"].id)
    chromebook = asset(d)
    assets.check_out(chromebook.id, person_id=d["student"].id)
    s = stocktake.start("RHS")
    rec = stocktake.close(s.id)
    assert [ln.tag for ln in rec.of("missing")] == [projector.tag]
    assert [(ln.tag, ln.holder) for ln in rec.of("on_loan")] == [
        (chromebook.tag, d["student"].full_name)]
    rows = {r["Tag"]: r for r in csv.DictReader(open(write_report(rec, tmp_path / "r.csv"),
                                                     encoding="utf-8-sig"))}
    assert rows[chromebook.tag]["Verdict"] == "On loan — accounted for"
    assert rows[chromebook.tag]["On loan to"] == d["student"].full_name
    assert rows[projector.tag]["Verdict"] == "Missing"
    pdf = pdfium.PdfDocument(str(write_report(rec, tmp_path / "r.pdf")))
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "On loan — accounted for" in text and d["student"].full_name in text
    # Marking missing leaves the borrowed Chromebook alone.
    result = stocktake.apply(s.id, "mark-missing")
    assert assets.get(chromebook.id).status == "deployed"
    assert result.problems == [(projector.tag, f"on loan to {d['r2'].name}; not marked missing")]


def test_closing_alone_sets_no_audit_dates_applying_does(db):
    """What the README says: closing changes nothing in the register, not even
    last-audit dates; applying (any actions, or none) sets the last-audit date
    of each verified asset to the day it was scanned."""
    d = district()
    a = asset(d)
    s = stocktake.start("RHS")
    stocktake.record_scan(s.id, d["r1"].barcode)
    scan = stocktake.record_scan(s.id, a.tag)
    assert scan.verdict == "verified"
    stocktake.close(s.id)
    assert assets.get(a.id).last_audit_date is None
    stocktake.apply(s.id, [])
    scanned_on = StocktakeScan.get(StocktakeScan.id == scan.scan_id).scanned_at
    assert assets.get(a.id).last_audit_date == stocktake.local_date(scanned_on)


@pytest.mark.parametrize("rooms", [False, True], ids=["site", "rooms"])
def test_start_reads_the_site_in_asset_order(db, rooms):
    """Starting copies every active asset of the site (173,000 at the largest
    site of a million-asset district). The copy must search an index, never
    read the whole asset table, and take the rows in table order without a
    sort: each inserted row's asset key is checked in the asset table, and in
    table order that check finds the page the SELECT just read."""
    if not isinstance(db, pw.SqliteDatabase):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    d = district()
    for _ in range(5):
        asset(d)
    room_ids = [d["r1"].id, d["r2"].id] if rooms else None
    sql, params = stocktake.expected_source(1, d["site"].id, room_ids).sql()
    plan = [r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
    assert any(step.startswith("SEARCH") and "USING INDEX" in step for step in plan), plan
    assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), plan


def test_start_copies_the_expected_list_without_returning_its_ids(db, monkeypatch):
    """The expected list of a large site is 173,000 rows: on PostgreSQL peewee
    would add RETURNING id to the INSERT … SELECT and ship every new id back to
    a caller that reads none of them. The copy asks for no rows back, and still
    copies every active asset of the site."""
    d = district()
    active = [asset(d) for _ in range(3)]
    real = db.execute_sql
    statements: list[str] = []

    def recording(sql, params=None, *a, **kw):
        statements.append(sql)
        return real(sql, params, *a, **kw)
    monkeypatch.setattr(db, "execute_sql", recording)
    s = stocktake.start("RHS")
    monkeypatch.undo()
    copies = [q for q in statements if q.lstrip().upper().startswith('INSERT INTO "STOCKTAKE_EXPECTED"')]
    assert len(copies) == 1 and "SELECT" in copies[0].upper(), statements
    assert "RETURNING" not in copies[0].upper(), copies[0]
    expected = {e.asset_id for e in StocktakeExpected.select().where(StocktakeExpected.session_id == s.id)}
    assert expected == {a.id for a in active}
