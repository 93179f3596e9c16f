"""Write a ``ReportDocument`` to a file: PDF (``reports.document_pdf``), XLSX or
CSV (``app.reporting.writers``), the format given or read from the suffix.

    write(doc, "year-end.pdf")             # → Path("year-end.pdf")
    write(doc, out, "xlsx", progress=cb)   # cb(n, total, text)
"""
from __future__ import annotations

import os
from pathlib import Path

from app.reporting.document import Progress, ReportDocument
from app.services.errors import ValidationError

FORMATS = ("pdf", "xlsx", "csv")


def format_of(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValidationError("Write the report to a .pdf, .xlsx or .csv file.", field="output")
    return fmt


def write(doc: ReportDocument, path: str | os.PathLike[str], fmt: str | None = None,
          progress: Progress | None = None) -> Path:
    """The document as a file; returns its path. Written whole or not at all."""
    path = Path(path)
    fmt = format_of(path, fmt)
    if fmt == "pdf":
        from reports.document_pdf import write_pdf
        return write_pdf(doc, path, progress)
    from app.reporting import writers
    if fmt == "xlsx":
        return writers.write_xlsx(doc, path, progress)
    return writers.write_csv(doc, path, progress)
