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
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from app.services import intake
from app.wording import plural, status_label
from reports import labels
from ui import feedback, printing
from ui.bus import bus
from ui.ops import Changes, announce, lookup, run_op
from ui.pages.scan_session import ScanResult, ScanSessionPage, SessionChoice
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


class Page(ScanSessionPage):
    KEY = "intake"
    TITLE = "Intake"
    SESSION_LABEL = "Delivery:"
    NEW_TEXT = "New intake…"
    CLOSE_TEXT = "Close intake…"
    SESSIONS_WIDTH = 34
    EMPTY_TEXT = ("Receiving a shipment? Start an intake with the PO's model, cost, funding and "
                  "room,\nthen scan each device's serial barcode: it is added at once with the "
                  "next tag and its label printed.")
    IDLE_TEXT = "Scan the first serial"
    ENTRY_HINT = "Scan anywhere — or type a serial here and press Enter"
    ENTRY_CLASS = ScanEntry
    SCAN_HEADERS = ITEM_HEADERS
    SCAN_LIST_NAME = "intake-items"
    SCAN_LIST_CAP = 500
    BANNER_PT = 34
    REFUSED_TEXT = "NOT RECEIVED"
    # Changes.NONE per scan: the rest of the app hears of the new assets once
    # the scanning pauses (self._changed), not on every scan.
    SCAN_CHANGES = Changes.NONE
    # Sessions, and the models, rooms and label stock they name.
    CHANGES = Changes.INTAKE | Changes.CATALOG | Changes.LOCATIONS | Changes.SETTINGS

    def __init__(self, parent=None):
        self.info: dict = {}
        self.pending: str | None = None  # pre-printed mode: serial waiting for its tag
        self.existing_id: int | None = None
        self.printed_files: list[str] = []
        self._queued: int | None = None  # labels waiting, as last counted
        super().__init__(parent)
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
        self._printer_changed()
        self.start()

    # --- building -----------------------------------------------------------------------

    def under_banner(self) -> list:
        self.defaults = QLabel()
        self.defaults.setObjectName("intake-defaults")
        self.defaults.setWordWrap(True)
        self.defaults.setAlignment(Qt.AlignCenter)
        self.open_existing = QPushButton("Open that asset")
        self.open_existing.setObjectName("intake-open-existing")
        self.open_existing.clicked.connect(self._open_existing)
        self.open_existing.hide()
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_existing)
        row.addStretch(1)
        return [self.defaults, row]

    def buttons(self) -> list:
        self.undo_button = QPushButton("Undo last device (Ctrl+Z)")
        self.undo_button.setObjectName("intake-undo")
        self.undo_button.clicked.connect(self.undo)
        self.print_button = QPushButton("Print queued labels")
        self.print_button.setObjectName("intake-print")
        self.print_button.clicked.connect(lambda: self.print_queued(force=True))
        # A sheet already partly used: the next sheet printed starts at this
        # label (then back to 1 — the sheets after it are fresh).
        self.start_at = QSpinBox()
        self.start_at.setObjectName("intake-start-at")
        self.start_at.setRange(1, 1)
        self.start_at.setPrefix("next sheet from label ")
        self.start_at.setToolTip("Put a partly used label sheet in the printer? Say which label "
                                 "is the first free one (counting across, then down).")
        self.start_at.valueChanged.connect(lambda _v: self._update_print_button())
        return [self.undo_button, self.print_button, self.start_at]

    def under_buttons(self) -> list:
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
        target = QHBoxLayout()  # where labels go, on a row of its own (a folder path is long)
        target.addWidget(QLabel("Labels to:"))
        target.addWidget(self.printer)
        target.addWidget(self.folder, 1)
        target.addWidget(browse)
        self._target_stretch = QWidget()
        target.addWidget(self._target_stretch, 1)
        return [target]

    def build_closed(self) -> QWidget:
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

    def list_sessions(self) -> list[SessionChoice]:
        return [SessionChoice(s["id"], self._session_text(s["id"], s["order_number"], s["model"],
                                                          s["received"], s["expected"], s["status"]),
                              s["status"] == "open") for s in intake.list_sessions()]

    @staticmethod
    def _session_text(sid, po, model, received, expected, status) -> str:
        exp = f"{received} of {expected}" if expected else f"{received}"
        return f"{sid}: PO {po} — {model} ({exp}, {status_label(status)})"

    def new_session(self) -> None:
        from ui.dialogs.intake_start import IntakeStartDialog
        dlg = IntakeStartDialog(self)
        if dlg.exec() and dlg.session is not None:
            self.open_session(dlg.session.id)  # the dialog announced the new intake

    def load_session(self, session_id: int) -> str:
        self.info = intake.describe(session_id)
        return self.info["status"]

    def session_changed(self) -> None:
        self.pending = None
        t = self._template()
        self.start_at.setRange(1, t.per_page if t.is_sheet else 1)
        self.start_at.setValue(1)
        self.start_at.setVisible(t.is_sheet)
        self.banner.set_idle_text("Scan the first serial" if not self.info["received"] else
                                  "Ready — scan the next serial")

    def session_shown(self) -> None:
        self._show_defaults()
        self._reload_items()

    def show_closed(self) -> None:
        self.show_report(intake.report(self.session_id))

    def totals(self, session_id: int) -> str:
        # load_session has just read the session (open_session asks right after).
        return self.info["count_text"]

    def _template(self):
        """The session's stock; else (none chosen, or a custom one since deleted)
        the default_label_template setting, as intake's start dialog offers."""
        from app.services import settings
        for name in (self.info.get("label_template"), settings.get("default_label_template")):
            t = lookup(lambda n=name: labels.get_template(n)) if name else None
            if t is not None:
                return t
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
        self.fill_scans([(self._row(r), "attention" if r["warning"] else "ok") for r in rows])
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

    def scan_without_session(self, code: str) -> bool:
        # A serial scanned here means "receive it": never offer to make it a tag.
        from app import scanning
        if scanning.resolve(code).found:
            return False  # a known tag, room, person: open it as anywhere else
        feedback.show_feedback("error", "No open intake", self)
        bus.status_message.emit(f"{code} was not received: start an intake (New intake…) "
                                "or pick an open one first.")
        return True

    def scan(self, session_id: int, code: str) -> ScanResult:
        out = intake.scan(session_id, code, pending=self.pending)
        warn = f" — ⚠ {out.warning}" if out.warning else ""
        if out.kind == "received":
            return ScanResult(out.level, out.tag, f"Serial {out.serial}{warn}",
                              sound=f"{out.tag}  ({out.count_text})",
                              row=(None, out.serial, out.tag,
                                   "printed" if self.info["preprinted"] else "queued",
                                   out.warning or ""), totals=out.count_text, value=out)
        if out.kind == "repeat":  # the scanner repeating itself: said quietly, no new verdict
            return ScanResult(None, "", f"{out.serial} scanned again — ignored ({out.tag})",
                              totals=out.count_text, value=out)
        if out.kind == "pending":
            return ScanResult("ok", "SCAN THE TAG", out.message + warn,
                              sound=f"{out.serial}: now the tag label", totals=out.count_text,
                              value=out)
        head = {"exists": "ALREADY IN THE REGISTER", "tag_refused": "TAG REFUSED"}.get(
            out.kind, "NOT RECEIVED")
        short = (f"Already {out.existing['tag']} ({out.existing['status_label']})"
                 if out.existing else f"Tag {out.tag} refused" if out.kind == "tag_refused"
                 else out.message)
        return ScanResult("error", head, out.message, sound=short, totals=out.count_text, value=out)

    def after_scan(self, result: ScanResult) -> None:
        out = result.value
        self.pending = out.pending if out.kind in ("pending", "tag_refused") else None
        self.existing_id = out.existing["id"] if out.existing else None
        self.open_existing.setVisible(self.existing_id is not None)
        if self.existing_id:
            self.open_existing.setText(f"Open {out.existing['tag']}")
        if out.kind == "received":
            exp = out.count_text if out.expected else f"{out.received}"
            self.set_session_text(f"{self.session_id}: PO {self.info['order_number']} — "
                                  f"{self.info['model']} ({exp}, {status_label('open')})")
            self._changed.start()
            if not self.info["preprinted"]:
                self.print_queued()
                self._update_print_button()

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
            self.banner.set_detail(f"Label{'s' if len(ids) > 1 else ''} not printed ({msg}); "
                                f"{len(ids)} stay queued — the device{'s are' if len(ids) > 1 else ' is'} saved.")
            feedback.show_feedback("attention", f"Label not printed: {msg}", self, toast=False)
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
        for row in range(self.scans.rowCount()):
            if self.scan_item(row, 2) in tags:
                self.scans.item(row, 3).setText(state)

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
        if not self.is_open:
            return
        if self.pending:
            self.pending = None
            self.banner.show(None, "Ready — scan the next serial", "The pending serial was dropped.")
            return
        run_op(self, lambda: intake.undo_last(self.session_id),
               changes=Changes.ASSETS | Changes.INTAKE, success=self._undone,
               on_error=lambda exc: self.banner.show("error", "NOTHING UNDONE", str(exc),
                                                     sound=str(exc)))

    def _undone(self, u) -> None:
        self.banner.show("attention", f"UNDONE {u.tag}", u.message, sound=f"Undone: {u.tag}")
        self.refresh_totals(intake.count_text(u.received, u.expected))
        self._reload_items()

    def close_session(self, ask: bool = True) -> intake.CloseReport | None:
        if not self.is_open:
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
        self.mark_closed(self.info["status"])
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
