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


def most_cited_first(lib: Library) -> list[int]:
    """Every document most cited first, keyed one by one from scratch from what the library says of it
    (the order ``Citations`` must give; ``test_cited_runs`` uses it too)."""
    from store.storage.indexwriter import cited_key

    keyed = []
    for doc_id, _doc in lib.iter_docs():
        meta = lib.meta(doc_id)
        assert meta is not None
        keyed.append((cited_key(meta.citation, lib.link_counts(doc_id)[1], meta.year, doc_id), doc_id))
    return [doc_id for _key, doc_id in sorted(keyed, reverse=True)]


def test_the_order_is_ranked_once_per_state_and_stays_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranking what the journal and the segments touch is done once per state of the library (it was
    done at every call: a third of a second at 100k), and after a commit only the documents the commit
    touched are keyed again; the order stays the one a fresh reading gives, through journal commits,
    a batched commit written as segments, a removal and a compaction."""
    from store.storage.citations import Citations
    from store.storage.snapshot import Snapshot

    lib = _library(tmp_path / "library.json")
    citations = Citations(lib._reader)
    keyed: list[int] = []  # documents whose meta was read (from the journal: everything, so far)
    meta = Snapshot.meta

    def counting(snap: Snapshot, doc_id: int) -> object:
        keyed.append(doc_id)
        return meta(snap, doc_id)

    monkeypatch.setattr(Snapshot, "meta", counting)
    assert list(citations.order()) == most_cited_first(lib)
    keyed.clear()
    assert list(citations.order()) == list(citations.order()) == most_cited_first(lib)
    first = len(keyed)
    assert list(citations.order()) and len(keyed) == first == len(lib)  # (the oracle's own reads)
    # One new record citing record 2: it, record 2, and nothing else, keyed again.
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="8", title="New", year=2020, references=[Link(pmid="2")]), ORIGIN)
    keyed.clear()
    assert list(citations.order()) and sorted(keyed) == sorted([lib.find("2"), lib.find("8")])
    assert list(citations.order()) == most_cited_first(lib)
    # A batch written as a segment (as a bulk import writes them), then more in the journal.
    with lib.transaction() as changes:
        for pmid in ("9", "10", "11"):
            changes.put_article(
                Article(pmid=pmid, title="Batch", year=2011, references=[Link(pmid="4"), Link(pmid="9")]),
                ORIGIN,
            )
        changes.flush()
        changes.put_article(Article(pmid="12", title="Late", year=2012, references=[Link(pmid="4")]), ORIGIN)
    assert lib.path.with_name(lib.path.name + ".segments").exists()
    assert list(citations.order()) == most_cited_first(lib)
    assert lib.find("4") == next(citations.order())  # cited 4 times now
    # After a compaction, the base's own order and nothing touched.
    assert lib.compact()
    assert list(citations.order()) == most_cited_first(lib)
    assert citations.ranked_changes().touched == set()
