"""What happens to assets: loans, repairs, stocktakes, intake, history."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.assets import Asset
from app.models.common import JSONField, MoneyField, utcnow
from app.models.people import Person
from app.models.places import HardwareModel, Location, Site, Supplier
from app.store.db import BaseModel

if TYPE_CHECKING:  # for the backrefs below (the modules import each other)
    from app.models.program import Fee, LoanPart
    from app.models.workorders import WorkOrder


class Loan(BaseModel):
    asset = pw.ForeignKeyField(Asset, backref="loans", on_delete="CASCADE")
    person = pw.ForeignKeyField(Person, null=True, backref="loans", on_delete="RESTRICT")
    location = pw.ForeignKeyField(Location, null=True, backref="loans", on_delete="RESTRICT")
    out_at = pw.DateTimeField(default=utcnow, index=True)
    due = pw.DateField(null=True, index=True)
    returned_at = pw.DateTimeField(null=True, index=True)
    condition_out = pw.CharField(null=True)
    condition_in = pw.CharField(null=True)
    agreement_signed = pw.BooleanField(default=False)
    # Schema step 11: signed / waiver (waiver on file) / refused (the family
    # refused to sign; districts must record it); damage found at check-in:
    # ["screen", "hinge", ...].
    agreement_status = pw.CharField(null=True)
    damage = JSONField(null=True)
    language = pw.CharField(default="en")
    notes = pw.TextField(null=True)
    out_by = pw.CharField(null=True)
    in_by = pw.CharField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        asset_id: int
        person_id: int | None
        location_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        fees: pw.ModelSelect[Fee]
        parts: pw.ModelSelect[LoanPart]


class Repair(BaseModel):
    asset = pw.ForeignKeyField(Asset, backref="repairs", on_delete="CASCADE")
    reported = pw.DateField(index=True)
    problem = pw.TextField()
    vendor = pw.ForeignKeyField(Supplier, null=True, backref="repairs", on_delete="SET NULL")
    ticket = pw.CharField(null=True)  # RMA / ticket number
    status = pw.CharField(default="open", index=True)
    cost = MoneyField(null=True)
    returned = pw.DateField(null=True)
    resolution = pw.TextField(null=True)
    # Status the asset had before it went in for repair, restored when it returns.
    prior_status = pw.CharField(null=True)
    by = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        asset_id: int
        vendor_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        work_orders: pw.ModelSelect[WorkOrder]


class StocktakeSession(BaseModel):
    name = pw.CharField()
    site = pw.ForeignKeyField(Site, null=True, backref="stocktakes", on_delete="RESTRICT")
    # Room ids in scope; null = the whole site.
    rooms = JSONField(null=True)
    status = pw.CharField(default="open", index=True)  # open / closed / applied
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(null=True)
    closed_at = pw.DateTimeField(null=True)
    applied_at = pw.DateTimeField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        site_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        scans: pw.ModelSelect[StocktakeScan]

    class Meta:
        table_name = "stocktake_session"


class StocktakeExpected(BaseModel):
    """Snapshot, taken at the start, of what each room should hold: a row per
    expected asset, keyed by (session, asset).

    Plain id columns, not foreign keys (schema step 14): a start at a
    1,000,000-asset district writes 173,000 of these in one statement, and
    on PostgreSQL each key check ran a query and locked the asset's row
    (share), 3 s of a 4.3 s start, and every asset of the site stayed locked
    against other workstations' edits until the start committed. Nothing
    deletes a session or a room; the services that delete assets take their
    rows out with them (``services.assets.delete_rows``)."""

    session_id = pw.IntegerField()
    asset_id = pw.IntegerField()
    location_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "stocktake_expected"
        primary_key = pw.CompositeKey("session_id", "asset_id")


class StocktakeScan(BaseModel):
    session = pw.ForeignKeyField(StocktakeSession, backref="scans", on_delete="CASCADE")
    code = pw.CharField()  # exactly what was scanned
    asset = pw.ForeignKeyField(Asset, null=True, on_delete="SET NULL")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")  # current room
    verdict = pw.CharField(index=True)
    scanned_at = pw.DateTimeField(default=utcnow)
    by = pw.CharField(null=True)
    station = pw.CharField(null=True)  # workstation name
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        session_id: int
        asset_id: int | None
        location_id: int | None

    class Meta:
        table_name = "stocktake_scan"
        indexes = ((("session", "asset"), False),)


class IntakeSession(BaseModel):
    """Receiving a shipment: defaults applied to each device scanned in."""

    model = pw.ForeignKeyField(HardwareModel, null=True, on_delete="RESTRICT")
    order_number = pw.CharField(null=True)
    supplier = pw.ForeignKeyField(Supplier, null=True, on_delete="SET NULL")
    purchase_date = pw.DateField(null=True)
    cost = MoneyField(null=True)
    funding_type = pw.CharField(null=True)
    funding_name = pw.CharField(null=True)
    erate_frn = pw.CharField(null=True)
    erate_funding_year = pw.IntegerField(null=True)
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    warranty_end = pw.DateField(null=True)
    label_template = pw.CharField(null=True)
    expected_qty = pw.IntegerField(null=True)
    preprinted_tags = pw.BooleanField(default=False)
    status = pw.CharField(default="open")  # open / closed
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(null=True)
    closed_at = pw.DateTimeField(null=True)
    closed_by = pw.CharField(null=True)  # schema step 6
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        model_id: int | None
        supplier_id: int | None
        location_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        items: pw.ModelSelect[IntakeItem]

    class Meta:
        table_name = "intake_session"


class IntakeItem(BaseModel):
    session = pw.ForeignKeyField(IntakeSession, backref="items", on_delete="CASCADE")
    asset = pw.ForeignKeyField(Asset, null=True, on_delete="SET NULL")
    serial = pw.CharField()
    tag = pw.CharField()
    label_printed = pw.BooleanField(default=False)
    undone = pw.BooleanField(default=False)
    at = pw.DateTimeField(default=utcnow)
    # Schema step 6: why the serial was questioned (kept, shown on close), that
    # undo voided the tag (its label was printed), the last printing failure,
    # and which workstation scanned it.
    warning = pw.CharField(null=True)
    tag_voided = pw.BooleanField(default=False)
    label_error = pw.CharField(null=True)
    station = pw.CharField(null=True)  # the workstation that scanned it (undo is per station)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        session_id: int
        asset_id: int | None

    class Meta:
        table_name = "intake_item"


class HistoryEntry(BaseModel):
    entity = pw.CharField()  # "asset", "person", "license", "supply", ...
    entity_id = pw.IntegerField()
    action = pw.CharField()  # create, update, check_out, retire, ...
    field = pw.CharField(null=True)
    old = pw.TextField(null=True)  # as shown to people (names for references)
    new = pw.TextField(null=True)
    # For reference fields (location, site, model, person…) the ids as well, so
    # reports can reconstruct where an asset stood on a past date.
    old_id = pw.IntegerField(null=True)
    new_id = pw.IntegerField(null=True)
    who = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow, index=True)  # when it was entered
    note = pw.TextField(null=True)
    # Schema step 7: the day the change took effect in the world (a disposal
    # dated March 15 typed in December is effective March 15). "As of"
    # reports reconstruct by this date; ``at`` stays when it was typed.
    effective = pw.DateField(null=True)

    class Meta:
        table_name = "history_entry"
        # What step 1 made (and step 7 for "effective"); schema step 13 replaced
        # both with covering indexes that begin with these columns
        # (app/store/migrations.py), so no database of this version has them.
        indexes = ((("entity", "entity_id"), False),
                   (("entity", "effective"), False))


class YearEndRun(BaseModel):
    """A year-end report produced (schema step 7). A change entered later and
    effective inside a fiscal year whose final report exists is a prior-period
    change: the next year's report lists it."""

    fiscal_year = pw.IntegerField(index=True)
    produced_at = pw.DateTimeField(default=utcnow)
    by = pw.CharField(null=True)
    provisional = pw.BooleanField(default=False)  # run before the year ended

    class Meta:
        table_name = "year_end_run"


class Setting(BaseModel):
    key = pw.CharField(primary_key=True)
    value = JSONField(null=True)


class ImportMapping(BaseModel):
    """A column mapping remembered for the next file with the same headers."""

    kind = pw.CharField()
    header_key = pw.CharField()  # normalized, sorted headers joined
    mapping = JSONField()
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "import_mapping"
        indexes = ((("kind", "header_key"), True),)
