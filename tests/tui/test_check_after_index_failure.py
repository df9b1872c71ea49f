"""After a command whose search index could not follow its commit (a full disk), ``pmbrowse check`` says
what the command said: a notice (the next search rebuilds the index), not a problem with exit 1.

Found by hand (stop 34) on an 8 MB tmpfs: the import said "the search index could not be updated
(...); what this command stored is in the library, and the next search rebuilds the index", as the
README's Reliability section calls "a notice, not a problem"; ``pmbrowse check`` then said "the search
index ... cannot be read; `pmbrowse repair` rebuilds it" and exited 1. The index is forgotten by
removing its record (``store.search.meta.forget_index``), and ``store/check.py``'s ``_check_search``
takes a missing record for an index that cannot be read."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from store.search.index import SearchIndex
from tests.store.test_bulk_import import _file
from tui.cli import main


def test_check_after_an_index_update_that_failed_notes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "lib.json")
    assert main(["--db", db, "import", str(_file(tmp_path / "a.xml", 1, 20, 20, refs=2))]) == 0

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SearchIndex, "after_write", full)
    assert main(["--db", db, "import", str(_file(tmp_path / "b.xml", 21, 5, 25, refs=2))]) == 0
    monkeypatch.undo()
    assert "the next search rebuilds the index" in capsys.readouterr().err
    code = main(["--db", db, "check"])
    out = capsys.readouterr()
    assert "cannot be read" not in out.out + out.err
    assert code == 0
