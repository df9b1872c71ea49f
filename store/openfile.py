"""A file descriptor that several threads read, closed without harm to them.

The app reads its library in worker threads (the first list, the link panes, the cited search) while
its main thread may close it (the app ends, a search's storage is let go) or move to a newer state.
A descriptor closed under a reader is not only an error for that reader: its number is free, the next
``open`` of any file in the process takes it, and a read that was about to ``pread`` the old number
reads that other file (another library's base, an index, a socket) and takes its bytes for the
document it asked for.

``OpenFile`` counts the reads in flight: ``close`` closes the descriptor at once when none is, else
the last of them closes it as it ends; a read begun after ``close`` raises ``FileClosed`` (one line)
and never touches the number. Two lock round trips a read (~0.3 µs beside a ``pread`` of a few
microseconds and a decode).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from store.errors import LibraryFileError


class FileClosed(LibraryFileError):
    """A read of a file that was closed (the library was closed, or moved on, while it was read)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(f"{path} was closed while it was read (the library was closed, or reopened)")


class OpenFile:
    """An open file descriptor, read with ``pread`` by any thread (see the module docstring)."""

    __slots__ = ("_closed", "_lock", "_reading", "fd", "path")

    def __init__(self, fd: int, path: Path | str) -> None:
        self.fd = fd
        self.path = path
        self._lock = threading.Lock()
        self._reading = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def pread(self, size: int, offset: int) -> bytes:
        """``os.pread`` of the file; ``FileClosed`` once it is closed."""
        lock = self._lock
        with lock:
            if self._closed:
                raise FileClosed(self.path)
            self._reading += 1
        try:
            return os.pread(self.fd, size, offset)
        finally:
            with lock:
                self._reading -= 1
                if self._closed and not self._reading:
                    self._release()

    def size(self) -> int:
        """The file's size now (``fstat``); ``FileClosed`` once it is closed."""
        with self._lock:  # (short: nothing to wait for, so done holding the lock)
            if self._closed:
                raise FileClosed(self.path)
            return os.fstat(self.fd).st_size

    def close(self) -> None:
        """Close the descriptor now, or as the last read in flight ends; later reads raise
        ``FileClosed``. Closing again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._reading:
                self._release()

    def _release(self) -> None:  # (with the lock held, once: the first close seeing no read in flight)
        with contextlib.suppress(OSError):
            os.close(self.fd)
