"""Small builders for service tests (through the services, as the app does)."""
from __future__ import annotations

from app.services import assets, catalog, people


def district():
    """A site with two rooms, a category and model, a staff member and a student."""
    site = catalog.create_site("Riverside High School", code="RHS")
    other = catalog.create_site("Lincoln Middle School", code="LMS")
    r1 = catalog.create_location(site.id, "Room 12")
    r2 = catalog.create_location(site.id, "Library")
    r3 = catalog.create_location(other.id, "Room 5")
    cat = catalog.create_category("Chromebooks", "chromebook", life_years=4)
    model = catalog.create_model("Chromebook 3110", manufacturer="Dell", category_id=cat.id)
    staff = people.create(first_name="Ann", last_name="O'Brien", id_number="E100", kind="staff")
    student = people.create(first_name="Luis", last_name="Garcia", id_number="S2000001",
                            kind="student", language="es")
    return dict(site=site, other=other, r1=r1, r2=r2, r3=r3, cat=cat, model=model,
                staff=staff, student=student)


def asset(d, **kw):
    values = dict(model_id=d["model"].id, location_id=d["r1"].id, cost="299.00",
                  purchase_date="2024-08-15")
    values.update(kw)
    return assets.create(values)
