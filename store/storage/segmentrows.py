"""A segment's documents read row after row, as a fold copies them (``store.storage.fold``).

``SegmentFile.row`` reads one document: seven look-ups of its columns and one ``pread``, and its head's
PMID worked out to compare with the PMID column; the fold then worked the PMID out again for the new
index (``IndexData.note_head``). A fold reads a segment's rows in increasing order, and a segment's
writer puts each document's JSON and head one after the other (``SegmentWriter``), row after row since
3d2cef7 (a batch written before it lies in the journal's order): so ``Rows`` reads a slice of ``SLICE``
bytes from a row whose next row follows it in the file, its columns looked up once, and gives each
row's PMID with it. A row no slice holds whole (the segment's end, a head not right after its document,
a row whose next lies elsewhere, damage in the tables) is read by ``row`` itself, so what it says of
damage is said as before, and an old segment is read a row at a time, as before, not a slice a row.
"""

from __future__ import annotations

from store.storage.layer import Segment
from store.storage.meta import Meta
from store.storage.pmids import head_pmid

SLICE = 1 << 18  # (per segment, as ``store.storage.linkwalk``'s: a fold of sixteen holds 4 MB of them)


class Rows:
    """The documents of ``segment`` by row (asked in increasing order, or any: a row outside the slice
    held reads the next)."""

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        c = segment.column
        self._off, self._len, self._head_len = c("doc_off"), c("doc_len"), c("doc_head_len")
        self._head_off = c("doc_head_off")
        self._flags, self._year, self._citation = c("doc_flags"), c("doc_year"), c("doc_citation")
        self._held, self._at = b"", 0

    def row(self, i: int) -> tuple[bytes, Meta, bytes, int]:
        """``segment.row(i)`` and the head's PMID (``store.storage.pmids.head_pmid``)."""
        off, length, head_len = self._off[i], self._len[i], self._head_len[i]
        if self._head_off[i] != off + length or not self._holds(i, off, length + head_len):
            raw, meta, head = self.segment.row(i)  # (not as the writer lays rows out: read on its own)
            return raw, meta, head, head_pmid(head)
        held, start = self._held, off - self._at
        raw, head = held[start : start + length], held[start + length : start + length + head_len]
        pmid = head_pmid(head)
        if (kept := self.segment.column_read("doc_pmid")) is not None and kept[i] and kept[i] != pmid:
            self.segment.row(i)  # (the PMID column disagrees with the head: ``row`` says so, ``pmid_wrong``)
        return raw, Meta(self._flags[i], self._year[i], self._citation[i]), head, pmid

    def _holds(self, i: int, at: int, size: int) -> bool:
        """Whether the slice held has row ``i``'s ``size`` bytes at ``at`` of the file, a slice from
        there read if not and the next row follows (False: read the row alone)."""
        start = at - self._at
        if start >= 0 and start + size <= len(self._held):
            return True
        if i + 1 >= len(self._off) or self._off[i + 1] != at + size:
            return False  # (the next row lies elsewhere: a slice would read bytes no row asks for)
        span = min(SLICE, self.segment.size - at)
        if span < size or at < 0:
            return False
        self._held, self._at = self.segment.read((at, span)), at
        return True
