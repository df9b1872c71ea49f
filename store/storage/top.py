"""A segment's *top*: the first documents of "most cited first" over the whole state that segment
completes (the base and every segment up to it), so that the app's first list reads a few kilobytes
instead of every segment's run (``store.storage.tops`` makes and reads it; the order itself:
``store.storage.citations``).

A top holds up to ``K`` documents, each with what its key is made of as of that state: how many
articles cite it (the base's count and every segment's change, before ``max(.., 0)``), the citation
count its source reports and its year. Its *bound* says how far it is whole: every document the state
holds whose ``cited_key`` is at least the bound is in it (0: every document the state holds is).
``next_id`` is the state's next id: no document at or above it is held, nor linked.

It is kept in the segment's footer as one base64 string (its columns packed as the tables are, then
compressed; and their CRC-32), not as a table of its own: ``store.storage.mending`` works out where a
cut footer's tables are from their counts, and splits what comes before them into JSON pieces, and a
table it does not know, before or after them, would throw both off. Readers that do not know the key
ignore it.
"""

from __future__ import annotations

import base64
import binascii
import sys
import zlib
from array import array
from itertools import pairwise
from typing import Any

from store.storage.indexwriter import cited_key
from store.values import Value

# How many documents a top holds at most (what a first list reads, with room for the documents a
# journal's commits move).
# (1,024: in the bench's million-record library the first page's 60 full records are the first 292 of
# the order, and the first 500 the first 732; the top is some 10 KB of the segment's footer, packed.)
K = 1024
COLUMNS = (("ids", "I"), ("cited", "i"), ("citation", "I"), ("year", "H"))
LOW = (1 << 48) - 1  # (a key's year and id part)

Values = tuple[int, int, int]  # (citing count, the source's citation count, year) of one document


def key_of(doc_id: int, values: Values) -> int:
    """A document's ``cited_key`` from its values."""
    cited, citation, year = values
    return cited_key(citation, max(cited, 0), year, doc_id)


class Top(Value):
    """A segment's top (see the module docstring): its documents, largest key first. (A value class, not
    a frozen dataclass: the app's first page imports this module, ``store.values``.)"""

    __slots__ = ("ids", "cited", "citation", "year", "bound", "next_id")  # noqa: RUF023 (the fields' order)
    ids: array[int]
    cited: array[int]
    citation: array[int]
    year: array[int]
    bound: int
    next_id: int

    def __init__(
        self,
        ids: array[int],
        cited: array[int],
        citation: array[int],
        year: array[int],
        bound: int,
        next_id: int,
    ) -> None:
        self._set(ids, cited, citation, year, bound, next_id)

    @classmethod
    def of(cls, keyed: list[tuple[int, int, Values]], bound: int, next_id: int) -> Top:
        """A top of ``keyed`` ((key, doc id, values), largest key first); ``OverflowError``: a value
        does not fit its column."""
        (_i, ids), (_c, cited), (_n, citation), (_y, year) = COLUMNS
        return cls(
            array(ids, (d for _k, d, _v in keyed)),
            array(cited, (v[0] for _k, _d, v in keyed)),
            array(citation, (v[1] for _k, _d, v in keyed)),
            array(year, (v[2] for _k, _d, v in keyed)),
            bound,
            next_id,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def values(self) -> dict[int, Values]:
        """Doc id -> its values."""
        columns = zip(self.ids, self.cited, self.citation, self.year, strict=True)
        return {d: (c, n, y) for d, c, n, y in columns}

    def keyed(self) -> list[tuple[int, int]]:
        """(key, doc id) of each document, largest first."""
        return [(key_of(d, v), d) for d, v in self.values().items()]

    def footer(self) -> dict[str, Any]:
        """What the segment's footer keeps of it (the ``top`` key)."""
        packed = b"".join(_little(getattr(self, name)) for name, _code in COLUMNS)
        return {
            "n": len(self),
            "bound": [self.bound >> 48, self.bound & LOW],  # (a key may need more than 64 bits)
            "next_id": self.next_id,
            "crc": zlib.crc32(packed),
            "columns": base64.b64encode(zlib.compress(packed)).decode("ascii"),
        }

    @classmethod
    def read(cls, kept: object) -> Top:
        """The top a footer keeps; ``ValueError`` if it is damaged (its checksum, its shape, its
        documents out of order)."""
        if not isinstance(kept, dict):
            raise ValueError("not a top")
        n, (high, low), next_id, crc = int(kept["n"]), kept["bound"], int(kept["next_id"]), int(kept["crc"])
        try:
            packed = zlib.decompress(base64.b64decode(kept["columns"], validate=True))
        except (binascii.Error, TypeError, zlib.error) as exc:
            raise ValueError(str(exc)) from None
        if zlib.crc32(packed) != crc:
            raise ValueError("its checksum does not match")
        if n < 0 or not 0 <= int(low) <= LOW or int(high) < 0:  # (its shape: not its bytes' damage)
            raise ValueError(f"its count {n} or its bound {[high, low]} is out of range")
        columns = []
        at = 0
        for _name, code in COLUMNS:
            column = array(code)
            size = column.itemsize * n
            column.frombytes(packed[at : at + size])
            if len(column) != n:
                raise ValueError("cut off")
            if sys.byteorder != "little":
                column.byteswap()
            columns.append(column)
            at += size
        if at != len(packed):
            raise ValueError("longer than it says")
        ids, cited, citation, year = columns
        top = cls(ids, cited, citation, year, (int(high) << 48) | int(low), next_id)
        keyed = list(top.keyed())
        for (a, _before), (b, doc_id) in pairwise(keyed):
            if a <= b:
                raise ValueError(f"out of order at document {doc_id}")
        if keyed and keyed[-1][0] < top.bound:
            raise ValueError(f"out of order at document {keyed[-1][1]}, below its bound")
        if len(set(top.ids)) != n or any(d >= next_id or d == 0 for d in top.ids):
            raise ValueError("names a document past its next id")
        return top


def _little(column: array[int]) -> bytes:
    if sys.byteorder != "little":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()
