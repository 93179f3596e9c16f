"""The loaner pool of the 1:1 device program, and the loaner swap.

A loaner is an ordinary asset flagged ``loaner`` (schema step 11): a few
Chromebooks per school kept ready for students whose own device is broken.
A *swap* does, in one transaction, what a technician does at the desk:

1. the student's device is checked in and goes to repair (a Repair opened
   with the problem, the device's status "in repair");
2. a free loaner of the device's school (or the one scanned) is checked out
   to the same student, with its kit.

When the repair comes back — the repair is closed, or ``reverse`` is called —
the swap reverses: the loaner is checked in, the repaired device goes back out
to the student, and the swap is closed. Every step goes through
``assets.check_out`` / ``check_in`` and ``repairs``, so their rules, effective
dates and history apply; the swap adds a "Loaner swap" entry to both assets
and to the student.
"""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

import peewee as pw

from app.models import Asset, Loan, LoanerSwap, Person, Repair, Site, Supplier
from app.models.common import INACTIVE_STATUSES, OPEN_REPAIR_STATUSES, utcnow
from app.services import assets, history, repairs
from app.services.base import fetch, locked, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text
from app.store.db import db, rows as query_rows
from app.wording import status_label

SWAP_STATUSES = {"open": "Open", "reversed": "Ended"}
# A loaner is free to lend when it is ready (not pending, in repair, missing…)
# and nobody holds it.
FREE_STATUS = "ready"


# --- the pool -----------------------------------------------------------------------

@writes
def set_loaner(asset_ids: list[int], on: bool = True, by: str | None = None) -> list[str]:
    """Put assets in the loaner pool (or take them out); the tags changed, in
    order. A retired or disposed asset does not join the pool, and a loaner
    lent in an open swap stays in it until the swap ends."""
    changed: list[str] = []
    for asset_id in dict.fromkeys(int(i) for i in asset_ids):
        asset = assets.lock(asset_id)
        if bool(asset.loaner) == bool(on):
            continue
        if on and asset.status in INACTIVE_STATUSES:
            raise Conflict(f"Asset {asset.tag} is {status_label(asset.status).lower()}; it cannot "
                           "join the loaner pool.")
        if not on:
            swap = _open_swap_with(asset.id)
            if swap is not None and swap.loaner_id == asset.id:
                raise Conflict(f"Asset {asset.tag} is lent in loaner swap {swap.id}; end the swap "
                               "before taking it out of the loaner pool.")
        assets.update(asset.id, {"loaner": bool(on)}, by=by)
        changed.append(asset.tag)
    return changed


def _free_query(site_id: int | None) -> pw.ModelSelect[Asset]:
    open_loans = Loan.select(Loan.id).where((Loan.asset == Asset.id) & Loan.returned_at.is_null())
    q = Asset.select().where((Asset.loaner == True) & (Asset.status == FREE_STATUS)  # noqa: E712
                             & Asset.assigned_person.is_null()
                             & Asset.assigned_location.is_null()
                             & ~pw.fn.EXISTS(open_loans))
    if site_id is not None:
        q = q.where(Asset.site == site_id)
    return q


def free_loaners(site_id: int | None = None) -> list[Asset]:
    """The loaners free to lend at a site (all sites when None), by tag."""
    return list(_free_query(site_id).order_by(Asset.tag_key))


class PoolRow(TypedDict):
    """The loaners of one site: how many, free, out, and unavailable (in repair…)."""

    site_id: int | None
    site: str
    loaners: int
    free: int
    out: int
    unavailable: int


class SwapRow(TypedDict):
    """A swap as the CLI, the People page and the asset editor list it."""

    id: int
    status: str
    opened: dt.date | None
    closed: dt.date | None
    person_id: int
    student: str
    id_number: str | None
    device: str
    loaner: str
    site: str | None
    problem: str | None
    repair: str | None  # the repair's status
    vendor: str | None


def pool(site_id: int | None = None) -> list[PoolRow]:
    """The loaner pool per site: how many loaners, free, out and in repair
    (or otherwise unavailable); sites without loaners are left out."""
    out_expr = Loan.id.is_null(False)
    q = (Asset.select(Asset.site, Asset.status, out_expr, pw.fn.COUNT(Asset.id))
         .join(Loan, pw.JOIN.LEFT_OUTER,  # at most one open loan per asset
               on=((Loan.asset == Asset.id) & Loan.returned_at.is_null()))
         .where((Asset.loaner == True) & Asset.status.not_in(list(INACTIVE_STATUSES)))  # noqa: E712
         .group_by(Asset.site, Asset.status, out_expr))
    if site_id is not None:
        q = q.where(Asset.site == site_id)
    names: dict[int, str] = dict(query_rows(Site.select(Site.id, Site.name)))
    by_site: dict[int | None, PoolRow] = {}
    for site, status, out, n in query_rows(q):
        row = by_site.setdefault(site, {"site_id": site, "site": names.get(site, "(no site)"),
                                        "loaners": 0, "free": 0, "out": 0, "unavailable": 0})
        row["loaners"] += n
        if out:
            row["out"] += n
        elif status == FREE_STATUS:
            row["free"] += n
        else:
            row["unavailable"] += n
    return sorted(by_site.values(), key=lambda r: r["site"])


# --- reading swaps ------------------------------------------------------------------

def _open_swap_with(asset_id: int) -> LoanerSwap | None:
    """The open swap this asset is in, as the device or as the loaner."""
    return (LoanerSwap.select().where((LoanerSwap.status == "open")
                                      & ((LoanerSwap.device == asset_id)
                                         | (LoanerSwap.loaner == asset_id))).get_or_none())


def get(swap_id: int) -> LoanerSwap:
    return fetch(LoanerSwap, swap_id, "No loaner swap with id {id}.")


def find(text: str) -> LoanerSwap:
    """A swap by its number, or the open swap of a device or loaner by tag
    (what a technician scans when the repair comes back)."""
    text = (text or "").strip()
    if text.lstrip("#").isdigit() and assets.lookup_tag(text) is None:
        return get(int(text.lstrip("#")))
    asset_id = assets.lookup_tag(text)
    if asset_id is None:
        raise NotFound(f"No loaner swap {text!r}: give the swap number, or the tag of its device "
                       "or loaner.")
    swap = _open_swap_with(asset_id)
    if swap is None:
        raise NotFound(f"Asset {assets.get(asset_id).tag} is in no open loaner swap.")
    return swap


def open_swap_for_repair(repair_id: int) -> LoanerSwap | None:
    return (LoanerSwap.select().where((LoanerSwap.repair == repair_id)
                                      & (LoanerSwap.status == "open")).get_or_none())


def list_swaps(open_only: bool = False, site_id: int | None = None,
               person_id: int | None = None, asset_id: int | None = None) -> list[SwapRow]:
    """Swaps, newest first, as plain rows (for the CLI, the People page, CSV)."""
    Device, Lent = Asset.alias(), Asset.alias()
    q = (LoanerSwap.select(LoanerSwap.id, LoanerSwap.status, LoanerSwap.opened_at,
                           LoanerSwap.closed_at, Person.id, Person.first_name, Person.last_name,
                           Person.id_number, Device.tag, Lent.tag, Site.name, Repair.problem,
                           Repair.status, Supplier.name)
         .join(Person, on=(LoanerSwap.person == Person.id))
         .switch(LoanerSwap).join(Device, on=(LoanerSwap.device == Device.id))
         .switch(LoanerSwap).join(Lent, on=(LoanerSwap.loaner == Lent.id))
         .join_from(Device, Site, pw.JOIN.LEFT_OUTER, on=(Device.site == Site.id))
         .join_from(LoanerSwap, Repair, pw.JOIN.LEFT_OUTER, on=(LoanerSwap.repair == Repair.id))
         .join_from(Repair, Supplier, pw.JOIN.LEFT_OUTER, on=(Repair.vendor == Supplier.id))
         .order_by(LoanerSwap.opened_at.desc(), LoanerSwap.id.desc()))
    if open_only:
        q = q.where(LoanerSwap.status == "open")
    if site_id is not None:
        q = q.where(Device.site == site_id)
    if person_id is not None:
        q = q.where(LoanerSwap.person == person_id)
    if asset_id is not None:
        q = q.where((LoanerSwap.device == asset_id) | (LoanerSwap.loaner == asset_id))
    rows: list[SwapRow] = []
    for (sid, status, opened, closed, pid, first, last, idn, device, loaner, site, problem,
         rstatus, vendor) in query_rows(q):
        rows.append({"id": sid, "status": status, "opened": _day(opened), "closed": _day(closed),
                     "person_id": pid, "student": f"{first} {last}".strip(), "id_number": idn,
                     "device": device, "loaner": loaner, "site": site, "problem": problem,
                     "repair": rstatus, "vendor": vendor})
    return rows


def _day(value: dt.datetime | str | None) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return history.local_day(value)


# --- the swap -----------------------------------------------------------------------

@writes
def swap(device_id: int, loaner_id: int | None = None, problem: str | None = None,
         vendor_id: int | None = None, by: str | None = None, ticket: str | None = None,
         effective: dt.date | str | None = None) -> LoanerSwap:
    """The student's device to repair and a loaner to the student, in one step.
    ``loaner_id``: the loaner scanned (default: the first free one at the
    device's school); ``effective``: the day it happened (default today)."""
    device = assets.lock(device_id)
    problem = clean_text(problem, "problem", 10_000, required=True)
    current = _open_swap_with(device.id)
    if current is not None:
        if current.device_id == device.id:
            raise Conflict(f"Asset {device.tag} is already in loaner swap {current.id} "
                           f"(loaner {current.loaner.tag}).")
        raise Conflict(f"Asset {device.tag} is itself the loaner lent in swap {current.id}; end "
                       "that swap (or check the loaner in) and lend another.")
    loan = assets.open_loan(device.id)
    if loan is None or not loan.person_id:
        held = (f" (it is lent to {loan.location.name})"
                if loan is not None and loan.location is not None else "")
        raise Conflict(f"Asset {device.tag} is not checked out to a student{held}; a loaner swap "
                       "replaces a device a student holds. Open a repair instead.")
    person = loan.person
    if person is None:  # person_id is set (checked above); this narrows the type
        raise NotFound(f"No person with id {loan.person_id}.")
    day = assets.effective_day(effective, device, "loaner swap")
    loaner = _choose_loaner(device, person, loaner_id)

    # A repair already opened while the student kept the device is the swap's repair.
    existing = repairs.open_repair_for(device.id)
    back = assets.check_in(device.id, by=by, effective=day,
                           status="in_repair" if existing else "ready",
                           notes=f"Loaner swap: to repair, loaner {loaner.tag} lent meanwhile")
    repair = existing or repairs.open_repair(device.id, problem, vendor_id=vendor_id,
                                             ticket=ticket, reported=day, by=by)
    due = loan.due if loan.due and loan.due >= day else None
    lent = assets.check_out(loaner.id, person_id=person.id, due=due,
                            agreement_signed=bool(loan.agreement_signed), language=loan.language,
                            notes=f"Loaner while {device.tag} is in repair", by=by,
                            effective=day)
    if loan.agreement_status:  # the student's agreement covers the loaner too
        Loan.update(agreement_status=loan.agreement_status).where(Loan.id == lent.id).execute()
    record = LoanerSwap.create(person=person, device=device, loaner=loaner, repair=repair,
                               device_loan=back or loan, loaner_loan=lent, status="open",
                               opened_at=lent.out_at, opened_by=who(by))
    what = f"Loaner swap {record.id}: {device.tag} to repair ({problem})"
    history.record("asset", device.id, "loaner_swap", field="loaner", old=None, new=loaner.tag,
                   by=by, note=f"{what}; loaner {loaner.tag} lent to {person.full_name}",
                   effective=day)
    history.record("asset", loaner.id, "loaner_swap", field="holder", old=None, new=person,
                   by=by, note=f"Loaner swap {record.id}: lent while {device.tag} is in repair",
                   effective=day)
    history.record("person", person.id, "loaner_swap", field="loaner", old=device.tag,
                   new=loaner.tag, by=by, note=f"{what}; loaner {loaner.tag} lent", effective=day)
    return record


def _choose_loaner(device: Asset, person: Person, loaner_id: int | None) -> Asset:
    if loaner_id:
        loaner = assets.lock(loaner_id)
        if loaner.id == device.id:
            raise ValidationError(f"Asset {device.tag} cannot be its own loaner.", field="loaner_id")
        if not loaner.loaner:
            raise Conflict(f"Asset {loaner.tag} is not in the loaner pool; mark it as a loaner "
                           "first, or scan another.")
        held = assets.open_loan(loaner.id)
        if held is not None:
            holder = (held.person.full_name if held.person is not None
                      else held.location.name if held.location is not None else "")
            raise Conflict(f"Loaner {loaner.tag} is already out to {holder}.")
        if loaner.status != FREE_STATUS:
            raise Conflict(f"Loaner {loaner.tag} is {status_label(loaner.status).lower()}; it "
                           "cannot be lent now.")
        return loaner
    site_id = device.site_id or person.site_id
    if site_id is None:
        raise Conflict(f"Asset {device.tag} has no school, so no loaner pool to lend from: scan "
                       "the loaner to lend.")
    q = _free_query(site_id).order_by(Asset.tag_key).limit(1)
    if isinstance(db.obj, pw.PostgresqlDatabase):
        # Two desks swapping at once take two different loaners, not the same one.
        q = q.for_update(skip_locked=True)
    free = q.get_or_none()
    if free is None:
        site = Site.get_by_id(site_id)
        counts = next(iter(pool(site_id)), None)
        detail = (f" (all {counts['loaners']} of its loaners are out or unavailable)"
                  if counts else " (it has no loaners)")
        raise Conflict(f"No free loaner at {site.name}{detail}. Scan a loaner from another "
                       "school to lend it.")
    return assets.lock(free.id)


@writes
def reverse(swap_id: int, by: str | None = None, effective: dt.date | str | None = None,
            cost: object = None,
            resolution: str | None = None) -> LoanerSwap:
    """End a swap: close its repair if still open, check the loaner in, and
    lend the repaired device back to the student. A device that could not be
    repaired stays in (the loaner still comes back: the swap is over). The
    result's ``lent_back`` says whether the device went back out."""
    swap = locked(LoanerSwap.select().where(LoanerSwap.id == swap_id)).get_or_none()
    if swap is None:
        raise NotFound(f"No loaner swap with id {swap_id}.")
    if swap.status != "open":
        closed = _day(swap.closed_at)
        when = f" on {closed.isoformat()}" if closed else ""
        raise Conflict(f"Loaner swap {swap.id} was already ended{when}.")
    day = assets.effective_day(effective, None, "end of the loaner swap")
    opened = _day(swap.opened_at)
    if opened and day < opened:
        raise ValidationError(f"Loaner swap {swap.id} began on {opened.isoformat()}; it cannot "
                              f"have ended on {day.isoformat()}.", field="effective")
    # Closed first, so closing the repair below does not end this swap a second time.
    now = utcnow()
    at = assets._moment(day, now)
    LoanerSwap.update(status="reversed", closed_at=at, closed_by=who(by)) \
        .where(LoanerSwap.id == swap.id).execute()
    repair = Repair.get_or_none(Repair.id == swap.repair_id) if swap.repair_id else None
    if repair is not None and repair.status in OPEN_REPAIR_STATUSES:
        repair = repairs.close_repair(repair.id, repaired=True, returned=day, cost=cost,
                                      resolution=resolution, by=by)
    repaired = repair is None or repair.status == "closed"
    loaner, device, person = swap.loaner, swap.device, swap.person
    held = assets.open_loan(loaner.id)
    if held is not None and held.id == swap.loaner_loan_id:
        assets.check_in(loaner.id, by=by, effective=day, notes=f"Loaner swap {swap.id} ended")
    device = assets.get(device.id)
    lent_back = (repaired and person.active and device.status not in INACTIVE_STATUSES
                 and device.status != "in_repair" and assets.open_loan(device.id) is None)
    if lent_back:
        first = swap.device_loan
        due = first.due if first is not None and first.due and first.due >= day else None
        again = assets.check_out(device.id, person_id=person.id, due=due,
                                 agreement_signed=bool(first and first.agreement_signed),
                                 language=first.language if first else None,
                                 notes=f"Back from repair (loaner swap {swap.id})", by=by,
                                 effective=day)
        if first is not None and first.agreement_status:
            Loan.update(agreement_status=first.agreement_status).where(Loan.id == again.id).execute()
    how = (f"{device.tag} back to {person.full_name}" if lent_back else
           f"{device.tag} not lent back ({'not repaired' if not repaired else 'not available'})")
    note = f"Loaner swap {swap.id} ended: loaner {loaner.tag} checked in, {how}"
    history.record("asset", device.id, "loaner_return", field="loaner", old=loaner.tag, new=None,
                   by=by, note=note, effective=day)
    history.record("asset", loaner.id, "loaner_return", field="holder", old=person, new=None,
                   by=by, note=note, effective=day)
    history.record("person", person.id, "loaner_return", field="loaner", old=loaner.tag,
                   new=device.tag if lent_back else None, by=by, note=note, effective=day)
    done = LoanerSwap.get_by_id(swap.id)
    done.lent_back = lent_back
    return done


def repair_returned(repair: Repair, by: str | None = None) -> LoanerSwap | None:
    """Called when a repair closes: a repaired device ends the swap that lent
    a loaner meanwhile (on the day it came back). A device that could not be
    repaired leaves the swap open: the student keeps the loaner until the swap
    is ended by hand."""
    swap = open_swap_for_repair(repair.id)
    if swap is None or repair.status != "closed":
        return None
    return reverse(swap.id, by=by, effective=repair.returned)
