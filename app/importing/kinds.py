"""One handler per kind: ``check(row, record)`` returns the row's problems
(and notes what would be created), ``write(row, record)`` writes it (inside
the import's transaction), ``finish()`` flushes. Assets go through the bulk
path; the smaller kinds through their services."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import sys
from decimal import Decimal

from app.importing import Problem, column_of, looks_scientific
from app.services import catalog, history
from app.services import tags as tagsvc
from app.services.errors import DomainError, ValidationError
from app.services.fields import (check_frn, clean_text, parse_bool, parse_date, parse_int,
                                 parse_money)

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


def status_of(text) -> str | None:
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
def _n(text) -> str:
    """A name compared loosely: lower case, letters and digits only (cached:
    100,000 rows name the same few hundred sites, rooms and models)."""
    return _NOT_ALNUM.sub("", str(text or "").lower())


def _date(value, field):
    """parse_date with a fast path for the ISO dates exports are full of."""
    if value.__class__ is str and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return parse_date(value, field)


class Handler:
    """Used as ``with Handler(...) as h:`` — leaving normally finishes the
    writes; leaving by an exception (refused, cancelled) abandons them, and
    the import's transaction rolls everything back."""

    def __init__(self, preview, update: bool, write: bool, by: str | None):
        self.p, self.update, self.writing, self.by = preview, update, write, by
        self.pending: list[tuple[str, str]] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        else:
            self.abandon(exc_type, exc, tb)
        return False

    def abandon(self, exc_type, exc, tb) -> None:
        pass

    def plan(self, what: str, name: str) -> None:
        """Note a catalog entry this row would create (kept only if the row is good)."""
        self.pending.append((what, name))

    def keep_plans(self, keep: bool) -> None:
        if keep:
            for what, name in self.pending:
                self.p.new_entries.setdefault(what, set()).add(name)
        self.pending = []

    def finish(self) -> None:
        pass


class _Catalog:
    """Name → id caches over sites, rooms, models, categories, makers,
    suppliers and people, so 100,000 rows cost a dictionary lookup each."""

    def __init__(self):
        from app.models import (Category, HardwareModel, Location, Manufacturer, Person, Site,
                                Supplier)
        from app.store.search import person_text
        self.sites = {}
        for i, name, code in Site.select(Site.id, Site.name, Site.code).tuples():
            self.sites[_n(name)] = i
            if code:
                self.sites.setdefault(_n(code), i)
        self.rooms = {(s, _n(name)): i for i, s, name in
                      Location.select(Location.id, Location.site, Location.name).tuples()}
        self.makers = {_n(n): i for i, n in Manufacturer.select(Manufacturer.id, Manufacturer.name).tuples()}
        self.categories = {_n(n): i for i, n in Category.select(Category.id, Category.name).tuples()}
        self.models = {}
        for i, name, maker, cat in HardwareModel.select(HardwareModel.id, HardwareModel.name,
                                                        HardwareModel.manufacturer,
                                                        HardwareModel.category).tuples():
            self.models[(maker, _n(name))] = i
            self.models.setdefault((None, _n(name)), i)
        self.suppliers = {_n(n): i for i, n in Supplier.select(Supplier.id, Supplier.name).tuples()}
        self.people = {}
        self.names: dict[int, tuple[str, str | None]] = {}  # id → (full name, ID number) for search text
        for i, first, last, email, idn in Person.select(Person.id, Person.first_name, Person.last_name,
                                                        Person.email, Person.id_number).tuples():
            self.names[i] = (person_text(first, last), idn)
            if idn:
                self.people[("id", idn.upper())] = i
            if email:
                self.people[("email", email.lower())] = i
                self.people.setdefault(("user", email.split("@")[0].lower()), i)
            self.people.setdefault(("name", _n(f"{first}{last}")), i)

    _MAKE = {"sites": lambda name: catalog.ensure_site(name).id,
             "suppliers": lambda name: catalog.ensure_supplier(name).id,
             "makers": lambda name: catalog.ensure_manufacturer(name).id,
             "categories": lambda name: catalog.ensure_category(name).id}

    def ensure(self, table: str, name: str, before_write=None) -> int:
        """The id of the site, supplier, maker or category called ``name``,
        made (and cached) when new; ``before_write`` runs first when it is."""
        cache = getattr(self, table)
        found = cache.get(_n(name))
        if found is None:
            if before_write is not None:
                before_write()
            found = cache[_n(name)] = self._MAKE[table](name)
        return found


# --- assets -------------------------------------------------------------------------

ASSET_COLUMNS = ("tag", "tag_key", "serial", "serial_key", "name", "model_id", "status", "site_id",
                 "location_id", "assigned_person_id", "purchase_date", "cost", "order_number",
                 "supplier_id", "funding_type", "funding_name", "erate_frn", "erate_funding_year",
                 "in_service_date", "warranty_end", "last_audit_date", "notes", "custom",
                 "federal_award_id", "federal_share", "condition", "search_text",
                 "created_at", "updated_at", "version")


# One encoder for every row: json.dumps with options builds a new one per call.
_custom_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


# The longest text each asset field keeps (a longer cell is cut, with a note).
_LIMITS = (("serial", 100), ("name", 255), ("order_number", 255), ("site", 255), ("room", 255),
           ("manufacturer", 255), ("category", 255), ("model", 255), ("model_number", 255),
           ("supplier", 255), ("notes", 100_000))


def _same_custom(a: dict, b: dict) -> bool:
    """Custom fields equal as text: a re-imported export reads 32 back as "32"."""
    def text(d):
        return {k: (str(v) if v is not None else "") for k, v in d.items() if v not in ("", None)}
    return text(a) == text(b)


class AssetHandler(Handler):
    PAGE = 2000  # rows inserted at a time; the second thread indexes and logs each page

    def __init__(self, *a):
        super().__init__(*a)
        from app.store.bulk import id_map
        self.cat = _Catalog()
        self.existing = id_map("asset", "tag_key")
        from app.models import TagRecord
        self.voided = {k for (k,) in TagRecord.select(TagRecord.tag_key)
                       .where(TagRecord.state == "voided").tuples()}
        self.seen: set[str] = set()
        self.batch: list = []
        self.updates: list[tuple[int, dict]] = []
        self.new_rooms: dict[int, tuple[int, str]] = {}  # stand-in id → (site id, name)
        self.room_ids: dict[int, int] = {}  # stand-in id → the room's real id
        self._stack = contextlib.ExitStack()
        self.bg = None  # the second thread that indexes and logs each page written
        if self.writing:
            from app.store import bulk, search
            from app.store.db import db
            self.index_sql = self._stack.enter_context(search.inserts_indexed_by_caller())
            self.bg = self._stack.enter_context(bulk.Background())
            self.top = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM asset").fetchone()[0]
            self.who = history.who(self.by)
            self.now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            import peewee as pw
            if isinstance(db.obj, pw.SqliteDatabase):
                # The text sqlite3's (Python-level) adapters would make, made once a
                # value: 500,000 adapter calls are a second of a 100,000-row import.
                self.now = self.now.isoformat(" ")
                self._day = lambda d: d.isoformat() if d is not None else None
            else:
                self._day = lambda d: d

    # -- checking
    def check(self, row: int, rec: dict) -> list[Problem]:
        probs: list[Problem] = []

        def bad(fieldname, reason):
            probs.append(Problem(row, column_of(rec, fieldname), reason))

        def note(fieldname, reason):
            self.p.warnings.append(Problem(row, column_of(rec, fieldname), reason))

        v = self.values(rec, bad, note)
        if v.get("holder_missing"):
            bad("holder_id", f"no person has the ID number {v['holder_missing']} — import the "
                             "people first, or add name columns so they are created")
        key = v.get("tag_key")
        if key:
            if key in self.seen:
                bad("tag", f"the tag {v['tag']} appears twice in this file")
            elif key in self.existing and not self.update:
                bad("tag", f"the tag {v['tag']} already exists (choose update to change existing assets)")
            elif key in self.voided:
                bad("tag", f"the tag {v['tag']} was voided and cannot be used again")
            self.seen.add(key)
        if probs:
            return probs
        if key and key in self.existing:
            self.p.updated += 1
        else:
            self.p.created += 1
        rec["_values"] = v
        return []

    def values(self, rec: dict, bad, note=lambda *_a: None) -> dict:
        v: dict = {}
        if "tag" in rec:
            if looks_scientific(rec["tag"]):
                bad("tag", f"“{rec['tag']}” is a number Excel turned into scientific notation; "
                           "the real tag is lost — format the column as text and export again")
            try:
                v["tag"] = tagsvc.clean_tag(str(rec["tag"]))
                v["tag_key"] = tagsvc.normalize_tag(v["tag"])
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
            v["serial"] = serial[:100]
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
                v["cost"] = parse_money(rec["cost"], "cost")
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
        self._holder(rec, v)
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

    def _funding(self, rec, v, bad):
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

    def _place(self, rec, v):
        site, room = rec.get("site"), rec.get("room")
        loc = rec.get("location")
        if loc:
            if site:
                room = room or str(loc)
            else:
                site = str(loc)
        both = rec.get("site_room")
        if both:
            # "Lincoln High / 214": split only when the column was chosen as site / room.
            left, _, right = str(both).partition("/")
            site, room = site or left.strip() or None, room or right.strip() or None
        if site:
            v["site"] = str(site)[:255]
            if _n(site) not in self.cat.sites:
                self.plan("sites", v["site"])
        if room:
            v["room"] = str(room)[:255]
            sid = self.cat.sites.get(_n(site)) if site else None
            if sid is None or (sid, _n(room)) not in self.cat.rooms:
                self.plan("rooms", f"{site} / {room}" if site else str(room))

    def _model(self, rec, v, note=lambda *_a: None):
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

    def _holder(self, rec, v):
        who = None
        c = self.cat.people
        if rec.get("holder_id"):
            who = c.get(("id", str(rec["holder_id"]).upper()))
        if who is None and rec.get("holder_email"):
            who = c.get(("email", str(rec["holder_email"]).lower()))
        if who is None and rec.get("holder_username"):
            who = c.get(("user", str(rec["holder_username"]).lower()))
        first, last = rec.get("holder_first"), rec.get("holder_last")
        full = rec.get("holder_name")
        email = rec.get("holder_email")
        if full and "@" in str(full) and " " not in str(full).strip():
            # Google Admin's "User" column holds the sign-in address, not a name.
            email, full = email or str(full).strip(), None
            if who is None:
                who = c.get(("email", email.lower()))
            if not (first or last):
                first, last = _name_from_email(email)
        if not (first or last) and full:
            parts = str(full).split(",", 1)
            if len(parts) == 2:
                last, first = parts[0].strip(), parts[1].strip()
            else:
                bits = str(full).split()
                first, last = " ".join(bits[:-1]), bits[-1] if bits else ""
        if who is None and (first or last):
            who = c.get(("name", _n(f"{first or ''}{last or ''}")))
        if who is not None:
            v["holder_id"] = who
        elif rec.get("holder_id") and not (first or last):
            v["holder_missing"] = str(rec["holder_id"])
        elif first or last or email:
            if not (first or last):
                first, last = _name_from_email(str(email))
            v["holder_new"] = dict(first_name=str(first or "")[:100], last_name=str(last or "")[:100],
                                   email=str(email or "")[:255] or None,
                                   id_number=str(rec.get("holder_id") or "")[:100] or None)
            self.plan("people", f"{first or ''} {last or ''}".strip() or v["holder_new"]["email"] or "")

    # -- writing
    def write(self, row: int, rec: dict) -> None:
        v = rec["_values"]
        site_id, room_id = self._ensure_place(v)
        model_id, model, maker = self._ensure_model(v)
        supplier_id = None
        if v.get("supplier"):
            supplier_id = self.cat.ensure("suppliers", v["supplier"], self._quiet)
        person_id = v.get("holder_id") or self._ensure_person(v.get("holder_new"))
        key = v.get("tag_key")
        if key and key in self.existing:
            return self._update(self.existing[key], v, site_id, room_id, model_id, supplier_id,
                                person_id, row)
        if not key:
            self._quiet()
            v["tag"] = tagsvc.next_tags(1)[0]
            key = tagsvc.normalize_tag(v["tag"])
        status = v.get("status") or ("deployed" if person_id else "ready")
        from app.store.search import asset_doc
        holder, holder_idn = self.cat.names.get(person_id, (None, None)) if person_id else (None, None)
        doc = asset_doc(v["tag"], v.get("serial"), v.get("name"), maker, model, v.get("model_number"),
                        holder, holder_idn, v.get("room"), None, v.get("site"), v.get("order_number"),
                        v.get("erate_frn"), v.get("notes"))
        day = self._day
        self.batch.append((v["tag"], key, v.get("serial"), (v.get("serial") or "").upper() or None,
                           v.get("name"), model_id, status, site_id, room_id, person_id,
                           day(v.get("purchase_date")), _money(v.get("cost")), v.get("order_number"),
                           supplier_id, v.get("funding_type"), v.get("funding_name"),
                           v.get("erate_frn"), v.get("erate_funding_year"), day(v.get("in_service_date")),
                           day(v.get("warranty_end")), day(v.get("last_audit_date")), v.get("notes"),
                           _custom_json(v["custom"]) if v.get("custom") else None,
                           v.get("federal_award_id"), _money(v.get("federal_share")),
                           v.get("condition"), doc, self.now, self.now, 1))
        self.existing[key] = -1  # taken (id known after the flush)
        if len(self.batch) >= self.PAGE:
            self._flush()

    def _update(self, asset_id, v, site_id, room_id, model_id, supplier_id, person_id, row):
        changes = {k: v[k] for k in ("serial", "name", "purchase_date", "cost", "order_number",
                                     "funding_type", "funding_name", "erate_frn",
                                     "erate_funding_year", "in_service_date", "warranty_end",
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
        from app.services.errors import DomainError
        from app.store.db import db
        names = sorted({k for _, changes, _, _ in self.updates for k in changes} | {"custom"})
        fields = [getattr(Asset, self._UPDATE_COLUMNS.get(k, k)) for k in names]
        ids = [aid for aid, _, _, _ in self.updates]
        found = (Asset.select(Asset.id, Asset.assigned_person, *fields)
                 .where(Asset.id.in_(ids)).tuples())
        current, holders = {}, {}
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
        self._make_rooms()
        from app.store import bulk
        from app.store.db import db
        bulk.insert_rows("asset", ASSET_COLUMNS, self.batch)
        self.batch = []
        # The page's rows: the ids after the last page's, stamped with this
        # import's time (on a shared database another workstation's new asset
        # may take an id in between; it is not this import's to log).
        lo, hi = self.top, db.execute_sql("SELECT MAX(id) FROM asset").fetchone()[0]
        self.top = hi
        p = bulk.param()
        if self.index_sql:
            self.bg.run(self.index_sql, (lo, hi))
        self.bg.run(f"INSERT INTO history_entry (entity, entity_id, action, who, at, note) "
                    f"SELECT 'asset', id, 'create', {p}, {p}, {p} FROM asset "
                    f"WHERE id > {p} AND id <= {p} AND created_at = {p} ORDER BY id",
                    (self.who, self.now, f"imported from {self.p.path.name}", lo, hi, self.now))
        self.bg.run(f"INSERT INTO loan (asset_id, person_id, out_at, condition_out, language, "
                    f"out_by, agreement_signed) SELECT id, assigned_person_id, {p}, 'good', 'en', "
                    f"{p}, {p} FROM asset WHERE id > {p} AND id <= {p} AND created_at = {p} "
                    f"AND assigned_person_id IS NOT NULL ORDER BY id",
                    (self.now, self.who, False, lo, hi, self.now))

    def abandon(self, exc_type, exc, tb) -> None:
        # The search triggers come back; the index is not rebuilt (all is rolled back).
        self._stack.__exit__(exc_type, exc, tb)

    def finish(self) -> None:
        if not self.writing:
            return
        try:
            self._flush()
            self._flush_updates()
            self.bg.wait()
        except BaseException:
            self._stack.__exit__(*sys.exc_info())  # drops what is queued
            raise
        self._stack.close()

    def _ensure_place(self, v):
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

    def _ensure_model(self, v):
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

    def _ensure_person(self, new: dict | None) -> int | None:
        if not new:
            return None
        key = ("name", _n(f"{new['first_name']}{new['last_name']}"))
        if new.get("email"):
            key = ("email", new["email"].lower())
        if key in self.cat.people:
            return self.cat.people[key]
        self._quiet()
        from app.services import people
        from app.store.search import person_text
        values = {k: val for k, val in new.items() if val}
        if "email" in values and "@" not in values["email"]:
            values.pop("email")
        person = people.create(by=self.by, kind="staff", **values)
        self.cat.people[key] = person.id
        self.cat.names[person.id] = (person_text(person.first_name, person.last_name), person.id_number)
        return person.id


def _name_from_email(email: str) -> tuple[str, str]:
    """A name to file a person under when a sheet gives only their address:
    maria.garcia@… is María… Garcia as far as we can tell (Maria, Garcia);
    jdoe@… is just jdoe (the people import can name them properly later)."""
    local = email.split("@", 1)[0].strip()
    parts = [x for x in re.split(r"[._]", local) if x]
    if len(parts) == 2 and all(x.isalpha() for x in parts):
        return parts[0].capitalize(), parts[1].capitalize()
    return "", local or email


def _clamp_date(y, m, d):
    import calendar
    return dt.date(y, m, min(d, calendar.monthrange(y, m)[1]))


def _money(value):
    return None if value is None else Decimal(value)


# --- the smaller kinds, through their services ------------------------------------------

class ServiceHandler(Handler):
    """Check by converting; write by calling the service. ``key`` finds an
    existing record (update or conflict)."""

    repeat_ok = False  # a second row naming the same record: one record (True) or a problem

    def key_of(self, values):
        """What makes two rows the same record (None: every row is its own)."""
        return None

    def check(self, row, rec):
        probs = []
        if not hasattr(self, "in_file"):
            self.in_file: dict = {}
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

    def field_of(self, f):
        return f

    def write(self, row, rec):
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


class PeopleHandler(ServiceHandler):
    noun, key_field = "person", "id_number"

    def __init__(self, *a):
        super().__init__(*a)
        self.cat = _Catalog()
        self.seen = set()
        self.created: list[tuple[int, str]] = []

    def describe(self, v):
        return v.get("id_number") or v.get("email") or f"{v.get('first_name')} {v.get('last_name')}"

    def key_of(self, v):
        if v.get("id_number"):
            return ("id", v["id_number"].upper())
        return ("email", v["email"].lower()) if v.get("email") else None

    def convert(self, rec):
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
        v = {"first_name": str(first or ""), "last_name": str(last or "")}
        idn = rec.get("id_number") or rec.get("username")
        if idn:
            v["id_number"] = str(idn)
        if rec.get("email"):
            v["email"] = str(rec["email"])
        if rec.get("phone"):
            v["phone"] = str(rec["phone"])
        kind = _n(rec.get("kind"))
        v["kind"] = ("student" if kind.startswith("stud") else "family" if kind.startswith(
            ("fam", "parent", "guard")) else "staff")
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

    def save(self, v, existing):
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
        who, now = history.who(self.by), utcnow()
        insert_rows("history_entry", ("entity", "entity_id", "action", "new", "who", "at", "note"),
                    (("person", pid, "create", name, who, now, f"imported from {self.p.path.name}")
                     for pid, name in self.created))


class LocationHandler(ServiceHandler):
    """Rows with a site column are rooms within sites; rows without are sites."""
    noun, key_field = "location", "name"

    def __init__(self, *a):
        super().__init__(*a)
        self.cat = _Catalog()

    repeat_ok = True

    def describe(self, v):
        return f"{v['site']} / {v['name']}" if v.get("site") else v["name"]

    def key_of(self, v):
        return (_n(v.get("site")), _n(v["name"]))

    def convert(self, rec):
        name = rec.get("name")
        if not name:
            raise ValidationError("a location needs a name", field="name")
        name = str(name)[:255]
        site = str(rec["site"])[:255] if rec.get("site") else None
        if site is None and "/" in name:
            site, name = (x.strip() for x in name.split("/", 1))
        address = ", ".join(str(rec[k]) for k in ("address", "address2", "city", "state", "zip")
                            if rec.get(k)) or None
        v = {"name": name, "site": site, "address": address}
        if site:
            sid = self.cat.sites.get(_n(site))
            if sid is None:
                self.plan("sites", site)
            existing = self.cat.rooms.get((sid, _n(name))) if sid else None
        else:
            existing = self.cat.sites.get(_n(name))
        return v, existing

    def save(self, v, existing):
        if existing:
            return  # already there: nothing to change but the name
        if v["site"]:
            sid = self.cat.sites.get(_n(v["site"]))
            if sid is None:
                # A room row's address is its building's (rooms have none of their own).
                sid = catalog.create_site(v["site"], address=v["address"], by=self.by).id
                self.cat.sites[_n(v["site"])] = sid
            elif v["address"]:
                catalog.fill_site_address(sid, v["address"], by=self.by)
            loc = catalog.create_location(sid, v["name"], by=self.by)
            self.cat.rooms[(sid, _n(v["name"]))] = loc.id
        else:
            site = catalog.create_site(v["name"], address=v["address"], by=self.by)
            self.cat.sites[_n(v["name"])] = site.id


class ModelHandler(ServiceHandler):
    noun, key_field = "model", "name"
    repeat_ok = True

    def key_of(self, v):
        return (_n(v.get("manufacturer")), _n(v["name"]))

    def __init__(self, *a):
        super().__init__(*a)
        self.cat = _Catalog()

    def describe(self, v):
        return v["name"]

    def convert(self, rec):
        if not rec.get("name"):
            raise ValidationError("a model needs a name", field="name")
        v = {"name": str(rec["name"])[:255], "manufacturer": rec.get("manufacturer"),
             "category": rec.get("category"), "model_number": rec.get("model_number"),
             "notes": rec.get("notes")}
        if rec.get("eol_months"):
            v["eol_months"] = parse_int(rec["eol_months"], "eol_months", 0, 600)
        maker = self.cat.makers.get(_n(v["manufacturer"])) if v["manufacturer"] else None
        for what, key, table in (("manufacturers", "manufacturer", self.cat.makers),
                                 ("categories", "category", self.cat.categories)):
            if v[key] and _n(v[key]) not in table:
                self.plan(what, str(v[key]))
        return v, self.cat.models.get((maker, _n(v["name"])))

    def save(self, v, existing):
        if existing:
            return
        cat_id = None
        if v["category"]:
            cat_id = self.cat.ensure("categories", str(v["category"]))
        m = catalog.create_model(v["name"], manufacturer=v["manufacturer"], category_id=cat_id,
                                 model_number=v["model_number"], eol_months=v.get("eol_months"),
                                 by=self.by)
        self.cat.models[(m.manufacturer_id, _n(m.name))] = m.id


class LicenseHandler(ServiceHandler):
    """A row is a license and, when it names a user or a computer, a seat for
    them. A later row naming the same product and key adds another seat to
    that license (exports list one row per seat); an existing license takes
    the seat only with update."""
    noun, key_field = "license", "product"

    def __init__(self, *a):
        super().__init__(*a)
        from app.models import License
        self.cat = _Catalog()
        self.licenses = {(_n(p), _n(k)): i for i, p, k in
                         License.select(License.id, License.product, License.product_key).tuples()}
        self.in_file: dict = {}
        self.free: dict = {}  # license key → seats still free as the rows are checked (None: no limit)

    def describe(self, v):
        return v["product"]

    def key_of(self, v):
        return (_n(v["product"]), _n(v.get("product_key")))

    @staticmethod
    def _capacity(v, existing):
        """Free seats of the row's license: the database's for one that exists,
        the row's own Seats for one this file creates; None when unlimited."""
        if existing:
            from app.models import License
            from app.services import licenses
            lic = License.get_by_id(existing)
            if lic.site_license or lic.allow_over or lic.seats is None:
                return None
            return lic.seats - licenses.seats_used(lic.id)
        if v.get("site_license"):
            return None
        return parse_int(v.get("seats", 1), "seats", 0, 10_000_000)

    def check(self, row, rec):
        try:
            v = self.convert(rec)
        except ValidationError as exc:
            f = exc.field or "product"
            return [Problem(row, column_of(rec, f), str(exc))]
        key = self.key_of(v)
        seat = self.seat(row, rec, v)
        if isinstance(seat, Problem):
            return [seat]
        first = self.in_file.get(key)
        existing = self.licenses.get(key)
        refused = existing and first is None and not self.update  # reported below
        if seat != (None, None, None) and not refused:  # the row takes a seat: is one left?
            if key not in self.free:
                self.free[key] = self._capacity(v, existing if first is None else None)
            left = self.free[key]
            if left is not None:
                if left <= 0:
                    col = next((f for f in ("seat_name", "seat_email", "seat_username", "seat_tag")
                                if rec.get(f)), "seat_name")
                    return [Problem(row, column_of(rec, col), f"license “{v['product']}” has no seat "
                                    "left for this row (its seats are taken by earlier rows or "
                                    "existing assignments); raise its seats or leave the row out")]
                self.free[key] = left - 1
        if first is not None:
            action = "seat"  # the license comes from an earlier row of this file
        elif existing and not self.update:
            return [Problem(row, column_of(rec, "product"), f"license “{v['product']}” already "
                            "exists (choose update to add this row's seat to it)")]
        elif existing:
            action = "seat"
            self.p.updated += 1
        else:
            action = "create"
            self.in_file[key] = row
            self.p.created += 1
        rec["_values"], rec["_existing"] = (action, key, v, seat), existing
        return []

    def seat(self, row, rec, v):
        """Who or what gets this row's seat: (person id | None, new person | None, asset id | None)."""
        if rec.get("seat_tag"):
            from app.models import Asset
            tag = str(rec["seat_tag"]).strip()
            aid = Asset.select(Asset.id).where(Asset.tag_key == tagsvc.normalize_tag(tag)).scalar()
            if aid is None:
                return Problem(row, column_of(rec, "seat_tag"), f"no asset has the tag {tag}")
            return (None, None, aid)
        who = None
        for kind, key in (("email", "seat_email"), ("user", "seat_username")):
            if rec.get(key) and who is None:
                who = self.cat.people.get((kind, str(rec[key]).lower()))
        name = str(rec.get("seat_name") or "").strip()
        if "," in name:  # "García, María": last name first, as lists are kept
            last, _, first = (x.strip() for x in name.partition(","))
        else:
            first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
            first, last = first.strip(), last.strip()
        if who is None and name:
            who = self.cat.people.get(("name", _n(f"{first}{last}")))
        if who is not None:
            return (who, None, None)
        if not (name or rec.get("seat_email")):
            return (None, None, None)
        email = str(rec.get("seat_email") or "").strip() or None
        new = {"first_name": first, "last_name": last or (email or "").split("@")[0],
               "email": email if email and "@" in email else None}
        self.plan("people", f"{first} {last}".strip() or email)
        return (None, new, None)

    def convert(self, rec):
        from app.services import licenses
        if not rec.get("product"):
            raise ValidationError("a license needs a product name", field="product")
        v = {k: rec[k] for k in ("product", "version", "vendor", "product_key", "purchase_date",
                                 "cost", "order_number", "expiry_date", "licensed_to", "notes")
             if rec.get(k) not in (None, "")}
        v = {k: (str(x) if not isinstance(x, (dt.date, int, float, Decimal)) else x) for k, x in v.items()}
        if rec.get("site_license") is not None and parse_bool(rec["site_license"], "site_license"):
            v["site_license"] = True
        else:
            v["seats"] = rec.get("seats", 1)
        licenses._clean(v)  # converts and raises with the field named
        return v

    def write(self, row, rec):
        from app.services.base import transaction
        action, key, v, (person, new, asset) = rec["_values"]
        try:
            with transaction():  # the license and its seat together, or neither
                self._write(action, key, v, person, new, asset)
        except DomainError as exc:
            return [Problem(row, column_of(rec, "seat_name" if action == "seat" else "product"),
                            str(exc))]
        return None

    def _write(self, action, key, v, person, new, asset):
        from app.services import licenses, people
        if action == "create":
            lic_id = licenses.create(by=self.by, **v).id
            self.licenses[key] = lic_id
        else:
            lic_id = self.licenses[key]
        if new is not None:
            made_key = ("email", new["email"].lower()) if new.get("email") else \
                ("name", _n(f"{new['first_name']}{new['last_name']}"))
            person = self.cat.people.get(made_key)
            if person is None:
                person = people.create(by=self.by, kind="staff",
                                       **{k: x for k, x in new.items() if x}).id
                self.cat.people[made_key] = person
        if person or asset:
            licenses.assign(lic_id, person_id=person, asset_id=asset, by=self.by)


class SupplyHandler(ServiceHandler):
    noun, key_field = "supply item", "name"

    def key_of(self, v):
        return _n(v["name"])

    def __init__(self, *a):
        super().__init__(*a)
        from app.models import Supply
        self.existing = {_n(n): i for i, n in Supply.select(Supply.id, Supply.name).tuples()}
        self.cat = _Catalog()

    def describe(self, v):
        return v["name"]

    def convert(self, rec):
        from app.models.common import SUPPLY_CATEGORIES
        from app.services import stock
        if not rec.get("name"):
            raise ValidationError("a supply item needs a name", field="name")
        cat = _n(rec.get("category"))
        category = next((k for k in SUPPLY_CATEGORIES if cat.startswith(k)), "other")
        v = {"name": str(rec["name"])[:255], "category": category}
        for key in ("part_number", "barcode", "bin", "notes"):
            if rec.get(key) not in (None, ""):
                v[key] = str(rec[key])
        for key in ("reorder_point", "target"):
            if rec.get(key) not in (None, ""):
                v[key] = rec[key]
        if rec.get("unit_cost") not in (None, ""):
            v["unit_cost"] = rec["unit_cost"]
        stock._clean(v)
        qty = parse_int(rec.get("quantity"), "quantity", 0, 10_000_000) if rec.get("quantity") not in (None, "") else 0
        v["_qty"] = qty
        v["_po"] = str(rec["order_number"]) if rec.get("order_number") else None
        v["_supplier"] = str(rec["supplier"])[:255] if rec.get("supplier") else None
        if v["_supplier"] and _n(v["_supplier"]) not in self.cat.suppliers:
            self.plan("suppliers", v["_supplier"])
        return v, self.existing.get(_n(v["name"]))

    def save(self, v, existing):
        from app.services import stock
        v = dict(v)
        qty, po, supplier = v.pop("_qty"), v.pop("_po"), v.pop("_supplier")
        if supplier:
            v["supplier_id"] = self.cat.ensure("suppliers", supplier)
        if existing:
            stock.update(existing, v, by=self.by)
            if qty:
                stock.count(existing, qty, reason="imported count", by=self.by)
            return
        item = stock.create(by=self.by, **v)
        self.existing[_n(item.name)] = item.id
        if qty:
            stock.receive(item.id, qty, unit_cost=v.get("unit_cost"), order_number=po, by=self.by)


HANDLERS = {"assets": AssetHandler, "people": PeopleHandler, "locations": LocationHandler,
            "models": ModelHandler, "licenses": LicenseHandler, "supplies": SupplyHandler}
