"""Which documents of a state hold an identity key (``Snapshot.holders``): an import asks it of every
record a reference list names, so each step here is the least that gives the same answer as reading
every layer's version of every candidate.

Each layer's key table (the base's index, each segment's) names the documents that may hold a key: those
whose keys hash to the key's hash. A document counts from the newest layer holding it (a newer one's
keys are those that count; the journal's keys are kept by key), and its head there says whether it
holds the key (a hash collision names others). What is saved against asking each layer everything:

- a segment, or the base, whose filter says its key table lacks the hash is not searched
  (``store.storage.keyfilter``), nor the oldest segments at all when their union's filter says none
  of them holds it, and a key's PMID is worked out only once a layer names a candidate;
- a candidate is checked against the newer layers only (``Snapshot.layer_of`` asks them all, and where
  in its own layer it is), and its head read from its row at once;
- a PMID's key is told from the head's first bytes when the head begins with it (``holds``), the head
  decoded otherwise;
- a PMID's key is told by the layer's PMID column when it knows the document's PMID, with no head
  read (``store.storage.pmids``: the base's index since stop 34, each segment since stop 35; one
  written before has none, and its heads are read);
- the layer and row a document was found in are kept (``Snapshot._found``): an import asks the found
  document's meta next (is it a stub?), and ``Snapshot.meta`` reads it from there without asking the
  layers again.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Protocol

import orjson

from store.docindex import DocIndex, IndexMismatch, key_hash
from store.journal import Replay
from store.merge import doc_keys
from store.storage.keyfilter import KeyFilters, SegmentFilter
from store.storage.layer import Segment
from store.storage.newest import Newest
from store.storage.pmids import PMID_HEAD, key_pmid
from store.storage.segmentids import damage


class Snapshot(Protocol):
    """What is read of a state here (``store.storage.snapshot.Snapshot``: not imported, which imports
    this module)."""

    journal: Replay | None
    segments: list[Segment]
    index: DocIndex | None
    next_id: int
    _newest: Newest
    _filters: KeyFilters
    _found: list[Found]

    def head(self, doc_id: int) -> bytes | None: ...


# The last document ``holders`` found in a layer of a state (``Snapshot._found``, one item, replaced
# whole: a thread reads it or the one another wrote, never half): (its id, its layer's number, 0 the
# base, the state's number of segments then, its row in that segment, -1 in the base).
Found = tuple[int, int, int, int]
NOT_FOUND: Found = (0, -1, -1, -1)

# (``_head_if_newest``'s answer when the PMID column says the document holds the key; told by identity)
HELD = b"held"


def holders(snap: Snapshot, key: str) -> set[int]:
    """The documents of state ``snap`` holding identity key ``key``.

    Each layer's key table names the documents that may hold it (hash collisions aside), newest
    layer first; a document counts from the newest layer holding it (a newer one's keys are those
    that count), and its head there says whether it holds the key. A segment whose filter says its
    table lacks the key's hash is not searched (``store.storage.keyfilter``)."""
    found: set[int] = set()
    journal = snap.journal
    in_journal: Container[int] = ()
    if journal is not None:
        found.update(journal.keys.get(key, ()))
        in_journal = journal.docs  # (the journal holds these: its keys are those above)
    segments = snap.segments
    if not segments and snap.index is None:
        return found  # (no layer to search: an import's first batch into a new library)
    h = key_hash(key)
    pmid = -1  # (``key_pmid``'s, worked out at the first candidate: most keys asked have none)
    filters: list[SegmentFilter] = []
    numbers: Iterable[int] = range(len(segments), -1, -1)  # (the newest segment first, the base last)
    if segments:
        made_for = snap._filters.made_for(segments)
        filters, union = made_for.filters, made_for.union
        state = union.state
        covered = 0 if state is None else min(state[2], len(segments))
        if covered < len(segments):
            snap._filters.union_searched(union, segments)
        if state is not None and covered:  # (the union's bit clear: none of the first ``covered`` holds it)
            j = h >> state[1]
            if not state[0][j >> 3] >> (j & 7) & 1:
                numbers = (*range(len(segments), covered, -1), 0)
    for number in numbers:
        layer: Segment | DocIndex | None
        if number:
            f = filters[number - 1]
            layer = segments[number - 1]
        else:
            layer = snap.index
            if layer is None:
                continue
            f = snap._filters.base(layer)
        made = f.made
        if made is None:  # (``KeyFilters.searched``, written out)
            f.probes += 1
            if f.probes >= f.due:
                snap._filters.make(f)
        else:  # (``SegmentFilter.may_hold``, written out)
            j = h >> made[1]
            if not made[0][j >> 3] >> (j & 7) & 1:
                continue
        candidates = layer.candidates_of(h)
        if not candidates:
            continue
        if pmid < 0:
            pmid = key_pmid(key)  # (0: the key is not a PMID the layers' PMID columns can answer)
        for doc_id in candidates:
            if doc_id in found or doc_id in in_journal:
                continue
            head, row = _head_if_newest(snap, layer, number, doc_id, pmid)
            if head is not None and (head is HELD or holds(head, key)):
                found.add(doc_id)
                snap._found[0] = (doc_id, number, len(segments), row)
    return found


def _head_if_newest(
    snap: Snapshot,
    layer: Segment | DocIndex,
    number: int,
    doc_id: int,
    pmid: int = 0,
) -> tuple[bytes | None, int]:
    """A document's head from layer ``number`` (``layer``; 0: the base) when that is the newest of
    the base and segments holding it, else None (``layer_of``'s answer, asking only what it must:
    the segments newer than ``number``, and the one row of ``layer`` the head is read from); and its
    row in ``layer`` (-1: the base, or no head). For a key ``pmid:N`` (``pmid``: N), the layer's PMID
    column (the base's index's; a segment's, ``pmid_at``) answers instead of the head when it knows the
    document's PMID: ``HELD`` (it holds the key) or None (another PMID: a hash collision), with no head
    read (``store.storage.pmids``)."""
    segments = snap.segments
    newest = snap._newest.of(segments, doc_id, snap.next_id) if segments else 0
    if newest is None:  # (the table not made: ask the newer segments, newest first)
        for i in range(len(segments) - 1, number - 1, -1):
            if segments[i].where(doc_id) is not None:
                snap._newest.probed(len(segments) - i)
                return None, -1
        snap._newest.probed(len(segments) - number)
    elif newest != number:
        return None, -1
    if number == 0:
        index = snap.index
        assert index is not None and isinstance(layer, DocIndex)
        if index.location(doc_id) is None:
            return None, -1
        if pmid and (kept := index.pmid(doc_id)):
            return (HELD if kept == pmid else None), -1
        try:  # its head, from the base (checks a hash collision away)
            return index.head(doc_id), -1
        except IndexMismatch:  # (read again through ``head``, which rebuilds the index)
            return snap.head(doc_id), -1
    assert not isinstance(layer, DocIndex)
    i = layer.row_of(doc_id)
    if i < 0:
        if newest is None:
            return None, -1  # (an older layer holds it, or none: not this one)
        raise damage(layer, "its doc_ids table is out of order")  # (its ids name it: ``layer_of``)
    if pmid and (kept := layer.pmid_at(i)):
        return (HELD if kept == pmid else None), i
    return layer.head_at(i), i


def holds(head: bytes, key: str) -> bool:
    """Whether the document whose head is ``head`` holds identity key ``key`` (a head of a key's
    candidate: its hash matches). A PMID's key is told from the head's first bytes when the head
    begins with that PMID, the one ``"pmid"`` in it (``head_of`` writes it first; JSON's last duplicate
    would count); anything else is decoded and its keys compared."""
    pmid = key[5:]
    if (
        key.startswith("pmid:")
        and pmid.isascii()
        and pmid.isdigit()  # (nothing JSON escapes: its bytes are its text)
        and head.startswith(b'%s%s"' % (PMID_HEAD, pmid.encode()))
        and head.find(b'"pmid"', 2) < 0
    ):
        return True
    return key in doc_keys(orjson.loads(head))
