"""Opening a library (``Reader.open``) looks again while a writer swaps its files, and only then. A try
that fails on files nothing changed since it began met damage, said at once: a library with a damaged
segment waited 39 looks 25 ms apart (~1 s) before it said so. A try whose files were swapped under it
(a compaction renamed a new base in and removed the segments the old journal listed) looks again; and
a base whose index is of another generation is waited for (a compaction renames the index in after
its base), not rebuilt. The looks and waits are counted, not timed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from store import atomicwrite, fileformat
from store.docindex import DocIndex
from store.errors import LibraryFileError
from store.importer import import_paths
from store.library import Library
from store.lock import held, lock_path, write_lock
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


def _between_renames(path: Path) -> tuple[Path, Path]:
    """A library as a compaction leaves it between its two renames: the new base in place, the old
    generation's index, the new index in the compaction's temp file. Returns (index, temp file)."""
    Library.open(path).close()
    index = path.with_name(path.name + ".idx")
    old_index = shutil.copy2(index, path.with_name("old.idx"))
    lib = Library.open(path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Five"), Origin("test"))
    assert lib.compact()
    lib._storage.close()
    left = atomicwrite.temp_path(index, pid=os.getpid() + 1)
    os.rename(index, left)
    os.rename(old_index, index)
    return index, left


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reasons of the index's rebuilds (from the whole base) while a test runs."""
    reasons: list[str] = []
    rebuild = conversion.rebuild_index

    def rebuild_index(files: LibraryFiles, snap: Snapshot, reason: str = "") -> object:
        reasons.append(reason)
        return rebuild(files, snap, reason)

    monkeypatch.setattr(conversion, "rebuild_index", rebuild_index)
    return reasons


def test_a_base_whose_index_comes_after_it_is_waited_for_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str]
) -> None:
    """A compaction renames its new base in, then its index: a reader between the two renames finds an
    index of the old generation, the same files at each look, and the write lock held. It waits for
    the index (here it comes at the second wait) rather than rebuild one by reading the base whole.
    Seen red with the index's wait taken away (the second try, finding the same files, was final and
    rebuilt it)."""
    path = tmp_path / "library.json"
    index, left = _between_renames(path)
    looks = Looks(monkeypatch)
    looks.at_wait = {2: lambda: os.rename(left, index)}
    with write_lock(path):  # (the compaction's)
        opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (3, 2, [])
    assert opened.find("5") is not None


def test_the_index_a_compaction_killed_between_its_renames_left_is_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str]
) -> None:
    """Killed between its renames, a compaction leaves its new index in its temp file and the lock
    free: the first open waited ~1 s of looks, then rebuilt the index from the whole base (seen red:
    40 tries, 39 waits, one rebuild). The temp file is that index: put in place at the first try."""
    path = tmp_path / "library.json"
    index, left = _between_renames(path)
    made = left.read_bytes()
    looks = Looks(monkeypatch)
    opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (1, 0, [])
    assert opened.find("5") is not None
    assert index.read_bytes() == made and not left.exists()


@pytest.mark.parametrize("left_as", ["none", "damaged", "of the old base"])
def test_an_index_of_another_generation_and_no_writer_is_rebuilt_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str], left_as: str
) -> None:
    """With the lock free and no index left for this base (none; one with a byte of its columns
    changed, which its CRC-32 tells; one of the old generation), nothing will put one in place: rebuilt
    at the first try, not after ~1 s of looks (seen red: 40 tries, 39 waits). A file left that is not
    this base's index stays for the next writer to remove."""
    path = tmp_path / "library.json"
    index, left = _between_renames(path)
    if left_as == "none":
        left.unlink()
    elif left_as == "damaged":
        raw = bytearray(left.read_bytes())
        header_size = int.from_bytes(raw[8:12], "little")
        raw[-(-(16 + header_size) // 8) * 8 + 8] ^= 0x40  # (in the columns, after the header)
        left.write_bytes(bytes(raw))
    else:
        shutil.copy2(index, left)
    looks = Looks(monkeypatch)
    opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (1, 0, [""])
    assert opened.find("5") is not None
    assert left.exists() == (left_as != "none")
    opened.close()
    assert DocIndex(index).generation == _base_generation(path)


def _base_generation(path: Path) -> object:
    header, _start = fileformat.read_base_header(path.read_bytes()[:65536])
    assert header is not None
    return header["generation"]


def test_a_compaction_killed_by_the_system_between_its_renames(tmp_path: Path) -> None:
    """The whole path with a real writer: a `pmbrowse compact` process killed (SIGKILL) right after it
    renames its new base in. The next open puts the index it left in place, the library whole."""
    path = tmp_path / "library.json"
    lib = Library.open(path)
    with lib.transaction() as changes:
        for n in range(1, 40):
            changes.put_article(Article(pmid=str(n), title=f"Title {n}"), Origin("test"))
    lib.close()
    killer = (
        "import os, signal, sys\n"
        "from store import atomicwrite\n"
        "from tui.cli import main\n"
        "rename = atomicwrite.rename\n"
        "def stop_after_base(source, target):\n"
        "    rename(source, target)\n"
        "    if target.name == 'library.json':\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomicwrite.rename = stop_after_base\n"
        "sys.exit(main(['--db', sys.argv[1], 'compact']))\n"
    )
    done = subprocess.run([sys.executable, "-c", killer, str(path)], capture_output=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = list(tmp_path.glob(".library.json.idx.*.tmp"))
    assert len(left) == 1
    opened = Library.open(path)
    assert not left[0].exists()
    assert opened.stats().records == 39 + 1  # (and the demo article)
    assert opened.find("39") is not None


def test_a_base_edited_in_place_since_the_crash_gets_no_index_left_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str]
) -> None:
    """A base edited in place after the crash, its size and time put back: the index left for it does
    not describe its bytes (its CRC-32 tells: the change time, which tells it of an index in place, is
    new on a renamed temp file). Rebuilt, the file left alone. Seen red without the CRC-32 (put in place,
    no rebuild: the head said the old title, `check` that the base's checksum differed)."""
    path = tmp_path / "library.json"
    _index, left = _between_renames(path)
    before = os.stat(path)
    raw = path.read_bytes()
    assert raw.count(b'"Five"') == 1
    path.write_bytes(raw.replace(b'"Five"', b'"Fivf"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    looks = Looks(monkeypatch)
    opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (1, 0, [""])
    assert left.exists()
    doc = opened.find("5")
    assert doc is not None and opened.article(doc).title == "Fivf"


def test_an_index_another_opener_put_in_place_meanwhile_is_opened_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str]
) -> None:
    """Two openers after the crash: the other one put the index in place (and let go of the lock)
    between this one's reading the old index and its taking the lock. Nothing is left, the lock is
    free: but the index in place is this base's now, opened (seen red: rebuilt from the whole base)."""
    path = tmp_path / "library.json"
    index, left = _between_renames(path)
    made = left.read_bytes()
    take = LibraryFiles.write_lock_now

    @contextlib.contextmanager
    def after_the_other(files: LibraryFiles) -> Iterator[None]:
        if left.exists():
            os.rename(left, index)  # (the other opener's)
        with take(files):
            yield

    monkeypatch.setattr(LibraryFiles, "write_lock_now", after_the_other)
    looks = Looks(monkeypatch)
    opened = Library.open(path)
    assert (looks.tries, looks.waits, rebuilt) == (1, 0, [])
    assert opened.find("5") is not None and index.read_bytes() == made


@pytest.mark.parametrize("other", ["holds the lock", "does not"])
def test_a_lock_this_process_may_not_write_is_asked_about_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str], other: str
) -> None:
    """A reader that may not write the lock file (a read-only folder, another user's library) cannot
    take the lock to put an index in place. Another process holding it may be a compaction between its
    renames: looked at again, as before (seen red: rebuilt at once); none: rebuilt at once."""
    path = tmp_path / "library.json"
    index, left = _between_renames(path)

    def not_allowed(_files: LibraryFiles) -> contextlib.AbstractContextManager[None]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(LibraryFiles, "write_lock_now", not_allowed)
    looks = Looks(monkeypatch)
    looks.at_wait = {2: lambda: os.rename(left, index)}
    with write_lock(path) if other == "holds the lock" else contextlib.nullcontext():
        opened = Library.open(path)
    if other == "holds the lock":
        assert (looks.tries, looks.waits, rebuilt) == (3, 2, [])
    else:
        assert (looks.tries, looks.waits, rebuilt) == (1, 0, [""])
    assert opened.find("5") is not None


def test_whether_the_lock_is_held_is_asked_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    assert held(path) is False  # (no lock file)
    assert not lock_path(path).exists()
    with write_lock(path):
        assert held(path) is True
    assert held(path) is False


@pytest.mark.parametrize("left_as", ["whole", "none"])
def test_a_writer_open_before_the_crash_puts_the_left_index_in_place_as_it_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilt: list[str], left_as: str
) -> None:
    """A library open before another process's compaction died between its renames (the app, say),
    which then commits: its transaction holds the write lock, so its catching up found the lock busy (its
    own, on another open file), waited ~1 s of looks and rebuilt the index in memory, having removed the
    index left as a stale temp file first (seen red: 40 tries, 39 waits, a rebuild). The thread that
    holds the lock is no compaction between its renames: the left index is put in place; with none
    left, the index rebuilt is written (seen red: kept in memory, the old generation's left on disk for
    the next open to rebuild again)."""
    path = tmp_path / "library.json"
    Library.open(path).close()
    writer = Library.open(path)
    index, left = _between_renames(path)
    made = left.read_bytes()
    if left_as == "none":
        left.unlink()
    looks = Looks(monkeypatch)
    with writer.transaction() as changes:
        changes.put_article(Article(pmid="6", title="Six"), Origin("test"))
    assert (looks.tries, looks.waits, rebuilt) == (1, 0, [] if left_as == "whole" else [""])
    if left_as == "whole":
        assert index.read_bytes() == made
    assert not left.exists() and DocIndex(index).generation == _base_generation(path)
    assert writer.find("5") is not None and writer.find("6") is not None
