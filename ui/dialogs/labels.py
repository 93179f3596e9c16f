"""The label dialog: choose stock, code and lines, click the first free label on
a drawing of the sheet, preview the real PDF, then save (PDF/ZPL), send ZPL
to a Zebra queue, or print at actual size (all printing goes through ui.printing).

    from ui.dialogs.labels import open_label_dialog
    open_label_dialog(parent, kind="asset", ids=[1, 2, 3])   # asset/location/supply/new

The offset shown is the one used: choosing another printer to print or send
to switches the calibration box to that printer's stored offset first.
Rendering the output runs in ui.jobs; the preview draws only the first page
and is quick enough to run on the GUI thread.
"""
from __future__ import annotations

import io

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QInputDialog,
                               QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from reports import labels
from ui import printing, theme
from ui.files import ask_save_path
from ui.jobs import run_job, show_error
from ui.printing import render_page_image

KINDS = {"asset": "assets", "location": "room labels", "supply": "supply bin labels",
         "new": "new tags"}
# One of each, for "Labels for 1 asset".
ONE = {"asset": "asset", "location": "room label", "supply": "supply bin label", "new": "new tag"}


def count_text(kind: str, n: int) -> str:
    return f"{n:,} {ONE[kind] if n == 1 else KINDS[kind]}"


class SheetPicker(QWidget):
    """A drawing of the sheet; click the first free label. Cells before it are
    greyed as used, the cells the run will fill are outlined in blue."""

    startChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.template = None
        self.start = 1
        self.count = 0
        self.setMinimumSize(150, 160)  # a 700-pixel-high screen still shows the whole dialog
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Click the first free label on your sheet")

    def set_template(self, t) -> None:
        self.template = t
        self.start = min(self.start, t.per_page)
        self.update()

    def set_state(self, start: int, count: int) -> None:
        self.start, self.count = start, count
        self.update()

    def _scale(self):
        t = self.template
        s = min((self.width() - 4) / t.page_w, (self.height() - 4) / t.page_h)
        ox = (self.width() - t.page_w * s) / 2
        oy = (self.height() - t.page_h * s) / 2
        return s, ox, oy

    def cell_rect(self, cell: int) -> QRectF:
        s, ox, oy = self._scale()
        x, y, w, h = self.template.cell_mm(cell)
        return QRectF(ox + x * s, oy + y * s, w * s, h * s)

    def cell_at(self, pos) -> int | None:
        if not self.template:
            return None
        for cell in range(self.template.per_page):
            if self.cell_rect(cell).contains(pos):
                return cell
        return None

    def mousePressEvent(self, event):
        cell = self.cell_at(event.position())
        if cell is not None:
            self.start = cell + 1
            self.update()
            self.startChanged.emit(self.start)

    def paintEvent(self, event):
        if not self.template:
            return
        t = self.template
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        s, ox, oy = self._scale()
        p.fillRect(QRectF(ox, oy, t.page_w * s, t.page_h * s), theme.paper("paper"))
        p.setPen(QPen(theme.paper("edge")))
        p.drawRect(QRectF(ox, oy, t.page_w * s, t.page_h * s))
        filled = range(self.start - 1, min(t.per_page, self.start - 1 + self.count))
        r = t.corner_radius * s
        for cell in range(t.per_page):
            rect = self.cell_rect(cell)
            if cell < self.start - 1:
                p.setBrush(theme.paper("used"))
                p.setPen(QPen(theme.paper("label_edge")))
            elif cell in filled:
                p.setBrush(theme.paper("filled"))
                p.setPen(QPen(theme.paper("filled_edge"), 1.2))
            else:
                p.setBrush(theme.paper("paper"))
                p.setPen(QPen(theme.paper("label_edge")))
            p.drawRoundedRect(rect, r, r)
        p.end()


class CustomTemplateDialog(QDialog):
    """Page size, label size, grid, margins, pitch, corner radius → a template
    saved in the user folder beside the built-in ones."""

    def __init__(self, parent=None, base=None):
        super().__init__(parent)
        self.setWindowTitle("Custom label template")
        base = base or labels.get_template("avery-5160")
        form = QFormLayout(self)
        self.name = QLineEdit("my-labels")
        self.title = QLineEdit("My labels")
        self.kind = QComboBox()
        self.kind.addItems(["sheet", "roll", "thermal"])
        self.kind.setCurrentText(base.kind)
        form.addRow("Name (file name)", self.name)
        form.addRow("Title", self.title)
        form.addRow("Kind", self.kind)
        self.fields = {}

        def mm(key, label, value, maximum=500.0):
            box = QDoubleSpinBox()
            box.setRange(0, maximum)
            box.setDecimals(2)
            box.setSingleStep(0.1)
            box.setSuffix(" mm")
            box.setValue(value)
            form.addRow(label, box)
            self.fields[key] = box

        def count(key, label, value):
            box = QSpinBox()
            box.setRange(1, 100)
            box.setValue(value)
            form.addRow(label, box)
            self.fields[key] = box

        mm("page_w", "Page width", base.page_w)
        mm("page_h", "Page height", base.page_h)
        mm("label_w", "Label width", base.label_w)
        mm("label_h", "Label height", base.label_h)
        count("cols", "Columns", base.cols)
        count("rows", "Rows", base.rows)
        mm("left", "Left margin", base.left)
        mm("top", "Top margin", base.top)
        mm("pitch_x", "Horizontal pitch", base.pitch_x)
        mm("pitch_y", "Vertical pitch", base.pitch_y)
        mm("corner_radius", "Corner radius", base.corner_radius, 50)
        mm("padding", "Padding", base.padding, 20)
        self.dpi = QSpinBox()
        self.dpi.setRange(100, 1200)
        self.dpi.setValue(base.dpi)
        form.addRow("Printer dpi", self.dpi)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.saved = None

    def template(self):
        v = {k: box.value() for k, box in self.fields.items()}
        kind = self.kind.currentText()
        if kind != "sheet":
            v.update(page_w=v["label_w"], page_h=v["label_h"], cols=1, rows=1, left=0, top=0,
                     pitch_x=v["label_w"], pitch_y=v["label_h"])
        return labels.Template(name=self.name.text().strip().lower(), title=self.title.text().strip()
                               or self.name.text().strip(), kind=kind, dpi=self.dpi.value(),
                               builtin=False, **v)

    def save(self):
        try:
            self.saved = labels.save_custom(self.template())
        except Exception as exc:  # noqa: BLE001 - shown to the person
            show_error(self, "Custom template", exc)
            return
        self.accept()


class LabelDialog(QDialog):
    def __init__(self, parent=None, kind: str = "asset", ids=None):
        super().__init__(parent)
        if kind not in KINDS:
            raise ValueError(kind)
        self.kind, self.ids = kind, list(ids) if ids is not None else None
        self.reserved = None  # new tags, once taken
        # What is printed is labels, whatever they are for ("Print assets" read
        # as printing the assets themselves).
        self.setWindowTitle("Print labels")
        self.items = self._gather()
        self._build()
        self.timer = QTimer(self, singleShot=True, interval=150)
        self.timer.timeout.connect(self.refresh_preview)
        self._template_changed()

    # --- data ----------------------------------------------------------------------
    def _gather(self):
        if self.kind == "asset":
            return labels.items_for_assets(self.ids or [])
        if self.kind == "location":
            return labels.items_for_locations(self.ids)
        if self.kind == "supply":
            return labels.items_for_supplies(self.ids)
        return []

    def current_items(self, for_output: bool = False):
        """The labels to draw. New tags are previewed with the numbers they will
        probably get, and reserved only for real output (once per dialog)."""
        if self.kind != "new":
            return self.items
        n = self.new_count.value()
        if for_output:
            if self.reserved is None or len(self.reserved) != n:
                self.reserved = labels.items_for_new_tags(n)
                self.new_count.setEnabled(False)
            return self.reserved
        if self.reserved is not None:
            return self.reserved
        from app import labeling
        from app.services import settings, tags
        first = int(settings.get("tag_next"))
        org = labeling.org_line()
        return [labels.LabelItem(tags.format_tag(first + i), {"org": org, "tag": tags.format_tag(first + i)})
                for i in range(n)]

    # --- widgets -------------------------------------------------------------------
    def _build(self):
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        outer.addLayout(left, 0)
        form = QFormLayout()
        left.addLayout(form)
        if self.kind == "new":
            self.new_count = QSpinBox()
            self.new_count.setRange(1, 10_000)
            self.new_count.setValue(30)
            self.new_count.valueChanged.connect(self._changed)
            form.addRow("New tags", self.new_count)
            note = QLabel("Reserved when you save or print, so nothing else takes them.")
            note.setWordWrap(True)
            form.addRow(note)
        else:
            self.for_label = QLabel(count_text(self.kind, len(self.items)))
            self.for_label.setObjectName("labels-for")
            form.addRow("Labels for", self.for_label)
        self.template = QComboBox()
        self._fill_templates()
        self.template.currentIndexChanged.connect(self._template_changed)
        form.addRow("Stock", self.template)
        self.symbology = QComboBox()
        for key in labels.SYMBOLOGIES:
            self.symbology.addItem(labels.SYMBOLOGY_TITLES[key], key)
        self.symbology.currentIndexChanged.connect(self._changed)
        form.addRow("Barcode", self.symbology)
        self.copies = QSpinBox()
        self.copies.setRange(1, 1000)
        self.copies.valueChanged.connect(self._changed)
        form.addRow("Copies of each", self.copies)
        self.start = QSpinBox()
        self.start.setRange(1, 1)
        self.start.valueChanged.connect(self._start_changed)
        form.addRow("Start at label", self.start)

        lines_box = QGroupBox("Lines on the label")
        grid = QGridLayout(lines_box)
        self.line_checks = {}
        for i, (key, title) in enumerate(labels.LINE_TITLES.items()):
            box = QCheckBox(title)
            if key == "tag":
                box.setChecked(True)
                box.setEnabled(False)
            box.toggled.connect(self._changed)
            grid.addWidget(box, i // 2, i % 2)
            self.line_checks[key] = box
        left.addWidget(lines_box)

        self.picker = SheetPicker()
        self.picker.startChanged.connect(self.start.setValue)
        left.addWidget(self.picker, 1)

        cal = QGroupBox("Printer calibration")
        cform = QFormLayout(cal)
        self.printer_name = QComboBox()
        self.printer_name.setEditable(True)
        self.printer_name.addItems(["default"] + printing.printer_names())
        self.printer_name.currentTextChanged.connect(self._load_offset)
        cform.addRow("Printer", self.printer_name)
        self.dx, self.dy = QDoubleSpinBox(), QDoubleSpinBox()
        for box, tip in ((self.dx, "+ moves right"), (self.dy, "+ moves down")):
            box.setRange(-10, 10)
            box.setDecimals(1)
            box.setSingleStep(0.1)
            box.setSuffix(" mm")
            box.setToolTip(tip)
            box.valueChanged.connect(self._changed)
        row = QHBoxLayout()
        row.addWidget(QLabel("x"))
        row.addWidget(self.dx)
        row.addWidget(QLabel("y"))
        row.addWidget(self.dy)
        cform.addRow("Offset", row)
        brow = QHBoxLayout()
        self.save_offset_btn = QPushButton("Save offset")
        self.save_offset_btn.clicked.connect(self.save_offset)
        self.cal_btn = QPushButton("Print calibration page…")
        self.cal_btn.clicked.connect(self.print_calibration)
        brow.addWidget(self.save_offset_btn)
        brow.addWidget(self.cal_btn)
        cform.addRow(brow)
        left.addWidget(cal)
        custom = QPushButton("New custom template…")
        custom.clicked.connect(self.edit_custom)
        left.addWidget(custom)

        right = QVBoxLayout()
        outer.addLayout(right, 1)
        self.preview = QLabel("Preview")
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumSize(380, 360)
        scroll = QScrollArea()
        scroll.setWidget(self.preview)
        scroll.setWidgetResizable(True)
        right.addWidget(scroll, 1)
        self.summary = QLabel()
        right.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.save_pdf_btn = QPushButton("Save PDF…")
        self.save_pdf_btn.clicked.connect(self.save_pdf)
        self.save_zpl_btn = QPushButton("Save ZPL…")
        self.save_zpl_btn.clicked.connect(self.save_zpl)
        self.send_zpl_btn = QPushButton("Send to Zebra…")
        self.send_zpl_btn.clicked.connect(self.send_zpl)
        self.print_btn = QPushButton("Print…")
        self.print_btn.setDefault(True)
        self.print_btn.clicked.connect(self.print_labels)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for b in (self.save_pdf_btn, self.save_zpl_btn, self.send_zpl_btn, self.print_btn, close):
            buttons.addWidget(b)
        right.addLayout(buttons)

    def _fill_templates(self, select: str | None = None):
        from app.services import settings
        self.template.blockSignals(True)
        self.template.clear()
        for t in labels.list_templates():
            self.template.addItem(t.title + ("" if t.builtin else " (custom)"), t.name)
        want = select or settings.get("default_label_template") or "avery-5160"
        i = self.template.findData(want)
        self.template.setCurrentIndex(max(i, 0))
        self.template.blockSignals(False)

    # --- state -----------------------------------------------------------------------
    def tpl(self):
        return labels.get_template(self.template.currentData())

    def layout_keys(self) -> tuple[str, ...]:
        return tuple(k for k, box in self.line_checks.items() if box.isChecked())

    def options(self) -> dict:
        return dict(template=self.tpl().name, symbology=self.symbology.currentData(),
                    start_at=self.start.value(), copies=self.copies.value(),
                    layout=self.layout_keys(), offset=(self.dx.value(), self.dy.value()))

    def printer_key(self) -> str | None:
        name = self.printer_name.currentText().strip()
        return None if name in ("", "default") else name

    def _template_changed(self):
        t = self.tpl()
        keys = labels.default_lines(t, self.kind)
        for key, box in self.line_checks.items():
            box.blockSignals(True)
            box.setChecked(key == "tag" or key in keys)
            box.blockSignals(False)
        self.start.setRange(1, t.per_page if t.is_sheet else 1)
        self.start.setEnabled(t.is_sheet)
        self.picker.setVisible(t.is_sheet)
        self.picker.set_template(t)
        thermal = t.kind == "thermal"
        self.save_zpl_btn.setEnabled(thermal)
        self.send_zpl_btn.setEnabled(thermal)
        self._load_offset()
        self._changed()

    def _load_offset(self):
        dx, dy = labels.get_offset(self.tpl().name, self.printer_key())
        for box, v in ((self.dx, dx), (self.dy, dy)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)
        self._changed()

    def _start_changed(self, value):
        self.picker.set_state(value, self._count())
        self._changed()

    def _count(self) -> int:
        n = self.new_count.value() if self.kind == "new" else len(self.items)
        return n * self.copies.value()

    def _changed(self, *args):
        self.picker.set_state(self.start.value(), self._count())
        self.timer.start()

    # --- preview ---------------------------------------------------------------------
    def preview_pdf(self) -> bytes:
        """The first page only, with label outlines: what the sheet will look like."""
        t = self.tpl()
        opts = self.options()
        per = t.per_page - (opts["start_at"] - 1) if t.is_sheet else 1
        items = self.current_items()
        first = []
        for it in items:
            first.extend([it] * opts["copies"])
            if len(first) >= per:
                break
        buf = io.BytesIO()
        labels.render_pdf(first[:per] or [], buf, **{**opts, "copies": 1}, outlines=True)
        return buf.getvalue()

    def refresh_preview(self):
        t = self.tpl()
        count = self._count()
        pages = len({pg for pg, _ in labels.placements(t, count, self.start.value())}) if count else 0
        where = (f"on {pages} sheet{'s' if pages != 1 else ''}" if t.is_sheet
                 else "one per page")
        self.summary.setText(f"{count} label{'s' if count != 1 else ''} {where} · print at Actual size")
        if not count:
            self.preview.setText("Nothing to label.")
            return
        try:
            data = self.preview_pdf()
        except Exception as exc:  # noqa: BLE001 - a layout refusal is shown in place
            self.preview.setPixmap(QPixmap())
            self.preview.setText(str(exc))
            self.preview.setWordWrap(True)
            return
        box = self.preview.parentWidget().size() if self.preview.parentWidget() else self.preview.size()
        dpi = max(30.0, min(300.0, 0.95 * min(box.width() / (t.page_w / 25.4),
                                              box.height() / (t.page_h / 25.4))))
        self.preview.setPixmap(QPixmap.fromImage(render_page_image(data, 0, dpi)))

    # --- output ----------------------------------------------------------------------
    def _run(self, title, work, done):
        run_job(self, title, work, on_done=done)

    # Buttons call the methods without arguments (clicked(bool) must never
    # land in a path or printer parameter); the *_to methods do the work.
    def save_pdf(self) -> None:
        path = ask_save_path(self, "Save labels", ("labels",), "PDF (*.pdf)")
        if path:
            self.save_pdf_to(path)

    def save_pdf_to(self, path: str) -> None:
        try:
            items, opts = self.current_items(for_output=True), self.options()
        except Exception as exc:  # noqa: BLE001
            show_error(self, "Labels", exc)
            return

        def work(progress):
            def report(done, total):
                progress.update(done, total, "Drawing labels…")
                return progress.cancelled
            labels.render_pdf(items, path, **opts, progress=report)
            return path
        self._run("Saving labels", work, lambda p: self.summary.setText(f"Saved {p}"))

    def _zpl(self) -> str:
        o = self.options()
        return labels.render_zpl(self.current_items(for_output=True), o["template"], o["symbology"],
                                 copies=o["copies"], layout=o["layout"], offset=o["offset"])

    def save_zpl(self) -> None:
        path = ask_save_path(self, "Save ZPL", ("labels",), "ZPL (*.zpl)")
        if path:
            self.save_zpl_to(path)

    def save_zpl_to(self, path: str) -> None:
        try:
            text = self._zpl()
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except Exception as exc:  # noqa: BLE001
            show_error(self, "Labels", exc)
            return
        self.summary.setText(f"Saved {path}")

    def send_zpl(self) -> None:
        queues = printing.zebra_queues()
        current = self.printer_key() or printing.remembered(self.tpl().name) or ""
        if queues:
            i = queues.index(current) if current in queues else 0
            queue, ok = QInputDialog.getItem(self, "Send to Zebra", "Printer queue (CUPS name):",
                                             queues, i, True)
        else:
            queue, ok = QInputDialog.getText(self, "Send to Zebra", "Printer queue (CUPS name):",
                                             text=current)
        if ok and queue.strip():
            self.send_zpl_to(queue.strip())

    def send_zpl_to(self, queue: str) -> None:
        self._use_printer(queue)
        try:
            reply = printing.send_zpl(self._zpl(), queue)
        except Exception as exc:  # noqa: BLE001
            show_error(self, "Labels", exc)
            return
        printing.remember(self.tpl().name, queue)
        self.summary.setText(f"Sent to {queue}. {reply}".strip())

    def save_offset(self) -> None:
        try:
            labels.set_offset(self.tpl().name, self.dx.value(), self.dy.value(), self.printer_key())
        except Exception as exc:  # noqa: BLE001
            show_error(self, "Calibration", exc)
            return
        self.summary.setText(f"Offset saved for {self.printer_name.currentText()}.")

    def _use_printer(self, name: str | None) -> None:
        """Show (and so use) the calibration of the printer about to be used."""
        want = name or "default"
        if self.printer_name.currentText().strip() != want:
            self.printer_name.setEditText(want)  # loads that printer's stored offset

    def _choose(self):
        printer = printing.choose_printer(self, remember_as=self.tpl().name,
                                          preferred=self.printer_key(), doc_name="labels")
        if printer is not None:
            self._use_printer(printing.printer_name(printer))
        return printer

    def print_labels(self) -> None:
        printer = self._choose()
        if printer is not None:
            self.print_to(printer)

    def print_to(self, printer) -> None:
        """Print the labels on ``printer`` at actual size with the offset shown."""
        try:
            items, opts = self.current_items(for_output=True), self.options()
        except Exception as exc:  # noqa: BLE001
            show_error(self, "Labels", exc)
            return
        offset = opts.pop("offset")
        template = opts.pop("template")

        def work(progress):
            return printing.print_labels(printer, items, template, offset=offset,
                                         progress=progress, **opts)
        self._run("Printing labels", work,
                  lambda n: self.summary.setText(f"Sent {n} page{'s' if n != 1 else ''} to the printer."))

    def print_calibration(self) -> None:
        printer = self._choose()
        if printer is not None:
            self.print_calibration_to(printer)

    def print_calibration_to(self, printer) -> None:
        template, offset = self.tpl().name, (self.dx.value(), self.dy.value())
        self._run("Printing calibration page",
                  lambda progress: printing.print_calibration(printer, template, offset=offset,
                                                              progress=progress),
                  lambda n: self.summary.setText("Calibration page sent: measure, set the offset, save."))

    def edit_custom(self):
        dlg = CustomTemplateDialog(self, self.tpl())
        if dlg.exec() == QDialog.Accepted and dlg.saved:
            self._fill_templates(select=dlg.template().name)
            self._template_changed()


def open_label_dialog(parent=None, kind: str = "asset", ids=None) -> LabelDialog:
    """Show the label dialog for ``ids`` of ``kind`` (asset, location, supply, new)."""
    try:
        dlg = LabelDialog(parent, kind, ids)
    except Exception as exc:  # noqa: BLE001 - e.g. a supply with nothing to print
        show_error(parent, "Labels", exc)
        return None
    dlg.setAttribute(Qt.WA_DeleteOnClose)
    # Modal to its window: left open it stayed over whatever page came next
    # and still printed the selection it was opened with. Not exec(): the
    # preview and the printing run while it shows.
    dlg.setWindowModality(Qt.WindowModal)
    dlg.show()
    return dlg
