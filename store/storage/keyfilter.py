"""Which segments may hold an identity key's hash: one bit looked up per segment, not one binary
search of its key table.

An import looks up the identity keys of every record a reference list names (``Snapshot.holders``),
and each look-up searched the key table of every layer: a binary search of 64-bit hashes, ~1.2 µs a
layer, and a large file's import has the library's segments and its own batches, 8-13 layers. Most of
those searches find nothing: a key is held in one layer, if any.

``KeyFilters`` keeps, for each segment of a state, a bitmap of the top bits of the hashes its key table
holds (16 bits a key: a hash the segment does not hold passes it one time in 16 or so). A hash whose
bit is clear is not in the segment's table, so its search is skipped; one whose bit is set is searched
as before. The answers are those of the searches: the bitmap only says where a search would find
nothing.

The base gets one the same way (``KeyFilters.base``, kept with its document index): a reference list's
keys are mostly held by no document (a new file's references name articles the library lacks), and a
miss then costs a bit looked up, not a binary search of the base's hashes.

A segment's bitmap is made only once searching it has cost about as much as making it
(``BUILD_SHARE``, ``MIN_PROBES``: a command that looks a few keys up never makes one): ~0.17 µs a
hash, 0.1 s for a segment of 600,000 keys. Segments are not changed once written (a merge or a fold
writes new ones), so a bitmap is kept with its segment, for any state that has it: the filters of a
state are made for the very list of segments asked about (compared whole, by identity, as
``store.storage.newest`` does), and a segment added (an import's batch) gets its own. What is
published is a whole list of whole bitmaps, never one being written.

Still, a key no segment holds cost a bit looked up in each segment's bitmap, newest first: an import's
look-ups are mostly such keys (a reference naming an article nobody holds yet), and its own batches
are layers, one more for each, so a look-up cost more the larger the import (4.1 µs with no segment,
8.7 µs by the end of the first 100k bench file's six batches). So the oldest segments of a list also
share one bitmap (``Union``), asked first: a hash whose bit is clear there is in none of them, and
they are passed over at once. It covers a list's first segments as they were when it grew, and grows
as the list does (an import's batches are added at its end), made and grown as a segment's is, once
the look-ups it would have spared cost about as much (``BUILD_SHARE``). Its bits are only ever added:
a thread reading with what it covered before sees at most more bits set (a search made for nothing),
and what it covers is published after their bits, with them (``Union.state``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from store.storage.layer import Segment

# Made once a segment was searched once for each BUILD_SHARE hashes its key table holds (a search is
# a binary search and a call, ~1.2 µs; writing a hash in, ~0.17 µs), and at least MIN_PROBES times.
BUILD_SHARE = 8
MIN_PROBES = 4096
BITS_PER_KEY = 16  # (at least: a power of two bits in all)
MIN_BITS = 10


class SegmentFilter:
    """The bitmap of one segment's key hashes (``made`` None until made: search the segment)."""

    __slots__ = ("due", "hashes", "made", "of", "probes")

    def __init__(self, segment: Segment | None, hashes: Sequence[int] | None = None) -> None:
        # (The segment, referred to weakly where it can be: ``_KEPT`` keeps a filter as long as its
        # segment lives, and a strong reference here kept every segment ever searched, open, for the
        # life of the process: each import's batches, each segment a merge or a fold had replaced.)
        self.of: Callable[[], Segment | None]
        try:
            self.of = weakref.ref(segment) if segment is not None else _nothing
        except TypeError:
            self.of = lambda: segment
        # (the key hashes, sorted, when they are not a segment's column: the base index's, ``base``)
        self.hashes = hashes
        # (the bitmap, and the shift that makes a hash its bit number: ``h >> shift``)
        self.made: tuple[bytearray, int] | None = None
        self.probes = 0  # searches made without it (from several threads a count may be lost)
        # (when to make it; its hashes are not read for that: a command that asks a few keys of a
        # million-record library's segments read 10 MB of them, until stop 47)
        keys = len(hashes) if hashes is not None else segment.rows("key_hashes") if segment is not None else 0
        self.due = max(MIN_PROBES, keys // BUILD_SHARE)

    def _hashes(self) -> Sequence[int]:
        if self.hashes is not None:
            return self.hashes
        segment = self.of()
        assert segment is not None
        return segment.column("key_hashes")

    def may_hold(self, h: int) -> bool:
        """Whether the segment's key table may hold hash ``h`` (False: it does not). ``Snapshot.holders``
        has this written out."""
        made = self.made
        if made is None:
            return True
        j = h >> made[1]
        return bool(made[0][j >> 3] >> (j & 7) & 1)

    def make(self) -> None:
        """Write every hash of the segment's key table in (published whole)."""
        hashes = self._hashes()
        width = max(MIN_BITS, (len(hashes) * BITS_PER_KEY).bit_length())
        shift = 64 - width
        bits = bytearray(1 << (width - 3))
        for h in hashes:
            j = h >> shift
            bits[j >> 3] |= 1 << (j & 7)
        self.made = (bits, shift)


def _nothing() -> None:
    return None


# Each segment's filter, for every state that has the segment (a transaction's view of the state, a
# state after a catch-up): a segment is never changed once written.
_KEPT: weakref.WeakKeyDictionary[Segment, SegmentFilter] = weakref.WeakKeyDictionary()


def _filter_of(segment: Segment) -> SegmentFilter:
    try:
        found = _KEPT.get(segment)
        if found is None:
            found = _KEPT[segment] = SegmentFilter(segment)
    except TypeError:  # (a segment that cannot be referred to weakly: a filter of this state's own)
        found = SegmentFilter(segment)
    return found


class Hashed(Protocol):
    """What a filter of the base is made from (``store.docindex.DocIndex`` has it)."""

    @property
    def key_hashes(self) -> Sequence[int]: ...  # (its key table's hashes, sorted)


# The base index's filter, kept with it (an index is not changed once written: a fold writes a new one).
_BASES: weakref.WeakKeyDictionary[Hashed, SegmentFilter] = weakref.WeakKeyDictionary()


def _base_of(index: Hashed) -> SegmentFilter:
    """The filter of a base's key table (``index``: its document index), made as a segment's is: once
    searching it has cost as much. A miss then costs a bit, not a binary search of the base's hashes
    (the keys of a new file's references are mostly misses: ~2 µs of a look-up's ~10 at 100k)."""
    try:
        found = _BASES.get(index)
        if found is None:
            found = _BASES[index] = SegmentFilter(None, index.key_hashes)
    except TypeError:  # (an index that cannot be referred to weakly: a filter of its own, each time)
        found = SegmentFilter(None, index.key_hashes)
    return found


class Union:
    """One bitmap of the key hashes of a list's oldest segments (see the module docstring): ``state``
    is None until made, then (the bitmap, the shift that makes a hash its bit number, how many of the
    oldest segments it covers), replaced whole; the bitmap's bits are only ever added."""

    __slots__ = ("due", "keys", "probes", "state")

    def __init__(self) -> None:
        self.state: tuple[bytearray, int, int] | None = None
        self.keys = 0  # (the hashes written in)
        self.probes = 0  # (look-ups that searched segments it does not cover, since it last grew)
        # (for how many segments, how many such look-ups make it grow: worked out once a list, not
        # summed over the segments it does not cover at every look-up)
        self.due: tuple[int, int] | None = None

    def grow(self, segments: Sequence[Segment]) -> None:
        """Cover every segment of ``segments`` (which begins with those covered): their hashes written
        into the bitmap, or into a new one twice as large as they need when the old one would be too
        full (each hash written once or twice, amortised, as a list's segments are added one by one)."""
        state = self.state
        covered = 0 if state is None else state[2]
        added = [segment.column("key_hashes") for segment in segments[covered:]]
        keys = self.keys + sum(map(len, added))
        if state is None or keys * BITS_PER_KEY > len(state[0]) * 8:
            width = max(MIN_BITS, (2 * keys * BITS_PER_KEY).bit_length())
            bits, shift = bytearray(1 << (width - 3)), 64 - width
            added = [segment.column("key_hashes") for segment in segments]
        else:
            bits, shift = state[0], state[1]
        for hashes in added:
            for h in hashes:
                j = h >> shift
                bits[j >> 3] |= 1 << (j & 7)
        self.keys, self.probes, self.due = keys, 0, None
        self.state = (bits, shift, len(segments))


@dataclass(frozen=True)
class _Made:
    listed: list[Segment]  # (what it was made for, compared whole by identity)
    filters: list[SegmentFilter]
    union: Union  # (shared with the lists this one extends: it covers their first segments too)


class KeyFilters:
    """See the module docstring: ``of`` gives the filters of a list of segments, in its order."""

    def __init__(self) -> None:
        self._made: _Made | None = None
        self._base: tuple[Hashed, SegmentFilter] | None = None  # (the last base asked about, its filter)
        self._lock = threading.Lock()

    def base(self, index: Hashed) -> SegmentFilter:
        """The filter of the base whose document index is ``index`` (one for every state that has it)."""
        kept = self._base
        if kept is not None and kept[0] is index:
            return kept[1]
        found = _base_of(index)
        self._base = (index, found)
        return found

    def of(self, segments: Sequence[Segment]) -> list[SegmentFilter]:
        return self.made_for(segments).filters

    def made_for(self, segments: Sequence[Segment]) -> _Made:
        """The filters of ``segments``, in its order, and the union of its oldest ones."""
        made = self._made
        if made is not None and made.listed == segments:
            return made
        filters = [_filter_of(segment) for segment in segments]
        # (a list that extends the last one, as an import's batches do, keeps its union: the segments it
        # covers are this list's first ones too. Compared and replaced under the lock: two threads
        # extending one list two ways must not share its union, or one would skip the other's segment.)
        with self._lock:
            made = self._made
            extends = made is not None and list(segments[: len(made.listed)]) == made.listed
            union = made.union if made is not None and extends else Union()
            self._made = made = _Made(list(segments), filters, union)
        return made

    def union_searched(self, union: Union, segments: Sequence[Segment]) -> None:
        """Count a look-up that searched segments of ``segments`` ``union`` does not cover, and make it
        cover them once that has cost about as much as writing their hashes in (``BUILD_SHARE``, as a
        segment's bitmap; unless another thread is writing one: it does not wait)."""
        union.probes += 1
        if union.probes < MIN_PROBES:
            return
        due = union.due
        if due is None or due[0] != len(segments):
            state = union.state
            covered = 0 if state is None else state[2]
            hashes = sum(len(s.column("key_hashes")) for s in segments[covered:])
            union.due = due = (len(segments), hashes // BUILD_SHARE)
        if union.probes < due[1]:
            return
        if self._lock.acquire(blocking=False):
            try:
                now = union.state
                if (0 if now is None else now[2]) < len(segments):
                    union.grow(segments)
            finally:
                self._lock.release()

    def searched(self, f: SegmentFilter) -> None:
        """Count a search of ``f``'s segment made without its bitmap, and make it when due (unless
        another thread is making one: it does not wait). ``Snapshot.holders`` has the count written out."""
        f.probes += 1
        if f.probes >= f.due:
            self.make(f)

    def make(self, f: SegmentFilter) -> None:
        if self._lock.acquire(blocking=False):
            try:
                if f.made is None:
                    f.make()
            finally:
                self._lock.release()
