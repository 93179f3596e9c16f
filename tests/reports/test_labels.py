"""Every template and symbology: render the PDF, rasterize it the way the
printer would (sheets 300 dpi, thermal 203 dpi), crop each label cell and
decode it with zxing-cpp; each label's own code must be there exactly once,
in its own cell. Geometry is checked against the stock figures and against
the rendered outlines."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp

from reports import labels
from reports.labels import LabelItem, get_template, list_templates, render_pdf
from reports.labels.layout import MM
from reports.labels.templates import parse_template

SYMBOLOGIES = ["code128", "code39", "qr", "datamatrix", "code128+qr"]
TEMPLATES = [t.name for t in list_templates() if t.builtin]


def make_items(n, prefix="QM-", start=1):
    return [LabelItem(f"{prefix}{i:06d}", {
        "org": "Property of Lincoln Unified School District",
        "name": "Dell Latitude 3440 Chromebook", "tag": f"{prefix}{i:06d}",
        "serial": "S/N 5CD1234XYZ", "place": "Lincoln High · Room 214",
        "funding": "E-Rate FY2025 FRN 2599012345"}) for i in range(start, start + n)]


def render_dpi(t):
    return 203 if t.kind == "thermal" else 300


def rasterize(pdf_bytes, dpi):
    doc = pdfium.PdfDocument(pdf_bytes)
    return [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))]


def cell_crop(img, t, cell, dpi, offset=(0.0, 0.0)):
    x, y, w, h = t.cell_mm(cell)
    px = lambda mm: int(round(mm / 25.4 * dpi))  # noqa: E731
    return img.crop((px(x + offset[0]), px(y + offset[1]), px(x + offset[0] + w),
                     px(y + offset[1] + h)))


def decode(img):
    return sorted(r.text for r in zxingcpp.read_barcodes(img))


def per_label(symbology):
    """How many symbols each label carries."""
    return 2 if "+" in symbology else 1


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_label_scans_in_its_own_cell(name, symbology):
    t = get_template(name)
    dpi = render_dpi(t)
    n = 3 if t.is_sheet else 2
    start_at = 2 if t.is_sheet else 1
    items = make_items(n, start=7)
    buf = io.BytesIO()
    render_pdf(items, buf, template=name, symbology=symbology, start_at=start_at)
    pages = rasterize(buf.getvalue(), dpi)
    if t.is_sheet:
        assert len(pages) == 1
        expected = {start_at - 1 + i: it.code for i, it in enumerate(items)}
        # The used cells and a few empty ones around them.
        for cell in range(min(t.per_page, start_at + n + t.cols)):
            found = decode(cell_crop(pages[0], t, cell, dpi))
            want = [expected[cell]] * per_label(symbology) if cell in expected else []
            assert found == want, (cell, found)
    else:
        assert len(pages) == n
        for page, item in zip(pages, items):
            assert abs(page.size[0] - t.label_w / 25.4 * dpi) <= 1
            assert abs(page.size[1] - t.label_h / 25.4 * dpi) <= 1
            assert decode(page) == [item.code] * per_label(symbology)


def test_start_at_and_copies_fill_the_right_cells_across_pages():
    t = get_template("avery-5160")
    items = make_items(3)
    buf = io.BytesIO()
    render_pdf(items, buf, template="avery-5160", start_at=27, copies=2, symbology="qr")
    pages = rasterize(buf.getvalue(), 150)  # QR decodes fine at 150 dpi; keeps this fast
    assert len(pages) == 2
    want = {(0, 26): "QM-000001", (0, 27): "QM-000001", (0, 28): "QM-000002",
            (0, 29): "QM-000002", (1, 0): "QM-000003", (1, 1): "QM-000003"}
    for pg, page in enumerate(pages):
        for cell in range(t.per_page):
            found = decode(cell_crop(page, t, cell, 150))
            assert found == ([want[(pg, cell)]] if (pg, cell) in want else []), (pg, cell, found)


def test_placements_and_bad_start():
    t = get_template("avery-5167")
    assert labels.placements(t, 3, start_at=80) == [(0, 79), (1, 0), (1, 1)]
    with pytest.raises(labels.pdf.ValidationError):
        labels.placements(t, 1, start_at=81)
    roll = get_template("dymo-30334")
    assert labels.placements(roll, 2, start_at=5) == [(0, 0), (1, 0)]


# --- geometry -----------------------------------------------------------------------

STOCK = {  # the figures in shared/label-stock.md, mm: label w, h, left, top, pitch x, y
    "avery-5160": (66.675, 25.4, 4.7625, 12.7, 69.85, 25.4),
    "avery-5163": (101.6, 50.8, 4.064, 12.7, 106.3625, 50.8),
    "avery-5167": (44.45, 12.7, 7.14375, 12.7, 52.3875, 12.7),
    "avery-l7651": (38.1, 21.2, 4.7, 10.9, 40.6, 21.2),
    "avery-l7163": (99.1, 38.1, 4.65, 15.15, 101.6, 38.1),
}


@pytest.mark.parametrize("name", sorted(STOCK))
def test_sheet_cells_match_the_stock_within_a_tenth_of_a_mm(name):
    t = get_template(name)
    w, h, left, top, px, py = STOCK[name]
    for cell in (0, t.cols - 1, t.per_page - 1, t.per_page // 2):
        col, row = cell % t.cols, cell // t.cols
        x, y, cw, ch = t.cell_mm(cell)
        assert abs(x - (left + col * px)) < 0.1 and abs(y - (top + row * py)) < 0.1
        assert abs(cw - w) < 0.1 and abs(ch - h) < 0.1
        # The PDF-point rectangle says the same, measured from the page bottom.
        xp, yp, wp, hp = t.cell_pt(cell)
        assert abs(xp / MM - x) < 0.01 and abs((t.page_h - (yp + hp) / MM) - y) < 0.01


@pytest.mark.parametrize("name", ["avery-5160", "avery-l7651"])
def test_rendered_outlines_sit_where_the_template_says(name):
    """Draw the outlines (preview mode) and find them in a 600-dpi raster."""
    t = get_template(name)
    dpi = 600
    buf = io.BytesIO()
    render_pdf(make_items(t.per_page), buf, template=name, outlines=True)
    img = rasterize(buf.getvalue(), dpi)[0]
    for cell in (0, t.per_page - 1):
        x, y, w, h = t.cell_mm(cell)
        row_y = int((y + h / 2) / 25.4 * dpi)
        col_x = int((x + w / 2) / 25.4 * dpi)
        for edge_mm, axis in ((x, "x"), (x + w, "x"), (y, "y"), (y + h, "y")):
            c = edge_mm / 25.4 * dpi
            if axis == "x":
                probe = [(i, img.getpixel((i, row_y))) for i in range(int(c) - 6, int(c) + 7)]
            else:
                probe = [(i, img.getpixel((col_x, i))) for i in range(int(c) - 6, int(c) + 7)]
            darkest = min(probe, key=lambda p: p[1])
            assert darkest[1] < 230, (cell, axis, probe)
            assert abs(darkest[0] + 0.5 - c) / dpi * 25.4 <= 0.1, (cell, axis, darkest, c)


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
@pytest.mark.parametrize("name", TEMPLATES)
def test_layout_keeps_code_and_text_apart_and_inside(name, symbology):
    t = get_template(name)
    long = LabelItem("QM-000123", {"org": "Property of the Very Long Name Unified School District "
                                          "of the County of Los Angeles",
                                   "name": "Hewlett-Packard EliteBook 840 G10 Notebook PC with dock",
                                   "tag": "QM-000123", "serial": "S/N 5CD1234XYZ9876",
                                   "place": "Lincoln High School · Science Building Room 214B",
                                   "funding": "E-Rate FY2025 FRN 2599012345"})
    keys = ("org", "name", "tag", "serial", "place", "funding")
    (lay,) = labels.label_layouts([long], name, symbology, layout=keys)
    ix, iy = (v * MM for v in t.insets_mm())
    eps = 0.01
    dot = 72 / t.dpi
    quiets = []
    for box in lay.codes:
        # Whole dots per module, at least 2 on a 203-dpi head.
        assert box.dots >= (2 if t.dpi < 250 else 1) and abs(box.module - box.dots * dot) < 1e-9
        # Ink keeps the padding; the quiet zone stays on the label.
        assert box.x >= ix - eps and box.x + box.w <= lay.w - ix + eps
        assert box.y >= iy - eps and box.y + box.h <= lay.h - iy + eps
        q = box.quiet_box
        assert q[0] >= -eps and q[2] <= lay.w + eps and q[1] >= -eps and q[3] <= lay.h + eps
        quiets.append(q)
    if len(lay.codes) == 2:  # ink of one code never inside the other's quiet zone
        a, b = lay.codes
        assert b.x + b.w + b.symbol.quiet * b.module <= a.x + eps or a.x + a.w <= b.x - eps
    box = lay.code
    qx0, qy0, qx1, qy1 = box.quiet_box
    # Largest whole module: one more dot would not fit the quiet zones on the label.
    bigger = (box.dots + 1) * dot
    if box.symbol.linear and len(lay.codes) == 1:
        assert box.symbol.width * bigger + 2 * max(ix, box.symbol.quiet * bigger) > lay.w + eps \
            or bigger > 0.5 * MM + 1e-9
    boxes = [line.box for line in lay.texts]
    assert any(line.key == "tag" for line in lay.texts)
    for x0, y0, x1, y1 in boxes:
        assert x0 >= ix - eps and x1 <= lay.w - ix + eps, (x0, x1, lay.w)
        assert y0 >= iy - eps and y1 <= lay.h - iy + eps, (y0, y1, lay.h)
        # No text in a code's quiet zone.
        for qx0, qy0, qx1, qy1 in quiets:
            assert x1 <= qx0 + eps or x0 >= qx1 - eps or y1 <= qy0 + eps or y0 >= qy1 - eps
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] + eps or b[3] <= a[1] + eps
    # Text fits its width by font metrics (shrunk or cut, never overflowing).
    from reportlab.pdfbase.pdfmetrics import stringWidth
    for line in lay.texts:
        assert abs(stringWidth(line.text, line.font, line.size) - line.width) < 0.01
        assert line.size >= 5.0


def test_too_long_for_a_1d_code_says_what_to_do():
    with pytest.raises(labels.pdf.ValidationError, match="QR or DataMatrix"):
        labels.label_layouts([LabelItem("X" * 60, {})], "avery-5167", "code128")


def test_code39_refuses_characters_it_cannot_hold():
    with pytest.raises(labels.pdf.ValidationError, match="Code 39"):
        labels.label_layouts([LabelItem("QM_0001", {})], "avery-5160", "code39")


# --- custom templates and calibration ---------------------------------------------------

@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    from reports.labels import templates
    monkeypatch.setattr(templates, "user_dir", lambda: tmp_path / "labels")
    return tmp_path / "labels"


def test_custom_template_saved_beside_builtins_and_used(user_folder):
    t = parse_template("""
name = "district-asset-3x8"
title = "District 3 × 8"
kind = "sheet"
unit = "mm"
page = [215.9, 279.4]
label = [63.5, 29.6]
grid = [3, 8]
margins = [7.2, 21.2]
pitch = [66.0, 29.6]
corner_radius = 2
""", False)
    path = labels.save_custom(t)
    assert path.parent == user_folder and path.exists()
    assert "district-asset-3x8" in [x.name for x in list_templates()]
    again = get_template("district-asset-3x8")
    assert not again.builtin and again.cols == 3 and abs(again.pitch_x - 66.0) < 1e-9
    buf = io.BytesIO()
    render_pdf(make_items(2), buf, template="district-asset-3x8", start_at=4)
    page = rasterize(buf.getvalue(), 300)[0]
    assert decode(cell_crop(page, again, 3, 300)) == ["QM-000001"]
    assert decode(cell_crop(page, again, 4, 300)) == ["QM-000002"]
    with pytest.raises(labels.pdf.ValidationError):
        labels.save_custom(parse_template(path.read_text().replace("district-asset-3x8", "avery-5160"),
                                          False))
    labels.delete_custom("district-asset-3x8")
    assert "district-asset-3x8" not in [x.name for x in list_templates()]


def test_custom_template_geometry_is_validated():
    with pytest.raises(labels.pdf.ValidationError, match="run off the page"):
        parse_template('name = "x"\nkind = "sheet"\npage = [100, 100]\nlabel = [60, 20]\n'
                       'grid = [2, 1]\npitch = [60, 20]\n', False)


def test_calibration_offset_moves_every_label(user_folder):
    labels.set_offset("avery-5160", 1.5, -1.0, printer="Office HP")
    assert labels.get_offset("avery-5160", "Office HP") == (1.5, -1.0)
    assert labels.get_offset("avery-5160") == (0.0, 0.0)
    t = get_template("avery-5160")
    buf = io.BytesIO()
    render_pdf(make_items(1), buf, template="avery-5160", printer="Office HP", outlines=True)
    img = rasterize(buf.getvalue(), 600)[0]
    x, y, w, h = t.cell_mm(0)
    row_y = int((y - 1.0 + h / 2) / 25.4 * 600)
    c = (x + 1.5) / 25.4 * 600
    probe = [(i, img.getpixel((i, row_y))) for i in range(int(c) - 6, int(c) + 7)]
    assert abs(min(probe, key=lambda p: p[1])[0] + 0.5 - c) / 600 * 25.4 <= 0.1
    with pytest.raises(labels.pdf.ValidationError):
        labels.set_offset("avery-5160", 25, 0)


@pytest.mark.parametrize("name", ["avery-5160", "zebra-2x1-203"])
def test_calibration_page_has_outlines_rulers_and_instructions(name, tmp_path):
    out = labels.calibration_pdf(name, tmp_path / "cal.pdf", offset=(0.5, 0.0))
    doc = pdfium.PdfDocument(out)
    text = doc[0].get_textpage().get_text_range()
    assert "calibration" in text and "+0.5 mm" in text
    if name == "avery-5160":
        assert "Actual size" in text
        assert "100" in text and "200" in text  # ruler numbers in mm


def test_templates_cover_the_stock_list():
    names = {t.name for t in list_templates()}
    assert {"avery-5160", "avery-5163", "avery-5167", "avery-l7651", "avery-l7163", "dymo-30252",
            "dymo-30334", "dymo-30336", "brother-dk1201", "brother-dk1209", "zebra-2x1-203",
            "zebra-3x1-203"} <= names
    assert get_template("avery-8160").name == "avery-5160"
    z = get_template("zebra-2x1-203")
    assert (z.dots(z.label_w), z.dots(z.label_h)) == (406, 203)


def test_pdf_asks_for_actual_size_and_stays_small():
    buf = io.BytesIO()
    render_pdf(make_items(300), buf, template="avery-5160")
    data = buf.getvalue()
    assert b"/PrintScaling /None" in data
    assert len(data) < 300_000  # ≤ 1 MB per 1,000 labels
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 10
    w, h = doc[0].get_size()
    assert (round(w), round(h)) == (612, 792)


@pytest.mark.parametrize("name,symbology", [("avery-5163", "code128"), ("avery-5160", "code128"),
                                            ("avery-l7163", "qr"), ("dymo-30252", "code128+qr")])
def test_logo_sits_clear_of_code_and_text(name, symbology, tmp_path):
    from PIL import Image, ImageDraw
    logo = tmp_path / "logo.png"
    img = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((10, 10, 190, 190), fill=(20, 60, 160, 255))
    img.save(logo)
    keys = ("logo", "org", "name", "tag", "serial")
    (lay,) = labels.label_layouts(make_items(1), name, symbology, layout=keys, logo_aspect=2.0)
    assert lay.logo is not None
    lx, ly, lw, lh = lay.logo
    assert lx >= 0 and ly >= 0 and lx + lw <= lay.w and ly + lh <= lay.h
    for x0, y0, x1, y1 in [line.box for line in lay.texts] + [c.quiet_box for c in lay.codes]:
        assert x1 <= lx + 0.01 or x0 >= lx + lw - 0.01 or y1 <= ly + 0.01 or y0 >= ly + lh - 0.01
    buf = io.BytesIO()
    render_pdf(make_items(1), buf, template=name, symbology=symbology, layout=keys, logo=logo)
    t = get_template(name)
    page = rasterize(buf.getvalue(), render_dpi(t))[0]
    assert decode(cell_crop(page, t, 0, render_dpi(t)) if t.is_sheet else page) == \
        ["QM-000001"] * per_label(symbology)
    assert b"/Subtype /Image" in buf.getvalue()


def test_missing_logo_file_does_not_stop_the_labels(tmp_path):
    buf = io.BytesIO()
    render_pdf(make_items(2), buf, template="avery-5163", layout=("logo", "org", "tag"),
               logo=tmp_path / "gone.png")
    assert decode(cell_crop(rasterize(buf.getvalue(), 300)[0], get_template("avery-5163"), 0, 300)) \
        == ["QM-000001"]
