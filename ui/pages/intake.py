"""The Intake page: receive a shipment in one pass.

Start an intake (the delivery's defaults), then for each box: scan the
serial — the device is created at once with the next tag, shown in big
letters with a sound, and its label printed (a roll: now; a sheet: when it is
full or the intake closes). Pre-printed mode pairs the serial with the tag
label scanned next. Undo (Ctrl+Z) removes the last device. Sessions persist:
reopening the app carries on with the last one.

Where labels go is this workstation's choice (remembered in QSettings): a
printer at actual size with its calibration, a Zebra queue as raw ZPL for
thermal templates (both through ui.printing), or PDF files in a folder. A printing
failure keeps the labels queued with the reason; nothing is lost.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QSpinBox,
                               QMessageBox, QPushButton, QStackedWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.services import intake
from app.services.errors import DomainError
from app.wording import plural, status_label
from reports import labels
from ui import feedback, printing, theme
from ui.bus import bus
from ui.jobs import show_error
from ui.ops import Changes, announce, run_op
from ui.widgets.tables import fill, small_table

PAGE_KEY = "intake"
PAGE_TITLE = "Intake"
PAGE_ORDER = 95
PAGE_ICON = "intake"

ITEM_HEADERS = ("Time", "Serial", "Tag", "Label", "Note")
PDF_FOLDER = "__pdf_folder__"


class ScanEntry(QLineEdit):
    """The typed-serial field; leaves Ctrl+Z to the page's undo."""

    def event(self, e):
        if e.type() == QEvent.ShortcutOverride and e.matches(QKeySequence.Undo):
            e.ignore()
            return True
        return super().event(e)


def default_pdf_folder() -> str:
    docs = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or str(Path.home())
    return str(Path(docs) / "Quartermaster labels")


class Page(QWidget):
    # Sessions, and the models, rooms and label stock they name.
    CHANGES = Changes.INTAKE | Changes.CATALOG | Changes.LOCATIONS | Changes.SETTINGS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.session_id: int | None = None
        self.info: dict = {}
        self.pending: str | None = None  # pre-printed mode: serial waiting for its tag
        self.existing_id: int | None = None
        self.printed_files: list[str] = []
        self._queued: int | None = None  # labels waiting, as last counted

        title = QLabel("Intake")
        title.setObjectName("page-title")
        self.sessions = QComboBox()
        self.sessions.setObjectName("intake-sessions")
        self.sessions.setMinimumContentsLength(34)
        self.sessions.activated.connect(self._session_chosen)
        new = QPushButton("New intake…")
        new.setObjectName("intake-new")
        new.clicked.connect(self.new_session)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Delivery:"))
        top.addWidget(self.sessions)
        top.addWidget(new)

        self.stack = QStackedWidget()
        empty = QLabel("Receiving a shipment? Start an intake with the PO's model, cost, funding "
                       "and room,\nthen scan each device's serial barcode: it is added at once "
                       "with the next tag and its label printed.")
        empty.setAlignment(Qt.AlignCenter)
        empty.setWordWrap(True)
        self.stack.addWidget(empty)
        self.stack.addWidget(self._build_scanning())
        self.stack.addWidget(self._build_closed())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addLayout(top)
        lay.addWidget(self.stack, 1)

        self.undo_action = QAction("Undo last device", self)
        self.undo_action.setShortcut(QKeySequence.Undo)
        # Anywhere in the window while this page shows (a text field being edited
        # keeps Ctrl+Z for its own text, except the serial field).
        self.undo_action.setShortcutContext(Qt.WindowShortcut)
        self.undo_action.triggered.connect(self.undo)
        self.addAction(self.undo_action)
        # The rest of the app hears about new assets once the scanning pauses
        # (its counts and lists), not on every scan.
        self._changed = QTimer(self, singleShot=True, interval=1500,
                               timeout=lambda: announce(Changes.ASSETS | Changes.INTAKE))
        self.reload_sessions()
        last = QSettings().value("intake/session")
        open_ones = [s["id"] for s in intake.list_sessions(include_closed=False)]
        if open_ones and (last is None or int(last) not in open_ones):
            # The remembered intake was closed (or is another workstation's
            # first visit): carry on with the newest open one.
            last = open_ones[0]
        if last is not None:
            self.open_session(int(last), quiet=True)

    # --- building -----------------------------------------------------------------------

    def _build_scanning(self) -> QWidget:
        w = QWidget()
        self.defaults = QLabel()
        self.defaults.setObjectName("intake-defaults")
        self.defaults.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("intake-status")
        self.status.setAlignment(Qt.AlignCenter)
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(130)
        self.detail = QLabel()
        self.detail.setObjectName("intake-detail")
        self.detail.setAlignment(Qt.AlignCenter)
        self.detail.setWordWrap(True)
        f = self.detail.font()
        f.setPointSizeF(f.pointSizeF() * 1.35)
        self.detail.setFont(f)
        self.count = QLabel()
        self.count.setObjectName("intake-count")
        self.count.setAlignment(Qt.AlignCenter)
        f = self.count.font()
        f.setPointSizeF(f.pointSizeF() * 2.2)
        f.setBold(True)
        self.count.setFont(f)
        self.open_existing = QPushButton("Open that asset")
        self.open_existing.setObjectName("intake-open-existing")
        self.open_existing.clicked.connect(self._open_existing)
        self.open_existing.hide()
        self.entry = ScanEntry()
        self.entry.setObjectName("intake-entry")
        self.entry.setPlaceholderText("Scan anywhere — or type a serial here and press Enter")
        self.entry.returnPressed.connect(self._typed)
        self.undo_button = QPushButton("Undo last device (Ctrl+Z)")
        self.undo_button.setObjectName("intake-undo")
        self.undo_button.clicked.connect(self.undo)
        self.print_button = QPushButton("Print queued labels")
        self.print_button.setObjectName("intake-print")
        self.print_button.clicked.connect(lambda: self.print_queued(force=True))
        close = QPushButton("Close intake…")
        close.setObjectName("intake-close")
        close.clicked.connect(lambda: self.close_session())
        self.printer = QComboBox()
        self.printer.setObjectName("intake-printer")
        self.printer.setMinimumContentsLength(22)
        for name in printing.printer_names():
            self.printer.addItem(name, name)
        self.printer.addItem("PDF files in a folder", PDF_FOLDER)
        saved = QSettings().value("intake/printer")
        i = self.printer.findData(saved) if saved else -1
        self.printer.setCurrentIndex(i if i >= 0 else 0)
        self.printer.currentIndexChanged.connect(
            lambda _i: QSettings().setValue("intake/printer", self.printer.currentData()))
        self.folder = QLineEdit(QSettings().value("intake/pdf_folder") or default_pdf_folder())
        self.folder.setObjectName("intake-folder")
        self.folder.editingFinished.connect(
            lambda: QSettings().setValue("intake/pdf_folder", self.folder.text().strip()))
        browse = QPushButton("…")
        browse.setFixedWidth(32)
        browse.clicked.connect(self._choose_folder)
        self.printer.currentIndexChanged.connect(self._printer_changed)
        self._folder_widgets = (self.folder, browse)
        # A sheet already partly used: the next sheet printed starts at this
        # label (then back to 1 — the sheets after it are fresh).
        self.start_at = QSpinBox()
        self.start_at.setObjectName("intake-start-at")
        self.start_at.setRange(1, 1)
        self.start_at.setPrefix("next sheet from label ")
        self.start_at.setToolTip("Put a partly used label sheet in the printer? Say which label "
                                 "is the first free one (counting across, then down).")
        self.start_at.valueChanged.connect(lambda _v: self._update_print_button())
        buttons = QHBoxLayout()
        for b in (self.undo_button, self.print_button, close):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.start_at)
        target = QHBoxLayout()  # where labels go, on a row of its own (a folder path is long)
        target.addWidget(QLabel("Labels to:"))
        target.addWidget(self.printer)
        target.addWidget(self.folder, 1)
        target.addWidget(browse)
        self._target_stretch = QWidget()
        target.addWidget(self._target_stretch, 1)
        self.table = small_table(ITEM_HEADERS)
        self.table.setObjectName("intake-items")
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.defaults)
        lay.addWidget(self.status)
        lay.addWidget(self.detail)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.count)
        row.addWidget(self.open_existing)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.entry)
        lay.addLayout(buttons)
        lay.addLayout(target)
        lay.addWidget(self.table, 1)
        self._printer_changed()
        return w

    def _build_closed(self) -> QWidget:
        w = QWidget()
        self.closed_title = QLabel()
        self.closed_title.setObjectName("intake-closed-title")
        self.closed_title.setWordWrap(True)
        f = self.closed_title.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.closed_title.setFont(f)
        self.closed_detail = QLabel()
        self.closed_detail.setObjectName("intake-closed-detail")
        self.closed_detail.setWordWrap(True)
        self.closed_detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.closed_table = small_table(ITEM_HEADERS)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(self.closed_title)
        lay.addWidget(self.closed_detail)
        lay.addWidget(self.closed_table, 1)
        return w

    def _style(self, level: str | None) -> None:
        self.status.setStyleSheet(theme.banner_style("intake-status", level, 34))

    def _printer_changed(self, *_):
        to_folder = self.printer.currentData() == PDF_FOLDER
        for wdg in self._folder_widgets:
            wdg.setVisible(to_folder)
        self._target_stretch.setVisible(not to_folder)

    def _choose_folder(self):
        path = QFileDialog.getExistingDirectory(self, "Folder for label PDFs", self.folder.text())
        if path:
            self.folder.setText(path)
            QSettings().setValue("intake/pdf_folder", path)

    # --- sessions -----------------------------------------------------------------------

    def reload_sessions(self) -> None:
        self.sessions.blockSignals(True)
        self.sessions.clear()
        self.sessions.addItem("— choose —", None)
        for s in intake.list_sessions():
            exp = f"{s['received']} of {s['expected']}" if s["expected"] else f"{s['received']}"
            self.sessions.addItem(f"{s['id']}: PO {s['order_number']} — {s['model']} ({exp}, "
                                  f"{status_label(s['status'])})", s["id"])
        self.sessions.setCurrentIndex(max(self.sessions.findData(self.session_id), 0))
        self.sessions.blockSignals(False)

    def _session_chosen(self, index: int) -> None:
        sid = self.sessions.itemData(index)
        if sid is None:
            self.session_id = None
            self.stack.setCurrentIndex(0)
        else:
            self.open_session(sid)

    def new_session(self) -> None:
        from ui.dialogs.intake_start import IntakeStartDialog
        dlg = IntakeStartDialog(self)
        if dlg.exec() and dlg.session is not None:
            self.open_session(dlg.session.id)  # the dialog announced the new intake

    def open_session(self, session_id: int, quiet: bool = False) -> None:
        try:
            self.info = intake.describe(session_id)
        except DomainError as exc:
            if not quiet:
                show_error(self, "Intake", exc)
            return
        self.session_id = session_id
        self.pending = None
        QSettings().setValue("intake/session", session_id)
        self.reload_sessions()
        if self.info["status"] == "open":
            self.stack.setCurrentIndex(1)
            t = self._template()
            self.start_at.setRange(1, t.per_page if t.is_sheet else 1)
            self.start_at.setValue(1)
            self.start_at.setVisible(t.is_sheet)
            self._show_defaults()
            self.status.setText("Scan the first serial" if not self.info["received"] else
                                "Ready — scan the next serial")
            self._style(None)
            self.detail.setText("")
            self.count.setText(self.info["count_text"])
            self._reload_items()
        else:
            self.stack.setCurrentIndex(2)
            self.show_report(intake.report(session_id))

    def _template(self):
        """The session's stock; else (none chosen, or a custom one since deleted)
        the default_label_template setting, as intake's start dialog offers."""
        from app.services import settings
        for name in (self.info.get("label_template"), settings.get("default_label_template")):
            if name:
                try:
                    return labels.get_template(name)
                except DomainError:
                    continue
        return labels.get_template(settings.DEFAULTS["default_label_template"])

    def _show_defaults(self) -> None:
        i = self.info
        t = self._template()
        parts = [i["model"], f"PO {i['order_number']}"]
        if i["supplier"]:
            parts.append(i["supplier"])
        if i["cost"] is not None:
            parts.append(f"${i['cost']:,.2f} each")
        if i["funding"]:
            parts.append(i["funding"])
        parts.append(f"into {i['place']}" if i["place"] else "no room")
        if i["purchase_date"]:
            parts.append(f"bought {i['purchase_date']:%Y-%m-%d}")
        if i["warranty_end"]:
            parts.append(f"warranty to {i['warranty_end']:%Y-%m-%d}")
        stock = t.title.split(" — ")[0]
        how = "pre-printed tags: serial, then tag" if i["preprinted"] else (
            f"labels: {stock}" + (f", printed when a sheet of {t.per_page} is full" if t.is_sheet
                                  else ", each printed at once"))
        parts.append(how)
        self.defaults.setText(" · ".join(parts))

    def _reload_items(self) -> None:
        rows = intake.items(self.session_id, 500)
        fill(self.table, [self._row(r) for r in rows])
        self._update_print_button(count=True)

    @staticmethod
    def _row(r: dict) -> tuple:
        return (r["at"].replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M:%S"),
                r["serial"], r["tag"], r["label"], r["warning"] or "")

    def _update_print_button(self, count: bool = False) -> None:
        if count or self._queued is None:
            self._queued = len(intake.queued(self.session_id)) if self.session_id else 0
        n = self._queued
        self.print_button.setText(f"Print queued labels ({n})")
        self.print_button.setEnabled(n > 0)

    # --- scanning -----------------------------------------------------------------------

    def handle_scan(self, code: str) -> bool:
        if not self.isVisible():
            return False
        if self.session_id is None or self.info.get("status") != "open":
            # A serial scanned here means "receive it": never offer to make it a tag.
            from app import scanning
            if scanning.resolve(code).found:
                return False  # a known tag, room, person: open it as anywhere else
            feedback.show_feedback("error", "No open intake", self)
            bus.status_message.emit(f"{code} was not received: start an intake (New intake…) "
                                    "or pick an open one first.")
            return True
        self.record(code)
        return True

    def _typed(self) -> None:
        code = self.entry.text().strip()
        self.entry.clear()
        if code and self.session_id is not None and self.info.get("status") == "open":
            self.record(code)

    def record(self, code: str) -> intake.Outcome | None:
        sid, pending, scanned = self.session_id, self.pending, []
        # Changes.NONE here: the rest of the app hears of the new assets once
        # the scanning pauses (self._changed), not on every scan.
        run_op(self, lambda: intake.scan(sid, code, pending=pending), changes=Changes.NONE,
               success=scanned.append, on_error=self._scan_refused)
        if not scanned:
            return None
        out = scanned[0]
        self.pending = out.pending if out.kind in ("pending", "tag_refused") else None
        self.existing_id = out.existing["id"] if out.existing else None
        self.open_existing.setVisible(self.existing_id is not None)
        if self.existing_id:
            self.open_existing.setText(f"Open {out.existing['tag']}")
        self.count.setText(out.count_text)
        if out.kind == "received":
            self._update_session_text(out)
            self._changed.start()
            self._show(out.level, out.tag, f"Serial {out.serial}" + (
                f" — ⚠ {out.warning}" if out.warning else ""))
            feedback.show_feedback(out.level, f"{out.tag}  ({out.count_text})", self)
            self.table.insertRow(0)
            for col, value in enumerate((dt.datetime.now().strftime("%H:%M:%S"), out.serial,
                                         out.tag, "printed" if self.info["preprinted"] else
                                         "queued", out.warning or "")):
                self.table.setItem(0, col, QTableWidgetItem(value))
            if not self.info["preprinted"]:
                self.print_queued()
                self._update_print_button()
        elif out.kind == "repeat":
            self.detail.setText(f"{out.serial} scanned again — ignored ({out.tag})")
        elif out.kind == "pending":
            self._show("ok", "SCAN THE TAG", out.message + (f" — ⚠ {out.warning}" if out.warning else ""))
            feedback.show_feedback("ok", f"{out.serial}: now the tag label", self)
        else:
            head = {"exists": "ALREADY IN THE REGISTER", "tag_refused": "TAG REFUSED"}.get(
                out.kind, "NOT RECEIVED")
            self._show("error", head, out.message)
            short = (f"Already {out.existing['tag']} ({out.existing['status_label']})"
                     if out.existing else f"Tag {out.tag} refused" if out.kind == "tag_refused"
                     else out.message)
            feedback.show_feedback("error", short, self)
        return out

    def _update_session_text(self, out: intake.Outcome) -> None:
        i = self.sessions.currentIndex()
        if i > 0:
            exp = out.count_text if out.expected else f"{out.received}"
            self.sessions.setItemText(i, f"{self.session_id}: PO {self.info['order_number']} — "
                                         f"{self.info['model']} ({exp}, open)")

    def _show(self, level: str, head: str, detail: str) -> None:
        self.status.setText(head)
        self._style(level)
        self.detail.setText(detail)

    def _open_existing(self) -> None:
        if self.existing_id:
            bus.open_record.emit("asset", self.existing_id)

    # --- labels -------------------------------------------------------------------------

    def print_queued(self, force: bool = False) -> int:
        """Print what is queued: a roll at once, a sheet when it is full (or
        ``force``: the button, and closing). Returns the labels printed."""
        if self.session_id is None:
            return 0
        queue = intake.queued(self.session_id)
        self._queued = len(queue)
        t = self._template()
        if not queue:
            return 0
        start = self.start_at.value() if t.is_sheet else 1
        if t.is_sheet and not force:
            first = t.per_page - (start - 1)  # the labels left on the first sheet
            if len(queue) < first:
                return 0
            queue = queue[:first + (len(queue) - first) // t.per_page * t.per_page]
        ids = [q["item_id"] for q in queue]
        try:
            self._print([q["asset_id"] for q in queue], t, start)
        except Exception as exc:  # noqa: BLE001 - any printer trouble: keep the labels queued
            msg = " ".join(str(exc).split()) or exc.__class__.__name__
            intake.label_failed(ids, msg)
            self.detail.setText(f"Label{'s' if len(ids) > 1 else ''} not printed ({msg}); "
                                f"{len(ids)} stay queued — the device{'s are' if len(ids) > 1 else ' is'} saved.")
            feedback.show_feedback("attention", f"Label not printed: {msg}", self)
            self._reload_items()
            return 0
        intake.mark_printed(ids)
        if t.is_sheet:
            # Where the next sheet starts: after the labels just used on a partly
            # printed last sheet (closing prints one), else at 1.
            self.start_at.setValue((start - 1 + len(ids)) % t.per_page + 1 if force else 1)
        self._queued -= len(ids)
        self._mark_rows({q["tag"] for q in queue}, "printed")
        self._update_print_button()
        return len(ids)

    def _mark_rows(self, tags: set, state: str) -> None:
        """Show a new label state in the newest rows (no reload of the list)."""
        for row in range(min(self.table.rowCount(), 500)):
            item = self.table.item(row, 2)
            if item is not None and item.text() in tags:
                self.table.setItem(row, 3, QTableWidgetItem(state))

    def _print(self, asset_ids: list[int], t, start_at: int = 1) -> None:
        items = labels.items_for_assets(asset_ids)
        target = self.printer.currentData()
        if target == PDF_FOLDER:
            folder = Path(self.folder.text().strip() or default_pdf_folder())
            folder.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = folder / f"intake-{self.session_id}-{stamp}-{items[0].code}.pdf"
            labels.render_pdf(items, path, template=t.name, start_at=start_at)
            self.printed_files.append(str(path))
            return
        if t.kind == "thermal" and t.name.startswith("zebra"):
            printing.send_labels_zpl(target, items, t.name)
            return
        printing.print_labels(printing.named_printer(target), items, t.name, start_at=start_at)

    # --- undo and close -----------------------------------------------------------------

    def undo(self) -> None:
        if self.session_id is None or self.info.get("status") != "open":
            return
        if self.pending:
            self.pending = None
            self._show(None, "Ready — scan the next serial", "The pending serial was dropped.")
            return
        run_op(self, lambda: intake.undo_last(self.session_id),
               changes=Changes.ASSETS | Changes.INTAKE, success=self._undone,
               on_error=lambda exc: self._refused("NOTHING UNDONE", exc))

    def _undone(self, u) -> None:
        self._show("attention", f"UNDONE {u.tag}", u.message)
        feedback.show_feedback("attention", f"Undone: {u.tag}", self)
        self.count.setText(intake.count_text(u.received, u.expected))
        self._reload_items()

    def _scan_refused(self, exc) -> None:
        self._refused("NOT RECEIVED", exc)

    def _refused(self, head: str, exc) -> None:
        """A refusal said in the page's big status line, with the error sound."""
        self._show("error", head, str(exc))
        feedback.show_feedback("error", str(exc), self)

    def close_session(self, ask: bool = True) -> intake.CloseReport | None:
        if self.session_id is None or self.info.get("status") != "open":
            return None
        r = intake.report(self.session_id)
        if ask:
            text = r.summary() + ".\n"
            if r.unprinted:
                text += f"{plural(len(r.unprinted), 'queued label')} will be printed now.\n"
            answer = QMessageBox.question(self, "Close intake", text + "Close this intake?",
                                          QMessageBox.Yes | QMessageBox.No)
            if answer != QMessageBox.Yes:
                return None
        self.print_queued(force=True)
        closed: list = []
        sid = self.session_id
        if not run_op(self, lambda: intake.close(sid), changes=Changes.ASSETS | Changes.INTAKE,
                      success=closed.append, title="Intake"):
            return None
        rep = closed[0]
        self.info = intake.describe(self.session_id)
        self.reload_sessions()
        self.stack.setCurrentIndex(2)
        self.show_report(rep)
        return rep

    def show_report(self, rep: intake.CloseReport) -> None:
        self.closed_title.setText(rep.summary())
        lines = []
        if rep.first_tag:
            lines.append(f"Tags {rep.first_tag} … {rep.last_tag}.")
        if rep.short:
            lines.append(f"Short: {plural(rep.short, 'device')} on the PO did not arrive.")
        if rep.over:
            lines.append(f"Over: {rep.over:,} more than the PO's quantity.")
        if rep.unprinted:
            lines.append("Labels not printed: " + ", ".join(
                f"{u['tag']}" + (f" ({u['error']})" if u["error"] else "") for u in rep.unprinted))
        if rep.warnings:
            lines.append("Serials to check: " + "; ".join(
                f"{w['tag']} {w['serial']}" for w in rep.warnings))
        if rep.voided:
            lines.append("Voided tags (labels destroyed): " + ", ".join(rep.voided))
        self.closed_detail.setText("\n".join(lines))
        fill(self.closed_table, [self._row(r) for r in intake.items(rep.session_id, 2000)])

    # --- page contract --------------------------------------------------------------------

    def refresh(self) -> None:
        self.reload_sessions()
        if self.session_id is not None and self.info.get("status") == "open":
            self.count.setText(intake.describe(self.session_id)["count_text"])

    def is_ready(self) -> bool:
        return True
