"""Letters home: one per family (siblings together), in the family's language,
with the right amounts, the address where a #10 window shows it, as one PDF
read back with pypdfium2 and as a mail-merge CSV; the `letters` CLI."""
from __future__ import annotations

import csv
import datetime as dt

import pypdfium2 as pdfium
import pytest

from app.cli import main
from app.models.program import ProgramEvent
from app.reporting import letters
from app.services import settings
from app.services.errors import ValidationError
from reports.letters import write_letters
from tests.app.letters_data import TODAY, school


def pages_text(path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def letters_in(path) -> list[str]:
    """The PDF's text, one string per letter (each letter's pages end with "N of N")."""
    out, current = [], []
    for text in pages_text(path):
        current.append(text)
        last = text.strip().splitlines()[-1]
        n = last.split()
        if len(n) >= 4 and n[-1] == n[-3]:  # "Page 2 of 2" / "Página 2 de 2"
            out.append("\n".join(current))
            current = []
    assert not current, "a letter's pages are not numbered to its end"
    return out


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def data(db):
    return school()


def test_spanish_family_gets_spanish_with_the_right_amount_and_english_family_english(data, tmp_path):
    batch = letters.gather("fees", "LMS", today=TODAY)
    out = write_letters(batch, tmp_path / "fees.pdf")
    texts = letters_in(out)
    assert len(texts) == 2 == len(batch.letters)
    garcia = norm(next(t for t in texts if "Núñez" in t))
    smith = norm(next(t for t in texts if "Karen Smith" in t))
    # Luis's screen ($45.00) and Sofía's charger ($30.00 less $10.00 paid): $65.00 due.
    assert "Cargos pendientes por el dispositivo escolar" in garcia
    assert "Estimado(a) María José Núñez:" in garcia
    assert "Daño: pantalla" in garcia and "Pieza faltante: cargador" in garcia
    assert "Monto a pagar $65.00" in garcia
    assert "6 de diciembre de 2026" in garcia
    assert "¿Cree que un cargo es incorrecto" in garcia
    assert "Departamento de Tecnología" in garcia
    assert "Dear" not in garcia and "Amount due" not in garcia
    # Emma's hinge is owed; Jack's keyboard was paid in full and is not on the letter.
    assert "Device charges due" in smith and "Dear Karen Smith," in smith
    assert "Amount due $25.50" in smith and "Damage: hinge" in smith
    assert "keyboard" not in smith and "$60.00" not in smith
    assert "December 6, 2026" in smith and "Cargos" not in smith


def test_three_siblings_share_one_letter_listing_every_device(data, tmp_path):
    batch = letters.gather("agreement", "LMS", today=TODAY)
    assert len(batch.letters) == 3  # García (3 children), Smith (2), Nguyễn (1)
    out = write_letters(batch, tmp_path / "agreement.pdf")
    texts = letters_in(out)
    garcia = [norm(t) for t in texts if "Núñez" in t]
    assert len(garcia) == 1
    g = garcia[0]
    for name, tag_of in (("Luis García", "luis"), ("Ana García", "ana"), ("Sofía García", "sofia"),
                         ("Sofía García", "sofia_hotspot")):
        assert name in g and data["devices"][tag_of].tag in g
    assert "5CD3333CCC" in g and "KJ-778899" in g
    assert "Acuerdo de Préstamo de Dispositivo" in g and "Sus estudiantes recibieron" in g
    # The agreement's own terms, the same words as the loan agreement's.
    assert "El dispositivo sigue siendo propiedad de Riverside Unified School District" in g
    for child in ("Luis García", "Ana García", "Sofía García"):
        assert f"Firma de {child} (estudiante)" in g
    # Value: the model's replacement cost ($329.00), else what the asset cost (hotspot $120.00).
    assert g.count("$329.00") == 3 and "$120.00" in g and "Valor total $1,107.00" in g
    # The Smiths have no household: one guardian at one address makes them a family.
    smith = [norm(t) for t in texts if "Karen Smith" in t]
    assert len(smith) == 1 and "Jack Smith" in smith[0] and "Emma Smith" in smith[0]
    # Another school's student is not in this batch.
    assert not any("Olivia" in t for t in texts)


def test_csv_has_one_row_per_family(data, tmp_path):
    batch = letters.gather("agreement", "LMS", today=TODAY)
    path = letters.write_csv(batch, tmp_path / "merge.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [c for c, _ in letters.CSV_COLUMNS] == list(rows[0].keys())
    assert len(rows) == 3
    garcia = next(r for r in rows if r["guardian"] == "María José Núñez")
    assert garcia["language"] == "es" and garcia["device_count"] == "4"
    assert garcia["students"] == "Ana García; Luis García; Sofía García"
    assert garcia["address_1"] == "418 Olivo Street, Apt 2"
    assert garcia["address_2"] == "Riverside, CA 92503"
    assert garcia["total_value"] == "1107.00"
    assert garcia["greeting"] == "Estimado(a) María José Núñez:"
    assert "devuélvala a la oficina de Lincoln Middle School" in garcia["body"]
    smith = next(r for r in rows if r["guardian"] == "Karen Smith")
    # A one-line address is split before the city, as the window shows it.
    assert (smith["language"], smith["address_1"], smith["address_2"]) == \
        ("en", "77 Elm Court", "Riverside, CA 92504")


def test_not_returned_withdrawn_students_and_after_a_collection_day(data, tmp_path):
    batch = letters.gather("not-returned", "LMS", today=TODAY)
    assert [c.name for lt in batch.letters for c in lt.children] == ["Bảo Nguyễn"]
    texts = letters_in(write_letters(batch, tmp_path / "nr.pdf"))
    text = norm(texts[0])
    # Full Latin coverage: the Vietnamese name is embedded, not a missing glyph.
    assert "Dear Thị Lan Nguyễn," in text and "Bảo Nguyễn" in text
    assert "School device not returned" in text and "$329.00" in text
    # A collection day for grade 6 calls in grade 6's devices that went out before it.
    ProgramEvent.create(kind="collection", name="June collection", site=data["site"].id,
                        grade="6", created_at=dt.datetime(2026, 12, 1, 15, 0))
    batch = letters.gather("not-returned", "LMS", today=TODAY)
    names = sorted(c.name for lt in batch.letters for c in lt.children)
    assert names == ["Bảo Nguyễn", "Emma Smith", "Luis García"]


def test_overdue_and_grade_and_the_nobody_message(data, tmp_path):
    batch = letters.gather("overdue", "LMS", today=TODAY)
    held = {c.name: [d.tag for d in c.devices] for lt in batch.letters for c in lt.children}
    assert held == {"Luis García": [data["devices"]["luis"].tag],
                    "Jack Smith": [data["devices"]["jack"].tag]}
    texts = [norm(t) for t in letters_in(write_letters(batch, tmp_path / "od.pdf"))]
    garcia = next(t for t in texts if "Núñez" in t)
    assert "debía devolverse el 30 de noviembre de 2026" in garcia
    assert "a más tardar el 20 de diciembre de 2026" in garcia  # two weeks from the letter's date
    batch = letters.gather("overdue", "LMS", grade="7", today=TODAY)
    assert [c.name for lt in batch.letters for c in lt.children] == ["Jack Smith"]
    with pytest.raises(ValidationError, match="No families to write to: at Lincoln Middle "
                                              "School, grade 8 no student holds a device past"):
        letters.gather("overdue", "LMS", grade="8", today=TODAY)
    with pytest.raises(ValidationError, match="No school or site is called 'Nowhere'"):
        letters.gather("fees", "Nowhere", today=TODAY)


def test_address_sits_in_the_window_of_a_10_envelope(data, tmp_path):
    """The guardian's name and address: 1 in from the left, between 2.0 in and
    3.2 in from the top (inside the window whichever way the sheet slides);
    the letter's text starts below the top fold (3.67 in)."""
    batch = letters.gather("fees", "LMS", today=TODAY)
    out = write_letters(batch, tmp_path / "fees.pdf")
    doc = pdfium.PdfDocument(str(out))
    try:
        page = doc[0]
        height = page.get_size()[1]
        tp = page.get_textpage()

        def box(text):
            found = tp.search(text).get_next()
            assert found, text
            i, n = found
            boxes = [tp.get_charbox(j) for j in range(i, i + n)]
            return (min(b[0] for b in boxes) / 72, (height - max(b[3] for b in boxes)) / 72,
                    max(b[2] for b in boxes) / 72, (height - min(b[1] for b in boxes)) / 72)

        for line in ("María José Núñez", "418 Olivo Street, Apt 2", "Riverside, CA 92503"):
            left, top, right, bottom = box(line)
            assert 0.95 <= left <= 1.1 and right <= 4.6, line
            assert 2.0 <= top and bottom <= 3.2, line
        assert box("Cargos pendientes por el dispositivo escolar")[1] > 11 / 3
        assert box("Riverside Unified School District")[1] < 1.0  # the letterhead
    finally:
        doc.close()


def test_settings_contact_is_checked_and_printed(data, tmp_path):
    with pytest.raises(ValidationError, match="not an email address"):
        settings.update({"org_email": "devices at district"})
    settings.update({"org_phone": "", "org_email": ""})
    batch = letters.gather("overdue", "LMS", today=TODAY)
    text = norm("\n".join(pages_text(write_letters(batch, tmp_path / "o.pdf"))))
    assert "comuníquese con la oficina de la escuela" in text
    assert "please contact the school office" in text


# --- the CLI ---------------------------------------------------------------------------

def test_cli_writes_pdf_and_csv_and_refuses_bad_input_in_one_line(data, tmp_path, capsys):
    from app.store.db import current_target
    target = current_target()
    pdf = tmp_path / "fees.pdf"
    assert main(["--db", target, "letters", "--kind", "fees", "--site", "Lincoln Middle School",
                 "-o", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "2 letters to 2 families of 3 students, 1 in Spanish" in out
    assert any("Monto a pagar $65.00" in norm(t) for t in letters_in(pdf))
    merge = tmp_path / "fees.csv"
    assert main(["--db", target, "letters", "--kind", "fees", "--site", "LMS",
                 "-o", str(merge)]) == 0
    with merge.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["amount_due"] for r in rows) == ["25.50", "65.00"]
    capsys.readouterr()
    for argv, message in (
            (["--kind", "bogus", "--site", "LMS", "-o", "x.pdf"], "error: --kind is one of"),
            (["--kind", "fees", "--site", "Nowhere", "-o", "x.pdf"],
             "error: No school or site is called 'Nowhere'."),
            (["--kind", "fees", "--site", "LMS", "-o", "x.docx"], "error: write the letters to a .pdf"),
            (["--kind", "not-returned", "--site", "RHS", "-o", str(tmp_path / "none.pdf")],
             "error: No families to write to: at Riverside High School"),
    ):
        assert main(["--db", target, "letters", *argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not (tmp_path / "none.pdf").exists()
    assert not list(tmp_path.glob("*.part"))


def test_cli_warns_of_families_without_an_address(data, tmp_path, capsys):
    from app.models import Person
    Person.update(address=None).where(Person.id == data["jack"].id).execute()
    Person.update(address=None).where(Person.id == data["emma"].id).execute()
    from app.store.db import current_target
    assert main(["--db", current_target(), "letters", "--kind", "fees", "--site", "LMS",
                 "-o", str(tmp_path / "f.pdf")]) == 0
    out = capsys.readouterr().out
    # Without an address the Smiths are still siblings only by their household (none):
    # each child is a family alone; Emma owes, so one letter without an address.
    assert "warning: 1 letter has no mailing address (send them home with the students): Emma Smith" in out


def test_spanish_agrees_with_one_student_holding_two_devices(data, tmp_path):
    from tests.app.letters_data import lend, student
    marta = student("Marta", "Peña", "S2000030", data["site"], "8", "es", household="H-3003",
                    guardian_name="Jesús Peña", address="5 Robles Way\nRiverside, CA 92501")
    lend(data["cb"], marta, "5CD8888HHH")
    lend(data["hs"], marta, "KJ-112233", cost="120.00")
    batch = letters.gather("agreement", "LMS", today=TODAY)
    pena = next(lt for lt in batch.letters if lt.guardian == "Jesús Peña")
    assert pena.paragraphs[0].startswith("Su estudiante recibió los dispositivos escolares")
    assert pena.greeting == "Estimado(a) Jesús Peña:"
    # The batch's summary counts families, students and the Spanish letters.
    assert batch.summary() == "4 letters to 4 families of 7 students, 2 in Spanish"


def test_the_district_logo_is_on_each_letters_first_page(data, tmp_path):
    from PIL import Image
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 200), (31, 78, 121)).save(logo)
    settings.update({"org_logo": str(logo)})
    batch = letters.gather("agreement", "LMS", today=TODAY)
    out = write_letters(batch, tmp_path / "a.pdf")
    doc = pdfium.PdfDocument(str(out))
    try:
        import pypdfium2.raw as raw
        firsts = [i for i, t in enumerate(pages_text(out)) if "Page 1 of" in t or "Página 1 de" in t]
        assert len(firsts) == len(batch.letters)
        for i in range(len(doc)):
            images = list(doc[i].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]))
            assert len(images) == (1 if i in firsts else 0), i
    finally:
        doc.close()


def test_a_damaged_return_charged_at_collection_is_on_the_familys_letter(data, tmp_path):
    """Ana's Chromebook comes back with a cracked hinge and no case: the fees
    service charges both from the price list; the Garcías' letter lists them."""
    from app.services import assets, fees, prices
    prices.set_price("hinge", "25.00")
    ana_cb = data["devices"]["ana"]
    loan = assets.check_in(ana_cb.id, damage=["hinge"], missing_parts=["Case"])
    charged = fees.charge_for_return(loan.id)
    assert sorted((f.kind, f.part, str(f.amount)) for f in charged) == \
        [("damage", "hinge", "25.00"), ("missing_part", "Case", "20.00")]
    batch = letters.gather("fees", "LMS", today=TODAY)
    garcia = next(lt for lt in batch.letters if lt.guardian == "María José Núñez")
    assert garcia.amount_due == 65 + 45  # Luis's screen, Sofía's charger balance, Ana's two
    text = norm(letters_in(write_letters(batch, tmp_path / "f.pdf"))[0])
    assert "Daño: bisagra" in text and "Pieza faltante: estuche" in text
    assert "Monto a pagar $110.00" in text


def test_a_family_borrowing_a_hotspot_is_written_to_by_its_own_name(data):
    from app.services import people
    from tests.app.letters_data import lend
    fam = people.create(first_name="Rosa", last_name="Ortiz", kind="family", language="es",
                        site_id=data["site"].id)
    from app.models import Person
    Person.update(address="12 Vine St\nRiverside, CA 92501").where(Person.id == fam.id).execute()
    lend(data["hs"], fam, "KJ-445566", cost="120.00")
    batch = letters.gather("agreement", "LMS", today=TODAY)
    ortiz = next(lt for lt in batch.letters if lt.guardian == "Rosa Ortiz")
    assert ortiz.greeting == "Estimado(a) Rosa Ortiz:"
    assert ortiz.address_lines == ["12 Vine St", "Riverside, CA 92501"]


def test_duplex_starts_every_letter_on_a_new_sheet(data, tmp_path):
    from app.store.db import current_target
    one_sided, two_sided = tmp_path / "one.pdf", tmp_path / "two.pdf"
    for out, extra in ((one_sided, []), (two_sided, ["--duplex"])):
        assert main(["--db", current_target(), "letters", "--kind", "agreement", "--site", "LMS",
                     *extra, "-o", str(out)]) == 0
    plain = pages_text(one_sided)
    padded = pages_text(two_sided)
    assert any("Page 1 of 1" in t for t in plain)  # Nguyễn's one-page letter is padded
    firsts = [i for i, t in enumerate(padded) if "Page 1 of" in t or "Página 1 de" in t]
    assert len(firsts) == 3 and all(i % 2 == 0 for i in firsts)  # a front side each
    assert len(padded) == len(plain) + sum(1 for i, t in enumerate(plain) if "1 of 1" in t
                                           or "1 de 1" in t)
    assert all(not t.strip() for i, t in enumerate(padded) if i % 2 and i - 1 in firsts
               and ("1 of 1" in padded[i - 1] or "1 de 1" in padded[i - 1]))


def test_readme_documents_every_csv_column():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Letters home"):readme.index("## Labels")]
    for name, _ in letters.CSV_COLUMNS:
        shown = "address_1` … `address_4" if name.startswith("address_") else f"`{name}`"
        assert shown in section, name
