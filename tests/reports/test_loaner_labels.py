"""Labels of loaner assets carry a LOANER line on every template (PDF and
ZPL), its barcode still decodes with zxing-cpp, and a template can turn the
flag line off."""
from __future__ import annotations

import dataclasses

import pypdfium2 as pdfium
import pytest
import zxingcpp

from reports import labels
from reports.labels import LabelItem, get_template, list_templates, render_pdf, render_zpl
from reports.labels.layout import layout_label
from reports.labels.templates import parse_template

TEMPLATES = [t.name for t in list_templates() if t.builtin]


def _item(code="QM-000901", flag="LOANER"):
    return LabelItem(code, {"org": "Property of Lincoln Unified School District",
                            "name": "Dell Chromebook 3110", "tag": code,
                            "serial": "S/N 5CD1234XYZ", "place": "Lincoln High · Library",
                            "flag": flag})


def _pages(pdf_bytes, dpi):
    doc = pdfium.PdfDocument(pdf_bytes)
    return [(doc[i].render(scale=dpi / 72).to_pil().convert("L"),
             doc[i].get_textpage().get_text_range()) for i in range(len(doc))]


@pytest.mark.parametrize("symbology", ["code128", "qr"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_loaner_line_on_every_template_and_the_code_decodes(name, symbology, tmp_path):
    t = get_template(name)
    out = tmp_path / "l.pdf"
    render_pdf([_item(), _item("QM-000902", flag="")], out, template=t, symbology=symbology)
    dpi = 203 if t.kind == "thermal" else 300
    pages = _pages(out.read_bytes(), dpi)
    texts = " ".join(text for _img, text in pages)
    assert texts.count("LOANER") == 1, texts  # the loaner's label only
    found = sorted(r.text for img, _t in pages for r in zxingcpp.read_barcodes(img))
    assert found == ["QM-000901", "QM-000902"]
    lay = layout_label(t, _item().lines, "QM-000901", symbology)
    flag = [line for line in lay.texts if line.key == "flag"]
    assert flag and flag[0].text == "LOANER"  # never dropped, never cut short
    if t.kind == "thermal":
        assert render_zpl([_item()], template=name, symbology=symbology).count("^FDLOANER^FS") == 1


def test_a_template_can_turn_the_flag_off():
    t = dataclasses.replace(get_template("avery-5160"), flag=False)
    lay = layout_label(t, _item().lines, "QM-000901", "code128")
    assert "flag" not in [line.key for line in lay.texts]
    again = parse_template(t.to_toml(), builtin=False)
    assert again.flag is False
    assert parse_template(get_template("avery-5160").to_toml(), builtin=False).flag is True


def test_loaner_assets_print_loaner_from_the_database(db, tmp_path):
    from app.services import loaners
    from tests.app.factories import asset, district
    d = district()
    own, spare = asset(d), asset(d)
    loaners.set_loaner([spare.id])
    items = labels.items_for_assets([own.id, spare.id])
    assert [i.lines["flag"] for i in items] == ["", "LOANER"]
    out = tmp_path / "sheet.pdf"
    render_pdf(items, out, template="avery-5160", symbology="code128")
    (img, text), = _pages(out.read_bytes(), 300)
    assert text.count("LOANER") == 1
    assert sorted(r.text for r in zxingcpp.read_barcodes(img)) == sorted([own.tag, spare.tag])
