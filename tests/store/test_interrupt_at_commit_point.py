"""An interrupt (Ctrl-C) or an error that comes after a commit's point and before the line that marks
it committed (``Committer.transaction``: ``_past_commit_point``): the commit stands, its segments are
kept, and it is said to be in. Before, a Ctrl-C during the folder's fsync after a listing's rename
removed the segments the new journal lists: the library no longer opened, and the commits the journal
held before were in the first of them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import store.importer as importer
from store import atomicwrite
from store.errors import InterruptedAfterCommit
from store.importer import import_paths
from store.library import Library
from tests.store.bulk_files import pmid
from tests.store.test_bulk_import import _file, _segments
from tests.store.test_crash_consistency import assert_links_agree


def _large(tmp_path: Path) -> Library:
    """A library whose base is large enough that a bulk import lists its segments (no fold)."""
    lib = Library.open(tmp_path / "lib.json")
    lib.fold_when_due()
    import_paths(lib, [str(_file(tmp_path / "big.xml", 1, 600, 600, refs=6))])
    assert lib.compact()
    import_paths(lib, [str(_file(tmp_path / "one.xml", 900, 1, 900, refs=2))])  # (a journal commit)
    return lib


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError], ids=["ctrl-c", "oserror"])
def test_an_interrupt_after_a_listing_is_renamed_in_keeps_its_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    lib = _large(tmp_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 100)
    real_rename, real_fsync_dir = atomicwrite.rename, atomicwrite.fsync_dir
    renamed: list[Path] = []

    def rename(source: Path, target: Path) -> None:
        real_rename(source, target)
        renamed.append(Path(target))

    def fsync_dir(folder: Path) -> None:
        if renamed and renamed[-1].name.endswith(".journal"):
            raise failure()  # (the folder's fsync after the journal's rename: past the commit point)
        real_fsync_dir(folder)

    monkeypatch.setattr(atomicwrite, "rename", rename)
    monkeypatch.setattr(atomicwrite, "fsync_dir", fsync_dir)
    more = _file(tmp_path / "more.xml", 601, 60, 660, refs=4)
    if failure is KeyboardInterrupt:
        with pytest.raises(BaseException) as caught:
            import_paths(lib, [str(more)])
        assert caught.type is InterruptedAfterCommit  # (said to be in: "interrupted; ... imported")
    else:
        import_paths(lib, [str(more)])  # (the commit stands: not a failed import)
    monkeypatch.undo()
    assert renamed and _segments(lib)
    again = Library.open(lib.path)
    assert again.stats().records == 662  # (600, the one of the journal, 60 more, and the demo's 1)
    assert again.get(pmid(900)) is not None  # (the journal's commit, in the first listed segment)
    assert_links_agree(again)


def test_an_interrupt_after_a_journal_seal_is_fsynced_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _large(tmp_path)
    journal = lib.path.with_name(lib.path.name + ".journal")
    before = journal.stat().st_size
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if os.path.samestat(os.fstat(fd), journal.stat()):
            raise KeyboardInterrupt  # (its seal durable, before the commit is marked)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(BaseException) as caught:
        import_paths(lib, [str(_file(tmp_path / "two.xml", 901, 1, 901, refs=2))])
    assert caught.type is InterruptedAfterCommit
    monkeypatch.undo()
    assert journal.stat().st_size > before
    again = Library.open(lib.path)
    assert again.get(pmid(901)) is not None
    assert_links_agree(again)


def test_an_interrupt_while_the_search_index_is_updated_lets_go_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the library's commit, while the search index takes the last batch
    (``TransactionFeed.finish``): the commit is said to be in, and the index's writer and lock are let
    go, so the same library's next commits keep it fresh (before, its lock stayed held in the process)."""
    from store.lock import write_lock
    from store.search import SearchIndex
    from store.search.feed import IndexFeed
    from store.search.index import index_folder

    lib = Library.open(tmp_path / "lib.json", demo=False)
    import_paths(lib, [str(_file(tmp_path / "a.xml", 1, 50, 50, refs=3))])
    monkeypatch.setattr(importer, "FLUSH_AT", 100)

    def interrupted(self: IndexFeed, after: object) -> None:
        raise KeyboardInterrupt  # (before the index's commit, which lets go of it)

    monkeypatch.setattr(IndexFeed, "commit", interrupted)
    with pytest.raises(BaseException) as caught:
        import_paths(lib, [str(_file(tmp_path / "b.xml", 51, 300, 350, refs=3))])
    assert caught.type is InterruptedAfterCommit
    monkeypatch.undo()
    assert lib.stats().records == 350
    with write_lock(index_folder(lib.path), timeout=0):  # (not held by the interrupted feed)
        pass
    import_paths(lib, [str(_file(tmp_path / "c.xml", 400, 1, 400, refs=2))])
    index = SearchIndex.for_library(lib)  # (rebuilt: the interrupted update was not committed)
    assert index.count() == sum(1 for _ in lib.iter_docs())
