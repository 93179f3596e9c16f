"""The device loan agreement a borrower signs, in English or Spanish.

One page per borrower listing the devices lent to them (or one given loan),
the terms, and signature lines for the borrower, a parent or guardian (for
students) and the district's staff member.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from app.reporting.agreement import Agreement, gather

TEXT = {
    "en": {
        "title": "Device Loan Agreement",
        "borrower": "Borrower", "id": "ID number", "site": "School / site", "date": "Date",
        "devices": "Devices lent",
        "cols": ("Tag", "Device", "Serial", "Condition", "Due back"),
        "terms_title": "Terms",
        "terms": [
            "The device remains the property of {org} and is lent for educational use.",
            "The borrower keeps the device in good condition, with its charger, and does not "
            "remove or damage the asset label.",
            "Loss, theft or damage is reported to the school office within two school days; "
            "theft also to the police, with a copy of the report.",
            "The device is returned by the due date, or at once when asked, when leaving the "
            "district or at the end of the school year.",
            "Use of the device follows the district's acceptable-use policy; it may be "
            "monitored and filtered.",
            "Damage beyond normal wear, or a device not returned, may be charged at its repair "
            "or replacement cost.",
        ],
        "sign_borrower": "Borrower signature", "sign_guardian": "Parent / guardian signature",
        "sign_staff": "Issued by (district staff)", "printed": "Printed name", "sign_date": "Date",
    },
    "es": {
        "title": "Acuerdo de Préstamo de Dispositivo",
        "borrower": "Prestatario", "id": "Número de identificación", "site": "Escuela / sitio",
        "date": "Fecha",
        "devices": "Dispositivos prestados",
        "cols": ("Etiqueta", "Dispositivo", "Número de serie", "Estado", "Devolver el"),
        "terms_title": "Condiciones",
        "terms": [
            "El dispositivo sigue siendo propiedad de {org} y se presta para uso educativo.",
            "El prestatario mantiene el dispositivo en buen estado, con su cargador, y no quita "
            "ni daña la etiqueta de inventario.",
            "La pérdida, el robo o el daño se informan a la oficina de la escuela dentro de dos "
            "días escolares; el robo también a la policía, con una copia del informe.",
            "El dispositivo se devuelve en la fecha indicada, o de inmediato cuando se solicite, "
            "al dejar el distrito o al final del año escolar.",
            "El uso del dispositivo sigue la política de uso aceptable del distrito; puede ser "
            "supervisado y filtrado.",
            "Los daños más allá del desgaste normal, o un dispositivo no devuelto, pueden "
            "cobrarse al costo de reparación o reemplazo.",
        ],
        "sign_borrower": "Firma del prestatario", "sign_guardian": "Firma del padre, madre o tutor",
        "sign_staff": "Entregado por (personal del distrito)", "printed": "Nombre en letra de molde",
        "sign_date": "Fecha",
    },
}


def render_agreement(person_id: int, out, language: str | None = None,
                     loan_ids: list[int] | None = None, today: dt.date | None = None) -> Path | None:
    """Draw the agreement that app.reporting.agreement gathers for the person."""
    return draw_agreement(gather(person_id, language, loan_ids), out, today)


def draw_agreement(a: Agreement, out, today: dt.date | None = None) -> Path | None:
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


def _fit(c, text: str, font: str, size: float, width: float) -> str:
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _wrap(c, text: str, font: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
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
