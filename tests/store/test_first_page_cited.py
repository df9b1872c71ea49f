"""The app's first page, "most cited first" over a base, segments (one without a run) and a journal, is
the order of every document keyed from scratch, with each row's count as the library says it now:
however the journal's documents are tallied (``store.storage.runs``: sparse or by id), and with the
keys the order gave kept for the page's counts (``Citations.key``) only while they are the keys now."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex
from store.storage import runs
from store.storage.citations import Citations
from tests.store.test_citations import most_cited_first
from tests.store.test_cited_runs import _layered
from tui import firstpage

ORIGIN = Origin("test", "first page")


def _count(lib: Library, doc_id: int) -> int:
    meta = lib.meta(doc_id)
    assert meta is not None
    return max(meta.citation, lib.link_counts(doc_id)[1])


@pytest.mark.parametrize("sparse", [0, 1 << 20])
def test_the_first_page_is_every_document_keyed_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sparse: int
) -> None:
    monkeypatch.setattr(runs, "SPARSE", sparse)
    path = tmp_path / "library.json"
    lib = _layered(path, monkeypatch)
    assert [s.has_run for s in lib._reader.snap.segments] == [True, True, False, True]
    SearchIndex.for_library(lib)  # (the first page is searched only in a fresh index)
    order = most_cited_first(lib)
    stub = {doc_id: lib.meta(doc_id).stub for doc_id in order}  # type: ignore[union-attr]
    expected = ([d for d in order if not stub[d]] + [d for d in order if stub[d]])[: firstpage.ROWS]
    counts = [_count(lib, doc_id) for doc_id in expected]

    firstpage.start(path, "")
    page = firstpage.take(path, None)
    assert page is not None and page.results is not None and page.order == "cited"
    hits = page.results.hits
    assert [hit.doc_id for hit in hits] == expected
    assert [hit.cited for hit in hits] == counts
    assert page.index is not None
    page.index.close()
    lib.close()


def test_a_count_is_the_one_now_after_a_commit_and_in_a_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _layered(tmp_path / "library.json", monkeypatch)
    citations = Citations(lib._reader)
    first = [doc_id for _n, doc_id in zip(range(20), citations.order(), strict=False)]
    assert [citations.count(d) for d in first] == [_count(lib, d) for d in first]
    # (two counted by the library's links, not by a source's larger count: one more citing counts)
    one, two = [d for d in first if lib.link_counts(d)[1] >= lib.meta(d).citation][:2]  # type: ignore[union-attr]

    def citing(pmid: str, doc_id: int) -> Article:
        cited = lib.article(doc_id)
        return Article(pmid=pmid, title=f"Citing {pmid}", year=2025, references=[Link(pmid=cited.pmid)])

    before = citations.count(one)
    with lib.transaction() as changes:
        changes.put_article(citing("990001", one), ORIGIN)
        changes.flush()  # (a batch written as a segment: this thread's view, not committed)
        assert citations.count(one) == _count(lib, one) == before + 1
    assert two in [d for _n, d in zip(range(20), citations.order(), strict=False)]  # (the state now's)
    before = citations.count(two)
    with lib.transaction() as changes:
        changes.put_article(citing("990003", two), ORIGIN)
    assert citations.count(two) == _count(lib, two) == before + 1  # (a commit read in since)
    lib.close()
