"""Letters home, one per family, in the family's language: gathered here from
the database, drawn by reports/letters.py (one PDF per batch, ready to fold
into a #10 window envelope) or written as a CSV for a mail merge.

Kinds, and which students each writes about (students and families of one
school, optionally one grade):

- ``not-returned``: devices still held by withdrawn students, or by students
  whose school has had a collection day since the device went out;
- ``fees``: fees still owed (the fee's amount less its payments);
- ``overdue``: loans past their due date;
- ``agreement``: the device loan agreement for what each student holds now,
  with its terms (the same terms as reports/loan_agreement.py).

One letter per family: students with the same ``household`` share one letter
listing each child's devices or fees; without a household, the same guardian
at the same address (or email, or phone) makes a family; otherwise a student
is a family alone. The letter is in the family's language (the one most of
its children's records give; on a tie, the one that is not English), English
when we have no words for it. Every sentence comes from
resources/translations/letters.toml (app.translations).

The mail-merge CSV has one row per family; its columns are ``CSV_COLUMNS``.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import peewee as pw

from app.cells import safe_cell
from app.models import Asset, HardwareModel, Loan, Person, Site
from app.models.program import Fee, FeePayment, ProgramEvent
from app.reporting.agreement import agreement_terms, device_label
from app.services import settings
from app.services.errors import ValidationError
from app.store.db import rows as query_rows
from app.translations import Words, money, words

KINDS = {
    "not-returned": "Devices not returned",
    "fees": "Fees owed",
    "overdue": "Devices overdue",
    "agreement": "Device loan agreement",
}
# Whom each kind writes to, in the words of the "nobody" message.
_NOBODY = {
    "not-returned": "no withdrawn student, and no student after a collection day, still holds a device",
    "fees": "no student owes a fee",
    "overdue": "no student holds a device past its due date",
    "agreement": "no student holds a device",
}
PERSON_KINDS = ("student", "family")  # who letters home are about (never staff)
RESPOND_DAYS = 14  # the default "return it by" / "sign and return by" day

CSV_COLUMNS = (
    ("family", "the household (or guardian) the letter is for"),
    ("language", "en or es: the language of the letter and of the text columns below"),
    ("guardian", "the guardian's name, or 'To the family of …' when there is none"),
    ("address_1", "mailing address, first line (street)"),
    ("address_2", "second line (city, state and ZIP, or apartment)"),
    ("address_3", "third line, if any"),
    ("address_4", "fourth line, if any"),
    ("guardian_email", "the guardian's email"),
    ("guardian_phone", "the guardian's phone"),
    ("greeting", "'Dear …,' / 'Estimado(a) …:'"),
    ("subject", "the letter's title"),
    ("body", "the letter's paragraphs, separated by blank lines"),
    ("students", "the children's names, separated by '; '"),
    ("student_ids", "their ID numbers, separated by '; '"),
    ("grades", "their grades, separated by '; '"),
    ("school", "the school the letter is from"),
    ("devices", "each device as 'TAG model (serial)', separated by '; '"),
    ("device_count", "how many devices the letter lists"),
    ("charges", "fees letters: each charge as 'what TAG: balance', separated by '; '"),
    ("total_value", "the devices' replacement value, e.g. 45.00"),
    ("amount_due", "fees owed less payments, e.g. 45.00"),
    ("respond_by", "the day to return, pay or sign by, in the letter's language"),
)


@dataclass
class Sender:
    """The district, as the letterhead prints it."""
    name: str
    address_lines: list[str]
    phone: str
    email: str
    logo: str | None


@dataclass
class Device:
    person_id: int
    tag: str
    model: str
    serial: str
    value: Decimal | None  # the model's replacement cost, else what the asset cost
    due: dt.date | None = None


@dataclass
class Charge:
    person_id: int
    what: str  # "Damage: screen" in the letter's language
    tag: str
    model: str
    incurred_on: dt.date | None
    amount: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        return self.amount - self.paid


@dataclass
class Child:
    person_id: int
    first_name: str
    last_name: str
    id_number: str
    grade: str
    language: str
    guardian: str
    address: str
    guardian_email: str
    guardian_phone: str
    household: str
    devices: list[Device] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Table:
    headings: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[float, ...]  # shares of the line
    right: tuple[int, ...] = ()  # columns aligned right (amounts)
    total: tuple[str, str] | None = None  # ("Amount due", "$45.00")


@dataclass
class Letter:
    """One family's letter, every word already in its language."""
    kind: str
    family: str
    language: str
    guardian: str
    address_lines: list[str]
    guardian_email: str
    guardian_phone: str
    children: list[Child]
    date_line: str
    greeting: str
    subject: str
    paragraphs: list[str]
    table: Table
    after: list[str]
    closing: str
    signoff: str
    terms_title: str = ""
    terms: list[str] = field(default_factory=list)
    signatures: list[tuple[str, str, str]] = field(default_factory=list)  # (signer, name, date)
    respond_by: str = ""
    page_of: str = ""  # "Page {page} of {pages}" in its language

    @property
    def devices(self) -> list[Device]:
        return [d for c in self.children for d in c.devices]

    @property
    def total_value(self) -> Decimal:
        return sum((d.value or Decimal(0) for d in self.devices), Decimal(0))

    @property
    def amount_due(self) -> Decimal:
        return sum((ch.balance for c in self.children for ch in c.charges), Decimal(0))


@dataclass
class Batch:
    kind: str
    site: str
    grade: str | None
    today: dt.date
    respond_by: dt.date
    sender: Sender
    letters: list[Letter]

    @property
    def without_address(self) -> list[Letter]:
        return [letter for letter in self.letters if not letter.address_lines]

    def summary(self) -> str:
        """'3 letters to 3 families of 6 students, 1 in Spanish'."""
        from app.wording import plural
        n = len(self.letters)
        students = sum(len(letter.children) for letter in self.letters)
        spanish = sum(1 for letter in self.letters if letter.language == "es")
        text = (f"{plural(n, 'letter')} to {plural(n, 'family', 'families')} of "
                f"{plural(students, 'student')}")
        return text + (f", {spanish} in Spanish" if spanish else "")

    def warnings(self) -> list[str]:
        """What the person mailing the letters must know: families with no
        address to mail to, a logo that cannot be read."""
        out = []
        missing = self.without_address
        if missing:
            names = ", ".join(" & ".join(c.name for c in letter.children)
                              for letter in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            from app.wording import plural
            have = "has" if len(missing) == 1 else "have"
            out.append(f"{plural(len(missing), 'letter')} {have} no mailing address "
                       f"(send them home with the students): {names}{more}")
        logo = self.sender.logo
        if logo and not Path(logo).is_file():
            out.append(f"the logo file {logo} is not there; the letters have no logo")
        return out


def sender() -> Sender:
    s = settings.get_all()
    return Sender(name=s.get("org_name") or "",
                  address_lines=[ln for ln in (s.get("org_address") or "").splitlines() if ln.strip()],
                  phone=s.get("org_phone") or "", email=s.get("org_email") or "",
                  logo=s.get("org_logo") or None)


def gather(kind: str, site: str, grade: str | None = None, today: dt.date | None = None,
           respond_by: dt.date | None = None,
           progress: Callable[[int, int, str], None] | None = None) -> Batch:
    """The batch of letters of one kind for one school (and grade). Refuses
    an unknown kind or school, and a batch with no family to write to."""
    if kind not in KINDS:
        raise ValidationError(f"Letters are {', '.join(KINDS)}; not {kind!r}.", field="kind")
    school = _site(site)
    grade = (grade or "").strip() or None
    from app.services.history import today as local_today
    today = today or local_today()
    respond_by = respond_by or today + dt.timedelta(days=RESPOND_DAYS)
    if respond_by < today:
        raise ValidationError("The day to answer by is in the past.", field="respond_by")
    children = _children(school.id, grade)
    if kind == "fees":
        _add_charges(children, school.id, grade)
    else:
        _add_devices(children, kind, school.id, grade, today)
    families = _families([c for c in children.values() if c.devices or c.charges])
    if not families:
        where = school.name + (f", grade {grade}" if grade else "")
        raise ValidationError(f"No families to write to: at {where} {_NOBODY[kind]}.")
    from_ = sender()
    letters = []
    for i, family in enumerate(families):
        letters.append(_letter(kind, family, school, from_, today, respond_by))
        if progress and i % 50 == 0:
            progress(i, len(families), f"{i:,} of {len(families):,} letters")
    return Batch(kind=kind, site=school.name, grade=grade, today=today, respond_by=respond_by,
                 sender=from_, letters=letters)


def grades(site: str | None) -> list[str]:
    """The grades of the school's students, for a grade drop-down."""
    school = _site(site) if site else None
    q = (Person.select(Person.grade).distinct()
         .where(Person.kind.in_(PERSON_KINDS), Person.grade.is_null(False), Person.grade != ""))
    if school is not None:
        q = q.where(Person.site == school.id)
    found: list[str] = [g for (g,) in query_rows(q)]
    return sorted(found, key=lambda g: (0, int(g)) if g.isdigit() else (1, g.casefold()))


def _site(text: str) -> Site:
    from app.services.catalog import find_site
    found = find_site(text or "")
    if found is None:
        raise ValidationError(f"No school or site is called {text!r}." if (text or "").strip()
                              else "Choose the school the letters are from.", field="site")
    return found


def _children(site_id: int, grade: str | None) -> dict[int, Child]:
    q = (Person.select(Person.id, Person.first_name, Person.last_name, Person.id_number,
                       Person.grade, Person.language, Person.guardian_name, Person.address,
                       Person.guardian_email, Person.guardian_phone, Person.household,
                       Person.kind, Person.email, Person.phone)
         .where(Person.kind.in_(PERSON_KINDS), Person.site == site_id))
    if grade:
        q = q.where(pw.fn.LOWER(Person.grade) == grade.lower())
    children: dict[int, Child] = {}
    for (pid, first, last, id_number, grade_, language, guardian, address, guardian_email,
         guardian_phone, household, kind, email, phone) in query_rows(q):
        child = Child(pid, first or "", last or "", id_number or "", grade_ or "", language or "",
                      guardian or "", address or "", guardian_email or "", guardian_phone or "",
                      household or "")
        if kind == "family":  # a family borrowing a hotspot writes for itself
            child.guardian = child.guardian or child.name
            child.guardian_email = child.guardian_email or email or ""
            child.guardian_phone = child.guardian_phone or phone or ""
        children[pid] = child
    return children


def _value(replacement: Decimal | None, cost: Decimal | None) -> Decimal | None:
    return replacement if replacement is not None else cost


def _add_devices(children: dict[int, Child], kind: str, site_id: int, grade: str | None,
                 today: dt.date) -> None:
    q = (Loan.select(Loan.person, Loan.out_at, Loan.due, Asset.tag, Asset.name, HardwareModel.name,
                     Asset.serial, HardwareModel.replacement_cost, Asset.cost,
                     Person.enrolment, Person.grade, Person.homeroom)
         .join(Asset)
         .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .switch(Loan).join(Person)
         .where(Loan.returned_at.is_null(), Person.kind.in_(PERSON_KINDS), Person.site == site_id))
    if grade:
        q = q.where(pw.fn.LOWER(Person.grade) == grade.lower())
    if kind == "overdue":
        q = q.where(Loan.due < today)
    collections = _collections(site_id) if kind == "not-returned" else []
    for (pid, out_at, due, tag, name, model, serial, replacement, cost, enrolment, g,
         homeroom) in query_rows(q.order_by(Asset.tag)):
        if kind == "not-returned" and enrolment != "withdrawn" and not any(
                _collected(event, out_at, g, homeroom) for event in collections):
            continue
        children[pid].devices.append(Device(pid, tag, device_label(name, model), serial or "",
                                            _value(replacement, cost), due))


# A collection day: (started, grade, homeroom); grade and homeroom None for all.
Collection = tuple[dt.datetime, str | None, str | None]


def _collections(site_id: int) -> list[Collection]:
    """The school's collection days: (started, grade, homeroom)."""
    return [(started, grade, homeroom) for started, grade, homeroom in query_rows(
        ProgramEvent.select(ProgramEvent.created_at, ProgramEvent.grade, ProgramEvent.homeroom)
        .where(ProgramEvent.kind == "collection", ProgramEvent.site == site_id))]


def _collected(event: Collection, out_at: dt.datetime, grade: str | None, homeroom: str | None) -> bool:
    """Whether a collection day called in this loan: it was for the student's
    grade and homeroom (or all of them) and began after the device went out."""
    started, ev_grade, ev_homeroom = event
    if ev_grade and (grade or "").lower() != ev_grade.lower():
        return False
    if ev_homeroom and (homeroom or "").lower() != ev_homeroom.lower():
        return False
    return started > out_at


def _add_charges(children: dict[int, Child], site_id: int, grade: str | None) -> None:
    paid = (FeePayment.select(FeePayment.fee.alias("fee_id"),
                              pw.fn.SUM(FeePayment.amount).alias("paid"))
            .group_by(FeePayment.fee).alias("paid_so_far"))
    q = (Fee.select(Fee.person, Fee.kind, Fee.part, Fee.description, Fee.incurred_on, Fee.amount,
                    paid.c.paid, Asset.tag, Asset.name, HardwareModel.name)
         .join(paid, pw.JOIN.LEFT_OUTER, on=(Fee.id == paid.c.fee_id))
         .switch(Fee).join(Asset, pw.JOIN.LEFT_OUTER, on=(Fee.asset == Asset.id))
         .join(HardwareModel, pw.JOIN.LEFT_OUTER, on=(Asset.model == HardwareModel.id))
         .switch(Fee).join(Person, on=(Fee.person == Person.id))
         .where(Fee.status == "owed", Person.kind.in_(PERSON_KINDS), Person.site == site_id))
    if grade:
        q = q.where(pw.fn.LOWER(Person.grade) == grade.lower())
    cent = Decimal("0.01")
    for pid, kind, part, description, incurred, amount, paid_sum, tag, name, model in \
            query_rows(q.order_by(Fee.incurred_on, Fee.id)):
        amount = Decimal(str(amount or 0)).quantize(cent)
        paid_sum = Decimal(str(paid_sum or 0)).quantize(cent)
        if amount - paid_sum <= 0:
            continue
        child = children[pid]
        child.charges.append(Charge(pid, _fee_what(words(child.language), kind, part, description),
                                    tag or "", device_label(name, model), incurred, amount,
                                    paid_sum))


def _fee_what(t: Words, kind: str | None, part: str | None, description: str | None) -> str:
    """'Damage: screen' / 'Daño: pantalla'; a part the words file does not
    know is printed as the price list names it."""
    what = t(f"fee_{kind}") if kind and t.has(f"fee_{kind}") else t("fee_other")
    if part:
        key = "part_" + re.sub(r"\W+", "_", part.strip().lower())
        what += ": " + (t(key) if t.has(key) else part.strip())
    elif description and kind == "other":
        what += ": " + description.strip()
    return what


# --- families ----------------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(re.sub(r"[.,#]", " ", text or "").casefold().split())


def family_key(c: Child) -> str:
    """Who shares a letter: the household; else the guardian at one address
    (or email, or phone); else the student alone."""
    if c.household.strip():
        return "household:" + _norm(c.household)
    reach = c.address or c.guardian_email or c.guardian_phone
    if c.guardian.strip() and reach.strip():
        return f"guardian:{_norm(c.guardian)}|{_norm(reach)}"
    return f"student:{c.person_id}"


def _families(children: list[Child]) -> list[list[Child]]:
    groups: dict[str, list[Child]] = {}
    for c in sorted(children, key=lambda c: (c.last_name.casefold(), c.first_name.casefold(),
                                             c.person_id)):
        groups.setdefault(family_key(c), []).append(c)
    return sorted(groups.values(), key=lambda g: (g[0].last_name.casefold(),
                                                  _first(g, "guardian").casefold(),
                                                  g[0].person_id))


def _first(children: list[Child], attr: str) -> str:
    """The value most of the children's records give (the first on a tie)."""
    values = [getattr(c, attr).strip() for c in children if getattr(c, attr).strip()]
    return Counter(values).most_common(1)[0][0] if values else ""


def family_language(children: list[Child]) -> str:
    votes = Counter(words(c.language).lang for c in children)
    best = max(votes.values())
    tied = [lang for lang, n in votes.items() if n == best]
    return next((lang for lang in tied if lang != "en"), "en")


def address_lines(address: str) -> list[str]:
    """The mailing address as the envelope's window shows it: its own lines,
    or a one-line "street, city, ST ZIP" split before the city."""
    lines = [ln.strip() for ln in (address or "").splitlines() if ln.strip()]
    if len(lines) == 1 and "," in lines[0]:
        parts = [p.strip() for p in lines[0].split(",")]
        if len(parts) >= 3:
            lines = [", ".join(parts[:-2]), f"{parts[-2]}, {parts[-1]}"]
        elif len(parts) == 2:
            lines = parts
    return lines[:4]


def _names(children: list[Child], t: Words) -> str:
    """'Luis, Ana y Sofía García' when they share a last name, else full names."""
    last = {c.last_name for c in children}
    if len(last) == 1 and len(children) > 1:
        return f"{t.join([c.first_name for c in children])} {children[0].last_name}".strip()
    return t.join([c.name for c in children])


# --- one letter --------------------------------------------------------------------------

def _letter(kind: str, children: list[Child], school: Site, from_: Sender, today: dt.date,
            respond_by: dt.date) -> Letter:
    lang = family_language(children)
    t = words(lang)
    names = _names(children, t)
    guardian = _first(children, "guardian")
    many_students = len(children) > 1
    your = t("your_student_many" if many_students else "your_student_one")
    devices = [d for c in children for d in c.devices]
    by = t.date(respond_by)
    paragraphs: list[str] = []
    after: list[str] = []
    letter = Letter(
        kind=kind, family=_first(children, "household") or guardian or names, language=lang,
        guardian=guardian or t("to_family_of", students=names),
        address_lines=address_lines(_first(children, "address")),
        guardian_email=_first(children, "guardian_email"),
        guardian_phone=_first(children, "guardian_phone"), children=children,
        date_line=t.date(today),
        greeting=t("dear_guardian", guardian=guardian) if guardian
        else t("dear_family", students=names),
        subject="", paragraphs=paragraphs, table=Table((), [], ()), after=after,
        closing=t("closing"), signoff=f"{t('signed_by')}\n{from_.name}", respond_by=by,
        page_of=t("page_of", page="{page}", pages="{pages}"))
    many = "many" if len(devices) > 1 else "one"
    if kind == "not-returned":
        letter.subject = t("not_returned_subject")
        paragraphs += [t(f"not_returned_intro_{many}", your_students=your), t("not_returned_why")]
        letter.table = _device_table(t, children, due=False)
        after += [t("return_by", school=school.name, date=by),
                  t(f"not_returned_value_{many}", amount=money(letter.total_value)),
                  t("not_returned_lost")]
    elif kind == "overdue":
        letter.subject = t("overdue_subject")
        dues = {d.due for d in devices}
        one_due = len(dues) == 1 and None not in dues
        intro = (t("overdue_intro_one", your_students=your, date=t.date(next(iter(dues))))
                 if many == "one" and one_due
                 else t("overdue_intro_many", your_students=your))
        paragraphs.append(intro)
        letter.table = _device_table(t, children, due=True)
        after += [t("return_by", school=school.name, date=by), t("overdue_more_time")]
    elif kind == "fees":
        letter.subject = t("fees_subject")
        paragraphs.append(t("fees_intro"))
        letter.table = _fee_table(t, children, letter.amount_due)
        after += [t("fees_pay", school=school.name), t("fees_plan")]
    else:
        letter.subject = t("agreement_title")
        received = t("agreement_received_many" if many_students else "agreement_received_one")
        paragraphs.append(t(f"agreement_intro_{many}", received=received, school=school.name,
                            date=by) + " " + t("agreement_keep"))
        letter.table = _device_table(t, children, due=False)
        letter.terms_title = t("agreement_terms_title")
        letter.terms = [term.format(org=from_.name) for term in agreement_terms(lang)]
        letter.signatures = ([(t("agreement_sign_guardian"), t("agreement_printed"),
                               t("agreement_sign_date"))]
                             + [(t("agreement_sign_student", name=c.name), "",
                                 t("agreement_sign_date")) for c in children])
    after.append(_contact(t, from_))
    if kind != "agreement":  # the agreement's page is full: terms and signatures
        after.append(t("thanks"))
    return letter


def _contact(t: Words, from_: Sender) -> str:
    if from_.phone and from_.email:
        return t("contact_phone_email", phone=from_.phone, email=from_.email)
    if from_.phone:
        return t("contact_phone", phone=from_.phone)
    if from_.email:
        return t("contact_email", email=from_.email)
    return t("contact_office")


def _student_cell(t: Words, c: Child) -> str:
    bits = [t("student_id", id=c.id_number) if c.id_number else "",
            t("grade", grade=c.grade) if c.grade else ""]
    extra = " · ".join(b for b in bits if b)
    return f"{c.name}\n{extra}" if extra else c.name


def _device_table(t: Words, children: list[Child], due: bool) -> Table:
    rows = []
    for c in children:
        for d in c.devices:
            row = [_student_cell(t, c), d.model, d.tag, d.serial]
            if due:
                row.append(t.date(d.due))
            row.append(money(d.value) if d.value is not None else "")
            rows.append(tuple(row))
    heads = [t("col_student"), t("col_device"), t("col_tag"), t("col_serial")]
    widths = [2.3, 1.8, 1.1, 1.4]
    if due:
        heads.append(t("col_due"))
        widths.append(1.3)
    heads.append(t("col_value"))
    widths.append(0.9)
    total_value = sum((d.value or Decimal(0) for c in children for d in c.devices), Decimal(0))
    return Table(tuple(heads), rows, tuple(widths), right=(len(heads) - 1,),
                 total=(t("total_value"), money(total_value)))


def _fee_table(t: Words, children: list[Child], due: Decimal) -> Table:
    rows = []
    for c in children:
        for ch in c.charges:
            device = " ".join(x for x in (ch.tag, ch.model) if x)
            rows.append((_student_cell(t, c), ch.what, device, t.date(ch.incurred_on),
                         money(ch.amount), money(ch.paid), money(ch.balance)))
    heads = (t("col_student"), t("col_charge"), t("col_device"), t("col_date"),
             t("col_amount"), t("col_paid"), t("col_balance"))
    return Table(heads, rows, (2.3, 1.6, 1.6, 1.4, 0.85, 0.85, 0.85), right=(4, 5, 6),
                 total=(t("amount_due"), money(due)))


# --- the mail-merge CSV ------------------------------------------------------------------

def csv_row(letter: Letter, school: str) -> dict[str, str]:
    addr = letter.address_lines + [""] * 4
    devices = letter.devices
    body = "\n\n".join(letter.paragraphs + letter.after)
    return {
        "family": letter.family, "language": letter.language, "guardian": letter.guardian,
        "address_1": addr[0], "address_2": addr[1], "address_3": addr[2], "address_4": addr[3],
        "guardian_email": letter.guardian_email, "guardian_phone": letter.guardian_phone,
        "greeting": letter.greeting, "subject": letter.subject, "body": body,
        "students": "; ".join(c.name for c in letter.children),
        "student_ids": "; ".join(c.id_number for c in letter.children),
        "grades": "; ".join(c.grade for c in letter.children),
        "school": school,
        "devices": "; ".join(f"{d.tag} {d.model}" + (f" ({d.serial})" if d.serial else "")
                             for d in devices),
        "device_count": str(len(devices)),
        "charges": "; ".join(f"{ch.what} {ch.tag}: {money(ch.balance)}".replace(" :", ":")
                             for c in letter.children for ch in c.charges),
        "total_value": f"{letter.total_value:.2f}",
        "amount_due": f"{letter.amount_due:.2f}",
        "respond_by": letter.respond_by,
    }


def write_csv(batch: Batch, path: str | os.PathLike[str]) -> Path:
    """One row per family (the letters of the PDF, in the same order);
    written whole or not at all."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow([name for name, _ in CSV_COLUMNS])
            for letter in batch.letters:
                row = csv_row(letter, batch.site)
                w.writerow([safe_cell(row[name]) for name, _ in CSV_COLUMNS])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
