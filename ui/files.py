"""Save dialogs, the one way: they open in the folder last saved to (remembered
in QSettings across sessions) with a file name that says what the file is and
when it was made (``loan-agreement-S2000324-2026-12-06.pdf``,
``assets-2026-12-06.csv``; see ``app.wording.file_name``).

    path = ask_save_path(self, "Save loan agreement", ("loan agreement", person.id_number),
                         "PDF (*.pdf)")
    if path: ...
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from app.wording import file_name

LAST_FOLDER_KEY = "files/last_folder"


def last_folder() -> Path:
    """The folder last saved to, if it still exists; else Documents (or home)."""
    saved = QSettings().value(LAST_FOLDER_KEY)
    if saved and Path(str(saved)).is_dir():
        return Path(str(saved))
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def remember_folder(path: str | os.PathLike) -> None:
    folder = Path(path).expanduser().parent
    if str(folder):
        QSettings().setValue(LAST_FOLDER_KEY, str(folder))


def _ext_of(filter_text: str) -> str:
    """'PDF (*.pdf)' → 'pdf' (the first pattern of the first filter)."""
    import re
    m = re.search(r"\*\.([A-Za-z0-9.]+)", filter_text or "")
    return m.group(1) if m else ""


def suggested_path(name: str | tuple | list, filter_text: str = "") -> str:
    """Where the dialog starts: the last folder, and ``name`` — a whole file
    name (str with an extension) or the parts of one (tuple: they are joined
    and dated by ``app.wording.file_name``)."""
    if isinstance(name, (tuple, list)):
        name = file_name(*name, ext=_ext_of(filter_text) or "txt")
    return str(last_folder() / name)


def ask_save_path(parent: QWidget | None, title: str, name: str | tuple | list,
                  filter_text: str = "", *, initial_filter: str = "",
                  chosen_filter: list | None = None) -> str:
    """Ask where to save; '' when cancelled. The chosen folder is remembered
    for the next save dialog. The extension of the filter chosen is added when
    the name typed has none. ``initial_filter``: the filter selected at first
    (dialogs offering several formats); ``chosen_filter``: a list that
    receives the filter the user chose."""
    start = suggested_path(name, initial_filter or filter_text)
    if initial_filter:
        path, chosen = QFileDialog.getSaveFileName(parent, title, start, filter_text,
                                                   initial_filter)
    else:
        path, chosen = QFileDialog.getSaveFileName(parent, title, start, filter_text)
    if not path:
        return ""
    if chosen_filter is not None:
        chosen_filter[:] = [chosen]
    ext = _ext_of(chosen or filter_text)
    if ext and not Path(path).suffix:
        path = f"{path}.{ext}"
    remember_folder(path)
    return path


def agreement_name(person_id: int) -> tuple:
    """The parts of a loan agreement's file name: the person's ID number
    (their name when they have none) — loan-agreement-S2000324-2026-12-06.pdf."""
    from app.models import Person
    p = Person.get_or_none(Person.id == person_id)
    who = (p.id_number or p.full_name) if p is not None else person_id
    return ("loan agreement", who)
