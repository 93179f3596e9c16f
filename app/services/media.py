"""Backup media (LTO cartridges): add, write, move by scanning, destroy, and
the rotation due list. One transaction per call, history on each cartridge
(entity ``media``)."""
from __future__ import annotations

import datetime as dt
import re
from typing import TypedDict

from app.models import BackupMedia
from app.models.common import MEDIA_LOCATIONS, MEDIA_RETENTION_DAYS, MEDIA_ROTATIONS, utcnow
from app.services import history
from app.services.base import writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_date, parse_int
from app.store.db import rows as query_rows

ENTITY = "media"
# Six characters of volser, then the media id: L1…L9 and LA… (generations),
# LT…LZ (WORM), M8 (LTO-7 type M).
BARCODE_RE = re.compile(r"^[A-Z0-9]{6}(L[1-9A-Z]|M8)$")


def check_barcode(text: str) -> str:
    code = (text or "").strip().upper()
    if not BARCODE_RE.match(code):
        raise ValidationError(f"{(text or '').strip()!r} is not an LTO barcode (six letters or "
                              "digits, then the media id, e.g. A00123L8).", field="barcode")
    return code


def _choice(value: str | None, field: str, vocabulary: dict[str, str]) -> str:
    key = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {"safe": "onsite_safe", "onsite": "onsite_safe", "vault": "offsite_vault",
               "offsite": "offsite_vault"}
    key = aliases.get(key, key)
    if key not in vocabulary:
        raise ValidationError(f"Unknown {field} {str(value).strip()!r}: use one of "
                              f"{', '.join(vocabulary)}.", field=field)
    return key


def get(barcode: str) -> BackupMedia:
    code = check_barcode(barcode)
    media = BackupMedia.get_or_none(BackupMedia.barcode == code)
    if media is None:
        raise NotFound(f"No cartridge {code} in the register.")
    return media


class MediaRow(TypedDict):
    """A cartridge as the register lists it (rotation and location by their labels)."""

    barcode: str
    media_set: str
    rotation: str
    location: str
    written_on: dt.date | None
    retain_until: dt.date | None
    times_used: int
    destroyed_on: dt.date | None
    destruction: str


class MediaDue(TypedDict):
    """One cartridge to carry to or from the vault, and by when."""

    barcode: str
    action: str
    date: dt.date
    media_set: str
    rotation: str
    location: str


def rows() -> list[MediaRow]:
    out: list[MediaRow] = []
    for m in BackupMedia.select().order_by(BackupMedia.barcode):
        out.append({"barcode": m.barcode, "media_set": m.media_set or "",
                    "rotation": MEDIA_ROTATIONS.get(m.rotation, m.rotation),
                    "location": MEDIA_LOCATIONS.get(m.location, m.location),
                    "written_on": m.written_on, "retain_until": m.retain_until,
                    "times_used": m.times_used, "destroyed_on": m.destroyed_on,
                    "destruction": m.destruction or ""})
    return out


@writes
def add(barcodes: list[str], media_set: str | None = None, rotation: str = "daily",
        location: str = "onsite_safe", by: str | None = None) -> list[BackupMedia]:
    """New cartridges (as labelled); all or none."""
    codes = [check_barcode(b) for b in barcodes]
    if not codes:
        raise ValidationError("Give at least one barcode.", field="barcode")
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValidationError(f"{', '.join(dupes)} given twice.", field="barcode")
    known = [b for (b,) in query_rows(BackupMedia.select(BackupMedia.barcode)
                                      .where(BackupMedia.barcode.in_(codes)))]
    if known:
        raise Conflict(f"Already in the register: {', '.join(sorted(known))}.")
    rotation = _choice(rotation, "rotation", MEDIA_ROTATIONS)
    location = _choice(location, "location", MEDIA_LOCATIONS)
    media_set = clean_text(media_set, "media_set", 100)
    made: list[BackupMedia] = []
    for code in codes:
        m = BackupMedia.create(barcode=code, media_set=media_set, rotation=rotation,
                               location=location)
        history.record(ENTITY, m.id, "create", new=code, by=by)
        made.append(m)
    return made


@writes
def record_write(barcode: str, written_on: dt.date | str | None = None,
                 retain_days: int | str | None = None, by: str | None = None) -> BackupMedia:
    """A backup was written to the cartridge: it is in the drive, used once
    more, and kept for its rotation's retention (or ``retain_days``). A
    cartridge still holding a backup under retention is refused."""
    m = get(barcode)
    if m.destroyed_on:
        raise Conflict(f"{m.barcode} was destroyed on {m.destroyed_on.isoformat()}.")
    on = parse_date(written_on, "written_on") or dt.date.today()
    if m.retain_until and m.retain_until >= on:
        raise Conflict(f"{m.barcode} holds a backup kept until {m.retain_until.isoformat()}; "
                       "use a cartridge whose retention has ended.")
    days = MEDIA_RETENTION_DAYS[m.rotation]
    if retain_days not in (None, ""):  # given: a number of days, or a readable refusal
        days = parse_int(retain_days, "retain_days", minimum=1, maximum=36_500) or days
    changes = {"written_on": (m.written_on, on),
               "retain_until": (m.retain_until, on + dt.timedelta(days=days)),
               "times_used": (m.times_used, m.times_used + 1),
               "location": (MEDIA_LOCATIONS.get(m.location), MEDIA_LOCATIONS["drive"])}
    m.written_on, m.retain_until = on, on + dt.timedelta(days=days)
    m.times_used += 1
    m.location = "drive"
    m.updated_at = utcnow()
    m.save()
    history.record_changes(ENTITY, m.id, changes, by=by, action="write")
    return m


@writes
def move(barcodes: list[str], location: str, by: str | None = None) -> list[BackupMedia]:
    """Cartridges scanned into a place (the drive, the safe, the vault box)."""
    where = _choice(location, "location", MEDIA_LOCATIONS)
    moved: list[BackupMedia] = []
    for code in barcodes:
        m = get(code)
        if m.destroyed_on:
            raise Conflict(f"{m.barcode} was destroyed on {m.destroyed_on.isoformat()}.")
        if m.location != where:
            history.record(ENTITY, m.id, "move", field="location",
                           old=MEDIA_LOCATIONS.get(m.location), new=MEDIA_LOCATIONS[where], by=by)
            m.location = where
            m.updated_at = utcnow()
            m.save()
        moved.append(m)
    return moved


@writes
def destroy(barcode: str, method: str, on: dt.date | str | None = None,
            by: str | None = None) -> BackupMedia:
    m = get(barcode)
    if m.destroyed_on:
        raise Conflict(f"{m.barcode} was already destroyed on {m.destroyed_on.isoformat()}.")
    when = parse_date(on, "destroyed_on") or dt.date.today()
    if m.retain_until and m.retain_until >= when:
        raise Conflict(f"{m.barcode} holds a backup kept until {m.retain_until.isoformat()}: "
                       "it cannot be destroyed before then.")
    m.destruction = clean_text(method, "destruction", 200, required=True)
    m.destroyed_on = when
    m.updated_at = utcnow()
    m.save()
    history.record(ENTITY, m.id, "destroy", new=when, note=m.destruction, by=by)
    return m


def due(today: dt.date | None = None, days: int = 7) -> list[MediaDue]:
    """What to carry where in the next ``days``: weekly and monthly backups
    still on site go to the vault; cartridges in the vault whose retention
    ends by then come back to be reused. Soonest first."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=days)
    out: list[MediaDue] = []
    live = BackupMedia.destroyed_on.is_null()
    back = BackupMedia.select().where(live & (BackupMedia.location == "offsite_vault")
                                      & BackupMedia.retain_until.is_null(False)
                                      & (BackupMedia.retain_until <= horizon))
    for m in back:
        if m.retain_until is None:  # the query asks for a date; this narrows the type
            continue
        when = max(m.retain_until + dt.timedelta(days=1), today)
        out.append({"barcode": m.barcode, "action": "Bring back from the vault", "date": when,
                    "media_set": m.media_set or "",
                    "rotation": MEDIA_ROTATIONS.get(m.rotation, m.rotation),
                    "location": MEDIA_LOCATIONS[m.location]})
    send = BackupMedia.select().where(live & (BackupMedia.location != "offsite_vault")
                                      & BackupMedia.rotation.in_(["weekly", "monthly"])
                                      & BackupMedia.retain_until.is_null(False)
                                      & (BackupMedia.retain_until > today))
    for m in send:
        out.append({"barcode": m.barcode, "action": "Send to the vault",
                    "date": max(m.written_on or today, today), "media_set": m.media_set or "",
                    "rotation": MEDIA_ROTATIONS.get(m.rotation, m.rotation),
                    "location": MEDIA_LOCATIONS.get(m.location, m.location)})
    out.sort(key=lambda r: (r["date"], r["action"], r["barcode"]))
    return out
