"""The stocktake report: what a physical inventory found.

CSV: every tag of the session, one row each (verdict, expected location,
scanned location, time). PDF: the summary, progress per room, then every tag
that needs attention — missing, misplaced, from another site, unknown,
retired/disposed found — and, when asked, the verified ones too. Drawn on the
canvas row by row (no flowable tables), so a site of thousands of assets
writes in a moment.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.cells import safe_cell
from app.services import settings
from app.services.stocktake import Line, Reconciliation
from app.wording import status_label

CSV_HEADERS = ["Tag", "Verdict", "Name", "Status now", "Expected location", "Scanned location",
               "Scanned at", "Workstation", "Scanned by", "On loan to"]
SECTIONS = [
    ("missing", "Missing — expected and not scanned"),
    ("misplaced", "Misplaced — found in another room"),
    ("other_site", "From another site"),
    ("unknown", "Unknown tags"),
    ("inactive", "Retired or disposed, but found"),
    ("on_loan", "On loan — accounted for, with the borrower"),
    ("verified", "Verified"),
]


def _local(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    return at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return safe_cell("" if value is None else str(value))


def write_csv(rec: Reconciliation, path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(CSV_HEADERS)
        for ln in rec.lines:
            w.writerow([_safe(v) for v in (ln.tag or ln.code, ln.label, ln.name,
                                            status_label(ln.status),
                                            ln.expected, ln.scanned, _local(ln.at), ln.station,
                                            ln.by, ln.holder)])
    return path


class _Pager:
    """Rows down a landscape Letter page, a new page (with the header) when full."""

    def __init__(self, path: Path, title: str):
        self.c = Canvas(str(path), pagesize=landscape(LETTER))
        self.c.setTitle(title)
        self.w, self.h = landscape(LETTER)
        self.title = title
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        self.c.setFont("Helvetica", 8)
        self.c.drawString(0.5 * inch, 0.4 * inch, self.title)
        self.c.drawRightString(self.w - 0.5 * inch, 0.4 * inch, f"Page {self.page}")
        self.y = self.h - 0.6 * inch

    def need(self, height: float) -> None:
        if self.y - height < 0.7 * inch:
            self.new_page()

    def text(self, s: str, size: float = 9, bold: bool = False, gap: float = 1.35) -> None:
        """A line of text, wrapped at the page's margins (between the "·"-separated
        figures of a long summary when it can)."""
        font = "Helvetica-Bold" if bold else "Helvetica"
        for line in _wrapped(s, font, size, self.w - inch):
            self.need(size * gap)
            self.c.setFont(font, size)
            self.c.drawString(0.5 * inch, self.y - size, line)
            self.y -= size * gap

    def row(self, cells: list[str], widths: list[float], bold: bool = False, size: float = 8) -> None:
        self.need(size * 1.5)
        font = "Helvetica-Bold" if bold else "Helvetica"
        self.c.setFont(font, size)
        x = 0.5 * inch
        for cell, width in zip(cells, widths):
            self.c.drawString(x, self.y - size, _fit(cell or "", font, size, width - 4))
            x += width
        self.y -= size * 1.5


SEPARATOR = "   ·   "


def _wrapped(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` in lines of at most ``width``: whole "·"-separated parts to a
    line where they fit (a figure never parted from its label), else words."""
    lines: list[str] = []
    for part in text.split(SEPARATOR):
        joined = f"{lines[-1]}{SEPARATOR}{part}" if lines else part
        if lines and stringWidth(joined, font, size) <= width:
            lines[-1] = joined
        else:
            lines += simpleSplit(part, font, size, width) or [""]
    return lines


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def write_pdf(rec: Reconciliation, path: str | Path, include_verified: bool = False) -> Path:
    path = Path(path)
    s = rec.session
    org = settings.get("org_name") or ""
    p = _Pager(path, f"{org} — stocktake {s['id']}: {s['name']}")
    p.text(f"Physical inventory: {s['name']}", 16, bold=True)
    p.text(f"{org}   ·   site {s['site'] or '—'}   ·   session {s['id']} ({status_label(s['status'])})", 10)
    when = f"started {_local(s['created_at'])} by {s['created_by'] or '—'}"
    if s.get("closed_at"):
        when += f"   ·   closed {_local(s['closed_at'])}"
    if s.get("applied_at"):
        when += f"   ·   applied {_local(s['applied_at'])}"
    p.text(when, 9)
    p.y -= 6
    counts = rec.counts
    p.text(f"Expected {s['expected']:,}   ·   found {s['found']:,}   ·   verified "
           f"{counts['verified']:,}   ·   missing {counts['missing']:,}   ·   on loan "
           f"{counts['on_loan']:,}   ·   misplaced "
           f"{counts['misplaced']:,}   ·   other site {counts['other_site']:,}   ·   unknown "
           f"{counts['unknown']:,}   ·   retired/disposed found {counts['inactive']:,}   ·   "
           f"duplicate scans {rec.duplicates:,}", 10, bold=True)
    p.y -= 8
    p.text("Progress per room", 12, bold=True)
    rw = [3.6 * inch, 1.2 * inch, 1.2 * inch, 1.2 * inch, 1.2 * inch]
    p.row(["Room", "Expected", "Verified", "Scanned here", "Done"], rw, bold=True)
    for r in s["rooms"]:
        done = f"{100 * r['verified'] // r['expected']} %" if r["expected"] else "—"
        p.row([r["name"], f"{r['expected']:,}", f"{r['verified']:,}", f"{r['scanned']:,}", done], rw)
    widths = [1.2 * inch, 2.3 * inch, 2.2 * inch, 2.2 * inch, 1.3 * inch, 0.8 * inch]
    for verdict, title in SECTIONS:
        lines = rec.of(verdict)
        if verdict == "verified" and not include_verified:
            p.y -= 8
            p.text(f"{title}: {len(lines):,} assets (listed in the CSV report)", 11, bold=True)
            continue
        p.y -= 8
        p.text(f"{title} ({len(lines):,})", 12, bold=True)
        if not lines:
            p.text("None.", 9)
            continue
        last = "On loan to" if verdict in ("missing", "on_loan") else "By"
        p.row(["Tag", "Name", "Expected location", "Scanned location", "Scanned at", last],
              widths, bold=True)
        for ln in lines:
            p.row(_cells(ln, verdict), widths)
    p.c.save()
    return path


def _cells(ln: Line, verdict: str) -> list[str]:
    last = ln.holder if verdict in ("missing", "on_loan") else ln.by
    return [ln.tag or ln.code, ln.name or "", ln.expected, ln.scanned, _local(ln.at)[:16],
            last or ""]


def write_report(rec: Reconciliation, path: str | Path, include_verified: bool = False) -> Path:
    """CSV or PDF by the file's extension."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return write_csv(rec, path)
    if path.suffix.lower() == ".pdf":
        return write_pdf(rec, path, include_verified)
    from app.services.errors import ValidationError
    raise ValidationError("The report is a .pdf or a .csv file.", field="output")
