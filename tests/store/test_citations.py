""" "Most cited first" follows the library's links as they are now, not as each record was indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex

ORIGIN = Origin("test", "citations")


def _library(path: Path) -> Library:
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        for pmid, year in (("1", 2001), ("2", 2002), ("3", 2003)):
            changes.put_article(Article(pmid=pmid, title=f"Cell study {pmid}", year=year), ORIGIN)
        changes.put_article(
            Article(pmid="4", title="Cell study 4", year=2004, references=[Link(pmid="1")]), ORIGIN
        )
    return lib


def _order(index: SearchIndex, query: str) -> list[tuple[str | None, int]]:
    return [(h.pmid, h.cited) for h in index.search(query, sort="cited", limit=10).hits]


@pytest.mark.parametrize("walk", [False, True])
def test_records_cited_after_they_were_indexed_rise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, walk: bool
) -> None:
    if walk:  # the path of queries with many hits: the library's order, a chunk at a time
        monkeypatch.setattr("store.search.cited.FETCH_ALL", 0)
        monkeypatch.setattr("store.search.cited.CHUNK", 2)
    lib = _library(tmp_path / "library.json")
    index = SearchIndex.for_library(lib)
    assert _order(index, "cell") == [("1", 1), ("4", 0), ("3", 0), ("2", 0)]
    # Three new records cite record 3: its document is not rewritten, its count is.
    with lib.transaction() as changes:
        for pmid in ("5", "6", "7"):
            changes.put_article(
                Article(pmid=pmid, title="Other", year=2010, references=[Link(pmid="3")]), ORIGIN
            )
    index = SearchIndex.open_if_fresh(lib.path)
    assert index is not None
    assert _order(index, "cell") == [("3", 3), ("1", 1), ("4", 0), ("2", 0)]
    full = [h.pmid for h in index.search("is:full", sort="cited", limit=3).hits]
    assert full == ["3", "1", "5"]  # (then, of those cited by none, the newest, the first added)
    assert [h.pmid for h in index.search("", sort="cited", limit=2).hits] == ["3", "1"]
    # Other orders show the live counts too.
    assert {h.pmid: h.cited for h in index.search("cell", sort="date").hits}["3"] == 3
    # And after a compaction, which writes the order into the new base's index.
    assert lib.compact()
    index = SearchIndex.open_if_fresh(lib.path)
    assert index is not None and _order(index, "cell") == [("3", 3), ("1", 1), ("4", 0), ("2", 0)]


def test_a_count_a_service_reports_ranks_as_the_library_counts_do(tmp_path: Path) -> None:
    lib = _library(tmp_path / "library.json")
    doc = Article(pmid="9", title="Cell study 9", year=1999).to_doc()
    doc["metrics"] = {"europepmc": {"fetched": "2026-12-03T10:15:09Z", "citation_count": 31}}
    with lib.transaction() as changes:
        changes.put_document(doc, ORIGIN)
    index = SearchIndex.for_library(lib)
    assert _order(index, "cell")[:2] == [("9", 31), ("1", 1)]
    assert lib.compact() and _order(SearchIndex.for_library(lib), "cell")[:2] == [("9", 31), ("1", 1)]
