"""The words families read — letters home and the device loan agreement — in
English and Spanish, from one translatable file
(``resources/translations/letters.toml``: every sentence keyed, ``en`` and
``es``), and dates, amounts and lists the way each language writes them.

    t = words("es")
    t("return_by", school="Lincoln Middle School", date=long_date(d, "es"))

A language other than English or Spanish reads English (the letters go in
the guardian's home language when we have it, English otherwise).
"""
from __future__ import annotations

import datetime as dt
import string
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "es")
FILE = Path(__file__).resolve().parent.parent / "resources" / "translations" / "letters.toml"


@cache
def _table() -> dict[str, Any]:
    with FILE.open("rb") as f:
        return tomllib.load(f)


def language(code: str | None) -> str:
    """'es', 'ES', 'es-MX' → 'es'; anything we have no words for → 'en'."""
    code = (code or "").strip().lower()[:2]
    return code if code in LANGUAGES else "en"


def keys() -> list[str]:
    return list(_table())


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Words:
    """One language's sentences: ``t(key, **values)``."""

    def __init__(self, lang: str):
        self.lang = language(lang)

    def __call__(self, key: str, **values: object) -> str:
        entry = _table()[key]
        text: str = entry.get(self.lang) or entry["en"]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in _table()

    def date(self, d: dt.date | None) -> str:
        return long_date(d, self.lang)

    def join(self, items: list[str]) -> str:
        return join_names(items, self.lang)


def words(lang: str | None) -> Words:
    return Words(language(lang))


def long_date(d: dt.date | None, lang: str = "en") -> str:
    """'December 6, 2026' / '6 de diciembre de 2026'."""
    if d is None:
        return ""
    lang = language(lang)
    month = _table()["months"][lang][d.month - 1]
    pattern: str = _table()["date"][lang]
    return pattern.format(month=month, day=d.day, year=d.year)


def money(amount: Decimal | int | float | None) -> str:
    """'$1,045.00' in both languages (the way US families read an amount)."""
    return f"${Decimal(str(amount or 0)):,.2f}"


def join_names(items: list[str], lang: str = "en") -> str:
    """'Luis', 'Luis and Ana', 'Luis, Ana and Sofía'; in Spanish 'y', or 'e'
    before a word that starts with an "i" sound ('Ana e Isabel')."""
    items = [i for i in items if i]
    if len(items) < 2:
        return items[0] if items else ""
    lang = language(lang)
    glue: str = _table()["list_and"][lang]
    if lang == "es" and _starts_with_i_sound(items[-1]):
        glue = " e "
    return ", ".join(items[:-1]) + glue + items[-1]


def _starts_with_i_sound(word: str) -> bool:
    w = word.strip().lower()
    if w.startswith(("hia", "hie", "hio", "hiu")):  # "hielo": a "y" sound, keeps "y"
        return False
    return w.startswith(("i", "í", "hi", "hí"))
