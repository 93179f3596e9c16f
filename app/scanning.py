"""What a scanned (or typed) string names.

``resolve`` answers in one or two indexed queries: an asset tag, a room label,
a supply barcode, an asset serial, or a person's ID badge — in that order,
because tags are what labels carry and a serial can collide with nothing else
we print. The pure helpers (``clean_scan``, ``strip_affixes``) have no
database and are property-tested.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.services.tags import normalize_tag
from app.store.db import db, param

KINDS = ("asset", "location", "supply", "person", "unknown")

# Prefixes found on manufacturers' serial barcodes: "S", "SN", "SN:", "S/N",
# GS1's application identifier "(21)" for a serial.
_SERIAL_PREFIX = re.compile(r"^(?:\(21\)|S/N[:#]?\s*|SN[:#]?\s*|SER[:#]?\s*)", re.I)


@dataclass(frozen=True)
class Resolution:
    kind: str  # one of KINDS
    id: int | None
    code: str  # the cleaned code that was looked up
    matched_by: str | None = None  # tag, label, barcode, serial, id_number
    candidates: tuple[int, ...] = ()  # several assets share a serial

    @property
    def found(self) -> bool:
        return self.kind != "unknown"


def clean_scan(text: str) -> str:
    """Drop control characters (scanner terminators, stray NULs) and outer space."""
    if text is None:
        return ""
    return re.sub(r"[\x00-\x1f\x7f]", "", str(text)).strip()


def strip_affixes(text: str, prefix: str = "", suffix: str = "") -> str:
    """Remove a scanner's programmed prefix/suffix if present."""
    if prefix and text.startswith(prefix):
        text = text[len(prefix):]
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    return text


def strip_serial_prefix(text: str) -> str:
    """A serial as printed on a box barcode, without "S", "SN:" or "(21)"."""
    text = clean_scan(text)
    stripped = _SERIAL_PREFIX.sub("", text)
    if stripped != text:
        return stripped.strip()
    # A bare leading "S" on Dell/Lenovo/HP boxes (S5CD1234XYZ): only when what
    # follows still looks like a serial (≥ 6 alphanumerics).
    if len(text) >= 7 and text[0] in "sS" and text[1:].replace("-", "").isalnum() and text[1].isdigit():
        return text[1:]
    return text


# Prefixes that say "serial" outright: stripped whatever follows.
_SERIAL_LABEL = re.compile(r"^(?:\(21\)\s*|S/N\s*[:#.]?\s*|SN\s*[:#.]\s*|SER(?:IAL)?\s*[:#.]\s*"
                           r"|SERIAL\s+(?:NO\.?|NUMBER)?\s*[:#]?\s*)", re.I)
# Prefixes that might be part of the serial itself ("SN4Z…", "S5CD…"): only
# stripped when a serial pattern says the rest is the serial.
_SERIAL_MAYBE = ("SN", "S")


@dataclass(frozen=True)
class SerialReading:
    serial: str  # what is stored
    raw: str  # what the scanner sent, control characters dropped
    prefix: str = ""  # what was taken off ("SN:", "(21)", "S")
    matches: bool | None = None  # against the patterns given; None: none given


def _fits(text: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        try:
            if re.fullmatch(pattern, text) or re.fullmatch(pattern, text.upper()):
                return True
        except re.error:
            continue
    return False


def read_serial(text: str, patterns: Iterable[str] = ()) -> SerialReading:
    """A scanned serial without the label printed in front of it.

    "SN:", "S/N", "SER#", "Serial No." and GS1's "(21)" are always taken off.
    A bare "S" or "SN" is taken off only when ``patterns`` (regular
    expressions: the model's serial pattern, else the patterns of every
    known model) say the rest is a serial and the whole is not — so a serial
    that really starts with S is never cut. ``matches`` says whether the
    result fits one of the patterns (None when there are none).
    """
    raw = clean_scan(text)
    patterns = [p for p in (patterns or ()) if p]
    serial, prefix = raw, ""
    m = _SERIAL_LABEL.match(raw)
    if m and m.end() < len(raw):
        serial, prefix = raw[m.end():].strip(), raw[:m.end()].strip()
    if patterns and not prefix and not _fits(serial, patterns):
        for maybe in _SERIAL_MAYBE:
            rest = serial[len(maybe):]
            if serial.upper().startswith(maybe) and rest and _fits(rest, patterns):
                serial, prefix = rest, serial[:len(maybe)]
                break
    return SerialReading(serial, raw, prefix, _fits(serial, patterns) if patterns else None)


def _p() -> str:
    return param()


def resolve(text: str) -> Resolution:
    code = clean_scan(text)
    if not code:
        return Resolution("unknown", None, code)
    key = normalize_tag(code)
    p = _p()
    cur = db.execute_sql
    row = cur(f"SELECT id FROM asset WHERE tag_key = {p}", (key,)).fetchone()
    if row:
        return Resolution("asset", row[0], code, "tag")
    row = cur(f"SELECT id FROM location WHERE UPPER(barcode) = {p}", (key,)).fetchone()
    if row:
        return Resolution("location", row[0], code, "label")
    row = cur(f"SELECT id FROM supply WHERE UPPER(barcode) = {p}", (key,)).fetchone()
    if row:
        return Resolution("supply", row[0], code, "barcode")
    for serial in dict.fromkeys((key, strip_serial_prefix(code).upper())):
        rows = cur(f"SELECT id FROM asset WHERE serial_key = {p} LIMIT 10", (serial,)).fetchall()
        if rows:
            ids = tuple(r[0] for r in rows)
            return Resolution("asset", ids[0], code, "serial", ids if len(ids) > 1 else ())
    row = cur(f"SELECT id FROM person WHERE UPPER(id_number) = {p}", (key,)).fetchone()
    if row:
        return Resolution("person", row[0], code, "id_number")
    return Resolution("unknown", None, code)
