"""Room inventory sheet: per room, every asset located there, on its own
page with a tick column and a block for site staff to sign ("Verified by /
Date / Signature") — the sheet a principal or teacher checks and signs at
year end.

One room ("SITE/ROOM" or its label code), every room of a site, or every
room of the district. Retired and disposed assets are not in rooms any
more and are left out; missing ones are listed (their status says so) so the
room can confirm them. One query for the assets, one for the rooms; a room
with nothing in it still gets its sheet, saying so.
"""
from __future__ import annotations

import datetime as dt
import peewee as pw

from app.models import Asset, HardwareModel, Location, Person, Site
from app.models.common import ASSET_STATUSES, INACTIVE_STATUSES
from app.reporting import ReportParams, ReportSpec
from app.reporting._ops import find_site, day, organisation, plural, raw_rows, sign_table
from app.reporting.document import Cell, Column, Progress, ReportDocument, Section, Table
from app.services import catalog, tags
from app.services.base import current_user
from app.services.errors import NotFound, ValidationError
from app.store.db import rows as query_rows

COLUMNS = [
    Column("Seen", width=0.45),
    Column("Tag", width=1.0),
    Column("Name / model", width=2.6),
    Column("Serial", width=1.5),
    Column("Status", width=1.0),
    Column("Assigned to", width=1.8),
]
INDEX_COLUMNS = [
    Column("Site", width=2.2),
    Column("Room", width=2.0),
    Column("Room label", width=1.1),
    Column("Assets", "int", width=0.8, total=True),
    Column("Out / assigned", "int", width=1.1, total=True),
    Column("Signed sheet back", width=1.2),
]


def find_room(text: str) -> Location:
    """A room by label code, "Site / Room" (site name or code), or a unique name."""
    loc = catalog.find_location(text)
    if loc is None and "/" in text:
        site_text, _, room = (p.strip() for p in text.partition("/"))
        site = catalog.find_site(site_text)
        if site:
            loc = Location.get_or_none((Location.site == site.id)
                                       & (pw.fn.LOWER(Location.name) == room.lower()))
    if loc is None:
        raise NotFound(f"No room {text!r}; give SITE/ROOM or the room's label code.")
    return loc


# A room as the sheets name it: (id, site name, site code, room name, label code).
Room = tuple[int, str, str | None, str, str | None]
# A line of a room's sheet: (seen, tag, name / model, serial, status, assigned to).
SheetRow = tuple[str, str, str, str, str, str]


def rooms(site_id: int | None = None, room_id: int | None = None) -> list[Room]:
    """(id, site name, site code, room name, label code) in site then room order."""
    q = (Location.select(Location.id, Site.name, Site.code, Location.name, Location.barcode)
         .join(Site, on=(Location.site == Site.id)))
    if room_id:
        q = q.where(Location.id == room_id)
    elif site_id:
        q = q.where(Location.site == site_id)
    return [(lid, site, code, name, label)
            for lid, site, code, name, label in query_rows(q.order_by(Site.name, Location.name, Location.id))]


def assets_by_room(site_id: int | None = None, room_id: int | None = None) -> dict[int, list[SheetRow]]:
    """Room id → the rows of its sheet, by tag (one query)."""
    holder_room = Location.alias("holder_room")
    q = (Asset.select(Asset.location, Asset.tag, Asset.name, HardwareModel.name, Asset.serial,
                      Asset.status, Person.first_name, Person.last_name, holder_room.name)
         .join_from(Asset, HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .join_from(Asset, Person, pw.JOIN.LEFT_OUTER, on=(Asset.assigned_person == Person.id))
         .join_from(Asset, holder_room, pw.JOIN.LEFT_OUTER,
                    on=(Asset.assigned_location == holder_room.id))
         .where(Asset.location.is_null(False) & Asset.status.not_in(INACTIVE_STATUSES)))
    if room_id:
        q = q.where(Asset.location == room_id)
    elif site_id:
        q = q.join_from(Asset, Location, on=(Asset.location == Location.id)) \
            .where(Location.site == site_id)
    out: dict[int, list[SheetRow]] = {}
    for loc, tag, name, model, serial, status, first, last, cart in \
            raw_rows(q.order_by(Asset.location, *tags.order_by(Asset.tag_key))):
        item = name or model or ""
        if name and model and model not in name:
            item = f"{name} ({model})"
        holder = f"{first} {last}".strip() if (first or last) else (cart or "")
        out.setdefault(loc, []).append(("", tag, item, serial or "",
                                        ASSET_STATUSES.get(status, status), holder))
    return out


def build(params: ReportParams, progress: Progress | None = None) -> ReportDocument:
    as_of = params.as_of or dt.date.today()
    room: Location | None = None
    site: Site | None = None
    if params.site:
        site = find_site(params.site)
    if params.room:
        # With a site given, a bare room name ("Library") is looked up there.
        room = Location.get_or_none(
            (Location.site == site.id) & (pw.fn.LOWER(Location.name) == params.room.strip().lower())
        ) if site else None
        room = room or find_room(params.room)
        if site and room.site_id != site.id:
            raise ValidationError(f"{params.room} is not at {site.name}.", field="room")
        site = None
    room_id = room.id if room else None
    site_id = site.id if site else None
    places = rooms(site_id, room_id)
    held = assets_by_room(site_id, room_id)
    sections: list[Section] = []
    index: list[tuple[str, str, str, int, int, str]] = []
    for loc_id, site_name, code, name, label in places:
        rows = held.get(loc_id, [])
        out = sum(1 for r in rows if r[5])
        index.append((site_name, name, label or "", len(rows), out, ""))
        figures: list[tuple[str, Cell]] = [("Assets listed", len(rows)), ("Checked out / assigned", out)]
        if label:
            figures.append(("Room label", label))
        sections.append(Section(
            key=f"{code or site_name} {name}", title=f"{site_name} \u2014 {name}",
            intro=("Tick each asset seen in the room. Write any asset found here but not "
                   "listed, or listed but not found, in the margin; then sign below."
                   if rows else "No assets are recorded in this room. Note any found here, "
                                "then sign below."),
            figures=figures,
            tables=[Table(COLUMNS, rows, empty_text="None."),
                    sign_table(["Verified by"], "Verified by site staff")],
        ))
    if len(sections) > 1:
        # The technician's list of the sheets handed out, ticked off as they come
        # back signed; for a site or the district it is also what the CSV holds.
        n = sum(r[3] for r in index)
        sections.insert(0, Section(
            key="Rooms", title="Room sheets handed out",
            intro=f"{plural(len(index), 'room')}, {plural(n, 'asset')}. A sheet per room "
                  "follows; tick each room here when its signed sheet comes back.",
            figures=[("Rooms", len(index)), ("Assets listed", n),
                     ("Checked out / assigned", sum(r[4] for r in index)),
                     ("Rooms with no assets", sum(1 for r in index if not r[3]))],
            tables=[Table(INDEX_COLUMNS, index)]))
    if not sections:
        scope = site.name if site else "the district"
        sections.append(Section(key="Rooms", title="Room inventory sheet",
                                intro=f"No rooms are set up for {scope}.",
                                tables=[Table(COLUMNS, [], empty_text="None.")]))
    # The running header names the site; each sheet's title names its room.
    subtitle = places[0][1] if room else site.name if site else "All sites"
    return ReportDocument(title="Room inventory sheet", organisation=organisation(),
                          sections=sections, subtitle=f"{subtitle} \u2014 {day(as_of)}",
                          generated_by=current_user())


SPEC = ReportSpec(
    name="room-sheet", title="Room inventory sheet",
    description="A page per room listing every asset located there (tag, name/model, serial, "
                "status, assigned to), with a tick column and a block for site staff to sign.",
    params=("site", "room"), formats=("pdf", "xlsx", "csv"), build=build, order=10)
