"""The loan agreement lists the borrower's devices, in their language."""
from __future__ import annotations

import pypdfium2 as pdfium

from app.cli import main
from app.services import assets
from tests.app.factories import asset, district


def pdf_text(path) -> str:
    doc = pdfium.PdfDocument(str(path))
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_spanish_agreement_for_a_student(db, tmp_path):
    d = district()
    a, b = asset(d, serial="PF1234AB"), asset(d, serial="PF1234AC")
    assets.check_out(a.id, person_id=d["student"].id, due="2099-06-12", condition="good")
    assets.check_out(b.id, person_id=d["student"].id, due="2099-06-12")
    from reports.loan_agreement import render_agreement
    out = render_agreement(d["student"].id, tmp_path / "a.pdf")
    text = pdf_text(out)
    assert "Acuerdo de Préstamo de Dispositivo" in text
    assert "Luis Garcia" in text and "S2000001" in text
    assert a.tag in text and b.tag in text and "PF1234AC" in text
    assert "Firma del padre, madre o tutor" in text  # students need a guardian's signature


def test_cli_by_tag_in_english(db, tmp_path, capsys):
    d = district()
    a = asset(d)
    assets.check_out(a.id, person_id=d["student"].id)
    # The CLI opens the database itself; point it at the fixture's file when on SQLite.
    from app.store.db import current_target
    target = current_target()
    code = main(["--db", target, "agreement", a.tag.lower(), "--language", "en",
                 "-o", str(tmp_path / "en.pdf")])
    assert code == 0
    text = pdf_text(tmp_path / "en.pdf")
    assert "Device Loan Agreement" in text and a.tag in text


def test_cli_refuses_unknown_and_unlent(db, tmp_path, capsys):
    d = district()
    a = asset(d)
    from app.store.db import current_target
    target = current_target()
    assert main(["--db", target, "agreement", "nobody", "-o", str(tmp_path / "x.pdf")]) == 1
    assert main(["--db", target, "agreement", a.tag, "-o", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert "error: no person or asset matches 'nobody'" in err
    assert "is not lent to a person" in err
