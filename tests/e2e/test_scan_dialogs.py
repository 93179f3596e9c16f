"""Scans into open modal dialogs, and a person at the keyboard, with real X
key events: a dialog uses a scan for what it is for (Check in's list, Check
out's batch, borrower and room) or says plainly that it was not used; the
widget that has the focus (a date, a check box, a text box, a drop-down)
keeps its value; a person's typing and Enter still work as typed."""
from __future__ import annotations

from tests.e2e.test_scan_matrix import codes  # noqa: F401 - the fixture

NOT_USED = "not used here"


def _open_dialog(app, keys: str, name: str) -> dict:
    app.key(keys)
    return app.wait_state(lambda s: s["modal"] and s["modal"]["name"] == name, f"the {name} dialog")


def _not_used(app, code: str) -> dict:
    return app.wait_state(lambda s: s["feedback"] and s["feedback"][0] == "attention"
                          and code in s["feedback"][1] and NOT_USED in s["feedback"][1],
                          f"a clear 'not used' for {code}")


def test_check_in_dialog_takes_tags_and_refuses_the_rest(start_app, codes):  # noqa: F811
    app = start_app("assets")
    history = app.query("SELECT COUNT(*) FROM history_entry")
    for focus in ("checkin-tags", "checkin-condition"):
        for kind in ("known", "unknown", "room", "person", "supply"):
            app.show_page("assets")
            app.focus("assets-table")  # (the page's shortcuts work within the page)
            _open_dialog(app, "ctrl+i", "checkin-dialog")
            before = app.focus(focus)
            before = app.wait_idle()
            tags_before = before["modal"]["widgets"]["checkin-tags"]["text"]
            app.scan_and_wait(codes[kind])
            where = f"check in / {focus} / {kind}"
            if kind in ("known", "unknown"):
                want = (tags_before.rstrip("\n") + "\n" if tags_before.strip() else "") + codes[kind]
                after = app.wait_state(
                    lambda s, w=want: s["modal"]["widgets"]["checkin-tags"]["text"] == w,
                    f"{where}: the tag added to the list, once")
            else:
                _not_used(app, codes[kind])
                after = app.wait_state(lambda s: s["modal"] and "checkin-tags" in s["modal"]["widgets"],
                                       f"{where}: the dialog still open")
                assert after["modal"]["widgets"]["checkin-tags"]["text"] == tags_before, where
            assert after["modal"]["name"] == "checkin-dialog", where
            if focus != "checkin-tags":
                assert after["modal"]["widgets"][focus] == before["modal"]["widgets"][focus], where
            assert after["page"] == "assets" and after["announced"][-1] == codes[kind]
            app.close_modal()
    # Scans only filled the list: nothing was checked in (only the button would).
    assert app.query("SELECT COUNT(*) FROM history_entry") == history


def test_check_out_dialog_keeps_its_date_and_takes_the_scan(start_app, codes):  # noqa: F811
    app = start_app("assets")
    history = app.query("SELECT COUNT(*) FROM history_entry")
    first_tag = None
    for focus in ("checkout-due", "checkout-signed", "person-search", "person-results"):
        for kind in ("known", "unknown", "room", "person", "supply"):
            app.show_page("assets")
            app.focus("assets-table", 5)
            opened = _open_dialog(app, "ctrl+o", "checkout-dialog")
            first_tag = first_tag or opened["modal"]["labels"]["checkout-assets"]
            before = app.focus(focus)
            before = app.wait_idle()
            widgets = before["modal"]["widgets"]
            app.scan_and_wait(codes[kind])
            where = f"check out / {focus} / {kind}"
            if kind == "known":
                after = app.wait_state(lambda s: codes["known"] in s["modal"]["labels"]["checkout-assets"],
                                       f"{where}: the tag joins the check-out")
                assert after["modal"]["labels"]["checkout-assets"].startswith(first_tag)
            elif kind == "unknown":
                app.wait_state(lambda s: "No asset has the tag QM-999990" in s["modal"]["text"], where)
                app.key("Escape")
                app.wait_state(lambda s: s["modal"]["name"] == "checkout-dialog", where)
                app.activate_main()  # (the dialog under the message)
                after = app.state()
            elif kind == "person":
                after = app.wait_state(lambda s: s["modal"]["widgets"]["person-search"]["text"]
                                       == codes["person"], f"{where}: the badge picks the borrower")
            elif kind == "room":
                after = app.wait_state(lambda s: s["modal"]["widgets"]["checkout-location"]["text"]
                                       .endswith(codes["room_name"]), f"{where}: the room label picks the room")
            else:
                after = _not_used(app, codes[kind])
            after = app.wait_idle()
            # The date, the check box and the typed search are never typed into.
            for name in ("checkout-due", "checkout-signed"):
                assert after["modal"]["widgets"][name] == widgets[name], f"{where}: {name}"
            if kind != "person":
                assert after["modal"]["widgets"]["person-search"] == widgets["person-search"], where
            app.close_modal()
    assert app.query("SELECT COUNT(*) FROM history_entry") == history  # nothing checked out


def test_a_dialog_that_takes_no_scans_says_so_and_keeps_its_fields(start_app, codes):  # noqa: F811
    app = start_app("assets")
    app.focus("assets-table", 2)
    app.scan_and_wait(codes["known"])
    app.wait_state(lambda s: s["modal"] and s["modal"]["title"] == f"Asset {codes['known']}", "the editor")
    for focus in ("name", "status", "notes", "serial"):
        before = app.focus(focus)
        before = app.wait_idle()
        for kind in ("known2", "unknown", "room", "person", "supply"):
            app.scan_and_wait(codes[kind])
            after = _not_used(app, codes[kind])
            after = app.wait_idle()
            assert after["modal"]["title"] == f"Asset {codes['known']}", "nothing opened over it"
            assert after["modal"]["widgets"] == before["modal"]["widgets"], f"editor / {focus} / {kind}"
            assert after["focus"] == before["focus"]
    app.close_modal()
    assert app.state()["windows"] == [w for w in app.state()["windows"] if "Asset" not in w]


def test_a_person_types_and_presses_enter_as_usual(start_app, codes):  # noqa: F811
    app = start_app("assets")
    # Typing in the search box arrives exactly as typed, and opens nothing.
    app.focus("assets-search")
    app.type("Chromebook 3110")
    s = app.wait_state(lambda s: s["focus"]["text"] == "Chromebook 3110", "the typed search")
    assert s["modal"] is None and s["announced"] == []
    # A person's Enter on the table opens the highlighted row (the table's own shortcut).
    app.show_page("assets")
    row = app.focus("assets-table", 3)
    app.key("Return")
    tag = app.query("SELECT tag FROM asset WHERE id = ?", row["current_id"])[0][0]
    app.close_modal(f"Asset {tag}")
    # A person's type-ahead still moves the table (held, then replayed).
    app.focus("assets-table", 0)
    app.type("Q")
    app.wait_idle()
    assert app.state()["announced"] == []


def test_scan_terminated_by_tab_or_by_silence(start_app, codes):  # noqa: F811
    app = start_app("assets")
    for terminator in ("Tab", ""):
        before = app.focus("assets-search")
        before = app.wait_idle()
        app.scan_and_wait(codes["known"], terminator=terminator)
        app.close_modal(f"Asset {codes['known']}")
        after = app.focus("assets-search")
        assert after["focus"] == before["focus"] and after["filters"] == before["filters"]
        app.x.xdotool("sleep", "2.1")  # past the repeat window: the same code counts again


def test_editable_drop_downs_in_a_dialog_keep_their_text(start_app, codes):  # noqa: F811
    """New intake: editable drop-downs (supplier), plain ones and text fields;
    the dialog takes no scans, says so, and nothing is typed into it."""
    app = start_app("intake")
    app.focus("intake-new")
    app.key("space")  # a person presses the button (the held Space, replayed)
    app.wait_state(lambda s: s["modal"] and s["modal"]["title"].startswith("New intake"), "New intake")
    for focus in ("intake-supplier", "intake-model", "intake-funding", "intake-po", "intake-date"):
        before = app.focus(focus)
        before = app.wait_idle()
        for kind in ("known", "unknown", "room", "person", "supply"):
            app.scan_and_wait(codes[kind])
            _not_used(app, codes[kind])
            after = app.wait_idle()
            assert after["modal"]["widgets"] == before["modal"]["widgets"], f"intake / {focus} / {kind}"
            assert after["focus"] == before["focus"]
            app.x.xdotool("sleep", "0.01")
    app.close_modal()


def test_a_scan_into_an_open_drop_down_list(start_app, codes):  # noqa: F811
    """The drop-down's list is open (a popup): the scan is still a scan, and
    the drop-down keeps its value — no type-ahead picks an entry."""
    app = start_app("assets")
    for kind in ("known", "room", "person"):
        app.show_page("assets")
        before = app.focus("filter-category_id")
        app.key("F4")
        app.wait_state(lambda s: s["popup"] is not None, "the drop-down's list open")
        app.scan_and_wait(codes[kind])
        if kind == "known":
            app.close_modal(f"Asset {codes['known']}")
            after = app.focus("filter-category_id")
            assert after["focus"] == before["focus"]
            assert after["filters"] == before["filters"]
        elif kind == "room":
            s = app.wait_state(lambda s: s["filters"]["filter-location_id"]["text"] == codes["room_name"],
                               "the room's filter shown")
            assert s["filters"]["filter-category_id"] == before["filters"]["filter-category_id"]
        else:
            app.wait_state(lambda s: s["page"] == "people" and s["current_id"] == codes["person_id"],
                           "the person")
            app.show_page("assets", reset=False)
            after = app.focus("filter-category_id")
            assert after["focus"] == before["focus"]
        if app.state()["popup"]:  # (a scan that stays on the page leaves the list open)
            app.key("Escape")
            app.wait_state(lambda s: s["popup"] is None, "the list closed")


def test_a_search_box_shows_typing_at_once_and_keeps_it_through_a_scan(start_app, codes):  # noqa: F811
    """The list's search box takes a person's keys as they come (no silence
    window), and a scan typed into it in the middle of a search opens the
    asset and leaves the box as it was: text, cursor, selection, the list."""
    app = start_app("assets")
    app.focus("assets-search")
    app.type("latitude")
    app.wait_state(lambda s: s["focus"]["text"] == "latitude", "the typed search")
    app.key("Left", "Left")
    chosen = app.focus("assets-table", 2)["current_id"]  # a row chosen, then back to the box
    assert chosen is not None
    app.focus("assets-search")
    before = app.wait_idle()
    assert before["focus"]["cursor"] == 6 and before["current_id"] == chosen
    app.scan_and_wait(codes["known"])
    app.close_modal(f"Asset {codes['known']}")
    app.focus("assets-search")
    after = app.wait_idle()
    assert after["focus"] == before["focus"] and after["filters"] == before["filters"]
    assert after["current_id"] == chosen
    app.key("shift+Home")
    before = app.wait_idle()
    assert before["focus"]["selection"] == "latitu"
    app.scan_and_wait(codes["known2"])
    app.close_modal(f"Asset {codes['known2']}")
    app.focus("assets-search")
    after = app.wait_idle()
    assert after["focus"] == before["focus"] and after["filters"] == before["filters"]
