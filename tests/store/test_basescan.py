"""Reading a base whole in two processes (``pmbrowse check``: ``store.storage.basescan``'s ``parallel``):
what it finds is what one process finds, byte for byte, wherever the middle falls and whatever is
damaged; and a child that fails leaves the check to this process."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from store import fileformat
from store.importer import import_paths
from store.library import Library
from store.storage import basescan
from store.storage.linksums import BaseLinks, Sums
from tests.store.bulk_files import cited, pubmed_xml


@pytest.fixture(autouse=True)
def _small_bases_in_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(basescan, "PARALLEL_BYTES", 0)


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
    try:
        st = os.fstat(fd)
        header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
        assert header is not None
        sums = Sums()
        scan = basescan.scan_base(
            path,
            fd,
            st,
            header["generation"],
            start,
            lenient=True,
            sink=BaseLinks(sums, {3}),
            parallel=parallel,
        )
    finally:
        os.close(fd)
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
        split = basescan._split(fd, os.fstat(fd).st_size, start)
    finally:
        os.close(fd)
    assert split is not None
    return split


@pytest.mark.parametrize("refs", [2, 60], ids=["middle-in-the-documents", "middle-in-the-links"])
def test_two_processes_find_what_one_does(tmp_path: Path, refs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _library(tmp_path, refs)
    assert _middle(path)[1] == (refs == 60)
    alone = _scan(path, parallel=False)
    children: list[object] = []
    fork_part = basescan._fork_part

    def counted(*args: object) -> object:
        children.append(fork_part(*args))  # type: ignore[arg-type]
        return children[-1]

    monkeypatch.setattr(basescan, "_fork_part", counted)
    assert _scan(path, parallel=True) == alone
    assert len(children) == 1 and children[0] is not None  # (read in two processes)
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


def test_a_child_that_fails_leaves_the_reading_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library(tmp_path, 2)
    alone = _scan(path, parallel=False)
    parent, scan_part = os.getpid(), basescan._scan_part

    def failing_in_the_child(*args: object) -> None:
        if os.getpid() != parent:
            raise MemoryError
        scan_part(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(basescan, "_scan_part", failing_in_the_child)
    assert _scan(path, parallel=True) == alone
