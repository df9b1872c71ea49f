"""Importing files into a library: find the files, recognise each format, parse, merge, report.

Each file is all-or-nothing: a file that breaks its format half-way changes nothing (see
``import_paths``). All files of one import share one transaction, committed once, atomically, at the
end; a large import hands its records over in batches as it goes (``Changes.flush``), each written out
of memory as a segment the commit then lists (``store.storage.spilling``), so an import holds one batch
whatever the size of the file or of the library. Large files are parsed in a child process while this
one merges. A failure of the library's own while it takes a file's records (a batch it cannot write: a
full disk) is no file's fault: the import fails whole, nothing committed (``NotStored``).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import marshal
import multiprocessing
import os
import signal
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

from store.changes import Changes
from store.errors import ParseError
from store.formats import detect, format_names
from store.inputs import (
    SNIFF_BYTES,
    STDIN,
    Prepended,
    display_name,
    expand_paths,
    open_input,
    read_exactly,
    streams_saved,
)
from store.interrupts import default_in_child
from store.library import Library
from store.lock import let_go_of_inherited_files
from store.merge import LINK_RELATIONS, doc_keys
from store.model import Article, Origin
from store.pipemessages import Messages
from store.recordkeys import RecordKeys
from store.unitofwork import Status
from store.wholefile import paused_gc

__all__ = [
    "SNIFF_BYTES",
    "STDIN",
    "FileReport",
    "NotStored",
    "RecordKeys",
    "display_name",
    "expand_paths",
    "import_file",
    "import_paths",
    "open_input",
    "parse_file",
]

# Called as progress(bytes_done, bytes_total, records_done) while files are read.
Progress = Callable[[int, int, int], None]


@dataclass
class FileReport:
    """What importing one file did, or why it was rejected."""

    source: str
    format: str = ""
    added: int = 0
    merged: int = 0
    unchanged: int = 0
    stubs: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    error: str = ""
    missing: bool = False
    keys: RecordKeys = field(default_factory=RecordKeys)  # each full record's identity keys, in order

    @property
    def rejected(self) -> bool:
        return bool(self.error)

    @property
    def records(self) -> int:
        return self.added + self.merged + self.unchanged

    def count(self, status: Status) -> None:
        setattr(self, status.value, getattr(self, status.value) + 1)


def parse_file(source: str) -> tuple[str, list[Article], dict[str, int]]:
    """Parse a whole file: its format, its articles, and what it skipped. Raises ParseError or
    OSError. (Imports do not hold a whole file: they merge records as they are read.)"""
    fmt, articles, skipped = "", [], {}
    for kind, value in _events(source, None):
        if kind == "format":
            fmt = value
        elif kind == "doc":
            articles.append(Article.from_doc(value))
        else:
            skipped = value
    return fmt, articles, skipped


# Reading records while merging them ----------------------------------------------------------------
#
# A file is read as a stream of events: ("format", name), then ("doc", document) per record, then
# ("skipped", counts). Large files are read in a child process that sends the events in batches, so
# parsing (one core) and merging into the library (the other) overlap.

PARALLEL_BYTES = 4_000_000
BATCH = 256
# A transaction holding this many documents (records, and records whose links it changes) writes them
# as a batch and lets go of them: an import holds one batch in memory, whatever the file's size. It is
# what ends the batches of a file citing the library (their cited ends, a quarter each, are more the
# larger the library), where ``LINKS_AT`` ends those into a new library (at 70-88k here): at 100,000 a
# batch citing a library of 300k records held a third more than the first file's (14-15k records and
# 285-300k cited ends against 16.7k and ~150k: ``tests/store/test_batch_weight.py``), and the peak grew
# with the library (stop 48: 30k records into that library, 574 MB; at 80,000, 524).
FLUSH_AT = 80_000
# ... or holding this many links (the records' reference and citing lists as read): what a batch holds
# is mostly its links, both ends of each, and a later batch's cited ends are mostly records an earlier
# batch wrote, which ``FLUSH_AT`` counts a quarter each (``store.linkedits``). Counted in documents
# alone, the first 100k bench file's batches held about 0.39, 0.9 and 1 million links, and the import's
# memory grew with them (260, 517 and 651 MB when each was written; 541 MB at most in batches of
# ``LINKS_AT``, 718 before, for 5% more CPU or none: measured under load).
LINKS_AT = 500_000
Event = tuple[str, Any]


def _events(source: str, on_read: Callable[[int], None] | None) -> Iterator[Event]:
    try:
        with open_input(source, on_read) as content:
            head = read_exactly(content, SNIFF_BYTES)
            parser_class = detect(head)
            if parser_class is None:
                raise ParseError(f"not a format pmbrowse reads ({format_names()})", source=source, line=1)
            yield ("format", parser_class.name)
            stream: BinaryIO = io.BufferedReader(Prepended(head, content), buffer_size=1 << 16)  # type: ignore[assignment]
            parser = parser_class()
            for doc in parser.parse_docs(stream, source):
                yield ("doc", doc)
            yield ("skipped", dict(parser.skipped.counts))
    except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise ParseError(f"a damaged compressed file ({exc})", source=source) from None


def _child(conn: Connection, parent_end: Connection, source: str) -> None:
    """In the child process: parse ``source`` and send its events in batches, errors included.

    The child must never outlive its parent holding anything, nor hold what its parent waits for: it
    closes the parent's end of the pipe (so a send to a dead parent fails instead of blocking for ever),
    lets go of every file it inherited (the parent's lock files, the search index's meta lock:
    ``store.lock.let_go_of_inherited_files``), and asks the kernel to end it when the parent dies."""
    parent_end.close()
    default_in_child()
    let_go_of_inherited_files([conn.fileno()])
    _die_with_parent()
    read = [0]

    def on_read(n: int) -> None:
        read[0] += n

    batch: list[Event] = []
    try:
        with paused_gc():
            for event in _events(source, on_read):
                batch.append(event)
                if len(batch) >= BATCH:
                    _send(conn, batch, read[0])
                    batch = []
        _send(conn, batch, read[0])
    except ParseError as exc:
        _say(conn, ("parse-error", (exc.message, exc.source, exc.line, exc.record)), read[0])
    except Exception as exc:  # whatever it is, the parent reports it as this file's problem
        _say(conn, ("read-error", str(getattr(exc, "strerror", None) or exc)), read[0])
    finally:
        conn.close()


def _say(conn: Connection, error: Event, read: int) -> None:
    """Send the child's error, unless its parent has gone from the pipe (an import that failed
    while it wrote a batch): the parent then says what happened, and a second error here would only
    print the child's traceback above the parent's one line."""
    with contextlib.suppress(OSError):
        _send(conn, [error], read)


def _send(conn: Connection, batch: list[Event], read: int) -> None:
    # marshal: the documents are made of the types it writes (dicts, lists, text, numbers), and the
    # parent reads it back faster than orjson reads JSON (~25%: 0.2 s of 10k records with reference
    # lists) or pickle reads pickle, which also writes slower. Both ends are this program, forked: no
    # other writer, and no other version of the format, can reach the pipe.
    conn.send_bytes(marshal.dumps((batch, read)))


def _events_from_child(
    source: str, on_read: Callable[[int], None] | None, idle: Callable[[], bool] | None = None
) -> Iterator[Event]:
    """The events of ``source``, read by a child process. ``idle`` is called, while it returns True,
    whenever the child's next batch is not there yet: work that would otherwise wait for the end."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, receiver, source), daemon=True)
    process.start()
    sender.close()
    messages = Messages(receiver.fileno())  # (``recv_bytes``, into one buffer: ``store.pipemessages``)
    sent = 0
    try:
        while True:
            while idle is not None and not receiver.poll() and idle():
                pass
            try:
                message = messages.next()
            except (EOFError, OSError):  # (it ended, between messages or within one: killed, or died)
                raise OSError(f"the reader of {source} stopped unexpectedly") from None
            batch, read = marshal.loads(message)
            if on_read is not None and read > sent:
                on_read(read - sent)
                sent = read
            for kind, value in batch:
                if kind == "parse-error":
                    message, error_source, line, record = value
                    raise ParseError(message, source=error_source, line=line, record=record)
                if kind == "read-error":
                    raise OSError(value)
                yield (kind, value)
                if kind == "skipped":
                    return
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _die_with_parent() -> None:
    """Linux: deliver SIGKILL to this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _read(
    source: str, on_read: Callable[[int], None] | None, idle: Callable[[], bool] | None = None
) -> Iterator[Event]:
    big = source != STDIN and os.path.getsize(source) >= PARALLEL_BYTES
    if big and "fork" in multiprocessing.get_all_start_methods():
        return _events_from_child(source, on_read, idle)
    return _events(source, on_read)


class _Restart(Exception):
    """A file failed after some of its records were merged: drop the transaction and start again."""


class NotStored(OSError):
    """An OSError of the library's own while it took a file's records: a batch it could not write
    (``Changes.flush``: the disk full), or its files not read (``Changes.put_document``). Not the file's
    fault, and no file's to drop: the import fails whole, its transaction dropped (the library as it
    was), saying which file's records the library could not store and the OS's reason."""

    @classmethod
    def of(cls, exc: OSError, source: str) -> NotStored:
        why = exc.strerror or str(exc)
        said = f"the library could not store the records of {display_name(source)}: {why}"
        return cls(exc.errno, said, exc.filename)


def import_paths(
    library: Library,
    paths: Sequence[str],
    *,
    progress: Progress | None = None,
    before_commit: Callable[[list[FileReport], Changes], None] | None = None,
) -> list[FileReport]:
    """Import files and folders into ``library``; one report per file, in order.

    Each file is all-or-nothing. Records are merged as they are read; if a file turns out to be
    malformed after some of its records were merged, the whole transaction is dropped (nothing was
    written) and the import starts again without that file. One the library fails to store raises
    ``NotStored`` (an OSError), nothing committed. ``before_commit`` is called with the reports
    and the unit of work as the last thing before the import commits, inside its transaction (``import``
    adds the reference files' entries to it, and commits the database search with the records:
    ``store.intent``); if it raises, nothing is committed.
    """
    sources = list(expand_paths(paths))
    rejected: dict[str, str] = {}
    with streams_saved(sources, rejected) as saved:
        while True:
            try:
                return _import_once(library, sources, rejected, progress, saved, before_commit)
            except _Restart:
                continue


def _import_once(
    library: Library,
    sources: list[str],
    rejected: dict[str, str],
    progress: Progress | None,
    saved: dict[str, str],
    before_commit: Callable[[list[FileReport], Changes], None] | None = None,
) -> list[FileReport]:
    total = sum(os.path.getsize(saved.get(s, s)) for s in sources if os.path.isfile(saved.get(s, s)))
    done = [0, 0]  # bytes, records

    def on_read(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(done[0], total, done[1])

    reports: list[FileReport] = []
    links = 0  # (links read since the last batch was written)
    with paused_gc(), library.transaction() as changes:
        for source in sources:
            report = FileReport(source=display_name(source))
            reports.append(report)
            if source in rejected:
                report.error = rejected[source]
                continue
            if source != STDIN and not os.path.exists(source):
                report.error, report.missing = "no such file or folder", True
                continue
            origin: Origin | None = None
            before = changes.stubs_created
            try:
                # (while the reader parses, what the batch made so far is indexed for search)
                for kind, value in _read(
                    saved.get(source, source), on_read, lambda: library.index_ahead(changes)
                ):
                    if kind == "format":
                        report.format = value
                        origin = Origin(value, "stdin" if source == STDIN else os.path.abspath(source))
                    elif kind == "doc":
                        assert origin is not None
                        report.keys.append(doc_keys(value))
                        links += sum(len(value.get(rel) or ()) for rel in LINK_RELATIONS)
                        try:
                            report.count(changes.put_document(value, origin))
                            if changes.size() >= FLUSH_AT or links >= LINKS_AT:
                                changes.flush()  # (a batch written out of memory: see the module docstring)
                                links = 0
                        except OSError as exc:  # (the library's: not a read of the file)
                            raise NotStored.of(exc, source) from exc
                        done[1] += 1
                        if progress is not None and done[1] % 256 == 0:
                            progress(done[0], total, done[1])
                    elif kind == "skipped":
                        report.skipped = value
            except NotStored:
                raise
            except (ParseError, OSError, EOFError) as exc:
                if isinstance(exc, ParseError):
                    message = str(exc.with_source(display_name(source)))
                else:
                    why = getattr(exc, "strerror", None) or exc
                    message = f"{display_name(source)}: cannot read it ({why})"
                if report.records:
                    rejected[source] = message
                    raise _Restart from exc
                report.error = message
                continue
            report.stubs = changes.stubs_created - before
        if before_commit is not None:
            before_commit(reports, changes)
    if progress is not None:
        progress(total, total, done[1])
    return reports


def import_file(library: Library, path: str | Path) -> FileReport:
    """Import one file; convenience for scripts and tests."""
    return import_paths(library, [str(path)])[0]
