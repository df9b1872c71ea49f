"""Reading a base whole in two processes (``pmbrowse check``: ``store.storage.halves``):
what it finds is what one process finds, byte for byte, wherever the middle falls and whatever is
damaged; and a child that fails leaves the check to this process."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import signal
import threading
import time
from pathlib import Path

import pytest

from store import fileformat
from store.docindex import DocIndex
from store.importer import import_paths
from store.library import Library
from store.storage import basescan, halves
from store.storage.linksums import BaseLinks, Sums
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.test_reliability import cli, one_line


@pytest.fixture(autouse=True)
def _small_bases_in_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "PARALLEL_BYTES", 0)
    # Only a process without other threads forks: threads that tests before these left running a
    # moment longer (a server's, a pool's, as they end) are waited for, or named.
    deadline = time.monotonic() + 10
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == 1, [thread.name for thread in threading.enumerate()]


@pytest.fixture(name="forks")
def forks_fixture(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What each fork of a base's second half gave back (its part; None: not read in two), in order."""
    made: list[object] = []
    fork_part = halves._fork_part

    def counted(*args: object) -> object:
        made.append(fork_part(*args))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(halves, "_fork_part", counted)
    return made


def _library(tmp_path: Path, refs: int) -> Path:
    """A library of 600 records citing ``refs`` others each, all in its base."""
    rng = random.Random(refs)
    file = pubmed_xml(tmp_path / "records.xml", [(i, cited(rng, i, 600, refs)) for i in range(1, 601)])
    path = tmp_path / "library.json"
    lib = Library.open(path)
    import_paths(lib, [file])
    lib.compact()
    return path


def _scan(path: Path, parallel: bool) -> tuple[object, ...]:
    fd = os.open(path, os.O_RDONLY)
    index = DocIndex(path.with_name(path.name + ".idx"))
    try:
        st = os.fstat(fd)
        header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
        assert header is not None
        sums = Sums()
        sink, generation = BaseLinks(sums, {3}), header["generation"]
        if parallel:
            scan = halves.scan_in_two(path, fd, st, generation, start, sink=sink, index=index)
        else:
            scan = basescan.scan_base(path, fd, st, generation, start, lenient=True, sink=sink)
    finally:
        os.close(fd)
        index.close()
    data = scan.data
    columns = {name: bytes(column) for name, column in data.columns.items()}
    return (
        columns,
        data.heads.getvalue(),  # type: ignore[attr-defined]
        data.pairs,
        data.counts,
        data.base_crc,
        data.next_id,
        scan.problems,
        scan.skipped,
        scan.count,
        (sums.cites, sums.cited, sorted(sums.linked), sums.links),
    )


def _middle(path: Path) -> tuple[int, bool, int]:
    fd = os.open(path, os.O_RDONLY)
    try:
        _header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
        index = DocIndex(path.with_name(path.name + ".idx"))
        split = halves._split(fd, os.fstat(fd).st_size, start, index)
        index.close()
    finally:
        os.close(fd)
    assert split is not None
    return split


@pytest.mark.parametrize("refs", [2, 60], ids=["middle-in-the-documents", "middle-in-the-links"])
def test_two_processes_find_what_one_does(tmp_path: Path, refs: int, forks: list[object]) -> None:
    path = _library(tmp_path, refs)
    assert _middle(path)[1] == (refs == 60)
    alone = _scan(path, parallel=False)
    assert forks == []
    assert _scan(path, parallel=True) == alone
    assert len(forks) == 1 and forks[0] is not None  # (read in two processes)
    assert alone[6] == [] and alone[8] == 611  # (and the demo article with its ten)


@pytest.mark.parametrize("refs", [2, 60], ids=["middle-in-the-documents", "middle-in-the-links"])
def test_two_processes_find_the_same_damage(tmp_path: Path, refs: int) -> None:
    path = _library(tmp_path, refs)
    raw = bytearray(path.read_bytes())
    mid = _middle(path)[0]
    for at in (mid // 2, mid + (len(raw) - mid) // 2):  # (a record broken in each half)
        at = raw.index(b'":{', at) + 3
        raw[at : at + 1] = b"#"
    path.write_bytes(bytes(raw))
    alone = _scan(path, parallel=False)
    assert len(alone[6]) == 2  # type: ignore[arg-type]
    assert _scan(path, parallel=True) == alone


def _record_line(raw: bytes, start: int, end: int) -> int:
    """Where the first record line (``"ID":{...``) between ``start`` and ``end`` begins."""
    found = re.compile(rb'\n"[0-9]+":\{').search(raw, start - 1, end)
    assert found is not None
    return found.start() + 1


@pytest.mark.parametrize("past", [0, 1], ids=["at-the-limit", "past-it"])
@pytest.mark.parametrize(
    ("refs", "table"),
    [(2, "articles"), (2, "links"), (60, "links")],
    ids=["middle-in-the-documents", "middle-in-the-documents-a-link", "middle-in-the-links"],
)
def test_an_id_far_past_the_count_is_judged_in_the_second_half_as_in_one_process(
    tmp_path: Path, refs: int, table: str, past: int
) -> None:
    """An id is refused when it is too far past the documents read before it (``SPREAD``): the child
    starts with the count the index gives of the documents before the middle, so an id at the limit
    is judged as one process judges it (a count of every line before the middle, links included,
    let one past it through). The id changed is a record's of ``table`` in the second half, found
    as such: the line a quarter of the file past the middle was taken before, which, as the records
    hold their file's path (the origin), was the links table's opening line for temp folders of a
    few lengths (its name made a number: one damage found, by both scans alike), such as /dev/shm's
    under ``-n 2``."""
    path = _library(tmp_path, refs)
    raw = bytearray(path.read_bytes())
    mid, in_links, _before = _middle(path)
    assert in_links == (refs == 60)
    documents = raw.index(b'"articles":{\n') + len(b'"articles":{\n')
    links = raw.index(b'\n},\n"links":{\n') + 1  # (the articles table's closing line)
    start, end = (mid, links) if table == "articles" else (max(mid, links), len(raw))
    at = _record_line(raw, start + (end - start) // 2, end)
    before = raw.count(b"\n", documents, min(at, links))  # (the documents before the line)
    end = raw.index(b'":', at)
    raw[at + 1 : end] = b"%d" % (basescan.SPREAD * (before + 1024) + past)
    path.write_bytes(bytes(raw))
    alone = _scan(path, parallel=False)
    assert len(alone[6]) == past, alone[6]  # type: ignore[arg-type]
    assert _scan(path, parallel=True) == alone


def test_a_child_that_fails_leaves_the_reading_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library(tmp_path, 2)
    alone = _scan(path, parallel=False)
    parent, scan_part = os.getpid(), halves.scan_part

    def failing_in_the_child(*args: object) -> None:
        if os.getpid() != parent:
            raise MemoryError
        scan_part(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(halves, "scan_part", failing_in_the_child)
    assert _scan(path, parallel=True) == alone


def test_the_first_half_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the middle falls comes from the document index (checked against the line there), not
    from reading the first half before this process reads it again."""
    path = _library(tmp_path, 2)
    mid = _middle(path)[0]
    fd = os.open(path, os.O_RDONLY)
    parent, pread, read = os.getpid(), os.pread, bytearray(mid)  # (how often each byte below mid)

    def counted(at_fd: int, length: int, offset: int) -> bytes:
        raw = pread(at_fd, length, offset)
        if at_fd == fd and os.getpid() == parent:
            for i in range(offset, min(offset + len(raw), mid)):
                read[i] += 1
        return raw

    index = DocIndex(path.with_name(path.name + ".idx"))
    try:
        header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
        assert header is not None
        monkeypatch.setattr(os, "pread", counted)
        scan = halves.scan_in_two(path, fd, os.fstat(fd), header["generation"], start, sink=None, index=index)
    finally:
        monkeypatch.undo()
        os.close(fd)
        index.close()
    assert scan.count == 611 and not scan.problems
    middle = start + (os.path.getsize(path) - start) // 2  # (the line across it is read to find mid)
    assert min(read) == 1 and max(read[:middle]) == 1  # (every byte of the first half, once)


def _pipes() -> set[str]:
    """This process's open pipes."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if (target := os.readlink(f"/proc/self/fd/{fd}")).startswith("pipe:"):
                found.add(f"{fd} {target}")
    return found


def test_a_failure_in_this_half_ends_the_child_and_is_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error in the first half (this process's): the child is killed and waited for (no
    zombie), the pipe closed (no descriptor left open), and ``check`` says it in one line naming the
    file."""
    path = _library(tmp_path, 2)
    parent, scan_part, fork, children = os.getpid(), halves.scan_part, os.fork, []

    def failing_here(*args: object) -> None:
        if os.getpid() == parent:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        scan_part(*args)  # type: ignore[arg-type]

    def forked() -> int:
        children.append(fork())
        return children[-1]

    monkeypatch.setattr(halves, "scan_part", failing_here)
    monkeypatch.setattr(os, "fork", forked)
    open_before = _pipes()
    try:
        result = cli(path, "check")
        assert len(children) == 1 and children[0] > 0  # (it was read in two processes)
        with pytest.raises(ChildProcessError):  # (waited for: no zombie)
            os.waitpid(children[0], os.WNOHANG)
    finally:
        for pid in children:  # (the child left behind, before the fix)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    assert _pipes() == open_before
    assert result.returncode == 3 and result.stdout == ""
    assert one_line(result.stderr).startswith(f"pmbrowse: cannot read {path}: Input/output error")


def test_an_index_that_does_not_say_where_the_middle_is_leaves_it_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another library's index (its offsets are not this base's): no split, one process, the same
    findings."""
    (tmp_path / "this").mkdir()
    (tmp_path / "other").mkdir()
    path = _library(tmp_path / "this", 2)
    other = _library(tmp_path / "other", 3)
    alone = _scan(path, parallel=False)
    os.replace(other.with_name("library.json.idx"), path.with_name("library.json.idx"))
    forks: list[object] = []
    monkeypatch.setattr(halves, "_fork_part", lambda *args: forks.append(args))
    with pytest.raises(AssertionError):
        _middle(path)
    assert _scan(path, parallel=True) == alone and forks == []
