"""The base index's PMID column (``store.storage.pmids``; issue 18: an import into a library looks up
most PMIDs its reference lists name, and each found in the base read its candidate's head to rule out a
hash collision, some 36% of a look-up): a key ``pmid:N`` is answered from the column with no head read,
with the answers of reading every head (hash collisions made here by a hash that gives many PMIDs one
value); an index written before the column reads as before; ``pmbrowse check`` finds a column that
disagrees with the heads under a good checksum."""

from __future__ import annotations

import struct
import zlib
from itertools import product
from pathlib import Path

import orjson
import pytest

from store.check import check
from store.docindex import DocIndex, IndexFileError, aligned
from store.importer import import_paths
from store.library import Library
from store.merge import doc_keys
from store.storage.holders import holds
from store.storage.pmids import head_pmid, key_pmid
from tests.store.helpers import count_calls
from tests.store.test_key_lookup import _collide
from tests.store.test_tiering import _file, _library_with_a_base

HEADS = [
    b'{"pmid":"5"}',
    b'{"pmid":"5","title":"x"}',
    b'{"pmid":"55"}',
    b'{"pmid": "5"}',
    b'{"pmid":"5","pmid":"6"}',
    b'{"pmid":"05"}',
    b'{"title":"x","pmid":"5"}',
    b'{"pmid":"5","journal":"pmid"}',
    b'{"pmid":"4294967296"}',
    b'{"pmid":"4294967295"}',
    b'{"pmid":"5\\u0030"}',
    b'{"pmcid":"PMC5"}',
    b'{"pmid":""}',
]
KEYS = ["pmid:5", "pmid:55", "pmid:05", "pmid:6", "pmid:", "pmid:4294967296", "pmid:4294967295", "pmid:50"]


def test_the_column_keeps_a_pmid_only_where_the_heads_first_bytes_tell_it() -> None:
    assert [head_pmid(h) for h in HEADS] == [5, 5, 55, 0, 0, 0, 0, 0, 0, 4294967295, 0, 0, 0]
    assert [key_pmid(k) for k in KEYS] == [5, 55, 0, 6, 0, 0, 4294967295, 50]
    for head, key in product(HEADS, KEYS):
        kept, wanted = head_pmid(head), key_pmid(key)
        if kept and wanted:  # (the column answers: as the head does)
            assert (kept == wanted) == holds(head, key) == (key in doc_keys(orjson.loads(head))), (head, key)


def _truth(lib: Library, keys: list[str]) -> dict[str, set[int]]:
    by_key: dict[str, set[int]] = {key: set() for key in keys}
    for doc_id, doc in lib.iter_docs():
        for key in doc_keys(doc):
            by_key.setdefault(key, set()).add(doc_id)
    return by_key


def test_a_pmids_key_is_answered_from_the_column_as_from_the_heads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _collide(monkeypatch, groups=7)  # (each PMID's key collides with a seventh of the others)
    path = _library_with_a_base(tmp_path, monkeypatch)
    lib = Library.open(path)
    snap = lib._reader.current()
    assert snap.index is not None and snap.index.has_pmids and not snap.segments
    assert snap.index.pmid(7) == int(orjson.loads(snap.index.head(7))["pmid"])
    keys = [f"pmid:{n}" for n in range(0, 1250)] + ["pmid:07", "pmid:"]
    truth = _truth(lib, keys)
    reads = count_calls(monkeypatch, DocIndex, "head")
    for key in truth:
        assert set(lib._reader.holders(key)) == truth[key], key
    assert reads[0] <= len(truth) - len(keys)  # (the keys not PMIDs' read heads; PMIDs' none)
    lib.close()


def _without_column(path: Path, change: bytes | None = None) -> None:
    """The index rewritten as one written before the column (none, its header without ``pmids``); or,
    with ``change`` (the column's new bytes), its column replaced, every checksum made to match."""
    raw = (idx := path.with_name(path.name + ".idx")).read_bytes()
    n = struct.unpack_from("<I", raw, 8)[0]
    header = orjson.loads(raw[16 : 16 + n])
    index = DocIndex(idx)
    (_start, end, _crc), heads_at, size = index._body, index._heads_at, aligned(4 * (index.max_id + 1))
    index.close()
    body = raw[aligned(16 + n) : end - size] + (change or b"")
    if change is None:
        del header["pmids"]
    header["body_crc"] = zlib.crc32(body)
    new = orjson.dumps(header)
    start = b"PMBIDX04" + struct.pack("<II", len(new), zlib.crc32(new)) + new
    idx.write_bytes(start + b"\0" * (aligned(len(start)) - len(start)) + body + raw[heads_at:])


def test_an_index_written_before_the_column_reads_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _collide(monkeypatch, groups=7)
    path = _library_with_a_base(tmp_path, monkeypatch)
    _without_column(path)
    lib = Library.open(path)
    index = lib._reader.current().index
    assert index is not None and not index.has_pmids and index.pmid(7) == 0
    assert not any("rebuilt" in notice for notice in lib.notices)
    keys = [f"pmid:{n}" for n in range(0, 1250)]
    truth = _truth(lib, keys)
    reads = count_calls(monkeypatch, DocIndex, "head")
    for key in keys:
        assert set(lib._reader.holders(key)) == truth[key], key
    assert reads[0] >= 1200  # (each found by its head, and each collision)
    # An import into it reads its keys through the heads, and a fold writes the column.
    import_paths(lib, [_file(tmp_path / "more.xml", 1100, 300, 1400)])
    assert lib.compact()
    lib.close()
    assert DocIndex(path.with_name(path.name + ".idx")).has_pmids
    assert check(path).problems == []


def test_check_finds_a_column_that_disagrees_with_the_heads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_a_base(tmp_path, monkeypatch)
    assert check(path).problems == []
    index = DocIndex(path.with_name(path.name + ".idx"))
    column = bytearray(index.column("pmid").tobytes())
    index.close()
    struct.pack_into("<I", column, 4 * 9, 12345)  # (document 9 said to be PMID 12345, the checksum good)
    _without_column(path, bytes(column) + b"\0" * (aligned(len(column)) - len(column)))
    problems = check(path).problems
    assert len(problems) == 1 and "PMID column says document 9 is PMID 12345, its head PMID 4" in problems[0]


def test_a_header_saying_pmids_otherwise_than_true_is_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_a_base(tmp_path, monkeypatch)
    idx = path.with_name(path.name + ".idx")
    raw = idx.read_bytes()
    n = struct.unpack_from("<I", raw, 8)[0]
    new = raw[16 : 16 + n].replace(b'"pmids":true', b'"pmids":1   ')
    idx.write_bytes(raw[:12] + struct.pack("<I", zlib.crc32(new)) + new + raw[16 + n :])
    with pytest.raises(IndexFileError, match="its pmids is not true"):
        DocIndex(idx)


def test_an_index_rebuilt_from_the_base_keeps_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilt from the base file (lost, or damaged: its heads kept in memory, read for the column when
    it is written) as a fold writes it."""
    path = _library_with_a_base(tmp_path, monkeypatch)
    idx = path.with_name(path.name + ".idx")
    folded = DocIndex(idx)
    column = folded.column("pmid").tobytes()
    assert sum(1 for d in folded.ids() if folded.pmid(d)) >= 1200  # (the records; stubs too)
    folded.close()
    idx.unlink()
    Library.open(path).close()
    rebuilt = DocIndex(idx)
    assert rebuilt.has_pmids and rebuilt.column("pmid").tobytes() == column
    assert all(rebuilt.pmid(d) == head_pmid(rebuilt.head(d)) for d in rebuilt.ids())
    rebuilt.close()
