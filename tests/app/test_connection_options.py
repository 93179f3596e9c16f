"""How a postgresql:// URL becomes a connection: libpq options in the query are
honoured, TLS is required by default for a server across the network, and no
password is needed in the URL (libpq reads ~/.pgpass and PGPASSWORD)."""
from __future__ import annotations

from app.store.db import describe, make_database


def test_sslmode_is_required_for_a_remote_server_unless_the_url_says_otherwise(monkeypatch):
    monkeypatch.delenv("PGSSLMODE", raising=False)
    remote = make_database("postgresql://alice@db.district.org/inventory")
    assert remote.connect_params["sslmode"] == "require"
    assert remote.connect_params["password"] is None  # libpq finds it (~/.pgpass, PGPASSWORD)
    chosen = make_database("postgresql://alice@db.district.org:5433/inventory"
                           "?sslmode=verify-full&sslrootcert=/etc/qm/ca.pem&connect_timeout=5")
    assert chosen.connect_params["sslmode"] == "verify-full"
    assert chosen.connect_params["sslrootcert"] == "/etc/qm/ca.pem"
    assert chosen.connect_params["connect_timeout"] == "5" and chosen.connect_params["port"] == 5433
    assert describe("postgresql://alice:secret@db.district.org/inventory?sslmode=require") == \
        "postgresql://alice@db.district.org/inventory"


def test_this_machine_and_pgsslmode_keep_libpq_defaults(monkeypatch):
    monkeypatch.delenv("PGSSLMODE", raising=False)
    for url in ("postgresql://alice@localhost/inventory", "postgresql://alice@127.0.0.1:54329/x",
                "postgresql:///inventory?host=/var/run/postgresql"):
        assert "sslmode" not in make_database(url).connect_params, url
    monkeypatch.setenv("PGSSLMODE", "verify-ca")
    assert "sslmode" not in make_database("postgresql://a@db.district.org/x").connect_params
