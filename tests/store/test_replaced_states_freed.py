"""A state of the library, once replaced (a catch-up after a commit, a reopening after a compaction)
and no longer read, is freed by its reference count, without the cyclic garbage collector, which the
app pauses (``tui.collector``). The opening's index rebuilder (``Snapshot.reindex``) was a lambda that
held the state it was made for: a cycle, so a replaced state (its journal's tables: large) waited for
the collector; and since the states a catch-up makes from it share the rebuilder, the state the
library was opened in was kept as long as any of them was."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.importer import import_paths
from store.library import Library
from store.model import Article, Origin
from tests.conftest import ROOT

ORIGIN = Origin("test", "here")


@pytest.fixture
def collector_paused() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _commit(path: Path, pmid: str) -> None:
    other = Library.open(path)
    with other.transaction() as changes:
        changes.put_article(Article(pmid=pmid, title=f"Article {pmid}"), ORIGIN)
    other._storage.close()


def test_a_state_replaced_by_a_catch_up_is_freed(lib_path: Path, collector_paused: None) -> None:
    lib = Library.open(lib_path)
    opened = weakref.ref(lib._reader.snap)
    _commit(lib_path, "60000001")
    assert lib.refresh()
    _commit(lib_path, "60000002")
    assert lib.refresh()
    assert lib.get("60000002") is not None
    assert opened() is None


def test_a_state_left_behind_by_compactions_is_freed(lib_path: Path, collector_paused: None) -> None:
    first = Library.open(lib_path)
    import_paths(first, [str(ROOT / "tests" / "data" / "pubmed_xml" / "variants.xml")])
    first._storage.close()
    lib = Library.open(lib_path)
    opened = weakref.ref(lib._reader.snap)  # (the state opening made: its rebuilder made there)
    for pmid in ("60000001", "60000002"):  # (each a new base: the state before is left, then closed)
        _commit(lib_path, pmid)
        other = Library.open(lib_path)
        assert other.compact()
        other._storage.close()
        assert lib.refresh()
    assert lib.get("60000002") is not None
    assert opened() is None


def test_a_later_state_rebuilds_the_index_without_the_first(lib_path: Path, collector_paused: None) -> None:
    """(The rebuilder no longer needs the state the library was opened in: it holds the base.)"""
    lib = Library.open(lib_path)
    opened = weakref.ref(lib._reader.snap)
    _commit(lib_path, "60000001")
    assert lib.refresh()
    assert opened() is None
    snap = lib._reader.current()
    assert snap.reindex is not None
    index = snap.reindex("a test")
    assert index.generation == snap.generation and index.next_id == snap.index.next_id  # type: ignore[union-attr]
    assert any("rebuilt" in line for line in lib.notices)


def test_a_rebuild_after_the_library_is_closed_reads_no_other_file(lib_path: Path) -> None:
    """Its base closed (the library closed, or moved on), a rebuild says so (``FileClosed``): it read
    the descriptor the state was opened with, whose number the next ``open`` takes."""
    from store.openfile import FileClosed

    lib = Library.open(lib_path)
    _commit(lib_path, "60000001")
    assert lib.refresh()
    snap = lib._reader.current()
    lib._storage.close()
    assert snap.reindex is not None
    with pytest.raises(FileClosed):
        snap.reindex("a test")


def test_a_file_held_is_closed_as_the_hold_ends(tmp_path: Path) -> None:
    import os

    from store.openfile import FileClosed, OpenFile

    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    file = OpenFile(os.open(path, os.O_RDONLY), path)
    with file.held() as fd:
        file.close()
        assert os.pread(fd, 3, 0) == b"xxx"  # (still open: the hold is a read in flight)
    with pytest.raises(OSError):
        os.fstat(fd)
    with pytest.raises(FileClosed), file.held():
        pass
