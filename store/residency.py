"""Keeping few of a memory-mapped file's pages in a process's memory.

The document index (``store.docindex``) is mapped, not read: a lookup reads the few bytes it needs.
But every page a process touches in a mapping stays in its resident memory until the mapping is
closed, and the kernel maps the pages around a touched one too (64 KiB, whatever ``MADV_RANDOM``
says). So checking the index's checksum at opening held its columns and keys whole (67 MB of a
million-record library's index), and an import, which reads the heads of the records its reference
lists name, held nearly all of it (266 MB there after 20,000 random heads): the import's peak memory
grew with the library though it needs a few pages at a time. The pages are the page cache's, shared
and clean: letting the mapping drop them (``MADV_DONTNEED``) costs nothing but a minor fault when
one is touched again, and reads the same bytes (the file is never written in place: a new index is
renamed over it; and the map is shared, ``ACCESS_READ``: a private one's dropped pages would be lost).

It is advice, never needed for what is read: on a platform without ``madvise`` (Windows) nothing is
dropped; where a kernel refuses it (EINVAL: locked pages, some mappings) the pages stay; where
``MADV_DONTNEED`` only lowers the pages' priority (macOS, the BSDs) they stay until memory is short.
"""

from __future__ import annotations

import contextlib
import mmap
import threading
import zlib

CHUNK = 1 << 20  # checksummed, then dropped, a megabyte at a time
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def release(mapped: mmap.mmap | bytes, start: int = 0, end: int | None = None) -> None:
    """Drop the mapping's pages of ``[start, end)`` from the process's memory (whole pages only)."""
    if _DONTNEED is None or not isinstance(mapped, mmap.mmap) or mapped.closed:
        return
    end = len(mapped) if end is None else end
    start -= start % mmap.PAGESIZE
    if end > start:
        with contextlib.suppress(OSError):  # (refused: the pages stay, nothing else changes)
            mapped.madvise(_DONTNEED, start, end - start)


def crc32_released(mapped: mmap.mmap | bytes, view: memoryview, start: int, end: int) -> int:
    """The CRC-32 of ``view[start:end]`` (``view``: all of ``mapped``), its pages dropped as it goes."""
    crc = 0
    for at in range(start, end, CHUNK):
        with view[at : min(at + CHUNK, end)] as piece:
            crc = zlib.crc32(piece, crc)
        release(mapped, at, min(at + CHUNK, end))
    return crc


class LaterCheck:
    """``crc32_released`` of a mapped file's bytes compared with the checksum expected, worked out in a
    thread (``zlib.crc32`` lets go of the interpreter's lock: on another core) while the caller goes
    on: ``matches`` waits for it. A thread that ends without its answer, for whatever reason (memory,
    an exception raised in it, no thread to be had), leaves it to ``matches``, which works it out on
    the caller's thread: never taken as a match. (``madvise`` refused is no such reason: ``release``
    keeps the pages.)"""

    def __init__(
        self, mapped: mmap.mmap | bytes, view: memoryview, start: int, end: int, expected: int
    ) -> None:
        self._args = (mapped, view, start, end)
        self._expected = expected
        self._found: int | None = None
        thread: threading.Thread | None = threading.Thread(
            target=self._run, name="docindex-check", daemon=True
        )
        try:
            assert thread is not None
            thread.start()
        except RuntimeError:  # (no thread to be had: worked out by ``matches``)
            thread = None
        self._thread = thread

    def _run(self) -> None:
        try:
            self._found = crc32_released(*self._args)
        except BaseException:  # (the thread's end, without its answer: ``matches`` works it out)
            return

    def join(self) -> None:
        """Wait for the thread (it reads ``view``: let go of the map only after)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def matches(self) -> bool:
        """Whether the bytes match the checksum (waited for; worked out here if the thread did not).
        May raise what reading them raises here (``OSError``, ``ValueError``, ``MemoryError``)."""
        self.join()
        if self._found is None:
            self._found = crc32_released(*self._args)
        return self._found == self._expected
