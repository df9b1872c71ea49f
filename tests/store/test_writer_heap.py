"""The search index's writers of an import (a bulk import's feed, a commit's update) and of a catch-up are
given ``WRITER_HEAP``, tantivy's indexing budget (the memory its arenas fill before each writes a segment,
held for the writer's life), and one indexing thread: 128 MB in two threads was some 110 MB of every
import's memory floor; 32 MB in one thread made as many segments as 64 MB in two, for no more CPU. A
rebuild, bound by tantivy's work, keeps two threads and 128 MB (see ``store.search.writer``)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Origin
from store.search import SearchIndex, writer
from store.search.feed import TransactionFeed
from store.search.meta import forget_index
from tests.store.bulk_files import cited, pubmed_xml

ORIGIN = Origin("test", "here")


class _Recorded:
    """A tantivy index whose writers' heaps are noted."""

    def __init__(self, index: Any, heaps: list[tuple[int, int]]) -> None:
        self._index = index
        self._heaps = heaps

    def writer(self, heap_size: int = 128_000_000, num_threads: int = 0) -> Any:
        self._heaps.append((heap_size, num_threads))
        return self._index.writer(heap_size=heap_size, num_threads=num_threads)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def test_an_imports_index_writers_get_the_small_heap_and_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heaps: list[tuple[int, int]] = []
    opened = SearchIndex._open_folder
    monkeypatch.setattr(
        SearchIndex, "_open_folder", staticmethod(lambda folder: _Recorded(opened(folder), heaps))
    )
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)  # (a bulk import: its batches fed as they go)
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    rng = random.Random(5)
    lib = Library.open(tmp_path / "library.json", demo=False)
    SearchIndex.for_library(lib)  # (built, empty)
    import_paths(
        lib, [str(pubmed_xml(tmp_path / "a.xml", [(i, cited(rng, i, 200, 5)) for i in range(1, 151)]))]
    )
    import_paths(lib, [str(pubmed_xml(tmp_path / "b.xml", [(i, []) for i in range(300, 303)]))])
    forget_index(lib.path)
    index = SearchIndex.for_library(lib)  # (rebuilt)
    assert index.search("cells").total == lib.stats().records == 153
    # The empty index's rebuild, the bulk import's feed, the small import's update, the rebuild.
    assert heaps[0] == heaps[-1] == (writer.REBUILD_HEAP, 0) == (128_000_000, 0)
    assert len(heaps) >= 4
    assert set(heaps[1:-1]) == {(writer.WRITER_HEAP, writer.WRITER_THREADS)} == {(32_000_000, 1)}


def test_a_catch_ups_index_writer_gets_the_small_heap_and_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catch-up (the index missed a commit: a kill between the library's commit and the index's)
    re-indexes the layers it has not seen with the writer an update has (``open_writer``), not
    tantivy's automatic threads."""
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="99000001", title="Narwhal"), ORIGIN)
    with monkeypatch.context() as m:  # (the index's commit after the library's does not happen)
        m.setattr(TransactionFeed, "finish", lambda self, after, changed, removed: self.abort())
        with lib.transaction() as changes:
            changes.put_article(Article(pmid="99000002", title="Walrus"), ORIGIN)
    assert SearchIndex.open_if_fresh(lib.path) is None  # (stale: it missed a commit)
    heaps: list[tuple[int, int]] = []
    opened = SearchIndex._open_folder
    monkeypatch.setattr(
        SearchIndex, "_open_folder", staticmethod(lambda folder: _Recorded(opened(folder), heaps))
    )
    monkeypatch.setattr(SearchIndex, "rebuild", lambda *args, **kwargs: pytest.fail("rebuilt whole"))
    index = SearchIndex.for_library(lib)  # (caught up)
    assert [h.pmid for h in index.search("walrus").hits] == ["99000002"]
    assert heaps == [(writer.WRITER_HEAP, writer.WRITER_THREADS)]
