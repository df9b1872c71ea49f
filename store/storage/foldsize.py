"""Where a fold's link records will start in its new base, worked out before any document is written.

A large fold's link records are written by a child beside its documents (``store.storage.foldlinks``),
into the new base itself at their place, so that they are written once: the place is the end of the
documents, known from the layers' tables alone (each document's length in the old index and in the
segments' tables) and the documents the fold encodes (the journal's and the staged ones, encoded first
for this). Each record is its id's prefix and its bytes, as ``fileformat.BaseWriter.add`` writes it.
If the documents end anywhere else (a bug here, or a layer read short), the fold finds it before it
takes the child's records, and folds again in one process (``foldlinks.Misplaced``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress

import orjson

from store.docindex import DocIndex
from store.fileformat import table_opening
from store.schema import LINKS_TABLE
from store.storage.files import Doc
from store.storage.layer import Segment
from store.storage.owners import NONE, Owners
from store.storage.snapshot import Snapshot


def encoded_docs(
    snap: Snapshot, docs: Mapping[int, Doc | None], owners: Owners
) -> dict[int, tuple[Doc, bytes]]:
    """The documents of the journal and the staged ones (``docs``), each with its bytes as the fold
    writes them (the others are copied as the bytes their layer holds); the fold takes them from here,
    the journal's decoded once."""
    journal = snap.journal.docs if snap.journal is not None else {}
    layer = owners.layer
    made: dict[int, tuple[Doc, bytes]] = {}
    for i in journal:
        if layer[i] == owners.journal and (doc := snap.doc(i)) is not None:
            made[i] = doc, orjson.dumps(doc)
    for i, staged in docs.items():
        if layer[i] == owners.staged and staged is not None:
            made[i] = staged, orjson.dumps(staged)
    return made


def links_start(
    opening: int,
    owners: Owners,
    index: DocIndex | None,
    segments: Sequence[Segment],
    encoded: Mapping[int, tuple[Doc, bytes]],
) -> int:
    """Where the first link record goes: ``opening``, where the first document goes; ``owners``, the
    newest layer of each id (the base's documents' lengths are in ``index``, the segments' in their
    tables; the journal's and the staged documents are ``encoded``: ``encoded_docs``)."""
    layer, none = owners.layer, NONE
    top = len(layer)
    present = top - layer.count(none)  # (id 0 is never a document: its layer is ``none``)
    total = opening
    if present:  # (each record's prefix: '"ID":' for the first, ',\n"ID":' after it)
        total += 5 * present - 2
    low = 1
    while low < top:  # (and the id's digits: the documents of each number of digits counted at once)
        high = min(low * 10, top)
        total += len(str(low)) * (high - low - layer[low:high].count(none))
        low = high
    if index is not None:
        total += sum(compress(index.column("doc_len"), map((0).__eq__, layer)))
    for number, segment in enumerate(segments, 1):
        newest = map(number.__eq__, map(layer.__getitem__, segment.column("doc_ids")))
        total += sum(compress(segment.column("doc_len"), newest))
    total += sum(len(raw) for _doc, raw in encoded.values())
    return total + len(table_opening(LINKS_TABLE))
