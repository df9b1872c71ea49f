"""The document index kept beside a library's base file (``library.json.idx``), read without parsing.

It answers, for the base file it was built with, the questions every hot path asks:

- where is document N, and where is its link record? (byte offsets and lengths in the base file: one
  ``pread``, one decode each);
- how many references and citing articles has it, is it a stub, which fields does it hold, its year
  (``meta``)? (no read of the document at all: link panes, ranking and imports ask this of thousands);
- its *head*: the few fields a row shows (identifiers, title, first authors, journal, year), as a small
  JSON object, so a list of links is drawn without decoding the documents and their abstracts;
- which documents hold identity key K (``pmid:…``, ``pmc:…``, ``doi:…``, ``cite:…``)?

and it carries the counts (records, stubs, links) and the next free document id, so opening a library
never scans it. The file is mapped into memory (``mmap``): opening costs a few page faults whatever
the library's size, and only the pages a lookup touches are ever read. It is derived data: lost or of
another generation, it is rebuilt from the base file.

Layout (all integers little-endian)::

    b"PMBIDX03"                         magic
    u32 n, then n bytes of JSON         header: generation, counts, next_id, max_id, keys, base, heads
    padding to 8 bytes
    one column per field of COLUMNS, each (max_id + 1) values indexed by document id, padded to 8
    u64 × keys                          key hashes, sorted
    u32 × keys                          the document holding each (same order), padded to 8
    heads                               the heads' JSON, one after the other

A key is stored by a 64-bit hash (BLAKE2b), once for every document that holds it; a lookup checks
the candidates' own keys, so a hash collision costs one more read, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import shutil
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

MAGIC = b"PMBIDX03"
_LITTLE = sys.byteorder == "little"
# (name, array typecode): one value per document id. doc_*: the document's JSON in the base file;
# link_*: its link record there (0: none); refs/cited: its link counts; head_*: its head in the heads
# region; citation: the citation count its source reports; flags and year: see ``store.storage.meta``.
# ``order`` is not by document id: it lists the documents most cited first (see ``cited_order``), then
# zeros.
COLUMNS = (
    ("doc_off", "Q"),
    ("link_off", "Q"),
    ("head_off", "Q"),
    ("doc_len", "I"),
    ("link_len", "I"),
    ("head_len", "I"),
    ("refs", "I"),
    ("cited", "I"),
    ("citation", "I"),
    ("order", "I"),
    ("flags", "H"),
    ("year", "H"),
)


def key_hash(key: str) -> int:
    """The 64-bit hash a key is stored under (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


def new_columns(max_id: int) -> dict[str, array[int]]:
    """Zeroed columns for documents 0..max_id."""
    return {name: array(code, bytes(array(code).itemsize * (max_id + 1))) for name, code in COLUMNS}


def cited_key(citation: int, cited: int, year: int, doc_id: int) -> int:
    """The order of "most cited first" as one integer, largest first: the citation count (the larger of
    what a source reports and how many articles of the library cite it), then the year (newer first),
    then the document id (lower first)."""
    return (max(citation, cited) << 48) | (year << 32) | (0xFFFFFFFF - doc_id)


def cited_order(columns: dict[str, array[int]]) -> array[int]:
    """The ``order`` column: every document of the base, most cited first (see ``cited_key``)."""
    citation, cited, year, present = (
        columns["citation"],
        columns["cited"],
        columns["year"],
        columns["doc_off"],
    )
    keys = sorted(
        (cited_key(citation[i], cited[i], year[i], i) for i in range(1, len(present)) if present[i]),
        reverse=True,
    )
    order = array("I", (0xFFFFFFFF - (k & 0xFFFFFFFF) for k in keys))
    order.extend(array("I", bytes(4 * (len(present) - len(order)))))
    return order


@dataclass
class IndexData:
    """What an index file holds, in memory, for building one."""

    generation: str
    counts: dict[str, int]
    next_id: int
    columns: dict[str, array[int]]
    pairs: list[int]  # (key hash << 32) | doc id, sorted
    heads: BinaryIO = field(default_factory=io.BytesIO)  # the heads region, as written so far
    base: tuple[int, int] = (0, 0)  # the base file's size and modification time (ns) it describes

    def add_head(self, doc_id: int, head: bytes) -> None:
        self.columns["head_off"][doc_id] = self.heads.tell()
        self.columns["head_len"][doc_id] = len(head)
        self.heads.write(head)


def _aligned(n: int) -> int:
    return (n + 7) & ~7


def _le(values: array[int]) -> bytes:
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _pad(fh: BinaryIO, written: int) -> int:
    fh.write(b"\0" * (_aligned(written) - written))
    return _aligned(written)


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
    max_id = len(data.columns["doc_off"]) - 1
    data.columns["order"] = cited_order(data.columns)
    header = orjson.dumps(
        {
            "generation": data.generation,
            "counts": data.counts,
            "next_id": data.next_id,
            "max_id": max_id,
            "keys": len(data.pairs),
            "base": list(data.base),
            "heads": data.heads.tell(),
        }
    )
    pos = _pad(fh, fh.write(MAGIC + struct.pack("<I", len(header)) + header))
    for name, _code in COLUMNS:
        pos += _pad(fh, fh.write(_le(data.columns[name])))
    pos += fh.write(_le(array("Q", (p >> 32 for p in data.pairs))))
    pos += _pad(fh, fh.write(_le(array("I", (p & 0xFFFFFFFF for p in data.pairs)))))
    data.heads.seek(0)
    shutil.copyfileobj(data.heads, fh, 1 << 20)


class IndexFileError(Exception):
    """The index file is missing, damaged or of another generation: rebuild it from the base."""


class DocIndex:
    """An open (memory-mapped) index file, or one built in memory (``DocIndex.of``)."""

    def __init__(self, path: Path | None, *, raw: bytes | None = None) -> None:
        if raw is not None:
            self._map: mmap.mmap | bytes = raw
        else:
            assert path is not None
            try:
                with open(path, "rb") as fh:
                    self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as exc:
                raise IndexFileError(str(exc)) from None
        try:
            self._parse()
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError) as exc:
            self.close()
            raise IndexFileError(f"damaged index {path}: {exc}") from None

    @classmethod
    def of(cls, data: IndexData) -> DocIndex:
        """An index kept in memory (for a base whose folder cannot be written)."""
        buffer = io.BytesIO()
        _write_index(buffer, data)
        return cls(None, raw=buffer.getvalue())

    def _parse(self) -> None:
        m = self._map
        if m[:8] != MAGIC:
            raise ValueError("not an index file of this version")
        if not _LITTLE:
            raise ValueError("big-endian machines read indexes by rebuilding them")
        (n,) = struct.unpack_from("<I", m, 8)
        header: dict[str, Any] = orjson.loads(m[12 : 12 + n])
        self.generation = str(header["generation"])
        base = header.get("base", [0, 0])
        self.base = (int(base[0]), int(base[1]))
        self.counts = {k: int(v) for k, v in header["counts"].items()}
        self.next_id = int(header["next_id"])
        max_id, keys = int(header["max_id"]), int(header["keys"])
        if max_id < 0 or keys < 0:
            raise ValueError("negative sizes")
        view = memoryview(m)
        self._views: list[memoryview] = [view]
        pos = _aligned(12 + n)
        self._columns: dict[str, memoryview] = {}
        for name, code in COLUMNS:
            size = array(code).itemsize * (max_id + 1)
            self._columns[name] = self._view(view, pos, size, code)
            pos = _aligned(pos + size)
        self._hashes = self._view(view, pos, 8 * keys, "Q")
        pos += 8 * keys
        self._ids = self._view(view, pos, 4 * keys, "I")
        pos = _aligned(pos + 4 * keys)
        self._heads_at = pos
        if pos + int(header["heads"]) > len(m):
            raise ValueError("cut off")
        self.max_id = max_id
        c = self._columns
        self._doc_off, self._doc_len = c["doc_off"], c["doc_len"]
        self._link_off, self._link_len = c["link_off"], c["link_len"]
        self._refs, self._cited, self._flags = c["refs"], c["cited"], c["flags"]

    def _view(self, view: memoryview, pos: int, size: int, code: str) -> memoryview:
        if pos + size > len(view):
            raise ValueError("cut off")
        part: memoryview = view[pos : pos + size].cast(code)  # type: ignore[call-overload]
        self._views.append(part)
        return part

    def location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's JSON in the base file, or None."""
        if 0 < doc_id <= self.max_id:
            offset = self._doc_off[doc_id]
            if offset:
                return offset, self._doc_len[doc_id]
        return None

    def link_location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's link record in the base file, or None (it has no links)."""
        if 0 < doc_id <= self.max_id:
            offset = self._link_off[doc_id]
            if offset:
                return offset, self._link_len[doc_id]
        return None

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document of the base."""
        if 0 < doc_id <= self.max_id:
            return self._refs[doc_id], self._cited[doc_id]
        return 0, 0

    def meta(self, doc_id: int) -> tuple[int, int, int]:
        """(flags, year or 0, citation count or 0) of a document of the base."""
        c = self._columns
        return self._flags[doc_id], c["year"][doc_id], c["citation"][doc_id]

    def head(self, doc_id: int) -> bytes:
        c = self._columns
        start = self._heads_at + c["head_off"][doc_id]
        return bytes(self._views[0][start : start + c["head_len"][doc_id]])

    def cited_order(self) -> Iterator[int]:
        """Every document of the base, most cited first (``cited_key``)."""
        for doc_id in self._columns["order"]:
            if not doc_id:
                return
            yield doc_id

    def column(self, name: str) -> memoryview:
        """One column as it is stored (for whole-library passes: the citation order of search)."""
        return self._columns[name]

    def candidates(self, key: str) -> list[int]:
        """The documents that may hold ``key`` (every one that does, plus rare hash collisions)."""
        return self.candidates_of(key_hash(key))

    def candidates_of(self, h: int) -> list[int]:
        found: list[int] = []
        i = bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:
            found.append(self._ids[i])
            i += 1
        return found

    def ids(self) -> Iterator[int]:
        """Every document id of the base file, in order."""
        offsets = self._doc_off
        for doc_id in range(1, self.max_id + 1):
            if offsets[doc_id]:
                yield doc_id

    def pairs_except(self, dropped: set[int] | Any) -> Iterator[int]:
        """The (hash << 32 | id) pairs of every document not in ``dropped``, in order."""
        for h, doc_id in zip(self._hashes, self._ids, strict=True):
            if doc_id not in dropped:
                yield (h << 32) | doc_id

    def close(self) -> None:
        for view in reversed(getattr(self, "_views", [])):
            view.release()
        if isinstance(self._map, mmap.mmap):
            self._map.close()


def pairs_of(doc_id: int, keys: Iterable[str]) -> Iterator[int]:
    for key in keys:
        yield (key_hash(key) << 32) | doc_id
