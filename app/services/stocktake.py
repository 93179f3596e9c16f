"""The physical inventory: walk a site's rooms, scan everything, reconcile.

A session snapshots, at its start, which assets each room in scope should
hold. Scanning a room label sets the current room of that workstation (stored
as a scan, so a restart or another process carries on in the same room); each
asset scan gets its verdict at once and is stored in its own short
transaction, so several workstations can scan one session on a shared
database. Closing lists what is missing; nothing in the register changes until
``apply`` runs the chosen actions.

``record_scan`` is the hot path: a handful of indexed queries on the raw
connection, no model instances (bench/scan.py measures it at 100,000 assets).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import TypedDict

import peewee as pw

from app import scanning
from app.models import (Asset, Location, Loan, Person, Site, StocktakeExpected, StocktakeScan,
                        StocktakeSession)
from app.models.common import INACTIVE_STATUSES, STOCKTAKE_VERDICTS, utcnow
from app.services import assets as assetsvc, catalog, history, tags as tagsvc, textfile, validation
from app.services.base import fetch, locked, transaction, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.store.db import Row, db, rows as query_rows, sql
from app.wording import status_label

# What each verdict sounds and looks like: ok / attention / error.
LEVELS = {
    "verified": "ok", "room": "ok",
    "misplaced": "attention", "other_site": "attention", "duplicate": "attention",
    "unknown": "error", "inactive": "error", "not_asset": "error",
}
# A room label of another site, kept in the scan list (the session never loses
# a scan) but changing nothing: not the room, not a count, not the reconciliation.
OTHER_SITE_ROOM = "other_site_room"
OTHER_SITE_ROOM_LABEL = "Room at another site"
# Verdicts that mean "this asset was physically seen here".
FOUND = ("verified", "misplaced", "other_site", "inactive")
ACTIONS = {
    "move-misplaced": "Move misplaced assets to the room where they were scanned",
    "move-other-site": "Move assets from other sites to the room where they were scanned",
    "mark-missing": "Mark missing assets missing",
    "create-unknown": "Create assets for unknown tags",
}


@dataclass(frozen=True)
class Verdict:
    """What one scan means, ready to show in big letters."""

    verdict: str  # verified misplaced other_site unknown inactive duplicate room not_asset
    message: str
    code: str
    asset_id: int | None = None
    tag: str | None = None
    name: str | None = None
    expected: str | None = None  # where the asset belongs ("Site / Room")
    room_id: int | None = None  # the current room of this workstation
    room: str | None = None
    room_verified: int = 0  # verified of expected, in the current room
    room_expected: int = 0
    scan_id: int | None = None
    heading: str | None = None  # a more precise label than the verdict's

    @property
    def level(self) -> str:
        return LEVELS.get(self.verdict, "error")

    @property
    def label(self) -> str:
        return self.heading or STOCKTAKE_VERDICTS.get(self.verdict, "Not an asset")


def verdict_label(verdict: str) -> str:
    """What a stored scan's verdict is called in the scan list."""
    if verdict == OTHER_SITE_ROOM:
        return OTHER_SITE_ROOM_LABEL
    return STOCKTAKE_VERDICTS.get(verdict, verdict)


def workstation_name() -> str:
    try:
        return socket.gethostname() or "workstation"
    except OSError:
        return "workstation"


def _sql(text: str) -> str:
    return sql(text)


def _one(text: str, params: Sequence[object] = ()) -> Row | None:
    row: Row | None = db.execute_sql(_sql(text), params).fetchone()
    return row


def _all(text: str, params: Sequence[object] = ()) -> list[Row]:
    found: list[Row] = db.execute_sql(_sql(text), params).fetchall()
    return found


def _count(text: str, params: Sequence[object] = ()) -> int:
    """A SELECT COUNT(*)'s answer."""
    row = _one(text, params)
    return int(row[0]) if row else 0


# A progress callback: (done, total); returning False stops the work.
Progress = Callable[[int, int], object]


def to_utc(at: dt.datetime | str | None) -> dt.datetime:
    """A naive UTC timestamp from a datetime (naive means UTC already) or ISO text
    (naive text means the local time of this computer, as scanners record it)."""
    if at is None:
        return utcnow()
    if isinstance(at, str):
        text = at.strip()
        if text.replace(".", "", 1).isdigit() and len(text) >= 9:
            return dt.datetime.fromtimestamp(float(text), dt.UTC).replace(tzinfo=None)
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{text!r} is not a date and time (use 2025-06-12 10:31:05).",
                                  field="at") from None
        if parsed.tzinfo is None:
            parsed = parsed.astimezone()  # local time
        return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    if at.tzinfo is not None:
        return at.astimezone(dt.UTC).replace(tzinfo=None)
    return at


def local_date(at: dt.datetime) -> dt.date:
    return at.replace(tzinfo=dt.UTC).astimezone().date()


# --- location names (rooms are few and rarely renamed: cached per process) --------

_place_cache: dict[int, tuple[str, str, int]] = {}


def _place(location_id: int | None) -> tuple[str, str, int] | None:
    """(site name, room name, site id) of a room."""
    if not location_id:
        return None
    hit = _place_cache.get(location_id)
    if hit is None:
        row = _one("SELECT s.name, l.name, s.id FROM location l JOIN site s ON s.id = l.site_id "
                   "WHERE l.id = ?", (location_id,))
        if row is None:
            return None
        hit = _place_cache[location_id] = (row[0], row[1], row[2])
    return hit


def place_text(location_id: int | None, site_id: int | None = None) -> str:
    p = _place(location_id)
    if p:
        return f"{p[0]} / {p[1]}"
    if site_id:
        row = _one("SELECT name FROM site WHERE id = ?", (site_id,))
        return f"{row[0]} (no room)" if row else ""
    return ""


# --- sessions --------------------------------------------------------------------

def parse_scope(scope: str) -> tuple[Site, list[Location]]:
    """``"SITE"`` or ``"SITE/ROOM[,ROOM…]"``: site by name or code, rooms by name
    or label code."""
    text = (scope or "").strip()
    if not text:
        raise ValidationError("Name the site (and rooms) to count: \"Site\" or \"Site/Room\".",
                              field="scope")
    site_text, _, rooms_text = (p.strip() for p in text.partition("/"))
    site = catalog.find_site(site_text)
    if site is None:
        raise NotFound(f"No site is called {site_text!r}.")
    rooms: list[Location] = []
    for name in filter(None, (r.strip() for r in rooms_text.split(","))):
        loc = Location.get_or_none((Location.site == site)
                                   & ((pw.fn.LOWER(Location.name) == name.lower())
                                      | (pw.fn.UPPER(Location.barcode) == name.upper())))
        if loc is None:
            raise NotFound(f"{site.name} has no room called {name!r}.")
        rooms.append(loc)
    return site, rooms


@writes
def start(scope: str | None = None, name: str | None = None, site_id: int | None = None,
          location_ids: list[int] | None = None, by: str | None = None) -> StocktakeSession:
    """Open a session for a site (or some of its rooms) and snapshot what each
    room should hold: every asset located there that is not retired or disposed."""
    if scope:
        site, rooms = parse_scope(scope)
    else:
        chosen = Site.get_or_none(Site.id == site_id) if site_id else None
        if chosen is None:
            raise ValidationError("Choose the site to count.", field="site")
        site = chosen
        rooms = list(Location.select().where(Location.id.in_(location_ids or [])))
        if len(rooms) != len(set(location_ids or [])):
            raise NotFound("One of the chosen rooms no longer exists.")
        if any(r.site_id != site.id for r in rooms):
            raise ValidationError("Every room must be at the chosen site.", field="rooms")
    room_ids = sorted(r.id for r in rooms) or None
    if not name:
        where = site.name + (" / " + ", ".join(r.name for r in rooms) if rooms else "")
        name = f"{where} — {dt.date.today().isoformat()}"
    session = StocktakeSession.create(name=name.strip()[:255], site=site, rooms=room_ids,
                                      status="open", created_by=who(by))
    # as_rowcount: no RETURNING id (peewee's default on PostgreSQL), which
    # would send every new row's id back to a caller that reads none of them.
    StocktakeExpected.insert_from(expected_source(session.id, site.id, room_ids),
                                  fields=[StocktakeExpected.session_id, StocktakeExpected.asset_id,
                                          StocktakeExpected.location_id]).as_rowcount().execute()
    history.record("stocktake", session.id, "start", new=name, by=by)
    _place_cache.clear()
    return session


def expected_source(session_id: int, site_id: int,
                    room_ids: list[int] | None) -> pw.ModelSelect[Asset]:
    """(session, asset, room) of every active asset of the site (or of those
    rooms): what ``start`` copies into the expected list, in one INSERT …
    SELECT, from the site's index in asset id order, so the new rows go into
    the (session, asset) key in order."""
    source = Asset.select(pw.Value(session_id), Asset.id, Asset.location).where(
        (Asset.site == site_id) & Asset.status.not_in(INACTIVE_STATUSES))
    if room_ids:
        source = source.where(Asset.location.in_(room_ids))
    return source


def _locked(session_id: int) -> StocktakeSession:
    """The session, its row locked on PostgreSQL until the transaction ends
    (closing, reopening and applying read its status, then change it)."""
    s = locked(StocktakeSession.select().where(StocktakeSession.id == session_id)).get_or_none()
    if s is None:
        raise NotFound(f"No stocktake session {session_id}.")
    return s


def get(session_id: int) -> StocktakeSession:
    return fetch(StocktakeSession, session_id, "No stocktake session {id}.")


class SessionRow(TypedDict):
    """A stocktake as the sessions list shows it."""

    id: int
    name: str
    site: str | None
    status: str
    created_at: dt.datetime
    created_by: str | None
    rooms: list[int]


class ScanRow(TypedDict):
    """One stored scan, as the scan list shows it (newest first)."""

    id: int
    code: str
    verdict: str
    room: str
    at: dt.datetime
    station: str | None
    tag: str | None
    name: str | None
    asset_id: int | None
    label: str


class Totals(TypedDict):
    """The session's totals line: expected, found, and scans by verdict."""

    expected: int
    found: int
    counts: dict[str, int]


class RoomProgress(TypedDict):
    id: int | None
    name: str
    site: str | None
    expected: int
    verified: int
    scanned: int


class SessionStatus(TypedDict):
    """A session's counts by verdict and its progress per room."""

    id: int
    name: str
    status: str
    site_id: int | None
    site: str | None
    rooms_in_scope: list[int]
    created_at: dt.datetime
    created_by: str | None
    closed_at: dt.datetime | None
    applied_at: dt.datetime | None
    expected: int
    found: int
    not_yet_found: int
    verified: int
    counts: dict[str, int]
    rooms: list[RoomProgress]


def list_sessions(include_closed: bool = True) -> list[SessionRow]:
    q = (StocktakeSession.select(StocktakeSession.id, StocktakeSession.name, Site.name,
                                 StocktakeSession.status, StocktakeSession.created_at,
                                 StocktakeSession.created_by, StocktakeSession.rooms)
         .join(Site, pw.JOIN.LEFT_OUTER).order_by(StocktakeSession.id.desc()))
    if not include_closed:
        q = q.where(StocktakeSession.status == "open")
    return [{"id": sid, "name": name, "site": site, "status": state, "created_at": at,
             "created_by": by, "rooms": rooms or []}
            for sid, name, site, state, at, by, rooms in query_rows(q)]


# --- scanning ----------------------------------------------------------------------

def current_room(session_id: int, workstation: str | None = None) -> int | None:
    """The room this workstation last scanned the label of; a one-room session
    starts in its room."""
    station = workstation or workstation_name()
    row = _one("SELECT location_id FROM stocktake_scan WHERE session_id = ? AND asset_id IS NULL "
               "AND verdict = 'room' AND station = ? ORDER BY id DESC LIMIT 1",
               (session_id, station))
    if row:
        room: int | None = row[0]
        return room
    rooms = _one("SELECT rooms FROM stocktake_session WHERE id = ?", (session_id,))
    if rooms and rooms[0]:
        ids: list[int] = json.loads(rooms[0])
        if len(ids) == 1:
            return ids[0]
    return None


def _room_progress(session_id: int, room_id: int | None) -> tuple[int, int]:
    if not room_id:
        return 0, 0
    expected = _count("SELECT COUNT(*) FROM stocktake_expected WHERE session_id = ? "
                      "AND location_id = ?", (session_id, room_id))
    verified = _count("SELECT COUNT(*) FROM stocktake_expected e WHERE e.session_id = ? AND "
                      "e.location_id = ? AND EXISTS (SELECT 1 FROM stocktake_scan s WHERE "
                      "s.session_id = e.session_id AND s.asset_id = e.asset_id AND "
                      "s.verdict = 'verified')", (session_id, room_id))
    return verified, expected


def _open_session(session_id: int) -> tuple[int, list[int] | None]:
    """The session's site and rooms, refusing a closed one. On PostgreSQL the
    session row stays locked until the scan's transaction ends: scans of one
    stocktake from several workstations take turns (a few milliseconds each),
    so two stations scanning the same asset cannot both count it, and no scan
    lands after a close."""
    lock = " FOR UPDATE" if isinstance(db.obj, pw.PostgresqlDatabase) else ""
    row = _one("SELECT status, site_id, rooms FROM stocktake_session WHERE id = ?" + lock,
               (session_id,))
    if row is None:
        raise NotFound(f"No stocktake session {session_id}.")
    if row[0] != "open":
        raise Conflict(f"Stocktake {session_id} is {row[0]}; scans are no longer taken. "
                       "Reopen it to scan more.")
    return row[1], (json.loads(row[2]) if row[2] else None)


def _room_scan(session_id: int, code: str, location_id: int, station: str, at: dt.datetime,
               by: str | None) -> Verdict:
    site_id, rooms = _open_session(session_id)
    place = _place(location_id)
    if place is None:
        raise NotFound(f"No room with id {location_id}.")
    site_name, room_name, room_site = place
    if room_site != site_id:
        # Kept in the scan list (stored against the room this workstation is in),
        # yet still "not an asset" to the caller: nothing is counted, and a
        # scanner file lists the line among its problems.
        here = current_room(session_id, station)
        here_place = _place(here)
        scan_id = StocktakeScan.insert(session=session_id, code=code, location=here,
                                       verdict=OTHER_SITE_ROOM, scanned_at=at, by=who(by),
                                       station=station).execute()
        verified, expected = _room_progress(session_id, here)
        return Verdict("not_asset", f"{code} is {site_name} / {room_name} — not in this "
                       "stocktake's site (another site); the room was not changed.", code,
                       name=f"{site_name} / {room_name}", room_id=here,
                       room=here_place[1] if here_place else None, room_verified=verified,
                       room_expected=expected, scan_id=scan_id, heading=OTHER_SITE_ROOM_LABEL)
    scan_id = StocktakeScan.insert(session=session_id, code=code, location=location_id,
                                   verdict="room", scanned_at=at, by=who(by),
                                   station=station).execute()
    verified, expected = _room_progress(session_id, location_id)
    message = f"Now in {room_name}"
    if rooms and location_id not in rooms:
        message += " (not one of this stocktake's rooms)"
    return Verdict("room", message, code, room_id=location_id, room=room_name,
                   room_verified=verified, room_expected=expected, scan_id=scan_id)


def record_scan(session_id: int, code: str, at: dt.datetime | str | None = None, workstation: str | None = None,
                by: str | None = None) -> Verdict:
    """Record one scan and say at once what it means. A room label sets the room;
    an unknown tag is kept (the session never loses a scan)."""
    code = scanning.clean_scan(code)
    if not code:
        raise ValidationError("Nothing was scanned.", field="code")
    station = workstation or workstation_name()
    when = to_utc(at)
    with transaction():
        site_id, rooms = _open_session(session_id)
        key = tagsvc.normalize_tag(code)
        row = _one("SELECT id, tag, name, status, site_id, location_id FROM asset WHERE tag_key = ?",
                   (key,))
        if row is None:
            res = scanning.resolve(code)
            if res.kind == "location" and res.id is not None:
                return _room_scan(session_id, code, res.id, station, when, by)
            if res.kind == "asset":
                row = _one("SELECT id, tag, name, status, site_id, location_id FROM asset "
                           "WHERE id = ?", (res.id,))
            elif res.kind in ("supply", "person"):
                what = "a supply item's barcode" if res.kind == "supply" else "a person's ID"
                return Verdict("not_asset", f"{code} is {what}, not an asset; not recorded.", code)
        room_id = current_room(session_id, station)
        room = _place(room_id)
        room_name = room[1] if room else None
        if row is None:
            return _unknown(session_id, code, key, room_id, room_name, station, when, by)
        asset_id, tag, name, status, asset_site, asset_loc = row
        first = _one("SELECT location_id, scanned_at, station FROM stocktake_scan WHERE "
                     "session_id = ? AND asset_id = ? AND verdict <> 'duplicate' "
                     "ORDER BY id LIMIT 1", (session_id, asset_id))
        expected_row = _one("SELECT location_id FROM stocktake_expected WHERE session_id = ? "
                            "AND asset_id = ?", (session_id, asset_id))
        expected_loc = expected_row[0] if expected_row else asset_loc
        expected_text = place_text(expected_loc, asset_site if not expected_row else site_id)
        if first:
            where = place_text(first[0]) or "this site"
            verdict, message = "duplicate", f"{tag} was already scanned ({where})"
        elif status in INACTIVE_STATUSES:
            verdict = "inactive"
            message = f"{tag} is {status_label(status)} in the register — found here"
        elif expected_row is None and asset_site != site_id:
            if asset_site:
                verdict, message = "other_site", f"{tag} belongs to {expected_text}"
            else:
                verdict, message = "misplaced", f"{tag} has no site or room in the register"
        elif room_id is None:
            verdict = "verified"
            message = f"{tag} verified at the site — scan a room label to check rooms"
        elif expected_loc in (None, room_id):
            verdict, message = "verified", f"{tag} verified"
        else:
            verdict, message = "misplaced", f"{tag} belongs in {expected_text}"
        scan_id = StocktakeScan.insert(session=session_id, code=code, asset=asset_id,
                                       location=room_id, verdict=verdict, scanned_at=when,
                                       by=who(by), station=station).execute()
        verified, expected = _room_progress(session_id, room_id)
    return Verdict(verdict, message, code, asset_id=asset_id, tag=tag, name=name,
                   expected=expected_text or None, room_id=room_id, room=room_name,
                   room_verified=verified, room_expected=expected, scan_id=scan_id)


def _unknown(session_id: int, code: str, key: str, room_id: int | None, room_name: str | None,
             station: str, at: dt.datetime, by: str | None) -> Verdict:
    seen = _one("SELECT id FROM stocktake_scan WHERE session_id = ? AND asset_id IS NULL "
                "AND verdict = 'unknown' AND UPPER(code) = ? LIMIT 1", (session_id, key))
    verdict = "duplicate" if seen else "unknown"
    message = (f"{code} (unknown) was already scanned" if seen else
               f"Unknown tag {code} — kept; create it when closing")
    scan_id = StocktakeScan.insert(session=session_id, code=code, location=room_id,
                                   verdict=verdict, scanned_at=at, by=who(by),
                                   station=station).execute()
    verified, expected = _room_progress(session_id, room_id)
    return Verdict(verdict, message, code, room_id=room_id, room=room_name,
                   room_verified=verified, room_expected=expected, scan_id=scan_id)


@dataclass
class FileResult:
    counts: Counter[str] = dc_field(default_factory=Counter)
    problems: list[tuple[int, str]] = dc_field(default_factory=list)  # (line number, reason)
    verdicts: list[Verdict] = dc_field(default_factory=list)


def parse_scan_lines(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, code, timestamp text or None) for each non-empty line of a
    scanner's memory file: ``CODE`` or ``CODE,TIMESTAMP`` (comma, semicolon or tab)."""
    out: list[tuple[int, str, str | None]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if not out and _is_header_line(line):
            continue  # "Barcode,Timestamp": the file's header, not a scan
        for sep in (",", ";", "\t"):
            if sep in line:
                code, _, stamp = (p.strip().strip('"') for p in line.partition(sep))
                out.append((number, code, stamp or None))
                break
        else:
            out.append((number, line.strip('"'), None))
    return out


_HEADER_WORDS = {"code", "codes", "barcode", "barcodes", "scan", "scans", "data", "tag", "tags",
                 "assettag", "serial", "serialnumber", "value", "timestamp", "time", "date",
                 "datetime", "scannedat", "scantime", "location", "room"}


def _is_header_line(line: str) -> bool:
    """A scanner export's first line naming its columns (Barcode, Timestamp…)."""
    cells = [re.sub(r"[^a-z0-9]", "", c.lower()) for c in re.split(r"[,;\t]", line)]
    return bool(cells) and all(c in _HEADER_WORDS for c in cells if c) and any(cells)


def load_file(session_id: int, path: str | Path | None = None, text: str | None = None,
              workstation: str | None = None, by: str | None = None,
              progress: Progress | None = None) -> FileResult:
    """Record the scans a scanner kept in memory. Room-label lines set the room
    for the codes after them; each line is its own scan, so a bad line is
    reported and the rest still count. ``progress(done, total)`` if given."""
    if text is None:
        if path is None:
            raise ValidationError("Give the scanner's file.")
        text = textfile.read_text(path, "scanner")
    lines = parse_scan_lines(text)
    station = f"{workstation or workstation_name()} (file)"
    get(session_id)
    result = FileResult()
    for i, (number, code, stamp) in enumerate(lines):
        if progress and progress(i, len(lines)) is False:
            break
        hidden = validation.invisible_characters(code)
        if hidden or any(ord(ch) < 32 for ch in code):
            what = ", ".join(hidden[:3] or ["control codes"])
            reason = f"the code holds invisible or control characters ({what}); not counted"
            result.problems.append((number, reason))
            continue
        try:
            v = record_scan(session_id, code, at=stamp, workstation=station, by=by)
        except ValidationError as err:
            result.problems.append((number, str(err)))
            continue
        result.counts[v.verdict] += 1
        result.verdicts.append(v)
        if v.verdict == "not_asset":
            result.problems.append((number, v.message))
    return result


# How peewee reads a stored scan time (text on SQLite) back as a datetime.
_scanned_at: Callable[[object], dt.datetime] = StocktakeScan.scanned_at.python_value


def recent_scans(session_id: int, limit: int = 200) -> list[ScanRow]:
    rows = _all("SELECT s.id, s.code, s.verdict, s.location_id, s.scanned_at, s.station, "
                "a.tag, a.name, s.asset_id FROM stocktake_scan s LEFT JOIN asset a "
                "ON a.id = s.asset_id WHERE s.session_id = ? ORDER BY s.id DESC LIMIT ?",
                (session_id, limit))
    return [{"id": r[0], "code": r[1], "verdict": r[2], "room": place_text(r[3]),
             "at": _scanned_at(r[4]), "station": r[5], "tag": r[6],
             "name": r[7] if r[2] != OTHER_SITE_ROOM else _label_place(r[1]), "asset_id": r[8],
             "label": verdict_label(r[2])}
            for r in rows]


def _label_place(code: str) -> str | None:
    """Where a room label belongs ("Site / Room"), for the scan list."""
    res = scanning.resolve(code)
    return place_text(res.id) or None if res.kind == "location" else None


# --- progress and reconciliation ---------------------------------------------------

def totals(session_id: int) -> Totals:
    """The session's totals line — expected, found, and scans by verdict —
    cheap enough to re-read after every scan."""
    counts: dict[str, int] = dict(_all("SELECT verdict, COUNT(*) FROM stocktake_scan "
                                       "WHERE session_id = ? GROUP BY verdict", (session_id,)))
    expected = _count("SELECT COUNT(*) FROM stocktake_expected WHERE session_id = ?",
                      (session_id,))
    return {"expected": expected, "found": _found(session_id),
            "counts": {k: counts.get(k, 0) for k in STOCKTAKE_VERDICTS}}


def _found(session_id: int) -> int:
    return _count("SELECT COUNT(*) FROM stocktake_expected e WHERE e.session_id = ? AND EXISTS "
                "(SELECT 1 FROM stocktake_scan s WHERE s.session_id = e.session_id AND "
                "s.asset_id = e.asset_id AND s.verdict IN ('verified', 'misplaced', "
                "'other_site', 'inactive'))", (session_id,))


def status(session_id: int) -> SessionStatus:
    """Counts by verdict and progress per room (verified of expected)."""
    s = get(session_id)
    counts: dict[str, int] = dict(_all("SELECT verdict, COUNT(*) FROM stocktake_scan WHERE session_id = ? "
                       "GROUP BY verdict", (session_id,)))
    expected: dict[int | None, int] = dict(_all("SELECT location_id, COUNT(*) FROM stocktake_expected WHERE "
                         "session_id = ? GROUP BY location_id", (session_id,)))
    verified: dict[int | None, int] = dict(_all(
        "SELECT e.location_id, COUNT(*) FROM stocktake_expected e WHERE e.session_id = ? AND "
        "EXISTS (SELECT 1 FROM stocktake_scan s WHERE s.session_id = e.session_id AND "
        "s.asset_id = e.asset_id AND s.verdict = 'verified') GROUP BY e.location_id",
        (session_id,)))
    found = _found(session_id)
    scanned_in: dict[int | None, int] = dict(_all("SELECT location_id, COUNT(*) FROM stocktake_scan WHERE session_id = ? "
                           "AND verdict NOT IN ('room', 'duplicate', ?) GROUP BY location_id",
                           (session_id, OTHER_SITE_ROOM)))
    room_ids = set(expected) | set(scanned_in) | set(s.rooms or [])
    rooms: list[RoomProgress] = []
    for rid in room_ids:
        p = _place(rid)
        rooms.append({"id": rid, "name": p[1] if p else "(no room)",
                      "site": p[0] if p else None,
                      "expected": expected.get(rid, 0), "verified": verified.get(rid, 0),
                      "scanned": scanned_in.get(rid, 0)})
    rooms.sort(key=lambda r: (r["id"] is None, r["name"].lower()))
    total = sum(expected.values())
    return {"id": s.id, "name": s.name, "status": s.status, "site_id": s.site_id,
            "site": s.site.name if s.site is not None else None,
            "rooms_in_scope": s.rooms or [], "created_at": s.created_at,
            "created_by": s.created_by, "closed_at": s.closed_at, "applied_at": s.applied_at,
            "expected": total, "found": found, "not_yet_found": total - found,
            "verified": sum(verified.values()),
            "counts": {k: counts.get(k, 0) for k in STOCKTAKE_VERDICTS}, "rooms": rooms}


# What the reconciliation calls the expected assets nobody scanned: missing,
# unless a person has it on loan (a student's Chromebook at home is accounted
# for, with its borrower; a projector lent to a room should be in that room).
UNSCANNED_LABELS = {"missing": "Missing", "on_loan": "On loan — accounted for"}


@dataclass
class Line:
    """One tag in the reconciliation."""

    verdict: str  # a scan verdict, or "missing" / "on_loan" (expected, not scanned)
    code: str
    asset_id: int | None = None
    tag: str | None = None
    name: str | None = None
    status: str | None = None  # the asset's status in the register now
    expected_id: int | None = None
    expected: str = ""
    scanned_id: int | None = None
    scanned: str = ""
    at: dt.datetime | None = None
    station: str | None = None
    by: str | None = None
    holder: str | None = None  # who has it on loan (expected assets not scanned)
    register: str = ""  # where the register has it now

    @property
    def label(self) -> str:
        return UNSCANNED_LABELS.get(self.verdict) or STOCKTAKE_VERDICTS.get(self.verdict, self.verdict)


@dataclass
class Reconciliation:
    session: SessionStatus
    lines: list[Line]
    duplicates: int = 0

    def of(self, verdict: str) -> list[Line]:
        return [ln for ln in self.lines if ln.verdict == verdict]

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(ln.verdict for ln in self.lines)
        return {k: c.get(k, 0) for k in ("verified", "misplaced", "other_site", "unknown",
                                         "inactive", "missing", "on_loan")}


def reconciliation(session_id: int) -> Reconciliation:
    """Every tag of the session: the first verdict of each scanned tag, then the
    expected assets nobody scanned — missing, or on loan to a person (accounted
    for, with the borrower)."""
    s = get(session_id)
    places = {lid: f"{sn} / {ln}" for lid, sn, ln in
              query_rows(Location.select(Location.id, Site.name, Location.name).join(Site))}
    sites: dict[int | None, str] = dict(query_rows(Site.select(Site.id, Site.name)))
    expected: dict[int, int | None] = dict(_raw(StocktakeExpected.select(StocktakeExpected.asset_id,
                                                  StocktakeExpected.location_id)
                         .where(StocktakeExpected.session_id == s.id)))
    scans = (query_rows(StocktakeScan.select(StocktakeScan.code, StocktakeScan.asset, StocktakeScan.location,
                                  StocktakeScan.verdict, StocktakeScan.scanned_at,
                                  StocktakeScan.station, StocktakeScan.by)
             .where((StocktakeScan.session == s.id)
                    & StocktakeScan.verdict.not_in(("room", OTHER_SITE_ROOM)))
             .order_by(StocktakeScan.id)))
    firsts: dict[tuple[str, object], Row] = {}
    duplicates = 0
    for code, aid, lid, verdict, at, station, by in scans:
        key = ("a", aid) if aid and verdict != "unknown" else ("c", tagsvc.normalize_tag(code))
        if verdict == "duplicate" or key in firsts:
            duplicates += 1
            continue
        firsts[key] = (code, aid, lid, verdict, at, station, by)
    # What the register says of each asset: the expected ones in one query
    # joined to the session's snapshot, the few scanned that were not expected by id.
    cols = (Asset.id, Asset.tag, Asset.name, Asset.status, Asset.site, Asset.location)
    info = {row[0]: row[1:] for row in
            _raw(Asset.select(*cols).join(StocktakeExpected,
                                          on=(StocktakeExpected.asset_id == Asset.id))
                 .where(StocktakeExpected.session_id == s.id))}
    ids = list({v[1] for v in firsts.values() if v[1] and v[1] not in info})
    for i in range(0, len(ids), 500):
        for row in query_rows(Asset.select(*cols).where(Asset.id.in_(ids[i:i + 500]))):
            info[row[0]] = row[1:]
    lines: list[Line] = []
    for code, aid, lid, verdict, at, station, by in firsts.values():
        tag, name, status_, site_id, loc_id = info.get(aid, (None, None, None, None, None))
        if aid in expected:
            exp_id, exp = expected[aid], places.get(expected[aid]) or sites.get(s.site_id, "")
        else:
            exp_id = loc_id
            exp = places.get(loc_id) or (sites.get(site_id, "") if site_id else "")
        lines.append(Line(verdict, code, aid, tag or (code if verdict != "unknown" else None),
                          name, status_, exp_id, exp, lid, places.get(lid, ""), at, station, by,
                          register=places.get(loc_id) or sites.get(site_id, "") if aid else ""))
    seen = {v[1] for v in firsts.values() if v[1]}
    missing = [aid for aid in expected if aid not in seen]
    holders = _holders(s.id) if missing else {}
    for aid in missing:
        tag, name, status_, site_id, loc_id = info.get(aid, (None, None, None, None, None))
        if tag is None:
            continue  # deleted since the snapshot
        holder, to_person = holders.get(aid, (None, False))
        lines.append(Line("on_loan" if to_person else "missing", tag, aid, tag, name, status_,
                          expected[aid], places.get(expected[aid]) or sites.get(s.site_id, ""),
                          holder=holder, register=places.get(loc_id, "")))
    order = {"missing": 0, "misplaced": 1, "other_site": 2, "unknown": 3, "inactive": 4,
             "on_loan": 5, "verified": 6}
    lines.sort(key=lambda ln: (order.get(ln.verdict, 9), ln.expected, ln.tag or ln.code))
    return Reconciliation(status(session_id), lines, duplicates)


def _raw(query: pw.BaseQuery) -> list[Row]:
    """A query's rows as the driver returns them: ids and text need no
    conversion, and peewee's per-cell conversion was most of a 170,000-asset close."""
    found: list[Row] = db.execute_sql(*query.sql()).fetchall()
    return found


def _holders(session_id: int) -> dict[int, tuple[str, bool]]:
    """Expected asset id → (who or which room has it on loan, whether that is a
    person), for the session's expected assets out on loan: one query."""
    out: dict[int, tuple[str, bool]] = {}
    q = (StocktakeExpected.select(StocktakeExpected.asset_id, Person.first_name, Person.last_name,
                                  Location.name)
         .join(Loan, on=((Loan.asset == StocktakeExpected.asset_id) & Loan.returned_at.is_null()))
         .join(Person, pw.JOIN.LEFT_OUTER, on=(Loan.person == Person.id))
         .join_from(Loan, Location, pw.JOIN.LEFT_OUTER, on=(Loan.location == Location.id))
         .where(StocktakeExpected.session_id == session_id))
    for aid, first, last, room in _raw(q):
        person = bool(first or last)
        out[aid] = (f"{first or ''} {last or ''}".strip() if person else room, person)
    return out


# --- closing and applying ----------------------------------------------------------

@writes
def close(session_id: int, by: str | None = None) -> Reconciliation:
    """Stop taking scans. The register is not touched (see ``apply``)."""
    s = _locked(session_id)
    if s.status == "open":
        StocktakeSession.update(status="closed", closed_at=utcnow()).where(
            StocktakeSession.id == s.id).execute()
        history.record("stocktake", s.id, "close", by=by)
    return reconciliation(session_id)


@writes
def reopen(session_id: int, by: str | None = None) -> StocktakeSession:
    s = _locked(session_id)
    if s.status == "applied":
        raise Conflict("This stocktake's actions were applied to the register; start a new one.")
    if s.status == "closed":
        StocktakeSession.update(status="open", closed_at=None).where(
            StocktakeSession.id == s.id).execute()
        history.record("stocktake", s.id, "reopen", by=by)
    return get(session_id)


@dataclass
class ApplyResult:
    audited: int = 0
    moved: int = 0
    marked_missing: int = 0
    created: int = 0
    problems: list[tuple[str, str]] = dc_field(default_factory=list)  # (tag, reason)

    def summary(self) -> str:
        parts = [f"{self.audited} audited", f"{self.moved} moved",
                 f"{self.marked_missing} marked missing", f"{self.created} created"]
        if self.problems:
            parts.append(f"{len(self.problems)} skipped")
        return ", ".join(parts)


def parse_actions(text: str | Iterable[str] | None) -> list[str]:
    if not text:
        return []
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item not in ACTIONS:
            raise ValidationError(f"Unknown action {item!r}; use " + ", ".join(ACTIONS) + ".",
                                  field="actions")
        out.append(item)
    return out


@writes
def apply(session_id: int, actions: str | Iterable[str] | None = (), by: str | None = None,
          progress: Progress | None = None) -> ApplyResult:
    """Change the register from a closed session, in one transaction: the
    last-audit date of every verified asset, plus the chosen ``ACTIONS``.
    Safe to run again (with more actions): what is already done is skipped."""
    chosen = parse_actions(actions)
    s = _locked(session_id)  # two workstations applying at once: the second waits, then skips
    if s.status == "open":
        raise Conflict("Close the stocktake before applying its results.")
    rec = reconciliation(session_id)
    result = ApplyResult()
    audit: dict[dt.date, list[int]] = {}
    for ln in rec.of("verified"):
        if ln.asset_id is not None and ln.at is not None:  # a scanned asset has both
            audit.setdefault(local_date(ln.at), []).append(ln.asset_id)
    moves: list[Line] = []
    if "move-misplaced" in chosen:
        moves += rec.of("misplaced")
    if "move-other-site" in chosen:
        moves += rec.of("other_site")
    for n, ln in enumerate(moves):
        if progress:
            progress(n, len(moves))
        if not ln.scanned_id or ln.asset_id is None or ln.at is None:
            result.problems.append((ln.tag or ln.code,
                                    "scanned before any room label: no room to move it to"))
            continue
        current = Asset.select(Asset.location).where(Asset.id == ln.asset_id).scalar()
        if current != ln.scanned_id:
            site_id = Location.select(Location.site).where(Location.id == ln.scanned_id).scalar()
            assetsvc.update(ln.asset_id, {"site_id": site_id, "location_id": ln.scanned_id},
                            by=by, action="stocktake")
            result.moved += 1
        audit.setdefault(local_date(ln.at), []).append(ln.asset_id)
    if "mark-missing" in chosen:
        for ln in rec.of("missing"):
            if ln.status in INACTIVE_STATUSES or ln.status == "missing" or ln.asset_id is None:
                continue
            if ln.holder:
                result.problems.append((ln.tag or ln.code,
                                        f"on loan to {ln.holder}; not marked missing"))
                continue
            assetsvc.update(ln.asset_id, {"status": "missing"}, by=by, action="stocktake")
            result.marked_missing += 1
    if "create-unknown" in chosen:
        for ln in rec.of("unknown"):
            if ln.asset_id or assetsvc.lookup_tag(ln.code) or ln.at is None:
                continue  # created already (a stored scan always has its time)
            try:
                with db.atomic():
                    values: dict[str, object] = {"tag": ln.code, "status": "ready"}
                    if ln.scanned_id:
                        values["location_id"] = ln.scanned_id
                    else:
                        values["site_id"] = s.site_id
                    asset = assetsvc.create(values, by=by, note=f"found in stocktake {s.name}")
                    StocktakeScan.update(asset=asset.id).where(
                        (StocktakeScan.session == s.id) & StocktakeScan.asset.is_null()
                        & (pw.fn.UPPER(StocktakeScan.code) == tagsvc.normalize_tag(ln.code))
                    ).execute()
                    audit.setdefault(local_date(ln.at), []).append(asset.id)
                result.created += 1
            except ValidationError as err:
                result.problems.append((ln.code, str(err)))
    for date, ids in audit.items():
        todo = _not_audited_on(list(dict.fromkeys(ids)), date)
        result.audited += assetsvc.mark_audited(todo, date=date, by=by) if todo else 0
    StocktakeSession.update(status="applied", applied_at=utcnow()).where(
        StocktakeSession.id == s.id).execute()
    history.record("stocktake", s.id, "apply", new=", ".join(chosen) or "audit dates",
                   note=result.summary(), by=by)
    return result


def preview_apply(session_id: int, actions: str | Iterable[str] | None = ()) -> ApplyResult:
    """What ``apply`` would do now, counted by ``apply`` itself: it runs in a
    transaction that is rolled back, so the confirmation and the result count
    exactly the same things (moves to the room an asset is already in, loans
    that keep an asset from being marked missing, tags created already)."""
    with db.atomic() as txn:
        result = apply(session_id, actions)
        txn.rollback()
    return result


def _not_audited_on(ids: list[int], date: dt.date) -> list[int]:
    """The ids whose last-audit date is not ``date`` yet (applying twice changes nothing)."""
    out: list[int] = []
    for i in range(0, len(ids), 500):
        out += [r[0] for r in query_rows(Asset.select(Asset.id).where(
            Asset.id.in_(ids[i:i + 500])
            & (Asset.last_audit_date.is_null() | (Asset.last_audit_date != date))))]
    return out
