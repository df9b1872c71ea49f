"""Writing a document index (``store.docindex``): the columns a base's documents make, the most-cited
order, and the file's bytes with their checksums; or an index kept in memory."""

from __future__ import annotations

import io
import os
import shutil
import struct
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from store import indexblocks
from store.docindex import COLUMNS, MAGIC, DocIndex, aligned, key_hash
from store.indexheader import MAGICS
from store.storage.columns import Pairs
from store.storage.pmids import from_heads, head_pmid

_LITTLE = sys.byteorder == "little"


def new_columns(max_id: int, which: Iterable[tuple[str, str]] = COLUMNS) -> dict[str, array[int]]:
    """Zeroed columns for documents 0..max_id (``which``: their names and type codes; all of them)."""
    return {name: array(code, bytes(array(code).itemsize * (max_id + 1))) for name, code in which}


def cited_key(citation: int, cited: int, year: int, doc_id: int) -> int:
    """The order of "most cited first" as one integer, largest first: the citation count (the larger of
    what a source reports and how many articles of the library cite it), then the year (newer first),
    then the document id (lower first)."""
    return (max(citation, cited) << 48) | (year << 32) | (0xFFFFFFFF - doc_id)


def cited_order(columns: dict[str, array[int]]) -> array[int]:
    """The ``order`` column: every document of the base, most cited first (see ``cited_key``).

    Counted into place, not sorted: the documents of one count and year come in id order (as
    ``cited_key`` orders them), so each count and year, largest first, is given its stretch of the
    column, and each document, in id order, the next place of its stretch. What it holds: the count
    and year of each document (8 bytes) and a few dicts of the distinct ones; sorting the keys as a list
    of Python integers cost some 44 bytes a document (a fold of a million records' library, with its
    stubs millions of documents)."""
    citation, cited, year, present = (
        columns["citation"],
        columns["cited"],
        columns["year"],
        columns["doc_off"],
    )
    # (``cited_key`` without its id: -1, no document)
    upper = array("q", [-1]) * len(present)  # (made whole: grown, it was held twice as it grew)
    for i in range(1, len(present)):
        if present[i]:
            upper[i] = (max(citation[i], cited[i]) << 16) | year[i]
    sizes = Counter(upper)
    sizes.pop(-1, None)
    start, at = {}, 0
    for key in sorted(sizes, reverse=True):
        start[key] = at
        at += sizes[key]
    del sizes
    order = array("I", [0]) * len(present)
    for doc_id, key in enumerate(upper):
        if key >= 0:
            at = start[key]
            order[at] = doc_id
            start[key] = at + 1
    return order


@dataclass
class IndexData:
    """What an index file holds, in memory, for building one."""

    generation: str
    counts: dict[str, int]
    next_id: int
    columns: dict[str, array[int]]
    pairs: list[int] | Pairs  # (key hash << 32) | doc id, sorted (a new base's: ``Pairs``, 12 bytes each)
    heads: BinaryIO = field(default_factory=io.BytesIO)  # the heads region, as written so far
    base: tuple[int, int] = (0, 0)  # the base file's size and modification time (ns) it describes
    base_crc: int = 0  # the CRC-32 of the base file's bytes
    # The PMID column (``store.storage.pmids``) of heads written to a file (a fold's); heads kept in
    # memory are read for it when the index is written (a rebuild in halves merges their heads).
    pmids: array[int] = field(default_factory=lambda: array("I"))

    def add_head(self, doc_id: int, head: bytes) -> None:
        self.note_head(doc_id, head, self.heads.tell())
        self.heads.write(head)

    def note_head(self, doc_id: int, head: bytes, at: int, pmid: int | None = None) -> None:
        """The columns of ``doc_id``'s head, written at ``at`` of ``heads`` (now: ``add_head``; or later,
        with others: ``generation.Builder``); ``pmid``: the head's ``head_pmid``, if the caller has it."""
        self.columns["head_off"][doc_id] = at
        self.columns["head_len"][doc_id] = len(head)
        self.columns["head_crc"][doc_id] = zlib.crc32(head)
        if not isinstance(self.heads, io.BytesIO):
            pmids = self.pmids
            if len(pmids) <= doc_id:
                pmids.extend(array("I", bytes(4 * (doc_id + 1 - len(pmids)))))
            pmids[doc_id] = head_pmid(head) if pmid is None else pmid

    def pmid_column(self) -> array[int]:
        """The PMID column of the index (``store.storage.pmids``), one value per document id."""
        columns = self.columns
        if isinstance(self.heads, io.BytesIO):
            return from_heads(self.heads, columns["head_off"], columns["head_len"])
        size, pmids = len(columns["doc_off"]), self.pmids  # (sized in place: no copy held beside it)
        pmids.extend(array("I", bytes(4 * max(size - len(pmids), 0))))
        del pmids[size:]
        return pmids


def _le(values: array[int]) -> memoryview:
    """The values' bytes, little-endian (on a little-endian machine the array's own, not copied)."""
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return memoryview(values).cast("B")


def _pad(fh: BinaryIO, written: int) -> int:
    fh.write(b"\0" * (aligned(written) - written))
    return aligned(written)


def write_index(path: Path | BinaryIO, data: IndexData) -> None:
    """Write an index file (the caller renames it into place); or into an open binary stream."""
    if not isinstance(path, Path):
        _write_index(path, data)
        return
    with open(path, "wb") as fh:
        _write_index(fh, data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_index(fh: BinaryIO, data: IndexData) -> None:
    data.columns["order"] = cited_order(data.columns)
    pairs = data.pairs
    if isinstance(pairs, Pairs):
        hashes, ids = pairs.hashes, pairs.ids
    else:
        hashes, ids = array("Q", (p >> 32 for p in pairs)), array("I", (p & 0xFFFFFFFF for p in pairs))
    # (the columns and keys, 60 bytes a document and 12 a key, checksummed and written in place: once
    # joined in a buffer, a copy of them all was held while the header was made)
    named = {name: _le(data.columns[name]) for name, _code in COLUMNS} | {"pmid": _le(data.pmid_column())}
    sizes = {name: array(code).itemsize for name, code in COLUMNS} | {"pmid": 4}
    keys = (_le(hashes), _le(ids))
    body: list[bytes | memoryview] = []  # (each padded to 8 bytes; the hashes and ids one stretch)
    for column in [*(named[name] for name, _code in COLUMNS), *keys, named["pmid"]]:
        body.append(column)
        if column is not keys[0]:
            body.append(b"\0" * (aligned(column.nbytes) - column.nbytes))
    body_crc = 0
    for part in body:
        body_crc = zlib.crc32(part, body_crc)
    tables = indexblocks.tables(named, sizes, *keys)  # (``store.indexblocks``: the CRC-32 of each block)
    header = orjson.dumps(
        {
            "generation": data.generation,
            "counts": data.counts,
            "next_id": data.next_id,
            "max_id": len(data.columns["doc_off"]) - 1,
            "keys": len(data.pairs),
            "base": list(data.base),
            "base_crc": data.base_crc,
            "heads": data.heads.tell(),
            "body_crc": body_crc,
            "pmids": True,
            "blocks": [indexblocks.ROWS, indexblocks.KEYS],
            "blocks_crc": zlib.crc32(tables),
        }
    )
    _pad(fh, fh.write(MAGIC + struct.pack("<II", len(header), zlib.crc32(header)) + header))
    for part in body:
        fh.write(part)
    del body, named, keys
    fh.write(tables)
    data.heads.seek(0)
    shutil.copyfileobj(data.heads, fh, 1 << 20)


def pairs_of(doc_id: int, keys: Iterable[str]) -> Iterator[int]:
    for key in keys:
        yield (key_hash(key) << 32) | doc_id


def in_memory(data: IndexData) -> DocIndex:
    """An index kept in memory (for a base whose folder cannot be written, and for checking)."""
    buffer = io.BytesIO()
    _write_index(buffer, data)
    return DocIndex(None, raw=buffer.getvalue())


def restamp(
    source: BinaryIO, target: BinaryIO, generation: str, base_crc: int, base: tuple[int, int]
) -> bool:
    """Copy the index file ``source`` to ``target`` with its header saying it describes the base file
    of size and modification time ``base`` (nothing else changes: the base's bytes are the same, its
    CRC-32 ``base_crc``). False, with nothing written, when ``source`` is not an index of
    ``generation`` built from a base of that CRC (replaced meanwhile, or damaged)."""
    start = source.read(16)
    if len(start) != 16 or start[:8] not in MAGICS:  # (an old one stays old: its body is copied as it is)
        return False
    n, crc = struct.unpack_from("<II", start, 8)
    raw = source.read(n)
    if len(raw) != n or zlib.crc32(raw) != crc:
        return False
    header = orjson.loads(raw)
    if header.get("generation") != generation or header.get("base_crc") != base_crc:
        return False
    header["base"] = list(base)
    new = orjson.dumps(header)
    source.seek(aligned(16 + n))
    _pad(target, target.write(start[:8] + struct.pack("<II", len(new), zlib.crc32(new)) + new))
    shutil.copyfileobj(source, target, 1 << 20)
    return True
