"""Work orders: the request log (who asked, for what, what was done, how long it took)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.activity import Repair
from app.models.assets import Asset
from app.models.common import utcnow
from app.models.people import Person
from app.models.places import Location, Site
from app.store.db import BaseModel


class WorkOrder(BaseModel):
    """One request. Its id is the number people quote ("work order 42")."""

    summary = pw.CharField()
    description = pw.TextField(null=True)
    category = pw.CharField(default="repair", index=True)
    priority = pw.CharField(default="normal")
    status = pw.CharField(default="new", index=True)
    # The requester is a person in the register, or (a parent, a visitor) a
    # name and a way to reach them.
    requester = pw.ForeignKeyField(Person, null=True, backref="work_orders", on_delete="SET NULL")
    requester_name = pw.CharField(null=True)
    requester_contact = pw.CharField(null=True)
    site = pw.ForeignKeyField(Site, null=True, backref="work_orders", on_delete="SET NULL")
    location = pw.ForeignKeyField(Location, null=True, backref="work_orders", on_delete="SET NULL")
    asset = pw.ForeignKeyField(Asset, null=True, backref="work_orders", on_delete="SET NULL")
    # A repair sent to a vendor stays a Repair; the work order points at it.
    repair = pw.ForeignKeyField(Repair, null=True, backref="work_orders", on_delete="SET NULL")
    assignee = pw.CharField(null=True, index=True)
    follow_up = pw.DateField(null=True, index=True)
    resolution = pw.TextField(null=True)
    opened_at = pw.DateTimeField(default=utcnow, index=True)
    closed_at = pw.DateTimeField(null=True)
    created_by = pw.CharField(null=True)
    updated_at = pw.DateTimeField(default=utcnow)
    version = pw.IntegerField(default=1)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        requester_id: int | None
        site_id: int | None
        location_id: int | None
        asset_id: int | None
        repair_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        assets: pw.ModelSelect[WorkOrderAsset]
        notes: pw.ModelSelect[WorkOrderNote]

    class Meta:
        table_name = "work_order"

    def __str__(self) -> str:
        return f"#{self.id} {self.summary}"


class WorkOrderNote(BaseModel):
    """The thread: what was done or said, and the minutes it took."""

    work_order = pw.ForeignKeyField(WorkOrder, backref="notes", on_delete="CASCADE")
    text = pw.TextField()
    minutes = pw.IntegerField(default=0)
    by = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow, index=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        work_order_id: int

    class Meta:
        table_name = "work_order_note"
        constraints = [pw.SQL("CHECK (minutes >= 0)")]


class WorkOrderAsset(BaseModel):
    """Schema step 11: the assets a work order is about, when there are
    several (``WorkOrder.asset`` stays the first, for the lists)."""

    work_order = pw.ForeignKeyField(WorkOrder, backref="assets", on_delete="CASCADE")
    asset = pw.ForeignKeyField(Asset, backref="work_order_links", on_delete="CASCADE")
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        work_order_id: int
        asset_id: int

    class Meta:
        table_name = "work_order_asset"
        indexes = ((("work_order", "asset"), True),)
