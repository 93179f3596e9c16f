"""Students: a roster exported from the SIS (Aeries, PowerSchool, Synergy).

Each row is one student, matched by student ID (Person.id_number): a new ID
is a new student, a known one is updated — re-importing next month's export
is the normal use, so no ``--update`` is needed. The school must already be a
site (by name or code: Aeries and PowerSchool export a school number, which
is the site's code); a school nobody set up is a problem of the row, never a
site made on the way. Home language codes (CALPADS: 00 English, 01 Spanish…)
and names (Spanish, Español) become the letter language, en or es; another
language is kept as English, with a note. Siblings share a household: the
SIS's family id when it has one, otherwise one derived from the guardian and
the mailing address.

A *full* roster (``Preview.full``) is the whole of its schools' enrolment:
the students of those schools it leaves out are listed (``Preview.withdraw``)
and, when committing, marked withdrawn — they keep their devices and stay
active until the devices are back (the to-recover list).
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from app.importing import Problem
from app.importing.kinds.common import ServiceHandler, _Catalog, _date, _n
from app.services.errors import ValidationError
from app.services.fields import clean_text

if TYPE_CHECKING:
    from app.importing import Preview

# CALPADS home language codes, as Aeries and most California SIS export them.
LANGUAGE_CODES = {
    "00": "English", "01": "Spanish", "02": "Vietnamese", "03": "Cantonese", "04": "Korean",
    "05": "Filipino", "06": "Portuguese", "07": "Mandarin", "08": "Japanese", "09": "Khmer",
    "10": "Lao", "11": "Arabic", "12": "Armenian", "13": "Burmese", "15": "Dutch",
    "16": "Farsi", "17": "French", "18": "German", "19": "Greek", "21": "Hebrew",
    "22": "Hindi", "23": "Hmong", "27": "Italian", "28": "Punjabi", "29": "Russian",
    "30": "Samoan", "32": "Thai", "33": "Turkish", "35": "Urdu", "38": "Ukrainian",
    "99": "another language",
}
_SPANISH = {"es", "spa", "spanish", "espanol", "español", "castellano", "spanishcastilian"}
_ENGLISH = {"en", "eng", "english", "ingles", "inglés"}

# Enrolment status words and codes: PowerSchool's Enroll_Status (0 active,
# -1 pre-registered, 1 inactive, 2 transferred out, 3 graduated, 4 historical),
# Aeries's inactive status code (blank when active), plain words.
_ENROLLED = {"0", "-1", "a", "active", "enrolled", "enroled", "current", "yes", "y", "true",
             "preregistered", "prereg", "enrolling", "registered", "c"}
_WITHDRAWN = {"1", "2", "3", "4", "i", "inactive", "w", "withdrawn", "withdrew", "transferred",
              "transferredout", "graduated", "g", "no", "n", "false", "dropped", "left",
              "exited", "noshow", "t", "moved", "deceased", "x", "notenrolled"}

_GRADES = {"k": "K", "kn": "K", "kg": "K", "kinder": "K", "kindergarten": "K", "0": "K",
           "00": "K", "-1": "TK", "tk": "TK", "transitionalkindergarten": "TK", "-2": "PK",
           "pk": "PK", "p": "PK", "prek": "PK", "ps": "PK", "preschool": "PK", "13": "13",
           "14": "14", "ug": "UG", "ungraded": "UG"}

MAX_NAMED_NOTES = 20  # rows whose language is kept as English named one by one


def language_of(text: object) -> tuple[str, str | None]:
    """(en or es, the language's name when it is neither English nor Spanish)."""
    raw = str(text).strip()
    if raw.isdigit() and len(raw) <= 2:
        raw = raw.zfill(2)
        name = LANGUAGE_CODES.get(raw)
        if raw == "01":
            return "es", None
        if raw == "00":
            return "en", None
        return "en", name or f"language code {raw}"
    word = raw.lower()
    if word in _SPANISH or _n(word) in _SPANISH or _n(word).startswith(("spanish", "espa")):
        return "es", None
    if word in _ENGLISH or _n(word) in _ENGLISH or _n(word).startswith("english"):
        return "en", None
    return "en", raw


def enrolment_of(text: object) -> str:
    word = _n(text) if str(text).strip() not in ("-1",) else "-1"
    if word in _ENROLLED or str(text).strip().lower() in _ENROLLED:
        return "enrolled"
    if word in _WITHDRAWN or str(text).strip().lower() in _WITHDRAWN:
        return "withdrawn"
    raise ValidationError(f"“{text}” is not an enrolment status this import knows (active, "
                          "enrolled, inactive, withdrawn, transferred, graduated, or "
                          "PowerSchool's 0 / -1 / 1 / 2 / 3)", field="enrolment")


def grade_of(value: object) -> str:
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    key = _n(text) if not text.startswith("-") else text
    if key in _GRADES:
        return _GRADES[key]
    if text.isdigit():
        return str(int(text))
    return text


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a workbook's 990001.0 is the ID 990001
    return str(value).strip()


def household_of(guardian: str | None, address: str | None) -> str | None:
    """A household key siblings share when the SIS gives no family id: the
    guardian and the mailing address, compared loosely ("123 Main St." and
    "123 MAIN ST" are one address)."""
    key = _plain(guardian) + "|" + _plain(address)
    if key == "|":
        return None
    return "H-" + hashlib.sha1(key.encode()).hexdigest()[:10].upper()


# A new student's row (the bulk insert's columns, in order) and the values
# of the columns a row may leave out.
_NEW_COLUMNS = ("kind", "first_name", "last_name", "id_number", "email", "site_id", "language",
                "grade", "homeroom", "guardian_name", "guardian_email", "guardian_phone",
                "household", "address", "enrolment", "withdrawn_on")
_NEW_DEFAULTS = {"kind": "student", "first_name": "", "last_name": "", "language": "en"}


def _plain(text: object) -> str:
    """Loosely compared and without accents: "María García" is "Maria Garcia"."""
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return _n("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


class StudentHandler(ServiceHandler):
    noun, key_field = "student", "id_number"

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        self.update = True  # a known student ID is the same student, updated
        self.cat = _Catalog()
        self.in_file_ids: set[str] = set()  # every ID the file names, good row or bad
        self.file_sites: set[int] = set()
        self.other_languages: dict[str, int] = {}
        self.new_rows: list[tuple[Any, ...]] = []  # in _NEW_COLUMNS order
        self._known: dict[int, dict[str, Any]] | None = None

    def describe(self, v: dict[str, Any]) -> str:
        return v.get("id_number") or f"{v.get('first_name')} {v.get('last_name')}"

    def key_of(self, v: dict[str, Any]) -> tuple[str, str]:
        return ("id", v["id_number"].upper())

    def field_of(self, f: str) -> str:
        return {"site_id": "site", "address": "street"}.get(f, f)

    def check(self, row: int, rec: dict[str, Any]) -> list[Problem]:
        idn = rec.get("id_number") or rec.get("student_number")
        if idn not in (None, ""):
            self.in_file_ids.add(_text(idn).upper())
        problems = super().check(row, rec)
        values = rec.get("_values")
        if not problems and values:
            if values.get("site_id"):
                self.file_sites.add(values["site_id"])
            other = values.pop("_other_language", None)
            if other:
                self.other_languages[other] = self.other_languages.get(other, 0) + 1
        return problems

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        idn = rec.get("id_number") or rec.get("student_number")
        if idn in (None, ""):
            raise ValidationError("a student needs a student ID (Student ID, Perm ID or "
                                  "Student_Number)", field="id_number")
        first, last = rec.get("first_name"), rec.get("last_name")
        if not (first or last) and rec.get("full_name"):
            full = str(rec["full_name"])
            if "," in full:  # PowerSchool's LastFirst: "Garcia, Sofia"
                last, first = (x.strip() for x in full.split(",", 1))
            else:
                bits = full.split()
                first, last = " ".join(bits[:-1]), bits[-1]
        if not (first or last):
            raise ValidationError("a student needs a name", field="last_name")
        v: dict[str, Any] = {"kind": "student", "first_name": _text(first or ""),
                   "last_name": _text(last or "")}
        for key in ("homeroom", "guardian_name", "guardian_email", "guardian_phone", "email"):
            if rec.get(key) not in (None, ""):
                v[key] = _text(rec[key])
        if rec.get("grade") not in (None, ""):
            v["grade"] = grade_of(rec["grade"])
        street = rec.get("street")
        if street not in (None, ""):
            place = " ".join(_text(rec[k]) for k in ("state", "zip") if rec.get(k) not in (None, ""))
            city = _text(rec["city"]) if rec.get("city") not in (None, "") else ""
            last_line = ", ".join(x for x in (city, place) if x)
            v["address"] = _text(street) + (f"\n{last_line}" if last_line else "")
        lang = rec.get("correspondence_language")
        if lang in (None, ""):
            lang = rec.get("language")
        if lang not in (None, ""):
            v["language"], other = language_of(lang)
            if other:
                v["_other_language"] = other
        status = rec.get("enrolment")
        v["enrolment"] = enrolment_of(status) if status not in (None, "") else "enrolled"
        if v["enrolment"] == "withdrawn" and rec.get("withdrawn_on") not in (None, ""):
            v["withdrawn_on"] = _date(rec["withdrawn_on"], "withdrawn_on")
        if rec.get("household") not in (None, ""):
            v["household"] = _text(rec["household"])
        else:
            derived = household_of(v.get("guardian_name"), v.get("address"))
            if derived:
                v["household"] = derived
        if rec.get("site") not in (None, ""):
            site = _text(rec["site"])
            sid = self.cat.sites.get(_n(site))
            if sid is None:
                raise ValidationError(f"no site is named or coded “{site}”: add the school "
                                      "under Locations (give it that name or code) and import "
                                      "again — an import never makes a school", field="site")
            v["site_id"] = sid
        # The people service's own rules, checked here so the preview names them.
        from app.services import people
        v_id = _text(idn)
        cleaned = people._clean({k: x for k, x in v.items() if not k.startswith("_")})
        cleaned["id_number"] = clean_text(v_id, "id_number", 100)
        if "_other_language" in v:
            cleaned["_other_language"] = v["_other_language"]
        existing = self.cat.people.get(("id", cleaned["id_number"].upper()))
        return cleaned, existing

    def save(self, v: dict[str, Any], existing: int | None) -> None:
        """A known student: the people service updates what changed (next
        month's roster mostly changes nothing, and then nothing is written).
        A new one (checked above with the service's own rules) waits for
        the bulk insert at the end, with its history, as the asset import does."""
        from app.services import people
        if existing:
            current = self._current().get(existing)
            changed = {k: x for k, x in v.items() if current is None or current.get(k) != x}
            if changed:
                people.update(existing, changed, by=self.by)
            return
        row = people._enrolment_dates(dict(v))
        self.new_rows.append(tuple(row.get(c, _NEW_DEFAULTS.get(c)) for c in _NEW_COLUMNS))
        # Known from here on (the file's own repeats are refused by key_of).
        self.cat.people[("id", row["id_number"].upper())] = -1

    def _insert_new(self) -> None:
        """The new students in one bulk insert, then their history."""
        from app.models.common import utcnow
        from app.services import history
        from app.services.base import who
        from app.store.bulk import insert_rows
        from app.store.db import db
        now = utcnow()
        insert_rows("person", (*_NEW_COLUMNS, "active", "created_at", "updated_at", "version"),
                    (row + (True, now, now, 1) for row in self.new_rows))
        wanted = {row[_NEW_COLUMNS.index("id_number")].upper() for row in self.new_rows}
        ids = [(pid, f"{first} {last}".strip()) for pid, idn, first, last in db.execute_sql(
            "SELECT id, id_number, first_name, last_name FROM person "
            "WHERE id_number IS NOT NULL").fetchall() if idn.upper() in wanted]
        user = who(self.by)
        insert_rows("history_entry", ("entity", "entity_id", "action", "new", "who", "at",
                                      "effective", "note"),
                    (("person", pid, "create", name, user, now, history.local_day(now),
                      f"imported from {self.p.path.name}") for pid, name in ids))

    _CURRENT = ("kind", "first_name", "last_name", "id_number", "email", "site_id", "language",
                "grade", "homeroom", "guardian_name", "guardian_email", "guardian_phone",
                "household", "address", "enrolment", "withdrawn_on")

    def _current(self) -> dict[int, dict[str, Any]]:
        """Every person with an ID number as stored, read once (building a
        query per row costs more than the row's own work)."""
        if self._known is None:
            from app.models import Person
            cols = [getattr(Person, "site" if k == "site_id" else k) for k in self._CURRENT]
            self._known = {row[0]: dict(zip(self._CURRENT, row[1:])) for row in
                           Person.select(Person.id, *cols)
                           .where(Person.id_number.is_null(False)).tuples().iterator()}
        return self._known

    def finish(self) -> None:
        self._note_languages()
        if self.writing and self.new_rows:
            self._insert_new()
        if self.p.full:
            self._withdraw_missing()

    def _note_languages(self) -> None:
        for name, n in sorted(self.other_languages.items()):
            self.p.warnings.append(Problem(0, "", f"{n:,} student{'s' if n != 1 else ''} with "
                                           f"{name} as home language: letters go in English "
                                           "(the languages letters are written in are English "
                                           "and Spanish)"))

    def _withdraw_missing(self) -> None:
        """The students of the file's schools it leaves out: listed, and
        withdrawn when writing."""
        import peewee as pw

        from app.models import Person, Site
        from app.services import people
        from app.store.db import rows
        q = (Person.select(Person.id, Person.id_number, Person.first_name, Person.last_name,
                           Person.grade, Site.name)
             .join_from(Person, Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
             .where((Person.kind == "student") & Person.id_number.is_null(False)
                    & ((Person.enrolment != "withdrawn") | Person.enrolment.is_null())))
        if self.file_sites:
            q = q.where(Person.site.in_(list(self.file_sites)))
        missing = [r for r in rows(q) if r[1].upper() not in self.in_file_ids]
        held = people._devices_held([r[0] for r in missing]) if missing else {}
        self.p.withdraw = sorted(
            ((r[1], f"{r[3]}, {r[2]}".strip(", "), r[5] or "", r[4] or "", held.get(r[0], 0))
             for r in missing), key=lambda w: (w[2], w[1].lower()))
        if self.writing:
            if missing:
                people.withdraw([r[0] for r in missing], by=self.by)
            people.settle_withdrawn(by=self.by)
