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
from store.search.index import SearchIndex, index_folder
from tests.conftest import ROOT


def _descriptors(library: Path) -> list[str]:
    """The files of ``library``'s storage (its base, journal, index, segments) this process has open, one
    name a descriptor. Only the library's folder (a thread of an earlier test's index letting go of its
    own made the count of all of them move under the test), and not its search index's folder: tantivy's
    threads open that folder's meta.json on their own schedule (each open index's watcher every 500 ms,
    and once more after the index is freed), which made a count of the folder one more, now and then,
    under load (seen 40 times in 23,007 counts with 20 indexes open, 2026-12-05)."""
    search_index = f"{index_folder(library)}{os.sep}"
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # (closed since listed)
            continue
        if target.startswith(f"{library.parent}{os.sep}") and not target.startswith(search_index):
            held.append(target)
    return sorted(held)


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
    before = _descriptors(lib)
    for _ in range(3):
        index = getattr(SearchIndex, opened)(lib)
        assert index is not None
        _search(index)  # (``open_if_fresh``: the counts' storage opened here)
        if how == "closed":
            index.close()
            index.close()  # (again: nothing)
            # (let go by ``close`` itself, the index still held: once freed, each file would close as
            # its owner is freed, and a ``close`` that did nothing passed)
            assert _descriptors(lib) == before
        del index
    gc.collect()  # (tantivy's own objects)
    assert _descriptors(lib) == before
