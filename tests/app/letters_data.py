"""A small school for the letters-home tests: the García family (Spanish at
home, three children in one household), the Smiths (English, no household:
one guardian at one address), a withdrawn student still holding a
Chromebook, and fees owed with a payment against one.

Roster fields (guardian, household, address, enrolment) are set on the
Person rows directly: the roster import sets them in the app. Fees are
charged and paid through the fees service, as the Fees page does.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models import Person
from app.services import assets, catalog, fees, kits, people, settings

TODAY = dt.date(2026, 12, 6)
OUT = dt.date(2026, 8, 20)


def student(first: str, last: str, sid: str, site, grade: str, language: str = "en", **roster):
    p = people.create(first_name=first, last_name=last, id_number=sid, kind="student",
                      site_id=site.id, language=language, grade=grade)
    if roster:
        Person.update(**roster).where(Person.id == p.id).execute()
    return Person.get_by_id(p.id)


def lend(model, person, serial: str, due: dt.date | None = None, cost: str = "299.00"):
    a = assets.create({"model_id": model.id, "serial": serial, "cost": cost,
                       "purchase_date": "2025-07-01"})
    assets.check_out(a.id, person_id=person.id, due=due, effective=OUT)
    return a


def fee(person, asset, amount: str, part: str, paid: str | None = None):
    f = fees.charge(person.id, part, Decimal(amount), asset_id=asset.id if asset else None,
                    day=dt.date(2026, 6, 10))
    if paid:
        fees.pay(f.id, Decimal(paid), paid_on=dt.date(2026, 9, 1))
    return f


def school():
    settings.update({"org_name": "Riverside Unified School District",
                     "org_address": "1200 Mission Avenue\nRiverside, CA 92501",
                     "org_phone": "(951) 555-0142", "org_email": "devices@riversideusd.org"})
    site = catalog.create_site("Lincoln Middle School", code="LMS")
    other = catalog.create_site("Riverside High School", code="RHS")
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    cb = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    kits.set_replacement_cost(cb.id, "329.00")
    kits.set_parts(cb.id, [("Charger", 1, "30.00"), ("Case", 1, "20.00")])
    hs = catalog.create_model("Kajeet SmartSpot", manufacturer="Kajeet", category_id=cat.id)
    garcia = dict(household="H-1001", guardian_name="María José Núñez",
                  address="418 Olivo Street, Apt 2\nRiverside, CA 92503",
                  guardian_phone="(951) 555-0199", enrolment="enrolled")
    luis = student("Luis", "García", "S2000001", site, "6", "es", **garcia)
    ana = student("Ana", "García", "S2000002", site, "7", "es", **garcia)
    sofia = student("Sofía", "García", "S2000003", site, "8", "es", **garcia)
    smith = dict(guardian_name="Karen Smith", address="77 Elm Court, Riverside, CA 92504")
    jack = student("Jack", "Smith", "S2000010", site, "7", "en", **smith)
    emma = student("Emma", "Smith", "S2000011", site, "6", "en", **smith)
    nguyen = student("Bảo", "Nguyễn", "S2000020", site, "7", "en", guardian_name="Thị Lan Nguyễn",
                     address="9 Palm Drive\nRiverside, CA 92501", enrolment="withdrawn",
                     withdrawn_on=dt.date(2026, 11, 2))
    elsewhere = student("Olivia", "Reyes", "S3000001", other, "10", "es", household="H-2002",
                        guardian_name="Rosa Reyes", address="1 Main St\nRiverside, CA 92501")
    devices = {
        "luis": lend(cb, luis, "5CD1111AAA", due=dt.date(2026, 11, 30)),
        "ana": lend(cb, ana, "5CD2222BBB", due=dt.date(2027, 6, 10)),
        "sofia": lend(cb, sofia, "5CD3333CCC", due=dt.date(2027, 6, 10)),
        "sofia_hotspot": lend(hs, sofia, "KJ-778899", due=dt.date(2027, 6, 10), cost="120.00"),
        "jack": lend(cb, jack, "5CD4444DDD", due=dt.date(2026, 10, 1)),
        "emma": lend(cb, emma, "5CD5555EEE", due=dt.date(2027, 6, 10)),
        "bao": lend(cb, nguyen, "5CD6666FFF", due=dt.date(2027, 6, 10)),
        "olivia": lend(cb, elsewhere, "5CD7777GGG", due=dt.date(2026, 11, 1)),
    }
    fees = {
        "luis_screen": fee(luis, devices["luis"], "45.00", "screen"),
        "sofia_charger": fee(sofia, devices["sofia"], "30.00", "charger", paid="10.00"),
        "jack_keyboard": fee(jack, devices["jack"], "60.00", "keyboard", paid="60.00"),
        "emma_hinge": fee(emma, devices["emma"], "25.50", "hinge"),
    }
    return dict(site=site, other=other, cb=cb, hs=hs, luis=luis, ana=ana, sofia=sofia, jack=jack,
                emma=emma, nguyen=nguyen, elsewhere=elsewhere, devices=devices, fees=fees)
