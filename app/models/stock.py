"""Software licenses and their seats; consumable supplies and their movements."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import peewee as pw

from app.models.assets import Asset
from app.models.common import MoneyField, SUPPLY_CATEGORIES, utcnow
from app.models.people import Person
from app.models.places import HardwareModel, Location, Supplier
from app.store.db import BaseModel


class License(BaseModel):
    product = pw.CharField(index=True)
    version = pw.CharField(null=True)
    vendor = pw.CharField(null=True)
    supplier = pw.ForeignKeyField(Supplier, null=True, on_delete="SET NULL")
    product_key = pw.TextField(null=True)  # secret: masked on screen, kept out of logs/exports
    seats = pw.IntegerField(null=True)  # seats owned; null with site_license
    site_license = pw.BooleanField(default=False)
    allow_over = pw.BooleanField(default=False)  # over-allocation permitted (then a compliance problem)
    purchase_date = pw.DateField(null=True)
    cost = MoneyField(null=True)
    expiry_date = pw.DateField(null=True, index=True)
    order_number = pw.CharField(null=True)
    licensed_to = pw.CharField(null=True)
    notes = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    version_no = pw.IntegerField(default=1, column_name="row_version")
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        supplier_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        seat_rows: pw.ModelSelect[Seat]

    def __str__(self) -> str:
        return f"{self.product} {self.version or ''}".strip()

    @classmethod
    def select(cls, *fields: Any) -> pw.ModelSelect[Self]:
        """On PostgreSQL a plain ``License.select()`` leaves the product key out:
        team roles may not read that column (schema step 8, ``team init``); the
        key is read through ``app.services.licenses``, which has the server
        record each reading."""
        if not fields and isinstance(cls._meta.database.obj, pw.PostgresqlDatabase):
            kept = [f for f in cls._meta.sorted_fields if f.name != "product_key"]
            query: pw.ModelSelect[Self] = pw.ModelSelect(cls, kept, is_default=True)
            return query
        return super().select(*fields)


class Seat(BaseModel):
    license = pw.ForeignKeyField(License, backref="seat_rows", on_delete="CASCADE")
    asset = pw.ForeignKeyField(Asset, null=True, backref="seats", on_delete="CASCADE")
    person = pw.ForeignKeyField(Person, null=True, backref="seats", on_delete="CASCADE")
    assigned_at = pw.DateTimeField(default=utcnow)
    by = pw.CharField(null=True)
    notes = pw.TextField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        license_id: int
        asset_id: int | None
        person_id: int | None

    class Meta:
        indexes = (
            (("license", "asset"), True),
            (("license", "person"), True),
        )


class Supply(BaseModel):
    name = pw.CharField(index=True)
    part_number = pw.CharField(null=True, index=True)
    barcode = pw.CharField(null=True, unique=True)  # the box's UPC/EAN
    category = pw.CharField(default="other", choices=list(SUPPLY_CATEGORIES.items()))
    unit = pw.CharField(default="each")
    reorder_point = pw.IntegerField(default=0)
    target = pw.IntegerField(default=0)
    bin = pw.CharField(null=True)
    unit_cost = MoneyField(null=True)
    supplier = pw.ForeignKeyField(Supplier, null=True, on_delete="SET NULL")
    # Cached sum of StockMove.qty, kept equal in the same transaction.
    on_hand = pw.IntegerField(default=0)
    notes = pw.TextField(null=True)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        supplier_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        fits: pw.ModelSelect[SupplyFit]
        moves: pw.ModelSelect[StockMove]

    def __str__(self) -> str:
        return self.name


class SupplyFit(BaseModel):
    """A supply fits a printer model."""

    supply = pw.ForeignKeyField(Supply, backref="fits", on_delete="CASCADE")
    model = pw.ForeignKeyField(HardwareModel, backref="supplies", on_delete="CASCADE")
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        supply_id: int
        model_id: int

    class Meta:
        table_name = "supply_fit"
        indexes = ((("supply", "model"), True),)


class StockMove(BaseModel):
    supply = pw.ForeignKeyField(Supply, backref="moves", on_delete="CASCADE")
    kind = pw.CharField()  # receive / issue / adjust / count / transfer
    qty = pw.IntegerField()  # signed change to on-hand (0 for a transfer)
    to_person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    to_location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    to_asset = pw.ForeignKeyField(Asset, null=True, on_delete="SET NULL")
    from_bin = pw.CharField(null=True)
    to_bin = pw.CharField(null=True)
    unit_cost = MoneyField(null=True)
    order_number = pw.CharField(null=True)
    reason = pw.TextField(null=True)
    balance = pw.IntegerField(null=True)  # on-hand after this move
    by = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow, index=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        supply_id: int
        to_person_id: int | None
        to_location_id: int | None
        to_asset_id: int | None

    class Meta:
        table_name = "stock_move"
        indexes = ((("supply", "at"), False),)
