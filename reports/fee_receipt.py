"""A payment receipt for a device fee: one page the office hands to the family.

Draws what ``app.services.fees.receipt`` gathers (the payment, the fee, the
student, what is left to pay); it never reads the database itself.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

if TYPE_CHECKING:
    from app.services.fees import Receipt


def _money(value: Decimal | int | None) -> str:
    return f"${Decimal(value or 0):,.2f}"


def draw_receipt(r: Receipt, out: str | Path | BinaryIO) -> Path | None:
    """``r``: what app.services.fees.receipt() returns."""
    c = Canvas(str(out) if isinstance(out, (str, Path)) else out, pagesize=LETTER)
    c.setTitle(f"Receipt {r['receipt']}")
    c.setAuthor(r.get("org_name") or "")
    width, height = LETTER
    left, right = 0.8 * inch, width - 0.8 * inch
    top = height - 0.8 * inch
    x_text = left
    logo = r.get("org_logo")
    if logo and Path(logo).is_file():
        try:
            c.drawImage(str(logo), left, top - 0.55 * inch, width=0.7 * inch, height=0.7 * inch,
                        preserveAspectRatio=True, mask="auto")
            x_text = left + 0.85 * inch
        except Exception:  # noqa: BLE001 - an unreadable logo must not stop the receipt
            x_text = left
    c.setFont("Helvetica-Bold", 13)
    c.drawString(x_text, top - 0.1 * inch, r.get("org_name") or "")
    c.setFont("Helvetica", 10)
    if r.get("school"):
        c.drawString(x_text, top - 0.32 * inch, r["school"])
    c.setFont("Helvetica-Bold", 20)
    c.drawRightString(right, top - 0.1 * inch, "Payment receipt")
    c.setFont("Helvetica-Bold", 12)
    c.drawRightString(right, top - 0.38 * inch, r["receipt"])
    y = top - 0.95 * inch
    c.setLineWidth(0.8)
    c.line(left, y, right, y)
    y -= 0.35 * inch
    paid_on = r["paid_on"]
    fields = [
        ("Date paid", paid_on.isoformat() if isinstance(paid_on, dt.date) else str(paid_on)),
        ("Received from", r.get("guardian") or r["student"]),
        ("Student", f"{r['student']}" + (f" (ID {r['student_id']})" if r.get("student_id") else "")),
        ("Grade", r.get("grade") or ""),
        ("Payment method", r["method"] + (f" — {r['reference']}" if r.get("reference") else "")),
        ("Received by", r.get("received_by") or ""),
    ]
    half = (right - left) / 2
    for i, (label, value) in enumerate(fields):
        x = left + (i % 2) * half
        c.setFont("Helvetica", 8)
        c.drawString(x, y + 12, label)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(x, y - 1, _fit(c, str(value), "Helvetica-Bold", 11, half - 14))
        if i % 2:
            y -= 0.5 * inch
    y -= 0.15 * inch
    c.setFont("Helvetica-Bold", 9)
    c.drawString(left, y, "For")
    c.drawRightString(right, y, "Amount")
    c.setLineWidth(0.5)
    c.line(left, y - 5, right, y - 5)
    y -= 20
    c.setFont("Helvetica", 10.5)
    what = f"Fee #{r['fee_id']}: {r['description']}"
    if r.get("asset"):
        what += f" — {r['asset']}" + (f" {r['asset_name']}" if r.get("asset_name") else "")
    c.drawString(left, y, _fit(c, what, "Helvetica", 10.5, right - left - 1.4 * inch))
    c.drawRightString(right, y, _money(r["fee_amount"]))
    y -= 15
    c.setFont("Helvetica", 9)
    c.drawString(left + 12, y, f"{r['kind']}, incurred {r['incurred_on']}")
    y -= 30
    rows = [("Paid earlier", r["paid_to_date"] - r["amount"]), ("Paid now", r["amount"]),
            ("Balance due", r["balance"])]
    for label, sum_ in rows:
        bold = label != "Paid earlier"
        c.setFont("Helvetica-Bold" if bold else "Helvetica", 12 if label == "Paid now" else 10.5)
        c.drawRightString(right - 1.5 * inch, y, label)
        c.drawRightString(right, y, _money(sum_))
        y -= 18
    y -= 0.3 * inch
    c.setFont("Helvetica-Oblique", 9)
    note = ("Paid in full. Thank you." if r["balance"] == 0 else
            f"{_money(r['balance'])} remains to be paid on this fee.")
    c.drawString(left, y, note)
    y -= 13
    c.drawString(left, y, "Keep this receipt. The payment is recorded, not processed, by this "
                          "office's inventory system.")
    c.showPage()
    c.save()
    return Path(out) if isinstance(out, (str, Path)) else None


def _fit(c: Canvas, text: str, font: str, size: float, width: float) -> str:
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def write_receipt(r: Receipt, path: str | os.PathLike[str]) -> Path:
    """The receipt as a file, written whole or not at all."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        draw_receipt(r, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
