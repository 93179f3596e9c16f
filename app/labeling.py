"""What goes on labels: gathering assets, rooms, supply bins and new tags.

The domain side of label printing (reports/labels draws them). Each gatherer
returns ``LabelItem``s in a stable order: ``code`` is exactly what the barcode
holds (the tag, the room's label code, the supply's barcode), and ``lines``
the texts a layout may show (org, title, name, tag, serial, place, funding,
flag). One query per call, read as tuples.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TypedDict, cast

import peewee as pw

from app.models import (Asset, Category, HardwareModel, Location, Manufacturer, Site, Supply)
from app.services import catalog, settings, tags
from app.services.errors import NotFound, ValidationError
from app.services.fields import parse_date
from app.store import search
from app.store.db import rows as query_rows

QUERY_KEYS = ("site", "room", "category", "since")

# The texts a label may show, by line key (org, title, name, tag, serial, place,
# funding, flag); the template and the person printing choose which, in what
# order, so a layout reads them by key.
LabelLines = dict[str, str]


@dataclass
class LabelItem:
    """One label: what the barcode holds and the texts around it."""
    code: str  # the plain tag, room code or supply barcode
    lines: LabelLines = field(default_factory=dict)


class AssetQuery(TypedDict, total=False):
    """Filters for ``query_asset_ids`` read from a ``--query`` text (``parse_query``)."""
    site: str
    room: str
    category: str
    added_since: str
    text: str
# The flag line of a loaner's label, so a loaner is never kept as a student's own.
LOANER_FLAG = "LOANER"


def org_line() -> str:
    name = (settings.get("org_name") or "").strip()
    return f"Property of {name}" if name else ""


def funding_line(kind: str | None, name: str | None, frn: str | None, year: int | str | None) -> str:
    """"E-Rate FY2025 FRN 2599012345", a grant's name, or nothing."""
    if frn or kind == "erate":
        parts = ["E-Rate"]
        if year:
            parts.append(f"FY{year}")
        if frn:
            parts.append(f"FRN {frn}")
        return " ".join(parts)
    if name:
        return f"Grant: {name}" if kind == "grant" else str(name)
    return ""


def asset_rows(asset_ids: list[int]) -> list[LabelItem]:
    """Label data for these assets, in the order given; unknown ids are refused."""
    ids = [int(i) for i in asset_ids]
    if not ids:
        return []
    org = org_line()
    Room = Location.alias()
    found: dict[int, LabelItem] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        q = (Asset.select(Asset.id, Asset.tag, Asset.name, Asset.serial, HardwareModel.name,
                          Manufacturer.name, Site.name, Room.name, Asset.funding_type,
                          Asset.funding_name, Asset.erate_frn, Asset.erate_funding_year,
                          Asset.loaner)
             .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
             .join(Manufacturer, pw.JOIN.LEFT_OUTER, on=(HardwareModel.manufacturer == Manufacturer.id))
             .switch(Asset).join(Site, pw.JOIN.LEFT_OUTER, on=(Asset.site == Site.id))
             .switch(Asset).join(Room, pw.JOIN.LEFT_OUTER, on=(Asset.location == Room.id))
             .where(Asset.id.in_(chunk)))
        for (aid, tag, name, serial, model, maker, site, room, fkind, fname, frn, year,
             loaner) in query_rows(q):
            model_text = model or ""
            if maker and model and not model.lower().startswith(maker.lower()):
                model_text = f"{maker} {model}"
            found[aid] = LabelItem(tag, {
                "org": org,
                "name": name or model_text,
                "tag": tag,
                "serial": f"S/N {serial}" if serial else "",
                "place": " · ".join(p for p in (site, room) if p),
                "funding": funding_line(fkind, fname, frn, year),
                "flag": LOANER_FLAG if loaner else "",
            })
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"No asset with id {', '.join(map(str, missing[:5]))}.")
    return [found[i] for i in ids]


def query_asset_ids(site: int | str | None = None, room: int | str | None = None,
                    category: int | str | None = None, added_since: dt.date | str | None = None,
                    text: str | None = None, include_disposed: bool = False) -> list[int]:
    """Ids of the assets matching every given filter, ordered by tag. Disposed
    assets are gone from the district and get no labels unless asked for."""
    q = Asset.select(Asset.id)
    if not include_disposed:
        q = q.where(Asset.status != "disposed")
    if site:
        s = site if isinstance(site, int) else catalog.find_site(str(site))
        if s is None:
            raise NotFound(f"No site called {site!r}.")
        q = q.where(Asset.site == (s if isinstance(s, int) else s.id))
    if room:
        loc = room if isinstance(room, int) else catalog.find_location(str(room))
        if loc is None:
            raise NotFound(f"No room {room!r} (use its label code, or “Site / Room”).")
        q = q.where(Asset.location == (loc if isinstance(loc, int) else loc.id))
    if category:
        cat = (Category.get_or_none(Category.id == category) if isinstance(category, int) else
               Category.get_or_none(pw.fn.LOWER(Category.name) == str(category).strip().lower()))
        if cat is None:
            raise NotFound(f"No category called {category!r}.")
        q = q.join(HardwareModel, on=(Asset.model == HardwareModel.id)).where(HardwareModel.category == cat.id)
    if added_since:
        since = parse_date(added_since, "since")
        if since is not None:
            q = q.where(Asset.created_at >= dt.datetime.combine(since, dt.time()))
    if text:
        expr = search.match_expression(Asset.id, Asset.search_text, text)
        if expr is not None:
            q = q.where(expr)
    return [r[0] for r in query_rows(q.order_by(*tags.order_by(Asset.tag_key)))]


def parse_query(text: str) -> AssetQuery:
    """``site=…;room=…;category=…;since=YYYY-MM-DD`` → filters; anything else is
    free text for the search box (``{"text": …}``)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("The query is empty.")
    if not re.match(r"^\s*\w+\s*=", text):
        return {"text": text}
    out: dict[str, str] = {}
    for part in re.split(r"[;&]", text):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in QUERY_KEYS:
            raise ValidationError(f"Unknown query part {part.strip()!r}; use "
                                  "site=…;room=…;category=…;since=YYYY-MM-DD or plain search text.")
        out["added_since" if key == "since" else key] = value.strip()
    return cast(AssetQuery, out)  # every key is one of QUERY_KEYS, checked above


def location_rows(location_ids: list[int] | None = None) -> list[LabelItem]:
    """Room labels (so a stocktake can scan the room first); None = every room."""
    org = org_line()
    q = (Location.select(Location.id, Location.name, Location.barcode, Site.name)
         .join(Site, on=(Location.site == Site.id)))
    if location_ids is not None:
        q = q.where(Location.id.in_([int(i) for i in location_ids]))
    rows: list[tuple[int, LabelItem]] = []
    for lid, name, barcode, site in query_rows(q.order_by(Site.name, Location.name)):
        code = barcode or catalog.location_code(lid)
        rows.append((lid, LabelItem(code, {"org": org, "title": name, "tag": code, "place": site})))
    if location_ids is not None:
        order = {int(i): n for n, i in enumerate(location_ids)}
        missing = set(order) - {lid for lid, _ in rows}
        if missing:
            raise NotFound(f"No room with id {', '.join(map(str, sorted(missing)[:5]))}.")
        rows.sort(key=lambda r: order[r[0]])
    return [item for _, item in rows]


def supply_rows(supply_ids: list[int] | None = None) -> list[LabelItem]:
    """Bin labels with the item's barcode (its part number when it has no
    barcode). None = every active item that has either."""
    q = Supply.select(Supply.id, Supply.name, Supply.barcode, Supply.part_number, Supply.bin)
    if supply_ids is None:
        q = q.where(Supply.active == True)  # noqa: E712 - peewee expression
    else:
        q = q.where(Supply.id.in_([int(i) for i in supply_ids]))
    rows: list[tuple[int, LabelItem]] = []
    unlabelled: list[str] = []
    for sid, name, barcode, part, bin_ in query_rows(q.order_by(Supply.name)):
        code = (barcode or part or "").strip()
        if not code:
            unlabelled.append(name)
            continue
        rows.append((sid, LabelItem(code, {
            "title": name, "tag": code,
            "serial": f"Part {part}" if part and part != code else "",
            "place": f"Bin {bin_}" if bin_ else ""})))
    if supply_ids is not None:
        if unlabelled:
            raise ValidationError(f"{', '.join(unlabelled[:3])} ha{'s' if len(unlabelled) == 1 else 've'} "
                                  "no barcode or part number to print; add one first.")
        order = {int(i): n for n, i in enumerate(supply_ids)}
        missing = set(order) - {sid for sid, _ in rows}
        if missing:
            raise NotFound(f"No supply item with id {', '.join(map(str, sorted(missing)[:5]))}.")
        rows.sort(key=lambda r: order[r[0]])
    return [item for _, item in rows]


def new_tag_rows(count: int, by: str | None = None) -> list[LabelItem]:
    """Reserve the next ``count`` tags (nothing else will take them) for blank labels."""
    org = org_line()
    return [LabelItem(t, {"org": org, "tag": t})
            for t in tags.reserve(int(count), reason="pre-printed labels", by=by)]
