"""Domain errors: what went wrong, in words for the person at the desk."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a service makes. ``str(err)`` is the message to show."""


class ValidationError(DomainError):
    """Input is wrong. ``field`` names the field when there is one, so an
    editor can show the message next to it; ``errors`` holds every problem."""

    def __init__(self, message: str, field: str | None = None,
                 errors: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class StaleEdit(Conflict):
    """The record changed since it was read. ``current`` holds the stored values
    and ``mine`` the values the caller tried to save, so both can be shown."""

    def __init__(self, message: str, current: dict[str, object] | None = None,
                 mine: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.current = current or {}
        self.mine = mine or {}


class StorageError(DomainError):
    """The disk is full, the folder is read-only, or the database is locked too long."""


class PermissionDenied(DomainError):
    """The database server refused the action for this login's role (team mode)."""
