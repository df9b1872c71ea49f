"""Rows of integers kept flat in one ``array``, not in dicts of tuples: a segment being written holds one
row per document and per link change, and a merge of several files' segments writes millions of them
(8 bytes a value here: 64 a document, 40 a link change; some 300 as a dict of tuples with their ints
and meta)."""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import zip_longest


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
    """Identity key pairs (``(key hash << 32) | doc id``: 96 bits) in two columns, 12 bytes a pair (a
    list of them as Python integers costs some 48: a fold of a library of a million records holds
    millions, as does a base read whole, ``store.storage.basescan``, and a segment's tables made anew,
    ``store.storage.mending``), sorted when asked without ever holding them all as integers: ``sort``."""

    def __init__(self) -> None:
        self.hashes, self.ids = array("Q"), array("I")

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[int]:
        """The pairs, as integers, in the order they are held."""
        return map(_join, self.hashes, self.ids)

    def append(self, pair: int) -> None:
        self.hashes.append(pair >> 32)
        self.ids.append(pair & 0xFFFFFFFF)

    def __eq__(self, other: object) -> bool:
        """The same pairs in the same order (a scan made in two processes and in one)."""
        if not isinstance(other, Pairs):
            return NotImplemented
        return self.ids == other.ids and self.hashes == other.hashes

    __hash__ = None  # type: ignore[assignment]

    def extend(self, pairs: Iterable[int]) -> None:
        """Add the pairs (another ``Pairs``: its columns, never as integers)."""
        hashes, ids = self.hashes, self.ids
        if isinstance(pairs, Pairs):
            hashes.extend(pairs.hashes)
            ids.extend(pairs.ids)
            return
        for pair in pairs:
            hashes.append(pair >> 32)
            ids.append(pair & 0xFFFFFFFF)

    def sort(self) -> None:
        """Sort them by pair: each stretch of ``SORT_CHUNK`` sorted in place (as integers: a few
        megabytes), then the ascending runs this leaves merged into new columns (12 bytes a pair more
        while it runs). A fold adds the base's pairs and each segment's, each in order: a few runs,
        each the length of its layer."""
        hashes, ids = self.hashes, self.ids
        runs: list[list[int]] = []
        last = -1
        for start in range(0, len(ids), SORT_CHUNK):
            end = min(start + SORT_CHUNK, len(ids))
            chunk = list(_joined(hashes, ids, start, end))
            ordered = sorted(chunk)
            if ordered != chunk:
                hashes[start:end] = array("Q", [p >> 32 for p in ordered])
                ids[start:end] = array("I", [p & 0xFFFFFFFF for p in ordered])
            if runs and last <= ordered[0]:
                runs[-1][1] = end
            else:
                runs.append([start, end])
            last = ordered[-1]
            del chunk, ordered
        if len(runs) < 2:
            return
        out_hashes, out_ids = array("Q"), array("I")
        put_hash, put_id = out_hashes.append, out_ids.append
        for pair in heapq.merge(*(_joined(hashes, ids, a, b) for a, b in runs)):
            put_hash(pair >> 32)
            put_id(pair & 0xFFFFFFFF)
        self.hashes, self.ids = out_hashes, out_ids

    def in_order(self) -> tuple[array[int], array[int]]:
        """The hashes and ids, sorted by pair (``sort``)."""
        self.sort()
        return self.hashes, self.ids


def same_pairs(these: Iterable[int], those: Iterable[int]) -> bool:
    """Whether two streams of pairs are the same, in the same order, read side by side (an index's and a
    scan's, neither made a list)."""
    end = object()
    return all(a == b for a, b in zip_longest(these, those, fillvalue=end))


# (pairs sorted at once as Python integers: some 48 bytes each, 3 MB)
SORT_CHUNK = 1 << 16


def _joined(hashes: array[int], ids: array[int], start: int, end: int) -> Iterator[int]:
    """The pairs ``start:end`` as integers (read in place, not copied)."""
    return map(_join, memoryview(hashes)[start:end], memoryview(ids)[start:end])


def _join(h: int, doc_id: int) -> int:
    return (h << 32) | doc_id
