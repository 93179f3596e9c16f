"""Purge in team mode (PostgreSQL): only an admin may purge; a technician
(or a viewer) is refused by the service in a sentence, before any backup or
write; the certificate PDF is written only after the purge committed, so a
purge that fails leaves no certificate."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from app.cli import main
from app.models import Asset, HistoryEntry, Person, WorkOrder
from app.services import retention, team
from app.services.errors import PermissionDenied
from app.store.db import close_database, open_database
from tests.app.test_retention import _scene
from tests.app.test_team import _as, team_db  # noqa: F401 - the fixture

pytestmark = pytest.mark.postgres


@pytest.fixture
def scene(team_db):  # noqa: F811
    open_database(team_db["url"])
    s = _scene(team_db["d"])
    close_database()
    return {**team_db, **s}


def _counts():
    return (Asset.select().count(), HistoryEntry.select().count(),
            Person.select().where(Person.first_name == "former").count(),
            WorkOrder.select().count())


def test_a_technician_is_refused_by_the_service(scene, tmp_path, capsys):
    for role in ("technician", "viewer"):
        login = scene["users"][role]
        url = _as(scene["url"], login)
        open_database(url)
        before = _counts()
        assert not team.can("purge")
        with pytest.raises(PermissionDenied) as err:
            retention.purge(backup=False)
        assert str(err.value) == (f"Only an admin may purge records; {login} is a {role}. "
                                  "Ask an admin to run the purge.")
        assert _counts() == before
        close_database()
        cert = tmp_path / f"{role}.pdf"
        code = main(["--db", url, "purge", "-o", str(cert)])
        err_text = capsys.readouterr().err
        assert code == 1 and err_text.startswith("error: Only an admin may purge records")
        assert not cert.exists()
        assert not list(tmp_path.glob(f".{role}.pdf*"))  # no temporary file left either


def test_an_admin_purges_and_gets_the_certificate(scene, tmp_path, capsys):
    admin = scene["users"]["admin"]
    url = _as(scene["url"], admin)
    open_database(url)
    assert team.can("purge")
    close_database()
    cert = tmp_path / "cert.pdf"
    code = main(["--db", url, "purge", "-o", str(cert)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Disposed assets: 1" in out.out and "People who left: 1" in out.out
    open_database(scene["url"])  # as the owner: what the admin's purge left
    assert not Asset.select().where(Asset.id == scene["old"].id).exists()
    assert Asset.select().where(Asset.id == scene["erate"].id).exists()
    student = Person.get_by_id(scene["d"]["student"].id)
    assert student.full_name == f"former student #{student.id}"
    assert not any("Garcia" in (h.old or "") + (h.new or "") + (h.note or "")
                   for h in HistoryEntry.select())
    assert not HistoryEntry.select().where((HistoryEntry.entity == "asset")
                                           & (HistoryEntry.entity_id == scene["old"].id)).exists()
    assert HistoryEntry.get(HistoryEntry.entity == "purge").who == admin
    pdf = pdfium.PdfDocument(str(cert))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pdf.close()
    assert "Disposed assets" in text and admin in text
    assert "the server's own" in text  # an admin cannot copy the server: pg_dump is the backup
    close_database()


def test_a_failed_purge_leaves_no_certificate_and_changes_nothing(scene, tmp_path, capsys,
                                                                 monkeypatch):
    """The purge fails part way (after deleting the disposed asset, while
    anonymising): the transaction rolls back and no certificate is written."""
    admin = scene["users"]["admin"]
    url = _as(scene["url"], admin)
    open_database(url)
    before = _counts()
    close_database()

    def broken(pid):
        raise PermissionDenied("the server went away in the middle")
    monkeypatch.setattr(retention, "_anonymise", broken)
    cert = tmp_path / "cert.pdf"
    code = main(["--db", url, "purge", "-o", str(cert)])
    assert code == 1 and "the server went away" in capsys.readouterr().err
    assert not cert.exists()
    open_database(url)
    assert _counts() == before
    assert Asset.select().where(Asset.id == scene["old"].id).exists()
    close_database()


@pytest.mark.postgres
def test_an_older_team_database_gets_the_purge_functions_when_upgraded(team_db):  # noqa: F811
    """A team database made before step 11, opened by its owner, gets the
    purge's history functions for its admin group (no second team init)."""
    database = open_database(team_db["url"])
    for fn in ("qm_purge_history(text, integer[])",
               "qm_anonymise_history(integer, text, text, text[])"):
        database.execute_sql(f"DROP FUNCTION IF EXISTS {fn}")
    database.execute_sql("DELETE FROM qm_schema WHERE version > 10")
    close_database()
    database = open_database(team_db["url"])
    try:
        admin = next(g for g in team_db["groups"] if g.endswith("admin"))
        rows = database.execute_sql(
            "SELECT has_function_privilege(%s, 'qm_purge_history(text, integer[])', 'EXECUTE'), "
            "has_function_privilege(%s, 'qm_anonymise_history(integer, text, text, text[])', "
            "'EXECUTE')", (admin, admin)).fetchone()
        assert rows == (True, True)
    finally:
        close_database()
