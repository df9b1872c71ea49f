"""Segments: what a bulk import (or a fold of the journal) wrote, in one file, indexed, read in place.

A large import does not go through the journal (which every opening of the library reads whole) nor
rewrite the base (whose size is the library's): each batch of its records is written as a *segment*,
an immutable file in ``library.json.segments/`` holding the batch's documents, link changes and heads,
and the tables that find them, so reading a document of a segment is a lookup in its tables (read
once, kept in memory: a few bytes a document) and one ``pread``, as in the base. The import's segments
become part of the library with one commit, the rewrite of the journal that lists them
(``store.journal``: ``S`` lines); until then they are files nobody reads, and a crash leaves them to be
removed by the next writer. Compaction folds segments into the base (``store.storage.generation``) and
removes them.

Layout (integers little-endian)::

    documents' JSON, link changes' JSON, heads' JSON    (one after the other, where the tables say)
    padding to 8
    documents:  u32 ids (sorted), u64 offsets, u32 lengths (REMOVED_LENGTH: removed), u64 head
                offsets, u32 head lengths, u32 citation counts, u16 flags, u16 years   (n each)
    links:      u32 ids (sorted), u64 offsets, u32 lengths, i32 references change, i32 citing change
    keys:       u64 hashes (sorted), u32 ids
    run:        u32 ids, u32 counts, u16 years (optional: see below)
    footer:     JSON (generation, the counts above, where each table starts), u32 its length, magic

The *run* (``store.storage.citations``): the documents the segment touches that the library then held,
largest ``cited_key`` first as of the state it completes, as (id, count, year); the footer has how
many (``rank``) and their CRC-32 (``rank_crc``). Segments written before runs have none; readers that
do not know the table ignore it (nothing else changed), so no library has to be rebuilt either way.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from store.docindex import open_regular
from store.errors import LibraryFileError
from store.storage.columns import Pairs, Table
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
_RUN_COLUMNS = (("ids", "I"), ("count", "I"), ("year", "H"))


class SegmentError(Exception):
    """A segment file is missing, cut off or damaged."""


class SegmentWriter:
    """Writes one segment: documents (and removals) and link changes, each at most once, any order."""

    def __init__(self, path: Path, generation: str) -> None:
        self.path = path
        self.generation = generation
        # (a larger buffer than 8 KiB: an import writes hundreds of thousands of small pieces, a link change
        # each; not more: a merge of segments counts its memory by the row, tests/store/test_tiering.py)
        self._fh: BinaryIO = open(path, "wb", buffering=1 << 16)  # noqa: SIM115 (closed by finish or discard)
        self._pos = 0
        self._docs, self._links = Table(_DOC_COLUMNS), Table(_LINK_COLUMNS)  # (see ``columns``: why)
        self._pairs = Pairs()
        self._run: Sequence[int] | None = None

    def _put(self, raw: bytes) -> int:
        at = self._pos
        self._fh.write(raw)
        self._pos += len(raw)
        return at

    def add_doc(self, doc_id: int, raw: bytes, meta: Meta, head: bytes, keys: Iterable[str]) -> None:
        at = self._put(raw)
        self._docs.add(doc_id, at, len(raw), self._put(head), len(head), meta.citation, meta.flags, meta.year)
        self._pairs.extend(pairs_of(doc_id, keys))

    def add_pairs(self, pairs: Iterable[int]) -> None:
        """Identity key pairs (``(key hash << 32) | doc id``) of documents added without their keys."""
        self._pairs.extend(pairs)

    def remove_doc(self, doc_id: int) -> None:
        self._docs.add(doc_id, 0, REMOVED_LENGTH, 0, 0, 0, 0, 0)

    def add_links(self, doc_id: int, raw: bytes, counts: tuple[int, int]) -> None:
        self._links.add(doc_id, self._put(raw), len(raw), counts[0], counts[1])

    def set_run(self, keys: Sequence[int]) -> None:
        """The segment's run (see the module docstring): the ``cited_key`` of each document it touches
        and the library holds, as of the state it completes, largest first."""
        self._run = keys

    def finish(self) -> int:
        """Write the tables and the footer, fsync; returns the file's size."""
        fh = self._fh
        pos = self._pad(self._pos)
        where: dict[str, int] = {}
        docs, links = self._docs.columns(), self._links.columns()
        for prefix, table in (("doc_", docs), ("link_", links)):
            for name, column in table.items():
                where[prefix + name] = pos
                pos = self._pad(pos + fh.write(column.tobytes()))
        hashes, ids = self._pairs.in_order()
        where["key_hashes"] = pos
        pos += fh.write(hashes.tobytes())
        where["key_ids"] = pos
        pos = self._pad(pos + fh.write(ids.tobytes()))
        run: dict[str, int] = {}
        if self._run is not None:
            keys, crc = self._run, 0
            ids = array("I", (0xFFFFFFFF - (k & 0xFFFFFFFF) for k in keys))
            counts, years = (
                array("I", (k >> 48 for k in keys)),
                array("H", ((k >> 32) & 0xFFFF for k in keys)),
            )
            for name, column in (("ids", ids), ("count", counts), ("year", years)):
                raw = _little(column)
                crc = zlib.crc32(raw, crc)
                where["rank_" + name] = pos
                pos = self._pad(pos + fh.write(raw))
            run = {"rank": len(keys), "rank_crc": crc}
        footer = orjson.dumps(
            {
                "generation": self.generation,
                "docs": len(docs["ids"]),
                "links": len(links["ids"]),
                "keys": len(self._pairs),
                **run,
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
        with contextlib.suppress(OSError):  # (closing flushes what is buffered: on a full disk, fails)
            self._fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _little(column: array[int]) -> bytes:
    """A column's bytes as the file holds them (little-endian)."""
    if sys.byteorder != "little":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()


class SegmentFile:
    """An open segment, read with ``pread`` (never mapped: a segment cut short under a reader is a
    short read, said in one line, never a SIGBUS).

    Its tables are read when first needed, each column whole (a few bytes a document), and kept; the
    documents, link changes and heads are read one at a time where the tables say."""

    def __init__(self, path: Path, size: int | None = None) -> None:
        self.path = path
        self.name = path.name
        self._columns: dict[str, array[int]] = {}
        try:
            self._fd = open_regular(path)
        except OSError as exc:
            raise SegmentError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            self._size = os.fstat(self._fd).st_size
            if size is not None and self._size < size:
                self.close()
                raise SegmentError(
                    f"{path} is truncated: it is {self._size} bytes of the {size} the journal lists"
                )
            if size is not None and self._size != size:
                raise ValueError(f"it is {self._size} bytes, and the journal says {size}")
            self._parse()
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError) as exc:
            self.close()
            raise SegmentError(f"{path} is damaged ({exc})") from None
        except OSError as exc:
            self.close()
            raise SegmentError(f"{path}: {exc.strerror or exc}") from None

    def _parse(self) -> None:
        size = self._size
        tail = self._pread(min(size, 1 << 16), max(size - (1 << 16), 0)) if size >= 12 else b""
        if len(tail) < 12 or tail[-8:] != MAGIC:
            raise ValueError("not a segment")
        (n,) = struct.unpack_from("<I", tail, len(tail) - 12)
        if n > size - 12:  # (else a read at a negative offset, or of gigabytes: not "damaged")
            raise ValueError(f"its footer says {n} bytes, and {size - 12} come before its end")
        raw = (
            tail[len(tail) - 12 - n : len(tail) - 12]
            if n <= len(tail) - 12
            else self._pread(n, size - 12 - n)
        )
        footer: dict[str, Any] = orjson.loads(raw)
        self.generation = str(footer["generation"])
        at = footer["at"]
        end = size - 12 - n
        docs, links, keys = int(footer["docs"]), int(footer["links"]), int(footer["keys"])
        # Where each column is: (offset, count, type code), checked to lie inside the file.
        self._where: dict[str, tuple[int, int, str]] = {}
        for prefix, count, columns in (("doc_", docs, _DOC_COLUMNS), ("link_", links, _LINK_COLUMNS)):
            for name, code in columns:
                self._place(prefix + name, at[prefix + name], count, code, end)
        self._place("key_hashes", at["key_hashes"], keys, "Q", end)
        self._place("key_ids", at["key_ids"], keys, "I", end)
        self._run_crc: int | None = None  # (None: the segment has no run)
        if "rank" in footer:
            for name, code in _RUN_COLUMNS:
                self._place("rank_" + name, at["rank_" + name], int(footer["rank"]), code, end)
            self._run_crc = int(footer["rank_crc"])

    def _place(self, name: str, pos: object, count: int, code: str, end: int) -> None:
        if not isinstance(pos, int) or pos < 0 or count < 0 or pos + array(code).itemsize * count > end:
            raise ValueError("cut off")
        self._where[name] = (pos, count, code)

    def _pread(self, length: int, offset: int) -> bytes:
        raw = os.pread(self._fd, length, offset)
        if len(raw) != length:
            now = os.fstat(self._fd).st_size
            if now < self._size:  # (cut short since it was opened: by hand, or a disk's fault)
                raise LibraryFileError(
                    f"{self.path} is truncated: it is {now} bytes, and was {self._size} when it was "
                    "opened; the library was left as it is"
                )
            # (the file is whole: its tables point past its end)
            raise LibraryFileError(
                f"{self.path} is damaged (its tables point past its end: {length} bytes at {offset}, "
                f"and it is {self._size} bytes); `pmbrowse repair` mends it"
            )
        return raw

    def column(self, name: str) -> array[int]:
        """One of the tables' columns (``doc_ids``, ``doc_off``, ..., ``link_ids``, ``key_hashes``),
        read whole the first time it is needed."""
        found = self._columns.get(name)
        if found is None:
            pos, count, code = self._where[name]
            found = array(code)
            found.frombytes(self._pread(found.itemsize * count, pos))
            if sys.byteorder != "little":
                found.byteswap()
            self._columns[name] = found
        return found

    def _find(self, name: str, doc_id: int) -> int:
        ids = self.column(name)
        i = bisect_left(ids, doc_id)
        return i if i < len(ids) and ids[i] == doc_id else -1

    def where(self, doc_id: int) -> tuple[int, int] | None:
        """Where a document is in the segment: None (not in it), ``REMOVED``, or (offset, length)."""
        i = self._find("doc_ids", doc_id)
        if i < 0:
            return None
        length = self.column("doc_len")[i]
        return REMOVED if length == REMOVED_LENGTH else (self.column("doc_off")[i], length)

    def read(self, where: tuple[int, int]) -> bytes:
        return self._pread(where[1], where[0])

    def meta(self, doc_id: int) -> Meta:
        i = self._find("doc_ids", doc_id)
        return Meta(self.column("doc_flags")[i], self.column("doc_year")[i], self.column("doc_citation")[i])

    def head(self, doc_id: int) -> bytes:
        i = self._find("doc_ids", doc_id)
        return self._pread(self.column("doc_head_len")[i], self.column("doc_head_off")[i])

    def link_change(self, doc_id: int) -> bytes | None:
        i = self._find("link_ids", doc_id)
        if i < 0:
            return None
        return self._pread(self.column("link_len")[i], self.column("link_off")[i])

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        i = self._find("link_ids", doc_id)
        return (0, 0) if i < 0 else (self.column("link_refs")[i], self.column("link_cited")[i])

    def row(self, i: int) -> tuple[bytes, Meta, bytes]:
        """The document of row ``i`` of the tables (a fold reads them in order): its JSON, meta, head."""
        off, length = self.column("doc_off")[i], self.column("doc_len")[i]
        head_off, head_len = self.column("doc_head_off")[i], self.column("doc_head_len")[i]
        meta = Meta(self.column("doc_flags")[i], self.column("doc_year")[i], self.column("doc_citation")[i])
        if head_off == off + length:  # (as ``SegmentWriter`` writes them: one read)
            both = self._pread(length + head_len, off)
            return both[:length], meta, both[length:]
        return self._pread(length, off), meta, self._pread(head_len, head_off)

    def link_row(self, i: int) -> tuple[bytes, int, int]:
        """The link change of row ``i`` of the links table: its JSON, its references and citing counts."""
        c = self.column
        return self._pread(c("link_len")[i], c("link_off")[i]), c("link_refs")[i], c("link_cited")[i]

    def candidates_of(self, h: int) -> list[int]:
        hashes = self.column("key_hashes")
        found: list[int] = []
        i = bisect_left(hashes, h)
        if i < len(hashes) and hashes[i] == h:
            ids = self.column("key_ids")
            while i < len(hashes) and hashes[i] == h:
                found.append(ids[i])
                i += 1
        return found

    def ids(self) -> Iterator[tuple[int, bool]]:
        """Every document id of the segment, with whether it is a removal."""
        lengths = self.column("doc_len")
        for i, doc_id in enumerate(self.column("doc_ids")):
            yield doc_id, lengths[i] == REMOVED_LENGTH

    def counted(self) -> Iterator[int]:
        """The documents whose links the segment changes."""
        return iter(self.column("link_ids"))

    def touches(self, doc_id: int) -> bool:
        """Whether the segment writes (or removes) the document or changes its links."""
        return self._find("doc_ids", doc_id) >= 0 or self._find("link_ids", doc_id) >= 0

    @property
    def has_run(self) -> bool:
        """Whether the segment keeps its run (see the module docstring)."""
        return self._run_crc is not None

    def load_run(self) -> None:
        """Read the run's columns and check them against their CRC-32; ``SegmentError`` if they do not
        match (or the segment has none)."""
        if self._run_crc is None:
            raise SegmentError(f"{self.path} has no most-cited order")
        crc = 0
        for name, _code in _RUN_COLUMNS:
            crc = zlib.crc32(_little(self.column("rank_" + name)), crc)
        if crc != self._run_crc:
            raise SegmentError(f"{self.path} is damaged (its most-cited order does not match its checksum)")

    def run(self) -> Iterator[tuple[int, int]]:
        """The run: (``cited_key``, doc id) of each document, largest key first (``load_run`` first).
        Keys that do not fall are damage its checksum cannot see (a writer's fault), found as it is
        read: said in one line (``LibraryFileError``), as a record that does not decode is."""
        ids, counts, years = (self.column("rank_" + name) for name, _code in _RUN_COLUMNS)
        last = None
        for doc_id, count, year in zip(ids, counts, years, strict=True):
            key = (count << 48) | (year << 32) | (0xFFFFFFFF - doc_id)
            if last is not None and key >= last:
                raise LibraryFileError(
                    f"{self.path} is damaged (its most-cited order is out of order at document {doc_id}); "
                    "`pmbrowse repair` mends it"
                )
            last = key
            yield key, doc_id

    @property
    def size(self) -> int:
        return self._size

    def close(self) -> None:
        """Close the file. (A snapshot leaves its segments to the garbage collector instead, since a
        reader in another thread may still use one: ``__del__``.)"""
        fd, self._fd = getattr(self, "_fd", -1), -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        self.close()
