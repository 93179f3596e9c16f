"""The certificate a purge writes: what was removed or anonymised, how many,
under which rule, by whom and when, and the backup taken first. Built from
``app.services.retention.PurgeResult``; drawn by the shared report writers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.reporting._ops import day, organisation
from app.reporting.document import Column, Cover, ReportDocument, Section, Table

if TYPE_CHECKING:
    from app.services.retention import PurgeResult

COLUMNS = [Column("Records", width=1.6), Column("Kept for (years)", "int", width=0.9),
           Column("Purged", "int", width=0.8, total=True), Column("Why that long", width=4.0)]


def build(result: PurgeResult) -> ReportDocument:
    rows = [(title, years, count, reason) for title, reason, years, count in result.lines]
    when = result.done_at
    cover = Cover(title="Certificate of records purge",
                  subtitle=organisation() or None,
                  lines=[("Purged on", f"{day(when.date())} at {when:%H:%M}"),
                         ("Purged by", result.by),
                         ("Backup taken first", result.backup or "(PostgreSQL: the server's own "
                                                                  "backups)")],
                  signatures=("Purged by", "Records officer"))
    section = Section(key="Purged", title="What was purged, by rule",
                      intro="Disposed assets and closed work orders were removed with their "
                            "history; people were anonymised (\"former student #1234\"), so loan "
                            "counts and the assets' history keep their shape. Records under any "
                            "retention rule, including E-Rate's, were kept.",
                      figures=[("Records purged", sum(r[2] for r in rows))],
                      tables=[Table(COLUMNS, rows)], new_page=False)
    return ReportDocument(title="Certificate of records purge", organisation=organisation(),
                          sections=[section], cover=cover, subtitle=day(when.date()),
                          generated_by=result.by)
