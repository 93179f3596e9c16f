"""The device loan agreement a borrower signs, in English or Spanish.

One page per borrower listing the devices lent to them (or one given loan),
the terms, and signature lines for the borrower, a parent or guardian (for
students) and the district's staff member.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO, TypedDict

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from app.reporting.agreement import Agreement, agreement_terms, gather
from app.translations import LANGUAGES, words


class AgreementText(TypedDict):
    """The agreement's printed words in one language."""
    title: str
    borrower: str
    id: str
    site: str
    date: str
    devices: str
    cols: tuple[str, ...]  # tag, device, serial, condition, due
    terms_title: str
    terms: list[str]  # each with {org} to fill in
    sign_borrower: str
    sign_guardian: str
    sign_staff: str
    printed: str
    sign_date: str


def agreement_text(lang: str) -> AgreementText:
    """The agreement's words in one language, from the one translatable file
    (resources/translations/letters.toml, read by app.translations); the
    letters home print the same terms."""
    t = words(lang)
    return {
        "title": t("agreement_title"), "borrower": t("agreement_borrower"),
        "id": t("agreement_id"), "site": t("agreement_site"), "date": t("agreement_date"),
        "devices": t("agreement_devices"),
        "cols": tuple(t(f"agreement_col_{c}") for c in ("tag", "device", "serial",
                                                         "condition", "due")),
        "terms_title": t("agreement_terms_title"),
        "terms": agreement_terms(lang),
        "sign_borrower": t("agreement_sign_borrower"),
        "sign_guardian": t("agreement_sign_guardian"), "sign_staff": t("agreement_sign_staff"),
        "printed": t("agreement_printed"), "sign_date": t("agreement_sign_date"),
    }


TEXT = {lang: agreement_text(lang) for lang in LANGUAGES}


def render_agreement(person_id: int, out: str | Path | BinaryIO, language: str | None = None,
                     loan_ids: list[int] | None = None, today: dt.date | None = None) -> Path | None:
    """Draw the agreement that app.reporting.agreement gathers for the person."""
    return draw_agreement(gather(person_id, language, loan_ids), out, today)


def draw_agreement(a: Agreement, out: str | Path | BinaryIO, today: dt.date | None = None) -> Path | None:
    t = TEXT[a.language if a.language in TEXT else "en"]
    org, rows = a.org, a.rows
    c = Canvas(str(out) if isinstance(out, (str, Path)) else out, pagesize=LETTER)
    c.setTitle(f"{t['title']} — {a.borrower}")
    c.setAuthor(org)
    width, height = LETTER
    left, right = 0.75 * inch, width - 0.75 * inch
    y = height - 0.8 * inch
    c.setFont("Helvetica-Bold", 11)
    c.drawString(left, y, org)
    y -= 0.35 * inch
    c.setFont("Helvetica-Bold", 17)
    c.drawString(left, y, t["title"])
    y -= 0.4 * inch
    c.setFont("Helvetica", 10)
    fields = [(t["borrower"], a.borrower), (t["id"], a.id_number), (t["site"], a.site),
              (t["date"], (today or dt.date.today()).isoformat())]
    for i, (label, value) in enumerate(fields):
        x = left + (i % 2) * (right - left) / 2
        c.setFont("Helvetica", 8)
        c.drawString(x, y + 11, label)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(x, y - 2, _fit(c, value, "Helvetica-Bold", 11, (right - left) / 2 - 12))
        if i % 2:
            y -= 0.42 * inch
    y -= 0.1 * inch
    c.setFont("Helvetica-Bold", 11)
    c.drawString(left, y, t["devices"])
    y -= 0.22 * inch
    widths = [1.1, 2.6, 1.4, 0.9, 1.0]
    xs = [left]
    for w in widths[:-1]:
        xs.append(xs[-1] + w * inch)
    c.setFont("Helvetica-Bold", 8.5)
    for x, head in zip(xs, t["cols"]):
        c.drawString(x, y, head)
    c.setLineWidth(0.5)
    c.line(left, y - 4, right, y - 4)
    y -= 16
    c.setFont("Helvetica", 9)
    for row in rows[:14]:
        for x, w, value in zip(xs, widths, row):
            c.drawString(x, y, _fit(c, value, "Helvetica", 9, w * inch - 6))
        y -= 13
    if len(rows) > 14:
        c.drawString(left, y, f"+ {len(rows) - 14} …")
        y -= 13
    y -= 0.15 * inch
    c.setFont("Helvetica-Bold", 11)
    c.drawString(left, y, t["terms_title"])
    y -= 0.2 * inch
    c.setFont("Helvetica", 9.5)
    for n, term in enumerate(t["terms"], 1):
        lines = _wrap(c, term.format(org=org), "Helvetica", 9.5, right - left - 18)
        c.drawString(left, y, f"{n}.")
        for line in lines:
            c.drawString(left + 16, y, line)
            y -= 12.5
        y -= 3
    y = max(y - 0.3 * inch, 2.3 * inch)
    signers = [t["sign_borrower"]]
    if a.kind in ("student", "family"):
        signers.append(t["sign_guardian"])
    signers.append(t["sign_staff"])
    for label in signers:
        c.setLineWidth(0.7)
        c.line(left, y, left + 3.3 * inch, y)
        c.line(left + 3.6 * inch, y, left + 5.0 * inch, y)
        c.line(left + 5.2 * inch, y, right, y)
        c.setFont("Helvetica", 8)
        c.drawString(left, y - 10, label)
        c.drawString(left + 3.6 * inch, y - 10, t["printed"])
        c.drawString(left + 5.2 * inch, y - 10, t["sign_date"])
        y -= 0.6 * inch
    c.showPage()
    c.save()
    return Path(out) if isinstance(out, (str, Path)) else None


def _fit(c: Canvas, text: str, font: str, size: float, width: float) -> str:
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _wrap(c: Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if c.stringWidth(trial, font, size) <= width:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
