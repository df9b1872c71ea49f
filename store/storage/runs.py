"""What the "most cited first" keys of some documents are as of a state, worked out layer by layer.

A document's ``cited_key`` (``store.storage.indexwriter``) is made of its newest version's year and
citation count (the newest layer holding it) and how many articles cite it (the base's count plus every
later layer's change). ``Tally`` works it out for a set of documents, taking the layers in order, oldest
first, and asking each only about those documents: a layer much larger than the set is asked one
document at a time (a binary search in its tables), a smaller one is walked once. It serves the ranking
of what has no run yet (``store.storage.citations``) and the writers of runs: a segment being written
(``store.storage.spilling``) or merged (``store.storage.tiering``) keeps its documents' keys as of the
state it completes (``store.storage.segment``'s run table).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping

from store.docindex import DocIndex
from store.storage.indexwriter import cited_key
from store.storage.meta import Meta
from store.storage.segmentids import top_id
from store.storage.snapshot import Segment, Snapshot

# A layer holding more than this many times the documents asked about is searched, not walked (a
# binary search costs about as much as walking this many rows).
SEARCH_RATIO = 16
# A tally of fewer documents than 1 in this many of the ids up to its largest keeps them in dicts (a
# few hundred bytes a document) instead of columns by id (16 bytes an id).
SPARSE = 32


class _Sparse(dict[int, int]):
    """A column of a sparse tally: by doc id, 0 for a document it was not given."""

    def __missing__(self, doc_id: int) -> int:
        return 0


class Tally:
    """What the keys of ``doc_ids`` are made of, as the layers given so far say (see the module
    docstring): whether the state holds each, its newest version's year and citation count, and the
    number of articles citing it. Kept in columns by doc id (a few bytes a document of the library:
    a merge at a million records asks about 1.3 million documents), not in objects.

    ``Tally.whole`` asks about every document: a bulk transaction keeps one from batch to batch
    (``store.storage.spilling``), so that each batch's run costs what the batch touches."""

    # (columns by doc id; dicts in a sparse tally, which is never grown)
    wanted: bytearray | _Sparse
    held: bytearray | _Sparse
    year: array[int] | _Sparse
    citation: array[int] | _Sparse
    cited: array[int] | _Sparse

    def __init__(self, index: DocIndex | None, doc_ids: Iterable[int], limit: int = 1 << 32) -> None:
        self.limit = limit  # (the state's next id: a whole tally grows to a segment's ids below it)
        self.ids: list[int] = sorted(doc_ids)
        self.everything = False  # (``whole``; not no documents asked about, which grows to nothing)
        size = self.ids[-1] + 1 if self.ids else 1
        # A few documents among many ids (the journal's, at start-up: 932 documents up to id 1.5
        # million, 24 MB of columns zeroed for them): kept by id in dicts instead (``SPARSE``).
        self.sparse = size > SPARSE * len(self.ids) + SPARSE
        if self.sparse:
            self.held, self.year, self.citation, self.cited = _Sparse(), _Sparse(), _Sparse(), _Sparse()
            self.wanted = _Sparse(dict.fromkeys(self.ids, 1))
        else:
            self.wanted = bytearray(size)
            self.held = bytearray(size)
            self.year = array("H", bytes(2 * size))
            self.citation = array("I", bytes(4 * size))
            self.cited = array("q", bytes(8 * size))
            wanted = self.wanted
            for doc_id in self.ids:
                wanted[doc_id] = 1
        if index is not None:
            location, counts, meta = index.location, index.link_counts, index.meta
            for doc_id in self.ids:
                self.cited[doc_id] = counts(doc_id)[1]
                if location(doc_id) is not None:
                    _flags, self.year[doc_id], self.citation[doc_id] = meta(doc_id)
                    self.held[doc_id] = 1

    def _asked(self, doc_id: int) -> bool:
        """Whether the tally is about a document (a whole one grows to every document it is given)."""
        if self.sparse:
            return doc_id in self.wanted
        return doc_id < len(self.wanted) and bool(self.wanted[doc_id])

    @classmethod
    def whole(cls, index: DocIndex | None, limit: int) -> Tally:
        """A tally of every document, from the base's columns as they are (no document asked about
        one by one); it grows as documents are added (``changes``), and to the ids of the segments it
        is given (below ``limit``, the state's next id: ``store.storage.segmentids``)."""
        tally = cls(None, (), limit)
        tally.sparse = False  # (columns by id, grown to every document: however few it starts with)
        if index is not None:
            column = index.column
            tally.held = bytearray(map(bool, column("doc_off")))
            tally.held[0] = 0
            tally.year = array("H", column("year"))
            tally.citation = array("I", column("citation"))
            tally.cited = array("q", column("cited"))
        tally.wanted = bytearray(b"\1") * len(tally.held)
        tally.ids = []  # (every document: a whole tally is asked about documents by ``run``'s caller)
        tally.everything = True
        return tally

    def _grow(self, size: int) -> None:
        """Room for documents up to ``size`` - 1 (a whole tally: each one wanted)."""
        wanted, held, year, citation, cited = self.wanted, self.held, self.year, self.citation, self.cited
        assert not isinstance(wanted, _Sparse) and not isinstance(held, _Sparse)  # (a whole tally is not)
        assert not isinstance(year, _Sparse) and not isinstance(citation, _Sparse)
        assert not isinstance(cited, _Sparse)
        more = size - len(wanted)
        if more > 0:
            wanted += bytearray(b"\1") * more
            held += bytes(more)
            year.frombytes(bytes(2 * more))
            citation.frombytes(bytes(4 * more))
            cited.frombytes(bytes(8 * more))

    def segment(self, segment: Segment) -> None:
        """The next layer: a segment."""
        ids, lengths = segment.column("doc_ids"), segment.column("doc_len")
        years, citations = segment.column("doc_year"), segment.column("doc_citation")
        # (read once here, not kept: an import reads no segment's ``link_cited`` again until its end's merge)
        once = getattr(segment, "column_once", segment.column)
        link_ids, link_cited = segment.column("link_ids"), once("link_cited")
        if self.everything:  # (it may not have room for the segment's newest documents)
            self._grow(top_id((segment,), self.limit) + 1)
        wanted, held, year, citation, cited = self.wanted, self.held, self.year, self.citation, self.cited
        size = len(wanted)
        removed = 0xFFFFFFFF  # (``segment.REMOVED_LENGTH``)
        # (a sparse tally is of few documents: each searched for)
        if self.sparse or (self.ids and len(ids) + len(link_ids) > SEARCH_RATIO * len(self.ids)):
            for doc_id in self.ids:
                i = bisect_left(ids, doc_id)
                if i < len(ids) and ids[i] == doc_id:
                    held[doc_id] = lengths[i] != removed
                    year[doc_id], citation[doc_id] = years[i], citations[i]
                i = bisect_left(link_ids, doc_id)
                if i < len(link_ids) and link_ids[i] == doc_id:
                    cited[doc_id] += link_cited[i]
            return
        for i, doc_id in enumerate(ids):
            if doc_id < size and wanted[doc_id]:
                held[doc_id] = lengths[i] != removed
                year[doc_id], citation[doc_id] = years[i], citations[i]
        for doc_id, change in zip(link_ids, link_cited, strict=True):
            if doc_id < size and wanted[doc_id]:
                cited[doc_id] += change

    def changes(self, docs: Mapping[int, Meta | None], cited: Mapping[int, int]) -> None:
        """The next layer, given as what it holds: the meta of each document it writes (None: removed)
        and its change to each document's citing count."""
        if self.everything:
            self._grow(max(max(docs, default=0), max(cited, default=0)) + 1)
        asked = self._asked
        for doc_id, meta in docs.items():
            if asked(doc_id):
                self.held[doc_id] = meta is not None
                if meta is not None:
                    self.year[doc_id], self.citation[doc_id] = meta.year, meta.citation
        for doc_id, change in cited.items():
            if asked(doc_id):
                self.cited[doc_id] += change

    def journal(self, snap: Snapshot) -> None:
        """The next layer: the snapshot's journal (its documents read for their meta)."""
        journal = snap.journal
        if journal is None or not snap.live_journal:
            return
        if not self.everything:
            docs = {d: snap.meta(d) for d in self.ids if d in journal.docs}
            cited = {d: c[1] for d in self.ids if (c := journal.link_counts.get(d)) is not None}
        else:
            docs = {d: snap.meta(d) for d in journal.docs}
            cited = {d: c[1] for d, c in journal.link_counts.items()}
        self.changes(docs, cited)

    def key(self, doc_id: int) -> int | None:
        """A document's ``cited_key`` (None: the state does not hold it)."""
        if not self._asked(doc_id) or not self.held[doc_id]:
            return None
        return cited_key(self.citation[doc_id], max(self.cited[doc_id], 0), self.year[doc_id], doc_id)

    def values(self, doc_id: int) -> tuple[int, int, int] | None:
        """What a document's key is made of (``store.storage.top``'s values: citing count, the source's
        citation count, year); None: the state does not hold it."""
        if not self._asked(doc_id) or not self.held[doc_id]:
            return None
        return self.cited[doc_id], self.citation[doc_id], self.year[doc_id]

    def keys(self) -> dict[int, int | None]:
        """Each document's ``cited_key`` (None: the state does not hold it)."""
        return {doc_id: self.key(doc_id) for doc_id in self.ids}

    def run(self, doc_ids: Iterable[int] | None = None) -> list[int]:
        """The keys of the documents the state holds (of ``doc_ids``; of those asked about when the
        tally was made, by default), largest first: a segment's run."""
        held, year, citation, cited = self.held, self.year, self.citation, self.cited
        size = len(held) if not self.sparse else self.limit  # (a sparse column: 0 for any other)
        keys = [
            cited_key(citation[d], max(cited[d], 0), year[d], d)
            for d in (self.ids if doc_ids is None else doc_ids)
            if d < size and held[d]
        ]
        keys.sort(reverse=True)
        return keys


def state_run(snap: Snapshot, doc_ids: Iterable[int]) -> list[int]:
    """The run of ``doc_ids`` in the state ``snap`` holds (its base, segments and journal)."""
    tally = Tally(snap.index, doc_ids)
    for segment in snap.segments:
        tally.segment(segment)
    tally.journal(snap)
    return tally.run()
