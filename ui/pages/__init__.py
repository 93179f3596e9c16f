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
settings 110. The sidebar is built from those constants, read from each
module's text: a page module is imported when the page is first shown (the
pages not shown at start cost nothing then, ~0.15 s CPU in all). A module
that fails to import is logged and its page says so when opened (one broken
page never takes the app down); one whose constants cannot be read is left
out of the sidebar and logged.
"""
from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    order: int
    icon: str
    module: str

    @property
    def factory(self) -> type:
        """The page's class (its module imported on first use)."""
        cls: type = importlib.import_module(self.module).Page
        return cls


_CONSTANT = re.compile(r"^(PAGE_(?:KEY|TITLE|ORDER|ICON))\s*=\s*(.+?)\s*(?:#.*)?$", re.M)
_PAGE_CLASS = re.compile(r"^class Page\b", re.M)


def discover() -> list[PageSpec]:
    import ui.pages as pkg
    specs = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        path = Path(pkg.__path__[0]) / f"{info.name}.py"
        try:
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                if not _PAGE_CLASS.search(text):
                    continue
                found = {k: ast.literal_eval(v) for k, v in _CONSTANT.findall(text)}
            else:
                # The frozen build ships bytecode only: the module itself says.
                module = importlib.import_module(f"ui.pages.{info.name}")
                if not hasattr(module, "Page"):
                    continue
                found = {k: getattr(module, k) for k in
                         ("PAGE_KEY", "PAGE_TITLE", "PAGE_ORDER", "PAGE_ICON")
                         if hasattr(module, k)}
            specs.append(PageSpec(found["PAGE_KEY"], found["PAGE_TITLE"],
                                  found.get("PAGE_ORDER", 500),
                                  found.get("PAGE_ICON", found["PAGE_KEY"]),
                                  f"ui.pages.{info.name}"))
        except (OSError, ValueError, SyntaxError, KeyError, ImportError):
            log.exception("page %s cannot be read", info.name)
    specs.sort(key=lambda s: s.order)
    return specs
