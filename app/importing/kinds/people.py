"""People: through the people service, new ones on a lean insert path."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.importing.kinds.common import ServiceHandler, _Catalog, _n, _person_kind
from app.services.base import who
from app.services.errors import ValidationError
from app.services.fields import clean_text, parse_bool

if TYPE_CHECKING:
    from app.importing import Preview


class PeopleHandler(ServiceHandler):
    noun, key_field = "person", "id_number"

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        self.cat = _Catalog()
        self.seen: set[str] = set()
        self.created: list[tuple[int, str]] = []

    def describe(self, v: dict[str, Any]) -> str:
        return v.get("id_number") or v.get("email") or f"{v.get('first_name')} {v.get('last_name')}"

    def key_of(self, v: dict[str, Any]) -> tuple[str, str] | None:
        if v.get("id_number"):
            return ("id", v["id_number"].upper())
        return ("email", v["email"].lower()) if v.get("email") else None

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        first, last = rec.get("first_name"), rec.get("last_name")
        if not (first or last) and rec.get("full_name"):
            full = str(rec["full_name"])
            if "," in full:
                last, first = (x.strip() for x in full.split(",", 1))
            else:
                bits = full.split()
                first, last = " ".join(bits[:-1]), bits[-1]
        if not (first or last):
            raise ValidationError("a person needs a name", field="first_name")
        v: dict[str, Any] = {"first_name": str(first or ""), "last_name": str(last or "")}
        idn = rec.get("id_number") or rec.get("username")
        if idn:
            v["id_number"] = str(idn)
        if rec.get("email"):
            v["email"] = str(rec["email"])
        if rec.get("phone"):
            v["phone"] = str(rec["phone"])
        # No kind column: a grade means a student.
        v["kind"] = _person_kind(rec.get("kind")) or ("student" if rec.get("grade") else "staff")
        if rec.get("language"):
            lang = _n(rec["language"])
            v["language"] = "es" if lang.startswith(("es", "sp")) else "en"
        if "active" in rec:
            v["active"] = bool(parse_bool(rec["active"], "active"))
        if rec.get("grade"):
            v["grade"] = str(rec["grade"])
        if rec.get("notes"):
            v["notes"] = str(rec["notes"])
        if rec.get("site"):
            v["_site"] = str(rec["site"])
            if _n(rec["site"]) not in self.cat.sites:
                self.plan("sites", str(rec["site"]))
        existing = None
        if v.get("id_number"):
            key = v["id_number"].upper()
            if key in self.seen:
                raise ValidationError(f"the ID number {v['id_number']} appears twice in this file",
                                      field="id_number")
            self.seen.add(key)
            existing = self.cat.people.get(("id", key))
        if existing is None and v.get("email"):
            existing = self.cat.people.get(("email", v["email"].lower()))
        # The people service's own rules, checked here so the preview names
        # every problem (the ID number's uniqueness is known from the caches).
        from app.services import people
        cleaned = people._clean({k: x for k, x in v.items()
                                 if not k.startswith("_") and k != "id_number"})
        if v.get("id_number"):
            cleaned["id_number"] = clean_text(v["id_number"], "id_number", 100)
        if v.get("_site"):
            cleaned["_site"] = v["_site"]
        return cleaned, existing

    def save(self, v: dict[str, Any], existing: int | None) -> None:
        from app.services import people
        v = dict(v)
        site = v.pop("_site", None)
        if site:
            v["site_id"] = self.cat.ensure("sites", site)
        if existing:
            people.update(existing, v, by=self.by)
            return
        # New people on the lean path: one INSERT each (checked above), their
        # history written in one batch at the end.
        from app.models import Person
        v["site"] = v.pop("site_id", None)
        pid = Person.insert(**v).execute()
        self.created.append((pid, f"{v.get('first_name', '')} {v.get('last_name', '')}".strip()))
        if v.get("id_number"):
            self.cat.people[("id", v["id_number"].upper())] = pid

    def finish(self) -> None:
        if not (self.writing and self.created):
            return
        from app.models.common import utcnow
        from app.store.bulk import insert_rows
        user, now = who(self.by), utcnow()
        insert_rows("history_entry", ("entity", "entity_id", "action", "new", "who", "at", "note"),
                    (("person", pid, "create", name, user, now, f"imported from {self.p.path.name}")
                     for pid, name in self.created))


