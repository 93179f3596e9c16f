"""Search as you type: the first page a table paints, found by walking the sort
order when most assets match, is exactly the first page of the full id list;
the count from the index alone equals the count through the asset table."""
from __future__ import annotations

import pytest

from app import listing
from app.store import bulk, search
from tests.app.factories import district


@pytest.fixture
def many(db):
    """200 assets: most are Chromebooks, a few Latitudes, one O'Brien's cart."""
    from app.services import assets
    d = district()
    rows = []
    for n in range(200):
        name = ("Latitude 3440" if n % 25 == 0 else "O'Brien cart" if n == 101
                else f"Chromebook {n % 7}")
        rows.append(assets.create(tag=f"QM-{(n * 7919) % 100_000:06d}", name=name,
                                  serial=f"5CD{n:07d}", location_id=d["r1"].id).id)
    return rows


TERMS = ["chromebook", "c", "chromebook 3", "5cd", "latitude", "o'brien", "zzz", "qm-0"]


def test_first_page_is_the_first_page_of_the_full_list(many):
    total = listing.count_all("assets")
    for term in TERMS:
        filters = {"search": term}
        hits = listing.count("assets", filters)
        for sort in ("tag", "serial", "name"):
            for descending in (False, True):
                full = listing.query_ids("assets", filters, sort, descending)
                assert hits == len(full), term
                page = listing.query_ids("assets", filters, sort, descending, limit=20,
                                         hits=hits, total=total)
                assert page == full[:20], (term, sort, descending)


def test_the_index_count_agrees_with_the_table(many):
    from app.models import Asset
    for term in TERMS:
        expr = search.match_expression(Asset.id, Asset.search_text, term)
        through_table = Asset.select().where(expr).count() if expr is not None else 200
        scanned = Asset.select().where(
            search.match_expression(Asset.id, Asset.search_text, term, scan=True)).count()
        n = search.count_matches(term)
        assert scanned == through_table
        assert n is None or n == through_table, term
    if bulk.param() == "?" and search.has_fts():
        assert search.count_matches("chromebook") == 200 - 8 - 1
        assert search.count_matches("c") is None  # shorter than a trigram: the table counts


@pytest.mark.parametrize("walk_from", [5, 10_000])
def test_first_page_without_a_count_is_the_first_page_of_the_full_list(many, monkeypatch,
                                                                     walk_from):
    """No count first (the table counts on a worker thread): the index's bounded
    count chooses the walk (5: most terms walk) or the index (10,000: none do)."""
    monkeypatch.setattr(listing, "_WALK_FROM", walk_from)
    for term in TERMS:
        filters = {"search": term}
        for sort in ("tag", "serial", "name"):
            for descending in (False, True):
                full = listing.query_ids("assets", filters, sort, descending)
                page = listing.query_ids("assets", filters, sort, descending, limit=20)
                assert page == full[:20], (term, sort, descending)


def test_the_index_counts_no_further_than_asked(many):
    if not (bulk.param() == "?" and search.has_fts()):
        assert search.fewer_matches_than("chromebook", 10) is None  # the index cannot tell
        return
    assert search.fewer_matches_than("chromebook", 10) is False  # 191 matches: stops at 10
    assert search.fewer_matches_than("chromebook", 192) is True
    assert search.fewer_matches_than("latitude", 10) is True  # 8
    assert search.fewer_matches_than("c", 10) is None  # shorter than a trigram
