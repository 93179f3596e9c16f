"""The asset editor: every field, each validation message beside its field,
the category's custom fields, and tabs for History, Loans, Repairs and
Licenses. Saving a record someone else changed meanwhile shows both versions.

    from ui.dialogs.asset_editor import open_asset
    open_asset(parent, asset_id)        # existing
    open_asset(parent, None, tag="QM-000777")   # new, tag pre-filled
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout,
                               QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QScrollArea,
                               QSizePolicy, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from app.models.common import ASSET_STATUSES, FUNDING_TYPES
from app.services import assets as asset_svc
from app.services import history, licenses
from app.services.errors import DomainError, StaleEdit, ValidationError
from app.wording import action_label, field_label, history_value, status_label, timestamp
from ui import theme
from ui.bus import bus
from ui.models.table import display
from ui.ops import Changes, run_op, show_op_error
from ui.widgets.tables import fill as _fill, small_table

# (field, label, kind) in form order; kind: text, combo, date, money, int, notes
FIELDS = (
    ("tag", "Tag", "text"),
    ("name", "Name", "text"),
    ("serial", "Serial", "text"),
    ("model_id", "Model", "combo"),
    ("status", "Status", "combo"),
    ("site_id", "Site", "combo"),
    ("location_id", "Room", "combo"),
    ("purchase_date", "Purchase date", "date"),
    ("cost", "Cost", "money"),
    ("order_number", "PO number", "text"),
    ("supplier_id", "Supplier", "combo"),
    ("funding_type", "Funding", "combo"),
    ("funding_name", "Grant / program", "text"),
    ("federal_award_id", "Federal award / FAIN", "text"),
    ("federal_share", "Federal share (%)", "text"),
    ("erate_frn", "E-Rate FRN", "text"),
    ("erate_funding_year", "E-Rate funding year", "int"),
    ("erate_form471", "FCC Form 471 number", "text"),
    ("erate_frn_line", "FRN line item", "text"),
    ("in_service_date", "In service", "date"),
    ("warranty_end", "Warranty end", "date"),
    ("condition", "Condition", "text"),
    ("loaner", "Loaner", "check"),
    ("last_audit_date", "Last audit", "date"),
    ("aue_date", "Auto Update Expiration", "date"),
    ("org_unit", "Org unit", "text"),
    ("annotated_user", "Annotated user", "text"),
    ("annotated_asset_id", "Annotated asset ID", "text"),
    ("last_sync", "Last sync", "readonly"),
    ("notes", "Notes", "notes"),
)
# The E-Rate group: shown when the funding is E-Rate (or a value is filled in).
ERATE_FIELDS = ("erate_frn", "erate_funding_year", "erate_form471", "erate_frn_line")
ERATE_HINTS = {"erate_frn": "10 digits, e.g. 2599012345",
               "erate_funding_year": "e.g. 2025 (July 2025 – June 2026)",
               "erate_form471": "9 digits, e.g. 251000123",
               "erate_frn_line": "FRN.line, e.g. 2599012345.001 (or just 1)"}
# History names a field by its key, or a reference by its key without "_id".
_HISTORY_LABELS = {**{k: label for k, label, _ in FIELDS},
                   **{k[:-3]: label for k, label, _ in FIELDS if k.endswith("_id")}}


def history_field_label(field: str | None) -> str:
    """A history entry's field as this editor labels it ("Warranty end")."""
    return _HISTORY_LABELS.get(field or "") or field_label(field)


def _action(h: dict) -> str:
    """The action's label, with the day it took effect when that is not the day it
    was entered ("Disposed, effective 2026-03-15")."""
    from app.services.history import local_day
    action = action_label(h["action"])
    eff, at = h.get("effective"), h.get("at")
    if eff and isinstance(at, dt.datetime) and eff != local_day(at):
        return f"{action}, effective {eff.isoformat()}"
    return action


NEW_BUTTONS = {"model_id": "Add a model (and its manufacturer and category)",
               "site_id": "Add a site", "location_id": "Add a room at the site chosen",
               "supplier_id": "Add a supplier"}
# The Chromebook group: what Google Admin's device export says (import --kind
# chromebooks fills it); shown for a Chromebook model or while it holds a value.
CHROMEBOOK_FIELDS = ("aue_date", "org_unit", "annotated_user", "annotated_asset_id", "last_sync")


class AssetEditor(QDialog):
    def __init__(self, asset_id: int | None = None, parent=None, **defaults):
        super().__init__(parent)
        self.asset_id = asset_id
        self.version: int | None = None
        self.setObjectName("asset-editor")
        # Small enough for a 1024×700 screen; the form scrolls instead of
        # squeezing its fields when the window is shorter than they need.
        self.setMinimumSize(560, 420)
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.custom_widgets: dict[str, QLineEdit] = {}
        self.custom_title: QLabel | None = None
        self.saved_tag: str | None = None
        self._clean: dict = {}
        self._boxes: dict[str, QVBoxLayout] = {}
        self.new_buttons: dict[str, QPushButton] = {}

        self.tabs = QTabWidget()
        details = QWidget()
        details.setObjectName("editor-details")
        self.form = QFormLayout(details)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        for key, label, kind in FIELDS:
            w = self._make_widget(key, kind)
            self.widgets[key] = w
            err = QLabel()
            err.setObjectName(f"error-{key}")
            err.setStyleSheet(theme.text_style("error"))
            # Under its field, wrapped: the row grows (the form scrolls) and
            # the field keeps its own height.
            err.setWordWrap(True)
            err.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
            err.hide()
            self.errors[key] = err
            box = QVBoxLayout()
            box.setSpacing(1)
            if key in NEW_BUTTONS:
                # "New…" beside the list: on an empty database there is no
                # site, room, model or supplier to choose yet.
                row = QHBoxLayout()
                row.addWidget(w, 1)
                new = QPushButton("New…")
                new.setObjectName(f"new-{key}")
                new.setToolTip(NEW_BUTTONS[key])
                new.clicked.connect(lambda _c=False, k=key: self._new_choice(k))
                row.addWidget(new)
                self.new_buttons[key] = new
                box.addLayout(row)
            else:
                box.addWidget(w)
            box.addWidget(err)
            self._boxes[key] = box
            self.form.addRow(label, box)
        self._add_erate_group()
        self.details_scroll = QScrollArea()
        self.details_scroll.setObjectName("editor-details-scroll")
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.NoFrame)
        self.details_scroll.setWidget(details)
        self.tabs.addTab(self.details_scroll, "Details")
        self.history_table = self._table(("When", "Who", "Action", "Field", "Old", "New"))
        self.loans_table = self._table(("Out", "Borrower", "Due", "Returned", "Condition"))
        self.repairs_table = self._table(("Reported", "Problem", "Vendor", "Ticket", "Status", "Cost"))
        self.licenses_table = self._table(("Product", "Version", "Vendor", "Assigned"))
        self.work_orders_table = self._table(("No.", "Opened", "Status", "Category", "Summary",
                                              "Closed"))
        for title, table in (("History", self.history_table), ("Loans", self.loans_table),
                             ("Repairs", self.repairs_table), ("Licenses", self.licenses_table),
                             ("Work orders", self.work_orders_table)):
            self.tabs.addTab(table, title)
        # A printer's page answers "what does it take, and how many do we have?"
        self.supplies_tab = QWidget()
        self.supplies_table = self._table(("Supply", "Part number", "On hand", "Reorder at",
                                           "To order", "Bin"))
        issue = QPushButton("Issue to this printer…")
        issue.setObjectName("issue-to-printer")
        issue.clicked.connect(self._issue_supplies)
        sl = QVBoxLayout(self.supplies_tab)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.supplies_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(issue)
        sl.addLayout(row)
        self.supplies_index = self.tabs.addTab(self.supplies_tab, "Supplies")
        self.tabs.setTabVisible(self.supplies_index, False)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("editor-banner")
        self.banner.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        # The 1:1 program's loaner swap, shown when it applies (see load()).
        self.swap_button = buttons.addButton("Swap for loaner…", QDialogButtonBox.ActionRole)
        self.swap_button.setObjectName("editor-swap")
        self.swap_button.setToolTip("Send this student's device to repair and lend a loaner")
        self.swap_button.clicked.connect(self._swap_for_loaner)
        self.end_swap_button = buttons.addButton("Return from repair / end swap",
                                                 QDialogButtonBox.ActionRole)
        self.end_swap_button.setObjectName("editor-end-swap")
        self.end_swap_button.clicked.connect(self._end_swap)
        self.swap_button.hide()
        self.end_swap_button.hide()
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(buttons)

        self.widgets["funding_type"].currentIndexChanged.connect(self._show_erate)
        self.widgets["site_id"].currentIndexChanged.connect(self._show_erate_numbers)
        self.widgets["supplier_id"].currentIndexChanged.connect(self._show_erate_numbers)
        self.widgets["site_id"].currentIndexChanged.connect(self._fill_rooms)
        self.widgets["site_id"].currentIndexChanged.connect(self._room_button)
        self.widgets["model_id"].currentIndexChanged.connect(self._show_custom_fields)
        self._fill_choices()
        self._add_chromebook_group()
        if asset_id:
            self.load(asset_id)
        else:
            self.setWindowTitle("New asset")
            self._set_values({"status": "ready", **defaults})
            if not defaults.get("tag"):
                from app.services.tags import peek_next_tag
                self.widgets["tag"].setPlaceholderText(f"next free tag: {peek_next_tag()}")
            for i in range(1, self.tabs.count()):
                self.tabs.setTabEnabled(i, False)
            self._clean = self.values()
        self._restore_size()

    # --- size -----------------------------------------------------------------------

    GEOMETRY_KEY = "asset_editor/geometry"

    def _restore_size(self) -> None:
        """The size the technician left it at, within the screen it opens on
        (a size kept from a big monitor would push Save off a 1024×700 one)."""
        from PySide6.QtGui import QGuiApplication
        geo = QSettings().value(self.GEOMETRY_KEY)
        if not (isinstance(geo, QByteArray) and not geo.isEmpty() and self.restoreGeometry(geo)):
            self.resize(780, 760)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(max(min(self.width(), avail.width() - 40), self.minimumWidth()),
                        max(min(self.height(), avail.height() - 60), self.minimumHeight()))

    # --- closing --------------------------------------------------------------------

    def has_changes(self) -> bool:
        return self.values() != self._clean

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: edits are not thrown
        away without asking; with none the editor closes at once."""
        if self.isVisible() and self.has_changes() and not self._discard_ok():
            return
        super().reject()

    def _discard_ok(self) -> bool:
        what = self.saved_tag or "this new asset"
        box = QMessageBox(QMessageBox.Question, "Unsaved changes", f"Discard your changes to {what}?",
                          parent=self)
        discard = box.addButton("Discard", QMessageBox.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.RejectRole)
        box.setDefaultButton(keep)  # Enter or a second Esc keeps the edits
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard

    def done(self, result: int) -> None:
        QSettings().setValue(self.GEOMETRY_KEY, self.saveGeometry())
        super().done(result)

    # --- widgets --------------------------------------------------------------------

    def _make_widget(self, key: str, kind: str) -> QWidget:
        if kind == "check":
            w = QCheckBox("In the loaner pool (its labels print LOANER)")
            w.setObjectName(key)
            return w
        if kind == "combo":
            w = QComboBox()
            w.setObjectName(key)
            w.setMaxVisibleItems(25)
            return w
        if kind == "notes":
            w = QPlainTextEdit()
            w.setMinimumHeight(80)  # four lines; the form scrolls rather than squeezing it
            w.setTabChangesFocus(True)
            w.setObjectName(key)
            return w
        w = QLineEdit()
        w.setObjectName(key)
        if kind == "readonly":
            w.setReadOnly(True)
        if kind == "date":
            w.setPlaceholderText("YYYY-MM-DD or 1/23/2025")
        elif kind == "money":
            w.setPlaceholderText("0.00")
        return w

    def _table(self, headers) -> QTableWidget:
        return small_table(headers)

    def _fill_choices(self) -> None:
        for key in ("model_id", "site_id", "supplier_id"):
            combo = self.widgets[key]
            combo.addItem("", None)
            for value, text in _choices(key):
                combo.addItem(text, value)
        s = self.widgets["status"]
        for key, label in ASSET_STATUSES.items():
            s.addItem(label, key)
        self._room_button()
        f = self.widgets["funding_type"]
        f.addItem("", None)
        for key, label in FUNDING_TYPES.items():
            f.addItem(label, key)

    # --- the E-Rate group -------------------------------------------------------------

    def _add_erate_group(self) -> None:
        """A title over the FRN, funding year, Form 471 and line item, and the
        site's BEN and the supplier's SPIN (kept on the site and the supplier,
        set here in place)."""
        for key, hint in ERATE_HINTS.items():
            self.widgets[key].setPlaceholderText(hint)
        first = self.form.getLayoutPosition(self._boxes["erate_frn"])[0]
        self.erate_title = QLabel("<b>E-Rate filing</b>")
        self.erate_title.setObjectName("erate-title")
        self.form.insertRow(first, self.erate_title)
        self.erate_numbers = QLabel()
        self.erate_numbers.setObjectName("erate-numbers")
        self.erate_numbers.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.erate_numbers, 1)
        for what, slot in (("BEN", self._set_ben), ("SPIN", self._set_spin)):
            b = QPushButton(f"{what}…")
            b.setObjectName(f"set-{what.lower()}")
            b.setToolTip("Set the site's E-Rate Billed Entity Number" if what == "BEN" else
                         "Set the supplier's SPIN (FCC Form 498 ID)")
            b.clicked.connect(slot)
            row.addWidget(b)
        self.erate_numbers_row = QWidget()
        self.erate_numbers_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        last = self.form.getLayoutPosition(self._boxes["erate_frn_line"])[0]
        self.form.insertRow(last + 1, "BEN / SPIN", self.erate_numbers_row)

    def erate_shown(self) -> bool:
        return self.form.isRowVisible(self.erate_title)

    def _show_erate(self) -> None:
        """The group shows for E-Rate funding, or while it holds a value."""
        shown = self.widgets["funding_type"].currentData() == "erate" or any(
            self.widgets[k].text().strip() for k in ERATE_FIELDS)
        self.form.setRowVisible(self.erate_title, shown)
        for key in ERATE_FIELDS:
            # Showing a row shows every widget in it: its error line stays as it was.
            had_error = not self.errors[key].isHidden()
            self.form.setRowVisible(self._boxes[key], shown)
            self.errors[key].setVisible(shown and had_error)
        self.form.setRowVisible(self.erate_numbers_row, shown)
        self._show_erate_numbers()

    def _show_erate_numbers(self) -> None:
        from app.services import catalog
        site, supplier = self.widgets["site_id"], self.widgets["supplier_id"]
        parts = []
        if site.currentData():
            ben = catalog.site_ben(site.currentData())
            parts.append(f"{site.currentText()}: BEN {ben}" if ben else
                         f"{site.currentText()}: no BEN yet")
        if supplier.currentData():
            spin = catalog.supplier_spin(supplier.currentData())
            parts.append(f"{supplier.currentText()}: SPIN {spin}" if spin else
                         f"{supplier.currentText()}: no SPIN yet")
        self.erate_numbers.setText(" · ".join(parts) or "Choose the site and the supplier.")

    def _set_ben(self) -> None:
        from app.services import catalog
        site = self.widgets["site_id"]
        if site.currentData():
            self._ask_number("BEN", f"E-Rate BEN of {site.currentText()}:",
                             catalog.site_ben(site.currentData()),
                             lambda v, sid=site.currentData(): catalog.set_site_ben(sid, v))

    def _set_spin(self) -> None:
        from app.services import catalog
        sup = self.widgets["supplier_id"]
        if sup.currentData():
            self._ask_number("SPIN", f"SPIN (FCC Form 498 ID) of {sup.currentText()}:",
                             catalog.supplier_spin(sup.currentData()),
                             lambda v, sid=sup.currentData(): catalog.set_supplier_spin(sid, v))

    def _ask_number(self, what: str, prompt: str, current, save) -> None:
        from PySide6.QtWidgets import QInputDialog
        text, ok = QInputDialog.getText(self, what, prompt, text=current or "")
        if ok:
            run_op(self, lambda: save(text), changes=Changes.CATALOG | Changes.LOCATIONS,
                   success=lambda _r: self._show_erate_numbers(), title=what)

    def _room_button(self) -> None:
        has_site = bool(self.widgets["site_id"].currentData())
        self.new_buttons["location_id"].setEnabled(has_site)
        self.new_buttons["location_id"].setToolTip(
            NEW_BUTTONS["location_id"] if has_site else "Choose the site first (or add one)")

    def _new_choice(self, key: str) -> None:
        """Create a record in place through its service and choose it."""
        from ui.dialogs import quick_create
        if key == "site_id":
            new_id = quick_create.new_site(self)
        elif key == "location_id":
            site = self.widgets["site_id"]
            if not site.currentData():
                return
            new_id = quick_create.new_room(self, site.currentData(), site.currentText())
        elif key == "model_id":
            new_id = quick_create.new_model(self)
        else:
            new_id = quick_create.new_supplier(self)
        if new_id is None:
            return
        if key == "location_id":
            self._fill_rooms()
        else:
            self._refill(key)
        _select(self.widgets[key], new_id)
        self.errors[key].hide()

    def _refill(self, key: str) -> None:
        """The list ``key`` read again (with what was just added), the choice kept."""
        combo = self.widgets[key]
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("", None)
        for value, text in _choices(key):
            combo.addItem(text, value)
        _select(combo, keep)
        combo.blockSignals(False)

    def _fill_rooms(self) -> None:
        from app.services import catalog
        rooms = self.widgets["location_id"]
        keep = rooms.currentData()
        rooms.clear()
        rooms.addItem("", None)
        site_id = self.widgets["site_id"].currentData()
        if site_id:
            for lid, name in catalog.room_choices(site_id):
                rooms.addItem(name, lid)
        _select(rooms, keep)

    def _show_custom_fields(self) -> None:
        from app.models import Category, HardwareModel
        values = {k: w.text() for k, w in self.custom_widgets.items()}
        values.update(getattr(self, "_custom_loaded", {}) or {})
        for w in self.custom_widgets.values():
            self.form.removeRow(w)
        if self.custom_title is not None:
            self.form.removeRow(self.custom_title)
            self.custom_title = None
        self.custom_widgets = {}
        model_id = self.widgets["model_id"].currentData()
        fields = []
        if model_id:
            fields = (Category.select(Category.custom_fields).join(
                HardwareModel, on=(HardwareModel.category == Category.id))
                .where(HardwareModel.id == model_id).scalar()) or []
            if isinstance(fields, str):
                import json
                fields = json.loads(fields)
        names = [f["name"] if isinstance(f, dict) else str(f) for f in fields]
        names += [k for k in values if k not in names and values.get(k) not in (None, "")]
        kinds = {f["name"]: f.get("type") for f in fields if isinstance(f, dict)}
        if not names:
            return
        # In the same form (one label column) before Notes, under a title that
        # says where they come from.
        row = self.form.getLayoutPosition(self._boxes["notes"])[0]
        category = (Category.select(Category.name).join(
            HardwareModel, on=(HardwareModel.category == Category.id))
            .where(HardwareModel.id == model_id).scalar()) if model_id else None
        self.custom_title = QLabel(f"<b>{category} fields</b>" if category else "<b>Custom fields</b>")
        self.custom_title.setObjectName("custom-title")
        self.form.insertRow(row, self.custom_title)
        for i, name in enumerate(names, start=1):
            w = QLineEdit(display(values.get(name)))
            w.setObjectName(f"custom-{name}")
            w.setPlaceholderText({"number": "a number", "date": "YYYY-MM-DD"}.get(kinds.get(name), ""))
            self.custom_widgets[name] = w
            self.form.insertRow(row + i, name, w)

    # --- load / save ----------------------------------------------------------------

    def load(self, asset_id: int) -> None:
        asset = asset_svc.get(asset_id)
        self.version = asset.version
        self.saved_tag = asset.tag
        self.setWindowTitle(f"Asset {asset.tag}")
        values = asset_svc.values_of(asset)
        self._custom_loaded = values.get("custom") or {}
        self._set_values(values)
        self._custom_loaded = {}
        self._show_chromebook()
        self._fill_tabs(asset_id)
        d = asset_svc.details(asset_id)
        notes = []
        if d["holder"]:
            notes.append(f"Assigned to <b>{d['holder']['name']}</b>")
        if d["open_loan"] and d["open_loan"]["due"]:
            notes.append(f"due back {d['open_loan']['due']}")
        if d["open_repair"]:
            notes.append(f"in repair: {d['open_repair']['problem']}")
        from app.services import loaners
        swaps = loaners.list_swaps(open_only=True, asset_id=asset_id)[:1]
        for r in swaps:
            notes.append(f"loaner swap {r['id']}: loaner {r['loaner']} lent to {r['student']}"
                         if r["device"] == asset.tag else
                         f"lent to {r['student']} in loaner swap {r['id']} while {r['device']} "
                         "is in repair")
        self.end_swap_button.setVisible(bool(swaps))
        self.swap_button.setVisible(not swaps and bool(d["open_loan"])
                                    and bool(d["holder"]) and d["holder"].get("type") == "person")
        self.banner.setText(" · ".join(notes))
        self.banner.setVisible(bool(notes))
        self._clean = self.values()  # what Esc compares with

    def _set_values(self, values: dict) -> None:
        for key, _label, kind in FIELDS:
            if key not in values:
                continue
            w, v = self.widgets[key], values[key]
            if kind == "combo":
                if key == "location_id":
                    self._fill_rooms()
                _select(w, v)
            elif kind == "notes":
                w.setPlainText(v or "")
            elif kind == "check":
                w.setChecked(bool(v))
            else:
                w.setText(display(v) if not isinstance(v, Decimal) else f"{v:.2f}")
        self._show_custom_fields()
        self._show_erate()

    def values(self) -> dict:
        out = {}
        for key, _label, kind in FIELDS:
            w = self.widgets[key]
            if kind == "readonly":
                continue  # shown, never written back (the last sync is Google's)
            if kind == "combo":
                out[key] = w.currentData()
            elif kind == "notes":
                out[key] = w.toPlainText()
            elif kind == "check":
                out[key] = w.isChecked()
            else:
                out[key] = w.text().strip()
        if out["tag"] == "" and not self.asset_id:
            out.pop("tag")  # the service gives the next free tag
        custom = {k: w.text().strip() for k, w in self.custom_widgets.items() if w.text().strip()}
        out["custom"] = custom or None
        return out

    def _fill_tabs(self, asset_id: int) -> None:
        from app.models import Loan, Location, Person, Repair, Supplier
        # Whole local timestamps, and fields, actions and statuses by their labels.
        rows = [(timestamp(h["at"]), h["who"] or "", _action(h),
                 history_field_label(h["field"]), history_value(h["field"], h["old"]),
                 history_value(h["field"], h["new"]))
                for h in history.for_entity("asset", asset_id, limit=500)]
        _fill(self.history_table, rows)
        # Wide enough for the whole timestamp and label; a long old value is
        # elided (the New column stretches), not allowed to push the rest away.
        for col in range(self.history_table.columnCount() - 1):
            self.history_table.resizeColumnToContents(col)
            if self.history_table.columnWidth(col) > 260:
                self.history_table.setColumnWidth(col, 260)
        loans = (Loan.select(Loan.out_at, Person.first_name, Person.last_name, Location.name,
                             Loan.due, Loan.returned_at, Loan.condition_out)
                 .join(Person, pw.JOIN.LEFT_OUTER, on=(Loan.person == Person.id))
                 .join_from(Loan, Location, pw.JOIN.LEFT_OUTER, on=(Loan.location == Location.id))
                 .where(Loan.asset == asset_id).order_by(Loan.out_at.desc()).tuples())
        _fill(self.loans_table, [(display(o), f"{last}, {f}" if last else (r or ""), display(d),
                                  display(ret), c or "") for o, f, last, r, d, ret, c in loans])
        reps = (Repair.select(Repair.reported, Repair.problem, Supplier.name, Repair.ticket,
                              Repair.status, Repair.cost)
                .join(Supplier, pw.JOIN.LEFT_OUTER, on=(Repair.vendor == Supplier.id))
                .where(Repair.asset == asset_id).order_by(Repair.reported.desc()).tuples())
        _fill(self.repairs_table, [(display(rep), display(problem), display(vendor),
                                    display(ticket), status_label(st, "repair"), display(cost))
                                   for rep, problem, vendor, ticket, st, cost in reps])
        from app.services import stock
        fits = stock.fitting(asset_id)
        _fill(self.supplies_table, [(f["name"], f["part_number"] or "", f["on_hand"],
                                     f["reorder_point"], f["to_order"] or "", f["bin"] or "")
                                    for f in fits])
        self.tabs.setTabVisible(self.supplies_index, bool(fits))
        from app.services import workorders
        _fill(self.work_orders_table, [(f"#{w.id}", display(w.opened_at.date()),
                                        status_label(w.status, "work_order"),
                                        w.category.capitalize(), w.summary,
                                        display(w.closed_at.date() if w.closed_at else None))
                                       for w in workorders.for_asset(asset_id)])
        lic = licenses.for_asset(asset_id)
        _fill(self.licenses_table, [(x.get("product", ""), x.get("version") or "",
                                     x.get("vendor") or "", display(x.get("assigned_at")))
                                    for x in lic])

    def _swap_for_loaner(self) -> None:
        self._loaner_step("swap")

    def _end_swap(self) -> None:
        self._loaner_step("end")

    def _loaner_step(self, which: str) -> None:
        """Swap or end the swap, then show the record as it now is (edits
        not saved first would be lost, so they are asked for first)."""
        from ui.dialogs.loaner_swap import end_swap, swap_for
        if not self.asset_id:
            return
        if self.has_changes():
            QMessageBox.information(self, "Loaner swap", "Save or undo your changes to "
                                    f"{self.saved_tag} first.")
            return
        done = (swap_for(self, self.asset_id) if which == "swap"
                else end_swap(self, asset_id=self.asset_id))
        if done:
            self.load(self.asset_id)

    def _issue_supplies(self) -> None:
        from ui.dialogs.stock_moves import open_printer_supplies
        if self.asset_id and open_printer_supplies(self, self.asset_id):
            self._fill_tabs(self.asset_id)  # the issue dialog announced the change

    # --- the Chromebook group ------------------------------------------------------------

    def _add_chromebook_group(self) -> None:
        first = self.form.getLayoutPosition(self._boxes["aue_date"])[0]
        self.chromebook_title = QLabel("<b>Chromebook</b> — from Google Admin's device export")
        self.chromebook_title.setObjectName("chromebook-title")
        self.form.insertRow(first, self.chromebook_title)
        tip = ("Set by `import --kind chromebooks` from Google Admin's export; the next "
               "import writes Google's value again.")
        for key in CHROMEBOOK_FIELDS:
            self.widgets[key].setToolTip(tip)
        self.widgets["model_id"].currentIndexChanged.connect(self._show_chromebook)
        self._show_chromebook()

    def chromebook_shown(self) -> bool:
        return self.form.isRowVisible(self.chromebook_title)

    def _show_chromebook(self) -> None:
        """Shown for a Chromebook model, or while a field holds a value."""
        from app.models import Category, HardwareModel
        model = self.widgets["model_id"].currentData()
        kind = (Category.select(Category.kind).join(HardwareModel, on=(HardwareModel.category == Category.id))
                .where(HardwareModel.id == model).scalar()) if model else None
        shown = kind == "chromebook" or any(self.widgets[k].text().strip() for k in CHROMEBOOK_FIELDS)
        self.form.setRowVisible(self.chromebook_title, shown)
        for key in CHROMEBOOK_FIELDS:
            # Showing a row shows every widget in it: its error line stays as it was.
            had_error = not self.errors[key].isHidden()
            self.form.setRowVisible(self._boxes[key], shown)
            self.errors[key].setVisible(shown and had_error)

    def save(self) -> None:
        for err in self.errors.values():
            err.hide()
        values, asset_id, version = self.values(), self.asset_id, self.version

        def write():
            if asset_id:
                return asset_svc.update(asset_id, values, expected_version=version)
            return asset_svc.create(values)
        run_op(self, write, changes=Changes.ASSETS, success=self._saved,
               on_error=self._save_refused, title="Save asset")

    def _saved(self, asset) -> None:
        self.asset_id = asset.id
        self.version = asset.version
        bus.status_message.emit(f"Saved {asset.tag}")
        self.accept()

    def _save_refused(self, exc: DomainError) -> None:
        """Someone else saved first: choose whose values win, then save again.
        A field's problem: said under that field. Anything else: a box."""
        if isinstance(exc, StaleEdit):
            if self._resolve_stale(exc):
                self.save()
        elif isinstance(exc, ValidationError):
            self._show_errors(exc)
        else:
            show_op_error(self, "Save asset", exc)

    def _show_errors(self, exc: ValidationError) -> None:
        shown = False
        for field, message in (exc.errors or {}).items():
            label = self.errors.get(field)
            if label is not None:
                label.setText(message)
                label.show()
                shown = True
        if not shown:
            QMessageBox.warning(self, "Save asset", str(exc))
        else:
            self.tabs.setCurrentIndex(0)
            first = next(f for f in exc.errors if f in self.widgets)
            self.widgets[first].setFocus()
            # The layout has to take the shown messages in before the field's
            # place is known; then bring the field and its message into view.
            self.details_scroll.widget().layout().activate()
            self.details_scroll.ensureWidgetVisible(self.errors[first], 20, 20)
            self.details_scroll.ensureWidgetVisible(self.widgets[first], 20, 20)

    def _resolve_stale(self, exc: StaleEdit) -> bool:
        """Show both versions; True = save mine over theirs, False = keep theirs."""
        dlg = StaleDialog(exc, self)
        choice = dlg.exec()
        if choice == StaleDialog.MINE:
            self.version = asset_svc.get(self.asset_id).version
            return True
        self.load(self.asset_id)
        return False


class StaleDialog(QDialog):
    """Someone else saved this record: their version beside mine."""
    MINE, THEIRS = 2, 3

    def __init__(self, exc: StaleEdit, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Changed by someone else")
        self.setObjectName("stale-dialog")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(str(exc) + "\nCompare the two versions and choose which to keep."))
        labels = {k: label for k, label, _ in FIELDS}
        rows = []
        for key in labels:
            theirs = exc.current.get(key)
            mine = exc.mine.get(key, theirs)
            if _norm(theirs) != _norm(mine):
                rows.append((labels[key], display(theirs), display(mine)))
        table = QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels(("Field", "Saved by them", "Yours"))
        table.verticalHeader().setVisible(False)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(v))
        table.horizontalHeader().setStretchLastSection(True)
        table.setColumnWidth(0, 150)
        table.setColumnWidth(1, 200)
        lay.addWidget(table)
        buttons = QHBoxLayout()
        keep = QDialogButtonBox()
        mine_btn = keep.addButton("Save mine over theirs", QDialogButtonBox.AcceptRole)
        theirs_btn = keep.addButton("Keep theirs (reload)", QDialogButtonBox.RejectRole)
        mine_btn.clicked.connect(lambda: self.done(self.MINE))
        theirs_btn.clicked.connect(lambda: self.done(self.THEIRS))
        buttons.addWidget(keep)
        lay.addLayout(buttons)
        self.resize(620, 360)


def _norm(v):
    if v in ("", None):
        return None
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    try:
        return f"{Decimal(str(v)):.2f}" if isinstance(v, str) and v.replace(".", "", 1).isdigit() else str(v)
    except Exception:  # noqa: BLE001
        return str(v)


def _choices(key: str) -> list[tuple[int, str]]:
    """(id, text) for the model, site and supplier lists, in display order."""
    from app.models import HardwareModel, Manufacturer, Site, Supplier
    if key == "model_id":
        q = (HardwareModel.select(HardwareModel.id, HardwareModel.name, Manufacturer.name)
             .join(Manufacturer, on=(HardwareModel.manufacturer == Manufacturer.id),
                   join_type=pw.JOIN.LEFT_OUTER)
             .order_by(Manufacturer.name, HardwareModel.name).tuples())
        return [(mid, f"{maker} {name}" if maker else name) for mid, name, maker in q]
    model = Site if key == "site_id" else Supplier
    return list(model.select(model.id, model.name).order_by(model.name).tuples())


def _select(combo: QComboBox, value) -> None:
    i = combo.findData(value)
    combo.setCurrentIndex(i if i >= 0 else 0)


def open_asset(parent, asset_id: int | None, **defaults) -> int | None:
    """Open the editor; returns the asset's id if it was saved."""
    made: list = []
    if not run_op(parent, lambda: AssetEditor(asset_id, parent, **defaults), changes=Changes.NONE,
                  success=made.append, title="Open asset"):
        return None
    dlg = made[0]
    return dlg.asset_id if dlg.exec() == QDialog.Accepted else None
