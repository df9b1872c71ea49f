"""The segments' link changes, walked in id order once each: what a fold reads of them.

A fold composes each changed document's link record from its base record and its changes in every
segment, oldest first (``store.storage.fold``). Each segment's links table is in id order
(``store.storage.segment``), so the walk is a merge of the segments' tables: a heap holds each
segment's next row, and a document costs the rows that change it, not a look in every segment (with
the dozen segments an import's fold meets, most looks found nothing: a fifth of a fold's time).

A segment whose link changes lie one after another in its table's order (as ``spilling.spill`` and a
merge write them) is read in slices of ``SLICE`` bytes, not one ``pread`` a change; others a change at
a time, as before. A piece a slice does not hold whole (the segment's end, damage in its tables) is
read on its own, so a table that points past the file's end says so as it did.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from heapq import heapify, heappop, heapreplace
from pathlib import Path

from store.storage.layer import Segment

SLICE = 1 << 18  # (per segment: a fold of sixteen holds 4 MB of them)
PAST = 1 << 62  # (past every id: no change left)


class _Table:
    """One segment's links table, its places read when first needed (a repair does not read the counts'
    tables, and a segment whose changes are all of removed documents none)."""

    def __init__(self, segment: Segment, ids: array[int]) -> None:
        self.segment = segment
        self.ids = ids
        self.off: array[int] | None = None
        self.len: array[int] = array("I")
        self.at = 0  # (where ``held`` starts in the file)
        self.held = b""

    def read(self, row: int) -> bytes:
        if self.off is None:
            self.off, self.len = self.segment.column("link_off"), self.segment.column("link_len")
        off, length = self.off[row], self.len[row]
        start = off - self.at
        if start >= 0 and start + length <= len(self.held):
            return self.held[start : start + length]
        segment = self.segment
        if row + 1 < len(self.off) and self.off[row + 1] == off + length and length < SLICE:
            # (the next change follows this one: read on, what the file holds past it)
            span = min(SLICE, segment.size - off)
            if span >= length:
                self.held, self.at = segment.read((off, span)), off
                return self.held[:length]
        return segment.read((off, length))


class Walk:
    """The link changes of ``segments`` (oldest first), asked for in increasing id order."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._tables = [_Table(segment, segment.column("link_ids")) for segment in segments]
        self._heap = [(table.ids[0], number, 0) for number, table in enumerate(self._tables) if table.ids]
        heapify(self._heap)
        self.next = self._heap[0][0] if self._heap else PAST
        """The lowest id not yet passed that a segment changes (``PAST``: none)."""

    def take(self, doc_id: int, *, read: bool = True) -> list[tuple[Path, bytes, str]]:
        """The changes of ``doc_id``, oldest segment first, each with its file (and '': where in it, for
        ``fold._compose``); the changes of lower ids not taken are passed over (``read`` False: its
        own too, unread)."""
        heap, found = self._heap, []
        while heap and heap[0][0] <= doc_id:
            at, number, row = heap[0]
            table = self._tables[number]
            if at == doc_id and read:
                found.append((table.segment.path, table.read(row), ""))
            if row + 1 < len(table.ids):
                heapreplace(heap, (table.ids[row + 1], number, row + 1))
            else:
                heappop(heap)
        self.next = heap[0][0] if heap else PAST
        return found
