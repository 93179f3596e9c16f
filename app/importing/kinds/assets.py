"""Assets: checked row by row, written through the bulk path (executemany in
pages, the search index and history written by a second thread)."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from app.importing import SAMPLES, Preview, Problem, column_of, looks_scientific
from app.importing import mapping as maps
from app.importing.keys import KeyMap
from app.importing.kinds.common import (
    AMBIGUOUS,
    Handler,
    Record,
    _Catalog,
    _clamp_date,
    _date,
    _holder_text,
    _money,
    _n,
    _name_from_email,
    _person_kind,
    _person_text,
    status_of,
)
from app.services import catalog, history, validation
from app.services import tags as tagsvc
from app.services.base import who as who_of
from app.services.errors import DomainError, ValidationError
from app.services.fields import (check_ben, check_form471, check_frn, check_frn_line,
                                 check_spin, parse_int)
from app.store.db import Row, rows

if TYPE_CHECKING:
    from app.importing.places import Splitter
    from app.store import bulk

# A row's values by field, as checked (dates, money, names; "custom" a dict).
Values = dict[str, Any]
# Say what is wrong with (or changed in) a field of the row: (field, reason).
Say = Callable[[str, str], None]
# A new person a row brings in: first_name, last_name, email, id_number, kind
# (and "_ref", their number in the file, once the row is kept).
NewPerson = dict[str, Any]


def _say_nothing(_field: str, _reason: str) -> None:
    return None

# --- assets -------------------------------------------------------------------------

ASSET_COLUMNS = ("tag", "tag_key", "serial", "serial_key", "name", "model_id", "status", "site_id",
                 "location_id", "assigned_person_id", "purchase_date", "cost", "order_number",
                 "supplier_id", "funding_type", "funding_name", "erate_frn", "erate_funding_year",
                 "erate_form471", "erate_frn_line", "in_service_date", "warranty_end", "last_audit_date", "notes", "custom",
                 "federal_award_id", "federal_share", "condition", "search_text",
                 "created_at", "updated_at", "version")


# One encoder for every row: json.dumps with options builds a new one per call.
_custom_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


# The longest text each asset field keeps (a longer cell is cut, with a note).
_LIMITS = (("serial", 100), ("name", 255), ("order_number", 255), ("site", 255), ("room", 255),
           ("manufacturer", 255), ("category", 255), ("model", 255), ("model_number", 255),
           ("supplier", 255), ("notes", 100_000))


def _same_custom(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Custom fields equal as text: a re-imported export reads 32 back as "32"."""
    def text(d: dict[str, Any]) -> dict[str, str]:
        return {k: (str(v) if v is not None else "") for k, v in d.items() if v not in ("", None)}
    return text(a) == text(b)


class AssetHandler(Handler):
    PAGE = 2000  # rows inserted at a time; the second thread indexes and logs each page
    BIG_LOAD = 20_000  # PostgreSQL: rows from which a load into a register no larger is a big load

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        from app.store.db import db as _db
        self.cat = _Catalog()
        # What the whole file is checked against, held compactly (keys.KeyMap:
        # no text kept, about 40 bytes a key): the register's tags (→ asset id;
        # -1 for a tag this import handed out), the tags and serials of this
        # file (→ the first row that has it), the register's serials (→ asset id).
        # The rows themselves are never kept: each is written as it is checked.
        self.existing = KeyMap()
        for key, aid in _db.execute_sql("SELECT tag_key, id FROM asset"):
            if key:
                self.existing[key] = aid
        from app.models import TagRecord
        self.voided: set[str] = {k for (k,) in rows(TagRecord.select(TagRecord.tag_key)
                                                    .where(TagRecord.state == "voided"))}
        self.seen = KeyMap(self.p.estimated_rows)
        self.serials = KeyMap(0 if self.p.allow_duplicate_serials else self.p.estimated_rows)
        self.register_serials = KeyMap()
        if not self.p.allow_duplicate_serials:
            for skey, aid in _db.execute_sql(
                    "SELECT serial_key, id FROM asset WHERE serial_key IS NOT NULL"):
                self.register_serials[skey] = aid
        self.planned = _NewPeople()  # people this file brings in, by the same keys
        self.pending_people: list[NewPerson] = []  # those the row being checked brings
        self.people_batch: dict[int, NewPerson] = {}  # planned → new person, to insert at the next flush
        self.holder_kind = self._guess_holder_kind()
        self.splitter = self._make_splitter()
        self._places_seen: set[str] = set()
        from app.models import Site, Supplier
        # The E-Rate numbers the register holds and those this file brings, by
        # site and supplier (normalised name): one BEN per site, one SPIN per supplier.
        self.bens: dict[int, str] = {
            sid: ben for sid, ben in rows(Site.select(Site.id, Site.ben)) if ben}
        self.spins: dict[int, str] = {
            sid: spin for sid, spin in rows(Supplier.select(Supplier.id, Supplier.spin)) if spin}
        self.file_bens: dict[str, str] = {}
        self.file_spins: dict[str, str] = {}
        self.batch: list[Row] = []  # asset rows in ASSET_COLUMNS order, for the next flush
        # (asset id, changes, who is to hold it (-ref: a planned person), file row)
        self.updates: list[tuple[int, dict[str, Any], int | None, int]] = []
        self.new_rooms: dict[int, tuple[int, str]] = {}  # stand-in id → (site id, name)
        self.room_ids: dict[int, int] = {}  # stand-in id → the room's real id
        self._stack = contextlib.ExitStack()
        self.bg: bulk.Background | None = None  # the second thread that indexes and logs each page written
        self.pg = False  # writing to PostgreSQL (pages by COPY on the second thread)
        self.big_load = False  # PostgreSQL: asset's plain indexes and foreign keys made at the end
        # Rows of the page whose search text waits for their holder's name:
        # (place in the batch, the person's id, the parts of the text).
        self.later: list[tuple[int, int, tuple[Any, ...]]] = []
        if self.writing:
            from app.store import bulk, search
            from app.store.db import db
            import peewee as pw
            self.index_sql = self._stack.enter_context(search.inserts_indexed_by_caller())
            # PostgreSQL: each page goes to the server by COPY on the second
            # thread, which the server indexes and checks while this thread
            # checks the next page's rows (two cores: client and server).
            self.pg = isinstance(db.obj, pw.PostgresqlDatabase)
            if self.pg and self.p.estimated_rows >= self.BIG_LOAD \
                    and len(self.existing) <= self.p.estimated_rows:
                # A load that at least doubles the register: its plain indexes
                # and foreign keys are made once at the end (see store.pgload).
                from app.store import pgload
                self.big_load = self._stack.enter_context(pgload.keys_checked_after("asset"))
            self.bg = self._stack.enter_context(bulk.Background(threaded=True if self.pg else None))
            self.top: int = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM asset").fetchone()[0]
            self.who = who_of(self.by)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            today = history.local_day(now)
            self.now: dt.datetime | str = now
            self._day: Callable[[dt.date | None], dt.date | str | None]
            import peewee as pw
            if isinstance(db.obj, pw.SqliteDatabase):
                # The text sqlite3's (Python-level) adapters would make, made once a
                # value: 500,000 adapter calls are a second of a 100,000-row import.
                self.now = now.isoformat(" ")
                self._day = lambda d: d.isoformat() if d is not None else None
            else:
                self._day = lambda d: d
            self.today = self._day(today)
            # The rows' own stamps and dates as text: COPY (PostgreSQL) takes
            # ISO text as it is, and the rows are made text for it anyway.
            self.stamp = now.isoformat(" ")
            if self.pg:
                self._day = lambda d: d.isoformat() if d is not None else None
            self.copy_sql = bulk.copy_statement("asset", ("id", *ASSET_COLUMNS))

    # -- checking
    def check(self, row: int, rec: Record) -> list[Problem]:
        probs: list[Problem] = []

        def bad(fieldname: str, reason: str) -> None:
            probs.append(Problem(row, column_of(rec, fieldname), reason))

        def note(fieldname: str, reason: str) -> None:
            self.p.warnings.append(Problem(row, column_of(rec, fieldname), reason))

        v = self.values(rec, bad, note)
        if v.get("holder_missing"):
            bad("holder_id", f"no person has the ID number {v['holder_missing']} — import the "
                             "people first, or add name columns so they are created")
        key: str | None = v.get("tag_key")
        serial: str | None = v.get("serial")
        if serial and not self.p.allow_duplicate_serials:
            skey = serial.upper()
            # A row refused for another reason still has this serial in the file (as its tag
            # counts for repeated tags): every repeat is named at once, not one per attempt.
            first = self.serials.add(skey, row)
            if first is not None:
                bad("serial", f"the serial {serial} appears twice in this file (first in row "
                              f"{first}); accept repeated serials (--allow-duplicate-serials) "
                              "if that is right")
            else:
                owner = self.register_serials.get(skey)
                if owner is not None and owner != (self.existing.get(key) if key is not None else None):
                    from app.models import Asset
                    self._quiet()
                    tag = Asset.select(Asset.tag).where(Asset.id == owner).scalar()
                    bad("serial", f"the serial {serial} is already on asset {tag}; accept "
                                  "repeated serials (--allow-duplicate-serials) if that is right")
        if key:
            if self.seen.add(key, row) is not None:
                bad("tag", f"the tag {v['tag']} appears twice in this file")
            elif key in self.existing and not self.update:
                bad("tag", f"the tag {v['tag']} already exists (choose update to change existing assets)")
            elif key in self.voided:
                bad("tag", f"the tag {v['tag']} was voided and cannot be used again")
        if probs:
            return probs

        if key and key in self.existing:
            self.p.updated += 1
        else:
            self.p.created += 1
        how = v.get("holder_how")
        if how:
            self.p.holder_matches[how] = self.p.holder_matches.get(how, 0) + 1
            if len(self.p.holders) < SAMPLES:
                self.p.holders.append((row, _holder_text(rec), self._holder_shown(v), how))
        rec["_values"] = v
        return []

    def _holder_shown(self, v: Values) -> str:
        new = v.get("holder_new")
        if new:
            return _shown(new)
        if v.get("holder_planned"):
            return self.planned.shown.get(v["holder_planned"], "")
        name, idn = self.cat.names.get(v["holder_id"], ("", None))
        return name + (f" ({idn})" if idn else "")

    def values(self, rec: Record, bad: Say, note: Say = _say_nothing) -> Values:
        v: Values = {}
        if "tag" in rec:
            if looks_scientific(rec["tag"]):
                bad("tag", f"“{rec['tag']}” is a number Excel turned into scientific notation; "
                           "the real tag is lost — format the column as text and export again")
            try:
                raw = str(rec["tag"])
                v["tag"] = tagsvc.clean_tag(raw)
                v["tag_key"] = tagsvc.normalize_tag(v["tag"])
                if v["tag"] != raw.strip():
                    note("tag", f"the tag “{raw.strip()}” is stored as “{v['tag']}” (characters "
                                "that print alike made the same)")
            except ValidationError as exc:
                bad("tag", str(exc))
        for key in ("tag", "serial"):
            x = rec.get(key)
            if isinstance(x, float) or (isinstance(x, int) and abs(x) >= 10 ** 15):
                # A workbook cell holding a number: Excel keeps 15 digits and drops the rest.
                bad(key, f"{rec[key]:g} is a number in the workbook, not text; Excel keeps only "
                         "15 digits, so the real value is lost — format the column as text and "
                         "type it again")
        if "serial" in rec:
            serial = str(rec["serial"]).strip()
            if looks_scientific(serial):
                bad("serial", f"“{serial}” is a number Excel turned into scientific notation; "
                              "the real serial is lost — format the column as text and export again")
            try:
                v["serial"] = validation.identifier(serial, "serial")
                if v["serial"] != serial:
                    note("serial", f"the serial “{serial}” is stored as “{v['serial']}” "
                                   "(characters that print alike made the same)")
            except ValidationError as exc:
                bad("serial", str(exc))
        for key in ("name", "order_number", "notes"):
            if key in rec:
                v[key] = str(rec[key])[:100_000 if key == "notes" else 255]
        for key in ("purchase_date", "in_service_date", "warranty_end", "last_audit_date"):
            if key in rec:
                try:
                    v[key] = _date(rec[key], key)
                except ValidationError as exc:
                    bad(key, str(exc))
        if "cost" in rec:
            try:
                v["cost"] = validation.money(rec["cost"], "cost")
            except ValidationError as exc:
                bad("cost", str(exc))
        if "warranty_months" in rec and "warranty_end" not in v:
            try:
                months = parse_int(rec["warranty_months"], "warranty", 0, 600)
                if months and v.get("purchase_date"):
                    d = v["purchase_date"]
                    y, m = divmod(d.month - 1 + months, 12)
                    v["warranty_end"] = _clamp_date(d.year + y, m + 1, d.day)
            except ValidationError as exc:
                bad("warranty_months", str(exc))
        if "status" in rec:
            status = status_of(rec["status"])
            if status is None:
                # Another system's own label ("Pending Diagnostics"): keep it, readable.
                v.setdefault("custom", {})["Imported status"] = str(rec["status"])[:100]
                note("status", f"“{rec['status']}” is not a status here; kept as the custom "
                               "field “Imported status”")
            v["status"] = status
        self._funding(rec, v, bad)
        self._place(rec, v)
        self._model(rec, v, note)
        if "supplier" in rec:
            name = str(rec["supplier"])[:255]
            v["supplier"] = name
            if _n(name) not in self.cat.suppliers:
                self.plan("suppliers", name)
        self._erate_numbers(rec, v, bad)
        self._holder(rec, v, bad)
        if v.get("status") in ("retired", "disposed") and (v.get("holder_id") or v.get("holder_new")):
            # Someone still has it (Snipe-IT lets "Undeployable" assets stay checked out):
            # who has it wins, so the register never shows a retired asset on loan.
            v.setdefault("custom", {})["Imported status"] = str(rec["status"])[:100]
            note("status", f"“{rec['status']}” would be {v['status']} here, but the row names who "
                           "has it: imported as deployed, the status kept as the custom field "
                           "“Imported status”")
            v["status"] = "deployed"
        if rec.get("custom"):
            v["custom"] = {**rec["custom"], **v.get("custom", {})}
        for key, limit in _LIMITS:
            x = rec.get(key)
            if x.__class__ is str and len(x) > limit:
                note(key, f"the cell holds {len(x):,} characters; the first {limit} are kept")
        return v

    def _funding(self, rec: Record, v: Values, bad: Say) -> None:
        if "funding" in rec:
            word = _n(rec["funding"])
            if word in ("erate", "eratefunded", "usf"):
                v["funding_type"] = "erate"
            elif word in ("general", "generalfund", "gf", "district"):
                v["funding_type"] = "general"
            else:
                v["funding_type"], v["funding_name"] = "grant", str(rec["funding"])[:255]
        if "erate_frn" in rec:
            try:
                v["erate_frn"] = check_frn(str(rec["erate_frn"]), "erate_frn")
                v.setdefault("funding_type", "erate")
            except ValidationError as exc:
                bad("erate_frn", str(exc))
        if "erate_funding_year" in rec:
            try:
                v["erate_funding_year"] = parse_int(rec["erate_funding_year"], "erate_funding_year",
                                                    1998, 2100)
            except ValidationError as exc:
                bad("erate_funding_year", str(exc))
        if rec.get("erate_form471") not in (None, ""):
            try:
                v["erate_form471"] = check_form471(rec["erate_form471"])
                v.setdefault("funding_type", "erate")
            except ValidationError as exc:
                bad("erate_form471", str(exc))
        if rec.get("erate_frn_line") not in (None, ""):
            try:
                v["erate_frn_line"] = check_frn_line(rec["erate_frn_line"], v.get("erate_frn"))
                v.setdefault("erate_frn", v["erate_frn_line"].split(".")[0])
                v.setdefault("funding_type", "erate")
            except ValidationError as exc:
                bad("erate_frn_line", str(exc))
        if v.get("funding_type") not in (None, "erate") and (
                v.get("erate_form471") or v.get("erate_frn_line")):
            bad("erate_frn_line" if v.get("erate_frn_line") else "erate_form471",
                "An asset with an FCC Form 471 number or FRN line item is funded by E-Rate.")
        # Federal awards (2 CFR 200.313): the award's FAIN and the federal share, the
        # asset editor's rule (a grant), and its condition.
        from app.services.assets import _clean_one
        for key in ("federal_award_id", "federal_share", "condition"):
            if key in rec:
                try:
                    v[key] = _clean_one(key, rec[key], None)
                except ValidationError as exc:
                    bad(key, str(exc))
        if (v.get("federal_award_id") or v.get("federal_share") is not None):
            if v.get("funding_type") in (None, "grant"):
                v["funding_type"] = "grant"
            else:
                bad("federal_award_id", "An asset with a federal award (FAIN) or federal share "
                                        "is funded by a grant.")

    def _erate_numbers(self, rec: Record, v: Values, bad: Say) -> None:
        """The BEN belongs to the row's site and the SPIN to its supplier: a
        number that disagrees with the register's, or with an earlier row's for
        the same site or supplier, is refused (one site has one BEN)."""
        for key, owner, check, known, seen, catalog_names, what in (
                ("ben", "site", check_ben, self.bens, self.file_bens, self.cat.sites,
                 "BEN"),
                ("spin", "supplier", check_spin, self.spins, self.file_spins,
                 self.cat.suppliers, "SPIN")):
            if rec.get(key) in (None, ""):
                continue
            try:
                number = check(rec[key], key)
            except ValidationError as exc:
                bad(key, str(exc))
                continue
            name: str | None = v.get(owner)
            if not name:
                bad(key, f"a {what} belongs to a {owner}: this row names no {owner}")
                continue
            owner_id = catalog_names.get(_n(name))
            have = (known.get(owner_id) if owner_id is not None else None) or seen.get(_n(name))
            if have and have != number:
                bad(key, f"{name} has the {what} {have}, not {number}")
                continue
            if number is None:  # a cell with no digits in it: nothing to keep
                continue
            seen[_n(name)] = number
            v[key] = number

    def _make_splitter(self) -> Splitter | None:
        from app.importing.places import Splitter
        from app.models import Location, Site
        if not self.p.location_values and self.p.location_separator is None:
            return None
        named: dict[str, tuple[str, str] | None] = {}
        for site, room in rows(Location.select(Site.name, Location.name)
                               .join(Site, on=(Location.site == Site.id))):
            named[_n(room)] = (site, room) if _n(room) not in named else None
        rooms = {k: x for k, x in named.items() if x}  # a room name only one site has
        splitter = Splitter.for_values(self.p.location_values, self.cat.sites, rooms,
                                       self.p.location_separator)
        self.p.split_at = splitter.separator
        return splitter

    def _place(self, rec: Record, v: Values) -> None:
        site, room = rec.get("site"), rec.get("room")
        loc = rec.get("location")
        both = rec.get("site_room")
        combined = both or (loc if not site else None)
        if loc and site:
            room = room or str(loc)
        if combined:
            text = str(combined).strip()
            if self.splitter is not None:
                s, r = self.splitter.split(text)
            else:
                s, r = text, None
            if both and r is None and "/" in text:
                # "Lincoln High / 214": a column chosen as site / room splits at the / at least.
                left, _, right = text.partition("/")
                s, r = left.strip() or None, right.strip() or None
            site, room = site or s, room or r
            if text not in self._places_seen and len(self.p.places) < SAMPLES:
                self._places_seen.add(text)
                self.p.places.append((text, s, r))
        if site:
            v["site"] = str(site)[:255]
            if _n(site) not in self.cat.sites:
                self.plan("sites", v["site"])
        if room:
            v["room"] = str(room)[:255]
            sid = self.cat.sites.get(_n(site)) if site else None
            if sid is None or (sid, _n(room)) not in self.cat.rooms:
                self.plan("rooms", f"{site} / {room}" if site else str(room))

    def _model(self, rec: Record, v: Values, note: Say = _say_nothing) -> None:
        if looks_scientific(rec.get("model_number")):
            # Snipe-IT's own samples hold these: the model still imports, the lost number does not.
            note("model_number", f"“{rec['model_number']}” is a number Excel turned into scientific "
                                 "notation; the model number is left empty")
            rec = {k: x for k, x in rec.items() if k != "model_number"}
        model = rec.get("model") or (rec.get("model_number") if not rec.get("name") else None)
        if rec.get("manufacturer"):
            v["manufacturer"] = str(rec["manufacturer"])[:255]
            if _n(v["manufacturer"]) not in self.cat.makers:
                self.plan("manufacturers", v["manufacturer"])
        if rec.get("category"):
            v["category"] = str(rec["category"])[:255]
            if _n(v["category"]) not in self.cat.categories:
                self.plan("categories", v["category"])
        if model:
            v["model"] = str(model)[:255]
            v["model_number"] = str(rec.get("model_number") or "")[:255] or None
            maker = self.cat.makers.get(_n(v.get("manufacturer")))
            if (maker, _n(model)) not in self.cat.models and (None, _n(model)) not in self.cat.models:
                self.plan("models", v["model"])
        if not v.get("name"):
            v["name"] = v.get("model") or v.get("category")

    def _holder(self, rec: Record, v: Values, bad: Say) -> None:
        """Who holds the row's asset: a known person (by ID number, then email,
        then sign-in name, then a name only one person has), a person an earlier
        row of this file creates, or a new person of the kind the file suggests."""
        first, last = rec.get("holder_first"), rec.get("holder_last")
        full = rec.get("holder_name")
        email = str(rec["holder_email"]).strip() if rec.get("holder_email") else None
        user = str(rec["holder_username"]).strip() if rec.get("holder_username") else None
        idn = str(rec["holder_id"]).strip() if rec.get("holder_id") not in (None, "") else None
        if full and "@" in str(full) and " " not in str(full).strip():
            # Google Admin's "User" column holds the sign-in address, not a name.
            email, full = email or str(full).strip(), None
            if not (first or last):
                first, last = _name_from_email(email)
        if not (first or last) and full:
            parts = str(full).split(",", 1)
            if len(parts) == 2:
                last, first = parts[0].strip(), parts[1].strip()
            else:
                bits = str(full).split()
                first, last = " ".join(bits[:-1]), bits[-1] if bits else ""
        if not (first or last or email or user or idn):
            return
        first, last = str(first or "").strip(), str(last or "").strip()
        who, how = self.cat.find_person(idn, email, user, first, last)
        if who is None:  # a person an earlier row of this file brings in
            who, how = self.planned.find(idn, email, user, first, last)
            if who is not None and who != AMBIGUOUS:
                v["holder_planned"], v["holder_how"] = who, "new"
                return
        shown = f"{first} {last}".strip() or email or user or idn
        if who == AMBIGUOUS:
            bad("holder_name", f"more than one person is called {shown}; add an ID number or "
                               "email column so the right one holds this asset")
            return
        if who is not None:
            v["holder_id"], v["holder_how"] = who, how
            return
        if idn and not (first or last or email):
            v["holder_missing"] = idn
            return
        if not (first or last):
            first, last = _name_from_email(str(email or user))
        kind = _person_kind(rec.get("holder_kind")) or self.holder_kind
        new = dict(first_name=first[:100], last_name=last[:100],
                   email=email[:255] if email and "@" in email else None,
                   id_number=idn[:100] if idn else None, kind=kind)
        # The people service's own rules (the editor's), checked here: the new
        # people are written on the lean path, a page at a time.
        from app.services import people
        try:
            cleaned = people._clean({k: x for k, x in new.items() if x and k != "id_number"})
        except ValidationError as exc:
            bad("holder_email" if exc.field == "email" else "holder_name", str(exc))
            return
        new.update(cleaned)
        if not (new["first_name"] or new["last_name"]):
            bad("holder_name", "A person needs a name.")
            return
        v["holder_new"], v["holder_how"] = new, "new"
        self.plan("people", f"{first} {last}".strip() + (f" ({idn})" if idn else ""))
        self.pending_people.append(new)

    def keep_plans(self, keep: bool) -> None:
        super().keep_plans(keep)
        if keep:
            for new in self.pending_people:
                new["_ref"] = self.planned.add(new["first_name"], new["last_name"],
                                               new["email"], new["id_number"],
                                               _shown(new))
        self.pending_people = []

    def _guess_holder_kind(self) -> str:
        """The kind of the people a file brings in: a Grade column or a holder
        column named for students means students."""
        headers = {maps.norm(h) for h in self.p.headers}
        holder = [maps.norm(self.p.headers[i]) for i, f in self.p.mapping.items()
                  if f.startswith("holder_") and i < len(self.p.headers)]
        if headers & {"grade", "gradelevel", "homeroom", "graduationyear", "gradyear", "yog"} \
                or any("student" in h for h in holder):
            return "student"
        if any(w in h for h in holder for w in ("parent", "guardian", "family")):
            return "family"
        return "staff"

    # -- writing
    def write(self, row: int, rec: Record) -> None:
        v: Values = rec["_values"]
        site_id, room_id = self._ensure_place(v)
        model_id, model, maker = self._ensure_model(v)
        supplier_id = None
        if v.get("supplier"):
            supplier_id = self.cat.ensure("suppliers", v["supplier"], self._quiet)
        self._keep_erate_numbers(v, site_id, supplier_id)
        person_id, holder, holder_idn = self._person(v)
        key = v.get("tag_key")
        if key and key in self.existing:
            self._update(self.existing[key], v, site_id, room_id, model_id, supplier_id,
                         person_id, row)
            return
        if not key:
            self._quiet()
            v["tag"] = tagsvc.next_tags(1)[0]
            key = tagsvc.normalize_tag(v["tag"])
        status = v.get("status") or ("deployed" if person_id else "ready")
        from app.store.search import asset_doc
        parts = (v["tag"], v.get("serial"), v.get("name"), maker, model, v.get("model_number"),
                 holder, holder_idn, v.get("room"), None, v.get("site"), v.get("order_number"),
                 v.get("erate_frn"), v.get("notes"))
        if holder is _LATER and person_id is not None:  # made at the flush, the name read back
            self.later.append((len(self.batch), person_id, parts))
            doc = ""
        else:
            doc = asset_doc(*parts)
        day = self._day
        self.batch.append((v["tag"], key, v.get("serial"), (v.get("serial") or "").upper() or None,
                           v.get("name"), model_id, status, site_id, room_id, person_id,
                           day(v.get("purchase_date")), _money(v.get("cost")), v.get("order_number"),
                           supplier_id, v.get("funding_type"), v.get("funding_name"),
                           v.get("erate_frn"), v.get("erate_funding_year"), v.get("erate_form471"),
                           v.get("erate_frn_line"), day(v.get("in_service_date")),
                           day(v.get("warranty_end")), day(v.get("last_audit_date")), v.get("notes"),
                           _custom_json(v["custom"]) if v.get("custom") else None,
                           v.get("federal_award_id"), _money(v.get("federal_share")),
                           v.get("condition"), doc, self.stamp, self.stamp, 1))
        self.existing[key] = -1  # taken (id known after the flush)
        if len(self.batch) >= self.PAGE:
            self._flush()

    def _update(self, asset_id: int, v: Values, site_id: int | None, room_id: int | None,
                model_id: int | None, supplier_id: int | None, person_id: int | None,
                row: int) -> None:
        changes = {k: v[k] for k in ("serial", "name", "purchase_date", "cost", "order_number",
                                     "funding_type", "funding_name", "erate_frn",
                                     "erate_funding_year", "erate_form471", "erate_frn_line",
                                     "in_service_date", "warranty_end",
                                     "last_audit_date", "notes", "custom", "status",
                                     "federal_award_id", "federal_share", "condition")
                   if v.get(k) is not None}
        if site_id:
            changes["site_id"] = site_id
        if room_id:
            changes["location_id"] = room_id
        if model_id:
            changes["model_id"] = model_id
        if supplier_id:
            changes["supplier_id"] = supplier_id
        if asset_id == -1:
            return
        self.updates.append((asset_id, changes, person_id, row))
        if len(self.updates) >= 1000:
            self._flush_updates()

    _UPDATE_COLUMNS = {"site_id": "site", "location_id": "location", "model_id": "model",
                       "supplier_id": "supplier"}

    def _flush_updates(self) -> None:
        """Rows that change nothing are left alone (re-importing a whole export
        with update costs a read, not a write, per unchanged asset)."""
        from app.models import Asset
        from app.services import assets
        if not self.updates:
            return
        self._quiet()
        self._make_rooms()
        self._make_people()
        self._quiet()  # PostgreSQL: the people written before the services refer to them
        from app.store.db import db
        names = sorted({k for _, changes, _, _ in self.updates for k in changes} | {"custom"})
        fields = [getattr(Asset, self._UPDATE_COLUMNS.get(k, k)) for k in names]
        ids = [aid for aid, _, _, _ in self.updates]
        found = rows(Asset.select(Asset.id, Asset.assigned_person, *fields)
                     .where(Asset.id.in_(ids)))
        current: dict[int, dict[str, Any]] = {}
        holders: dict[int, int | None] = {}
        for r in found:
            current[r[0]], holders[r[0]] = dict(zip(names, r[2:])), r[1]
        for aid, changes, person_id, row in self.updates:
            now = current.get(aid, {})
            if "custom" in changes:
                # The file's custom columns join the asset's own (a field the file
                # does not name stays); the same text is no change ("32" is 32).
                merged = {**(now.get("custom") or {}), **changes["custom"]}
                if _same_custom(merged, now.get("custom") or {}):
                    changes = {k: x for k, x in changes.items() if k != "custom"}
                else:
                    changes = {**changes, "custom": merged}
            if person_id and holders.get(aid) != person_id:
                changes = {k: x for k, x in changes.items() if k != "status"}  # who has it wins
            else:
                person_id = None
            changed = any(now.get(k) != val for k, val in changes.items())
            if not changed and not person_id:
                continue
            try:
                with db.atomic():  # the row whole, or (refused) not at all
                    if changed:
                        assets.update(aid, changes, by=self.by, action="import")
                    if person_id:
                        if holders.get(aid) is not None or assets.open_loan(aid) is not None:
                            assets.check_in(aid, by=self.by, notes="reassigned by an import")
                        assets.check_out(aid, person_id=person_id, by=self.by,
                                         notes=f"imported from {self.p.path.name}")
            except DomainError as exc:
                self.p.problems.append(Problem(row, column_of({}, "holder_name")
                                               if person_id else "", str(exc)))
                self.p.bad_rows.add(row)
        self.updates = []

    def _quiet(self) -> None:
        """Before this thread writes a row of its own: the second thread idle
        (see bulk.Background)."""
        if self.bg is not None:
            self.bg.wait()

    def _flush(self) -> None:
        """Insert the page; the second thread then indexes it, writes each new
        asset's history entry and opens the loans of the rows naming who has it."""
        if not self.batch:
            return
        bg = self.bg
        assert bg is not None  # made in __init__ when writing, the only time rows are flushed
        from app.store import bulk
        from app.store.db import db
        if self.pg:
            # The last page's statements done (its error raised here) before
            # this thread reads or writes: most of the time the server has
            # finished while this thread checked the page's rows.
            bg.wait()
        self._fill_docs()
        self._make_rooms()
        if self.pg:
            # The page's ids from the sequence first, so that it can go by COPY
            # on the second thread while this one goes on. (While the second
            # thread copies, this one must not use the connection at all: a
            # statement sent in the middle of a COPY would wait for it forever.
            # Every read or write of this thread's waits for it first, _quiet.)
            ids = bulk.new_ids("asset", len(self.batch))
            self._make_people()
            data, _count = bulk.copy_data([(aid, *row) for aid, row in zip(ids, self.batch)])
            self.batch = []
            bg.copy(self.copy_sql, data)
            del data
            lo, hi = min(ids) - 1, max(ids)
        else:
            self._make_people()
            bulk.insert_rows("asset", ASSET_COLUMNS, self.batch)
            self.batch = []
            # The page's rows: the ids after the last page's, stamped with this
            # import's time (on a shared database another workstation's new asset
            # may take an id in between; it is not this import's to log).
            lo, hi = self.top, db.execute_sql("SELECT MAX(id) FROM asset").fetchone()[0]
            self.top = hi
        p = bulk.param()
        if self.index_sql:
            bg.run(self.index_sql, (lo, hi))
        bg.run(f"INSERT INTO history_entry (entity, entity_id, action, who, at, effective, "
               f"note) SELECT 'asset', id, 'create', {p}, {p}, {p}, {p} FROM asset "
               f"WHERE id > {p} AND id <= {p} AND created_at = {p} ORDER BY id",
               (self.who, self.now, self.today, f"imported from {self.p.path.name}", lo, hi,
                self.now))
        bg.run(f"INSERT INTO loan (asset_id, person_id, out_at, condition_out, language, "
               f"out_by, agreement_signed) SELECT id, assigned_person_id, {p}, 'good', 'en', "
               f"{p}, {p} FROM asset WHERE id > {p} AND id <= {p} AND created_at = {p} "
               f"AND assigned_person_id IS NOT NULL ORDER BY id",
               (self.now, self.who, False, lo, hi, self.now))

    def abandon(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                tb: TracebackType | None) -> None:
        # The search triggers come back; the index is not rebuilt (all is rolled back).
        self._stack.__exit__(exc_type, exc, tb)

    def finish(self) -> None:
        if not self.writing:
            return
        try:
            self._flush()
            self._flush_updates()
            self._make_people()  # a holder planned for a row that wrote nothing after all
            self._quiet()
        except BaseException:
            self._stack.__exit__(*sys.exc_info())  # drops what is queued
            raise
        self._stack.close()

    def _keep_erate_numbers(self, v: Values, site_id: int | None, supplier_id: int | None) -> None:
        """A site's BEN and a supplier's SPIN the file gave, where the register
        had none (a different one was refused when the row was checked)."""
        for key, owner_id, known, setter in (("ben", site_id, self.bens, catalog.set_site_ben),
                                             ("spin", supplier_id, self.spins,
                                              catalog.set_supplier_spin)):
            if v.get(key) and owner_id and known.get(owner_id) != v[key]:
                self._quiet()
                setter(owner_id, v[key], by=self.by)
                known[owner_id] = v[key]

    def _ensure_place(self, v: Values) -> tuple[int | None, int | None]:
        site_id = room_id = None
        if v.get("site"):
            site_id = self.cat.ensure("sites", v["site"], self._quiet)
        if v.get("room"):
            if site_id is None:
                site_id = self.cat.ensure("sites", "Unassigned", self._quiet)
            room_id = self.cat.rooms.get((site_id, _n(v["room"])))
            if room_id is None:
                # A stand-in id until the next flush creates all new rooms at once.
                room_id = -1 - len(self.new_rooms)
                self.new_rooms[room_id] = (site_id, v["room"])
                self.cat.rooms[(site_id, _n(v["room"]))] = room_id
        return site_id, room_id

    def _make_rooms(self) -> None:
        """Create the rooms the rows so far named, and put their real ids in
        place of the stand-ins in the pending inserts and updates."""
        todo = {k: v for k, v in self.new_rooms.items() if k not in self.room_ids}
        if not todo:
            return
        self._quiet()
        made = catalog.add_rooms(list(todo.values()), by=self.by)
        for (stand_in, (site_id, name)), real in zip(todo.items(), made):
            self.room_ids[stand_in] = real
            self.cat.rooms[(site_id, _n(name))] = real
        fix = self.room_ids
        at = ASSET_COLUMNS.index("location_id")
        self.batch = [row if row[at] is None or row[at] > 0 else row[:at] + (fix[row[at]],) + row[at + 1:]
                      for row in self.batch]
        for _, changes, _, _ in self.updates:
            if changes.get("location_id", 0) < 0:
                changes["location_id"] = fix[changes["location_id"]]

    def _ensure_model(self, v: Values) -> tuple[int | None, str | None, str | None]:
        maker_id = None
        if v.get("manufacturer"):
            maker_id = self.cat.ensure("makers", v["manufacturer"], self._quiet)
        cat_id = None
        if v.get("category"):
            cat_id = self.cat.ensure("categories", v["category"], self._quiet)
        if not v.get("model"):
            return None, None, v.get("manufacturer")
        key = (maker_id, _n(v["model"]))
        model_id = self.cat.models.get(key) or (self.cat.models.get((None, _n(v["model"])))
                                                if maker_id is None else None)
        if model_id is None:
            self._quiet()
            from app.models import Manufacturer
            maker = Manufacturer.get_by_id(maker_id) if maker_id else None
            m = catalog.ensure_model(v["model"], maker, category=cat_id, model_number=v.get("model_number"))
            model_id = m.id
            self.cat.models[key] = model_id
            self.cat.models.setdefault((None, _n(v["model"])), model_id)
        return model_id, v["model"], v.get("manufacturer")

    def _person(self, v: Values) -> tuple[int | None, str | None, str | None]:
        """(who holds the row's asset, their name and ID number for the search
        text): a register person, or one this file brings in, whose id is a
        stand-in (-planned) until the next flush inserts them."""
        if v.get("holder_id"):
            name, idn = self.cat.names.get(v["holder_id"], (None, None))
            return v["holder_id"], name, idn
        new = v.get("holder_new")
        if new:
            ref = new["_ref"]
            self.people_batch[ref] = new
            return -ref, _person_text()(new["first_name"], new["last_name"]), new["id_number"]
        ref = v.get("holder_planned")
        if not ref:
            return None, None, None
        pending = self.people_batch.get(ref)
        if pending is not None:
            return (-ref, _person_text()(pending["first_name"], pending["last_name"]),
                    pending["id_number"])
        # Written with an earlier page: their name and ID number are read
        # back for the whole page at once when it is flushed (_fill_docs).
        return self.planned.ids[ref - 1], _LATER, None

    def _fill_docs(self) -> None:
        """The search text of the page's rows whose holder an earlier page
        brought in: one read of those people for the page, not one a row."""
        if not self.later:
            return
        from app.store.db import db
        from app.store.search import asset_doc
        wanted = sorted({pid for _, pid, _ in self.later})
        names: dict[int, tuple[str, str | None]] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            marks = ", ".join([_param()] * len(part))
            for pid, first, last, idn in db.execute_sql(
                    f"SELECT id, first_name, last_name, id_number FROM person WHERE id IN ({marks})",
                    part):
                names[pid] = (_person_text()(first, last), idn)
        at = ASSET_COLUMNS.index("search_text")
        for n, pid, parts in self.later:
            name, idn = names[pid]
            row = self.batch[n]
            doc = asset_doc(*parts[:6], name, idn, *parts[8:])
            self.batch[n] = row[:at] + (doc,) + row[at + 1:]
        self.later = []

    def _make_people(self) -> None:
        """Insert the people the rows so far bring in (their history beside
        them), and put their ids in place of the stand-ins."""
        if not self.people_batch:
            return
        self._quiet()
        from app.store import bulk
        batch, self.people_batch = self.people_batch, {}
        ids = bulk.new_ids("person", len(batch))
        now = self.stamp
        rows, log = [], []
        for pid, (ref, new) in zip(ids, batch.items()):
            self.planned.ids[ref - 1] = pid
            rows.append((pid, new["kind"], new["first_name"], new["last_name"],
                         new["id_number"], new["email"], "en", True, now, now, 1))
            log.append(("person", pid, "create", _person_text()(new["first_name"],
                                                                new["last_name"]),
                        self.who, now, self.today, f"imported from {self.p.path.name}"))
        person_columns = ("id", "kind", "first_name", "last_name", "id_number", "email",
                          "language", "active", "created_at", "updated_at", "version")
        log_columns = ("entity", "entity_id", "action", "new", "who", "at", "effective", "note")
        if self.pg and self.bg is not None:  # in turn with the pages, on the second thread
            self.bg.copy(bulk.copy_statement("person", person_columns), bulk.copy_data(rows)[0])
            self.bg.copy(bulk.copy_statement("history_entry", log_columns), bulk.copy_data(log)[0])
        else:
            bulk.insert_rows("person", person_columns, rows)
            bulk.insert_rows("history_entry", log_columns, log)
        fix = self.planned.ids
        at = ASSET_COLUMNS.index("assigned_person_id")
        self.batch = [row if row[at] is None or row[at] > 0 else
                      row[:at] + (fix[-row[at] - 1],) + row[at + 1:] for row in self.batch]
        self.updates = [(aid, changes, fix[-pid - 1] if pid is not None and pid < 0 else pid, row)
                        for aid, changes, pid, row in self.updates]


# The holder's name of a row, to be read back at the flush (see _fill_docs).
_LATER = "\x00later"


def _param() -> str:
    from app.store.db import param
    return param()


def _shown(new: NewPerson) -> str:
    """A new person as the preview's holder list shows them."""
    idn = f" ({new['id_number']})" if new.get("id_number") else ""
    return f"{new['first_name']} {new['last_name']}".strip() + idn + f" — new {new['kind']}"


class _NewPeople:
    """The people a file brings in, found again by the keys a register person
    is (ID number, email, sign-in name, a name only one of them has), held as
    compactly as the tags: each is known by its number in the file
    (``ref``, from 1), and ``ids[ref - 1]`` is its id once written."""

    def __init__(self) -> None:
        from array import array
        self.keys = KeyMap()  # "i:ID" / "e:email" / "u:user" / "n:name" → ref (AMBIGUOUS: several)
        self.has_idn = bytearray()
        self.ids = array("q")
        self.shown: dict[int, str] = {}  # the first few, for the preview's holder list

    def add(self, first: str, last: str, email: str | None, idn: str | None, shown: str) -> int:
        self.has_idn.append(1 if idn else 0)
        self.ids.append(0)
        ref = len(self.ids)
        if ref <= SAMPLES:
            self.shown[ref] = shown
        keys = self.keys
        if idn:
            keys["i:" + idn.upper()] = ref
        if email:
            keys["e:" + email.lower()] = ref
            keys.add("u:" + email.split("@")[0].lower(), ref)
        name = _n(f"{first or ''}{last or ''}")
        if name:
            had = keys.add("n:" + name, ref)
            if had is not None and had != ref:
                keys["n:" + name] = AMBIGUOUS
        return ref

    def find(self, idn: object = None, email: object = None, user: object = None,
             first: object = None, last: object = None) -> tuple[int | None, str | None]:
        """As _Catalog.find_person, over the people this file brings in."""
        keys = self.keys
        if idn:
            found = keys.get("i:" + str(idn).upper())
            if found is not None:
                return found, "ID number"
        if email:
            found = keys.get("e:" + str(email).lower())
            if found is not None:
                return found, "email"
        if user:
            found = keys.get("u:" + str(user).lower())
            if found is None:
                found = keys.get("i:" + str(user).upper())
            if found is not None:
                return found, "username"
        if first or last:
            found = keys.get("n:" + _n(f"{first or ''}{last or ''}"))
            if found is not None:
                if idn and (found == AMBIGUOUS or self.has_idn[found - 1]):
                    return None, None  # namesakes with other ID numbers: this is someone else
                return found, "name"
        return None, None
