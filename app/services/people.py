"""Staff, students and families: the people who hold devices."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, cast

import peewee as pw

from app.models import Asset, Loan, Person
from app.models.common import LANGUAGES, PERSON_KINDS, utcnow
from app.services import history
from app.services.base import fetch, locked, writes
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from app.services.fields import clean_text, parse_date
from app.store import search
from app.wording import plural
from app.store.db import dict_rows, rows as query_rows

FIELDS = ("kind", "first_name", "last_name", "id_number", "email", "phone", "site_id",
          "language", "active", "grade", "notes",
          # students, from the SIS roster (schema step 11)
          "homeroom", "guardian_name", "guardian_email", "guardian_phone", "household",
          "address", "enrolment", "withdrawn_on")
ENROLMENTS = {"enrolled": "Enrolled", "withdrawn": "Withdrawn"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# What the editor, the import and the CLI give: field name -> value as typed.
Values = dict[str, Any]


def _clean(values: Mapping[str, Any], person_id: int | None = None) -> Values:
    out: Values = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ValidationError(f"Unknown person field {key!r}.")
        try:
            if key == "kind":
                if value not in PERSON_KINDS:
                    raise ValidationError("A person is staff, student or family.", field=key)
            elif key == "language":
                value = (value or "en").lower()[:2]
                if value not in LANGUAGES:
                    raise ValidationError("Language is en (English) or es (Spanish).", field=key)
            elif key == "active":
                value = bool(value)
            elif key == "site_id":
                value = value or None
            elif key in ("email", "guardian_email"):
                value = clean_text(value, key)
                if value and not _EMAIL.match(value):
                    raise ValidationError(f"“{value}” is not an email address.", field=key)
            elif key in ("first_name", "last_name"):
                value = clean_text(value, key, 100) or ""
            elif key == "notes":
                value = clean_text(value, key, 10_000)
            elif key == "address":
                value = clean_text(value, key, 1_000)
            elif key == "enrolment":
                value = (str(value).strip().lower() or None) if value is not None else None
                if value is not None and value not in ENROLMENTS:
                    raise ValidationError("Enrolment is enrolled or withdrawn.", field=key)
            elif key == "withdrawn_on":
                value = parse_date(value, key) if value not in (None, "") else None
            else:
                value = clean_text(value, key, 100)
            if key == "id_number" and value:
                q = Person.select().where(pw.fn.UPPER(Person.id_number) == value.upper())
                if person_id:
                    q = q.where(Person.id != person_id)
                if q.exists():
                    raise ValidationError(f"ID number {value} belongs to someone else.", field=key)
        except ValidationError as err:
            errors[key] = str(err)
            continue
        out[key] = value
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first, field=next(iter(errors)), errors=errors)
    return out


@writes
def create(by: str | None = None, **values: Any) -> Person:
    values = _enrolment_dates(_clean(values))
    if not (values.get("first_name") or values.get("last_name")):
        raise ValidationError("A person needs a name.", field="last_name")
    site = values.pop("site_id", None)
    person = Person.create(site=site, **values)
    history.record("person", person.id, "create", new=person.full_name, by=by)
    return person


@writes
def update(person_id: int, changes: Mapping[str, Any], expected_version: int | None = None,
           by: str | None = None) -> Person:
    person = get(person_id)
    if expected_version is not None and person.version != expected_version:
        raise StaleEdit(f"{person.full_name} was changed by someone else meanwhile.",
                        current={f: getattr(person, f) for f in FIELDS}, mine=dict(changes))
    values = _enrolment_dates(_clean(changes, person_id), person)
    diff: dict[str, tuple[object, object]] = {}
    for key, new in values.items():
        old = getattr(person, key)
        if old != new:
            diff[key] = (old, new)
    if not diff:
        return person
    upd: dict[str, object] = {("site" if k == "site_id" else k): v for k, (_, v) in diff.items()}
    upd.update(version=person.version + 1, updated_at=utcnow())
    n = Person.update(**upd).where((Person.id == person.id) & (Person.version == person.version)).execute()
    if n != 1:
        raise StaleEdit(f"{person.full_name} was changed by someone else meanwhile.")
    history.record_changes("person", person.id, diff, by=by)
    if {"first_name", "last_name", "id_number"} & diff.keys():
        search.refresh_where("assigned_person_id", person.id)
    return Person.get_by_id(person.id)


@writes
def deactivate(person_id: int, by: str | None = None) -> Person:
    """A person leaves: they stay in history, but no longer appear for new loans."""
    # Locked: a check-out to them (which shares this lock) waits, or is refused after.
    person = locked(Person.select().where(Person.id == person_id)).get_or_none()
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    held = Asset.select().where(Asset.assigned_person == person).count()
    if held:
        raise Conflict(f"{person.full_name} still has {plural(held, 'asset')}; check them in first.")
    Person.update(active=False, version=person.version + 1).where(Person.id == person.id).execute()
    history.record("person", person.id, "update", field="active", old=True, new=False, by=by)
    return Person.get_by_id(person.id)


def get(person_id: int) -> Person:
    return fetch(Person, person_id, "No person with id {id}.")


def find(text: str) -> Person | None:
    """A person by ID number, email, or exact "First Last" (unique)."""
    text = (text or "").strip()
    if not text:
        return None
    p = Person.get_or_none(pw.fn.UPPER(Person.id_number) == text.upper())
    if p:
        return p
    if "@" in text:
        p = Person.get_or_none(pw.fn.LOWER(Person.email) == text.lower())
        if p:
            return p
    parts = text.split()
    if len(parts) >= 2:
        q = Person.select().where((pw.fn.LOWER(Person.first_name) == " ".join(parts[:-1]).lower())
                                  & (pw.fn.LOWER(Person.last_name) == parts[-1].lower())).limit(2)
        found = list(q)
        if len(found) == 1:
            return found[0]
    return None


class Holding(TypedDict):
    """A device a person holds now (the People page, `find`)."""

    id: int
    tag: str
    name: str | None
    status: str
    serial: str | None
    loaner: bool


class PastLoan(TypedDict):
    """One loan of a person's, newest first (the People page)."""

    id: int
    tag: str
    name: str | None
    out_at: dt.datetime
    due: dt.date | None
    returned_at: dt.datetime | None
    condition_out: str | None
    condition_in: str | None


def holdings(person_id: int) -> list[Holding]:
    """What a person has now."""
    # The keys of these rows are the columns selected.
    return cast("list[Holding]", list(dict_rows(Asset.select(Asset.id, Asset.tag, Asset.name, Asset.status, Asset.serial,
                             Asset.loaner)
                .where(Asset.assigned_person == person_id).order_by(Asset.tag))))


def loan_history(person_id: int) -> list[PastLoan]:
    return cast("list[PastLoan]", list(dict_rows(Loan.select(Loan.id, Asset.tag, Asset.name, Loan.out_at, Loan.due,
                            Loan.returned_at, Loan.condition_out, Loan.condition_in)
                .join(Asset).where(Loan.person == person_id)
                .order_by(Loan.out_at.desc()))))


def _enrolment_dates(values: Values, person: Person | None = None) -> Values:
    """A student marked withdrawn is withdrawn from today unless a day is
    given; one enrolled again has no withdrawal day."""
    if "enrolment" not in values:
        return values
    if values["enrolment"] == "withdrawn":
        if not values.get("withdrawn_on"):
            before = person.withdrawn_on if person is not None and person.enrolment == "withdrawn" else None
            values["withdrawn_on"] = before or dt.date.today()
    else:
        values["withdrawn_on"] = None
    return values


def _devices_held(person_ids: list[int] | pw.SelectQuery) -> dict[int, int]:
    """person id → how many devices they hold (assigned to them, or out on
    an open loan to them), for the people given (a list or a subquery)."""
    held: dict[int, set[int]] = {}
    for pid, aid in (query_rows(Asset.select(Asset.assigned_person, Asset.id)
                     .where(Asset.assigned_person.in_(person_ids)))):
        held.setdefault(pid, set()).add(aid)
    for pid, aid in (query_rows(Loan.select(Loan.person, Loan.asset)
                     .where(Loan.person.in_(person_ids) & Loan.returned_at.is_null()))):
        held.setdefault(pid, set()).add(aid)
    return {pid: len(a) for pid, a in held.items()}


def withdrawn_holding() -> pw.ModelSelect[Person]:
    """A query of the ids of withdrawn students who still hold a device (the
    to-recover list, the People page's "Withdrawn with devices" filter)."""
    holders = (Asset.select(Asset.assigned_person).where(Asset.assigned_person.is_null(False))
               | Loan.select(Loan.person).where(Loan.returned_at.is_null() & Loan.person.is_null(False)))
    return (Person.select(Person.id)
            .where((Person.enrolment == "withdrawn") & Person.id.in_(holders)))


@writes
def withdraw(person_ids: Iterable[int], on: dt.date | None = None, by: str | None = None) -> int:
    """Students leave the district: enrolment withdrawn from ``on`` (today).
    One who still holds a device stays active (a check-in from them is a
    device to recover); one who holds nothing is made inactive as well.
    Returns how many were changed."""
    on = on or dt.date.today()
    ids = list(person_ids)
    rows = list(locked(Person.select(Person.id, Person.enrolment, Person.active, Person.version)
                       .where(Person.id.in_(ids) & ((Person.enrolment != "withdrawn")
                                                    | Person.enrolment.is_null()))))
    held = _devices_held([p.id for p in rows]) if rows else {}
    for p in rows:
        active = p.active and bool(held.get(p.id))
        Person.update(enrolment="withdrawn", withdrawn_on=on, active=active,
                      version=p.version + 1, updated_at=utcnow()).where(Person.id == p.id).execute()
        history.record("person", p.id, "update", field="enrolment", old=p.enrolment,
                       new="withdrawn", note=f"withdrawn on {on.isoformat()}", by=by)
        if active != p.active:
            history.record("person", p.id, "update", field="active", old=p.active, new=active,
                           note="withdrawn, holding nothing", by=by)
    return len(rows)


@writes
def settle_withdrawn(by: str | None = None) -> int:
    """Withdrawn students still active whose devices are all back: made
    inactive (a whole-roster import does this each time). Returns how many."""
    q = (Person.select(Person.id, Person.version)
         .where((Person.enrolment == "withdrawn") & (Person.active == True)  # noqa: E712
                & Person.id.not_in(withdrawn_holding())))
    done = 0
    for p in locked(q):
        Person.update(active=False, version=p.version + 1, updated_at=utcnow()) \
            .where(Person.id == p.id).execute()
        history.record("person", p.id, "update", field="active", old=True, new=False,
                       note="withdrawn, every device back", by=by)
        done += 1
    return done


class ToRecover(TypedDict):
    """A device a withdrawn student still holds, with whom to ask for it."""

    person_id: int
    id_number: str | None
    name: str
    grade: str | None
    homeroom: str | None
    site: str | None
    withdrawn_on: dt.date | None
    guardian: str | None
    phone: str | None
    email: str | None
    household: str | None
    language: str
    tag: str
    device: str
    serial: str | None
    out_at: dt.datetime | None


def to_recover(site_id: int | None = None) -> list[ToRecover]:
    """Devices withdrawn students still hold, one row per device: the student
    (ID number, name, grade, homeroom, school, withdrawn on, guardian and
    phone) and the device (tag, name or model, serial, out since)."""
    from app.models import HardwareModel, Site
    students = (Person.select(Person.id, Person.id_number, Person.first_name, Person.last_name,
                              Person.grade, Person.homeroom, Person.withdrawn_on,
                              Person.guardian_name, Person.guardian_phone, Person.guardian_email,
                              Person.household, Person.language, Site.name.alias("site"))
                .join_from(Person, Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
                .where(Person.id.in_(withdrawn_holding())))
    if site_id:
        students = students.where(Person.site == site_id)
    people = {r["id"]: r for r in dict_rows(students)}
    if not people:
        return []
    devices: dict[tuple[int, int], dict[str, Any]] = {}
    base = (Asset.select(Asset.id, Asset.tag, Asset.name, Asset.serial, Asset.assigned_person,
                         HardwareModel.name.alias("model"))
            .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id)))
    for a in dict_rows(base.where(Asset.assigned_person.in_(list(people)))):
        devices[(a["assigned_person"], a["id"])] = {**a, "out_at": None}
    loans = (query_rows(Loan.select(Loan.person, Loan.asset, Loan.out_at)
             .where(Loan.person.in_(list(people)) & Loan.returned_at.is_null())))
    missing: list[tuple[int, int, dt.datetime]] = []
    for pid, aid, out_at in loans:
        if (pid, aid) in devices:
            devices[(pid, aid)]["out_at"] = out_at
        else:
            missing.append((pid, aid, out_at))
    if missing:
        found = {a["id"]: a for a in dict_rows(base.where(Asset.id.in_([m[1] for m in missing])))}
        for pid, aid, out_at in missing:
            devices[(pid, aid)] = {**found[aid], "out_at": out_at}
    out: list[ToRecover] = []
    for (pid, _aid), a in devices.items():
        p = people[pid]
        out.append({"person_id": pid, "id_number": p["id_number"],
                    "name": f"{p['last_name']}, {p['first_name']}".strip(", "),
                    "grade": p["grade"], "homeroom": p["homeroom"], "site": p["site"],
                    "withdrawn_on": p["withdrawn_on"], "guardian": p["guardian_name"],
                    "phone": p["guardian_phone"], "email": p["guardian_email"],
                    "household": p["household"], "language": p["language"],
                    "tag": a["tag"], "device": a["model"] or a["name"] or "",
                    "serial": a["serial"], "out_at": a["out_at"]})
    out.sort(key=lambda r: (r["site"] or "", r["name"].lower(), r["tag"]))
    return out
