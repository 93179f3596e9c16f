"""Asset tags: normalizing, and handing out the next numbers, never twice."""
from __future__ import annotations

import re
import unicodedata

import peewee as pw

from app.models import Asset, Setting, TagRecord
from app.services import history, settings
from app.services.base import who, writes
from app.services.errors import Conflict, ValidationError
from app.store.db import db, is_sqlite

MAX_TAG_LENGTH = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_tag(text: str) -> str:
    """The matching key of a tag: surrounding whitespace dropped, upper-cased.

    Idempotent. Inner spaces are kept (some districts print "HS 00123").
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _CONTROL.sub("", text)
    return text.strip().upper()


def sort_key(tag: str) -> tuple[int, str]:
    """Where a tag sorts: by its key's length, then the key. Tags of one
    prefix and a number then sort as numbers past the counter's digits
    (QM-999999, QM-1000000), where plain text order puts QM-1000000 first.
    The same order as ``order_by``'s SQL on both engines."""
    if tag is not None and tag.isascii() and tag.isprintable():
        key = tag.strip().upper()  # what normalize_tag gives printable ASCII, 5× faster
    else:
        key = normalize_tag(tag)
    return (len(key), key)


def order_by(key_field: pw.Field[str]) -> tuple[pw.Function, pw.Field[str]]:
    """ORDER BY terms for a ``tag_key`` column in ``sort_key``'s order; the
    asset register's index ``asset_tag_sort`` (schema step 10) serves them."""
    return (pw.fn.LENGTH(key_field), key_field)


def clean_tag(text: str) -> str:
    """The tag as it will be stored and printed; raises ValidationError if unusable."""
    from app.services import validation  # the rule the import and the editor share
    tag = validation.identifier(text, "tag", required=True)
    if tag is None:  # required=True already refuses a blank tag; this keeps the type honest
        raise ValidationError("A tag is required.")
    return tag


def format_tag(number: int, prefix: str | None = None, digits: int | None = None) -> str:
    prefix = settings.get("tag_prefix") if prefix is None else prefix
    digits = int(settings.get("tag_digits") if digits is None else digits)
    return f"{prefix}{number:0{digits}d}"


def tag_in_use(tag: str) -> bool:
    key = normalize_tag(tag)
    return (Asset.select(Asset.tag_key).where(Asset.tag_key == key).exists()
            or TagRecord.select(TagRecord.tag_key).where(TagRecord.tag_key == key).exists())


def _take(count: int) -> list[str]:
    """Advance the counter past ``count`` free tags (inside a transaction)."""
    prefix = settings.get("tag_prefix")
    digits = int(settings.get("tag_digits"))
    _lock_counter()
    number = int(settings.get("tag_next"))
    taken: list[str] = []
    while len(taken) < count:
        candidate = format_tag(number, prefix, digits)
        number += 1
        if not tag_in_use(candidate):
            taken.append(candidate)
    settings.set_raw("tag_next", number)
    return taken


def _lock_counter() -> None:
    """Serialise tag hand-out between workstations on PostgreSQL (SQLite's
    write transaction already does it)."""
    if not is_sqlite():
        Setting.insert(key="tag_next", value=settings.get("tag_next")) \
            .on_conflict_ignore().execute()
        db.execute_sql("SELECT value FROM setting WHERE key = 'tag_next' FOR UPDATE")


@writes
def next_tags(count: int = 1) -> list[str]:
    """Hand out the next ``count`` tags and move the counter past them.

    The caller is expected to create assets with them in the same transaction
    (inside another service this runs in the caller's transaction); on their
    own they are simply skipped, which is safe: a number is never handed out
    twice.
    """
    if count < 1:
        raise ValidationError("Ask for at least one tag.")
    return _take(count)


def peek_next_tag() -> str:
    """The tag the next new asset would get (nothing is taken)."""
    number = int(settings.get("tag_next"))
    while True:
        candidate = format_tag(number)
        if not tag_in_use(candidate):
            return candidate
        number += 1


@writes
def reserve(count: int, reason: str = "pre-printed labels", by: str | None = None) -> list[str]:
    """Take the next ``count`` tags out of the sequence for pre-printed labels."""
    if count < 1 or count > 100_000:
        raise ValidationError("Reserve between 1 and 100,000 tags.")
    tags = _take(count)
    user = who(by)
    TagRecord.insert_many([dict(tag_key=normalize_tag(t), tag=t, state="reserved",
                                reason=reason, by=user) for t in tags]).execute()
    history.record("tags", 0, "reserve", new=f"{tags[0]} – {tags[-1]} ({count})",
                   by=by, note=reason)
    return tags


@writes
def void(tag: str, reason: str, by: str | None = None) -> None:
    """Record that a tag must never be used (its label was printed, then undone)."""
    key = normalize_tag(tag)
    if Asset.select().where(Asset.tag_key == key).exists():
        raise Conflict(f"Tag {tag} belongs to an asset; retire the asset instead.")
    TagRecord.insert(tag_key=key, tag=tag, state="voided", reason=reason, by=who(by)) \
        .on_conflict(conflict_target=[TagRecord.tag_key],
                     update={TagRecord.state: "voided", TagRecord.reason: reason}).execute()
    history.record("tags", 0, "void", new=tag, by=by, note=reason)


def release_reservation(tag: str) -> None:
    """A reserved tag now used by a new asset (called inside the create transaction)."""
    TagRecord.delete().where((TagRecord.tag_key == normalize_tag(tag))
                             & (TagRecord.state == "reserved")).execute()


def looks_like_tag(text: str) -> bool:
    """True when ``text`` has this database's tag form (the prefix and digits) or
    is a tag reserved for pre-printed labels: what a pre-printed intake takes
    as the label on the device rather than a serial."""
    key = normalize_tag(text)
    if not key:
        return False
    prefix = str(settings.get("tag_prefix") or "").upper()
    if prefix and key.startswith(prefix) and key[len(prefix):].isdigit():
        return True
    return TagRecord.select().where((TagRecord.tag_key == key)
                                    & (TagRecord.state == "reserved")).exists()


def tag_number(tag: str) -> int | None:
    """The sequence number in a tag of this database's form, else None."""
    key = normalize_tag(tag)
    prefix = str(settings.get("tag_prefix") or "").upper()
    rest = key[len(prefix):] if key.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def give_back(tag: str) -> bool:
    """Undo the hand-out of ``tag`` when it is the last one the counter gave
    (inside the transaction that removed its only user, before anything was
    printed with it): the next asset gets it again. Returns True if it did."""
    number = tag_number(tag)
    _lock_counter()
    if number is None or int(settings.get("tag_next")) != number + 1 \
            or format_tag(number) != tag or tag_in_use(tag):
        return False
    settings.set_raw("tag_next", number)
    return True


def is_voided(tag: str) -> bool:
    return TagRecord.select().where((TagRecord.tag_key == normalize_tag(tag))
                                    & (TagRecord.state == "voided")).exists()


__all__ = ["normalize_tag", "clean_tag", "format_tag", "next_tags", "peek_next_tag",
           "reserve", "void", "tag_in_use", "is_voided", "looks_like_tag", "tag_number",
           "give_back", "Setting"]
