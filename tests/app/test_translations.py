"""The one translatable file of the letters home: complete in both languages,
the same placeholders in each, and dates, amounts and lists as each
language writes them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app import translations as tr


def test_every_key_has_english_and_spanish_with_the_same_placeholders():
    table = tr._table()
    assert len(table) > 60
    for key, entry in table.items():
        assert set(entry) == {"en", "es"}, key
        if isinstance(entry["en"], str):
            assert entry["es"].strip() and entry["es"] != "", key
            assert tr.placeholders(entry["en"]) == tr.placeholders(entry["es"]), key


def test_spanish_is_written_with_its_accents_and_punctuation():
    t = tr.words("es")
    assert t("agreement_title") == "Acuerdo de Préstamo de Dispositivo"
    assert t("not_returned_lost").startswith("¿") and "?" in t("not_returned_lost")
    assert "cargador" in t("return_by") and "estuche" in t("return_by")
    assert t("part_hotspot") == "punto de acceso (hotspot)"


def test_dates_amounts_and_lists():
    d = dt.date(2026, 12, 6)
    assert tr.long_date(d, "es") == "6 de diciembre de 2026"
    assert tr.long_date(d, "en") == "December 6, 2026"
    assert tr.long_date(d, "vi") == "December 6, 2026"  # no words for it: English
    assert tr.money(Decimal("45")) == "$45.00"
    assert tr.money(Decimal("1045.5")) == "$1,045.50"
    assert tr.join_names(["Luis", "Ana", "Sofía"], "es") == "Luis, Ana y Sofía"
    assert tr.join_names(["Ana", "Isabel"], "es") == "Ana e Isabel"
    assert tr.join_names(["Ana", "Isabel"], "en") == "Ana and Isabel"
    assert tr.language("ES-mx") == "es" and tr.language(None) == "en"
