"""A segment's "most cited first" orders (``store.storage.segmentformat``: the run and the top), read
and checked: the part of ``store.storage.segment.SegmentFile`` that only "most cited first" asks."""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path

from store.errors import LibraryFileError
from store.storage.segmentdamage import top_damage
from store.storage.segmentformat import RUN_COLUMNS, little
from store.storage.top import Top


class SegmentError(Exception):
    """A segment file is missing, cut off or damaged."""


class Orders:
    """The run and the top of a segment (``SegmentFile`` sets the attributes from its footer)."""

    path: Path
    _run_crc: int | None  # (None: the segment has no run)
    _run_checked: bool | None  # (``load_run``'s answer, once found: the file is immutable)
    _top_kept: object  # (None: the segment has no top)
    _top: Top | bool | None  # (``top``'s answer, once found; False: none, or damaged)

    def column(self, name: str) -> array[int]:
        raise NotImplementedError

    @property
    def has_run(self) -> bool:
        """Whether the segment keeps its run (see the module docstring)."""
        return self._run_crc is not None

    def load_run(self) -> None:
        """Read the run's columns and check them against their CRC-32; ``SegmentError`` if they do not
        match (or the segment has none)."""
        if self._run_crc is None:
            raise SegmentError(f"{self.path} has no most-cited order")
        if self._run_checked is None:  # (once, not at each state: 14 MB of runs at a million records)
            crc = 0
            for name, _code in RUN_COLUMNS:
                crc = zlib.crc32(little(self.column("rank_" + name)), crc)
            self._run_checked = crc == self._run_crc
        if not self._run_checked:
            raise SegmentError(f"{self.path} is damaged (its most-cited order does not match its checksum)")

    def run(self) -> Iterator[tuple[int, int]]:
        """The run: (``cited_key``, doc id) of each document, largest key first (``load_run`` first).
        Keys that do not fall are damage its checksum cannot see (a writer's fault), found as it is
        read: said in one line (``LibraryFileError``), as a record that does not decode is."""
        ids, counts, years = (self.column("rank_" + name) for name, _code in RUN_COLUMNS)
        last = None
        for doc_id, count, year in zip(ids, counts, years, strict=True):
            key = (count << 48) | (year << 32) | (0xFFFFFFFF - doc_id)
            if last is not None and key >= last:
                raise LibraryFileError(
                    f"{self.path} is damaged (its most-cited order is out of order at document {doc_id}); "
                    "`pmbrowse repair` mends it"
                )
            last = key
            yield key, doc_id

    @property
    def has_top(self) -> bool:
        """Whether the segment keeps a top (``store.storage.top``)."""
        return self._top_kept is not None

    def top(self) -> Top | None:
        """The segment's top, checked (``store.storage.top``); None: it has none, or it is damaged
        (then "most cited first" merges the runs, as for a segment written before tops; why it does not
        read is kept for ``pmbrowse check``: ``top_damage``)."""
        if self._top is None:
            try:
                self._top = Top.read(self._top_kept) if self._top_kept is not None else False
            except (ValueError, KeyError, TypeError) as exc:
                self._top, self._top_damage = False, top_damage(exc)
        return self._top if isinstance(self._top, Top) else None

    @property
    def top_damage(self) -> str:
        """Why the top the segment keeps does not read ('' when it reads, or it keeps none)."""
        self.top()
        return getattr(self, "_top_damage", "")
