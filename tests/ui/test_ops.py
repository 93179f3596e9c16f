"""The shared UI pieces for operations: run_op and the typed Changes set, the
GUI excepthook, colours only from the theme, the save-dialog helper, and the
consistency items (history labels and timestamps, Stocktake totals and
Apply counts)."""
from __future__ import annotations

import datetime as dt
import re
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from app.services.errors import Conflict, ValidationError
from tests.app.factories import asset, district
from tests.ui.test_shell import isolated_settings, reg, window  # noqa: F401 - the shell's set-up


class _Inline(QWidget):
    """A page with its own message spot."""

    def __init__(self):
        super().__init__()
        self.message = QLabel(self)
        self.child = QPushButton("Go", self)
        QVBoxLayout(self).addWidget(self.child)

    def show_op_error(self, exc) -> bool:
        self.message.setText(str(exc))
        return True


# --- run_op -----------------------------------------------------------------------------------

def test_success_announces_the_typed_changes_and_pages_refresh(qtbot, window, reg):
    from ui.bus import bus
    from ui.ops import Changes, announce, run_op
    d, _made = reg
    page = window.pages["assets"]
    assert page.list.counts.text() == "30 assets"
    licenses_page = window.page("licenses")  # built, not shown: it goes stale or not
    heard, got = [], []
    bus.data_changed.connect(heard.append)
    try:
        ok = run_op(page, lambda: asset(d, tag="QM-000099", name="Projector"),
                    changes=Changes.ASSETS | Changes.LOANS, success=got.append)
    finally:
        bus.data_changed.disconnect(heard.append)
    assert ok is True and got and got[0].tag == "QM-000099"
    assert heard == [Changes.ASSETS | Changes.LOANS]
    assert isinstance(heard[0], Changes)
    qtbot.waitUntil(lambda: page.list.counts.text() == "31 assets")
    assert window.count_label.text() == "31 assets"
    assert "licenses" in window.stale  # it shows computers' tags: re-read when shown
    # A change a page does not show leaves it as it is.
    window.stale.clear()
    announce(Changes.SUPPLIES)
    assert "licenses" not in window.stale and licenses_page.CHANGES & Changes.ASSETS
    announce(Changes.ALL)
    assert "licenses" in window.stale


def test_a_refusal_is_shown_where_the_page_shows_errors(qtbot, sqlite_db, monkeypatch):
    from ui.bus import bus
    from ui.ops import Changes, run_op
    boxes = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: boxes.append(a[2]))
    page = _Inline()
    qtbot.addWidget(page)
    heard, failed = [], []
    bus.data_changed.connect(heard.append)

    def refuse():
        raise ValidationError("The serial is already on QM-000001.", field="serial")
    try:
        # From a child widget: the page's inline spot is found up the parents.
        ok = run_op(page.child, refuse, changes=Changes.ASSETS, failure=failed.append)
    finally:
        bus.data_changed.disconnect(heard.append)
    assert ok is False and page.message.text() == "The serial is already on QM-000001."
    assert not boxes and not heard and isinstance(failed[0], ValidationError)

    # A widget with no inline spot: a message box with the dialog's or app's title.
    plain = QWidget()
    qtbot.addWidget(plain)
    assert run_op(plain, lambda: (_ for _ in ()).throw(Conflict("Already checked out.")),
                  changes=Changes.LOANS) is False
    assert boxes == ["Already checked out."]


def test_a_file_that_cannot_be_written_is_a_readable_refusal(qtbot, sqlite_db, tmp_path):
    from ui.ops import Changes, run_op
    page = _Inline()
    qtbot.addWidget(page)
    target = tmp_path / "no-such-folder" / "x.pdf"

    def write():
        target.write_bytes(b"%PDF")
    assert run_op(page, write, changes=Changes.NONE) is False
    assert "No such file or directory" in page.message.text() and str(target) in page.message.text()


def test_changes_must_be_typed(qtbot, sqlite_db):
    from ui.ops import run_op
    with pytest.raises(TypeError):
        run_op(None, lambda: None, changes="asset")


def test_slow_runs_on_the_job_thread_and_reports_on_the_gui_thread(qtbot, sqlite_db):
    from ui.bus import bus
    from ui.jobs import wait_for_jobs
    from ui.ops import Changes, run_op
    page = _Inline()
    qtbot.addWidget(page)
    where, done, heard = {}, [], []
    bus.data_changed.connect(heard.append)

    def work():
        where["work"] = threading.current_thread()
        from app.models import Asset
        return Asset.select().count()  # the worker's own connection
    try:
        assert run_op(page, work, changes=Changes.ASSETS, slow=True,
                      success=lambda r: (done.append(r), where.setdefault(
                          "success", threading.current_thread()))) is None
        wait_for_jobs()
        qtbot.waitUntil(lambda: bool(done), timeout=5000)
    finally:
        bus.data_changed.disconnect(heard.append)
    assert where["work"] is not threading.main_thread()
    assert where["success"] is threading.main_thread()
    assert done == [0] and heard == [Changes.ASSETS]

    # A refusal in the worker reaches the page's inline spot, and nothing is announced.
    heard.clear()

    def refuse():
        raise Conflict("Close the stocktake before applying its results.")
    run_op(page, refuse, changes=Changes.STOCKTAKE, slow=True)
    wait_for_jobs()
    qtbot.waitUntil(lambda: page.message.text().startswith("Close the stocktake"), timeout=5000)
    assert heard == []


# --- the excepthook ---------------------------------------------------------------------------

@pytest.fixture
def crash_hook(monkeypatch, tmp_path):
    """The GUI excepthook installed, its dialog answered, its log under tmp_path."""
    from ui import crash
    shown = []
    monkeypatch.setattr(crash, "log_path", lambda: tmp_path / "logs" / "quartermaster.log")
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(
        (box.objectName(), box.text(), box.informativeText(), box.detailedText())) or 0)
    monkeypatch.setattr(crash, "_recent", {})
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    crash.install()
    yield shown
    sys.excepthook, threading.excepthook = old_hook, old_thread_hook


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_what_to_report_and_the_app_carries_on(
        qtbot, crash_hook, tmp_path):
    shown = crash_hook
    clicks = []
    button = QPushButton("Broken")

    def broken():
        clicks.append(1)
        raise KeyError("no_such_column")
    button.clicked.connect(broken)
    ok_button = QPushButton("Fine")
    ok_button.clicked.connect(lambda: clicks.append("fine"))
    qtbot.addWidget(button)
    qtbot.addWidget(ok_button)
    button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=3000)
    name, text, info, details = shown[0]
    assert name == "crash-dialog" and "Something went wrong" in text
    assert "KeyError" in info and str(tmp_path / "logs" / "quartermaster.log") in info
    assert "Traceback" in details and "no_such_column" in details and "broken" in details
    log = (tmp_path / "logs" / "quartermaster.log").read_text(encoding="utf-8")
    assert "no_such_column" in log and "Traceback" in log
    # The window keeps working: other slots run, and the same slot again.
    ok_button.click()
    button.click()
    assert clicks == [1, "fine", 1]
    # A timer's slot too; the same failure again soon is logged, not a second dialog.
    fired = []
    QTimer.singleShot(0, lambda: (fired.append(1), 1 / 0))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=3000)
    assert fired and "ZeroDivisionError" in shown[1][2]


@pytest.mark.qt_no_exception_capture
def test_a_bug_in_a_background_job_reaches_the_same_dialog(qtbot, sqlite_db, crash_hook):
    from ui.jobs import run_job, wait_for_jobs
    shown = crash_hook
    run_job(None, "Counting", lambda progress: {}["missing"])
    wait_for_jobs()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "KeyError" in shown[0][2] and "missing" in shown[0][3]


def test_the_app_installs_the_hook():
    import inspect

    import ui.app
    assert "crash.install()" in inspect.getsource(ui.app.run_gui)


# --- colours only from the theme --------------------------------------------------------------

# A colour written as a value: #hex, a named Qt colour, QColor with literal
# arguments, rgb()/rgba(), or "color:"/"background:" followed by a literal.
_HARD_CODED = re.compile(
    r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b(?![-_])"
    r"|\bQt\.(?:GlobalColor\.)?(?:red|green|blue|yellow|cyan|magenta|black|white|gray|"
    r"darkRed|darkGreen|darkBlue|darkGray|lightGray|darkYellow)\b"
    r"|QColor\(\s*[\"'\d]"
    r"|\brgba?\("
    r"|(?<![.\w])(?:color|background)\s*:\s*(?![{\s]*palette\(|\s*\{)[^;'\"}]")


def test_no_hard_coded_colours_outside_the_theme():
    root = Path(__file__).resolve().parents[2] / "ui"
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "theme.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            if _HARD_CODED.search(code):
                found.append(f"{path.relative_to(root.parent)}:{n}: {line.strip()}")
    assert not found, "colours belong in ui/theme.py:\n" + "\n".join(found)


def test_the_colour_grep_catches_what_it_should():
    for bad in ('QColor("#c62828")', "item.setForeground(Qt.red)", "x = '#b26a00'",
                "setStyleSheet('color: red;')", "QColor(229, 57, 53, 40)",
                "background: #fff", "rgba(0,0,0,0.5)"):
        assert _HARD_CODED.search(bad), bad
    for fine in ("theme.qcolour('error')", "f'color: {fg};'", "background: palette(mid);",
                 "self.setObjectName('scan-feedback')", "# the 3rd row",
                 "self.background: dict[int, object] = {}"):
        assert not _HARD_CODED.search(fine), fine


def test_theme_colours_follow_the_palette(monkeypatch):
    from ui import theme
    monkeypatch.setattr(theme, "is_dark", lambda: False)
    light = theme.brush("error").color().name()
    monkeypatch.setattr(theme, "is_dark", lambda: True)
    dark = theme.brush("error").color().name()
    assert light != dark and dark == theme.colour("error")
    assert theme.status_brush("Missing").color().name() == dark
    assert theme.status_brush("Deployed") is None


# --- the save-dialog helper -------------------------------------------------------------------

@pytest.fixture
def save_dialog(monkeypatch, tmp_path, isolated_qsettings):
    asked, answers = [], []

    def fake(parent, title, start, filters, *rest):
        asked.append((title, start, filters))
        return (answers.pop(0) if answers else "", rest[0] if rest else filters.split(";;")[0])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return asked, answers


def test_save_dialogs_start_in_the_last_folder_with_a_meaningful_name(qtbot, sqlite_db,
                                                                      save_dialog, tmp_path):
    from ui.files import agreement_name, ask_save_path
    asked, answers = save_dialog
    d = district()
    today = dt.date.today().isoformat()
    folder = tmp_path / "exports"
    folder.mkdir()
    answers.append(str(folder / "assets-list"))  # typed without an extension
    path = ask_save_path(None, "Export assets", ("assets",), "CSV (*.csv)")
    assert path == str(folder / "assets-list.csv")
    assert Path(asked[0][1]).name == f"assets-{today}.csv"
    # The next save dialog, of any kind, opens where the last file went.
    ask_save_path(None, "Save loan agreement", agreement_name(d["student"].id), "PDF (*.pdf)")
    assert asked[1][1] == str(folder / f"loan-agreement-S2000001-{today}.pdf")
    # Remembered across sessions (QSettings), and cancelling changes nothing.
    assert QSettings().value("files/last_folder") == str(folder)


def test_every_save_dialog_goes_through_the_helper():
    root = Path(__file__).resolve().parents[2] / "ui"
    direct = [str(p.relative_to(root.parent)) for p in root.rglob("*.py")
              if p.name != "files.py" and "getSaveFileName" in p.read_text(encoding="utf-8")]
    assert not direct, direct


def test_the_people_page_suggests_the_agreement_file_name(qtbot, sqlite_db, save_dialog,
                                                          monkeypatch):
    from ui.pages.people import Page
    asked, _answers = save_dialog
    d = district()
    page = Page()
    qtbot.addWidget(page)
    page.list.apply()
    page.list.select_id(d["student"].id)
    page.agreement()  # cancelled
    assert Path(asked[0][1]).name == f"loan-agreement-S2000001-{dt.date.today().isoformat()}.pdf"


# --- history labels, statuses, Stocktake totals and Apply counts -----------------------------

def test_the_history_tab_shows_field_labels_status_labels_and_whole_timestamps(qtbot, sqlite_db):
    from app.services import assets
    from ui.dialogs.asset_editor import AssetEditor
    d = district()
    a = asset(d)
    assets.update(a.id, {"warranty_end": "2029-06-30", "status": "deployed"})
    dlg = AssetEditor(a.id)
    qtbot.addWidget(dlg)
    t = dlg.history_table
    rows = [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())]
            for r in range(t.rowCount())]
    fields = {row[3]: row for row in rows}
    assert "Warranty end" in fields and "warranty_end" not in fields
    assert fields["Status"][5] == "Deployed" and fields["Status"][4] == "Ready to deploy"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0]) for row in rows), rows
    assert {row[2] for row in rows} <= {"Created", "Changed"}
    # Shown whole, not elided.
    fm = t.fontMetrics()
    assert t.columnWidth(0) >= fm.horizontalAdvance(rows[0][0])


@pytest.fixture
def stocktake_page(sqlite_db, qtbot, monkeypatch, tmp_path, isolated_qsettings):
    from PySide6.QtWidgets import QMainWindow

    from ui.pages.stocktake import Page
    win = QMainWindow()
    page = Page(win)
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.show()
    yield page
    # Its status timer must not fire into a later test's database.
    from ui.jobs import wait_for_jobs
    page._status_timer.stop()
    wait_for_jobs()
    win.close()
    win.deleteLater()


def test_stocktake_totals_follow_every_scan(qtbot, stocktake_page):
    from app.services import stocktake
    d = district()
    a1, a2 = asset(d), asset(d, location_id=d["r2"].id)
    page = stocktake_page
    s = stocktake.start("RHS")
    page.open_session(s.id)
    page._status_timer.stop()
    page.handle_scan(d["r1"].barcode)
    page.handle_scan(a1.tag)
    assert "found 1" in page.totals_line.text()  # at once, not when the timer re-reads
    page.handle_scan(a2.tag)
    assert "found 2" in page.totals_line.text() and "misplaced 1" in page.totals_line.text()
    page.handle_scan("NOPE-0001")
    assert "unknown 1" in page.totals_line.text()


def test_stocktake_apply_confirms_and_reports_the_same_counts(qtbot, stocktake_page,
                                                             monkeypatch):
    from app.services import assets, stocktake
    from ui.jobs import wait_for_jobs
    d = district()
    a1, lent, lost = asset(d), asset(d), asset(d)
    assets.check_out(lent.id, person_id=d["staff"].id)
    asked, told = [], []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    page = stocktake_page
    s = stocktake.start("RHS")
    page.open_session(s.id)
    page.handle_scan(d["r1"].barcode)
    page.handle_scan(a1.tag)
    stocktake.close(s.id)
    page.open_session(s.id)
    wait_for_jobs()
    qtbot.waitUntil(lambda: getattr(page, "rec", None) is not None
                    and page.apply_button.isEnabled(), timeout=5000)
    page.action_boxes["mark-missing"].setChecked(True)
    page.apply_actions()
    qtbot.waitUntil(lambda: bool(told), timeout=10000)
    # Two assets were not scanned, but one is on loan to a person (accounted
    # for, not missing): both messages say 1 marked missing, nothing skipped.
    planned = re.search(r"Applying will give: (.*?)\.", asked[-1]).group(1)
    done = re.search(r"Applied: (.*?)\.", told[-1]).group(1)
    assert planned == done == "1 audited, 0 moved, 1 marked missing, 0 created"
    assert assets.get(lost.id).status == "missing" and assets.get(lent.id).status != "missing"


def test_every_page_declares_the_changes_it_shows():
    from ui.ops import Changes
    from ui.pages import discover
    for spec in discover():
        changes = getattr(spec.factory, "CHANGES", None)
        assert isinstance(changes, Changes) and changes, spec.key


def test_only_run_op_and_announce_speak_on_the_bus():
    """A change is announced by ui.ops (typed), never by hand with a string."""
    root = Path(__file__).resolve().parents[2] / "ui"
    by_hand = [f"{p.relative_to(root.parent)}:{n}" for p in sorted(root.rglob("*.py"))
               if p.name not in ("ops.py", "bus.py")
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if "data_changed.emit(" in line]
    assert not by_hand, by_hand


def test_refusals_are_caught_in_one_place():
    """A DomainError is caught by run_op / lookup (ui/ops.py); a block that
    must stay says why on its own line ("stays: …")."""
    root = Path(__file__).resolve().parents[2] / "ui"
    by_hand = [f"{p.relative_to(root.parent)}:{n}" for p in sorted(root.rglob("*.py"))
               if p.name != "ops.py"
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if "except DomainError" in line and "# stays:" not in line]
    assert not by_hand, by_hand


def test_stocktake_status_reread_of_a_vanished_session_is_quiet(qtbot, stocktake_page,
                                                               monkeypatch):
    """Another database opened (or the session deleted elsewhere) while the
    page's re-read was pending: no message box for a background convenience."""
    from ui.jobs import wait_for_jobs
    boxes = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: boxes.append(a[2]))
    page = stocktake_page
    page.session_id = 999
    page.refresh_status()
    wait_for_jobs()
    qtbot.wait(50)
    assert not boxes
