"""A combined Location column ("Roseland Elementary / Rm 101", "Lincoln HS -
Room 12", "Adams: Library", "Central, 204") read as a site and a room.

The split is decided once for the whole file, from the column's distinct
values: a separator is used when the parts it gives are consistent — the same
left part recurring with different right parts, or a left part naming a site
the register knows. Otherwise each value stays whole (a site, or a known room).

    splitter = Splitter.for_values(values, known_sites, separator=None)
    splitter.split("Roseland Elementary / Rm 101")   # ("Roseland Elementary", "Rm 101")
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

# Loose name → site id; loose room name → (site name, room name).
Sites = dict[str, int]
Rooms = dict[str, tuple[str, str]]

# Tried in this order; the first of equally good ones wins. " › " is how
# Quartermaster itself shows a room.
SEPARATORS = (" / ", " › ", " > ", " - ", " – ", " — ", ": ", ", ", " | ", "/", "-", ":", ",")
NO_SPLIT = "none"
MAX_VALUES = 20_000  # distinct values looked at to decide


def _n(text: object) -> str:
    return re.sub(r"[\W_]+", "", str(text or "").lower())


def _part(text: str, sep: str) -> tuple[str, str] | None:
    left, found, right = text.partition(sep)
    left, right = left.strip(), right.strip()
    if not found or not left or not right:
        return None
    return left, right


class Splitter:
    def __init__(self, separator: str | None, known_sites: Sites | None = None,
                 known_rooms: Rooms | None = None) -> None:
        self.separator = separator  # None: values stay whole
        self.sites = known_sites or {}  # loose name → site id
        self.rooms = known_rooms or {}  # loose room name → (site name, room name), when unique

    @classmethod
    def for_values(cls, values: Iterable[object], known_sites: Sites,
                   known_rooms: Rooms | None = None,
                   separator: str | None = None) -> Splitter:
        """The splitter for a column holding ``values``: ``separator`` as given
        ("none" keeps values whole), else the most consistent one found."""
        if separator is not None:
            sep = None if separator in (NO_SPLIT, "") else separator
            return cls(sep, known_sites, known_rooms)
        return cls(best_separator(values, known_sites), known_sites, known_rooms)

    def split(self, text: object) -> tuple[str | None, str | None]:
        """(site, room) for one value; room None when it stays whole."""
        text = str(text).strip()
        if not text:
            return None, None
        if self.separator:
            sep = self.separator
            # A known site's name may hold the separator itself ("K-8 Academy - Rm 4").
            pos = text.find(sep)
            while pos > 0:
                left, right = text[:pos].strip(), text[pos + len(sep):].strip()
                if right and _n(left) in self.sites:
                    return left, right
                pos = text.find(sep, pos + 1)
            parts = _part(text, sep)
            if parts:
                return parts
        if _n(text) not in self.sites and _n(text) in self.rooms:
            site, room = self.rooms[_n(text)]  # a room the register knows, at its site
            return site, room
        return text, None


def best_separator(values: Iterable[object], known_sites: Sites) -> str | None:
    """The separator whose splits are consistent for most values (None when none is)."""
    texts = [str(v).strip() for v in values if str(v).strip()]
    best, best_score = None, 0
    for sep in SEPARATORS:
        rights: dict[str, set[str]] = defaultdict(set)
        split = []
        for v in texts:
            parts = _part(v, sep)
            if parts:
                split.append(parts)
                rights[_n(parts[0])].add(_n(parts[1]))
        if not split:
            continue
        supported = sum(1 for left, _right in split
                        if _n(left) in known_sites or len(rights[_n(left)]) >= 2)
        # Most of the values it splits must be consistent, and at least two (or one known site).
        if supported * 2 < len(split) or supported * 2 < len(texts):
            continue
        if supported < 2 and not any(_n(left) in known_sites for left, _ in split):
            continue
        if supported > best_score:
            best, best_score = sep, supported
    return best
