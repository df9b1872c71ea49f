"""How often each article is cited, live: for "most cited first" and the counts a result row shows.

An article's citation count is the larger of what a source reports (``citation_count``) and how many
articles of the library cite it. The second changes whenever a record citing it is added, and that
never rewrites its document (links are kept apart: ``store.storage.links``), so the search index,
which indexes documents, cannot keep it: it is read here, from the counts the storage keeps, as of the
library's newest committed state.

"Most cited first" over the whole library walks the base's order, kept in its index
(``store.storage.indexwriter.cited_order``), merged with the few documents whose count or year changed since
(those the journal or a segment touches), sorted as they are asked for.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from store.storage.indexwriter import cited_key
from store.storage.reader import Reader


class Citations:
    """Live citation counts of one library (see the module docstring)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

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
        with self.reader.files.state:
            self.reader.refresh()
            snap = self.reader.snap
        changed: set[int] = set()
        journal = snap.journal
        if journal is not None:
            changed.update(journal.docs)
            changed.update(journal.link_counts)
        for segment in snap.segments:
            changed.update(doc_id for doc_id, _removed in segment.ids())
            changed.update(segment.counted())
        newer = self.ranked(changed)
        index = snap.index
        if index is None:
            yield from newer
            return
        base = (doc_id for doc_id in index.cited_order() if doc_id not in changed)
        keyed_newer = ((self.key(doc_id) or 0, doc_id) for doc_id in newer)
        keyed_base = ((self._base_key(doc_id), doc_id) for doc_id in base)
        for _key, doc_id in heapq.merge(keyed_newer, keyed_base, reverse=True):
            yield doc_id

    def _base_key(self, doc_id: int) -> int:
        index = self.reader.snap.index
        assert index is not None
        _flags, year, citation = index.meta(doc_id)
        return cited_key(citation, index.link_counts(doc_id)[1], year, doc_id)
