"""Documents' meta as the library answered them, kept across a bulk unit of work's batches
(``store.answers``: ``Answers.meta``), held compactly, with a trimmed dict's semantics: the newest kept,
any forgotten at once.

Kept as a ``dict[int, Meta | None]`` (stop 38) a document's meta cost some 77 bytes (the dict's slot and
the document id's int; the metas themselves shared, one object for each distinct meta): up to
``store.changes.KEPT`` (1 << 20) of them, ~77 MB of an import into a 900k library. A library holds few
distinct metas (flags by year: 108 in the bench's 100k library), so each is given a small number, its
*code*, and a document's is kept in an array indexed by its id (document ids are dense, from 0):

- ``_codes``: a 16-bit code for each document id (0: not kept; ``NONE``: kept, no such document; from
  ``FIRST_SHARED`` on: a shared meta, ``_metas[code]``; ``UNSHARED``: a meta not shared, in ``_others``,
  once ``SHARED`` distinct metas have codes);
- ``_seqs``: beside each, its insertion number (32 bits), and ``_order``: the ids in the order they were
  put (32 bits each), to forget the oldest (``trim``) as a dict trimmed of its oldest would: one
  forgotten (``pop``) and put again comes anew.

Both arrays are in pages of ``PAGE`` ids, made when an id of the page is first kept (a library's ids are
dense; a test's may be sparse). Some 6 bytes a document of the library, asked or not, and 4-8 an answer
in ``_order``: ~17 MB for a library of 2M documents (records and stubs) whatever is kept, against ~77 MB
full as a dict. A document id past 32 bits (none a library makes) is not kept: asked each time.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

M = TypeVar("M")  # (a document's meta: ``store.storage.meta.Meta``, which this module does not read)
NONE = 1  # code: kept, no such document
FIRST_SHARED = 2  # the first shared meta's code
UNSHARED = 0xFFFF  # code: a meta kept in ``_others``
# The most distinct metas given codes: a library holds few (flags by year: 108 in the bench's 100k
# library, citation counts mostly 0); others are kept in a dict, one entry a document.
SHARED = 1 << 14
PAGE_BITS = 16
PAGE = 1 << PAGE_BITS  # (a page: 384 KB, 6 bytes an id)
LIMIT = 1 << 32  # (ids from here on are not kept)
LOW = LIMIT - 1
FIRST = 16  # (``trim`` renumbers ``_order`` once it is past twice the number kept and this)


class KeptMeta(Generic[M]):
    """Document id -> its meta (None: no such document), as the library answered; see the module
    docstring."""

    __slots__ = ("_codes", "_count", "_head", "_metas", "_order", "_others", "_seqs", "_shared")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every answer, and the codes given to metas."""
        self._codes: dict[int, array[int]] = {}  # page number -> each id's code ('H')
        self._seqs: dict[int, array[int]] = {}  # page number -> each id's insertion number ('I')
        self._order = array("I")  # the ids as they were put, each its insertion number's place
        self._head = 0  # (``_order``'s entries before it are trimmed)
        self._count = 0
        self._shared: dict[M, int] = {}  # each meta given a code -> its code
        self._metas: list[M | None] = [None, None]  # code -> meta (codes 0 and ``NONE``: None)
        self._others: dict[int, M] = {}  # id -> a meta kept but not given a code (``UNSHARED``)

    def __len__(self) -> int:
        return self._count

    def __sizeof__(self) -> int:  # (the arrays', not the dicts': ``_shared`` holds few, ``_others`` none)
        arrays = [self._order, *self._codes.values(), *self._seqs.values()]
        return object.__sizeof__(self) + sum(a.buffer_info()[1] * a.itemsize for a in arrays)

    def get(self, doc_id: int) -> M | None:
        """The meta kept for ``doc_id``; None: not kept, or kept as no such document (``meta_of``
        tells which: an import asks this first, for each link to a stored document)."""
        page = self._codes.get(doc_id >> PAGE_BITS)
        if page is None:
            return None
        code = page[doc_id & (PAGE - 1)]
        return self._metas[code] if code < UNSHARED else self._others[doc_id]

    def meta_of(self, doc_id: int, ask: Callable[[int], M | None]) -> M | None:
        """``doc_id``'s meta (None: no such document), as kept, or asked now (``ask``) and kept."""
        page = self._codes.get(doc_id >> PAGE_BITS)
        if page is not None:
            code = page[doc_id & (PAGE - 1)]
            if code:
                return self._metas[code] if code < UNSHARED else self._others[doc_id]
        found = ask(doc_id)
        if 0 <= doc_id < LIMIT:
            found = self._put(doc_id, found)
        return found

    def _put(self, doc_id: int, found: M | None) -> M | None:
        """Keep ``found`` for ``doc_id`` (not kept), the newest; returns the meta kept (a shared one)."""
        if found is None:
            code = NONE
        else:
            code = self._shared.get(found, 0)
            if code:
                found = self._metas[code]
            elif len(self._shared) < SHARED:
                code = len(self._metas)
                self._shared[found] = code
                self._metas.append(found)
            else:
                code = UNSHARED
                self._others[doc_id] = found
        number = doc_id >> PAGE_BITS
        codes = self._codes.get(number)
        if codes is None:
            codes = self._codes[number] = array("H", bytes(2 * PAGE))
            self._seqs[number] = array("I", bytes(4 * PAGE))
        at = doc_id & (PAGE - 1)
        codes[at] = code
        self._seqs[number][at] = len(self._order) & LOW
        self._order.append(doc_id)
        self._count += 1
        return found

    def pop(self, doc_id: int) -> None:
        """Forget ``doc_id``'s meta, if kept."""
        codes = self._codes.get(doc_id >> PAGE_BITS)
        if codes is not None:
            at = doc_id & (PAGE - 1)
            if codes[at]:
                if codes[at] == UNSHARED:
                    del self._others[doc_id]
                codes[at] = 0
                self._count -= 1

    def _live(self, at: int) -> bool:
        """Whether ``_order[at]`` is its id's kept entry (not forgotten, nor put again since)."""
        doc_id = self._order[at]
        number, place = doc_id >> PAGE_BITS, doc_id & (PAGE - 1)
        return bool(self._codes[number][place]) and self._seqs[number][place] == at & LOW

    def ids(self) -> Iterator[int]:
        """The ids kept, in the order they were put."""
        order = self._order
        return (order[at] for at in range(self._head, len(order)) if self._live(at))

    def items(self) -> Iterator[tuple[int, M | None]]:
        """Every id kept and its meta, in the order they were put (for tests and checks)."""
        for doc_id in self.ids():
            yield doc_id, self.get(doc_id)

    def __iter__(self) -> Iterator[int]:
        return self.ids()

    def trim(self, most: int) -> None:
        """Forget the oldest down to ``most``."""
        head = self._head
        while self._count > most:
            if self._live(head):
                self.pop(self._order[head])
            head += 1
        self._head = head
        order = self._order
        if head * 2 > len(order) or len(order) > 2 * self._count + FIRST:
            kept = array("I")
            for at in range(head, len(order)):
                if self._live(at):
                    doc_id = order[at]
                    self._seqs[doc_id >> PAGE_BITS][doc_id & (PAGE - 1)] = len(kept)
                    kept.append(doc_id)
            self._order, self._head = kept, 0
