"""Field helpers and vocabularies shared by the models."""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import peewee as pw

_V = TypeVar("_V")

if TYPE_CHECKING:
    _DecimalField = pw.DecimalField
else:  # peewee's fields are generic in its stubs only
    class _DecimalField(pw.DecimalField, Generic[_V]):
        pass


def utcnow() -> dt.datetime:
    """Naive UTC timestamp, the form every timestamp column stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


CENT = decimal.Decimal("0.01")


class MoneyField(_DecimalField[_V]):
    """Dollars and cents, exact: NUMERIC(12,2) stored and returned as Decimal."""

    # The overloads give the column's Python type, as peewee's own fields do:
    # Decimal, or Decimal | None with null=True.
    @overload
    def __init__(self: MoneyField[decimal.Decimal | None], *args: Any, null: Literal[True],
                 **kwargs: Any) -> None: ...
    @overload
    def __init__(self: MoneyField[decimal.Decimal], *args: Any, null: Literal[False] = ...,
                 **kwargs: Any) -> None: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", True)
        super().__init__(*args, **kwargs)

    def python_value(self, value: object) -> decimal.Decimal | None:
        # SQLite keeps NUMERIC as REAL/INTEGER: read back as exact cents.
        if value is None:
            return None
        return decimal.Decimal(str(value)).quantize(CENT)


class JSONField(pw.TextField):
    """A JSON document in a TEXT column: portable across SQLite and PostgreSQL.
    Its value is whatever the JSON holds (a dict or a list, per column)."""

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def python_value(self, value: str | None) -> Any:
        if value is None or value == "":
            return None
        return json.loads(value)


# Vocabularies. Stored as the short key; labels are for people.
ASSET_STATUSES = {
    "pending": "Pending",
    "ready": "Ready to deploy",
    "deployed": "Deployed",
    "in_repair": "In repair",
    "missing": "Missing",
    "retired": "Retired",
    "disposed": "Disposed",
}
# Statuses that mean the district no longer holds the item in service.
INACTIVE_STATUSES = ("retired", "disposed")

CATEGORY_KINDS = {
    "computer": "Computer",
    "chromebook": "Chromebook",
    "tablet": "Tablet",
    "printer": "Printer",
    "network": "Network",
    "audio_visual": "Audio-visual",
    "backup_media": "Backup media",
    "peripheral": "Peripheral",
    "other": "Other",
}

PERSON_KINDS = {"staff": "Staff", "student": "Student", "family": "Family / guardian"}
LANGUAGES = {"en": "English", "es": "Español"}

FUNDING_TYPES = {"general": "General fund", "erate": "E-Rate", "grant": "Grant", "other": "Other"}

SUPPLY_CATEGORIES = {
    "toner": "Toner",
    "drum": "Drum",
    "ink": "Ink",
    "paper": "Paper",
    "cable": "Cable",
    "backup_tape": "Backup tape",
    "other": "Other",
}

MOVE_KINDS = {
    "receive": "Received",
    "issue": "Issued",
    "adjust": "Adjusted",
    "count": "Counted",
    "transfer": "Transferred",
}

REPAIR_STATUSES = {
    "open": "Open",
    "sent": "Sent to vendor",
    "waiting_parts": "Waiting for parts",
    "closed": "Closed (repaired)",
    "unrepairable": "Closed (not repairable)",
}
OPEN_REPAIR_STATUSES = ("open", "sent", "waiting_parts")

DISPOSAL_METHODS = {
    "recycled": "Recycled (e-waste)",
    "sold": "Sold / auctioned",
    "donated": "Donated",
    "traded_in": "Traded in",
    "lost": "Lost / stolen (written off)",
    "destroyed": "Destroyed",
    "other": "Other",
}

STOCKTAKE_VERDICTS = {
    "verified": "Verified",
    "misplaced": "Misplaced",
    "other_site": "From another site",
    "unknown": "Unknown tag",
    "inactive": "Retired/disposed tag found",
    "duplicate": "Duplicate scan",
    "room": "Room label",
}

WORK_ORDER_CATEGORIES = {
    "repair": "Repair",
    "install": "Install",
    "move": "Move",
    "account": "Account",
    "other": "Other",
}
WORK_ORDER_PRIORITIES = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
WORK_ORDER_STATUSES = {
    "new": "New",
    "in_progress": "In progress",
    "waiting_vendor": "Waiting on vendor",
    "waiting_parts": "Waiting on parts",
    "waiting_user": "Waiting on user",
    "resolved": "Resolved",
    "closed": "Closed",
}
# Statuses of a work order still on someone's list.
OPEN_WORK_ORDER_STATUSES = ("new", "in_progress", "waiting_vendor", "waiting_parts",
                            "waiting_user")

MEDIA_ROTATIONS = {"daily": "Daily (son)", "weekly": "Weekly (father)",
                   "monthly": "Monthly (grandfather)"}
# How long each rotation keeps what was written, by default (days).
MEDIA_RETENTION_DAYS = {"daily": 7, "weekly": 35, "monthly": 365}
MEDIA_LOCATIONS = {"drive": "In the drive", "onsite_safe": "On-site safe",
                   "offsite_vault": "Off-site vault"}
