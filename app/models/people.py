"""Staff, students and families."""
from __future__ import annotations

import peewee as pw

from app.models.common import PERSON_KINDS, utcnow
from app.models.places import Site
from app.store.db import BaseModel


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
    notes = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    version = pw.IntegerField(default=1)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.full_name
