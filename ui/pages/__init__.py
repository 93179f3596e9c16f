"""Sidebar pages, discovered at start-up.

A page is a module ``ui/pages/<key>.py`` that defines::

    PAGE_KEY = "licenses"        # used by navigate() and --page
    PAGE_TITLE = "Licenses"      # sidebar text
    PAGE_ORDER = 50              # sidebar position (Dashboard 10 … Settings 110)
    PAGE_ICON = "licenses"       # resources/icons/<name>.svg
    class Page(QWidget):
        def __init__(self, parent=None): ...
        # optional:
        def refresh(self) -> None: ...             # data changed / page shown
        def apply_filters(self, filters: dict) -> None: ...  # bus.navigate
        def handle_scan(self, code: str) -> bool: ...  # True if the page used the scan
        def is_ready(self) -> bool: ...           # painted its data (screenshot mode)

Orders: dashboard 10, assets 20, people 30, locations 40, licenses 50,
supplies 60, loans 70, repairs 80, stocktake 90, intake 95, reports 100,
settings 110. A module that fails to import is left out of the sidebar and
logged, so one broken page never takes the app down.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    order: int
    icon: str
    factory: type


def discover() -> list[PageSpec]:
    import ui.pages as pkg
    specs = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        try:
            mod = importlib.import_module(f"ui.pages.{info.name}")
        except Exception:  # noqa: BLE001 - a broken page must not stop the app
            log.exception("page %s failed to load", info.name)
            continue
        if not hasattr(mod, "Page"):
            continue
        specs.append(PageSpec(mod.PAGE_KEY, mod.PAGE_TITLE, getattr(mod, "PAGE_ORDER", 500),
                              getattr(mod, "PAGE_ICON", mod.PAGE_KEY), mod.Page))
    specs.sort(key=lambda s: s.order)
    return specs
