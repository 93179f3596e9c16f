"""`quartermaster asset …` on both backends: what it prints, the database
afterwards (history with effective dates), and refusals as `error: …` exit 1
with nothing of the batch written."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from app.cli import main
from app.models import Asset, HistoryEntry, Loan, Repair
from app.services import assets, catalog, history
from tests.app.factories import asset, district


def _effective(asset_id, field):
    return (HistoryEntry.select(HistoryEntry.effective)
            .where((HistoryEntry.entity_id == asset_id) & (HistoryEntry.field == field))
            .order_by(HistoryEntry.id.desc()).scalar())


def test_checkout_checkin_move_and_back_dating(cli):
    d = district()
    a1, a2 = asset(d), asset(d)
    code, out, err = cli("asset", "checkout", a1.tag, a2.tag.lower(), "--to", "E100",
                         "--due", "2099-06-30", "--effective", "2026-01-05")
    assert code == 0, err
    assert out.splitlines()[:2] == [
        f"checked out {a1.tag} to Ann O'Brien (E100), due 2099-06-30 (effective 2026-01-05)",
        f"checked out {a2.tag} to Ann O'Brien (E100), due 2099-06-30 (effective 2026-01-05)"]
    assert _effective(a1.id, "holder") == dt.date(2026, 1, 5)
    assert Loan.select().where(Loan.returned_at.is_null()).count() == 2

    code, out, _ = cli("asset", "checkin", a1.tag, a2.tag, "--condition", "scratched")
    assert code == 0 and out.splitlines()[0] == f"checked in {a1.tag} from Ann O'Brien"
    assert Asset.get_by_id(a1.id).condition == "scratched"

    code, out, err = cli("asset", "checkout", a1.tag, "--to", "RHS/Library")
    assert code == 0, err
    assert out.strip() == f"checked out {a1.tag} to Riverside High School / Library"
    cli("asset", "checkin", a1.tag)

    code, out, err = cli("asset", "move", a1.tag, "--to", "LMS/Room 5", "--effective", "2026-02-01")
    assert code == 0, err
    assert out.strip() == (f"moved {a1.tag} from Riverside High School / Room 12 to "
                                         "Lincoln Middle School / Room 5 (effective 2026-02-01)")
    moved = Asset.get_by_id(a1.id)
    assert (moved.location_id, moved.site_id) == (d["r3"].id, d["other"].id)
    assert _effective(a1.id, "location") == dt.date(2026, 2, 1)


def test_dispose_retire_set_and_repairs(cli):
    d = district()
    a1, a2, a3 = asset(d, cost="7495.00"), asset(d), asset(d)
    code, out, _ = cli("asset", "dispose", a1.tag, a2.tag, "--date", "2026-03-15",
                       "--method", "sold", "--proceeds", "250")
    assert code == 0
    assert out.splitlines()[0] == (f"disposed of {a1.tag} on 2026-03-15 "
                                   "(sold / auctioned, proceeds $250.00)")
    gone = Asset.get_by_id(a1.id)
    assert (gone.status, gone.disposal_date, gone.disposal_proceeds) == (
        "disposed", dt.date(2026, 3, 15), D("250.00"))
    assert _effective(a1.id, "status") == dt.date(2026, 3, 15)

    code, out, _ = cli("asset", "retire", a3.tag, "--effective", "2026-06-30")
    assert code == 0 and out.strip() == f"retired {a3.tag} (effective 2026-06-30)"
    assert _effective(a3.id, "status") == dt.date(2026, 6, 30)

    b = asset(d, cost="6000.00")
    code, out, err = cli("asset", "set", b.tag, "cost=5800", "funding_type=grant",
                         "funding_name=Title IV-A", "federal_award_id=S424A250001",
                         "federal_share=75", "room=Library", "--effective", "2025-07-01")
    assert code == 0, err
    line = out.strip()
    assert line.startswith(f"{b.tag}: ") and line.endswith("(effective 2025-07-01)")
    assert "cost 6000.00 → 5800.00" in line and "room Room 12 → Library" in line
    got = Asset.get_by_id(b.id)
    assert (got.cost, got.federal_award_id, got.federal_share, got.location_id) == (
        D("5800.00"), "S424A250001", D("75.00"), d["r2"].id)
    assert _effective(b.id, "cost") == dt.date(2025, 7, 1)

    catalog.create_supplier("Dell Repair Depot")
    code, out, _ = cli("asset", "repair", "open", b.tag, "--problem", "fan noise",
                       "--vendor", "dell repair depot", "--date", "2026-11-02")
    assert code == 0 and out.strip().endswith(f"for {b.tag} with Dell Repair Depot on 2026-11-02")
    assert Asset.get_by_id(b.id).status == "in_repair"
    code, out, _ = cli("asset", "repair", "close", b.tag, "--cost", "89", "--resolution", "fan")
    assert code == 0 and "(repaired)" in out
    repair = Repair.get(Repair.asset == b.id)
    assert (repair.status, repair.cost) == ("closed", D("89.00"))
    assert Asset.get_by_id(b.id).status == "ready"


def test_a_refused_tag_changes_nothing_in_the_batch(cli):
    d = district()
    a1, a2 = asset(d), asset(d)
    assets.retire(a2.id)
    before = HistoryEntry.select().count()
    code, out, err = cli("asset", "checkout", a1.tag, a2.tag, "--to", "E100")
    assert code == 1 and out == ""
    assert err.strip() == (f"error: Asset {a2.tag} is retired; it cannot be checked out "
                           "— nothing was changed")
    assert Loan.select().count() == 0 and HistoryEntry.select().count() == before

    code, _, err = cli("asset", "dispose", a1.tag, "QM-NOPE", "--date", "2026-03-15",
                       "--method", "recycled")
    assert code == 1 and err.strip() == "error: no asset has the tag QM-NOPE — nothing was changed"
    assert Asset.get_by_id(a1.id).status != "disposed"

    tomorrow = (history.today() + dt.timedelta(days=1)).isoformat()
    code, _, err = cli("asset", "move", a1.tag, "--to", "LMS/Room 5", "--effective", tomorrow)
    assert code == 1 and "after today" in err and err.startswith("error: ")
    code, _, err = cli("asset", "dispose", a1.tag, "--date", "2020-01-01", "--method", "recycled")
    assert code == 1 and "was bought on 2024-08-15" in err
    code, _, err = cli("asset", "set", a1.tag, "colour=red")
    assert code == 1 and "'colour' is not a field" in err
    code, _, err = cli("asset", "set", a1.tag, "cost=abc")
    assert code == 1 and err.startswith("error: ") and "\n" not in err.strip()
    code, _, err = cli("asset", "checkout", a1.tag, "--to", "NOBODY")
    assert code == 1 and "no person with the ID number 'NOBODY'" in err
    code, _, err = cli("asset", "repair", "close", a1.tag)
    assert code == 1 and "no open repair" in err
    assert Asset.get_by_id(a1.id).location_id == d["r1"].id


def test_a_back_dated_change_into_a_reported_year_says_so(cli):
    d = district()
    a1 = asset(d)
    from app.services import periods
    periods.record_year_end(2026, provisional=False)
    code, out, _ = cli("asset", "dispose", a1.tag, "--date", "2026-03-15", "--method", "recycled")
    assert code == 0
    assert out.splitlines()[-1].startswith(
        "note: prior-period change: the FY 2025–26 year-end report was produced on ")


def test_report_year_end_says_provisional_in_the_cli(cli, tmp_path):
    district()
    from app.reporting.fiscal import current_fiscal_year
    fy = current_fiscal_year()
    code, out, _ = cli("report", "year-end", "--fiscal-year", str(fy), "-o",
                       str(tmp_path / "ye.pdf"))
    assert code == 0 and out.splitlines()[1].startswith("provisional, as of today (")
    code, out, _ = cli("report", "year-end", "--fiscal-year", str(fy - 1), "-o",
                       str(tmp_path / "ye1.pdf"))
    assert code == 0 and "provisional" not in out
