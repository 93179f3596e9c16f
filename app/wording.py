"""How values read to people, the same in every list, report, dialog and the
CLI: counts with the right plural ("1 asset", "3 assets"), statuses by their
label ("Deployed", not "deployed"), field names by their label ("Warranty
end", not warranty_end), history entries' actions and values, and the file
names save dialogs suggest."""
from __future__ import annotations

import datetime as dt
import re

from app.models.common import (ASSET_STATUSES, REPAIR_STATUSES, STOCKTAKE_VERDICTS,
                               WORK_ORDER_STATUSES)
from app.services.fields import LABELS as FIELD_LABELS

# Stocktake sessions and loans have statuses that are not in a vocabulary table.
_OTHER_STATUSES = {"open": "Open", "closed": "Closed", "applied": "Applied",
                   "cancelled": "Cancelled", "overdue": "Overdue", "returned": "Returned"}

ACTION_LABELS = {
    "create": "Created", "update": "Changed", "delete": "Deleted", "check_out": "Checked out",
    "check_in": "Checked in", "retire": "Retired", "dispose": "Disposed",
    "repair_open": "Repair opened", "repair_close": "Repair closed", "found": "Found",
    "undo": "Edit undone", "audit": "Audited", "stocktake": "Stocktake",
    "license_assign": "License assigned", "license_release": "License released",
    "assign": "Seat assigned", "release": "Seat released", "move": "Seat moved",
    "reveal_key": "Product key shown", "reserve": "Tags reserved", "void": "Tag voided",
    "start": "Started", "close": "Closed", "reopen": "Reopened", "apply": "Applied",
    "import": "Imported", "note": "Note", "work_order": "Work order",
    "export_keys": "Product keys exported", "restore": "Restored from a backup",
    "reset": "Reset",
    "loaner_swap": "Loaner swap", "loaner_return": "Loaner swap ended",
}

# Field names the editors show differently from the stored column.
_MORE_FIELD_LABELS = {"location": "Room", "location_id": "Room", "site_id": "Site",
                      "model_id": "Model", "supplier_id": "Supplier", "person": "Assigned to",
                      "person_id": "Assigned to", "category_id": "Category",
                      "funding_type": "Funding", "notes": "Notes", "custom": "Custom fields",
                      "status": "Status", "condition": "Condition", "loaner": "Loaner"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 asset', '3 assets', '1,200 boxes' (``many`` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def count(n: int, kind: str) -> str:
    """``n`` of a kind of record named by its plural, as the lists and exports
    name them: count(1, "assets") → '1 asset', count(3, "people") → '3 people'."""
    kind = {"workorders": "work orders"}.get(kind, kind)  # the list kind's key
    one = {"people": "person", "supplies": "supply", "boxes": "box"}.get(
        kind, kind[:-1] if kind.endswith("s") else kind)
    return plural(n, one, kind)


def status_label(status: str | None, kind: str = "asset") -> str:
    """A stored status as people read it: 'deployed' → 'Deployed', 'in_repair'
    → 'In repair'. ``kind``: asset, repair, work_order or stocktake (verdicts); anything
    unknown is given a capital and spaces, never shown raw."""
    if not status:
        return ""
    table = {"repair": REPAIR_STATUSES, "stocktake": STOCKTAKE_VERDICTS,
             "work_order": WORK_ORDER_STATUSES}.get(kind, ASSET_STATUSES)
    label = table.get(status) or ASSET_STATUSES.get(status) or _OTHER_STATUSES.get(status)
    if label:
        return label
    if status in table.values() or status in ASSET_STATUSES.values():
        return status  # already a label
    return status.replace("_", " ").capitalize()


def field_label(field: str | None) -> str:
    """'warranty_end' → 'Warranty end', the way the editors name fields."""
    if not field:
        return ""
    return (FIELD_LABELS.get(field) or _MORE_FIELD_LABELS.get(field)
            or field.replace("_", " ").capitalize())


def action_label(action: str | None) -> str:
    return ACTION_LABELS.get(action or "") or (action or "").replace("_", " ").capitalize()


def history_value(field: str | None, value: object) -> str:
    """A history entry's old or new value as the editor would show it."""
    if value is None or value == "":
        return ""
    if field == "status":
        return status_label(str(value))
    return str(value)


def timestamp(at: object, utc: bool = True) -> str:
    """A whole timestamp to the second in local time, 'YYYY-MM-DD HH:MM:SS'.
    ``at``: a stored instant (naive UTC, as text or a datetime); ``utc=False``
    when it is already local."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        try:
            parsed = dt.datetime.fromisoformat(at.strip()[:19])
        except ValueError:
            return at
        at = parsed
    if isinstance(at, dt.datetime):
        if utc and at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC).astimezone()
        return at.strftime("%Y-%m-%d %H:%M:%S")
    return str(at)


def file_name(*parts: object, ext: str, day: dt.date | None = None) -> str:
    """A file name a save dialog suggests: the parts in lower case joined by
    hyphens, then the date — ``file_name("loan agreement", "S2000324",
    ext="pdf")`` → 'loan-agreement-S2000324-2026-12-06.pdf'. Characters a
    file system refuses are dropped; identifiers keep their case."""
    words = []
    for i, part in enumerate(p for p in parts if p not in (None, "")):
        text = str(part).strip()
        text = text.lower() if i == 0 else text
        text = re.sub(r"[\\/:*?\"<>|\s]+", "-", text).strip("-.")
        if text:
            words.append(text)
    words.append((day or dt.date.today()).isoformat())
    return "-".join(words) + "." + ext.lstrip(".")
