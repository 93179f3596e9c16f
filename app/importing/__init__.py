"""Importing spreadsheets: assets, people, locations, models, licenses and
supplies from CSV or XLSX, Snipe-IT exports as they are.

    p = preview("inventory.xlsx", kind=None, sheet=None)   # what would happen
    p.created, p.updated, p.skipped, p.problems, p.new_entries
    result = commit("inventory.xlsx", ...)                 # all or nothing

One pass over the streamed file: each row is checked and (when committing)
written at once, inside one transaction — assets through the lean bulk path
(executemany, search index rebuilt once). A file with problems writes
nothing unless ``skip_bad`` is set: the transaction is rolled back and every
problem is named. An existing tag is a conflict unless ``update`` is set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from collections.abc import Callable, Collection
from typing import Any

from app.importing import mapping as maps
from app.importing.reader import MAX_CELL, Table, open_table, sheet_names, text_of
from app.services.errors import DomainError, ValidationError
from app.wording import plural

KINDS = tuple(maps.FIELDS)
MAX_CUSTOM_FIELDS = 200  # custom fields one file may bring in
CUSTOM_LIMIT = 2000  # the characters a custom field keeps (validation.TEXT_LIMITS)
CUSTOM_NAME_LIMIT = 100  # and its name
SAMPLES = 500  # rows of holder matches and place splits a preview keeps to show
IGNORE = "ignore"  # a column mapped to this is left out (neither a field nor a custom field)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")
_SCIENTIFIC = re.compile(r"^-?\d(\.\d+)?[eE]\+\d{1,3}$")  # Excel writes 6.37702E+15
# What an import reports as it goes: rows done, rows expected, a line to show.
Progress = Callable[[int, int, str], None]


@dataclass
class Problem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if not self.row:  # about the whole file
            return f"column {self.column}: {self.reason}" if self.column else self.reason
        if not self.column:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class Preview:
    kind: str
    path: Path
    sheet: str | None
    headers: list[str]
    mapping: dict[int, str]
    rows: int = 0
    estimated_rows: int = 0  # counted in the raw file before the rows are read
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    new_entries: dict[str, set[str]] = field(default_factory=dict)
    # How many of a kind are new where new_entries names only the first
    # (people: a file can bring in hundreds of thousands).
    new_counts: dict[str, int] = field(default_factory=dict)
    custom_columns: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Who holds the assets: rows matched by "ID number", "email", "username",
    # "name", or people made "new"; and the first rows as (row, the file's
    # text, the person, how) for the preview.
    holder_matches: dict[str, int] = field(default_factory=dict)
    holders: list[tuple[int, str, str, str]] = field(default_factory=list)
    # A combined location column: its values as (text, site, room) (the first few).
    places: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    allow_duplicate_serials: bool = False
    # A combined location column: where to split it (None: decided from its
    # values; "none": kept whole), the separator used, and its distinct values.
    location_separator: str | None = None
    split_at: str | None = None
    location_values: list[str] = field(default_factory=list)
    # A student roster given as the whole roster (``full``): the students of
    # its schools missing from it, to be marked withdrawn, as (ID number,
    # name, school, grade, devices held). A Chromebook export: the rows whose
    # serial no asset has, as (row, serial, model, annotated user).
    full: bool = False
    withdraw: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    unknown: list[tuple[int, str, str, str]] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    def summary(self) -> str:
        lines = [f"{self.path.name}{' [' + self.sheet + ']' if self.sheet else ''}: {self.rows:,} "
                 f"rows of {self.kind} — {self.created:,} to create, {self.updated:,} to update, "
                 f"{self.skipped:,} to skip"]
        for what, names in sorted(self.new_entries.items()):
            if names:
                count = self.new_counts.get(what, len(names))
                sample = ", ".join(sorted(names)[:5])
                lines.append(f"new {what}: {count:,} ({sample}{', …' if count > 5 else ''})")
        if self.split_at:
            lines.append(f"locations: split into site › room at “{self.split_at}”"
                         + (f" (e.g. {self.places[0][0]} → {self.places[0][1]} › {self.places[0][2]})"
                            if self.places and self.places[0][2] else ""))
        elif self.places:
            lines.append("locations: each kept whole (no consistent site / room separator)")
        if self.holder_matches:
            m = self.holder_matches
            parts = [f"{m[k]:,} by {k}" for k in ("ID number", "email", "username", "name") if m.get(k)]
            if m.get("new"):
                new = self.new_counts.get("people", len(self.new_entries.get("people", ())))
                parts.append(f"{m['new']:,} to {new:,} new people")
            lines.append("holders: " + ", ".join(parts))
        if self.custom_columns:
            lines.append("custom fields from: " + ", ".join(self.custom_columns))
        if self.full:
            held = sum(1 for w in self.withdraw if w[4])
            lines.append(f"whole roster: {plural(len(self.withdraw), 'student')} missing from it "
                         f"to mark withdrawn" + (f" ({held:,} still holding devices)" if held else ""))
        if self.unknown:
            lines.append(f"unknown serials: {len(self.unknown):,} (no asset has them; "
                         "nothing is created for them)")
        if self.problems:
            lines.append(f"{plural(len(self.problems), 'problem')} in {plural(len(self.bad_rows), 'row')}")
        if self.warnings:
            lines.append(f"{plural(len(self.warnings), 'note')}: values changed or left out")
        return "\n".join(lines)


class ImportRefused(DomainError):
    """The file has problems and nothing was written; ``preview`` lists them."""

    def __init__(self, preview: Preview):
        n = len(preview.problems)
        super().__init__(f"Nothing was imported: {plural(n, 'problem')} in "
                         f"{plural(len(preview.bad_rows), 'row')}. Fix the file, or skip those rows.")
        self.preview = preview


class Cancelled(DomainError):
    pass


def check_file(path: str | PathLike[str]) -> Path:
    """The file to import, or a ValidationError that says what is wrong with the path."""
    import os
    p = Path(path).expanduser()
    if p.is_dir():
        raise ValidationError(f"{p} is a folder; choose a .csv or .xlsx file in it.")
    if not p.exists():
        raise ValidationError(f"{p.name} does not exist (looked in {p.parent}).")
    if not os.access(p, os.R_OK):
        raise ValidationError(f"{p.name} cannot be read: permission denied.")
    return p


def open_file(path: str | PathLike[str], kind: str | None = None, sheet: str | None = None,
              mapping: dict[int, str] | None = None) -> tuple[Table, str, dict[int, str]]:
    """The table, its kind and the column mapping (given, remembered or suggested)."""
    table = open_table(check_file(path), sheet)
    kind = kind or maps.guess_kind(table.headers)
    if kind not in maps.FIELDS:
        raise ValidationError(f"Unknown kind {kind!r}; use one of: {', '.join(KINDS)}.")
    if mapping is None:
        mapping = maps.remembered(kind, table.headers) or maps.suggest(kind, table.headers)
    bad = {f for f in mapping.values()
           if f not in maps.FIELDS[kind] and not _is_custom(f) and f != IGNORE}
    if kind != "assets" and any(_is_custom(f) for f in mapping.values()):
        raise ValidationError("Only assets keep extra columns as custom fields.")
    if bad:
        raise ValidationError(f"Unknown {kind} field(s) in the mapping: {', '.join(sorted(bad))}.")
    return table, kind, dict(mapping)


def preview(path: str | PathLike[str], kind: str | None = None, sheet: str | None = None,
            mapping: dict[int, str] | None = None, update: bool = False,
            skip_bad: bool = False, custom: bool = True,
            progress: Progress | None = None, allow_duplicate_serials: bool = False,
            location_separator: str | None = None, full: bool = False) -> Preview:
    """What an import would do (nothing is written). ``location_separator``:
    where a combined Location column splits into site and room (None: decided
    from the file; "none": the whole text is the site)."""
    table, kind, mapping = open_file(path, kind, sheet, mapping)
    return _run(table, kind, mapping, update, skip_bad, custom, progress, write=False,
                allow_duplicate_serials=allow_duplicate_serials,
                location_separator=location_separator, full=full)


def commit(path: str | PathLike[str], kind: str | None = None, sheet: str | None = None,
           mapping: dict[int, str] | None = None, update: bool = False,
           skip_bad: bool = False, custom: bool = True, by: str | None = None,
           progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
           allow_duplicate_serials: bool = False, location_separator: str | None = None,
           full: bool = False) -> Preview:
    """Check and write the file in one pass inside one transaction. A row with
    a problem stops the writing (unless ``skip_bad``), the rest is still
    checked so every problem is named, and then ImportRefused rolls the whole
    transaction back; Cancel does the same with Cancelled. Either way the
    database is exactly as it was."""
    table, kind, mapping = open_file(path, kind, sheet, mapping)
    from app import backup
    from app.services import history
    from app.services.base import transaction
    # The copy from before the import is made beside it, from the last
    # committed state, and must be on disk before the import commits.
    pending = backup.start_backup(reason=f"before importing {Path(path).name}")
    try:
        with transaction():
            done = _run(table, kind, mapping, update, skip_bad, custom, progress, write=True,
                        by=by, cancelled=cancelled, allow_duplicate_serials=allow_duplicate_serials,
                        location_separator=location_separator, full=full)
            maps.remember(kind, table.headers, mapping)
            history.record("import", 0, "import",
                           new=f"{done.created} created, {done.updated} updated",
                           note=f"{kind} from {Path(path).name}"
                                f"{f' ({done.skipped} rows skipped)' if done.skipped else ''}", by=by)
            if pending is not None:
                waiting, pending = pending, None
                waiting.result()  # a failed backup refuses the import (rolled back)
    finally:
        if pending is not None:  # the import failed first: its error is the one to show
            pending.wait()
    return done


def _run(table: Table, kind: str, mapping: dict[int, str], update: bool, skip_bad: bool,
         custom: bool, progress: Progress | None, write: bool, by: str | None = None,
         cancelled: Callable[[], bool] | None = None, allow_duplicate_serials: bool = False,
         location_separator: str | None = None, full: bool = False) -> Preview:
    from app.importing import kinds
    if full and kind != "students":
        raise ValidationError("Only a student roster can be the whole roster (--full).")
    p = Preview(kind, table.path, table.sheet, table.headers, mapping,
                allow_duplicate_serials=allow_duplicate_serials,
                location_separator=location_separator, full=full)
    if kind == "assets":
        p.location_values = _location_values(table, mapping)
    chosen = [i for i, f in mapping.items() if _is_custom(f)]
    fields = {i: f for i, f in mapping.items() if not _is_custom(f) and f != IGNORE}
    if chosen:  # the columns marked "custom field", and only those
        p.custom_columns = list(dict.fromkeys(table.headers[i] for i in sorted(chosen)
                                              if table.headers[i]))
    elif custom and kind == "assets":  # every column nothing else took
        p.custom_columns = list(dict.fromkeys(
            h for i, h in enumerate(table.headers)
            if i not in mapping and h and not maps.norm(h).startswith("unnamed")))
    if not fields:
        raise ValidationError(
            f"None of the columns of {table.path.name} could be matched to {_ONE[kind]} field "
            f"(its headers: {_headers_sample(table.headers)}). Choose what each column holds in "
            "the mapping step (or give --mapping), or check that this is the right file and kind.")
    if kind == "assets" and "tag" not in fields.values():
        p.warnings.append(Problem(0, "", "no column gives the asset tag: each new asset gets the "
                                         "next free tag (map the tag column if the file has one)"))
    if len(p.custom_columns) > MAX_CUSTOM_FIELDS:
        raise ValidationError(
            f"{table.path.name} has {len(p.custom_columns):,} columns that no field takes; at most "
            f"{MAX_CUSTOM_FIELDS} become custom fields from one file. Choose the columns to keep "
            "(leave the others out in the mapping step, or --no-custom), or check that this is "
            "the right file.")
    plan = _Plan(table.headers, fields, p.custom_columns if (custom or chosen) else ())
    for h in p.custom_columns:
        if len(h) > CUSTOM_NAME_LIMIT:
            p.warnings.append(Problem(0, h[:40] + "…", f"a custom field's name has at most "
                                      f"{CUSTOM_NAME_LIMIT} characters; this column's is cut to "
                                      f"“{h[:CUSTOM_NAME_LIMIT]}”"))
    # About how many rows (for the progress bar, and to size the whole-file key
    # tables once): a count of line ends, a fraction of a second at 1,000,000 rows.
    total = p.estimated_rows = table.estimate_rows()
    verb = "Importing" if write else "Checking"
    writing = write
    with kinds.HANDLERS[kind](p, update, write, by) as handler:
        for n, (rownum, cells) in enumerate(table.rows(), start=1):
            if cancelled and cancelled():
                raise Cancelled("Import cancelled; nothing was written.")
            if progress and n % 500 == 0:
                progress(n, max(total, n), f"{verb} row {n:,}…")
            if _is_totals_row(cells):
                p.warnings.append(Problem(rownum, "", f"“{_first_text(cells)}” reads as a totals "
                                                      "row, not a record; it is left out"))
                continue
            p.rows += 1
            row_problems: list[Problem] | None
            record, row_problems = plan.record(cells, rownum)
            if plan.notes:
                p.warnings.extend(plan.notes)
                plan.notes.clear()
            if not row_problems:
                row_problems = handler.check(rownum, record)
            handler.keep_plans(not row_problems)  # a bad row creates nothing
            if row_problems:
                p.problems.extend(row_problems)
                p.bad_rows.add(rownum)
                writing = writing and skip_bad  # refused: check the rest, write no more
                continue
            if writing:
                row_problems = handler.write(rownum, record)
                if row_problems:  # the service refused the row
                    p.problems.extend(row_problems)
                    p.bad_rows.add(rownum)
                    writing = skip_bad
        if write and p.problems and not skip_bad:
            raise ImportRefused(p)
    if write and p.problems and not skip_bad:  # refused while the last rows were written
        raise ImportRefused(p)
    p.skipped = len(p.bad_rows) if skip_bad else 0
    if progress:
        progress(p.rows, p.rows, f"{p.rows:,} rows")
    return p


def _location_values(table: Table, mapping: dict[int, str]) -> list[str]:
    """The distinct values of a combined location column (one that is not
    beside a Site column), read once before the rows so the split is decided
    for the whole file; [] when there is none."""
    from app.importing.places import MAX_VALUES
    fields = set(mapping.values())
    col = next((i for i, f in sorted(mapping.items()) if f == "site_room"), None)
    if col is None and "site" not in fields:
        col = next((i for i, f in sorted(mapping.items()) if f == "location"), None)
    if col is None:
        return []
    seen: dict[str, None] = {}
    for _n, cells in table.rows():
        if col < len(cells) and len(seen) < MAX_VALUES:
            text = text_of(cells[col])
            if text:
                seen[text] = None
    return list(seen)


_TOTALS = re.compile(r"(grand\s*|sub\s*)?totals?\b[\s:]*", re.IGNORECASE)


def _first_text(cells: list[Any]) -> str:
    return next((str(c).strip() for c in cells if c not in ("", None) and str(c).strip()), "")


def _is_totals_row(cells: list[Any]) -> bool:
    """A footer a hand-kept sheet adds below its records ("Total", "Grand total:
    $48,210", "TOTAL 312"): its first filled cell starts with the word, and at
    most three cells are filled."""
    first = _first_text(cells)
    if not first or first[0] not in "TtGgSs" or not _TOTALS.match(first):
        return False
    return sum(1 for c in cells if c not in ("", None)) <= 3


_ONE = {"assets": "an asset", "people": "a person", "locations": "a location", "models": "a model",
        "licenses": "a license", "supplies": "a supply", "students": "a student",
        "chromebooks": "a Chromebook"}


def _headers_sample(headers: list[str]) -> str:
    shown = [_CONTROL.sub("", h)[:40] for h in headers if h][:8]
    return ", ".join(f"“{h}”" for h in shown) + (", …" if len(headers) > len(shown) else "") \
        if shown else "none"


def _is_custom(fieldname: str) -> bool:
    return fieldname == "custom" or fieldname.startswith("custom:")


class _Plan:
    """Which cell feeds which field, worked out once for the whole file."""

    def __init__(self, headers: list[str], mapping: dict[int, str],
                 custom_columns: Collection[str]) -> None:
        self.headers = headers
        self.columns = [(i, f, headers[i]) for i, f in sorted(mapping.items())]
        wanted = set(custom_columns)
        self.custom = [(i, h[:CUSTOM_NAME_LIMIT]) for i, h in enumerate(headers)
                       if i not in mapping and h in wanted]
        self.notes: list[Problem] = []  # values changed on the way in (moved to the preview's notes)

    def record(self, cells: list[Any], rownum: int) -> tuple[dict[str, Any], list[Problem]]:
        """The row's values by field (text trimmed), and problems found in the cells."""
        rec: dict[str, Any] = {}
        columns: dict[str, str] = {}
        problems: list[Problem] = []
        n = len(cells)
        # One search of the whole row finds control characters; cells are cleaned only then.
        try:
            joined = "".join(cells)  # a CSV row: every cell is text
        except TypeError:  # a workbook row holds numbers and dates too
            joined = "".join([c for c in cells if c.__class__ is str])
        dirty = bool(_CONTROL.search(joined))
        for i, fieldname, header in self.columns:
            if i >= n:
                continue
            value = cells[i]
            if value.__class__ is str:
                value = value.strip()
                if not value:
                    continue
                if len(value) > MAX_CELL:
                    problems.append(Problem(rownum, header, f"the cell holds {len(value):,} "
                                            f"characters; at most {MAX_CELL:,} are accepted"))
                    continue
                if dirty and _CONTROL.search(value):
                    value = _CONTROL.sub("", value).strip()
                    self.notes.append(Problem(rownum, header, "control characters (invisible "
                                              "codes such as NUL) were left out of the cell"))
                    if not value:  # nothing but control characters
                        continue
                if value[0] == "'" and value[1:2] in _NEUTRALISED:
                    value = value[1:]  # our own export's guard against formulas
            elif value is None:
                continue
            if fieldname not in rec:  # a repeated column keeps its first non-empty value
                rec[fieldname] = value
                columns[fieldname] = header
        rec["_columns"] = columns
        if self.custom:
            extra: dict[str, int | float | str] = {}
            for i, h in self.custom:
                if i < n:
                    v = cells[i]
                    if v not in ("", None) and h not in extra:
                        if v.__class__ in (int, float):  # a workbook's number stays a number
                            extra[h] = v
                            continue
                        text = text_of(v)
                        if len(text) > MAX_CELL:
                            problems.append(Problem(rownum, h, f"the cell holds {len(text):,} "
                                                    f"characters; at most {MAX_CELL:,} are accepted"))
                            continue
                        if dirty and _CONTROL.search(text):
                            text = _CONTROL.sub("", text)
                            self.notes.append(Problem(rownum, h, "control characters (invisible "
                                                      "codes such as NUL) were left out of the cell"))
                        if len(text) > CUSTOM_LIMIT:
                            self.notes.append(Problem(rownum, h, f"the cell holds {len(text):,} "
                                                      f"characters; a custom field keeps the first "
                                                      f"{CUSTOM_LIMIT:,}"))
                            text = text[:CUSTOM_LIMIT]
                        if text:
                            extra[h] = text
            if extra:
                rec["custom"] = extra
        return rec, problems


def column_of(rec: dict[str, Any], fieldname: str) -> str:
    columns: dict[str, str] = rec.get("_columns", {})
    return columns.get(fieldname, maps.LABELS.get(fieldname, fieldname))


def looks_scientific(value: object) -> bool:
    # "+" first: nearly no tag or serial holds one, so most cells skip the regex.
    return isinstance(value, str) and "+" in value and bool(_SCIENTIFIC.match(value.strip()))


__all__ = ["KINDS", "Preview", "Problem", "ImportRefused", "Cancelled", "preview", "commit",
           "open_file", "sheet_names"]
