"""A segment as a state reads it (``store.storage.snapshot``; the file: ``store.storage.segment``)."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from store.storage.meta import Meta

if TYPE_CHECKING:
    from store.storage.top import Top


class Segment(Protocol):
    """A segment as the snapshot reads it (``store.storage.segment.SegmentFile``)."""

    name: str
    path: Path

    def where(self, doc_id: int) -> tuple[int, int] | None: ...  # None: not in it; REMOVED: removed

    def read(self, where: tuple[int, int]) -> bytes: ...

    def meta(self, doc_id: int) -> Meta: ...

    def head(self, doc_id: int) -> bytes: ...

    def link_change(self, doc_id: int) -> bytes | None: ...

    def link_counts(self, doc_id: int) -> tuple[int, int]: ...

    def candidates_of(self, h: int) -> list[int]: ...

    def column(self, name: str) -> array[int]: ...  # one of its tables' columns, whole

    def rows(self, name: str) -> int: ...  # how many rows column ``name`` has (nothing read)

    def row_of(self, doc_id: int) -> int: ...  # the documents' row of ``doc_id`` (-1: none)

    def meta_at(self, i: int) -> Meta: ...  # row i's meta

    def head_at(self, i: int) -> bytes: ...  # row i's head

    def pmid_at(self, i: int) -> int: ...  # row i's PMID (0: not known; its head says)

    def column_read(self, name: str) -> array[int] | None: ...  # ``column`` if read already, else None

    def row(self, i: int) -> tuple[bytes, Meta, bytes]: ...  # row i's document, meta and head

    def link_row(self, i: int) -> tuple[bytes, int, int]: ...  # row i's link change and counts

    def ids(self) -> Iterator[tuple[int, bool]]: ...  # (doc id, removed)

    def counted(self) -> Iterator[int]: ...  # the documents whose link counts it changes

    def touches(self, doc_id: int) -> bool: ...  # whether it writes the document or changes its links

    @property
    def has_run(self) -> bool: ...  # whether it keeps its "most cited first" run

    def load_run(self) -> None: ...  # reads and checks the run (``SegmentError``: damaged)

    def run(self) -> Iterator[tuple[int, int]]: ...  # (cited key, doc id), largest first

    def top(self) -> Top | None: ...  # its top (``store.storage.top``), checked; None: none or damaged

    @property
    def size(self) -> int: ...

    def close(self) -> None: ...
