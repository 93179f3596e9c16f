"""The work-order dialogs: new/edit (with the notes thread), add a note with
the time it took, and close with the resolution. Every write goes through
``run_op`` (``FormDialog.submit``) to ``app.services.workorders``."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.models import Person
from app.models.common import (OPEN_WORK_ORDER_STATUSES, WORK_ORDER_CATEGORIES,
                               WORK_ORDER_PRIORITIES, WORK_ORDER_STATUSES)
from app.services import assets as asset_svc
from app.services import people as people_svc
from app.services import workorders
from app.services.base import current_user
from app.services.errors import NotFound, ValidationError
from ui.dialogs.stock_forms import FormDialog, LookupEdit
from ui.ops import Changes


def describe_person(text: str) -> tuple[int | None, str]:
    person = people_svc.find(text)
    if person is None:
        return None, "No one in the register matches: give a name and contact below instead."
    return person.id, f"{person.full_name} ({person.id_number or person.kind})"


def describe_asset(text: str) -> tuple[int | None, str]:
    asset_id = asset_svc.lookup_tag(text)
    if asset_id is None:
        raise NotFound(f"No asset has the tag {text.strip()}.")
    a = asset_svc.get(asset_id)
    return asset_id, f"{a.tag} {a.name or ''}".strip()


def _minutes() -> QSpinBox:
    """Time spent, in 5-minute steps up to a day (notes and closing alike)."""
    minutes = QSpinBox()
    minutes.setRange(0, workorders.MAX_MINUTES)
    minutes.setSingleStep(5)
    minutes.setSuffix(" min")
    return minutes


def _combo(choices: dict, current: str | None = None) -> QComboBox:
    combo = QComboBox()
    for key, label in choices.items():
        combo.addItem(label, key)
    if current is not None:
        combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class WorkOrderDialog(FormDialog):
    """A new work order (``number=None``; ``asset_id``/``person_id`` prefill
    it when opened from an asset or a person), or an existing one to edit.
    It takes several assets: each scanned tag (or one typed and Added) joins
    the list; the first is the work order's asset."""

    CHANGES = Changes.WORKORDERS

    def __init__(self, number: int | None = None, parent: QWidget | None = None,
                 asset_id: int | None = None, person_id: int | None = None):
        self.TITLE = f"Work order #{number}" if number else "New work order"
        super().__init__(parent)
        self.number = number
        self.version: int | None = None
        self.setMinimumWidth(520)
        self.add_field("summary", "Summary", placeholder="What is the request, in a line")
        self.add_field("category", "Category", _combo(WORK_ORDER_CATEGORIES, "repair"))
        self.add_field("priority", "Priority", _combo(WORK_ORDER_PRIORITIES, "normal"))
        statuses = WORK_ORDER_STATUSES if number else {
            k: v for k, v in WORK_ORDER_STATUSES.items() if k in OPEN_WORK_ORDER_STATUSES}
        if number:  # closing needs a resolution: the Close dialog does it
            statuses = {k: v for k, v in statuses.items() if k != "closed"}
        self.add_field("status", "Status", _combo(statuses, "new"))
        self.requester = LookupEdit(describe_person)
        self.add_field("requester_id", "Requester", self.requester,
                       placeholder="Scan a badge or type an ID number, email or name")
        self.form.addRow("", self.requester.note)
        self.add_field("requester_name", "…or name", placeholder="A parent or visitor")
        self.add_field("requester_contact", "Contact", placeholder="Phone or email")
        site = QComboBox()
        site.addItem("(where the asset is)", None)
        from app.services import catalog
        for sid, name in catalog.site_choices():
            site.addItem(name, sid)
        self.add_field("site_id", "Site", site)
        self.add_field("asset_id", "Assets", self._asset_box())
        self.add_field("assignee", "Assigned to")
        self.add_field("follow_up", "Follow up on", placeholder="YYYY-MM-DD")
        desc = QPlainTextEdit()
        desc.setFixedHeight(70)
        self.add_field("description", "Details", desc)
        self.thread = QPlainTextEdit()
        self.thread.setObjectName("wo-thread")
        self.thread.setReadOnly(True)
        self.thread.setFixedHeight(110)
        self.thread_title = QLabel("Notes")
        if number:
            self.load(number)
            self.body.insertWidget(1, self.thread_title)
            self.body.insertWidget(2, self.thread)
        else:
            self.widgets["assignee"].setText(current_user())
            if asset_id:
                self.add_asset(asset_id)
            if person_id:
                p = Person.get_by_id(person_id)
                self.requester.setText(p.id_number or p.full_name)

    def load(self, number: int) -> None:
        wo = workorders.get(number)
        self.version = wo.version
        w = self.widgets
        w["summary"].setText(wo.summary)
        for key in ("category", "priority", "status"):
            w[key].setCurrentIndex(max(0, w[key].findData(getattr(wo, key))))
        if wo.requester_id:
            self.requester.setText(wo.requester.id_number or wo.requester.full_name)
        w["requester_name"].setText(wo.requester_name or "")
        w["requester_contact"].setText(wo.requester_contact or "")
        w["site_id"].setCurrentIndex(max(0, w["site_id"].findData(wo.site_id)))
        for a in workorders.asset_list(wo):
            self._list_asset(a["id"], f"{a['tag']} {a['name']}".strip())
        w["assignee"].setText(wo.assignee or "")
        w["follow_up"].setText(wo.follow_up.isoformat() if wo.follow_up else "")
        w["description"].setPlainText(wo.description or "")
        lines = []
        for n in workorders.notes(number):
            spent = f" · {n['minutes']} min" if n["minutes"] else ""
            lines.append(f"{n['at']:%Y-%m-%d %H:%M} · {n['by'] or ''}{spent}\n{n['text']}")
        if wo.resolution:
            lines.append(f"Resolution: {wo.resolution}")
        self.thread.setPlainText("\n\n".join(lines) or "No notes yet.")

    def values(self) -> dict:
        out = {key: self.value(key) for key in ("summary", "category", "priority", "status",
                                               "requester_name", "requester_contact",
                                               "site_id", "assignee", "follow_up",
                                               "description")}
        out["requester_id"] = self._looked_up(self.requester, "requester_id")
        typed = self._looked_up(self.asset, "asset_id")
        ids = self.asset_ids()
        out["asset_ids"] = ids + ([typed] if typed and typed not in ids else [])
        return out

    # --- the assets -------------------------------------------------------------------

    def _asset_box(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        self.asset = LookupEdit(describe_asset)
        self.asset.setObjectName("wo-asset-tag")
        self.asset.setPlaceholderText("Scan tags, or type one and Add")
        add = QPushButton("Add")
        add.setObjectName("wo-add-asset")
        add.clicked.connect(self._add_typed)
        remove = QPushButton("Remove")
        remove.setObjectName("wo-remove-asset")
        remove.clicked.connect(self._remove_selected)
        row.addWidget(self.asset, 1)
        row.addWidget(add)
        row.addWidget(remove)
        lay.addLayout(row)
        lay.addWidget(self.asset.note)
        self.asset_list_widget = QListWidget()
        self.asset_list_widget.setObjectName("wo-assets")
        self.asset_list_widget.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.asset_list_widget.setFixedHeight(72)
        lay.addWidget(self.asset_list_widget)
        return box

    def asset_ids(self) -> list[int]:
        return [self.asset_list_widget.item(i).data(Qt.UserRole)
                for i in range(self.asset_list_widget.count())]

    def _list_asset(self, asset_id: int, text: str) -> None:
        if asset_id in self.asset_ids():
            return
        item = QListWidgetItem(text)
        item.setData(Qt.UserRole, asset_id)
        self.asset_list_widget.addItem(item)

    def add_asset(self, asset_id: int) -> None:
        a = asset_svc.get(asset_id)
        self._list_asset(a.id, f"{a.tag} {a.name or ''}".strip())

    def _add_typed(self) -> None:
        self.errors["asset_id"].hide()
        self.asset.lookup()
        if self.asset.resolved is None:
            if self.asset.text().strip():
                self.errors["asset_id"].setText(self.asset.note.text())
                self.errors["asset_id"].show()
            return
        self.add_asset(self.asset.resolved)
        self.asset.clear()

    def _remove_selected(self) -> None:
        for item in self.asset_list_widget.selectedItems():
            self.asset_list_widget.takeItem(self.asset_list_widget.row(item))

    def handle_scan(self, code: str) -> bool:
        """A scanned tag joins the assets; a badge, while no requester is
        named, is the requester."""
        asset_id = asset_svc.lookup_tag(code)
        if asset_id is not None:
            self.add_asset(asset_id)
            return True
        from app import scanning
        from ui.ops import lookup
        res = lookup(lambda: scanning.resolve(code))
        if res is not None and res.kind == "person" and res.id and not self.requester.text():
            self.requester.setText(code)
            return True
        return False

    def _looked_up(self, edit: LookupEdit, field: str) -> int | None:
        """What the box names; text that names nothing is refused, not dropped."""
        edit.lookup()
        if edit.text().strip() and edit.resolved is None:
            raise ValidationError(edit.note.text(), field=field)
        return edit.resolved

    def apply(self):
        values = self.values()
        if self.number:
            return workorders.update(self.number, values, expected_version=self.version)
        return workorders.create(values)


class NoteDialog(FormDialog):
    """A line in the thread, the minutes it took, and (optionally) the status it leaves."""

    CHANGES = Changes.WORKORDERS

    def __init__(self, number: int, parent: QWidget | None = None):
        self.TITLE = f"Note on work order #{number}"
        super().__init__(parent)
        self.number = number
        text = QPlainTextEdit()
        text.setFixedHeight(90)
        self.add_field("note", "Note", text)
        self.add_field("minutes", "Time spent", _minutes())
        status = QComboBox()
        status.addItem("(leave as is)", None)
        for key in OPEN_WORK_ORDER_STATUSES + ("resolved",):
            status.addItem(WORK_ORDER_STATUSES[key], key)
        self.add_field("status", "Status", status)

    def apply(self):
        return workorders.add_note(self.number, self.value("note"), minutes=self.value("minutes"),
                                   status=self.value("status"))


class CloseDialog(FormDialog):
    CHANGES = Changes.WORKORDERS

    def __init__(self, number: int, parent: QWidget | None = None):
        self.TITLE = f"Close work order #{number}"
        super().__init__(parent)
        self.number = number
        text = QPlainTextEdit()
        text.setFixedHeight(90)
        self.add_field("resolution", "Resolution", text)
        self.add_field("minutes", "Time spent", _minutes())

    def apply(self):
        return workorders.close(self.number, self.value("resolution"),
                                minutes=self.value("minutes"))


class SendToRepairDialog(FormDialog):
    """The work order's asset to a vendor: a repair opened and linked."""

    CHANGES = Changes.WORKORDERS | Changes.REPAIRS | Changes.ASSETS

    def __init__(self, number: int, parent: QWidget | None = None):
        self.TITLE = f"Send work order #{number} to a vendor"
        super().__init__(parent)
        self.number = number
        from app.models import Supplier
        vendor = QComboBox()
        vendor.addItem("(no vendor yet)", None)
        for name, sid in Supplier.select(Supplier.name, Supplier.id).order_by(Supplier.name).tuples():
            vendor.addItem(name, sid)
        self.add_field("vendor_id", "Vendor", vendor)
        self.add_field("ticket", "RMA / ticket")

    def apply(self):
        return workorders.send_to_repair(self.number, vendor_id=self.value("vendor_id"),
                                         ticket=self.value("ticket"))
