"""Burst detection, without Qt's event loop: the detector is fed (character,
time) and must tell a scanner from a person in every timing."""
from __future__ import annotations

import string

from hypothesis import given, settings as hsettings, strategies as st

from app.scanning import clean_scan, strip_affixes
from ui.scanner import EARLY_FACTOR, BurstDetector

CODE_CHARS = string.ascii_letters + string.digits + "-_./ "
HUMAN_CHARS = string.ascii_letters + string.digits + " -.,'"


def simulate(det: BurstDetector, events):
    """Play events through the detector as the Qt filter does: returns what the
    focused field ends up holding and the scans emitted. Events: ("c", ch, t),
    ("t", "enter"|"tab", t), ("s", t) for a silence check at time t."""
    field: list[str] = []
    scans: list[str] = []
    passed_this_run: list[int] = []  # positions in field of the run's passed chars

    def finish(o):
        if o is None:
            return
        if o.kind == "early":
            field.extend(o.held)
            return
        if o.is_scan:
            for pos in reversed(passed_this_run):
                del field[pos]
            if o.kind == "scan":
                scans.append(o.code)
        else:
            field.extend(o.held)
        passed_this_run.clear()

    for ev in events:
        if ev[0] == "c":
            action, ended = det.feed_char(ev[1], ev[2])
            for o in ended:
                finish(o)
            if action == "pass":
                if not passed_this_run or len(passed_this_run) == 0:
                    passed_this_run.append(len(field))
                field.append(ev[1])
        elif ev[0] == "t":
            o = det.feed_terminator(ev[1], ev[2])
            finish(o)
            if o is None or not o.is_scan or o.terminator == "silence":
                field.append("\n" if ev[1] == "enter" else "\t")
        else:
            if det.due(ev[1]):
                finish(det.end(ev[1], "silence"))
    return "".join(field), scans


def burst(code, start, gaps):
    t = start
    out = []
    for i, ch in enumerate(code):
        if i:
            t += gaps[(i - 1) % len(gaps)]
        out.append(("c", ch, t))
    return out, t


codes = st.text(CODE_CHARS, min_size=4, max_size=30).filter(lambda c: clean_scan(c) != "")
fast_gaps = st.lists(st.floats(0, 30), min_size=1, max_size=40)
slow_gaps = st.lists(st.floats(31, 400), min_size=1, max_size=40)


@given(code=codes, gaps=fast_gaps, term=st.sampled_from(["enter", "tab", "silence"]),
       start=st.floats(0, 1e6))
def test_any_fast_burst_is_one_scan_and_leaves_nothing_in_the_field(code, gaps, term, start):
    det = BurstDetector()
    events, t = burst(code, start, gaps)
    events.append(("s", t + 81) if term == "silence" else ("t", term, t + 5))
    field, scans = simulate(det, events)
    assert scans == [clean_scan(code)]
    assert field == ""


@given(text=st.text(HUMAN_CHARS, min_size=1, max_size=30), gaps=slow_gaps,
       term=st.sampled_from(["enter", "tab", "silence"]))
def test_a_person_typing_is_never_a_scan_and_every_character_arrives_in_order(text, gaps, term):
    det = BurstDetector()
    events, t = burst(text, 1000, gaps)
    events.append(("s", t + 200) if term == "silence" else ("t", term, t + 150))
    field, scans = simulate(det, events)
    assert scans == []
    expected = text + {"enter": "\n", "tab": "\t", "silence": ""}[term]
    assert field == expected


@given(text=st.text(HUMAN_CHARS, min_size=1, max_size=3), gaps=st.lists(st.floats(0, 30), min_size=1))
def test_short_fast_runs_are_not_scans(text, gaps):
    det = BurstDetector(min_length=4)
    events, t = burst(text, 0, gaps)
    events.append(("t", "enter", t + 3))
    field, scans = simulate(det, events)
    assert scans == [] and field == text + "\n"


@given(before=st.text(HUMAN_CHARS, min_size=1, max_size=10),
       code=codes, after=st.text(HUMAN_CHARS, min_size=1, max_size=10),
       fast=fast_gaps, slow=slow_gaps)
def test_typing_then_scanning_then_typing(before, code, after, fast, slow):
    det = BurstDetector()
    ev1, t = burst(before, 0, slow)
    ev2, t = burst(code, t + 500, fast)
    ev2.append(("t", "enter", t + 4))
    ev3, t = burst(after, t + 700, slow)
    field, scans = simulate(det, ev1 + ev2 + ev3 + [("s", t + 1000)])
    assert scans == [clean_scan(code)]
    assert field == before + after


@given(code=codes, prefix=st.text("*#$%", min_size=1, max_size=3),
       suffix=st.text("*#$%", min_size=0, max_size=2), gaps=fast_gaps)
def test_prefix_and_suffix_are_stripped(code, prefix, suffix, gaps):
    det = BurstDetector(prefix=prefix, suffix=suffix)
    events, t = burst(prefix + code + suffix, 0, gaps)
    events.append(("t", "enter", t + 2))
    field, scans = simulate(det, events)
    assert scans == [clean_scan(strip_affixes(prefix + code + suffix, prefix, suffix))]
    assert field == ""


@given(code=codes, wait=st.floats(100, 4000))
def test_the_same_code_within_the_repeat_time_is_ignored(code, wait):
    det = BurstDetector(repeat_ms=2000)
    ev1, t = burst(code, 0, [5])
    ev1.append(("t", "enter", t + 5))
    ev2, t2 = burst(code, t + 5 + wait, [5])
    ev2.append(("t", "enter", t2 + 5))
    field, scans = simulate(det, ev1 + ev2)
    assert field == ""
    # The repeat window runs from the first scan's end to the second's end.
    assert scans == [clean_scan(code)] * (2 if (t2 + 5) - (t + 5) >= 2000 else 1)


@given(code=codes, gaps=fast_gaps, min_len=st.integers(1, 12), max_gap=st.integers(5, 80))
@hsettings(max_examples=60)
def test_thresholds_are_honoured(code, gaps, min_len, max_gap):
    det = BurstDetector(min_length=min_len, max_avg_gap_ms=max_gap, silence_ms=max(max_gap, 80) + 1)
    events, t = burst(code, 0, gaps)
    events.append(("t", "enter", t + 1))
    field, scans = simulate(det, events)
    real_gaps = [events[i + 1][2] - events[i][2] for i in range(len(code) - 1)]
    avg = sum(real_gaps) / len(real_gaps) if real_gaps else 0
    # A run that was ever far too slow was handed to the field as typing.
    running = [sum(real_gaps[:i]) / i for i in range(1, len(real_gaps) + 1)]
    ever_slow = any(r > max_gap * EARLY_FACTOR for r in running)
    is_scan = len(code) >= min_len and avg <= max_gap and not ever_slow
    assert (scans == [clean_scan(code)]) == is_scan
    assert field == ("" if is_scan else code + "\n")


def test_an_arrow_key_mid_run_makes_it_a_persons():
    det = BurstDetector()
    for i, ch in enumerate("QM-0001"):
        det.feed_char(ch, i * 2.0)
    out = det.interrupt(20)
    assert out.kind == "rejected" and "interrupted" in out.reason
    assert "".join(out.held) == "QM-0001"  # the first character is held too


def test_a_terminator_that_is_not_configured_ends_the_run_as_typing():
    det = BurstDetector(terminators=["enter"])
    for i, ch in enumerate("QM-000123"):
        det.feed_char(ch, i * 3.0)
    assert det.feed_terminator("tab", 30).kind == "rejected"
    for i, ch in enumerate("QM-000123"):
        det.feed_char(ch, 1000 + i * 3.0)
    assert det.feed_terminator("enter", 1030).kind == "scan"


def test_outcome_reports_gaps_and_terminator():
    det = BurstDetector()
    for t, ch in zip((0, 4, 9, 12, 20), "AB-12"):
        det.feed_char(ch, t)
    out = det.feed_terminator("enter", 25)
    assert out.kind == "scan" and out.code == "AB-12" and out.raw == "AB-12"
    assert out.gaps == [4, 5, 3, 8] and out.avg_gap == 5 and out.terminator == "enter"
