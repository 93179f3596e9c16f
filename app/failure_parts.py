"""Which part a repair was about, from what the technician wrote: the one
keyword classifier the failure-pattern report (and anything else that counts
failures by part) uses. Pure functions, no database.

    >>> part_of("Cracked screen after a drop")
    'screen'
    >>> part_of("Charging port loose; charger fine")
    'port'

The part named first wins: "hinge snapped, screen cracked" is a hinge
failure (the screen cracked because the hinge went). Words are matched whole,
case-insensitively, so "keys" is a keyboard and "monkeys" is not.
"""
from __future__ import annotations

import re

PARTS = {"screen": "Screen", "keyboard": "Keyboard", "battery": "Battery", "hinge": "Hinge",
         "port": "Port", "charger": "Charger", "other": "Other"}

# Part → the words and phrases that name it. Phrases before their words: "charging
# port" is a port, not a charger; "power button" is neither a charger nor a port.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "port": ("charging port", "charge port", "usb port", "usb-c port", "usb c port", "dc jack",
             "dc-in", "dc in jack", "power jack", "headphone jack", "audio jack", "hdmi",
             "port", "ports", "jack", "usb-c", "usb"),
    "charger": ("charger", "chargers", "ac adapter", "power adapter", "adapter", "power brick",
                "power cord", "charging cable", "power supply"),
    "screen": ("screen", "screens", "display", "lcd", "led panel", "touchscreen",
               "touch screen", "digitizer", "backlight", "no video", "no picture",
               "dead pixels", "dead pixel", "lines on", "monitor", "glass"),
    "keyboard": ("keyboard", "keyboards", "key", "keys", "keycap", "keycaps", "trackpad",
                 "touchpad", "palmrest", "palm rest", "space bar", "spacebar"),
    "battery": ("battery", "batteries", "swollen", "won't hold a charge",
                "wont hold a charge", "won't hold charge", "does not hold a charge",
                "doesn't hold a charge", "not charging", "won't charge", "wont charge",
                "drains", "battery drain"),
    "hinge": ("hinge", "hinges", "hinge cover", "lid loose", "loose lid", "lid wobbles"),
}


def _pattern() -> re.Pattern[str]:
    alternatives = []
    for part, words in KEYWORDS.items():
        for w in sorted(words, key=len, reverse=True):
            alternatives.append((w, part))
    # Longest phrases first so "charging port" wins over "charging" or "port".
    alternatives.sort(key=lambda x: len(x[0]), reverse=True)
    _PART_OF.update({w: p for w, p in alternatives})
    body = "|".join(re.escape(w) for w, _ in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


_PART_OF: dict[str, str] = {}
_RE = _pattern()


def part_of(problem: str | None) -> str:
    """The part a problem description names first ("other" when none)."""
    if not problem:
        return "other"
    text = problem.replace("\u2019", "'")
    m = _RE.search(text)
    return _PART_OF[m.group(0).lower()] if m else "other"


def label(part: str) -> str:
    return PARTS.get(part, part.capitalize())


# Age at failure: years from in service (else purchase) to the day reported.
AGE_BANDS = ((0, 1, "Under 1 year"), (1, 2, "1\u20132 years"), (2, 3, "2\u20133 years"),
             (3, 4, "3\u20134 years"), (4, 5, "4\u20135 years"), (5, None, "5 years or more"))
UNKNOWN_AGE = "Age unknown"


def age_band(years: float | None) -> str:
    """The band an age in years falls in (lower bound inclusive)."""
    if years is None or years < 0:
        return UNKNOWN_AGE
    for low, high, name in AGE_BANDS:
        if years >= low and (high is None or years < high):
            return name
    return UNKNOWN_AGE
