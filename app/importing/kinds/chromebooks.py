"""Chromebooks: Google Admin console's Chrome device export (Devices › Chrome ›
Download), matched to our assets by serial number.

It brings what only Google knows: the Auto Update Expiration (a date, or a
month such as "Aug 2029", which is read as the month's last day), the org
unit, the last sync, and the user and asset ID the admin annotated. It never
makes an asset: a serial no asset has is listed (``Preview.unknown``) for
the technician to look into — a device bought outside the register, or a
serial typed wrong at intake. The writes go through the asset service, so
each changed field has its history.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from app.importing import Problem, column_of
from app.importing.kinds.common import ServiceHandler
from app.services import validation
from app.services.errors import ValidationError

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_name) if m})
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?[\s,-]+(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_SLASH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def aue_of(value) -> dt.date | None:
    """The Auto Update Expiration: a date as it is, a month ("Aug 2029",
    "August 2029", "2029-08", "08/2029") as its last day."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    m = _MONTH_YEAR.match(text)
    if m and m.group(1).lower() in _MONTHS:
        return _last_day(int(m.group(2)), _MONTHS[m.group(1).lower()])
    m = _YEAR_MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return _last_day(int(m.group(1)), int(m.group(2)))
    m = _MONTH_SLASH_YEAR.match(text)
    if m and 1 <= int(m.group(1)) <= 12:
        return _last_day(int(m.group(2)), int(m.group(1)))
    return validation.date(text, "aue_date")


def serial_key(text) -> str:
    """A serial compared as the register compares them: upper case, and here
    without any space (Google writes none; a typed serial may have one)."""
    return re.sub(r"\s+", "", str(text)).upper()


class ChromebookHandler(ServiceHandler):
    noun, key_field = "serial", "serial"

    def __init__(self, *a):
        super().__init__(*a)
        self.update = True  # every known serial is updated; none is created

    def describe(self, v):
        return v["_serial"]

    def key_of(self, v):
        return serial_key(v["_serial"])

    def check(self, row, rec):
        if rec.get("serial") in (None, ""):
            return [Problem(row, column_of(rec, "serial"), "no serial number: the row cannot be "
                                                           "matched to an asset")]
        problems = super().check(row, rec)
        if not problems and rec.get("_values") is not None and rec["_existing"] is None:
            # Unknown to the register: listed, never created.
            self.p.created -= 1
            v = rec["_values"]
            self.p.unknown.append((row, v["_serial"], str(rec.get("model") or ""),
                                   v.get("annotated_user") or ""))
            rec["_values"] = None
        return problems

    def convert(self, rec):
        serial = str(rec["serial"]).strip()
        v: dict = {"_serial": serial}
        if rec.get("aue_date") not in (None, ""):
            try:
                v["aue_date"] = aue_of(rec["aue_date"])
            except ValidationError as exc:
                raise ValidationError(f"Auto Update Expiration: {exc}", field="aue_date") from None
        if rec.get("last_sync") not in (None, ""):
            v["last_sync"] = validation.moment(rec["last_sync"], "last_sync")
        for key in ("org_unit", "annotated_user", "annotated_asset_id"):
            if rec.get(key) not in (None, ""):
                v[key] = validation.text(str(rec[key]).strip(), key)
        return v, self._asset_of(serial)

    def _asset_of(self, serial: str) -> int | None:
        from app.services import assets
        found = assets.lookup_serial(serial)
        if not found and serial_key(serial) != serial.upper():
            found = assets.lookup_serial(serial_key(serial))
        if len(found) > 1:
            raise ValidationError(f"serial {serial} is on {len(found)} assets; give each its own "
                                  "serial before matching Google's export", field="serial")
        return found[0] if found else None

    def save(self, v, existing):
        from app.services import assets
        changes = {k: x for k, x in v.items() if not k.startswith("_")}
        if changes:
            assets.update(existing, changes, by=self.by, action="update")
