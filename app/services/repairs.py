"""Hardware failures and vendor repairs."""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from app.models import Asset, Repair, Supplier
from app.models.common import INACTIVE_STATUSES, OPEN_REPAIR_STATUSES, utcnow
from app.services import history
from app.services.assets import effective_day, lock as lock_asset
from app.services.base import locked, who, writes
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.fields import clean_text, parse_date, parse_money
from app.wording import status_label
from app.store.db import rows as query_rows


def open_repair_for(asset_id: int) -> Repair | None:
    return (Repair.select().where((Repair.asset == asset_id)
                                  & Repair.status.in_(OPEN_REPAIR_STATUSES)).get_or_none())


def _locked(repair_id: int) -> Repair | None:
    """The repair, its row locked on PostgreSQL (it is read, then saved whole)."""
    return locked(Repair.select().where(Repair.id == repair_id)).get_or_none()


@writes
def open_repair(asset_id: int, problem: str, vendor_id: int | None = None,
                ticket: str | None = None, reported: dt.date | str | None = None,
                by: str | None = None) -> Repair:
    asset = lock_asset(asset_id)  # its status and open repair, read then changed
    problem = clean_text(problem, "problem", 10_000, required=True)
    if asset.status in INACTIVE_STATUSES:
        raise Conflict(f"Asset {asset.tag} is {status_label(asset.status)}; it cannot go in for "
                       "repair.")
    if open_repair_for(asset.id):
        raise Conflict(f"Asset {asset.tag} already has an open repair.")
    if vendor_id and not Supplier.select().where(Supplier.id == vendor_id).exists():
        raise ValidationError("That vendor does not exist.", field="vendor_id")
    reported = effective_day(parse_date(reported, "reported"), asset, "repair")
    repair = Repair.create(asset=asset, problem=problem, vendor=vendor_id or None,
                           ticket=clean_text(ticket, "ticket", 100),
                           reported=reported,
                           status="open", prior_status=asset.status, by=who(by))
    Asset.update(status="in_repair", version=Asset.version + 1, updated_at=utcnow()) \
        .where(Asset.id == asset.id).execute()
    history.record("asset", asset.id, "repair_open", field="status", old=asset.status,
                   new="in_repair", by=by, note=problem, effective=reported)
    return repair


@writes
def close_repair(repair_id: int, repaired: bool = True, returned: dt.date | str | None = None,
                 cost: object = None, resolution: str | None = None, by: str | None = None) -> Repair:
    repair = _locked(repair_id)
    if repair is None:
        raise NotFound(f"No repair with id {repair_id}.")
    if repair.status not in OPEN_REPAIR_STATUSES:
        raise Conflict("That repair is already closed.")
    repair.status = "closed" if repaired else "unrepairable"
    repair.returned = effective_day(parse_date(returned, "returned"), None, "return from repair")
    if repair.returned < repair.reported:
        raise ValidationError("The return date is before the date it was reported.", field="returned")
    if cost not in (None, ""):
        repair.cost = parse_money(cost, "cost")
    repair.resolution = clean_text(resolution, "resolution", 10_000)
    repair.save()
    asset = repair.asset
    back_to = repair.prior_status if repair.prior_status not in (None, "in_repair", "missing") else "ready"
    if asset.status == "in_repair":
        Asset.update(status=back_to, version=Asset.version + 1, updated_at=utcnow()) \
            .where(Asset.id == asset.id).execute()
    history.record("asset", asset.id, "repair_close", field="status", old="in_repair",
                   new=back_to, by=by, note=repair.resolution, effective=repair.returned)
    # A student's device back from repair ends the loaner swap that covered it
    # (imported here: loaners builds on this module).
    from app.services import loaners
    loaners.repair_returned(repair, by=by)
    return repair


class FailureRate(TypedDict):
    model_id: int
    model: str | None
    units: int
    repairs: int
    per_100: float | None


def failure_rates(since: dt.date | None = None) -> list[FailureRate]:
    """Repairs per 100 units by model: what fails most."""
    from app.models import HardwareModel
    import peewee as pw
    units: dict[int, int] = dict(query_rows(
        Asset.select(Asset.model, pw.fn.COUNT(Asset.id)).where(Asset.model.is_null(False))
        .group_by(Asset.model)))
    q = (Repair.select(Asset.model, pw.fn.COUNT(Repair.id)).join(Asset)
         .where(Asset.model.is_null(False)))
    if since:
        q = q.where(Repair.reported >= since)
    rows: list[FailureRate] = []
    names: dict[int, str] = dict(query_rows(HardwareModel.select(HardwareModel.id, HardwareModel.name)))
    for model_id, n in query_rows(q.group_by(Asset.model)):
        total = units.get(model_id, 0)
        rows.append({"model_id": model_id, "model": names.get(model_id), "units": total,
                     "repairs": n, "per_100": round(100.0 * n / total, 1) if total else None})
    rows.sort(key=lambda r: -(r["per_100"] or 0))
    return rows
