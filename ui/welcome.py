"""The first-run page on an empty database: load demo data, import a
spreadsheet, or start adding assets."""
from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.store.db import current_target, describe
from ui.ops import Changes, run_op


class WelcomePage(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window_ = window
        self.setObjectName("welcome")
        title = QLabel("Welcome to Quartermaster")
        title.setObjectName("welcome-title")
        intro = QLabel(f"The database <b>{describe(current_target())}</b> is empty. How would you like to start?")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(60, 50, 60, 40)
        lay.addWidget(title)
        lay.addWidget(intro)
        lay.addSpacing(16)
        self.demo_button = self._action(
            "Load demo data",
            "A realistic district to explore: sites, rooms, staff, students, 2,000 assets, "
            "loans, repairs, licenses and supplies.", self.load_demo)
        lay.addWidget(self.demo_button)
        lay.addWidget(self._action(
            "Import a spreadsheet",
            "Your inventory from Excel or CSV, or an export from Snipe-IT.", window.import_file))
        lay.addWidget(self._action(
            "Start adding assets",
            "Type or scan the first device; tags are numbered for you.", window.new_asset))
        lay.addStretch(1)
        self._ready = True

    def _action(self, title: str, text: str, slot) -> QPushButton:
        b = QPushButton(f"{title}\n{text}")
        b.setObjectName("welcome-action")
        b.setCursor(Qt.PointingHandCursor)
        b.clicked.connect(lambda: slot())
        return b

    def load_demo(self) -> None:
        from app.demo import build_demo

        self.demo_button.setEnabled(False)
        run_op(self, lambda progress: build_demo(assets=2000, progress=progress.update),
               changes=Changes.ALL, failure=lambda _exc: self.demo_button.setEnabled(True),
               slow=True, progress=True, title="Loading demo data")

    def is_ready(self) -> bool:
        return self._ready
