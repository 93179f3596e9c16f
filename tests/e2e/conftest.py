"""Real input, end to end: the real app under Xvfb, driven by xdotool.

qtbot's synthetic key events skip part of Qt's real key path (for a real X
key, Qt sends ShortcutOverride and runs shortcuts before the KeyPress), so
these tests start ``python -m app gui`` on a demo database in its own X
server and type with ``xdotool``: ``--delay 8`` is a scanner, ``--delay 150``
a person. They read outcomes from the database and from the app's test-only
probe (``ui/e2e_probe.py``, on only when ``QM_E2E_STATE`` is set).

Skipped when Xvfb or xdotool is missing (CI installs both). One app process
per test (a page), many scans in it; every wait is a poll with a generous
deadline, so a loaded machine is slower, not red.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HAVE_X = bool(shutil.which("Xvfb") and shutil.which("xdotool"))
SCANNER_DELAY_MS = 8
HUMAN_DELAY_MS = 150
KEYSYMS = {"-": "minus", ".": "period", "/": "slash", " ": "space", "_": "underscore",
           ":": "colon", "(": "parenleft", ")": "parenright"}
SCANNER_SETTINGS = {"scanner_max_avg_gap_ms": 40, "scanner_silence_ms": 120}
TIMEOUT = float(os.environ.get("QM_E2E_TIMEOUT", "30"))



def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/") and not HAVE_X:
            item.add_marker(pytest.mark.skip(reason="needs Xvfb and xdotool"))


def wait_for(predicate, timeout: float = TIMEOUT, what: str = "", interval: float = 0.05):
    """Poll until ``predicate()`` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a file mid-write
            last_exc, value = exc, None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}"
                         + (f" ({last_exc})" if last_exc else ""))


class XServer:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp",
             "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            self.proc.kill()
            pytest.skip("Xvfb did not start")
        self.display = f":{number}"

    def xdotool(self, *args: str, check: bool = True) -> str:
        res = subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=self.display),
                             capture_output=True, text=True, timeout=60, check=False)
        if check and res.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)}: {res.stderr.strip()}")
        return res.stdout

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class App:
    """One running Quartermaster on a copy of the demo database."""

    def __init__(self, x: XServer, db: Path, tmp: Path, page: str):
        self.x = x
        self.db = db
        self.state_path = tmp / "state.json"
        home = tmp / "home"
        home.mkdir(exist_ok=True)
        env = dict(os.environ, DISPLAY=x.display, QT_QPA_PLATFORM="xcb", HOME=str(home),
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                   XDG_CACHE_HOME=str(home / ".cache"), QM_E2E_STATE=str(self.state_path),
                   QT_ACCESSIBILITY="0", NO_AT_BRIDGE="1", QM_USER="e2e")
        env.pop("QUARTERMASTER_DB", None)
        self.log = open(tmp / "app.log", "w")  # noqa: SIM115 - open while the app runs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--db", str(db), "gui", "--page", page, "--size", "1400x860"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.log_path = tmp / "app.log"
        wait_for(lambda: self.alive() and self.state_path.exists(), what="the app's first state")
        wait_for(lambda: self.state().get("page") == page, what=f"the {page} page")
        x.xdotool("mousemove", "700", "450")
        self.wait_idle()

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            if "platform plugin" in self.log_text() and not self.state_path.exists():
                pytest.skip("Qt's xcb platform plugin cannot start here (its X libraries are missing)")
            raise AssertionError(f"the app exited ({self.proc.returncode}):\n{self.log_text()}")
        return True

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def wait_state(self, predicate, what: str = "", timeout: float = TIMEOUT) -> dict:
        seen = {}

        def check():
            self.alive()
            s = self.state()
            seen["last"] = s
            return s if predicate(s) else None
        try:
            return wait_for(check, timeout=timeout, what=what)
        except AssertionError as exc:
            last = seen.get("last") or {}
            brief = {k: last.get(k) for k in ("page", "focus", "current_id", "status", "feedback",
                                              "runs")}
            brief["modal"] = last.get("modal") and {k: last["modal"][k] for k in ("title", "text")}
            raise AssertionError(f"{exc}\nlast state: {brief}") from None

    def wait_idle(self, quiet: float = 0.3) -> dict:
        """Wait until the state has stopped changing for ``quiet`` seconds."""
        last, since = None, time.monotonic()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            self.alive()
            try:
                text = self.state_path.read_text()
            except OSError:
                text = None
            if text != last:
                last, since = text, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return json.loads(text)
            time.sleep(0.05)
        raise AssertionError("the app never settled")

    def command(self, line: str) -> None:
        cmd = Path(str(self.state_path) + ".cmd")
        wait_for(lambda: not cmd.exists(), what="the previous command to be read")
        cmd.write_text(line + "\n")
        wait_for(lambda: not cmd.exists(), what=f"the app to read {line!r}")

    def show_page(self, key: str, reset: bool = True) -> dict:
        self.command(f"{'reset' if reset else 'page'} {key}")
        # A list's counts come from a worker once the page has settled ("counting…"
        # until then): a state read before they come is not the page's.
        self.wait_state(lambda s: s["page"] == key and s["modal"] is None, f"page {key}")
        # The state file may still be the page's before the reset reloaded it:
        # wait for it to settle, then for the counts.
        self.wait_idle()
        self.wait_state(lambda s: "counting" not in (s.get("filters") or {}).get("counts", {})
                        .get("text", ""), f"page {key}, counted")
        self.activate_main()
        return self.state()

    def focus(self, name: str, row: int | None = None) -> dict:
        if self.state()["modal"] is None:
            self.activate_main()
        self.command(f"focus {name}" + (f" {row}" if row is not None else ""))
        state = self.wait_state(lambda s: (s["focus"] or {}).get("name") == name
                                and (row is None or s["focus"].get("row") == row), f"focus on {name}")
        return state

    # --- real input ---------------------------------------------------------------

    def scan(self, code: str, terminator: str = "Return") -> None:
        """A USB scanner: the code a few ms per key, then Enter (or Tab) —
        one xdotool run, so starting a second process on a loaded machine
        cannot put a pause before the terminator."""
        keys = [KEYSYMS.get(ch, ch) for ch in code] + ([terminator] if terminator else [])
        self.x.xdotool("key", "--delay", str(SCANNER_DELAY_MS), *keys)

    def type(self, text: str) -> None:
        """A person at the keyboard."""
        self.x.xdotool("type", "--delay", str(HUMAN_DELAY_MS), text)

    def key(self, *keys: str) -> None:
        self.x.xdotool("key", "--delay", str(HUMAN_DELAY_MS), *keys)

    def scan_and_wait(self, code: str, terminator: str = "Return") -> dict:
        """Scan; wait until the app has announced it and settled."""
        before = len(self.state()["announced"])
        self.scan(code, terminator)
        self.wait_state(lambda s: len(s["announced"]) > before, f"the scan {code} to be announced")
        return self.wait_idle()

    def close_modal(self, title_part: str = "") -> None:
        """Escape the open modal window (a dialog, or No on a question)."""
        self.wait_state(lambda s: s["modal"] and title_part in s["modal"]["title"] + s["modal"]["text"]
                        and s["active"] == s["modal"]["title"], f"a window {title_part!r}, active")
        self.key("Escape")
        self.wait_state(lambda s: s["modal"] is None, "the window to close")
        self.activate_main()

    def activate_main(self) -> None:
        """Give the top window (the open dialog, else the main window) the X
        input focus back. Xvfb has no window manager to do it when a window
        above closes (a desktop's does)."""
        state = self.state()
        if state["focus"] is not None:
            return
        if state["modal"]:
            pattern = "^" + re.escape(state["modal"]["title"])
        else:
            pattern = re.escape(self.db.name)  # the main window title names the database
        wid = wait_for(lambda: self.x.xdotool("search", "--onlyvisible", "--name", pattern,
                                              check=False).split(), what=f"the window {pattern}")[-1]
        self.x.xdotool("windowfocus", "--sync", wid, check=False)
        self.wait_state(lambda s: s["focus"] is not None, "the window to be active again")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    # --- the database -------------------------------------------------------------

    def query(self, sql: str, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo district (300 assets), made once per test process."""
    path = tmp_path_factory.mktemp("e2e-demo") / "demo.sqlite"
    res = subprocess.run([sys.executable, "-m", "app", "--db", str(path), "demo", "--assets", "300"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, QM_USER="e2e"), check=False)
    assert res.returncode == 0, res.stderr
    return path


@pytest.fixture(scope="session")
def xserver(tmp_path_factory):
    if not HAVE_X:
        pytest.skip("needs Xvfb and xdotool")
    x = XServer(tmp_path_factory.mktemp("xvfb"))
    yield x
    x.stop()


@pytest.fixture
def start_app(xserver, demo_db, tmp_path):
    """``start_app(page, prepare=None)``: the app on a fresh copy of the demo
    database (``prepare(path)`` may change the copy first)."""
    apps = []

    def start(page: str, prepare=None) -> App:
        db = tmp_path / "qm.sqlite"
        shutil.copy(demo_db, db)
        # xdotool on a loaded 2-core machine can stall a few tens of ms inside
        # a burst: a little more room than a real scanner needs, still far
        # from a person's 150 ms (the thresholds themselves are unit-tested in
        # tests/ui/test_scanner_detector.py; here it is Qt's key path).
        con = sqlite3.connect(db)
        with con:
            for key, value in SCANNER_SETTINGS.items():
                con.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                            (key, json.dumps(value)))
        con.close()
        if prepare is not None:
            prepare(db)
        app = App(xserver, db, tmp_path, page)
        apps.append(app)
        return app
    yield start
    for app in apps:
        app.stop()
        log = app.log_text()
        assert "Traceback" not in log, log[-4000:]
