"""Organization-wide settings stored in the database (shared by a team)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.models import Setting
from app.services import history
from app.services.base import writes
from app.services.errors import ValidationError
from app.store.db import first_row, rows

# A setting's value is whatever its JSON holds (text, a number, a flag, a layout).
DEFAULTS: dict[str, Any] = {
    "org_name": "Unified School District",
    "org_logo": None,  # path to an image file
    # The district's contact, printed on the letters home (app.reporting.letters).
    "org_address": "",  # street, city, state and ZIP; one line each
    "org_phone": "",
    "org_email": "",
    "tag_prefix": "QM-",
    "tag_digits": 6,
    "tag_next": 1,
    "fiscal_year_start_month": 7,
    "capitalization_threshold": "5000.00",
    "inventory_threshold": "1500.00",
    "default_label_template": "avery-5160",
    "loan_days": 180,
    # The USB scanner (a keyboard): what tells its bursts from a person typing.
    "scanner_enabled": True,
    "scanner_min_length": 4,  # characters in a burst
    "scanner_max_avg_gap_ms": 30,  # average time between its characters
    "scanner_silence_ms": 80,  # a pause this long ends a burst without Enter/Tab
    "scanner_terminators": "enter,tab",
    "scanner_prefix": "",  # programmed into the scanner; stripped from each code
    "scanner_suffix": "",
    "scanner_repeat_ms": 2000,  # the same code again within this time is ignored
    "scanner_sounds": True,  # ok / attention / error sounds after a scan
    "scanner_volume": 100,  # per cent of the bundled sounds' loudness
    # Records retention, in years (app.services.retention says why for each).
    "retention_erate_years": 10,
    "retention_disposed_assets_years": 5,
    "retention_inactive_people_years": 3,
    "retention_work_orders_years": 5,
    "retention_history_years": 10,
    # Damage fees (app.services.fees): first-incident forgiveness and insurance.
    "fees_forgive_first": False,
    "fees_forgive_scope": "school_year",  # school_year (the fiscal year) / ever
    "fees_forgive_parts": False,  # a missing kit part counts (and is forgiven) too
    "fees_insurance": "deductible",  # off / deductible / full, for students insured that day
    "fees_insurance_deductible": "25.00",
}
SCANNER_INT_KEYS = ("scanner_min_length", "scanner_max_avg_gap_ms", "scanner_silence_ms",
                    "scanner_repeat_ms", "scanner_volume")
SCANNER_KEYS = tuple(k for k in DEFAULTS if k.startswith("scanner_"))
TERMINATOR_NAMES = ("enter", "tab")


def get(key: str, default: Any = None) -> Any:
    row = first_row(Setting.select(Setting.value).where(Setting.key == key))
    if row is None:
        return DEFAULTS.get(key, default) if default is None else default
    return row[0]


def get_all() -> dict[str, Any]:
    values = dict(DEFAULTS)
    for key, value in rows(Setting.select(Setting.key, Setting.value)):
        values[key] = value
    return values


def money(key: str) -> Decimal:
    return Decimal(str(get(key)))


def _validate(key: str, value: Any) -> Any:
    if key in ("org_address", "org_phone", "org_email"):
        return _contact(key, value)
    if key in ("fiscal_year_start_month",):
        if not isinstance(value, int) or not 1 <= value <= 12:
            raise ValidationError("The fiscal year starts in a month from 1 to 12.", field=key)
    if key in ("tag_digits",):
        if not isinstance(value, int) or not 1 <= value <= 12:
            raise ValidationError("Tag numbers have 1 to 12 digits.", field=key)
    if key == "tag_next":
        if not isinstance(value, int) or value < 1:
            raise ValidationError("The next tag number must be 1 or more.", field=key)
    if key in SCANNER_INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60_000:
            raise ValidationError("Scanner timings and lengths are whole numbers from 0 to 60000.",
                                  field=key)
        if key == "scanner_volume" and value > 100:
            raise ValidationError("The sound volume is 0 to 100 %.", field=key)
    if key == "scanner_terminators":
        names = [t.strip().lower() for t in str(value or "").split(",") if t.strip()]
        if any(n not in TERMINATOR_NAMES for n in names):
            raise ValidationError("A scan ends with Enter, Tab, or (none ticked) silence.", field=key)
        return ",".join(n for n in TERMINATOR_NAMES if n in names)
    if key.startswith("retention_") and key.endswith("_years"):
        from app.services import retention
        return retention.check_years(key[len("retention_"):-len("_years")], value)
    if key == "calpads_layout":  # the CALPADS file's columns and codes (app.calpads)
        if value in (None, "", {}):
            return None
        import json

        from app import calpads
        return json.dumps(calpads.check_layout(value), ensure_ascii=False)
    if key in ("capitalization_threshold", "inventory_threshold"):
        try:
            amount = Decimal(str(value))
        except Exception:
            raise ValidationError("Thresholds are amounts in dollars.", field=key) from None
        if amount < 0:
            raise ValidationError("Thresholds cannot be negative.", field=key)
        return f"{amount:.2f}"
    if key.startswith("fees_"):
        return _validate_fees(key, value)
    return value


def _validate_fees(key: str, value: Any) -> Any:
    from app.services import fees
    if key in ("fees_forgive_first", "fees_forgive_parts"):
        if not isinstance(value, bool):
            raise ValidationError("Forgiveness is on or off.", field=key)
    if key == "fees_forgive_scope" and value not in fees.FORGIVE_SCOPES:
        raise ValidationError(f"An incident is counted per {' or '.join(fees.FORGIVE_SCOPES)}.",
                              field=key)
    if key == "fees_insurance" and value not in fees.INSURANCE_MODES:
        raise ValidationError(f"Insurance is one of {', '.join(fees.INSURANCE_MODES)}.", field=key)
    if key == "fees_insurance_deductible":
        from app.services.fields import parse_money
        amount = parse_money(value, key)
        if amount is None:
            raise ValidationError("Give the deductible (0.00 for none).", field=key)
        return f"{amount:.2f}"
    return value


def _contact(key: str, value: object) -> str:
    """The district's contact as letters print it: trimmed lines, a real email."""
    text = "\n".join(line.strip() for line in str(value or "").strip().splitlines() if line.strip())
    if key != "org_address" and "\n" in text:
        raise ValidationError("The district's phone and email are one line each.", field=key)
    if key == "org_address" and len(text.splitlines()) > 4:
        raise ValidationError("The district's address fits in four lines (it is printed "
                              "under the logo of every letter home).", field=key)
    if key == "org_email" and text:
        import re
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            raise ValidationError(f"“{text}” is not an email address.", field=key)
    if len(text) > 300:
        raise ValidationError("That is too long for a letterhead.", field=key)
    return text


@writes
def update(values: Mapping[str, Any], by: str | None = None) -> dict[str, Any]:
    """Store several settings at once; history keeps each change."""
    for key, value in values.items():
        value = _validate(key, value)
        old = get(key)
        if old == value:
            continue
        Setting.insert(key=key, value=value).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: value}).execute()
        history.record("setting", 0, "update", field=key, old=old, new=value, by=by)
    return get_all()


def set_raw(key: str, value: Any) -> None:
    """Store a machine-kept value (no history), e.g. the last backup time."""
    Setting.insert(key=key, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()
