"""The People page: staff, students and families, what each holds now and
their loan history — for staff leaving and students graduating."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.models.common import PERSON_KINDS
from app.services import people as people_svc
from app.wording import plural, status_label
from ui.bus import bus
from ui.dialogs import asset_actions
from ui.files import agreement_name, ask_save_path
from ui.models.table import display
from ui.ops import Changes, run_op
from ui.pages._base import ListPage
from ui.widgets.tables import fill as _fill, small_table as _table

PAGE_KEY = "people"
PAGE_TITLE = "People"
PAGE_ORDER = 30
PAGE_ICON = "people"


class PersonPanel(QWidget):
    """What the selected person holds now, and every loan they had."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("panel-title")
        self.title.setWordWrap(True)
        self.holding = _table(("Tag", "Name", "Status", "Serial"))
        self.holding.setObjectName("person-holdings")
        self.history = _table(("Tag", "Name", "Out", "Due", "Returned"))
        self.work_orders = _table(("No.", "Opened", "Status", "Summary"))
        self.work_orders.setObjectName("person-work-orders")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(QLabel("Holds now"))
        lay.addWidget(self.holding, 1)
        lay.addWidget(QLabel("Loan history"))
        lay.addWidget(self.history, 1)
        lay.addWidget(QLabel("Work orders they asked for"))
        lay.addWidget(self.work_orders, 1)

    def show_person(self, person_id: int | None) -> None:
        if not person_id:
            self.title.setText("Select a person to see what they hold.")
            self.holding.setRowCount(0)
            self.history.setRowCount(0)
            self.work_orders.setRowCount(0)
            return
        from app.models import Person
        p = Person.get_by_id(person_id)
        held = people_svc.holdings(person_id)
        self.title.setText(f"<b>{p.full_name}</b> — {PERSON_KINDS.get(p.kind, p.kind)}"
                           f"{' · ' + p.id_number if p.id_number else ''}"
                           f"{' · ' + p.email if p.email else ''}"
                           f"{'' if p.active else ' · inactive'}<br>{plural(len(held), 'item')} held")
        _fill(self.holding, [(h["tag"], h["name"] or "", status_label(h["status"]), h["serial"] or "")
                             for h in held])
        _fill(self.history, [(h["tag"], h["name"] or "", display(h["out_at"]), display(h["due"]),
                              display(h["returned_at"])) for h in people_svc.loan_history(person_id)])
        from app.services import workorders
        _fill(self.work_orders, [(f"#{w.id}", display(w.opened_at),
                                  status_label(w.status, "work_order"), w.summary)
                                 for w in workorders.for_person(person_id)])


class Page(ListPage):
    CHANGES = (Changes.PEOPLE | Changes.LOANS | Changes.ASSETS  # who holds what
               | Changes.WORKORDERS)  # and what they asked for
    KIND = "people"
    TITLE = "People"
    SEARCH_HINT = "Search name, ID number, email…"

    def __init__(self, parent=None):
        super().__init__(parent)
        from app.services import catalog
        self.add_filter("kind", "Everyone", [(v, k) for k, v in PERSON_KINDS.items()])
        self.add_filter("site_id", "Any site",
                        [(name, sid) for sid, name in catalog.site_choices()])
        self.add_filter("active", "Active or not", [("Active", True), ("Inactive", False)])
        self.add_filter("holding", "Holding or not", [("Holding equipment", True)])
        self.panel = PersonPanel()
        splitter = QSplitter(Qt.Horizontal)
        splitter.setObjectName("people-splitter")
        self.layout().removeWidget(self.list)
        splitter.addWidget(self.list)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.layout().addWidget(splitter, 1)
        self.list.selectionChanged.connect(lambda: self.panel.show_person(self.list.current_id()))
        self.add_action("Check out to…", self.check_out, None, needs="one")
        self.add_action("Check in all they hold", self.check_in_all, None, needs="one")
        self.add_action("Loan agreement", self.agreement, None, needs="one")
        self.add_action("Deactivate", self.deactivate, None, needs="one")
        self.add_action("CALPADS device file…", self.calpads_file, None, needs="none")
        self.panel.show_person(None)
        self.update_actions()

    def open_record(self, person_id: int) -> None:
        self.list.select_id(person_id)
        self.panel.show_person(person_id)

    def check_out(self) -> None:
        pid = self.list.current_id()
        ids = self.window().property("pending_assets") or []
        dlg = asset_actions.CheckOutDialog(list(ids), self, person_id=pid)
        if not ids:
            dlg.assets_label.setText("Scan the tags to check out.")
        if dlg.exec():
            self.panel.show_person(pid)
            self.list.model.refresh_rows()

    def check_in_all(self) -> None:
        pid = self.list.current_id()
        tags = [h["tag"] for h in people_svc.holdings(pid)]
        if asset_actions.CheckInDialog(tags, self).exec():
            self.panel.show_person(pid)
            self.list.model.refresh_rows()

    def agreement(self) -> None:
        pid = self.list.current_id()
        path = ask_save_path(self, "Save loan agreement", agreement_name(pid), "PDF (*.pdf)")
        if not path:
            return
        from reports.loan_agreement import render_agreement
        # Writes a file only: nothing a page shows changes.
        run_op(self, lambda: render_agreement(pid, path), changes=Changes.NONE,
               success=lambda _r: bus.status_message.emit(f"Saved {path}"),
               title="Loan agreement")

    def calpads_file(self) -> None:
        """The student device and connectivity file for CALPADS, from the loans
        (the layout in Settings; `quartermaster export calpads` writes the same)."""
        path = ask_save_path(self, "Save CALPADS device file", "calpads-student-devices",
                             "CALPADS file, caret-delimited (*.txt);;CSV with a header (*.csv)")
        if not path:
            return
        from app import calpads
        run_op(self, lambda: calpads.write(path), changes=Changes.NONE,
               success=lambda n: bus.status_message.emit(
                   f"Wrote {n:,} student record{'s' if n != 1 else ''} to {path}"),
               title="CALPADS device file")

    def deactivate(self) -> None:
        pid = self.list.current_id()
        run_op(self, lambda: people_svc.deactivate(pid), changes=Changes.PEOPLE,
               success=lambda _r: self.list.model.refresh_rows(), title="Deactivate")
