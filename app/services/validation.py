"""The rules an asset record must keep, in one place: the asset service (and
so the editor, intake and the CLI) and the importer call these same functions,
so a value the editor would refuse can never be stored by an import, and both
say so in the same words.

Each rule takes what a person typed or a file held and returns the stored
value, or raises ValidationError naming the field. ``identifier`` also refuses
characters nobody can see (zero-width spaces, bidirectional overrides): two
tags or serials that print alike must be the same tag or serial.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from app.services.errors import ValidationError
from app.services.fields import _label, _short, clean_text, parse_date, parse_money

# Dates a school district's equipment can carry: nothing was bought before 1950
# (a 1900-01-01 is an empty cell some system filled in), nothing after 2100.
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2100, 12, 31)

# The longest text each asset field keeps.
TEXT_LIMITS = {"tag": 64, "serial": 100, "name": 255, "order_number": 255, "funding_name": 255,
               "notes": 100_000, "custom_name": 100, "custom_value": 2000}

# Characters that change how text reads without being seen: zero-width ones,
# joiners, the byte-order mark, soft hyphen, and the bidirectional controls
# (U+202A–202E, U+2066–2069) that can reverse "QM-1021" on screen.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
                        "\uffa0\ufff0-\ufff8]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def invisible_characters(text: str) -> list[str]:
    """The invisible or direction-changing characters in ``text``, as code-point names (U+200B, U+202E …)."""
    if text.isascii():  # nearly every tag and serial: none there (ASCII has no format characters)
        return []
    found = {m.group() for m in _INVISIBLE.finditer(text)}
    found |= {ch for ch in text if unicodedata.category(ch) == "Cf"}
    return [f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})" for ch in sorted(found)]


def identifier(value: object, field: str, required: bool = False) -> str | None:
    """A tag or serial as stored: NFKC-normalised (full-width letters become
    plain ones), no control characters, and refused when it holds a character
    nobody can see, so two that read alike are the same."""
    if value is None:
        text = ""
    else:
        text = str(value)
    hidden = invisible_characters(text)
    if hidden:
        raise ValidationError(
            f"{_label(field)} “{_visible(text)}” holds {len(hidden)} invisible character"
            f"{'s' if len(hidden) != 1 else ''} ({', '.join(hidden[:3])}); it would read like a "
            "different one — type it again without them.", field=field)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    text = text.strip()
    limit = TEXT_LIMITS[field]
    if not text:
        if required:
            raise ValidationError(f"An asset needs a {field}." if field == "tag"
                                  else f"{_label(field)} is required.", field=field)
        return None
    if len(text) > limit:
        raise ValidationError(f"A {field} has at most {limit} characters.", field=field)
    return text


def _visible(text: str) -> str:
    return _short(_INVISIBLE.sub("", "".join(ch for ch in text
                                             if unicodedata.category(ch) != "Cf")))


def date(value: object, field: str) -> dt.date | None:
    """A date of a record (purchase, in service, warranty end, disposal, audit)."""
    d = parse_date(value, field)
    if d and not (FIRST_DAY <= d <= LAST_DAY):
        raise ValidationError(f"{_label(field)}: {d.isoformat()} is outside the years "
                              f"{FIRST_DAY.year}–{LAST_DAY.year}.", field=field)
    return d


def moment(value: object, field: str) -> dt.datetime | None:
    """A time something happened, stored naive in UTC as every timestamp is:
    a datetime (an aware one converted), ISO 8601 text with or without a
    zone ("2026-11-30T14:22:05.000Z"), or a US date and time
    ("11/30/2026 2:22 PM"); a plain date is its midnight."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment_ = value
    elif isinstance(value, dt.date):
        moment_ = dt.datetime.combine(value, dt.time())
    else:
        text_ = str(value).strip()
        if not text_:
            return None
        parsed: dt.datetime | None = None
        iso = text_.replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = dt.datetime.fromisoformat(iso)
        except ValueError:
            for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p",
                        "%m/%d/%Y %I:%M:%S %p", "%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M %p",
                        "%b %d, %Y, %I:%M %p", "%b %d, %Y %H:%M"):
                try:
                    parsed = dt.datetime.strptime(text_.upper() if "%p" in fmt and "%b" not in fmt
                                                  else text_, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            d = parse_date(text_, field)  # a date alone, or its readable refusal
            if d is None:  # only for blank text, answered above
                return None
            parsed = dt.datetime.combine(d, dt.time())
        moment_ = parsed
    if moment_.tzinfo is not None:
        moment_ = moment_.astimezone(dt.UTC).replace(tzinfo=None)
    if not (FIRST_DAY <= moment_.date() <= LAST_DAY):
        raise ValidationError(f"{_label(field)}: {moment_.date().isoformat()} is outside the years "
                              f"{FIRST_DAY.year}–{LAST_DAY.year}.", field=field)
    return moment_.replace(microsecond=0)


_CENT = Decimal("0.01")


def money(value: object, field: str) -> Decimal | None:
    """An amount in dollars and cents. A fraction of a cent is refused rather
    than rounded away without a word (0.001 is not 0.00)."""
    if isinstance(value, float):
        value = Decimal(repr(value))  # what the cell shows, not the binary float
    exact = _exact(value)
    amount = parse_money(value, field)
    if amount is not None and exact is not None and exact != amount:
        raise ValidationError(f"{_label(field)}: “{_short(str(value).strip())}” has a fraction of "
                              f"a cent; give it to the cent (e.g. {amount}).", field=field)
    return amount


def _exact(value: object) -> Decimal | None:
    """The amount as written, before rounding to the cent (None when it is not plain)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    text = str(value or "").strip().lstrip("$").strip()
    if re.fullmatch(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)\.\d{3,}", text):  # 0.001, 1,234.5678
        return Decimal(text.replace(",", ""))
    return None


def text(value: object, field: str) -> str | None:
    """Plain text of a record (name, PO number, grant, notes)."""
    return clean_text(value, field, TEXT_LIMITS.get(field, 255))


def custom(value: object) -> dict[str, int | float | str | None] | None:
    """Custom fields: a name → value set; names and values within their limits."""
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        raise ValidationError("Custom fields are a set of name → value.", field="custom")
    out: dict[str, int | float | str | None] = {}
    for k, v in value.items():
        name = str(k).strip()
        if len(name) > TEXT_LIMITS["custom_name"]:
            raise ValidationError(f"A custom field's name has at most {TEXT_LIMITS['custom_name']} "
                                  f"characters (“{_short(name)}”).", field="custom")
        if v in ("", None):
            out[name] = None
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = v
        else:
            s = str(v)
            if len(s) > TEXT_LIMITS["custom_value"]:
                raise ValidationError(f"The custom field “{_short(name)}” holds {len(s):,} "
                                      f"characters; at most {TEXT_LIMITS['custom_value']:,} are kept.",
                                      field="custom")
            out[name] = s
    return out
