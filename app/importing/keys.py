"""A compact map from text to a whole number, for the keys an import must
remember across the whole file (tags and serials seen, the register's tags,
the people a file brings in).

A dict of 1,000,000 strings costs 100–150 MB (each key a str object, each
value an int object, plus the table); here a key costs 16 bytes a slot in
flat arrays (about 20–30 with the table's free slots), and nothing of the
text is kept. A key is known by two independent hashes of its text (96
bits), so two different keys are taken for one only with a chance of about 1
in 10^16 at a million keys: never, for any file a district has.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable

_EMPTY = 0  # a free slot (a key whose first hash is 0 is stored as 1)
_FILL = 0.8  # the share of slots in use before the table grows
_GROWTH = 1.5  # how much it grows (the arrays are copied: old and new live side by side)


def _second(key: str) -> int:
    return hash(key + "\x00") & 0xFFFF_FFFF


class KeyMap:
    """``key → int`` (keys are text; values fit in 32 bits: rows, ids).
    ``expected``: about how many keys will come (the table is made that
    size at once, rather than grown and copied on the way)."""

    __slots__ = ("_h1", "_h2", "_values", "_size", "_count", "_limit")

    def __init__(self, expected: int = 0, items: Iterable[tuple[str, int]] = ()) -> None:
        self._count = 0
        self._allocate(max(1024, int(expected / _FILL) + 1))
        for key, value in items:
            self[key] = value

    def _allocate(self, size: int) -> None:
        self._h1 = array("q", [0]) * size
        self._h2 = array("I", [0]) * size  # 32 bits of the second hash are plenty
        self._values = array("i", [0]) * size
        self._size = size
        self._limit = int(size * _FILL)

    def __len__(self) -> int:
        return self._count

    def _slot(self, key: str) -> tuple[int, int, bool]:
        """(slot, first hash, found): where the key is, or the free slot it would take."""
        h1 = hash(key) or 1
        h2: int | None = None
        size, first = self._size, self._h1
        i = h1 % size
        while True:
            k = first[i]
            if k == _EMPTY:
                return i, h1, False
            if k == h1:
                if h2 is None:
                    h2 = _second(key)
                if self._h2[i] == h2:
                    return i, h1, True
            i += 1
            if i == size:
                i = 0

    def get(self, key: str, default: int | None = None) -> int | None:
        if not self._count:  # the register's tags or serials, in an empty database
            return default
        i, _h1, found = self._slot(key)
        return self._values[i] if found else default

    def __contains__(self, key: object) -> bool:
        return bool(self._count) and isinstance(key, str) and self._slot(key)[2]

    def __getitem__(self, key: str) -> int:
        i, _h1, found = self._slot(key)
        if not found:
            raise KeyError(key)
        return self._values[i]

    def __setitem__(self, key: str, value: int) -> None:
        i, h1, found = self._slot(key)
        if not found:
            self._store(i, h1, _second(key), value)
        else:
            self._values[i] = value

    def add(self, key: str, value: int) -> int | None:
        """Store ``value`` for a new key and return None; for a key already
        there, change nothing and return its value."""
        i, h1, found = self._slot(key)
        if found:
            return self._values[i]
        self._store(i, h1, _second(key), value)
        return None

    def _store(self, i: int, h1: int, h2: int, value: int) -> None:
        self._h1[i], self._h2[i], self._values[i] = h1, h2, value
        self._count += 1
        if self._count > self._limit:
            self._grow()

    def _grow(self) -> None:
        old = (self._h1, self._h2, self._values)
        self._allocate(int(self._size * _GROWTH))
        first, second, values, size = self._h1, self._h2, self._values, self._size
        for h1, h2, value in zip(*old):
            if h1 != _EMPTY:
                i = h1 % size
                while first[i] != _EMPTY:
                    i += 1
                    if i == size:
                        i = 0
                first[i], second[i], values[i] = h1, h2, value

    def nbytes(self) -> int:
        """The memory the table holds (for tests and benchmarks)."""
        return sum(a.itemsize * len(a) for a in (self._h1, self._h2, self._values))
