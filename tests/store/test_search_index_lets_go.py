"""The search index lets go of the library's files it opened for its live citation counts
(``open_with_counts``: the storage opened with its index's check under way; ``citations``: one opened
when first asked): when it is closed, or freed. They were never closed: each index the app opened
kept the library's base and journal open (their ``OpenFile`` has no finalizer) for the life of the
process."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from store.importer import import_paths
from store.library import Library
from store.search.index import SearchIndex
from tests.conftest import ROOT


def _descriptors(folder: Path) -> int:
    """This process's descriptors open on files in ``folder`` (the library's: others, a thread of an
    earlier test's index letting go of its own, made the count of all of them move under the test)."""
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # (closed since listed)
            continue
        held += target.startswith(f"{folder}{os.sep}")
    return held


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    library = Library.open(tmp_path / "library.json")
    import_paths(library, [str(ROOT / "tests" / "data" / "pubmed_xml" / "variants.xml")])
    SearchIndex.for_library(library)  # (fresh)
    library.close()
    return library.path


def _search(index: SearchIndex) -> None:
    assert index.search("water", sort="cited").total


@pytest.mark.parametrize("how", ["closed", "freed"])
@pytest.mark.parametrize("opened", ["open_with_counts", "open_if_fresh"])
def test_the_library_files_an_index_opened_are_let_go(lib: Path, how: str, opened: str) -> None:
    gc.collect()
    before = _descriptors(lib.parent)
    for _ in range(3):
        index = getattr(SearchIndex, opened)(lib)
        assert index is not None
        _search(index)  # (``open_if_fresh``: the counts' storage opened here)
        if how == "closed":
            index.close()
            index.close()  # (again: nothing)
        del index
    gc.collect()  # (tantivy's own objects)
    assert _descriptors(lib.parent) == before
