"""A distribution day with real X key events: the scanner types a student's
ID card, then a device tag, at scanner speed, wherever the focus is; the
Events page takes both (like Stocktake) and the loan is in the database."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.e2e.conftest import ROOT


def _prepare(found: dict):
    def prepare(db):
        con = sqlite3.connect(db)
        found["student"] = con.execute(
            "SELECT p.id, p.id_number FROM person p JOIN site s ON s.id = p.site_id "
            "WHERE s.code = 'LHS' AND p.kind = 'student' AND p.active AND p.id NOT IN "
            "(SELECT person_id FROM loan WHERE returned_at IS NULL AND person_id IS NOT NULL) "
            "ORDER BY p.id LIMIT 1").fetchone()
        # A Chromebook back from another student (the year's turnover), free to lend.
        found["device"] = con.execute(
            "SELECT a.id, a.tag FROM asset a JOIN hardware_model m ON m.id = a.model_id "
            "JOIN category c ON c.id = m.category_id JOIN loan l ON l.asset_id = a.id "
            "WHERE c.kind = 'chromebook' AND l.returned_at IS NULL AND l.person_id IS NOT NULL "
            "ORDER BY a.id LIMIT 1").fetchone()
        con.close()
        assert found["student"] and found["device"], found
        for args in (["asset", "checkin", found["device"][1]],
                     ["event", "start", "distribution", "--site", "LHS"]):
            res = subprocess.run([sys.executable, "-m", "app", "--db", str(db), *args], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120, check=False)
            assert res.returncode == 0, res.stderr
        found["event"] = int(res.stdout.strip())
    return prepare


def test_student_card_then_device_lends_it(start_app):
    found: dict = {}
    app = start_app("events", prepare=_prepare(found))
    (pid, card), (aid, tag) = found["student"], found["device"]
    app.focus("events-entry")  # where a person would type; the scanner's burst is taken whole
    app.scan_and_wait(card)
    app.wait_state(lambda s: card in (s.get("feedback") or ["", ""])[1], "the student's verdict")
    app.scan_and_wait(tag)
    app.wait_state(lambda s: tag in (s.get("feedback") or ["", ""])[1], "the device's verdict")
    rows = app.query("SELECT person_id, agreement_status, returned_at FROM loan WHERE asset_id = ? "
                     "AND returned_at IS NULL", aid)
    assert rows == [(pid, "signed", None)]
    scans = app.query("SELECT verdict, code FROM event_scan WHERE event_id = ? ORDER BY id",
                      found["event"])
    assert scans == [("student", card), ("lent", tag)]
    # Nothing landed in the entry: the burst never reached the widget.
    assert app.state()["focus"]["name"] == "events-entry"
    assert (app.state()["focus"].get("text") or "") == ""
