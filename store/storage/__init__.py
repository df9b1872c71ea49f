"""The storage behind a library: documents and links read on demand, commits appended to a journal.

A library is a few files (``library.json`` and those beside it):

- ``library.json``, the *base*: plain JSON that TinyDB (or any JSON reader) reads, one record per line
  (``store.fileformat``), as of the last compaction: the ``articles`` table (the documents) and the
  ``links`` table (each document's links, see ``store.storage.links``). Its header names its
  *generation*;
- ``library.json.idx``, the document index of that base (``store.docindex``): where each document and
  link record is, which documents hold each identifier, each document's link counts, flags, year and
  head, the counts. Mapped into memory, never parsed whole; derived (rebuilt from the base if lost);
- ``library.json.journal``, the commits since (``store.journal``).

Why this design (measured, see the README's speed section): a one-document read is one ``pread`` and
one decode whatever the library's size; a commit appends what changed and fsyncs once (time and bytes
in proportion to the change); opening maps the index and reads the journal, which compaction keeps
short. Links are kept apart from the documents, both ends of each, so adding a record appends its
links and a line for each record it cites, and never rewrites an older document (in schema 2 the
links were inside the documents, and one imported file rewrote most of the library's documents).

Crash safety:

- a commit is one ``write`` + ``fsync`` of lines sealed by a CRC (``store.journal``): a crash leaves it
  sealed or torn, and a torn tail is invisible to readers and cut off by the next writer;
- compaction writes a new base and index under a new generation (``store.storage.generation``): the
  base's rename is the commit point, a journal of another generation is obsolete and ignored, an index
  of another generation is rebuilt. So a crash at any instant leaves the old state or the new one;
- damage is not a crash: a commit whose CRC fails or whose seal does not add up, with a complete seal
  line after it, or a journal whose header is unreadable, is read past (the library as of the last
  good commit, with a one-line warning) and never cut off, and writes are refused until ``pmbrowse
  repair`` (``store.storage.repair``); an index that does not check, or whose base changed since it
  was made (size, time, change time, or a record not where it says), is rebuilt from the base, which
  refuses a base that does not parse. The base is read with ``pread``, never mapped (a base cut short
  under a reader is an error, not a SIGBUS).

Concurrency: writers take the write lock (``store.lock``) and first catch up with what other processes
committed; threads of one process take turns. Readers take no lock (``store.storage.reader``): a
thread reads the state it took, which is never changed once other threads can see it (new commits are
taken into a new state), and closing the files lets the reads in flight end first (``store.openfile``).

The parts: ``reader`` (opening, staying current, reads), ``committer`` (transactions), ``compactor``
(what a command's end folds: ``fold``, a new base from the layers, or ``tiering``, the newest segments
merged), ``conversion`` (older layouts, the index rebuilt), ``generation`` (writing a new base), ``snapshot``
(one state, layered), ``links`` and ``meta`` (what is kept of each document), ``table`` (TinyDB's view),
``basescan`` (a base read whole; ``halves``: in two processes), ``verify`` and ``repair`` (``pmbrowse
check`` and ``repair``).
Only ``store.library`` uses them; the rest of pmbrowse goes through the ``Library``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import fileformat
from store.docindex import open_regular
from store.docindex import read_header as read_index_header
from store.journal import Replay, read_header, read_tail, replay
from store.schema import SCHEMA_VERSION
from store.storage.files import LibraryFiles
from store.storage.reader import Reader

if TYPE_CHECKING:
    from store.storage.committer import Committer
    from store.storage.compactor import Compactor
    from store.storage.table import TableStorage

__all__ = ["Storage", "committed_state", "compact_threshold", "open_storage"]


class Storage:
    """The parts of one library's storage. The writing parts (``committer``, ``compactor``, ``table``)
    are made, and their modules imported, when first asked for: a reader that never writes (the
    search index's counts, opened in the app's first-page thread while Textual is imported:
    ``tui.firstpage``) does without them (~3 ms of imports, of a few tens to the first content)."""

    def __init__(self, files: LibraryFiles, reader: Reader) -> None:
        self.files = files
        self.reader = reader
        self._made = threading.Lock()  # (two threads asking at once get the same parts)
        self._committer: Committer | None = None
        self._compactor: Compactor | None = None
        self._table: TableStorage | None = None

    @property
    def committer(self) -> Committer:
        if self._committer is None:
            from store.storage.committer import Committer

            with self._made:
                if self._committer is None:
                    self._committer = Committer(self.files, self.reader)
        return self._committer

    @property
    def compactor(self) -> Compactor:
        if self._compactor is None:
            from store.storage.compactor import Compactor

            committer = self.committer
            with self._made:
                if self._compactor is None:
                    self._compactor = Compactor(self.files, self.reader, committer)
        return self._compactor

    @property
    def table(self) -> TableStorage:
        if self._table is None:
            from store.storage.table import TableStorage

            committer = self.committer
            with self._made:
                if self._table is None:
                    self._table = TableStorage(self.reader, committer)
        return self._table

    def close(self) -> None:
        self.reader.close()


def compact_threshold(base_size: int) -> int:
    """(``store.storage.compactor.compact_threshold``, imported when asked for.)"""
    from store.storage.compactor import compact_threshold as threshold

    return threshold(base_size)


def open_storage(
    path: str | os.PathLike[str], lock_timeout: float | None = None, *, check_later: bool = False
) -> Storage:
    """``check_later``: the state opened now has its document index's columns checked in a thread
    (``DocIndex.verify``: the caller must call it before it shows anything read from them); states
    opened later are checked as they open."""
    files = LibraryFiles(path, lock_timeout)
    files.check_index_later = check_later
    try:
        reader = Reader(files)
    finally:
        files.check_index_later = False
    return Storage(files, reader)


def committed_state(path: str | os.PathLike[str], *, checksum: bool = True) -> tuple[str | None, int] | None:
    """The committed state of the library at ``path`` (as ``Reader.state`` gives it), read from the
    headers of the base and its index, and the journal; None if there is no library in this version's
    layout, or its index is not the base's as it is now (opening the library rebuilds it).

    ``checksum=False``: (the generation, the journal's sealed length), from the base and the journal
    alone, whatever the index (what changes with every commit: ``Library.commit_token``)."""
    real = Path(os.path.realpath(path))
    try:
        fd = open_regular(real)
    except OSError:
        return None
    try:
        base = os.fstat(fd)
        header, _start = fileformat.read_base_header(os.pread(fd, 65536, 0))
    except OSError:
        return None
    finally:
        os.close(fd)
    if (
        header is None
        or not isinstance(header.get("generation"), str)
        or header.get("schema") != SCHEMA_VERSION
    ):
        return None  # (a library of another version is converted when it is opened)
    generation: str = header["generation"]
    index = _current_index(real, generation, base)
    if index is None and checksum:
        return None
    state = f"{generation}.{index['base_crc']:08x}" if checksum and index is not None else generation
    try:
        fd = open_regular(real.with_name(real.name + ".journal"))
    except FileNotFoundError:
        return (state, 0)
    except OSError:
        return None
    try:
        raw = read_tail(fd, 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    journal_generation, start = read_header(raw)
    if journal_generation != generation:
        return (state, 0)
    journal = Replay(generation=generation, end=start, start=index)
    replay(raw[start:], journal, start)
    return (state, journal.end)


def _current_index(real: Path, generation: str, base: os.stat_result) -> dict[str, Any] | None:
    """The header of the base's index, if it describes the base as it is now (``index_current``)."""
    index_path = real.with_name(real.name + ".idx")
    index = read_index_header(index_path)
    try:
        index_ctime = os.stat(index_path).st_ctime_ns
    except OSError:
        return None
    if (
        index is None
        or index.get("generation") != generation
        or index.get("base") != [base.st_size, base.st_mtime_ns]
        or index_ctime < base.st_ctime_ns  # (see ``snapshot.index_current``)
        or not isinstance(index.get("base_crc"), int)
    ):
        return None
    return index
