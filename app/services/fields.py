"""Turning what a person typed (or a file held) into typed values, with
messages that name the field. Shared by the services and the importers."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal, overload

from app.services.errors import ValidationError

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTHS["sept"] = 9


def parse_date(value: object, field: str = "date") -> dt.date | None:
    """ISO (2023-01-23), US (1/23/23, 1/23/2023), 23-Jan-2023, Jan 23 2023; None for blank."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if m:
        y, mo, d = map(int, m.groups())
        return _make(y, mo, d, text, field)
    m = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?", text)
    if m:
        y, mo, d = map(int, m.groups())
        return _make(y, mo, d, text, field)
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?: .*)?", text)
    if m:
        mo_s, d_s, y_s = m.groups()
        return _make(_year(y_s), int(mo_s), int(d_s), text, field)
    m = re.fullmatch(r"(\d{1,2})[- ]([A-Za-z]{3,9})\.?[- ,]+(\d{2}|\d{4})", text)
    if m:
        d_s, mon, y_s = m.groups()
        month = _MONTHS.get(mon[:4].lower()) or _MONTHS.get(mon[:3].lower())
        if month:
            return _make(_year(y_s), month, int(d_s), text, field)
    m = re.fullmatch(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})", text)
    if m:
        mon, d_s, y_s = m.groups()
        month = _MONTHS.get(mon[:3].lower())
        if month:
            return _make(int(y_s), month, int(d_s), text, field)
    raise ValidationError(f"{_label(field)}: “{_short(text)}” is not a date (use 2024-07-01 or 7/1/2024).",
                          field=field)


def _year(y: str) -> int:
    year = int(y)
    if len(y) == 2:
        # Two-digit years: 00–69 → 2000s, 70–99 → 1900s (the spreadsheet convention).
        year += 2000 if year < 70 else 1900
    return year


def _make(y: int, mo: int, d: int, text: str, field: str) -> dt.date:
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ValidationError(f"{_label(field)}: “{_short(text)}” is not a real date.", field=field) from None


_PLAIN_MONEY = re.compile(r"\d{1,10}(?:\.\d{1,2})?")
_CENT = Decimal("0.01")
# A currency named before or after the amount: "$", "US$ 12", "12 USD", "€ 1.299", "12 EUR".
_CURRENCY = re.compile(r"^(?:US\$|USD|EUR|\$|€|£)\s*|\s*(?:US\$|USD|EUR|\$|€|£)$", re.IGNORECASE)
# Thousands separators that can never be a decimal mark: spaces (plain, no-break,
# narrow no-break, thin) and apostrophes (Swiss "1'234.50").
_SPACES = " \u00a0\u202f\u2009'’"
_SHAPE = re.compile(rf"[0-9.,{_SPACES}]*[0-9]|[0-9.,{_SPACES}]*[0-9][.,]|[.,][0-9]+")
_MINUS = ("-", "\u2212")


def parse_money(value: object, field: str = "cost", allow_negative: bool = False) -> Decimal | None:
    """$1,234.50, 1234.5, (12.00), 1.234,50 €, 1 234,50, 1'234.50 — to Decimal
    cents; None for blank. When both . and , occur the last is the decimal mark;
    "2,500" is US thousands, "12,50" a decimal comma; "1.299" is refused, since
    it could be either and guessing would store a wrong amount silently."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = str(value).strip()
        if not text:
            return None
        if _PLAIN_MONEY.fullmatch(text):  # "1234.50": most cells of a 100,000-row import
            return Decimal(text).quantize(_CENT)
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()").strip()
        for _ in range(2):  # "-$12", "$-12", "12.00- €", "€ 12.00-"
            if text.startswith(_MINUS):
                negative, text = True, text[1:].strip()
            if text.endswith(_MINUS):
                negative, text = True, text[:-1].strip()
            text = _CURRENCY.sub("", text).strip()
        amount = Decimal(_plain_amount(text, str(value), field))
        if negative:
            amount = -amount
    if amount < 0 and not allow_negative:
        raise ValidationError(f"{_label(field)} cannot be negative.", field=field)
    if abs(amount) >= Decimal("10000000000"):
        raise ValidationError(f"{_label(field)} is too large.", field=field)
    return amount.quantize(Decimal("0.01"))


def _plain_amount(text: str, original: str, field: str) -> str:
    """Digits with separators ("1.234,50", "1 234", "2,500") as "1234.50"."""
    def refuse() -> ValidationError:
        return ValidationError(f"{_label(field)}: “{_short(original)}” is not an amount of money.",
                               field=field)
    if not _SHAPE.fullmatch(text):
        raise refuse()
    dot, comma = text.rfind("."), text.rfind(",")
    if dot >= 0 and comma >= 0:  # the last one is the decimal mark
        mark = max(dot, comma)
        whole, frac, group = text[:mark], text[mark + 1:], "," if mark == dot else "."
    elif dot >= 0 or comma >= 0:
        sep = "." if dot >= 0 else ","
        if text.count(sep) > 1:  # "1.234.567", "1,234,567"
            whole, frac, group = text, "", sep
        else:
            whole, frac = text.split(sep)
            group = ""
            # One group of three after 1–3 digits: "2,500" (US thousands) or "1.299"
            # (European thousands, or 1.30 with a typo): ambiguous either way.
            if len(frac) == 3 and re.fullmatch(r"[1-9][0-9]{0,2}", whole):
                if sep == ",":
                    whole, frac = whole + frac, ""
                else:
                    as_decimal = Decimal(f"{whole}.{frac}").quantize(_CENT)
                    raise ValidationError(
                        f"{_label(field)}: “{_short(original)}” could be {whole},{frac} or "
                        f"{as_decimal} — write it as {whole}{frac} or as {as_decimal}.", field=field)
    else:
        whole, frac, group = text, "", ""
    if not frac.isdigit() and frac:
        raise refuse()
    seps = re.escape(group + _SPACES)
    if whole and not (whole.isdigit() or re.fullmatch(rf"[0-9]{{1,3}}(?:[{seps}][0-9]{{3}})+", whole)):
        raise refuse()
    digits = re.sub(rf"[{seps}]", "", whole) or "0"
    return f"{digits}.{frac}" if frac else digits


def parse_int(value: object, field: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip().replace(",", "")) if not isinstance(value, int) else value
    except ValueError:
        try:
            f = float(str(value).strip())
            if f != int(f):
                raise ValueError
            number = int(f)
        except ValueError:
            raise ValidationError(f"{_label(field)}: “{_short(str(value))}” is not a whole number.",
                                  field=field) from None
    if minimum is not None and number < minimum:
        raise ValidationError(f"{_label(field)} must be at least {minimum}.", field=field)
    if maximum is not None and number > maximum:
        raise ValidationError(f"{_label(field)} must be at most {maximum}.", field=field)
    return number


def parse_bool(value: object, field: str = "flag") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in ("1", "y", "yes", "true", "t", "x", "on", "si", "sí", "checked"):
        return True
    if text in ("0", "n", "no", "false", "f", "off", "unchecked"):
        return False
    raise ValidationError(f"{_label(field)}: “{_short(text)}” is not yes or no.", field=field)


@overload
def clean_text(value: object, field: str, max_length: int = ..., *,
               required: Literal[True]) -> str: ...
@overload
def clean_text(value: object, field: str, max_length: int, required: Literal[True]) -> str: ...
@overload
def clean_text(value: object, field: str, max_length: int = ..., required: bool = ...) -> str | None: ...
def clean_text(value: object, field: str, max_length: int = 255, required: bool = False) -> str | None:
    """Text as stored: control characters dropped, trimmed; None when blank
    (ValidationError when ``required``) and refused past ``max_length``."""
    if value is None:
        text = ""
    else:
        text = str(value)
    # Control characters other than newlines and tabs never belong in a record.
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text).strip()
    if not text:
        if required:
            raise ValidationError(f"{_label(field)} is required.", field=field)
        return None
    if len(text) > max_length:
        raise ValidationError(f"{_label(field)} is longer than {max_length} characters.", field=field)
    return text


FRN_RE = re.compile(r"^\d{10}$|^\d{6,7}$")


def check_frn(value: object, field: str = "erate_frn") -> str | None:
    """An E-Rate Funding Request Number: 10 digits (FY2016 on), 6–7 before."""
    text = clean_text(value, field, 20)
    if text is None:
        return None
    digits = text.replace(" ", "").replace("-", "")
    if not FRN_RE.match(digits):
        raise ValidationError("An E-Rate FRN is 10 digits (e.g. 2599012345), or 6–7 digits "
                              "before funding year 2016.", field=field)
    return digits


# The E-Rate numbers as USAC's E-Rate Productivity Center (EPC) issues them.
# Each is kept as digits only: a BEN or an FRN typed with spaces or dashes is
# the same number.
BEN_RE = re.compile(r"^\d{1,10}$")
SPIN_RE = re.compile(r"^\d{9}$")
FORM471_RE = re.compile(r"^\d{9}$|^\d{6,7}$")
FRN_LINE_RE = re.compile(r"^(\d{10})\.(\d{1,3})$")


def _digits(value: object, field: str, limit: int = 20) -> str | None:
    text = clean_text(value, field, limit)
    if text is None:
        return None
    if isinstance(value, float) and value.is_integer():  # a workbook cell: 125548.0
        text = str(int(value))
    return text.replace(" ", "").replace("-", "")


def check_ben(value: object, field: str = "ben") -> str | None:
    """A Billed Entity Number: the number USAC gives each school, library or
    district (e.g. 125548)."""
    digits = _digits(value, field)
    if digits is not None and not BEN_RE.match(digits):
        raise ValidationError("An E-Rate BEN (Billed Entity Number) is a number of up to 10 "
                              f"digits (e.g. 125548), not “{_short(str(value).strip())}”.",
                              field=field)
    return digits


def check_spin(value: object, field: str = "spin") -> str | None:
    """A service provider's SPIN (its FCC Form 498 ID): 9 digits, e.g. 143012345."""
    digits = _digits(value, field)
    if digits is not None and not SPIN_RE.match(digits):
        raise ValidationError("A SPIN (the service provider's FCC Form 498 ID) is 9 digits "
                              f"(e.g. 143012345), not “{_short(str(value).strip())}”.",
                              field=field)
    return digits


def check_form471(value: object, field: str = "erate_form471") -> str | None:
    """An FCC Form 471 application number: 9 digits since funding year 2016
    (the first two the year, e.g. 251000123), 6–7 before."""
    digits = _digits(value, field)
    if digits is not None and not FORM471_RE.match(digits):
        raise ValidationError("An FCC Form 471 application number is 9 digits (e.g. 251000123), "
                              "or 6–7 digits before funding year 2016, not "
                              f"“{_short(str(value).strip())}”.", field=field)
    return digits


def check_frn_line(value: object, frn: str | None = None, field: str = "erate_frn_line") -> str | None:
    """An FRN line item as USAC writes it: the FRN, a dot, the line's three
    digits (2599012345.001). A bare line number (1, 001) is completed from
    ``frn`` when given; a line item of another FRN than ``frn`` is refused."""
    if isinstance(value, float):  # a workbook cell kept as a number: 2599012345.001
        value = f"{value:.3f}"
    text = clean_text(value, field, 20)
    if text is None:
        return None
    text = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}", text) and frn and re.fullmatch(r"\d{10}", frn):
        text = f"{frn}.{text}"
    m = FRN_LINE_RE.match(text)
    if not m or int(m.group(2)) == 0:
        raise ValidationError("An FRN line item is the 10-digit FRN, a dot and the line number "
                              f"(e.g. 2599012345.001), not “{_short(str(value).strip())}”.",
                              field=field)
    line = f"{m.group(1)}.{int(m.group(2)):03d}"
    if frn and re.fullmatch(r"\d{10}", frn) and m.group(1) != frn:
        raise ValidationError(f"FRN line item {line} belongs to FRN {m.group(1)}, not to this "
                              f"asset's FRN {frn}.", field=field)
    return line


LABELS = {
    "erate_frn": "E-Rate FRN", "erate_funding_year": "Funding year",
    "erate_form471": "Form 471 number", "erate_frn_line": "FRN line item", "ben": "BEN",
    "spin": "SPIN", "cost": "Cost",
    "purchase_date": "Purchase date", "in_service_date": "In-service date",
    "warranty_end": "Warranty end", "disposal_date": "Disposal date",
    "disposal_proceeds": "Disposal proceeds", "last_audit_date": "Last audit date",
    "tag": "Tag", "serial": "Serial", "name": "Name", "unit_cost": "Unit cost",
}


def _label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
