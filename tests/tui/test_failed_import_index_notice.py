"""An import that fails before its commit says only that: not that what it stored is in the library.

Found by hand (stop 34) on an 8 MB tmpfs with 100 KB left: a 1,000-record import's search index
filled the disk while a batch was indexed, then the next batch's segment did, and the command said
both "the search index could not be updated (...); what this command stored is in the library, and
the next search rebuilds the index" and "short write (is the disk full?); the library was left as
it was before this command" (exit 3). The library was as it was; but the index had been forgotten
(``store.search.feed.TransactionFeed._guard`` calls ``forget_index`` and says the notice at once, before
the library's commit), so ``pmbrowse check`` then failed on the search index ("cannot be read;
`pmbrowse repair` rebuilds it", exit 1) and the next search rebuilt it whole."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import store.importer as importer
from store.library import Library
from store.search.feed import IndexFeed
from store.search.index import SearchIndex
from store.storage.committer import Committer
from tests.store.test_bulk_import import _file
from tui.cli import main


def _full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_an_import_whose_index_then_its_segment_fill_the_disk_says_it_left_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "lib.json")
    assert main(["--db", db, "import", str(_file(tmp_path / "a.xml", 1, 40, 40, refs=3))]) == 0
    b = _file(tmp_path / "b.xml", 41, 30, 70, refs=3)
    capsys.readouterr()
    monkeypatch.setattr(importer, "FLUSH_AT", 10)  # (batches written as they go, indexed as they come)
    monkeypatch.setattr(IndexFeed, "add", _full)  # (the first batch's documents fill the disk...)
    spill = Committer.spill
    spills: list[int] = []

    def second_full(self: Committer, *args: object) -> None:
        spills.append(1)
        if len(spills) > 1:  # (...and then the second batch's segment)
            _full()
        spill(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Committer, "spill", second_full)
    code = main(["--db", db, "import", str(b)])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 3 and "the library was left as it was before this command" in err
    assert Library.open(Path(db)).stats().records == 41  # (40 and the demo article: as it was)
    assert "what this command stored is in the library" not in err, err
    assert SearchIndex.open_if_fresh(Path(db)) is not None  # (the index was never changed: kept)
    assert main(["--db", db, "check"]) == 0
