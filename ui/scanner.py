"""Scanning anywhere: tell a USB scanner's bursts from a person typing.

A keyboard-wedge scanner types its code a few milliseconds per character,
then Enter or Tab. ``BurstDetector`` is the decision, pure and clock-free
(fed ``(character, time)``), so it is property-tested without Qt;
``ScannerFilter`` is the application-wide event filter around it:

* every printable keystroke of a possible burst is held back — the first one
  too — before any widget, shortcut or type-ahead sees it. For real key
  events Qt first sends a ``ShortcutOverride`` (a table's Enter action, a
  combo box's type-ahead, a spin box's digits all act on what follows), so
  the filter judges the key there, at the application level, and claims it;
  the ``KeyPress`` that follows gets the same verdict;
* when the run turns out to be a burst (≥ min length, average gap ≤ limit,
  ended by Enter/Tab or by silence) the held characters and the terminator are
  swallowed — the focused widget's value, selection and the page's filters
  stay exactly as they were — and ``bus.scanned(code)`` is emitted once, after
  the key event has been delivered (the same code again within the repeat
  window is ignored);
* otherwise the held characters are replayed, in order, to where the person
  is typing: a person's key arrives a silence window late (a fast typist's
  rollover a few tens of ms late), intact, and a person's Enter still reaches
  the widget's shortcuts;
* except in a search box marked with ``echo_keys``: there a key at a
  person's pace (the first of a run, or one after a gap a scanner never
  leaves) goes in at once, so the list follows the typing without the
  silence window's wait; from the first scanner-fast gap the run is held as
  anywhere else, and if it turns out to be a scan the box is put back to the
  text, cursor and selection it had before the run (its list searches for
  that text again).

Gaps are measured with the window system's key timestamps when there are
any (a busy GUI thread that handles queued keys late must not make a person's
typing look like a burst, nor split a scanner's), else with the monotonic
clock (synthetic test events carry no timestamp).

Settings (``app.services.settings``, keys ``scanner_*``) are read at install
and again whenever settings change (``bus.data_changed("settings")``).
"""
from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import NamedTuple

from app.scanning import clean_scan, strip_affixes

TERMINATORS = ("enter", "tab")
# A run whose average gap passes this multiple of the limit is a person's at
# once (a scanner's USB hiccup can double one gap; a person is 3-10x slower).
EARLY_FACTOR = 2.0


@dataclass
class Outcome:
    """How a run of keystrokes ended."""

    # scan; repeat (same code again, ignored); rejected (a person typed: replay ``held``);
    # early (the run is too slow for a scanner: replay ``held`` now, the run goes on)
    kind: str
    code: str = ""  # the cleaned code (scan/repeat)
    raw: str = ""  # every character of the run
    gaps: list[float] = dc_field(default_factory=list)  # ms between characters
    terminator: str = ""  # enter, tab, silence, key (another key interrupted)
    held: list = dc_field(default_factory=list)  # payloads to replay (release)
    reason: str = ""  # why a run was not a scan

    @property
    def avg_gap(self) -> float:
        return sum(self.gaps) / len(self.gaps) if self.gaps else 0.0

    @property
    def is_scan(self) -> bool:
        return self.kind in ("scan", "repeat")


class BurstDetector:
    """The scanner-or-person decision, fed characters with timestamps in ms."""

    def __init__(self, min_length: int = 4, max_avg_gap_ms: float = 30, silence_ms: float = 80,
                 terminators=TERMINATORS, prefix: str = "", suffix: str = "",
                 repeat_ms: float = 2000):
        self.min_length = max(1, int(min_length))
        self.max_avg_gap_ms = float(max_avg_gap_ms)
        self.silence_ms = float(silence_ms)
        self.terminators = {t.strip().lower() for t in terminators if t.strip()}
        self.prefix = prefix or ""
        self.suffix = suffix or ""
        self.repeat_ms = float(repeat_ms)
        self._chars: list[str] = []
        self._times: list[float] = []
        self._held: list = []
        self._human = False
        self._last_code = ""
        self._last_code_at = -1e18

    # --- state -------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return bool(self._chars)

    @property
    def last_time(self) -> float | None:
        return self._times[-1] if self._times else None

    def _reset(self) -> None:
        self._chars, self._times, self._held = [], [], []

    # --- feeding -----------------------------------------------------------------------

    def feed_char(self, ch: str, t: float, payload=None) -> tuple[str, list[Outcome]]:
        """A printable character at time ``t``. Returns ("pass" | "hold", outcomes
        of a run that silence ended before this character). Every character of a
        run is held (the first too) until the run is known to be a person's."""
        ended = []
        if self._chars and t - self._times[-1] > self.silence_ms:
            ended.append(self.end(self._times[-1] + self.silence_ms, "silence"))
        self._chars.append(ch)
        self._times.append(t)
        if len(self._chars) == 1:
            self._human = False
        elif not self._human and (t - self._times[0]) / (len(self._times) - 1) \
                > self.max_avg_gap_ms * EARLY_FACTOR:
            # Far too slow for a scanner already: give back what was held with this
            # character (replayed together, they reach wherever the first one moved
            # the focus, e.g. a cell editor), and let the rest of this run through
            # as it comes.
            self._human = True
            held = self._held + [ch if payload is None else payload]
            ended.append(Outcome("early", raw="".join(self._chars), held=held))
            self._held = []
            return "hold", [o for o in ended if o]
        if self._human:
            return "pass", [o for o in ended if o]
        self._held.append(ch if payload is None else payload)
        return "hold", [o for o in ended if o]

    def due(self, now: float) -> bool:
        """True when the current run has been silent long enough to end."""
        return bool(self._chars) and now - self._times[-1] >= self.silence_ms

    def feed_terminator(self, name: str, t: float) -> Outcome | None:
        """Enter or Tab. A run that makes a burst becomes a scan (swallow the key);
        anything else is released (let the key through after the held characters)."""
        name = name.lower()
        if not self._chars:
            return None
        if t - self._times[-1] > self.silence_ms:
            return self.end(self._times[-1] + self.silence_ms, "silence")
        if name not in self.terminators:
            return self.end(t, "key", allow_scan=False)
        return self.end(t, name)

    def interrupt(self, t: float) -> Outcome | None:
        """Another key (arrow, Backspace, a shortcut): a scanner never sends one
        mid-code, so the run is a person's."""
        if not self._chars:
            return None
        if t - self._times[-1] > self.silence_ms:
            return self.end(self._times[-1] + self.silence_ms, "silence")
        return self.end(t, "key", allow_scan=False)

    def forget_last(self) -> None:
        """The clock changed (test events after real ones): no repeat across it."""
        self._last_code, self._last_code_at = "", -1e18

    def end(self, t: float, terminator: str, allow_scan: bool = True) -> Outcome | None:
        """Close the current run and judge it."""
        if not self._chars:
            return None
        raw = "".join(self._chars)
        gaps = [b - a for a, b in zip(self._times, self._times[1:])]
        held = list(self._held)
        self._reset()
        out = Outcome("rejected", raw=raw, gaps=gaps, terminator=terminator, held=held)
        human, self._human = self._human, False
        if not allow_scan:
            out.kind, out.reason = "rejected", "interrupted by another key"
        elif human:
            out.kind, out.reason = "rejected", (f"typing pace (average gap over "
                                                f"{self.max_avg_gap_ms * EARLY_FACTOR:.0f} ms)")
        elif len(raw) < self.min_length:
            out.kind, out.reason = "rejected", f"{len(raw)} characters (a scan has {self.min_length}+)"
        elif out.avg_gap > self.max_avg_gap_ms:
            out.kind, out.reason = "rejected", (f"average gap {out.avg_gap:.0f} ms "
                                                f"(a scan is ≤ {self.max_avg_gap_ms:.0f} ms)")
        else:
            code = clean_scan(strip_affixes(raw, self.prefix, self.suffix))
            if not code:
                out.kind, out.reason = "rejected", "nothing left after the prefix/suffix"
                return out
            out.code = code
            if code == self._last_code and t - self._last_code_at < self.repeat_ms:
                out.kind = "repeat"
            else:
                out.kind = "scan"
            self._last_code, self._last_code_at = code, t
            out.held = []
        return out


# --- Qt ------------------------------------------------------------------------------

import shiboken6
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

_MODIFIER_KEYS = {Qt.Key_Shift, Qt.Key_Control, Qt.Key_Alt, Qt.Key_Meta, Qt.Key_AltGr,
                  Qt.Key_CapsLock, Qt.Key_NumLock, Qt.Key_Super_L, Qt.Key_Super_R}
_TERMINATOR_KEYS = {Qt.Key_Return: "enter", Qt.Key_Enter: "enter", Qt.Key_Tab: "tab"}
_KEY_EVENTS = (QEvent.KeyPress, QEvent.ShortcutOverride)


def detector_from_settings(values: dict | None = None) -> BurstDetector:
    if values is None:
        values = _read_settings()
    return BurstDetector(
        min_length=int(values.get("scanner_min_length", 4)),
        max_avg_gap_ms=float(values.get("scanner_max_avg_gap_ms", 30)),
        silence_ms=float(values.get("scanner_silence_ms", 80)),
        terminators=str(values.get("scanner_terminators", "enter,tab")).split(","),
        prefix=values.get("scanner_prefix") or "", suffix=values.get("scanner_suffix") or "",
        repeat_ms=float(values.get("scanner_repeat_ms", 2000)))


def _read_settings() -> dict:
    from app.services import settings
    try:
        return settings.get_all()
    except Exception:  # noqa: BLE001 - no database open yet: the defaults
        return dict(settings.DEFAULTS)


def _in_scanner_test(widget) -> bool:
    """Scans typed into the scanner test stay there (they open nothing)."""
    try:
        while widget is not None:
            if widget.property("scanner_test"):
                return True
            widget = widget.parentWidget()
    except RuntimeError:  # deleted meanwhile
        return False
    return False


def _signature(event) -> tuple:
    """What a ShortcutOverride and the KeyPress that follows it share."""
    return (event.key(), event.text(), int(event.modifiers().value), event.timestamp())


class ScannerFilter(QObject):
    """The application-wide event filter. ``scanned(code)`` is also emitted on
    ``ui.bus.bus.scanned`` (queued: after the key event, never inside it);
    ``observed(dict)`` reports every run (scan or not) for the scanner test."""

    scanned = Signal(str)
    observed = Signal(dict)

    def __init__(self, parent=None, detector: BurstDetector | None = None, emit_bus: bool = True,
                 clock=None):
        super().__init__(parent)
        self._clock = clock  # ms; tests drive time themselves
        self.detector = detector or detector_from_settings()
        self.enabled = bool(_read_settings().get("scanner_enabled", True)) if detector is None else True
        self.emit_bus = emit_bus
        self._replaying: set[int] = set()  # addresses of the events being replayed
        self._replay_override: tuple | None = None  # (key, text) of the one being replayed
        self._popup_last: tuple | None = None  # the last key judged inside a popup, and where
        self._verdict: tuple | None = None  # (signature, swallow) judged at ShortcutOverride
        self._run_local = False  # the run started in the scanner test
        self._source = ""  # which clock the current times come from: "event" or "wall"
        self._in_silence = False
        # The search box the current run started in, as it was before the run
        # (its first key went in at once: there is something to put back).
        self._echo: _BoxBefore | None = None
        self._echo_on = False  # this run's keys still go in at once
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._silence)
        self._t0 = time.monotonic()

    def now(self) -> float:
        if self._clock is not None:
            return float(self._clock())
        return (time.monotonic() - self._t0) * 1000.0

    def reload_settings(self) -> None:
        values = _read_settings()
        self.detector = detector_from_settings(values)
        self.enabled = bool(values.get("scanner_enabled", True))

    # --- the filter ----------------------------------------------------------------------

    def eventFilter(self, obj, event) -> bool:
        etype = event.type()
        if etype not in _KEY_EVENTS or not self.enabled:
            return False
        if self._replaying and shiboken6.getCppPointer(event)[0] in self._replaying:
            return False
        if etype == QEvent.ShortcutOverride and self._replay_override is not None \
                and self._replay_override == (event.key(), event.text()):
            self._replay_override = None
            return False
        if not isinstance(obj, QWidget) or not self._first_receiver(obj, event):
            return False
        if etype == QEvent.ShortcutOverride:
            swallow = self._judge(obj, event)
            self._verdict = (_signature(event), swallow)
            if swallow:
                # Claimed: no shortcut acts on it, and the KeyPress comes to us.
                event.accept()
            return swallow
        verdict, self._verdict = self._verdict, None
        if verdict is not None and verdict[0] == _signature(event):
            return verdict[1]  # judged a moment ago, at its ShortcutOverride
        return self._judge(obj, event)

    def _first_receiver(self, obj: QWidget, event) -> bool:
        """Key events propagate to parents: judge each keystroke once, where it
        first arrives (the focus widget, or the window when nothing has focus;
        with a popup open — a drop-down's list, a completer — the popup's
        focus widget, or the popup itself)."""
        popup = QApplication.activePopupWidget()
        if popup is not None:
            # Keys go to the popup (a drop-down's list, a completer) and climb
            # its parents: judge each one at the first widget inside it.
            if not (obj is popup or popup.isAncestorOf(obj)):
                return False
            sig = (shiboken6.getCppPointer(event)[0], event.type(), event.key(), event.text(),
                   event.timestamp())
            last, self._popup_last = self._popup_last, (sig, obj)
            try:
                return not (last is not None and last[0] == sig and obj.isAncestorOf(last[1]))
            except RuntimeError:  # the previous receiver is gone
                return True
        focus = QApplication.focusWidget()
        return obj is focus if focus is not None else obj.isWindow()

    def _time(self, event) -> float:
        """The key's time in ms, and a change of clock ends the run before it."""
        stamp = event.timestamp() if self._clock is None else 0
        source, t = ("event", float(stamp)) if stamp else ("wall", self.now())
        if source != self._source:
            if self.detector.pending:
                last = self.detector.last_time or 0.0
                self._finish(self.detector.end(last + self.detector.silence_ms, "silence"))
            self.detector.forget_last()
            self._source = source
        return t

    def _judge(self, obj: QWidget, event) -> bool:
        """Feed one keystroke to the detector; True = swallow it."""
        key = event.key()
        if key in _MODIFIER_KEYS:
            return False
        t = self._time(event)
        mods = event.modifiers() & ~(Qt.ShiftModifier | Qt.KeypadModifier)
        text = event.text()
        if event.isAutoRepeat():  # a key held down: a person
            self._finish(self.detector.interrupt(t))
            return False
        if key in _TERMINATOR_KEYS and not mods:
            return self._terminator(_TERMINATOR_KEYS[key], t)
        if mods or not text or not text.isprintable():
            self._finish(self.detector.interrupt(t))
            return False
        last = self.detector.last_time
        if self.detector.pending and last is not None and t - last > self.detector.silence_ms:
            # Silence ended the run before this key: judged (and its search
            # box let go) before this key starts the next one.
            self._finish(self.detector.end(last + self.detector.silence_ms, "silence"))
        starts_run = not self.detector.pending
        echo = self._echo_now(obj, starts_run, t)
        action, ended = self.detector.feed_char(text, t, (key, event.modifiers(), text, obj, echo))
        for outcome in ended:
            self._finish(outcome)
        if starts_run or ended:
            self._run_local = _in_scanner_test(obj)
        self._timer.start(int(self.detector.silence_ms) + 1)
        return False if echo else action == "hold"

    def _echo_now(self, obj: QWidget, starts_run: bool, t: float) -> bool:
        """Whether this key goes into its search box at once (``echo_keys``):
        the first key of a run, or a key after a person's gap, while no
        scanner-fast gap has come in this run (from the first, the run is
        held: a key let through after held ones would overtake them). The
        box's state is noted when the run starts, to be put back if the run
        is a scan."""
        if starts_run:
            self._echo, self._echo_on = None, False
            if isinstance(obj, QLineEdit) and obj.property("echo_keys") and not obj.isReadOnly():
                keep = _keepers.get(obj)
                self._echo = _BoxBefore(obj, obj.text(), obj.cursorPosition(), obj.selectionStart(),
                                        obj.selectionLength(), keep() if keep is not None else None)
                self._echo_on = True
            return self._echo_on
        last = self.detector.last_time
        if not self._echo_on or self._echo is None or self._echo.box is not obj \
                or last is None or t - last <= self.detector.max_avg_gap_ms:
            self._echo_on = False
        return self._echo_on

    def _put_back(self) -> None:
        """A scan was typed into a search box: the box as it was before the run."""
        snap, self._echo = self._echo, None
        if snap is None:
            return
        box, text, cursor, sel_start, sel_len, put_back_owner = snap
        try:
            if box.text() != text:
                box.setText(text)
            if put_back_owner is not None:
                put_back_owner()
            if sel_len and sel_start >= 0:
                # From the anchor to the cursor: a selection made leftwards
                # (Shift+Home) keeps its cursor at its start.
                if cursor == sel_start:
                    box.setSelection(sel_start + sel_len, -sel_len)
                else:
                    box.setSelection(sel_start, sel_len)
            else:
                box.setCursorPosition(cursor)
        except RuntimeError:  # the box is gone
            pass

    def _terminator(self, name: str, t: float) -> bool:
        outcome = self.detector.feed_terminator(name, t)
        if outcome is None:
            return False
        self._timer.stop()
        self._finish(outcome)
        if outcome.terminator == "silence":
            return False  # the run had already ended: this Enter is a plain Enter
        return outcome.is_scan

    def _silence(self) -> None:
        if not self.detector.pending or self._in_silence:
            return
        # Keys a busy GUI thread has not handled yet belong to this run: let them
        # in before judging it (a scanner's burst is not split by a stall).
        self._in_silence = True
        try:
            QApplication.processEvents(QEventLoop.AllEvents, 20)
        finally:
            self._in_silence = False
        if not self.detector.pending:
            return
        last = self.detector.last_time
        if self._source == "wall" and last is not None \
                and self.now() - last < self.detector.silence_ms:
            self._timer.start(int(self.detector.silence_ms - (self.now() - last)) + 1)
            return
        self._finish(self.detector.end((last or 0.0) + self.detector.silence_ms, "silence"))

    def flush(self) -> None:
        """End a pending run now (tests; before the window closes)."""
        self._timer.stop()
        if self.detector.pending:
            last = self.detector.last_time or 0.0
            self._finish(self.detector.end(last + self.detector.silence_ms, "silence"))

    def _finish(self, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        if outcome.kind == "early":
            self._replay(outcome.held)
            return
        if outcome.is_scan:
            self._put_back()
        else:
            self._echo = None
            self._replay(outcome.held)
        self.observed.emit({"kind": outcome.kind, "code": outcome.code, "raw": outcome.raw,
                            "gaps": list(outcome.gaps), "terminator": outcome.terminator,
                            "reason": outcome.reason, "avg_gap": outcome.avg_gap})
        if outcome.kind == "scan":
            self.scanned.emit(outcome.code)
            if self.emit_bus and not self._run_local:
                # After the key event is delivered: what a scan opens (a dialog with
                # its own event loop) must not run inside Qt's key handling.
                QTimer.singleShot(0, self, lambda code=outcome.code: _announce(code))

    def _replay(self, held: list) -> None:
        """Give a person's held-back keystrokes to where they are typing.

        The replayed events themselves are let through (by identity, not by a
        flag: a replayed Space can press a button that opens a dialog, whose own
        event loop then runs inside this call, and keys typed there must still
        be judged)."""
        for key, mods, text, target, echoed in held:
            if echoed:
                continue  # it went into its search box when it was typed
            receiver = QApplication.focusWidget() or target
            for etype in (QEvent.KeyPress, QEvent.KeyRelease):
                event = QKeyEvent(etype, key, mods, text)
                address = shiboken6.getCppPointer(event)[0]
                self._replaying.add(address)
                if etype == QEvent.KeyPress:
                    # Qt first offers a sent KeyPress to the shortcuts, as a
                    # ShortcutOverride of its own: that one is this key too.
                    self._replay_override = (key, text)
                try:
                    QApplication.sendEvent(receiver, event)
                except RuntimeError:  # the widget is gone
                    break
                finally:
                    self._replaying.discard(address)
                    self._replay_override = None


class _BoxBefore(NamedTuple):
    """An ``echo_keys`` box as it was when a run of keys began in it."""

    box: QLineEdit
    text: str
    cursor: int
    selection_start: int  # -1: nothing selected
    selection_length: int
    put_back_owner: Callable[[], object] | None  # what its ``keep()`` returned


def echo_keys(box: QLineEdit, keep: Callable[[], Callable[[], object]] | None = None) -> QLineEdit:
    """Mark a search box whose keys go in at once when typed at a person's
    pace (see the module's notes); a scan typed into it still leaves it as it
    was. For boxes whose text only filters what is shown: a form field keeps
    the usual hold, as its changes may do more.

    ``keep()`` is called as a run of keys starts in the box, and returns what
    puts the box's owner back if the run is a scan: called right after the
    box's text is, before what the scan opens. A list that searched for the
    scan's first key searches for the restored text there and then, and
    selects again the row that was current (or, if it never searched, does
    nothing), so nothing the scan does is undone by a search coming after it."""
    box.setProperty("echo_keys", True)
    _keepers[box] = keep
    return box


# Each echo box's keep() (weak: a box that is gone takes its entry with it).
_keepers: weakref.WeakKeyDictionary[QLineEdit, Callable[[], Callable[[], object]] | None] = \
    weakref.WeakKeyDictionary()


def _announce(code: str) -> None:
    from ui.bus import bus
    bus.scanned.emit(code)


def install_scanner(app: QApplication | None = None, emit_bus: bool = True) -> ScannerFilter:
    """Install the filter on the application; returns it (keep a reference)."""
    app = app or QApplication.instance()
    existing = getattr(app, "_qm_scanner_filter", None)
    if existing is not None:
        return existing
    filt = ScannerFilter(app, emit_bus=emit_bus)
    app.installEventFilter(filt)
    app._qm_scanner_filter = filt
    from ui.bus import bus

    def settings_changed(kind: str) -> None:
        if kind in ("settings", "all"):
            filt.reload_settings()
    bus.data_changed.connect(settings_changed)
    filt._settings_link = settings_changed
    return filt


def current_filter() -> ScannerFilter | None:
    app = QApplication.instance()
    return getattr(app, "_qm_scanner_filter", None) if app else None
