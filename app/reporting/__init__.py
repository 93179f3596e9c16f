"""Reports: each a builder that reads the database and returns a
``ReportDocument`` (``app.reporting.document``), registered here by name so
the CLI (``quartermaster report NAME``) and the Reports page list the same
reports with the same parameters.

A report module ``app/reporting/<name>.py`` defines::

    SPEC = ReportSpec(name="year-end", title="Year-end inventory", description="…",
                      params=("fiscal_year", "site"), formats=("pdf", "xlsx", "csv"),
                      build=build)
    def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument: ...

Modules are found at import time; nothing here imports Qt or reportlab.
"""
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Protocol

from app.reporting.document import Progress, ReportDocument

# Parameters a report may take; the CLI and the page offer only these.
PARAMS = {
    "fiscal_year": "Fiscal year (the year it ends in)",
    "as_of": "As of date",
    "site": "Site",
    "date_from": "From",
    "date_to": "To",
    "days": "Within days",
    "person": "Person (ID number)",
    "room": "Room",
    "years": "Years ahead",
    "funding_year": "E-Rate funding year (July to June, named by the year it starts in)",
}


@dataclass
class ReportParams:
    fiscal_year: int | None = None
    as_of: dt.date | None = None
    site: str | None = None  # site name or code
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    days: int | None = None
    person: str | None = None
    room: str | None = None  # "SITE/ROOM" or a room label code
    years: int | None = None  # fiscal years ahead (the refresh plan)
    funding_year: int | None = None  # E-Rate funding year; None or 0 for all
    # Parameters one caller gives one report beyond PARAMS (none today).
    extra: dict[str, object] = field(default_factory=dict)


class Builder(Protocol):
    """A report's ``build``: its document from the parameters, reporting progress."""

    def __call__(self, params: ReportParams, progress: Progress | None = None) -> ReportDocument: ...


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    description: str
    build: Builder
    params: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("pdf", "xlsx", "csv")
    order: int = 100  # position in lists


_REGISTRY: dict[str, ReportSpec] | None = None


def registry() -> dict[str, ReportSpec]:
    """Every report, by name, in list order."""
    global _REGISTRY
    if _REGISTRY is None:
        import app.reporting as pkg
        found = []
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name.startswith("_") or info.name in ("document", "writers"):
                continue
            mod = importlib.import_module(f"app.reporting.{info.name}")
            spec = getattr(mod, "SPEC", None)
            if spec is not None:
                found.append(spec)
        found.sort(key=lambda s: (s.order, s.title))
        _REGISTRY = {s.name: s for s in found}
    return _REGISTRY


def get(name: str) -> ReportSpec:
    from app.services.errors import NotFound
    try:
        return registry()[name]
    except KeyError:
        raise NotFound(f"No report called {name!r}; `quartermaster report --list` lists them.") \
            from None
