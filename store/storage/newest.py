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
order, and a state's segments are only added to at their end or replaced: a state whose segments
differ from those it was made of in number or in the newest (another list, or the list cut and
added to) is answered by one made anew (``current``), so a state taken in or folded never reads a
stale one. What is published to other threads is a whole ``_Made``, never one being written:
a thread that reads a state's documents while another adds a segment to it sees the old one or the new
one.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Made once the segment-by-segment look-ups have probed a segment once for each BUILD_SHARE document
# ids the segments hold (a probe is a binary search and a few calls, ~1 µs; writing an id in, ~0.1 µs),
# and at least MIN_PROBES times.
BUILD_SHARE = 8
MIN_PROBES = 4096


class _Ids(Protocol):
    def column(self, name: str) -> array[int]: ...


@dataclass(frozen=True)
class _Made:
    segments: tuple[_Ids, ...]  # (what it was made of, oldest first: compared by identity)
    numbers: array[int]  # by document id: 1 + the newest segment writing it, 0: none


class Newest:
    """See the module docstring. ``of`` answers None until it is made (ask the segments then)."""

    def __init__(self) -> None:
        self._made: _Made | None = None
        self._probes = 0
        self._next_check = 0  # (and MIN_PROBES)
        self._lock = threading.Lock()

    def probed(self, count: int) -> None:
        """Count ``count`` segment probes made because there was no answer."""
        self._probes += count

    def of(self, segments: Sequence[_Ids], doc_id: int) -> int | None:
        """1 + the number of the newest of ``segments`` writing ``doc_id``, 0 for none of them; None:
        not made (not yet worth it)."""
        made = self._made
        if made is None or len(made.segments) != len(segments) or made.segments[-1] is not segments[-1]:
            made = self.current(segments)
            if made is None:
                return None
        numbers = made.numbers
        return numbers[doc_id] if 0 <= doc_id < len(numbers) else 0

    def current(self, segments: Sequence[_Ids]) -> _Made | None:
        """The table of ``segments``: kept, extended by the segments added since, or made anew (None:
        not yet worth making)."""
        with self._lock:
            made = self._made
            now = tuple(segments)
            if made is not None and now[: len(made.segments)] == made.segments:
                if len(now) == len(made.segments):
                    return made
                numbers = array("H", made.numbers)  # (a copy: readers may hold the old one)
                start = len(made.segments)
            else:
                if not now or self._probes < max(MIN_PROBES, self._next_check):
                    return None
                total = sum(len(segment.column("doc_ids")) for segment in now)
                if self._probes * BUILD_SHARE < total:
                    self._next_check = total // BUILD_SHARE
                    return None
                numbers, start = array("H"), 0
            if len(now) >= 0xFFFF:
                return None
            for number in range(start + 1, len(now) + 1):
                ids = now[number - 1].column("doc_ids")
                if len(ids) and ids[-1] >= len(numbers):
                    numbers.extend(array("H", bytes(2 * (ids[-1] + 1 - len(numbers)))))
                for doc_id in ids:
                    numbers[doc_id] = number
            self._made = made = _Made(now, numbers)
            return made
