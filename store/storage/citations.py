"""How often each article is cited, live: for "most cited first" and the counts a result row shows.

An article's citation count is the larger of what a source reports (``citation_count``) and how many
articles of the library cite it. The second changes whenever a record citing it is added, and that
never rewrites its document (links are kept apart: ``store.storage.links``), so the search index,
which indexes documents, cannot keep it: it is read here, from the counts the storage keeps, as of the
library's newest committed state.

"Most cited first" over the whole library is a lazy merge of sorted *runs*, one per layer, so that its
first page costs the first few entries of each, not the library:

- the base's order, kept in its index (``store.storage.indexwriter.cited_order``), each key worked out
  from the index's columns as it is read;
- each segment's run, written with it (``store.storage.segment``): the documents it touches, keyed as
  of the state it completed (``store.storage.spilling`` writes it for an import's batches,
  ``store.storage.tiering`` for a merge);
- the documents the journal touches, and those of any segment without a run (written before runs
  existed, or whose run does not match its checksum), keyed now and ranked in memory.

A document's key is the one of the newest layer that touches it (writes it, removes it or changes its
links): an entry of an older run is passed over when a newer layer touches its document (the journal
and the run-less segments: a set in memory; a segment: two binary searches in its tables). Each
document is so taken once, from the layer whose key for it is the key now, and each run is in order:
the merge is the whole order. Before runs, the first "most cited first" of a state keyed every
document a segment touched: at a million records, whose last imports' link changes touch nearly every
older record, 1.43 million documents and 5.8 s before the app's first list.

The start of the order is read from the newest segment's *top* where it has one
(``store.storage.tops``): the first documents of the order over the state that segment completes, with
the journal's commits keyed on it, exact down to a bound; the runs are merged (and the journal's
documents keyed over the layers) only for what comes after it: at a million records the first list
read 26.5 MB of runs and 30 MB of the segments' tables before its first title.

What is keyed now is keyed once per state of the library: just before a compaction the journal touches
tens of thousands of documents (55,633 in a 100k library whose journal was near its threshold). Between
two states, only the documents a commit touched are keyed again: each key is kept with what it was
derived from (the base, the segments, where the journal holds the document and its journal count
change), and reused while that is the same.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from store.docindex import DocIndex
from store.storage.indexwriter import cited_key
from store.storage.reader import Reader, state_of
from store.storage.runs import Tally
from store.storage.segment import SegmentError
from store.storage.segmentids import ID_COLUMNS, check_all, outside, top_id
from store.storage.snapshot import Segment, Snapshot
from store.storage.tops import Above, above, base_key, taken

# The first documents of ``Citations.order`` whose keys are kept, for ``Citations.key`` to answer with
# (a page's counts): looked up again in every layer, at a million records the first page's 60 counts
# read the segments' reference counts (two columns of 1.2 and 1.5 million, 10.6 MB), used for nothing
# else there.
SHOWN = 1024

# What a document's key in a state was derived from: the base and the segments (both immutable), where
# the journal holds the document, and the journal's change to its link counts.
Stamp = tuple[object, object, object, object]
_NOT_IN_JOURNAL = ()


class Ranked(NamedTuple):
    """What a state's journal and run-less segments touch, ranked, and the segments whose runs are
    merged with it (see the module docstring)."""

    state: tuple[str | None, int]
    keyed: list[tuple[int, int]]  # (key, doc id), largest key first; documents no longer held left out
    touched: set[int]  # every document keyed now (its key in any run is out of date)
    keys: dict[int, tuple[Stamp, int | None]]  # doc id -> (what its key came from, the key)
    runs: tuple[Segment, ...] = ()  # the segments with a run, oldest first
    base: DocIndex | None = None  # the base's index, whose order is merged with them
    limit: int = 1 << 32  # the state's next id: every document's id is below it
    shown: dict[int, int] | None = None  # doc id -> its key, of the first ``SHOWN`` ``order`` gave


class Touched:
    """Whether a layer after the base touches a document: ``doc_id in touched``."""

    def __init__(self, now: set[int], newest: array[int]) -> None:
        self.now, self.newest = now, newest

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self.now or (doc_id < len(self.newest) and self.newest[doc_id] != 0)


class Citations:
    """Live citation counts of one library (see the module docstring)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._ranked: Ranked | None = None
        self._newest_of: tuple[Ranked, array[int]] | None = None
        # (the start of the order of a state, from its newest segment's top: ``store.storage.tops``)
        self._above: tuple[tuple[str | None, int], Above | None, dict[int, int]] | None = None

    def key(self, doc_id: int) -> int | None:
        """``cited_key`` of a document now; None: no such document."""
        ranked = self._ranked
        if ranked is not None and ranked.shown and doc_id in ranked.shown and self._reads(ranked.state):
            return ranked.shown[doc_id]
        known = self._above
        if known is not None and doc_id in known[2] and self._reads(known[0]):
            return known[2][doc_id]
        meta = self.reader.meta(doc_id)
        if meta is None:
            return None
        return cited_key(meta.citation, self.reader.link_counts(doc_id)[1], meta.year, doc_id)

    def count(self, doc_id: int) -> int:
        """How often a document is cited: by a source's count, or by the library's links."""
        key = self.key(doc_id)
        return 0 if key is None else key >> 48

    def ranked(self, doc_ids: Iterable[int]) -> list[int]:
        """``doc_ids`` that the library holds, most cited first."""
        keyed = [(key, doc_id) for doc_id in doc_ids if (key := self.key(doc_id)) is not None]
        keyed.sort(reverse=True)
        return [doc_id for _key, doc_id in keyed]

    def order(self) -> Iterator[int]:
        """Every document of the library, most cited first: its start from the newest segment's top
        where it has one (``store.storage.tops``), the rest (or all) the layers' runs merged."""
        with self.reader.files.state:
            self.reader.refresh()
            snap = self.reader.snap
            state = state_of(snap)
        start = self._start(snap, state)
        if start is not None:
            for key, doc_id in start[0].keyed:
                if len(start[1]) < SHOWN:
                    start[1][doc_id] = key
                yield doc_id
        ranked = self._rank(snap, state)
        now, runs = ranked.touched, ranked.runs
        streams: list[Iterator[tuple[int, int]]] = [iter(ranked.keyed)]
        streams += [taken(segment.run(), now, runs[i + 1 :]) for i, segment in enumerate(runs)]
        index = ranked.base
        if index is not None:
            keyed_base = ((base_key(index, doc_id), doc_id) for doc_id in index.cited_order())
            streams.append(taken(keyed_base, now, runs))
        shown = ranked.shown
        bound = start[0].bound if start is not None else None
        for key, doc_id in heapq.merge(*streams, reverse=True):
            if bound is not None and key >= bound:
                continue  # (given from the top)
            if shown is not None and len(shown) < SHOWN:
                shown[doc_id] = key
            yield doc_id

    def _start(self, snap: Snapshot, state: tuple[str | None, int]) -> tuple[Above, dict[int, int]] | None:
        """The start of the order of ``snap``'s state, from its newest segment's top (once a state),
        and the keys of it given so far; None: it has none."""
        known = self._above
        if known is None or known[0] != state:
            known = (state, above(snap), {})
            self._above = known
        return None if known[1] is None else (known[1], known[2])

    def _reads(self, state: tuple[str | None, int]) -> bool:
        """Whether ``reader.meta`` and ``reader.link_counts`` answer, in this thread, as of the committed
        ``state`` (not a newer one read in since, nor with this thread's own writes not committed)."""
        reader = self.reader
        pending = reader.files.pending
        if (pending.view is not None or pending.docs or pending.links) and pending.mine():
            return False
        with reader.files.state:
            return state_of(reader.snap) == state

    def changed(self, ranked: Ranked) -> Iterator[tuple[int, int]]:
        """(key now, doc id) of each document the library holds that a layer after the base touches,
        in no particular order: those keyed now, and the runs' entries no newer layer touches."""
        yield from ranked.keyed
        now, newest = ranked.touched, self._newest(ranked)
        for number, segment in enumerate(ranked.runs, 1):
            yield from (
                entry for entry in segment.run() if newest[entry[1]] == number and entry[1] not in now
            )

    def touched(self, ranked: Ranked) -> Touched:
        """The documents a layer after the base touches (their base keys are out of date), for ``in``."""
        return Touched(ranked.touched, self._newest(ranked))

    def _newest(self, ranked: Ranked) -> array[int]:
        """Doc id -> the newest of ``ranked.runs`` that touches it, counted from 1 (0: none). What
        ``cited>=N`` asks of every run entry and of up to half the base's documents: read once, not
        searched for in each segment each time (two binary searches in Python a segment: 8 µs a
        question over 20 segments, against 41 ns)."""
        known = self._newest_of
        if known is not None and known[0] is ranked:
            return known[1]
        # (sized by the columns' last ids, checked: ``store.storage.segmentids``)
        newest = array("H", bytes(2 * (top_id(ranked.runs, ranked.limit) + 1)))
        for number, segment in enumerate(ranked.runs, 1):
            try:
                for name in ID_COLUMNS:
                    for doc_id in segment.column(name):
                        newest[doc_id] = number
            except IndexError:
                raise outside(segment) from None
        self._newest_of = (ranked, newest)
        return newest

    def ranked_changes(self) -> Ranked:
        """The documents the journal and the segments without a run touch in the newest state, ranked,
        with the segments whose runs are merged with them: computed once per state, from the keys of
        the state before where they still hold."""
        with self.reader.files.state:
            self.reader.refresh()
            snap = self.reader.snap
            return self._rank(snap, state_of(snap))

    def _rank(self, snap: Snapshot, state: tuple[str | None, int]) -> Ranked:
        """``ranked_changes`` of the state ``snap`` holds (``state``)."""
        with self.reader.files.state:
            known = self._ranked
            if known is not None and known.state == state:
                return known
            runs = tuple(segment for segment in snap.segments if _run_read(segment))
            stamps = self._stamps(snap, state, runs)
        before = known.keys if known is not None else {}
        keys = {
            doc_id: old for doc_id, stamp in stamps.items() if (old := before.get(doc_id)) and old[0] == stamp
        }
        fresh = {doc_id: stamp for doc_id, stamp in stamps.items() if doc_id not in keys}
        for doc_id, key in _keys_in(snap, fresh).items():
            keys[doc_id] = (fresh[doc_id], key)
        keyed = [(key, doc_id) for doc_id, (_stamp, key) in keys.items() if key is not None]
        keyed.sort(reverse=True)
        ranked = Ranked(state, keyed, set(keys), keys, runs, snap.index, snap.next_id, {})
        self._ranked = ranked
        return ranked

    @staticmethod
    def _stamps(snap: Snapshot, state: tuple[str | None, int], runs: tuple[Segment, ...]) -> dict[int, Stamp]:
        """Every document the journal or a segment without a run touches, with what its key is derived
        from, in the state ``snap`` (whose journal tables never change once it is shared: commits read
        in later make a new state, ``store.storage.reader``; they grew in place until stop 31)."""
        segments = tuple(segment.name for segment in snap.segments)
        touched: set[int] = set()
        for segment in snap.segments:
            if segment in runs:
                continue
            check_all(segment, snap.next_id, ordered=False)  # (``Tally`` is sized by the largest)
            touched.update(doc_id for doc_id, _removed in segment.ids())
            touched.update(segment.counted())
        journal = snap.journal
        docs = journal.docs if journal is not None else {}
        counts = journal.link_counts if journal is not None else {}
        touched.update(docs)
        touched.update(counts)
        # (Most documents are in no journal: they share one stamp, made once.)
        common: Stamp = (state[0], segments, _NOT_IN_JOURNAL, None)
        stamps: dict[int, Stamp] = {}
        for doc_id in touched:
            change = counts.get(doc_id)
            if change is None and doc_id not in docs:
                stamps[doc_id] = common
            else:
                where = docs.get(doc_id, _NOT_IN_JOURNAL)
                stamps[doc_id] = (state[0], segments, where, None if change is None else tuple(change))
        return stamps


def _run_read(segment: Segment) -> bool:
    """Whether the segment has a run that can be merged: one whose checksum does not match is left
    aside (its documents are keyed now, as for a segment written before runs; ``pmbrowse check`` says
    it is damaged)."""
    if not segment.has_run:
        return False
    try:
        segment.load_run()
    except SegmentError:
        return False
    return True


def _keys_in(snap: Snapshot, stamps: dict[int, Stamp]) -> dict[int, int | None]:
    """``cited_key`` of documents in a state (None: it does not hold one), given their stamps: the base
    and the segments as ``Tally`` reads them, the journal's part as the stamps say (taken with the
    state, while the journal's tables could grow)."""
    tally = Tally(snap.index, stamps)
    for segment in snap.segments:  # (oldest first: a newer one's version of a document wins)
        tally.segment(segment)
    docs = {}
    cited = {}
    for doc_id, (_base, _segments, where, change) in stamps.items():
        if where is not _NOT_IN_JOURNAL:  # (the journal holds its newest version: read it)
            docs[doc_id] = None if where is None else snap.meta(doc_id)
        if isinstance(change, tuple):
            cited[doc_id] = change[1]
    tally.changes(docs, cited)
    return tally.keys()
