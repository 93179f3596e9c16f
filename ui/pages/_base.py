"""What the pages share: ``PageBase``, a title row (``actions_row``) over the
page's body (``body``) with the page contract (refresh, is_ready) the main
window calls; ``ListPage``, a PageBase with a ListView, a context menu built
from the same actions, and apply_filters. The scanning pages build on
PageBase in ui/pages/scan_session.py."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QMenu, QToolButton, QVBoxLayout,
                               QWidget)

from ui.widgets.toolbar import title_row
from ui.widgets.listview import ListView


class PageBase(QWidget):
    """A sidebar page: its title, then what ``actions_row`` gets (buttons,
    pickers), over ``body`` (the page's own widgets, added by the subclass)."""

    TITLE = ""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.actions_row = title_row(self.TITLE)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(12, 10, 12, 6)
        self.body.addLayout(self.actions_row)

    def refresh(self) -> None:
        """Data changed, or the page is shown again: re-read."""

    def is_ready(self) -> bool:
        return True


class ListPage(PageBase):
    KIND = "assets"
    SEARCH_HINT = "Search…"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = ListView(self.KIND, self.SEARCH_HINT, self)
        self.list.activated.connect(self.open_record)
        self.list.selectionChanged.connect(self.update_actions)
        self.body.addWidget(self.list, 1)
        self.page_actions: list[QAction] = []
        self.list.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.table.customContextMenuRequested.connect(self._context_menu)
        self._stale = True

    # --- building ---------------------------------------------------------------------

    def add_action(self, text: str, slot, shortcut=None, needs: str = "any",
                   button: bool | str = True, tip: str = "") -> QAction:
        """``needs``: 'none' always on, 'one' exactly one row, 'any' one or more.
        ``button``: a tool button of its own (True), none (False: the context
        menu only), or "more": an entry of the row's *More* menu, for what is
        used now and then (the row stays within a 1024-pixel screen)."""
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        act.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString()})" if shortcut else tip or text)
        act.triggered.connect(slot)
        act.setProperty("needs", needs)
        self.addAction(act)
        self.page_actions.append(act)
        if button == "more":
            self._more_menu().addAction(act)
        elif button:
            b = QToolButton()
            b.setDefaultAction(act)
            b.setToolButtonStyle(Qt.ToolButtonTextOnly)
            self.actions_row.addWidget(b)
        return act

    def _more_menu(self) -> QMenu:
        """The *More* button at the end of the actions row (made on first use)."""
        menu = getattr(self, "_more", None)
        if menu is None:
            button = QToolButton()
            button.setText("More")
            button.setObjectName("page-more")
            button.setPopupMode(QToolButton.InstantPopup)
            button.setToolButtonStyle(Qt.ToolButtonTextOnly)
            menu = self._more = QMenu(button)
            button.setMenu(menu)
            self.actions_row.addWidget(button)
        return menu

    def add_filter(self, key: str, label: str, choices: list[tuple[str, object]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"filter-{key}")
        combo.addItem(label, None)
        for text, value in choices:
            combo.addItem(text, value)
        combo.setMinimumContentsLength(8)
        combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        combo.setToolTip(label)  # the whole name when a narrow window cuts it short
        combo.currentIndexChanged.connect(lambda _i, k=key, c=combo: self._filter_changed(k, c))
        self.list.filter_bar.addWidget(combo)
        return combo

    def _filter_changed(self, key: str, combo: QComboBox) -> None:
        self.list.set_filter(key, combo.currentData())
        self.list.apply()

    def update_actions(self) -> None:
        n = len(self.list.selected_ids())
        for act in self.page_actions:
            needs = act.property("needs")
            act.setEnabled(needs == "none" or (needs == "one" and n == 1) or (needs == "any" and n >= 1))

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        for act in self.page_actions:
            if act.property("needs") != "none":
                menu.addAction(act)
        menu.exec(self.list.table.viewport().mapToGlobal(pos))

    # --- page contract ------------------------------------------------------------------

    def refresh(self) -> None:
        self.list.apply()
        self.update_actions()

    def showEvent(self, event):
        super().showEvent(event)
        if not self.list.loaded:
            self.refresh()

    def apply_filters(self, filters: dict) -> None:
        """Show the list filtered as asked (dashboard links, navigation)."""
        for key, value in filters.items():
            if key == "search":
                self.list.search.blockSignals(True)
                self.list.search.setText(value or "")
                self.list.search.blockSignals(False)
                continue
            combo = self.findChild(QComboBox, f"filter-{key}")
            if combo is not None:
                combo.blockSignals(True)
                i = combo.findData(value)
                combo.setCurrentIndex(i if i >= 0 else 0)
                combo.blockSignals(False)
            self.list.set_filter(key, value)
        self.refresh()

    def clear_filters(self) -> None:
        for combo in self.findChildren(QComboBox):
            if combo.objectName().startswith("filter-"):
                combo.blockSignals(True)
                combo.setCurrentIndex(0)
                combo.blockSignals(False)
        self.list.extra_filters.clear()

    def is_painted(self) -> bool:
        """The first rows are in (the first paint)."""
        m = self.list.model
        return self.list.loaded and (not m.rows or m.row_values(0) is not None)

    def is_ready(self) -> bool:
        """The first rows and the counts beside the search box ("counting…" until
        the worker's come)."""
        m = self.list.model
        return self.is_painted() and m.counted and m.total is not None

    def selected_ids(self) -> list[int]:
        return self.list.selected_ids()

    def open_record(self, record_id: int) -> None:  # overridden
        pass
