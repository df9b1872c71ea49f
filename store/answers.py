"""What the library answered a bulk unit of work (``store.changes``): the documents holding each
identity key looked up, and documents' meta, kept from one batch to the next but for what a batch's
writes make untrue. An answer of None (no document holds the key) is not kept by an import
(``Changes._asked``): the batch that asked nearly always makes the record or stub that takes the key.

A bulk import hands its work over in batches (``Changes.flush``), and the next batch looks most of the
same keys up again (the records a reference list names are cited by many); asking the library again
costs a look-up in each of its layers (``store.storage.snapshot``). So the answers are kept, at most a
given number of each kind, the newest (memory bounded by that number, not by the library), and after each
batch those its writes may have made untrue are forgotten (``forget``).

How many (``store.changes.KEPT``): 1 << 20 since stop 37 (1 << 17 before). File 2 of the bench's series
(616,897 keys) asks the library 923,421 → 616,927 times (stop 36). Full, they cost ~350 MB (keys 129 MB,
meta 223 MB), mostly not given back to the system when let go (file 8: 959 → 885 MB): let go at the
last batch (``clear``) they add little to the index's merge. The ten-file series, peak by file (1 << 17
at stop 36 → 1 << 20, load 4-12): 627 → 586, 680 → 706, 738 → 749, 802 → 812, 784 → 849, 792 → 910,
819 → 915, 1,225 → 1,257 MB (files 5-10: 65-174 MB more, under the 1.5 GB target); file 2 into the
100k library, 3 rounds interleaved (load 3.8-6.6): CPU 189.8-209.7 → 154.4-202.3 s, peak 672-699 →
641-686 MB. Memory traded for CPU: a later file asks the library a third fewer times.

How they are held (stop 38): a PMID key's answer one 64-bit word in a table (``store.keptkeys``), other
keys in a dict as before; each distinct meta kept once (``shared``: a library has few, 108 in the bench's
100k library), the dict pointing at it, not a tuple of three ints for each document. Full at 1 << 20
(tracemalloc; 90% PMID keys, 10% DOIs, bench-like meta made as the index makes them): keys 118.0 → 42.2
MB, meta 196.9 → 77.2 MB (120 → 43 and 197 → 77 bytes an entry), ~315 → ~119 MB. File 2 into the 100k
library (``pmbrowse import``, 3 rounds interleaved, load 3.5-10.6): the same 616,927 look-ups, 326,299
metas asked and 1,232,225 ``holder`` calls; when the answers are let go (170,171 keys, 326,299 meta)
RSS 596-603 → 551-567 MB; the peak 628-690 → 590-623 MB; CPU 161.3-185.4 → 172.4-190.5 s (medians
174.0, 175.4: within the noise). A kept PMID answer costs ~1.3 µs to find against ~0.3 in a dict.
``KEPT`` bounds each kind apart (PMID keys, other keys, meta): at worst, references that all name DOIs,
1 << 20 of those (~130 MB, as a dict of them was) beside as many PMID keys (~42 MB) and the meta (~77
MB), ~250 MB, under stop 37's ~350 MB for the same bound.

The meta held by document id (stop 49, ``store.keptmeta``): a 16-bit code a document naming its shared
meta, in arrays indexed by the id, beside each its insertion number for ``trim``. The dict grew with the
library an import went into (near ``KEPT`` at 900k records, ~77 MB); the arrays are some 6 bytes a
document of the library and 4-8 an answer kept: 1 << 17 answers, 77 → under 24 bytes each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Generic, TypeVar

import orjson

from store.keptkeys import KeptKeys
from store.keptmeta import KeptMeta
from store.merge import Doc, doc_keys

M = TypeVar("M")  # (a document's meta: ``store.storage.meta.Meta``, which this module does not read)


class Answers(Generic[M]):
    """The library's answers kept across a unit of work's batches (see the module docstring)."""

    def __init__(self) -> None:
        self.keys = KeptKeys()  # key -> the lowest id holding it (None: none)
        # doc id -> its meta (None: no such document), each distinct meta kept once (``store.keptmeta``)
        self.meta: KeptMeta[M] = KeptMeta()
        self.gone_keys: set[str] = set()  # the keys of documents removed (merged away) in this batch

    def clear(self) -> None:
        """Forget everything: the unit of work handed its last batch over (``Changes.commit``, which lets
        go of the keys it held then too). Before the library's commit and the search index's, whose merge
        of segments is an import's peak of memory (the 8th of the bench's ten 100k files: 1,225 MB at
        stop 36): what is kept here (up to ``KEPT`` of each kind) would otherwise add to it."""
        self.keys.clear()
        self.meta.clear()
        self.gone_keys = set()

    def meta_of(self, doc_id: int, ask: Callable[[int], M | None]) -> M | None:
        """A document's meta (None: no such document), as kept, or asked now (``ask``) and kept."""
        return self.meta.meta_of(doc_id, ask)

    def forget(
        self,
        changed: Mapping[int, Doc],
        removed: Iterable[int],
        before: Mapping[int, bytes],
        held: AbstractSet[int] | Mapping[int, object],
        most: int,
        taken: Iterable[str] = (),
    ) -> None:
        """After a batch is written: forget what its writes may have made untrue, keep the rest, at most
        ``most`` of each kind, the newest. ``changed``: the documents it wrote; ``removed``: those it
        removed; ``before``: how each document of the library it held was, as JSON; ``held``: every
        document it held (changed or not); ``taken``: the keys it gave or took, which the unit of work
        holds from now on and answers before these (``store.heldkeys``): kept here as well, they would be
        dead weight (what an import keeps of them, answers naming a document, is taken out here).

        A key's answer (the lowest id holding it) changes only when the documents holding it change: a
        document of the library that gained or lost it (its keys before and after the batch), one
        removed (its keys as stored and as last held), or one this batch made. The last need nothing
        forgotten: a key a new document took that no document held is in the unit of work's own keys,
        which answer first; one held already keeps its answer, every older document's id being lower.
        A document's meta changes only with the document: those the batch held, changed or not, and
        removed.

        An import into a new library keeps no key's answer (its records and stubs answer its look-ups,
        ``store.heldkeys``, and the library's None is not kept: ``KeptKeys.holder``), so nothing is read
        for them then; and the meta are forgotten from whichever side is fewer, the meta kept or the
        documents the batch held (an import's: ~80,000 a batch; ``held`` is a set or a mapping, asked
        ``in`` for each meta kept when those are fewer). The first 40k records of the
        bench's 1M file, two batches: 0.23 and 0.18 s here before, under 0.01 each after."""
        removed = tuple(removed)
        keys, meta = self.keys, self.meta
        if len(keys):  # (none kept, none to forget: see below)
            stale = self.gone_keys
            for doc_id, doc in changed.items():
                if doc_id in before:  # (a document of the library, not one this batch made)
                    stale.update(doc_keys(doc))
            for doc_id in (*changed, *removed):
                if doc_id in before:
                    stale.update(doc_keys(orjson.loads(before[doc_id])))
            for key in stale:
                keys.pop(key)
            for key in taken:
                keys.pop(key)
        if len(meta) < len(held):  # (the fewer looked up: an import holds ~80,000 documents a batch)
            for doc_id in [doc_id for doc_id in meta.ids() if doc_id in held]:
                meta.pop(doc_id)
        else:
            for doc_id in held:
                meta.pop(doc_id)
        for doc_id in removed:
            meta.pop(doc_id)
        self.gone_keys = set()
        keys.trim(most)
        meta.trim(most)
