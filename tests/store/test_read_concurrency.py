"""Reading a library in worker threads while another thread closes it, moves it to a newer state or
takes in another process's commits (the app reads in workers: the first list, the link panes, the
cited search). Each case is one interleaving made certain: a read is held at its ``pread`` (or a
catch-up halfway through a commit) by events, never by sleeping.

- A descriptor closed under a read frees its number: the next ``open`` anywhere in the process takes
  it, and the read that was about to ``pread`` the old number reads that other file
  (``store.openfile``): the base's and journal's (``Snapshot.close``) and the index's heads
  (``DocIndex.close``).
- A state left behind by a newer one (another process compacted) stays readable by the thread that
  holds it; one read after the library is closed says so in one line.
- Catching up with another process's commit builds a new state: a thread holding the old one never
  sees half of the commit (the new document without its links).
- The index's check in a thread that fails for any reason leaves the index unchecked, never trusted.
- The newest-segment table answers for the segments it was made of only.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import store.journal as journal_module
from store import docindex, residency
from store.docindex import DocIndex, IndexFileError
from store.errors import LibraryFileError
from store.importer import import_file
from store.library import Library
from store.model import Article, Origin
from store.storage.meta import Meta
from store.storage.newest import Newest
from store.storage.segment import SegmentFile, SegmentWriter
from tests.conftest import PAGES
from tests.store.test_index_blocks import as_04

ORIGIN = Origin("test", "here")
WAIT = 10.0  # (seconds: only a broken interleaving waits this long, and then the test fails)


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))


@pytest.fixture
def library(lib_path: Path) -> Iterator[Library]:
    """A small library, compacted: its documents in the base, read with ``pread``."""
    lib = Library.open(lib_path, demo=False)
    for name in ("authors_present.txt", "minimal.txt", "zero_citations.txt"):
        import_file(lib, PAGES / name)
    assert lib.compact()
    yield lib
    lib._storage.close()


class HeldRead:
    """``os.pread`` held in one thread (named ``held``) until ``go``: its first read waits there (the
    number it reads is kept in ``fds``); every other read reads on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()
        self.fds: list[int] = []
        original = os.pread

        def pread(fd: int, size: int, offset: int) -> bytes:
            if threading.current_thread().name == "held" and not self.reached.is_set():
                self.fds.append(fd)
                self.reached.set()
                assert self.go.wait(WAIT)
            return original(fd, size, offset)

        monkeypatch.setattr(os, "pread", pread)


def run_held(read: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """``read()`` in the thread ``held``; what it returned or raised, once it is joined."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = read()
        except BaseException as exc:  # (whatever it is, the test says it)
            out["error"] = exc

    thread = threading.Thread(target=target, name="held", daemon=True)
    thread.start()
    return thread, out


@contextlib.contextmanager
def others_opened(tmp_path: Path, number: int) -> Iterator[bool]:
    """Other files opened, as any thread of the process may, each getting the lowest free number, until
    one takes ``number`` (yields True: it was closed, and is now another file's) or a higher one."""
    impostor = tmp_path / "impostor"
    impostor.write_bytes(b'"1": {"x": 1},\n' * 4096)
    fds: list[int] = []
    try:
        while not fds or fds[-1] < number:
            fds.append(os.open(impostor, os.O_RDONLY))
        yield fds[-1] == number
    finally:
        for fd in fds:
            os.close(fd)


def add_one(lib: Library, pmid: str) -> None:
    with lib.transaction() as changes:
        changes.put_article(Article(pmid=pmid, title=f"Article {pmid}", year=2025), ORIGIN)


# 1. The base and journal closed under a read ----------------------------------------------------------


@pytest.mark.parametrize("where", ["base", "journal"])
def test_a_read_in_flight_when_the_library_is_closed_reads_its_own_file(
    library: Library, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    if where == "journal":
        add_one(library, "51000002")  # (a commit after the fold: the document is read from the journal)
    doc_id = library.lookup("pmid:51000002" if where == "journal" else "pmid:1000002")
    assert doc_id is not None
    want = library.doc(doc_id)
    assert want is not None
    held = HeldRead(monkeypatch)
    thread, out = run_held(lambda: library.doc(doc_id))
    assert held.reached.wait(WAIT)
    library._storage.close()  # (the app ends, or a search lets go of its storage)
    with others_opened(tmp_path, held.fds[0]) as taken:
        held.go.set()
        thread.join(WAIT)
        assert "error" not in out, (taken, out)
        assert out["value"] == want, taken
    with pytest.raises(OSError):
        os.fstat(held.fds[0])  # (closed as the read ended)


def test_a_read_after_the_library_is_closed_says_so(library: Library) -> None:
    snap = library._reader.current()  # (a worker holds the state it reads: ``Reader.heads``)
    library._storage.close()
    with pytest.raises(LibraryFileError, match="closed"):
        snap.doc(7)
    with pytest.raises(LibraryFileError, match="closed"):
        library.doc(7)


def test_a_state_left_behind_stays_readable_by_its_reader(library: Library, lib_path: Path) -> None:
    other = Library.open(lib_path, demo=False)  # (another process)
    add_one(other, "51000001")
    want = {doc_id: library.doc(doc_id) for doc_id in range(1, library.next_id)}
    snap = library._reader.current()  # (a link pane's rows being read from it)
    assert other.compact()  # (a new base: the next refresh opens it)
    other._storage.close()
    assert library.refresh()
    assert {doc_id: snap.doc(doc_id) for doc_id in want} == want
    assert library._reader.current() is not snap


# 2. The index's heads closed under a read ---------------------------------------------------------------


def test_a_head_read_in_flight_when_the_index_is_closed_reads_the_index(
    library: Library, lib_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    index = DocIndex(lib_path.with_name("library.json.idx"))
    want = index.head(7)
    held = HeldRead(monkeypatch)
    thread, out = run_held(lambda: index.head(7))
    assert held.reached.wait(WAIT)
    index.close()
    with others_opened(tmp_path, held.fds[0]) as taken:
        held.go.set()
        thread.join(WAIT)
        assert "error" not in out, (taken, out)
        assert out["value"] == want, taken
    with pytest.raises(LibraryFileError, match="closed"):
        index.head(7)


# 3. The index's check in a thread that fails ------------------------------------------------------------


def test_an_index_whose_check_in_a_thread_failed_is_checked_before_it_is_trusted(
    library: Library, lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = lib_path.with_name("library.json.idx")
    library._storage.close()
    as_04(idx)  # (an index checked whole, in a thread: written before stop 49's blocks)
    raw = bytearray(idx.read_bytes())
    header_end = 16 + int.from_bytes(raw[8:12], "little")
    at = docindex.aligned(header_end) + 8 * 1  # (document 1's offset in the first column)
    raw[at] ^= 0x01
    idx.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError):
        DocIndex(idx)  # (the damage: found by a check at opening)
    original = residency.crc32_released

    def failing(*args: Any) -> int:
        if threading.current_thread().name == "docindex-check":
            raise MemoryError  # (or anything else than the answer)
        return original(*args)

    monkeypatch.setattr(residency, "crc32_released", failing)
    monkeypatch.setattr(docindex, "crc32_released", failing)  # (where the check was before)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # (the old code's thread died)
    index = DocIndex(idx, check_later=True)
    try:
        index.meta(1)  # (the check begins as its columns are first read)
        with pytest.raises(IndexFileError, match="damaged"):
            index.verify()
    finally:
        index.close()


def test_an_index_whose_thread_cannot_start_is_checked_at_once(
    library: Library, lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = lib_path.with_name("library.json.idx")

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    library._storage.close()
    as_04(idx)  # (an index checked whole, in a thread: written before stop 49's blocks)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    index = DocIndex(idx, check_later=True)
    try:
        index.meta(1)  # (the check begins as its columns are first read: here, no thread)
        index.verify()
        assert index.head(7)
    finally:
        index.close()


# 4. Catching up with another process's commit ---------------------------------------------------------


def test_a_reader_holding_the_state_never_sees_half_a_commit(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(lib_path, demo=False)
    import_file(lib, PAGES / "authors_present.txt")
    other = Library.open(lib_path, demo=False)  # (another process)
    import_file(other, PAGES / "zero_citations.txt")  # (document 6 and the three it cites, 7-9)
    new = other.lookup("pmid:1000002")
    assert new is not None and len(other.link_ids(new, "references")) == 3
    other._storage.close()

    before = lib._reader.current()  # (a worker reading a link pane's rows from the state it holds)
    assert before.doc(new) is None
    reached, go = threading.Event(), threading.Event()
    take = journal_module._take

    def halfway(into: Any, at: int, docs: Any, links: Any, segments: Any) -> None:
        take(into, at, docs, [], segments)  # (the commit's documents taken in, then its links:
        reached.set()  # the interpreter may switch threads between the two)
        assert go.wait(WAIT)
        take(into, at, [], links, [])

    monkeypatch.setattr(journal_module, "_take", halfway)
    thread, out = run_held(lib.refresh)
    try:
        assert reached.wait(WAIT)
        doc, refs = before.doc(new), before.link_ids(new, "references")
        assert (doc, refs) == (None, []), "half a commit: the document without its links"
        assert before.next_id == new  # (and the counts with it)
        listed = before.ids()
        assert new not in listed
    finally:
        go.set()
        thread.join(WAIT)
    assert out.get("value") is True, out
    assert len(lib.link_ids(new, "references")) == 3 and lib.doc(new) is not None
    lib._storage.close()


# 5. The newest-segment table --------------------------------------------------------------------------


def _segment(folder: Path, name: str, ids: list[int]) -> SegmentFile:
    writer = SegmentWriter(folder / f"g.{name}.seg", "g")
    for doc_id in ids:
        writer.add_doc(doc_id, b'{"pmid": "%d"}' % doc_id, Meta(0, 2000, 0), b"{}", [f"pmid:{doc_id}"])
    writer.finish()
    return SegmentFile(folder / f"g.{name}.seg")


def test_the_newest_segment_table_answers_for_its_own_segments_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.storage import newest

    monkeypatch.setattr(newest, "MIN_PROBES", 0)
    first, middle, last = (_segment(tmp_path, n, ids) for n, ids in (("a", [1, 2]), ("b", [3]), ("c", [4])))
    merged = _segment(tmp_path, "m", [2, 3])  # (a list with another middle: same count, same newest)
    table = Newest()
    table.probed(1 << 20)
    assert table.of([first, middle, last], 2, 10) == 1
    assert table.of([first, merged, last], 2, 10) == 2
    assert table.of([first, merged, last], 3, 10) == 2
