"""The document index kept beside a library's base file (``library.json.idx``), read without parsing.

It answers, for the base file it was built with, the two questions every hot path asks:

- where is document N? (its byte offset and length in the base file: one ``pread``, one decode);
- which documents hold identity key K (``pmid:…``, ``pmc:…``, ``doi:…``, ``cite:…``)?

and it carries the counts (records, stubs, links) and the next free document id, so opening a library
never scans it. The file is mapped into memory (``mmap``): opening costs a few page faults whatever
the library's size, and only the pages a lookup touches are ever read.

Layout (all integers little-endian)::

    b"PMBIDX02"                         magic
    u32 n, then n bytes of JSON         header: generation, counts, next_id, max_id, keys
    padding to 8 bytes
    u64 × (max_id + 1)                  offset of document i's JSON in the base file (0: no such id)
    u32 × (max_id + 1)                  its length in bytes
    padding to 8 bytes
    u64 × keys                          key hashes, sorted
    u32 × keys                          the document holding each (same order)

A key is stored by a 64-bit hash (BLAKE2b), once for every document that holds it; a lookup checks
the candidates' own keys, so a hash collision costs one more read, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

MAGIC = b"PMBIDX02"
_LITTLE = sys.byteorder == "little"


def key_hash(key: str) -> int:
    """The 64-bit hash a key is stored under (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


@dataclass
class IndexData:
    """What an index file holds, in memory, for building one."""

    generation: str
    counts: dict[str, int]
    next_id: int
    offsets: array[int]  # 'Q', indexed by document id
    lengths: array[int]  # 'I'
    pairs: list[int]  # (key hash << 32) | doc id, sorted
    base: tuple[int, int] = (0, 0)  # the base file's size and modification time (ns) it describes


def _aligned(n: int) -> int:
    return (n + 7) & ~7


def _le(values: array[int]) -> bytes:
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def write_index(path: Path, data: IndexData) -> None:
    """Write an index file (the caller renames it into place and fsyncs)."""
    max_id = len(data.offsets) - 1
    header = orjson.dumps(
        {
            "generation": data.generation,
            "counts": data.counts,
            "next_id": data.next_id,
            "max_id": max_id,
            "keys": len(data.pairs),
            "base": list(data.base),
        }
    )
    hashes = array("Q", (p >> 32 for p in data.pairs))
    ids = array("I", (p & 0xFFFFFFFF for p in data.pairs))
    with open(path, "wb") as fh:
        head = MAGIC + struct.pack("<I", len(header)) + header
        fh.write(head + b"\0" * (_aligned(len(head)) - len(head)))
        fh.write(_le(data.offsets))
        lengths = _le(data.lengths)
        fh.write(lengths + b"\0" * (_aligned(len(lengths)) - len(lengths)))
        fh.write(_le(hashes))
        fh.write(_le(ids))
        fh.flush()
        os.fsync(fh.fileno())


class IndexFileError(Exception):
    """The index file is missing, damaged or of another generation: rebuild it from the base."""


class DocIndex:
    """An open (memory-mapped) index file."""

    def __init__(self, path: Path) -> None:
        try:
            with open(path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise IndexFileError(str(exc)) from None
        try:
            self._parse()
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError) as exc:
            self._map.close()
            raise IndexFileError(f"damaged index {path}: {exc}") from None

    def _parse(self) -> None:
        m = self._map
        if m[:8] != MAGIC:
            raise ValueError("not an index file")
        (n,) = struct.unpack_from("<I", m, 8)
        header: dict[str, Any] = orjson.loads(m[12 : 12 + n])
        self.generation = str(header["generation"])
        base = header.get("base", [0, 0])
        self.base = (int(base[0]), int(base[1]))
        self.counts = {k: int(v) for k, v in header["counts"].items()}
        self.next_id = int(header["next_id"])
        max_id, keys = int(header["max_id"]), int(header["keys"])
        pos = _aligned(12 + n)
        view = memoryview(m)
        ends = pos + 8 * (max_id + 1)
        self._offsets = view[pos:ends].cast("Q")
        self._lengths = view[ends : ends + 4 * (max_id + 1)].cast("I")
        pos = _aligned(ends + 4 * (max_id + 1))
        self._hashes = view[pos : pos + 8 * keys].cast("Q")
        pos += 8 * keys
        self._ids = view[pos : pos + 4 * keys].cast("I")
        if pos + 4 * keys > len(m) or not _LITTLE:
            raise ValueError("cut off" if _LITTLE else "big-endian machines read indexes by rebuilding them")
        self.max_id = max_id

    def location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's JSON in the base file, or None."""
        if 0 < doc_id <= self.max_id:
            offset = self._offsets[doc_id]
            if offset:
                return offset, self._lengths[doc_id]
        return None

    def candidates(self, key: str) -> list[int]:
        """The documents that may hold ``key`` (every one that does, plus rare hash collisions)."""
        h = key_hash(key)
        found: list[int] = []
        i = bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:
            found.append(self._ids[i])
            i += 1
        return found

    def ids(self) -> Iterator[int]:
        """Every document id of the base file, in order."""
        offsets = self._offsets
        for doc_id in range(1, self.max_id + 1):
            if offsets[doc_id]:
                yield doc_id

    def pairs_except(self, dropped: set[int]) -> Iterator[int]:
        """The (hash << 32 | id) pairs of every document not in ``dropped``, in order."""
        for h, doc_id in zip(self._hashes, self._ids, strict=True):
            if doc_id not in dropped:
                yield (h << 32) | doc_id

    def close(self) -> None:
        for view in (self._offsets, self._lengths, self._hashes, self._ids):
            view.release()
        self._map.close()


def pairs_of(doc_id: int, keys: Iterable[str]) -> Iterator[int]:
    for key in keys:
        yield (key_hash(key) << 32) | doc_id
