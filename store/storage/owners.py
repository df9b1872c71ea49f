"""Which layer holds the newest version of each document id, worked out for a fold from the layers'
tables alone (a few bytes a document, never the documents): ``store.storage.fold``."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field

from store.storage.files import Doc
from store.storage.segment import REMOVED_LENGTH
from store.storage.segmentids import outside, top_id
from store.storage.snapshot import Snapshot

NONE = 0xFFFF  # (no document with this id: never was, or removed)


@dataclass
class Owners:
    """The newest layer of each document id: 0 the base, 1 + i segment i, ``journal`` the journal,
    ``staged`` what the transaction staged; and the row of a segment's document in its tables."""

    layer: array[int]
    row: array[int]
    journal: int
    staged: int
    left: list[int] = field(default_factory=list)  # (left out by a repair: ``linkends``)

    @classmethod
    def of(cls, snap: Snapshot, docs: Mapping[int, Doc | None], next_id: int) -> Owners:
        """``next_id``: the library's (every id of a segment's tables is below it:
        ``store.storage.segmentids``)."""
        segments = snap.segments
        if len(segments) + 2 >= NONE:
            raise ValueError(f"{len(segments)} segments: too many to fold at once")
        journal_docs = snap.journal.docs if snap.journal is not None else {}
        max_id = max(
            snap.index.max_id if snap.index is not None else 0,
            top_id(snap.segments, next_id, ("doc_ids",)),
            max(journal_docs, default=0),
            max(docs, default=0),
        )
        layer = array("H", [NONE]) * (max_id + 1)
        row = array("I", bytes(4 * (max_id + 1)))
        if snap.index is not None:
            offsets = snap.index.column("doc_off")
            for doc_id in range(1, snap.index.max_id + 1):
                if offsets[doc_id]:
                    layer[doc_id] = 0
        for number, segment in enumerate(snap.segments, 1):
            lengths = segment.column("doc_len")
            try:
                for r, doc_id in enumerate(segment.column("doc_ids")):
                    layer[doc_id] = NONE if lengths[r] == REMOVED_LENGTH else number
                    row[doc_id] = r
            except IndexError:
                raise outside(segment) from None
        for number, changed in ((len(segments) + 1, journal_docs), (len(segments) + 2, docs)):
            for doc_id, where in changed.items():
                layer[doc_id] = NONE if where is None else number
        return cls(layer, row, len(segments) + 1, len(segments) + 2)

    @property
    def max_id(self) -> int:
        return len(self.layer) - 1

    @property
    def last_id(self) -> int:
        """The highest id of a present document (the new index ends there, as the new file does: ids
        past it were removed)."""
        top = self.max_id
        while top > 0 and self.layer[top] == NONE:
            top -= 1
        return top

    def count(self) -> int:
        return len(self.layer) - self.layer.count(NONE)
