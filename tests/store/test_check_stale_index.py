"""``pmbrowse check`` of a library whose search index missed a commit (a kill -9 between the library's
commit and the index's) says what the next search does: it catches the index up, indexing again what
changed since, without a rebuild (``store.search.catchup``). Before stop 31 it said the index is rebuilt."""

from __future__ import annotations

import pytest

from store.check import check
from store.library import Library
from store.model import Article, Origin
from store.search import SearchIndex
from store.search.feed import TransactionFeed


def test_check_says_a_stale_index_is_caught_up_and_the_next_search_does_it(
    demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    SearchIndex.for_library(demo_library)
    with monkeypatch.context() as m:  # (the index's commit after the library's does not happen)
        m.setattr(TransactionFeed, "finish", lambda self, after, changed, removed: self.abort())
        with demo_library.transaction() as changes:
            changes.put_article(Article(pmid="111", title="Missed by the index"), Origin("test"))
    notes = check(demo_library.path).notes
    assert len(notes) == 1 and "the next search catches it up" in notes[0], notes

    def rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was rebuilt whole")

    monkeypatch.setattr(SearchIndex, "rebuild", rebuild)
    index = SearchIndex.for_library(demo_library)
    assert [hit.pmid for hit in index.search("111[pmid]").hits] == ["111"]
    assert check(demo_library.path).notes == []
