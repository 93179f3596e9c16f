"""What a device loan agreement says about its borrower and devices.

Gathered here from the database; reports/loan_agreement.py only draws it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from app.models import Asset, HardwareModel, Loan, Person
from app.services import settings
from app.store.db import rows as query_rows
from app.translations import words

# One lent device as the agreement lists it: (tag, device, serial, condition, due).
DeviceRow = tuple[str, str, str, str, str]


@dataclass
class Agreement:
    """One borrower's agreement: who, for whom, and the devices lent."""
    borrower: str
    id_number: str
    site: str
    kind: str                 # the person's kind (a guardian signs for students and families)
    language: str             # asked for, else the person's own; "" for none
    org: str                  # the district's name, as printed on the page
    rows: list[DeviceRow] = field(default_factory=list)


def agreement_rows(person_id: int, loan_ids: list[int] | None = None) -> list[DeviceRow]:
    """(tag, device, serial, condition, due) of the person's open loans (or the given loans)."""
    q = (Loan.select(Asset.tag, Asset.name, HardwareModel.name, Asset.serial, Loan.condition_out,
                     Loan.due)
         .join(Asset).join(HardwareModel, pw.JOIN.LEFT_OUTER,
                           on=(Asset.model == HardwareModel.id))
         .where(Loan.person == person_id))
    q = q.where(Loan.id.in_(loan_ids)) if loan_ids else q.where(Loan.returned_at.is_null())
    rows: list[DeviceRow] = []
    for tag, name, model, serial, cond, due in query_rows(q.order_by(Asset.tag)):
        rows.append((tag, device_label(name, model), serial or "", cond or "",
                     due.isoformat() if due else ""))
    return rows


def agreement_terms(lang: str) -> list[str]:
    """The agreement's numbered terms ({org} still to fill in) in one language,
    in the order of the words file (resources/translations/letters.toml): the
    agreement a borrower signs and the one sent home print the same terms."""
    t = words(lang)
    terms: list[str] = []
    n = 1
    while t.has(f"agreement_term_{n}"):
        terms.append(t(f"agreement_term_{n}"))
        n += 1
    return terms


def device_label(name: str | None, model: str | None) -> str:
    """How a lent device is named to its borrower: its model ("Chromebook 3110"),
    or its own name with the model when they differ."""
    if not name or name == model:
        return model or ""
    return f"{name} ({model})" if model else name


def gather(person_id: int, language: str | None = None,
           loan_ids: list[int] | None = None) -> Agreement:
    """The agreement of one person: their open loans, or the given loans."""
    person = Person.get_by_id(person_id)
    return Agreement(
        borrower=person.full_name, id_number=person.id_number or "",
        site=person.site.name if person.site else "", kind=person.kind or "",
        language=language or person.language or "", org=settings.get("org_name") or "",
        rows=agreement_rows(person_id, loan_ids))
