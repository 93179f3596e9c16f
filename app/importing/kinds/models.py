"""Hardware models, with their maker and category."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.importing.kinds.common import ServiceHandler, _Catalog, _n
from app.services import catalog
from app.services.errors import ValidationError
from app.services.fields import parse_int

if TYPE_CHECKING:
    from app.importing import Preview


class ModelHandler(ServiceHandler):
    noun, key_field = "model", "name"
    repeat_ok = True

    def key_of(self, v: dict[str, Any]) -> tuple[str, str]:
        return (_n(v.get("manufacturer")), _n(v["name"]))

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        self.cat = _Catalog()

    def describe(self, v: dict[str, Any]) -> str:
        return str(v["name"])

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        if not rec.get("name"):
            raise ValidationError("a model needs a name", field="name")
        v: dict[str, Any] = {"name": str(rec["name"])[:255], "manufacturer": rec.get("manufacturer"),
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

    def save(self, v: dict[str, Any], existing: int | None) -> None:
        if existing:
            return
        cat_id = None
        if v["category"]:
            cat_id = self.cat.ensure("categories", str(v["category"]))
        m = catalog.create_model(v["name"], manufacturer=v["manufacturer"], category_id=cat_id,
                                 model_number=v["model_number"], eol_months=v.get("eol_months"),
                                 by=self.by)
        self.cat.models[(m.manufacturer_id, _n(m.name))] = m.id


