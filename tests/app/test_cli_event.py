"""`quartermaster event …` from start to report, on both engines."""
from __future__ import annotations

import csv
import datetime as dt

import pypdfium2 as pdfium

from app.cli import main
from app.models import Loan, Person
from app.services import assets, kits, people, prices
from tests.app.factories import asset, district


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _students(d):
    rows = [("S1", "Ana", "Lopez", "Room 12", None), ("S2", "Ben", "Wu", "Room 12", None),
            ("S3", "Cai", "Ng", "Library", None), ("S4", "Gil", "Left", "Room 12", "withdrawn")]
    out = {}
    for idn, first, last, room, enrolment in rows:
        p = people.create(first_name=first, last_name=last, id_number=idn, kind="student",
                          site_id=d["site"].id, grade="9")
        Person.update(homeroom=room, enrolment=enrolment).where(Person.id == p.id).execute()
        out[idn] = p
    far = people.create(first_name="Far", last_name="Away", id_number="S9", kind="student",
                        site_id=d["other"].id, grade="9")
    out["S9"] = far
    return out


def pdf_text(path) -> str:
    doc = pdfium.PdfDocument(str(path))
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_distribution_from_the_command_line(db, tmp_path, capsys):
    from app.store.db import close_database, current_target, open_database
    d = district()
    kids = _students(d)
    kits.set_parts(d["model"].id, [("Charger", 1, "35.00")])
    devs = [asset(d) for _ in range(4)]
    target = current_target()
    close_database()
    q = ["--db", target, "event"]
    due = (dt.date.today() + dt.timedelta(days=180)).isoformat()

    code, out, err = run(q + ["start", "distribution", "--site", "RHS", "--due", due], capsys)
    assert code == 0, err
    eid = out.strip()
    assert eid.isdigit()
    code, out, err = run(q + ["scan", eid, "S1", devs[0].tag, "S3", devs[1].tag, "--station", "T1",
                              "--agreement", "refused"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("STUDENT") and "Ana Lopez (S1)" in lines[0]
    assert lines[1].startswith("LENT — FAMILY REFUSED") and "with Charger" in lines[1]
    assert "agreement: family refused" in lines[3]
    # The student waits at this station across commands; a device alone is refused.
    code, out, _ = run(q + ["scan", eid, "S2", "--station", "T1"], capsys)
    assert out.startswith("STUDENT")
    code, out, _ = run(q + ["scan", eid, devs[0].tag, "--station", "T1"], capsys)
    assert out.startswith("DEVICE ALREADY LENT") and "Ana Lopez" in out
    code, out, _ = run(q + ["scan", eid, devs[2].tag, "--station", "T1"], capsys)
    assert out.startswith("DEVICE LENT") and "Ben Wu" in out and "agreement: signed" in out
    code, out, _ = run(q + ["scan", eid, devs[3].tag, "--station", "T1"], capsys)
    assert out.startswith("SCAN THE STUDENT FIRST")
    f = tmp_path / "mem.txt"
    f.write_text("S9\nS4\n")
    code, out, _ = run(q + ["scan", eid, "--file", str(f), "--station", "T2"], capsys)
    assert "line 1: STUDENT — NOT IN THIS EVENT" in out and "Lincoln Middle School" in out
    assert "line 2: WITHDRAWN STUDENT" in out

    code, out, _ = run(q + ["status", eid], capsys)
    assert code == 0
    assert "students 3, received 3, had a device already 0, not yet 0" in out
    assert "signed 1, waiver 0, refused 2" in out  # --agreement applied to both of the first command
    code, out, _ = run(q + ["report", eid, "-o", str(tmp_path / "d.csv")], capsys)
    assert code == 0
    rows = {r["ID"]: r for r in csv.DictReader(open(tmp_path / "d.csv", encoding="utf-8-sig"))}
    assert rows["S3"]["Agreement"] == "Family refused" and rows["S3"]["Device"] == devs[1].tag
    assert rows["S1"]["State"] == "Received"
    code, out, _ = run(q + ["report", eid, "-o", str(tmp_path / "d.pdf")], capsys)
    assert code == 0
    text = pdf_text(tmp_path / "d.pdf")
    assert "Distribution" in text and "Not yet received" in text and devs[1].tag in text
    code, out, _ = run(q + ["close", eid], capsys)
    assert code == 0 and "received 3" in out

    # Bad input: one line, non-zero.
    for args, words in ((["scan", eid, "S2"], "closed"),
                        (["scan", eid], "give codes"),
                        (["scan", eid, "S2", "--damaged", "screen"], "for a collection"),
                        (["start", "distribution", "--site", "RHS", "--due", "2020-01-01"],
                         "in the past"),
                        (["start", "collection", "--site", "RHS", "--due", "2030-01-01"],
                         "Only a distribution"),
                        (["start", "distribution", "--site", "Hogwarts"], "No site"),
                        (["report", eid, "-o", str(tmp_path / "d.txt")], ".pdf or a .csv"),
                        (["status", "999"], "No event 999")):
        code, out, err = run(q + args, capsys)
        assert code == 1 and err.startswith("error: ") and words in err, (args, err)
        assert len(err.strip().splitlines()) == 1

    open_database(target)
    loan = Loan.get(Loan.asset == devs[1].id)
    assert loan.person_id == kids["S3"].id and loan.agreement_status == "refused"
    assert loan.due.isoformat() == due


def test_collection_from_the_command_line(db, tmp_path, capsys):
    from app.store.db import close_database, current_target, open_database
    d = district()
    kids = _students(d)
    kits.set_parts(d["model"].id, [("Charger", 1, "35.00"), ("Case", 1, "25.00")])
    devs = [asset(d) for _ in range(3)]
    for dev, idn in zip(devs, ("S1", "S2", "S4")):
        assets.check_out(dev.id, person_id=kids[idn].id)
    prices.set_price("screen", "80.00")  # the hinge has no price: no fee for it
    target = current_target()
    close_database()
    q = ["--db", target, "event"]
    code, out, err = run(q + ["start", "collection", "--site", "Riverside High School"], capsys)
    eid = out.strip()
    code, out, err = run(q + ["scan", eid, devs[0].tag], capsys)
    assert code == 0 and out.startswith("RETURNED") and "good condition" in out
    code, out, err = run(q + ["scan", eid, devs[1].tag, "--damaged", "teeth"], capsys)
    assert code == 1 and "Unknown damage 'teeth'" in err
    code, out, err = run(q + ["scan", eid, devs[1].tag, "--damaged", "screen,hinge", "--missing",
                              "charger"], capsys)
    assert code == 0 and out.startswith("RETURNED DAMAGED")
    assert "damage: screen, hinge" in out and "missing: Charger" in out
    assert "fee $115.00 owed" in out  # screen 80.00 + the charger's kit cost 35.00
    code, out, _ = run(q + ["status", eid], capsys)
    assert "returned 2 (damaged 1), outstanding 1 (withdrawn students 1); fees owed $115.00" in out
    outstanding = out.split("Outstanding (withdrawn students first):")[1]
    assert devs[2].tag in outstanding and "Gil Left" in outstanding
    code, out, _ = run(q + ["report", eid, "-o", str(tmp_path / "c.csv")], capsys)
    rows = {r["Device"]: r for r in csv.DictReader(open(tmp_path / "c.csv", encoding="utf-8-sig"))}
    assert rows[devs[1].tag]["Damage"] == "Screen, Hinge"
    assert rows[devs[1].tag]["Missing parts"] == "Charger" and rows[devs[1].tag]["Fee"] == "115.00"
    assert rows[devs[2].tag]["State"] == "Withdrawn — outstanding"
    code, out, _ = run(q + ["report", eid, "-o", str(tmp_path / "c.pdf")], capsys)
    text = pdf_text(tmp_path / "c.pdf")
    assert "withdrawn students first" in text and devs[2].tag in text
    open_database(target)
    assert Loan.get(Loan.asset == devs[1].id).damage == ["screen", "hinge"]
