"""A segment's columns read a block at a time, each block checked against its own CRC-32.

A segment's tables are read in place (``store.storage.segment``), and until stop 47 each column a
look-up needed was read whole and checked against the CRC-32 of the whole column: at a million
records a segment's columns are tens of megabytes, and ``pmbrowse show`` of one article read 67 MB
of them (``related`` 91 MB) to answer some fifty look-ups, so a command cost more the larger the
library. A segment written since keeps a CRC-32 of each block of ``block`` bytes of each column, and
the first value of each block of its sorted columns (the *fences*; ``store.storage.segmentformat``):
a look-up finds its block among the fences, reads that block and the ones holding its row in the
other columns, and checks each against its CRC-32, a few kilobytes in all. The block tables
themselves are read whole, once, checked against their CRC-32 as any column is (about a 200th of
the columns they describe, at 1 KB blocks).

A column half of whose blocks (and at least ``WHOLE_MIN``) a command has read is read whole instead
(``WHOLE_SHARE``: the rest of the reads then costs what one read of the column costs, and an import's
look-ups, which ask every block many times over, go on at the speed of a column held in memory).
Segments written before stop 47 have no blocks and are read whole, as before.

Threads share a segment (a state, once shared, is read by several), so its blocks too: what is read
is only ever added, whole, once checked, and a thread that finds a column gone to be read whole, or
the blocks' tables damaged, reads the column whole (``SegmentFile.column``), as any thread may.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable
from pathlib import Path

from store.storage.segmentformat import SORTED, blocked, little
from store.storage.segmentids import TableDamage

# A column is read whole once this share of its blocks was read one at a time (and at least WHOLE_MIN).
WHOLE_SHARE = 0.5
WHOLE_MIN = 16

Layout = list[tuple[str, int, str]]  # (``segmentformat.layout``'s: name, rows, type code)
Pread = Callable[[int, int], bytes]  # (length, offset) -> the bytes, or LibraryFileError
Column = Callable[[str], "array[int]"]  # a column read whole (``SegmentFile.column``)


class Blocks:
    """Where each column's blocks are, their checksums once read, and the blocks read so far."""

    __slots__ = ("_broken", "_of", "_read", "_where", "block", "path")

    def __init__(self, path: Path, found: Layout, where: dict[str, tuple[int, int, str]], block: int) -> None:
        self.path, self.block, self._where = path, block, where
        # (name -> index of its first CRC-32, its blocks, rows a block, index of its first fence or -1)
        self._of: dict[str, tuple[int, int, int, int]] = {}
        crc_at = fence_at = 0
        for name, blocks, per in blocked(found, block):
            self._of[name] = (crc_at, blocks, per, fence_at if name in SORTED else -1)
            crc_at += blocks
            fence_at += blocks if name in SORTED else 0
        # (shared by threads, see the module docstring: ``_of`` is never changed once made, a block is
        # added whole once checked, a column read whole is dropped with ``pop``, damage sets ``_broken``)
        self._read: dict[str, dict[int, array[int]]] = {}
        self._broken = False  # (the blocks' own tables do not match their checksums: ``_table``)

    def holds(self, name: str) -> bool:
        """Whether column ``name`` is read by the block here."""
        return not self._broken and name in self._of

    def cell(self, pread: Pread, column: Column, name: str, i: int) -> int | None:
        """Row ``i`` of column ``name`` (negative: from its end, as an array's), or None: read the
        column whole instead (half of its blocks were read: ``WHOLE_SHARE``)."""
        of = self._of[name]
        if i < 0:
            i += self._where[name][1]
        b, j = divmod(i, of[2])
        read = self._read.get(name)
        got = read.get(b) if read is not None else None
        if got is None:
            got = self._load(pread, column, name, of, b)
            if got is None:
                return None
        return got[j]

    def first_at_least(self, pread: Pread, column: Column, name: str, value: int) -> int | None:
        """The first row of sorted column ``name`` whose value is ``value`` or more (its rows: none),
        as ``bisect_left`` over the column; None: read the column whole instead."""
        of = self._of[name]
        _crc_at, blocks, per, fence_at = of
        if not blocks:
            return 0
        fences = self._table(column, "block_fences")
        if fences is None:
            return None
        # (the first block whose first value is ``value`` or more: ``value`` is first met in the block
        # before it, or at its start)
        after = bisect_left(fences, value, fence_at, fence_at + blocks) - fence_at
        if after == 0:
            return 0
        read = self._read.get(name)
        got = read.get(after - 1) if read is not None else None
        if got is None:
            got = self._load(pread, column, name, of, after - 1)
            if got is None:
                return None
        return (after - 1) * per + bisect_left(got, value)

    def _load(
        self, pread: Pread, column: Column, name: str, of: tuple[int, int, int, int], b: int
    ) -> array[int] | None:
        crc_at, blocks, per, _fence = of
        if not 0 <= b < blocks:
            raise IndexError(f"row of {name} out of range")
        read = self._read.setdefault(name, {})
        if len(read) >= max(WHOLE_MIN, blocks * WHOLE_SHARE):
            self._read.pop(name, None)  # (another thread may have dropped it first)
            return None
        crcs = self._table(column, "block_crcs")
        if crcs is None:
            return None
        pos, rows, code = self._where[name]
        got = array(code)
        start = b * per
        raw = pread(got.itemsize * min(per, rows - start), pos + got.itemsize * start)
        if zlib.crc32(raw) != crcs[crc_at + b]:
            raise TableDamage(self.path, f"its {name} table does not match its checksum")
        got.frombytes(raw)
        if sys.byteorder != "little":
            got.byteswap()
        read[b] = got
        return got

    def _table(self, column: Column, name: str) -> array[int] | None:
        """One of the blocks' own tables, read whole once (``column`` keeps it); None when it does not
        match its checksum: then every column is read whole, as a segment without blocks is (its
        columns have their own checksums: only speed is lost, and ``pmbrowse check`` says the damage)."""
        if self._broken:
            return None
        try:
            return column(name)
        except TableDamage:
            self._broken = True
            self._read.clear()
            return None

    def check(self, column: Column) -> str:
        """What is wrong with the block tables against the columns, read whole ('' nothing): a
        writer's fault the columns' own checksums cannot see (``pmbrowse check``)."""
        crcs, fences = column("block_crcs"), column("block_fences")
        for name, (crc_at, blocks, per, fence_at) in self._of.items():
            raw = memoryview(little(column(name)))
            size = per * column(name).itemsize
            for b in range(blocks):
                if zlib.crc32(raw[b * size : (b + 1) * size]) != crcs[crc_at + b]:
                    return f"its {name} table's block {b} does not match the block's checksum"
            if fence_at >= 0 and list(fences[fence_at : fence_at + blocks]) != list(column(name)[::per]):
                return f"its {name} table's fences do not match the table"
        return ""
