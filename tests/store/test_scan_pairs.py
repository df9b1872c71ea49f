"""A base read whole (``store.storage.basescan``: the index rebuilt after its loss, ``pmbrowse repair``,
``pmbrowse check``) holds its identity key pairs as a fold does (``columns.Pairs``, 12 bytes a pair),
not as a list of Python integers (some 48 bytes a pair: at a million records, millions of them); the
index it writes is the one written before, byte for byte; and ``pmbrowse check`` still finds a key
table that differs from the base's."""

from __future__ import annotations

import io
import os
import random
import tracemalloc
from pathlib import Path

import pytest

from store import fileformat
from store.importer import import_paths
from store.library import Library
from store.storage import basescan
from store.storage.basescan import Scan
from store.storage.columns import Pairs
from store.storage.indexwriter import IndexData, write_index
from store.storage.verify import verify
from tests.store.bulk_files import cited, pubmed_xml


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of 1,500 records (two or three keys each), all in its base."""
    folder = tmp_path_factory.mktemp("scanned")
    rng = random.Random(3)
    records = [(i, cited(rng, i, 1500, 3)) for i in range(1, 1501)]
    path = folder / "library.json"
    lib = Library.open(path)
    import_paths(lib, [pubmed_xml(folder / "records.xml", records)])
    lib.compact()
    lib.close()
    return path


def _scan(path: Path) -> Scan:
    fd = os.open(path, os.O_RDONLY)
    try:
        header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
        assert header is not None
        return basescan.scan_base(path, fd, os.fstat(fd), header["generation"], start)
    finally:
        os.close(fd)


def test_a_scans_key_pairs_cost_at_most_16_bytes_each(base: Path) -> None:
    tracemalloc.start()
    try:
        scan = _scan(base)
        held = tracemalloc.get_traced_memory()[0]
        count = len(scan.data.pairs)
        scan.data.pairs = Pairs()
        held -= tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert count >= 3000
    # Before: a list of Python integers of 96 bits, some 48 bytes a pair (~220 KB here).
    assert held <= 16 * count, (held, count)


def _written(data: IndexData) -> bytes:
    out = io.BytesIO()
    write_index(out, data)
    return out.getvalue()


def test_the_index_a_scan_writes_is_the_one_written_before(base: Path) -> None:
    """As written from the pairs as a sorted list of integers (``indexwriter``'s other way), and as
    the library's own index, written by its compaction's fold."""
    data = _scan(base).data
    pairs = list(data.pairs)
    assert pairs == sorted(pairs)
    written = _written(data)
    data.pairs = pairs
    assert _written(data) == written
    assert base.with_name(base.name + ".idx").read_bytes() == written


@pytest.mark.parametrize("change", ["an id", "a pair fewer", "a pair more"])
def test_check_finds_a_key_table_that_differs_from_the_base(base: Path, tmp_path: Path, change: str) -> None:
    path = tmp_path / "library.json"
    path.write_bytes(base.read_bytes())
    data = _scan(path).data
    pairs = list(data.pairs)
    if change == "an id":
        pairs[len(pairs) // 2] ^= 1
    elif change == "a pair fewer":
        pairs.pop()
    else:
        pairs.append(pairs[-1] + 1)
    data.pairs = sorted(pairs)
    write_index(path.with_name(path.name + ".idx"), data)
    problems = verify(path).problems
    assert any("its identifier table differs" in p for p in problems), problems
    data.pairs = Pairs()
    data.pairs.extend(sorted(list(_scan(path).data.pairs)))
    write_index(path.with_name(path.name + ".idx"), data)
    assert verify(path).problems == []
