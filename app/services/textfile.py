"""Reading the small text files scanners and vendors give us (a scanner's
memory, a shipping manifest of serials) the way the importer reads a CSV:
any common encoding, UTF-16/32 with or without a byte-order mark, and a
binary file refused in words instead of decoded into nonsense."""
from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from app.services.errors import ValidationError

# Control characters that text never holds (tab, line ends, vertical tab, form feed aside).
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
CONTROL_SHARE = 0.05  # more than this share of them in the first 64 KB: not text


def wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 written without a byte-order mark: mostly Latin text
    puts its NUL bytes in the same places of every 2- or 4-byte unit."""
    sample = head[:4096]
    n = len(sample) - len(sample) % 4
    if n < 8 or b"\x00" not in sample:
        return None

    def zero_share(offset: int, step: int) -> float:
        cells = sample[offset:n:step]
        return cells.count(0) / max(len(cells), 1)
    z4 = [zero_share(i, 4) for i in range(4)]
    for enc, zero, nonzero in (("utf-32-le", (1, 2, 3), (0,)), ("utf-32-be", (0, 1, 2), (3,))):
        if min(z4[i] for i in zero) > 0.95 and max(z4[i] for i in nonzero) < 0.5:
            return _decodes(head, enc)
    even, odd = zero_share(0, 2), zero_share(1, 2)
    if odd > 0.6 and even < 0.2:
        return _decodes(head, "utf-16-le")
    if even > 0.6 and odd < 0.2:
        return _decodes(head, "utf-16-be")
    return None


def _decodes(head: bytes, enc: str) -> str | None:
    unit = 4 if "32" in enc else 2
    try:
        head[: len(head) - len(head) % unit].decode(enc)
    except UnicodeDecodeError:
        return None
    return enc


def bom_encoding(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # its NUL bytes are text: half of every Latin letter
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return None


def is_binary(head: bytes) -> bool:
    # A share, not any: a text export can hold a stray NUL or two in a cell (cleaned later).
    return len(_CONTROL.findall(head)) > CONTROL_SHARE * len(head)


def read_text(path: str | os.PathLike[str], what: str = "text") -> str:
    """The file's text; ValidationError when it holds binary data."""
    p = Path(path)
    raw = p.read_bytes()
    enc = bom_encoding(raw[:4]) or wide_encoding(raw[:65536])
    if enc is None:
        if is_binary(raw[:65536]):
            raise ValidationError(f"{p.name} is not a {what} file (it holds binary data); "
                                  "give the file the scanner or vendor saved as text (CSV or TXT).")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return raw.decode(enc, errors="replace").lstrip("\ufeff")
