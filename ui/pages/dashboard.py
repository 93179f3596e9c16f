"""The Dashboard: the register at a glance; every figure opens its list."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QGridLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from app.dashboard import summary
from ui.bus import bus
from ui.ops import Changes

PAGE_KEY = "dashboard"
PAGE_TITLE = "Dashboard"
PAGE_ORDER = 10
PAGE_ICON = "dashboard"


class Tile(QPushButton):
    """A big number with a caption; clicking opens the filtered list."""

    def __init__(self, caption: str, page: str, filters: dict, warn: bool = False, parent=None):
        super().__init__(parent)
        self.page, self.filters, self.warn = page, filters, warn
        self.setObjectName("tile")
        self.setCursor(Qt.PointingHandCursor)
        self.setMinimumSize(140, 86)
        self.number = QLabel("–")
        self.number.setObjectName("tile-number")
        self.caption = QLabel(caption)
        self.caption.setObjectName("tile-caption")
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.number)
        lay.addWidget(self.caption)
        self.clicked.connect(lambda: bus.navigate.emit(self.page, dict(self.filters)))

    def set_value(self, n: int) -> None:
        self.number.setText(f"{n:,}")
        self.setProperty("alert", bool(self.warn and n))
        self.style().unpolish(self)
        self.style().polish(self)


class BarList(QWidget):
    """Rows of name, bar and count; each row opens the list filtered by it."""

    def __init__(self, title: str, filter_key: str, parent=None):
        super().__init__(parent)
        self.filter_key = filter_key
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(2)
        head = QLabel(title)
        head.setObjectName("section-title")
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addLayout(self.grid)
        lay.addStretch(1)

    def set_rows(self, rows: list[tuple[object, str, int]]) -> None:
        rows = list(rows)
        if rows == getattr(self, "_rows", None):
            return  # the same figures: the links stay (one may be under the pointer)
        self._rows = rows
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w:
                w.deleteLater()
        top = max([n for _, _, n in rows] or [1]) or 1
        for r, (value, name, n) in enumerate(rows[:12]):
            link = QPushButton(name)
            link.setObjectName("bar-link")
            link.setFlat(True)
            link.setCursor(Qt.PointingHandCursor)
            link.clicked.connect(lambda _=False, v=value: bus.navigate.emit(
                "assets", {self.filter_key: v}))
            bar = QFrame()
            bar.setObjectName("bar")
            bar.setFixedHeight(12)
            bar.setFixedWidth(max(2, int(150 * n / top)))
            count = QLabel(f"{n:,}")
            count.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.grid.addWidget(link, r, 0, Qt.AlignLeft)
            self.grid.addWidget(bar, r, 1, Qt.AlignLeft)
            self.grid.addWidget(count, r, 2)
        self.grid.setColumnStretch(1, 1)


class Page(QWidget):
    # Counts by status, category and site; loans, repairs, warranties, audits; the fiscal year.
    CHANGES = (Changes.ASSETS | Changes.LOANS | Changes.REPAIRS | Changes.LOCATIONS
               | Changes.CATALOG | Changes.INTAKE | Changes.SETTINGS)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._ready = False
        self._loading = self._again = False
        title = QLabel("Dashboard")
        title.setObjectName("page-title")
        self.subtitle = QLabel()
        self.tiles = {
            "total": Tile("assets in the register", "assets", {}),
            "deployed": Tile("deployed", "assets", {"status": "deployed"}),
            "loans_overdue": Tile("loans overdue", "loans", {"loan_state": "overdue"}, warn=True),
            "loans_due_soon": Tile("loans due within 14 days", "loans", {"loan_state": "due_soon"}),
            "open_repairs": Tile("open repairs", "repairs", {"repair_state": "open"}, warn=True),
            "warranty_90": Tile("warranties ending within 90 days", "assets", {"warranty_days": 90}),
            "not_audited": Tile("not audited this fiscal year", "assets", {"not_audited": True}, warn=True),
            "missing": Tile("missing", "assets", {"status": "missing"}, warn=True),
            "low_stock": Tile("supplies at or below reorder point", "supplies", {"low": True}, warn=True),
            "licenses_expiring": Tile("licenses expired or expiring within 60 days", "licenses",
                                      {"expiring": 60}, warn=True),
        }
        self.tile_grid = grid = QGridLayout()
        grid.setSpacing(10)
        self._columns = 0
        self.status_bars = BarList("By status", "status")
        self.category_bars = BarList("By category (in service)", "category_id")
        self.site_bars = BarList("By site (in service)", "site_id")
        self.lists = lists = QGridLayout()
        lists.setHorizontalSpacing(24)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.addWidget(title)
        lay.addWidget(self.subtitle)
        lay.addLayout(grid)
        lay.addSpacing(10)
        lay.addLayout(lists, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._relayout(event.size().width())

    def _relayout(self, width: int) -> None:
        """Tiles and bar lists wrap to the window width: no sideways scrolling."""
        columns = max(2, min(5, (width - 40) // 185))
        if columns == self._columns:
            return
        self._columns = columns
        for i, tile in enumerate(self.tiles.values()):
            self.tile_grid.addWidget(tile, i // columns, i % columns)
        bars = (self.status_bars, self.category_bars, self.site_bars)
        per_row = 3 if width >= 1150 else 2
        for i, w in enumerate(bars):
            self.lists.addWidget(w, i // per_row, i % per_row)

    def showEvent(self, event):
        super().showEvent(event)
        if not self._ready and not self._loading:
            self.refresh()

    def refresh(self) -> None:
        """Ask for the figures off the GUI thread (seconds at a million assets);
        the page paints at once and fills them in when they come."""
        if self._loading:
            self._again = True  # something changed meanwhile: ask again when this one is in
            return
        from ui.jobs import run_quietly
        self._loading, self._again = True, False
        run_quietly(self, summary, self._show, title="Dashboard")

    def _show(self, s: dict) -> None:
        self._loading = False
        if self._again:
            self.refresh()
            return
        status = {k: n for k, _, n in s["by_status"]}
        for key, tile in self.tiles.items():
            tile.set_value(status.get(key, s.get(key, 0)) if key in status else s.get(key, 0))
        fy = s["fiscal_year_start"]
        self.subtitle.setText(f"Fiscal year from {fy:%B %-d, %Y}")
        self.status_bars.set_rows([(k, label, n) for k, label, n in s["by_status"]])
        self.category_bars.set_rows([(i, name, n) for i, name, n in s["by_category"]])
        self.site_bars.set_rows([(i, name, n) for i, name, n in s["by_site"]])
        self._ready = True

    def is_ready(self) -> bool:
        return self._ready

    def is_painted(self) -> bool:
        """The tiles and lists paint at once; their figures fill in when the
        worker brings them."""
        return True
