"""Read-only data shipped with the app: icons, style sheet, label templates,
sounds, translations. ``path("labels", "avery-5160.toml")`` finds a file
whether running from the source tree, an installed wheel or a frozen build."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent)) / "resources" \
    if getattr(sys, "frozen", False) else Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    return ROOT.joinpath(*parts)
