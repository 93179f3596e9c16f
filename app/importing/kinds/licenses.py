"""Licenses, and a seat for the user or computer a row names."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import datetime as dt
from decimal import Decimal

from app.importing import Problem, column_of
from app.importing.kinds.common import AMBIGUOUS, ServiceHandler, _Catalog, _n
from app.services import tags as tagsvc
from app.services.errors import DomainError, ValidationError
from app.services.fields import parse_bool, parse_int

if TYPE_CHECKING:
    from app.importing import Preview

# Who or what gets a row's seat: (person id, a new person's fields, asset id).
SeatFor = tuple[int | None, dict[str, Any] | None, int | None]
# A license as a file names it: (product, key token).
LicenseKey = tuple[str, str]


class LicenseHandler(ServiceHandler):
    """A row is a license and, when it names a user or a computer, a seat for
    them. A later row naming the same product and key adds another seat to
    that license (exports list one row per seat); an existing license takes
    the seat only with update."""
    noun, key_field = "license", "product"

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        from app.services import licenses
        self.cat = _Catalog()
        # Keys compared as digests: in team mode the key column is not readable.
        self.licenses = {(_n(p), t): i for i, p, t in licenses.key_tokens()}
        self.in_file = {}  # a license key → the row that creates it
        self.free: dict[LicenseKey, int | None] = {}  # license key → seats still free as the rows are checked (None: no limit)

    def describe(self, v: dict[str, Any]) -> str:
        return str(v["product"])

    def key_of(self, v: dict[str, Any]) -> LicenseKey:
        from app.services.licenses import key_token
        return (_n(v["product"]), key_token(v.get("product_key")))

    @staticmethod
    def _capacity(v: dict[str, Any], existing: int | None) -> int | None:
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

    def check(self, row: int, rec: dict[str, Any]) -> list[Problem]:
        try:
            v = self._license_values(rec)
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

    def seat(self, row: int, rec: dict[str, Any], v: dict[str, Any]) -> SeatFor | Problem:
        """Who or what gets this row's seat: (person id | None, new person | None, asset id | None)."""
        if rec.get("seat_tag"):
            from app.models import Asset
            tag = str(rec["seat_tag"]).strip()
            aid = Asset.select(Asset.id).where(Asset.tag_key == tagsvc.normalize_tag(tag)).scalar()
            if aid is None:
                return Problem(row, column_of(rec, "seat_tag"), f"no asset has the tag {tag}")
            return (None, None, aid)
        name = str(rec.get("seat_name") or "").strip()
        if "," in name:  # "García, María": last name first, as lists are kept
            last, _, first = (x.strip() for x in name.partition(","))
        else:
            first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
            first, last = first.strip(), last.strip()
        who, _how = self.cat.find_person(None, rec.get("seat_email"), rec.get("seat_username"),
                                         first, last)
        if who == AMBIGUOUS:
            return Problem(row, column_of(rec, "seat_name"), f"more than one person is called "
                           f"{name}; add an email column so the right one gets the seat")
        if who is not None:
            return (who, None, None)
        if not (name or rec.get("seat_email")):
            return (None, None, None)
        email = str(rec.get("seat_email") or "").strip() or None
        new = {"first_name": first, "last_name": last or (email or "").split("@")[0],
               "email": email if email and "@" in email else None}
        self.plan("people", f"{first} {last}".strip() or email or "")
        return (None, new, None)

    def _license_values(self, rec: dict[str, Any]) -> dict[str, Any]:
        from app.services import licenses
        if not rec.get("product"):
            raise ValidationError("a license needs a product name", field="product")
        v: dict[str, Any] = {k: rec[k] for k in ("product", "version", "vendor", "product_key", "purchase_date",
                                 "cost", "order_number", "expiry_date", "licensed_to", "notes")
             if rec.get(k) not in (None, "")}
        v = {k: (str(x) if not isinstance(x, (dt.date, int, float, Decimal)) else x) for k, x in v.items()}
        if rec.get("site_license") is not None and parse_bool(rec["site_license"], "site_license"):
            v["site_license"] = True
        else:
            v["seats"] = rec.get("seats", 1)
        licenses.clean(v)  # converts and raises with the field named
        return v

    def write(self, row: int, rec: dict[str, Any]) -> list[Problem] | None:
        from app.services.base import transaction
        action, key, v, (person, new, asset) = rec["_values"]
        try:
            with transaction():  # the license and its seat together, or neither
                self._write(action, key, v, person, new, asset)
        except DomainError as exc:
            return [Problem(row, column_of(rec, "seat_name" if action == "seat" else "product"),
                            str(exc))]
        return None

    def _write(self, action: str, key: LicenseKey, v: dict[str, Any], person: int | None,
               new: dict[str, Any] | None, asset: int | None) -> None:
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
                made = people.create(by=self.by, kind="staff", **{k: x for k, x in new.items() if x})
                person = made.id
                self.cat.add_person(person, made.first_name, made.last_name, made.email, None)
        if person or asset:
            licenses.assign(lic_id, person_id=person, asset_id=asset, by=self.by)


