"""Scans with real X key events, wherever the focus is.

For each page (Assets, People, Licenses with "Scans give seats", Stocktake,
Settings, the Check in and Check out dialogs) and each kind of focused widget
(table, drop-down, spin box, check box, list, date edit, line edit), each
kind of code (known tag, unknown tag, room label, person ID, supply barcode)
must do the one expected thing — read back from the database and the app's
probe — and leave the focused widget's value, current row and selection,
and the page's filters, exactly as they were.
"""
from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.conftest import wait_for

KINDS = ("known", "unknown", "room", "person", "supply")


@pytest.fixture(scope="module")
def codes(demo_db) -> dict:
    """Real codes from the demo district, and what they name."""
    con = sqlite3.connect(demo_db)
    try:
        asset_id, tag = con.execute("SELECT id, tag FROM asset WHERE tag = 'QM-000100'").fetchone()
        tag2 = con.execute("SELECT tag FROM asset WHERE tag = 'QM-000101'").fetchone()[0]
        room_id, label, room, site_id, site = con.execute(
            "SELECT l.id, l.barcode, l.name, s.id, s.name FROM location l JOIN site s "
            "ON s.id = l.site_id WHERE l.barcode = 'LOC-00002'").fetchone()
        person_id, badge = con.execute(
            "SELECT id, id_number FROM person WHERE id_number = 'E10001'").fetchone()
        supply_id, barcode = con.execute(
            "SELECT id, barcode FROM supply WHERE barcode IS NOT NULL ORDER BY id").fetchone()
    finally:
        con.close()
    return {"known": tag, "known2": tag2, "asset_id": asset_id, "unknown": "QM-999990",
            "room": label, "room_id": room_id, "room_name": room, "site_id": site_id,
            "site_name": site, "person": badge, "person_id": person_id,
            "supply": barcode, "supply_id": supply_id}


def _same(before: dict, after: dict, what: str) -> None:
    assert after == before, f"{what} changed:\nbefore {before}\nafter  {after}"


def default_action(app, kind: str, c: dict, page: str) -> bool:
    """What a scan opens on a page that leaves scans to the main window.
    Returns True when the scan took the app to another page."""
    if kind == "known":
        app.wait_state(lambda s: s["modal"] and s["modal"]["title"] == f"Asset {c['known']}",
                       "the scanned asset's editor (not the highlighted row's)")
        app.close_modal()
        return False
    if kind == "unknown":
        app.wait_state(lambda s: s["modal"] and "Create an asset with tag QM-999990"
                       in s["modal"]["text"], "the offer to create an asset with that tag")
        app.close_modal()
        return False
    if kind == "room":
        s = app.wait_state(lambda s: s["page"] == "assets"
                           and s["filters"].get("filter-location_id", {}).get("text") == c["room_name"],
                           "Assets showing the room filter")
        assert s["filters"]["filter-site_id"]["text"] == c["site_name"]
        assert " of " in s["filters"]["counts"]["text"]  # the list is filtered, and says so
        return page != "assets"
    if kind == "person":
        app.wait_state(lambda s: s["page"] == "people" and s["current_id"] == c["person_id"],
                       "the scanned person on People")
        return page != "people"
    if kind == "supply":
        app.wait_state(lambda s: s["modal"] and s["modal"]["title"].startswith("Issue"),
                       "Issue for the scanned supply")
        app.close_modal()
        return page != "supplies"
    raise AssertionError(kind)


def run_matrix(app, page: str, focus_kinds: dict, c: dict, action=default_action,
               kinds=KINDS) -> None:
    """``focus_kinds``: {label: (object name, row or None)}. For each, for each
    code kind: focus, scan, check the action, then the widget and filters."""
    for label, (name, row) in focus_kinds.items():
        for kind in kinds:
            app.show_page(page)
            before = app.focus(name, row)
            app.wait_idle()
            before = app.state()
            app.scan_and_wait(c[kind])
            moved = action(app, kind, c, page)
            if moved:
                app.show_page(page, reset=False)
            # Back to the widget (a closed dialog hands the focus back as the
            # window system likes): its value, row and selection are what count.
            app.focus(name)
            after = app.wait_idle()
            where = f"{page} / {label} / {kind} ({c[kind]})"
            # What the scan is meant to change: a room label filters Assets (its
            # list and filter drop-downs), a badge selects the person on People.
            meant = (page, kind) in (("assets", "room"), ("people", "person"))
            if not (meant and (name.endswith("-table") or name.startswith("filter-"))):
                _same(before["focus"], after["focus"], f"{where}: the focused widget")
            if not meant:
                _same(before["filters"], after["filters"], f"{where}: the page's filters")
                if not moved:  # (coming back to a page may make its first row current)
                    assert after["current_id"] == before["current_id"], f"{where}: the selected record"


def test_assets_page(start_app, codes):
    app = start_app("assets")
    run_matrix(app, "assets", {
        "table": ("assets-table", 4),
        "drop-down": ("filter-site_id", None),
        "check box": ("filter-not_audited", None),
        "line edit": ("assets-search", None),
        "list": ("sidebar", None),
    }, codes)


def test_people_page(start_app, codes):
    app = start_app("people")
    run_matrix(app, "people", {
        "table": ("people-table", 2),
        "drop-down": ("filter-kind", None),
        "line edit": ("people-search", None),
    }, codes)


def test_settings_page_spin_box_and_editable_fields(start_app, codes):
    app = start_app("settings")
    run_matrix(app, "settings", {
        "spin box": ("tag_next", None),
        "line edit": ("org_name", None),
    }, codes)


def test_licenses_scans_give_seats_of_the_selected_license(start_app, codes):
    """With "Scans give seats" ticked, a tag or a badge gives a seat of the
    license the user selected — every time, from any focused widget — and
    the selection stays; other codes do what they do anywhere."""
    app = start_app("licenses")
    app.show_page("licenses")
    # Microsoft 365 A3: a site license, so seats never run out mid-test.
    want = app.query("SELECT id FROM license WHERE product = 'Microsoft 365 A3'")[0][0]
    row = next(r for r in range(20) if app.focus("licenses-table", r)["current_id"] == want)
    ticked = app.focus("scan-gives-seats")["focus"]["checked"]
    # A person's Space (held back, then replayed) toggles the box, twice.
    for _ in range(2):
        app.key("space")
        ticked = not ticked
        app.wait_state(lambda s, t=ticked: s["filters"]["scan-gives-seats"]["checked"] is t,
                       "Space to toggle Scans give seats")
    if not ticked:
        app.key("space")
        app.wait_state(lambda s: s["filters"]["scan-gives-seats"]["checked"], "Scans give seats")
    license_id = app.focus("licenses-table", row) and app.state()["current_id"]
    assert license_id
    tags = iter(t for (t,) in app.query(
        "SELECT tag FROM asset WHERE status NOT IN ('retired', 'disposed') AND tag > 'QM-000150' "
        "AND id NOT IN (SELECT asset_id FROM seat WHERE license_id = ? AND asset_id IS NOT NULL) "
        "ORDER BY tag LIMIT 40", license_id))
    people = iter(app.query(
        "SELECT id, id_number FROM person WHERE id_number IS NOT NULL AND active = 1 "
        "AND id_number <> ? AND id NOT IN (SELECT person_id FROM seat WHERE license_id = ? "
        "AND person_id IS NOT NULL) ORDER BY id LIMIT 20", codes["person"], license_id))
    others = app.query("SELECT COUNT(*) FROM seat WHERE license_id <> ?", license_id)
    focus_kinds = {"table": ("licenses-table", row), "drop-down": ("filter-show", None),
                   "line edit": ("licenses-search", None), "check box": ("scan-gives-seats", None),
                   "list": ("seat-list", None)}
    for label, (name, r) in focus_kinds.items():
        # The Licenses two-scan case: two tags in a row, then a badge.
        for kind in ("known", "known", "person", "unknown", "room", "supply"):
            app.show_page("licenses", reset=False)
            app.focus("licenses-table", row)
            before = app.focus(name, r)
            before = app.wait_idle()
            assert before["current_id"] == license_id
            where = f"licenses / {label} / {kind}"
            if kind == "known":
                tag = next(tags)
                app.scan_and_wait(tag)
                wait_for(lambda t=tag: app.query(
                    "SELECT 1 FROM seat JOIN asset ON asset.id = seat.asset_id "
                    "WHERE seat.license_id = ? AND asset.tag = ?", license_id, t),
                    what=f"{where}: a seat of the selected license for {tag}")
                moved = False
            elif kind == "person":
                pid, badge = next(people)
                app.scan_and_wait(badge)
                wait_for(lambda p=pid: app.query("SELECT 1 FROM seat WHERE license_id = ? "
                                                 "AND person_id = ?", license_id, p),
                         what=f"{where}: a seat of the selected license for {badge}")
                moved = False
            else:
                app.scan_and_wait(codes[kind])
                moved = default_action(app, kind, codes, "licenses")
            if moved:
                app.show_page("licenses", reset=False)
            after = app.focus(name)
            after = app.wait_idle()
            assert after["modal"] is None, where
            if name == "seat-list" and kind in ("known", "person"):
                # The seat list itself gained the new seat (re-read): no row to keep.
                for state in (before, after):
                    state["focus"].pop("row")
            _same(before["focus"], after["focus"], f"{where}: the focused widget")
            _same(before["filters"], after["filters"], f"{where}: the filters")
            assert after["current_id"] == license_id, f"{where}: the selected license moved"
    # Nothing went to any other license.
    assert app.query("SELECT COUNT(*) FROM seat WHERE license_id <> ?", license_id) == others


def test_stocktake_records_every_scan(start_app, codes):
    """On Stocktake with an open session every scan is recorded, from any
    focused widget, and the widget is left as it was."""
    def prepare(db):
        import subprocess
        import sys

        from tests.e2e.conftest import ROOT
        res = subprocess.run([sys.executable, "-m", "app", "--db", str(db), "stocktake", "start",
                              "--scope", codes["site_name"], "--name", "e2e count"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert res.returncode == 0, res.stderr
    app = start_app("stocktake", prepare)
    app.wait_state(lambda s: s["page"] == "stocktake")
    focus_kinds = {"line edit": ("stocktake-entry", None), "drop-down": ("stocktake-sessions", None),
                   "table": ("stocktake-rooms", None), "list": ("stocktake-scans", None)}
    n = 0
    for label, (name, r) in focus_kinds.items():
        for kind in KINDS:
            before = app.focus(name, r)
            before = app.wait_idle()
            app.scan_and_wait(codes[kind])
            said = codes["room_name"] if kind == "room" else codes[kind]
            after = app.wait_state(lambda s, w=said: w in (s["feedback"] or ["", ""])[1],
                                   f"stocktake / {label} / {kind}: the verdict")
            if kind in ("person", "supply"):  # said, and not recorded
                assert after["feedback"][0] != "ok"
            else:
                n += 1
            wait_for(lambda k=n: app.query("SELECT COUNT(*) FROM stocktake_scan")[0][0] == k,
                     what=f"stocktake / {label} / {kind}: {n} scans recorded")
            code = app.query("SELECT code FROM stocktake_scan ORDER BY id DESC LIMIT 1")[0][0]
            assert code == codes[kind] or kind in ("person", "supply")
            after = app.wait_idle()
            assert after["modal"] is None and after["page"] == "stocktake"
            if name == "stocktake-scans":  # the newest scan is added on top of this list
                before["focus"].pop("row"), after["focus"].pop("row")
                before["focus"].pop("selected"), after["focus"].pop("selected")
            if name != "stocktake-rooms":  # (the rooms table updates its counts)
                _same(before["focus"], after["focus"], f"stocktake / {label} / {kind}")
