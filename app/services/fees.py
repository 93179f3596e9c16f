"""Damage and missing-part fees: what a return costs, and what was paid.

The price list (app.services.prices) says what a part costs; this module turns
a damaged or incomplete return into fees, applying the district's rules in
Settings:

* first-incident forgiveness: a student's first incident (per school year, the
  fiscal year, or ever) is forgiven — the fees are recorded, waived, so the
  next incident is charged;
* insurance: a student whose ``insured_through`` reaches the day of the
  incident pays at most the deductible for it (damage and a lost device; a
  missing charger or case is not an insurance claim), or nothing when the
  policy covers fully.

Fees are owed, paid (payments recorded, not processed, each with a sequential
receipt number R-YEAR-NNNNNN) or waived with a reason.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

import peewee as pw

from app.models import Asset, Fee, FeePayment, Loan, Person, ProgramEvent, Setting, Site
from app.models.program import DAMAGE_KINDS, FEE_KINDS, FEE_STATUSES
from app.reporting.fiscal import fiscal_year_bounds, fiscal_year_of
from app.services import history, prices, settings
from app.services.base import fetch, fetch_numbered, locked, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_date, parse_money
from app.store.db import rows as query_rows

ENTITY = "fee"
ZERO = Decimal("0.00")
PAY_METHODS = {"cash": "Cash", "check": "Check", "card": "Card", "online": "Online",
               "other": "Other"}
FORGIVE_SCOPES = {"school_year": "Once per student per school year", "ever": "Once per student"}
INSURANCE_MODES = {"off": "No insurance", "deductible": "Insured pays the deductible",
                   "full": "Insured pays nothing"}
# Kinds that are an insurance claim (a missing charger is not).
INSURED_KINDS = ("damage", "lost")


@dataclass
class Proposal:
    """One fee a return would cost, before it is created."""

    kind: str  # FEE_KINDS
    part: str
    description: str
    list_amount: Decimal | None  # the price list's amount (None: no price set)
    amount: Decimal | None  # what is charged after forgiveness and insurance
    status: str  # owed / waived; "unpriced" (no fee can be made), "charged" (already a fee)
    forgiven: bool = False
    insured: bool = False
    reason: str | None = None  # why it is waived or reduced

    @property
    def label(self) -> str:
        return FEE_KINDS.get(self.kind, self.kind)


# --- reading ----------------------------------------------------------------------

def get(fee_id: int | str) -> Fee:
    return fetch_numbered(Fee, fee_id, "fee")


def paid_amount(fee_id: int) -> Decimal:
    total = (FeePayment.select(pw.fn.COALESCE(pw.fn.SUM(FeePayment.amount), 0))
             .where(FeePayment.fee == fee_id).scalar())
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def balance(fee: Fee) -> Decimal:
    """What is still owed (0 for a waived or paid fee)."""
    if fee.status != "owed":
        return ZERO
    return max(fee.amount - paid_amount(fee.id), ZERO)


def payments(fee_id: int) -> list[FeePayment]:
    return list(FeePayment.select().where(FeePayment.fee == fee_id).order_by(FeePayment.id))


def for_person(person_id: int) -> list[Fee]:
    return list(Fee.select().where(Fee.person == person_id).order_by(Fee.incurred_on, Fee.id))


def for_loan(loan_id: int) -> list[Fee]:
    return list(Fee.select().where(Fee.loan == loan_id).order_by(Fee.id))


def owed_by(person_id: int) -> Decimal:
    """What a student still owes in all (letters home, the People page)."""
    fees = Fee.select().where((Fee.person == person_id) & (Fee.status == "owed"))
    return sum((balance(f) for f in fees), ZERO)


# --- rules --------------------------------------------------------------------------

class Rules(TypedDict):
    """The district's forgiveness and insurance settings (Settings → Fees)."""

    forgive_first: bool
    forgive_scope: str  # FORGIVE_SCOPES
    forgive_parts: bool
    insurance: str  # INSURANCE_MODES
    deductible: Decimal


def rules() -> Rules:
    """The forgiveness and insurance settings, typed."""
    s = settings.get_all()
    return {
        "forgive_first": bool(s.get("fees_forgive_first")),
        "forgive_scope": s.get("fees_forgive_scope") or "school_year",
        "forgive_parts": bool(s.get("fees_forgive_parts")),
        "insurance": s.get("fees_insurance") or "off",
        "deductible": Decimal(str(s.get("fees_insurance_deductible") or "0")),
    }


def _counted_kinds(r: Rules) -> list[str]:
    """The fee kinds that make an incident (and that forgiveness forgives)."""
    return ["damage", "lost"] + (["missing_part"] if r["forgive_parts"] else [])


def _earlier_incident(person_id: int, day: dt.date, loan_id: int | None, r: Rules) -> bool:
    q = Fee.select().where((Fee.person == person_id) & Fee.kind.in_(_counted_kinds(r)))
    if loan_id:
        q = q.where(Fee.loan.is_null() | (Fee.loan != loan_id))
    if r["forgive_scope"] == "school_year":
        first, last = fiscal_year_bounds(fiscal_year_of(day))
        q = q.where(Fee.incurred_on.between(first, last))
    return q.exists()


def _apply_rules(person: Person, day: dt.date, items: list[Proposal], loan_id: int | None) -> None:
    """Forgiveness first (a free pass beats a deductible), then insurance."""
    r = rules()
    priced = [(p, p.list_amount) for p in items if p.list_amount is not None]
    for p, listed in priced:
        p.amount, p.status = listed, "owed"
    if r["forgive_first"] and not _earlier_incident(person.id, day, loan_id, r):
        scope = "this school year" if r["forgive_scope"] == "school_year" else "ever"
        for p, _listed in priced:
            if p.kind in _counted_kinds(r):
                p.amount, p.status, p.forgiven = ZERO, "waived", True
                p.reason = f"First incident {scope}: forgiven"
    through = person.insured_through
    if through is None or through < day or r["insurance"] == "off":
        return
    claims = [(p, listed) for p, listed in priced if p.kind in INSURED_KINDS and not p.forgiven]
    if r["insurance"] == "full":
        for p, _listed in claims:
            p.amount, p.status, p.insured = ZERO, "waived", True
            p.reason = f"Covered by device insurance (through {through.isoformat()})"
        return
    # The deductible is per incident: what this return already paid towards it counts.
    already = ZERO
    if loan_id:
        already = Decimal(str(Fee.select(pw.fn.COALESCE(pw.fn.SUM(Fee.amount), 0)).where(
            (Fee.loan == loan_id) & (Fee.insured == True)).scalar() or 0))  # noqa: E712
    left = max(r["deductible"] - already, ZERO)
    for p, listed in claims:
        share = min(listed, left)
        left -= share
        p.insured = True
        p.amount = share
        if share == ZERO:
            p.status = "waived"
            p.reason = "Covered by device insurance (deductible already charged)"
        elif share < listed:
            p.reason = f"Insured: the deductible ({r['deductible']:.2f}) instead of {listed:.2f}"


def _incident_day(loan: Loan) -> dt.date:
    if loan.returned_at:
        at = loan.returned_at if isinstance(loan.returned_at, dt.datetime) else \
            dt.datetime.fromisoformat(str(loan.returned_at))
        return history.local_day(at)
    return history.today()


def _item(kind: str, part: str, model_id: int | None, quantity: int = 1) -> Proposal:
    unit = prices.price_for(part, model_id)
    amount = unit * quantity if unit is not None else None
    if kind == "damage":
        text = f"{DAMAGE_KINDS.get(part, part)} damage"
    elif kind == "lost":
        text = "Device not returned (replacement)"
    elif kind == "missing_part":
        # "Missing charger" (a part named "Charger"), but "Missing USB-C cable".
        word = part[:1].lower() + part[1:] if part[1:2].islower() else part
        text = f"Missing {word}" + (f" ×{quantity}" if quantity > 1 else "")
    else:
        text = part
    return Proposal(kind=kind, part=part, description=text, list_amount=amount, amount=None,
                    status="unpriced" if amount is None else "owed")


def propose(loan_id: int, damage: list[str] | None = None,
            missing_parts: list[str] | None = None) -> list[Proposal]:
    """The fees a return of this loan costs, not yet created: for the check-in
    dialog to show before confirming (pass the damage ticked and the parts not
    returned) and for ``charge_for_return`` (the loan's stored damage and missing
    parts). Parts this loan was already charged for are left out; a loan to a
    room or cart costs nobody anything."""
    from app.services import assets, kits
    loan = fetch(Loan, loan_id, "No loan with id {id}.")
    if not loan.person_id:
        return []
    damage = assets.clean_damage(damage if damage is not None else loan.damage)
    parts = {p.name: p.quantity for p in kits.loan_parts(loan.id)}
    if missing_parts is not None:
        missing = kits.match_missing(loan.id, missing_parts)
    else:
        missing = [p.name for p in kits.loan_parts(loan.id) if p.state == "missing"]
    done = {(f.kind, (f.part or "").lower()): f.id for f in for_loan(loan.id)}
    model_id = Asset.select(Asset.model).where(Asset.id == loan.asset_id).scalar()
    wanted = [("damage", k, 1) for k in damage]
    wanted += [("missing_part", name, parts.get(name, 1)) for name in missing]
    items: list[Proposal] = []
    charged: list[Proposal] = []
    for kind, part, qty in wanted:
        item = _item(kind, part, model_id, qty)
        fee_id = done.get((kind, part.lower()))
        if fee_id is None:
            items.append(item)
        else:  # shown, not charged twice
            item.status, item.amount, item.reason = "charged", None, f"already charged (fee #{fee_id})"
            charged.append(item)
    if loan.person is None:  # person_id is set (checked above); this narrows the type
        raise NotFound(f"No person with id {loan.person_id}.")
    _apply_rules(loan.person, _incident_day(loan), items, loan.id)
    return items + charged


# --- writing ------------------------------------------------------------------------

def _create(person_id: int, p: Proposal, *, asset_id: int | None, loan_id: int | None,
            event_id: int | None, day: dt.date, by: str | None) -> Fee:
    fee = Fee.create(person=person_id, asset=asset_id, loan=loan_id, event=event_id,
                     kind=p.kind, part=p.part, description=p.description, amount=p.amount,
                     list_amount=p.list_amount, status=p.status,
                     waived_reason=p.reason if p.status == "waived" else None,
                     forgiven=p.forgiven, insured=p.insured, incurred_on=day,
                     created_by=who(by))
    note = p.description + (f" — {p.reason}" if p.reason else "")
    history.record(ENTITY, fee.id, "create", field="amount", new=p.amount, by=by, note=note,
                   effective=day)
    if p.status == "waived":
        history.record(ENTITY, fee.id, "waive", field="status", old="owed", new="waived",
                       by=by, note=p.reason, effective=day)
    if asset_id:
        history.record("asset", asset_id, "fee", new=f"fee #{fee.id} {p.amount:.2f}", by=by,
                       note=note, effective=day)
    return fee


@writes
def charge_for_return(loan_id: int, *, event_id: int | None = None,
                      by: str | None = None) -> list[Fee]:
    """Create the fees a damaged or incomplete return costs (price list,
    first-incident forgiveness, insurance): owed, or waived when forgiven or
    covered. Returns the fees created now; a second call creates nothing for
    what was already charged. Damage or a part with no price makes no fee
    (``propose`` shows it as unpriced; `fees charge --amount` charges it)."""
    loan = locked(Loan.select().where(Loan.id == loan_id)).get_or_none()
    if loan is None:
        raise NotFound(f"No loan with id {loan_id}.")
    if loan.returned_at is None:
        raise Conflict("The device is still checked out: check it in (with its damage and "
                       "missing parts) before charging for the return.")
    if event_id is not None and not ProgramEvent.select().where(ProgramEvent.id == event_id).exists():
        raise NotFound(f"No event #{event_id}.")
    day = _incident_day(loan)
    created: list[Fee] = []
    if loan.person_id is None:  # a loan to a room costs nobody anything (propose: none)
        return created
    for p in propose(loan.id):
        if p.status in ("unpriced", "charged"):
            continue
        created.append(_create(loan.person_id, p, asset_id=loan.asset_id, loan_id=loan.id,
                               event_id=event_id, day=day, by=by))
    return created


@writes
def check_in_and_charge(asset_id: int, *, condition: str | None = None,
                        damage: list[str] | None = None, missing_parts: list[str] | None = None,
                        charge: bool = True, event_id: int | None = None,
                        by: str | None = None) -> tuple[Loan | None, list[Fee]]:
    """Check a device in with the damage found and the kit parts not returned,
    and (``charge``) create the fees that return costs — one transaction, so
    a refused fee leaves the device out, as it was."""
    from app.services import assets
    loan = assets.check_in(asset_id, condition=condition, damage=damage,
                           missing_parts=missing_parts, by=by)
    made = charge_for_return(loan.id, event_id=event_id, by=by) if (loan and charge) else []
    return loan, made


def kind_of_part(part: str, model_id: int | None) -> tuple[str, str]:
    """(fee kind, the part as stored) for a part named by a person: "device"
    is a lost device, a damage kind (key or label) is damage, a kit part of the
    model or a priced part is a missing part; anything else is "other"."""
    text = clean_text(part, "part", 100, required=True)
    key = text.lower()
    if key == "device":
        return "lost", "device"
    labels = {v.lower(): k for k, v in DAMAGE_KINDS.items()}
    if key in DAMAGE_KINDS or key in labels:
        return "damage", key if key in DAMAGE_KINDS else labels[key]
    known = prices.part_names(model_id)
    for name in known:
        if name.lower() == key:
            return "missing_part", name
    return "other", text


@writes
def charge(person_id: int, part: str, amount: object = None, *, asset_id: int | None = None,
           loan_id: int | None = None, description: str | None = None,
           day: dt.date | str | None = None, by: str | None = None) -> Fee:
    """A fee charged by hand (a lost device, a charger reported missing
    later). Without ``amount`` the price list's amount applies, with
    forgiveness and insurance as for a return; an amount given is charged as
    given."""
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    asset = Asset.get_or_none(Asset.id == asset_id) if asset_id else None
    if asset_id and asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    incurred = parse_date(day, "incurred_on") or history.today()
    if incurred > history.today():
        raise ValidationError("A fee cannot be incurred after today.", field="incurred_on")
    model_id = asset.model_id if asset else None
    kind, stored = kind_of_part(part, model_id)
    given = parse_money(amount, "amount") if amount not in (None, "") else None
    if given == ZERO:
        raise ValidationError("A fee of 0.00 is no fee.", field="amount")
    if given is None and kind == "other":
        raise ValidationError(f"“{stored}” is not a damage kind, a kit part or on the price "
                              "list: give the amount (--amount).", field="amount")
    p = _item(kind, stored, model_id)
    if given is not None:
        p.list_amount, p.amount, p.status = given, given, "owed"
    elif p.list_amount is None:
        where = f" for {asset.model.name}" if asset and asset.model is not None else ""
        raise ValidationError(f"The price list has no price for “{stored}”{where}: give the "
                              "amount (--amount), or set a price (fees price set).",
                              field="amount")
    else:
        # A fee charged by hand is an incident of its own, even on a loan still out.
        _apply_rules(person, incurred, [p], None)
    p.description = clean_text(description, "description", 500) or p.description
    return _create(person.id, p, asset_id=asset.id if asset else None, loan_id=loan_id,
                   event_id=None, day=incurred, by=by)


def _next_receipt(year: int) -> str:
    """The next receipt number of the year, R-2026-000123: sequential and
    unique. The counter row is locked (PostgreSQL) so two desks paying at once
    wait for each other instead of taking the same number."""
    key = f"fees_receipt_last_{year}"
    Setting.insert(key=key, value=0).on_conflict_ignore().execute()
    last = locked(Setting.select(Setting.value).where(Setting.key == key)).scalar() or 0
    # Never below a number already issued (a restored counter, an import).
    issued = (FeePayment.select(pw.fn.MAX(FeePayment.receipt))
              .where(FeePayment.receipt.startswith(f"R-{year}-")).scalar())
    if issued:
        last = max(int(last), int(issued.rsplit("-", 1)[1]))
    number = int(last) + 1
    settings.set_raw(key, number)
    return f"R-{year}-{number:06d}"


def _lock(fee_id: int | str) -> Fee:
    fee = get(fee_id)
    row = locked(Fee.select().where(Fee.id == fee.id)).get_or_none()
    if row is None:  # deleted between the two reads
        raise NotFound(f"No fee #{fee.id}.")
    return row


@writes
def pay(fee_id: int | str, amount: object, *, method: str = "cash",
        reference: str | None = None, paid_on: dt.date | str | None = None, by: str | None = None) -> FeePayment:
    """Record a payment (all or part of what is owed). Returns the payment with
    its receipt number; the fee becomes paid when nothing is left."""
    fee = _lock(fee_id)
    if fee.status != "owed":
        raise Conflict(f"Fee #{fee.id} is {FEE_STATUSES[fee.status].lower()}; nothing is owed.")
    value = parse_money(amount, "amount")
    if value is None or value <= 0:
        raise ValidationError("Give the amount paid (more than 0.00).", field="amount")
    left = balance(fee)
    if value > left:
        raise ValidationError(f"Fee #{fee.id} has {left:.2f} left to pay; {value:.2f} is more "
                              "than that.", field="amount")
    key = (method or "cash").strip().lower()
    if key not in PAY_METHODS:
        raise ValidationError(f"Unknown payment method {method!r}: use one of "
                              f"{', '.join(PAY_METHODS)}.", field="method")
    day = parse_date(paid_on, "paid_on") or history.today()
    if day > history.today():
        raise ValidationError("A payment cannot be dated after today.", field="paid_on")
    payment = FeePayment.create(fee=fee.id, amount=value, paid_on=day, method=key,
                                reference=clean_text(reference, "reference", 100),
                                receipt=_next_receipt(day.year), by=who(by))
    history.record(ENTITY, fee.id, "payment", field="paid", new=value, by=by,
                   note=f"receipt {payment.receipt}, {PAY_METHODS[key].lower()}"
                        + (f" {payment.reference}" if payment.reference else ""), effective=day)
    if value == left:
        Fee.update(status="paid", version=Fee.version + 1).where(Fee.id == fee.id).execute()
        history.record(ENTITY, fee.id, "paid", field="status", old="owed", new="paid", by=by,
                       effective=day)
    return payment


@writes
def waive(fee_id: int | str, why: str, by: str | None = None) -> Fee:
    """Waive what is left of an owed fee; the reason is required (and kept)."""
    fee = _lock(fee_id)
    reason = clean_text(why, "reason", 500)
    if not reason:
        raise ValidationError("Say why the fee is waived (a reason is required).", field="reason")
    if fee.status != "owed":
        raise Conflict(f"Fee #{fee.id} is already {FEE_STATUSES[fee.status].lower()}.")
    Fee.update(status="waived", waived_reason=reason, version=Fee.version + 1) \
        .where(Fee.id == fee.id).execute()
    history.record(ENTITY, fee.id, "waive", field="status", old="owed", new="waived", by=by,
                   note=reason)
    return get(fee.id)


# --- finding who is charged -----------------------------------------------------------

def resolve_target(text: str) -> tuple[Person, Asset | None, Loan | None]:
    """A scanned or typed asset tag or student ID → (student, device, loan):
    an asset's holder (or its last borrower); a student's one device out."""
    from app.services import assets
    text = (text or "").strip()
    asset_id = assets.lookup_tag(text) if text else None
    if asset_id:
        a = Asset.get_by_id(asset_id)
        loan = (Loan.select().where((Loan.asset == a.id) & Loan.person.is_null(False))
                .order_by(Loan.returned_at.is_null(False), Loan.out_at.desc(), Loan.id.desc())
                .get_or_none())
        person_id = a.assigned_person_id or (loan.person_id if loan else None)
        if not person_id:
            raise NotFound(f"Asset {a.tag} has never been lent to a person: name the student.")
        if loan and loan.person_id != person_id:
            loan = None
        return Person.get_by_id(person_id), a, loan
    from app.services import people
    person = people.find(text) if text else None  # ID number (any case), email, "First Last"
    if person is None:
        raise NotFound(f"“{text}” is neither an asset tag nor a student ID.")
    out = list(Loan.select().where((Loan.person == person.id) & Loan.returned_at.is_null()))
    if len(out) == 1:
        return person, Asset.get_by_id(out[0].asset_id), out[0]
    return person, None, None


def find_owed(text: str) -> Fee:
    """A fee by its number (``12`` or ``#12``), or by a student ID or device tag
    that owes exactly one fee (the office scans the student's card)."""
    text = (text or "").strip()
    if text.lstrip("#").isdigit():
        return get(text)
    person, asset, _loan = resolve_target(text)
    q = Fee.select().where((Fee.person == person.id) & (Fee.status == "owed"))
    if asset is not None and text.upper() != (person.id_number or "").upper():
        q = q.where(Fee.asset == asset.id)
    owed = list(q.order_by(Fee.id))
    if not owed:
        raise NotFound(f"{person.full_name} owes no fee" + (f" for {asset.tag}." if asset and
                       text.upper() != (person.id_number or "").upper() else "."))
    if len(owed) > 1:
        raise ValidationError(f"{person.full_name} owes {len(owed)} fees "
                              f"({', '.join('#' + str(f.id) for f in owed)}): give the fee number.",
                              field="fee")
    return owed[0]


# --- lists ----------------------------------------------------------------------------

class FeeRow(TypedDict):
    """A fee as the Fees page, the CLI, the CSV and the outstanding-fees report list it."""

    id: int
    incurred_on: dt.date
    student: str
    student_id: str
    grade: str
    site: str
    asset: str
    kind: str  # its label
    part: str
    description: str
    list_amount: Decimal | None
    amount: Decimal
    paid: Decimal
    balance: Decimal
    status: str  # its label
    status_key: str
    reason: str
    forgiven: bool
    insured: bool


class Receipt(TypedDict):
    """Everything a printed receipt shows (reports.fee_receipt draws it)."""

    org_name: str | None
    org_logo: str | None
    receipt: str
    paid_on: dt.date
    amount: Decimal
    method: str
    reference: str | None
    received_by: str | None
    fee_id: int
    description: str
    part: str | None
    kind: str
    incurred_on: dt.date
    fee_amount: Decimal
    paid_to_date: Decimal
    balance: Decimal
    student: str
    student_id: str | None
    grade: str | None
    school: str | None
    guardian: str | None
    asset: str | None
    asset_name: str | None


def rows(status: str | None = None, site: str | None = None, person_id: int | None = None,
         owed_only: bool = False) -> list[FeeRow]:
    """Fees as the CLI and the CSV list them, newest first."""
    q = _listing_query()
    if owed_only:
        status = "owed"
    if status:
        if status not in FEE_STATUSES:
            raise ValidationError(f"Unknown fee status {status!r}: use one of "
                                  f"{', '.join(FEE_STATUSES)}.", field="status")
        q = q.where(Fee.status == status)
    if site:
        from app.services import catalog
        s = catalog.find_site(site)
        if s is None:
            raise NotFound(f"No site called {site}.")
        q = q.where(pw.fn.COALESCE(Person.site, Asset.site) == s.id)
    if person_id:
        q = q.where(Fee.person == person_id)
    paid: dict[int, object] = dict(query_rows(FeePayment.select(FeePayment.fee,
                                                                 pw.fn.SUM(FeePayment.amount))
                                              .group_by(FeePayment.fee)))
    out: list[FeeRow] = []
    for fee in q.order_by(Fee.incurred_on.desc(), Fee.id.desc()):
        got = Decimal(str(paid.get(fee.id) or 0)).quantize(Decimal("0.01"))
        out.append(row_of(fee, got))
    return out


def _listing_query() -> pw.ModelSelect[Fee]:
    return (Fee.select(Fee, Person, Asset, Site)
            .join_from(Fee, Person, on=(Fee.person == Person.id))
            .join_from(Fee, Asset, pw.JOIN.LEFT_OUTER, on=(Fee.asset == Asset.id))
            .join_from(Person, Site, pw.JOIN.LEFT_OUTER, on=(Person.site == Site.id)))


def row_of(fee: Fee, paid: Decimal) -> FeeRow:
    person = fee.person
    return {
        "id": fee.id, "incurred_on": fee.incurred_on, "student": person.full_name,
        "student_id": person.id_number or "", "grade": person.grade or "",
        "site": school_of(fee),
        "asset": fee.asset.tag if fee.asset is not None else "",
        "kind": FEE_KINDS.get(fee.kind, fee.kind), "part": fee.part or "",
        "description": fee.description or "", "list_amount": fee.list_amount,
        "amount": fee.amount, "paid": paid,
        "balance": max(fee.amount - paid, ZERO) if fee.status == "owed" else ZERO,
        "status": FEE_STATUSES.get(fee.status, fee.status), "status_key": fee.status,
        "reason": fee.waived_reason or "", "forgiven": fee.forgiven, "insured": fee.insured,
    }


def school_of(fee: Fee) -> str:
    """The student's school, else the device's site (as the Fees page shows it)."""
    if fee.person.site is not None:
        return fee.person.site.name
    if fee.asset is not None and fee.asset.site is not None:
        return fee.asset.site.name
    return ""


def receipt(number: str) -> Receipt:
    """Everything a printed receipt shows, by receipt number."""
    payment = FeePayment.get_or_none(FeePayment.receipt == (number or "").strip().upper())
    if payment is None:
        raise NotFound(f"No receipt {number}.")
    fee = payment.fee
    person, asset = fee.person, fee.asset
    earlier = (FeePayment.select(pw.fn.COALESCE(pw.fn.SUM(FeePayment.amount), 0))
               .where((FeePayment.fee == fee.id) & (FeePayment.id <= payment.id)).scalar())
    paid_to_date = Decimal(str(earlier or 0)).quantize(Decimal("0.01"))
    s = settings.get_all()
    return {
        "org_name": s.get("org_name"), "org_logo": s.get("org_logo"),
        "receipt": payment.receipt, "paid_on": payment.paid_on, "amount": payment.amount,
        "method": PAY_METHODS.get(payment.method, payment.method), "reference": payment.reference,
        "received_by": payment.by,
        "fee_id": fee.id, "description": fee.description or "", "part": fee.part,
        "kind": FEE_KINDS.get(fee.kind, fee.kind), "incurred_on": fee.incurred_on,
        "fee_amount": fee.amount, "paid_to_date": paid_to_date,
        "balance": max(fee.amount - paid_to_date, ZERO),
        "student": person.full_name, "student_id": person.id_number,
        "grade": person.grade, "school": school_of(fee) or None,
        "guardian": person.guardian_name,
        "asset": asset.tag if asset is not None else None,
        "asset_name": (asset.name or (asset.model.name if asset.model is not None else None))
        if asset is not None else None,
    }


def last_receipt(fee_id: int) -> str | None:
    number: str | None = (FeePayment.select(FeePayment.receipt).where(FeePayment.fee == fee_id)
                          .order_by(FeePayment.id.desc()).scalar())
    return number
