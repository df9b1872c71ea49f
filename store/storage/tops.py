"""Segments' tops (``store.storage.top``): made as a segment is written, and read for the app's first list.

**Made.** A segment completes a state: the state below it (the base and the older segments) and what it
writes. The documents of that state whose keys are at least some bound are those of the state below
whose keys are at least that bound and that the segment does not touch (their keys did not change),
and those of the segment's run (it holds every document the segment touches, keyed as of the new
state) whose keys are at least that bound. So a segment's top is made from the state below's first
documents (``prefix_of``: the newest segment's top; the base's order when there is no segment; else,
once, the layers' runs merged) and its own run, reading nothing else (``after``). A merge of the
newest segments completes the state the newest of them completed: it keeps that one's top.

**Shrinks.** A top holds the documents it knows to be at least its bound: one the segment touches whose
key falls below the bound (its count fell: links removed, records shown to be one; its year changed)
leaves it, and none from below the bound can come in (the state below is known only down to it). So
from segment to segment a top can only shrink, as counts fall; over a long chain it could hold nothing,
and the first list, reading less of it, would merge the runs sooner (right, slower). So a segment
written over a top holding fewer than ``K // 2`` documents (its bound above 0: a state of more) has its
top made from the layers' runs merged instead (``_merged_prefix``, what a segment over one without a
top costs once: ~100 ms at a million records), whole again. (Until stop 32 the small top was carried
on.) A document whose key rises stays, and one that rises past the bound from below comes in through
the segment's run, so in the usual libraries, where imports add citations, tops hardly shrink.

**Read.** The app's first list is the state's order: the newest segment's top, with the journal's
commits on it (``above``). A document the journal touches that the top holds is keyed again from its
values in the top and the journal's change; one it does not hold had a key below the top's bound, so
at most ``bound``'s count articles cited it (every link leads to a document: a document the state did
not hold had none), and the journal's change says how far its key can have risen. So the documents
whose keys are at least the highest of those ceilings (and the bound) are known exactly: that is the
start of the order, read from a few kilobytes (at a million records, "most cited first" read 26.5 MB
of runs and 30 MB of tables for its first page). Past it, the order is the layers' runs merged
(``store.storage.citations``), as in a library without tops.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from store.docindex import DocIndex
from store.errors import LibraryFileError
from store.storage.indexwriter import cited_key
from store.storage.runs import Tally
from store.storage.segment import SegmentError
from store.storage.snapshot import Segment, Snapshot
from store.storage.top import LOW, K, Top, Values, key_of


class Prefix(NamedTuple):
    """The first documents of a state's order: every document it holds whose key is at least ``bound``
    (0: every document it holds), with its values."""

    values: dict[int, Values]
    bound: int


def prefix_of(snap: Snapshot) -> Prefix | None:
    """The first documents of the state of ``snap``'s base and segments (not its journal's commits);
    None: it cannot be told from the runs (a segment without one, or damaged)."""
    segments = snap.segments
    if not segments:
        return _base_prefix(snap.index)
    top = segments[-1].top()
    if top is not None and top.next_id <= snap.next_id:
        if len(top) >= K // 2 or top.bound == 0:
            return Prefix(top.values(), top.bound)
        # (shrunk: made anew from the runs, once; see the module docstring)
        return _merged_prefix(snap) or Prefix(top.values(), top.bound)
    return _merged_prefix(snap)


def _base_prefix(index: DocIndex | None) -> Prefix:
    values: dict[int, Values] = {}
    if index is None:
        return Prefix(values, 0)
    for doc_id in index.cited_order():
        _flags, year, citation = index.meta(doc_id)
        values[doc_id] = (index.link_counts(doc_id)[1], citation, year)
        if len(values) >= 2 * K:
            return Prefix(values, key_of(doc_id, values[doc_id]))
    return Prefix(values, 0)


def _merged_prefix(snap: Snapshot) -> Prefix | None:
    """The first ``2 * K`` documents of the layers' runs merged, their values asked of the layers
    (what a state whose newest segment has no top costs once: its next segment has one)."""
    segments = snap.segments
    try:
        for segment in segments:
            if not segment.has_run:
                return None
            segment.load_run()
        streams = [taken(s.run(), set(), tuple(segments[i + 1 :])) for i, s in enumerate(segments)]
        index = snap.index
        if index is not None:
            keyed_base = ((base_key(index, doc_id), doc_id) for doc_id in index.cited_order())
            streams.append(taken(keyed_base, set(), tuple(segments)))
        first = list(islice(heapq.merge(*streams, reverse=True), 2 * K))
        tally = Tally(index, [doc_id for _key, doc_id in first], snap.next_id)
        for segment in segments:
            tally.segment(segment)
    except (SegmentError, LibraryFileError):
        return None
    values: dict[int, Values] = {}
    for key, doc_id in first:
        found = tally.values(doc_id)
        if found is None or key_of(doc_id, found) != key:  # (a run its layers do not agree with)
            return None
        values[doc_id] = found
    return Prefix(values, first[-1][0] if len(first) == 2 * K else 0)


def after(
    prefix: Prefix | None,
    touched: Collection[int],
    run: Iterable[int],
    values: Callable[[int], Values | None],
    next_id: int,
) -> Top | None:
    """The top of a segment written over the state whose first documents are ``prefix``: ``touched``
    the documents it writes or changes the links of, ``run`` its run's keys (largest first), ``values``
    each document's values as of the state it completes. None: no top (the prefix is not known, or the
    run and the values disagree)."""
    if prefix is None:
        return None
    kept = {doc_id: v for doc_id, v in prefix.values.items() if doc_id not in touched}
    for key in run:
        if key < prefix.bound:
            break
        doc_id = 0xFFFFFFFF - (key & 0xFFFFFFFF)
        found = values(doc_id)
        if found is None or key_of(doc_id, found) != key:
            return None
        kept[doc_id] = found
    return cut(Prefix(kept, prefix.bound), next_id)


def cut(prefix: Prefix, next_id: int) -> Top | None:
    """A top of a state's first documents: the first ``K`` of them (None: a count too large for it)."""
    keyed = sorted(((key_of(d, v), d, v) for d, v in prefix.values.items()), reverse=True)
    bound = prefix.bound
    if len(keyed) > K:
        keyed = keyed[:K]
        bound = keyed[-1][0]
    try:
        return Top.of(keyed, bound, next_id)
    except OverflowError:
        return None


class Above(NamedTuple):
    """The start of a state's order (``above``): every document whose key is at least ``bound``."""

    keyed: list[tuple[int, int]]  # (key, doc id), largest first
    bound: int


def above(snap: Snapshot) -> Above | None:
    """The start of the order of the state ``snap`` holds, from its newest segment's top and its
    journal's commits (see the module docstring); None: its newest segment has no top."""
    segments = snap.segments
    if not segments:
        return None
    top = segments[-1].top()
    if top is None or top.next_id > snap.next_id:
        return None
    values = top.values()
    journal = snap.journal if snap.live_journal else None
    docs = journal.docs if journal is not None else {}
    counts = journal.link_counts if journal is not None else {}
    ceiling = top.bound >> 48  # (the most articles that cited a document the top does not hold)
    bound = top.bound
    keyed: list[tuple[int, int]] = []
    for doc_id in {*docs, *counts}:
        change = counts.get(doc_id)
        delta = change[1] if change is not None else 0
        held = values.pop(doc_id, None)  # (its key is worked out again)
        if doc_id in docs:
            meta = snap.meta(doc_id) if docs[doc_id] is not None else None
            if meta is None:
                continue  # (removed)
            citation, year = meta.citation, meta.year
        elif held is not None:
            citation, year = held[1], held[2]
        else:
            if doc_id < top.next_id and delta > 0:  # (its key may have risen past the bound)
                bound = max(bound, (((ceiling + delta) << 48) | LOW) + 1)
            continue
        if held is not None or doc_id >= top.next_id:  # (in the top, or new: cited by none before)
            cited = (held[0] if held is not None else 0) + delta
            keyed.append((key_of(doc_id, (cited, citation, year)), doc_id))
            continue
        most = ceiling + max(delta, 0)
        if citation >= most:  # (its count is its source's: no more articles cite it)
            keyed.append((cited_key(citation, 0, year, doc_id), doc_id))
        else:
            bound = max(bound, ((most << 48) | LOW) + 1)
    keyed += ((key_of(doc_id, v), doc_id) for doc_id, v in values.items())
    keyed = sorted((entry for entry in keyed if entry[0] >= bound), reverse=True)
    return Above(keyed, bound)


def base_key(index: DocIndex, doc_id: int) -> int:
    """A base document's ``cited_key``, from its index's columns."""
    _flags, year, citation = index.meta(doc_id)
    return cited_key(citation, index.link_counts(doc_id)[1], year, doc_id)


def taken(
    run: Iterator[tuple[int, int]], now: set[int], newer: tuple[Segment, ...]
) -> Iterator[tuple[int, int]]:
    """The entries of a run whose document no newer layer touches (the documents keyed now, and the
    segments with runs after it)."""
    for entry in run:
        doc_id = entry[1]
        if doc_id in now or any(segment.touches(doc_id) for segment in newer):
            continue
        yield entry
