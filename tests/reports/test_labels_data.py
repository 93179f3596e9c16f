"""What gets labelled (assets, queries, rooms, supplies, reserved new tags),
the ZPL for Zebra printers, sending it raw, and the `labels` command."""
from __future__ import annotations

import datetime as dt
import re
import subprocess

import pypdfium2 as pdfium
import pytest
import zxingcpp

from app.cli import main
from app.models import Asset, TagRecord
from app.services import assets, catalog, settings, stock
from app.services.errors import NotFound
from reports import labels
from reports.labels import LabelItem, get_template
from reports.labels.zpl import code128_invocations, render_zpl, send_raw


@pytest.fixture
def district(db):
    settings.update({"org_name": "Lincoln Unified"})
    site = catalog.create_site("Lincoln High", code="LHS")
    other = catalog.create_site("Adams Elementary")
    room = catalog.create_location(site.id, "Room 214")
    lab = catalog.create_location(other.id, "Library")
    cat = catalog.create_category("Chromebooks", kind="chromebook")
    model = catalog.create_model("Latitude 3440", manufacturer="Dell", category_id=cat.id)
    a1 = assets.create(tag="QM-000101", serial="5CD1234XYZ", model_id=model.id, location_id=room.id,
                       erate_frn="2599012345", erate_funding_year=2025)
    a2 = assets.create(tag="QM-000102", name="Teacher laptop", location_id=room.id, funding_type="grant",
                       funding_name="Title IV-A")
    a3 = assets.create(tag="QM-000103", location_id=lab.id, model_id=model.id)
    toner = stock.create(name="HP 58A toner", barcode="0889894454045", part_number="CF258A", bin="B-3")
    cable = stock.create(name="Cat6 patch 3ft", part_number="C6-3")
    return dict(site=site, other=other, room=room, lab=lab, cat=cat, a=[a1, a2, a3],
                toner=toner, cable=cable)


def test_asset_items_carry_every_line(district):
    a1, a2, _ = district["a"]
    items = labels.items_for_assets([a2.id, a1.id])
    assert [i.code for i in items] == ["QM-000102", "QM-000101"]
    one = items[1].lines
    assert one["org"] == "Property of Lincoln Unified"
    assert one["name"] == "Dell Latitude 3440"
    assert one["serial"] == "S/N 5CD1234XYZ"
    assert one["place"] == "Lincoln High · Room 214"
    assert one["funding"] == "E-Rate FY2025 FRN 2599012345"
    assert items[0].lines["name"] == "Teacher laptop"
    assert items[0].lines["funding"] == "Grant: Title IV-A"
    with pytest.raises(NotFound):
        labels.items_for_assets([999_999])


def test_query_by_site_room_category_since_and_text(district):
    codes = lambda items: [i.code for i in items]  # noqa: E731
    assert codes(labels.items_for_query(site="LHS")) == ["QM-000101", "QM-000102"]
    assert codes(labels.items_for_query(room="Adams Elementary / Library")) == ["QM-000103"]
    assert codes(labels.items_for_query(category="chromebooks")) == ["QM-000101", "QM-000103"]
    assert codes(labels.items_for_query(site="Lincoln High", category="Chromebooks")) == ["QM-000101"]
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert labels.items_for_query(added_since=tomorrow.isoformat()) == []
    assert len(labels.items_for_query(added_since="2000-01-01")) == 3
    assert codes(labels.items_for_query(text="teacher")) == ["QM-000102"]


def test_parse_query():
    from app.labeling import parse_query
    assert parse_query("site=LHS;room=Room 214;since=2025-07-01") == {
        "site": "LHS", "room": "Room 214", "added_since": "2025-07-01"}
    assert parse_query("latitude 3440") == {"text": "latitude 3440"}
    with pytest.raises(Exception, match="Unknown query part"):
        parse_query("colour=red")


def test_room_and_supply_items(district):
    rooms = labels.items_for_locations(None)
    assert [(i.code, i.lines["title"], i.lines["place"]) for i in rooms] == [
        (district["lab"].barcode, "Library", "Adams Elementary"),
        (district["room"].barcode, "Room 214", "Lincoln High")]
    sup = labels.items_for_supplies(None)
    by_name = {i.lines["title"]: i for i in sup}
    assert by_name["HP 58A toner"].code == "0889894454045"
    assert by_name["HP 58A toner"].lines["place"] == "Bin B-3"
    assert by_name["Cat6 patch 3ft"].code == "C6-3"  # part number when there is no barcode
    from app import scanning
    assert scanning.resolve(by_name["HP 58A toner"].code).kind == "supply"
    assert scanning.resolve(rooms[0].code).kind == "location"


def test_new_tags_are_reserved(district):
    items = labels.items_for_new_tags(3, by="tester")
    tags = [i.code for i in items]
    assert len(set(tags)) == 3
    assert TagRecord.select().where(TagRecord.tag.in_(tags), TagRecord.state == "reserved").count() == 3
    again = labels.items_for_new_tags(2)
    assert not set(tags) & {i.code for i in again}


# --- ZPL -------------------------------------------------------------------------------

def _decode_invocations(fd: str) -> str:
    """Undo code128_invocations (start and switch codes) back to the data."""
    out, i, cs = [], 0, None
    while i < len(fd):
        if fd[i] == ">":
            op = fd[i + 1]
            if op == "<":
                out.append(">")
            else:
                cs = {":": "B", ";": "C", "9": "A", "6": "B", "5": "C", "7": "A"}[op]
            i += 2
        elif cs == "C":
            out.append(fd[i:i + 2])
            i += 2
        else:
            out.append(fd[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("data", ["QM-000101", "12345678", "A1", "LOC-00012", "x>y 0042 z", "1234567"])
def test_code128_invocations_round_trip(data):
    assert _decode_invocations(code128_invocations(data)) == data


@pytest.mark.parametrize("symbology,command", [("code128", "^BCN"), ("code39", "^B3N"),
                                               ("qr", "^BQN,2,"), ("datamatrix", "^BXN,")])
def test_zpl_commands_sizes_and_contents(symbology, command):
    items = [LabelItem("QM-000101", {"org": "Property of Lincoln Unified", "tag": "QM-000101"}),
             LabelItem("QM-000102", {"org": "Property of Lincoln Unified", "tag": "QM-000102"})]
    text = render_zpl(items, "zebra-2x1-203", symbology, copies=3)
    formats = re.findall(r"\^XA.*?\^XZ", text, re.S)
    assert len(formats) == 2
    for fmt, item in zip(formats, items):
        assert "^PW406" in fmt and "^LL203" in fmt and "^CI28" in fmt and "^PQ3" in fmt
        assert command in fmt
        fo = [tuple(map(int, m)) for m in re.findall(r"\^FO(\d+),(\d+)", fmt)]
        assert fo and all(0 <= x < 406 and 0 <= y < 203 for x, y in fo)
        if symbology in ("code128", "code39"):
            by = int(re.search(r"\^BY(\d+)", fmt).group(1))
            assert by in (2, 3)  # whole dots, 2-3 at 203 dpi
        code_fd = re.search(re.escape(command) + r"[^\^]*(?:\^FH)?\^FD([^\^]*)\^FS", fmt).group(1)
        if symbology == "code128":
            assert _decode_invocations(code_fd) == item.code
        elif symbology == "qr":
            assert code_fd == "MA," + item.code
        else:
            assert code_fd == item.code
        assert f"^FD{item.code}^FS" in fmt  # the readable tag
        assert "Property of Lincoln Unified" in fmt


def test_zpl_3x1_width_and_escapes():
    text = render_zpl([LabelItem("QM-7", {"tag": "QM-7", "org": "A^B~C_D"})], "zebra-3x1-203")
    assert "^PW609" in text and "^LL203" in text
    assert "A_5EB_7EC_5FD" in text


def test_zpl_code_matches_the_layout_width():
    """The ^BC symbol is python-barcode's, so its width is what the layout reserved."""
    from barcode.codex import Code128
    t = get_template("zebra-2x1-203")
    (lay,) = labels.label_layouts([LabelItem("QM-000101", {})], t, "code128")
    modules = len(Code128("QM-000101").build()[0])
    assert lay.code.symbol.width == modules
    x = round(lay.code.x * t.dpi / 72)
    assert x + modules * lay.code.dots <= 406


def test_send_raw_uses_lp_raw(monkeypatch):
    calls = []

    def fake_run(cmd, input=None, capture_output=None, timeout=None):
        calls.append((cmd, input))
        return subprocess.CompletedProcess(cmd, 0, b"request id is Zebra-12 (1 file(s))\n", b"")

    monkeypatch.setattr(subprocess, "run", fake_run)
    reply = send_raw("^XA^XZ\n", "Zebra")
    assert calls[0][0][1:] == ["-d", "Zebra", "-o", "raw"]
    assert calls[0][1] == b"^XA^XZ\n"
    assert "Zebra-12" in reply

    def failing(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 1, b"", b"lp: The printer or class does not exist.")

    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(Exception, match="does not exist"):
        send_raw("^XA^XZ", "Nope")
    with pytest.raises(Exception, match="Name the printer"):
        send_raw("^XA^XZ", "")


# --- the command -----------------------------------------------------------------------

def _decode_pdf(path, dpi=300):
    doc = pdfium.PdfDocument(path)
    return [[r.text for r in zxingcpp.read_barcodes(doc[i].render(scale=dpi / 72).to_pil())]
            for i in range(len(doc))]


def test_cli_tags_to_pdf(district, tmp_path, capsys):
    db_file = district["site"]._meta.database.qm_target
    out = tmp_path / "l.pdf"
    rc = main(["--db", db_file, "labels", "--tags", "QM-000101", "qm-000102", "--template",
               "dymo-30334", "--symbology", "qr", "--copies", "2", "-o", str(out)])
    assert rc == 0
    assert "wrote 4 labels on 4 pages" in capsys.readouterr().out
    assert _decode_pdf(out) == [["QM-000101"], ["QM-000101"], ["QM-000102"], ["QM-000102"]]


def test_cli_query_locations_supplies_new_and_zpl(district, tmp_path, capsys):
    db_file = district["site"]._meta.database.qm_target
    out = tmp_path / "q.pdf"
    assert main(["--db", db_file, "labels", "--query", "site=LHS", "--start-at", "3",
                 "--template", "avery-5163", "-o", str(out)]) == 0
    t = get_template("avery-5163")
    page = pdfium.PdfDocument(out)[0].render(scale=300 / 72).to_pil()
    for cell, code in ((2, "QM-000101"), (3, "QM-000102")):
        x, y, w, h = t.cell_mm(cell)
        crop = page.crop(tuple(int(v / 25.4 * 300) for v in (x, y, x + w, y + h)))
        assert [r.text for r in zxingcpp.read_barcodes(crop)] == [code]
    assert main(["--db", db_file, "labels", "--locations", "-o", str(tmp_path / "r.pdf"),
                 "--template", "dymo-30252"]) == 0
    assert _decode_pdf(tmp_path / "r.pdf") == [[district["lab"].barcode], [district["room"].barcode]]
    assert main(["--db", db_file, "labels", "--supplies", str(district["toner"].id), "-o",
                 str(tmp_path / "s.pdf"), "--template", "brother-dk1209"]) == 0
    assert _decode_pdf(tmp_path / "s.pdf") == [["0889894454045"]]
    zpl = tmp_path / "n.zpl"
    assert main(["--db", db_file, "labels", "--new", "2", "-o", str(zpl)]) == 0
    assert zpl.read_text().count("^XA") == 2 and "^PW406" in zpl.read_text()
    capsys.readouterr()
    assert main(["--db", db_file, "labels", "--list-templates"]) == 0
    listing = capsys.readouterr().out
    assert "avery-5160" in listing and "zebra-3x1-203" in listing


def test_cli_errors(district, tmp_path, capsys):
    db_file = district["site"]._meta.database.qm_target
    assert main(["--db", db_file, "labels", "--tags", "NOPE-1", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "no asset has the tag NOPE-1" in capsys.readouterr().err
    assert main(["--db", db_file, "labels", "--tags", "QM-000101", "-o", str(tmp_path / "x.zpl"),
                 "--template", "avery-5160"]) == 1
    assert "ZPL is for Zebra" in capsys.readouterr().err
    assert main(["--db", db_file, "labels", "--tags", "QM-000101", "--start-at", "31",
                 "-o", str(tmp_path / "x.pdf")]) == 1
    assert "Start at a label from 1 to 30" in capsys.readouterr().err
    assert main(["--db", db_file, "labels", "--query", "colour=red", "-o", str(tmp_path / "x.pdf")]) == 1


def test_cli_calibration_and_offsets(district, tmp_path, monkeypatch, capsys):
    from reports.labels import templates
    monkeypatch.setattr(templates, "user_dir", lambda: tmp_path / "cfg")
    db_file = district["site"]._meta.database.qm_target
    assert main(["--db", db_file, "labels", "--set-offset", "0.5", "-1", "--template", "5160",
                 "--printer", "HP"]) == 0
    assert labels.get_offset("avery-5160", "HP") == (0.5, -1.0)
    assert main(["--db", db_file, "labels", "--calibrate", "--template", "avery-5160",
                 "--printer", "HP", "-o", str(tmp_path / "cal.pdf")]) == 0
    text = pdfium.PdfDocument(tmp_path / "cal.pdf")[0].get_textpage().get_text_range()
    assert "x +0.5 mm, y -1.0 mm" in text


def test_help_documents_the_query():
    with pytest.raises(SystemExit):
        main(["labels", "--help"])


def test_asset_count_unchanged_by_labelling(district):
    before = Asset.select().count()
    labels.items_for_query(site="LHS")
    assert Asset.select().count() == before


def test_query_leaves_out_disposed_assets_unless_asked(district, tmp_path, capsys):
    from app.store.db import current_target

    def codes(items):
        return [i.code for i in items]
    a1, _, a3 = district["a"]
    assets.dispose(a3.id, "recycled", date="2026-01-15")
    assert codes(labels.items_for_query(category="chromebooks")) == ["QM-000101"]
    assert codes(labels.items_for_query(category="chromebooks", include_disposed=True)) == [
        "QM-000101", "QM-000103"]
    assert codes(labels.items_for_assets([a3.id])) == ["QM-000103"]  # named by tag: printed

    def label_text(*extra):
        out = tmp_path / f"l{len(extra)}.pdf"
        assert main(["--db", current_target(), "labels", "--query", "category=Chromebooks",
                     *extra, "-o", str(out)]) == 0
        return "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(str(out)))
    text = label_text()
    assert "QM-000101" in text and "QM-000103" not in text
    assert "QM-000103" in label_text("--include-disposed")
