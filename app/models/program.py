"""The 1:1 device program: kits, distribution and collection days, damage
fees and their payments, loaner swaps (schema step 11)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.activity import Loan, Repair
from app.models.assets import Asset
from app.models.common import JSONField, MoneyField, utcnow
from app.models.people import Person
from app.models.places import HardwareModel, Site
from app.store.db import BaseModel

EVENT_KINDS = {"distribution": "Distribution", "collection": "Collection"}
AGREEMENT_STATES = {"signed": "Signed", "waiver": "Waiver on file", "refused": "Family refused"}
DAMAGE_KINDS = {"screen": "Screen", "keyboard": "Keyboard", "hinge": "Hinge", "port": "Port",
                "other": "Other damage"}
FEE_STATUSES = {"owed": "Owed", "paid": "Paid", "waived": "Waived"}
FEE_KINDS = {"damage": "Damage", "missing_part": "Missing part", "lost": "Lost device",
             "other": "Other"}


class KitPart(BaseModel):
    """What goes out with a device of this model besides the device itself
    (a charger, a case, a cable), and what a lost one costs."""

    model = pw.ForeignKeyField(HardwareModel, backref="kit_parts", on_delete="CASCADE")
    name = pw.CharField()
    quantity = pw.IntegerField(default=1)
    cost = MoneyField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        model_id: int

    class Meta:
        table_name = "kit_part"
        indexes = ((("model", "name"), True),)
        constraints = [pw.SQL("CHECK (quantity > 0)")]


class LoanPart(BaseModel):
    """A kit part that went out with a loan, and whether it came back."""

    loan = pw.ForeignKeyField(Loan, backref="parts", on_delete="CASCADE")
    name = pw.CharField()  # as the kit named it when the loan went out
    quantity = pw.IntegerField(default=1)
    state = pw.CharField(default="out", index=True)  # out / returned / missing
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        loan_id: int

    class Meta:
        table_name = "loan_part"
        constraints = [pw.SQL("CHECK (quantity > 0)")]


class ProgramEvent(BaseModel):
    """A distribution or collection day at a school, maybe for one grade or
    homeroom. Its id is the number the CLI prints and takes."""

    kind = pw.CharField(choices=list(EVENT_KINDS.items()), index=True)
    name = pw.CharField()
    site = pw.ForeignKeyField(Site, backref="program_events", on_delete="RESTRICT")
    grade = pw.CharField(null=True)
    homeroom = pw.CharField(null=True)
    due = pw.DateField(null=True)  # distribution: when the devices come back
    status = pw.CharField(default="open", index=True)  # open / closed
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(null=True)
    closed_at = pw.DateTimeField(null=True)
    closed_by = pw.CharField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        site_id: int
        # the backrefs of the foreign keys that point here (queries)
        fees: pw.ModelSelect[Fee]
        scans: pw.ModelSelect[EventScan]

    class Meta:
        table_name = "program_event"


class EventScan(BaseModel):
    """One scan at an event, with what it did (the verdict)."""

    event = pw.ForeignKeyField(ProgramEvent, backref="scans", on_delete="CASCADE")
    code = pw.CharField()  # exactly what was scanned ("" when picked from a list)
    person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    asset = pw.ForeignKeyField(Asset, null=True, on_delete="SET NULL")
    loan = pw.ForeignKeyField(Loan, null=True, on_delete="SET NULL")
    verdict = pw.CharField(index=True)
    agreement = pw.CharField(null=True)  # distribution: AGREEMENT_STATES
    condition = pw.CharField(null=True)  # collection: good / damaged
    damage = JSONField(null=True)  # collection: DAMAGE_KINDS keys
    missing_parts = JSONField(null=True)  # collection: kit part names not returned
    note = pw.TextField(null=True)
    scanned_at = pw.DateTimeField(default=utcnow)
    by = pw.CharField(null=True)
    station = pw.CharField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        event_id: int
        person_id: int | None
        asset_id: int | None
        loan_id: int | None

    class Meta:
        table_name = "event_scan"
        indexes = ((("event", "person"), False), (("event", "asset"), False))


class PriceItem(BaseModel):
    """The damage price list: a part's repair or replacement price, for one
    model or (model empty) for every model."""

    part = pw.CharField()  # DAMAGE_KINDS key, a kit part name, or "device"
    model = pw.ForeignKeyField(HardwareModel, null=True, backref="prices", on_delete="CASCADE")
    amount = MoneyField()
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        model_id: int | None

    class Meta:
        table_name = "price_item"
        constraints = [pw.SQL("CHECK (amount >= 0)")]


class Fee(BaseModel):
    """What a student (their family) owes for damage or a missing part.
    Payments are recorded here, not processed."""

    person = pw.ForeignKeyField(Person, backref="fees", on_delete="RESTRICT")
    asset = pw.ForeignKeyField(Asset, null=True, backref="fees", on_delete="SET NULL")
    loan = pw.ForeignKeyField(Loan, null=True, backref="fees", on_delete="SET NULL")
    event = pw.ForeignKeyField(ProgramEvent, null=True, backref="fees", on_delete="SET NULL")
    kind = pw.CharField(default="damage")  # FEE_KINDS
    part = pw.CharField(null=True)
    description = pw.TextField(null=True)
    amount = MoneyField()  # what is charged, after forgiveness and insurance
    list_amount = MoneyField(null=True)  # the price list's amount before them
    status = pw.CharField(default="owed", index=True)  # FEE_STATUSES
    waived_reason = pw.TextField(null=True)
    forgiven = pw.BooleanField(default=False)  # first incident forgiven
    insured = pw.BooleanField(default=False)
    incurred_on = pw.DateField(index=True)
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(null=True)
    version = pw.IntegerField(default=1)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        person_id: int
        asset_id: int | None
        loan_id: int | None
        event_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        payments: pw.ModelSelect[FeePayment]

    class Meta:
        table_name = "fee"
        constraints = [pw.SQL("CHECK (amount >= 0)")]


class FeePayment(BaseModel):
    """A payment recorded against a fee, with its receipt number."""

    fee = pw.ForeignKeyField(Fee, backref="payments", on_delete="CASCADE")
    amount = MoneyField()
    paid_on = pw.DateField()
    method = pw.CharField(default="cash")  # cash / check / card / online / other
    reference = pw.CharField(null=True)  # check number, transaction id
    receipt = pw.CharField(unique=True)
    by = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        fee_id: int

    class Meta:
        table_name = "fee_payment"
        constraints = [pw.SQL("CHECK (amount > 0)")]


class LoanerSwap(BaseModel):
    """A student's device gone to repair and the loaner lent meanwhile;
    reversed when the repair comes back."""

    person = pw.ForeignKeyField(Person, backref="loaner_swaps", on_delete="RESTRICT")
    device = pw.ForeignKeyField(Asset, backref="swaps_out", on_delete="RESTRICT")
    loaner = pw.ForeignKeyField(Asset, backref="swaps_lent", on_delete="RESTRICT")
    repair = pw.ForeignKeyField(Repair, null=True, on_delete="SET NULL")
    device_loan = pw.ForeignKeyField(Loan, null=True, on_delete="SET NULL")
    loaner_loan = pw.ForeignKeyField(Loan, null=True, on_delete="SET NULL")
    status = pw.CharField(default="open", index=True)  # open / reversed
    opened_at = pw.DateTimeField(default=utcnow)
    opened_by = pw.CharField(null=True)
    closed_at = pw.DateTimeField(null=True)
    closed_by = pw.CharField(null=True)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        person_id: int
        device_id: int
        loaner_id: int
        repair_id: int | None
        device_loan_id: int | None
        loaner_loan_id: int | None
        # Not a column: set by services.loaners.reverse() on the swap it
        # returns (whether the device went back out to the student).
        lent_back: bool

    class Meta:
        table_name = "loaner_swap"
