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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Union

from store.storage.segmentformat import SORTED, blocked, little
from store.storage.segmentids import TableDamage

# A column is read whole once this share of its blocks was read one at a time (and at least WHOLE_MIN).
WHOLE_SHARE = 0.5
WHOLE_MIN = 16
# Blocks wanted at most this many apart are read with one ``pread`` (``Blocks._many``).
GAP = 4

Layout = list[tuple[str, int, str]]  # (``segmentformat.layout``'s: name, rows, type code)
Pread = Callable[[int, int], bytes]  # (length, offset) -> the bytes, or LibraryFileError
Column = Callable[[str], "array[int]"]  # a column read whole (``SegmentFile.column``)


LITTLE = sys.byteorder == "little"
# A block as read: a view of the bytes read, cast to the column's type (making an array of each cost
# more than its CRC-32), or an array on a big-endian machine.
Block = Union["array[int]", "memoryview[int]"]


def _as_block(code: str, piece: memoryview) -> Block:
    if LITTLE:  # (``code`` is a column's type code, which the stubs cannot know is an integer's)
        return piece.cast(code)  # type: ignore[call-overload,no-any-return]
    got = array(code, piece.tobytes())
    got.byteswap()
    return got


class Blocks:
    """Where each column's blocks are, their checksums once read, and the blocks read so far."""

    __slots__ = ("_broken", "_of", "_passed", "_read", "_where", "block", "path")

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
        self._read: dict[str, dict[int, Block]] = {}
        self._passed: dict[str, int] = {}  # (name -> blocks ``_many`` read and did not keep)
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

    def rows_many(self, pread: Pread, column: Column, name: str, values: Sequence[int]) -> list[int] | None:
        """The row of each of ``values`` (ascending, each once) in sorted column ``name`` of distinct
        values (-1: not in it), as ``first_at_least`` for each, each block read once (``_many``);
        None: read the column whole instead. A value below the column's first, or a block's first (its
        fence), costs no read."""
        of = self._of[name]
        _crc_at, blocks, per, fence_at = of
        rows = [-1] * len(values)
        if not blocks:
            return rows
        fences = self._table(column, "block_fences")
        if fences is None:
            return None
        end = fence_at + blocks
        places: list[tuple[int, int]] = []  # (index in ``values``, the block that may hold it), in order
        for k, value in enumerate(values):
            after = bisect_left(fences, value, fence_at, end)
            if after < end and fences[after] == value:
                rows[k] = (after - fence_at) * per  # (it begins its block)
            elif after > fence_at:
                places.append((k, after - fence_at - 1))
        found = self._many(pread, column, name, of, [b for _k, b in places])
        if found is None:
            return None
        at = 0
        for b, block in found:
            while at < len(places) and places[at][1] == b:
                k = places[at][0]
                value = values[k]
                j = bisect_left(block, value)
                if j < len(block) and block[j] == value:
                    rows[k] = b * per + j
                at += 1
        return rows

    def cells_many(self, pread: Pread, column: Column, name: str, rows: Sequence[int]) -> list[int] | None:
        """Rows ``rows`` (ascending, each in range) of column ``name``, each block read once
        (``_many``); None: read the column whole instead."""
        of = self._of[name]
        per = of[2]
        found = self._many(pread, column, name, of, [i // per for i in rows])
        if found is None:
            return None
        cells = [0] * len(rows)
        at = 0
        for b, block in found:
            first = b * per
            while at < len(rows) and rows[at] // per == b:
                cells[at] = block[rows[at] - first]
                at += 1
        return cells

    def _many(
        self, pread: Pread, column: Column, name: str, of: tuple[int, int, int, int], wanted: list[int]
    ) -> Iterator[tuple[int, Block]] | None:
        """Blocks ``wanted`` (ascending, repeats allowed) of column ``name`` with their numbers, in
        order: those read already as they were, the others read now, each checked against its CRC-32,
        blocks at most ``GAP`` apart with one ``pread`` (the blocks between read and dropped: a
        ``pread`` costs more than a few KB read with it). Each is to be used as it is given, and is not
        kept: a ranking's thousands of blocks, kept, cost the process a page fault each 4 KB of them
        (4,600 at a million records: a third of the ranking's time). They count towards the column's
        share read (``WHOLE_SHARE``); None: read the column whole instead, as ``_load``."""
        crc_at, blocks, per, _fence = of
        read = self._read.get(name) or {}
        order = sorted(set(wanted))
        new = sum(1 for b in order if b not in read)
        if not new:
            return ((b, read[b]) for b in order)
        if order[0] < 0 or order[-1] >= blocks:
            raise IndexError(f"row of {name} out of range")
        if len(read) + self._passed.get(name, 0) + new >= max(WHOLE_MIN, blocks * WHOLE_SHARE):
            self._read.pop(name, None)  # (another thread may have dropped it first)
            return None
        crcs = self._table(column, "block_crcs")
        if crcs is None:
            return None
        self._passed[name] = self._passed.get(name, 0) + new  # (threads: a count lost costs only speed)
        return self._each(pread, name, crcs, crc_at, per, order, read)

    def _each(
        self,
        pread: Pread,
        name: str,
        crcs: array[int],
        crc_at: int,
        per: int,
        order: list[int],
        read: dict[int, Block],
    ) -> Iterator[tuple[int, Block]]:
        pos, rows, code = self._where[name]
        size = array(code).itemsize
        span = size * per  # (a block's bytes; the last block's slice is cut at the column's end)
        first, n = 0, len(order)
        while first < n:
            got = read.get(order[first])
            if got is not None:
                yield order[first], got
                first += 1
                continue
            last = first
            while last + 1 < n and order[last + 1] - order[last] <= GAP and order[last + 1] not in read:
                last += 1
            start = order[first]
            stop = min((order[last] + 1) * per, rows)
            raw = memoryview(pread(size * (stop - start * per), pos + span * start))
            for b in order[first : last + 1]:
                piece = raw[span * (b - start) : span * (b - start + 1)]
                if zlib.crc32(piece) != crcs[crc_at + b]:
                    raise TableDamage(self.path, f"its {name} table does not match its checksum")
                yield b, _as_block(code, piece)
            first = last + 1

    def _load(
        self, pread: Pread, column: Column, name: str, of: tuple[int, int, int, int], b: int
    ) -> Block | None:
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
