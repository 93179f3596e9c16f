"""`quartermaster migrate-to`: a demo inventory copied from SQLite into an
empty PostgreSQL database — every table, ids kept, sequences moved on, search
rebuilt, counts and totals proved — and then used there (new records,
search, a stocktake). A non-empty target is refused; a mismatch exits 1."""
from __future__ import annotations

import pytest

from app.cli import main
from app.store.db import close_database, open_database


def cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def demo_file(tmp_path, capsys):
    path = tmp_path / "local.sqlite"
    code, _, err = cli(["--db", str(path), "demo", "--assets", "500"], capsys)
    assert code == 0, err
    return path


def test_migrate_to_copies_everything_and_the_server_is_usable(demo_file, pg_url, capsys):
    from app.models import Asset, HistoryEntry, Loan, Person, Supply
    open_database(demo_file)
    local = {"assets": Asset.select().count(), "people": Person.select().count(),
             "loans": Loan.select().count(), "history": HistoryEntry.select().count(),
             "tags": sorted(t for t, in Asset.select(Asset.tag).tuples()),
             "on_hand": sorted(Supply.select(Supply.id, Supply.on_hand).tuples())}
    close_database()
    code, out, err = cli(["--db", str(demo_file), "migrate-to", pg_url], capsys)
    assert code == 0, out + err
    assert "ok:" in out and "asset" in out and "total asset cost" in out
    assert "mismatch" not in out
    database = open_database(pg_url)
    try:
        import peewee as pw
        assert isinstance(database, pw.PostgresqlDatabase)
        assert Asset.select().count() == local["assets"] == 500
        assert Person.select().count() == local["people"]
        assert Loan.select().count() == local["loans"]
        assert HistoryEntry.select().count() == local["history"]
        assert sorted(t for t, in Asset.select(Asset.tag).tuples()) == local["tags"]
        assert sorted(Supply.select(Supply.id, Supply.on_hand).tuples()) == local["on_hand"]
        from app.check import run_checks
        assert run_checks() == []
        # New rows get new ids (the sequences were moved past the copied ones).
        from app.services import assets, catalog, people, stocktake
        from app import listing
        site = catalog.create_site("Migrated Elementary")
        room = catalog.create_location(site.id, "Room 1")
        a = assets.create({"name": "After the move", "location_id": room.id})
        assert a.id > max(i for i, in Asset.select(Asset.id).where(Asset.id != a.id).tuples())
        people.create(first_name="New", last_name="Hire", kind="staff")
        some = Asset.select().order_by(Asset.id).first()
        assert some.id in listing.query_ids("assets", {"search": some.tag.lower()})  # search index
        # A stocktake works on the server.
        session = stocktake.start(site_id=site.id)
        v = stocktake.record_scan(session.id, a.tag)
        assert v.verdict == "verified"
        assert stocktake.status(session.id)["found"] == 1
    finally:
        close_database()
    # The target is no longer empty: a second run is refused.
    code, _, err = cli(["--db", str(demo_file), "migrate-to", pg_url], capsys)
    assert code == 1 and err.startswith("error: ") and "not empty" in err


def test_migrate_to_refuses_what_it_cannot_do(demo_file, capsys, tmp_path):
    code, _, err = cli(["--db", str(demo_file), "migrate-to", str(tmp_path / "x.sqlite")], capsys)
    assert code == 1 and "postgresql://" in err
    code, _, err = cli(["--db", str(demo_file), "migrate-to",
                        "postgresql://nobody@127.0.0.1:1/none"], capsys)
    assert code == 1 and err.startswith("error: cannot connect")


def test_a_mismatch_exits_1(demo_file, pg_url, capsys, monkeypatch):
    from app.store import transfer
    real = transfer.summary
    calls = []

    def lossy(conn):
        s = real(conn)
        calls.append(1)
        if len(calls) == 2:  # the copy's side
            s["tables"]["asset"] -= 1
        return s
    monkeypatch.setattr(transfer, "summary", lossy)
    code, out, err = cli(["--db", str(demo_file), "migrate-to", pg_url], capsys)
    assert code == 1 and "mismatch: asset: 500 rows in the source, 499 in the copy" in out
    assert err.startswith("error: the copy does not match") and "rolled back" in err
    monkeypatch.setattr(transfer, "summary", real)
    open_database(pg_url)
    from app.models import Asset
    assert Asset.select().count() == 0  # nothing of the bad copy was kept
    close_database()
    code, out, err = cli(["--db", str(demo_file), "migrate-to", pg_url], capsys)
    assert code == 0, err  # so it can simply be run again
