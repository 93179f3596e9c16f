"""Scan feedback: three distinct bundled sounds, the fallback when Qt has no
multimedia module, and the big status over the window."""
from __future__ import annotations

import wave

from PySide6.QtWidgets import QApplication, QMainWindow

from ui import feedback


def test_bundled_sounds_are_short_and_distinct(tmp_path):
    lengths = {}
    for level in feedback.LEVELS:
        path = feedback.sound_path(level)
        assert path.exists()
        with wave.open(str(path)) as w:
            lengths[level] = w.getnframes() / w.getframerate()
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert 0.05 < lengths[level] < 0.5
    assert len({path.read_bytes() for path in map(feedback.sound_path, feedback.LEVELS)}) == 3
    out = feedback.write_tone(tmp_path / "x.wav", feedback.TONES["ok"])
    assert out.read_bytes() == feedback.sound_path("ok").read_bytes()


def test_without_multimedia_or_a_player_it_beeps(qapp, monkeypatch):
    monkeypatch.setattr(feedback, "QSoundEffect", None)
    monkeypatch.setattr(feedback.shutil, "which", lambda name: None)
    monkeypatch.setattr(feedback.sys, "platform", "linux")
    monkeypatch.setattr(feedback, "_player", None)
    beeps = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: beeps.append(1)))
    assert feedback.sound_method() == "beep"
    feedback.play("error")
    assert beeps == [1]


def test_a_player_program_is_used_when_present(qapp, monkeypatch):
    monkeypatch.setattr(feedback, "QSoundEffect", None)
    monkeypatch.setattr(feedback.sys, "platform", "linux")
    monkeypatch.setattr(feedback.shutil, "which", lambda name: "/usr/bin/aplay" if name == "aplay" else None)
    monkeypatch.setattr(feedback, "_player", None)
    started = []
    monkeypatch.setattr(feedback.QProcess, "startDetached",
                        staticmethod(lambda prog, args: started.append((prog, args)) or True))
    assert feedback.sound_method() == "aplay"
    feedback.play("attention")
    assert started == [("aplay", ["-q", str(feedback.sound_path("attention"))])]


def test_status_overlay_over_the_window(qtbot, monkeypatch):
    monkeypatch.setattr(feedback, "play", lambda level: None)
    win = QMainWindow()
    win.resize(900, 600)
    qtbot.addWidget(win)
    win.show()
    feedback.show_feedback("attention", "Misplaced: QM-000123", win, sound=False)
    overlay = feedback.current_overlay()
    assert overlay.isVisible() and overlay.parentWidget() is win
    assert "Misplaced: QM-000123" in overlay.text() and "#b26a00" in overlay.styleSheet()
    assert feedback.last_feedback == ("attention", "Misplaced: QM-000123")
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=5000)  # fades away


def test_status_over_a_small_dialog_fits_inside_it(qtbot, monkeypatch):
    # A scan while a message box is open is said over that box; at 26 pt the
    # banner wrapped to four lines and was cut off by the box's own edges
    # ("Scan QM-000026 not…"), so the technician could not read it.
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QDialog
    monkeypatch.setattr(feedback, "play", lambda level: None)
    box = QDialog()
    box.resize(480, 110)
    qtbot.addWidget(box)
    box.show()
    text = "Scan QM-000026 not used here: close “Give seat” first"
    feedback.show_feedback("attention", text, box, sound=False)
    overlay = feedback.current_overlay()
    assert overlay.parentWidget() is box and overlay.isVisible()
    assert QRect(0, 0, box.width(), box.height()).contains(overlay.geometry()), overlay.geometry()
    # The whole text fits in the banner at the width it was given.
    assert overlay.heightForWidth(overlay.width()) <= overlay.height()
