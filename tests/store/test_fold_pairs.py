"""The key pairs a new base's index is built with are held compactly (issue 18: a fold of a library of a
million records held them as a list of Python integers, some 48 bytes a pair for 12 of data: ~200 MB of
its peak), sorted without holding them all as integers, and the index written is the same, byte for
byte, as one written the way it was before (the columns and keys joined in memory to be checksummed)."""

from __future__ import annotations

import io
import random
import struct
import tracemalloc
import zlib
from array import array
from pathlib import Path

import orjson
import pytest

from store.docindex import COLUMNS, DocIndex, aligned, key_hash
from store.indexheader import MAGIC_04 as MAGIC
from store.storage import columns as columns_module
from store.storage.columns import Pairs
from store.storage.files import LibraryFiles
from store.storage.generation import Builder
from store.storage.indexwriter import IndexData, cited_key, cited_order, new_columns
from store.storage.meta import Meta
from tests.store.test_index_blocks import as_04


def _keys(doc_id: int) -> list[str]:
    return [f"pmid:{doc_id}", f"doi:10.1/{doc_id % 997}"]  # (shared dois: one hash, several documents)


def _built(tmp_path: Path, n: int) -> tuple[Builder, list[int]]:
    """A builder given ``n`` documents' keys with them, and as many more pairs out of order (a fold adds
    the old base's and each segment's after the documents)."""
    builder = Builder(LibraryFiles(tmp_path / "library.json", None), n)
    expected = []
    for doc_id in range(1, n + 1):
        head = b'{"pmid":"%d"}' % doc_id  # (as ``head_of`` writes it: the PMID column keeps it)
        builder.add_doc(doc_id, head, Meta(0, 1990 + doc_id % 30, doc_id % 7), head, _keys(doc_id))
        expected += [(key_hash(key) << 32) | doc_id for key in _keys(doc_id)]
    rng = random.Random(5)
    more = [(rng.getrandbits(64) << 32) | rng.randrange(1, n + 1) for _ in range(n)]
    half = sorted(more[: n // 2])  # (a run in order, as a layer's key table is)
    builder.data.pairs.extend(half + more[n // 2 :])
    return builder, sorted(expected + more)


def _old_bytes(data: IndexData, pairs: list[int]) -> bytes:
    """The index as written before: the columns and keys joined in a buffer, its CRC in the header."""
    fh = io.BytesIO()
    data.columns["order"] = cited_order(data.columns)
    body = io.BytesIO()

    def pad(out: io.BytesIO, written: int) -> None:
        out.write(b"\0" * (aligned(written) - written))

    for name, _code in COLUMNS:
        pad(body, body.write(data.columns[name].tobytes()))
    body.write(array("Q", (p >> 32 for p in pairs)).tobytes())
    pad(body, body.write(array("I", (p & 0xFFFFFFFF for p in pairs)).tobytes()))
    # The PMID column (since stop 34): each document's PMID, as its head begins with it.
    pad(body, body.write(array("I", range(len(data.columns["doc_off"]))).tobytes()))
    header = orjson.dumps(
        {
            "generation": data.generation,
            "counts": data.counts,
            "next_id": data.next_id,
            "max_id": len(data.columns["doc_off"]) - 1,
            "keys": len(pairs),
            "base": list(data.base),
            "base_crc": data.base_crc,
            "heads": data.heads.tell(),
            "body_crc": zlib.crc32(body.getbuffer()),
            "pmids": True,
        }
    )
    pad(fh, fh.write(MAGIC + struct.pack("<II", len(header), zlib.crc32(header)) + header))
    fh.write(body.getbuffer())
    data.heads.seek(0)
    fh.write(data.heads.read())
    return fh.getvalue()


def test_a_builders_key_pairs_cost_at_most_16_bytes_each(tmp_path: Path) -> None:
    n = 20_000
    builder = Builder(LibraryFiles(tmp_path / "library.json", None), n)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for doc_id in range(1, n + 1):
            builder.add_doc(doc_id, b"{}", Meta(0, 2000, 0), b"{}", _keys(doc_id))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        builder.discard()
    assert len(builder.data.pairs) == 2 * n
    # Before: a list of Python integers of 96 bits, some 48 bytes a pair (1.9 MB here).
    assert grown <= 16 * 2 * n, grown


def test_sorting_the_pairs_holds_at_most_a_chunk_of_them_as_integers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns_module, "SORT_CHUNK", 4096)
    rng = random.Random(7)
    values = [(rng.getrandbits(64) << 32) | rng.getrandbits(32) for _ in range(100_000)]
    pairs = Pairs()
    for k in range(4):  # (four layers' key tables, each in order, and pairs out of order)
        pairs.extend(sorted(values[k * 20_000 : (k + 1) * 20_000]))
    pairs.extend(values[80_000:])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        pairs.sort()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert list(pairs) == sorted(values)
    # The new columns (12 bytes a pair) and a chunk as integers; sorting them as a list: some 56.
    assert peak <= 14 * len(values) + 100 * 4096, peak


@pytest.mark.parametrize("chunk", [64, 1 << 16])
def test_the_index_written_is_the_one_written_before_and_finds_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(columns_module, "SORT_CHUNK", chunk)
    n = 3001  # (an odd number of pairs: the ids are padded)
    builder, expected = _built(tmp_path, n)
    builder.finish(n + 1)
    written = (tmp_path / "library.json.idx").read_bytes()
    data = builder.data
    assert list(data.pairs) == expected
    # (the heads file was closed once the index was written: the same heads, read back from it)
    index = DocIndex(tmp_path / "library.json.idx")
    index.verify()
    heads = io.BytesIO(b"".join(index.head(d) for d in range(1, n + 1)))
    heads.seek(0, io.SEEK_END)
    old = IndexData(data.generation, data.counts, data.next_id, data.columns, [], heads, data.base)
    old.base_crc = data.base_crc
    as_before = tmp_path / "as_before.idx"  # (since stop 49 with the blocks' tables: those taken out)
    as_before.write_bytes(written)
    as_04(as_before)
    assert as_before.read_bytes() == _old_bytes(old, expected)
    assert list(index.pairs_except(())) == expected
    for doc_id in range(1, n + 1):
        for key in _keys(doc_id):
            assert doc_id in index.candidates(key)
    index.close()


def _random_columns(n: int, seed: int) -> dict[str, array[int]]:
    rng = random.Random(seed)
    columns = new_columns(n)
    for doc_id in range(1, n + 1):
        if rng.random() < 0.9:  # (and some ids with no document)
            columns["doc_off"][doc_id] = doc_id
            columns["year"][doc_id] = rng.choice((0, 1999, 2000, 2024))
            columns["cited"][doc_id] = rng.choice((0, 0, 1, 2, 70_000))
            columns["citation"][doc_id] = rng.choice((0, 0, 3, 1 << 20, (1 << 32) - 1))
    return columns


def _sorted_order(columns: dict[str, array[int]]) -> list[int]:
    """The order as it was made before: the documents' ``cited_key``s sorted, largest first."""
    citation, cited, year = columns["citation"], columns["cited"], columns["year"]
    present = columns["doc_off"]
    keys = sorted(
        (cited_key(citation[i], cited[i], year[i], i) for i in range(1, len(present)) if present[i]),
        reverse=True,
    )
    ids = [0xFFFFFFFF - (k & 0xFFFFFFFF) for k in keys]
    return ids + [0] * (len(present) - len(ids))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_most_cited_order_is_the_sorted_keys_order(seed: int) -> None:
    columns = _random_columns(5000, seed)
    assert list(cited_order(columns)) == _sorted_order(columns)
    assert list(cited_order(new_columns(0))) == [0]


def test_the_most_cited_order_costs_a_few_bytes_a_document() -> None:
    n = 100_000
    columns = _random_columns(n, 4)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        cited_order(columns)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # The column itself (4 bytes a document) and a count and year each; the keys sorted as a list of
    # Python integers: some 48 bytes a document.
    assert peak <= 16 * n, peak
