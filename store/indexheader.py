"""Opening and reading the header of a document index file (``store.docindex``) without mapping it."""

from __future__ import annotations

import os
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import orjson

from store.atomicwrite import check_regular, not_a_file

MAGIC = b"PMBIDX04"


def open_regular(path: Path | str) -> int:
    """An open file descriptor of ``path`` for reading, if it is a regular file (a symbolic link is
    followed); raises ``NotARegularFile`` naming what it is instead (``store.atomicwrite``),
    ``FileNotFoundError`` if nothing is there.

    Looked at with ``stat`` before it is opened (opening a FIFO blocks until someone writes to it, and
    ``/dev/zero`` never ends), and opened with ``O_NONBLOCK`` (a FIFO put in its place between the two
    does not block the open), then looked at again."""
    check_regular(Path(path))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise not_a_file(Path(path), mode, "read")
    return fd


def read_header(path: Path) -> dict[str, Any] | None:
    """An index file's header, checked (None: missing, not a regular file, damaged, of another
    version). Reads the header alone, not the index."""
    try:
        fd = open_regular(path)
    except OSError:
        return None
    try:
        head = os.pread(fd, 1 << 16, 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    if head[:8] != MAGIC or len(head) < 16:
        return None
    n, crc = struct.unpack_from("<II", head, 8)
    raw = head[16 : 16 + n]
    if len(raw) != n or zlib.crc32(raw) != crc:
        return None
    try:
        header = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return header if isinstance(header, dict) else None
