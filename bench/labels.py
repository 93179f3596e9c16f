"""Label rendering figures: 3,000 Code 128 labels on Avery 5160 sheets, 3,000
labels with Code 128 and a QR code, PDF size per 1,000 labels, ZPL speed.

    .venv/bin/python bench/labels.py

Targets (issue [C]): ≤ 2.5 s, ≤ 6 s, ≤ 1 MB per 1,000 labels. Each label
has its own text (org, model, tag, serial), as on a real deployment run.
"""
from __future__ import annotations

import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reports.labels import LabelItem, render_pdf, render_zpl  # noqa: E402

N = 3000


def items(n):
    return [LabelItem(f"QM-{i:06d}", {
        "org": "Property of Lincoln Unified School District",
        "name": ("Dell Latitude 3440", "HP EliteBook 840 G10", "Lenovo 300e Chromebook")[i % 3],
        "tag": f"QM-{i:06d}", "serial": f"S/N 5CD{i:07d}", "place": "Lincoln High · Room 214"})
        for i in range(1, n + 1)]


def timed(fn, repeat=3):
    best, result = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, result


def pdf(its, **kw):
    buf = io.BytesIO()
    render_pdf(its, buf, **kw)
    return buf.getvalue()


def main():
    its = items(N)
    t128, data128 = timed(lambda: pdf(its, template="avery-5160", symbology="code128"))
    print(f"{N:,} Code 128 labels on Avery 5160 ({N // 30} sheets): {t128:.2f} s "
          f"(target ≤ 2.5 s), {len(data128) / 1e6:.2f} MB → {len(data128) / N * 1000 / 1e6:.3f} MB "
          f"per 1,000 labels (target ≤ 1 MB)")

    tboth, databoth = timed(lambda: pdf(its, template="avery-5160", symbology="code128+qr"), repeat=2)
    print(f"{N:,} labels with Code 128 + QR on each: {tboth:.2f} s (target ≤ 6 s), "
          f"{len(databoth) / N * 1000 / 1e6:.3f} MB per 1,000 labels")
    tqr, dataqr = timed(lambda: pdf(its, template="avery-5160", symbology="qr"), repeat=2)
    print(f"{N:,} QR labels alone: {tqr:.2f} s, {len(dataqr) / N * 1000 / 1e6:.3f} MB per 1,000")
    tdm, _ = timed(lambda: pdf(its, template="avery-l7651", symbology="datamatrix"), repeat=1)
    print(f"{N:,} DataMatrix labels on L7651: {tdm:.2f} s")
    tz, text = timed(lambda: render_zpl(its, template="zebra-2x1-203"), repeat=1)
    print(f"{N:,} ZPL Code 128 labels (zebra-2x1-203): {tz:.2f} s, {len(text) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
