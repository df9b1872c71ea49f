"""A Ctrl-C after a compaction's commit, from ``Library.compact`` itself (stop 29): the compaction is
said to be in (``InterruptedAfterCommit``), whoever asked for it: ``pmbrowse compact`` (which alone
said so at stop 28), a command's end (``Library.close``: ``compact_if_due``) and the app as it quits
(``tui.screens.main.quitting``). Before, those two said "the library was left as it was" of a
compaction that went through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from store import atomicwrite
from store.errors import InterruptedAfterCommit
from store.importer import import_paths
from store.library import Library
from store.search.index import SearchIndex
from tests.conftest import ROOT

XML = ROOT / "tests" / "data" / "pubmed_xml"


def _library(tmp_path: Path) -> Library:
    """A library with commits in its journal, and its search index made (something to compact)."""
    lib = Library.open(tmp_path / "library.json")
    import_paths(lib, [str(XML / "variants.xml")])
    SearchIndex.for_library(lib)
    return lib


def _interrupted(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


WAYS: dict[str, Callable[[Library], object]] = {
    "compact": lambda lib: lib.compact(),
    "compact-due": lambda lib: lib.compact(full=False),
    "compact_if_due": lambda lib: lib.compact_if_due(),
    "close": lambda lib: lib.close(),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_a_ctrl_c_after_the_commit_says_the_compaction_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    lib = _library(tmp_path)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")  # (due: the journal is past its threshold)
    state = lib.state
    monkeypatch.setattr(SearchIndex, "after_compaction", _interrupted)  # (the search index told)
    with pytest.raises(KeyboardInterrupt) as caught:
        WAYS[way](lib)
    assert caught.type is InterruptedAfterCommit
    monkeypatch.undo()
    assert Library.open(lib.path).state != state  # (it went through)


def test_the_app_quitting_says_it_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.screens.main.quitting import compact_on_quit

    lib = _library(tmp_path)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    monkeypatch.setattr(SearchIndex, "after_compaction", _interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        compact_on_quit(lib)
    assert caught.type is InterruptedAfterCommit


@pytest.mark.parametrize("full", [True, False], ids=["full", "due"])
def test_a_ctrl_c_before_the_commit_is_a_plain_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    """(What held before: interrupted before its new files are renamed in, it left the library as it was.)"""
    lib = _library(tmp_path)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    state = lib.state
    monkeypatch.setattr(atomicwrite, "rename", _interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        lib.compact(full=full)
    assert caught.type is KeyboardInterrupt
    monkeypatch.undo()
    assert Library.open(lib.path).state == state


@pytest.mark.parametrize("full", [True, False], ids=["full", "due"])
def test_a_ctrl_c_as_the_write_lock_is_let_go_says_it_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    """Past the committer's own end (its ``InterruptedAfterCommit`` covers up to there), as the lock is
    let go: the state read under the lock moved, so the compaction is in."""
    import contextlib
    from collections.abc import Iterator

    from store.storage import committer

    lib = _library(tmp_path)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    state = lib.state
    real = committer.write_lock

    @contextlib.contextmanager
    def write_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
        with real(path, timeout):
            yield
        raise KeyboardInterrupt  # (let go)

    monkeypatch.setattr(committer, "write_lock", write_lock)
    with pytest.raises(KeyboardInterrupt) as caught:
        lib.compact(full=full)
    assert caught.type is InterruptedAfterCommit
    monkeypatch.undo()
    assert Library.open(lib.path).state != state
