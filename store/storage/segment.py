"""Segments: what a bulk import (or a fold of the journal) wrote, in one file, indexed, read in place.

A large import does not go through the journal (which every opening of the library reads whole) nor
rewrite the base (whose size is the library's): each batch of its records is written as a *segment*,
an immutable file in ``library.json.segments/`` holding the batch's documents, link changes and heads,
and the tables that find them, so reading a document of a segment is a lookup in a mapped table and
one slice, as in the base. The import's segments become part of the library with one commit, the
rewrite of the journal that lists them (``store.journal``: ``S`` lines); until then they are files
nobody reads, and a crash leaves them to be removed by the next writer. Compaction folds segments into
the base (``store.storage.generation``) and removes them.

Layout (integers little-endian)::

    documents' JSON, link changes' JSON, heads' JSON    (one after the other, where the tables say)
    padding to 8
    documents:  u32 ids (sorted), u64 offsets, u32 lengths (REMOVED_LENGTH: removed), u64 head
                offsets, u32 head lengths, u32 citation counts, u16 flags, u16 years   (n each)
    links:      u32 ids (sorted), u64 offsets, u32 lengths, i32 references change, i32 citing change
    keys:       u64 hashes (sorted), u32 ids
    footer:     JSON (generation, the counts above, where each table starts), u32 its length, magic
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from store.storage.indexwriter import pairs_of
from store.storage.meta import Meta

MAGIC = b"PMBSEG01"
REMOVED_LENGTH = 0xFFFFFFFF
REMOVED = (-1, -1)
_DOC_COLUMNS = (
    ("ids", "I"),
    ("off", "Q"),
    ("len", "I"),
    ("head_off", "Q"),
    ("head_len", "I"),
    ("citation", "I"),
    ("flags", "H"),
    ("year", "H"),
)
_LINK_COLUMNS = (("ids", "I"), ("off", "Q"), ("len", "I"), ("refs", "i"), ("cited", "i"))


class SegmentError(Exception):
    """A segment file is missing, cut off or damaged."""


class SegmentWriter:
    """Writes one segment: documents (and removals) and link changes, each at most once, any order."""

    def __init__(self, path: Path, generation: str) -> None:
        self.path = path
        self.generation = generation
        self._fh: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed by finish or discard)
        self._pos = 0
        self._docs: dict[int, tuple[int, int, int, int, Meta]] = {}
        self._links: dict[int, tuple[int, int, int, int]] = {}
        self._pairs: list[int] = []

    def _put(self, raw: bytes) -> int:
        at = self._pos
        self._fh.write(raw)
        self._pos += len(raw)
        return at

    def add_doc(self, doc_id: int, raw: bytes, meta: Meta, head: bytes, keys: Iterable[str]) -> None:
        at = self._put(raw)
        self._docs[doc_id] = (at, len(raw), self._put(head), len(head), meta)
        self._pairs.extend(pairs_of(doc_id, keys))

    def remove_doc(self, doc_id: int) -> None:
        self._docs[doc_id] = (0, REMOVED_LENGTH, 0, 0, Meta(0, 0, 0))

    def add_links(self, doc_id: int, raw: bytes, counts: tuple[int, int]) -> None:
        self._links[doc_id] = (self._put(raw), len(raw), counts[0], counts[1])

    def finish(self) -> int:
        """Write the tables and the footer, fsync; returns the file's size."""
        fh = self._fh
        pos = self._pad(self._pos)
        where: dict[str, int] = {}
        doc_ids = sorted(self._docs)
        columns: dict[str, array[int]] = {name: array(code) for name, code in _DOC_COLUMNS}
        for doc_id in doc_ids:
            off, length, head_off, head_len, meta = self._docs[doc_id]
            for name, value in zip(
                ("ids", "off", "len", "head_off", "head_len", "citation", "flags", "year"),
                (doc_id, off, length, head_off, head_len, meta.citation, meta.flags, meta.year),
                strict=True,
            ):
                columns[name].append(value)
        for name, _code in _DOC_COLUMNS:
            where["doc_" + name] = pos
            pos = self._pad(pos + fh.write(columns[name].tobytes()))
        link_ids = sorted(self._links)
        columns = {name: array(code) for name, code in _LINK_COLUMNS}
        for doc_id in link_ids:
            off, length, refs, cited = self._links[doc_id]
            for name, value in zip(
                ("ids", "off", "len", "refs", "cited"), (doc_id, off, length, refs, cited), strict=True
            ):
                columns[name].append(value)
        for name, _code in _LINK_COLUMNS:
            where["link_" + name] = pos
            pos = self._pad(pos + fh.write(columns[name].tobytes()))
        self._pairs.sort()
        where["key_hashes"] = pos
        pos += fh.write(array("Q", (p >> 32 for p in self._pairs)).tobytes())
        where["key_ids"] = pos
        pos = self._pad(pos + fh.write(array("I", (p & 0xFFFFFFFF for p in self._pairs)).tobytes()))
        footer = orjson.dumps(
            {
                "generation": self.generation,
                "docs": len(doc_ids),
                "links": len(link_ids),
                "keys": len(self._pairs),
                "at": where,
            }
        )
        fh.write(footer + struct.pack("<I", len(footer)) + MAGIC)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        return os.stat(self.path).st_size

    def _pad(self, pos: int) -> int:
        gap = (-pos) % 8
        self._fh.write(b"\0" * gap)
        return pos + gap

    def discard(self) -> None:
        self._fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


class SegmentFile:
    """An open (memory-mapped) segment."""

    def __init__(self, path: Path, size: int | None = None) -> None:
        self.path = path
        self.name = path.name
        try:
            with open(path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise SegmentError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            if size is not None and len(self._map) != size:
                raise ValueError(f"it is {len(self._map)} bytes, and the journal says {size}")
            self._parse()
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError) as exc:
            self.close()
            raise SegmentError(f"{path} is damaged ({exc})") from None

    def _parse(self) -> None:
        m = self._map
        if len(m) < 12 or m[-8:] != MAGIC:
            raise ValueError("not a segment")
        (n,) = struct.unpack_from("<I", m, len(m) - 12)
        footer: dict[str, Any] = orjson.loads(m[len(m) - 12 - n : len(m) - 12])
        self.generation = str(footer["generation"])
        at = footer["at"]
        view = memoryview(m)
        self._views = [view]
        docs, links, keys = int(footer["docs"]), int(footer["links"]), int(footer["keys"])
        self._doc = {name: self._view(view, at["doc_" + name], docs, code) for name, code in _DOC_COLUMNS}
        self._link = {name: self._view(view, at["link_" + name], links, code) for name, code in _LINK_COLUMNS}
        self._hashes = self._view(view, at["key_hashes"], keys, "Q")
        self._key_ids = self._view(view, at["key_ids"], keys, "I")
        self._doc_ids, self._link_ids = self._doc["ids"], self._link["ids"]

    def _view(self, view: memoryview, pos: int, count: int, code: str) -> memoryview:
        size = array(code).itemsize * count
        if not isinstance(pos, int) or pos < 0 or pos + size > len(view):
            raise ValueError("cut off")
        part: memoryview = view[pos : pos + size].cast(code)  # type: ignore[call-overload]
        self._views.append(part)
        return part

    def _find(self, ids: memoryview, doc_id: int) -> int:
        i = bisect_left(ids, doc_id)
        return i if i < len(ids) and ids[i] == doc_id else -1

    def where(self, doc_id: int) -> tuple[int, int] | None:
        """Where a document is in the segment: None (not in it), ``REMOVED``, or (offset, length)."""
        i = self._find(self._doc_ids, doc_id)
        if i < 0:
            return None
        length = self._doc["len"][i]
        return REMOVED if length == REMOVED_LENGTH else (self._doc["off"][i], length)

    def read(self, where: tuple[int, int]) -> bytes:
        return bytes(self._map[where[0] : where[0] + where[1]])

    def meta(self, doc_id: int) -> Meta:
        i = self._find(self._doc_ids, doc_id)
        return Meta(self._doc["flags"][i], self._doc["year"][i], self._doc["citation"][i])

    def head(self, doc_id: int) -> bytes:
        i = self._find(self._doc_ids, doc_id)
        start = self._doc["head_off"][i]
        return bytes(self._map[start : start + self._doc["head_len"][i]])

    def link_change(self, doc_id: int) -> bytes | None:
        i = self._find(self._link_ids, doc_id)
        if i < 0:
            return None
        start = self._link["off"][i]
        return bytes(self._map[start : start + self._link["len"][i]])

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        i = self._find(self._link_ids, doc_id)
        return (0, 0) if i < 0 else (self._link["refs"][i], self._link["cited"][i])

    def candidates_of(self, h: int) -> list[int]:
        found: list[int] = []
        i = bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:
            found.append(self._key_ids[i])
            i += 1
        return found

    def ids(self) -> Iterator[tuple[int, bool]]:
        """Every document id of the segment, with whether it is a removal."""
        lengths = self._doc["len"]
        for i, doc_id in enumerate(self._doc_ids):
            yield doc_id, lengths[i] == REMOVED_LENGTH

    def counted(self) -> Iterator[int]:
        """The documents whose links the segment changes."""
        return iter(self._link_ids)

    @property
    def size(self) -> int:
        return len(self._map)

    def close(self) -> None:
        for view in reversed(getattr(self, "_views", [])):
            view.release()
        self._map.close()
