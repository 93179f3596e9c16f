"""Work in progress, time spent and machine utilization: figures checked
against sums worked out here, on both engines, then read back from the PDF,
XLSX and CSV the shared writers make."""
from __future__ import annotations

import csv
import datetime as dt

from app.services.base import who
from app.models import Loan, WorkOrder, WorkOrderNote
from app.reporting import ReportParams, get, registry
from app.reporting.utilization import _days_covered
from app.services import assets, workorders
from tests.app.factories import asset, district
from tests.reports.test_reports_ops import build, column, pdf_text, workbook, write_all

TODAY = dt.date.today()


def _at(days_ago: int) -> dt.datetime:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12))


def _work(d):
    a = asset(d)
    old = workorders.create({"asset_id": a.id, "requester_id": d["staff"].id,
                             "category": "repair", "summary": "Old hinge",
                             "follow_up": TODAY - dt.timedelta(days=2)})
    mid = workorders.create({"requester_id": d["student"].id, "category": "install",
                             "summary": "Install app", "site_id": d["other"].id})
    new = workorders.create({"requester_name": "Maria Lopez", "category": "account",
                             "summary": "Portal", "site_id": d["site"].id})
    done = workorders.create({"requester_id": d["staff"].id, "category": "move",
                              "summary": "Move cart", "site_id": d["site"].id})
    WorkOrder.update(opened_at=_at(120)).where(WorkOrder.id == old.id).execute()
    WorkOrder.update(opened_at=_at(20)).where(WorkOrder.id == mid.id).execute()
    workorders.add_note(old.id, "Ordered hinge", minutes=30, status="waiting_parts")
    workorders.add_note(mid.id, "Packaged", minutes=45)
    workorders.add_note(new.id, "Reset", minutes=15)
    workorders.close(done.id, "Moved", minutes=60)
    # A note from two years ago is outside the default period.
    workorders.add_note(mid.id, "Ancient", minutes=500)
    WorkOrderNote.update(at=_at(800)).where(WorkOrderNote.text == "Ancient").execute()
    return dict(old=old, mid=mid, new=new, done=done, asset=a)


def test_registered():
    for name in ("work-in-progress", "time-spent", "utilization"):
        spec = registry()[name]
        assert {"pdf", "xlsx", "csv"} <= set(spec.formats) and spec.title and spec.description


def test_work_in_progress_by_age_and_status(db, tmp_path):
    d = district()
    w = _work(d)
    doc = build("work-in-progress")
    listed, by_age = doc.sections[0].tables[0], doc.sections[1].tables[0]
    assert column(listed, "No.") == [w["old"].id, w["mid"].id, w["new"].id]  # oldest first
    assert column(listed, "Age (days)") == [120, 20, 0]
    assert column(listed, "Minutes") == [30, 545, 15]
    assert dict(doc.sections[0].figures)["Overdue follow-ups"] == 1
    grid = {r[0]: r for r in by_age.rows}
    cols = [c.title for c in by_age.columns]
    assert grid["Over 90 days"][cols.index("Waiting on parts")] == 1
    assert grid["8–30 days"][cols.index("In progress")] == 1
    assert grid["0–7 days"][cols.index("In progress")] == 1
    assert sum(r[-1] for r in by_age.rows) == 3
    site_only = build("work-in-progress", site=d["other"].name)
    assert column(site_only.sections[0].tables[0], "No.") == [w["mid"].id]
    files = write_all("work-in-progress", tmp_path)
    assert "Old hinge" in pdf_text(files["pdf"]) and "Waiting on parts" in pdf_text(files["pdf"])
    wb = workbook(files["xlsx"])
    assert wb.sheetnames[:2] == ["Work in progress", "By age and status"]
    rows = list(csv.DictReader(files["csv"].open(encoding="utf-8-sig")))
    assert [int(r["No."]) for r in rows] == [w["old"].id, w["mid"].id, w["new"].id]


def test_time_spent_by_category_site_and_technician(db, tmp_path, monkeypatch):
    monkeypatch.setenv("QM_USER", "tester")  # the technician the notes record
    d = district()
    _work(d)
    doc = build("time-spent")
    by_cat = {r[0]: r for r in doc.sections[0].tables[0].rows}
    assert {k: v[2] for k, v in by_cat.items()} == {"Repair": 30, "Install": 45, "Account": 15,
                                                    "Move": 60}
    by_site = {r[0]: r[2] for r in doc.sections[1].tables[0].rows}
    assert by_site == {d["site"].name: 30 + 15 + 60, d["other"].name: 45}
    crossed = {r[0]: r for r in doc.sections[1].tables[1].rows}
    assert crossed[d["site"].name][-1] == 1.8  # 105 minutes
    assert {r[0]: r[2] for r in doc.sections[2].tables[0].rows} == {who("tester"): 150}  # the login on PostgreSQL
    longer = build("time-spent", date_from=TODAY - dt.timedelta(days=900), date_to=TODAY)
    assert sum(r[2] for r in longer.sections[0].tables[0].rows) == 650
    files = write_all("time-spent", tmp_path)
    assert "Time spent by category" in pdf_text(files["pdf"])
    rows = list(csv.DictReader(files["csv"].open(encoding="utf-8-sig")))
    assert {r["Category"]: int(r["Minutes"]) for r in rows}["Move"] == 60


def test_utilization_loans_days_out_and_idle(db, tmp_path):
    d = district()
    busy = asset(d, purchase_date="2020-01-01")
    idle = asset(d, purchase_date="2020-01-01")
    fresh = asset(d, purchase_date=TODAY.isoformat())  # bought this week: not idle yet
    held = asset(d, purchase_date="2020-01-01")
    assets.check_out(held.id, person_id=d["staff"].id)  # out now: not idle
    # busy: a loan of 10 days returned, and one out for the last 5 days.
    assets.check_out(busy.id, person_id=d["student"].id)
    assets.check_in(busy.id)
    assets.check_out(busy.id, person_id=d["student"].id)
    first, second = Loan.select().where(Loan.asset == busy.id).order_by(Loan.id)
    Loan.update(out_at=_at(40), returned_at=_at(31)).where(Loan.id == first.id).execute()
    Loan.update(out_at=_at(4)).where(Loan.id == second.id).execute()
    # idle: last lent 400 days ago.
    assets.check_out(idle.id, person_id=d["staff"].id)
    assets.check_in(idle.id)
    Loan.update(out_at=_at(420), returned_at=_at(400)).where(Loan.asset == idle.id).execute()
    doc = build("utilization")
    devices = {r[0]: r for r in doc.sections[1].tables[0].rows}
    assert devices[busy.tag][4:6] == (2, 10 + 5)
    assert abs(devices[busy.tag][6] - 15 / 365) < 0.001
    idle_tags = column(doc.sections[3].tables[0], "Tag")
    assert idle.tag in idle_tags and fresh.tag not in idle_tags and held.tag not in idle_tags
    assert busy.tag not in idle_tags
    files = write_all("utilization", tmp_path)
    assert "Devices idle a year or more" in pdf_text(files["pdf"])
    rows = list(csv.DictReader(files["csv"].open(encoding="utf-8-sig")))
    assert {r["Tag"]: r["Days out"] for r in rows}[busy.tag] == "15"
    assert get("utilization").build(ReportParams(site=d["other"].name)).sections[1].tables[0].rows == []


def test_utilization_lab_and_cart_use(db):
    d = district()
    a, b = asset(d), asset(d)
    for x in (a, b):
        assets.check_out(x.id, location_id=d["r2"].id)
    Loan.update(out_at=_at(9)).where(Loan.asset == a.id).execute()
    Loan.update(out_at=_at(4)).where(Loan.asset == b.id).execute()
    doc = build("utilization")
    rooms = doc.sections[2].tables[0].rows
    assert rooms == [(d["site"].name, d["r2"].name, 2, 2, 10 + 5)]


def test_days_covered_counts_overlaps_once():
    day = dt.date(2026, 1, 1)
    spans = [(day, day + dt.timedelta(days=9)), (day + dt.timedelta(days=5), day
                                                 + dt.timedelta(days=14)),
             (day + dt.timedelta(days=30), day + dt.timedelta(days=30))]
    assert _days_covered(spans) == 15 + 1
    assert _days_covered([]) == 0
