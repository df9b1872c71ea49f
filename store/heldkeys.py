"""The identity keys a bulk unit of work gave or took in its earlier batches, held compactly
(``store.changes``: ``Changes.flush`` moves each batch's keys here).

An import keeps every identity key it gave or took until its commit: later batches look up the records
and stubs earlier ones made (in one file of a million records nearly every reference names one), and
those look-ups must be answered here, in memory, not by the library's layers (letting a batch's keys go
as it was written cost the one-file 1M import 1,120 s against 766 s: 9a63954, reverted). Held in a
``dict[str, int | None]`` they cost some 125 bytes a PMID key and 140 a DOI key (the string, the id,
the dict's slot): ~330 bytes a record, ~300 MB of that import's peak. So, decided here:

- A PMID key (``pmid:`` and the PMID as ``store.ids.normalise_pmid`` gives it: ASCII digits, no leading
  zero, at most nine) is one 64-bit word, ``pmid << 32 | (doc_id + 1)`` (0 in the low half: held by no
  one), in an open-addressed table (linear probing, at most 5/8 full): some 13-26 bytes a key.
- Any other key (DOI, PMCID, ``cite:``, a PMID key written otherwise; a PMID key whose document id is
  2**32 - 2 or more, its word then saying so) is kept exactly: its UTF-8 bytes packed one after another;
  where each ends, its ``hash`` and its answer in arrays; found through an open-addressed table of entry
  numbers: some 30 bytes and the key's length. A look-up compares the stored bytes, so two keys never
  share an answer.
- Entries are never removed: a later batch's answer for a key replaces the earlier one (None included:
  "held by no one", after a merge took the key's document away), which is the dict's semantics.

The answers ``get`` gave lately are kept as a dict too (``recalled``, at most ``recall`` of them, kept
across batches but for the keys a batch gave or took: ``update``): a one-file import's references name
the same records and stubs batch after batch, and a look-up in a dict is what it was before. Half as
many (65,536; ``RECALL`` was then ``store.changes.KEPT``, 1 << 17) was measured at stop 34 (the first
30,000 records of the 100k bench file in six batches, ``LINKS_AT`` 150,000, interleaved, 3 rounds, load
8-11): 30.4-31.7 s of CPU against 29.9-30.5 s, the same peak (266-270 MB): kept as it is (the dict is
some 12 MB at its most).

A look-up costs about what a look-up in a large dict did (the table is denser in memory than a dict of
strings, which makes up for probing it in Python); sorted arrays searched with ``bisect`` were slower.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from store.keptkeys import FIRST, LOW, MIX, grown, pmid_of, trim

# The most answers ``get`` gave kept as a dict (``recalled``) in an import (``store.changes``): a dict is
# quicker to ask than the table, not by much (the module docstring). Not ``store.changes.KEPT`` since
# that grew to 1 << 20 (stop 37): the dict would then hold up to ~130 MB to save little.
RECALL = 1 << 17
UNKNOWN = -1  # (``get`` of a key not held: no document has this id, and None is an answer)


class HeldKeys:
    """Identity key -> the document holding it (None: held by no one), for keys given or taken in a
    unit of work's earlier batches (see the module docstring)."""

    __slots__ = (
        "_data",
        "_ends",
        "_hashes",
        "_pmid_count",
        "_pmids",
        "_slots",
        "_values",
        "recall",
        "recalled",
    )

    def __init__(self, recall: int = 0) -> None:
        self.recall = recall
        self.recalled: dict[str, int | None] = {}  # what ``get`` answered lately (see the module docstring)
        self._pmids = array("Q", bytes(8 * FIRST))  # pmid << 32 | (doc_id + 1); 0: an empty slot
        self._pmid_count = 0
        self._data = bytearray()  # the other keys, UTF-8, one after another
        self._ends = array("Q")  # where each ends in ``_data``
        self._hashes = array("q")  # each one's ``hash``
        self._values = array("q")  # each one's document id (-1: held by no one)
        self._slots = array("I", bytes(array("I").itemsize * FIRST))  # entry number + 1; 0: empty

    def __len__(self) -> int:
        return self._pmid_count + len(self._ends)

    def __sizeof__(self) -> int:  # (not ``recalled``'s: at most ``recall`` answers, whatever the size)
        arrays = (self._pmids, self._ends, self._hashes, self._values, self._slots)
        return (
            object.__sizeof__(self) + sum(a.buffer_info()[1] * a.itemsize for a in arrays) + len(self._data)
        )

    def get(self, key: str) -> int | None:
        """The document holding ``key`` (None: held by no one), or ``UNKNOWN`` if not held here."""
        found = self.recalled.get(key, UNKNOWN)
        if found == UNKNOWN:
            found = self._find(key)
            if found != UNKNOWN and len(self.recalled) < self.recall:
                self.recalled[key] = found
        return found

    def _find(self, key: str) -> int | None:
        if key.startswith("pmid:"):  # (``pmid_of``, written out: this runs for each reference a batch asks)
            digits = key[5:]
            pmid = int(digits) if 0 < len(digits) < 10 and digits.isdigit() and digits.isascii() else 0
        else:
            pmid = 0
        if pmid and digits[0] != "0":
            table = self._pmids
            mask = len(table) - 1
            slot = ((pmid * MIX) >> 32) & mask
            while True:
                word = table[slot]
                if word >> 32 == pmid:
                    found = word & LOW
                    if found == LOW:  # (a document id too large for the word: kept with the others)
                        break
                    return found - 1 if found else None
                if not word:
                    return UNKNOWN
                slot = (slot + 1) & mask
        entry = self._entry(key, hash(key))
        if entry < 0:
            return UNKNOWN
        value = self._values[entry]
        return None if value < 0 else value

    def update(self, answers: Mapping[str, int | None]) -> None:
        """Hold these keys' answers, replacing any held for the same keys."""
        recalled = self.recalled
        for key, doc_id in answers.items():
            recalled.pop(key, None)
            pmid = pmid_of(key)
            if pmid and (doc_id is None or doc_id + 1 < LOW):
                self._put_pmid(pmid << 32 | (0 if doc_id is None else doc_id + 1))
            else:
                self._put_other(key, -1 if doc_id is None else doc_id)
                if pmid:  # (its word says so, replacing any answer held there before)
                    self._put_pmid(pmid << 32 | LOW)
        trim(recalled, self.recall // 2)  # (the newest half: room for the next batch's)

    # PMID keys -------------------------------------------------------------------------------

    def _put_pmid(self, word: int) -> None:
        table = self._pmids
        mask = len(table) - 1
        pmid = word >> 32
        slot = ((pmid * MIX) >> 32) & mask
        while True:
            held = table[slot]
            if not held:
                table[slot] = word
                self._pmid_count += 1
                if self._pmid_count * 8 > len(table) * 5:
                    self._grow_pmids()
                return
            if held >> 32 == pmid:
                table[slot] = word
                return
            slot = (slot + 1) & mask

    def _grow_pmids(self) -> None:
        self._pmids = grown(self._pmids)[0]

    # Other keys ------------------------------------------------------------------------------

    def _entry(self, key: str, hashed: int) -> int:
        """The entry number of ``key``, or -1."""
        slots, hashes = self._slots, self._hashes
        mask = len(slots) - 1
        slot = hashed & mask
        encoded: bytes | None = None
        while True:
            number = slots[slot]
            if not number:
                return -1
            entry = number - 1
            if hashes[entry] == hashed:
                if encoded is None:
                    encoded = key.encode("utf-8", "surrogatepass")
                start = self._ends[entry - 1] if entry else 0
                if self._data[start : self._ends[entry]] == encoded:
                    return entry
            slot = (slot + 1) & mask

    def _put_other(self, key: str, value: int) -> None:
        hashed = hash(key)
        entry = self._entry(key, hashed)
        if entry >= 0:
            self._values[entry] = value
            return
        self._data += key.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))
        self._hashes.append(hashed)
        self._values.append(value)
        count = len(self._ends)
        if count * 8 > len(self._slots) * 5:
            self._place_others(2 * len(self._slots))
        else:
            self._place(count - 1, hashed)

    def _place(self, entry: int, hashed: int) -> None:
        slots = self._slots
        mask = len(slots) - 1
        slot = hashed & mask
        while slots[slot]:
            slot = (slot + 1) & mask
        slots[slot] = entry + 1

    def _place_others(self, size: int) -> None:
        self._slots = array("I", bytes(self._slots.itemsize * size))
        for entry, hashed in enumerate(self._hashes):
            self._place(entry, hashed)
