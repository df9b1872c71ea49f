"""How often each article is cited, live: for "most cited first" and the counts a result row shows.

An article's citation count is the larger of what a source reports (``citation_count``) and how many
articles of the library cite it. The second changes whenever a record citing it is added, and that
never rewrites its document (links are kept apart: ``store.storage.links``), so the search index,
which indexes documents, cannot keep it: it is read here, from the counts the storage keeps, as of the
library's newest committed state.

"Most cited first" over the whole library walks the base's order, kept in its index
(``store.storage.indexwriter.cited_order``), merged with the documents whose count or year changed since
(those the journal or a segment touches), ranked once per state of the library: after a compaction
those are a few; just before one, tens of thousands (55,633 in a 100k library whose journal was near
its threshold), and ranking them took a third of a second, at every "most cited first" the app asked
for. Between two states, only the documents a commit touched are keyed again: each key is kept with
what it was derived from (the base, the segments, where the journal holds the document and its
journal count change), and reused while that is the same.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from store.storage.indexwriter import cited_key
from store.storage.reader import Reader, state_of
from store.storage.snapshot import Snapshot

# What a document's key in a state was derived from: the base and the segments (both immutable), where
# the journal holds the document, and the journal's change to its link counts.
Stamp = tuple[object, object, object, object]
_NOT_IN_JOURNAL = ()


class Ranked(NamedTuple):
    """The documents a state's journal and segments touch, ranked (see the module docstring)."""

    state: tuple[str | None, int]
    keyed: list[tuple[int, int]]  # (key, doc id), largest key first; documents no longer held left out
    touched: set[int]  # every document touched (its base key, if any, is out of date)
    keys: dict[int, tuple[Stamp, int | None]]  # doc id -> (what its key came from, the key)


class Citations:
    """Live citation counts of one library (see the module docstring)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._ranked: Ranked | None = None

    def key(self, doc_id: int) -> int | None:
        """``cited_key`` of a document now; None: no such document."""
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
        """Every document of the library, most cited first."""
        ranked = self.ranked_changes()
        index = self.reader.snap.index
        if index is None:
            yield from (doc_id for _key, doc_id in ranked.keyed)
            return
        touched = ranked.touched
        base = (doc_id for doc_id in index.cited_order() if doc_id not in touched)
        keyed_base = ((self._base_key(doc_id), doc_id) for doc_id in base)
        for _key, doc_id in heapq.merge(ranked.keyed, keyed_base, reverse=True):
            yield doc_id

    def ranked_changes(self) -> Ranked:
        """The documents the journal and the segments touch in the newest state, ranked: computed once
        per state, from the keys of the state before where they still hold."""
        with self.reader.files.state:
            self.reader.refresh()
            snap = self.reader.snap
            state = state_of(snap)
            known = self._ranked
            if known is not None and known.state == state:
                return known
            stamps = self._stamps(snap, state)
        before = known.keys if known is not None else {}
        keys = {
            doc_id: old for doc_id, stamp in stamps.items() if (old := before.get(doc_id)) and old[0] == stamp
        }
        fresh = {doc_id: stamp for doc_id, stamp in stamps.items() if doc_id not in keys}
        for doc_id, key in _keys_in(snap, fresh).items():
            keys[doc_id] = (fresh[doc_id], key)
        keyed = [(key, doc_id) for doc_id, (_stamp, key) in keys.items() if key is not None]
        keyed.sort(reverse=True)
        ranked = Ranked(state, keyed, set(keys), keys)
        self._ranked = ranked
        return ranked

    @staticmethod
    def _stamps(snap: Snapshot, state: tuple[str | None, int]) -> dict[int, Stamp]:
        """Every document the journal or a segment touches, with what its key is derived from (taken
        while the state is held: the journal's tables grow in place as commits are read in)."""
        segments = tuple(segment.name for segment in snap.segments)
        touched: set[int] = set()
        for segment in snap.segments:
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

    def _base_key(self, doc_id: int) -> int:
        index = self.reader.snap.index
        assert index is not None
        _flags, year, citation = index.meta(doc_id)
        return cited_key(citation, index.link_counts(doc_id)[1], year, doc_id)


def _keys_in(snap: Snapshot, stamps: dict[int, Stamp]) -> dict[int, int | None]:
    """``cited_key`` of documents in a state (None: it does not hold one), given their stamps, layer by
    layer: each segment is asked only about the documents it holds (asking each layer about each
    document, as reading one document does, cost four times as many lookups in a library with four
    segments), and the journal's part is in the stamps."""
    index = snap.index
    metas: dict[int, tuple[int, int] | None] = {}  # doc id -> (year, citation) of its newest version
    cited: dict[int, int] = dict.fromkeys(stamps, 0)
    if index is not None:
        location, counts, meta = index.location, index.link_counts, index.meta
        for doc_id in stamps:
            cited[doc_id] = counts(doc_id)[1]
            if location(doc_id) is not None:
                _flags, year, citation = meta(doc_id)
                metas[doc_id] = (year, citation)
    for segment in snap.segments:  # (oldest first: a newer one's version of a document wins)
        for doc_id, removed in segment.ids():
            if doc_id in cited:
                if removed:
                    metas[doc_id] = None
                else:
                    held = segment.meta(doc_id)
                    metas[doc_id] = (held.year, held.citation)
        for doc_id in segment.counted():
            if doc_id in cited:
                cited[doc_id] += segment.link_counts(doc_id)[1]
    keys: dict[int, int | None] = {}
    for doc_id, (_base, _segments, where, change) in stamps.items():
        if where is not _NOT_IN_JOURNAL:  # (the journal holds its newest version: read it)
            journal_meta = None if where is None else snap.meta(doc_id)
            metas[doc_id] = None if journal_meta is None else (journal_meta.year, journal_meta.citation)
        newest = metas.get(doc_id)
        if newest is None:
            keys[doc_id] = None
            continue
        count = cited[doc_id] + change[1] if isinstance(change, tuple) else cited[doc_id]
        keys[doc_id] = cited_key(newest[1], max(count, 0), newest[0], doc_id)
    return keys
