"""Exports: any list to CSV or XLSX — every row of the current filter, real
dates and numbers in XLSX, and no cell a spreadsheet would run as a formula.

    export("assets", "out.xlsx", ids=None)            # None = every row
    export("licenses", "keys.csv", include_keys=True)

An asset export uses the importer's own header names, so exporting, importing
into an empty database and exporting again gives the same file.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import json.scanner
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

# The cell writer is shared with the reports; these names are its public face here.
from app.cells import (EPOCH as _EPOCH, FORMULA_PREFIXES, XML_BAD as _XML_BAD, Memo,  # noqa: F401
                       column_letters as _column_letters, csv_value as _csv_value, money_text,
                       safe_cell, stored_date, xlsx_cell as _xlsx_cell, xml_text as _xml_text)
from app.services.errors import ValidationError
from app.store.db import rows as tuples_of

if TYPE_CHECKING:
    import peewee as pw

    from app.store.db import BaseModel

# What export's ``progress`` is called with: (rows done, total or 0, a line to show).
Progress = Callable[[int, int, str], None]

KINDS = ("assets", "people", "locations", "loans", "repairs", "licenses", "supplies", "history")


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
    import peewee as pw

    from app.models import Asset
    from app.store.db import db
    names: dict[str, None] = {}
    if ids is None and isinstance(db.obj, pw.SqliteDatabase):
        # The whole register: SQLite lists the keys itself (json_each), rather
        # than every asset's document crossing into Python to be parsed
        # (1,000,000 assets: 3.1 s → well under a second).
        cursor = db.execute_sql(
            "SELECT DISTINCT j.key FROM asset AS a, json_each(a.custom) AS j "
            "WHERE a.custom IS NOT NULL AND json_valid(a.custom) "
            "AND json_type(a.custom) = 'object'")
        names = dict.fromkeys(k for (k,) in cursor.fetchall())
        return _new_columns(names)
    loads = _json_object
    if ids is None:
        # Every document once: the server finds the distinct ones (a million
        # assets hold a few tens of thousands), not Python by parsing them all.
        from app.store.db import stream
        documents = Asset.select(Asset.custom).where(Asset.custom.is_null(False)).distinct()
        for rows in stream(documents):
            for (custom,) in rows:
                if custom:
                    names.update(dict.fromkeys(custom if isinstance(custom, dict)
                                               else loads(custom)))
        return _new_columns(names)
    q = Asset.select(Asset.id, Asset.custom).where(Asset.custom.is_null(False))
    for chunk in _raw_chunks(ids, q, Asset):
        for _, custom in chunk:
            if custom:
                names.update(dict.fromkeys(custom if isinstance(custom, dict) else loads(custom)))
    return _new_columns(names)


def _new_columns(names: Iterable[str]) -> tuple[str, ...]:
    """The custom field names that are not one of the export's own columns, sorted."""
    taken = {h.casefold() for h in ASSET_HEADERS}
    return tuple(sorted((n for n in names if n.casefold() not in taken), key=str.casefold))


# typeshed types the scanner's context as the scanner itself; it takes the decoder.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _json_object(text: str) -> Any:
    """A stored JSON document (``JSONField``'s text), parsed by the decoder's C
    scanner directly: ``json.loads`` costs three times as much per small object."""
    try:
        return _scan(text, 0)[0]
    except StopIteration:
        return json.loads(text)  # raises the usual error for what is not JSON


# Where a cell starts in a column's cells joined by NUL: one substring search
# (in C) per formula prefix finds whether any cell of the column starts one.
_CELL_STARTS = tuple("\0" + p for p in FORMULA_PREFIXES)


def _same(v: Any) -> Any:
    return v


# What makes the csv module quote a cell (QUOTE_MINIMAL, the excel dialect).
_CSV_SPECIAL = (",", '"', "\r", "\n")


def _csv_quoted(cell: str) -> str:
    """A cell as the csv module writes it: quoted (quotes doubled) when it holds
    a comma, a quote or a line break."""
    if "," in cell or '"' in cell or "\r" in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


# ``map(get, column, column)``: None → "", any other cell itself (in C).
_BLANK: Callable[[Any, Any], Any] = {None: ""}.get


def _csv_column(column: Sequence[Any], typed: bool) -> Sequence[str]:
    """A column of text cells (str, or None for none) as CSV cells: "" for
    none, made safe (``typed``: text a person typed, which may start a
    formula) and quoted as the csv module would. Most columns of most chunks
    need none of it: one join of the column (in C) and a substring search per
    character that matters tell."""
    try:
        joined = "\0".join(column)  # a None fails it
    except TypeError:
        # Asking the database for "" instead of NULL costs it more than this.
        if column.count(None) == len(column):  # a column nobody filled in (a tuple: fast)
            return ("",) * len(column)
        column = tuple(map(_BLANK, column, column))
        joined = "\0".join(column)
    cells: Sequence[str] = column
    if typed and (joined.startswith(FORMULA_PREFIXES) or any(p in joined for p in _CELL_STARTS)):
        cells = tuple(map(safe_cell, cells))
        joined = "\0".join(cells)
    if any(c in joined for c in _CSV_SPECIAL):
        return tuple(map(_csv_quoted, cells))
    return cells


def _csv_cell(v: Any) -> str:
    """A value as ``_write_csv`` writes it (``csv_value``), quoted as the csv module would."""
    return _csv_quoted(_csv_value(v))


def _csv_lines(columns: list[Sequence[str]]) -> str:
    """Columns of finished CSV cells as the lines the csv module's writer makes
    of their rows, byte for byte ("\r\n" after each)."""
    return "\r\n".join(map(",".join, zip(*columns))) + "\r\n"


class _Chunks(Iterator[Sequence[Any]]):
    """Rows that come a chunk of columns at a time: iterated, one row at a
    time (as CSV, the cells read back from its lines); as CSV
    (``csv_blocks``), each chunk's lines made whole."""

    def __init__(self, chunks: Iterator[list[Sequence[Any]]], text: bool) -> None:
        self.chunks = chunks
        self.text = text
        self._rows: Iterator[Sequence[Any]] = iter(())

    def __next__(self) -> Sequence[Any]:
        while True:
            row = next(self._rows, None)
            if row is not None:
                return row
            columns = next(self.chunks)  # StopIteration ends the rows
            self._rows = (csv.reader(io.StringIO(_csv_lines(columns), newline=""))
                          if self.text else zip(*columns))

    def csv_blocks(self) -> Iterator[tuple[str, int]]:
        """Each chunk's CSV lines, and how many rows they are."""
        assert self.text, "CSV lines come from text cells"
        for columns in self.chunks:
            yield _csv_lines(columns), len(columns[0])


def _asset_rows(ids: list[int] | None, custom_names: tuple[str, ...] = (),
                text: bool = False) -> _Chunks:
    """The asset export's rows (see ``_asset_columns``)."""
    return _Chunks(_asset_columns(ids, custom_names, text), text)


def _asset_columns(ids: list[int] | None, custom_names: tuple[str, ...] = (),
                   text: bool = False) -> Iterator[list[Sequence[Any]]]:
    """The asset export's rows, a few thousand at a time, as columns: one SQL
    query read straight from the cursor (no model objects), each chunk turned
    into its columns and each column converted whole (in C, with memos of the
    values that repeat), not cell by cell in Python: a million assets is
    thirty million cells. ``text``: finished CSV cells (safe, quoted as the
    csv module quotes), where a cell looked up or converted once per distinct
    value may stand for several columns (a model's maker, name, number and
    category; the custom fields); else one column per header, typed values
    (dates, Decimal money; None for none) for a workbook."""
    import peewee as pw

    from app.listing import Holder, Room
    from app.models import Asset, Category, HardwareModel, Manufacturer, Site, Supplier
    from app.models.common import ASSET_STATUSES, FUNDING_TYPES, PERSON_KINDS
    from app.store.db import db
    # The small tables (models, sites, rooms, suppliers) are looked up here rather
    # than joined: the join per row was most of the database's time.
    models = {i: (maker, name, number, cat) for i, name, number, maker, cat in
              tuples_of(HardwareModel.select(HardwareModel.id, HardwareModel.name,
                                             HardwareModel.model_number, Manufacturer.name,
                                             Category.name)
                        .join(Manufacturer, pw.JOIN.LEFT_OUTER,
                              on=(HardwareModel.manufacturer == Manufacturer.id))
                        .join_from(HardwareModel, Category, pw.JOIN.LEFT_OUTER,
                                   on=(HardwareModel.category == Category.id)))}
    sites = {i: (name, ben) for i, name, ben in tuples_of(Site.select(Site.id, Site.name, Site.ben))}
    rooms: dict[int, str] = dict(tuples_of(Room.select(Room.id, Room.name)))
    suppliers = {i: (name, spin) for i, name, spin in
                 tuples_of(Supplier.select(Supplier.id, Supplier.name, Supplier.spin))}
    # What an empty cell is: "" in CSV (so every cell is a str), else None.
    none: Any = "" if text else None

    def lookup(cells: dict[Any, Any], empty: Any = none) -> Memo:
        """id → that column's cell; an id with no row (or none) → ``empty``."""
        return Memo(lambda _: empty, (None, empty), *cells.items())

    model_cells: list[Memo]
    if text:
        # A model's four cells are one finished piece of the line.
        model_cells = [lookup({k: ",".join(map(_csv_cell, v)) for k, v in models.items()},
                              ",,,")]
        cell_of: Callable[[Any], Any] = _csv_cell
    else:
        model_cells = [lookup({k: v[n] for k, v in models.items()}) for n in range(4)]
        cell_of = _same
    site_names, bens = (lookup({k: cell_of(v[n]) for k, v in sites.items()}) for n in range(2))
    room_names = lookup({k: cell_of(v) for k, v in rooms.items()})
    supplier_names, spins = (lookup({k: cell_of(v[n]) for k, v in suppliers.items()})
                             for n in range(2))

    # PostgreSQL sends every value as text; asked for text, psycopg2 hands it
    # over as it came instead of building a date or a Decimal to format again
    # (numeric(12,2) reads "329.00", a date "2024-07-01": the CSV's own text).
    as_text = text and isinstance(db.obj, pw.PostgresqlDatabase)

    def sent(field: Any) -> Any:
        """A date or an amount as it is read: see ``as_text``."""
        return field.cast("text") if as_text else field

    # The holder as the asset list shows them ("Last, First"), which the asset
    # import reads back as a person's name (a person it created from a name has
    # no ID number: without the name the assignment was lost); and the
    # funding's label. Both made by the database.
    both = (Holder.last_name != "") & (Holder.first_name != "")
    one_name = pw.fn.COALESCE(pw.fn.NULLIF(Holder.last_name, ""),
                              pw.fn.NULLIF(Holder.first_name, ""))
    full_name = Holder.last_name.concat(", ").concat(Holder.first_name)
    holder = pw.Case(None, [(both, full_name)], one_name)
    single: Any = pw.SQL("NULL")  # for a workbook, the holder is the one column
    if text:
        # Nearly every holder has both names, and "Last, First" is always
        # quoted (its comma) and never a number: the database finishes that
        # cell (made safe, quotes doubled, quoted), and a holder with one
        # name comes apart, to be finished like any typed text; one of the
        # two is "" in each row.
        finished = (pw.Value('"')
                    .concat(pw.Case(None, [(pw.fn.SUBSTR(Holder.last_name, 1, 1)
                                            .in_(FORMULA_PREFIXES), "'")], ""))
                    .concat(pw.fn.REPLACE(full_name, '"', '""')).concat('"'))
        holder = pw.Case(None, [(both, finished)], "")
        single = pw.Case(None, [(both, "")], pw.fn.COALESCE(one_name, ""))
    funding = pw.Case(Asset.funding_type,
                      [(k, FUNDING_TYPES[k]) for k in ("erate", "general")],
                      pw.fn.COALESCE(pw.fn.NULLIF(Asset.funding_name, ""), Asset.funding_type))
    # NULL stays NULL (None): SQLite spends more making "" of it than Python.
    q = (Asset.select(Asset.id, Asset.tag, Asset.serial, Asset.name, Asset.model, Asset.status,
                      Asset.site, Asset.location, holder, single,
                      Holder.id_number, Holder.kind,
                      sent(Asset.purchase_date), sent(Asset.cost), Asset.order_number,
                      Asset.supplier, funding, Asset.erate_frn, Asset.erate_funding_year,
                      Asset.erate_form471, Asset.erate_frn_line, Asset.federal_award_id,
                      sent(Asset.federal_share), sent(Asset.in_service_date),
                      sent(Asset.warranty_end), sent(Asset.last_audit_date), Asset.condition,
                      Asset.notes, Asset.custom)
         .join_from(Asset, Holder, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Holder.id)))

    # Amounts, labels and custom fields repeat (and dates, for a workbook):
    # each converts once per distinct value (the memos are emptied now and
    # then, so a register of all-different values cannot grow them unbounded).
    statuses = Memo(lambda v: cell_of(ASSET_STATUSES.get(v, v)), (None, none))
    kinds = Memo(lambda v: cell_of(PERSON_KINDS.get(v, v)), (None, none))
    days: Memo | None
    years = Memo(lambda v: _csv_quoted(str(v)) if text else v, (None, none))
    if text:
        money = Memo(money_text, (None, ""))  # digits and a point: nothing to quote
        days = None  # already ISO text, from either database
    else:
        cost_value = Asset.cost.python_value
        money = Memo(cost_value, (None, None))
        days = Memo(stored_date, (None, None))
    loads = _json_object

    def extra_cells(custom: Any) -> Any:
        extra = (custom if isinstance(custom, dict) else loads(custom)) if custom else {}
        values = [extra.get(n) for n in custom_names]
        if not text:
            return tuple(values)
        # The custom fields are one finished piece of the line.
        return ",".join(map(_csv_cell, values))

    extras = Memo(extra_cells)
    memos = (statuses, kinds, years, money, extras, *model_cells) + ((days,) if days else ())
    typed = _csv_column if text else None
    for chunk in _raw_chunks(ids, q, Asset):
        for memo in memos:
            if len(memo) > 100_000:
                memo.forget()
        columns: Any = zip(*chunk)
        (_, tags, serials, names, model_ids, status, site_ids, room_ids, holders, singles,
         holder_ids,
         holder_kinds, bought, cost, pos, supplier_ids, fundings, frns, fyears, forms471,
         frn_lines, awards, share, inserv, warranty, audit, conditions, notes,
         customs) = columns
        if days is not None:
            day = days.__getitem__
            bought, inserv, warranty, audit = (tuple(map(day, c)) for c in
                                               (bought, inserv, warranty, audit))
        if typed:
            # Text a person typed is made safe; all of it quoted where needed.
            (tags, serials, names, singles, holder_ids, pos, fundings, frns, forms471,
             frn_lines, awards, conditions, notes) = (
                typed(c, True) for c in (tags, serials, names, singles, holder_ids, pos, fundings,
                                         frns, forms471, frn_lines, awards, conditions, notes))
            holders = tuple(map(operator.add, holders, singles))
            bought, inserv, warranty, audit = (
                typed(c, False) for c in (bought, inserv, warranty, audit))
        cols: list[Sequence[Any]] = [tags, serials, names]
        cols += (tuple(map(m.__getitem__, model_ids)) for m in model_cells)
        cols += [
            tuple(map(statuses.__getitem__, status)),
            tuple(map(site_names.__getitem__, site_ids)), tuple(map(room_names.__getitem__, room_ids)),
            holders, holder_ids, tuple(map(kinds.__getitem__, holder_kinds)), bought,
            tuple(map(money.__getitem__, cost)), pos,
            tuple(map(supplier_names.__getitem__, supplier_ids)), fundings, frns,
            tuple(map(years.__getitem__, fyears)), forms471,
            frn_lines, tuple(map(bens.__getitem__, site_ids)),
            tuple(map(spins.__getitem__, supplier_ids)), awards, tuple(map(money.__getitem__, share)),
            inserv, warranty, audit, conditions, notes]
        if custom_names:
            if text:
                cols.append(tuple(map(extras.__getitem__, customs)))
            else:
                cols += zip(*map(extras.__getitem__, customs))
        yield cols


def _raw_chunks(ids: list[int] | None, query: pw.Select, model: type[BaseModel],
                size: int = 5000) -> Iterator[list[Any]]:
    """The query's rows as the driver returns them, in id order: for these ids
    (in chunks) or for all (one query, read a page at a time)."""
    from app.store.db import db, stream
    if ids is None:
        yield from stream(query.order_by(model.id), size=size)
    else:
        order = {i: n for n, i in enumerate(ids)}
        for start in range(0, len(ids), size):
            part = ids[start:start + size]
            rows = db.execute_sql(*query.where(model.id.in_(part)).sql()).fetchall()
            rows.sort(key=lambda r: order[r[0]])
            yield rows


def _chunks(ids: list[int] | None, query: pw.Select, model: type[BaseModel],
            size: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows in id order: for these ids (in chunks) or for all."""
    if ids is None:
        last = 0
        while True:
            rows = list(tuples_of(query.where(model.id > last).order_by(model.id).limit(size)))
            if not rows:
                return
            last = rows[-1][0]
            yield rows
    else:
        order = {i: n for n, i in enumerate(ids)}
        for start in range(0, len(ids), size):
            part = ids[start:start + size]
            rows = list(tuples_of(query.where(model.id.in_(part))))
            rows.sort(key=lambda r: order[r[0]])
            yield rows


def _list_rows(kind: str, ids: list[int] | None) -> Iterator[Sequence[Any]]:
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


def _license_rows(ids: list[int] | None, include_keys: bool) -> Iterator[tuple[Any, ...]]:
    from app.services import licenses
    rows = licenses.compliance()
    keys: dict[int, str] = {}
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


def _supply_rows(ids: list[int] | None) -> Iterator[tuple[Any, ...]]:
    from app.models import Supply
    q = Supply.select(Supply.id, Supply.name, Supply.part_number, Supply.barcode, Supply.category,
                      Supply.on_hand, Supply.reorder_point, Supply.target, Supply.bin, Supply.unit_cost)
    for chunk in _chunks(ids, q, Supply):
        for (_, *rest) in chunk:
            yield tuple(rest)


def _history_rows(ids: list[int] | None) -> Iterator[tuple[Any, ...]]:
    from app.models import HistoryEntry as H
    q = H.select(H.id, H.at, H.who, H.entity, H.entity_id, H.action, H.field, H.old, H.new, H.note)
    for chunk in _chunks(ids, q, H):
        for (_, *rest) in chunk:
            yield tuple(rest)


def headers_and_rows(kind: str, ids: list[int] | None = None, include_keys: bool = False,
                     text: bool = False) -> tuple[tuple[str, ...], Iterator[Sequence[Any]]]:
    """The kind's column headers and its rows. ``text``: the rows may come
    already as CSV text (the asset export does, a million rows at a time)."""
    if kind not in KINDS:
        raise ValidationError(f"Cannot export {kind!r}; choose one of: {', '.join(KINDS)}.")
    if kind == "assets":
        names = _custom_names(ids)
        return ASSET_HEADERS + names, _asset_rows(ids, names, text=text)
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


def export(kind: str, path: str | os.PathLike[str], ids: Iterable[int] | None = None,
           include_keys: bool = False, progress: Progress | None = None,
           by: str | None = None) -> int:
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
    wanted = list(ids) if ids is not None else None
    keys_out = include_keys and kind == "licenses"
    headers, rows = headers_and_rows(kind, wanted, include_keys, text=suffix == ".csv")
    blocks = rows.csv_blocks() if isinstance(rows, _Chunks) and suffix == ".csv" else None
    if progress and wanted is not None:
        given, total = progress, len(wanted)
        progress = lambda n, _total, text: given(n, total, text)  # noqa: E731
    counted = {"keys": 0}
    if keys_out:
        rows = _counting_keys(rows, counted)
    tmp = files.temp_name(path, "part")
    try:
        with files.private():
            if blocks is not None:
                n = _write_csv_blocks(tmp, headers, blocks, progress)
            else:
                n = (_write_xlsx if suffix == ".xlsx" else _write_csv)(tmp, kind, headers, rows,
                                                                        progress)
        if keys_out:
            _record_keys_export(counted["keys"], n, path, by)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _counting_keys(rows: Iterable[Sequence[Any]], counted: dict[str, int]) -> Iterator[Sequence[Any]]:
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


@contextlib.contextmanager
def _csv_file(path: Path, headers: Sequence[str]) -> Iterator[tuple[IO[str], Any]]:
    """The CSV file open for writing, its byte order mark and header row
    written: (the file, a csv writer on it)."""
    # The byte order mark written once by hand: the "utf-8-sig" codec is Python
    # code called on every write, plain UTF-8 is the stream's own C encoder.
    with path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as f:
        f.write("\ufeff")
        w = csv.writer(f)
        # Column names come from people too (custom field names): guard them like cells.
        w.writerow([safe_cell(str(h)) for h in headers])
        yield f, w


def _write_csv_blocks(path: Path, headers: Sequence[str], blocks: Iterable[tuple[str, int]],
                      progress: Progress | None) -> int:
    """Rows that come as CSV lines already (safe), a chunk at a time."""
    n = 0
    with _csv_file(path, headers) as (f, _w):
        for lines, count in blocks:
            f.write(lines)
            done, n = n, n + count
            if progress:
                for at in range(done + 5000 - done % 5000, n + 1, 5000):
                    progress(at, 0, f"{at:,} rows")
    return n


def _write_csv(path: Path, kind: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               progress: Progress | None) -> int:
    n = 0
    with _csv_file(path, headers) as (_f, w):
        for row in rows:
            w.writerow([_csv_value(v) for v in row])
            n += 1
            if progress and n % 5000 == 0:
                progress(n, 0, f"{n:,} rows")
    return n


# --- XLSX, written directly -------------------------------------------------------
# openpyxl's write-only mode spends ~0.2 ms of Python per cell (23 s for
# 100,000 assets); the sheet XML is simple enough to stream ourselves.

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


def _write_xlsx(path: Path, kind: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                progress: Progress | None) -> int:
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
