"""A library let go is freed by its reference count, not left for the garbage collector (which the app
pauses: ``tui.collector``), with its mappings and descriptors (stop 30, item 7 of fix30's task).

A state's index rebuilder (``opening.Reindex``) held the library's files (``LibraryFiles``), whose
current state holds the rebuilder: ``files.snap -> snap.reindex -> Reindex.files -> files``. Dropping a
library freed ~100 objects only at the collector's next pass (the files, 2 states, 3 open files, the
base's index and its mappings). It now holds the files weakly."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.library import Library


@pytest.fixture
def no_collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("closed", [False, True], ids=["dropped", "closed"])
def test_a_library_let_go_is_freed_without_the_collector(
    tmp_path: Path, no_collector: None, closed: bool
) -> None:
    path = tmp_path / "library.json"
    Library.open(path)._storage.close()
    library = Library.open(path)
    library.stats()
    files = weakref.ref(library._storage.files)
    state = weakref.ref(library._storage.files.snap)
    if closed:
        library.close()
    del library
    assert files() is None and state() is None


def test_a_state_kept_after_its_library_was_let_go_can_still_rebuild_its_index(
    tmp_path: Path, no_collector: None
) -> None:
    """A reader may still hold a state when its library is let go: its rebuilder then works through
    files of its own."""
    path = tmp_path / "library.json"
    Library.open(path)._storage.close()
    library = Library.open(path)
    snap = library._storage.files.snap
    files = weakref.ref(library._storage.files)
    del library
    assert files() is None
    assert snap.reindex is not None
    index = snap.reindex("a test")
    try:
        assert index.max_id >= 1  # (the demo article and its links)
    finally:
        index.close()
