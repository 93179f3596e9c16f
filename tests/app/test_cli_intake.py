"""`quartermaster intake`: a manifest CSV, a scanner's plain list, and a
refused file that leaves nothing written."""
from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

from app.cli import main
from tests.app.factories import asset, district


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def setup(db):
    from app.services import catalog
    from app.store.db import close_database, current_target
    d = district()
    catalog.create_model("Chromebook 11 G9 EE", manufacturer="HP", category_id=d["cat"].id,
                         model_number="4M8V6UT", serial_pattern=r"^5CD[A-Z0-9]{7}$")
    old = asset(d, serial="5CD9999999")
    target = current_target()
    close_database()
    return target, old


def reopen(target):
    from app.store.db import open_database
    open_database(target)


def test_manifest_csv_with_labels(db, tmp_path, capsys):
    target, old = setup(db)
    manifest = tmp_path / "cdw.csv"
    manifest.write_text("Order #,Line,Description,Serial Number,Ship Date\r\n"
                        "4471,1,HP Chromebook,SN:5CD0000001,2026-11-30\r\n"
                        "4471,2,HP Chromebook,5CD0000002,2026-11-30\r\n"
                        "4471,3,\"HP Chromebook, 11\"\"\",S5CD0000003,2026-11-30\r\n",
                        encoding="utf-8-sig")
    pdf = tmp_path / "labels.pdf"
    code, out, err = run(["--db", target, "--user", "receiver", "intake", "--model", "4M8V6UT",
                          "--po", "4471", "--cost", "$279.00", "--funding", "erate",
                          "--frn", "2599012345", "--funding-year", "2026",
                          "--location", "RHS/Library", "--supplier", "CDW-G",
                          "--date", "11/30/2026", "--warranty-end", "2029-11-30",
                          "--serials", str(manifest), "--labels", str(pdf), "--expected", "4"],
                         capsys)
    assert code == 0, err
    assert "Received 3 devices on PO 4471: QM-000002 … QM-000004" in out
    assert "received 3 of 4 — 1 short" in out
    reopen(target)
    from app.models import Asset
    from app.services import history, intake
    got = list(Asset.select().where(Asset.order_number == "4471").order_by(Asset.id))
    assert [a.serial for a in got] == ["5CD0000001", "5CD0000002", "5CD0000003"]
    a = got[0]
    assert str(a.cost) == "279.00" and a.erate_frn == "2599012345" and a.funding_type == "erate"
    assert a.location.name == "Library" and a.supplier.name == "CDW-G"
    assert a.purchase_date.isoformat() == "2026-11-30" and a.warranty_end.year == 2029
    note = history.for_entity("asset", a.id)[-1]["note"]
    from app.services.base import who  # --user on a file; the login on PostgreSQL
    assert "received on PO 4471 from CDW-G" in note and f"by {who('receiver')}" in note
    session = intake.list_sessions()[0]
    assert session["status"] == "closed" and session["received"] == 3
    assert intake.queued(session["id"]) == []  # the labels file was written
    doc = pdfium.PdfDocument(str(pdf))
    codes = sorted(r.text for r in zxingcpp.read_barcodes(doc[0].render(scale=300 / 72).to_pil()))
    assert codes == ["QM-000002", "QM-000003", "QM-000004"]


def test_plain_list_and_zpl(db, tmp_path, capsys):
    target, old = setup(db)
    f = tmp_path / "scanner.txt"
    f.write_text("5CD0000011\n\n  5CD0000012  \nODDSERIAL\n")
    zpl = tmp_path / "labels.zpl"
    code, out, err = run(["--db", target, "intake", "--model", "hp chromebook 11 g9 ee",
                          "--po", "PO-9", "--location", "LOC-00001", "--serials", str(f),
                          "--labels", str(zpl), "--template", "zebra-2x1-203"], capsys)
    assert code == 0, err
    assert "QM-000002 … QM-000004" in out
    assert "warning: line 4: serial ODDSERIAL does not match" in err
    assert zpl.read_text().count("^XA") == 3


def test_refused_file_writes_nothing(db, tmp_path, capsys):
    target, old = setup(db)
    f = tmp_path / "scanner.txt"
    f.write_text("5CD0000021\n5CD0000022\n5CD0000021\n5CD9999999\n")
    pdf = tmp_path / "labels.pdf"
    base = ["--db", target, "intake", "--model", "4M8V6UT", "--po", "PO-10",
            "--serials", str(f), "--labels", str(pdf)]
    code, out, err = run(base, capsys)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "line 3: serial 5CD0000021 is also on line 1"
    assert lines[1].startswith("line 4: serial 5CD9999999 is already QM-000001")
    assert lines[-1].startswith("error: nothing received")
    assert not pdf.exists()
    reopen(target)
    from app.models import Asset, IntakeSession
    from app.services import settings
    assert Asset.select().count() == 1 and IntakeSession.select().count() == 0
    assert settings.get("tag_next") == 2  # no tag spent
    from app.store.db import close_database
    close_database()
    code, out, err = run(base + ["--skip-bad"], capsys)
    assert code == 0 and "Received 2 devices" in out and "Skipped 2 line(s)" in out
    code, out, err = run(["--db", target, "intake", "--model", "Nope 9000", "--po", "1",
                          "--serials", str(f)], capsys)
    assert code == 1 and "No model is called 'Nope 9000'" in err
