"""Application-wide signals, so pages and dialogs talk without importing each other.

    from ui.bus import bus
    # data_changed carries ui.ops.Changes; only ui.ops (run_op, announce) emits it
    bus.open_record.emit("asset", 42)       # ask the main window to open a record
    bus.navigate.emit("assets", {"status": "deployed"})  # go to a page with filters
    bus.status_message.emit("Saved QM-000123")
    bus.scanned.emit("QM-000123")           # the scanner filter saw a burst
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Bus(QObject):
    # A ui.ops.Changes set: what an operation changed. run_op emits it after a
    # service call; the main window after another workstation's change (ALL).
    data_changed = Signal(object)
    open_record = Signal(str, int)  # kind, id
    navigate = Signal(str, dict)  # page key, filters
    status_message = Signal(str)
    scanned = Signal(str)  # a scanner burst, already cleaned
    print_labels = Signal(str, list)  # kind ("asset", "location", "supply"), ids


bus = Bus()
