"""The People page: staff, students and families, what each holds now and
their loan history — for staff leaving and students graduating."""
from __future__ import annotations

from html import escape

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
        self.swaps = _table(("Swap", "Since", "Device in repair", "Loaner", "Problem"))
        self.swaps.setObjectName("person-loaner-swaps")
        self.swaps_title = QLabel("Loaner swaps open")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(QLabel("Holds now"))
        lay.addWidget(self.holding, 1)
        lay.addWidget(QLabel("Loan history"))
        lay.addWidget(self.history, 1)
        lay.addWidget(QLabel("Work orders they asked for"))
        lay.addWidget(self.work_orders, 1)
        lay.addWidget(self.swaps_title)
        lay.addWidget(self.swaps, 1)

    def show_person(self, person_id: int | None) -> None:
        if not person_id:
            self.title.setText("Select a person to see what they hold.")
            self.holding.setRowCount(0)
            self.history.setRowCount(0)
            self.work_orders.setRowCount(0)
            self.swaps.setRowCount(0)
            self.swaps_title.hide()
            self.swaps.hide()
            return
        from app.models import Person
        p = Person.get_by_id(person_id)
        held = people_svc.holdings(person_id)
        self.title.setText(f"<b>{escape(p.full_name)}</b> — {PERSON_KINDS.get(p.kind, p.kind)}"
                           f"{' · ' + escape(p.id_number) if p.id_number else ''}"
                           f"{' · ' + escape(p.email) if p.email else ''}"
                           f"{'' if p.active else ' · inactive'}{student_line(p)}"
                           f"<br>{plural(len(held), 'item')} held")
        _fill(self.holding, [(h["tag"], h["name"] or "",
                              status_label(h["status"]) + (" · loaner" if h.get("loaner") else ""),
                              h["serial"] or "") for h in held])
        _fill(self.history, [(h["tag"], h["name"] or "", display(h["out_at"]), display(h["due"]),
                              display(h["returned_at"])) for h in people_svc.loan_history(person_id)])
        from app.services import workorders
        _fill(self.work_orders, [(f"#{w.id}", display(w.opened_at),
                                  status_label(w.status, "work_order"), w.summary)
                                 for w in workorders.for_person(person_id)])
        from app.services import loaners
        swaps = loaners.list_swaps(open_only=True, person_id=person_id)
        _fill(self.swaps, [(f"#{r['id']}", display(r["opened"]), r["device"], r["loaner"],
                            r["problem"] or "") for r in swaps])
        # Only students with a device in repair have one: the panel stays short otherwise.
        self.swaps_title.setVisible(bool(swaps))
        self.swaps.setVisible(bool(swaps))


def student_line(p) -> str:
    """A student's roster details under their name: grade, homeroom, the
    guardian and how to reach them, and a withdrawal (in bold: their devices
    are to recover)."""
    if p.kind != "student":
        return ""
    bits = [f"grade {escape(p.grade)}" if p.grade else "",
            f"homeroom {escape(p.homeroom)}" if p.homeroom else "",
            "letters in Spanish" if p.language == "es" else ""]
    guardian = " ".join(escape(x) for x in (p.guardian_name, p.guardian_phone, p.guardian_email) if x)
    line = " · ".join(b for b in bits if b)
    if guardian:
        line += ("<br>" if line else "") + f"Guardian: {guardian}"
    if p.enrolment == "withdrawn":
        line += f"<br><b>Withdrawn {display(p.withdrawn_on)}</b>"
    return "<br>" + line if line else ""


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
        # "Withdrawn with devices": students who left (a whole-roster import or
        # the editor) and still hold a device — the to-recover list.
        self.add_filter("holding", "Holding or not", [("Holding equipment", True),
                                                      ("Withdrawn with devices", "withdrawn")])
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
        self.add_action("New person…", self.new_person, None, needs="none")
        self.add_action("Edit…", self.edit, None, needs="one")
        self.add_action("Check out to…", self.check_out, None, needs="one")
        self.add_action("Check in all they hold", self.check_in_all, None, needs="one")
        self.add_action("Swap for loaner…", self.swap_for_loaner, None, needs="one",
                        tip="Send their device to repair and lend a loaner meanwhile")
        self.add_action("Return from repair / end swap", self.end_swap, None, needs="one",
                        button=False, tip="End their open loaner swap")
        self.add_action("Loan agreement", self.agreement, None, needs="one")
        self.add_action("Fees…", self.fees, None, needs="one", button="more",
                        tip="Their damage and missing-part fees, on the Fees page")
        self.add_action("Deactivate", self.deactivate, None, needs="one", button="more")
        self.add_action("CALPADS device file…", self.calpads_file, None, needs="none",
                        button="more")
        self.panel.show_person(None)
        self.add_action("Letters home…", self.letters_home, None, needs="none", button="more",
                        tip="Letters to families (not returned, fees, overdue, agreement) in "
                            "English or Spanish: one PDF to mail, or a CSV for a mail merge")
        self.update_actions()

    def open_record(self, person_id: int) -> None:
        self.list.select_id(person_id)
        self.panel.show_person(person_id)

    def new_person(self) -> None:
        from ui.dialogs.person_editor import edit_person
        pid = edit_person(self, None)
        if pid:
            self.list.model.refresh_rows()
            self.open_record(pid)

    def edit(self) -> None:
        from ui.dialogs.person_editor import edit_person
        pid = self.list.current_id()
        if edit_person(self, pid):
            self.list.model.refresh_rows()
            self.panel.show_person(pid)

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

    def swap_for_loaner(self) -> None:
        from ui.dialogs.loaner_swap import swap_for
        pid = self.list.current_id()
        if pid and swap_for(self, person_id=pid):
            self.panel.show_person(pid)

    def end_swap(self) -> None:
        from ui.dialogs.loaner_swap import end_swap
        pid = self.list.current_id()
        if pid and end_swap(self, person_id=pid):
            self.panel.show_person(pid)

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

    def fees(self) -> None:
        """The Fees page searched for this person (their ID, else their name),
        so the search box says what the list is showing."""
        p = people_svc.get(self.list.current_id())
        bus.navigate.emit("fees", {"search": p.id_number or p.full_name})

    def deactivate(self) -> None:
        pid = self.list.current_id()
        run_op(self, lambda: people_svc.deactivate(pid), changes=Changes.PEOPLE,
               success=lambda _r: self.list.model.refresh_rows(), title="Deactivate")

    def letters_home(self) -> None:
        from ui.dialogs.letters import open_letters_dialog
        open_letters_dialog(self)
