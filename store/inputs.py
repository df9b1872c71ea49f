"""Where an import's input comes from: files and folders, stdin, named pipes; gzip undone; the bytes
read counted for progress. Inputs that can be read only once (stdin, a pipe) are saved to a temp file
first: an import that restarts reads its inputs twice.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

STDIN = "-"
SNIFF_BYTES = 8192


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


class Prepended(io.RawIOBase):
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
        magic = read_exactly(raw, 2)
        stream: BinaryIO = io.BufferedReader(Prepended(magic, raw), buffer_size=1 << 16)  # type: ignore[assignment]
        if magic == b"\x1f\x8b":
            stream = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[assignment]
        yield stream


def read_exactly(stream: BinaryIO, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def display_name(source: str) -> str:
    """How reports and errors name an input: ``stdin`` for ``-``."""
    return "stdin" if source == STDIN else source


@contextlib.contextmanager
def streams_saved(sources: list[str], rejected: dict[str, str]) -> Iterator[dict[str, str]]:
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
