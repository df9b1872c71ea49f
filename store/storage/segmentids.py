"""The document ids a segment's tables name, checked before anything is sized by them.

"Most cited first", ``cited>=N``, an import's run, a merge and a fold keep columns by document id (a few
bytes a document: ``store.storage.runs``, ``store.storage.citations``), sized by the largest id the
segments' id columns (sorted) end with. A segment written before stop 26 has no checksum of its
tables, so a flipped high bit there asked for gigabytes (MemoryError, or the machine's memory) and an
id in the middle of a column past the columns' end raised IndexError. Every id of the library is below
its next id (kept in the journal's checksummed seals), so an id that is not is damage: said in one line
naming the segment (``LibraryFileError``), as a record that does not decode is. So is an id column out
of order in a segment without checksums, where a fold or a merge reads one: they walk the link changes
in id order, and one out of place dropped the changes after it without a word.

Readers check the last id of each column (what the columns are sized by: nothing more to read); an id
past it in the middle of a column is found where it is stored (``outside``). ``check``, ``repair``, a
fold and a merge check every id (``check_all``).
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Protocol

from store.errors import LibraryFileError

ID_COLUMNS = ("doc_ids", "link_ids")


class Segment(Protocol):
    """What is read of a segment here (``store.storage.snapshot.Segment`` has it: not imported, since
    the snapshot's look-ups say a segment is damaged with ``damage``)."""

    path: Path

    def column(self, name: str) -> array[int]: ...


REPAIR = "`pmbrowse repair` mends it"


class TableDamage(LibraryFileError):
    """A segment's tables are damaged: ``what`` says how."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path} is damaged ({what}); {REPAIR}")
        self.what = what


def damage(segment: Segment, what: str) -> TableDamage:
    """The one line that says a segment's tables are damaged, and how."""
    return TableDamage(segment.path, what)


def top_id(segments: Iterable[Segment], limit: int, names: Iterable[str] = ID_COLUMNS) -> int:
    """The largest id the segments' id columns ``names`` end with (0: none), each below ``limit`` (the
    library's next id; ``LibraryFileError`` if not)."""
    top = 0
    names = tuple(names)
    for segment in segments:
        for name in names:
            column = segment.column(name)
            if len(column):
                last = column[-1]
                if last >= limit:
                    raise damage(segment, _past(name, last, limit))
                top = max(top, last)
    return top


def outside(segment: Segment) -> TableDamage:
    """What an IndexError on a column sized by ``top_id`` means: an id in the middle of one of the
    segment's columns is past the last."""
    return damage(segment, "an id in the middle of its tables is past their last: they are out of order")


def check_all(segment: Segment, limit: int, *, ordered: bool | None = None, keys: bool = True) -> int:
    """Every id of the segment's tables below ``limit`` (``LibraryFileError`` if not), and with
    ``ordered`` its id columns in order, each id once: 20 ms a million ids, the order 150 ms
    (``keys``: the key table's ids too). Returns the largest id.

    ``ordered`` None: when the segment's tables have no checksums (older segments: the checksums
    find a flipped bit first). A fold and a merge walk the link changes in id order (``linkwalk.Walk``):
    one id out of order there dropped every change after it, without a word."""
    if ordered is None:
        ordered = not getattr(segment, "checksummed", False)  # (a ``SegmentFile``'s)
    top = 0
    for name in (*ID_COLUMNS, "key_ids") if keys else ID_COLUMNS:
        column = segment.column(name)
        if len(column):
            top = max(top, largest := max(column))
            if largest >= limit:
                raise damage(segment, _past(name, largest, limit))
    for name in ID_COLUMNS if ordered else ():
        column = segment.column(name)
        if not all(map(operator.lt, column, islice(column, 1, None))):
            raise damage(segment, f"its {name} table is out of order")
    return top


def _past(name: str, doc_id: int, limit: int) -> str:
    return f"its {name} table names document {doc_id}, and the library's ids end at {limit - 1}"
