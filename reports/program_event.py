"""The distribution / collection day report as a file: the PDF drawn by
``reports.document_pdf`` from the document ``app.reporting.events`` gathers,
or its main table as CSV."""
from __future__ import annotations

import os
from pathlib import Path

from app.reporting.document import ReportDocument
from app.services.errors import ValidationError


def write_report(doc: ReportDocument, path: str | os.PathLike[str]) -> Path:
    """PDF or CSV, by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise ValidationError("The event report is a .pdf or a .csv file.", field="output")
    from reports.render import write
    return write(doc, path)
