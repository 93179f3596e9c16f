"""The asset import streams: what it keeps across the whole file is compact
(keys.KeyMap, a few bytes a row), never the rows, their problems' context,
or a dict per new holder; the new holders are written a page at a time."""
from __future__ import annotations

import tracemalloc

from app import importing, listing
from app.importing.keys import KeyMap
from app.importing.kinds import AssetHandler
from app.models import Asset, HistoryEntry, Loan, Person
from tests.app.test_import import _write


def test_keymap_remembers_every_key_and_nothing_else():
    m = KeyMap()
    for n in range(50_000):  # grows from 1,024 slots, several times
        assert m.add(f"QM-{n:06d}", n) is None
    assert len(m) == 50_000
    assert all(m.get(f"QM-{n:06d}") == n for n in range(0, 50_000, 7))
    assert m.add("QM-000042", 7) == 42 and m["QM-000042"] == 42  # add keeps the first
    m["QM-000042"] = -1
    assert m.get("QM-000042") == -1 and "QM-000042" in m
    assert m.get("QM-050000") is None and "qm-000001" not in m and 5 not in m
    assert m.nbytes() <= 50_000 * 16 / 0.5  # 16 bytes a slot, at least half full


def _rows(n: int, holders: bool = True) -> list[list[str]]:
    rows = [["Asset Tag", "Serial", "Model", "Site", "Room", "Assigned To", "Assigned To ID"]]
    for i in range(n):
        held = holders and i % 2 == 0
        rows.append([f"ST-{i:06d}", f"SN{i:08d}X", f"Model {i % 7}", f"Site {i % 3}",
                     f"Room {i % 50}", f"Person{i // 4}, Pat" if held else "",
                     f"S{i // 4:07d}" if held else ""])
    return rows


def _python_memory_of_preview(path) -> int:
    tracemalloc.start()
    try:
        p = importing.preview(path)
        assert p.created and not p.problems
        return tracemalloc.get_traced_memory()[1]  # the peak of Python's own allocations
    finally:
        tracemalloc.stop()


def test_memory_held_does_not_grow_a_row_at_a_time(db, tmp_path):
    """Checking 12,000 rows more holds less than 200 bytes a row more at its
    peak: the key tables (tags, serials, the new holders' keys), whose
    doubling is the whole of it. (Keeping the rows, sets of tag strings or a
    dict per new holder cost 470 bytes a row here; a 1,000,000-row import
    within 300 MB has about 200 to spare.)"""
    _python_memory_of_preview(_write(tmp_path / "warm.csv", _rows(200)))  # modules loaded
    small = _python_memory_of_preview(_write(tmp_path / "small.csv", _rows(2_000)))
    large = _python_memory_of_preview(_write(tmp_path / "large.csv", _rows(14_000)))
    assert large - small < 12_000 * 200, (small, large)


def test_new_holders_land_a_page_at_a_time_with_history_loans_and_search(db, tmp_path,
                                                                         monkeypatch):
    """Small pages: a holder's second asset is written after the page that
    created them (their id and name are read back for it)."""
    monkeypatch.setattr(AssetHandler, "PAGE", 10)
    done = importing.commit(_write(tmp_path / "held.csv", _rows(60)))
    assert (done.created, done.problems) == (60, [])
    people = {p.id_number: p for p in Person.select()}
    assert len(people) == 15  # rows 0, 2, … 58 held by S0000000 … S0000014, two rows each
    held = list(Asset.select().where(Asset.assigned_person.is_null(False)).order_by(Asset.id))
    assert len(held) == 30
    for a in held:
        n = int(a.tag[3:])
        assert a.assigned_person.id_number == f"S{n // 4:07d}"
        assert a.assigned_person.first_name == "Pat" and a.assigned_person.last_name == f"Person{n // 4}"
    open_loans = {(ln.asset_id, ln.person_id) for ln in Loan.select().where(Loan.returned_at.is_null())}
    assert open_loans == {(a.id, a.assigned_person_id) for a in held}
    made = HistoryEntry.select().where((HistoryEntry.entity == "person")
                                       & (HistoryEntry.action == "create"))
    assert sorted(e.entity_id for e in made) == sorted(p.id for p in people.values())
    assert all(e.effective is not None for e in made)
    # The second asset of a holder, written pages after the one that created them.
    second = next(a for a in held if a.tag == "ST-000058")
    assert "person14" in second.search_text and "s0000014" in second.search_text
    assert listing.query_ids("assets", {"search": "person14"}) == \
        [a.id for a in held if a.tag in ("ST-000056", "ST-000058")]


def test_adding_rooms_still_refuses_a_room_its_site_has(db):
    """add_rooms reads only the rooms named like the ones it adds (an import
    calls it each page): a clash in any letter case is still found."""
    import pytest

    from app.models import Location
    from app.services import catalog
    from app.services.errors import Conflict
    site = catalog.create_site("Lincoln High")
    other = catalog.create_site("Adams Elementary")
    catalog.create_location(site.id, "Room 12")
    catalog.create_location(site.id, "Sala Ñandú")
    for clash in ("room 12", "SALA ÑANDÚ"):
        with pytest.raises(Conflict, match="already has a room"):
            catalog.add_rooms([(other.id, "Gym"), (site.id, clash)])
    made = catalog.add_rooms([(other.id, "Room 12"), (site.id, "Room 13")])
    assert [Location.get_by_id(i).name for i in made] == ["Room 12", "Room 13"]
