"""Locations: rows with a site column are rooms within sites; rows without are sites."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.importing.kinds.common import ServiceHandler, _Catalog, _n
from app.services import catalog
from app.services.errors import ValidationError

if TYPE_CHECKING:
    from app.importing import Preview


class LocationHandler(ServiceHandler):
    """Rows with a site column are rooms within sites; rows without are sites."""
    noun, key_field = "location", "name"

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        self.cat = _Catalog()

    repeat_ok = True

    def describe(self, v: dict[str, Any]) -> str:
        return f"{v['site']} / {v['name']}" if v.get("site") else v["name"]

    def key_of(self, v: dict[str, Any]) -> tuple[str, str]:
        return (_n(v.get("site")), _n(v["name"]))

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
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

    def save(self, v: dict[str, Any], existing: int | None) -> None:
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


