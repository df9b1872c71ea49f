"""Opening a library (``Reader.open``) looks again while a writer swaps its files, and only then. A try
that fails on files nothing changed since it began met damage, said at once: a library with a damaged
segment waited 39 looks 25 ms apart (~1 s) before it said so. A try whose files were swapped under it
(a compaction renamed a new base in and removed the segments the old journal listed) looks again; and
a base whose index is of another generation is waited for (a compaction renames the index in after
its base), not rebuilt. The looks and waits are counted, not timed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from store.errors import LibraryFileError
from store.importer import import_paths
from store.library import Library
from store.model import Article, Origin
from store.storage import conversion, opening, reader
from store.storage.files import LibraryFiles
from store.storage.segment import SegmentFile
from store.storage.snapshot import Snapshot
from tests.store.bulk_files import pubmed_xml
from tests.store.test_segment_damage import with_segments


class Looks:
    """Counts the tries and waits of the opening under test (not those of a writer's own opening, made
    while ``writing``), and calls ``at_wait[n]`` at its ``n``-th wait and ``at_try[n]`` as its ``n``-th
    try opens its first segment (the journal read, the segments it lists not yet)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tries = self.waits = 0
        self.writing = False
        self.at_wait: dict[int, Callable[[], None]] = {}
        self.at_try: dict[int, Callable[[], None]] = {}
        try_open, segment_file = opening.try_open, SegmentFile

        def counted(files: LibraryFiles, *, final: bool) -> Snapshot | str:
            self.tries += not self.writing
            return try_open(files, final=final)

        def segment(path: Path, size: int) -> SegmentFile:
            self.write(self.at_try.pop(self.tries, None))
            return segment_file(path, size)

        monkeypatch.setattr(opening, "try_open", counted)
        monkeypatch.setattr(opening, "SegmentFile", segment)
        monkeypatch.setattr(reader, "time", SimpleNamespace(sleep=self.wait))

    def wait(self, _seconds: float) -> None:
        if not self.writing:
            self.waits += 1
            self.write(self.at_wait.pop(self.waits, None))

    def write(self, writer: Callable[[], None] | None) -> None:
        if writer is None or self.writing:
            return
        self.writing = True
        try:
            writer()
        finally:
            self.writing = False


@pytest.fixture(autouse=True)
def _segments_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (no command's end compacts)


@pytest.mark.parametrize("damage", ["cut", "gone"])
def test_a_damaged_segment_is_said_at_the_first_look_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """Seen red before: 40 tries, 39 waits."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    if damage == "gone":
        segments[0].unlink()
    else:
        segments[0].write_bytes(segments[0].read_bytes()[:-1])
    looks = Looks(monkeypatch)
    with pytest.raises(LibraryFileError, match=segments[0].name):
        Library.open(lib)
    assert (looks.tries, looks.waits) == (2, 0)  # (the try that met it, and the final one that says it)


def test_a_library_swapped_under_each_try_is_looked_at_again_until_it_holds_still(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first try reads the journal, then a fold (a new base, the segments it listed removed) and an
    import (new segments) swap the files; the second try reads that journal, then a fold removes its
    segments; the third opens the library whole. Seen red with the files' change not looked at (each try
    after a failed one final): the second try said the library was damaged."""
    lib, _segments = with_segments(tmp_path, monkeypatch)
    records = Library.open(lib).stats().records
    more = pubmed_xml(tmp_path / "more.xml", [(i, []) for i in range(1, 7)])

    def fold_and_import() -> None:
        other = Library.open(lib)
        other.compact()
        import_paths(other, [more])
        other._storage.close()  # (not ``close``: the import's segments stay segments)

    def fold() -> None:
        Library.open(lib).compact()

    looks = Looks(monkeypatch)
    looks.at_try = {1: fold_and_import, 2: fold}
    opened = Library.open(lib)
    assert (looks.tries, looks.waits, looks.at_try) == (3, 2, {})
    assert opened.stats().records == records + 6
    assert not lib.with_name(lib.name + ".segments").exists()  # (the third try read the folded base)


def test_a_base_whose_index_comes_after_it_is_waited_for_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compaction renames its new base in, then its index: a reader between the two renames finds an
    index of the old generation, the same files at each look. It waits for the index (here it comes at
    the second wait) rather than rebuild one by reading the base whole. Seen red with the index's wait
    taken away (the second try, finding the same files, was final and rebuilt it)."""
    path = tmp_path / "library.json"
    Library.open(path).close()
    index = path.with_name(path.name + ".idx")
    old_index = shutil.copy2(index, tmp_path / "old.idx")
    lib = Library.open(path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Five"), Origin("test"))
    assert lib.compact()
    lib._storage.close()
    new_index = tmp_path / "new.idx"
    os.rename(index, new_index)
    os.rename(old_index, index)  # (the new base in place, its index not yet)
    rebuilt: list[str] = []
    rebuild = conversion.rebuild_index

    def rebuild_index(files: LibraryFiles, snap: Snapshot, reason: str = "") -> object:
        rebuilt.append(reason)
        return rebuild(files, snap, reason)

    monkeypatch.setattr(conversion, "rebuild_index", rebuild_index)
    looks = Looks(monkeypatch)
    looks.at_wait = {2: lambda: os.rename(new_index, index)}
    opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (3, 2, [])
    assert opened.find("5") is not None
