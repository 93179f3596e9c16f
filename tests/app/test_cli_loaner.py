"""`quartermaster asset loaner` and `quartermaster loaner …` on both engines:
what they print, the database afterwards, and refusals as one `error:` line
with exit 1 and nothing written."""
from __future__ import annotations

import csv
import io

import pytest

from app.cli import main
from app.models import Asset, Loan, LoanerSwap, Repair
from app.services import assets, catalog
from tests.app.factories import asset, district


@pytest.fixture
def cli(db, capsys):
    from app.store.db import current_target, open_database
    target = current_target()

    def run(*args):
        code = main(["--db", target, *args])
        out = capsys.readouterr()
        open_database(target)  # main() closes it; the test reads the result back
        return code, out.out, out.err
    return run


@pytest.fixture
def program(cli):
    d = district()
    d["device"] = asset(d)
    d["pool"] = [asset(d) for _ in range(2)]
    catalog.create_supplier("CDW-G")
    assets.check_out(d["device"].id, person_id=d["student"].id, effective="2026-09-01")
    return d


def test_asset_loaner_marks_and_unmarks(cli, program):
    tags = [a.tag for a in program["pool"]]
    code, out, err = cli("asset", "loaner", *tags)
    assert code == 0, err
    assert out.splitlines() == [f"{t} put in the loaner pool" for t in tags]
    assert all(Asset.get_by_id(a.id).loaner for a in program["pool"])
    code, out, _ = cli("asset", "loaner", tags[0], "--off")
    assert code == 0 and out.strip() == f"{tags[0]} taken out of the loaner pool"
    assert not Asset.get_by_id(program["pool"][0].id).loaner
    code, out, _ = cli("loaner", "pool")
    assert code == 0 and "Riverside High School" in out
    code, _, err = cli("asset", "loaner", "NOPE-1")
    assert code == 1 and err.startswith("error: no asset has the tag NOPE-1")


def test_swap_return_and_list(cli, program):
    d = program
    cli("asset", "loaner", *[a.tag for a in d["pool"]])
    code, out, err = cli("loaner", "swap", d["device"].tag, "--problem", "cracked screen",
                         "--vendor", "cdw-g", "--effective", "2026-10-05")
    assert code == 0, err
    sw = LoanerSwap.get()
    loaner = d["pool"][0]
    assert out.startswith(f"swap {sw.id}: loaner {loaner.tag} lent to Luis Garcia (S2000001); "
                          f"{d['device'].tag} in repair")
    assert "(effective 2026-10-05)" in out
    assert Repair.get_by_id(sw.repair_id).vendor.name == "CDW-G"
    assert Asset.get_by_id(d["device"].id).status == "in_repair"

    code, out, _ = cli("loaner", "list", "--open", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["Swap"], r["Device"], r["Loaner"], r["Opened"]) for r in rows] == \
        [(str(sw.id), d["device"].tag, loaner.tag, "2026-10-05")]
    code, out, _ = cli("loaner", "list", "--site", "LMS")
    assert code == 0 and out.strip() == "no loaner swaps"

    code, out, err = cli("loaner", "return", loaner.tag, "--resolution", "screen replaced",
                         "--effective", "2026-10-20")
    assert code == 0, err
    assert out.strip() == (f"swap {sw.id} ended: loaner {loaner.tag} checked in, "
                           f"{d['device'].tag} back to Luis Garcia (effective 2026-10-20)")
    assert Repair.get_by_id(sw.repair_id).status == "closed"
    assert Loan.get((Loan.asset == d["device"].id) & Loan.returned_at.is_null()).person_id == \
        d["student"].id
    # Twice: refused, by number and by tag.
    code, _, err = cli("loaner", "return", str(sw.id))
    assert code == 1 and err.strip() == f"error: Loaner swap {sw.id} was already ended on 2026-10-20."
    code, _, err = cli("loaner", "return", loaner.tag)
    assert code == 1 and "in no open loaner swap" in err
    code, out, _ = cli("loaner", "list")
    assert "Ended" in out and "2026-10-20" in out


def test_swap_refusals(cli, program):
    d = program
    before = (Loan.select().count(), Repair.select().count())
    code, _, err = cli("loaner", "swap", d["device"].tag, "--problem", "screen")
    assert code == 1 and err.startswith("error: No free loaner at Riverside High School")
    code, _, err = cli("loaner", "swap", d["pool"][0].tag, "--problem", "screen")
    assert code == 1 and "not checked out to a student" in err
    code, _, err = cli("loaner", "swap", d["device"].tag, "--loaner", d["pool"][1].tag,
                       "--problem", "screen")
    assert code == 1 and "not in the loaner pool" in err
    code, _, err = cli("loaner", "swap", d["device"].tag, "--problem", "screen", "--vendor", "X")
    assert code == 1 and err.strip() == "error: no supplier 'X'"
    assert (Loan.select().count(), Repair.select().count()) == before
    assert LoanerSwap.select().count() == 0
    with pytest.raises(SystemExit) as exit_:
        cli("loaner", "swap", d["device"].tag)
    assert exit_.value.code == 2  # --problem is required


def test_closing_the_repair_from_the_cli_ends_the_swap(cli, program):
    d = program
    cli("asset", "loaner", d["pool"][1].tag)
    code, out, err = cli("loaner", "swap", d["device"].tag, "--problem", "hinge")
    assert code == 0 and d["pool"][1].tag in out, err
    code, out, err = cli("asset", "repair", "close", d["device"].tag, "--cost", "40")
    assert code == 0, err
    sw = LoanerSwap.get()
    assert out.strip().endswith(f"; loaner swap {sw.id} ended, loaner {d['pool'][1].tag} checked in")
    assert sw.status == "reversed"
    assert sw.closed_at is not None
    assert Asset.get_by_id(d["device"].id).status == "deployed"
    assert Asset.get_by_id(d["pool"][1].id).status == "ready"
