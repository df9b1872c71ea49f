"""A bulk import indexes for search what it has made while it waits for its reader (``index_ahead``):
the index it commits must be the one a rebuild from the library makes, whatever changed after a
document was indexed ahead (a stub whose record came later, a stub merged into another, a batch
written in between)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import tantivy

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex
from tests.store.bulk_files import cited, pubmed_xml

ORIGIN = Origin("test", "here")


def _documents(index: SearchIndex) -> list[dict[str, Any]]:
    """Every document of a search index, as stored, in id order (the citation count, which is as of
    each document's indexing and never compared by a search, left out)."""
    searcher = index._index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), limit=max(index.count(), 1)).hits
    docs = [searcher.doc(addr).to_dict() for _score, addr in hits]
    for doc in docs:
        doc.pop("cited", None)
    return sorted(docs, key=lambda d: (d["doc_id"], sorted(d.items())))


def _assert_index_is_a_rebuild(lib: Library, tmp_path: Path) -> None:
    index = SearchIndex.open_if_fresh(lib.path)
    assert index is not None  # (committed with the library, not left stale)
    rebuilt = SearchIndex.rebuild(lib, folder=tmp_path / "rebuilt.index")
    assert index.count() == rebuilt.count() == len(list(lib.iter_docs()))
    assert _documents(index) == _documents(rebuilt)


def _ahead(lib: Library, changes: Any) -> None:
    while lib.index_ahead(changes):
        pass


def test_documents_indexed_ahead_then_changed_or_merged_away_are_indexed_as_committed(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    with lib.transaction() as changes:
        # Stubs: one named by a PMID, one by a DOI, one to grow.
        changes.put_article(
            Article(pmid="100", title="Citing record", references=[Link(pmid="1"), Link(doi="10.1234/x")]),
            ORIGIN,
        )
        changes.put_article(
            Article(pmid="101", title="Another", references=[Link(pmid="2"), Link(pmid="3")]), ORIGIN
        )
        _ahead(lib, changes)
        # The stub of PMID 1 becomes a record; a record holding PMID 3 and the DOI merges the DOI's stub
        # into it (the stub, indexed ahead, is gone); the stub of PMID 2 grows a title.
        changes.put_article(Article(pmid="1", title="Zyxomes in full", year=2020), ORIGIN)
        changes.put_article(Article(pmid="3", doi="10.1234/x", title="Merged record"), ORIGIN)
        changes.put_article(
            Article(pmid="102", title="Third", references=[Link(pmid="2", title="Grown stub title")]), ORIGIN
        )
        _ahead(lib, changes)
        changes.flush()  # (a batch written: what follows is the next batch's)
        changes.put_article(Article(pmid="2", title="Second in full", doi="10.2/y"), ORIGIN)
        changes.put_article(Article(pmid="103", title="Fourth", references=[Link(pmid="4")]), ORIGIN)
        _ahead(lib, changes)
        changes.put_article(Article(pmid="4", title="Fourth's reference in full"), ORIGIN)
    _assert_index_is_a_rebuild(lib, tmp_path)
    index = SearchIndex.for_library(lib)
    assert [h.title for h in index.search("zyxomes").hits] == ["Zyxomes in full"]
    assert [h.pmid for h in index.search("10.1234/x").hits] == ["3"]
    assert index.search("grown").hits == []  # (the stub's title, replaced by its record's)


@pytest.mark.parametrize("flush_at", [100_000, 150])
def test_an_import_read_by_a_child_commits_the_index_a_rebuild_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flush_at: int
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)  # (parsed in a child, indexed ahead meanwhile)
    monkeypatch.setattr(importer, "BATCH", 8)
    monkeypatch.setattr(importer, "FLUSH_AT", flush_at)
    calls = []
    ahead = Library.index_ahead
    monkeypatch.setattr(Library, "index_ahead", lambda lib, changes: calls.append(1) or ahead(lib, changes))
    rng = random.Random(4)
    # Records citing records later in the file (their stubs become records) and earlier ones.
    records = [(i, cited(rng, i, 400, 6)) for i in range(1, 301)]
    lib = Library.open(tmp_path / "library.json")
    import_paths(lib, [str(pubmed_xml(tmp_path / "a.xml", records))])
    import_paths(
        lib, [str(pubmed_xml(tmp_path / "b.xml", [(i, cited(rng, i, 500, 4)) for i in range(250, 420)]))]
    )
    assert calls  # (it did index ahead)
    _assert_index_is_a_rebuild(lib, tmp_path)
