"""The document index checked in a thread while the app's first list is worked out (``DocIndex``
``check_later``, ``SearchIndex.open_with_counts``): damage it finds is still found before anything
read from the index is shown, and the index is rebuilt. Since stop 49 an index is checked by the block
as it is read (``store.indexblocks``): the check in a thread is that of indexes written before
(``as_04``), and the first list reads, and checks, no block of a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store import docindex
from store.docindex import DocIndex, IndexFileError
from store.indexblocks import ORDER
from store.search import SearchIndex
from tests.store.test_index_blocks import as_04
from tests.store.test_reliability import FILES, cli, copy_of, index_layout, ok


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))


@pytest.fixture(scope="module")
def compacted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of four imported files, compacted: every record in the base and its index's order."""
    lib = tmp_path_factory.mktemp("compacted") / "library.json"
    ok(cli(lib, "stats"))
    for file in FILES:
        ok(cli(lib, "import", str(file)))
    ok(cli(lib, "compact"))
    return lib


def first_page(lib: Path) -> list[int]:
    """The app's first list: every full record, most cited first (as ``tui.listing`` asks for it)."""
    index = SearchIndex.open_with_counts(lib)
    assert index is not None
    return [hit.doc_id for hit in index.search("is:full", limit=20, sort="cited").hits]


def swap_first_in_order(idx: Path) -> None:
    """The index's "most cited first" column with its first two documents swapped (a damage that
    reads as a plausible answer: the two most cited articles in the wrong order)."""
    raw = bytearray(idx.read_bytes())
    _header, where, _keys = index_layout(idx)
    at = where["order"]
    raw[at : at + 4], raw[at + 4 : at + 8] = raw[at + 4 : at + 8], raw[at : at + 4]
    idx.write_bytes(bytes(raw))


def test_a_damaged_order_is_never_shown_by_the_first_list(compacted: Path, tmp_path: Path) -> None:
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    good, truth = idx.read_bytes(), first_page(lib)
    assert len(truth) >= 2
    swap_first_in_order(idx)
    with pytest.raises(IndexFileError):
        DocIndex(idx).column("order")  # (the damage this is about: found by the check of its blocks)
    assert first_page(lib) == truth
    assert idx.read_bytes() == good  # (rebuilt from the base, as any opening rebuilds a damaged one)


def test_an_index_checked_later_says_its_damage_when_verified(compacted: Path, tmp_path: Path) -> None:
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    as_04(idx)
    whole = DocIndex(idx, check_later=True)
    next(whole.cited_order())
    whole.verify()
    whole.verify()  # (once checked, at once)
    whole.close()
    swap_first_in_order(idx)
    damaged = DocIndex(idx, check_later=True)
    next(damaged.cited_order())  # (its first read: the columns are checked meanwhile)
    with pytest.raises(IndexFileError, match=r"library\.json\.idx is damaged"):
        damaged.verify()
    with pytest.raises(IndexFileError):
        damaged.verify()  # (and says so again to whoever asks)
    damaged.close()
    closed = DocIndex(idx, check_later=True)
    closed.meta(1)
    closed.close()  # (closing waits for the check, which reads the mapped file)
    with pytest.raises(IndexFileError):
        closed.verify()


def test_an_index_checked_later_is_checked_only_once_its_columns_are_read(
    compacted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing read, nothing to trust: no check (a million records' first list reads none of the
    columns, whose 72.7 MB were checked at every start); the first read of a column or of the keys begins
    it, before the read, in whichever thread reads. Red when the check begins at opening (one begun)."""
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    as_04(idx)
    swap_first_in_order(idx)
    begun: list[int] = []
    real = docindex.LaterCheck

    def counted(*args: Any) -> Any:
        begun.append(1)
        return real(*args)

    monkeypatch.setattr(docindex, "LaterCheck", counted)
    unread = DocIndex(idx, check_later=True)
    assert (unread.max_id, unread.next_id) > (0, 0)  # (the header's: checked by its own CRC at opening)
    unread.verify()  # (nothing read from the columns: nothing to wait for)
    unread.close()
    assert begun == []
    for first_read in (
        lambda index: index.meta(1),
        lambda index: index.location(1),
        lambda index: index.candidates("pmid:1"),
        lambda index: index.pmid(1),
        lambda index: index.column("order"),
    ):
        damaged = DocIndex(idx, check_later=True)
        try:
            first_read(damaged)
            assert len(begun) == 1
            with pytest.raises(IndexFileError, match="damaged"):
                damaged.verify()
        finally:
            damaged.close()
        begun.clear()


def test_a_damage_that_makes_the_first_search_fail_is_found_and_the_list_shown(
    compacted: Path, tmp_path: Path
) -> None:
    """Damage that does not read as a plausible answer but breaks the reading (an order entry naming
    a document far past the last): the check under way finds it, and the first list is worked out
    again from the rebuilt index, instead of the reading's error reaching the app."""
    lib = copy_of(compacted, tmp_path)
    idx = lib.with_name("library.json.idx")
    good, truth = idx.read_bytes(), first_page(lib)
    raw = bytearray(good)
    _header, where, _keys = index_layout(idx)
    raw[where["order"] : where["order"] + 4] = (0x7FFFFFF0).to_bytes(4, "little")
    idx.write_bytes(bytes(raw))
    assert first_page(lib) == truth
    assert idx.read_bytes() == good


def test_a_first_list_from_the_newest_segment_s_top_reads_none_of_the_index_s_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's first list (every full record, most cited first) in a library whose newest segment has a
    top: its start and the search index answer it, so the document index's columns are never read, nor
    checked (at a million records their 72.7 MB, checked at every start); the list is the one a storage
    checked at opening gives. Red when the record kind was asked of each document's meta (the base's
    columns, for the most cited: old records whose links alone the segments changed)."""
    from tests.store.test_segment_tops import _library

    path = tmp_path / "library.json"
    lib = _library(path, monkeypatch)  # (left open: closing it may fold the segments into the base)
    SearchIndex.for_library(lib).close()
    truth = SearchIndex.open_if_fresh(path)
    first = SearchIndex.open_with_counts(path)
    assert truth is not None and first is not None
    try:
        assert first._unchecked is not None and first._unchecked.reader.snap.segments
        found = first.search("is:full", limit=20, sort="cited", count=False)
        expected = truth.search("is:full", limit=20, sort="cited", count=False)
        assert [hit.doc_id for hit in found.hits] == [hit.doc_id for hit in expected.hits]
        assert [hit.cited for hit in found.hits] == [hit.cited for hit in expected.hits]
        assert len(found.hits) == 20
        storage = first._unchecked
        assert storage is not None and storage.reader.snap.index is not None
        index = storage.reader.snap.index
        assert not any(map(any, index._seen))  # (no block read: none checked)
        # (the stubs, none: the whole order walked, past the top, the base's columns read and checked)
        assert first.search("is:stub", limit=20, sort="cited").hits == []
        assert all(index._seen[ORDER])
    finally:
        first.close()
        truth.close()
        lib.close()
