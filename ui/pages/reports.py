"""The Reports page: pick a report, set its options, generate, look, save or print.

The list and the options come from the report registry (``app.reporting``),
so a new report appears here and in ``quartermaster report --list`` alike,
with only the options it takes. Generate builds the document and writes its
PDF in a background job (ui.jobs); the preview renders that PDF's pages with
pypdfium2 (ui.printing.render_page_image), so what is shown is exactly
what is saved and printed. Save as PDF writes those bytes; XLSX and CSV
rebuild the report with the same options (its rows are streamed, never
kept). The last report and each report's options are remembered (its dates
and fiscal year only for the day they were chosen).
"""
from __future__ import annotations

import datetime as dt
import importlib
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QDate, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFormLayout, QFrame, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QScrollArea, QSpinBox, QSplitter, QToolButton, QVBoxLayout,
                               QWidget)
from PySide6.QtCore import QSize
from PySide6.QtWidgets import (QGridLayout)

from app import reporting
from app.reporting import PARAMS, ReportParams, fiscal
from app.services import catalog
from ui.bus import bus
from ui import printing
from ui.files import ask_save_path
from ui.printing import page_count, render_page_image
from ui.jobs import run_job, show_error
from ui.ops import Changes

PAGE_KEY = "reports"
PAGE_TITLE = "Reports"
PAGE_ORDER = 100
PAGE_ICON = "reports"

FORMAT_FILTERS = {"pdf": "PDF (*.pdf)", "xlsx": "Excel workbook (*.xlsx)", "csv": "CSV (*.csv)"}
ZOOMS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
DATED_PARAMS = ("fiscal_year", "as_of", "date_from", "date_to")
SCREEN_DPI = 96  # 100 % = the paper's size on an ordinary screen


class Cancelled(Exception):
    """The person pressed Cancel while the report was being built."""


def _module(spec):
    return importlib.import_module(spec.build.__module__)


def default_days(spec) -> int:
    return int(getattr(_module(spec), "DEFAULT_DAYS", 30))


def default_dates(spec) -> tuple[dt.date, dt.date]:
    """The report's own default period (its module's ``date_range``), else the last year."""
    fn = getattr(_module(spec), "date_range", None)
    if fn is not None:
        try:
            return fn(ReportParams())
        except Exception:  # noqa: BLE001 - a default is a convenience, never an error
            pass
    today = dt.date.today()
    return today - dt.timedelta(days=364), today


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def portrait_pdf(pdf_bytes: bytes) -> tuple[bytes, tuple[float, float]]:
    """The PDF with landscape pages turned to portrait (printers feed one way),
    and the portrait page size in points, for printing."""
    import io

    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        size = None
        turned = False
        for page in pdf:
            w, h = page.get_size()
            if w > h:
                page.set_rotation((page.get_rotation() + 90) % 360)
                turned = True
                w, h = h, w
            size = size or (w, h)
        if not turned:
            return pdf_bytes, size or (612.0, 792.0)
        buf = io.BytesIO()
        pdf.save(buf)
        return buf.getvalue(), size
    finally:
        pdf.close()


class WrapRow(QWidget):
    """Two groups of controls side by side, or the second under the first when
    the row is too narrow for both: on a 1024-pixel screen the preview's
    page/zoom controls and its Save/Print buttons together made the window
    wider than the screen."""

    def __init__(self, first: QWidget, second: QWidget, parent=None):
        super().__init__(parent)
        self.first, self.second = first, second
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(4)
        self.wide: bool | None = None
        self._place(True)

    def _needed(self) -> int:
        return (self.first.sizeHint().width() + self.second.sizeHint().width()
                + self.grid.horizontalSpacing())

    def _place(self, wide: bool) -> None:
        if wide == self.wide:
            return
        self.wide = wide
        self.grid.removeWidget(self.first)
        self.grid.removeWidget(self.second)
        self.grid.addWidget(self.first, 0, 0)
        self.grid.addWidget(self.second, 0, 1) if wide else self.grid.addWidget(self.second, 1, 0)
        self.updateGeometry()

    def minimumSizeHint(self):
        a, b = self.first.minimumSizeHint(), self.second.minimumSizeHint()
        h = max(a.height(), b.height()) if self.wide else a.height() + b.height() + 4
        return QSize(max(a.width(), b.width()), h)

    def sizeHint(self):
        a, b = self.first.sizeHint(), self.second.sizeHint()
        if self.wide:
            return QSize(self._needed(), max(a.height(), b.height()))
        return QSize(max(a.width(), b.width()), a.height() + b.height() + 4)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place(event.size().width() >= self._needed())


class Page(QWidget):
    CHANGES = Changes.LOCATIONS  # refresh() re-lists the sites; reports are made on demand

    def __init__(self, parent=None):
        super().__init__(parent)
        self.specs = reporting.registry()
        self.pdf: bytes | None = None
        self.generated: tuple[str, ReportParams] | None = None  # what the preview shows
        self.page_index = 0
        self.pages = 0
        self.zoom: float | None = None  # a fixed scale, or None to fit
        self.fit = "width"  # with zoom None: "width" or "page"
        self._page_sizes: list[tuple[float, float]] = []
        self.fields: dict[str, QWidget] = {}

        title = QLabel(PAGE_TITLE)
        title.setObjectName("page-title")

        # --- left: the list, the description, the options, Generate
        self.report_list = QListWidget()
        self.report_list.setObjectName("report-list")
        self.report_list.setStyleSheet("QListWidget#report-list::item { padding: 5px 6px; }")
        for spec in self.specs.values():
            item = QListWidgetItem(spec.title)
            item.setData(Qt.UserRole, spec.name)
            item.setToolTip(spec.description)
            self.report_list.addItem(item)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("report-description")
        self.description.setMinimumHeight(48)
        self.description.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        options_title = QLabel("Options")
        options_title.setObjectName("section-title")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self._build_fields()
        self.no_options = QLabel("This report has no options.")
        self.no_options.setEnabled(False)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setMinimumHeight(32)
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Build the report and show it (Ctrl+G or Enter)")
        self.generate_button.clicked.connect(self.generate)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 6, 0)
        lv.addWidget(self.report_list)
        lv.addWidget(self.description)
        lv.addSpacing(4)
        lv.addWidget(options_title)
        lv.addLayout(self.form)
        lv.addWidget(self.no_options)
        lv.addSpacing(6)
        lv.addWidget(self.generate_button)
        lv.addStretch(1)

        # --- right: the preview and what to do with it
        self.prev_button = self._tool("\u25c0", "Previous page (Page Up)", self.prev_page)
        self.next_button = self._tool("\u25b6", "Next page (Page Down)", self.next_page)
        self.page_label = QLabel("")
        self.page_label.setMinimumWidth(96)
        self.page_label.setAlignment(Qt.AlignCenter)
        self.zoom_out_button = self._tool("\u2212", "Zoom out (Ctrl+-)", self.zoom_out)
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(64)
        self.zoom_label.setAlignment(Qt.AlignCenter)
        self.zoom_in_button = self._tool("+", "Zoom in (Ctrl++)", self.zoom_in)
        self.fit_button = self._tool("Fit width", "Fit the page to the width (Ctrl+0)", self.fit_width)
        self.fit_page_button = self._tool("Whole page", "Show the whole page (Ctrl+Shift+9)",
                                          self.fit_page)
        self.save_buttons = {}
        for fmt in ("pdf", "xlsx", "csv"):
            b = QPushButton(f"Save as {fmt.upper()}")
            b.clicked.connect(lambda _c=False, f=fmt: self.save(f))
            self.save_buttons[fmt] = b
        self.save_buttons["pdf"].setToolTip("Save the report shown (Ctrl+S)")
        self.print_button = QPushButton("Print\u2026")
        self.print_button.setToolTip("Print the report shown (Ctrl+P)")
        self.print_button.clicked.connect(self.print_report)
        view_group = QWidget()
        views = QHBoxLayout(view_group)
        views.setContentsMargins(0, 0, 0, 0)
        for w in (self.prev_button, self.page_label, self.next_button):
            views.addWidget(w)
        views.addSpacing(12)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button,
                  self.fit_page_button):
            views.addWidget(w)
        views.addStretch(1)
        out_group = QWidget()
        outs = QHBoxLayout(out_group)
        outs.setContentsMargins(0, 0, 0, 0)
        outs.addStretch(1)
        for b in self.save_buttons.values():
            outs.addWidget(b)
        outs.addWidget(self.print_button)
        self.bar = WrapRow(view_group, out_group)

        self.preview = QLabel()
        self.preview.setObjectName("report-preview")
        self.preview.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.preview.setWordWrap(True)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.preview)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.StyledPanel)
        self.preview.setStyleSheet("QLabel#report-preview { background: palette(mid); padding: 12px; }")
        self.status = QLabel("")
        self.status.setObjectName("counts")

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(6, 0, 0, 0)
        rv.addWidget(self.bar)
        rv.addWidget(self.scroll, 1)
        rv.addWidget(self.status)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 1000])
        left.setMinimumWidth(280)
        left.setMaximumWidth(460)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 6)
        lay.addWidget(title)
        lay.addWidget(self.splitter, 1)

        self._shortcut("Ctrl+G", self.generate)
        self._shortcut(Qt.Key_Return, self.generate)
        self._shortcut(Qt.Key_Enter, self.generate)
        self._shortcut(QKeySequence.Save, lambda: self.save("pdf"))
        self._shortcut(QKeySequence.Print, self.print_report)
        self._shortcut(Qt.Key_PageDown, self.next_page)
        self._shortcut(Qt.Key_PageUp, self.prev_page)
        self._shortcut(QKeySequence.ZoomIn, self.zoom_in)
        self._shortcut("Ctrl+=", self.zoom_in)
        self._shortcut(QKeySequence.ZoomOut, self.zoom_out)
        self._shortcut("Ctrl+0", self.fit_width)
        self._shortcut("Ctrl+Shift+9", self.fit_page)  # Ctrl+9 is Go → Stocktake

        self._resize_timer = QTimer(self, singleShot=True, interval=60, timeout=self.show_page)
        self.report_list.currentItemChanged.connect(lambda *_: self._report_changed())
        self._restore()
        self._clear_preview()

    # --- building ---------------------------------------------------------------------

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _shortcut(self, key, slot) -> None:
        s = QShortcut(QKeySequence(key), self)
        s.setContext(Qt.WidgetWithChildrenShortcut)
        s.activated.connect(slot)

    def _build_fields(self) -> None:
        """One editor per parameter any report takes; each report shows its own."""
        fy = QSpinBox()
        fy.setRange(1990, 2100)
        fy.setValue(fiscal.last_completed_fiscal_year())
        self.fy_label = QLabel()
        self.fy_label.setEnabled(False)
        fy.valueChanged.connect(self._fy_changed)
        fy_box = QWidget()
        h = QHBoxLayout(fy_box)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(fy)
        h.addWidget(self.fy_label, 1)
        self.fields["fiscal_year"] = fy
        self._fy_changed(fy.value())
        rows = {"fiscal_year": fy_box}
        for key in ("as_of", "date_from", "date_to"):
            d = QDateEdit()
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setDate(_qdate(dt.date.today()))
            self.fields[key] = rows[key] = d
        site = QComboBox()
        site.setObjectName("report-site")
        self.fields["site"] = rows["site"] = site
        self._fill_sites()
        days = QSpinBox()
        days.setRange(0, 3660)
        days.setSuffix(" days")
        self.fields["days"] = rows["days"] = days
        years = QSpinBox()
        years.setRange(1, 10)
        years.setSuffix(" fiscal years")
        self.fields["years"] = rows["years"] = years
        for key in ("fiscal_year", "as_of", "date_from", "date_to", "days", "years"):
            self.fields[key].setMaximumWidth(150)
        person = QLineEdit()
        person.setPlaceholderText("ID number, e.g. E100 or S2000001")
        self.fields["person"] = rows["person"] = person
        room = QLineEdit()
        room.setPlaceholderText("SITE/ROOM or the room label code")
        self.fields["room"] = rows["room"] = room
        fund = QSpinBox()
        fund.setObjectName("report-funding-year")
        fund.setRange(1997, 2100)
        fund.setSpecialValueText("All years")  # the minimum: every funding year
        fund.setMaximumWidth(150)
        self.fields["funding_year"] = rows["funding_year"] = fund
        self.labels = {}
        for key in PARAMS:
            label = QLabel(_short_label(key))
            label.setToolTip(PARAMS[key])
            self.labels[key] = label
            self.form.addRow(label, rows[key])

    def _fy_changed(self, fy: int) -> None:
        try:
            first, last = fiscal.fiscal_year_bounds(int(fy))
            self.fy_label.setText(f"{fiscal.fiscal_year_label(int(fy))} "
                                  f"({first:%b} {first.year} \u2013 {last:%b} {last.year})")
        except Exception:  # noqa: BLE001 - a bad setting: the report itself will say so
            self.fy_label.setText("")

    def _fill_sites(self) -> None:
        combo = self.fields["site"]
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All sites", None)
        for name, label in catalog.site_labels():
            combo.addItem(label, name)
        i = combo.findData(current)
        combo.setCurrentIndex(i if i >= 0 else 0)
        combo.blockSignals(False)

    # --- the chosen report and its options --------------------------------------------------

    def showEvent(self, event):
        super().showEvent(event)
        # The list as tall as its reports (up to a point), the options right under it.
        rows = self.report_list.count()
        h = self.report_list.sizeHintForRow(0) if rows else 20
        self.report_list.setFixedHeight(min(rows, 14) * h + 2 * self.report_list.frameWidth() + 4)

    def current_spec(self):
        item = self.report_list.currentItem()
        return self.specs.get(item.data(Qt.UserRole)) if item else None

    def select_report(self, name: str) -> None:
        for i in range(self.report_list.count()):
            if self.report_list.item(i).data(Qt.UserRole) == name:
                self.report_list.setCurrentRow(i)
                return
        raise KeyError(name)

    def _report_changed(self) -> None:
        spec = self.current_spec()
        if spec is None:
            return
        self.description.setText(spec.description)
        for key in PARAMS:
            visible = key in spec.params
            self.labels[key].setVisible(visible)
            self.form.itemAt(self.form.getWidgetPosition(self.labels[key])[0],
                             QFormLayout.FieldRole).widget().setVisible(visible)
        self.no_options.setVisible(not spec.params)
        self._load_params(spec)
        if self.generated is not None:
            # The preview stays until the next Generate; say which report it is.
            shown = self.specs[self.generated[0]]
            self._set_save_formats(shown)
            self.status.setText(f"Showing {shown.title.lower()}." if shown is spec else
                                f"Showing {shown.title.lower()}; Generate (Ctrl+G) makes "
                                f"{spec.title.lower()}.")
        else:
            self._set_save_formats(spec)
        QSettings().setValue("reports/last", spec.name)

    def _set_save_formats(self, spec) -> None:
        for fmt, b in self.save_buttons.items():
            b.setVisible(fmt in spec.formats)

    def _load_params(self, spec) -> None:
        """This report's remembered options, else its defaults."""
        s = QSettings()
        base = f"reports/{spec.name}/"
        start, end = default_dates(spec) if {"date_from", "date_to"} & set(spec.params) \
            else (None, None)
        defaults = {"fiscal_year": fiscal.last_completed_fiscal_year(), "as_of": dt.date.today(),
                    "date_from": start, "date_to": end, "site": None,
                    "days": default_days(spec) if "days" in spec.params else None,
                    "person": "", "room": "", "years": 5, "funding_year": 0}
        # Dates and the fiscal year are kept for the day they were chosen on: the
        # next day's "To" should not be yesterday, nor next July's year last year's.
        fresh = s.value(base + "saved_on") == dt.date.today().isoformat()
        for key in spec.params:
            stored = s.value(base + key)
            if key in DATED_PARAMS and not fresh:
                stored = None
            value = defaults.get(key) if stored in (None, "") and key != "site" else stored
            self._set_field(key, value)

    def _set_field(self, key: str, value) -> None:
        w = self.fields[key]
        if key in ("fiscal_year", "days", "years", "funding_year"):
            try:
                w.setValue(int(value or 0) if key == "funding_year" else int(value))
            except (TypeError, ValueError):
                pass
        elif key in ("as_of", "date_from", "date_to"):
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    value = None
            if isinstance(value, dt.date):
                w.setDate(_qdate(value))
        elif key == "site":
            i = w.findData(value or None)
            w.setCurrentIndex(i if i >= 0 else 0)
        else:
            w.setText(str(value or ""))

    def params(self) -> ReportParams:
        """The options shown, as the builder takes them."""
        spec = self.current_spec()
        values = {}
        for key in spec.params:
            w = self.fields[key]
            if key == "funding_year":
                values[key] = w.value() if w.value() > w.minimum() else None
            elif key in ("fiscal_year", "days", "years"):
                values[key] = w.value()
            elif key in ("as_of", "date_from", "date_to"):
                values[key] = _pydate(w.date())
            elif key == "site":
                values[key] = w.currentData()
            else:
                values[key] = w.text().strip() or None
        return ReportParams(**values)

    def _remember(self, name: str, params: ReportParams) -> None:
        s = QSettings()
        for key in self.specs[name].params:
            value = getattr(params, key)
            s.setValue(f"reports/{name}/{key}",
                       value.isoformat() if isinstance(value, dt.date) else ("" if value is None
                                                                             else value))
        s.setValue(f"reports/{name}/saved_on", dt.date.today().isoformat())
        s.setValue("reports/last", name)

    def _restore(self) -> None:
        last = QSettings().value("reports/last")
        try:
            self.select_report(last) if last else self.report_list.setCurrentRow(0)
        except KeyError:
            self.report_list.setCurrentRow(0)

    # --- generating ---------------------------------------------------------------------

    def generate(self) -> None:
        spec = self.current_spec()
        if spec is None:
            return
        params = self.params()
        self._remember(spec.name, params)
        started = time.monotonic()

        def work(progress):
            return build_pdf(spec, params, progress)

        def done(pdf_bytes):
            self.show_pdf(pdf_bytes, spec.name, params)
            self.status.setText(f"{spec.title}: {self.pages:,} page{'s' if self.pages != 1 else ''}, "
                                f"generated in {time.monotonic() - started:.1f} s.")

        def failed(exc):
            self.generate_button.setEnabled(True)
            self._failed(spec.title, exc)

        def finished(pdf_bytes):
            self.generate_button.setEnabled(True)
            done(pdf_bytes)

        self.generate_button.setEnabled(False)
        run_job(self, f"Generating {spec.title.lower()}", work, on_done=finished, on_error=failed)

    def _failed(self, title: str, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("Cancelled.")
            return
        show_error(self, title, exc)

    # --- the preview ----------------------------------------------------------------------

    def show_pdf(self, pdf_bytes: bytes, name: str, params: ReportParams) -> None:
        import pypdfium2 as pdfium
        self.pdf = pdf_bytes
        self.generated = (name, params)
        self.pages = page_count(pdf_bytes)
        pdf = pdfium.PdfDocument(pdf_bytes)
        try:
            self._page_sizes = [pdf[i].get_size() for i in range(len(pdf))]
        finally:
            pdf.close()
        self.page_index = 0
        self._set_save_formats(self.specs[name])
        self._update_actions()
        self.show_page()

    def _clear_preview(self) -> None:
        self.pdf = None
        self.generated = None
        self.pages = 0
        self.preview.setPixmap(QPixmap())
        self.preview.setText("Pick a report, set its options and press Generate (Ctrl+G).")
        self._update_actions()

    def _update_actions(self) -> None:
        has = self.pdf is not None
        for b in list(self.save_buttons.values()) + [self.print_button]:
            b.setEnabled(has)
        for w in (self.prev_button, self.page_label, self.next_button, self.zoom_out_button,
                  self.zoom_label, self.zoom_in_button, self.fit_button, self.fit_page_button):
            w.setVisible(has)
        self.prev_button.setEnabled(has and self.page_index > 0)
        self.next_button.setEnabled(has and self.page_index < self.pages - 1)
        self.page_label.setText(f"Page {self.page_index + 1} of {self.pages}" if has else "")
        self.zoom_label.setText(f"{self._current_zoom():.0%}" if has else "")

    def page_dpi(self) -> float:
        if self.zoom is not None or not self._page_sizes:
            return SCREEN_DPI * (self.zoom or 1.0)
        width_pt, height_pt = self._page_sizes[self.page_index]
        # Leave the label's padding and a vertical scroll bar's width, so fitting
        # the width never brings up a horizontal one.
        pad = 2 * self.scroll.frameWidth() + 24 + 4
        room_w = max(200, self.scroll.width() - pad
                     - self.scroll.verticalScrollBar().sizeHint().width())
        dpi = room_w / width_pt * 72
        if self.fit == "page":
            room_h = max(200, self.scroll.height() - pad)
            dpi = min(dpi, room_h / height_pt * 72)
        return max(30.0, min(300.0, dpi))

    def show_page(self) -> None:
        if self.pdf is None:
            return
        img = render_page_image(self.pdf, self.page_index, self.page_dpi())
        self.preview.setText("")
        self.preview.setPixmap(QPixmap.fromImage(img))
        self._update_actions()

    def go_to(self, index: int) -> None:
        if self.pdf is None:
            return
        index = max(0, min(self.pages - 1, index))
        if index != self.page_index:
            self.page_index = index
            self.show_page()
            self.scroll.verticalScrollBar().setValue(0)

    def next_page(self) -> None:
        self.go_to(self.page_index + 1)

    def prev_page(self) -> None:
        self.go_to(self.page_index - 1)

    def _current_zoom(self) -> float:
        return self.zoom if self.zoom is not None else self.page_dpi() / SCREEN_DPI

    def zoom_in(self) -> None:
        z = self._current_zoom()
        self.zoom = next((s for s in ZOOMS if s > z + 0.01), ZOOMS[-1])
        self.show_page()

    def zoom_out(self) -> None:
        z = self._current_zoom()
        self.zoom = next((s for s in reversed(ZOOMS) if s < z - 0.01), ZOOMS[0])
        self.show_page()

    def fit_width(self) -> None:
        self.zoom, self.fit = None, "width"
        self.show_page()

    def fit_page(self) -> None:
        self.zoom, self.fit = None, "page"
        self.show_page()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self.pdf is not None and self.zoom is None:
            self._resize_timer.start()

    # --- saving and printing ----------------------------------------------------------------

    def save(self, fmt: str = "pdf", path: str | None = None) -> None:
        if self.pdf is None or self.generated is None:
            return
        name, params = self.generated
        spec = self.specs[name]
        if path is None:
            filters = ";;".join(FORMAT_FILTERS[f] for f in spec.formats)
            picked: list[str] = []
            path = ask_save_path(self, f"Save {spec.title}", (name,), filters,
                                 initial_filter=FORMAT_FILTERS[fmt], chosen_filter=picked)
            if not path:
                return
            fmt = next((f for f, flt in FORMAT_FILTERS.items() if picked and flt == picked[0]), fmt)
        target = Path(path)
        if target.suffix.lower().lstrip(".") in FORMAT_FILTERS:
            fmt = target.suffix.lower().lstrip(".")
        else:
            target = target.with_name(target.name + "." + fmt)
        pdf_bytes = self.pdf

        def work(progress):
            if fmt == "pdf":
                tmp = target.with_name(target.name + ".part")
                tmp.write_bytes(pdf_bytes)
                tmp.replace(target)
                return target
            from reports.render import write
            doc = spec.build(params, progress=_reporter(progress))
            return write(doc, target, fmt, progress=_reporter(progress))

        def done(written):
            self.status.setText(f"Saved {written}.")
            bus.status_message.emit(f"Report saved to {written}")

        run_job(self, f"Saving {spec.title.lower()}", work, on_done=done,
                on_error=lambda exc: self._failed(spec.title, exc))

    def print_report(self) -> None:
        """Print… and Ctrl+P: the system print dialog, then print_report_to."""
        if self.pdf is None:
            return
        printer = printing.choose_printer(self, remember_as="report",
                                          doc_name=self.specs[self.generated[0]].title)
        if printer is not None:
            self.print_report_to(printer)

    def print_report_to(self, printer) -> None:
        if self.pdf is None:
            return
        pdf_bytes, (w, h) = portrait_pdf(self.pdf)
        # The page as the PDF drew it, edge to edge: print_pdf paints 1:1.
        printing.set_page_pt(printer, w, h)

        def done(n):
            self.status.setText(f"Sent {n} page{'s' if n != 1 else ''} to the printer.")

        run_job(self, "Printing report", lambda progress: printing.print_pdf(pdf_bytes, printer,
                                                                             progress=progress),
                on_done=done, on_error=lambda exc: show_error(self, "Printing", exc))

    # --- page contract --------------------------------------------------------------------

    def refresh(self) -> None:
        self._fill_sites()

    def is_ready(self) -> bool:
        return self.report_list.count() > 0


def _short_label(key: str) -> str:
    return {"fiscal_year": "Fiscal year", "as_of": "As of", "site": "Site", "date_from": "From",
            "date_to": "To", "days": "Within", "person": "Person (ID)", "room": "Room",
            "years": "Years ahead",
            "funding_year": "Funding year"}[key]


def _reporter(progress):
    """progress(n, total, text) for builders and writers, stopping on Cancel."""
    def report(done, total=0, text=""):
        if progress.cancelled:
            raise Cancelled()
        progress.update(done, total, text)
    return report


def build_pdf(spec, params: ReportParams, progress) -> bytes:
    """Build the report and write its PDF (in the worker); the PDF's bytes."""
    from reports.render import write
    report = _reporter(progress)
    report(0, 0, f"Reading {spec.title.lower()}\u2026")
    doc = spec.build(params, progress=report)
    with tempfile.TemporaryDirectory(prefix="qm-report-") as folder:
        path = Path(folder) / f"{spec.name}.pdf"
        report(0, 0, "Writing the PDF\u2026")
        write(doc, path, "pdf", progress=report)
        return path.read_bytes()
