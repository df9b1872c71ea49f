"""Which segment holds each document's newest version, by document id: one look-up, not one binary
search per segment.

A state's layers are the base, its segments and the journal (``store.storage.snapshot``). Asking each
segment in turn, newest first, costs a binary search per segment, and an import asks it of every
record a reference list names: with the library's segments and the import's own batches, 8-13 layers
by the end of a large file, so an import cost more the more the library held (``Snapshot.holders``
and ``Snapshot.layer_of``: 40-50% of an import's parent in a large library). ``Newest`` keeps, for
each document id, 1 + the number of the newest segment that writes (or removes) it, 0 for none: two
bytes a document id, made from the segments' own id columns.

Made only once asking segment by segment has cost about as much as making it (``BUILD_SHARE``: a
command that reads a few documents never makes it), then kept up as segments are added (an import's
batches: the new segment's ids alone are written in). It is a function of the segments alone, in
order, so it answers for the very list it was made of: every look-up compares the list asked about
with it whole (a list compare, by identity: ~50 ns for a dozen segments, less than the number and
the newest compared before), and any other list, one added to or another altogether, is answered by
one extended or made anew (``current``). A state's segments are only ever added to at their end, and
a merge or a fold is a new state with its own table (``store.storage.tiering``, ``fold``: a new
journal or base, opened anew; ``repair`` and ``verify`` make states of their own), so no list that
differs in its middle alone reaches one table today; the whole compare makes that a fact of this
module rather than of the others. What is published to other threads is a whole ``_Made``, never one
being written: a thread that reads a state's documents while another adds a segment to it sees the
old one or the new one; and one that reads while another makes it does not wait: it asks the
segments meanwhile.

A segment written before stop 26 has no checksum of its tables (``store.storage.segmentids``; a newer
one's find a flipped bit when they are read). The table is sized by the largest id the segments end
with, each checked below the state's next id: one past it (a flipped high bit asked for gigabytes) and
the table is not made for the state, its look-ups ask each segment as before (the next id of a state
``check`` or ``repair`` reads may be the base's alone: never an error here). An id in the middle of a
segment's ids past their last, or the segment not finding an id its ids name (``Snapshot.layer_of``),
is ids out of order: damage, said in one line naming the segment.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence

from store.storage.segmentids import Segment, outside
from store.values import Value

# Made once the segment-by-segment look-ups have probed a segment once for each BUILD_SHARE document
# ids the segments hold (a probe is a binary search and a few calls, ~1 µs; writing an id in, ~0.1 µs),
# and at least MIN_PROBES times.
BUILD_SHARE = 8
MIN_PROBES = 4096


class _Made(Value):  # (not a frozen dataclass: the app's first page imports this module, ``store.values``)
    __slots__ = ("segments", "numbers", "listed")  # noqa: RUF023 (the fields' order)
    segments: tuple[Segment, ...]  # (what it was made of, oldest first: compared by identity)
    numbers: array[int]  # by document id: 1 + the newest segment writing it, 0: none
    listed: list[Segment]  # (the same, as a list: what a state's list is compared with, in ``of``)

    def __init__(self, segments: tuple[Segment, ...], numbers: array[int], listed: list[Segment]) -> None:
        self._set(segments, numbers, listed)


class Newest:
    """See the module docstring. ``of`` answers None until it is made (ask the segments then)."""

    def __init__(self) -> None:
        self._made: _Made | None = None
        self._probes = 0
        self._next_check = 0  # (and MIN_PROBES)
        self._given_up = False  # (a segment's ids past the state's next id: never made for it)
        self._lock = threading.Lock()

    def probed(self, count: int) -> None:
        """Count ``count`` segment probes made because there was no answer (from several threads an
        addition may be lost: a count of when to make the table, nothing read depends on it)."""
        self._probes += count

    def of(self, segments: Sequence[Segment], doc_id: int, limit: int) -> int | None:
        """1 + the number of the newest of ``segments`` writing ``doc_id``, 0 for none of them; None:
        not made (not yet worth it). ``limit``: the state's next id (every id of its segments below it).
        ``LibraryFileError``: a segment's ids are out of order (``segmentids.outside``)."""
        made = self._made
        if made is None or made.listed != segments:  # (the whole list: see the module docstring)
            made = self.current(segments, limit)
            if made is None:
                return None
        numbers = made.numbers
        return numbers[doc_id] if 0 <= doc_id < len(numbers) else 0

    def current(self, segments: Sequence[Segment], limit: int) -> _Made | None:
        """The table of ``segments``: kept, extended by the segments added since, or made anew (None:
        not yet worth making, or not to be made: see the module docstring; or being made in another
        thread: that thread holds the lock while it writes the ids in, and a look-up does not wait)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._current(segments, limit)
        finally:
            self._lock.release()

    def _current(self, segments: Sequence[Segment], limit: int) -> _Made | None:
        made = self._made
        now = tuple(segments)
        if self._given_up or len(now) >= 0xFFFF:
            return None
        if made is not None and now[: len(made.segments)] == made.segments:
            if len(now) == len(made.segments):
                return made
            start, kept = len(made.segments), made.numbers
        else:
            if not now or self._probes < max(MIN_PROBES, self._next_check):
                return None
            total = sum(len(segment.column("doc_ids")) for segment in now)
            if self._probes * BUILD_SHARE < total:
                self._next_check = total // BUILD_SHARE
                return None
            start, kept = 0, array("H")
        added = [segment.column("doc_ids") for segment in now[start:]]
        top = max((ids[-1] for ids in added if len(ids)), default=0)
        if top >= limit:
            self._given_up = True
            return None
        numbers = array("H", kept)  # (a copy: readers may hold the one kept)
        if top >= len(numbers):
            numbers.extend(array("H", bytes(2 * (top + 1 - len(numbers)))))
        for number, ids in enumerate(added, start + 1):
            try:
                for doc_id in ids:
                    numbers[doc_id] = number
            except IndexError:  # (an id past the last of its segment, which the table is sized by)
                raise outside(now[number - 1]) from None
        self._made = made = _Made(now, numbers, list(now))
        return made
