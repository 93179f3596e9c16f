"""Retention and purge: what is due by rule, a purge that refuses a record
under retention, anonymises a student while keeping the asset's history, and
writes its certificate — on both engines, then through the CLI."""
from __future__ import annotations

import datetime as dt

import pytest

from app.services.base import who
from app.models import Asset, HistoryEntry, Loan, Person, WorkOrder
from app.services import assets, people, retention, settings, workorders
from app.services.base import who
from app.services.errors import Conflict, ValidationError
from tests.app.factories import asset, district

TODAY = dt.date.today()


def _ago(years: int) -> dt.datetime:
    return dt.datetime.combine(TODAY.replace(year=TODAY.year - years, day=1), dt.time(12))


def _scene(d):
    old = asset(d, name="Old projector")
    erate = asset(d, name="Old switch", funding_type="erate", erate_frn="2599012345",
                  erate_funding_year=TODAY.year - 3)
    recent = asset(d, name="Recent laptop")
    for a in (old, erate, recent):
        assets.dispose(a.id, "recycled", date=TODAY.isoformat())
    Asset.update(disposal_date=_ago(6).date()).where(Asset.id.in_([old.id, erate.id])).execute()
    lent = asset(d, name="Cart Chromebook")
    assets.check_out(lent.id, person_id=d["student"].id)
    assets.check_in(lent.id)
    Loan.update(out_at=_ago(5), returned_at=_ago(4)).where(Loan.person == d["student"].id).execute()
    people.deactivate(d["student"].id)
    Person.update(updated_at=_ago(4)).where(Person.id == d["student"].id).execute()
    wo = workorders.create({"requester_id": d["student"].id, "summary": "Old request",
                            "category": "repair"})
    workorders.close(wo.id, "done")
    WorkOrder.update(closed_at=_ago(6)).where(WorkOrder.id == wo.id).execute()
    return dict(old=old, erate=erate, recent=recent, lent=lent, wo=wo)


def test_preview_purge_refusal_and_anonymising(db):
    d = district()
    s = _scene(d)
    due = {x.rule: x for x in retention.preview()}
    assert due["disposed_assets"].ids == [s["old"].id]
    assert any(s["erate"].tag in h and "E-Rate" in h for h in due["disposed_assets"].held)
    assert due["inactive_people"].ids == [d["student"].id]
    assert due["work_orders"].ids == [s["wo"].id]
    # Under retention: refused, nothing written.
    with pytest.raises(Conflict, match="E-Rate"):
        retention.purge(asset_ids=[s["erate"].id], backup=False)
    with pytest.raises(Conflict, match="kept until"):
        retention.purge(asset_ids=[s["recent"].id], backup=False)
    assert Asset.select().count() == 4
    loans_before = Loan.select().where(Loan.person == d["student"].id).count()
    history_before = HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                                 & (HistoryEntry.entity_id == s["lent"].id)).count()
    result = retention.purge(backup=False, by="admin")
    counts = {title: n for title, _r, _y, n in result.lines}
    assert counts["Disposed assets"] == 1 and counts["People who left"] == 1
    assert counts["Closed work orders"] == 1
    assert not Asset.select().where(Asset.id == s["old"].id).exists()
    assert Asset.select().where(Asset.id == s["erate"].id).exists()  # E-Rate kept
    student = Person.get_by_id(d["student"].id)
    label = f"former student #{student.id}"
    assert student.full_name == label and student.id_number is None and student.email is None
    assert Loan.select().where(Loan.person == student.id).count() == loans_before
    trail = list(HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                             & (HistoryEntry.entity_id == s["lent"].id)))
    assert len(trail) == history_before
    holders = [h.old or h.new for h in trail if h.field == "holder"]
    assert holders and all(h == label for h in holders)
    assert not any("Garcia" in (h.old or "") + (h.new or "") + (h.note or "")
                   for h in HistoryEntry.select())
    assert not WorkOrder.select().where(WorkOrder.id == s["wo"].id).exists()
    assert HistoryEntry.get(HistoryEntry.entity == "purge").who == who("admin")  # the login on PostgreSQL
    # Purged once: nothing more is due, and saying so is a refusal.
    with pytest.raises(Conflict, match="Nothing is due"):
        retention.purge(backup=False)


def test_retention_settings_validated(db):
    with pytest.raises(ValidationError, match="E-Rate records are kept 10"):
        settings.update({"retention_erate_years": 5})
    settings.update({"retention_disposed_assets_years": 7})
    assert retention.years("disposed_assets") == 7


def test_a_stored_retention_that_is_no_number_keeps_the_default(db):
    # A restored or hand-edited database can hold anything in a setting; the
    # purge preview crashed with "invalid literal for int()" instead of
    # keeping records for the rule's default years.
    from app.models import Setting
    Setting.insert(key="retention_disposed_assets_years", value="abc").execute()
    Setting.insert(key="retention_history_years", value=None).execute()
    assert retention.years("disposed_assets") == 5
    assert retention.years("history") == 10


def test_cli_preview_and_purge_writes_certificate_and_backup(tmp_path, capsys, monkeypatch):
    from app.cli import main
    from app.store.db import close_database, open_database
    dbp = tmp_path / "d.sqlite"
    open_database(dbp)
    d = district()
    s = _scene(d)
    close_database()
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(dbp), "purge", "--preview"]) == 0
    out = capsys.readouterr().out
    assert "Disposed assets" in out and f"kept: {s['erate'].tag}" in out
    assert main(["--db", str(dbp), "purge", "--asset", s["erate"].tag]) == 1
    assert "E-Rate" in capsys.readouterr().err
    assert main(["--db", str(dbp), "purge", "-o", "cert.pdf"]) == 0
    out = capsys.readouterr().out
    assert "People who left: 1" in out and "backup taken first:" in out
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(tmp_path / "cert.pdf"))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pdf.close()
    assert "Certificate of records purge" in text and "People who left" in text
    assert "47 CFR 54.516" in text or "E-Rate" in text
    backup = out.split("backup taken first: ")[1].split("\n")[0]
    import gzip
    import sqlite3
    plain = tmp_path / "backup.sqlite"
    plain.write_bytes(gzip.decompress(open(backup, "rb").read()))
    con = sqlite3.connect(plain)  # the backup still has what was purged
    try:
        assert con.execute("SELECT COUNT(*) FROM asset WHERE id = ?",
                           (s["old"].id,)).fetchone()[0] == 1
    finally:
        con.close()


@pytest.mark.parametrize("today, fy, held", [
    (dt.date(2026, 12, 6), 2016, True),    # kept until 2027-06-30
    (dt.date(2026, 12, 6), 2015, False),   # kept until 2026-06-30: past
    (dt.date(2026, 6, 30), 2015, True),    # its last day
    (dt.date(2026, 7, 1), 2015, False),
])
def test_erate_retention_boundary(db, today, fy, held):
    d = district()
    a = asset(d, funding_type="erate", erate_frn="2599012345", erate_funding_year=fy)
    assert (retention.erate_retain_until(fy) >= today) is held
    found = Asset.select().where(retention.erate_held(today) & (Asset.id == a.id)).exists()
    assert found is held


def test_anonymising_clears_the_roster_fields(db):
    """A student who left loses the family's names and the home address too
    (the roster fields of schema step 11), not only the name and ID."""
    d = district()
    Person.update(homeroom="Room 12 (Ms. Ortiz)", guardian_name="Rosa Garcia",
                  guardian_email="rosa@example.org", guardian_phone="555-0100",
                  household="H-77", address="12 Elm St").where(
        Person.id == d["student"].id).execute()
    _scene(d)
    retention.purge(backup=False)
    p = Person.get_by_id(d["student"].id)
    assert (p.homeroom, p.guardian_name, p.guardian_email, p.guardian_phone, p.household,
            p.address) == (None,) * 6
