"""Barcode symbols as module geometry, independent of any output format.

A ``Symbol`` is a grid of modules: 1-D codes are one row of bar runs (drawn
stretched to the bar height), 2-D codes a matrix of dark-module runs. PDF and
ZPL both place it by module counts, so every bar is a whole number of dots
when the module is. Encoders: python-barcode (Code 128, Code 39), segno (QR),
and reportlab's ECC 200 DataMatrix placement with the symbol size chosen to
fit the data (reportlab alone always draws 44 × 44).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.services.errors import ValidationError

SYMBOLOGIES = ("code128", "code39", "qr", "datamatrix", "code128+qr")
TITLES = {"code128": "Code 128", "code39": "Code 39", "qr": "QR code", "datamatrix": "DataMatrix",
          "code128+qr": "Code 128 + QR"}
COMBINED = {"code128+qr": ("code128", "qr")}  # handheld scanners read the bars, phones the QR
CODE39_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")


# A dark run, (row, start, length) in modules; a dark area, (column, row, width,
# height) in modules; both with row 0 at the top.
Run = tuple[int, int, int]
Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class Symbol:
    kind: str  # symbology key
    data: str  # what the code holds
    width: int  # modules, without quiet zone
    height: int  # modules (1 for 1-D codes)
    # Dark runs: (row, start, length) in modules, row 0 at the top.
    runs: tuple[Run, ...]
    quiet: int  # modules of quiet zone required on each side

    @property
    def linear(self) -> bool:
        return self.kind in ("code128", "code39")

    @property
    def rects(self) -> tuple[Rect, ...]:
        """Dark areas as (column, row, width, height) in modules, row 0 at the
        top: runs in a row, and identical runs in consecutive rows merged into
        one rectangle, so a QR code costs a few dozen rectangles, not hundreds."""
        return _merge_rows(self.runs)


def _row_runs(bits: Sequence[bool | int], row: int = 0) -> list[Run]:
    runs: list[Run] = []
    start: int | None = None
    for i, b in enumerate(bits):
        if b and start is None:
            start = i
        elif not b and start is not None:
            runs.append((row, start, i - start))
            start = None
    if start is not None:
        runs.append((row, start, len(bits) - start))
    return runs


@lru_cache(maxsize=8192)
def _merge_rows(runs: tuple[Run, ...]) -> tuple[Rect, ...]:
    open_: dict[tuple[int, int], tuple[int, int]] = {}  # (start, length) -> (first row, rows)
    done: list[Rect] = []
    current_row = None
    for row, start, length in runs:
        if row != current_row:
            # Runs that did not continue into this row are finished.
            for key, (r0, n) in list(open_.items()):
                if r0 + n < row:
                    done.append((key[0], r0, key[1], n))
                    del open_[key]
            current_row = row
        key = (start, length)
        if key in open_ and sum(open_[key]) == row:
            r0, n = open_[key]
            open_[key] = (r0, n + 1)
        else:
            if key in open_:
                r0, n = open_.pop(key)
                done.append((start, r0, length, n))
            open_[key] = (row, 1)
    done.extend((k[0], r0, k[1], n) for k, (r0, n) in open_.items())
    return tuple(done)


def check_symbology(symbology: str) -> str:
    key = (symbology or "code128").strip().lower().replace("-", "").replace(" ", "")
    key = {"128": "code128", "39": "code39", "qrcode": "qr", "dm": "datamatrix",
           "qr+code128": "code128+qr", "both": "code128+qr"}.get(key, key)
    if key not in SYMBOLOGIES:
        raise ValidationError(f"Unknown symbology {symbology!r}; use one of {', '.join(SYMBOLOGIES)}.")
    return key


@lru_cache(maxsize=8192)
def encode(symbology: str, data: str) -> Symbol:
    """The symbol for ``data``; ValidationError if the symbology cannot hold it."""
    key = check_symbology(symbology)
    if key in COMBINED:
        raise ValueError(f"{key} is two symbols; encode each")
    if not data:
        raise ValidationError("A label needs something to encode.")
    if key == "code128":
        from barcode.codex import Code128
        try:
            pattern = Code128(data).build()[0]
        except Exception as exc:  # python-barcode raises its own types
            raise ValidationError(f"Code 128 cannot encode {data!r}.") from exc
        bits = [c == "1" for c in pattern]
        return Symbol(key, data, len(bits), 1, tuple(_row_runs(bits)), 10)
    if key == "code39":
        data = data.upper()
        bad = sorted(set(data) - CODE39_CHARS)
        if bad:
            raise ValidationError(f"Code 39 cannot encode {''.join(bad)!r} in {data!r}; "
                                  "use Code 128 or a 2-D code.")
        from barcode.codex import Code39
        pattern = Code39(data, add_checksum=False).build()[0]
        bits = [c == "1" for c in pattern]
        return Symbol(key, data, len(bits), 1, tuple(_row_runs(bits)), 10)
    if key == "qr":
        import segno
        qr = segno.make_qr(data, error="m", boost_error=False)
        qr_matrix = qr.matrix
        runs = [r for y, row in enumerate(qr_matrix) for r in _row_runs(row, y)]
        return Symbol(key, data, len(qr_matrix[0]), len(qr_matrix), tuple(runs), 4)
    matrix = datamatrix_matrix(data)
    runs = [r for y, row in enumerate(matrix) for r in _row_runs(row, y)]
    return Symbol(key, data, len(matrix[0]), len(matrix), tuple(runs), 2)  # spec: 1; 2 forgives print gain


# --- DataMatrix ---------------------------------------------------------------------
# Square ECC 200 sizes with a single Reed-Solomon block:
# (modules, data regions per side, data codewords, error codewords).
_DM_SIZES = ((10, 1, 3, 5), (12, 1, 5, 7), (14, 1, 8, 10), (16, 1, 12, 12), (18, 1, 18, 14),
             (20, 1, 22, 18), (22, 1, 30, 20), (24, 1, 36, 24), (26, 1, 44, 28),
             (32, 2, 62, 36), (36, 2, 86, 42), (40, 2, 114, 48), (44, 2, 144, 56))


def _dm_ascii(data: str) -> list[int]:
    """ASCII encodation: digit pairs in one codeword, bytes above 127 via Upper Shift."""
    raw = data.encode("latin-1", errors="strict")
    out, i = [], 0
    while i < len(raw):
        a = raw[i]
        if 48 <= a <= 57 and i + 1 < len(raw) and 48 <= raw[i + 1] <= 57:
            out.append(130 + (a - 48) * 10 + raw[i + 1] - 48)
            i += 2
            continue
        if a > 127:
            out += [235, a - 127]
        else:
            out.append(a + 1)
        i += 1
    return out


def datamatrix_matrix(data: str) -> list[list[int]]:
    """The module matrix (rows top to bottom, 1 = dark) of the smallest square
    ECC 200 symbol that holds ``data``."""
    from reportlab.graphics.barcode.ecc200datamatrix import ECC200DataMatrix
    try:
        words = _dm_ascii(data)
    except UnicodeEncodeError:
        raise ValidationError(f"DataMatrix labels hold Latin-1 text; {data!r} has other characters.") from None
    for size, regions, n_data, n_ecc in _DM_SIZES:  # noqa: B007 - the size chosen is read below
        if len(words) <= n_data:
            break
    else:
        raise ValidationError(f"{data!r} is too long for a DataMatrix label.")
    words = list(words)
    if len(words) < n_data:
        words.append(129)
        while len(words) < n_data:
            r = ((149 * (len(words) + 1)) % 253) + 1
            words.append((129 + r) % 254)
    dm = ECC200DataMatrix(data)
    dm.row_modules = dm.col_modules = size
    dm.row_regions = dm.col_regions = regions
    dm.cw_data, dm.cw_ecc = n_data, n_ecc
    dm.row_usable_modules = dm.col_usable_modules = size - 2 * regions
    words += dm._get_reed_solomon_code(words, n_ecc)
    matrix = dm._create_matrix(list(words))
    # Sizes whose data area has 4 bits left over get the fixed corner pattern
    # (ISO/IEC 16022 §5.8.2); reportlab's 44 × 44 never needs it.
    n = dm.row_usable_modules
    placed = dm._matrix
    if n * n % 8:
        placed[n - 1][n - 1] = placed[n - 2][n - 2] = 1
    wrapped = dm._wrap_data_regions_with_finders(dm._create_data_regions(matrix))
    return [list(map(int, row)) for row in dm._merge_data_regions(wrapped)]
