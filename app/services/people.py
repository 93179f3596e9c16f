"""Staff, students and families: the people who hold devices."""
from __future__ import annotations

import re

import peewee as pw

from app.models import Asset, Loan, Person
from app.models.common import LANGUAGES, PERSON_KINDS, utcnow
from app.services import history
from app.services.base import locked, writes
from app.services.errors import Conflict, NotFound, StaleEdit, ValidationError
from app.services.fields import clean_text
from app.store import search
from app.wording import plural

FIELDS = ("kind", "first_name", "last_name", "id_number", "email", "phone", "site_id",
          "language", "active", "grade", "notes")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean(values: dict, person_id: int | None = None) -> dict:
    out = {}
    errors = {}
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
            elif key == "email":
                value = clean_text(value, key)
                if value and not _EMAIL.match(value):
                    raise ValidationError(f"“{value}” is not an email address.", field=key)
            elif key in ("first_name", "last_name"):
                value = clean_text(value, key, 100) or ""
            elif key == "notes":
                value = clean_text(value, key, 10_000)
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
def create(by: str | None = None, **values) -> Person:
    values = _clean(values)
    if not (values.get("first_name") or values.get("last_name")):
        raise ValidationError("A person needs a name.", field="last_name")
    site = values.pop("site_id", None)
    person = Person.create(site=site, **values)
    history.record("person", person.id, "create", new=person.full_name, by=by)
    return person


@writes
def update(person_id: int, changes: dict, expected_version: int | None = None,
           by: str | None = None) -> Person:
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    if expected_version is not None and person.version != expected_version:
        raise StaleEdit(f"{person.full_name} was changed by someone else meanwhile.",
                        current={f: getattr(person, f) for f in FIELDS}, mine=changes)
    values = _clean(changes, person_id)
    diff = {}
    for key, new in values.items():
        old = getattr(person, key)
        if old != new:
            diff[key] = (old, new)
    if not diff:
        return person
    upd = {("site" if k == "site_id" else k): v for k, (_, v) in diff.items()}
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
    person = locked(Person.select().where(Person.id == person_id)).first()
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    held = Asset.select().where(Asset.assigned_person == person).count()
    if held:
        raise Conflict(f"{person.full_name} still has {plural(held, 'asset')}; check them in first.")
    Person.update(active=False, version=person.version + 1).where(Person.id == person.id).execute()
    history.record("person", person.id, "update", field="active", old=True, new=False, by=by)
    return Person.get_by_id(person.id)


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


def holdings(person_id: int) -> list[dict]:
    """What a person has now."""
    return list(Asset.select(Asset.id, Asset.tag, Asset.name, Asset.status, Asset.serial,
                             Asset.loaner)
                .where(Asset.assigned_person == person_id).order_by(Asset.tag).dicts())


def loan_history(person_id: int) -> list[dict]:
    return list(Loan.select(Loan.id, Asset.tag, Asset.name, Loan.out_at, Loan.due,
                            Loan.returned_at, Loan.condition_out, Loan.condition_in)
                .join(Asset).where(Loan.person == person_id)
                .order_by(Loan.out_at.desc()).dicts())
