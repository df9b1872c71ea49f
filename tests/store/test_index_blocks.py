"""The document index checked by the block (``store.indexblocks``, index files since stop 49).

A command that reads a few documents checks the few blocks of the index their values are in, not its
whole columns and key table (67-73 MB at a million records, checked by every command before); damage
in a block is still found before anything read from it is used, and the index rebuilt from the base;
an index written before (``PMBIDX04``) still opens, checked whole as before."""

from __future__ import annotations

import io
import json
import mmap
import os
import shutil
import struct
import zlib
from array import array
from pathlib import Path
from typing import Any

import orjson
import pytest

from store import indexblocks
from store.docindex import COLUMNS, DocIndex, IndexFileError, IndexMismatch, aligned, key_hash
from store.importer import import_paths
from store.indexheader import MAGIC, MAGIC_04
from store.library import Library
from store.storage.indexwriter import IndexData, new_columns, write_index
from tests.store.bulk_files import pmid
from tests.store.test_reliability import cli, index_layout, ok, one_line
from tests.store.test_tiering import _file, _library_with_a_base

N = 3_000  # records: some ten blocks of each group of columns, and of the key table
PMID = pmid(2500)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library whose base holds N imported records (and the stubs of what they cite)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
        folder = tmp_path_factory.mktemp("blocks")
        path = _library_with_a_base(folder, monkeypatch)
        lib = Library.open(path)
        import_paths(lib, [_file(folder / "more.xml", 1201, N - 1200, N)])
        lib.close()
        ok(cli(path, "compact"))
    return path


def copy(library: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(library.parent, folder, symlinks=True)
    idx = folder / "library.json.idx"  # (a copy's index not older than its copied base: touched after it)
    os.utime(idx, ns=(idx.stat().st_atime_ns, idx.stat().st_mtime_ns))
    return folder / "library.json"


def layout(idx: Path) -> tuple[dict[str, Any], dict[str, int], int, int]:
    """The header, where each column starts, where the key table starts, where the block tables start."""
    header, where, keys = index_layout(idx)
    pmids = aligned(keys + 12 * int(header["keys"]))  # type: ignore[call-overload]
    return header, where, keys, aligned(pmids + 4 * (int(header["max_id"]) + 1))  # type: ignore[call-overload]


def as_04(idx: Path) -> None:
    """The index rewritten as an index of before stop 49 (``PMBIDX04``): the same columns, keys, PMID
    column and heads, without the block tables, its header without their fields."""
    raw = idx.read_bytes()
    (n,) = struct.unpack_from("<I", raw, 8)
    header = orjson.loads(raw[16 : 16 + n])
    _header, _where, _keys, end = layout(idx)
    heads_at = len(raw) - int(header["heads"])
    del header["blocks"], header["blocks_crc"]
    new = orjson.dumps(header)
    start = MAGIC_04 + struct.pack("<II", len(new), zlib.crc32(new)) + new
    body = raw[aligned(16 + n) : end]
    idx.write_bytes(start + bytes(aligned(len(start)) - len(start)) + body + raw[heads_at:])


def crc_bytes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bytes of mapped files (the index: the base, journal and segments are read with ``pread``)
    given to ``zlib.crc32`` from now on, counted."""
    counted = [0]
    real = zlib.crc32

    def counting(data: Any, value: int = 0) -> int:
        if isinstance(data, memoryview) and isinstance(data.obj, mmap.mmap):
            counted[0] += data.nbytes
        return real(data, value)

    monkeypatch.setattr(zlib, "crc32", counting)
    return counted


def test_reading_one_document_checks_a_few_blocks_of_the_index(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the library and reading one article (its record, links, link counts, meta, head, PMID,
    found by its PMID) checks a few blocks: a few tens of KB, where the whole columns and keys are ten
    times that here (67-73 MB at a million records). Red when the index is checked whole (at opening,
    as before stop 49: ``DocIndex`` without blocks)."""
    path = copy(library, tmp_path)
    idx = path.with_name("library.json.idx")
    _header, _where, _keys, end = layout(idx)
    whole = end - aligned(16 + struct.unpack_from("<I", idx.read_bytes(), 8)[0])
    counted = crc_bytes(monkeypatch)
    lib = Library.open(path)
    try:
        snap = lib._reader.current()
        assert snap.index is not None
        found = snap.holders(f"pmid:{PMID}")
        assert len(found) == 1
        doc_id = next(iter(found))
        assert snap.doc(doc_id) is not None and snap.head(doc_id) and snap.meta(doc_id) is not None
        snap.index.link_counts(doc_id)
        snap.index.pmid(doc_id)
        snap.index.link_location(doc_id)
    finally:
        lib.close()
    # (a block of each group read, two of the key table: 48 KB at most; the whole, 4 times that at least)
    assert 0 < counted[0] <= 48 * 1024 <= whole // 4, (counted[0], whole)


def test_a_whole_pass_checks_what_it_reads_and_each_block_once(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy(library, tmp_path)
    index = DocIndex(path.with_name("library.json.idx"))
    try:
        counted = crc_bytes(monkeypatch)
        order = index.column("order")
        assert counted[0] == order.nbytes  # (the order's blocks: all of them)
        list(index.cited_order())
        index.meta(5)
        index.meta(6)  # (its block checked already)
        assert counted[0] == order.nbytes + 8 * indexblocks.ROWS
        assert not any(index._seen[indexblocks.LOC])
        assert len(list(index.ids())) > N and all(index._seen[indexblocks.LOC])
    finally:
        index.close()


@pytest.mark.parametrize("where", ["doc_off", "meta", "keys"])
def test_a_damaged_block_is_found_when_read_and_the_index_rebuilt(
    library: Path, tmp_path: Path, where: str
) -> None:
    """One bit flipped in a block the command reads (the place of a record, its year, its PMID's entry
    in the key table; the most-cited order: ``test_index_check_later``): ``check`` names it, a command
    finds it before it uses a value of it, and the index is rebuilt from the base (a one-line notice),
    as it was before."""
    path = copy(library, tmp_path)
    idx = path.with_name("library.json.idx")
    good = idx.read_bytes()
    raw = bytearray(good)
    _header, at, keys, _end = layout(idx)
    lib = Library.open(path)
    doc_id = next(iter(lib._reader.current().holders(f"pmid:{PMID}")))
    key_rank = list(lib._reader.current().index.key_hashes).index(key_hash(f"pmid:{PMID}"))  # type: ignore[union-attr]
    lib.close()
    flip = {
        "doc_off": at["doc_off"] + 8 * doc_id,
        "meta": at["year"] + 2 * doc_id,
        "keys": keys + 8 * key_rank + 2,
    }[where]
    raw[flip] ^= 0x10
    idx.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError):
        DocIndex(idx, whole=True)
    found = cli(path, "check")
    assert found.returncode != 0 and "library.json.idx" in found.stdout, found.stdout + found.stderr
    result = ok(cli(path, "show", PMID, "--json"))
    assert json.loads(result.stdout)["pmid"] == PMID
    notice = one_line(result.stderr)
    assert "library.json.idx" in notice and "rebuilt" in notice and "block" in notice, notice
    assert idx.read_bytes() == good
    ok(cli(path, "check"))


def test_a_damaged_block_of_an_index_opened_alone_is_said_at_every_read(
    library: Path, tmp_path: Path
) -> None:
    path = copy(library, tmp_path)
    idx = path.with_name("library.json.idx")
    raw = bytearray(idx.read_bytes())
    _header, at, _keys, _end = layout(idx)
    raw[at["refs"] + 4 * (2 * indexblocks.ROWS + 3)] ^= 1  # (the third block of the counts)
    idx.write_bytes(bytes(raw))
    index = DocIndex(idx)
    try:
        assert index.link_counts(3) is not None  # (another block: read, checked, good)
        index.verify()
        for _time in range(2):
            with pytest.raises(IndexMismatch, match="refs/cited block 2 does not match"):
                index.link_counts(2 * indexblocks.ROWS + 7)
        with pytest.raises(IndexFileError, match="damaged"):
            index.verify()
    finally:
        index.close()


def test_a_damaged_block_table_or_header_is_found_at_opening(library: Path, tmp_path: Path) -> None:
    path = copy(library, tmp_path)
    idx = path.with_name("library.json.idx")
    good = idx.read_bytes()
    _header, _at, _keys, end = layout(idx)
    for flip, why in ((end + 5, "block tables"), (20, "header")):
        raw = bytearray(good)
        raw[flip] ^= 1
        idx.write_bytes(bytes(raw))
        with pytest.raises(IndexFileError, match=why):
            DocIndex(idx)
        result = ok(cli(path, "show", PMID, "--json"))
        assert "rebuilt" in one_line(result.stderr)
        assert idx.read_bytes() == good


def test_an_index_written_before_the_blocks_opens_and_is_checked_whole(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library's PMBIDX04 index is read as it is, checked whole as before (no rebuild on upgrade: it
    is written anew, by the block, at the library's next compaction); damaged, it is rebuilt."""
    path = copy(library, tmp_path)
    idx = path.with_name("library.json.idx")
    good = idx.read_bytes()
    as_04(idx)
    old = idx.read_bytes()
    assert old[:8] == MAGIC_04 and len(old) < len(good)
    index = DocIndex(idx)
    assert index._blocks is None and index.location(5) is not None and index.candidates(f"pmid:{PMID}")
    index.close()
    result = ok(cli(path, "show", PMID, "--json"))
    assert json.loads(result.stdout)["pmid"] == PMID and result.stderr == ""
    ok(cli(path, "check"))
    assert idx.read_bytes() == old  # (not rewritten)
    _header, at, _keys = index_layout(idx)
    raw = bytearray(old)
    raw[at["doc_off"] + 8 * 9] ^= 1  # (the place of document 9)
    idx.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError, match="its checksum does not match"):
        DocIndex(idx)
    result = ok(cli(path, "show", PMID, "--json"))
    assert "rebuilt" in one_line(result.stderr)
    assert idx.read_bytes() == good  # (rebuilt: by the block)
    ok(cli(path, "compact"))
    assert idx.read_bytes()[:8] == MAGIC


def _key_table(hashes: list[int]) -> bytes:
    """An index (in memory, written as a base's is) of 2,000 documents whose key table holds ``hashes``,
    sorted, the i-th held by document i + 1."""
    pairs = sorted((h << 32) | (i + 1) for i, h in enumerate(hashes))
    data = IndexData("g", {"records": 0, "stubs": 0, "links": 0}, 2001, new_columns(2000), pairs)
    buffer = io.BytesIO()
    write_index(buffer, data)
    return buffer.getvalue()


def test_a_key_whose_entries_run_into_the_next_block_is_found_whole_and_each_block_checked() -> None:
    """``candidates_of`` checks the key's block once, then the next only if its entries run on into it:
    every key's candidates as a scan of the table finds them, and a damaged next block is said for the
    key that runs into it, not for one that ends before it (one hash held by 700 documents: blocks of
    512 keys)."""
    per = indexblocks.KEYS
    hashes = [1000 + 7 * i for i in range(300)] + [5000] * 700 + [9000 + i for i in range(300)]
    raw = _key_table(hashes)
    index = DocIndex(None, raw=raw)
    try:
        table = list(zip(index._hashes, index._ids, strict=True))
        for h in {*hashes, 3, 5001, 1 << 60}:
            assert index.candidates_of(h) == [d for k, d in table if k == h], h
        assert all(index._seen[indexblocks.KEYTABLE])
        keys_at = index_layout_raw(raw)
    finally:
        index.close()
    damaged = bytearray(raw)
    damaged[keys_at + 8 * (per + 500) + 1] ^= 1  # (a hash of the second block, past the run of 5000)
    index = DocIndex(None, raw=bytes(damaged))
    try:
        assert index.candidates_of(1000 + 7 * 5) == [6]  # (the first block only: good)
        with pytest.raises(IndexMismatch, match="key table's block 1"):
            index.candidates_of(5000)  # (runs on into the second)
        assert not index._seen[indexblocks.KEYTABLE][1]
    finally:
        index.close()


def index_layout_raw(raw: bytes) -> int:
    """Where the key table of an index's bytes begins (as ``DocIndex`` finds it)."""
    (n,) = struct.unpack_from("<I", raw, 8)
    header = orjson.loads(raw[16 : 16 + n])
    pos, rows = aligned(16 + n), int(header["max_id"]) + 1
    for _name, code in COLUMNS:
        pos = aligned(pos + array(code).itemsize * rows)
    return pos
