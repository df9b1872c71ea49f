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
