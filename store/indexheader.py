"""A document index file's format (``store.docindex``): its magic, columns, key hash and errors; opening
it, and reading and checking its header."""

from __future__ import annotations

import mmap
import os
import stat
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from store.atomicwrite import NotARegularFile, check_regular, not_a_file
from store.openfile import OpenFile

MAGIC = b"PMBIDX05"  # (since stop 49: its columns and keys checked by the block, ``store.indexblocks``)
MAGIC_04 = b"PMBIDX04"  # (before: one CRC-32 of them all; still read, see ``store.docindex``)
MAGICS = (MAGIC, MAGIC_04)
OLDER_VERSION = "not an index file of this version"
# (name, array typecode): one value per document id. doc_*: the document's JSON in the base file;
# link_*: its link record there (0: none); refs/cited: its link counts; head_*: its head in the heads
# region, head_crc its CRC-32; citation: the citation count its source reports; flags and year: see
# ``store.storage.meta``. ``order`` is not by document id: it lists the documents most cited first (see
# ``DocIndex.cited_order``), then zeros.
_NAMES = "doc_off link_off head_off doc_len link_len head_len head_crc refs cited citation order flags year"
COLUMNS = tuple(zip(_NAMES.split(), "QQQIIIIIIIIHH", strict=True))  # (doc_off "Q" ... year "H")
BODY_DAMAGED = "its checksum does not match"

# BLAKE2b, imported at the first hash: ``hashlib`` loads OpenSSL's bindings (~1.4 ms of the app's start,
# whose first page looks no key up; a command that does pays it at its first lookup instead).
_blake2b: Callable[..., Any] | None = None


def key_hash(key: str) -> int:
    """The 64-bit hash a key is stored under (stable across processes, unlike ``hash``)."""
    global _blake2b
    if _blake2b is None:
        from hashlib import blake2b

        _blake2b = blake2b
    return int.from_bytes(_blake2b(key.encode(), digest_size=8).digest(), "little")


def aligned(n: int) -> int:
    return (n + 7) & ~7


class IndexFileError(Exception):
    """The index file is missing, damaged or of another generation: rebuild it from the base.
    ``reason``: what is wrong with it, in a few words."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class IndexMismatch(IndexFileError):
    """What the index says of a document does not match what is read (found when it is read)."""


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


def map_file(path: Path) -> tuple[mmap.mmap, OpenFile]:
    """The index file at ``path`` mapped, and opened for ``pread``; ``IndexFileError`` (missing, empty,
    unreadable) or ``NotARegularFile``."""
    try:
        fd = open_regular(path)
    except NotARegularFile:
        raise
    except OSError as exc:
        raise IndexFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:  # (an empty file cannot be mapped)
        empty = os.fstat(fd).st_size == 0
        why = "it is empty" if empty else str(getattr(exc, "strerror", None) or exc)
        os.close(fd)
        raise IndexFileError(f"{path}: {why}", why) from None
    return mapped, OpenFile(fd, path)


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
    if head[:8] not in MAGICS or len(head) < 16:
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


def parse_header(m: bytes | memoryview | Any) -> tuple[dict[str, Any], int]:
    """The header of the index file mapped as ``m``, checked against its CRC-32 (ValueError: what is
    wrong), and where its body starts. Its values are checked by ``field``."""
    if m[:8] not in MAGICS:
        raise ValueError(OLDER_VERSION)
    if len(m) < 16:
        raise ValueError("cut off")
    n, header_crc = struct.unpack_from("<II", m, 8)
    raw_header = m[16 : 16 + n]
    if len(raw_header) != n or zlib.crc32(raw_header) != header_crc:
        raise ValueError("its header's checksum does not match")
    header: dict[str, Any] = orjson.loads(raw_header)
    if not isinstance(header, dict):
        raise ValueError("its header is not an object")
    base = header["base"]
    if not (isinstance(base, list) and len(base) == 2 and all(natural(v) for v in base)):
        raise ValueError("its base is not two numbers")
    counts = header["counts"]
    if not isinstance(counts, dict) or set(counts) != {"records", "stubs", "links"}:
        raise ValueError("its counts are not records, stubs and links")
    if not all(natural(v) for v in counts.values()):
        raise ValueError("its counts are not numbers of 0 or more")
    return header, (16 + n + 7) & ~7


def natural(value: object) -> bool:
    return isinstance(value, int) and type(value) is int and value >= 0


def field(header: dict[str, Any], name: str, kind: type) -> Any:
    """``header[name]``, if it is of ``kind`` (an int: 0 or more); else ValueError."""
    value: Any = header[name]
    if type(value) is not kind or (kind is int and not natural(value)):
        raise ValueError(f"its {name} is not {'a number of 0 or more' if kind is int else 'a string'}")
    return value
