"""A command's standard output, written so that a write that fails is said, never lost in silence.

Python's own ``sys.stdout`` loses output on a full disk without a word: a large write (an export, a
search's 500 hits) that the kernel takes only in part (``write(2)`` returns the bytes that fitted)
is reported whole and the rest dropped, and the command exited 0 with its output cut short
(``pmbrowse export -f ris QUERY > refs.ris`` on a disk with 20 KB left: 20 KB of 270 KB, exit 0; found by
hand on an 8 MB tmpfs, stop 34). While a command runs, ``sys.stdout`` is a text stream over the same
file descriptor whose every write loops ``os.write`` until all is written, or raises ``OutputError``
(an ``OSError``), which ``Command.run`` says in one line. A stream without a file descriptor (a test's
capture) is left as it is.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator


class OutputError(OSError):
    """Standard output could not take what the command printed (a full disk, a closed pipe)."""

    @property
    def reader_gone(self) -> bool:
        """The reader of a pipe went away (``pmbrowse export ... | head``): not a failure to say."""
        return self.errno == errno.EPIPE


class _Descriptor(io.BufferedIOBase):
    """Writes all it is given to a file descriptor it does not own, or raises (closing it leaves the
    descriptor open)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    @property
    def name(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: bytes, /) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            try:
                done += os.write(self._fd, view[done:])
            except InterruptedError:
                continue
            except OSError as exc:
                raise OutputError(exc.errno, exc.strerror) from exc
        return done


@contextlib.contextmanager
def checked_stdout() -> Iterator[None]:
    """``sys.stdout``, while the block runs, one whose failed writes raise ``OutputError``."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
        stream.flush()
    except (AttributeError, OSError, ValueError):  # (a capture without a descriptor, a closed stream)
        yield
        return
    checked = io.TextIOWrapper(
        _Descriptor(fd),
        encoding=stream.encoding,
        errors=stream.errors,
        write_through=True,
    )
    sys.stdout = checked
    try:
        yield
    finally:
        sys.stdout = stream
        with contextlib.suppress(OSError, ValueError):
            checked.flush()
