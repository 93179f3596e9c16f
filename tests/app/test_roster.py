"""The 1:1 program's roster and fleet: student rosters from Aeries, PowerSchool
and Synergy exports, re-imports, a whole-roster import that withdraws the
students it leaves out (after a preview that changes nothing), the devices
withdrawn students still hold, Google Admin's Chromebook export, and the
refresh plan — on both engines."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from app import importing, listing, reporting
from app.models import Asset, HistoryEntry, Person, Site
from app.reporting import ReportParams, fiscal
from app.reporting.refresh_plan import PAST_DUE
from app.services import assets, catalog, kits, people

DATA = Path(__file__).parent / "data"
AERIES, POWERSCHOOL, SYNERGY = (DATA / "students_aeries.csv", DATA / "students_powerschool.csv",
                                DATA / "students_synergy.xlsx")
CHROMEBOOKS = DATA / "chromebooks_google_admin.csv"


def _schools():
    """Two schools, coded as Aeries and PowerSchool number them."""
    return (catalog.create_site("Jefferson Elementary", code="101"),
            catalog.create_site("Roosevelt Middle", code="102"))


def _student(idn) -> Person:
    return Person.get(Person.id_number == idn)


def test_aeries_roster_lands_with_siblings_and_languages(db):
    jeff, roos = _schools()
    done = importing.commit(AERIES, kind="students")
    assert (done.created, done.updated, done.problems) == (6, 0, [])
    sofia = _student("99400001")
    assert (sofia.first_name, sofia.last_name, sofia.kind) == ("Sofía", "García", "student")
    assert (sofia.grade, sofia.site_id, sofia.homeroom) == ("3", jeff.id, "Ms. Rivera")
    assert (sofia.guardian_name, sofia.guardian_email, sofia.guardian_phone) == (
        "María García", "maria.garcia@example.org", "(559) 555-0101")
    assert sofia.address == "123 Main St.\nFresno, CA 93701"
    assert (sofia.language, sofia.enrolment, sofia.active) == ("es", "enrolled", True)
    # Three siblings (one at the middle school, her guardian typed without
    # accents, the address in capitals) are one household.
    family = {_student(i).household for i in ("99400001", "99400002", "99400003")}
    assert len(family) == 1 and None not in family
    assert _student("99400003").site_id == roos.id and _student("99400003").language == "es"
    assert _student("99400004").household not in family
    # CALPADS 02 (Vietnamese) is kept as English, and the preview says so.
    assert _student("99400004").language == "en"
    assert any("Vietnamese" in str(w) and "English" in str(w) for w in done.warnings)
    assert _student("99400005").grade == "K"
    # Aeries's inactive status code: withdrawn today, still active.
    tyler = _student("99400006")
    assert (tyler.enrolment, tyler.withdrawn_on, tyler.active) == ("withdrawn", dt.date.today(), True)
    assert HistoryEntry.select().where((HistoryEntry.entity == "person")
                                       & (HistoryEntry.action == "create")).count() == 6


def test_powerschool_roster_family_ids_grades_and_status(db):
    jeff, roos = _schools()
    done = importing.commit(POWERSCHOOL, kind="students")
    assert (done.created, done.problems) == (5, [])
    diego = _student("20231001")  # Student_Number is the ID (the internal ID column is not)
    assert (diego.first_name, diego.last_name, diego.grade) == ("Diego", "Hernández", "K")
    assert (diego.homeroom, diego.household, diego.language) == ("K-2", "F-7001", "es")
    assert _student("20231003").grade == "TK" and _student("20231003").language == "en"
    assert _student("20231005").language == "es"  # "Español"
    assert {p.household for p in Person.select().where(Person.household == "F-7001")} == {"F-7001"}
    assert Person.select().where(Person.household == "F-7001").count() == 3
    ava = _student("20231004")  # Enroll_Status 2: transferred out, on the Exit_Date
    assert (ava.enrolment, ava.withdrawn_on) == ("withdrawn", dt.date(2026, 11, 14))
    assert not Person.select().where(Person.id_number == "4411").exists()


def test_synergy_workbook(db):
    jeff, roos = _schools()
    done = importing.commit(SYNERGY, kind="students")
    assert (done.created, done.problems) == (4, [])
    val = _student("30050001")  # a workbook's number, not "30050001.0"
    assert (val.site_id, val.homeroom, val.language, val.grade) == (jeff.id, "Ms. Rivera", "es", "2")
    assert _student("30050002").household == val.household
    liam = _student("30050003")
    assert (liam.enrolment, liam.withdrawn_on) == ("withdrawn", dt.date(2026, 10, 3))


def _write(path: Path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_unknown_school_refuses_the_whole_file(db, tmp_path):
    _schools()
    rows = list(csv.reader(AERIES.open(encoding="utf-8-sig")))
    rows[4][5] = "990"  # a school nobody set up
    path = _write(tmp_path / "roster.csv", rows)
    sites = Site.select().count()
    with pytest.raises(importing.ImportRefused) as err:
        importing.commit(path, kind="students")
    problems = [str(p) for p in err.value.preview.problems]
    assert problems == ["row 5, column School: no site is named or coded “990”: add the school "
                        "under Locations (give it that name or code) and import again — an "
                        "import never makes a school"]
    assert Person.select().count() == 0 and Site.select().count() == sites


def test_reimport_updates_by_student_id(db, tmp_path):
    _schools()
    importing.commit(AERIES, kind="students")
    anh_version = _student("99400004").version
    rows = list(csv.reader(AERIES.open(encoding="utf-8-sig")))
    rows[1][4], rows[1][6] = "4", "Mr. Chen"  # Sofía moved up a grade
    rows[6][15] = ""  # Tyler is back
    path = _write(tmp_path / "roster.csv", rows)
    done = importing.commit(path, kind="students")
    assert (done.created, done.updated) == (0, 6)
    assert Person.select().count() == 6
    sofia = _student("99400001")
    assert (sofia.grade, sofia.homeroom) == ("4", "Mr. Chen")
    tyler = _student("99400006")
    assert (tyler.enrolment, tyler.withdrawn_on) == ("enrolled", None)
    assert HistoryEntry.select().where((HistoryEntry.entity_id == sofia.id)
                                       & (HistoryEntry.field == "grade")).count() == 1
    assert _student("99400004").version == anh_version  # unchanged: not written at all


def test_full_roster_previews_then_withdraws(db, tmp_path):
    jeff, roos = _schools()
    importing.commit(AERIES, kind="students")
    importing.commit(POWERSCHOOL, kind="students")
    # A student holding a kit (Chromebook + charger), at the school the roster covers.
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    model = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    kits.set_parts(model.id, [("Charger", 1, "35.00")])
    device = assets.create(dict(model_id=model.id, site_id=jeff.id, serial="5CD1234ABC"))
    diego = _student("20231001")
    assets.check_out(device.id, diego.id)
    before = {p.id: (p.enrolment, p.withdrawn_on, p.version) for p in Person.select()}

    p = importing.preview(AERIES, kind="students", full=True)
    missing = {w[0] for w in p.withdraw}
    # The PowerSchool students still enrolled (Ava already left) are missing from Aeries's roster.
    assert missing == {"20231001", "20231002", "20231003", "20231005"}
    assert next(w for w in p.withdraw if w[0] == "20231001")[4] == 1  # holds one device
    assert "4 students missing from it to mark withdrawn (1 still holding devices)" in p.summary()
    assert {p.id: (p.enrolment, p.withdrawn_on, p.version) for p in Person.select()} == before

    done = importing.commit(AERIES, kind="students", full=True)
    assert len(done.withdraw) == 4
    diego = _student("20231001")
    assert (diego.enrolment, diego.withdrawn_on, diego.active) == ("withdrawn", dt.date.today(), True)
    camila = _student("20231002")  # holding nothing: inactive as well
    assert (camila.enrolment, camila.active) == ("withdrawn", False)
    assert _student("99400001").enrolment == "enrolled"
    # The to-recover list: the student and the device; the People filter finds him.
    rows = people.to_recover()
    assert [(r["id_number"], r["tag"], r["site"]) for r in rows] == [
        ("20231001", device.tag, "Jefferson Elementary")]
    assert listing.query_ids("people", {"withdrawn_holding": True}) == [diego.id]
    assert listing.query_ids("people", {"holding": "withdrawn"}) == [diego.id]  # the page's filter
    assert people.to_recover(roos.id) == []
    # Once the device is back, he is off the list; the next whole roster makes him inactive.
    assets.check_in(device.id)
    assert people.to_recover() == [] and listing.query_ids("people", {"withdrawn_holding": True}) == []
    assert _student("20231001").active
    importing.commit(AERIES, kind="students", full=True)
    assert not _student("20231001").active


def test_full_roster_only_for_students(db):
    with pytest.raises(Exception, match="Only a student roster"):
        importing.preview(CHROMEBOOKS, kind="chromebooks", full=True)


def test_bad_enrolment_code_is_named(db, tmp_path):
    _schools()
    rows = list(csv.reader(AERIES.open(encoding="utf-8-sig")))
    rows[2][15] = "Q?"
    p = importing.preview(_write(tmp_path / "r.csv", rows), kind="students")
    assert [p.row for p in p.problems] == [3] and "enrolment status" in str(p.problems[0])


def _fleet():
    site = catalog.create_site("Jefferson Elementary", code="101")
    made = {s: assets.create(dict(serial=s, site_id=site.id, name="Chromebook"))
            for s in ("5CD1234ABC", "5CD1234ABD", "5CD1234ABE", "NXHPVAA0019")}
    return site, made


def test_chromebooks_export_sets_fields_and_lists_unknown_serials(db):
    _site, made = _fleet()
    count = Asset.select().count()
    p = importing.preview(CHROMEBOOKS, kind="chromebooks")
    assert (p.created, p.updated, p.problems) == (0, 4, [])
    assert [(u[1], u[2]) for u in p.unknown] == [("UNKNOWN0001", "Lenovo 100e Gen 4"),
                                                 ("UNKNOWN0002", "Lenovo 100e Gen 4"),
                                                 ("PF3XQ9Z7", "HP Chromebook 14 G7")]
    assert Asset.get_by_id(made["5CD1234ABC"].id).aue_date is None  # a preview writes nothing

    done = importing.commit(CHROMEBOOKS, kind="chromebooks")
    assert done.updated == 4 and len(done.unknown) == 3 and Asset.select().count() == count
    a = Asset.get_by_id(made["5CD1234ABC"].id)
    assert a.aue_date == dt.date(2029, 6, 30)  # "Jun 2029": the month's last day
    assert a.org_unit == "/Students/Jefferson/Grade 3"
    assert a.last_sync == dt.datetime(2026, 11, 30, 14, 22, 5)
    assert (a.annotated_user, a.annotated_asset_id) == ("sofia.garcia@students.example.org",
                                                        "QM-000101")
    b = Asset.get_by_id(made["5CD1234ABD"].id)  # serial in lower case in the export
    assert b.aue_date == dt.date(2030, 6, 1) and b.last_sync == dt.datetime(2026, 11, 29, 8, 5, 44)
    c = Asset.get_by_id(made["5CD1234ABE"].id)  # " 5CD 1234 ABE ": spaces in the serial
    assert c.aue_date == dt.date(2028, 8, 31) and c.org_unit == "/Deprovisioned"
    assert Asset.get_by_id(made["NXHPVAA0019"].id).aue_date == dt.date(2031, 6, 30)
    assert HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                       & (HistoryEntry.entity_id == a.id)
                                       & (HistoryEntry.field == "aue_date")).exists()
    # A second run changes nothing more.
    again = importing.commit(CHROMEBOOKS, kind="chromebooks")
    assert again.updated == 4 and Asset.get_by_id(a.id).version == a.version


def test_aue_month_forms():
    from app.importing.kinds.chromebooks import aue_of
    assert aue_of("Aug 2029") == dt.date(2029, 8, 31)
    assert aue_of("February 2028") == dt.date(2028, 2, 29)
    assert aue_of("2030-02") == dt.date(2030, 2, 28)
    assert aue_of("06/2031") == dt.date(2031, 6, 30)
    assert aue_of("6/1/2030") == dt.date(2030, 6, 1)
    assert aue_of(dt.datetime(2029, 6, 1, 0, 0)) == dt.date(2029, 6, 1)


def test_refresh_plan_totals_tie_to_the_devices(db):
    today = dt.date.today()
    fy = fiscal.current_fiscal_year(today)
    jeff, roos = _schools()
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    laptops = catalog.create_category("Laptops", "computer", life_years=5)
    dell = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    lenovo = catalog.create_model("100e Gen 4", manufacturer="Lenovo", category_id=cat.id)
    hp = catalog.create_model("ProBook 450", manufacturer="HP", category_id=laptops.id)
    kits.set_replacement_cost(dell.id, "329.00")
    expected: dict = {}

    def device(model, site, price, aue=None, bought=None, due_fy=None):
        assets.create(dict(model_id=model.id, site_id=site.id, aue_date=aue,
                           purchase_date=bought, cost="250.00" if model is lenovo else "800.00"))
        if due_fy is not None:
            n, cost = expected.get(due_fy, (0, Decimal("0")))
            expected[due_fy] = (n + 1, cost + Decimal(price))

    first, _ = fiscal.fiscal_year_bounds(fy)
    for k in range(3):  # AUE in each of the next three fiscal years
        d = fiscal.fiscal_year_bounds(fy + k)[0] + dt.timedelta(days=40)
        device(dell, jeff, "329.00", aue=d, bought=today, due_fy=fy + k)
        device(dell, roos, "329.00", aue=d, bought=today, due_fy=fy + k)
    # No AUE: a laptop at the end of its 5-year life next year (latest purchase price).
    bought = fiscal.fiscal_year_bounds(fy + 1)[0].replace(year=fiscal.fiscal_year_bounds(fy + 1)[0].year - 5)
    device(hp, roos, "800.00", bought=bought + dt.timedelta(days=10), due_fy=fy + 1)
    # Life ends before the AUE: the earlier day counts.
    device(lenovo, jeff, "250.00", aue=dt.date(fy + 8, 6, 30),
           bought=first.replace(year=first.year - 4) + dt.timedelta(days=5), due_fy=fy)
    device(dell, jeff, "329.00", aue=dt.date(fy + 9, 6, 30), bought=today)  # beyond the plan
    device(dell, jeff, "329.00", aue=first - dt.timedelta(days=30), bought=today)  # past due
    retired = assets.create(dict(model_id=dell.id, site_id=jeff.id, aue_date=first))
    assets.retire(retired.id)  # not in service: not in the plan

    doc = reporting.get("refresh-plan").build(ReportParams(years=3))
    by_year = {r[0]: r for r in doc.sections[0].tables[0].rows}
    for y in range(fy, fy + 3):
        n, cost = expected[y]
        label = fiscal.fiscal_year_label(y)
        assert (by_year[label][1], by_year[label][4]) == (n, cost), label
    assert by_year[PAST_DUE][1] == 1
    assert by_year[fiscal.fiscal_year_label(fy + 1)][3] == 1  # the laptop: end of life
    detail = list(doc.sections[1].tables[0].rows)
    assert sum(r[3] for r in detail) == sum(r[1] for r in by_year.values())
    assert sum(r[6] for r in detail) == sum(r[4] for r in by_year.values())
    hp_row = next(r for r in detail if r[2] == "ProBook 450")
    assert hp_row[4] == Decimal("800.00") and hp_row[5].startswith("latest purchase")
    assert "latest purchase" in doc.sections[0].intro
    assert len(list(doc.sections[2].tables[0].rows)) == sum(r[1] for r in by_year.values())
    # One school only.
    doc = reporting.get("refresh-plan").build(ReportParams(years=3, site="102"))
    assert sum(r[1] for r in doc.sections[0].tables[0].rows) == 4


def test_refresh_plan_years_are_bounded(db):
    from app.services.errors import ValidationError
    with pytest.raises(ValidationError, match="Years ahead"):
        reporting.get("refresh-plan").build(ReportParams(years=0))


def test_people_service_student_fields(db):
    _schools()
    p = people.create(first_name="Ana", last_name="Ruiz", kind="student", id_number="S1",
                      grade="5", homeroom="5B", guardian_name="Rosa Ruiz",
                      guardian_email="rosa@example.org", guardian_phone="555-0100",
                      address="1 Oak St\nFresno, CA", enrolment="enrolled")
    assert (p.homeroom, p.guardian_email, p.enrolment) == ("5B", "rosa@example.org", "enrolled")
    p = people.update(p.id, {"enrolment": "withdrawn"})
    assert p.withdrawn_on == dt.date.today()
    p = people.update(p.id, {"enrolment": "enrolled"})
    assert p.withdrawn_on is None
    from app.services.errors import ValidationError
    with pytest.raises(ValidationError, match="email"):
        people.update(p.id, {"guardian_email": "not an address"})
    with pytest.raises(ValidationError, match="Enrolment"):
        people.update(p.id, {"enrolment": "graduated-ish"})
