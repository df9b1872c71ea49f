"""A search with ``limit`` 0 says how many documents match and reads no hit: a hit's count of citing
articles may read every segment's link table (57 ms at a million records). The app's first list asks
for the stubs' total only when a full page of records leaves no room for them (``tui.listing.search``)."""

from __future__ import annotations

import pytest

from store.library import Library
from store.search import SearchIndex
from store.search.index import SORTS
from store.storage.citations import Citations
from tui import listing


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The documents whose count of citing articles is read."""
    seen: list[int] = []
    count = Citations.count

    def recording(self: Citations, doc_id: int) -> int:
        seen.append(doc_id)
        return count(self, doc_id)

    monkeypatch.setattr(Citations, "count", recording)
    return seen


def test_limit_0_gives_the_total_alone(demo_library: Library, counted: list[int]) -> None:
    index = SearchIndex.for_library(demo_library)
    whole = index.search("is:stub", limit=10_000, sort="date")
    assert whole.total == len(whole.hits) > 0
    counted.clear()
    for sort in SORTS:
        alone = index.search("is:stub", limit=0, sort=sort)
        assert (alone.hits, alone.total) == ([], whole.total), sort
    assert counted == []


def test_a_full_page_of_records_counts_the_stubs_without_reading_one(
    demo_library: Library, counted: list[int]
) -> None:
    index = SearchIndex.for_library(demo_library)
    full = index.search("is:full", limit=10_000, sort="date")
    stubs = {hit.doc_id for hit in index.search("is:stub", limit=10_000, sort="date").hits}
    assert full.total > 0 and stubs
    counted.clear()
    page = listing.search(index, "", "cited", limit=full.total)
    assert {hit.doc_id for hit in page.hits} == {hit.doc_id for hit in full.hits}
    assert page.total == full.total + len(stubs)
    assert not set(counted) & stubs
