"""Distribution and collection days of the 1:1 device program.

An event is a school's day (maybe one grade or homeroom) of handing devices
out or taking them back. Each scan gets its verdict at once, in words for a
big banner, and is stored in its own short transaction, so several stations
can scan one event on a shared database.

Distribution: a student's ID card sets the student of this station (a scan
stored as the station's state, so the command line and a restarted app carry
on); the device tag that follows is checked out to that student, with its kit
and the agreement as the family left it (signed, waiver on file, refused).
Collection: a device tag checks the device in, good or damaged (what damage,
which kit parts are missing); a damaged or incomplete return is charged by
the price list (``fees.charge_for_return``).

A refused scan (a device with no student waiting, a student who already has a
device, a device already lent, a withdrawn student) writes nothing and says
why. What a scanned string names is ``app.scanning.resolve``'s answer.
"""
from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NoReturn, TypedDict

import peewee as pw

from app import scanning
from app.models import Loan, Site
from app.models.common import utcnow
from app.models.program import AGREEMENT_STATES, DAMAGE_KINDS, EVENT_KINDS, EventScan, ProgramEvent
from app.services import assets as assetsvc, catalog, history
from app.services.base import fetch, locked, transaction, who, writes
from app.services.errors import Conflict, DomainError, NotFound, ValidationError
from app.services.fields import clean_text, parse_date
from app.store.db import Row, db, rows as query_rows, sql
from app.wording import plural

# A student's device: what the 1:1 program lends (a hotspot or a projector is not one).
DEVICE_KINDS = ("chromebook", "computer", "tablet")
CONDITIONS = ("good", "damaged")
# Stored scans that set the student of a station (distribution).
STUDENT_VERDICTS = ("student", "student_elsewhere")
# What each verdict is called on the banner, and its tone (ok / warn / error).
VERDICTS = {
    "student": ("Student", "ok"),
    "student_elsewhere": ("Student — not in this event", "warn"),
    "lent": ("Device lent", "ok"),
    "lent_refused": ("Lent — family refused", "warn"),
    "returned": ("Returned", "ok"),
    "returned_damaged": ("Returned damaged", "warn"),
    "returned_elsewhere": ("Returned — other school", "warn"),
    "no_student": ("Scan the student first", "error"),
    "has_device": ("Already has a device", "error"),
    "device_out": ("Device already lent", "error"),
    "withdrawn": ("Withdrawn student", "error"),
    "not_student": ("Not a student", "error"),
    "not_device": ("Not a device", "error"),
    "not_out": ("Not checked out", "error"),
    "already_returned": ("Already returned", "warn"),
    "refused": ("Refused", "error"),
    "unknown": ("Unknown code", "error"),
}
LENT = ("lent", "lent_refused")
RETURNED = ("returned", "returned_damaged", "returned_elsewhere")


# A fee a return cost: (kind, part, amount, status).
FeeLine = tuple[str, str | None, Decimal, str]


@dataclass(frozen=True)
class ScanResult:
    """What one scan did, ready for the big banner."""

    verdict: str
    tone: str  # ok / warn / error
    text: str  # the banner's line: who or what
    detail: str = ""
    code: str = ""
    person_id: int | None = None
    asset_id: int | None = None
    loan_id: int | None = None
    scan_id: int | None = None
    person: str | None = None  # the student's name
    tag: str | None = None
    fees: tuple[FeeLine, ...] = ()  # each fee the return cost

    @property
    def label(self) -> str:
        return VERDICTS.get(self.verdict, (self.verdict, "error"))[0]

    @property
    def written(self) -> bool:
        return self.scan_id is not None


class _Refusal(Exception):
    """A scan refused: carried out of the transaction (which writes nothing)."""

    def __init__(self, result: ScanResult) -> None:
        super().__init__(result.text)
        self.result = result


def _result(verdict: str, text: str, detail: str = "", **kw: Any) -> ScanResult:
    return ScanResult(verdict, VERDICTS[verdict][1], text, detail, **kw)


def _refuse(verdict: str, text: str, detail: str = "", **kw: Any) -> NoReturn:
    raise _Refusal(_result(verdict, text, detail, **kw))


def workstation_name() -> str:
    try:
        return socket.gethostname() or "workstation"
    except OSError:
        return "workstation"


def _one(text: str, params: Sequence[object] = ()) -> Row | None:
    row: Row | None = db.execute_sql(sql(text), params).fetchone()
    return row


def _all(text: str, params: Sequence[object] = ()) -> list[Row]:
    found: list[Row] = db.execute_sql(sql(text), params).fetchall()
    return found


def _one_row(text: str, params: Sequence[object] = ()) -> Row:
    """The one row an aggregate (COUNT, SUM) query always returns."""
    row = _one(text, params)
    if row is None:  # an aggregate without GROUP BY has one row
        raise NotFound("The database returned no row for a count.")
    return row


# --- events ---------------------------------------------------------------------------

def _site(site_id: Site | int | str | None) -> Site:
    if isinstance(site_id, Site):
        return site_id
    if isinstance(site_id, int) or (isinstance(site_id, str) and site_id.isdigit()):
        site = Site.get_or_none(Site.id == int(site_id))
        if site is None and isinstance(site_id, str):
            site = catalog.find_site(site_id)
    else:
        site = catalog.find_site(site_id or "")
    if site is None:
        raise NotFound(f"No site is called {site_id!r}." if site_id else "Choose the school.")
    return site


@writes
def start(kind: str, site_id: Site | int | str | None, grade: str | None = None,
          homeroom: str | None = None, due: dt.date | str | None = None, name: str | None = None,
          by: str | None = None) -> ProgramEvent:
    """Open a distribution or collection day for a school (by id, name or
    code), maybe one grade or homeroom. ``due``: when devices lent at a
    distribution come back."""
    kind = (kind or "").strip().lower()
    if kind not in EVENT_KINDS:
        raise ValidationError("An event is a distribution or a collection.", field="kind")
    site = _site(site_id)
    grade = clean_text(grade, "grade", 20)
    homeroom = clean_text(homeroom, "homeroom", 100)
    due_day = parse_date(due, "due") if due not in (None, "") else None
    if due_day and kind != "distribution":
        raise ValidationError("Only a distribution has a due date.", field="due")
    if due_day and due_day < history.today():
        raise ValidationError(f"The due date {due_day.isoformat()} is in the past.", field="due")
    if not name:
        scope = " ".join(x for x in (f"grade {grade}" if grade else "",
                                     f"homeroom {homeroom}" if homeroom else "") if x)
        name = (f"{EVENT_KINDS[kind]} — {site.name}" + (f" ({scope})" if scope else "")
                + f" — {history.today().isoformat()}")
    event = ProgramEvent.create(kind=kind, name=clean_text(name, "name", 200), site=site,
                                grade=grade, homeroom=homeroom, due=due_day, status="open",
                                created_by=who(by))
    history.record("program_event", event.id, "start", new=event.name, by=by,
                   note=f"{kind} at {site.name}")
    return event


def get(event_id: int) -> ProgramEvent:
    return fetch(ProgramEvent, event_id, "No event {id}.")


class EventRow(TypedDict):
    """An event as the events list shows it."""

    id: int
    kind: str
    name: str
    site: str
    site_id: int
    grade: str | None
    homeroom: str | None
    due: dt.date | None
    status: str
    created_at: dt.datetime


def list_events(include_closed: bool = True) -> list[EventRow]:
    q = (ProgramEvent.select(ProgramEvent.id, ProgramEvent.kind, ProgramEvent.name, Site.name,
                             ProgramEvent.site, ProgramEvent.grade, ProgramEvent.homeroom,
                             ProgramEvent.due, ProgramEvent.status, ProgramEvent.created_at)
         .join(Site).order_by(ProgramEvent.id.desc()))
    if not include_closed:
        q = q.where(ProgramEvent.status == "open")
    return [{"id": eid, "kind": kind, "name": name, "site": site, "site_id": site_id,
             "grade": grade, "homeroom": homeroom, "due": due, "status": state,
             "created_at": at}
            for eid, kind, name, site, site_id, grade, homeroom, due, state, at
            in query_rows(q)]


@writes
def close(event_id: int, by: str | None = None) -> ProgramEvent:
    """Stop taking scans. Closing an event twice is refused."""
    event = locked(ProgramEvent.select().where(ProgramEvent.id == event_id)).get_or_none()
    if event is None:
        raise NotFound(f"No event {event_id}.")
    if event.status != "open":
        raise Conflict(f"Event {event_id} is already closed.")
    now = utcnow()
    ProgramEvent.update(status="closed", closed_at=now, closed_by=who(by)) \
        .where(ProgramEvent.id == event.id).execute()
    history.record("program_event", event.id, "close", field="status", old="open", new="closed",
                   by=by, at=now)
    return get(event.id)


def _agreement(value: str | None) -> str:
    value = (value or "signed").strip().lower()
    if value not in AGREEMENT_STATES:
        raise ValidationError("The agreement is signed, waiver (on file) or refused.",
                              field="agreement")
    return value


def _open_event(event_id: int) -> tuple[str, int, str | None, str | None, dt.date | None]:
    """(kind, site_id, grade, homeroom, due) of an open event; its row locked
    on PostgreSQL until the scan's transaction ends, so no scan lands after a
    close and two stations take turns."""
    lock = " FOR UPDATE" if isinstance(db.obj, pw.PostgresqlDatabase) else ""
    row = _one("SELECT status, kind, site_id, grade, homeroom, due FROM program_event "
               "WHERE id = ?" + lock, (event_id,))
    if row is None:
        raise NotFound(f"No event {event_id}.")
    if row[0] != "open":
        raise Conflict(f"Event {event_id} is closed; scans are no longer taken.")
    due = row[5]
    if isinstance(due, str):
        due = dt.date.fromisoformat(due)
    return row[1], row[2], row[3], row[4], due


# --- scanning ---------------------------------------------------------------------------

class _Person(TypedDict):
    id: int
    kind: str
    first: str
    last: str
    id_number: str | None
    site_id: int | None
    grade: str | None
    homeroom: str | None
    active: bool
    enrolment: str | None
    name: str  # "First Last"
    label: str  # "First Last (ID number)"


class _Asset(TypedDict):
    id: int
    tag: str
    name: str | None
    status: str
    kind: str | None  # its category's kind
    model: str | None


def _person(person_id: int | None) -> _Person | None:
    row = _one("SELECT id, kind, first_name, last_name, id_number, site_id, grade, homeroom, "
               "active, enrolment FROM person WHERE id = ?", (person_id,))
    if row is None:
        return None
    pid, kind, first, last, id_number, site_id, grade, homeroom, active, enrolment = row
    name = f"{first} {last}".strip()
    return {"id": pid, "kind": kind, "first": first, "last": last, "id_number": id_number,
            "site_id": site_id, "grade": grade, "homeroom": homeroom, "active": active,
            "enrolment": enrolment, "name": name,
            "label": f"{name} ({id_number})" if id_number else name}


def _asset(asset_id: int) -> _Asset | None:
    row = _one("SELECT a.id, a.tag, a.name, a.status, c.kind, m.name FROM asset a "
               "LEFT JOIN hardware_model m ON m.id = a.model_id "
               "LEFT JOIN category c ON c.id = m.category_id WHERE a.id = ?", (asset_id,))
    if row is None:
        return None
    aid, tag, name, state, kind, model = row
    return {"id": aid, "tag": tag, "name": name, "status": state, "kind": kind, "model": model}


def _device_of(person_id: int | None) -> Row | None:
    """(tag, loan id) of a device the person holds on an open loan."""
    marks = ", ".join("?" for _ in DEVICE_KINDS)
    return _one("SELECT a.tag, l.id FROM loan l JOIN asset a ON a.id = l.asset_id "
                "JOIN hardware_model m ON m.id = a.model_id JOIN category c ON c.id = m.category_id "
                f"WHERE l.person_id = ? AND l.returned_at IS NULL AND c.kind IN ({marks}) LIMIT 1",
                (person_id, *DEVICE_KINDS))


def waiting_student(event_id: int, station: str | None = None) -> int | None:
    """The student this station scanned last, still waiting for a device."""
    row = _one("SELECT verdict, person_id FROM event_scan WHERE event_id = ? AND station = ? "
               "ORDER BY id DESC LIMIT 1", (event_id, station or workstation_name()))
    if row and row[0] in STUDENT_VERDICTS:
        student: int | None = row[1]
        return student
    return None


def _elsewhere(p: _Person, site_id: int, grade: str | None, homeroom: str | None) -> str | None:
    """Why a student is not one this event is for (None: they are)."""
    if p["site_id"] != site_id:
        name = _one("SELECT name FROM site WHERE id = ?", (p["site_id"],)) if p["site_id"] else None
        return f"a student of {name[0] if name else 'no school'}"
    if grade and (p["grade"] or "").strip().lower() != grade.strip().lower():
        return f"in grade {p['grade'] or '—'}, not {grade}"
    if homeroom and (p["homeroom"] or "").strip().lower() != homeroom.strip().lower():
        return f"in homeroom {p['homeroom'] or '—'}, not {homeroom}"
    return None


def _check_list(values: str | Iterable[str | None] | None, allowed: dict[str, str] | None,
                what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    out: list[str] = []
    for given in values:
        v = (given or "").strip()
        if not v:
            continue
        if allowed is not None:
            v = v.lower()
            if v not in allowed:
                raise ValidationError(f"Unknown {what} {v!r}; use " + ", ".join(allowed) + ".",
                                      field=what)
        if v not in out:
            out.append(v)
    return out


def scan(event_id: int, code: str, *, station: str | None = None, agreement: str | None = None,
         condition: str | None = None, damage: str | Iterable[object] | None = None,
         missing_parts: str | Iterable[str | None] | None = None,
         person_id: int | None = None, by: str | None = None) -> ScanResult:
    """One scan at an event, in its own transaction: its verdict, and what it
    wrote (a refusal writes nothing). ``person_id`` instead of a code: the
    student picked from the list. Bad arguments and a closed or unknown event
    raise; everything a scanner can send gets a verdict."""
    code = scanning.clean_scan(code or "")
    if not code and not person_id:
        raise ValidationError("Nothing was scanned.", field="code")
    station = (station or workstation_name())[:100]
    agreement = _agreement(agreement) if agreement else None
    damaged = assetsvc.clean_damage(damage)
    missing = _check_list(missing_parts, None, "missing part")
    condition = (condition or "").strip().lower() or None
    if condition and condition not in CONDITIONS:
        raise ValidationError("The condition is good or damaged.", field="condition")
    if condition == "good" and (damaged or missing):
        raise ValidationError("A device returned with damage or missing parts is not in good "
                              "condition.", field="condition")
    try:
        with transaction():
            kind, site_id, grade, homeroom, due = _open_event(event_id)
            res: tuple[str, int | None]
            if person_id:
                res = ("person", int(person_id))
            else:
                r = scanning.resolve(code)
                res = (r.kind, r.id)
            args = (event_id, code, res, station, by)
            if kind == "distribution":
                return _distribute(*args, site_id, grade, homeroom, due, agreement or "signed")
            return _collect(*args, site_id, damaged, missing, condition)
    except _Refusal as refusal:
        return refusal.result


def _not_here(kind: str, code: str, res_kind: str) -> NoReturn:
    if res_kind == "unknown":
        _refuse("unknown", f"Nothing has the code {code}", code=code)
    what = {"location": "a room label", "supply": "a supply item's barcode"}.get(res_kind, "")
    _refuse("not_device", f"{code} is {what}", "Scan a student's ID card or a device tag."
            if kind == "distribution" else "Scan the device's tag.", code=code)


def _distribute(event_id: int, code: str, res: tuple[str, int | None], station: str,
                by: str | None, site_id: int, grade: str | None, homeroom: str | None,
                due: dt.date | None, agreement: str) -> ScanResult:
    res_kind, res_id = res
    if res_kind == "person":
        return _student(event_id, code, res_id, station, by, site_id, grade, homeroom)
    a = _asset(res_id) if res_kind == "asset" and res_id else None
    if a is None:
        _not_here("distribution", code, res_kind)
    student_id = waiting_student(event_id, station)
    loan = _one("SELECT l.person_id, l.location_id FROM loan l WHERE l.asset_id = ? AND "
                "l.returned_at IS NULL", (a["id"],))
    if loan:
        holder = _person(loan[0]) if loan[0] else None
        whom = holder["label"] if holder else "a room"
        _refuse("device_out", f"{a['tag']} is already lent to {whom}",
                "Check it in first, or scan another device.", code=code, asset_id=a["id"],
                tag=a["tag"])
    if student_id is None:
        _refuse("no_student", f"{a['tag']}: no student is waiting",
                "Scan the student's ID card first, then the device.", code=code,
                asset_id=a["id"], tag=a["tag"])
    if a["kind"] not in DEVICE_KINDS:
        _refuse("not_device", f"{a['tag']} is not a student device",
                f"{a['model'] or a['name'] or 'It'} is not a Chromebook, laptop or tablet.",
                code=code, asset_id=a["id"], tag=a["tag"])
    p = _person(student_id)
    if p is None:  # the student's record was deleted meanwhile
        _refuse("no_student", f"{a['tag']}: no student is waiting",
                "Scan the student's ID card first, then the device.", code=code,
                asset_id=a["id"], tag=a["tag"])
    try:
        with db.atomic():
            loan_obj = _check_out(a["id"], student_id, due, agreement, by)
    except DomainError as exc:
        _refuse("refused", f"{a['tag']} not lent", str(exc), code=code, asset_id=a["id"],
                tag=a["tag"], person_id=student_id, person=p["name"])
    verdict = "lent_refused" if agreement == "refused" else "lent"
    scan_id = EventScan.insert(event=event_id, code=code, person=student_id, asset=a["id"],
                               loan=loan_obj.id, verdict=verdict, agreement=agreement,
                               by=who(by), station=station).execute()
    parts = _kit_names(loan_obj.id)
    detail = " · ".join(x for x in (
        "with " + ", ".join(parts) if parts else "",
        f"agreement: {AGREEMENT_STATES[agreement].lower()}",
        f"due {due.isoformat()}" if due else "") if x)
    return _result(verdict, f"{a['tag']} → {p['label']}", detail, code=code, person_id=student_id,
                   asset_id=a["id"], loan_id=loan_obj.id, scan_id=scan_id, person=p["name"],
                   tag=a["tag"])


def _check_out(asset_id: int, person_id: int, due: dt.date | None, agreement: str,
               by: str | None) -> Loan:
    return assetsvc.check_out(asset_id, person_id=person_id, due=due,
                              agreement_status=agreement, by=by)


def _kit_names(loan_id: int) -> list[str]:
    rows = _all("SELECT name, quantity FROM loan_part WHERE loan_id = ? ORDER BY id", (loan_id,))
    return [f"{q} × {n}" if q and q > 1 else n for n, q in rows]


def _student(event_id: int, code: str, person_id: int | None, station: str, by: str | None,
             site_id: int, grade: str | None, homeroom: str | None) -> ScanResult:
    p = _person(person_id)
    if p is None:
        _refuse("unknown", f"Nothing has the code {code}", code=code)
    kw: dict[str, Any] = dict(code=code, person_id=p["id"], person=p["name"])
    if p["kind"] != "student":
        _refuse("not_student", f"{p['label']} is not a student",
                "Scan a student's ID card, then their device.", **kw)
    if p["enrolment"] == "withdrawn" or not p["active"]:
        _refuse("withdrawn", f"{p['label']} has withdrawn",
                "A withdrawn student gets no device.", **kw)
    held = _device_of(p["id"])
    if held:
        _refuse("has_device", f"{p['label']} already has {held[0]}",
                "One device per student: check that one in first.", **kw)
    why = _elsewhere(p, site_id, grade, homeroom)
    verdict = "student_elsewhere" if why else "student"
    scan_id = EventScan.insert(event=event_id, code=code, person=p["id"], verdict=verdict,
                               by=who(by), station=station).execute()
    where = " · ".join(x for x in (f"grade {p['grade']}" if p["grade"] else "",
                                    f"homeroom {p['homeroom']}" if p["homeroom"] else "") if x)
    detail = (f"Not in this event: {why}. " if why else (where + " — " if where else "")) + \
        "Now scan their device."
    return _result(verdict, p["label"], detail, scan_id=scan_id, **kw)


def _collect(event_id: int, code: str, res: tuple[str, int | None], station: str,
             by: str | None, site_id: int, damage: list[str], missing: list[str],
             condition: str | None) -> ScanResult:
    res_kind, res_id = res
    if res_kind == "person":
        p = _person(res_id)
        held = _device_of(res_id) if p else None
        _refuse("not_device", f"{p['label'] if p else code}: scan the device's tag",
                f"They hold {held[0]}." if held else "They hold no device.", code=code,
                person_id=res_id)
    a = _asset(res_id) if res_kind == "asset" and res_id else None
    if a is None:
        _not_here("collection", code, res_kind)
    loan = _one("SELECT id, person_id FROM loan WHERE asset_id = ? AND returned_at IS NULL",
                (a["id"],))
    if loan is None:
        before = _one("SELECT person_id FROM event_scan WHERE event_id = ? AND asset_id = ? AND "
                      "verdict IN ('returned', 'returned_damaged', 'returned_elsewhere') "
                      "ORDER BY id DESC LIMIT 1", (event_id, a["id"]))
        if before:
            p = _person(before[0]) if before[0] else None
            _refuse("already_returned", f"{a['tag']} was already returned",
                    f"From {p['label']}, at this event." if p else "At this event.", code=code,
                    asset_id=a["id"], tag=a["tag"])
        _refuse("not_out", f"{a['tag']} is not checked out", "Nothing to take back.", code=code,
                asset_id=a["id"], tag=a["tag"])
    loan_id, person_id = loan
    p = _person(person_id) if person_id else None
    damaged = bool(damage or missing) or condition == "damaged"
    cond = "damaged" if damaged else "good"
    try:
        with db.atomic():
            closed = _check_in(a["id"], cond, damage, missing, by)
            if missing:  # as the kit names them, whatever the case typed
                missing = [n for (n,) in _all("SELECT name FROM loan_part WHERE loan_id = ? AND "
                                               "state = 'missing' ORDER BY id", (loan_id,))]
            fees = _charge(closed.id if closed else loan_id, event_id, by) if damaged else []
    except DomainError as exc:
        _refuse("refused", f"{a['tag']} not taken back", str(exc), code=code, asset_id=a["id"],
                tag=a["tag"])
    verdict = "returned_damaged" if damaged else "returned"
    if not damaged and p and p["site_id"] != site_id:
        verdict = "returned_elsewhere"
    scan_id = EventScan.insert(event=event_id, code=code, person=person_id, asset=a["id"],
                               loan=loan_id, verdict=verdict, condition=cond,
                               damage=damage or None, missing_parts=missing or None,
                               by=who(by), station=station).execute()
    who_text = p["label"] if p else "a room"
    bits: list[str] = []
    if damage:
        bits.append("damage: " + ", ".join(DAMAGE_KINDS[d].lower() for d in damage))
    if missing:
        bits.append("missing: " + ", ".join(missing))
    if fees:
        total = sum((f[2] for f in fees if f[3] == "owed"), Decimal(0))
        bits.append(f"fee ${total:,.2f} owed" if total else "fees waived")
    if verdict == "returned_elsewhere":
        bits.append("a student of another school")
    if p and p["enrolment"] == "withdrawn":
        bits.append("withdrawn student")
    return _result(verdict, f"{a['tag']} ← {who_text}", " · ".join(bits) or "good condition",
                   code=code, person_id=person_id, asset_id=a["id"], loan_id=loan_id,
                   scan_id=scan_id, person=p["name"] if p else None, tag=a["tag"],
                   fees=tuple(fees))


def _check_in(asset_id: int, condition: str, damage: list[str], missing: list[str],
              by: str | None) -> Loan | None:
    return assetsvc.check_in(asset_id, condition=condition, damage=damage or None,
                             missing_parts=missing or None, by=by)


def _charge(loan_id: int, event_id: int, by: str | None) -> list[FeeLine]:
    """The fees a damaged return costs, as (kind, part, amount, status)."""
    from app.services import fees
    return [(f.kind, f.part, f.amount, f.status)
            for f in fees.charge_for_return(loan_id, event_id=event_id, by=by)]


# --- status -----------------------------------------------------------------------------

def _scope_where(event: ProgramEvent, alias: str = "p") -> tuple[str, list[object]]:
    where = [f"{alias}.kind = 'student'", f"{alias}.site_id = ?"]
    params: list[object] = [event.site_id]
    if event.grade:
        where.append(f"LOWER({alias}.grade) = ?")
        params.append(event.grade.lower())
    if event.homeroom:
        where.append(f"LOWER({alias}.homeroom) = ?")
        params.append(event.homeroom.lower())
    return " AND ".join(where), params


def _withdrawn(enrolment: str | None, active: object) -> bool:
    return enrolment == "withdrawn" or not active


class HomeroomCount(TypedDict):
    homeroom: str
    students: int
    received: int
    had_device: int
    not_yet: int


StudentState = Literal["received", "had_device", "not_yet"]


class StudentRow(TypedDict):
    """A student of a distribution's scope, and whether they got a device."""

    person_id: int
    name: str
    id_number: str | None
    grade: str | None
    homeroom: str
    state: StudentState
    tag: str | None
    agreement: str | None
    at: dt.datetime | None


class ReturnedDevice(TypedDict):
    """A device a collection took back."""

    person_id: int | None
    name: str
    id_number: str | None
    grade: str | None
    homeroom: str
    school: str
    tag: str
    condition: str | None
    damage: list[str]
    missing: list[str]
    at: dt.datetime | None
    fee: Decimal | None  # charged at this event (not waived)


class OutstandingDevice(TypedDict):
    """A device a collection still waits for."""

    person_id: int
    name: str
    id_number: str | None
    grade: str | None
    homeroom: str
    school: str
    withdrawn: bool
    tag: str
    out_at: dt.datetime | None
    due: dt.date | None


class GroupCount(TypedDict):
    """A collection's counts for one school, grade and homeroom."""

    school: str
    grade: str
    homeroom: str
    returned: int
    damaged: int
    outstanding: int
    withdrawn: int


class FeeSum(TypedDict):
    count: int
    amount: Decimal | None


class EventInfo(EventRow):
    """An event as its page and report head show it: the list's row and more."""

    kind_label: str
    created_by: str | None
    closed_at: dt.datetime | None


class EventStatus(EventInfo, total=False):
    """An event and its progress (the events page, `event status`, the event
    report). ``scans`` and ``totals`` are always there; the rest is a
    distribution's (homerooms, students, agreements) or a collection's
    (groups, returned, outstanding, fees)."""

    scans: dict[str, int]  # scans by verdict
    totals: dict[str, int]
    homerooms: list[HomeroomCount]
    students: list[StudentRow]
    agreements: dict[str, int]
    groups: list[GroupCount]
    returned: list[ReturnedDevice]
    outstanding: list[OutstandingDevice]
    fees: dict[str, FeeSum]


def _event_info(event: ProgramEvent) -> EventStatus:
    return {"id": event.id, "kind": event.kind, "kind_label": EVENT_KINDS[event.kind],
            "name": event.name, "site": event.site.name, "site_id": event.site_id,
            "grade": event.grade, "homeroom": event.homeroom, "due": event.due,
            "status": event.status, "created_at": event.created_at,
            "created_by": event.created_by, "closed_at": event.closed_at}


def status(event_id: int) -> EventStatus:
    """Distribution: each student of the event's scope, received here / had a
    device already / not yet, counted by homeroom. Collection: each device
    out to a student of the scope, returned here or outstanding, counted by
    school, grade and homeroom; outstanding devices of withdrawn students
    first."""
    event = get(event_id)
    info = _event_info(event)
    counts: dict[str, int] = dict(_all("SELECT verdict, COUNT(*) FROM event_scan "
                                       "WHERE event_id = ? GROUP BY verdict", (event.id,)))
    info["scans"] = counts
    if event.kind == "distribution":
        _distribution_status(event, info)
    else:
        _collection_status(event, info)
    return info


def _distribution_status(event: ProgramEvent, info: EventStatus) -> None:
    """Add a distribution's homerooms, students, totals and agreements to ``info``."""
    where, params = _scope_where(event)
    marks = ", ".join("?" for _ in DEVICE_KINDS)
    lent: dict[int, tuple[str, str | None, dt.datetime | str | None]] = {
        pid: (tag, agreement, at) for pid, tag, agreement, at in _all(
            "SELECT s.person_id, a.tag, s.agreement, s.scanned_at FROM event_scan s "
            "JOIN asset a ON a.id = s.asset_id WHERE s.event_id = ? AND s.verdict IN ('lent', "
            "'lent_refused')", (event.id,))}
    holding: dict[int, str] = dict(_all(
        "SELECT l.person_id, MIN(a.tag) FROM loan l JOIN asset a ON a.id = l.asset_id "
        "JOIN hardware_model m ON m.id = a.model_id JOIN category c ON c.id = m.category_id "
        f"JOIN person p ON p.id = l.person_id WHERE l.returned_at IS NULL AND c.kind IN ({marks}) "
        f"AND {where} GROUP BY l.person_id", (*DEVICE_KINDS, *params)))
    students: list[StudentRow] = []
    groups: dict[str, HomeroomCount] = {}
    for pid, first, last, idn, grade, homeroom, enrolment, active in _all(
            "SELECT p.id, p.first_name, p.last_name, p.id_number, p.grade, p.homeroom, "
            f"p.enrolment, p.active FROM person p WHERE {where} "
            "ORDER BY p.homeroom, p.last_name, p.first_name, p.id", params):
        if _withdrawn(enrolment, active) and pid not in lent:
            continue
        state: StudentState
        tag: str | None
        if pid in lent:
            state, tag = "received", lent[pid][0]
        elif pid in holding:
            state, tag = "had_device", holding[pid]
        else:
            state, tag = "not_yet", None
        room = homeroom or "—"
        g = groups.setdefault(room, {"homeroom": room, "students": 0, "received": 0,
                                     "had_device": 0, "not_yet": 0})
        g["students"] += 1
        g[state] += 1
        students.append({"person_id": pid, "name": f"{first} {last}".strip(), "id_number": idn,
                         "grade": grade, "homeroom": room, "state": state, "tag": tag,
                         "agreement": lent[pid][1] if pid in lent else None,
                         "at": _as_dt(lent[pid][2]) if pid in lent else None})
    rows = sorted(groups.values(), key=lambda g: g["homeroom"])
    total = {"students": sum(g["students"] for g in rows),
             "received": sum(g["received"] for g in rows),
             "had_device": sum(g["had_device"] for g in rows),
             "not_yet": sum(g["not_yet"] for g in rows)}
    agreements = {k: 0 for k in AGREEMENT_STATES}
    for _tag, agreement, _at in lent.values():
        if agreement in agreements:
            agreements[agreement] += 1
    info.update({"homerooms": rows, "students": students, "totals": total,
                 "agreements": agreements})


def _collection_status(event: ProgramEvent, info: EventStatus) -> None:
    """Add a collection's groups, returned and outstanding devices, totals and fees to ``info``."""
    where, params = _scope_where(event)
    marks = ", ".join("?" for _ in DEVICE_KINDS)
    charged: dict[int, Decimal | None] = {loan_id: amount for loan_id, amount in _all(
        "SELECT loan_id, SUM(amount) FROM fee WHERE event_id = ? AND status <> 'waived' "
        "GROUP BY loan_id", (event.id,))}
    returned: list[ReturnedDevice] = []
    for (pid, first, last, idn, grade, homeroom, school, tag, cond, damage, missing, at,
         loan_id) in _all(
            "SELECT p.id, p.first_name, p.last_name, p.id_number, p.grade, p.homeroom, st.name, "
            "a.tag, s.condition, s.damage, s.missing_parts, s.scanned_at, s.loan_id "
            "FROM event_scan s "
            "JOIN asset a ON a.id = s.asset_id LEFT JOIN person p ON p.id = s.person_id "
            "LEFT JOIN site st ON st.id = p.site_id WHERE s.event_id = ? AND s.verdict IN "
            "('returned', 'returned_damaged', 'returned_elsewhere') ORDER BY s.id", (event.id,)):
        returned.append({"person_id": pid, "name": f"{first or ''} {last or ''}".strip(),
                         "id_number": idn, "grade": grade, "homeroom": homeroom or "—",
                         "school": school or "—", "tag": tag, "condition": cond,
                         "damage": _json_list(damage), "missing": _json_list(missing),
                         "at": _as_dt(at), "fee": charged.get(loan_id)})
    outstanding: list[OutstandingDevice] = []
    out_where, out_params = _outstanding_where(event)
    for pid, first, last, idn, grade, homeroom, enrolment, active, school, tag, out_at, due in _all(
            "SELECT p.id, p.first_name, p.last_name, p.id_number, p.grade, p.homeroom, "
            "p.enrolment, p.active, st.name, a.tag, l.out_at, l.due FROM loan l "
            "JOIN asset a ON a.id = l.asset_id JOIN hardware_model m ON m.id = a.model_id "
            "JOIN category c ON c.id = m.category_id JOIN person p ON p.id = l.person_id "
            "LEFT JOIN site st ON st.id = p.site_id "
            f"WHERE {out_where} AND c.kind IN ({marks}) AND {where}",
            (*out_params, *DEVICE_KINDS, *params)):
        outstanding.append({"person_id": pid, "name": f"{first} {last}".strip(), "id_number": idn,
                            "grade": grade, "homeroom": homeroom or "—", "school": school or "—",
                            "withdrawn": _withdrawn(enrolment, active), "tag": tag,
                            "out_at": _as_dt(out_at), "due": _as_date(due)})
    outstanding.sort(key=lambda r: (not r["withdrawn"], r["school"], _grade_key(r["grade"]),
                                    r["homeroom"], r["name"].lower(), r["tag"]))
    groups: dict[tuple[str, str, str], GroupCount] = {}

    def group(school: str, grade: str | None, homeroom: str) -> GroupCount:
        k = (school, grade or "—", homeroom)
        return groups.setdefault(k, {"school": k[0], "grade": k[1], "homeroom": k[2],
                                     "returned": 0, "damaged": 0, "outstanding": 0,
                                     "withdrawn": 0})

    for r in returned:
        g = group(r["school"], r["grade"], r["homeroom"])
        g["returned"] += 1
        if r["condition"] == "damaged":
            g["damaged"] += 1
    for o in outstanding:
        g = group(o["school"], o["grade"], o["homeroom"])
        g["outstanding"] += 1
        if o["withdrawn"]:
            g["withdrawn"] += 1
    rows = sorted(groups.values(), key=lambda g: (g["school"], _grade_key(g["grade"]),
                                                   g["homeroom"]))
    total = {"returned": sum(g["returned"] for g in rows),
             "damaged": sum(g["damaged"] for g in rows),
             "outstanding": sum(g["outstanding"] for g in rows),
             "withdrawn": sum(g["withdrawn"] for g in rows)}
    fees = _all("SELECT f.status, COUNT(*), SUM(f.amount) FROM fee f WHERE f.event_id = ? "
                "GROUP BY f.status", (event.id,))
    info.update({"groups": rows, "returned": returned, "outstanding": outstanding,
                 "totals": total,
                 "fees": {st: {"count": n, "amount": amt} for st, n, amt in fees}})


def _outstanding_where(event: ProgramEvent) -> tuple[str, list[object]]:
    """The loans a collection still waits for: out before it started, and
    not back when it closed (still out, while it is open). A device lent after
    the collection began (next year's) is not one of them."""
    if event.closed_at is None:
        return "l.out_at < ? AND l.returned_at IS NULL", [event.created_at]
    return ("l.out_at < ? AND (l.returned_at IS NULL OR l.returned_at > ?)",
            [event.created_at, event.closed_at])


def _grade_key(grade: str | None) -> tuple[int, int, str]:
    g = (grade or "").strip()
    return (0, int(g), "") if g.isdigit() else (1, 0, g.upper())


def _json_list(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return value
    import json
    try:
        out = json.loads(str(value))
    except ValueError:
        return []
    return out if isinstance(out, list) else []


def _as_dt(value: dt.datetime | str | None) -> dt.datetime | None:
    """A timestamp as the driver gave it (text on SQLite) as a naive UTC datetime."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value) if value else None
    return value


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]) if value else None
    return value


class ScanRow(TypedDict):
    """One stored scan of an event (newest first in the scan list)."""

    id: int
    at: dt.datetime | None
    code: str
    verdict: str
    label: str
    agreement: str | None
    condition: str | None
    damage: list[str]
    missing: list[str]
    station: str | None
    by: str | None
    person: str | None
    id_number: str | None
    tag: str | None


class StudentChoice(TypedDict):
    """A student an event is for, to pick without a card."""

    id: int
    name: str
    id_number: str | None
    grade: str | None
    homeroom: str | None
    withdrawn: bool


class EventTotals(TypedDict, total=False):
    """The counts a scanning station shows: a distribution's students,
    received, refused and not yet; a collection's returned, damaged and
    outstanding."""

    kind: str
    students: int
    received: int
    refused: int
    not_yet: int
    returned: int
    damaged: int
    outstanding: int


def scans(event_id: int, limit: int | None = None) -> list[ScanRow]:
    """The event's stored scans, newest first."""
    q = ("SELECT s.id, s.scanned_at, s.code, s.verdict, s.agreement, s.condition, s.damage, "
         "s.missing_parts, s.station, s.by, p.first_name, p.last_name, p.id_number, a.tag "
         "FROM event_scan s LEFT JOIN person p ON p.id = s.person_id "
         "LEFT JOIN asset a ON a.id = s.asset_id WHERE s.event_id = ? ORDER BY s.id DESC")
    if limit:
        q += f" LIMIT {int(limit)}"
    out: list[ScanRow] = []
    for (sid, at, code, verdict, agreement, cond, damage, missing, station, by, first, last, idn,
         tag) in _all(q, (event_id,)):
        out.append({"id": sid, "at": _as_dt(at), "code": code, "verdict": verdict,
                    "label": VERDICTS.get(verdict, (verdict,))[0], "agreement": agreement,
                    "condition": cond, "damage": _json_list(damage),
                    "missing": _json_list(missing), "station": station, "by": by,
                    "person": f"{first or ''} {last or ''}".strip() or None, "id_number": idn,
                    "tag": tag})
    return out


def students(event_id: int, search: str = "") -> list[StudentChoice]:
    """The students an event is for (to pick one without a card): id, name,
    ID number, grade, homeroom, whether they hold a device."""
    event = get(event_id)
    where, params = _scope_where(event)
    text = (search or "").strip().lower()
    if text:
        where += (" AND (LOWER(p.first_name) LIKE ? OR LOWER(p.last_name) LIKE ? "
                  "OR LOWER(p.id_number) LIKE ?)")
        params += [f"%{text}%"] * 3
    return [{"id": pid, "name": f"{first} {last}".strip(), "id_number": idn, "grade": grade,
             "homeroom": homeroom, "withdrawn": _withdrawn(enrolment, active)}
            for pid, first, last, idn, grade, homeroom, enrolment, active in _all(
                "SELECT p.id, p.first_name, p.last_name, p.id_number, p.grade, p.homeroom, "
                f"p.enrolment, p.active FROM person p WHERE {where} "
                "ORDER BY p.last_name, p.first_name, p.id LIMIT 500", params)]


def totals(event_id: int) -> EventTotals:
    """The few counts a scanning station shows after every scan (a handful
    of COUNT queries; ``status`` lists everyone)."""
    event = get(event_id)
    where, params = _scope_where(event)
    marks = ", ".join("?" for _ in DEVICE_KINDS)
    counts: dict[str, int] = dict(_all("SELECT verdict, COUNT(*) FROM event_scan "
                                       "WHERE event_id = ? GROUP BY verdict", (event.id,)))
    if event.kind == "distribution":
        # One pass over the school's students; each one's loans looked up by
        # the loan's person index, the device models known beforehand.
        models = [m for (m,) in _all(
            "SELECT m.id FROM hardware_model m JOIN category c ON c.id = m.category_id "
            f"WHERE c.kind IN ({marks})", DEVICE_KINDS)] or [0]
        held = ", ".join("?" for _ in models)
        students, not_yet = _one_row(
            "SELECT COUNT(*), SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM loan l JOIN asset a ON "
            "a.id = l.asset_id WHERE l.person_id = p.id AND l.returned_at IS NULL AND "
            f"a.model_id IN ({held})) THEN 1 ELSE 0 END) FROM person p WHERE {where} AND "
            "p.active = ? AND (p.enrolment IS NULL OR p.enrolment <> 'withdrawn')",
            (*models, *params, True))
        not_yet = int(not_yet or 0)
        received = sum(counts.get(v, 0) for v in LENT)
        return {"kind": event.kind, "students": students, "received": received,
                "refused": counts.get("lent_refused", 0), "not_yet": not_yet}
    out_where, out_params = _outstanding_where(event)
    outstanding = _one_row(
        "SELECT COUNT(*) FROM loan l JOIN asset a ON a.id = l.asset_id "
        "JOIN hardware_model m ON m.id = a.model_id JOIN category c ON c.id = m.category_id "
        f"JOIN person p ON p.id = l.person_id WHERE {out_where} AND c.kind IN ({marks}) "
        f"AND {where}", (*out_params, *DEVICE_KINDS, *params))[0]
    return {"kind": event.kind, "returned": sum(counts.get(v, 0) for v in RETURNED),
            "damaged": counts.get("returned_damaged", 0), "outstanding": outstanding}


def totals_text(event_id: int) -> str:
    t = totals(event_id)
    if t["kind"] == "distribution":
        return (f"{t['received']:,} received · {t['not_yet']:,} not yet of "
                f"{plural(t['students'], 'student')} · "
                f"{plural(t['refused'], 'family', 'families')} refused")
    return (f"{t['returned']:,} returned · {t['damaged']:,} damaged · "
            f"{t['outstanding']:,} outstanding")


def kit_part_names() -> list[str]:
    """Every kit part name in use (what a collection can mark missing)."""
    return [n for (n,) in _all("SELECT DISTINCT name FROM kit_part ORDER BY name")]


class ScopeChoices(TypedDict):
    grades: list[str]
    homerooms: list[str]


def scope_choices(site_id: int) -> ScopeChoices:
    """The grades and homerooms of a school's students (the new-event dialog's lists)."""
    rows = _all("SELECT DISTINCT grade, homeroom FROM person WHERE kind = 'student' AND "
                "site_id = ?", (site_id,))
    grades = sorted({g for g, _h in rows if g}, key=_grade_key)
    rooms = sorted({h for _g, h in rows if h}, key=str.lower)
    return {"grades": grades, "homerooms": rooms}


def students_by_id(ids: Iterable[int]) -> dict[int, str]:
    """"Name (ID number)" of each person id given."""
    out: dict[int, str] = {}
    for pid in ids:
        p = _person(pid)
        if p is not None:
            out[pid] = p["label"]
    return out
