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

from typing import TYPE_CHECKING, Any

import calendar
import datetime as dt
import re

from app.importing import Problem, column_of
from app.importing.kinds.common import ServiceHandler
from app.services import validation
from app.services.errors import ValidationError

if TYPE_CHECKING:
    from app.importing import Preview

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_name) if m})
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?[\s,-]+(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_SLASH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")


FIELDS = ("aue_date", "org_unit", "last_sync", "annotated_user", "annotated_asset_id")


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def aue_of(value: object) -> dt.date | None:
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


def serial_key(text: object) -> str:
    """A serial compared as the register compares them: upper case, and here
    without any space (Google writes none; a typed serial may have one)."""
    return re.sub(r"\s+", "", str(text)).upper()


class ChromebookHandler(ServiceHandler):
    noun, key_field = "serial", "serial"

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        self.update = True  # every known serial is updated; none is created
        self.changes: list[tuple[int, str, Any, Any]] = []  # (asset id, field, old, new) for history
        self._sql: str | None = None
        self._updates: dict[tuple[str, ...], str] = {}

    def describe(self, v: dict[str, Any]) -> str:
        return str(v["_serial"])

    def key_of(self, v: dict[str, Any]) -> str:
        return serial_key(v["_serial"])

    def check(self, row: int, rec: dict[str, Any]) -> list[Problem]:
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

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        serial = str(rec["serial"]).strip()
        v: dict[str, Any] = {"_serial": serial}
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
        found = self._asset_of(serial)
        if found is None:
            return v, None
        # What would change (the asset's version read with it, so a save
        # meanwhile by someone else is refused rather than overwritten).
        v["_version"], current = found[1], found[2]
        v["_diff"] = {k: (current[k], x) for k, x in v.items()
                      if not k.startswith("_") and current[k] != x}
        return v, found[0]

    def _asset_of(self, serial: str) -> tuple[int, int, dict[str, Any]] | None:
        """(id, version, current values) of the asset with this serial, or None."""
        from app.models import Asset
        from app.store.db import db, param
        if self._sql is None:  # one statement, built once: the rows only bind a serial
            self._sql = (f"SELECT id, version, {', '.join(FIELDS)} FROM asset "
                         f"WHERE serial_key = {param()} LIMIT 10")
        found = []
        for key in dict.fromkeys((serial.upper(), serial_key(serial))):
            found = db.execute_sql(self._sql, (key,)).fetchall()
            if found:
                break
        if len(found) > 1:
            raise ValidationError(f"serial {serial} is on {len(found)} assets; give each its own "
                                  "serial before matching Google's export", field="serial")
        if not found:
            return None
        aid, version, *values = found[0]
        return aid, version, {f: getattr(Asset, f).python_value(x) for f, x in zip(FIELDS, values)}

    def save(self, v: dict[str, Any], existing: int | None) -> None:
        """The changed fields, in one UPDATE that checks the version; their
        history (old → new, as the asset service writes it) in one batch at
        the end: a weekly export of 30,000 Chromebooks, each with a new last
        sync, is not 30,000 trips through the editor's path."""
        from app.models import Asset
        from app.models.common import utcnow
        from app.services.errors import StaleEdit
        from app.store.db import db, param
        diff = v["_diff"]
        if not diff:
            return
        # An unknown serial never gets here: check() drops its values.
        assert existing is not None
        now = utcnow()
        fields = tuple(diff)
        sql = self._updates.get(fields)
        if sql is None:  # one statement per set of changed fields, built once
            p = param()
            sql = self._updates[fields] = (
                "UPDATE asset SET " + ", ".join(f"{f} = {p}" for f in fields)
                + f", version = {p}, updated_at = {p} WHERE id = {p} AND version = {p}")
        params = [getattr(Asset, f).db_value(diff[f][1]) for f in fields]
        params += [v["_version"] + 1, Asset.updated_at.db_value(now), existing, v["_version"]]
        n = db.execute_sql(sql, params).rowcount
        if n != 1:
            raise StaleEdit(f"The asset with serial {v['_serial']} was changed by someone else "
                            "during the import; import the file again.")
        self.changes.extend((existing, k, old, new) for k, (old, new) in diff.items())

    def finish(self) -> None:
        if not (self.writing and self.changes):
            return
        from app.models.common import utcnow
        from app.services import history
        from app.services.base import fmt, who
        from app.store.bulk import insert_rows
        user, now = who(self.by), utcnow()
        day = history.local_day(now)
        note = f"from {self.p.path.name}"
        insert_rows("history_entry", ("entity", "entity_id", "action", "field", "old", "new",
                                      "who", "at", "effective", "note"),
                    (("asset", aid, "update", field, fmt(old), fmt(new), user, now, day, note)
                     for aid, field, old, new in self.changes))
