"""Supplies (consumables, accessories, components) and their counts."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.importing.kinds.common import ServiceHandler, _Catalog, _n
from app.services.errors import ValidationError
from app.services.fields import parse_int
from app.store.db import rows

if TYPE_CHECKING:
    from app.importing import Preview


class SupplyHandler(ServiceHandler):
    noun, key_field = "supply item", "name"

    def key_of(self, v: dict[str, Any]) -> str:
        return _n(v["name"])

    def __init__(self, preview: Preview, update: bool, write: bool, by: str | None) -> None:
        super().__init__(preview, update, write, by)
        from app.models import Supply
        self.existing = {_n(n): i for i, n in rows(Supply.select(Supply.id, Supply.name))}
        self.cat = _Catalog()

    def describe(self, v: dict[str, Any]) -> str:
        return str(v["name"])

    def convert(self, rec: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        from app.models.common import SUPPLY_CATEGORIES
        from app.services import stock
        if not rec.get("name"):
            raise ValidationError("a supply item needs a name", field="name")
        cat = _n(rec.get("category"))
        category = next((k for k in SUPPLY_CATEGORIES if cat.startswith(k)), "other")
        v: dict[str, Any] = {"name": str(rec["name"])[:255], "category": category}
        for key in ("part_number", "barcode", "bin", "notes"):
            if rec.get(key) not in (None, ""):
                v[key] = str(rec[key])
        for key in ("reorder_point", "target"):
            if rec.get(key) not in (None, ""):
                v[key] = rec[key]
        if rec.get("unit_cost") not in (None, ""):
            v["unit_cost"] = rec["unit_cost"]
        stock.clean(v)
        qty = parse_int(rec.get("quantity"), "quantity", 0, 10_000_000) if rec.get("quantity") not in (None, "") else 0
        v["_qty"] = qty
        v["_po"] = str(rec["order_number"]) if rec.get("order_number") else None
        v["_supplier"] = str(rec["supplier"])[:255] if rec.get("supplier") else None
        if v["_supplier"] and _n(v["_supplier"]) not in self.cat.suppliers:
            self.plan("suppliers", v["_supplier"])
        return v, self.existing.get(_n(v["name"]))

    def save(self, v: dict[str, Any], existing: int | None) -> None:
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


