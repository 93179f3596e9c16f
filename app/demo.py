"""A realistic district to explore, test and benchmark with.

``build_demo`` fills an EMPTY database with sites and rooms, staff, students
and families, models across every category, eight years of purchases (E-Rate
network gear, grant-funded Chromebooks), loans (some overdue), repairs,
licenses with seats, supplies with movement history, retired and disposed
items, audit dates and history. Same seed and same day, same data. Rows go in
through the driver's bulk path, so 100,000 assets take seconds.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Callable

from app.models import Asset
from app.models.common import utcnow
from app.services import history, settings
from app.services.base import current_user, transaction
from app.services.catalog import location_code
from app.services.errors import Conflict, ValidationError
from app.services.tags import format_tag, normalize_tag
from app.store import search
from app.store.bulk import id_map, insert_rows
from app.store.db import db

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
    ("Riverside High School", "RHS", "400 Eagle Way"),
    ("Lincoln Middle School", "LMS", "88 Lincoln Blvd"),
    ("Jefferson Elementary", "JES", "15 Oak St"),
    ("Washington Elementary", "WES", "902 Pine Rd"),
    ("Roosevelt Elementary", "RES", "77 Lakeview Dr"),
    ("Adult Education Center", "AEC", "300 Mill St"),
    ("Technology Warehouse", "WH", "5 Depot Ln"),
]
SPECIAL_ROOMS = ["Library", "Computer Lab A", "Computer Lab B", "Front Office", "MDF",
                 "IDF 1", "Gym", "Cafeteria", "Storage", "Staff Lounge"]

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
]

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


def _upc(rng: random.Random) -> str:
    """A valid UPC-A (12 digits with check digit)."""
    digits = [rng.randrange(10) for _ in range(11)]
    odd = sum(digits[0::2]) * 3 + sum(digits[1::2])
    return "".join(map(str, digits)) + str((10 - odd % 10) % 10)


def _serial(rng: random.Random, pattern: str | None, n: int) -> str:
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    if pattern and pattern.startswith("^5CD"):
        return "5CD" + "".join(rng.choice(alnum) for _ in range(7))
    if pattern and pattern.startswith("^PF"):
        return "PF" + "".join(rng.choice(alnum) for _ in range(6))
    if pattern and pattern.startswith("^FOC"):
        return "FOC" + "".join(rng.choice(alnum) for _ in range(8))
    if pattern and pattern.startswith("^Q"):
        s = "".join(rng.choice(alnum) for _ in range(12))
        return pattern[1:3] + f"{s[:4]}-{s[4:8]}-{s[8:12]}"[:12]
    return "".join(rng.choice(alnum) for _ in range(7)) + f"{n % 1000:03d}"


def _fy(d: dt.date) -> int:
    return d.year + 1 if d.month >= 7 else d.year


def build_demo(assets: int = 2000, seed: int = 1, progress: Callable | None = None,
               today: dt.date | None = None) -> dict:
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
    counts: dict = {}

    def step(text: str, done: int, total: int = 10):
        if progress:
            progress(done, total, text)

    with transaction(), search.bulk_mode():
        step("Sites and rooms", 0)
        settings.update({"org_name": "Riverside Unified School District", "tag_prefix": "QM-",
                         "tag_digits": 6})
        insert_rows("site", ("name", "code", "address"), SITES)
        site_ids = id_map("site", "name")
        rooms_per_site = max(8, assets // 400)
        loc_rows = []
        for name, code, _ in SITES:
            specials = SPECIAL_ROOMS if code not in ("DO", "WH") else ["Front Office", "MDF", "Storage", "Board Room", "IT Office"]
            names = list(specials) + [f"Room {100 * (1 + i // 20) + i % 20 + 1}"
                                      for i in range(max(0, rooms_per_site - len(specials)))]
            for room in names:
                loc_rows.append((site_ids[name], room))
        insert_rows("location", ("site_id", "name"), loc_rows)
        locs = db.execute_sql("SELECT id, site_id, name FROM location ORDER BY id").fetchall()
        db.connection().cursor().executemany(
            "UPDATE location SET barcode = %s WHERE id = %s" if _pg() else
            "UPDATE location SET barcode = ? WHERE id = ?",
            [(location_code(i), i) for i, _, _ in locs])
        rooms_by_site: dict[int, list[tuple[int, str]]] = {}
        for loc_id, site_id, room in locs:
            rooms_by_site.setdefault(site_id, []).append((loc_id, room))
        site_name = {v: k for k, v in site_ids.items()}
        counts["sites"], counts["rooms"] = len(SITES), len(locs)

        step("Catalog", 1)
        import json
        insert_rows("category", ("name", "kind", "life_years", "custom_fields"),
                    [(n, k, y, json.dumps(c) if c else None) for n, k, y, c in CATEGORIES])
        cat_ids = id_map("category", "name")
        life = {n: y for n, _, y, _ in CATEGORIES}
        mfrs = sorted({m[0] for m in MODELS})
        insert_rows("manufacturer", ("name",), [(m,) for m in mfrs])
        mfr_ids = id_map("manufacturer", "name")
        insert_rows("hardware_model", ("name", "manufacturer_id", "category_id", "model_number",
                                       "eol_months", "serial_pattern"),
                    [(m, mfr_ids[mf], cat_ids[c], num, 12 * life[c], pat)
                     for mf, m, num, c, _, _, pat in MODELS])
        model_ids = id_map("hardware_model", "name")
        insert_rows("supplier", ("name", "contact", "phone", "email", "account_number", "created_at"),
                    [s + (now,) for s in SUPPLIERS])
        supplier_ids = id_map("supplier", "name")

        step("People", 2)
        n_staff = max(30, assets // 12)
        n_students = max(60, assets // 2)
        n_families = max(10, n_students // 12)
        school_sites = [site_ids[n] for n, c, _ in SITES if c not in ("DO", "WH")]
        people = []
        for i in range(n_staff):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            people.append(("staff", first, last, f"E{10000 + i}",
                           f"{first[0].lower()}{last.lower().replace(chr(39), '')}{i}@riverside.k12.example",
                           None, rng.choice(list(site_ids.values())), "es" if rng.random() < 0.1 else "en",
                           rng.random() > 0.03, None, now, now, 1))
        for i in range(n_students):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            people.append(("student", first, last, f"S{2000000 + i}", None, None,
                           rng.choice(school_sites), "es" if rng.random() < 0.25 else "en",
                           rng.random() > 0.02, str(rng.choice(["K", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
                           now, now, 1))
        for i in range(n_families):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            people.append(("family", first, last, f"F{300000 + i}", None,
                           f"555-01{i % 100:02d}", rng.choice(school_sites),
                           "es" if rng.random() < 0.35 else "en", True, None, now, now, 1))
        insert_rows("person", ("kind", "first_name", "last_name", "id_number", "email", "phone",
                               "site_id", "language", "active", "grade", "created_at", "updated_at",
                               "version"), people)
        person_rows = db.execute_sql("SELECT id, kind, first_name, last_name, id_number, site_id, active "
                                     "FROM person ORDER BY id").fetchall()
        staff = [r for r in person_rows if r[1] == "staff" and r[6]]
        students_by_site: dict[int, list] = {}
        for r in person_rows:
            if r[1] == "student" and r[6]:
                students_by_site.setdefault(r[5], []).append(r)
        counts["people"] = len(people)

        step("Purchases", 3)
        weights = [m[5] for m in MODELS]
        start = today.replace(year=today.year - 8)
        span = (today - start).days
        # Orders: batches of one model bought on one PO.
        orders = []
        remaining = assets
        po_no = 0
        # Every model is bought at least once, so even a small demo holds the
        # district's infrastructure (E-Rate switches and access points, capital
        # servers and displays) that the year-end and E-Rate reports are about.
        firsts = list(MODELS) if assets >= 4 * len(MODELS) else []
        while remaining > 0:
            first_order = bool(firsts)
            model = firsts.pop(0) if first_order else rng.choices(MODELS, weights)[0]
            cat = model[3]
            size = {"Chromebooks": rng.randint(30, 400), "Laptops": rng.randint(10, 60),
                    "Desktops": rng.randint(10, 40), "Tablets": rng.randint(20, 120)}.get(cat, rng.randint(1, 12))
            if first_order:
                size = min(size, rng.randint(1, 4))
            size = min(size, remaining)
            remaining -= size
            po_no += 1
            day = start + dt.timedelta(days=rng.randrange(span))
            funding, fname, frn, fyear = "general", None, None, None
            if cat in ("Network switches", "Wireless access points", "Firewalls") and rng.random() < 0.85:
                fyear = _fy(day)
                funding, frn = "erate", f"{fyear % 100:02d}99{rng.randrange(10**6):06d}"
            elif cat == "Chromebooks" and 2021 <= day.year <= 2023 and rng.random() < 0.6:
                funding, fname = "grant", "ESSER III"
            elif cat in ("Interactive displays", "Projectors") and rng.random() < 0.3:
                funding, fname = "grant", "Title IV-A"
            supplier = rng.choice(["CDW-G", "SHI International", "Dell Technologies",
                                   "Howard Technology Solutions"])
            orders.append((model, size, day, f"PO-{day.year % 100:02d}-{po_no:05d}", supplier,
                           funding, fname, frn, fyear))

        step("Assets", 4)
        prefix, digits = "QM-", 6
        rows = []
        plans = []  # what happens to each asset after it lands
        n = 0
        for model, size, day, po, supplier, funding, fname, frn, fyear in orders:
            mf, mname, mnum, cat, cost, _, pattern = model
            dest_site = (rng.choice(school_sites) if cat not in ("Servers", "Firewalls", "Backup tapes")
                         else site_ids["District Office"])
            for _ in range(size):
                n += 1
                tag = format_tag(n, prefix, digits)
                serial = _serial(rng, pattern, n)
                site_id = dest_site if rng.random() < 0.9 else rng.choice(list(site_ids.values()))
                room_id, room = rng.choice(rooms_by_site[site_id])
                age_years = (today - day).days / 365.25
                status = "ready"
                disposal = (None, None, None)
                if age_years > life[cat] + 1 and rng.random() < 0.7:
                    if rng.random() < 0.6:
                        status = "disposed"
                        ddate = day + dt.timedelta(days=int(365.25 * (life[cat] + rng.random())))
                        ddate = min(ddate, today - dt.timedelta(days=1))
                        method = rng.choice(["recycled", "recycled", "sold", "donated", "traded_in"])
                        proceeds = Decimal("0.00") if method in ("recycled", "donated") else \
                            (Decimal(cost) * Decimal("0.05")).quantize(Decimal("0.01"))
                        disposal = (ddate, method, proceeds)
                    else:
                        status = "retired"
                elif rng.random() < 0.004:
                    status = "missing"
                in_service = day + dt.timedelta(days=rng.randint(3, 30))
                audit = None
                if status not in ("disposed",) and rng.random() < 0.75:
                    audit = today - dt.timedelta(days=rng.randint(0, 500))
                    audit = max(audit, in_service)
                custom = None
                if cat in ("Laptops", "Desktops"):
                    custom = json.dumps({"OS": rng.choice(["Windows 11 Education", "Windows 10 Education"]),
                                         "RAM (GB)": rng.choice([8, 16, 16, 32])}, sort_keys=True)
                elif cat == "Chromebooks":
                    custom = json.dumps({"Auto update expiration": f"{day.year + 8}-06-01"})
                elif cat in ("Network switches", "Printers"):
                    custom = json.dumps({"IP address": f"10.{20 + site_id}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"})
                created = dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=n % 480)
                name = f"{mname}" if cat not in ("Laptops", "Desktops") else f"{room} {cat[:-1].lower()}"
                rows.append([tag, normalize_tag(tag), serial, serial.upper(), name, model_ids[mname], status,
                             site_id, room_id, day, Decimal(cost), po, supplier_ids[supplier], funding, fname,
                             frn, fyear, in_service,
                             day + dt.timedelta(days=365 * (4 if cat == "Chromebooks" else 3)),
                             disposal[0], disposal[1], disposal[2], audit, None, custom,
                             search.asset_doc(tag, serial, name, mf, mname, mnum, room, site_name[site_id], po, frn),
                             created, created, 1])
                plans.append((n, cat, status, site_id, day))
        insert_rows("asset", ("tag", "tag_key", "serial", "serial_key", "name", "model_id", "status",
                              "site_id", "location_id", "purchase_date", "cost", "order_number",
                              "supplier_id", "funding_type", "funding_name", "erate_frn",
                              "erate_funding_year", "in_service_date", "warranty_end",
                              "disposal_date", "disposal_method", "disposal_proceeds",
                              "last_audit_date", "notes", "custom", "search_text", "created_at",
                              "updated_at", "version"), rows)
        settings.set_raw("tag_next", n + 1)
        counts["assets"] = n
        tag_id = id_map("asset", "tag")
        del rows

        step("History", 5)
        hist = []
        for i, (num, cat, status, site_id, day) in enumerate(plans):
            tag = format_tag(num, prefix, digits)
            at = dt.datetime.combine(day, dt.time(9, 0))
            hist.append(("asset", tag_id[tag], "create", None, None, tag, None, None, user, at,
                         "demo purchase"))
            if status in ("retired", "disposed", "missing"):
                hist.append(("asset", tag_id[tag], "update" if status == "missing" else
                             ("retire" if status == "retired" else "dispose"), "status", "ready",
                             status, None, None, user, at + dt.timedelta(days=365 * 4), None))
        insert_rows("history_entry", ("entity", "entity_id", "action", "field", "old", "new", "old_id",
                                      "new_id", "who", "at", "note"), hist)
        del hist

        step("Loans", 6)
        loans, holders, loan_hist = [], [], []
        this_june = dt.date(today.year if today.month <= 6 else today.year + 1, 6, 12)
        for num, cat, status, site_id, day in plans:
            if status != "ready":
                continue
            tag = format_tag(num, prefix, digits)
            aid = tag_id[tag]
            person = None
            if cat in ("Chromebooks", "Tablets") and rng.random() < 0.72 and students_by_site.get(site_id):
                person = rng.choice(students_by_site[site_id])
            elif cat in ("Laptops",) and rng.random() < 0.85 and staff:
                person = rng.choice(staff)
            if person is None:
                continue
            out = dt.datetime.combine(max(day, today - dt.timedelta(days=rng.randint(20, 330))),
                                      dt.time(8, 30)) + dt.timedelta(minutes=rng.randint(0, 400))
            due = this_june if rng.random() > 0.05 else today - dt.timedelta(days=rng.randint(1, 60))
            signed = rng.random() < 0.93
            loans.append((aid, person[0], out, due, "good", signed, "en", user))
            holders.append((person[0], aid))
            loan_hist.append(("asset", aid, "check_out", "holder", None, f"{person[2]} {person[3]}",
                              None, person[0], user, out, f"due {due.isoformat()}"))
        insert_rows("loan", ("asset_id", "person_id", "out_at", "due", "condition_out",
                             "agreement_signed", "language", "out_by"), loans)
        cur = db.connection().cursor()
        p = "%s" if _pg() else "?"
        cur.executemany(f"UPDATE asset SET assigned_person_id = {p}, status = 'deployed' WHERE id = {p}",
                        holders)
        insert_rows("history_entry", ("entity", "entity_id", "action", "field", "old", "new", "old_id",
                                      "new_id", "who", "at", "note"), loan_hist)
        search.refresh_assets([aid for _, aid in holders])  # the holder's name is searchable
        # Returned loans from past years.
        past = []
        for aid in rng.sample(list(tag_id.values()), min(len(tag_id), assets // 10)):
            start_out = dt.datetime.combine(today - dt.timedelta(days=rng.randint(400, 1200)), dt.time(9))
            back = start_out + dt.timedelta(days=rng.randint(30, 300))
            person = rng.choice(staff)
            past.append((aid, person[0], start_out, start_out.date() + dt.timedelta(days=300), back,
                         "good", rng.choice(["good", "good", "fair", "damaged"]), True, "en", user, user))
        insert_rows("loan", ("asset_id", "person_id", "out_at", "due", "returned_at", "condition_out",
                             "condition_in", "agreement_signed", "language", "out_by", "in_by"), past)
        counts["loans"] = len(loans) + len(past)

        step("Repairs", 7)
        repairs = []
        problems = ["Cracked screen", "Will not power on", "Keyboard keys missing", "Battery swollen",
                    "Hinge broken", "Paper jam / fuser error", "No display output", "Port damaged",
                    "Liquid spill", "Fan noise / overheating"]
        vendor = supplier_ids["Vector Repair Depot"]
        for num, cat, status, site_id, day in plans:
            if status in ("disposed",) or cat in ("Backup tapes", "Peripherals"):
                continue
            r = rng.random()
            aid = tag_id[format_tag(num, prefix, digits)]
            if r < 0.01:
                reported = today - dt.timedelta(days=rng.randint(1, 45))
                repairs.append((aid, reported, rng.choice(problems), vendor, f"RMA{rng.randrange(10**6):06d}",
                                rng.choice(["open", "sent", "waiting_parts"]), None, None, None,
                                status if status != "missing" else "ready", user, now))
            elif r < 0.06:
                reported = max(day, today - dt.timedelta(days=rng.randint(60, 1500)))
                back = reported + dt.timedelta(days=rng.randint(3, 40))
                repairs.append((aid, reported, rng.choice(problems), vendor, f"RMA{rng.randrange(10**6):06d}",
                                "closed" if rng.random() < 0.9 else "unrepairable",
                                Decimal(rng.choice(["0.00", "45.00", "89.00", "129.00", "210.00"])),
                                back, "Repaired under warranty" if rng.random() < 0.5 else "Part replaced",
                                "ready", user, now))
        insert_rows("repair", ("asset_id", "reported", "problem", "vendor_id", "ticket", "status",
                               "cost", "returned", "resolution", "prior_status", "by", "created_at"),
                    repairs)
        open_ids = [(r[0],) for r in repairs if r[5] in ("open", "sent", "waiting_parts")]
        cur.executemany(f"UPDATE asset SET status = 'in_repair' WHERE id = {p} AND assigned_person_id IS NULL",
                        open_ids)
        counts["repairs"] = len(repairs)

        step("Licenses", 8)
        exp = lambda days: today + dt.timedelta(days=days)  # noqa: E731
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
        for num, cat, status, site_id, day in plans:
            if status not in ("disposed", "retired"):
                by_cat.setdefault(cat, []).append(tag_id[format_tag(num, prefix, digits)])
        seats = []
        computers = by_cat.get("Laptops", []) + by_cat.get("Desktops", [])
        for aid in computers[:]:
            seats.append((lic_ids["Microsoft 365 A3"], aid, None, now, user))
        for aid in rng.sample(computers, min(55, len(computers))):
            seats.append((lic_ids["Adobe Creative Cloud"], aid, None, now, user))
        for aid in by_cat.get("Chromebooks", [])[:20000]:
            seats.append((lic_ids["GoGuardian Admin"], aid, None, now, user))
        for aid in by_cat.get("Servers", [])[:8]:
            seats.append((lic_ids["Windows Server 2022 Standard"], aid, None, now, user))
        for aid in rng.sample(computers, min(33, len(computers))):  # over-allocated, allowed
            seats.append((lic_ids["SketchUp Studio for Schools"], aid, None, now, user))
        for aid in by_cat.get("Servers", [])[:3]:
            seats.append((lic_ids["Veeam Backup & Replication"], aid, None, now, user))
        for s in rng.sample(staff, min(4, len(staff))):
            seats.append((lic_ids["Tableau Desktop"], None, s[0], now, user))
        insert_rows("seat", ("license_id", "asset_id", "person_id", "assigned_at", "by"), seats)
        counts["licenses"], counts["seats"] = len(licenses), len(seats)

        step("Supplies", 9)
        sup_rows = []
        for name, part, cat, cost, fits, rp, target in SUPPLIES:
            sup_rows.append((name, part, _upc(rng), cat, "each", rp, target,
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
        for num, cat, status, site_id, day in plans:
            if cat == "Printers" and status not in ("disposed", "retired"):
                mid = db.execute_sql(f"SELECT model_id FROM asset WHERE id = {p}",
                                     (tag_id[format_tag(num, prefix, digits)],)).fetchone()[0]
                printers_by_model.setdefault(mid, []).append(tag_id[format_tag(num, prefix, digits)])
        moves, totals = [], {}
        for name, part, cat, cost, ms, rp, target in SUPPLIES:
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
        step("Work orders", 9)
        counts["work_orders"] = _work_orders(random.Random(seed * 7919 + 1), today, user, plans,
                                             tag_id, prefix, digits, staff, students_by_site,
                                             site_ids, assets)
        history.record("demo", 0, "create", new=f"{assets} assets, seed {seed}", by=user)
        step("Done", 10)
    return counts


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


def _work_orders(rng: random.Random, today: dt.date, user: str, plans, tag_id, prefix, digits,
                 staff, students_by_site, site_ids, n_assets: int) -> int:
    """A year of work orders: mostly repairs and accounts, notes with time
    spent, the old ones closed. #1 is a long-running project still open."""
    from app.services.tags import format_tag
    if not staff:
        return 0
    by_site: dict[int, list[int]] = {}
    for num, _cat, status, site_id, _day in plans:
        if status not in ("disposed", "retired") and site_id:
            by_site.setdefault(site_id, []).append(tag_id[format_tag(num, prefix, digits)])
    weights = [("repair", 45), ("account", 20), ("install", 15), ("move", 10), ("other", 10)]
    cats = [c for c, w in weights for _ in range(w)]
    n = max(20, n_assets // 7)
    orders, notes = [], []
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


def _pg() -> bool:
    import peewee as pw
    return isinstance(db.obj, pw.PostgresqlDatabase)
