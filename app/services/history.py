"""The audit trail: who changed what, when, from what to what."""
from __future__ import annotations

import datetime as dt

import peewee as pw

from app.models import HistoryEntry
from app.models.common import utcnow
from app.services.base import fmt, who

# Fields whose values never go into history (secrets): only the fact of a change.
SECRET_FIELDS = {"product_key"}


def record(entity: str, entity_id: int, action: str, *, field: str | None = None,
           old=None, new=None, by: str | None = None, note: str | None = None,
           at: dt.datetime | None = None) -> None:
    if field in SECRET_FIELDS:
        old = "••••" if old else None
        new = "••••" if new else None
    HistoryEntry.insert(entity=entity, entity_id=entity_id, action=action, field=field,
                        old=fmt(old), new=fmt(new), old_id=_ref(old), new_id=_ref(new),
                        who=who(by), note=note, at=at or utcnow()).execute()


def _ref(value) -> int | None:
    return value.id if isinstance(value, pw.Model) else None


def record_changes(entity: str, entity_id: int, changes: dict[str, tuple], *,
                   by: str | None = None, action: str = "update", at=None) -> None:
    """One entry per changed field: changes = {field: (old, new)}."""
    rows = []
    when = at or utcnow()
    user = who(by)
    for field, (old, new) in changes.items():
        if field in SECRET_FIELDS:
            old, new = ("••••" if old else None), ("••••" if new else None)
        rows.append(dict(entity=entity, entity_id=entity_id, action=action, field=field,
                         old=fmt(old), new=fmt(new), old_id=_ref(old), new_id=_ref(new),
                         who=user, at=when))
    if rows:
        HistoryEntry.insert_many(rows).execute()


def for_entity(entity: str, entity_id: int, limit: int | None = None) -> list[dict]:
    """Newest first, as plain dicts (what the history tab and reports show)."""
    q = (HistoryEntry.select(HistoryEntry.action, HistoryEntry.field, HistoryEntry.old,
                             HistoryEntry.new, HistoryEntry.who, HistoryEntry.at,
                             HistoryEntry.note)
         .where((HistoryEntry.entity == entity) & (HistoryEntry.entity_id == entity_id))
         .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc()))
    if limit:
        q = q.limit(limit)
    return list(q.dicts())
