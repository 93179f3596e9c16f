"""The student device and connectivity file for CALPADS, from the loans.

One record per enrolled student: who they are (SSID, local ID, name, grade,
school), whether a district device is lent to them and what kind, and
whether a district hotspot is. CALPADS files are plain text, one record a
line, fields separated by carets (^), no header row; the layout — the
columns, their order, and the code each value is written as — is a JSON
document (``resources/calpads/student_devices.json``, or the copy kept in
the ``calpads_layout`` setting) because CALPADS revises its file
specifications and code sets yearly, and the technician maps this file to
the current one without a new release.

A layout column is ``{"name": ..., "source": ..., "map": {...}}`` (or
``"source": "constant", "value": ...``); ``SOURCES`` says what each source
holds before its map turns it into a code.
"""
from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Any

import peewee as pw

from app.services.errors import ValidationError
from app.store.db import rows as tuples_of

SETTING = "calpads_layout"

# A layout is a JSON document the technician edits (see the module docstring):
# ``columns``, ``delimiter``, ``header``, ``hotspot_words``, and whatever else
# they keep in it; check_layout says what must hold.
Layout = dict[str, Any]

# Source → what it holds (the keys a map can translate are in brackets).
SOURCES = {
    "constant": "the column's \"value\" (e.g. the reporting LEA's code)",
    "ssid": "the Statewide Student Identifier (the student's ID number when it is 10 digits)",
    "local_id": "the student's ID number in the register (the SIS local ID)",
    "first_name": "first name", "last_name": "last name", "grade": "grade level",
    "school_code": "the student's site code (else its name)",
    "school_name": "the student's site name",
    "device_assigned": "a district device is lent to the student [yes, no]",
    "device_type": "the lent device's kind [chromebook, laptop, tablet, desktop, other, none]",
    "device_provider": "who provides the primary learning device [school, none]",
    "device_tag": "the lent device's asset tag", "device_serial": "its serial number",
    "hotspot_provided": "a district hotspot is lent to the student [yes, no]",
    "internet_access_type": "connectivity the district provides [hotspot, none]",
}
DEVICE_KINDS = ("chromebook", "computer", "tablet")


def default_layout() -> Layout:
    import resources
    data: Layout = json.loads(resources.path("calpads", "student_devices.json").read_text("utf-8"))
    return data


def layout() -> Layout:
    """The layout in force: the one saved in Settings, else the shipped default."""
    from app.services import settings
    saved = settings.get(SETTING)
    if saved:
        return check_layout(json.loads(saved) if isinstance(saved, str) else saved)
    return check_layout(default_layout())


def check_layout(value: object) -> Layout:
    """A layout as stored, or a ValidationError naming what is wrong."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"The CALPADS layout is not JSON: {exc.msg} (line {exc.lineno})."
                                  , field=SETTING) from None
    if not isinstance(value, dict):
        raise ValidationError("The CALPADS layout is a JSON object with \"columns\".", field=SETTING)
    delimiter = value.get("delimiter", "^")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise ValidationError("The CALPADS layout's delimiter is one character (CALPADS uses ^).",
                              field=SETTING)
    columns = value.get("columns")
    if not isinstance(columns, list) or not columns:
        raise ValidationError("The CALPADS layout needs a list of columns.", field=SETTING)
    for n, col in enumerate(columns, start=1):
        if not isinstance(col, dict) or not str(col.get("name") or "").strip():
            raise ValidationError(f"Column {n} of the CALPADS layout needs a name.", field=SETTING)
        if col.get("source") not in SOURCES:
            raise ValidationError(f"Column {n} ({col['name']}) of the CALPADS layout has the "
                                  f"source {col.get('source')!r}; use one of "
                                  f"{', '.join(SOURCES)}.", field=SETTING)
        if not isinstance(col.get("map", {}), dict):
            raise ValidationError(f"Column {n} ({col['name']}): \"map\" is an object of value → "
                                  "code.", field=SETTING)
    words = value.get("hotspot_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValidationError("\"hotspot_words\" is a list of words.", field=SETTING)
    return {**value, "delimiter": delimiter, "header": bool(value.get("header", False))}


def save_layout(value: object, by: str | None = None) -> Layout:
    """Keep a layout in Settings (history records the change); None or {}
    goes back to the shipped default."""
    from app.services import settings
    checked = check_layout(value) if value else None
    settings.update({SETTING: json.dumps(checked, ensure_ascii=False) if checked else None},
                    by=by)
    return layout()


# --- the students and their loans --------------------------------------------------------

def _device_type(kind: str, names: str) -> str:
    if kind == "chromebook":
        return "chromebook"
    if kind == "tablet":
        return "tablet"
    if kind == "computer":
        return "desktop" if re.search(r"\b(desktop|all-in-one|workstation)\b", names) else "laptop"
    return "other"


def facts(site: str | None = None) -> list[dict[str, str]]:
    """Per enrolled student, the values every source reads."""
    from app.models import Asset, Category, HardwareModel, Loan, Person, Site
    from app.reporting._ops import find_site
    words = [w.lower() for w in layout().get("hotspot_words", [])]
    place = find_site(site)
    q = (Person.select(Person.id, Person.id_number, Person.first_name, Person.last_name,
                       Person.grade, Site.code, Site.name)
         .join(Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id))
         .where((Person.kind == "student") & Person.active
                & (Person.enrolment.is_null() | (Person.enrolment != "withdrawn"))))
    if place is not None:
        q = q.where(Person.site == place.id)
    students = list(tuples_of(q.order_by(Person.last_name, Person.first_name, Person.id)))
    lent: dict[int, list[tuple[str, str | None, str, str]]] = {}
    loans = (Loan.select(Loan.person, Loan.out_at, Asset.tag, Asset.serial, Asset.name,
                         HardwareModel.name, Category.name, Category.kind)
             .join(Asset, on=(Loan.asset == Asset.id))
             .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER,
                        on=(Asset.model == HardwareModel.id))
             .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                        on=(HardwareModel.category == Category.id))
             .join_from(Loan, Person, on=(Loan.person == Person.id))
             .where(Loan.returned_at.is_null() & (Person.kind == "student")))
    if place is not None:
        loans = loans.where(Person.site == place.id)
    for person_id, _out_at, tag, serial, name, model, cat, kind in tuples_of(loans.order_by(
            Loan.out_at.desc(), Loan.id.desc())):
        lent.setdefault(person_id, []).append((tag, serial, kind or "other",
                                               " ".join(x for x in (cat, model, name) if x)
                                               .lower()))
    out: list[dict[str, str]] = []
    for pid, idn, first, last, grade, code, site_name in students:
        device: tuple[str, str | None, str] | None = None
        hotspot: str | None = None
        for tag, serial, kind, names in lent.get(pid, []):
            if any(w in names for w in words):
                hotspot = hotspot or tag
            elif kind in DEVICE_KINDS and device is None:  # the latest lent is the primary one
                device = (tag, serial, _device_type(kind, names))
        idn = idn or ""
        out.append({
            "ssid": idn if re.fullmatch(r"\d{10}", idn) else "", "local_id": idn,
            "first_name": first or "", "last_name": last or "", "grade": grade or "",
            "school_code": code or site_name or "", "school_name": site_name or "",
            "device_assigned": "yes" if device else "no",
            "device_type": device[2] if device else "none",
            "device_provider": "school" if device else "none",
            "device_tag": device[0] if device else "", "device_serial": (device[1] or "")
            if device else "",
            "hotspot_provided": "yes" if hotspot else "no",
            "internet_access_type": "hotspot" if hotspot else "none",
        })
    return out


def records(site: str | None = None, lay: Layout | None = None) -> tuple[list[str], list[list[str]]]:
    """(column names, rows of codes) as the layout writes them."""
    lay = lay or layout()
    cols = lay["columns"]
    rows: list[list[str]] = []
    for f in facts(site):
        row: list[str] = []
        for col in cols:
            value = col.get("value", "") if col["source"] == "constant" else f[col["source"]]
            mapping = col.get("map") or {}
            value = mapping.get(value, value) if isinstance(value, str) else value
            row.append("" if value is None else str(value))
        rows.append(row)
    return [c["name"] for c in cols], rows


_UNSAFE = re.compile(r"[\r\n\t]+")


def write(path: str | os.PathLike[str], site: str | None = None, lay: Layout | None = None) -> int:
    """The file: .txt in the layout's CALPADS form (caret-delimited, no
    header unless the layout says so), .csv with a header row for checking
    in a spreadsheet. Returns the records written; nothing is left behind
    when it fails."""
    from app import files
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".csv"):
        raise ValidationError("Write the CALPADS file as .txt (caret-delimited) or .csv.")
    lay = lay or layout()
    names, rows = records(site, lay)
    tmp = files.temp_name(path, "part")
    try:
        with files.private(), tmp.open("w", encoding="utf-8", newline="") as f:
            if suffix == ".csv":
                w = csv.writer(f)
                w.writerow(names)
                w.writerows(rows)
            else:
                d = lay["delimiter"]
                if lay["header"]:
                    f.write(d.join(names) + "\r\n")
                for row in rows:
                    # A value never carries the delimiter or a line break into the file.
                    f.write(d.join(_UNSAFE.sub(" ", v).replace(d, " ") for v in row) + "\r\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(rows)
