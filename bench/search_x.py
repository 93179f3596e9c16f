"""Search keystroke → table repainted, with real X input (issue #25).

    python bench/search_x.py --db PATH [--delay 150] [--runs 1]
    python bench/search_x.py --db postgresql://user@host:port/qm_scale_1000000

Starts the app on PATH (a copy: the app writes its own bookkeeping to it),
or on a PostgreSQL database (read only: every transaction of the app is
started READ ONLY through PGOPTIONS, so a search that wrote would fail
instead, and the shared 1M database can be used as it is), in its own Xvfb,
focuses the Assets page's search box, and types each search a key at a time
at a person's pace (``--delay`` ms between keys), the box cleared between
searches (Ctrl+A, BackSpace). Each key is a press and release sent through
XTEST on one open X connection: what ``xdotool key`` sends, without a
process started per key. The app runs with ``QM_PAINT_CLOCK``
(ui/paint_clock.py), which prints when each key reached Qt and when the
table painted the rows for each search text. A keystroke's time is from
just before its key was sent to the first repaint showing the text it made
(or a later text, when the next key came before it painted); so it includes
the X server, Qt's delivery of the key, the pause before searching, the
query, and the paint. Printed per search and overall: median, p95 and max,
and the same from the key's arrival in Qt.

Needs Xvfb and xdotool. Not part of ``make bench``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, pct

KEYSYMS = {"-": "minus", ".": "period", "/": "slash", " ": "space", "'": "apostrophe",
           "_": "underscore", ",": "comma"}
# Typical searches: a tag, a serial fragment, surnames, a model, a room; each
# typed from its first letter, so the 1- and 2-letter prefixes are timed too.
SEARCHES = ("qm-01234", "5cd1", "smith", "o'brien", "chromebook", "latitude 3440", "gym", "la")


def is_postgres(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


class Xvfb:
    def __init__(self):
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp",
             "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            self.proc.kill()
            raise SystemExit("Xvfb did not start")
        self.display = f":{number}"

    def xdotool(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=self.display),
                              capture_output=True, text=True, timeout=60, check=False).stdout

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class App:
    """The app under Xvfb; its QM_PAINT_CLOCK lines collected as they come."""

    def __init__(self, x: Xvfb, db: str, tmp: Path):
        self.x, self.db = x, db
        self.keys = XTestKeys(x.display)
        # The window's title names the file, or the server URL with its database.
        self.title = db.rstrip("/").rsplit("/", 1)[-1] if is_postgres(db) else Path(db).name
        home = tmp / "home"
        home.mkdir()
        env = dict(os.environ, DISPLAY=x.display, QT_QPA_PLATFORM="xcb", HOME=str(home),
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                   XDG_CACHE_HOME=str(home / ".cache"), QM_PAINT_CLOCK="1", QM_BENCH_T0=repr(time.time()), QM_NO_AUTO_BACKUP="1",
                   QT_ACCESSIBILITY="0", NO_AT_BRIDGE="1")
        env.pop("QUARTERMASTER_DB", None)
        if is_postgres(db):
            env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c default_transaction_read_only=on").strip()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--db", str(db), "gui", "--page",
                                      "assets", "--size", "1400x860"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[tuple[str, float, str]] = []  # (what, time, rest)
        self.cpu: dict[int, float] = {}  # index in lines → the GUI thread's CPU seconds
        self.other: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            parts = line.rstrip("\n").split(" ", 3)
            if parts[0] in ("key", "search") and len(parts) >= 3:
                self.cpu[len(self.lines)] = float(parts[2])
                self.lines.append((parts[0], float(parts[1]), parts[3] if len(parts) > 3 else ""))
            elif parts[0] in ("painted", "ready"):
                self.lines.append((parts[0], float(parts[1]), parts[2] if len(parts) > 2 else ""))
            else:
                self.other.append(line)

    def wait(self, predicate, what: str, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the app exited:\n{''.join(self.other)[-3000:]}")
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise SystemExit(f"timed out waiting for {what}")

    def focus_search(self) -> None:
        """The window active, then Ctrl+F: the page's search box (Xvfb has no
        window manager to give the window the focus)."""
        wid = self.wait(lambda: self.x.xdotool("search", "--onlyvisible", "--name",
                                               self.title).split(), "the main window")[-1]
        self.x.xdotool("windowfocus", "--sync", wid)
        self.x.xdotool("key", "ctrl+f")
        start = len(self.lines)
        self.x.xdotool("key", "x")  # proof that the box has the focus: its text changes
        self.wait(lambda: any(w == "key" and r == "x" for w, _t, r in self.lines[start:]),
                  "the search box to have the focus")

    def settle(self, quiet: float = 1.0) -> None:
        """Wait until nothing has been printed for ``quiet`` seconds."""
        def still():
            n = len(self.lines)
            time.sleep(quiet)
            return len(self.lines) == n
        self.wait(still, "the app to settle")

    def stop(self) -> None:
        self.keys.close()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class XTestKeys:
    """Keys sent through the XTEST extension on one open connection to the X
    server: the same fake hardware events ``xdotool key`` sends (it is built
    on libXtst), without starting a process for each key, which took ~80 ms
    and made that start part of every keystroke's time."""

    def __init__(self, display: str):
        import ctypes
        self._x11 = x11 = ctypes.CDLL("libX11.so.6")
        self._xtst = xtst = ctypes.CDLL("libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self._dpy = x11.XOpenDisplay(display.encode())
        if not self._dpy:
            raise SystemExit(f"cannot open X display {display}")

    def tap(self, keysym: str) -> None:
        """Press and release the key of an unshifted keysym ("a", "3", "space")."""
        code = self._x11.XKeysymToKeycode(self._dpy, self._x11.XStringToKeysym(keysym.encode()))
        if not code:
            raise SystemExit(f"no key sends {keysym!r} on this keyboard map")
        self._xtst.XTestFakeKeyEvent(self._dpy, code, 1, 0)
        self._xtst.XTestFakeKeyEvent(self._dpy, code, 0, 0)
        self._x11.XFlush(self._dpy)

    def close(self) -> None:
        self._x11.XCloseDisplay(self._dpy)


def type_search(app: App, text: str, delay: float) -> list[tuple[str, float, float | None, float | None]]:
    """Type ``text`` a key at a time; (prefix, ms from sending the key, ms from Qt's key,
    the GUI thread's CPU ms from the key to the repaint) each."""
    app.x.xdotool("key", "ctrl+a", "BackSpace")
    app.settle(1.0)  # the whole register painted again, its count in
    start = len(app.lines)
    sent: list[tuple[str, float]] = []
    t_next = time.time()
    for i, ch in enumerate(text):
        time.sleep(max(0.0, t_next - time.time()))
        t = time.time()
        app.keys.tap(KEYSYMS.get(ch, ch))
        sent.append((text[:i + 1], t))
        t_next = t + delay
    app.wait(lambda: any(w == "search" and r.split(" ", 1)[-1] == text
                         for w, _t, r in app.lines[start:]), f"the rows for {text!r}", timeout=60)
    app.settle(0.5)
    seen = list(enumerate(app.lines))[start:]
    out = []
    for prefix, t_sent in sent:
        painted = next(((i, t) for i, (w, t, r) in seen if w == "search" and t >= t_sent
                        and r.split(" ", 1)[-1].startswith(prefix)), None)
        arrived = next(((i, t) for i, (w, t, r) in seen if w == "key" and r == prefix
                        and t >= t_sent), None)
        if painted is None:
            continue
        out.append((prefix, (painted[1] - t_sent) * 1000,
                    (painted[1] - arrived[1]) * 1000 if arrived else None,
                    (app.cpu[painted[0]] - app.cpu[arrived[0]]) * 1000 if arrived else None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True,
                    help="a database file to search (a copy), or a postgresql:// URL (read only)")
    ap.add_argument("--delay", type=float, default=150, help="ms between keys (150: a person)")
    ap.add_argument("--runs", type=int, default=1, help="times to type each search")
    ap.add_argument("--search", action="append", help="a search to type (repeatable)")
    args = ap.parse_args()
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        raise SystemExit("needs Xvfb and xdotool")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"cores {os.cpu_count()}, load {load}, database {args.db}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="qm-search-x-"))
    x = Xvfb()
    app = App(x, args.db if is_postgres(args.db) else str(Path(args.db).resolve()), tmp)
    every: list[float] = []
    every_qt: list[float] = []
    every_cpu: list[float] = []
    try:
        app.wait(lambda: any(w == "painted" for w, _t, _r in app.lines), "the first paint")
        painted = next(t for w, t, _r in app.lines if w == "painted")
        print(f"Assets page painted {painted:.2f} s after start (under X)", flush=True)
        app.focus_search()
        app.settle(1.5)
        for text in args.search or SEARCHES:
            for _ in range(args.runs):
                res = type_search(app, text, args.delay / 1000)
                every += [m for _p, m, _q, _c in res]
                every_qt += [q for _p, _m, q, _c in res if q is not None]
                every_cpu += [c for _p, _m, _q, c in res if c is not None]
                keys = ", ".join(f"{p!r} {m:.0f}" + (f" ({c:.0f})" if c is not None else "")
                                 for p, m, _q, c in res)
                print(f"{text!r}: {keys} ms (GUI thread CPU)", flush=True)
        print(f"keystroke → table repainted, {len(every)} keys: median "
              f"{statistics.median(every):.0f} ms, p95 {pct(every, 95):.0f} ms, max "
              f"{max(every):.0f} ms (from the key reaching Qt: median "
              f"{statistics.median(every_qt):.0f}, p95 {pct(every_qt, 95):.0f}, max "
              f"{max(every_qt):.0f}); load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
              "  (target p95 ≤ 100 ms)", flush=True)
        print(f"the GUI thread's CPU from the key to the repaint: median "
              f"{statistics.median(every_cpu):.0f} ms, p95 {pct(every_cpu, 95):.0f} ms, max "
              f"{max(every_cpu):.0f} ms", flush=True)
    finally:
        app.stop()
        x.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
