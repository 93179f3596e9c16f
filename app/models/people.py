"""Staff, students and families."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from app.models.common import PERSON_KINDS, utcnow
from app.models.places import Site
from app.store.db import BaseModel

if TYPE_CHECKING:  # for the backrefs below (the modules import each other)
    from app.models.activity import Loan
    from app.models.assets import Asset
    from app.models.program import Fee, LoanerSwap
    from app.models.stock import Seat
    from app.models.workorders import WorkOrder


class Person(BaseModel):
    kind = pw.CharField(default="staff", choices=list(PERSON_KINDS.items()), index=True)
    first_name = pw.CharField(default="")
    last_name = pw.CharField(default="", index=True)
    # Employee or student ID; unique when given. Scans of ID badges resolve here.
    id_number = pw.CharField(null=True, unique=True)
    email = pw.CharField(null=True)
    phone = pw.CharField(null=True)
    site = pw.ForeignKeyField(Site, null=True, backref="people", on_delete="SET NULL")
    language = pw.CharField(default="en")  # loan agreement language: en / es
    active = pw.BooleanField(default=True, index=True)
    grade = pw.CharField(null=True)  # students
    # Schema step 11, the 1:1 device program (students, from the SIS roster):
    # homeroom or teacher, the guardian letters go to, the household that
    # keeps siblings in one letter, the mailing address, whether the student
    # is still enrolled (a full roster import marks the missing ones
    # withdrawn) and the day device insurance runs to.
    homeroom = pw.CharField(null=True)
    guardian_name = pw.CharField(null=True)
    guardian_email = pw.CharField(null=True)
    guardian_phone = pw.CharField(null=True)
    household = pw.CharField(null=True, index=True)
    address = pw.TextField(null=True)
    enrolment = pw.CharField(null=True, index=True)  # enrolled / withdrawn
    withdrawn_on = pw.DateField(null=True)
    insured_through = pw.DateField(null=True)
    notes = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    version = pw.IntegerField(default=1)
    if TYPE_CHECKING:  # the id columns behind the foreign keys (peewee adds them)
        site_id: int | None
        # the backrefs of the foreign keys that point here (queries)
        assets: pw.ModelSelect[Asset]
        fees: pw.ModelSelect[Fee]
        loaner_swaps: pw.ModelSelect[LoanerSwap]
        loans: pw.ModelSelect[Loan]
        seats: pw.ModelSelect[Seat]
        work_orders: pw.ModelSelect[WorkOrder]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.full_name
