"""The audit trail: who changed what, when, from what to what."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict, cast


from app.models import HistoryEntry
# Explicitly exported: the clock history stamps entries with (periods reads it here too).
from app.models.common import utcnow as utcnow
from app.services.base import fmt, who
from app.store.db import BaseModel, dict_rows

# Fields whose values never go into history (secrets): only the fact of a change.
SECRET_FIELDS = {"product_key"}


def local_day(at: dt.datetime) -> dt.date:
    """A stored (naive UTC) timestamp as the local calendar day."""
    return at.replace(tzinfo=dt.UTC).astimezone().date()


def today() -> dt.date:
    """The local day now, by the same clock history stamps entries with."""
    return local_day(utcnow())


def record(entity: str, entity_id: int, action: str, *, field: str | None = None,
           old: object = None, new: object = None, by: str | None = None, note: str | None = None,
           at: dt.datetime | None = None, effective: dt.date | None = None) -> None:
    """One entry. ``effective`` is the day the change took effect in the world
    (default: the day it is entered)."""
    if field in SECRET_FIELDS:
        old = "••••" if old else None
        new = "••••" if new else None
    at = at or utcnow()
    HistoryEntry.insert(entity=entity, entity_id=entity_id, action=action, field=field,
                        old=fmt(old), new=fmt(new), old_id=_ref(old), new_id=_ref(new),
                        who=who(by), note=note, at=at,
                        effective=effective or local_day(at)).execute()


def _ref(value: object) -> int | None:
    """The id of a referenced record (a location, a person), kept beside its name."""
    return value.id if isinstance(value, BaseModel) else None


def record_changes(entity: str, entity_id: int, changes: Mapping[str, tuple[object, object]], *,
                   by: str | None = None, action: str = "update", at: dt.datetime | None = None,
                   effective: dt.date | dict[str, dt.date | None] | None = None) -> None:
    """One entry per changed field: changes = {field: (old, new)}. ``effective``
    is one day for all, or {field: day} (a field not named: the day entered)."""
    rows: list[dict[str, Any]] = []
    when = at or utcnow()
    user = who(by)
    entered = local_day(when)
    for field, (old, new) in changes.items():
        if field in SECRET_FIELDS:
            old, new = ("••••" if old else None), ("••••" if new else None)
        day = effective.get(field) if isinstance(effective, dict) else effective
        rows.append(dict(entity=entity, entity_id=entity_id, action=action, field=field,
                         old=fmt(old), new=fmt(new), old_id=_ref(old), new_id=_ref(new),
                         who=user, at=when, effective=day or entered))
    if rows:
        HistoryEntry.insert_many(rows).execute()


class HistoryRow(TypedDict):
    """One entry as the history tabs show it."""

    action: str
    field: str | None
    old: str | None
    new: str | None
    who: str | None
    at: dt.datetime
    note: str | None
    effective: dt.date | None


def for_entity(entity: str, entity_id: int, limit: int | None = None) -> list[HistoryRow]:
    """Newest first, as plain dicts (what the history tab and reports show)."""
    q = (HistoryEntry.select(HistoryEntry.action, HistoryEntry.field, HistoryEntry.old,
                             HistoryEntry.new, HistoryEntry.who, HistoryEntry.at,
                             HistoryEntry.note, HistoryEntry.effective)
         .where((HistoryEntry.entity == entity) & (HistoryEntry.entity_id == entity_id))
         .order_by(HistoryEntry.at.desc(), HistoryEntry._meta.fields["id"].desc()))
    if limit:
        q = q.limit(limit)
    # Its keys are the columns selected above.
    return cast("list[HistoryRow]", list(dict_rows(q)))
