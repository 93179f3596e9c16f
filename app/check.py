"""`quartermaster check`: the database's integrity and the domain's own rules."""
from __future__ import annotations

import peewee as pw

from app.models import Asset, License, Loan, Seat, StockMove, StocktakeScan, Supply
from app.services.tags import normalize_tag
from app.store.constraints import COUNTED_VERDICTS
from app.store.db import db, rows, stream
from app.wording import status_label


def run_checks() -> list[str]:
    """Every problem found, as sentences; an empty list means all is well."""
    problems: list[str] = []
    if isinstance(db.obj, pw.SqliteDatabase):
        integrity = db.execute_sql("PRAGMA integrity_check").fetchall()
        if integrity and integrity[0][0] != "ok":
            problems += [f"integrity: {r[0]}" for r in integrity[:20]]
        fk = db.execute_sql("PRAGMA foreign_key_check").fetchall()
        for table, rowid, parent, _ in fk[:20]:
            problems.append(f"foreign key: {table} row {rowid} points at a missing {parent}")
    # Cached stock equals the sum of movements.
    sums: dict[int, int | None] = dict(rows(StockMove.select(StockMove.supply, pw.fn.SUM(StockMove.qty))
                                            .group_by(StockMove.supply)))
    for sid, name, on_hand in rows(Supply.select(Supply.id, Supply.name, Supply.on_hand)):
        total = int(sums.get(sid) or 0)
        if total != on_hand:
            problems.append(f"stock: {name} shows {on_hand} on hand but its movements add up to {total}")
        if on_hand < 0:
            problems.append(f"stock: {name} is negative ({on_hand})")
    # Seats within owned, unless the license allows over-allocation.
    used: dict[int, int] = dict(rows(Seat.select(Seat.license, pw.fn.COUNT(Seat.id))
                                     .group_by(Seat.license)))
    for lid, product, seats, site, allow in rows(License.select(
            License.id, License.product, License.seats, License.site_license,
            License.allow_over)):
        n = used.get(lid, 0)
        if not site and not allow and seats is not None and n > seats:
            problems.append(f"licenses: {product} has {n} seats assigned but owns {seats}")
    # One open loan per asset, and open loans match the asset's holder.
    for asset_id, n in rows(Loan.select(Loan.asset, pw.fn.COUNT(Loan.id))
                            .where(Loan.returned_at.is_null()).group_by(Loan.asset)
                            .having(pw.fn.COUNT(Loan.id) > 1)):
        tag = Asset.select(Asset.tag).where(Asset.id == asset_id).scalar()
        problems.append(f"loans: asset {tag} has {n} open loans")
    # One counted scan per asset per stocktake (the rest are duplicates).
    counted = (StocktakeScan.select(StocktakeScan.session, StocktakeScan.asset,
                                    pw.fn.COUNT(StocktakeScan.id))
               .where(StocktakeScan.asset.is_null(False)
                      & StocktakeScan.verdict.in_(COUNTED_VERDICTS))
               .group_by(StocktakeScan.session, StocktakeScan.asset)
               .having(pw.fn.COUNT(StocktakeScan.id) > 1))
    for session_id, asset_id, n in rows(counted):
        tag = Asset.select(Asset.tag).where(Asset.id == asset_id).scalar()
        problems.append(f"stocktake: asset {tag} is counted {n} times in stocktake {session_id}")
    # Tag keys are the normalized tags.
    for chunk in stream(Asset.select(Asset.id, Asset.tag, Asset.tag_key)):
        for _asset_id, tag, key in chunk:
            if normalize_tag(tag) != key:
                problems.append(f"assets: tag {tag!r} has a stale matching key {key!r}")
    # Inactive assets hold nothing.
    for tag, status in rows(Asset.select(Asset.tag, Asset.status)
                            .where(Asset.status.in_(("retired", "disposed"))
                                   & (Asset.assigned_person.is_null(False)
                                      | Asset.assigned_location.is_null(False))).limit(20)):
        problems.append(f"assets: {tag} is {status_label(status)} but still assigned to someone")
    return problems
