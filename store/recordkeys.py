"""Each record's identity keys, in a file's order, packed (``store.importer.FileReport.keys``)."""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


class RecordKeys(Sequence[tuple[str, ...]]):
    """Each record's identity keys, in the file's order, packed: a ``marshal`` string of each record's
    tuple, one after another, and where each ends. A report keeps them for its whole file (``import
    --source`` records them as its database search's entries), so they are what an import holds that
    grows with its file: some 60 bytes a record packed, against some 200 as a list of tuples of
    strings (at a million records, 200 MB of the import's peak memory)."""

    __slots__ = ("_data", "_ends")

    def __init__(self, records: Iterable[Sequence[str]] = ()) -> None:
        self._data = bytearray()
        self._ends = array("Q")
        for keys in records:
            self.append(keys)

    def append(self, keys: Sequence[str]) -> None:
        self._data += marshal.dumps(tuple(keys))
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> tuple[str, ...]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, ...]]: ...
    def __getitem__(self, i: int | slice) -> tuple[str, ...] | list[tuple[str, ...]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = self._ends[i - 1] if i else 0
        return marshal.loads(memoryview(self._data)[start : self._ends[i]])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        data, start = memoryview(self._data), 0
        for end in self._ends:
            yield marshal.loads(data[start:end])
            start = end

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordKeys):
            return self._data == other._data and self._ends == other._ends
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return list(self) == [tuple(k) for k in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordKeys({list(self)!r})"
