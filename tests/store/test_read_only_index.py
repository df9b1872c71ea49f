"""A library on read-only media searches with its own search index, and ``check`` finds that index
sound. Before, tantivy could not take its lock file there ("Failed to acquire Lockfile ... Read-only
file system"): every search rebuilt the whole index in a temporary folder (3.4 s at 10,000 records,
in proportion to the library) and ``check`` said the index did not hold what its record says (found
by hand on a tmpfs remounted read-only, 2026-12-05). ``chmod`` cannot stand in for the media: root
writes through it, and another user's lock files are the only files the index needs to write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.check import check
from store.library import Library
from store.search.index import SearchIndex
from tests.mounts import remount, tmpfs


@pytest.fixture
def read_only_library() -> Iterator[Path]:
    """The demo library with its search index built, on media then made read-only."""
    with tmpfs("16m") as folder:
        path = folder / "library.json"
        lib = Library.open(path)
        assert SearchIndex.for_library(lib).count() > 0
        lib.close()
        remount(folder, read_only=True)
        try:
            yield path
        finally:
            remount(folder, read_only=False)


def test_the_index_of_a_read_only_library_is_read_not_rebuilt(
    read_only_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt the index of a read-only library")

    monkeypatch.setattr(SearchIndex, "rebuild", rebuild)
    index = SearchIndex.for_library(Library.open(read_only_library))
    hits = index.search("exosomes")
    assert hits.total > 0


def test_check_finds_the_index_of_a_read_only_library_sound(read_only_library: Path) -> None:
    found = check(read_only_library)
    assert found.problems == []
    assert any(seen.startswith("the search index") for seen in found.looked_at)
