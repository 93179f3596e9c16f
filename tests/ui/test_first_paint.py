"""What the first paint waits for, and what it does not (issue #25: a million
assets): the Dashboard paints before its figures; a search paints its first
page before its count; no count runs on the GUI thread; the pause before a
search follows how long the last one took; the benchmarks' paint clock."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from app import listing
from tests.app.factories import asset, district
from tests.ui.conftest import shown_window


@pytest.fixture(autouse=True)
def quiet(failing_boxes, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)


@pytest.fixture
def reg(sqlite_db):
    d = district()
    made = [asset(d, tag=f"QM-{n:06d}", name=f"Chromebook {n}", serial=f"SN{n:05d}")
            for n in range(1, 31)]
    return d, made


@pytest.fixture
def gate(monkeypatch):
    """listing.count and count_all held until ``gate.set()``, each call's
    thread recorded: what the GUI shows before a count comes."""
    opened = threading.Event()
    threads: list[threading.Thread] = []
    for name in ("count", "count_all"):
        real = getattr(listing, name)

        def held(*a, _real=real, **k):
            threads.append(threading.current_thread())
            opened.wait(30)
            return _real(*a, **k)
        monkeypatch.setattr(listing, name, held)
    opened.threads = threads
    yield opened
    opened.set()


def test_dashboard_paints_before_its_figures(qtbot, reg, monkeypatch):
    import ui.pages.dashboard as dashboard
    released = threading.Event()
    real = dashboard.summary
    monkeypatch.setattr(dashboard, "summary", lambda: released.wait(30) and real())
    from ui.main_window import MainWindow
    w = MainWindow(start_page="dashboard")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    page = w.pages["dashboard"]
    assert w.is_painted() and not w.is_ready()
    assert page.tiles["total"].number.text() == "–"  # the figure is still coming
    released.set()
    qtbot.waitUntil(w.is_ready, timeout=10_000)
    assert page.tiles["total"].number.text() == "30"


def test_search_paints_its_first_page_before_the_count(qtbot, reg, gate, monkeypatch):
    from ui.widgets.listview import ListView
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    view = ListView("assets")
    qtbot.addWidget(view)
    view.search.setText("chromebook")
    view.apply()
    model = view.model
    # The first page is painted (its rows cached) while the count is held.
    assert model.rowCount() == 10 and model.index(0, 0).data() == "QM-000001"
    assert not model.counted and view.counts.text().startswith("counting…")
    gate.set()
    qtbot.waitUntil(lambda: model.rowCount() == 30 and view.counts.text() == "30 assets",
                    timeout=10_000)
    qtbot.waitUntil(lambda: model.complete, timeout=10_000)  # the full id list followed
    assert model.id_at(29) == reg[1][29].id


def test_no_count_runs_on_the_gui_thread(qtbot, reg, gate):
    w = shown_window(qtbot, start_page="assets")
    page = w.pages["assets"]
    gate.set()
    qtbot.keyClicks(page.list.search, "sn0002")
    qtbot.waitUntil(lambda: page.list.counts.text() == "10 of 30 assets", timeout=10_000)
    page.list.search.clear()
    page.list.apply()
    qtbot.waitUntil(lambda: page.list.counts.text() == "30 assets", timeout=10_000)
    w.show_page("loans")
    w.show_page("people")
    qtbot.waitUntil(lambda: w.pages["people"].list.model.counted, timeout=10_000)
    assert gate.threads and threading.main_thread() not in gate.threads


def test_a_short_first_page_is_the_whole_answer(qtbot, reg, gate):
    """Ten matches of a page of 200: rows known at once, nothing to count
    (only the register's total, for "10 of 30", comes from the worker)."""
    from ui.models.table import ListTableModel
    model = ListTableModel("assets")
    model.set_filters({"search": "sn0002"})
    assert model.rowCount() == 10 and model.complete and model.counted
    gate.set()


def test_the_pause_before_a_search_follows_the_last_search(qtbot, reg):
    from ui.widgets.listview import ListView
    view = ListView("assets", search_delay_ms=120)
    qtbot.addWidget(view)
    view.last_search_ms = 8.4
    assert view.search_delay() == 4  # half the last search: faster keys make one search
    view.last_search_ms = 900
    assert view.search_delay() == 120  # a slow search waits for a pause in the typing
    view.apply()
    assert 0 <= view.last_search_ms < 5000


def test_the_paint_clock_times_the_first_paint_apart_from_the_figures(tmp_path, reg, sqlite_db):
    """bench/scale.py's figures: the Dashboard's first paint, then its figures."""
    import os
    from app.store.db import close_database, current_target
    target = current_target()
    close_database()
    env = dict(os.environ, QM_PAINT_CLOCK="1", QT_QPA_PLATFORM="offscreen", QM_NO_AUTO_BACKUP="1")
    r = subprocess.run([sys.executable, "-m", "app", "--db", str(target), "gui", "--page",
                        "dashboard", "--screenshot", str(tmp_path / "d.png")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    times = {p[0]: (float(p[1]), float(p[2])) for p in map(str.split, r.stdout.splitlines())
             if p and p[0] in ("painted", "ready")}
    assert set(times) == {"painted", "ready"}, r.stdout
    assert 0 < times["painted"][0] <= times["ready"][0] < 120


def test_start_up_imports_only_the_page_it_shows(tmp_path, reg, sqlite_db):
    """The sidebar lists every page from its module's constants; only the page
    shown is imported (the others cost ~0.15 s CPU at start otherwise)."""
    import os
    from app.store.db import close_database, current_target
    target = current_target()
    close_database()
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "from app.store.db import open_database; open_database(sys.argv[1]); "
            "from ui.main_window import MainWindow; w = MainWindow(start_page='assets'); "
            "print(sorted(m for m in sys.modules if m.startswith('ui.pages.'))); "
            "print([w.sidebar.item(i).text() for i in range(w.sidebar.count())])")
    r = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr
    imported, titles = r.stdout.splitlines()[-2:]
    assert "ui.pages.assets" in imported and "ui.pages.intake" not in imported
    assert "ui.pages.reports" not in imported and "ui.pages.dashboard" not in imported
    for title in ("Dashboard", "Assets", "People", "Loans", "Intake", "Reports", "Settings"):
        assert f"'{title}'" in titles


def test_a_page_that_cannot_be_imported_says_so_when_opened(qtbot, reg, monkeypatch):
    from ui.pages import PageSpec
    w = shown_window(qtbot, start_page="assets")
    broken = PageSpec("broken", "Broken", 999, "assets", "ui.pages.no_such_page")
    w.specs.append(broken)
    shown = []
    monkeypatch.setattr("ui.main_window.show_error", lambda parent, title, exc: shown.append(title))
    assert w.page("broken") is None and shown == ["Broken"]
    assert w.show_page("people") is w.pages["people"]  # the rest carry on


def test_a_list_opens_in_its_own_default_order(qtbot, reg):
    """The header's sort arrow starts on the list's default order (Loans by
    due day, Repairs by the day reported), not on its first column: enabling
    sorting asks for whatever the arrow shows, which used to re-sort Loans by
    tag (joining every open loan's asset for the first page)."""
    from app import listing
    from ui.widgets.listview import ListView
    for kind in ("loans", "repairs", "assets", "people"):
        view = ListView(kind)
        qtbot.addWidget(view)
        default = listing.KINDS[kind].default_sort
        shown = view.model.columns[view.table.horizontalHeader().sortIndicatorSection()].key
        assert (shown, view.model.sort_key) == (default, default), kind


def test_pages_are_found_without_their_source(monkeypatch):
    """The frozen build ships the pages as bytecode only: the sidebar then
    reads each page's constants from the module itself (the smoke test of
    `make dist` started with no pages when it read only the source)."""
    from pathlib import Path

    import ui.pages as pages
    from_source = pages.discover()
    assert len(from_source) > 10
    monkeypatch.setattr(Path, "is_file", lambda self: False)
    assert pages.discover() == from_source


def test_the_count_waits_for_a_pause_in_the_typing(qtbot, reg, monkeypatch):
    """Keys faster than the pause start no count (the next key would cancel it,
    and on a server it competes with that key's first page); the kind's total
    is counted once, not at each search."""
    from ui.models.table import ListTableModel
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    calls: list[str] = []
    for name in ("count", "count_all"):
        real = getattr(listing, name)
        monkeypatch.setattr(listing, name,
                            lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    model = ListTableModel("assets")
    for word in ("c", "ch", "chr", "chro"):
        model.set_filters({"search": word})
        assert not model.counted
    qtbot.waitUntil(lambda: model.counted, timeout=10_000)
    assert model.rows == 30 and model.total == 30
    assert calls == ["count", "count_all"]  # one count, for the last search only
    model.set_filters({"search": "chromebook"})
    qtbot.waitUntil(lambda: model.counted, timeout=10_000)
    assert calls == ["count", "count_all", "count"]  # the total is already known
    model.recount()
    qtbot.waitUntil(lambda: calls[-1] == "count_all", timeout=10_000)
