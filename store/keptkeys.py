"""The library's answers to identity-key look-ups kept across a bulk unit of work's batches
(``store.answers``: ``Answers.keys``), held compactly, with a dict's semantics: the newest kept, any
forgotten at once.

Kept as a ``dict[str, int | None]`` an answer cost some 120 bytes (the key's string, 62 bytes for a
PMID key, the document id's int and the dict's slot): up to ``store.changes.KEPT`` (1 << 20) of them,
~120 MB of an import's memory. Nearly all are PMID keys (a reference list names its references by
PMID), so those are held as ``store.heldkeys`` holds the keys an import gave: one 64-bit word,
``pmid << 32 | (doc_id + 1)`` (0 in the low half: held by no one), in an open-addressed table
(linear probing, at most 5/8 full), beside it the word's insertion number (32 bits), and the PMIDs in
the order they came (``_order``, 32 bits each): some 25-45 bytes an answer. Exact: a PMID is the key's
whole text (``pmid_of``), never a hash of it. Any other key (DOI, PMCID, a PMID written otherwise, a
document id too large for the word) is kept in a dict, as before.

Which are kept: as a dict trimmed of its oldest entries (``trim``), the newest ``most`` of each kind
(PMID keys and the others, each: the others are few). A PMID key's place in the order is when it was
put; one forgotten (``pop``) and put again comes anew, as in a dict. Entries are removed by shifting
those after them back (no tombstones), so a long import's table does not fill with the dead.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterator
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")
UNKNOWN = -1  # (``get`` of a key not kept: no document has this id, and None is an answer)
# A PMID's word, here and in ``store.heldkeys``: ``pmid << 32 | (doc_id + 1)``, the low half ``LOW``'s.
LOW = (1 << 32) - 1
MIX = 0x9E3779B97F4A7C15  # (Fibonacci hashing: a PMID's slot from the middle bits of its product)
FIRST = 1 << 4  # slots of an empty table


def trim(cache: dict[K, V], most: int) -> None:
    """Drop the oldest entries of ``cache`` down to ``most``."""
    if len(cache) > most:
        for key in list(itertools.islice(cache, len(cache) - most)):
            del cache[key]


def pmid_of(key: str) -> int:
    """The PMID of a ``pmid:`` key as ``store.ids.normalise_pmid`` writes it (ASCII digits, no leading
    zero, at most nine), or 0 (any other key)."""
    if key.startswith("pmid:"):
        digits = key[5:]
        if 0 < len(digits) < 10 and digits.isdigit() and digits.isascii() and digits[0] != "0":
            return int(digits)
    return 0


def grown(old: array[int], old_seqs: array[int] | None = None) -> tuple[array[int], array[int] | None]:
    """A table of PMID words (``pmid << 32 | ...``, 0: an empty slot) twice the size of ``old``, each
    word placed anew by its PMID's slot (linear probing); and, given ``old_seqs`` (a number beside each
    word: ``KeptKeys``'s insertion numbers), those numbers moved with their words. Here and in
    ``store.heldkeys``."""
    words = array("Q", bytes(16 * len(old)))
    seqs = None if old_seqs is None else array("I", bytes(8 * len(old)))
    mask = len(words) - 1
    for word, seq in zip(old, array("I", bytes(4 * len(old))) if old_seqs is None else old_seqs, strict=True):
        if word:
            slot = (((word >> 32) * MIX) >> 32) & mask
            while words[slot]:
                slot = (slot + 1) & mask
            words[slot] = word
            if seqs is not None:
                seqs[slot] = seq
    return words, seqs


class KeptKeys:
    """Identity key -> the lowest document holding it (None: none), as the library answered; see the
    module docstring."""

    __slots__ = ("_count", "_head", "_order", "_seqs", "_words", "others")

    def __init__(self) -> None:
        self.others: dict[str, int | None] = {}  # the keys not held as words
        self.clear()

    def clear(self) -> None:
        self.others.clear()
        self._words = array("Q", bytes(8 * FIRST))  # pmid << 32 | (doc_id + 1); 0: an empty slot
        self._seqs = array("I", bytes(4 * FIRST))  # each word's insertion number (modulo 2**32)
        self._count = 0
        self._order = array("I")  # the PMIDs as they were put, each its insertion number's place
        self._head = 0  # (``_order``'s entries before it are trimmed)

    def __len__(self) -> int:
        return self._count + len(self.others)

    def __sizeof__(self) -> int:  # (the table's, not the others' dict: a dict's own size is known)
        arrays = (self._words, self._seqs, self._order)
        return object.__sizeof__(self) + sum(a.buffer_info()[1] * a.itemsize for a in arrays)

    def items(self) -> Iterator[tuple[str, int | None]]:
        """Every key kept and its answer: the PMID keys in the order they were put, then the others (for
        tests and checks: a walk over the whole table)."""
        order, seqs, words = self._order, self._seqs, self._words
        for at in range(self._head, len(order)):
            slot = self._slot(order[at])
            if slot >= 0 and seqs[slot] == at & LOW:
                found = words[slot] & LOW
                yield f"pmid:{order[at]}", found - 1 if found else None
        yield from self.others.items()

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.items())

    def _slot(self, pmid: int) -> int:
        """The slot holding ``pmid``'s word, or -1."""
        words = self._words
        mask = len(words) - 1
        slot = ((pmid * MIX) >> 32) & mask
        while word := words[slot]:
            if word >> 32 == pmid:
                return slot
            slot = (slot + 1) & mask
        return -1

    def get(self, key: str) -> int | None:
        """The answer kept for ``key``, or ``UNKNOWN``."""
        pmid = pmid_of(key)
        if pmid:
            slot = self._slot(pmid)
            if slot >= 0:
                found = self._words[slot] & LOW
                return found - 1 if found else None
        return self.others.get(key, UNKNOWN)

    def holder(self, key: str, ask: Callable[[str], int | None], *, keep_none: bool = True) -> int | None:
        """The answer kept for ``key``, or asked now (``ask``) and kept: ``get`` and ``put`` in one, the
        key read and the table probed once (this runs for each key an import asks the library).
        ``keep_none`` False: an answer asked now that is None (held by no one) is not kept. An import
        (``Changes._asked``) asks so: nearly every key no document holds is then taken by the record or
        stub its batch makes, and ``Answers.forget`` drops each key the batch took (the import answers
        its own keys first), so keeping it cost a probe to put it and one to take it out, for nothing
        (its batch holds the answer meanwhile: ``Changes._seen``). One not taken is asked again by a
        later batch that asks it. 20k records with reference lists into a new library, the parent's
        work replayed (put_document, flush, indexing ahead; 3 rounds in turn, load 7-8): 4.19 -> 3.91 s."""
        pmid = 0
        if key.startswith("pmid:"):  # (``pmid_of``, written out)
            digits = key[5:]
            if 0 < len(digits) < 10 and digits.isdigit() and digits.isascii() and digits[0] != "0":
                pmid = int(digits)
        others = self.others
        if not pmid:
            found = others.get(key, UNKNOWN)
            if found == UNKNOWN:
                found = ask(key)
                if found is not None or keep_none:
                    others[key] = found
            return found
        words = self._words
        mask = len(words) - 1
        slot = ((pmid * MIX) >> 32) & mask
        while word := words[slot]:
            if word >> 32 == pmid:
                found = word & LOW
                return found - 1 if found else None
            slot = (slot + 1) & mask
        found = others.get(key, UNKNOWN)
        if found != UNKNOWN:
            return found
        found = ask(key)
        if found is None and not keep_none:
            return None
        if found is not None and found + 1 >= LOW:
            others[key] = found
            return found
        words[slot] = pmid << 32 | (0 if found is None else found + 1)  # (the empty slot the probe ended at)
        self._seqs[slot] = len(self._order) & LOW
        self._order.append(pmid)
        self._count += 1
        if self._count * 8 > len(words) * 5:
            self._grow()
        return found

    def put(self, key: str, doc_id: int | None) -> None:
        """Keep ``key``'s answer: the newest, unless it was kept already (its place stays, as in a dict)."""
        pmid = pmid_of(key)
        if not pmid or (doc_id is not None and doc_id + 1 >= LOW):
            if pmid:
                self._remove(pmid)
            self.others[key] = doc_id
            return
        self.others.pop(key, None)
        word = pmid << 32 | (0 if doc_id is None else doc_id + 1)
        words = self._words
        mask = len(words) - 1
        slot = ((pmid * MIX) >> 32) & mask
        while held := words[slot]:
            if held >> 32 == pmid:
                words[slot] = word
                return
            slot = (slot + 1) & mask
        words[slot] = word
        self._seqs[slot] = len(self._order) & LOW
        self._order.append(pmid)
        self._count += 1
        if self._count * 8 > len(words) * 5:
            self._grow()

    def pop(self, key: str) -> None:
        """Forget ``key``'s answer, if kept."""
        pmid = pmid_of(key)
        if pmid:
            self._remove(pmid)
        self.others.pop(key, None)

    def trim(self, most: int) -> None:
        """Forget the oldest answers down to ``most`` PMID keys and ``most`` others."""
        trim(self.others, most)
        order, seqs = self._order, self._seqs
        head = self._head
        while self._count > most:
            slot = self._slot(order[head])
            if slot >= 0 and seqs[slot] == head & LOW:  # (else forgotten, or put since)
                self._delete(slot)
            head += 1
        self._head = head
        if head * 2 > len(order) or len(order) > 2 * self._count + FIRST:
            self._renumber()

    def _remove(self, pmid: int) -> None:
        slot = self._slot(pmid)
        if slot >= 0:
            self._delete(slot)

    def _delete(self, slot: int) -> None:
        """Empty ``slot``, moving back the words after it that would no longer be found."""
        words, seqs = self._words, self._seqs
        mask = len(words) - 1
        hole = slot
        while True:
            slot = (slot + 1) & mask
            word = words[slot]
            if not word:
                break
            home = (((word >> 32) * MIX) >> 32) & mask
            # (it stays if its home is cyclically after the hole, up to where it is)
            if (hole < home <= slot) if hole <= slot else (hole < home or home <= slot):
                continue
            words[hole], seqs[hole] = word, seqs[slot]
            hole = slot
        words[hole] = seqs[hole] = 0
        self._count -= 1

    def _renumber(self) -> None:
        """Drop ``_order``'s trimmed and dead entries (forgotten, or put again later), numbering the
        live ones anew from 0 in the same order."""
        order, seqs = self._order, self._seqs
        kept = array("I")
        for at in range(self._head, len(order)):
            slot = self._slot(order[at])
            if slot >= 0 and seqs[slot] == at & LOW:
                seqs[slot] = len(kept)
                kept.append(order[at])
        self._order, self._head = kept, 0

    def _grow(self) -> None:
        self._words, seqs = grown(self._words, self._seqs)
        assert seqs is not None
        self._seqs = seqs
