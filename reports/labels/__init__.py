"""Asset, room, supply-bin and blank-tag labels that scan.

    from reports import labels
    items = labels.items_for_assets([1, 2, 3])
    labels.render_pdf(items, "out.pdf", template="avery-5160", start_at=7)
    zpl = labels.render_zpl(items, template="zebra-2x1-203", symbology="qr")

The gathering of records is domain work (app.labeling, which defines
``LabelItem``: a code and its lines); this package turns ``LabelItem``s into
geometry (layout), PDFs (reportlab vectors) and ZPL. Modules: templates
(stock and calibration), symbols (encoding), layout, pdf, zpl.
"""
from __future__ import annotations

import datetime as dt

from app import labeling
from app.labeling import LabelItem, LabelLines
from reports.labels.pdf import calibration_pdf, label_layouts, placements, render_pdf
from reports.labels.symbols import SYMBOLOGIES, TITLES as SYMBOLOGY_TITLES
from reports.labels.templates import (Template, delete_custom, get_offset, get_template,
                                      list_templates, save_custom, set_offset, user_dir)
from reports.labels.zpl import render_zpl, send_raw

LINE_TITLES = {"logo": "Logo", "org": "Property of …", "title": "Room / item name",
               "name": "Asset name or model", "tag": "Tag (readable)", "serial": "Serial",
               "place": "Site and room", "funding": "Funding (E-Rate FRN, grant)"}


def default_lines(template: str | Template, kind: str = "asset") -> tuple[str, ...]:
    """The lines shown by default: the template's for assets; room, supply-bin and
    blank-tag labels show their own (room name and site, item name and bin, org)."""
    t = get_template(template)
    if kind in ("asset", "lto"):  # an LTO label shows its barcode's text, as the drive reads it
        return t.lines
    small = t.label_h < 15 or (t.label_h < 22 and t.label_w < 40)
    if kind == "location":
        return ("title", "tag") if small else ("org", "title", "tag", "place")
    if kind == "supply":
        return ("title", "tag") if small else ("title", "tag", "serial", "place")
    return ("tag",) if small else ("org", "tag")


def items_for_assets(asset_ids: list[int]) -> list[LabelItem]:
    return labeling.asset_rows(asset_ids)


def items_for_query(site: int | str | None = None, room: int | str | None = None,
                    category: int | str | None = None, added_since: dt.date | str | None = None,
                    text: str | None = None, include_disposed: bool = False) -> list[LabelItem]:
    """Assets by site, room, category and/or created on or after ``added_since``
    (and free ``text`` as in the search box); disposed ones only when asked."""
    ids = labeling.query_asset_ids(site, room, category, added_since, text, include_disposed)
    return labeling.asset_rows(ids)


def items_for_locations(location_ids: list[int] | None = None) -> list[LabelItem]:
    return labeling.location_rows(location_ids)


def items_for_supplies(supply_ids: list[int] | None = None) -> list[LabelItem]:
    return labeling.supply_rows(supply_ids)


def items_for_new_tags(count: int, by: str | None = None) -> list[LabelItem]:
    """The next ``count`` tag numbers, reserved (app.services.tags.reserve)."""
    return labeling.new_tag_rows(count, by)


__all__ = ["LabelItem", "LabelLines", "Template", "items_for_assets", "items_for_query", "items_for_locations",
           "items_for_supplies", "items_for_new_tags", "list_templates", "get_template",
           "render_pdf", "render_zpl", "calibration_pdf", "send_raw", "save_custom",
           "delete_custom", "get_offset", "set_offset", "user_dir", "placements",
           "label_layouts", "default_lines", "SYMBOLOGIES", "SYMBOLOGY_TITLES", "LINE_TITLES"]
