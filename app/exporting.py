"""Exports: CSV and XLSX of any list. (Cell safety lives here so every writer
shares it.)"""
from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # Negative numbers stay numbers.
        if value[0] == "-" and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
