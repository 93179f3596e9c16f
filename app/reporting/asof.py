"""Assets as they stood at the end of a past day, rebuilt from history.

Every change of an asset is a ``HistoryEntry`` (entity "asset", field, old and
new as written by ``app.services.history``: ISO dates, "1234.50" money,
status keys, and the old/new ids of references). To see the register on
June 30, start from today's rows and undo, newest first, every change made
after the end of that day — one query over the history after the cut-off
(usually a small part of it), not one per asset.

What is undone: status, cost, site, room, model, supplier, dates (purchase,
in service, disposal, last audit), disposal method and proceeds, funding and
E-Rate fields, tag, serial and name. Check-outs (the holder) and notes do
not matter to what is owned where, and are left as they are.

An asset whose record was created after the cut-off is returned with the
values it was created with and ``created_later`` set; whether it counts as
held then is the report's decision (the year-end report counts it when its
purchase date is inside the year: the district owned it, it was entered late).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models import Asset, HistoryEntry

# The columns of a state row, in order; the last is ``created_later``.
FIELDS = ("id", "tag", "name", "serial", "model_id", "status", "site_id", "location_id",
          "supplier_id", "purchase_date", "cost", "funding_type", "funding_name", "erate_frn",
          "erate_funding_year", "in_service_date", "disposal_date", "disposal_method",
          "disposal_proceeds", "last_audit_date", "created_at", "created_later")
COL = {name: i for i, name in enumerate(FIELDS)}


def _date(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def _money(text):
    return Decimal(text).quantize(Decimal("0.01")) if text not in (None, "") else None


def _int(text):
    return int(text) if text not in (None, "") else None


def _text(text):
    return text if text not in (None, "") else None


_REF = object()  # the old value is the entry's old_id
# history field → (state column, how its old value is read back)
REVERTIBLE = {
    "status": (COL["status"], _text),
    "cost": (COL["cost"], _money),
    "site": (COL["site_id"], _REF),
    "location": (COL["location_id"], _REF),
    "model": (COL["model_id"], _REF),
    "supplier": (COL["supplier_id"], _REF),
    "purchase_date": (COL["purchase_date"], _date),
    "in_service_date": (COL["in_service_date"], _date),
    "disposal_date": (COL["disposal_date"], _date),
    "last_audit_date": (COL["last_audit_date"], _date),
    "disposal_method": (COL["disposal_method"], _text),
    "disposal_proceeds": (COL["disposal_proceeds"], _money),
    "funding_type": (COL["funding_type"], _text),
    "funding_name": (COL["funding_name"], _text),
    "erate_frn": (COL["erate_frn"], _text),
    "erate_funding_year": (COL["erate_funding_year"], _int),
    "tag": (COL["tag"], _text),
    "serial": (COL["serial"], _text),
    "name": (COL["name"], _text),
}


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in local time, as the naive UTC stored timestamps use."""
    local_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return local_midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)


def start_of_day_utc(day: dt.date) -> dt.datetime:
    return end_of_day_utc(day - dt.timedelta(days=1))


def changes_after(cutoff: dt.datetime) -> dict[int, list[tuple]]:
    """Asset id → its (action, field, old, old_id) changes after ``cutoff``, newest first."""
    H = HistoryEntry
    q = (H.select(H.entity_id, H.action, H.field, H.old, H.old_id)
         .where((H.entity == "asset") & (H.at >= cutoff))
         .order_by(H.at.desc(), H.id.desc()))
    out: dict[int, list[tuple]] = {}
    for entity_id, action, field, old, old_id in q.tuples():
        out.setdefault(entity_id, []).append((action, field, old, old_id))
    return out


def undo(row: list, changes: list[tuple]) -> list:
    """Undo ``changes`` (newest first) on one state row, in place."""
    for action, field, old, old_id in changes:
        if action == "create":
            row[-1] = True
            continue
        how = REVERTIBLE.get(field)
        if how is None:
            continue
        i, read = how
        if read is _REF:
            row[i] = old_id if old else None
        elif field == "last_audit_date" and action == "audit" and old is None:
            # An audit records only the new date; the one before is not known here,
            # so the day stands as "not verified" unless other evidence shows it.
            row[i] = None
        else:
            row[i] = read(old)
    return row


def _raw_date(v):
    if v is None or isinstance(v, dt.date):
        return v.date() if isinstance(v, dt.datetime) else v
    return dt.date.fromisoformat(v[:10])


def _raw_datetime(v):
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(v)


def _raw_money(v, _cent=Decimal("0.01")):
    return None if v is None else Decimal(str(v)).quantize(_cent)


_CONVERT = {"purchase_date": _raw_date, "in_service_date": _raw_date, "disposal_date": _raw_date,
            "last_audit_date": _raw_date, "created_at": _raw_datetime, "cost": _raw_money,
            "disposal_proceeds": _raw_money}


def assets_as_of(day: dt.date) -> list[list]:
    """Every asset as it stood at the end of ``day``: lists in ``FIELDS`` order.

    The rows come straight from the cursor and only the dates and amounts are
    converted here: peewee's per-cell conversion cost 20 s at 100,000 assets."""
    from app.store.db import db
    cutoff = end_of_day_utc(day)
    later = changes_after(cutoff)
    query = Asset.select(*[getattr(Asset, f) for f in FIELDS[:-1]]).order_by(Asset.id)
    convert = [(i, _CONVERT[f]) for i, f in enumerate(FIELDS[:-1]) if f in _CONVERT]
    rows = []
    cursor = db.execute_sql(*query.sql())
    while True:
        chunk = cursor.fetchmany(5000)
        if not chunk:
            break
        for t in chunk:
            row = list(t)
            for i, f in convert:
                v = row[i]
                if v is not None:
                    row[i] = f(v)
            row.append(False)
            ch = later.get(row[0])
            if ch:
                undo(row, ch)
            rows.append(row)
    return rows
