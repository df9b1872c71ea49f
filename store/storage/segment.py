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
    PMIDs:      u32 PMID of each document, by row (optional: see below)
    run:        u32 ids, u32 counts, u16 years (optional: see below)
    footer:     JSON (generation, counts, where each table starts, their CRC-32s, the top), u32 its
                length, magic

(each table padded to 8; which tables there are, in what order, and how many rows each, is said once,
in ``store.storage.segmentformat.TABLES``: the writer, this reader and ``store.storage.mending`` all
follow it.)

Each table's CRC-32 (``crc``, since stop 26) is checked when it is read whole (once: 1 ms a megabyte);
older segments have none and are read as they are (``store.storage.segmentids`` guards their ids). A
look-up reads only the blocks it needs, each checked against its own CRC-32, where the segment keeps
them (since stop 47: ``store.storage.segmentblocks``).

The run, the PMID column, the top and the blocks: ``store.storage.segmentformat`` says what each is.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from store.docindex import open_regular
from store.errors import LibraryFileError
from store.storage.meta import Meta
from store.storage.pmids import head_pmid
from store.storage.segmentblocks import Blocks
from store.storage.segmentdamage import why
from store.storage.segmentformat import MAGIC, block_size, layout
from store.storage.segmentformat import REMOVED_LENGTH as REMOVED_LENGTH
from store.storage.segmentids import TableDamage
from store.storage.segmentmany import Many
from store.storage.segmentorders import Orders
from store.storage.segmentorders import SegmentError as SegmentError
from store.storage.top import Top

if TYPE_CHECKING:
    from store.storage.segmentwriter import SegmentWriter as SegmentWriter

REMOVED = (-1, -1)


def __getattr__(name: str) -> object:
    """``SegmentWriter``, imported when asked for (opening a library reads segments and writes none:
    the writer is not imported at start-up)."""
    if name == "SegmentWriter":
        from store.storage.segmentwriter import SegmentWriter

        return SegmentWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class SegmentFile(Orders, Many):
    """An open segment, read with ``pread`` (never mapped: a segment cut short under a reader is a
    short read, said in one line, never a SIGBUS).

    Its tables are read when first needed and kept: a look-up reads the blocks it needs (where the
    segment keeps them: ``store.storage.segmentblocks``), a pass over the segment each column whole;
    the documents, link changes and heads are read one at a time where the tables say."""

    def __init__(self, path: Path, size: int | None = None, *, by_block: bool = True) -> None:
        """``by_block`` False: its columns are read whole at their first look-up, as before stop 47 (a
        transaction's own batches: an import looks each of their blocks up many times over)."""
        self.path = path
        self.name = path.name
        self._by_block = by_block
        self._columns: dict[str, array[int]] = {}
        self.pmid_wrong: tuple[int, int, int] | None = None  # (``row``: what ``pmbrowse check`` says)
        self._pmids_damaged = False  # (``pmid_at``: its PMID column did not match its checksum)
        try:
            self._fd = open_regular(path)
        except OSError as exc:
            raise SegmentError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            self._size = os.fstat(self._fd).st_size
            if size is not None and self._size != size:
                raise ValueError(f"it is {self._size} bytes, and the journal says {size}")
            self._parse()
        except (ValueError, KeyError, TypeError, AttributeError, struct.error, orjson.JSONDecodeError) as exc:
            self.close()
            cut = size is not None and self._size < size  # (a copy interrupted, a disk's fault)
            what = f"truncated: it is {self._size} bytes, not {size}" if cut else f"damaged ({why(exc)})"
            raise SegmentError(f"{path} is {what}") from None
        except OSError as exc:
            self.close()
            raise SegmentError(f"{path}: {exc.strerror or exc}") from None

    @classmethod
    def mended(
        cls, path: Path, fd: int, size: int, generation: str, columns: dict[str, array[int]]
    ) -> SegmentFile:
        """A segment read from ``fd`` whose tables are ``columns``, made anew from its documents
        (``store.storage.mending``: its own are damaged or cut off); it has no run."""
        segment = cls.__new__(cls)
        segment.path, segment.name, segment._fd, segment._size = path, path.name, fd, size
        segment.generation = generation
        segment._columns = dict(columns)
        segment._where = {name: (0, len(column), column.typecode) for name, column in columns.items()}
        segment._crcs, segment._run_crc, segment._run_checked = {}, None, None
        segment._top_kept, segment._top = None, None
        segment.pmid_wrong, segment._blocks, segment._pmids_damaged = None, None, False
        segment._by_block = False
        return segment

    def _parse(self) -> None:
        size, path = self._size, self.path
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
        # Where each column is: (offset, count, type code), checked to lie inside the file.
        self._where: dict[str, tuple[int, int, str]] = {}
        found = layout(footer)
        for name, count, code in found:
            self._place(name, at[name], count, code, end)
        # (its columns read by the block: ``store.storage.segmentblocks``; None, whole: before stop 47)
        block = footer.get("block")
        self._blocks: Blocks | None = None
        if block is not None:
            blocks = Blocks(path, found, self._where, block_size(block))  # (checked even if not used)
            self._blocks = blocks if self._by_block else None
        # (none in a segment written before stop 26; not a table: AttributeError, "damaged")
        self._crcs = {str(name): int(crc) for name, crc in footer.get("crc", {}).items()}
        self._run_crc: int | None = None  # (None: the segment has no run)
        self._run_checked: bool | None = None  # (``load_run``'s answer, once found: the file is immutable)
        if "rank" in footer:
            self._run_crc = int(footer["rank_crc"])
        self._top_kept: object = footer.get("top")  # (None: the segment has no top)
        self._top: Top | bool | None = None  # (``top``'s answer, once found; False: none, or damaged)

    def _place(self, name: str, pos: object, count: int, code: str, end: int) -> None:
        if not isinstance(pos, int) or pos < 0 or count < 0 or pos + array(code).itemsize * count > end:
            raise ValueError("cut off")
        self._where[name] = (pos, count, code)

    def _pread(self, length: int, offset: int) -> bytes:
        raw = os.pread(self._fd, length, offset)
        if len(raw) != length:  # (cut short since it was opened, or its tables point past its end)
            now = os.fstat(self._fd).st_size
            raise LibraryFileError(
                f"{self.path} is truncated: it is {now} bytes, and was {self._size} when it was opened; "
                "the library was left as it is"
                if now < self._size
                else f"{self.path} is damaged (its tables point past its end: {length} bytes at {offset}, "
                f"and it is {now} bytes); `pmbrowse repair` mends it"
            )
        return raw

    def column(self, name: str) -> array[int]:
        """One of the tables' columns (``doc_ids``, ``doc_off``, ..., ``link_ids``, ``key_hashes``),
        read whole the first time it is needed."""
        found = self._columns.get(name)
        if found is None:
            pos, count, code = self._where[name]
            found = array(code)
            raw = self._pread(found.itemsize * count, pos)
            if (crc := self._crcs.get(name)) is not None and zlib.crc32(raw) != crc:
                raise TableDamage(self.path, f"its {name} table does not match its checksum")
            found.frombytes(raw)
            if sys.byteorder != "little":
                found.byteswap()
            self._columns[name] = found
        return found

    def column_read(self, name: str) -> array[int] | None:
        """``column`` if it was read already (None: not yet; nothing is read here)."""
        return self._columns.get(name)

    def column_once(self, name: str) -> array[int]:
        """``column``, not kept unless it was: for a pass that reads it once (an import's tally of the
        library's keys reads ``link_cited`` of every segment, 4 bytes a link change, and nothing after)."""
        if (found := self._columns.get(name)) is not None:
            return found
        found = self.column(name)
        self._columns.pop(name, None)
        return found

    @property
    def checksummed(self) -> bool:
        """Whether its tables have checksums (segments written since stop 26)."""
        return bool(self._crcs)

    def check_tables(self) -> None:
        """Read every table, each checked against its checksum, and the blocks' against the tables
        (``TableDamage``: one does not match)."""
        for name in self._where:
            self.column(name)
        if self._blocks is not None and (wrong := self._blocks.check(self.column)):
            raise TableDamage(self.path, wrong)

    def rows(self, name: str) -> int:
        """How many rows column ``name`` has (nothing is read)."""
        return self._where[name][1]

    def _blocks_of(self, name: str) -> Blocks | None:
        """The blocks to read column ``name`` by: None when it was read whole (searched as it is), or
        the segment keeps no blocks of it (read whole)."""
        if name in self._columns or self._blocks is None or not self._blocks.holds(name):
            return None
        return self._blocks

    def _cell(self, name: str, i: int) -> int:
        """Row ``i`` of column ``name``: from the column if it was read whole, else from its block."""
        blocks = self._blocks_of(name)
        if blocks is not None and (found := blocks.cell(self._pread, self.column, name, i)) is not None:
            return found
        return self.column(name)[i]

    def _at_least(self, name: str, value: int) -> int:
        """``bisect_left`` of ``value`` over sorted column ``name``, by the block where it can be."""
        blocks = self._blocks_of(name)
        if (
            blocks is not None
            and (found := blocks.first_at_least(self._pread, self.column, name, value)) is not None
        ):
            return found
        return bisect_left(self.column(name), value)

    def _find(self, name: str, doc_id: int) -> int:
        ids = self._columns.get(name)  # (first: an import's look-ups, millions of them, find it held)
        if ids is None:
            if self._blocks_of(name) is not None:
                i = self._at_least(name, doc_id)
                return i if i < self._where[name][1] and self._cell(name, i) == doc_id else -1
            ids = self.column(name)
        i = bisect_left(ids, doc_id)  # (the column whole: an import's look-ups, millions of them)
        return i if i < len(ids) and ids[i] == doc_id else -1

    def row_of(self, doc_id: int) -> int:
        """The row of the documents' tables that holds ``doc_id`` (-1: none)."""
        return self._find("doc_ids", doc_id)

    def where(self, doc_id: int) -> tuple[int, int] | None:
        """Where a document is in the segment: None (not in it), ``REMOVED``, or (offset, length)."""
        i = self._find("doc_ids", doc_id)
        if i < 0:
            return None
        length = self._cell("doc_len", i)
        return REMOVED if length == REMOVED_LENGTH else (self._cell("doc_off", i), length)

    def read(self, where: tuple[int, int]) -> bytes:
        return self._pread(where[1], where[0])

    def meta(self, doc_id: int) -> Meta:
        return self.meta_at(self._find("doc_ids", doc_id))

    def meta_at(self, i: int) -> Meta:
        """The meta of row ``i`` of the documents' tables."""
        return Meta(self._cell("doc_flags", i), self._cell("doc_year", i), self._cell("doc_citation", i))

    def head(self, doc_id: int) -> bytes:
        return self.head_at(self._find("doc_ids", doc_id))

    def head_at(self, i: int) -> bytes:
        """The head of row ``i`` of the documents' tables."""
        return self.read((self._cell("doc_head_off", i), self._cell("doc_head_len", i)))

    def link_change(self, doc_id: int) -> bytes | None:
        i = self._find("link_ids", doc_id)
        if i < 0:
            return None
        return self._pread(self._cell("link_len", i), self._cell("link_off", i))

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        i = self._find("link_ids", doc_id)
        return (0, 0) if i < 0 else (self._cell("link_refs", i), self._cell("link_cited", i))

    def row(self, i: int) -> tuple[bytes, Meta, bytes]:
        """The document of row ``i`` of the tables (a fold reads them in order): its JSON, meta, head.
        Its head is compared with its PMID in the PMID column, if that was read (``pmid_wrong``)."""
        off, length = self.column("doc_off")[i], self.column("doc_len")[i]
        head_off, head_len = self.column("doc_head_off")[i], self.column("doc_head_len")[i]
        meta = Meta(self.column("doc_flags")[i], self.column("doc_year")[i], self.column("doc_citation")[i])
        if head_off == off + length:  # (as ``SegmentWriter`` writes them: one read)
            both = self._pread(length + head_len, off)
            raw, head = both[:length], both[length:]
        else:
            raw, head = self._pread(length, off), self._pread(head_len, head_off)
        pmids = self._columns.get("doc_pmid")
        if pmids is not None and (kept := pmids[i]) and self.pmid_wrong is None and head_pmid(head) != kept:
            self.pmid_wrong = (self.column("doc_ids")[i], kept, head_pmid(head))
        return raw, meta, head

    @property
    def has_pmids(self) -> bool:
        """Whether the segment keeps the PMID column (``store.storage.pmids``; since stop 35)."""
        return "doc_pmid" in self._where

    def pmids(self) -> array[int] | None:
        """The PMID column (``doc_pmid``: each document's PMID by row, 0 not known here), or None: the
        segment keeps none (written before stop 35), and its heads say."""
        return self.column("doc_pmid") if "doc_pmid" in self._where else None

    def pmid_at(self, i: int) -> int:
        """Row ``i`` of the PMID column; 0 (not known here: its head says) where the segment keeps
        none, or the column does not match its checksum (a short cut only: ``pmbrowse check`` says
        the damage, which ``repair`` mends)."""
        if self._pmids_damaged or "doc_pmid" not in self._where:
            return 0
        try:
            return self._cell("doc_pmid", i)
        except LibraryFileError:
            self._pmids_damaged = True
            return 0

    def link_row(self, i: int) -> tuple[bytes, int, int]:
        """The link change of row ``i`` of the links table: its JSON, its references and citing counts."""
        c = self.column
        return self._pread(c("link_len")[i], c("link_off")[i]), c("link_refs")[i], c("link_cited")[i]

    def candidates_of(self, h: int) -> list[int]:
        found: list[int] = []
        hashes = self._columns.get("key_hashes")  # (first, as ``_find``'s)
        if hashes is None:
            if self._blocks_of("key_hashes") is not None:
                i, rows, cell = self._at_least("key_hashes", h), self._where["key_hashes"][1], self._cell
                while i < rows and cell("key_hashes", i) == h:
                    found.append(cell("key_ids", i))
                    i += 1
                return found
            hashes = self.column("key_hashes")
        i = bisect_left(hashes, h)  # (the column whole: as ``_find``)
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
