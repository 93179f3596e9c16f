"""Records retention and purge: what the district may now dump, by rule, and
dumping it — removing disposed assets and old closed work orders and history,
anonymising people who left — with a certificate of what was done.

Rules (years are settings, ``retention_<rule>_years``; each has its reason):

- ``erate``: E-Rate-funded equipment's records are kept 10 years after the
  last day of the funding year (June 30 of FY + 1). It protects: nothing of an
  asset under it is purged, whatever the other rules say.
- ``disposed_assets``: a disposed asset's record, N years after disposal.
- ``inactive_people``: a person marked inactive, holding nothing, N years
  after their last loan closed (or they were last changed, with no loans) —
  anonymised, not deleted: "former student #1234" keeps the loan counts and
  the assets' history in shape.
- ``work_orders``: a closed work order and its notes, N years after closing.
- ``history``: history entries older than N years (except those of records
  still under E-Rate retention).

``preview`` lists what is due; ``purge`` takes a backup first, then removes
everything due in one transaction and returns the certificate's data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from app.models import Asset, HistoryEntry, Loan, Person, WorkOrder
from app.models.common import PERSON_KINDS, utcnow
from app.services import assets as assetsvc, settings, tags
from app.services.base import who, writes
from app.services.errors import Conflict, PermissionDenied, ValidationError
from app.store.db import db, rows


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    default_years: int
    minimum_years: int
    reason: str


RULES = (
    Rule("erate", "E-Rate records", 10, 10,
         "FCC rules (47 CFR 54.516): keep E-Rate records at least 10 years after the last "
         "date to receive service, i.e. the end of the funding year."),
    Rule("disposed_assets", "Disposed assets", 5, 1,
         "Audits look back a few years at what left the inventory and how."),
    Rule("inactive_people", "People who left", 3, 1,
         "Student and staff data is kept no longer than needed once the last loan is "
         "settled; counts and history stay, names go."),
    Rule("work_orders", "Closed work orders", 5, 1,
         "Patterns of failure and time spent are read over a few years."),
    Rule("history", "History entries", 10, 3,
         "The audit trail of changes; older entries are rarely asked for."),
)
RULE_BY_KEY = {r.key: r for r in RULES}


def setting_key(rule: str) -> str:
    return f"retention_{rule}_years"


def years(rule: str) -> int:
    r = RULE_BY_KEY[rule]
    value = settings.get(setting_key(rule))
    try:
        n = int(value)
    except (TypeError, ValueError):
        # Only a restored or hand-edited database holds a non-number here (the
        # settings page refuses one): keep records the rule's default years.
        n = r.default_years
    return max(n, r.minimum_years)


def check_years(rule: str, value: object) -> int:
    """The validation the settings page and the service share."""
    r = RULE_BY_KEY[rule]
    try:
        n: int = int(value)  # type: ignore[call-overload]  # what int() refuses is refused below
    except (TypeError, ValueError):
        raise ValidationError(f"{r.title}: give a number of years.", field=setting_key(rule)) \
            from None
    if not r.minimum_years <= n <= 100:
        raise ValidationError(f"{r.title} are kept {r.minimum_years} to 100 years "
                              f"({r.reason})", field=setting_key(rule))
    return n


def _years_before(today: dt.date, n: int) -> dt.date:
    try:
        return today.replace(year=today.year - n)
    except ValueError:  # February 29
        return today.replace(year=today.year - n, day=28)


def erate_retain_until(funding_year: int, n: int | None = None) -> dt.date:
    return dt.date(funding_year + 1 + (n or years("erate")), 6, 30)


def erate_held(today: dt.date) -> pw.Expression:
    """Assets whose E-Rate records are still kept (an expression on Asset)."""
    # Kept while June 30 of FY + 1 + N is today or later: through June 30
    # that is FY >= year - 1 - N, after it FY >= year - N.
    n = years("erate")
    oldest_kept = today.year - n - (1 if today <= dt.date(today.year, 6, 30) else 0)
    return Asset.erate_funding_year.is_null(False) & (Asset.erate_funding_year >= oldest_kept)


@dataclass
class Due:
    rule: str
    title: str
    reason: str
    years: int
    ids: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # a few names, for the preview
    held: list[str] = field(default_factory=list)  # due by this rule, kept by another

    @property
    def count(self) -> int:
        return len(self.ids)


def preview(today: dt.date | None = None) -> list[Due]:
    today = today or dt.date.today()
    out = []
    # Disposed assets.
    n = years("disposed_assets")
    cutoff = _years_before(today, n)
    due = Due("disposed_assets", RULE_BY_KEY["disposed_assets"].title,
              RULE_BY_KEY["disposed_assets"].reason, n)
    old = (Asset.select(Asset.id, Asset.tag, Asset.erate_funding_year)
           .where((Asset.status == "disposed") & Asset.disposal_date.is_null(False)
                  & (Asset.disposal_date < cutoff)).order_by(*tags.order_by(Asset.tag_key)))
    held_ids = {i for (i,) in rows(Asset.select(Asset.id).where(erate_held(today)))}
    for aid, tag, fy in rows(old):
        if aid in held_ids:
            due.held.append(f"{tag} (E-Rate FY{fy}: kept until "
                            f"{erate_retain_until(fy).isoformat()})")
        else:
            due.ids.append(aid)
            if len(due.samples) < 5:
                due.samples.append(tag)
    out.append(due)
    # People who left.
    n = years("inactive_people")
    cutoff_at = dt.datetime.combine(_years_before(today, n), dt.time.min)
    due = Due("inactive_people", RULE_BY_KEY["inactive_people"].title,
              RULE_BY_KEY["inactive_people"].reason, n)
    last_loan = (Loan.select(Loan.person.alias("pid"),
                             pw.fn.MAX(pw.fn.COALESCE(Loan.returned_at, utcnow())).alias("last"),
                             pw.fn.SUM(pw.Case(None, [(Loan.returned_at.is_null(), 1)], 0))
                             .alias("open_loans"))
                 .where(Loan.person.is_null(False)).group_by(Loan.person).alias("ll"))
    q = (Person.select(Person.id, Person.first_name, Person.last_name, Person.kind)
         .join(last_loan, pw.JOIN.LEFT_OUTER, on=(last_loan.c.pid == Person.id))
         .where((Person.active == False)  # SQL, not Python
                & (pw.fn.COALESCE(last_loan.c.open_loans, 0) == 0)
                & (pw.fn.COALESCE(last_loan.c.last, Person.updated_at) < cutoff_at)
                & ~(Person.id_number.is_null() & (Person.first_name == "former")))
         .where(~pw.fn.EXISTS(Asset.select(Asset.id).where(Asset.assigned_person == Person.id)))
         .order_by(Person.id))
    for pid, first, last, _kind in rows(q):
        due.ids.append(pid)
        if len(due.samples) < 5:
            due.samples.append(f"{first} {last}".strip())
    out.append(due)
    # Closed work orders.
    n = years("work_orders")
    due = Due("work_orders", RULE_BY_KEY["work_orders"].title, RULE_BY_KEY["work_orders"].reason, n)
    cutoff_at = dt.datetime.combine(_years_before(today, n), dt.time.min)
    for wid, summary in (rows(WorkOrder.select(WorkOrder.id, WorkOrder.summary)
                         .where((WorkOrder.status == "closed") & WorkOrder.closed_at.is_null(False)
                                & (WorkOrder.closed_at < cutoff_at))
                         .order_by(WorkOrder.id))):
        due.ids.append(wid)
        if len(due.samples) < 5:
            due.samples.append(f"#{wid} {summary}")
    out.append(due)
    # History.
    n = years("history")
    due = Due("history", RULE_BY_KEY["history"].title, RULE_BY_KEY["history"].reason, n)
    cutoff_at = dt.datetime.combine(_years_before(today, n), dt.time.min)
    kept = Asset.select(Asset.id).where(erate_held(today))
    due.ids = [i for (i,) in rows(HistoryEntry.select(HistoryEntry.id).where(
        (HistoryEntry.at < cutoff_at)
        & ~((HistoryEntry.entity == "asset") & HistoryEntry.entity_id.in_(kept))))]
    out.append(due)
    return out


def former_label(kind: str, person_id: int) -> str:
    """'former student #1234': who they were, without the name."""
    return f"former {PERSON_KINDS.get(kind, kind).split(' ')[0].lower()} #{person_id}"


@dataclass
class PurgeResult:
    done_at: dt.datetime
    by: str
    backup: str | None
    lines: list[tuple[str, str, int, int]]  # (rule title, reason, years, how many)


@writes
def _purge(due: list[Due], today: dt.date, by: str | None) -> list[tuple[str, str, int, int]]:
    lines = []
    for d in due:
        if d.rule == "disposed_assets" and d.ids:
            # Anything the record trail points at goes with it; its history too
            # (SQLite may hand the id out again: nothing must inherit it).
            _delete_history("asset", d.ids)
            assetsvc.delete_rows(d.ids)
        elif d.rule == "inactive_people":
            for pid in d.ids:
                _anonymise(pid)
        elif d.rule == "work_orders" and d.ids:
            _delete_history("work_order", d.ids)
            WorkOrder.delete().where(WorkOrder.id.in_(d.ids)).execute()
        elif d.rule == "history" and d.ids:
            for start in range(0, len(d.ids), 900):
                _delete_history(None, d.ids[start:start + 900])
        lines.append((d.title, d.reason, d.years, d.count))
    HistoryEntry.insert(entity="purge", entity_id=0, action="purge", who=who(by),
                        note="; ".join(f"{t}: {n}" for t, _r, _y, n in lines)).execute()
    return lines


def _server_functions() -> bool:
    """On a team database history is append-only for every role: the purge
    goes through the owner's functions that `team init` grants the admin
    group (app.store.roles). Elsewhere (SQLite, a PostgreSQL database without
    team roles, connected as its owner) it deletes directly."""
    if not isinstance(db.obj, pw.PostgresqlDatabase):
        return False
    return bool(db.execute_sql("SELECT to_regprocedure('qm_purge_history(text, integer[])') "
                               "IS NOT NULL").fetchone()[0])


def _delete_history(entity: str | None, ids: list[int]) -> None:
    """History rows of these records (``entity``), or these rows (None)."""
    if _server_functions():
        db.execute_sql("SELECT qm_purge_history(%s, %s)", (entity or "", list(ids)))
    elif entity is None:
        HistoryEntry.delete().where(HistoryEntry.id.in_(ids)).execute()
    else:
        HistoryEntry.delete().where((HistoryEntry.entity == entity)
                                    & HistoryEntry.entity_id.in_(ids)).execute()


def _server_backed_up() -> bool:
    """A team database's admin cannot copy the whole server (product keys
    are the owner's to read): its backups are the server's own (pg_dump),
    and the certificate says so. The owner's purge still exports first."""
    if not isinstance(db.obj, pw.PostgresqlDatabase):
        return False
    from app.services import team
    ident = team.current()
    return ident.team and ident.role != "owner"


def check_may_purge() -> None:
    """Only an admin (or the owner) purges a team database: a technician or a
    viewer is told so before anything is backed up or written."""
    from app.services import team
    if team.can("purge"):
        return
    ident = team.current()
    raise PermissionDenied(f"Only an admin may purge records; {ident.user} is "
                           f"{'a ' + ident.role_label if ident.role != 'none' else 'not on the team'}"
                           ". Ask an admin to run the purge.")


def _anonymise(pid: int) -> None:
    p = Person.get_by_id(pid)
    label = former_label(p.kind, pid)
    Person.update(first_name="former", last_name=label.split(" ", 1)[1], id_number=None,
                  email=None, phone=None, notes=None, grade=None,
                  # The roster fields of schema step 11 name the family and the home.
                  homeroom=None, guardian_name=None, guardian_email=None, guardian_phone=None,
                  household=None, address=None, updated_at=utcnow(),
                  version=Person.version + 1).where(Person.id == pid).execute()
    # History keeps its rows (counts, dates, shape); the name in them goes. A
    # holder can be a room too, so a row is theirs when id and name both match.
    fields = ["holder", "assigned_person", "person", "requester"]
    if _server_functions():
        db.execute_sql("SELECT qm_anonymise_history(%s, %s, %s, %s)",
                       (pid, label, p.full_name, fields))
    else:
        HistoryEntry.update(old=label).where((HistoryEntry.old_id == pid)
                                             & HistoryEntry.field.in_(fields)
                                             & (HistoryEntry.old == p.full_name)).execute()
        HistoryEntry.update(new=label).where((HistoryEntry.new_id == pid)
                                             & HistoryEntry.field.in_(fields)
                                             & (HistoryEntry.new == p.full_name)).execute()
        HistoryEntry.update(old=None, new=None, note=None).where(
            (HistoryEntry.entity == "person") & (HistoryEntry.entity_id == pid)).execute()
    WorkOrder.update(requester_name=None, requester_contact=None).where(
        WorkOrder.requester == pid).execute()


def purge(today: dt.date | None = None, by: str | None = None, backup: bool = True,
          asset_ids: list[int] | None = None) -> PurgeResult:
    """Take a backup, then purge everything due (or only these disposed
    assets, each refused when a rule still keeps it). Refused when nothing is due."""
    today = today or dt.date.today()
    check_may_purge()
    if asset_ids is not None:
        for aid in asset_ids:
            refuse_if_held(aid, today)
        r = RULE_BY_KEY["disposed_assets"]
        due = [Due(r.key, r.title, r.reason, years(r.key), ids=list(asset_ids))]
    else:
        due = preview(today)
    if not any(d.count for d in due):
        raise Conflict("Nothing is due for purging: every record is still under retention.")
    path = None
    if backup and not _server_backed_up():
        from app import backup as backup_mod
        info = backup_mod.make_backup(reason="before purge", automatic=False)
        path = str(info.path) if info else None
    lines = _purge(due, today, by)
    return PurgeResult(done_at=dt.datetime.now().replace(microsecond=0), by=who(by),
                       backup=path, lines=lines)


def refuse_if_held(asset_id: int, today: dt.date | None = None) -> None:
    """Raise Conflict when an asset's records are under a retention rule."""
    today = today or dt.date.today()
    a = Asset.get_by_id(asset_id)
    if a.erate_funding_year and erate_retain_until(a.erate_funding_year) >= today:
        raise Conflict(f"{a.tag} is E-Rate equipment (FY{a.erate_funding_year}): its records "
                       f"are kept until {erate_retain_until(a.erate_funding_year).isoformat()}.")
    if a.status != "disposed" or not a.disposal_date:
        raise Conflict(f"{a.tag} is not disposed of: its record is kept.")
    until = dt.date(a.disposal_date.year + years("disposed_assets"), a.disposal_date.month,
                    min(a.disposal_date.day, 28))
    if until >= today:
        raise Conflict(f"{a.tag} was disposed of on {a.disposal_date.isoformat()}: its record is "
                       f"kept until {until.isoformat()}.")
