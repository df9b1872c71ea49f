"""Interrupts held off while the search index is brought in step after the library's commit
(``store.interrupts``): a Ctrl-C there left the index of the state before, so the next search rebuilt
it whole (190 s at a million records). Now the command stops once the index is committed, and says
that the library committed; the index is fresh."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from store import importer
from store.errors import InterruptedAfterCommit
from store.importer import import_paths
from store.interrupts import held_off
from store.library import Library
from store.search import feed
from store.search.index import SearchIndex
from tests.store.bulk_files import pubmed_xml


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture(autouse=True)
def _as_in_a_terminal() -> Iterator[None]:
    """Ctrl-C, a hang-up and a kill with the handlers a program started in a terminal has (a suite run
    in the background, or under ``nohup``, starts with some of them ignored)."""
    wanted = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
        signal.SIGHUP: signal.SIG_DFL,
    }
    before = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_a_ctrl_c_in_the_block_lands_after_it() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), held_off():
        _ctrl_c()
        done.append("the rest of the block")
    assert done == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture
def sigterm_ignored() -> Iterator[None]:
    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def test_an_ignored_signal_stays_ignored(sigterm_ignored: None) -> None:
    with held_off():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_an_error_in_the_block_comes_first() -> None:
    with pytest.raises(ValueError), held_off():
        _ctrl_c()
        raise ValueError("the block's own")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _interrupted_during(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """``owner.name`` sends this process a Ctrl-C as it starts, then does its work."""
    real: Callable[..., Any] = getattr(owner, name)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        _ctrl_c()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, interrupted)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library.json")
    import_paths(lib, [pubmed_xml(tmp_path / "first.xml", [(1, []), (2, [1])])])  # (its index made)
    assert SearchIndex.open_if_fresh(lib.path) is not None
    yield lib
    lib.close()


def _fresh(lib: Library) -> bool:
    index = SearchIndex.open_if_fresh(lib.path)
    if index is None:
        return False
    index.close()
    return True


def test_a_ctrl_c_as_a_bulk_import_commits_its_index_leaves_the_index_fresh(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import (its batches indexed as written: ``feed.IndexFeed``). Red before: the index was
    of the state before the import, rebuilt whole at the next search."""
    monkeypatch.setattr(importer, "FLUSH_AT", 2)
    _interrupted_during(monkeypatch, feed.IndexFeed, "commit")
    records = [(i, [1, i - 1]) for i in range(3, 12)]
    before = library.stats().records
    with pytest.raises(InterruptedAfterCommit):
        import_paths(library, [pubmed_xml(tmp_path / "more.xml", records)])
    assert library.stats().records == before + 9
    assert _fresh(library)


def test_a_ctrl_c_as_a_small_commit_updates_the_index_leaves_it_fresh(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit without batches (the index updated after it: ``SearchIndex.update``)."""
    _interrupted_during(monkeypatch, SearchIndex, "update")
    before = library.stats().records
    with pytest.raises(InterruptedAfterCommit):
        import_paths(library, [pubmed_xml(tmp_path / "one.xml", [(3, [1])])])
    assert library.stats().records == before + 1
    assert _fresh(library)
