"""Backup media: LTO cartridges and the like, tracked by their barcode."""
from __future__ import annotations

import peewee as pw

from app.models.common import utcnow
from app.store.db import BaseModel


class BackupMedia(BaseModel):
    """One cartridge. ``barcode`` is its volser and media id (``A00123L8``)."""

    barcode = pw.CharField(unique=True)
    media_set = pw.CharField(null=True, index=True)  # the backup job or pool it belongs to
    rotation = pw.CharField(default="daily")  # daily / weekly / monthly (grandfather-father-son)
    location = pw.CharField(default="onsite_safe", index=True)  # drive / onsite_safe / offsite_vault
    written_on = pw.DateField(null=True)
    retain_until = pw.DateField(null=True, index=True)
    times_used = pw.IntegerField(default=0)
    destroyed_on = pw.DateField(null=True)
    destruction = pw.CharField(null=True)  # how: shredded, degaussed, vendor certificate no.
    notes = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "backup_media"
        constraints = [pw.SQL("CHECK (times_used >= 0)")]

    def __str__(self) -> str:
        return self.barcode
