"""Who is connected, with what role, and what that role may do.

On PostgreSQL the answer comes from the server (the login and its group role,
see ``app.store.roles``); the GUI asks ``can()`` to disable what the role may
not do, and the server refuses it anyway. A local SQLite file has one person
at a time, who may do everything.
"""
from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

import peewee as pw

from app.store import roles
from app.store.db import db

# What each role may do. "write" is inventory work; the rest are admin's.
ACTIONS = ("write", "settings", "users", "reveal_key", "restore", "purge")
_CAN: dict[str, frozenset[str]] = {
    "viewer": frozenset(),
    "technician": frozenset({"write"}),
    "admin": frozenset({"write", "settings", "reveal_key", "purge"}),
    "owner": frozenset(ACTIONS),
    "none": frozenset(),
}
ROLE_LABELS = {"viewer": "viewer", "technician": "technician", "admin": "admin",
               "owner": "owner", "none": "no team role", "local": "local file"}


@dataclass(frozen=True)
class Identity:
    user: str
    role: str  # viewer / technician / admin / owner / none / local
    team: bool  # team mode set up on this database
    can_do: frozenset[str] = field(default_factory=frozenset)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def text(self) -> str:
        """For a status bar: "alice (technician)"."""
        return f"{self.user} ({self.role_label})"


def _is_pg() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


def current(refresh: bool = False) -> Identity:
    """The identity of the open connection (cached on the database object)."""
    database = db.obj
    cached: Identity | None = getattr(database, "qm_identity", None)
    if cached is not None and not refresh:
        return cached
    if not _is_pg():
        from app.services.base import current_user
        ident = Identity(current_user(), "local", False, frozenset(ACTIONS))
    else:
        user, role = roles.effective_role(database)
        can = set(_CAN.get(role, frozenset()))
        # The key and user rights are the server's own facts, not the role's name.
        has_key = database.execute_sql(
            "SELECT has_function_privilege(session_user, 'qm_product_key(integer, text)', "
            "'EXECUTE')").fetchone()[0]
        can.discard("reveal_key")
        if has_key:
            can.add("reveal_key")
        createrole = database.execute_sql(
            "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = session_user"
        ).fetchone()[0]
        if createrole:
            can.add("users")
        can.discard("restore")  # restore replaces a local file; a server uses pg_restore
        ident = Identity(user, role, roles.team_prefix(database) is not None, frozenset(can))
    database.qm_identity = ident
    return ident


def can(action: str) -> bool:
    """Whether the connected person's role may do ``action`` (see ACTIONS)."""
    return action in current().can_do


# --- managing the team (PostgreSQL) -------------------------------------------------

def _need_pg() -> pw.PostgresqlDatabase:
    from app.services.errors import Conflict
    database = db.obj
    if not isinstance(database, pw.PostgresqlDatabase):
        raise Conflict("Team roles live on a PostgreSQL server; this is a local file. "
                       "Move it there first (`quartermaster migrate-to URL`).")
    return database


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _server_refusal(func: Callable[Concatenate[pw.Database, _P], _R],
                    *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Run a role command; the server's refusal becomes a readable error."""
    from app.services.base import INSUFFICIENT_PRIVILEGE, _pgcode
    from app.services.errors import (
        Conflict,
        NotFound,
        PermissionDenied,
        ValidationError,
    )
    database = _need_pg()
    try:
        with database.atomic():
            result = func(database, *args, **kwargs)
    except roles.RoleError as exc:
        if exc.kind == "invalid":
            raise ValidationError(str(exc), field=exc.field) from None
        raise (NotFound if exc.kind == "not_found" else Conflict)(str(exc)) from None
    except pw.DatabaseError as exc:
        if _pgcode(exc) == INSUFFICIENT_PRIVILEGE or "must be owner" in str(exc) \
                or "permission denied" in str(exc):
            raise PermissionDenied(
                f"The server refused this for {getpass_user()}: "
                f"{str(exc).splitlines()[0]}. Run team commands as the database owner "
                "(a login with CREATEROLE to add people).") from exc
        raise
    db.obj.qm_identity = None  # current() asks the server again (the database is db.obj)
    return result


def getpass_user() -> str:
    """The login connected, for a message (the OS account when the server cannot say)."""
    from app.services.base import session_user
    try:
        return session_user()
    except Exception:  # noqa: BLE001 - only for the message
        return getpass.getuser()


def init(prefix: str = roles.DEFAULT_PREFIX,
         key_readers: Iterable[str] = ("admin",)) -> list[str]:
    return _server_refusal(roles.init, prefix=prefix, key_readers=tuple(key_readers))


def add_user(name: str, role: str, password: str | None = None) -> roles.Member:
    return _server_refusal(roles.add_user, name, role, password)


def set_role(name: str, role: str) -> roles.Member:
    return _server_refusal(roles.set_role, name, role)


def remove_user(name: str, drop_login: bool = True) -> str | None:
    return _server_refusal(roles.remove_user, name, drop_login)


def members() -> list[roles.Member]:
    return _server_refusal(roles.members)
