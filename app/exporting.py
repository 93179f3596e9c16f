"""Exports: any list to CSV or XLSX — every row of the current filter, real
dates and numbers in XLSX, and no cell a spreadsheet would run as a formula.

    export("assets", "out.xlsx", ids=None)            # None = every row
    export("licenses", "keys.csv", include_keys=True)

An asset export uses the importer's own header names, so exporting, importing
into an empty database and exporting again gives the same file.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Iterable

from app.services.errors import ValidationError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("assets", "people", "locations", "loans", "repairs", "licenses", "supplies", "history")


def safe_cell(value: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # Negative numbers stay numbers.
        if value[0] == "-" and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --- what each kind exports -----------------------------------------------------------

ASSET_HEADERS = ("Asset Tag", "Serial", "Name", "Manufacturer", "Model", "Model Number", "Category",
                 "Status", "Site", "Room", "Assigned To", "Assigned To ID", "Assigned To Kind",
                 "Purchase Date",
                 "Purchase Cost", "Order Number", "Supplier", "Funding", "FRN", "Funding Year",
                 "Form 471", "FRN Line Item", "BEN", "SPIN",
                 "Federal Award", "Federal Share", "In Service", "Warranty End", "Last Audit",
                 "Condition", "Notes")


def _custom_names(ids: list[int] | None) -> tuple[str, ...]:
    """The custom field names the exported assets use, in a stable order, so
    each becomes a column (and comes back as a custom field on import)."""
    from app.models import Asset
    q = Asset.select(Asset.id, Asset.custom).where(Asset.custom.is_null(False))
    names: dict[str, None] = {}
    taken = {h.casefold() for h in ASSET_HEADERS}
    for chunk in _chunks(ids, q, Asset):
        for _, custom in chunk:
            for name in (custom or {}):
                if name.casefold() not in taken:
                    names[name] = None
    return tuple(sorted(names, key=str.casefold))


def _asset_rows(ids: list[int] | None, custom_names: tuple[str, ...] = ()):
    import peewee as pw

    from app.listing import Holder, Room
    from app.models import Asset, Category, HardwareModel, Manufacturer, Site, Supplier
    from app.models.common import ASSET_STATUSES, FUNDING_TYPES, PERSON_KINDS
    q = (Asset.select(Asset.id, Asset.tag, Asset.serial, Asset.name, Manufacturer.name,
                      HardwareModel.name, HardwareModel.model_number, Category.name, Asset.status,
                      Site.name, Room.name, Holder.first_name, Holder.last_name, Holder.id_number,
                      Holder.kind,
                      Asset.purchase_date, Asset.cost, Asset.order_number, Supplier.name,
                      Asset.funding_type, Asset.funding_name,
                      Asset.erate_frn, Asset.erate_funding_year, Asset.erate_form471,
                      Asset.erate_frn_line, Site.ben, Supplier.spin, Asset.federal_award_id,
                      Asset.federal_share, Asset.in_service_date, Asset.warranty_end,
                      Asset.last_audit_date, Asset.condition, Asset.notes, Asset.custom)
         .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join(Manufacturer, pw.JOIN.LEFT_OUTER, on=(HardwareModel.manufacturer == Manufacturer.id))
         .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER, on=(HardwareModel.category == Category.id))
         .join_from(Asset, Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
         .join_from(Asset, Room, pw.JOIN.LEFT_OUTER, on=(Asset.location == Room.id))
         .join_from(Asset, Holder, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Holder.id))
         .join_from(Asset, Supplier, pw.JOIN.LEFT_OUTER, on=(Asset.supplier == Supplier.id)))
    money = Asset.cost.python_value
    for chunk in _chunks(ids, q, Asset):
        for r in chunk:
            (_, tag, serial, name, maker, model, number, cat, status, site, room, first, last,
             holder_id, holder_kind, bought, cost, po, supplier, ftype, fname, frn, fyear, form471,
             frn_line, ben, spin, award,
             share, inserv, warranty, audit, condition, notes, custom) = r
            funding = FUNDING_TYPES[ftype] if ftype in ("erate", "general") else fname or ftype
            row = (tag, serial, name, maker, model, number, cat, ASSET_STATUSES.get(status, status),
                   site, room, _holder_name(first, last), holder_id,
                   PERSON_KINDS.get(holder_kind, holder_kind), bought, money(cost), po,
                   supplier, funding, frn, fyear, form471, frn_line, ben, spin, award, money(share), inserv, warranty, audit,
                   condition, notes)
            if custom_names:
                extra = custom or {}
                row += tuple(extra.get(n) for n in custom_names)
            yield row


def _holder_name(first, last) -> str | None:
    """The holder as the asset list shows them ("Last, First"), which the
    asset import reads back as a person's name: a person it created from a
    name has no ID number, so without the name the assignment was lost."""
    if last and first:
        return f"{last}, {first}"
    return last or first or None


def _chunks(ids, query, model, size: int = 2000):
    """The query's rows in id order: for these ids (in chunks) or for all."""
    if ids is None:
        last = 0
        while True:
            rows = list(query.where(model.id > last).order_by(model.id).limit(size).tuples())
            if not rows:
                return
            last = rows[-1][0]
            yield rows
    else:
        order = {i: n for n, i in enumerate(ids)}
        for start in range(0, len(ids), size):
            part = ids[start:start + size]
            rows = list(query.where(model.id.in_(part)).tuples())
            rows.sort(key=lambda r: order[r[0]])
            yield rows


def _list_rows(kind: str, ids: list[int] | None):
    """Any desktop list (people, locations, loans, repairs): its own columns."""
    from app import listing
    if ids is None:
        ids = listing.query_ids(kind)
    for start in range(0, len(ids), 1000):
        part = ids[start:start + 1000]
        rows = listing.fetch_rows(kind, part)
        for i in part:
            if i in rows:
                yield rows[i]


def _license_rows(ids, include_keys: bool):
    from app.services import licenses
    rows = licenses.compliance()
    keys = {}
    if include_keys:
        keys = licenses.export_keys(ids)  # each key read is recorded in history
    wanted = set(ids) if ids is not None else None
    for r in rows:
        if wanted is not None and r["id"] not in wanted:
            continue
        row = (r["product"], r["version"], r["vendor"],
               "site license" if r["site_license"] else r["seats"], r["used"], r["free"],
               r["expiry_date"], r["cost"], "; ".join(r["problems"]))
        yield row + ((keys.get(r["id"]),) if include_keys else ())


def _supply_rows(ids):
    from app.models import Supply
    q = Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.barcode, Supply.category,
                      Supply.on_hand, Supply.reorder_point, Supply.target, Supply.bin, Supply.unit_cost)
    for chunk in _chunks(ids, q, Supply):
        for (_, *rest) in chunk:
            yield tuple(rest)


def _history_rows(ids):
    from app.models import HistoryEntry as H
    q = H.select(H.id, H.at, H.who, H.entity, H.entity_id, H.action, H.field, H.old, H.new, H.note)
    for chunk in _chunks(ids, q, H):
        for (_, *rest) in chunk:
            yield tuple(rest)


def headers_and_rows(kind: str, ids: list[int] | None = None, include_keys: bool = False):
    if kind not in KINDS:
        raise ValidationError(f"Cannot export {kind!r}; choose one of: {', '.join(KINDS)}.")
    if kind == "assets":
        names = _custom_names(ids)
        return ASSET_HEADERS + names, _asset_rows(ids, names)
    if kind in ("people", "locations", "loans", "repairs"):
        from app import listing
        return tuple(c.header for c in listing.columns(kind)), _list_rows(kind, ids)
    if kind == "licenses":
        h = ("Product", "Version", "Vendor", "Seats", "Used", "Free", "Expires", "Cost", "Problems")
        return h + (("Product key",) if include_keys else ()), _license_rows(ids, include_keys)
    if kind == "supplies":
        return (("Name", "Part number", "Barcode", "Category", "On hand", "Reorder point", "Target",
                 "Bin", "Unit cost"), _supply_rows(ids))
    return (("When", "Who", "Record", "Record id", "Action", "Field", "Old", "New", "Note"),
            _history_rows(ids))


def export(kind: str, path, ids: Iterable[int] | None = None, include_keys: bool = False,
           progress: Callable | None = None, by: str | None = None) -> int:
    """Write the list to ``path`` (.csv or .xlsx by its suffix); returns rows written.
    Written to a private temporary file beside it first, so a failure never
    leaves half a file. Product keys written out are recorded in history (who,
    when, how many, where), in the same transaction as the file is finished:
    no keys leave without a trace."""
    from app import files
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError("Export to a .csv or .xlsx file.")
    ids = list(ids) if ids is not None else None
    keys_out = include_keys and kind == "licenses"
    headers, rows = headers_and_rows(kind, ids, include_keys)
    if progress and ids is not None:
        given, total = progress, len(ids)
        progress = lambda n, _total, text: given(n, total, text)  # noqa: E731
    counted = {"keys": 0}
    if keys_out:
        rows = _counting_keys(rows, counted)
    tmp = files.temp_name(path, "part")
    try:
        with files.private():
            n = (_write_xlsx if suffix == ".xlsx" else _write_csv)(tmp, kind, headers, rows, progress)
        if keys_out:
            _record_keys_export(counted["keys"], n, path, by)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _counting_keys(rows, counted: dict):
    for row in rows:
        if row[-1]:
            counted["keys"] += 1
        yield row


def _record_keys_export(keys: int, rows: int, path: Path, by: str | None) -> None:
    from app.services import history
    from app.services.base import transaction
    from app.wording import plural
    with transaction():
        history.record("export", 0, "export_keys", new=plural(keys, "product key"),
                       note=f"{plural(keys, 'product key')} of {plural(rows, 'license')} "
                            f"exported to {path.name}", by=by)


def _csv_value(v):
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return safe_cell(str(v))


def _write_csv(path, kind, headers, rows, progress) -> int:
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        # Column names come from people too (custom field names): guard them like cells.
        w.writerow([safe_cell(str(h)) for h in headers])
        for row in rows:
            w.writerow([_csv_value(v) for v in row])
            n += 1
            if progress and n % 5000 == 0:
                progress(n, 0, f"{n:,} rows")
    return n


# --- XLSX, written directly -------------------------------------------------------
# openpyxl's write-only mode spends ~0.2 ms of Python per cell (23 s for
# 100,000 assets); the sheet XML is simple enough to stream ourselves.

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_STYLE_HEAD, _STYLE_DATE, _STYLE_TIME, _STYLE_MONEY = 1, 2, 3, 4

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _column_letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _xml_text(text: str) -> str:
    if _XML_BAD.search(text):
        text = _XML_BAD.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text  # a bare CR would read back as LF


def _xlsx_cell(ref: str, v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(safe_cell(v))}</t></is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_STYLE_TIME}"><v>{serial!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(v - _EPOCH.date()).days}</v></c>'
    if isinstance(v, Decimal):
        return f'<c r="{ref}" s="{_STYLE_MONEY}"><v>{v}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    return _xlsx_cell(ref, str(v))


def _write_xlsx(path, kind, headers, rows, progress) -> int:
    import zipfile
    title = _xml_text(kind.capitalize())[:31].replace('"', "")
    letters = [_column_letters(i) for i in range(max(len(headers), 1) + 8)]
    n = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out = []
            out.append('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                       '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                       'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>')
            out.append('<row r="1">' + "".join(
                f'<c r="{letters[i]}1" s="{_STYLE_HEAD}" t="inlineStr"><is><t>{_xml_text(safe_cell(str(h)))}</t></is></c>'
                for i, h in enumerate(headers)) + "</row>")
            for row in rows:
                n += 1
                r = n + 1
                if len(row) > len(letters):
                    letters = [_column_letters(i) for i in range(len(row))]
                out.append(f'<row r="{r}">' + "".join(
                    _xlsx_cell(f"{letters[i]}{r}", v) for i, v in enumerate(row)) + "</row>")
                if len(out) >= 1000:
                    raw.write("".join(out).encode("utf-8"))
                    out = []
                if progress and n % 5000 == 0:
                    progress(n, 0, f"{n:,} rows")
            out.append("</sheetData></worksheet>")
            raw.write("".join(out).encode("utf-8"))
    return n
