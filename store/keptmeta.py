"""Documents' meta as the library answered them, kept across a bulk unit of work's batches
(``store.answers``: ``Answers.meta``), held compactly, with a trimmed dict's semantics: the newest kept,
any forgotten at once.

Kept as a ``dict[int, Meta | None]`` (stop 38) a document's meta cost some 77 bytes (the dict's slot and
the document id's int; the metas themselves shared, one object for each distinct meta): up to
``store.changes.KEPT`` (1 << 20) of them, ~77 MB of an import into a 900k library. A library holds few
distinct metas (flags by year: 108 in the bench's 100k library), so each is given a small number, its
*code*, and a document's is kept in an array indexed by its id (document ids are dense, from 0):

- ``codes``: a 16-bit code for each document id (0: not kept; ``NONE``: kept, no such document; from
  ``FIRST_SHARED`` on: a shared meta, ``metas[code]``; ``UNSHARED``: a meta not shared, in ``_others``,
  once ``SHARED`` distinct metas have codes);
- ``_seqs``: beside each, its insertion number (32 bits), and ``_order``: the ids in the order they were
  put (32 bits each), to forget the oldest (``trim``) as a dict trimmed of its oldest would: one
  forgotten (``pop``) and put again comes anew.

Both arrays are flat, from id 0 to the highest id kept (grown ``PAGE`` ids at a time): some 6 bytes a
document of the library, asked or not, and 4-8 an answer in ``_order``: ~17 MB for a library of 2M
documents (records and stubs) whatever is kept, against ~77 MB full as a dict. A document id from
``FLAT`` on (none a library of under 32M documents makes) is not kept: asked each time.

Flat, not in pages of ids (stop 49: a dict of pages), so that an import's hot path (``Changes._link``,
once a link to a stored document) finds a kept meta with two C-level subscripts, ``metas[codes[id]]``,
as fast as the dict's ``get`` was, with no Python call: an IndexError (an id past ``codes``, or the code
``UNSHARED`` past ``metas``) or None (not kept, or no such document) sends it to ``meta_of``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

M = TypeVar("M")  # (a document's meta: ``store.storage.meta.Meta``, which this module does not read)
NONE = 1  # code: kept, no such document
FIRST_SHARED = 2  # the first shared meta's code
UNSHARED = 0xFFFF  # code: a meta kept in ``_others`` (past ``metas``: ``SHARED`` is below it)
# The most distinct metas given codes: a library holds few (flags by year: 108 in the bench's 100k
# library, citation counts mostly 0); others are kept in a dict, one entry a document.
SHARED = 1 << 14
PAGE = 1 << 16  # (the arrays grow by this many ids: 384 KB, 6 bytes an id)
FLAT = 1 << 25  # (ids from here on are not kept: the arrays would weigh 192 MB)
LOW = (1 << 32) - 1
FIRST = 16  # (``trim`` renumbers ``_order`` once it is past twice the number kept and this)


class KeptMeta(Generic[M]):
    """Document id -> its meta (None: no such document), as the library answered; see the module
    docstring. ``codes`` and ``metas`` are read as they are by an import's hot path: changed in place,
    never replaced."""

    __slots__ = ("_count", "_head", "_order", "_others", "_seqs", "_shared", "codes", "metas")

    def __init__(self) -> None:
        self.codes = array("H")  # each id's code
        self._seqs = array("I")  # each id's insertion number
        self.metas: list[M | None] = [None, None]  # code -> meta (codes 0 and ``NONE``: None)
        self.clear()

    def clear(self) -> None:
        """Forget every answer, and the codes given to metas (the arrays let go of, not replaced)."""
        del self.codes[:], self._seqs[:], self.metas[FIRST_SHARED:]
        self._order = array("I")  # the ids as they were put, each its insertion number's place
        self._head = 0  # (``_order``'s entries before it are trimmed)
        self._count = 0
        self._shared: dict[M, int] = {}  # each meta given a code -> its code
        self._others: dict[int, M] = {}  # id -> a meta kept but not given a code (``UNSHARED``)

    def __len__(self) -> int:
        return self._count

    def __sizeof__(self) -> int:  # (the arrays', not the dicts': ``_shared`` holds few, ``_others`` none)
        arrays = [self._order, self.codes, self._seqs]
        return object.__sizeof__(self) + sum(a.buffer_info()[1] * a.itemsize for a in arrays)

    def get(self, doc_id: int) -> M | None:
        """The meta kept for ``doc_id``; None: not kept, or kept as no such document (``meta_of``
        tells which)."""
        if not 0 <= doc_id < len(self.codes):
            return None
        code = self.codes[doc_id]
        return self.metas[code] if code < UNSHARED else self._others[doc_id]

    def meta_of(self, doc_id: int, ask: Callable[[int], M | None]) -> M | None:
        """``doc_id``'s meta (None: no such document), as kept, or asked now (``ask``) and kept."""
        if 0 <= doc_id < len(self.codes):
            code = self.codes[doc_id]
            if code:
                return self.metas[code] if code < UNSHARED else self._others[doc_id]
        found = ask(doc_id)
        if 0 <= doc_id < FLAT:
            found = self._put(doc_id, found)
        return found

    def _put(self, doc_id: int, found: M | None) -> M | None:
        """Keep ``found`` for ``doc_id`` (not kept), the newest; returns the meta kept (a shared one)."""
        if found is None:
            code = NONE
        else:
            code = self._shared.get(found, 0)
            if code:
                found = self.metas[code]
            elif len(self._shared) < SHARED:
                code = len(self.metas)
                self._shared[found] = code
                self.metas.append(found)
            else:
                code = UNSHARED
                self._others[doc_id] = found
        codes = self.codes
        if doc_id >= len(codes):  # (grown in place: the hot path holds ``codes``)
            more = min((doc_id | (PAGE - 1)) + 1, FLAT) - len(codes)
            codes.frombytes(bytes(2 * more))
            self._seqs.frombytes(bytes(4 * more))
        codes[doc_id] = code
        self._seqs[doc_id] = len(self._order) & LOW
        self._order.append(doc_id)
        self._count += 1
        return found

    def pop(self, doc_id: int) -> None:
        """Forget ``doc_id``'s meta, if kept."""
        codes = self.codes
        if 0 <= doc_id < len(codes) and codes[doc_id]:
            if codes[doc_id] == UNSHARED:
                del self._others[doc_id]
            codes[doc_id] = 0
            self._count -= 1

    def ids(self) -> Iterator[int]:
        """The ids kept, in the order they were put (an entry of ``_order`` is its id's kept one when
        the id is kept and its insertion number is the entry's place: not forgotten, nor put again)."""
        codes, seqs, head = self.codes, self._seqs, self._head
        return (d for at, d in enumerate(self._order[head:], head) if codes[d] and seqs[d] == at & LOW)

    def items(self) -> Iterator[tuple[int, M | None]]:
        """Every id kept and its meta, in the order they were put (for tests and checks)."""
        for doc_id in self.ids():
            yield doc_id, self.get(doc_id)

    def __iter__(self) -> Iterator[int]:
        return self.ids()

    def trim(self, most: int) -> None:
        """Forget the oldest down to ``most``."""
        codes, seqs, order = self.codes, self._seqs, self._order
        head, count = self._head, self._count
        while count > most:
            doc_id = order[head]
            if codes[doc_id] and seqs[doc_id] == head & LOW:  # (its kept entry: as in ``ids``)
                if codes[doc_id] == UNSHARED:
                    del self._others[doc_id]
                codes[doc_id] = 0
                count -= 1
            head += 1
        self._head, self._count = head, count
        if head * 2 > len(order) or len(order) > 2 * count + FIRST:
            kept = array("I", self.ids())
            for at, doc_id in enumerate(kept):
                seqs[doc_id] = at
            self._order, self._head = kept, 0
