"""Rows of integers kept flat in one ``array``, not in dicts of tuples: a segment being written holds one
row per document and per link change, and a merge of several files' segments writes millions of them
(8 bytes a value here: 64 a document, 40 a link change; some 300 as a dict of tuples with their ints
and meta)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence


class Table:
    """Rows (the first value of each its id, each id added once), as added; ``columns`` in id order."""

    def __init__(self, columns: Sequence[tuple[str, str]]) -> None:
        self.names = columns
        self.flat = array("q")

    def add(self, *row: int) -> None:
        self.flat.extend(row)

    def columns(self) -> dict[str, array[int]]:
        """Each column (name: values in the column's type code), the rows in id order."""
        width = len(self.names)
        ids = self.flat[0::width]
        order = None if ascending(ids) else sorted(range(len(ids)), key=ids.__getitem__)
        out = {}
        for k, (name, code) in enumerate(self.names):
            column = self.flat[k::width]
            out[name] = array(code, column if order is None else map(column.__getitem__, order))
        return out


def ascending(values: Iterable[object]) -> bool:
    """Whether each value is at least the one before."""
    it = iter(values)
    previous = next(it, None)
    for value in it:
        if value < previous:  # type: ignore[operator]
            return False
        previous = value
    return True


class Pairs:
    """Identity key pairs (``(key hash << 32) | doc id``: 96 bits) in two columns, sorted when asked."""

    def __init__(self) -> None:
        self.hashes, self.ids = array("Q"), array("I")

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, pairs: Iterable[int]) -> None:
        hashes, ids = self.hashes, self.ids
        for pair in pairs:
            hashes.append(pair >> 32)
            ids.append(pair & 0xFFFFFFFF)

    def in_order(self) -> tuple[array[int], array[int]]:
        """The hashes and ids, sorted by pair (a merge adds them in order: then nothing else is held)."""
        hashes, ids = self.hashes, self.ids
        if ascending(zip(hashes, ids, strict=True)):
            return hashes, ids
        order = sorted(range(len(ids)), key=lambda i: (hashes[i] << 32) | ids[i])
        return array("Q", map(hashes.__getitem__, order)), array("I", map(ids.__getitem__, order))
