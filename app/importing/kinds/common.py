"""What every kind's import handler shares: the Handler protocol, the name →
id caches over the register (sites, rooms, models, people…), loose name
comparison and status words, and the ServiceHandler the smaller kinds build on."""
from __future__ import annotations

import abc
import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from app.importing import Preview, Problem, column_of
from app.services import catalog, validation
from app.services.errors import DomainError, ValidationError
from app.store.db import rows

if TYPE_CHECKING:
    from app.models import Manufacturer, Supplier

# A row as the import reads it: field → the cell's value (text, number, date…),
# plus the handler's own entries ("_columns", "_values", "_existing").
Record = dict[str, Any]

STATUS_WORDS = {
    "ready": "ready", "readytodeploy": "ready", "available": "ready", "instock": "ready",
    "spare": "ready", "deployable": "ready", "new": "ready", "active": "deployed",
    "deployed": "deployed", "inuse": "deployed", "assigned": "deployed", "checkedout": "deployed",
    "pending": "pending", "ordered": "pending", "onorder": "pending",
    "inrepair": "in_repair", "outforrepair": "in_repair", "broken": "in_repair", "repair": "in_repair",
    "missing": "missing", "lost": "missing", "stolen": "missing", "loststolen": "missing",
    "retired": "retired", "archived": "retired", "undeployable": "retired", "eol": "retired",
    "disposed": "disposed", "recycled": "disposed", "sold": "disposed", "surplus": "disposed",
}


def status_of(text: object) -> str | None:
    """Our status for another system's label: exact words first, then keywords."""
    word = _n(text)
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    # Google Admin's DEPROVISIONED: taken out of management, out of service here.
    for key, status in (("deprovision", "retired"), ("repair", "in_repair"), ("diagnos", "in_repair"), ("broken", "in_repair"),
                        ("pend", "pending"), ("order", "pending"), ("deploy", "deployed"),
                        ("lost", "missing"), ("stolen", "missing"), ("missing", "missing"),
                        ("dispos", "disposed"), ("recycl", "disposed"), ("retire", "retired"),
                        ("archiv", "retired"), ("ready", "ready"), ("stock", "ready")):
        if key in word:
            return status
    return None


_NOT_ALNUM = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=65536)
def _n(text: object) -> str:
    """A name compared loosely: lower case, letters and digits only (cached:
    100,000 rows name the same few hundred sites, rooms and models)."""
    return _NOT_ALNUM.sub("", str(text or "").lower())


def _date(value: object, field: str) -> dt.date | None:
    """The record's date rule (validation.date), with a fast path for the ISO
    dates exports are full of."""
    if type(value) is str and len(value) == 10 and value[4] == "-":
        try:
            d = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if validation.FIRST_DAY <= d <= validation.LAST_DAY:
                return d
    return validation.date(value, field)


class Handler(abc.ABC):
    """Used as ``with Handler(...) as h:`` — leaving normally finishes the
    writes; leaving by an exception (refused, cancelled) abandons them, and
    the import's transaction rolls everything back."""

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None):
        self.p, self.update, self.writing, self.by = preview, update, write, by
        self.pending: list[tuple[str, str]] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc_type is None:
            self.finish()
        else:
            self.abandon(exc_type, exc, tb)
        return False

    @abc.abstractmethod
    def check(self, row: int, rec: Record) -> list[Problem]:
        """The row's problems ([] when it is good); notes what it would create."""

    @abc.abstractmethod
    def write(self, row: int, rec: Record) -> list[Problem] | None:
        """Write a checked row; the problems when the service refuses it."""

    def abandon(self, exc_type: type[BaseException] | None,  # noqa: B027 (a hook; most kinds hold nothing)
                exc: BaseException | None, tb: TracebackType | None) -> None:
        pass

    def plan(self, what: str, name: str) -> None:
        """Note a catalog entry this row would create (kept only if the row is good)."""
        self.pending.append((what, name))

    def keep_plans(self, keep: bool) -> None:
        if keep:
            for what, name in self.pending:
                names = self.p.new_entries.setdefault(what, set())
                if what == "people":
                    # Each plan is a person of its own (found again by their keys,
                    # not their name): counted, and the first few named.
                    self.p.new_counts["people"] = self.p.new_counts.get("people", 0) + 1
                    if len(names) >= LISTED:
                        continue
                names.add(name)
        self.pending = []

    def finish(self) -> None:  # noqa: B027 (a hook: the kinds that batch their writes flush here)
        pass


AMBIGUOUS = 0  # a name more than one person has
LISTED = 1000  # new people a preview names (all are counted)


@functools.lru_cache(maxsize=1)
def _person_text() -> Callable[[str | None, str | None], str]:
    from app.store.search import person_text
    return person_text


class _Catalog:
    """Name → id caches over sites, rooms, models, categories, makers,
    suppliers and people, so 100,000 rows cost a dictionary lookup each."""

    def __init__(self) -> None:
        from app.models import (
            Category,
            HardwareModel,
            Location,
            Manufacturer,
            Person,
            Site,
            Supplier,
        )
        self.sites: dict[str, int] = {}
        for i, name, code in rows(Site.select(Site.id, Site.name, Site.code)):
            self.sites[_n(name)] = i
            if code:
                self.sites.setdefault(_n(code), i)
        # (site id, room name) → room id; a room not made yet has a stand-in id below 0.
        self.rooms: dict[tuple[int, str], int] = {
            (s, _n(name)): i for i, s, name in
            rows(Location.select(Location.id, Location.site, Location.name))}
        self.makers: dict[str, int] = {
            _n(n): i for i, n in rows(Manufacturer.select(Manufacturer.id, Manufacturer.name))}
        self.categories: dict[str, int] = {
            _n(n): i for i, n in rows(Category.select(Category.id, Category.name))}
        self.models: dict[tuple[int | None, str], int] = {}  # (maker id, name) → model id
        for i, name, maker, _cat in rows(HardwareModel.select(HardwareModel.id, HardwareModel.name,
                                                             HardwareModel.manufacturer,
                                                             HardwareModel.category)):
            self.models[(maker, _n(name))] = i
            self.models.setdefault((None, _n(name)), i)
        self.suppliers: dict[str, int] = {
            _n(n): i for i, n in rows(Supplier.select(Supplier.id, Supplier.name))}
        # ("id", ID number), ("email", address), ("user", sign-in name) → person id;
        # ("name", name) → person id, or AMBIGUOUS when two people share the name.
        self.people: dict[tuple[str, str], int] = {}
        self.names: dict[int, tuple[str, str | None]] = {}  # id → (full name, ID number) for search text
        for i, first, last, email, idn in rows(Person.select(Person.id, Person.first_name,
                                                             Person.last_name, Person.email,
                                                             Person.id_number)):
            self.add_person(i, first, last, email, idn)

    def add_person(self, pid: int, first: str | None, last: str | None, email: str | None,
                   idn: str | None) -> None:
        self.names[pid] = (_person_text()(first, last), idn)
        if idn:
            self.people[("id", idn.upper())] = pid
        if email:
            self.people[("email", email.lower())] = pid
            self.people.setdefault(("user", email.split("@")[0].lower()), pid)
        key = ("name", _n(f"{first or ''}{last or ''}"))
        if key[1]:
            self.people[key] = pid if self.people.get(key, pid) == pid else AMBIGUOUS

    def find_person(self, idn: object = None, email: object = None, user: object = None,
                    first: object = None, last: object = None) -> tuple[int | None, str | None]:
        """(person id, how) — by ID number, then email, then sign-in name, then the
        name when one person has it; (AMBIGUOUS, "name") when several do; (None, None)."""
        c = self.people
        if idn and ("id", str(idn).upper()) in c:
            return c[("id", str(idn).upper())], "ID number"
        if email and ("email", str(email).lower()) in c:
            return c[("email", str(email).lower())], "email"
        if user and ("user", str(user).lower()) in c:
            return c[("user", str(user).lower())], "username"
        if user and ("id", str(user).upper()) in c:  # a people import keeps the username as ID
            return c[("id", str(user).upper())], "username"
        if first or last:
            found = c.get(("name", _n(f"{first or ''}{last or ''}")))
            if found is not None:
                if idn and (found == AMBIGUOUS or self.names.get(found, (0, None))[1]):
                    return None, None  # namesakes with other ID numbers: this is someone else
                return found, "name"
        return None, None

    _MAKE: dict[str, Callable[[str], int]] = {
        "sites": lambda name: catalog.ensure_site(name).id,
        "suppliers": lambda name: _made(catalog.ensure_supplier(name), "supplier", name),
        "makers": lambda name: _made(catalog.ensure_manufacturer(name), "manufacturer", name),
        "categories": lambda name: catalog.ensure_category(name).id}

    def ensure(self, table: str, name: str, before_write: Callable[[], None] | None = None) -> int:
        """The id of the site, supplier, maker or category called ``name``,
        made (and cached) when new; ``before_write`` runs first when it is."""
        cache: dict[str, int] = getattr(self, table)
        found = cache.get(_n(name))
        if found is None:
            if before_write is not None:
                before_write()
            found = cache[_n(name)] = self._MAKE[table](name)
        return found


def _made(entry: Supplier | Manufacturer | None, what: str, name: str) -> int:
    """The id of a supplier or maker just ensured (None only for a name that
    cleans to nothing, which an import never passes)."""
    if entry is None:
        raise ValidationError(f"A {what} needs a name (not “{name}”).", what)
    return entry.id


def _person_kind(text: object) -> str | None:
    word = _n(text)
    if not word:
        return None
    if word.startswith(("stud", "pupil", "learner")):
        return "student"
    if word.startswith(("fam", "parent", "guard")):
        return "family"
    return "staff"


def _holder_text(rec: Record) -> str:
    """What the file says about who holds the row's asset."""
    parts = [str(rec[k]) for k in ("holder_name", "holder_first", "holder_last", "holder_email",
                                   "holder_username", "holder_id") if rec.get(k) not in (None, "")]
    return " · ".join(parts)


def _name_from_email(email: str) -> tuple[str, str]:
    """A name to file a person under when a sheet gives only their address:
    maria.garcia@… is María… Garcia as far as we can tell (Maria, Garcia);
    jdoe@… is just jdoe (the people import can name them properly later)."""
    local = email.split("@", 1)[0].strip()
    parts = [x for x in re.split(r"[._]", local) if x]
    if len(parts) == 2 and all(x.isalpha() for x in parts):
        return parts[0].capitalize(), parts[1].capitalize()
    return "", local or email


def _clamp_date(y: int, m: int, d: int) -> dt.date:
    import calendar
    return dt.date(y, m, min(d, calendar.monthrange(y, m)[1]))


def _money(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else Decimal(value)



# --- the smaller kinds, through their services ------------------------------------------

class ServiceHandler(Handler):
    """Check by converting; write by calling the service. ``key`` finds an
    existing record (update or conflict)."""

    repeat_ok = False  # a second row naming the same record: one record (True) or a problem

    # What each kind gives: its record's name ("person") and key field, and
    # ``convert(rec)`` → (the service's values, the existing record or None),
    # ``describe(values)`` → the record as a problem names it, ``save(values,
    # existing)`` the service call (existing: the kind's own model, or None).
    noun: str
    key_field: str
    convert: Callable[[Record], tuple[dict[str, Any], Any]]
    describe: Callable[[dict[str, Any]], str]
    save: Callable[[dict[str, Any], Any], object]
    in_file: dict[Hashable, int]  # a record's key → the first row that names it

    def key_of(self, values: dict[str, Any]) -> Hashable | None:
        """What makes two rows the same record (None: every row is its own)."""
        return None

    def check(self, row: int, rec: Record) -> list[Problem]:
        probs = []
        if not hasattr(self, "in_file"):
            self.in_file = {}
        try:
            values, existing = self.convert(rec)
        except ValidationError as exc:
            f = exc.field if exc.field else next(iter(k for k in rec if not k.startswith("_")), "")
            return [Problem(row, column_of(rec, self.field_of(f)), str(exc))]
        key = self.key_of(values)
        if key is not None:
            first = self.in_file.setdefault(key, row)
            if first != row:
                if not self.repeat_ok:
                    return [Problem(row, column_of(rec, self.key_field), f"{self.noun} "
                                    f"“{self.describe(values)}” appears twice in this file "
                                    f"(first in row {first})")]
                self.p.warnings.append(Problem(row, column_of(rec, self.key_field), f"{self.noun} "
                                       f"“{self.describe(values)}” is the same as row {first}; "
                                       "imported once"))
                rec["_values"], rec["_existing"] = None, None
                return []
        if existing and not self.update:
            probs.append(Problem(row, column_of(rec, self.key_field), f"{self.noun} "
                                 f"“{self.describe(values)}” already exists (choose update to change it)"))
            return probs
        if existing:
            self.p.updated += 1
        else:
            self.p.created += 1
        rec["_values"], rec["_existing"] = values, existing
        return []

    def field_of(self, f: str) -> str:
        return f

    def write(self, row: int, rec: Record) -> list[Problem] | None:
        """A refusal from the service becomes the row's problem (its savepoint
        is rolled back; the rest of the import goes on)."""
        if rec["_values"] is None:  # a repeat of an earlier row
            return None
        try:
            self.save(rec["_values"], rec["_existing"])
        except DomainError as exc:
            self.p.created -= not rec["_existing"]
            self.p.updated -= bool(rec["_existing"])
            return [Problem(row, column_of(rec, self.field_of(getattr(exc, "field", None)
                                                              or self.key_field)), str(exc))]
        return None


