"""A realistic district to explore, test and benchmark with.

``build_demo`` fills an EMPTY database with sites and rooms, staff, students
and families, models across every category, eight years of purchases (E-Rate
network gear, grant-funded Chromebooks), loans (some overdue), repairs,
licenses with seats, supplies with movement history, retired and disposed
items, audit dates and history. Same seed and same day, same data. Rows go in
through the driver's bulk path, so 100,000 assets take seconds.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import random
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, cast

from app.cells import Memo, stored_date
from app.models.assets import Asset
from app.models.common import utcnow
from app.services import history, settings
from app.services.base import current_user, transaction
from app.services.catalog import location_code
from app.services.errors import Conflict, ValidationError
from app.store import search
from app.store.search import doc_of_clean
from app.store.bulk import Background, id_map, insert_rows
from app.store.db import db, param

log = logging.getLogger(__name__)

FIRST = ["Maria", "James", "Sofia", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Ava", "Elijah",
         "Isabella", "Lucas", "Mia", "Benjamin", "Camila", "Henry", "Luna", "Daniel", "Aria",
         "Sebastian", "Valentina", "Jack", "Ximena", "Owen", "Harper", "Diego", "Chloe", "Samuel",
         "Grace", "Adrian", "Nora", "Gabriel", "Lily", "Julian", "Zoe", "Leo", "Hannah", "Ethan",
         "Layla", "Carlos", "Aaliyah", "Nathan", "Penelope", "Isaac", "Victoria", "Kai", "Amara",
         "Wei", "Priya", "Tuan", "Fatima", "Dmitri", "Keiko", "Ahmed", "Siobhan", "Ngozi"]
LAST = ["Garcia", "Smith", "Johnson", "Martinez", "Nguyen", "Brown", "Lopez", "Williams",
        "Hernandez", "Jones", "Gonzalez", "Davis", "Rodriguez", "Miller", "Wilson", "Anderson",
        "Perez", "Thomas", "Sanchez", "Taylor", "Ramirez", "Moore", "Torres", "Jackson", "Flores",
        "Lee", "Rivera", "Kim", "Patel", "Chen", "Walker", "Cruz", "Reyes", "O'Brien", "Morales",
        "Ortiz", "Gutierrez", "Chavez", "Ramos", "Castillo", "Vasquez", "Kowalski", "Okafor",
        "Tran", "Murphy", "Bianchi", "Schmidt", "Yamamoto", "Haddad", "MacDonald", "D'Angelo"]

SITES = [
    ("District Office", "DO", "1200 Riverside Ave"),
    ("Lincoln High School", "LHS", "400 Eagle Way"),
    ("Riverside Middle School", "RMS", "88 Lincoln Blvd"),
    ("Jefferson Elementary", "JES", "15 Oak St"),
    ("Washington Elementary", "WES", "902 Pine Rd"),
    ("Roosevelt Elementary", "RES", "77 Lakeview Dr"),
    ("Adult Education Center", "AEC", "300 Mill St"),
    ("Technology Warehouse", "WH", "5 Depot Ln"),
]
SPECIAL_ROOMS = ["Library", "Computer Lab A", "Computer Lab B", "Front Office", "MDF",
                 "IDF 1", "Gym", "Cafeteria", "Storage", "Staff Lounge"]
OFFICE_ROOMS = ["Front Office", "MDF", "Storage", "Board Room", "IT Office"]
# The grades each school teaches (site code → grades); the Adult Education
# Center's students are adults.
GRADES = {
    "LHS": ["9", "10", "11", "12"],
    "RMS": ["6", "7", "8"],
    "JES": ["K", "1", "2", "3", "4", "5"],
    "WES": ["K", "1", "2", "3", "4", "5"],
    "RES": ["K", "1", "2", "3", "4", "5"],
    "AEC": ["Adult"],
}
# Share of the district's students at each school.
ENROLLMENT = {"LHS": 30, "RMS": 22, "JES": 14, "WES": 14, "RES": 14, "AEC": 6}

# name, kind, life years, custom fields
CATEGORIES = [
    ("Laptops", "computer", 5, [{"name": "RAM (GB)", "type": "number"}, {"name": "OS", "type": "text"}]),
    ("Desktops", "computer", 5, [{"name": "RAM (GB)", "type": "number"}, {"name": "OS", "type": "text"}]),
    ("Servers", "computer", 5, [{"name": "RAM (GB)", "type": "number"}]),
    ("Chromebooks", "chromebook", 4, [{"name": "Auto update expiration", "type": "date"}]),
    ("Tablets", "tablet", 4, None),
    ("Printers", "printer", 5, [{"name": "IP address", "type": "text"}]),
    ("Network switches", "network", 7, [{"name": "IP address", "type": "text"}]),
    ("Wireless access points", "network", 7, [{"name": "MAC address", "type": "text"}]),
    ("Firewalls", "network", 7, None),
    ("Projectors", "audio_visual", 7, [{"name": "Lamp hours", "type": "number"}]),
    ("Interactive displays", "audio_visual", 7, None),
    ("Document cameras", "audio_visual", 5, None),
    ("Backup tapes", "backup_media", 5, None),
    ("Peripherals", "peripheral", 3, None),
    ("Hotspots", "network", 3, [{"name": "Phone number", "type": "text"}]),
]
# What E-Rate pays for in the demo (category 2 internal connections).
ERATE_CATS = ("Network switches", "Wireless access points", "Firewalls")
# What is lent to people (and so has past, returned loans).
LENT_CATS = ("Chromebooks", "Tablets", "Laptops", "Hotspots", "Projectors", "Document cameras")

# manufacturer, model, model number, category, cost, weight (share of assets), serial pattern
MODELS = [
    ("Lenovo", "300e Chromebook Gen 4", "82W2", "Chromebooks", "329.00", 22, r"^PF[A-Z0-9]{6}$"),
    ("Dell", "Chromebook 3110", "P33T", "Chromebooks", "299.00", 20, r"^[A-Z0-9]{7}$"),
    ("HP", "Chromebook 11 G9 EE", "4M8V6UT", "Chromebooks", "279.00", 13, r"^5CD[A-Z0-9]{7}$"),
    ("Dell", "Latitude 3440", "N025L344014US", "Laptops", "899.00", 8, r"^[A-Z0-9]{7}$"),
    ("HP", "ProBook 450 G10", "7L6X4UT", "Laptops", "949.00", 4, r"^5CD[A-Z0-9]{7}$"),
    ("Apple", "MacBook Air 13 M2", "MLY33LL/A", "Laptops", "1099.00", 1, r"^[A-Z0-9]{10,12}$"),
    ("Dell", "OptiPlex 7010 SFF", "7010-SFF", "Desktops", "780.00", 8, r"^[A-Z0-9]{7}$"),
    ("Dell", "PowerEdge R750", "R750", "Servers", "9800.00", 0.3, r"^[A-Z0-9]{7}$"),
    ("Apple", "iPad (10th generation)", "MPQ03LL/A", "Tablets", "329.00", 6, r"^[A-Z0-9]{10,12}$"),
    ("HP", "LaserJet Pro M404dn", "W1A53A", "Printers", "349.00", 2, r"^(PHB|VNB)[A-Z0-9]{7}$"),
    ("HP", "Color LaserJet Pro M479fdw", "W1A80A", "Printers", "549.00", 0.8, r"^(CNB|VNB)[A-Z0-9]{7}$"),
    ("Brother", "HL-L5200DW", "HLL5200DW", "Printers", "279.00", 0.7, r"^U6[0-9A-Z]{13}$"),
    ("Cisco", "Catalyst 9300-48P", "C9300-48P-E", "Network switches", "7495.00", 1.0, r"^FOC[0-9A-Z]{8}$"),
    ("Cisco Meraki", "MS225-48FP", "MS225-48FP-HW", "Network switches", "5210.00", 0.6, r"^Q2[A-Z0-9-]{12}$"),
    ("Cisco Meraki", "MR46 Access Point", "MR46-HW", "Wireless access points", "1149.00", 3, r"^Q3[A-Z0-9-]{12}$"),
    ("Fortinet", "FortiGate 200F", "FG-200F", "Firewalls", "6795.00", 0.2, r"^FG200F[A-Z0-9]{10}$"),
    ("Epson", "PowerLite 1288", "V11H979020", "Projectors", "1599.00", 3.5, r"^X[A-Z0-9]{9}$"),
    ("Promethean", "ActivPanel 9 75in", "AP9-B75-NA-1", "Interactive displays", "3899.00", 2.5, r"^[A-Z0-9]{12}$"),
    ("IPEVO", "V4K Document Camera", "5-903-4-01-00", "Document cameras", "99.00", 2, None),
    ("Quantum", "LTO-8 Data Cartridge", "MR-L8MQN-01", "Backup tapes", "69.95", 1.5, r"^[A-Z0-9]{6}L8$"),
    ("Logitech", "MK270 Keyboard and Mouse", "920-004536", "Peripherals", "24.99", 1, None),
    ("Dell", "WD19S Dock", "WD19S130W", "Peripherals", "189.00", 0.6, None),
    ("Franklin Wireless", "T10 Mobile Hotspot", "T10", "Hotspots", "99.00", 2, r"^[0-9]{15}$"),
]
# Capital items bought every fiscal year (cost over the $5,000 threshold), by name.
CAPITAL_MODELS = [m for name in ("Catalyst 9300-48P", "MS225-48FP", "FortiGate 200F", "PowerEdge R750")
                  for m in MODELS if m[1] == name]
# Capital gear bought before the demo's eight years and disposed of during them.
LEGACY_MODELS = [
    ("Cisco", "Catalyst 3850-48P", "WS-C3850-48P-S", "Network switches", "6995.00", 0, r"^FOC[0-9A-Z]{8}$"),
    ("Dell", "PowerEdge R730", "R730", "Servers", "8450.00", 0, r"^[A-Z0-9]{7}$"),
    ("Cisco", "ASA 5525-X", "ASA5525-K9", "Firewalls", "7250.00", 0, r"^FCH[0-9A-Z]{8}$"),
]

SUPPLIERS = [
    ("CDW-G", "Alex Rivera", "800-808-4239", "govsales@cdwg.example", "K12-44120"),
    ("SHI International", "Dana Kim", "888-764-8888", "k12@shi.example", "SHI-99812"),
    ("Dell Technologies", "Priya Patel", "800-456-3355", "k12@dell.example", "DELL-551203"),
    ("Howard Technology Solutions", "Morgan Lee", "888-912-3151", "sales@howard.example", "HTS-2231"),
    ("Staples Business Advantage", "Chris Doe", "877-826-7755", "orders@staples.example", "SBA-7781"),
    ("Vector Repair Depot", "Sam Ortiz", "916-555-0142", "rma@vector.example", "VRD-100"),
]

# name, part, category, unit cost, fits (model names), reorder point, target
SUPPLIES = [
    ("HP 58A Black Toner", "CF258A", "toner", "109.99", ["LaserJet Pro M404dn"], 6, 18),
    ("HP 58X High Yield Black Toner", "CF258X", "toner", "189.99", ["LaserJet Pro M404dn"], 3, 8),
    ("HP 414A Black Toner", "W2020A", "toner", "119.99", ["Color LaserJet Pro M479fdw"], 3, 8),
    ("HP 414A Cyan Toner", "W2021A", "toner", "139.99", ["Color LaserJet Pro M479fdw"], 2, 6),
    ("HP 414A Yellow Toner", "W2022A", "toner", "139.99", ["Color LaserJet Pro M479fdw"], 2, 6),
    ("HP 414A Magenta Toner", "W2023A", "toner", "139.99", ["Color LaserJet Pro M479fdw"], 2, 6),
    ("Brother TN-850 Toner", "TN850", "toner", "92.49", ["HL-L5200DW"], 4, 10),
    ("Brother DR-820 Drum", "DR820", "drum", "109.00", ["HL-L5200DW"], 2, 4),
    ("Copy paper, letter, case", "PAPER-LTR-10", "paper", "44.99", [], 10, 40),
    ("Cat6 patch cable 3 ft", "CAT6-3-BL", "cable", "2.49", [], 50, 200),
    ("Cat6 patch cable 7 ft", "CAT6-7-BL", "cable", "3.19", [], 40, 150),
    ("HDMI cable 6 ft", "HDMI-6", "cable", "6.99", [], 20, 60),
    ("USB-C 65W charger", "USBC-65W", "other", "29.00", [], 25, 80),
    ("Chromebook charger 45W", "CB-45W", "other", "24.00", [], 40, 120),
    ("LTO-8 cleaning cartridge", "LTO-CLN", "backup_tape", "39.00", [], 2, 5),
    ("Epson ELPLP97 lamp", "V13H010L97", "other", "149.00", ["PowerLite 1288"], 2, 5),
]


def _upc(first11: str) -> str:
    """A valid UPC-A: the 11 digits given and their check digit."""
    digits = [int(c) for c in first11]
    odd = sum(digits[0::2]) * 3 + sum(digits[1::2])
    return first11 + str((10 - odd % 10) % 10)


# A serial pattern's parts: a choice "(PHB|VNB)", a class "[A-Z0-9]{7}" or
# "{10,12}", or a literal character.
_PATTERN_PART = re.compile(r"\(([A-Z0-9|]+)\)|\[([^\]]+)\]\{(\d+)(?:,(\d+))?\}|([A-Z0-9-])")
_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
# A row as the driver takes it (a tuple of column values), and one plan of
# the demo's: rows of differing column types, built in one place and used in another.
Row = tuple[Any, ...]
Progress = Callable[[int, int, str], None]
_parsed_patterns: dict[str, list[tuple[list[str] | None, str | None, int, int, str]]] = {}


def _serial(rng: random.Random, pattern: str | None, n: int) -> str:
    """A serial that matches the model's pattern (so intake and the register
    agree about what the maker's serials look like).

    ``below(k)`` is what ``rng.choice`` and ``rng.randint`` draw with
    (``random.Random`` defines both as one ``_randbelow``), called directly:
    the same serials from the same seed, without two Python calls per
    character (a million assets draw some eight million characters)."""
    below: Callable[[int], int] = rng._randbelow  # type: ignore[attr-defined]
    if not pattern:
        return "".join([_ALNUM[below(34)] for _ in range(7)]) + f"{n % 1000:03d}"
    if pattern.startswith("^Q"):  # Meraki serials: Q2 then three groups of four
        s = "".join([_ALNUM[below(34)] for _ in range(12)])
        return pattern[1:3] + f"{s[:4]}-{s[4:8]}-{s[8:12]}"[:12]
    parts = _parsed_patterns.get(pattern)
    if parts is None:
        parts = _parsed_patterns[pattern] = [
            (choice.split("|") if choice else None,
             ("0123456789" if cls == "0-9" else _ALNUM) if cls else None,
             int(lo or 0), int(hi or lo or 0), literal)
            for choice, cls, lo, hi, literal in _PATTERN_PART.findall(pattern.strip("^$"))]
    out = []
    for choices, chars, lo, hi, literal in parts:
        if choices:
            out.append(choices[below(len(choices))])
        elif chars:
            k = len(chars)
            count = lo + below(hi - lo + 1)  # randint(lo, hi): a draw even when lo == hi
            out.append("".join([chars[below(k)] for _ in range(count)]))
        else:
            out.append(literal)
    return "".join(out)


def fiscal_year(d: dt.date) -> int:
    """The district's fiscal year a day falls in: FY2026 is July 2025 – June 2026."""
    return d.year + 1 if d.month >= 7 else d.year


def erate_year(d: dt.date) -> int:
    """The E-Rate funding year a day falls in: funding year 2025 is July 1, 2025 –
    June 30, 2026 (named by the year it starts, unlike the district's fiscal year)."""
    return d.year if d.month >= 7 else d.year - 1


def _room_kinds(rooms: list[tuple[int, str]]) -> dict[str, Any]:
    """A site's rooms by what goes in them."""
    by_name = {name: loc_id for loc_id, name in rooms}
    classrooms = [loc_id for loc_id, name in rooms if name.startswith("Room ")]
    any_room = [loc_id for loc_id, _ in rooms]

    def pick(*names: str) -> list[int]:
        return [by_name[n] for n in names if n in by_name]
    office = pick("Front Office", "Library", "Staff Lounge", "IT Office")
    return {
        "MDF": by_name["MDF"],
        "network": pick("MDF", "IDF 1"),
        "classroom": classrooms or pick("Board Room", "IT Office", "Front Office"),
        "common": pick("Library", "Gym", "Cafeteria", "Board Room"),
        "lab": pick("Computer Lab A", "Computer Lab B", "Library") or pick("IT Office", "Front Office"),
        "office": office or any_room,
        "library": (pick("Library") or pick("IT Office", "Storage"))[0],
        "storage": by_name["Storage"],
        "IT": (pick("IT Office") or pick("Storage"))[0],
    }


def _program_letters() -> None:
    """The district's contact, printed under its name on the letters home."""
    settings.update({"org_address": "3380 14th Street\nRiverside, CA 92501",
                     "org_phone": "(951) 555-0142", "org_email": "devices@riversideusd.org"})


def build_demo(assets: int = 2000, seed: int = 1, progress: Progress | None = None,
               today: dt.date | None = None) -> dict[str, int]:
    """Fill an empty database. Returns counts of what was made."""
    if assets < 0 or assets > 2_000_000:
        raise ValidationError("Demo size is from 0 to 2,000,000 assets.")
    existing = Asset.select().count()
    if existing:
        raise Conflict(f"The database already holds {existing:,} assets; demo data goes into an "
                       "empty database (pick a new file with --db).")
    rng = random.Random(seed)
    today = today or dt.date.today()
    now = utcnow()
    user = current_user()
    counts: dict[str, int] = {}

    def step(text: str, done: int, total: int = 10) -> None:
        if progress:
            progress(done, total, text)

    with _direct_writes(assets), transaction(), _search_load() as index_page, _bulk_cache(), \
            _gc_paused(), _plain_binds(), contextlib.ExitStack() as indexing:
        step("Sites and rooms", 0)
        settings.update({"org_name": "Riverside Unified School District", "tag_prefix": "QM-",
                         "tag_digits": 6})
        _program_letters()
        insert_rows("site", ("name", "code", "address"), SITES)
        site_ids = id_map("site", "name")
        rooms_per_site = assets // 400
        loc_rows = []
        for name, code, _ in SITES:
            school = code in GRADES
            specials = SPECIAL_ROOMS if school else OFFICE_ROOMS
            # A school has classrooms whatever the demo's size (Room 101…120, 201…).
            numbered = max(40 if school else 0, rooms_per_site - len(specials))
            names = list(specials) + [f"Room {100 * (1 + i // 20) + i % 20 + 1}" for i in range(numbered)]
            for room in names:
                loc_rows.append((site_ids[name], room))
        insert_rows("location", ("site_id", "name"), loc_rows)
        locs = db.execute_sql("SELECT id, site_id, name FROM location ORDER BY id").fetchall()
        db.connection().cursor().executemany(
            "UPDATE location SET barcode = %s WHERE id = %s" if _pg() else
            "UPDATE location SET barcode = ? WHERE id = ?",
            [(location_code(i), i) for i, _, _ in locs])
        loc_name = {loc_id: room for loc_id, _, room in locs}
        room_kinds = {site_id: _room_kinds([(loc_id, room) for loc_id, s_id, room in locs if s_id == site_id])
                      for site_id in site_ids.values()}
        site_name = {v: k for k, v in site_ids.items()}
        counts["sites"], counts["rooms"] = len(SITES), len(locs)

        step("Catalog", 1)
        insert_rows("category", ("name", "kind", "life_years", "custom_fields"),
                    [(n, k, y, json.dumps(c) if c else None) for n, k, y, c in CATEGORIES])
        cat_ids = id_map("category", "name")
        life = {n: y for n, _, y, _ in CATEGORIES}
        mfrs = sorted({m[0] for m in MODELS + LEGACY_MODELS})
        insert_rows("manufacturer", ("name",), [(m,) for m in mfrs])
        mfr_ids = id_map("manufacturer", "name")
        insert_rows("hardware_model", ("name", "manufacturer_id", "category_id", "model_number",
                                       "eol_months", "serial_pattern"),
                    [(m, mfr_ids[mf], cat_ids[c], num, 12 * life[c], pat)
                     for mf, m, num, c, _, _, pat in MODELS + LEGACY_MODELS])
        model_ids = id_map("hardware_model", "name")
        insert_rows("supplier", ("name", "contact", "phone", "email", "account_number", "created_at"),
                    [s + (now,) for s in SUPPLIERS])
        supplier_ids = id_map("supplier", "name")

        step("People", 2)
        # The big tables' own indexes are built once, after their rows are in
        # (sorting a million keys once, not a B-tree insert per row and index),
        # before the services below read through them.
        indexes = _drop_indexes(("person", "asset", "history_entry", "loan"))
        n_staff = max(30, assets // 12)
        n_students = max(60, assets // 3)
        n_families = max(10, n_students // 12)
        school_sites = [site_ids[n] for n, c, _ in SITES if c in GRADES]
        school_weights = [ENROLLMENT[c] for n, c, _ in SITES if c in GRADES]
        # choices() sums the weights on every call; summed once here (the same draws).
        school_cum = list(itertools.accumulate(school_weights))
        code_of = {site_ids[n]: c for n, c, _ in SITES}
        people: list[Row] = []
        stamp = now.isoformat(" ")  # as the driver writes a datetime
        for i in range(n_staff):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            people.append(("staff", first, last, f"E{10000 + i}",
                           f"{first[0].lower()}{last.lower().replace(chr(39), '')}{i}@riverside.k12.example",
                           None, rng.choice(list(site_ids.values())), "es" if rng.random() < 0.1 else "en",
                           rng.random() > 0.03 or i < 2, None, stamp, stamp, 1))
        for i in range(n_students):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            site_id = rng.choices(school_sites, cum_weights=school_cum)[0]
            people.append(("student", first, last, f"S{2000000 + i}", None, None,
                           site_id, "es" if rng.random() < 0.25 else "en",
                           rng.random() > 0.02, rng.choice(GRADES[code_of[site_id]]), stamp, stamp, 1))
        family_sites = [s for s in school_sites if code_of[s] != "AEC"]
        for i in range(n_families):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            people.append(("family", first, last, f"F{300000 + i}", None,
                           f"555-01{i % 100:02d}", rng.choice(family_sites),
                           "es" if rng.random() < 0.35 else "en", True, None, stamp, stamp, 1))
        _insert_beside("person", ("kind", "first_name", "last_name", "id_number", "email", "phone",
                                  "site_id", "language", "active", "grade", "created_at",
                                  "updated_at", "version"), people)
        person_rows = db.execute_sql("SELECT id, kind, first_name, last_name, id_number, site_id, active "
                                     "FROM person ORDER BY id").fetchall()
        staff = [r for r in person_rows if r[1] == "staff" and r[6]]
        # Who is still waiting for a device: each student one Chromebook (at
        # their own school), each family one hotspot, each staff member one laptop.
        students_waiting: dict[int, list[Row]] = {}
        for r in person_rows:
            if r[1] == "student" and r[6]:
                students_waiting.setdefault(r[5], []).append(r)
        # Every active student by school, for work orders; the waiting queues
        # above are used up as devices are handed out.
        students_by_site = {site: list(rows) for site, rows in students_waiting.items()}
        families_waiting = [r for r in person_rows if r[1] == "family"]
        staff_waiting = staff[2:]  # the first two (E10000, E10001) stay free for the README's examples
        for queue in (*students_waiting.values(), families_waiting, staff_waiting):
            rng.shuffle(queue)
        counts["people"] = len(people)

        step("Purchases", 3)
        this_school_year = dt.date(today.year if today.month >= 8 else today.year - 1, 8, 15)
        # An order's model is picked by its share of assets over its usual order
        # size, so that Chromebooks (bought by the hundred) end up about their
        # share of the register, not nine in ten.
        sizes = {"Chromebooks": (30, 400), "Laptops": (10, 60), "Desktops": (10, 40),
                 "Tablets": (20, 120), "Hotspots": (10, 60), "Firewalls": (1, 2), "Servers": (1, 3)}
        weights = [m[5] / (sum(sizes.get(m[3], (1, 12))) / 2) for m in MODELS]
        model_cum = list(itertools.accumulate(weights))
        start = today.replace(year=today.year - 8, day=min(today.day, 28))
        span = (today - start).days
        orders: list[Row] = []
        remaining = assets
        po_no = 0

        def order(model: Row, size: int, day: dt.date) -> None:
            nonlocal po_no
            po_no += 1
            cat = model[3]
            funding, fname, frn, fyear = "general", None, None, None
            if cat in ERATE_CATS and rng.random() < 0.85:
                fyear = erate_year(day)
                funding, frn = "erate", f"{fyear % 100:02d}99{rng.randrange(10**6):06d}"
            elif cat == "Chromebooks" and dt.date(2021, 3, 11) <= day <= dt.date(2024, 9, 30) \
                    and rng.random() < 0.6:
                funding, fname = "grant", "ESSER III"
            elif cat == "Hotspots" and dt.date(2021, 7, 1) <= day <= dt.date(2024, 6, 30):
                funding, fname = "grant", "Emergency Connectivity Fund"
            elif cat in ("Interactive displays", "Projectors") and rng.random() < 0.3:
                funding, fname = "grant", "Title IV-A"
            if cat in ("Servers", "Firewalls", "Backup tapes"):
                dest = site_ids["District Office"]
            elif cat == "Network switches":
                dest = rng.choice([site_ids["District Office"]] + school_sites)
            elif cat in ("Chromebooks", "Hotspots"):
                dest = rng.choices(school_sites, cum_weights=school_cum)[0]
            elif cat in ("Laptops", "Desktops", "Printers"):
                dest = rng.choice([site_ids["District Office"]] + school_sites)
            else:
                dest = rng.choice(school_sites)
            supplier = rng.choice(["CDW-G", "SHI International", "Dell Technologies",
                                   "Howard Technology Solutions"])
            orders.append((model, size, day, f"PO-{day.year % 100:02d}-{po_no:05d}", supplier,
                           funding, fname, frn, fyear, dest))

        # The first tags are one of each model, bought in the last two years and
        # still in use, so the README's examples (QM-000004 a laptop,
        # QM-000010 a printer) name the same kind of thing on every demo.
        if assets >= 4 * len(MODELS):
            for model in MODELS:
                order(model, 1, today - dt.timedelta(days=rng.randint(40, 700)))
            remaining -= len(MODELS)
        if assets >= 400:
            remaining -= 10  # the spares that become QM-000101…110 (below)
        # Capital equipment is bought every fiscal year (a switch refresh, a
        # firewall, a server), so every year-end has additions.
        fy_first, fy_last = fiscal_year(start), fiscal_year(today)
        if assets >= 200:
            for fy in range(fy_first, fy_last + 1):
                lo = max(dt.date(fy - 1, 7, 1), start)
                hi = min(dt.date(fy, 6, 30), today - dt.timedelta(days=1))
                if lo > hi:
                    continue
                model = rng.choices(CAPITAL_MODELS, [3, 2, 1, 1])[0]
                size = min(remaining, rng.randint(1, 2 + assets // 10000))
                if size > 0:
                    order(model, size, lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1)))
                    remaining -= size
        # Gear bought before the eight years, disposed of during them: the
        # switches, servers and firewalls each year's refresh replaced.
        legacy = []
        if assets >= 200:
            for fy in range(fy_first, fy_last + 1):
                lo = max(dt.date(fy - 1, 7, 1), start)
                hi = min(dt.date(fy, 6, 30), today - dt.timedelta(days=1))
                if lo > hi:
                    continue
                for _ in range(min(remaining, 1 + assets // 20000 + rng.randint(0, 1))):
                    model = rng.choice(LEGACY_MODELS)
                    gone = lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))
                    bought = gone - dt.timedelta(days=int(365.25 * (life[model[3]] + 0.5 + 2 * rng.random())))
                    legacy.append((model, bought, gone))
                    remaining -= 1
        # This school year's hotspots for families without internet at home.
        if assets >= 200:
            size = min(remaining, max(5, assets // 100))
            order(next(m for m in MODELS if m[3] == "Hotspots"), size,
                  this_school_year - dt.timedelta(days=rng.randint(10, 60)))
            remaining -= size
        while remaining > 0:
            model = rng.choices(MODELS, cum_weights=model_cum)[0]
            cat = model[3]
            size = rng.randint(*sizes.get(cat, (1, 12)))
            size = min(size, remaining)
            remaining -= size
            order(model, size, start + dt.timedelta(days=rng.randrange(span)))
        counts["assets"] = assets

        step("Assets", 4)
        prefix, digits = "QM-", 6
        hist: list[Row] = []     # (tag number, action, field, old, new, old_id, new_id, at, note)
        loans: list[Row] = []    # (tag number, person_id, location_id, out_at, due, agreement_signed, language)
        plans: list[Row] = []    # (tag number, category, status, site_id, purchase day, in service, end of use, holder kind)
        n = 0

        def june_after(day: dt.date) -> dt.date:
            due = dt.date(day.year, 6, 12)
            return due if due > day else dt.date(day.year + 1, 6, 12)

        # At a million assets a pattern's random serials meet now and then
        # (seven characters of 34: birthday odds); an export of the demo must
        # import again without "this serial appears twice".
        serials_used: set[str] = set()
        # Days as the driver writes them (str(day)), and the parts of the search
        # text that repeat (rooms, models) lower-cased: each made once, not per asset.
        iso = Memo(str, (None, None))
        lower = Memo(lambda text: str(text).strip().lower())

        def add(model: Row, day: dt.date, po: str, supplier: str, funding: str, fname: str | None,
                frn: str | None, fyear: int | None, site_id: int, gone: dt.date | None = None,
                spare: bool = False) -> Row:
            nonlocal n
            mf, mname, mnum, cat, cost, _, pattern = model
            n += 1
            tag = f"{prefix}{n:0{digits}d}"  # format_tag's, with its settings given
            serial = _serial(rng, pattern, n)
            while serial.upper() in serials_used:  # a maker never repeats a serial
                serial = _serial(rng, pattern, n)
            serials_used.add(serial.upper())
            rooms = room_kinds[site_id]
            installed = day + dt.timedelta(days=rng.randint(3, 30))
            if fyear is not None:  # installed within its E-Rate funding year
                installed = min(installed, dt.date(fyear + 1, 6, 30))
            # None: delivered, not yet installed
            in_service: dt.date | None = installed if installed < today else None
            # Where it lives and who has it.
            room_id = None
            person = None
            deployed_to_room = False
            if cat in ("Network switches",):
                room_id = rng.choice(rooms["network"])
                deployed_to_room = True
            elif cat in ("Servers", "Firewalls"):
                room_id = rooms["MDF"]
                deployed_to_room = True
            elif cat == "Wireless access points":
                room_id = rng.choice(rooms["classroom"] + rooms["common"])
                deployed_to_room = True
            elif cat in ("Projectors", "Interactive displays", "Document cameras"):
                room_id = rng.choice(rooms["classroom"])
                deployed_to_room = rng.random() < 0.92
            elif cat in ("Desktops", "Peripherals"):
                room_id = rng.choice(rooms["lab"])
                deployed_to_room = rng.random() < 0.9
            elif cat == "Printers":
                room_id = rng.choice(rooms["office"])
                deployed_to_room = True
            elif cat == "Tablets":
                room_id = rng.choice(rooms["classroom"])
                deployed_to_room = code_of[site_id] in ("JES", "WES", "RES") and rng.random() < 0.85
            elif cat == "Backup tapes":
                room_id = rooms["IT"]
            if room_id is None:
                room_id = rooms["storage"]
            status = "ready"
            disposal: tuple[dt.date | None, str | None, Decimal | None] = (None, None, None)
            end = today
            age_years = (today - day).days / 365.25
            if spare:
                deployed_to_room = False
            elif gone is not None:
                status = "disposed"
            elif n > len(MODELS) and age_years > life[cat] + 1 and rng.random() < 0.7:
                gone = day + dt.timedelta(days=int(365.25 * (life[cat] + rng.random())))
                gone = min(gone, today - dt.timedelta(days=1))
                status = "disposed" if rng.random() < 0.6 else "retired"
            elif n > len(MODELS) and in_service and rng.random() < 0.004:
                status = "missing"
            if in_service is None:
                deployed_to_room = False
                room_id = room_kinds[site_ids["Technology Warehouse"]]["storage"]
                site_id = site_ids["Technology Warehouse"]
            if gone is not None:
                gone = max(gone, (in_service or day) + dt.timedelta(days=30))
                end = gone
                if status == "disposed":
                    method = rng.choice(["recycled", "recycled", "sold", "donated", "traded_in"])
                    proceeds = Decimal("0.00") if method in ("recycled", "donated") else \
                        (Decimal(cost) * Decimal("0.05")).quantize(Decimal("0.01"))
                    disposal = (gone, method, proceeds)
                else:
                    room_id, site_id = room_kinds[site_ids["Technology Warehouse"]]["storage"], \
                        site_ids["Technology Warehouse"]
                deployed_to_room = False
            elif status == "missing":
                deployed_to_room = False
            elif in_service is not None and not spare:
                # A person's device: one Chromebook per student, one hotspot per
                # family, one laptop per staff member, while they last.
                queue = None
                if cat == "Chromebooks" and rng.random() < 0.95:
                    queue = students_waiting.get(site_id)
                elif cat == "Hotspots" and rng.random() < 0.9:
                    queue = families_waiting
                elif cat == "Laptops" and rng.random() < 0.85:
                    queue = staff_waiting
                if queue:
                    person = queue.pop()
                    if cat == "Chromebooks":
                        room_id = rng.choice(rooms["classroom"])  # their homeroom
                    elif cat == "Laptops":
                        room_id = rng.choice(rooms["classroom"] + rooms["office"])  # where they work
                    else:
                        room_id = rooms["library"]  # lent from the library's desk
                elif cat in ("Chromebooks", "Hotspots"):
                    room_id = rooms["library"]  # loaners
                elif not deployed_to_room and cat != "Backup tapes":
                    room_id = rooms["storage"]  # a spare, waiting to be deployed
            room = loc_name[room_id]
            held_by_room = room_id if deployed_to_room else None
            if person or held_by_room:
                status = "deployed"
            audit = None
            if in_service and status != "disposed" and rng.random() < 0.75:
                audit = max(today - dt.timedelta(days=rng.randint(0, 500)), in_service)
                audit = min(audit, end)
            custom = None
            if cat in ("Laptops", "Desktops"):
                # json.dumps(…, sort_keys=True) of these plain values, written out
                os_name = rng.choice(["Windows 11 Education", "Windows 10 Education"])
                custom = f'{{"OS": "{os_name}", "RAM (GB)": {rng.choice([8, 16, 16, 32])}}}'
            elif cat == "Chromebooks":
                custom = f'{{"Auto update expiration": "{day.year + 8}-06-01"}}'
            elif cat in ("Network switches", "Printers"):
                custom = f'{{"IP address": "10.{20 + site_id}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"}}'
            elif cat == "Hotspots":
                custom = f'{{"Phone number": "916-555-{rng.randrange(10000):04d}"}}'
            minute = n % 480  # created that day from 09:00, a minute apart
            created = f"{iso[day]} {9 + minute // 60:02d}:{minute % 60:02d}:00"
            name = f"{room} desktop" if cat == "Desktops" else mname
            # search.asset_doc of (tag, serial, name, maker, model, model number,
            # holder, their ID, room, held-by room, site, order, FRN), with the
            # parts that repeat lower-cased once.
            doc = doc_of_clean(tag.lower(), serial.lower(), lower[name], lower[mf], lower[mname],
                          lower[mnum], f"{person[2]} {person[3]}".lower() if person else None,
                          person[4].lower() if person else None, lower[room],
                          lower[room] if held_by_room else None, lower[site_name[site_id]],
                          lower[po], frn)
            # The tag's key: normalize_tag of "QM-" and digits is the tag itself.
            row = (tag, tag, serial, serial.upper(), name, model_ids[mname], status,
                   site_id, room_id, person[0] if person else None, held_by_room,
                   iso[day], cost, po, supplier_ids[supplier], funding, fname,
                   frn, fyear, iso[in_service],
                   iso[day + dt.timedelta(days=365 * (4 if cat == "Chromebooks" else 3))],
                   iso[disposal[0]], disposal[1], None if disposal[2] is None else str(disposal[2]),
                   iso[audit], None, custom, doc, created, created, 1)
            hist.append((n, "create", None, None, tag, None, None,
                         dt.datetime.combine(day, dt.time(9, 0)), "demo purchase"))
            at_gone = dt.datetime.combine(gone, dt.time(14, 0)) if gone else None
            if status == "disposed":  # what services.assets.dispose writes
                assert gone is not None  # a disposal has its day
                for field, new in (("status", "disposed"), ("disposal_date", gone.isoformat()),
                                   ("disposal_method", disposal[1]),
                                   ("disposal_proceeds", f"{disposal[2]:.2f}")):
                    hist.append((n, "dispose", field, "ready" if field == "status" else None, new,
                                 None, None, at_gone, None))
            elif status == "retired":
                hist.append((n, "retire", "status", "ready", "retired", None, None, at_gone, None))
            # (below: in service, so installed is its day)
            elif status == "missing":
                hist.append((n, "update", "status", "ready", "missing", None, None,
                             dt.datetime.combine(max(installed, today - dt.timedelta(days=rng.randint(30, 300))),
                                                 dt.time(11)), None))
            out = None
            if person:
                if cat == "Chromebooks" or cat == "Hotspots":
                    out_day = max(installed, this_school_year + dt.timedelta(days=rng.randint(0, 20)))
                else:
                    out_day = installed + dt.timedelta(days=rng.randint(0, 14))
                out_day = min(out_day, today)
                out = dt.datetime.combine(out_day, dt.time(8, 30)) + dt.timedelta(minutes=rng.randint(0, 400))
                due: dt.date | None
                if cat == "Laptops":
                    due = None  # a staff member's own laptop
                elif rng.random() < 0.05 and today - dt.timedelta(days=7) > out_day + dt.timedelta(days=14):
                    due = today - dt.timedelta(days=rng.randint(1, min(60, (today - out_day).days - 14)))
                else:
                    due = june_after(max(today, out_day))
                loans.append((n, person[0], None, out, due, rng.random() < 0.93,
                              "es" if rng.random() < 0.2 else "en"))
                hist.append((n, "check_out", "holder", None, f"{person[2]} {person[3]}", None, person[0],
                             out, f"due {due.isoformat()}" if due else None))
                hist.append((n, "check_out", "status", "ready", "deployed", None, None, out, None))
            elif held_by_room:
                out = dt.datetime.combine(installed, dt.time(10, 0))
                loans.append((n, None, held_by_room, out, None, False, "en"))
                hist.append((n, "check_out", "holder", None, room, None, held_by_room, out, None))
                hist.append((n, "check_out", "status", "ready", "deployed", None, None, out, None))
            plans.append((n, cat, status, site_id, day, in_service,
                          out.date() if out else end, "student" if cat in ("Chromebooks", "Tablets")
                          else "family" if cat == "Hotspots" else "staff"))
            return row

        def asset_rows() -> Iterator[Row]:
            # Each asset's row goes to the database a page at a time as it is
            # made (a million rows of thirty columns held at once took ~1 GB);
            # its history, loan and plan stay behind for the steps below.
            spares = next(m for m in MODELS if m[1] == "Chromebook 3110")
            for model, size, day, po, supplier, funding, fname, frn, fyear, dest in orders:
                spread = model[3] in ("Chromebooks", "Hotspots") and size > 1  # a district-wide order
                for _ in range(size):
                    if spread:
                        dest = rng.choices(school_sites, cum_weights=school_cum)[0]
                    yield add(model, day, po, supplier, funding, fname, frn, fyear, dest)
                    if n == 100 and assets >= 400:
                        # QM-000101…110: spare Chromebooks in Lincoln High's storage, in
                        # service and free, for the README's check-out, move and retire examples.
                        bought = today - dt.timedelta(days=120)
                        for _ in range(10):
                            yield add(spares, bought, f"PO-{bought.year % 100:02d}-SPARE",
                                      "Dell Technologies", "general", None, None, None,
                                      site_ids["Lincoln High School"], spare=True)
            for model, bought, gone in legacy:
                funding, frn, fyear = "general", None, None
                if model[3] == "Network switches" and rng.random() < 0.7:
                    fyear = erate_year(bought)
                    funding, frn = "erate", f"{fyear % 100:02d}99{rng.randrange(10**6):06d}"
                site_id = site_ids["District Office"] if model[3] != "Network switches" else \
                    rng.choice([site_ids["District Office"]] + school_sites)
                yield add(model, bought, f"PO-{bought.year % 100:02d}-{9000 + n % 1000:05d}",
                          rng.choice(["CDW-G", "SHI International"]), funding, None, frn, fyear, site_id,
                          gone=gone)
        _insert_beside("asset", ("tag", "tag_key", "serial", "serial_key", "name", "model_id", "status",
                              "site_id", "location_id", "assigned_person_id", "assigned_location_id",
                              "purchase_date", "cost", "order_number",
                              "supplier_id", "funding_type", "funding_name", "erate_frn",
                              "erate_funding_year", "in_service_date", "warranty_end",
                              "disposal_date", "disposal_method", "disposal_proceeds",
                              "last_audit_date", "notes", "custom", "search_text", "created_at",
                              "updated_at", "version"), asset_rows(), then=index_page)
        settings.set_raw("tag_next", n + 1)
        # The assets' indexes are built on a second thread from here, while
        # this one makes the history, loans and the rest (which neither read
        # through them nor change what they index); each table's after its rows.
        indexer = indexing.enter_context(_index_builder())
        for sql in indexes.pop("asset", []):
            indexer.run(sql)
        aid_of = [0] * (n + 1)  # tag number → asset id
        for aid, tag in db.execute_sql("SELECT id, tag FROM asset").fetchall():
            aid_of[int(tag[len(prefix):])] = aid

        step("History and loans", 5)
        # Each entry effective the local day it was made, as history.record writes it
        # (an entry without one is read as such, but slowly and off the index).
        days: dict[tuple[int, ...], str] = {}

        def effective(at: dt.datetime) -> str:
            key = (at.year, at.month, at.day, at.hour, at.minute // 15)
            got = days.get(key)
            if got is None:
                got = days[key] = iso[history.local_day(at)]
            return got
        # Times as the driver writes them (datetime.isoformat(" ")), made here
        # while the second thread writes the previous page.
        _insert_beside("history_entry", ("entity", "entity_id", "action", "field", "old", "new",
                                         "old_id", "new_id", "who", "at", "note", "effective"),
                       (("asset", aid_of[h[0]], h[1], h[2], h[3], h[4], h[5], h[6], user,
                         h[7].isoformat(" "), h[8], effective(h[7])) for h in hist))
        hist.clear()
        for sql in indexes.pop("history_entry", []):
            indexer.run(sql)
        _insert_beside("loan", ("asset_id", "person_id", "location_id", "out_at", "due",
                                "condition_out", "agreement_signed", "language", "out_by"),
                       ((aid_of[num], pid, lid, out.isoformat(" "), iso[due], "good", signed, lang, user)
                        for num, pid, lid, out, due, signed, lang in loans))
        # Returned loans from past years: inside the asset's years of use and
        # before its present loan, to the kind of borrower it is for.
        pools = {"student": [r for r in person_rows if r[1] == "student"],
                 "family": families_waiting or [r for r in person_rows if r[1] == "family"],
                 "staff": staff}
        past = []
        for num, cat, _status, _site_id, _day, in_service, until, kind in rng.sample(plans, min(len(plans), assets // 10)):
            if in_service is None or cat not in LENT_CATS:
                continue
            room_days = (until - in_service).days - 60
            if room_days <= 0:
                continue
            out_day = in_service + dt.timedelta(days=rng.randrange(room_days))
            back_day = min(out_day + dt.timedelta(days=rng.randint(30, 300)), until - dt.timedelta(days=1))
            pool = pools[kind] or staff
            person = rng.choice(pool)
            past.append((aid_of[num], person[0], dt.datetime.combine(out_day, dt.time(9)),
                         june_after(out_day), dt.datetime.combine(back_day, dt.time(15)),
                         "good", rng.choice(["good", "good", "fair", "damaged"]), True, "en", user, user))
        insert_rows("loan", ("asset_id", "person_id", "out_at", "due", "returned_at", "condition_out",
                             "condition_in", "agreement_signed", "language", "out_by", "in_by"), past)
        counts["loans"] = len(loans) + len(past)
        for sql in indexes.pop("loan", []):
            indexer.run(sql)
        cur = db.connection().cursor()
        p = param()

        step("Repairs", 7)
        repairs: list[Row] = []
        problems = ["Cracked screen", "Will not power on", "Keyboard keys missing", "Battery swollen",
                    "Hinge broken", "Paper jam / fuser error", "No display output", "Port damaged",
                    "Liquid spill", "Fan noise / overheating"]
        vendor = supplier_ids["Vector Repair Depot"]
        held = {num for num, *_ in loans}
        open_ids = []
        for num, cat, status, _site_id, _day, in_service, _until, _kind in plans:
            if status == "disposed" or in_service is None or cat in ("Backup tapes", "Peripherals"):
                continue
            r = rng.random()
            aid = aid_of[num]
            if r < 0.01 and status == "ready" and num not in held:
                reported = max(in_service, today - dt.timedelta(days=rng.randint(1, 45)))
                repairs.append((aid, reported, rng.choice(problems), vendor, f"RMA{rng.randrange(10**6):06d}",
                                rng.choice(["open", "sent", "waiting_parts"]), None, None, None,
                                "ready", user, now))
                open_ids.append((aid,))
            elif r < 0.06 and (today - in_service).days > 60:
                reported = in_service + dt.timedelta(days=rng.randrange((today - in_service).days - 45))
                back = reported + dt.timedelta(days=rng.randint(3, 40))
                repairs.append((aid, reported, rng.choice(problems), vendor, f"RMA{rng.randrange(10**6):06d}",
                                "closed" if rng.random() < 0.9 else "unrepairable",
                                Decimal(rng.choice(["0.00", "45.00", "89.00", "129.00", "210.00"])),
                                back, "Repaired under warranty" if rng.random() < 0.5 else "Part replaced",
                                "ready", user, now))
        insert_rows("repair", ("asset_id", "reported", "problem", "vendor_id", "ticket", "status",
                               "cost", "returned", "resolution", "prior_status", "by", "created_at"),
                    repairs)
        cur.executemany(f"UPDATE asset SET status = 'in_repair' WHERE id = {p}", open_ids)
        counts["repairs"] = len(repairs)
        step("Licenses", 8)
        def exp(days: int) -> dt.date:
            return today + dt.timedelta(days=days)
        licenses = [
            ("Microsoft 365 A3", "2025", "Microsoft", "M365A-3SITE-LICEN-SE001-00000", None, True, False,
             exp(-300), "42500.00", exp(220)),
            ("Adobe Creative Cloud", "2025", "Adobe", "ACC-9F3K-22LM-Q8ZZ", 60, False, False, exp(-200),
             "9000.00", exp(165)),
            ("GoGuardian Admin", "2025-26", "GoGuardian", "GG-DISTRICT-RIVERSIDE", None, True, False,
             exp(-100), "28000.00", exp(35)),
            ("Windows Server 2022 Standard", "2022", "Microsoft", "WS22-TTRX-99KL-0PQM-7712", 8, False,
             False, exp(-900), "6400.00", None),
            ("SketchUp Studio for Schools", "2024", "Trimble", "SKP-EDU-4471", 30, False, True, exp(-320),
             "1500.00", exp(45)),
            ("Tableau Desktop", "2023.3", "Salesforce", "TBL-EDU-0099", 5, False, False, exp(-800),
             "3500.00", exp(-20)),
            ("Veeam Backup & Replication", "12", "Veeam", "VBR-12-ENT-5521", 10, False, False, exp(-400),
             "4800.00", exp(310)),
        ]
        insert_rows("license", ("product", "version", "vendor", "product_key", "seats", "site_license",
                                "allow_over", "purchase_date", "cost", "expiry_date", "created_at",
                                "updated_at", "row_version"),
                    [row + (now, now, 1) for row in licenses])
        lic_ids = id_map("license", "product")
        by_cat: dict[str, list[int]] = {}
        for num, cat, status, *_ in plans:
            if status not in ("disposed", "retired"):
                by_cat.setdefault(cat, []).append(aid_of[num])
        seats: list[Row] = []
        computers = by_cat.get("Laptops", []) + by_cat.get("Desktops", [])
        for aid in computers[:]:
            seats.append((lic_ids["Microsoft 365 A3"], aid, None, now, user))
        # The first laptop (QM-000004) has no Adobe seat yet: the README gives it one.
        for aid in rng.sample(computers[1:], max(0, min(55, len(computers) - 1))):
            seats.append((lic_ids["Adobe Creative Cloud"], aid, None, now, user))
        for aid in by_cat.get("Chromebooks", [])[:20000]:
            seats.append((lic_ids["GoGuardian Admin"], aid, None, now, user))
        for aid in by_cat.get("Servers", [])[:8]:
            seats.append((lic_ids["Windows Server 2022 Standard"], aid, None, now, user))
        for aid in rng.sample(computers, min(33, len(computers))):  # over-allocated, allowed
            seats.append((lic_ids["SketchUp Studio for Schools"], aid, None, now, user))
        for aid in by_cat.get("Servers", [])[:3]:
            seats.append((lic_ids["Veeam Backup & Replication"], aid, None, now, user))
        for s in rng.sample(staff[2:], max(0, min(4, len(staff) - 2))):
            seats.append((lic_ids["Tableau Desktop"], None, s[0], now, user))
        insert_rows("seat", ("license_id", "asset_id", "person_id", "assigned_at", "by"), seats)
        counts["licenses"], counts["seats"] = len(licenses), len(seats)

        step("Supplies", 9)
        sup_rows: list[Row] = []
        for name, part, cat, cost, _fits, rp, target in SUPPLIES:
            sup_rows.append((name, part, _upc(f"1925450{len(sup_rows):04d}"), cat, "each", rp, target,
                             f"Shelf {rng.choice('ABCD')}{rng.randint(1, 6)}", Decimal(cost),
                             supplier_ids["Staples Business Advantage"] if cat in ("paper", "toner", "drum")
                             else supplier_ids["CDW-G"], 0, True, now, now))
        insert_rows("supply", ("name", "part_number", "barcode", "category", "unit", "reorder_point",
                               "target", "bin", "unit_cost", "supplier_id", "on_hand", "active",
                               "created_at", "updated_at"), sup_rows)
        sup_ids = id_map("supply", "part_number")
        fits = [(sup_ids[part], model_ids[m]) for _, part, _, _, ms, _, _ in SUPPLIES for m in ms]
        insert_rows("supply_fit", ("supply_id", "model_id"), fits)
        printers_by_model: dict[int, list[int]] = {}
        for num, cat, status, *_ in plans:
            if cat == "Printers" and status not in ("disposed", "retired"):
                mid = db.execute_sql(f"SELECT model_id FROM asset WHERE id = {p}",
                                     (aid_of[num],)).fetchone()[0]
                printers_by_model.setdefault(mid, []).append(aid_of[num])
        moves: list[Row] = []
        totals: dict[int, int] = {}
        for _name, part, _cat, cost, ms, rp, target in SUPPLIES:
            sid = sup_ids[part]
            bal = 0
            t = dt.datetime.combine(today - dt.timedelta(days=400), dt.time(10))
            printer_ids = [a for m in ms for a in printers_by_model.get(model_ids[m], [])]
            scale = max(1, assets // 2000)
            while t.date() < today:
                t += dt.timedelta(days=rng.randint(3, 20))
                if t.date() >= today:
                    break
                if bal <= rp or rng.random() < 0.1:
                    qty = max(target - bal, 1) * scale if rng.random() < 0.9 else rng.randint(1, 5)
                    bal += qty
                    moves.append((sid, "receive", qty, None, None, None, Decimal(cost),
                                  f"PO-{t.year % 100:02d}-S{rng.randint(100, 999)}", None, bal, user, t))
                else:
                    qty = min(bal, rng.randint(1, 3) * scale)
                    if qty <= 0:
                        continue
                    bal -= qty
                    to_asset = rng.choice(printer_ids) if printer_ids else None
                    to_loc = None if to_asset else rng.choice(locs)[0]
                    moves.append((sid, "issue", -qty, None, to_loc, to_asset, None, None, None, bal, user, t))
            if part in ("CF258A", "TN850", "CB-45W"):  # a few items end low
                take = max(0, bal - rng.randint(0, rp))
                if take:
                    bal -= take
                    moves.append((sid, "issue", -take, None, rng.choice(locs)[0], None, None, None,
                                  "year-end restock of classrooms", bal, user,
                                  dt.datetime.combine(today - dt.timedelta(days=1), dt.time(15))))
            totals[sid] = bal
        insert_rows("stock_move", ("supply_id", "kind", "qty", "to_person_id", "to_location_id",
                                   "to_asset_id", "unit_cost", "order_number", "reason", "balance",
                                   "by", "at"), moves)
        cur.executemany(f"UPDATE supply SET on_hand = {p} WHERE id = {p}",
                        [(v, k) for k, v in totals.items()])
        counts["supplies"], counts["stock_moves"] = len(SUPPLIES), len(moves)
        # The roster sets a column or six on every student and Chromebook:
        # before their indexes are built (it draws from a stream of its own).
        roster = _program_roster(random.Random(seed * 104729 + 3), today)
        for statements in indexes.values():  # the people's
            for sql in statements:
                indexer.run(sql)
        indexing.close()  # every index built before the services below read through them
        step("Work orders", 9)
        counts["work_orders"] = _work_orders(random.Random(seed * 7919 + 1), today, user, plans,
                                             aid_of, staff, students_by_site,
                                             site_ids, assets)
        counts["cartridges"] = _backup_media(today, user)
        counts.update(roster)
        counts.update(_program_kits_fees(random.Random(seed * 104729 + 3), today, user, model_ids))
        counts["program_events"] = _program_events(random.Random(seed * 104729 + 5), today, user)
        counts["loaners"], counts["loaner_swaps"] = _program_loaners(random.Random(seed * 31 + 7), today, user)
        counts["erate_line_items"] = _program_filings()
        history.record("demo", 0, "create", new=f"{assets} assets, seed {seed}", by=user)
        step("Done", 10)
    return counts


def _program_events(rng: random.Random, today: dt.date, user: str) -> int:
    """The 1:1 program's days: last June's collection at Riverside Middle
    School (its 7th and 8th graders' devices back, some damaged and charged by
    the price list, a few brought back late in July, so the closed day still
    lists them outstanding) and this August's distribution at Lincoln High
    School (the Chromebooks its students hold went out that week; the
    families' agreement signed, on a waiver, or refused). Students of both
    schools without a homeroom get the classroom their Chromebook sits in."""
    from app.models.program import ProgramEvent
    from app.services import fees
    p = param()
    cur = db.connection().cursor()
    sites = dict(db.execute_sql("SELECT code, id FROM site").fetchall())
    lhs, rms = sites.get("LHS"), sites.get("RMS")
    if not lhs or not rms:
        return 0
    school_start = dt.date(today.year if today.month >= 8 else today.year - 1, 8, 15)
    chromebook = ("SELECT l.id, l.asset_id, l.person_id, l.out_at, l.due, l.agreement_signed, "
                  "a.location_id, a.in_service_date, a.purchase_date, p.grade FROM loan l "
                  "JOIN asset a ON a.id = l.asset_id JOIN hardware_model m ON m.id = a.model_id "
                  "JOIN category c ON c.id = m.category_id JOIN person p ON p.id = l.person_id "
                  f"WHERE l.returned_at IS NULL AND c.kind = 'chromebook' AND p.kind = 'student' "
                  f"AND p.site_id = {p} ORDER BY l.out_at, l.id")
    held_at: dict[int, list[Row]] = {}

    def chromebooks_held(site_id: int) -> list[Row]:
        # The same rows each time they are asked for here (nothing below
        # changes a loan of these schools before its last read): one query per school.
        if site_id not in held_at:
            held_at[site_id] = db.execute_sql(chromebook, (site_id,)).fetchall()
        return held_at[site_id]
    rooms = {lid: name for lid, name in db.execute_sql("SELECT id, name FROM location").fetchall()}
    for site_id in (lhs, rms):
        classrooms = [name for (name,) in db.execute_sql(
            f"SELECT name FROM location WHERE site_id = {p} AND name LIKE {p} ORDER BY id",
            (site_id, "Room %")).fetchall()] or ["Room 101"]
        where = {row[2]: rooms.get(row[6])  # the student → the room of their Chromebook
                 for row in chromebooks_held(site_id)}
        todo = db.execute_sql(f"SELECT id FROM person WHERE kind = 'student' AND site_id = {p} "
                              "AND homeroom IS NULL ORDER BY id", (site_id,)).fetchall()
        cur.executemany(f"UPDATE person SET homeroom = {p} WHERE id = {p}",
                        [(where.get(pid) if (where.get(pid) or "").startswith("Room ")
                          else rng.choice(classrooms), pid) for (pid,) in todo])
    # Three students who enrolled at Lincoln High after its distribution, still
    # waiting for a device (S3100001…3: the README's distribution examples).
    now = utcnow()
    insert_rows("person", ("kind", "first_name", "last_name", "id_number", "site_id", "language",
                           "active", "grade", "homeroom", "enrolment", "created_at", "updated_at",
                           "version"),
                [("student", rng.choice(FIRST), rng.choice(LAST), f"S{3100001 + i}", lhs,
                  "es" if i == 1 else "en", True, grade, room, "enrolled", now, now, 1)
                 for i, (grade, room) in enumerate((("9", "Room 104"), ("9", "Room 104"),
                                                    ("11", "Room 212")))])
    made = 0

    # This August's distribution at Lincoln High School.
    held = chromebooks_held(lhs)
    week = [r for r in held if _when(r[3]).date() <= school_start + dt.timedelta(days=21)
            and _when(r[3]).date() >= school_start]
    if week:
        first, last = _when(week[0][3]), _when(week[-1][3])
        dues = [r[4] for r in week if r[4]]
        due = max(set(dues), key=dues.count) if dues else None
        ev = ProgramEvent.insert(kind="distribution", site=lhs, due=stored_date(due) if due else None,
                                 name=f"Distribution — Lincoln High School — {first.date().isoformat()}",
                                 status="closed", created_at=first - dt.timedelta(minutes=30),
                                 created_by=user, closed_at=last + dt.timedelta(hours=1),
                                 closed_by=user).execute()
        scans: list[Row] = []
        states: list[Row] = []
        for loan_id, asset_id, pid, out, *_rest in week:
            signed = _rest[1]
            agreement = "signed" if signed else rng.choice(["waiver", "waiver", "refused"])
            states.append((agreement, bool(signed or agreement == "signed"), loan_id))
            out = _when(out)
            station = rng.choice(["Library desk 1", "Library desk 2"])
            scans.append((ev, "", pid, None, None, "student", None, out - dt.timedelta(seconds=20),
                          user, station))
            scans.append((ev, "", pid, asset_id, loan_id,
                          "lent_refused" if agreement == "refused" else "lent", agreement, out,
                          user, station))
        cur.executemany(f"UPDATE loan SET agreement_status = {p}, agreement_signed = {p} "
                        f"WHERE id = {p}", states)
        insert_rows("event_scan", ("event_id", "code", "person_id", "asset_id", "loan_id",
                                   "verdict", "agreement", "scanned_at", "by", "station"), scans)
        db.execute_sql(f"UPDATE event_scan SET code = (SELECT id_number FROM person WHERE "
                       f"person.id = event_scan.person_id) WHERE event_id = {p} AND asset_id IS NULL",
                       (ev,))
        db.execute_sql(f"UPDATE event_scan SET code = (SELECT tag FROM asset WHERE "
                       f"asset.id = event_scan.asset_id) WHERE event_id = {p} AND asset_id IS NOT NULL",
                       (ev,))
        history.record("program_event", ev, "start", new="distribution", by=user,
                       at=first - dt.timedelta(minutes=30))
        made += 1

    # Last June's collection at Riverside Middle School: last year's devices of
    # this year's 7th and 8th graders (at this school last year too).
    day = dt.date(school_start.year, 6, 10)
    opened = dt.datetime.combine(day, dt.time(7, 45))
    closed = dt.datetime.combine(day, dt.time(15, 30))
    year_out = school_start - dt.timedelta(days=365)
    held = [r for r in chromebooks_held(rms) if r[9] in ("7", "8")]
    held_ids = {r[1] for r in held}
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for aid, out, back in db.execute_sql("SELECT asset_id, out_at, returned_at FROM loan "
                                         "WHERE returned_at IS NOT NULL").fetchall():
        if aid in held_ids:
            busy.setdefault(aid, []).append((_when(out), _when(back)))
    kit: dict[int, list[tuple[str, int]]] = {}
    for model_id, name, qty in db.execute_sql("SELECT model_id, name, quantity FROM kit_part "
                                              "ORDER BY id").fetchall():
        kit.setdefault(model_id, []).append((name, qty))
    model_of = _column_of("model_id", held_ids)
    rows: list[Row] = []
    plan: list[Row] = []
    for _lid, aid, pid, _out, _due, _s, _loc, installed, bought, _grade in held:
        out = dt.datetime.combine(year_out + dt.timedelta(days=rng.randint(0, 12)), dt.time(8, 30)) \
            + dt.timedelta(minutes=rng.randint(0, 300))
        start = stored_date(installed) or stored_date(bought)
        late = rng.random() < 0.06
        back = (dt.datetime.combine(day + dt.timedelta(days=rng.randint(21, 45)), dt.time(11))
                if late else opened + dt.timedelta(seconds=25 * len(plan) + rng.randint(0, 20)))
        if not late and back >= closed:
            # The gym's two tables take a device every 25 s: what the day
            # holds is collected (a district of a million assets has
            # "schools" of 70,000 students; the rest were never scheduled).
            break
        if start is None or start > out.date() or back.date() >= today or back >= closed + \
                dt.timedelta(days=60) or any(o < back + dt.timedelta(days=1) and b > out
                                             for o, b in busy.get(aid, [])):
            continue
        r = rng.random()
        chosen = rng.sample(["screen", "keyboard", "hinge", "port"], rng.choice([1, 1, 2]))
        damage = [k for k in ("screen", "keyboard", "hinge", "port") if k in chosen] \
            if r < 0.12 and not late else []  # in the vocabulary's order, as check-in stores it
        parts = kit.get(model_of.get(aid, 0), [])
        missing = [parts[0][0]] if parts and 0.12 <= r < 0.16 and not late else []
        rows.append((aid, pid, out, dt.date(day.year, 6, 12), back, "good",
                     "damaged" if damage or missing else "good", True, "signed",
                     json.dumps(damage) if damage else None, "en", user, user))
        plan.append((aid, pid, out, back, late, damage, missing, parts))
    if not rows:
        return made
    insert_rows("loan", ("asset_id", "person_id", "out_at", "due", "returned_at", "condition_out",
                         "condition_in", "agreement_signed", "agreement_status", "damage",
                         "language", "out_by", "in_by"), rows)
    ev = ProgramEvent.insert(kind="collection", site=rms, status="closed", created_at=opened,
                             created_by=user, closed_at=closed, closed_by=user,
                             name=f"Collection — Riverside Middle School — {day.isoformat()}").execute()
    planned = {row[0] for row in plan}
    loan_of = {(aid, _when(out)): lid for lid, aid, out in db.execute_sql(
        f"SELECT id, asset_id, out_at FROM loan WHERE out_at < {p} AND returned_at IS NOT NULL",
        (opened,)).fetchall() if aid in planned}
    tags = _column_of("tag", planned)
    scans = []
    loan_parts: list[Row] = []
    damaged: list[int] = []
    for aid, pid, out, back, late, damage, missing, parts in plan:
        lid = loan_of.get((aid, out))
        if lid is None:
            continue
        for name, qty in parts:
            loan_parts.append((lid, name, qty, "missing" if name in missing else "returned"))
        if late:
            continue
        verdict = "returned_damaged" if damage or missing else "returned"
        scans.append((ev, tags[aid], pid, aid, lid, verdict, "damaged" if damage or missing
                      else "good", json.dumps(damage) if damage else None,
                      json.dumps(missing) if missing else None, back, user,
                      rng.choice(["Gym table 1", "Gym table 2"])))
        if damage or missing:
            damaged.append(lid)
    insert_rows("loan_part", ("loan_id", "name", "quantity", "state"), loan_parts)
    insert_rows("event_scan", ("event_id", "code", "person_id", "asset_id", "loan_id", "verdict",
                               "condition", "damage", "missing_parts", "scanned_at", "by",
                               "station"), scans)
    history.record("program_event", ev, "start", new="collection", by=user, at=opened)
    # Charged by the price list (_program_kits_fees), as the collection desk did
    # that day; the fees' history is dated that day too.
    first_entry = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM history_entry").fetchone()[0]
    for lid in damaged:
        fees.charge_for_return(lid, event_id=ev, by=user)
    db.execute_sql(f"UPDATE history_entry SET at = {p} WHERE id > {p}", (closed, first_entry))
    return made + 1


def _column_of(column: str, asset_ids: Iterable[int]) -> dict[int, Any]:
    """{asset id: its ``column``} for these assets (a few thousand of a
    million: not the whole table into a dict)."""
    ids = sorted(asset_ids)
    got: dict[int, Any] = {}
    p = param()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        got.update(db.execute_sql(f"SELECT id, {column} FROM asset WHERE id IN "
                                  f"({', '.join([p] * len(chunk))})", chunk).fetchall())
    return got


def _when(v: Any) -> dt.datetime:
    return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))


# The 1:1 program's kits and damage price list (a district's typical amounts).
KITS = {"Chromebooks": [("Charger", 1, "25.00"), ("Case", 1, "20.00")],
        "Hotspots": [("USB-C cable", 1, "10.00")]}
PRICE_LIST = (("screen", "45.00"), ("keyboard", "35.00"), ("hinge", "25.00"), ("port", "30.00"),
              ("Charger", "25.00"), ("Case", "20.00"), ("device", "300.00"))


def _program_kits_fees(rng: random.Random, today: dt.date, user: str,
                       model_ids: dict[str, int]) -> dict[str, int]:
    """Kits on the Chromebook and hotspot models (their parts recorded on every
    loan of them, out or returned), the damage price list and fee rules, and
    the fees of damaged returns from past collections: some owed, some paid
    (one in part), some waived or forgiven."""
    from app.services import fees, kits, prices
    cat_of = {m[1]: m[3] for m in MODELS + LEGACY_MODELS}
    price_of = {m[1]: m[4] for m in MODELS}
    for name, model_id in model_ids.items():
        parts = KITS.get(cat_of.get(name, ""))
        if parts:
            # What a new one costs today: the model's current price.
            kits.save_kit(model_id, parts, price_of.get(name), by=user)
    for part, amount in PRICE_LIST:
        prices.set_price(part, amount, by=user)
    settings.update({"fees_forgive_first": False, "fees_forgive_scope": "school_year",
                     "fees_insurance": "deductible", "fees_insurance_deductible": "25.00"},
                    by=user)
    # The board adopted first-incident forgiveness with last school year.
    adopted = dt.date(fiscal_year(today) - 2, 7, 1)
    # Every loan of a kit model took its kit: out while the loan is, else back.
    db.execute_sql(
        "INSERT INTO loan_part (loan_id, name, quantity, state) "
        "SELECT l.id, k.name, k.quantity, "
        "CASE WHEN l.returned_at IS NULL THEN 'out' ELSE 'returned' END "
        "FROM loan l JOIN asset a ON a.id = l.asset_id JOIN kit_part k ON k.model_id = a.model_id")
    # Damaged returns from past collections, charged as the collection desk would.
    p = param()
    returned = db.execute_sql(
        "SELECT l.id, l.person_id, l.returned_at FROM loan l JOIN asset a ON a.id = l.asset_id "
        "JOIN person s ON s.id = l.person_id JOIN kit_part k ON k.model_id = a.model_id "
        "WHERE l.returned_at IS NOT NULL AND s.kind = 'student' AND k.name = 'Charger' "
        "ORDER BY l.returned_at, l.id").fetchall()
    # The README's example student (S2000001) starts owing nothing.
    readme = db.execute_sql("SELECT id FROM person WHERE id_number = 'S2000001'").fetchone()
    returned = [r for r in returned if not readme or r[1] != readme[0]]
    damaged = rng.sample(returned, min(len(returned), 30))
    damaged.sort(key=lambda r: (str(r[2]), r[0]))
    # A few families bought the district's device insurance for that school year.
    for _loan_id, person_id, back in damaged[::5]:
        back_day = _day(back)
        db.execute_sql(f"UPDATE person SET insured_through = {p} WHERE id = {p}",
                       (dt.date(fiscal_year(back_day), 6, 30), person_id))
    first_entry = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM history_entry").fetchone()[0]
    made = []
    forgiving = False
    for i, (loan_id, _person_id, back) in enumerate(damaged):
        if not forgiving and str(back)[:10] >= adopted.isoformat():
            settings.update({"fees_forgive_first": True}, by=user)
            forgiving = True
        damage = rng.sample(["screen", "screen", "keyboard", "hinge", "port"], rng.choice([1, 1, 2]))
        missing = i % 4 == 0
        db.execute_sql(f"UPDATE loan SET damage = {p}, condition_in = 'damaged' WHERE id = {p}",
                       (json.dumps(sorted(set(damage))), loan_id))
        if missing:
            db.execute_sql(f"UPDATE loan_part SET state = 'missing' WHERE loan_id = {p} "
                           f"AND name = 'Charger'", (loan_id,))
        made += fees.charge_for_return(loan_id, by=user)
    if not forgiving:
        settings.update({"fees_forgive_first": True}, by=user)
    owed = [f for f in made if f.status == "owed"]
    for n, fee in enumerate(owed):
        paid_on = min(today, fee.incurred_on + dt.timedelta(days=rng.randint(3, 40)))
        if n % 3 == 0:
            fees.pay(fee.id, fee.amount, method=rng.choice(["cash", "check"]),
                     reference=f"{rng.randint(1000, 9999)}", paid_on=paid_on, by=user)
        elif n % 5 == 1:
            fees.pay(fee.id, (fee.amount / 2).quantize(Decimal("0.01")), method="cash",
                     paid_on=paid_on, by=user)
        elif n % 7 == 2:
            fees.waive(fee.id, "Family hardship, approved by the principal", by=user)
    # Entered when it happened (the demo's past), like the rest of its history.
    moments = db.execute_sql(f"SELECT id, effective FROM history_entry WHERE id > {p}",
                             (first_entry,)).fetchall()
    db.connection().cursor().executemany(
        f"UPDATE history_entry SET at = {p} WHERE id = {p}",
        [(dt.datetime.combine(_day(eff), dt.time(15)), hid) for hid, eff in moments])
    return {"fees": len(made)}


def _day(value: Any) -> dt.date:
    """A stored day that is there (``stored_date`` of a value never None)."""
    day = stored_date(value)
    assert day is not None
    return day


# The 1:1 program's roster: streets and ZIP codes of the families' addresses,
# and the surnames whose families more often speak Spanish at home.
STREETS = ["Magnolia Ave", "Arlington Ave", "Victoria Ave", "Central Ave", "Tyler St",
           "La Sierra Ave", "Van Buren Blvd", "Jurupa Ave", "Indiana Ave", "Mission Inn Ave",
           "Brockton Ave", "Streeter Ave", "Cypress Ave", "Palm Ave", "Rancho Dr"]
ZIPS = ["92501", "92503", "92504", "92505", "92506", "92507", "92508"]
HISPANIC = {"Garcia", "Martinez", "Lopez", "Hernandez", "Gonzalez", "Rodriguez", "Perez",
            "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Cruz", "Reyes", "Morales",
            "Ortiz", "Gutierrez", "Chavez", "Ramos", "Castillo", "Vasquez"}


def _program_roster(rng: random.Random, today: dt.date) -> dict[str, int]:
    """The roster a SIS would give (what ``import --kind students`` brings):
    every student's homeroom and enrolment, families of one to three
    siblings sharing a household, a guardian, an address and a home language
    (Spanish in about four families in ten), a few students withdrawn while
    still holding their Chromebook (the to-recover list); and what Google
    Admin says of each Chromebook in service (Auto Update Expiration, org
    unit, annotated user and asset ID, last sync)."""
    import calendar
    from collections import defaultdict
    students = db.execute_sql("SELECT id, last_name, site_id, grade, active FROM person "
                              "WHERE kind = 'student' ORDER BY id").fetchall()
    if not students:
        return {}
    code_of = dict(db.execute_sql("SELECT id, code FROM site").fetchall())
    by_last: dict[str, list[Row]] = defaultdict(list)
    for row in students:
        by_last[row[1]].append(row)
    teachers: dict[tuple[int, str], list[str]] = {}
    values: dict[int, list[Any]] = {}
    families = spanish = 0
    # a guardian's (first, last) → the start of their email, made once a name
    mailbox = Memo(lambda name: re.sub(r"[^a-z.]", "", f"{name[0]}.{name[1]}".lower()))
    for last in sorted(by_last):
        group = by_last[last]
        rng.shuffle(group)
        i = 0
        while i < len(group):
            size = rng.choices((1, 2, 3), cum_weights=(50, 82, 100))[0]
            members, i = group[i:i + size], i + size
            families += 1
            first = rng.choice(FIRST)
            plain = mailbox[first, last]
            guardian = (f"{first} {last}", f"{plain}{families}@example.net",
                        f"(951) 555-{families % 10000:04d}",
                        f"{rng.randint(100, 9899)} {rng.choice(STREETS)}\nRiverside, CA "
                        f"{rng.choice(ZIPS)}")
            lang = "es" if rng.random() < (0.7 if last in HISPANIC else 0.2) else "en"
            spanish += lang == "es"
            for pid, _last, site_id, grade, active in members:
                key = (site_id, grade)
                if key not in teachers:
                    teachers[key] = [f"{rng.choice(('Ms.', 'Mr.', 'Mrs.'))} {rng.choice(LAST)}"
                                     for _ in range(rng.randint(2, 3))]
                withdrawn = None if active else today - dt.timedelta(days=rng.randint(20, 200))
                # An adult learner is their own contact: no guardian.
                contact = guardian if grade != "Adult" else (None, None, None, guardian[3])
                values[pid] = [rng.choice(teachers[key]), *contact, f"F{500000 + families}",
                               lang, "withdrawn" if withdrawn else "enrolled", withdrawn]
    # A few students left the district this year without bringing their
    # Chromebook back (never the first two, whom examples and tests name).
    holders = [r[0] for r in db.execute_sql(
        "SELECT DISTINCT a.assigned_person_id FROM asset a JOIN person p ON p.id = "
        "a.assigned_person_id WHERE p.kind = 'student' AND p.active = " + ("TRUE" if _pg() else "1")
        + " ORDER BY a.assigned_person_id").fetchall()][2:]
    gone = rng.sample(holders, min(len(holders), max(3, len(students) // 150)))
    for pid in gone:
        values[pid][7] = "withdrawn"
        values[pid][8] = today - dt.timedelta(days=rng.randint(3, 45))
    _update_from("person", ("homeroom TEXT", "guardian_name TEXT", "guardian_email TEXT",
                            "guardian_phone TEXT", "address TEXT", "household TEXT",
                            "language TEXT", "enrolment TEXT", "withdrawn_on DATE"),
                 ((pid, *v) for pid, v in values.items()))

    # Google Admin's view of the Chromebooks in service: the Auto Update
    # Expiration (the end of a month three and a half to seven years after
    # purchase, before the end of their four-year life for some; their
    # custom field says the same day), the org unit of their school, the
    # student signed in.
    books = db.execute_sql(
        "SELECT a.id, a.tag, a.purchase_date, a.site_id, a.status, p.id_number, p.kind "
        "FROM asset a JOIN hardware_model m ON m.id = a.model_id "
        "JOIN category c ON c.id = m.category_id "
        "LEFT JOIN person p ON p.id = a.assigned_person_id "
        "WHERE c.kind = 'chromebook' AND a.status NOT IN ('disposed', 'retired') "
        "AND a.in_service_date IS NOT NULL ORDER BY a.id").fetchall()
    rows = []
    # Synced this morning at the latest: the same seed and day, the same demo.
    morning = dt.datetime.combine(today, dt.time(7, 0))
    # purchase day (as the driver reads it) → its month number, and month
    # number → its last day as the driver writes a date: each made once
    month_of = Memo(lambda v: _day(v).year * 12 + _day(v).month - 1)
    month_end = Memo(lambda m: str(dt.date(m // 12, m % 12 + 1,
                                          calendar.monthrange(m // 12, m % 12 + 1)[1])))
    for aid, tag, bought, site_id, status, idn, kind in books:
        bought_month = month_of[bought]
        code = code_of.get(site_id) or "WH"
        student = kind == "student"
        synced = morning - (dt.timedelta(minutes=rng.randint(1, 72 * 60)) if status == "deployed"
                            else dt.timedelta(days=rng.randint(10, 90)))
        aue = month_end[bought_month + rng.randint(42, 84)]
        rows.append((aid, aue, f'{{"Auto update expiration": "{aue}"}}',
                     f"/Students/{code}" if student else f"/Devices/{code}/Loaners",
                     f"{idn.lower()}@students.riverside.k12.example" if student and idn else None,
                     tag, synced.isoformat(" ")))
    _update_from("asset", ("aue_date DATE", "custom TEXT", "org_unit TEXT", "annotated_user TEXT",
                           "annotated_asset_id TEXT", "last_sync TIMESTAMP"), rows)
    return {"households": families, "spanish_households": spanish, "withdrawn_holding": len(gone),
            "chromebooks_synced": len(rows)}


def _update_from(table: str, columns: tuple[str, ...], rows: Iterable[Row]) -> None:
    """Set ``columns`` (name and type) of ``table`` for many rows, given as
    (id, value…): through a temporary table and one UPDATE … FROM (both
    engines), so 300,000 students take one statement, not 300,000."""
    names = [c.split()[0] for c in columns]
    scratch = f"qm_demo_{table}"
    db.execute_sql(f"CREATE TEMPORARY TABLE {scratch} (id INTEGER PRIMARY KEY, {', '.join(columns)})")
    insert_rows(scratch, ("id", *names), rows)
    sets = ", ".join(f"{n} = s.{n}" for n in names)
    db.execute_sql(f"UPDATE {table} SET {sets} FROM {scratch} AS s WHERE {table}.id = s.id")
    # Not in a ``finally``: after a failure the demo's rollback takes the scratch
    # table with it, and a DROP then could only raise in place of the failure.
    db.execute_sql(f"DROP TABLE {scratch}")


# What sends a student's Chromebook to the repair vendor.
LOANER_PROBLEMS = ["Cracked screen", "Keyboard keys missing", "Will not charge", "Hinge broken",
                   "Liquid spill", "Trackpad not responding"]


def _program_loaners(rng: random.Random, today: dt.date, user: str) -> tuple[int, int]:
    """The 1:1 program's loaner pool: 5–10 spare Chromebooks from the library
    of each middle and high school flagged loaner, and two or three open swaps
    (a student's Chromebook at the repair vendor, a loaner lent meanwhile),
    made through the swap service so loans, repairs and history agree."""
    from app.models.activity import Loan
    from app.models.people import Person
    from app.models.places import Category, HardwareModel, Site, Supplier
    from app.services import loaners
    from app.services.errors import DomainError
    secondary = [code for code, grades in GRADES.items()
                 if set(grades) & {"6", "7", "8", "9", "10", "11", "12"}]
    site_ids = [i for (i,) in cast("list[tuple[int]]",
                                   list(Site.select(Site.id).where(Site.code.in_(secondary)).tuples()))]
    chromebooks = (HardwareModel.select(HardwareModel.id).join(Category)
                   .where(Category.name == "Chromebooks"))
    marked, lend = [], {}
    for site_id in site_ids:
        spare = (Asset.select(Asset.id)
                 .where((Asset.site == site_id) & (Asset.status == "ready")
                        & Asset.model.in_(chromebooks) & Asset.assigned_person.is_null()
                        & Asset.assigned_location.is_null())
                 .order_by(Asset.id.desc()).limit(rng.randint(5, 10)))
        # The newest spares: the README's examples use the first ones
        # (QM-000101…) and expect them free to lend.
        ids = [i for (i,) in cast("list[tuple[int]]", list(spare.tuples()))]
        marked += ids
        lend[site_id] = ids
    if marked:
        Asset.update(loaner=True).where(Asset.id.in_(marked)).execute()
        for asset_id in marked:
            history.record("asset", asset_id, "update", field="loaner", old=False, new=True,
                           by=user, effective=today)
    vendor = Supplier.get_or_none(Supplier.name == "Vector Repair Depot")
    held = (Loan.select(Loan.asset, Asset.site).join(Person, on=(Loan.person == Person.id))
            .switch(Loan).join(Asset, on=(Loan.asset == Asset.id))
            .where(Loan.returned_at.is_null() & (Person.kind == "student")
                   & Asset.site.in_(site_ids) & Asset.model.in_(chromebooks)
                   & (Asset.loaner == False)  # noqa: E712
                   & (Loan.out_at < dt.datetime.combine(today - dt.timedelta(days=30), dt.time())))
            .order_by(Loan.id).limit(60))
    candidates = cast("list[tuple[int, int]]", list(held.tuples()))
    rng.shuffle(candidates)
    swaps, want = 0, rng.choice([2, 3])
    for device_id, site_id in candidates:
        if swaps >= want:
            break
        if len(lend.get(site_id, ())) < 2:
            continue  # a school keeps at least one loaner free
        day = min(today, history.today()) - dt.timedelta(days=rng.randint(2, 12))
        try:
            loaners.swap(device_id, loaner_id=lend[site_id][0], problem=rng.choice(LOANER_PROBLEMS),
                         vendor_id=vendor.id if vendor else None, by=user,
                         ticket=f"RMA-{rng.randint(100000, 999999)}", effective=day)
        except DomainError:
            continue  # the loan is younger than that day, or bought after: the next one
        lend[site_id].pop(0)
        swaps += 1
    return len(marked), swaps


def _program_filings() -> int:
    """E-Rate filing numbers on the demo's E-Rate equipment: a BEN per school,
    a SPIN per supplier, one Form 471 per funding year and FRN line items by
    model within each FRN (what `report erate-inventory` groups by). Returns
    the line items made."""
    from app.store.db import db, param
    p = param()
    cur = db.cursor()
    sites = [i for (i,) in db.execute_sql("SELECT id FROM site ORDER BY id").fetchall()]
    cur.executemany(f"UPDATE site SET ben = {p} WHERE id = {p}",
                    [(str(16_000_000 + 4_217 * n), sid) for n, sid in enumerate(sites, 1)])
    sups = [i for (i,) in db.execute_sql("SELECT id FROM supplier ORDER BY id").fetchall()]
    cur.executemany(f"UPDATE supplier SET spin = {p} WHERE id = {p}",
                    [(str(143_000_000 + 1_013 * n), sid) for n, sid in enumerate(sups, 1)])
    rows = db.execute_sql("SELECT id, erate_frn, erate_funding_year, model_id FROM asset "
                          "WHERE erate_frn IS NOT NULL ORDER BY erate_frn, model_id, id").fetchall()
    lines: dict[tuple[str, int], str] = {}
    per_frn: dict[str, int] = {}
    updates = []
    for aid, frn, fy, model in rows:
        key = (frn, model)
        if key not in lines and len(frn) == 10:
            per_frn[frn] = per_frn.get(frn, 0) + 1
            lines[key] = f"{frn}.{per_frn[frn]:03d}"
        form471 = f"{(fy or 2000) % 100:02d}1{(fy or 0) * 37 % 1_000_000:06d}"
        updates.append((form471, lines.get(key), aid))
    cur.executemany(f"UPDATE asset SET erate_form471 = {p}, erate_frn_line = {p} WHERE id = {p}",
                    updates)
    return len(lines)


def _backup_media(today: dt.date, user: str) -> int:
    """The district's LTO cartridges (the demo's backup-tape assets, whose
    serial is the label's barcode) in a grandfather-father-son rotation in
    progress: five daily tapes written this week, weekly tapes in the vault
    with the newest still on site (due to go), the oldest weekly due back,
    and monthly tapes for the last months in the vault."""
    from app.services import media
    codes = [c for (c,) in db.execute_sql(
        "SELECT a.serial FROM asset a JOIN hardware_model m ON m.id = a.model_id "
        "WHERE m.name = 'LTO-8 Data Cartridge' AND a.status NOT IN ('disposed', 'retired') "
        "ORDER BY a.id").fetchall() if c]
    codes = [c for c in codes if media.check_barcode(c) == c]
    k = max(1, min(5, len(codes) // 3))  # a small district has fewer of each
    daily, weekly, monthly = codes[:k], codes[k:2 * k], codes[2 * k:2 * k + 6]
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7 or 7)
    for group, rotation, name in ((daily, "daily", "Nightly"), (weekly, "weekly", "Weekly"),
                                  (monthly, "monthly", "Monthly")):
        if group:
            media.add(group, media_set=name, rotation=rotation, by=user)
    for i, code in enumerate(reversed(daily)):  # the newest stays in the drive
        media.record_write(code, today - dt.timedelta(days=i + 1), by=user)
        if i:
            media.move([code], "onsite_safe", by=user)
    for i, code in enumerate(reversed(weekly)):
        media.record_write(code, friday - dt.timedelta(weeks=i), by=user)
        media.move([code], "onsite_safe" if i == 0 else "offsite_vault", by=user)
    for i, code in enumerate(reversed(monthly)):
        months = today.year * 12 + today.month - 1 - i
        first = dt.date(months // 12, months % 12 + 1, 1)
        media.record_write(code, first, by=user)
        media.move([code], "offsite_vault", by=user)
    return len(daily) + len(weekly) + len(monthly)


WO_SUMMARIES = {
    "repair": ["Chromebook will not charge", "Cracked screen", "Projector shows no picture",
               "Printer jams on every page", "Keyboard keys missing", "Document camera flickers",
               "Laptop overheats and shuts down", "No sound from classroom speakers"],
    "install": ["Install GeoGebra on the math lab", "Set up new interactive display",
                "Install testing browser on the cart", "Add a printer to the front office",
                "Image 30 new Chromebooks"],
    "move": ["Move teacher's computer to Room 214", "Move the library cart to the gym",
             "Relocate printer for the counselling office"],
    "account": ["Parent portal password reset", "Student cannot sign in to Google",
                "New staff account and email", "Reset voicemail PIN"],
    "other": ["Wi-Fi slow in the portables", "Request for a loaner hotspot",
              "Question about the device agreement"],
}
WO_NOTES = ["Called the requester; will visit after lunch", "Reseated the cables and tested",
            "Ordered the part from the vendor", "Reimaged and re-enrolled",
            "Waiting for the teacher to be out of class", "Tested with the requester; working", "Replaced the power adapter",
            "Updated firmware and drivers"]


def _work_orders(rng: random.Random, today: dt.date, user: str, plans: list[Row],
                 aid_of: list[int], staff: list[Row],
                 students_by_site: dict[int, list[Row]], site_ids: dict[str, int],
                 n_assets: int) -> int:
    """A year of work orders: mostly repairs and accounts, notes with time
    spent, the old ones closed. #1 is a long-running project still open."""
    if not staff:
        return 0
    by_site: dict[int, list[int]] = {}
    for num, _cat, status, site_id, *_ in plans:
        if status not in ("disposed", "retired") and site_id:
            by_site.setdefault(site_id, []).append(aid_of[num])
    weights = [("repair", 45), ("account", 20), ("install", 15), ("move", 10), ("other", 10)]
    cats = [c for c, w in weights for _ in range(w)]
    n = max(20, n_assets // 7)
    orders: list[Row] = []
    notes: list[Row] = []
    first_site = next(iter(site_ids.values()))
    opened_first = dt.datetime.combine(today - dt.timedelta(days=200), dt.time(9, 30))
    orders.append(("Replace the Wi-Fi access points in the gym", "repair", "normal",
                   "waiting_vendor", staff[0][0], None, None, first_site, None, user,
                   today + dt.timedelta(days=5), None, opened_first, None, user, opened_first, 1))
    notes.append((0, "Quote requested from the network vendor", 30, user,
                  opened_first + dt.timedelta(days=1)))
    for _ in range(n):
        cat = rng.choice(cats)
        age = int(rng.triangular(0, 365, 20))
        opened = dt.datetime.combine(today - dt.timedelta(days=age),
                                     dt.time(rng.randint(7, 16), rng.choice((0, 15, 30, 45))))
        parent = cat == "account" and rng.random() < 0.4
        person = rng.choice(staff)
        if not parent and cat in ("repair", "account") and rng.random() < 0.3:
            pool = students_by_site.get(person[5]) or []
            person = rng.choice(pool) if pool else person
        site = person[5]
        asset = rng.choice(by_site[site]) if cat == "repair" and by_site.get(site) else None
        if age > 30 or (age > 3 and rng.random() < 0.7):
            status = "closed"
        else:
            status = rng.choice(["new", "in_progress", "in_progress", "waiting_parts",
                                 "waiting_user", "waiting_vendor", "resolved"])
        idx = len(orders)
        visits = rng.randint(1, 3) if status != "new" else 0
        at = opened
        for _v in range(visits):
            at = at + dt.timedelta(hours=rng.randint(2, 72))
            notes.append((idx, rng.choice(WO_NOTES), rng.choice((10, 15, 20, 30, 45, 60, 90)), user,
                          min(at, dt.datetime.combine(today, dt.time(17)))))
        closed = min(at + dt.timedelta(hours=rng.randint(1, 48)),
                     dt.datetime.combine(today, dt.time(17))) if status == "closed" else None
        follow = (today + dt.timedelta(days=rng.randint(-5, 10))) if status not in (
            "closed", "resolved") and rng.random() < 0.6 else None
        orders.append((rng.choice(WO_SUMMARIES[cat]), cat,
                       rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]), status,
                       None if parent else person[0],
                       f"{rng.choice(FIRST)} {rng.choice(LAST)}" if parent else None,
                       f"555-01{rng.randrange(100):02d}" if parent else None, site, asset, user,
                       follow, "Fixed and tested with the requester" if closed else None, opened,
                       closed, user, closed or at, 1))
    insert_rows("work_order", ("summary", "category", "priority", "status", "requester_id",
                               "requester_name", "requester_contact", "site_id", "asset_id",
                               "assignee", "follow_up", "resolution", "opened_at", "closed_at",
                               "created_by", "updated_at", "version"), orders)
    ids = [r[0] for r in db.execute_sql("SELECT id FROM work_order ORDER BY id").fetchall()]
    insert_rows("work_order_note", ("work_order_id", "text", "minutes", "by", "at"),
                [(ids[i], text, mins, by, at) for i, text, mins, by, at in notes])
    return len(orders)


@contextlib.contextmanager
def _search_load() -> Iterator[str | None]:
    """The search index while the demo loads. SQLite: each page of assets is
    indexed on the writing thread right after it is written (while this
    thread makes the next page), instead of one rebuild at the end on this
    thread alone; later changes to an asset's search text keep it current
    through the usual triggers. Yields that page's statement (None: nothing
    to index). PostgreSQL: the trigram index is built once, after the load."""
    if _pg():
        with search.bulk_mode():
            yield None
        return
    with search.inserts_indexed_by_caller() as index_page:
        yield index_page


@contextlib.contextmanager
def _plain_binds() -> Iterator[None]:
    """sqlite3 binds str, int and float as they are, but sends every other
    value (None, True and False among them) through its adapter registry,
    which for these finds nothing and then looks for ``__adapt__`` and
    ``__conform__`` before binding the value as it was: half the time of an
    executemany of rows with ten NULLs in them, and the demo's rows are full
    of NULLs. For the load, None and bool are registered as what they bind as
    anyway (NULL; 1 and 0), so the lookup ends at once; taken out afterwards."""
    import sqlite3
    plain: dict[type, Callable[[Any], Any]] = {type(None): {}.get, bool: int}
    added = [kind for kind in plain if (kind, sqlite3.PrepareProtocol) not in sqlite3.adapters]
    for kind in added:
        sqlite3.register_adapter(kind, plain[kind])
    try:
        yield
    finally:
        for kind in added:
            sqlite3.adapters.pop((kind, sqlite3.PrepareProtocol), None)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the demo loads: it makes millions of
    tuples that live to the end (and few cycles), and each full collection
    walked them all again."""
    import gc
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# From this many assets the demo writes its file under a rollback journal.
DIRECT_WRITES_FROM = 100_000


@contextlib.contextmanager
def _direct_writes(assets: int) -> Iterator[None]:
    """A large demo on SQLite: the rows go straight into the file under a
    rollback journal, not through the write-ahead log. A demo fills an empty
    file, so the journal holds the few pages it had, and a failure (a full
    disk) or a crash puts them back as with the log; but through the log
    every page of a 2.2 GB file was written twice, once to the log and again
    by the checkpoint on close. Back to the log afterwards (opening the file
    sets it again if that fails). Left as it is when another connection has
    the file open (SQLite refuses to leave the log then)."""
    if _pg() or assets < DIRECT_WRITES_FROM:
        yield
        return
    import sqlite3
    conn = db.connection()
    try:
        mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
    except sqlite3.OperationalError:
        mode = "wal"
    try:
        yield
    finally:
        if mode == "delete":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error:  # a full disk: the next open sets it, and the load's error stands
                log.warning("could not switch the demo file back to WAL", exc_info=True)


@contextlib.contextmanager
def _bulk_cache() -> Iterator[None]:
    """A large SQLite page cache while the demo loads: a million assets write
    every index of asset, history and loan in one transaction, and with the
    usual 32 MB the index pages go out and come back many times over."""
    if _pg():
        yield
        return
    # On the connection itself: the cache is the connection's, not the
    # transaction's, and giving it back after a failed load (a full disk, which
    # SQLite answers by rolling the transaction back) must not raise in place
    # of that failure.
    conn = db.connection()
    old = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size = -524288")  # 512 MB, given back at the end
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(old)}")


def _insert_beside(table: str, columns: tuple[str, ...], rows: Iterable[Row], page: int = 1000,
                   then: str | None = None) -> int:
    """``insert_rows``, with each page written on a second thread while this
    one makes the next (SQLite lets go of Python's lock while it writes: two
    cores, one generating, one writing). Every eighth page waits for the
    writer, so at most eight pages are held. Where statements cannot run on a
    second thread (PostgreSQL), plain ``insert_rows``.

    ``then``: a statement run on the second thread after each page, with the
    page's first and last id as ``(lo, hi]`` (the search index's
    ``inserts_indexed_by_caller``): the page's new rows have the ids after
    the table's largest, in order, as SQLite gives them to rows inserted
    without one while this transaction holds the write lock."""
    from app.store.bulk import Background
    bg = Background()
    if not bg.threaded:
        bg.close()
        done = insert_rows(table, columns, rows)
        if then:
            db.execute_sql(then, (0, 1 << 62))
        return done
    top = int(db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0])
    import sqlite3
    # As many rows as one statement may bind (32,766 values since SQLite 3.32; 999 before).
    page = max(1, min(page, bg.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    cols = ", ".join(f'"{c}"' for c in columns)
    one = "(" + ", ".join("?" * len(columns)) + ")"

    def statement(count: int) -> str:
        return f'INSERT INTO "{table}" ({cols}) VALUES ' + ", ".join([one] * count)

    full = statement(page)
    total = pages = 0
    with bg:
        values: list[Any] = []
        count = 0
        for row in rows:
            values.extend(row)
            count += 1
            if count == page:
                bg.run(full, values)
                if then:
                    bg.run(then, (top + total, top + total + count))
                total, pages, values, count = total + count, pages + 1, [], 0
                if pages % 8 == 0:
                    bg.wait()
        if count:
            bg.run(statement(count), values)
            if then:
                bg.run(then, (top + total, top + total + count))
            total += count
        bg.wait()
    return total


def _drop_indexes(tables: tuple[str, ...]) -> dict[str, list[str]]:
    """Drop the indexes of ``tables`` (SQLite) inside the demo's transaction;
    returns the statements that made them, by table, for ``_index_builder``.
    A failed build rolls the drop back with everything else; the same
    statements rebuild the same indexes (the restore check compares them word
    for word). The UNIQUE constraints a table declares inline stay (they
    cannot be dropped)."""
    if _pg():
        return {}
    marks = ", ".join("?" * len(tables))
    found = db.execute_sql(f"SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' "
                           f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
                           tables).fetchall()
    by_table: dict[str, list[str]] = {}
    for name, table, sql in found:
        db.execute_sql(f'DROP INDEX "{name}"')
        by_table.setdefault(table, []).append(sql)
    return by_table


@contextlib.contextmanager
def _index_builder() -> Iterator[Background]:
    """A second thread that runs the CREATE INDEX statements given to it, in
    order, on this connection (inside the demo's transaction), with SQLite's
    sorter allowed a helper thread of its own. Leaving the block waits for
    them all and raises the first error; leaving it by an error drops what is
    still queued (the transaction's rollback puts the indexes back)."""
    sqlite = not _pg()
    conn = db.connection()  # the setting is the connection's: given back even after a rollback
    old = conn.execute("PRAGMA threads").fetchone()[0] if sqlite else 0
    if sqlite:
        conn.execute("PRAGMA threads = 2")
    try:
        with Background() as bg:
            yield bg
    finally:
        if sqlite:
            conn.execute(f"PRAGMA threads = {int(old)}")


def _pg() -> bool:
    import peewee as pw
    return isinstance(db.obj, pw.PostgresqlDatabase)
