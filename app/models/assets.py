"""The asset register."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.common import ASSET_STATUSES, JSONField, MoneyField, utcnow
from app.models.people import Person
from app.models.places import HardwareModel, Location, Site, Supplier
from app.store.db import BaseModel

if TYPE_CHECKING:  # for the backrefs below (the modules import each other)
    from app.models.activity import Loan, Repair
    from app.models.program import Fee, LoanerSwap
    from app.models.stock import Seat
    from app.models.workorders import WorkOrder, WorkOrderAsset


class Asset(BaseModel):
    tag = pw.CharField()  # as printed on the label
    # tag.strip().upper(): what matching uses (case-insensitive, whitespace ignored)
    tag_key = pw.CharField(unique=True)
    serial = pw.CharField(null=True)
    serial_key = pw.CharField(null=True, index=True)
    name = pw.CharField(null=True)
    model = pw.ForeignKeyField(HardwareModel, null=True, backref="assets", on_delete="RESTRICT")
    status = pw.CharField(default="ready", choices=list(ASSET_STATUSES.items()), index=True)
    site = pw.ForeignKeyField(Site, null=True, backref="assets", on_delete="RESTRICT")
    location = pw.ForeignKeyField(Location, null=True, backref="assets", on_delete="RESTRICT")
    # Who has it: a person, or a location it is checked out to (a cart, a lab).
    assigned_person = pw.ForeignKeyField(Person, null=True, backref="assets", on_delete="RESTRICT")
    assigned_location = pw.ForeignKeyField(Location, null=True, backref="assigned_assets",
                                           on_delete="RESTRICT")
    purchase_date = pw.DateField(null=True)
    cost = MoneyField(null=True)
    order_number = pw.CharField(null=True)
    supplier = pw.ForeignKeyField(Supplier, null=True, backref="assets", on_delete="SET NULL")
    funding_type = pw.CharField(null=True)  # general / erate / grant / other
    funding_name = pw.CharField(null=True)  # grant or program name
    erate_frn = pw.CharField(null=True, index=True)
    erate_funding_year = pw.IntegerField(null=True)
    # Schema step 7: federally funded equipment (2 CFR 200.313(d)(1)): the
    # award's identifier (FAIN or award number) and the federal share of its
    # cost, in per cent. The source is funding_name.
    federal_award_id = pw.CharField(null=True)
    federal_share = pw.DecimalField(max_digits=5, decimal_places=2, null=True, auto_round=True)
    # Schema step 7: the condition last recorded (good, fair, poor, …): set by
    # the editor and by a check-in that notes one.
    condition = pw.CharField(null=True)
    # Schema step 11: the E-Rate filing (FCC Form 471 number and FRN line
    # item; the BEN is the site's, the SPIN the supplier's); what Google
    # Admin's device export says of a Chromebook (Auto Update Expiration,
    # org unit, last sync, the annotated user and asset id); and the loaner
    # pool of the 1:1 program.
    erate_form471 = pw.CharField(null=True)
    erate_frn_line = pw.CharField(null=True)
    aue_date = pw.DateField(null=True)
    org_unit = pw.CharField(null=True)
    last_sync = pw.DateTimeField(null=True)
    annotated_user = pw.CharField(null=True)
    annotated_asset_id = pw.CharField(null=True)
    # A database default too: bulk inserts name only the columns they fill.
    loaner = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])
    in_service_date = pw.DateField(null=True)
    warranty_end = pw.DateField(null=True, index=True)
    disposal_date = pw.DateField(null=True)
    disposal_method = pw.CharField(null=True)
    disposal_proceeds = MoneyField(null=True)
    last_audit_date = pw.DateField(null=True, index=True)
    notes = pw.TextField(null=True)
    custom = JSONField(null=True)  # {"RAM (GB)": 16, ...} per the category's fields
    # Lower-cased text the search box matches: tag, serial, name, model,
    # person, room and notes. Kept by the services (app.store.search.asset_doc).
    search_text = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow, index=True)
    updated_at = pw.DateTimeField(default=utcnow)
    version = pw.IntegerField(default=1)  # optimistic locking
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        model_id: int | None
        site_id: int | None
        location_id: int | None
        assigned_person_id: int | None
        assigned_location_id: int | None
        supplier_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        fees: pw.ModelSelect[Fee]
        loans: pw.ModelSelect[Loan]
        repairs: pw.ModelSelect[Repair]
        seats: pw.ModelSelect[Seat]
        swaps_lent: pw.ModelSelect[LoanerSwap]
        swaps_out: pw.ModelSelect[LoanerSwap]
        work_order_links: pw.ModelSelect[WorkOrderAsset]
        work_orders: pw.ModelSelect[WorkOrder]

    def __str__(self) -> str:
        return self.tag


class TagRecord(BaseModel):
    """Tags taken out of the sequence without an asset: reserved for
    pre-printed labels, or voided (printed, then undone) so never reused."""

    tag_key = pw.CharField(unique=True)
    tag = pw.CharField()
    state = pw.CharField(default="reserved")  # reserved / voided
    reason = pw.TextField(null=True)
    by = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "tag_record"
