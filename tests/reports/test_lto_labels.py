"""`quartermaster labels --lto`: Code 39 vector barcodes on LTO Ultrium label
stock that zxing-cpp decodes at 300 dpi, each in its own cell."""
from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

from app.cli import main
from reports.labels import get_template


def test_lto_labels_decode_as_code39_in_their_cells(tmp_path, capsys):
    out = tmp_path / "lto.pdf"
    codes = ["A00120L8", "A00121L8", "A00122L8", "B00007L9", "CLN001L1"]
    code = main(["--db", str(tmp_path / "d.sqlite"), "labels", "--lto", *[c.lower() for c in codes],
                 "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "wrote 5 labels on 1 page" in capsys.readouterr().out
    t = get_template("lto-ultrium")
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 1
    page = doc[0]
    # Vector barcodes: the page has no images, only paths.
    assert not [o for o in page.get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    img = page.render(scale=300 / 72).to_pil().convert("L")
    doc.close()
    px = lambda mm: int(round(mm / 25.4 * 300))  # noqa: E731
    for cell, expected in enumerate(codes):
        x, y, w, h = t.cell_mm(cell)
        crop = img.crop((px(x), px(y), px(x + w), px(y + h)))
        found = zxingcpp.read_barcodes(crop)
        assert [(r.text, r.format) for r in found] == [(expected, zxingcpp.BarcodeFormat.Code39)]
    x, y, w, h = t.cell_mm(len(codes))
    assert zxingcpp.read_barcodes(img.crop((px(x), px(y), px(x + w), px(y + h)))) == []


def test_lto_bad_barcode_is_one_error_line(tmp_path, capsys):
    out = tmp_path / "lto.pdf"
    code = main(["--db", str(tmp_path / "d.sqlite"), "labels", "--lto", "A00120L8", "NOPE",
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "'NOPE' is not an LTO barcode" in err
    assert not out.exists()
