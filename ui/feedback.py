"""What a scan sounds and looks like, so a technician can work without
watching the screen: three distinct short sounds (ok: one high beep;
attention: two mid beeps; error: a low buzz) and a large coloured status
over the window for a moment.

Sounds are small WAV files in resources/sounds/ (written by
``ensure_sounds`` if missing). They play through QtMultimedia's QSoundEffect
when that module is installed; PySide6-Essentials does not ship it, so
otherwise through the platform's own player (winsound on Windows, afplay on
macOS, paplay / pw-play / aplay on Linux), and as a last resort
QApplication.beep() — one beep for every level. The ``scanner_sounds``
setting mutes them; ``scanner_volume`` (0-100 %) scales them (QSoundEffect's
volume, or a quieter copy of the file for the platform player).

A page that already shows its own big verdict (the scanning pages'
``ui.widgets.banner.VerdictBanner``) asks for the sound only
(``toast=False``): the banner over the window would cover its buttons and
newest rows while repeating what the page says.
"""
from __future__ import annotations

import array
import math
import shutil
import struct
import sys
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QProcess, QPropertyAnimation, Qt, QTimer
from PySide6.QtWidgets import QApplication, QGraphicsOpacityEffect, QLabel, QWidget

import resources
from ui import theme

LEVELS = ("ok", "attention", "error")
SYMBOLS = {"ok": "✔", "attention": "⚠", "error": "✖"}
RATE = 22050
# (frequency Hz, duration ms) pieces; 0 Hz is a pause.
TONES = {
    "ok": [(1320, 90)],
    "attention": [(880, 90), (0, 60), (880, 90)],
    "error": [(220, 380)],
}

try:  # not in PySide6-Essentials
    from PySide6.QtMultimedia import QSoundEffect  # type: ignore
except ImportError:  # pragma: no cover - depends on the installed Qt modules
    QSoundEffect = None


def sound_path(level: str) -> Path:
    return resources.path("sounds", f"{level}.wav")


def write_tone(path: Path, pieces: list[tuple[int, int]], volume: float = 0.45) -> Path:
    """A mono 16-bit WAV of sine tones with short fades (no clicks)."""
    frames = bytearray()
    for freq, ms in pieces:
        n = int(RATE * ms / 1000)
        fade = max(1, int(RATE * 0.008))
        for i in range(n):
            if not freq:
                frames += struct.pack("<h", 0)
                continue
            env = min(1.0, i / fade, (n - i) / fade)
            # A square-ish edge makes the error buzz rougher than the clean ok beep.
            s = math.sin(2 * math.pi * freq * i / RATE)
            if freq < 400:
                s = max(-1.0, min(1.0, s * 3)) * 0.6
            frames += struct.pack("<h", int(32767 * volume * env * s))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return path


def ensure_sounds() -> dict[str, Path]:
    """The three sound files, written if missing (a stripped install)."""
    out = {}
    for level in LEVELS:
        p = sound_path(level)
        if not p.exists():
            try:
                write_tone(p, TONES[level])
            except OSError:
                pass
        out[level] = p
    return out


class _Player:
    """Plays the level's sound by the best means available here."""

    def __init__(self):
        self.effects = {}
        self.method = "beep"
        paths = ensure_sounds()
        if QSoundEffect is not None:
            from PySide6.QtCore import QUrl
            for level, p in paths.items():
                eff = QSoundEffect()
                eff.setSource(QUrl.fromLocalFile(str(p)))
                self.effects[level] = eff
            self.method = "qsoundeffect"
        elif sys.platform.startswith("win"):
            self.method = "winsound"
        else:
            self.command = next((c for c in ("afplay", "paplay", "pw-play", "aplay")
                                 if shutil.which(c)), None)
            if self.command:
                self.method = self.command
        self.paths = paths

    def play(self, level: str, volume: int = 100) -> None:
        if volume <= 0:
            return
        if self.method == "qsoundeffect":
            self.effects[level].setVolume(min(volume, 100) / 100)
            self.effects[level].play()
        elif self.method == "winsound":
            import winsound
            winsound.PlaySound(str(scaled_sound(self.paths[level], volume)),
                               winsound.SND_FILENAME | winsound.SND_ASYNC)
        elif self.method != "beep" and self.paths[level].exists():
            path = scaled_sound(self.paths[level], volume)
            args = (["-q"] if self.method == "aplay" else []) + [str(path)]
            QProcess.startDetached(self.method, args)
        else:
            QApplication.beep()


def scaled_sound(path: Path, volume: int) -> Path:
    """``path`` at ``volume`` % (a copy in the temp folder, made once), for the
    players that take no volume argument. The original when at 100 % or when
    the file is not 16-bit PCM."""
    if volume >= 100 or not path.exists():
        return path
    out = Path(tempfile.gettempdir()) / "quartermaster-sounds" / f"{path.stem}-{int(volume)}.wav"
    if out.exists():
        return out
    try:
        with wave.open(str(path), "rb") as r:
            params, frames = r.getparams(), r.readframes(r.getnframes())
        if params.sampwidth != 2:
            return path
        samples = array.array("h")
        samples.frombytes(frames)
        if sys.byteorder == "big":
            samples.byteswap()
        k = volume / 100
        quiet = array.array("h", (int(x * k) for x in samples))
        if sys.byteorder == "big":
            quiet.byteswap()
        out.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(out), "wb") as w:
            w.setparams(params)
            w.writeframes(quiet.tobytes())
    except (OSError, wave.Error, EOFError):
        return path
    return out


_player: _Player | None = None
_overlay: StatusOverlay | None = None
last_feedback: tuple[str, str] | None = None  # (level, text): tests and the scanner test read it


def sound_method() -> str:
    """How sounds are played here: qsoundeffect, winsound, afplay, paplay, pw-play, aplay or beep."""
    global _player
    if _player is None:
        _player = _Player()
    return _player.method


def play(level: str, volume: int | None = None) -> None:
    global _player
    if _player is None:
        _player = _Player()
    if volume is None:
        volume = _volume()
    try:
        _player.play(level, volume)
    except Exception:  # noqa: BLE001 - a sound must never break a scan
        QApplication.beep()


def _sounds_on() -> bool:
    from app.services import settings
    try:
        return bool(settings.get("scanner_sounds"))
    except Exception:  # noqa: BLE001 - no database: sounds on
        return True


def _volume() -> int:
    from app.services import settings
    try:
        return int(settings.get("scanner_volume"))
    except Exception:  # noqa: BLE001 - no database, or a hand-edited value: full volume
        return 100


class StatusOverlay(QLabel):
    """A large coloured banner over the middle of a window that fades away."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("scan-feedback")
        self.setAlignment(Qt.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.NoFocus)
        self._effect = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(self._effect)
        self._fade = QPropertyAnimation(self._effect, b"opacity", self)
        self._fade.setDuration(350)
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.finished.connect(self.hide)
        self._timer = QTimer(self, singleShot=True, timeout=self._fade.start)
        self.level = ""

    def show_status(self, level: str, text: str, ms: int = 1600) -> None:
        self.level = level
        bg, fg = theme.banner_colours(level)
        self.setText(f"{SYMBOLS.get(level, '')}  {text}")
        p = self.parentWidget()
        # Over a small window (a message box) the banner shrinks to fit inside
        # it: cut off by the window's edges it cannot be read.
        width = max(min(320, p.width() - 16), min(p.width() - 80, 900))
        self.setFixedWidth(width)
        for pt, pad in ((26, (18, 28)), (20, (14, 22)), (16, (10, 16)), (13, (6, 12)),
                        (11, (4, 8)), (9, (2, 6))):
            self.setStyleSheet(f"QLabel#scan-feedback {{ background: {bg}; color: {fg}; "
                               f"border-radius: 14px; padding: {pad[0]}px {pad[1]}px; "
                               f"font-size: {pt}pt; font-weight: 600; }}")
            self.ensurePolished()
            if self.heightForWidth(width) <= p.height() - 16:
                break
        height = self.heightForWidth(width)
        self.setFixedHeight(max(1, min(height if height > 0 else self.sizeHint().height(),
                                       p.height() - 8)))
        mid = (p.height() - self.height()) // 2
        self.move((p.width() - width) // 2, max(20, mid) if mid >= 20 else max(0, mid))
        self._fade.stop()
        self._effect.setOpacity(1.0)
        self.show()
        self.raise_()
        self._timer.start(ms if level == "ok" else int(ms * 1.6))


def show_feedback(level: str, text: str, parent: QWidget | None = None, sound: bool | None = None,
                  toast: bool = True) -> None:
    """Sound and big status for a scan's result. ``level``: ok, attention or error.
    ``toast=False``: the sound only (the caller shows the verdict itself)."""
    global _overlay, last_feedback
    level = level if level in LEVELS else "error"
    last_feedback = (level, text)
    if sound is None:
        sound = _sounds_on()
    if sound:
        play(level)
    if not toast:
        return
    window = parent.window() if parent is not None else QApplication.activeWindow()
    if window is None:
        tops = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        window = tops[0] if tops else None
    if window is None:
        return
    try:
        reuse = _overlay is not None and _overlay.parentWidget() is window
    except RuntimeError:  # its window was closed and deleted
        _overlay, reuse = None, False
    if not reuse:
        if _overlay is not None:
            _overlay.deleteLater()
        _overlay = StatusOverlay(window)
    _overlay.show_status(level, text)


def current_overlay() -> StatusOverlay | None:
    return _overlay
