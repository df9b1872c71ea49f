"""One consistent state of a library, and reading it: a base file with its index, the segments written
since, and the sealed commits of the journal.

The state is layered, newest last: the base (``library.json`` and ``library.json.idx``), then the
segments in the order they were committed (``store.storage.segment``: what bulk imports wrote), then
the journal's commits. A document is as the newest layer that has it says (or removed, if that layer
removed it); its links are the base's link record with every later layer's change applied in order
(``store.storage.links``); its link counts are the base's plus every later layer's change, so counting
reads no link record at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from store.docindex import DocIndex, IndexMismatch
from store.errors import LibraryFileError
from store.journal import Replay
from store.openfile import FileClosed, OpenFile
from store.storage import links as linkrec
from store.storage.decoding import decode as decode
from store.storage.decoding import decode_links as decode_links
from store.storage.holders import NOT_FOUND, Found, holders
from store.storage.keyfilter import KeyFilters
from store.storage.layer import Segment as Segment
from store.storage.meta import Meta, head_of, meta_of
from store.storage.newest import Newest
from store.storage.segmentids import damage

REMOVED = (-1, -1)


T = TypeVar("T")


def index_current(index: DocIndex, index_path: Path | None, base: os.stat_result) -> bool:
    """Whether ``index`` describes the base file as it is now (``base``: its stat): the size and time
    the index recorded, and the base not changed since the index file was put in place.

    A base edited in place, its size and time put back, is caught by the last: its change time
    (``st_ctime``, which no program can set) is then later than the index file's. Every base pmbrowse
    writes is renamed into place before its index is (``store.storage.generation``), and a rebuilt
    index is written after its base, so a base's change time is never later than its index's unless
    the base changed since (or was copied after it: then the index is rebuilt once)."""
    if index.base != (base.st_size, base.st_mtime_ns):
        return False
    if index_path is None:
        return True  # (kept in memory: made from the base as it is)
    try:
        return os.stat(index_path).st_ctime_ns >= base.st_ctime_ns
    except OSError:
        return False


# The descriptors a state reads, and the ``OpenFile`` each is read through.
_FILES = {"base_fd": "base_file", "journal_fd": "journal_file"}


@dataclass
class Snapshot:
    """One consistent state of the library (see the module docstring).

    ``base_fd`` and ``journal_fd`` are the descriptors (for those that read the files whole: opening,
    a fold, a check); the state's own reads go through ``base_file`` and ``journal_file``, made from
    them when they are set, and shared by the states made from this one (``dataclasses.replace``
    passes them on), so that closing one closes them for all, safely (``store.openfile``)."""

    path: Path
    # (before the descriptors: given with them, the same descriptor keeps the same ``OpenFile``)
    base_file: OpenFile | None = field(default=None, repr=False, compare=False)
    journal_file: OpenFile | None = field(default=None, repr=False, compare=False)
    base_fd: int | None = None
    base_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the base
    base_size: int = 0
    base_mtime: int = 0
    docs_start: int = 0
    generation: str | None = None
    index: DocIndex | None = None
    segments: list[Segment] = field(default_factory=list)
    journal_fd: int | None = None
    journal_id: tuple[int, int] | None = None
    journal: Replay | None = None
    counts: dict[str, int] | None = None
    next_id: int = 1
    # Damage found in the journal (``store.journal``): reads go on from the last good commit, writes
    # refuse until ``pmbrowse repair``. One line, naming the journal and the commit.
    damage: str = ""
    # Rebuilds the index from the base when what it says does not match what is read (set by
    # ``store.storage.opening``; None: a mismatch is an error).
    reindex: Callable[[str], DocIndex] | None = None
    # The last document whose link records were read, with them decoded and checked, and the state
    # they were read in (an open reads both relations of one article: its record is decoded once).
    _last_links: tuple[tuple[object, ...], list[dict[str, object]]] | None = field(
        default=None, repr=False, compare=False
    )
    # Which segment holds each document's newest version (``store.storage.newest``; a state made by
    # ``dataclasses.replace`` starts its own).
    _newest: Newest = field(default_factory=Newest, init=False, repr=False, compare=False)
    # Which segments may hold a key's hash (``store.storage.keyfilter``; a state made by
    # ``dataclasses.replace`` starts its own, with the filters of the segments it shares).
    _filters: KeyFilters = field(default_factory=KeyFilters, init=False, repr=False, compare=False)
    # The last document ``holders`` found in the base or a segment, and where (``store.storage.holders``):
    # an import asks its meta next, read from there (``meta``). A list of one, replaced whole.
    _found: list[Found] = field(default_factory=lambda: [NOT_FOUND], init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _FILES:  # (a descriptor given, or taken away: read through an ``OpenFile`` of it)
            attr = _FILES[name]
            file: OpenFile | None = getattr(self, attr)  # (not ``__dict__``: see ``journal_path``)
            if value is None:
                object.__setattr__(self, attr, None)
            elif file is None or file.fd != value:
                assert isinstance(value, int)
                where = self.path if name == "base_fd" else self.journal_path
                object.__setattr__(self, attr, OpenFile(value, where))

    def close(self) -> None:
        """Close the base and the journal: at once, or as the last read in flight ends (a worker
        thread may be reading either, and a closed descriptor's number is the next file's: see
        ``store.openfile``); a read begun later raises ``FileClosed``, in every state sharing them (the
        states a catch-up made from this one, a transaction's view).

        The index and the segments are left to the garbage collector (``DocIndex.__del__``,
        ``SegmentFile.__del__``): freed with the last state or reader holding them."""
        for file in (self.base_file, self.journal_file):
            if file is not None:
                file.close()
        self.base_fd = self.journal_fd = None

    @property
    def live_journal(self) -> bool:
        """Whether the journal extends this base (one of another generation is obsolete)."""
        journal = self.journal
        return journal is not None and journal.generation == self.generation and self.journal_fd is not None

    @property
    def journal_path(self) -> Path:
        # (Made when asked, for a message or a journal document's decode: a ``cached_property`` writes
        # the instance's ``__dict__``, which makes CPython give up its faster layout of the attributes,
        # and every attribute read of the state then took twice as long: ~55 -> ~105 ns for three.)
        return self.path.with_name(self.path.name + ".journal")

    # Documents -------------------------------------------------------------------------------------

    def journal_read(self, where: tuple[int, int]) -> bytes:
        file = self.journal_file
        if file is None:
            raise FileClosed(self.journal_path)
        raw = file.pread(where[1], where[0])
        if len(raw) != where[1]:
            raise LibraryFileError(f"{self.journal_path} is shorter than it was; it was left as it is")
        return raw

    def commit_named(self, where: tuple[int, int]) -> str:
        """ ", commit N" of the journal's commit holding ``where`` (for messages)."""
        return f", commit {self.journal.commit_at(where[0])}" if self.journal is not None else ""

    def _base_read(self, where: tuple[int, int], doc_id: int) -> bytes:
        """Record ``doc_id``'s JSON at ``where`` in the base, read with ``pread`` (a base cut short
        under a reader is a short read, never a SIGBUS) and checked against its line: the id before it
        and the end after it, so an index that does not match its base is found when it is read
        (``IndexMismatch``)."""
        file = self.base_file
        if file is None:
            raise FileClosed(self.path)
        prefix = b'"%d":' % doc_id
        start = where[0] - len(prefix)
        raw = file.pread(where[1] + len(prefix) + 1, start) if start >= 0 else b""
        if len(raw) != where[1] + len(prefix) + 1:
            if start >= 0 and file.size() < where[0] + where[1] + 1:
                raise LibraryFileError(f"{self.path} is shorter than its index says; it was left as it is")
            raise IndexMismatch(f"record {doc_id} is not where the index says")
        if not raw.startswith(prefix) or raw[-1:] not in (b",", b"\n") or raw[-2:-1] != b"}":
            raise IndexMismatch(f"record {doc_id} is not where the index says")
        return raw[len(prefix) : -1]

    def base_read(self, where: tuple[int, int], doc_id: int) -> bytes:
        """Record ``doc_id``'s JSON at ``where`` in the base, checked against its line (for a fold, which
        reads the base in order: an index that does not match is an error, not rebuilt)."""
        try:
            return self._base_read(where, doc_id)
        except IndexMismatch as exc:
            raise LibraryFileError(f"{self.path}: {exc}; the library was left as it is") from None

    def checked(self, read: Callable[[], T]) -> T:
        """``read()``, again after the index is rebuilt if what it says does not match the base."""
        try:
            return read()
        except IndexMismatch as exc:
            if self.reindex is None:
                raise LibraryFileError(f"{self.path}: {exc}; the library was left as it is") from None
            self.index = self.reindex(str(exc))
            return read()

    def layer_of(self, doc_id: int) -> tuple[int, tuple[int, int] | None]:
        """Which layer holds the newest version of a document: (len(segments) + 1 for the journal,
        1 + i for segment i, 0 for the base; where it is there), or (-1, None) for none. A removal is
        ``REMOVED``."""
        journal, segments = self.journal, self.segments
        if journal is not None and doc_id in journal.docs:
            where = journal.docs[doc_id]
            return len(segments) + 1, REMOVED if where is None else where
        if segments:
            # (None: not made, yet or for this state; ask each segment)
            number = self._newest.of(segments, doc_id, self.next_id)
            if number:
                where = segments[number - 1].where(doc_id)
                if where is None:  # (its ids name it, and its binary search over them misses it)
                    raise damage(segments[number - 1], "its doc_ids table is out of order")
                return number, where
            if number is None:
                for i in range(len(segments) - 1, -1, -1):
                    where = segments[i].where(doc_id)
                    if where is not None:
                        self._newest.probed(len(segments) - i)
                        return i + 1, where
                self._newest.probed(len(segments))
        location = self.index.location(doc_id) if self.index is not None else None
        return (0, location) if location is not None else (-1, None)

    def stored(self, doc_id: int) -> bytes | None:
        """A document's JSON, undecoded (None: there is none)."""
        return self.checked(lambda: self._stored(doc_id))

    def _stored(self, doc_id: int) -> bytes | None:
        layer, where = self.layer_of(doc_id)
        if where is None or where == REMOVED:
            return None
        if layer == 0:
            return self._base_read(where, doc_id)
        if layer > len(self.segments):
            return self.journal_read(where)
        return self.segments[layer - 1].read(where)

    def doc(self, doc_id: int) -> dict[str, object] | None:
        return self.checked(lambda: self._doc(doc_id))

    def _doc(self, doc_id: int) -> dict[str, object] | None:
        layer, where = self.layer_of(doc_id)
        if where is None or where == REMOVED:
            return None
        if layer == 0:
            return decode(self.path, self._base_read(where, doc_id), doc_id)
        if layer > len(self.segments):
            return decode(self.journal_path, self.journal_read(where), doc_id, self.commit_named(where))
        segment = self.segments[layer - 1]
        return decode(
            self.path.with_name(self.path.name + ".segments") / segment.name, segment.read(where), doc_id
        )

    def meta(self, doc_id: int) -> Meta | None:
        """A document's meta without decoding it (None: no such document)."""
        found = self._found[0]
        if found[0] == doc_id and found[2] == len(self.segments):  # (``holders`` just found it)
            journal = self.journal
            if journal is None or doc_id not in journal.docs:  # (then the layer it was found in counts)
                if found[1] == 0:
                    assert self.index is not None
                    return Meta(*self.index.meta(doc_id))
                return self.segments[found[1] - 1].meta_at(found[3])
        layer, where = self.layer_of(doc_id)
        if where is None or where == REMOVED:
            return None
        if layer == 0:
            assert self.index is not None
            return Meta(*self.index.meta(doc_id))
        if layer > len(self.segments):
            return meta_of(
                decode(self.journal_path, self.journal_read(where), doc_id, self.commit_named(where))
            )
        return self.segments[layer - 1].meta(doc_id)

    def head(self, doc_id: int) -> bytes | None:
        """A document's head (see ``store.storage.meta``), or None."""
        return self.checked(lambda: self._head(doc_id))

    def _head(self, doc_id: int) -> bytes | None:
        layer, where = self.layer_of(doc_id)
        if where is None or where == REMOVED:
            return None
        if layer == 0:
            assert self.index is not None
            return self.index.head(doc_id)
        if layer > len(self.segments):
            return head_of(
                decode(self.journal_path, self.journal_read(where), doc_id, self.commit_named(where))
            )
        return self.segments[layer - 1].head(doc_id)

    def ids(self) -> set[int]:
        """Every document id."""
        present = set(self.index.ids()) if self.index is not None else set()
        for segment in self.segments:
            for doc_id, removed in segment.ids():
                (present.discard if removed else present.add)(doc_id)
        if self.journal is not None:
            for doc_id, where in self.journal.docs.items():
                (present.add if where is not None else present.discard)(doc_id)
        return present

    # Identity keys ---------------------------------------------------------------------------------

    def holders(self, key: str) -> set[int]:
        """The documents holding identity key ``key`` (``store.storage.holders``)."""
        return holders(self, key)

    # Links -----------------------------------------------------------------------------------------

    def _changes(self, doc_id: int) -> list[dict[str, object]]:
        """A document's link record and changes, oldest first, decoded and checked (read again only
        when another document is asked for, or the state moved on: a commit taken in, a segment, an
        index rebuilt). Callers only read them."""
        journal = self.journal
        state = (doc_id, journal.end if journal is not None else -1, len(self.segments), self.index)
        last = self._last_links
        if last is not None and last[0] == state:
            return last[1]
        records = self.checked(lambda: list(self._each_change(doc_id)))
        self._last_links = (state, records)
        return records

    def _each_change(self, doc_id: int) -> Iterator[dict[str, object]]:
        if self.index is not None:
            location = self.index.link_location(doc_id)
            if location is not None:
                yield decode_links(self.path, self._base_read(location, doc_id), doc_id)
        for segment in self.segments:
            change = segment.link_change(doc_id)
            if change is not None:
                yield decode_links(
                    self.path.with_name(self.path.name + ".segments") / segment.name, change, doc_id
                )
        if self.journal is not None:
            for where in self.journal.links.get(doc_id, ()):
                yield decode_links(
                    self.journal_path, self.journal_read(where), doc_id, self.commit_named(where)
                )

    def link_state(self, doc_id: int) -> linkrec.LinkState:
        """A document's links with their sources."""
        state = linkrec.empty()
        for record in self._changes(doc_id):
            linkrec.apply(state, record)
        return state

    def link_ids(self, doc_id: int, rel: str) -> list[int]:
        """A document's links of one relation, in the order learnt."""
        ids: dict[int, None] = {}
        for record in self._changes(doc_id):
            linkrec.apply_ids(ids, record, rel)
        return list(ids)

    def totals(self, doc_ids: Iterable[int]) -> Iterator[tuple[int, int, int, int]]:
        """(doc id, references, citing articles, year or 0) of each of ``doc_ids`` the state holds: what
        ``meta`` and ``link_counts`` say of each, asked of each layer for all of them at once
        (``store.storage.segmentmany``)."""
        from store.storage.segmentmany import totals  # (asked by rankings only)

        return totals(doc_ids, self.journal, self.segments, self.index, self.meta)

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document, from the counts kept: no link record is read."""
        refs, cited = self.index.link_counts(doc_id) if self.index is not None else (0, 0)
        for segment in self.segments:
            r, c = segment.link_counts(doc_id)
            refs, cited = refs + r, cited + c
        if self.journal is not None:
            change = self.journal.link_counts.get(doc_id)
            if change is not None:
                refs, cited = refs + change[0], cited + change[1]
        return max(refs, 0), max(cited, 0)
