"""Where things are, what they are, and who sells them."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.common import CATEGORY_KINDS, JSONField, MoneyField, utcnow
from app.store.db import BaseModel


class Site(BaseModel):
    name = pw.CharField(unique=True)
    code = pw.CharField(null=True, unique=True)  # short code, e.g. "LHS"
    address = pw.TextField(null=True)
    notes = pw.TextField(null=True)
    # Schema step 11: the E-Rate Billed Entity Number.
    ben = pw.CharField(null=True)

    def __str__(self) -> str:
        return self.name


class Location(BaseModel):
    """A room or area within a site; may sit inside another location."""

    site = pw.ForeignKeyField(Site, backref="locations", on_delete="RESTRICT")
    name = pw.CharField()
    # A self-reference names no class, so the stubs cannot infer its type.
    parent: pw.ForeignKeyField[Location | None] = pw.ForeignKeyField(
        "self", null=True, backref="children", on_delete="SET NULL")
    # The code printed on the room label ("LOC-00012"); a scan of it sets the room.
    barcode = pw.CharField(null=True, unique=True)
    notes = pw.TextField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        site_id: int
        parent_id: int | None

    class Meta:
        indexes = ((("site", "name"), True),)

    def __str__(self) -> str:
        return self.name


class Category(BaseModel):
    name = pw.CharField(unique=True)
    kind = pw.CharField(default="other", choices=list(CATEGORY_KINDS.items()))
    life_years = pw.IntegerField(default=5)  # service life for straight-line depreciation
    # Field definitions for assets of this category: [{"name": "RAM (GB)", "type": "number"}, ...]
    custom_fields = JSONField(null=True)

    def __str__(self) -> str:
        return self.name


class Manufacturer(BaseModel):
    name = pw.CharField(unique=True)

    def __str__(self) -> str:
        return self.name


class HardwareModel(BaseModel):
    """A make and model of device ("Dell Latitude 3440")."""

    name = pw.CharField()
    manufacturer = pw.ForeignKeyField(Manufacturer, null=True, backref="models", on_delete="RESTRICT")
    category = pw.ForeignKeyField(Category, null=True, backref="models", on_delete="RESTRICT")
    model_number = pw.CharField(null=True)
    eol_months = pw.IntegerField(null=True)
    # A regular expression the model's serials usually match (intake warns otherwise).
    serial_pattern = pw.CharField(null=True)
    notes = pw.TextField(null=True)
    # Schema step 11: what a new one costs today (lost-device fees, the
    # refresh plan's budget).
    replacement_cost = MoneyField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        manufacturer_id: int | None
        category_id: int | None

    class Meta:
        table_name = "hardware_model"
        indexes = ((("manufacturer", "name"), True),)

    def __str__(self) -> str:
        return self.name


class Supplier(BaseModel):
    """A vendor we buy from; also the repair vendor."""

    name = pw.CharField(unique=True)
    contact = pw.CharField(null=True)
    phone = pw.CharField(null=True)
    email = pw.CharField(null=True)
    account_number = pw.CharField(null=True)
    notes = pw.TextField(null=True)
    # Schema step 11: the E-Rate service provider's SPIN (498 ID).
    spin = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    def __str__(self) -> str:
        return self.name
