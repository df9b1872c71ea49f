"""The document index the app's first page opens first thing, its check begun (``store.earlyindex``):
taken by the storage only while it is the file at its path, and never trusted before its check, as an
index opened by the storage itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from store import earlyindex
from store.docindex import DocIndex
from tests.store.test_index_check_later import compacted as compacted  # (the module's library)
from tests.store.test_index_check_later import first_page, swap_first_in_order
from tests.store.test_reliability import copy_of


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[DocIndex | None]:
    """What each ``earlyindex.take`` answered."""
    answers: list[DocIndex | None] = []
    take = earlyindex.take

    def spy(path: Path) -> DocIndex | None:
        answers.append(take(path))
        return answers[-1]

    monkeypatch.setattr(earlyindex, "take", spy)
    return answers


def test_the_index_begun_is_taken_and_its_damage_found_before_the_list(
    compacted: Path, tmp_path: Path, taken: list[DocIndex | None]
) -> None:
    """Seen red with ``begin`` leaving the index unchecked (its ``_checking`` dropped): the damaged
    order was shown."""
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    good, truth = idx.read_bytes(), first_page(lib)
    taken.clear()
    swap_first_in_order(idx)
    earlyindex.begin(lib)
    assert first_page(lib) == truth
    assert taken and taken[0] is not None  # (the one begun was used, and found damaged)
    assert idx.read_bytes() == good  # (rebuilt from the base)


def test_an_index_replaced_since_it_was_begun_is_not_taken(
    compacted: Path, tmp_path: Path, taken: list[DocIndex | None]
) -> None:
    """Begun on the good index, then another written aside and renamed over it (damaged, here): the
    storage opens the file there now, finds it damaged and rebuilds it. Seen red with ``take`` not
    comparing the file (the good index begun was used, and the damaged one left in place)."""
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    good, truth = idx.read_bytes(), first_page(lib)
    taken.clear()
    earlyindex.begin(lib)
    aside = idx.with_name("aside.idx")
    aside.write_bytes(good)
    swap_first_in_order(aside)
    os.replace(aside, idx)
    assert first_page(lib) == truth
    assert taken == [None]
    assert idx.read_bytes() == good


def closes_recorded(monkeypatch: pytest.MonkeyPatch) -> list[DocIndex]:
    """The document indexes closed from now on, in order (``DocIndex.close`` still does its work)."""
    closed: list[DocIndex] = []
    close = DocIndex.close

    def closing(index: DocIndex) -> None:
        closed.append(index)
        close(index)

    monkeypatch.setattr(DocIndex, "close", closing)
    return closed


def test_what_is_not_taken_is_closed(
    compacted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index begun and not taken is closed (its file, its map and its check's thread let go)."""
    closed = closes_recorded(monkeypatch)
    lib = copy_of(compacted, tmp_path)
    earlyindex.begin(lib)
    earlyindex.begin(lib)  # (begun again: the first is closed)
    assert len(closed) == 1
    begun = earlyindex.take(earlyindex.index_path(lib))
    assert begun is not None and begun is not closed[0]
    begun.verify()
    begun.close()
    assert earlyindex.take(earlyindex.index_path(lib)) is None  # (taken once)
    earlyindex.begin(lib)
    closed.clear()
    earlyindex.discard()
    assert len(closed) == 1
    assert earlyindex.take(earlyindex.index_path(lib)) is None
    earlyindex.begin(tmp_path / "none" / "library.json")  # (no library there: nothing begun)
    assert earlyindex.take(earlyindex.index_path(tmp_path / "none" / "library.json")) is None


def test_the_index_path_is_the_storage_s(compacted: Path, tmp_path: Path) -> None:
    from store.storage.files import LibraryFiles

    lib = copy_of(compacted, tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(lib)
    assert earlyindex.index_path(link) == LibraryFiles(link, None).index_path
