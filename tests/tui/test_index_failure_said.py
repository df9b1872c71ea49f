"""A search index that cannot be kept in step with a commit (a full disk while it is written) is
forgotten and rebuilt at the next search, and the command says so on stderr as it ends. Before, an
import that filled the disk while it wrote the index said nothing and exited 0, and the next search
then failed ("cannot build the search index ... No space left on device") with no word of why (found
by hand on a 75 MB tmpfs, 2026-12-05)."""

from __future__ import annotations

from pathlib import Path

import pytest

import store.importer as importer
from store.library import Library
from store.search.feed import IndexFeed
from store.search.index import SearchIndex
from tests.store.bulk_files import pmid
from tests.store.test_bulk_import import _file
from tui.cli import main

FULL = "An IO error occurred: 'No space left on device (os error 28)'"  # (as tantivy raises it)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    _run.out = out  # type: ignore[attr-defined]
    return code, err


def test_an_import_whose_index_update_fails_says_so_and_the_next_search_mends_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "lib.json")
    _run(capsys, "--db", db, "import", str(_file(tmp_path / "a.xml", 1, 40, 40, refs=3)))

    def full(self: IndexFeed, after: object) -> None:
        self.rollback()
        raise ValueError(FULL)

    monkeypatch.setattr(importer, "FLUSH_AT", 10)  # (batches written as they go: the bulk feed)
    monkeypatch.setattr(IndexFeed, "commit", full)
    code, err = _run(capsys, "--db", db, "import", str(_file(tmp_path / "b.xml", 41, 30, 70, refs=3)))
    assert code == 0  # (the library's commit stands: the import is in)
    assert "the search index could not be updated" in err and "No space left on device" in err
    assert "the next search rebuilds the index" in err
    assert err.count("search index could not be updated") == 1
    monkeypatch.undo()
    assert Library.open(Path(db)).stats().records == 71  # (70 and the demo article a new library holds)
    code, err = _run(capsys, "--db", db, "search", pmid(55))
    assert code == 0 and "could not be updated" not in err
    assert pmid(55) in _run.out  # type: ignore[attr-defined]  # (found by the rebuilt index)
    index = SearchIndex.open_if_fresh(Path(db))
    assert index is not None and index.count() == sum(1 for _ in Library.open(Path(db)).iter_docs())


def test_a_small_import_whose_index_update_fails_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "lib.json")
    _run(capsys, "--db", db, "import", str(_file(tmp_path / "a.xml", 1, 20, 20, refs=2)))

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SearchIndex, "after_write", full)  # (one commit, no batch: the index after it)
    code, err = _run(capsys, "--db", db, "import", str(_file(tmp_path / "b.xml", 21, 5, 25, refs=2)))
    assert code == 0
    assert "the search index could not be updated (No space left on device)" in err
    monkeypatch.undo()
    code, err = _run(capsys, "--db", db, "import", str(_file(tmp_path / "c.xml", 26, 5, 30, refs=2)))
    assert code == 0 and "could not be updated" not in err  # (each failure said once, by its command)


def test_a_command_whose_index_is_kept_says_nothing_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "lib.json")
    _run(capsys, "--db", db, "import", str(_file(tmp_path / "a.xml", 1, 20, 20, refs=2)))
    code, err = _run(capsys, "--db", db, "import", str(_file(tmp_path / "b.xml", 21, 20, 40, refs=2)))
    assert code == 0 and "search index" not in err
