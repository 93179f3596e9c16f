"""The OK / Cancel row every form dialog ends with."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox


def ok_cancel(dialog: QDialog, ok_text: str | None = None,
              on_ok: Callable[[], object] | None = None) -> QDialogButtonBox:
    """OK (named ``ok_text``, e.g. "Check out") runs ``on_ok`` (default: the
    dialog's accept); Cancel rejects the dialog."""
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    if ok_text:
        buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.accepted.connect(on_ok or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
