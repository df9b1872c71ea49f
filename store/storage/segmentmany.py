"""Many documents asked of a state at once: their link counts and years, for a ranking.

A ranking (``store.neighbourhood.related``; the year charts) asks the counts and year of thousands of
documents: at a million records ``related`` asks some 1,500 candidates. Asked one by one
(``Snapshot.meta``, ``link_counts``), each was looked up in each segment: the ids, then the rows of
six more columns, each block read and checked alone (11,000 reads for two segments), and each more
segment a dozen more reads a candidate: ``related`` cost 1.6 times its cost at 10k. Asked together,
each segment is asked once for all of them: the ids sorted, each block of its columns read once, with
neighbouring ones in one ``pread`` (``Blocks.rows_many``, ``cells_many``), a document below a
segment's ids at no read, and of its documents' columns only the two a ranking needs (their lengths,
which say a removal, and their years).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from store.storage.segmentblocks import Blocks
from store.storage.segmentformat import REMOVED_LENGTH

if TYPE_CHECKING:
    from store.docindex import DocIndex
    from store.journal import Replay
    from store.storage.layer import Segment
    from store.storage.meta import Meta

REMOVED = (-1, -1)  # (what ``where`` says of a removal, as ``store.storage.segment``'s)


class Many:
    """A segment's look-ups of many documents at once (``SegmentFile`` sets the attributes)."""

    def column(self, name: str) -> array[int]:
        raise NotImplementedError

    def _blocks_of(self, name: str) -> Blocks | None:
        raise NotImplementedError

    def _pread(self, length: int, offset: int) -> bytes:
        raise NotImplementedError

    def _rows_many(self, name: str, values: list[int]) -> list[int]:
        """``_find`` of each of ``values`` (sorted, each once) in sorted column ``name``: by the block
        where it can be, each block read once."""
        blocks = self._blocks_of(name)
        if (
            blocks is not None
            and (found := blocks.rows_many(self._pread, self.column, name, values)) is not None
        ):
            return found
        column = self.column(name)
        n = len(column)
        return [i if (i := bisect_left(column, v)) < n and column[i] == v else -1 for v in values]

    def _cells_many(self, name: str, rows: list[int]) -> list[int]:
        """``_cell`` of each of ``rows``: by the block where it can be, each block read once."""
        blocks = self._blocks_of(name)
        if (
            blocks is not None
            and (found := blocks.cells_many(self._pread, self.column, name, rows)) is not None
        ):
            return found
        column = self.column(name)
        return [column[i] for i in rows]

    def years_of(self, doc_ids: list[int]) -> list[tuple[int, int]]:
        """(doc id, year or 0; -1: removed here) of each of ``doc_ids`` (sorted, each once) the segment
        writes or removes: the columns' blocks each read once for them all, and only the two columns a
        ranking needs besides the ids (``Snapshot.totals``)."""
        rows = self._rows_many("doc_ids", doc_ids)
        found = [(doc_id, i) for doc_id, i in zip(doc_ids, rows, strict=True) if i >= 0]
        if not found:
            return []
        at = [i for _doc_id, i in found]
        lengths, years = self._cells_many("doc_len", at), self._cells_many("doc_year", at)
        return [
            (doc_id, -1 if length == REMOVED_LENGTH else year)
            for (doc_id, _i), length, year in zip(found, lengths, years, strict=True)
        ]

    def counts_of(self, doc_ids: list[int]) -> list[tuple[int, int, int]]:
        """(doc id, references change, citing change) of each of ``doc_ids`` (sorted, each once) whose
        links the segment changes: ``link_counts`` for many, each block read once."""
        rows = self._rows_many("link_ids", doc_ids)
        found = [(doc_id, i) for doc_id, i in zip(doc_ids, rows, strict=True) if i >= 0]
        if not found:
            return []
        at = [i for _doc_id, i in found]
        refs, cited = self._cells_many("link_refs", at), self._cells_many("link_cited", at)
        return [(doc_id, r, c) for (doc_id, _i), r, c in zip(found, refs, cited, strict=True)]


def totals(
    doc_ids: Iterable[int],
    journal: Replay | None,
    segments: Sequence[Segment],
    index: DocIndex | None,
    meta: Callable[[int], Meta | None],
) -> Iterator[tuple[int, int, int, int]]:
    """``Snapshot.totals``: (doc id, references, citing articles, year or 0) of each of ``doc_ids`` a
    state holds, given its layers (and its ``meta``, for the journal's documents), each layer asked
    for all of them at once (see the module docstring)."""
    ids = sorted(set(doc_ids))
    years: dict[int, int] = {}  # the held documents' years, from the newest layer holding each
    rest = ids
    if journal is not None and journal.docs:
        for doc_id in ids:
            if doc_id in journal.docs:
                found_meta = meta(doc_id)
                if found_meta is not None:
                    years[doc_id] = found_meta.year
        rest = [doc_id for doc_id in ids if doc_id not in journal.docs]
    for segment in reversed(segments):  # (newest first: the newest writing a document says)
        if not rest:
            break
        if isinstance(segment, Many):  # (a ``SegmentFile``)
            found = segment.years_of(rest)
        else:
            found = [
                (doc_id, -1 if where == REMOVED else segment.meta(doc_id).year)
                for doc_id in rest
                if (where := segment.where(doc_id)) is not None
            ]
        for doc_id, year in found:
            if year >= 0:
                years[doc_id] = year
        if found:
            written = {doc_id for doc_id, _year in found}
            rest = [doc_id for doc_id in rest if doc_id not in written]
    if index is not None:
        for doc_id in rest:
            if index.location(doc_id) is not None:
                years[doc_id] = index.meta(doc_id)[1]
    held = [doc_id for doc_id in ids if doc_id in years]
    counts = {doc_id: list(index.link_counts(doc_id)) if index is not None else [0, 0] for doc_id in held}
    for segment in segments:
        if isinstance(segment, Many):  # (a ``SegmentFile``)
            changes = segment.counts_of(held)
        else:
            changes = [(doc_id, *segment.link_counts(doc_id)) for doc_id in held]
        for doc_id, r, c in changes:
            have = counts[doc_id]
            have[0] += r
            have[1] += c
    changed = journal.link_counts if journal is not None else {}
    for doc_id in held:
        refs, cited = counts[doc_id]
        change = changed.get(doc_id)
        if change is not None:
            refs, cited = refs + change[0], cited + change[1]
        yield doc_id, max(refs, 0), max(cited, 0), years[doc_id]
