"""Files are private and passwords are never written; product keys leave a trace;
a search the size of a file is refused with a message, on both engines."""
from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import exporting, listing
from app.models import HistoryEntry
from app.services.base import who
from app.services import licenses
from app.services.errors import ValidationError
from app.store import secrets
from tests.app.factories import asset, district

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cr3t-Pa55word"


def _run(home: Path, *args, env=None, timeout=120):
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    env.pop("QM_NO_AUTO_BACKUP", None)
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout, check=False)


def _everything(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            yield Path(dirpath) / name
        for name in filenames:
            yield Path(dirpath) / name


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_no_file_the_app_creates_is_readable_by_others(tmp_path):
    before = os.umask(0o022)  # the usual default: the app must not rely on it
    try:
        _create_everything(tmp_path)
    finally:
        os.umask(before)


def _create_everything(tmp_path):
    home = tmp_path / "home"
    work = home / "inventory"
    dbp = work / "inv.sqlite"
    assert _run(home, "--db", str(dbp), "demo", "--assets", "30").returncode == 0
    assert _run(home, "--db", str(dbp), "backup").returncode == 0
    assert _run(home, "--db", str(dbp), "backup", "-o", str(work / "copy.sqlite.gz")).returncode == 0
    assert _run(home, "--db", str(dbp), "export", "--kind", "assets", "-o", str(work / "a.csv")).returncode == 0
    assert _run(home, "--db", str(dbp), "export", "--kind", "licenses", "--include-keys",
                "-o", str(work / "keys.xlsx")).returncode == 0
    res = _run(home, "--db", str(dbp), "restore", str(work / "copy.sqlite.gz"))
    assert res.returncode == 0, res.stderr
    created = [p for p in _everything(home)]
    assert len(created) > 8
    loose = [f"{p.relative_to(home)} {stat.filemode(p.stat().st_mode)}" for p in created
             if p.stat().st_mode & 0o077]
    assert loose == []


def test_a_password_in_a_url_is_written_nowhere(tmp_path):
    """A PostgreSQL URL with a password that cannot connect, in three commands:
    the password is in no file under the home folder and in no line printed."""
    home = tmp_path / "home"
    dbp = home / "inv.sqlite"
    url = f"postgresql://tech:{PASSWORD}@127.0.0.1:1/inventory"
    assert _run(home, "--db", str(dbp), "demo", "--assets", "10").returncode == 0
    outputs = []
    for args in (["--db", url, "find", "X"], ["--db", str(dbp), "migrate-to", url],
                 ["--db", url, "backup"]):
        res = _run(home, *args, env={"PGCONNECT_TIMEOUT": "2"})
        assert res.returncode != 0
        outputs += [res.stdout, res.stderr]
    for text in outputs:
        assert PASSWORD not in text
    for p in _everything(home):
        if p.is_file():
            assert PASSWORD.encode() not in p.read_bytes(), p


def test_crash_log_records_the_command_line_without_the_password(tmp_path, monkeypatch):
    from app import cli
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["quartermaster", "--db", f"postgresql://u:{PASSWORD}@h/db"])
    try:
        raise RuntimeError(f"boom postgresql://u:{PASSWORD}@h/db password={PASSWORD}")
    except RuntimeError:
        path = Path(cli._log_crash())
    text = path.read_text()
    assert "postgresql://u:***@h/db" in text and PASSWORD not in text
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("text, clean", [
    (f"postgresql://tech:{PASSWORD}@server/inv", "postgresql://tech:***@server/inv"),
    (f"could not connect: host=x password={PASSWORD} user=u", "host=x password=*** user=u"),
    (f"PGPASSWORD={PASSWORD} quartermaster", "PGPASSWORD=*** quartermaster"),
    ("postgresql://tech@server/inv", "postgresql://tech@server/inv"),
    ("C:\\Users\\x\\inv.sqlite", "C:\\Users\\x\\inv.sqlite"),
])
def test_redact(text, clean):
    assert clean in secrets.redact(text) and PASSWORD not in secrets.redact(text)


def test_exporting_product_keys_is_recorded(db, tmp_path):
    d = district()
    a = asset(d)
    licenses.create(product="Office", seats=5, product_key="AAAAA-BBBBB-CCCCC")
    licenses.create(product="Reader", seats=5)
    del a
    out = tmp_path / "keys.csv"
    n = exporting.export("licenses", out, include_keys=True, by="alice")
    assert n == 2
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert "AAAAA-BBBBB-CCCCC" in rows[1] + rows[2]
    trace = list(HistoryEntry.select().where(HistoryEntry.action == "export_keys"))
    assert len(trace) == 1
    # On PostgreSQL the server records the login, whatever name is given.
    assert trace[0].who == who("alice") and trace[0].new == "1 product key"
    assert "exported to keys.csv" in trace[0].note
    exporting.export("licenses", tmp_path / "plain.csv")  # without keys: no entry
    assert HistoryEntry.select().where(HistoryEntry.action == "export_keys").count() == 1


def test_a_search_the_size_of_a_file_is_refused_with_a_message(db):
    d = district()
    asset(d, name="Findable")
    huge = "x" * 60_000
    for kind in ("assets", "people", "locations", "loans", "repairs"):
        with pytest.raises(ValidationError, match="search text is too long"):
            listing.query_ids(kind, {"search": huge})
    with pytest.raises(ValidationError, match="too long"):
        licenses.holders(1, search=huge)
    assert listing.query_ids("assets", {"search": "findable"})  # a normal search still works


def test_a_password_nobody_gave_is_asked_for_and_kept_in_memory(monkeypatch):
    import peewee as pw

    from app.store import db as store_db
    asked = []
    secrets.set_prompt(lambda where: asked.append(where) or "answer")
    seen = []

    def connect(self, reuse_if_open=False):
        seen.append(self.connect_params.get("password"))
        if self.connect_params.get("password") != "answer":
            raise pw.OperationalError("fe_sendauth: no password supplied")
        return True

    monkeypatch.setattr(pw.PostgresqlDatabase, "connect", connect)
    try:
        target = "postgresql://tech@server:5432/inventory"
        database = store_db._with_prompted_password(
            target, pw.OperationalError("fe_sendauth: no password supplied"))
    finally:
        secrets.set_prompt(None)
    assert database is not None and seen == ["answer"]
    assert asked == ["postgresql://tech@server:5432/inventory"]
    secrets.set_prompt(None)  # nobody to ask: the original error stands
    assert store_db._with_prompted_password(
        target, pw.OperationalError("fe_sendauth: no password supplied")) is None
