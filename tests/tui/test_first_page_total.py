"""The first list's total without a search of the stubs: with the page full of records, the total of
"All articles" is the index's count of documents (each is a record or a stub), not a second search that
counts the stubs (4.5 ms of CPU at a million records, on the app's first page: ``tui.listing.search``)."""

from __future__ import annotations

import pytest

from store.library import Library
from store.search import SearchIndex
from tui import listing


def test_a_full_page_of_records_is_one_search(demo_library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    index = SearchIndex.for_library(demo_library)
    full = index.search("is:full", limit=10_000, sort="date").total
    stubs = index.search("is:stub", limit=10_000, sort="date").total
    assert full > 0 and stubs > 0
    asked: list[str] = []
    search = SearchIndex.search

    def recording(self: SearchIndex, query: object, **kwargs: object) -> object:
        asked.append(str(query))
        return search(self, query, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SearchIndex, "search", recording)
    for order in listing.orders(""):
        asked.clear()
        page = listing.search(index, "", order, limit=full)
        assert (len(page.hits), page.total) == (full, full + stubs), order
        assert asked == ["is:full"], order
    # (A page with room for stubs still searches them, and its total is the same.)
    asked.clear()
    page = listing.search(index, "", "cited", limit=full + 1)
    assert asked == ["is:full", "is:stub"]
    assert (len(page.hits), page.total) == (full + 1, full + stubs)


class _Counting:
    """A search index's tantivy index whose searchers note each search that counts its hits."""

    def __init__(self, index: object, counted: list[object]) -> None:
        self._index, self._counted = index, counted

    def searcher(self) -> object:
        index, counted = self._index, self._counted

        class Searcher:
            def __getattr__(self, name: str) -> object:
                return getattr(searcher, name)

            def search(self, *args: object, **kwargs: object) -> object:
                if kwargs.get("count"):
                    counted.append(args[0])
                return searcher.search(*args, **kwargs)

        searcher = index.searcher()  # type: ignore[attr-defined]
        return Searcher()

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)


def test_a_full_first_page_most_cited_counts_no_hits(demo_library: Library) -> None:
    """The first list, most cited first and full, counts none of its hits: its total is the index's
    count of documents (counting ``is:full`` took 11 ms of CPU at a million records). Seen red with
    ``listing.search`` asking for the count (one counting search)."""
    index = SearchIndex.for_library(demo_library)
    full = index.search("is:full", limit=10_000, sort="date").total
    counted: list[object] = []
    index._index = _Counting(index._index, counted)
    page = listing.search(index, "", "cited", limit=min(full, 21))
    assert counted == []
    assert (len(page.hits), page.total) == (min(full, 21), index.count())
    # (a page not full is counted: its total is the sum of the two kinds')
    page = listing.search(index, "", "cited", limit=full + 1)
    assert len(counted) == 2 and page.total == index.count()
