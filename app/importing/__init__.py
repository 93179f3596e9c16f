"""Importing spreadsheets: assets, people, locations, models, licenses and
supplies from CSV or XLSX, Snipe-IT exports as they are.

    p = preview("inventory.xlsx", kind=None, sheet=None)   # what would happen
    p.created, p.updated, p.skipped, p.problems, p.new_entries
    result = commit("inventory.xlsx", ...)                 # all or nothing

Two passes over the streamed file: the first checks every row and counts
what would be created; the second writes everything in one transaction —
assets through the lean bulk path (executemany, search index rebuilt once).
A file with problems writes nothing unless ``skip_bad`` is set, and an
existing tag is a conflict unless ``update`` is set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.importing import mapping as maps
from app.importing.reader import MAX_CELL, open_table, sheet_names, text_of
from app.services.errors import DomainError, ValidationError

KINDS = tuple(maps.FIELDS)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCIENTIFIC = re.compile(r"^-?\d(\.\d+)?[eE]\+\d{1,3}$")  # Excel writes 6.37702E+15


@dataclass
class Problem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class Preview:
    kind: str
    path: Path
    sheet: str | None
    headers: list[str]
    mapping: dict[int, str]
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    new_entries: dict[str, set[str]] = field(default_factory=dict)
    custom_columns: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    def summary(self) -> str:
        lines = [f"{self.path.name}{' [' + self.sheet + ']' if self.sheet else ''}: {self.rows:,} "
                 f"rows of {self.kind} — {self.created:,} to create, {self.updated:,} to update, "
                 f"{self.skipped:,} to skip"]
        for what, names in sorted(self.new_entries.items()):
            if names:
                sample = ", ".join(sorted(names)[:5])
                lines.append(f"new {what}: {len(names):,} ({sample}{', …' if len(names) > 5 else ''})")
        if self.custom_columns:
            lines.append("custom fields from: " + ", ".join(self.custom_columns))
        if self.problems:
            lines.append(f"{len(self.problems):,} problem(s) in {len(self.bad_rows):,} row(s)")
        if self.warnings:
            lines.append(f"{len(self.warnings):,} note(s): values changed or left out")
        return "\n".join(lines)


class ImportRefused(DomainError):
    """The file has problems and nothing was written; ``preview`` lists them."""

    def __init__(self, preview: Preview):
        n = len(preview.problems)
        super().__init__(f"Nothing was imported: {n} problem{'s' if n != 1 else ''} in "
                         f"{len(preview.bad_rows)} row(s). Fix the file, or skip those rows.")
        self.preview = preview


class Cancelled(DomainError):
    pass


def open_file(path, kind: str | None = None, sheet: str | None = None,
              mapping: dict[int, str] | None = None):
    """The table, its kind and the column mapping (given, remembered or suggested)."""
    table = open_table(path, sheet)
    kind = kind or maps.guess_kind(table.headers)
    if kind not in maps.FIELDS:
        raise ValidationError(f"Unknown kind {kind!r}; use one of: {', '.join(KINDS)}.")
    if mapping is None:
        mapping = maps.remembered(kind, table.headers) or maps.suggest(kind, table.headers)
    bad = {f for f in mapping.values() if f not in maps.FIELDS[kind] and not f.startswith("custom:")}
    if bad:
        raise ValidationError(f"Unknown {kind} field(s) in the mapping: {', '.join(sorted(bad))}.")
    return table, kind, dict(mapping)


def preview(path, kind: str | None = None, sheet: str | None = None,
            mapping: dict[int, str] | None = None, update: bool = False,
            skip_bad: bool = False, custom: bool = True,
            progress: Callable | None = None) -> Preview:
    table, kind, mapping = open_file(path, kind, sheet, mapping)
    return _run(table, kind, mapping, update, skip_bad, custom, progress, write=False)


def commit(path, kind: str | None = None, sheet: str | None = None,
           mapping: dict[int, str] | None = None, update: bool = False,
           skip_bad: bool = False, custom: bool = True, by: str | None = None,
           progress: Callable | None = None, cancelled: Callable[[], bool] | None = None) -> Preview:
    """Check the whole file, then write it in one transaction (or raise
    ImportRefused / Cancelled having written nothing)."""
    table, kind, mapping = open_file(path, kind, sheet, mapping)
    checked = _run(table, kind, mapping, update, skip_bad, custom, progress, write=False,
                   cancelled=cancelled)
    if cancelled and cancelled():
        raise Cancelled("Import cancelled; nothing was written.")
    if progress:
        progress(0, checked.rows, "Importing…")
    if checked.problems and not skip_bad:
        raise ImportRefused(checked)
    _backup_first(path)
    from app.services.base import transaction
    with transaction():
        done = _run(table, kind, mapping, update, skip_bad, custom, progress, write=True,
                    skip_rows=checked.bad_rows, by=by, cancelled=cancelled, total=checked.rows)
        maps.remember(kind, table.headers, mapping)
        from app.services import history
        history.record("import", 0, "import", new=f"{done.created} created, {done.updated} updated",
                       note=f"{kind} from {Path(path).name}", by=by)
    done.problems, done.bad_rows, done.warnings = checked.problems, checked.bad_rows, checked.warnings
    done.skipped = len(checked.bad_rows)
    return done


def _backup_first(path) -> None:
    try:
        from app import backup
    except ImportError:
        return
    make = getattr(backup, "make_backup", None)
    if make:
        make(reason=f"before importing {Path(path).name}")


def _run(table, kind, mapping, update, skip_bad, custom, progress, write: bool,
         skip_rows=frozenset(), by=None, cancelled=None, total: int = 0) -> Preview:
    from app.importing import kinds
    p = Preview(kind, table.path, table.sheet, table.headers, mapping)
    mapped = set(mapping)
    if custom and kind == "assets":
        p.custom_columns = list(dict.fromkeys(
            h for i, h in enumerate(table.headers)
            if i not in mapped and h and not maps.norm(h).startswith("unnamed")))
    handler = kinds.HANDLERS[kind](p, update, write, by)
    if progress and not total:
        total = table.estimate_rows()
    for n, (rownum, cells) in enumerate(table.rows(), start=1):
        if cancelled and cancelled():
            raise Cancelled("Import cancelled; nothing was written.")
        if progress and n % 500 == 0:
            progress(n, max(total, n), f"{'Importing' if write else 'Checking'} row {n:,}…")
        p.rows += 1
        if rownum in skip_rows:
            continue
        record, row_problems = _record(p, mapping, cells, rownum, custom)
        if not row_problems:
            row_problems = handler.check(rownum, record)
        if row_problems:
            p.problems.extend(row_problems)
            p.bad_rows.add(rownum)
            continue
        if write:
            handler.write(rownum, record)
    handler.finish()
    p.skipped = len(p.bad_rows) if skip_bad else 0
    return p


def _record(p: Preview, mapping, cells, rownum, custom):
    """The row's values by field (text trimmed), and problems found in the cells."""
    rec: dict = {}
    problems = []
    for i, fieldname in mapping.items():
        if i >= len(cells):
            continue
        value = cells[i]
        if isinstance(value, str):
            value = value.strip()
            if len(value) > MAX_CELL:
                problems.append(Problem(rownum, p.headers[i], f"the cell holds {len(value):,} "
                                        f"characters; at most {MAX_CELL:,} are accepted"))
                continue
            if _CONTROL.search(value):
                value = _CONTROL.sub("", value)
        if value in ("", None):
            continue
        rec.setdefault(fieldname, value)  # a repeated column keeps its first non-empty value
        rec.setdefault("_columns", {})[fieldname] = p.headers[i]
    if custom and p.custom_columns:
        extra = {}
        for i, h in enumerate(p.headers):
            if i in mapping or i >= len(cells) or h not in p.custom_columns:
                continue
            v = cells[i]
            if v not in ("", None):
                extra.setdefault(h, text_of(v)[:2000])
        if extra:
            rec["custom"] = extra
    return rec, problems


def column_of(rec: dict, fieldname: str) -> str:
    return rec.get("_columns", {}).get(fieldname, maps.LABELS.get(fieldname, fieldname))


def looks_scientific(value) -> bool:
    return isinstance(value, str) and bool(_SCIENTIFIC.match(value.strip()))


__all__ = ["KINDS", "Preview", "Problem", "ImportRefused", "Cancelled", "preview", "commit",
           "open_file", "sheet_names"]
