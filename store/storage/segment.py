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

Each table's CRC-32 (``crc``, since stop 26) is checked when it is read (whole, once: 1 ms a megabyte);
older segments have none and are read as they are (``store.storage.segmentids`` guards their ids).

The *run* (``store.storage.citations``): the documents the segment touches that the library then held,
largest ``cited_key`` first as of the state it completes, as (id, count, year); the footer has how
many (``rank``) and their CRC-32 (``rank_crc``). Segments written before runs have none; readers that
do not know the table ignore it (nothing else changed), so no library has to be rebuilt either way.

The *PMID column* (``store.storage.pmids``, since stop 35; the footer says ``"pmids":true``): each
document's PMID where its head begins with it, 0 where not known (removals, stubs without one), so a
key look-up of ``pmid:N`` tells a candidate from a hash collision without reading its head, as the
base's index does. It is made from the heads as they are written (every writer: a batch, a merge, the
journal made a segment; mending makes it anew), and compared with each head ``pmbrowse check`` reads
(``row``). Segments written before it have none and are read through their heads, as before; older
readers ignore it (its name is not one they place).

The *top* (``store.storage.top``, since stop 31): the first documents of "most cited first" over the
whole state the segment completes, kept in the footer (``top``); read from the newest segment only, for
the app's first list. Segments written before tops have none, and older readers ignore the key.
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
from store.storage.segmentdamage import top_damage, why
from store.storage.segmentformat import MAGIC, RUN_COLUMNS, layout, little
from store.storage.segmentformat import REMOVED_LENGTH as REMOVED_LENGTH
from store.storage.segmentids import TableDamage
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


class SegmentError(Exception):
    """A segment file is missing, cut off or damaged."""


class SegmentFile:
    """An open segment, read with ``pread`` (never mapped: a segment cut short under a reader is a
    short read, said in one line, never a SIGBUS).

    Its tables are read when first needed, each column whole (a few bytes a document), and kept; the
    documents, link changes and heads are read one at a time where the tables say."""

    def __init__(self, path: Path, size: int | None = None) -> None:
        self.path = path
        self.name = path.name
        self._columns: dict[str, array[int]] = {}
        self.pmid_wrong: tuple[int, int, int] | None = None  # (``row``: what ``pmbrowse check`` says)
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
        segment.pmid_wrong = None
        return segment

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
        # Where each column is: (offset, count, type code), checked to lie inside the file.
        self._where: dict[str, tuple[int, int, str]] = {}
        for name, count, code in layout(footer):
            self._place(name, at[name], count, code, end)
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
        """Read every table, each checked against its checksum (``TableDamage``: one does not match)."""
        for name in self._where:
            self.column(name)

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
        if self._run_checked is None:  # (once, not at each state: 14 MB of runs at a million records)
            crc = 0
            for name, _code in RUN_COLUMNS:
                crc = zlib.crc32(little(self.column("rank_" + name)), crc)
            self._run_checked = crc == self._run_crc
        if not self._run_checked:
            raise SegmentError(f"{self.path} is damaged (its most-cited order does not match its checksum)")

    def run(self) -> Iterator[tuple[int, int]]:
        """The run: (``cited_key``, doc id) of each document, largest key first (``load_run`` first).
        Keys that do not fall are damage its checksum cannot see (a writer's fault), found as it is
        read: said in one line (``LibraryFileError``), as a record that does not decode is."""
        ids, counts, years = (self.column("rank_" + name) for name, _code in RUN_COLUMNS)
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
    def has_top(self) -> bool:
        """Whether the segment keeps a top (``store.storage.top``)."""
        return self._top_kept is not None

    def top(self) -> Top | None:
        """The segment's top, checked (``store.storage.top``); None: it has none, or it is damaged
        (then "most cited first" merges the runs, as for a segment written before tops; why it does not
        read is kept for ``pmbrowse check``: ``top_damage``)."""
        if self._top is None:
            try:
                self._top = Top.read(self._top_kept) if self._top_kept is not None else False
            except (ValueError, KeyError, TypeError) as exc:
                self._top, self._top_damage = False, top_damage(exc)
        return self._top if isinstance(self._top, Top) else None

    @property
    def top_damage(self) -> str:
        """Why the top the segment keeps does not read ('' when it reads, or it keeps none)."""
        self.top()
        return getattr(self, "_top_damage", "")

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
