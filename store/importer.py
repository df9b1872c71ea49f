"""Importing files into a library: find the files, recognise each format, parse, merge, report.

Each file is all-or-nothing: a file that breaks its format half-way changes nothing (see
``import_paths``). All files of one import share one transaction, committed once, atomically, at the
end; a large import hands its records over in batches as it goes (``Changes.flush``), each written out
of memory as a segment the commit then lists (``store.storage.spilling``), so an import holds one batch
whatever the size of the file or of the library. Large files are parsed in a child process while this
one merges.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import multiprocessing
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from store.changes import Status
from store.errors import ParseError
from store.formats import detect, format_names
from store.library import Library
from store.lock import close_inherited_locks
from store.merge import doc_keys
from store.model import Article, Origin
from store.wholefile import paused_gc

STDIN = "-"
SNIFF_BYTES = 8192

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
    keys: list[tuple[str, ...]] = field(default_factory=list)  # each full record's identity keys, in order

    @property
    def rejected(self) -> bool:
        return bool(self.error)

    @property
    def records(self) -> int:
        return self.added + self.merged + self.unchanged

    def count(self, status: Status) -> None:
        setattr(self, status.value, getattr(self, status.value) + 1)


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from the file on disk, so progress works through gzip too."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._on_read(n)
        return n


def expand_paths(paths: Sequence[str]) -> Iterator[str]:
    """Files as given; folders recursively (sorted, hidden entries skipped); ``-`` for stdin."""
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield path


class _Prepended(io.RawIOBase):
    """A stream that first gives back bytes already read from it (the sniffed head), then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def open_input(source: str, on_read: Callable[[int], None] | None = None) -> Iterator[BinaryIO]:
    """A binary stream of the content of a file (gunzipped if it is gzip), or of stdin for ``-``."""
    with contextlib.ExitStack() as stack:
        if source == STDIN:
            raw: BinaryIO = sys.stdin.buffer
        else:
            raw = stack.enter_context(open(source, "rb"))
        if on_read is not None:
            raw = io.BufferedReader(_CountingReader(raw, on_read), buffer_size=1 << 16)  # type: ignore[assignment]
        magic = _read_exactly(raw, 2)
        stream: BinaryIO = io.BufferedReader(_Prepended(magic, raw), buffer_size=1 << 16)  # type: ignore[assignment]
        if magic == b"\x1f\x8b":
            stream = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[assignment]
        yield stream


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


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
# as a batch and lets go of them: an import holds one batch in memory, whatever the file's size.
FLUSH_AT = 250_000
Event = tuple[str, Any]


def _events(source: str, on_read: Callable[[int], None] | None) -> Iterator[Event]:
    try:
        with open_input(source, on_read) as content:
            head = _read_exactly(content, SNIFF_BYTES)
            parser_class = detect(head)
            if parser_class is None:
                raise ParseError(f"not a format pmbrowse reads ({format_names()})", source=source, line=1)
            yield ("format", parser_class.name)
            stream: BinaryIO = io.BufferedReader(_Prepended(head, content), buffer_size=1 << 16)  # type: ignore[assignment]
            parser = parser_class()
            for article in parser.parse(stream, source):
                yield ("doc", article.to_doc())
            yield ("skipped", dict(parser.skipped.counts))
    except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise ParseError(f"a damaged compressed file ({exc})", source=source) from None


def _child(conn: Connection, parent_end: Connection, source: str) -> None:
    """In the child process: parse ``source`` and send its events in batches, errors included.

    The child must never outlive its parent holding anything: it closes the parent's end of the pipe
    (so a send to a dead parent fails instead of blocking for ever) and the parent's lock files, and
    asks the kernel to end it when the parent dies."""
    parent_end.close()
    close_inherited_locks()
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
        _send(conn, [("parse-error", (exc.message, exc.source, exc.line, exc.record))], read[0])
    except Exception as exc:  # whatever it is, the parent reports it as this file's problem
        _send(conn, [("read-error", str(getattr(exc, "strerror", None) or exc))], read[0])
    finally:
        conn.close()


def _send(conn: Connection, batch: list[Event], read: int) -> None:
    # JSON, not pickle: the documents are JSON already, and orjson is several times faster both ways.
    conn.send_bytes(orjson.dumps([batch, read], option=orjson.OPT_NON_STR_KEYS))


def _events_from_child(source: str, on_read: Callable[[int], None] | None) -> Iterator[Event]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, receiver, source), daemon=True)
    process.start()
    sender.close()
    sent = 0
    try:
        while True:
            try:
                batch, read = orjson.loads(receiver.recv_bytes())
            except EOFError:
                raise OSError(f"the reader of {source} stopped unexpectedly") from None
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


def _read(source: str, on_read: Callable[[int], None] | None) -> Iterator[Event]:
    big = source != STDIN and os.path.getsize(source) >= PARALLEL_BYTES
    if big and "fork" in multiprocessing.get_all_start_methods():
        return _events_from_child(source, on_read)
    return _events(source, on_read)


class _Restart(Exception):
    """A file failed after some of its records were merged: drop the transaction and start again."""


def import_paths(
    library: Library, paths: Sequence[str], *, progress: Progress | None = None
) -> list[FileReport]:
    """Import files and folders into ``library``; one report per file, in order.

    Each file is all-or-nothing. Records are merged as they are read; if a file turns out to be
    malformed after some of its records were merged, the whole transaction is dropped (nothing was
    written) and the import starts again without that file.
    """
    sources = list(expand_paths(paths))
    rejected: dict[str, str] = {}
    with _streams_saved(sources, rejected) as saved:
        while True:
            try:
                return _import_once(library, sources, rejected, progress, saved)
            except _Restart:
                continue


def display_name(source: str) -> str:
    """How reports and errors name an input: ``stdin`` for ``-``."""
    return "stdin" if source == STDIN else source


@contextlib.contextmanager
def _streams_saved(sources: list[str], rejected: dict[str, str]) -> Iterator[dict[str, str]]:
    """Inputs that can be read only once (stdin, a pipe such as ``<(cat f)``, a FIFO), each saved to a
    temp file first: an import that restarts reads its inputs twice. Devices and sockets are refused
    (``/dev/zero`` would never end)."""
    saved: dict[str, str] = {}
    try:
        for source in dict.fromkeys(sources):
            if source == STDIN:
                saved[source] = _save(sys.stdin.buffer)
                continue
            try:
                mode = os.stat(source).st_mode
            except OSError:
                continue  # reported as missing or unreadable where it is read
            if stat.S_ISFIFO(mode):
                fd = _open_fifo(source)
                if fd is None:
                    rejected[source] = f"{source}: nothing was written to it within {FIFO_WAIT:g} s"
                    continue
                with os.fdopen(fd, "rb") as stream:
                    saved[source] = _save(stream)
            elif not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
                rejected[source] = f"{source}: not a file pmbrowse can import (a device or a socket)"
        yield saved
    finally:
        for path in saved.values():
            with contextlib.suppress(OSError):
                os.unlink(path)


# How long to wait for a writer to open a named pipe (FIFO) given as an input.
FIFO_WAIT = 10.0


def _open_fifo(path: str) -> int | None:
    """Open a FIFO for reading, waiting at most FIFO_WAIT for a writer; None if none came.

    Opening a FIFO blocks until a writer opens it, which may never happen: the open runs in a
    thread, and if it is still waiting, this process opens the FIFO for writing for a moment itself,
    which releases it (it then reads nothing, and is closed)."""
    opened: list[int] = []
    failed: list[OSError] = []

    def opener() -> None:
        try:
            opened.append(os.open(path, os.O_RDONLY))
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=opener, daemon=True)
    thread.start()
    thread.join(FIFO_WAIT)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(1.0)
        for fd in opened:
            os.close(fd)
        return None
    if failed:
        raise failed[0]
    return opened[0]


def _save(stream: BinaryIO) -> str:
    with tempfile.NamedTemporaryFile(prefix="pmbrowse-input-", delete=False) as tmp:
        shutil.copyfileobj(stream, tmp)
    return tmp.name


def _import_once(
    library: Library,
    sources: list[str],
    rejected: dict[str, str],
    progress: Progress | None,
    saved: dict[str, str],
) -> list[FileReport]:
    total = sum(os.path.getsize(saved.get(s, s)) for s in sources if os.path.isfile(saved.get(s, s)))
    done = [0, 0]  # bytes, records

    def on_read(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(done[0], total, done[1])

    reports: list[FileReport] = []
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
                for kind, value in _read(saved.get(source, source), on_read):
                    if kind == "format":
                        report.format = value
                        origin = Origin(value, "stdin" if source == STDIN else os.path.abspath(source))
                    elif kind == "doc":
                        assert origin is not None
                        report.keys.append(tuple(doc_keys(value)))
                        report.count(changes.put_document(value, origin))
                        if changes.size() >= FLUSH_AT:
                            changes.flush()  # (a batch written out of memory: see the module docstring)
                        done[1] += 1
                        if progress is not None and done[1] % 256 == 0:
                            progress(done[0], total, done[1])
                    elif kind == "skipped":
                        report.skipped = value
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
    if progress is not None:
        progress(total, total, done[1])
    return reports


def import_file(library: Library, path: str | Path) -> FileReport:
    """Import one file; convenience for scripts and tests."""
    return import_paths(library, [str(path)])[0]
