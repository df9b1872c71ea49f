"""The document index kept beside a library's base file (``library.json.idx``), read without parsing.

It answers, for the base file it was built with, the questions every hot path asks:

- where is document N, and where is its link record? (byte offsets and lengths in the base file: one
  ``pread``, one decode each);
- how many references and citing articles has it, is it a stub, which fields does it hold, its year
  (``meta``)? (no read of the document at all: link panes, ranking and imports ask this of thousands);
- its *head*: the few fields a row shows (identifiers, title, first authors, journal, year), as a small
  JSON object, so a list of links is drawn without decoding the documents and their abstracts;
- which documents hold identity key K (``pmid:…``, ``pmc:…``, ``doi:…``, ``cite:…``)?

and it carries the counts (records, stubs, links) and the next free document id, so opening a library
never scans it. The file is mapped into memory (``mmap``). It is derived data: lost, damaged or of
another generation, it is rebuilt from the base file.

It checks itself, because a damaged index answers wrongly rather than failing (two documents' offsets
swapped show the wrong article, an emptied key table says "not found", a next id below the last document
makes the next import overwrite one). Its header carries a CRC-32 of itself and one of the columns and
key tables, both checked when it is opened (about 10 ms for a library of 100,000 records: the columns
and keys are some 12 MB of its 48; 60-76 ms at a million), and each head carries its own CRC-32, checked
when the head is read (the heads are most of the file, and a read touches a few). The header names the
base's generation and the CRC-32 of the base file it was built from (``base_crc``: what ``pmbrowse
check`` verifies the base against, and what tells the search index that the base changed). What the
index says of a document is checked once more when the document is read from the base
(``store.storage.snapshot``: the record's line must carry its id).

The app's first list need not wait for the columns' checksum: opened with ``check_later``, the index
checks them in a thread (``zlib.crc32`` lets go of the interpreter's lock) begun at their first read
(``__getattr__``; a first list that reads none, at a million records, checks none of their 72.7 MB);
``verify()`` waits for it, and ``store.search.index`` calls it before it shows what it read.

Layout (all integers little-endian)::

    b"PMBIDX04"                         magic
    u32 n, u32 CRC-32 of the header, then n bytes of JSON
                                        header: generation, counts, next_id, max_id, keys, base,
                                        base_crc, heads, body_crc (of the columns and keys)
    padding to 8 bytes
    one column per field of COLUMNS, each (max_id + 1) values indexed by document id, padded to 8
    u64 × keys                          key hashes, sorted
    u32 × keys                          the document holding each (same order), padded to 8
    u32 × (max_id + 1)                  the PMID column, padded to 8, if the header says ``pmids``
                                        (``store.storage.pmids``: since stop 34; none before)
    heads                               the heads' JSON, one after the other

A key is stored by a 64-bit hash (BLAKE2b), once for every document that holds it; a lookup checks
the candidates' own keys, so a hash collision costs one more read, never a wrong answer.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import sys
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from store.atomicwrite import NotARegularFile
from store.indexheader import MAGIC as MAGIC
from store.indexheader import open_regular as open_regular
from store.indexheader import read_header as read_header
from store.openfile import FileClosed, OpenFile
from store.residency import LaterCheck, crc32_released
from store.residency import release as release_pages

_LITTLE = sys.byteorder == "little"
# (name, array typecode): one value per document id. doc_*: the document's JSON in the base file;
# link_*: its link record there (0: none); refs/cited: its link counts; head_*: its head in the heads
# region, head_crc its CRC-32; citation: the citation count its source reports; flags and year: see
# ``store.storage.meta``. ``order`` is not by document id: it lists the documents most cited first (see
# ``cited_order``), then zeros.
_NAMES = "doc_off link_off head_off doc_len link_len head_len head_crc refs cited citation order flags year"
COLUMNS = tuple(zip(_NAMES.split(), "QQQIIIIIIIIHH", strict=True))  # (doc_off "Q" ... year "H")


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


OLDER_VERSION = "not an index file of this version"
BODY_DAMAGED = "its checksum does not match"


class IndexMismatch(IndexFileError):
    """What the index says of a document does not match what is read (found when it is read)."""


class DocIndex:
    """An open (memory-mapped) index file, or one built in memory (``DocIndex.of``).

    Raises ``IndexFileError`` when the file is missing, of another version, or damaged (its
    checksums do not match, its sizes do not add up, its next id is not past its last document), and
    ``NotARegularFile`` when it is not a regular file."""

    def __init__(self, path: Path | None, *, raw: bytes | None = None, check_later: bool = False) -> None:
        """``check_later``: check the columns' and keys' checksum in a thread (see ``verify``)."""
        self.path = path
        self._views: list[memoryview] = []
        self._checking: LaterCheck | None = None
        self._damage: str | None = None  # what the check in a thread found wrong
        self._unread: tuple[dict[str, Any], tuple[Any, ...]] | None = None  # (``__getattr__``)
        # The heads are read with ``pread``, not through the map: an import reads heads all over the
        # index, and each page touched in a map stays in the process's memory (``store.residency``);
        # through an ``OpenFile``, safe to close under a thread reading one (``store.openfile``).
        self._file: OpenFile | None = None
        if raw is not None:
            self._map: mmap.mmap | bytes = raw
        else:
            assert path is not None
            try:
                fd = open_regular(path)
            except NotARegularFile:
                raise
            except OSError as exc:
                raise IndexFileError(f"{path}: {exc.strerror or exc}") from None
            try:
                self._map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as exc:  # (an empty file cannot be mapped)
                empty = os.fstat(fd).st_size == 0
                why = "it is empty" if empty else str(getattr(exc, "strerror", None) or exc)
                os.close(fd)
                raise IndexFileError(f"{path}: {why}", why) from None
            self._file = OpenFile(fd, path)
        try:
            self._parse(check_later)
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError, BufferError) as exc:
            self.close()
            raise IndexFileError(f"{path} is damaged ({exc})", str(exc)) from None

    def _parse(self, check_later: bool) -> None:
        m = self._map
        if m[:8] != MAGIC:
            raise ValueError(OLDER_VERSION)
        if not _LITTLE:
            raise ValueError("big-endian machines read indexes by rebuilding them")
        if len(m) < 16:
            raise ValueError("cut off")
        n, header_crc = struct.unpack_from("<II", m, 8)
        raw_header = m[16 : 16 + n]
        if len(raw_header) != n or zlib.crc32(raw_header) != header_crc:
            raise ValueError("its header's checksum does not match")
        header: dict[str, Any] = orjson.loads(raw_header)
        self.generation = _field(header, "generation", str)
        base = header["base"]
        if not (isinstance(base, list) and len(base) == 2 and all(_natural(v) for v in base)):
            raise ValueError("its base is not two numbers")
        self.base = (int(base[0]), int(base[1]))
        self.base_crc = _field(header, "base_crc", int)
        counts = header["counts"]
        if not isinstance(counts, dict) or set(counts) != {"records", "stubs", "links"}:
            raise ValueError("its counts are not records, stubs and links")
        if not all(_natural(v) for v in counts.values()):
            raise ValueError("its counts are not numbers of 0 or more")
        self.counts = dict(counts)
        max_id, keys = _field(header, "max_id", int), _field(header, "keys", int)
        heads = _field(header, "heads", int)
        self.next_id = _field(header, "next_id", int)
        if self.next_id <= max_id or max_id >= 1 << 32:
            raise ValueError(f"its next id {self.next_id} is not past its last document {max_id}")
        view = memoryview(m)
        self._views.append(view)
        pos = body = aligned(16 + n)
        self._columns: dict[str, memoryview] = {}
        for name, code in COLUMNS:
            size = array(code).itemsize * (max_id + 1)
            self._columns[name] = self._view(view, pos, size, code)
            pos = aligned(pos + size)
        self._hashes = self._view(view, pos, 8 * keys, "Q")
        pos += 8 * keys
        self._ids = self._view(view, pos, 4 * keys, "I")
        pos = aligned(pos + 4 * keys)
        self._pmids: memoryview | None = None  # (``store.storage.pmids``; none before stop 34)
        if header.get("pmids", False) is not False:
            if header["pmids"] is not True:
                raise ValueError("its pmids is not true")
            self._pmids = self._columns["pmid"] = self._view(view, pos, 4 * (max_id + 1), "I")
            pos = aligned(pos + 4 * (max_id + 1))
        self._heads_at = pos
        if pos + heads != len(m):
            raise ValueError("cut off" if pos + heads > len(m) else "longer than its header says")
        body_crc = _field(header, "body_crc", int)
        self.max_id = max_id
        c = self._columns
        self._doc_off, self._doc_len = c["doc_off"], c["doc_len"]
        self._link_off, self._link_len = c["link_off"], c["link_len"]
        self._refs, self._cited, self._flags = c["refs"], c["cited"], c["flags"]
        if check_later:  # (taken out until their first read: ``__getattr__``)
            self._unread = ({name: self.__dict__.pop(name) for name in _READ}, (m, body, pos, body_crc))
        elif crc32_released(m, view, body, pos) != body_crc:  # (let go of as read: ``store.residency``)
            raise ValueError(BODY_DAMAGED)

    if not TYPE_CHECKING:  # (for mypy, any other name stays an error)

        def __getattr__(self, name: str) -> Any:  # (``check_later``: the check begun before the first read)
            with _first_read:
                unread = self.__dict__.get("_unread")
                if unread is None or name not in unread[0]:
                    raise AttributeError(name)
                self._views.append(whole := self._views[0][:])
                self._checking = LaterCheck(unread[1][0], whole, *unread[1][1:])
                self.__dict__.update(unread[0])
                self._unread = None
            return self.__dict__[name]

    def verify(self) -> None:
        """Wait for the check begun at their first read (``check_later``); raise ``IndexFileError`` if it
        found them damaged (nothing read from them may then be trusted: open it again, which rebuilds it).
        At once for an index checked at opening, or none read. A check whose thread ended without its
        answer is done here (``LaterCheck``); one that cannot be done here either is said as damage."""
        checking = self._checking
        if checking is not None:
            try:
                if not checking.matches():
                    self._damage = BODY_DAMAGED
            except (OSError, ValueError, MemoryError) as exc:
                self._damage = f"it could not be checked: {exc or type(exc).__name__}"
            self._checking = None
        if self._damage is not None:
            raise IndexFileError(f"{self.path} is damaged ({self._damage})", self._damage)

    def _view(self, view: memoryview, pos: int, size: int, code: str) -> memoryview:
        if pos + size > len(view):
            raise ValueError("cut off")
        with view[pos : pos + size] as piece:
            part: memoryview = piece.cast(code)  # type: ignore[call-overload]
        self._views.append(part)
        return part

    def location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's JSON in the base file, or None."""
        if 0 < doc_id <= self.max_id:
            offset = self._doc_off[doc_id]
            if offset:
                return offset, self._doc_len[doc_id]
        return None

    def link_location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's link record in the base file, or None (it has no links)."""
        if 0 < doc_id <= self.max_id:
            offset = self._link_off[doc_id]
            if offset:
                return offset, self._link_len[doc_id]
        return None

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document of the base."""
        if 0 < doc_id <= self.max_id:
            return self._refs[doc_id], self._cited[doc_id]
        return 0, 0

    def meta(self, doc_id: int) -> tuple[int, int, int]:
        """(flags, year or 0, citation count or 0) of a document of the base."""
        c = self._columns
        return self._flags[doc_id], c["year"][doc_id], c["citation"][doc_id]

    def head(self, doc_id: int) -> bytes:
        """A document's head; raises ``IndexMismatch`` if it is not as it was written, ``FileClosed``
        once the index is closed (one in flight reads on: its columns are read before its ``pread``)."""
        try:
            c = self._columns
            start, length, crc = (
                self._heads_at + c["head_off"][doc_id],
                c["head_len"][doc_id],
                c["head_crc"][doc_id],
            )
        except ValueError:  # (a released view: closed)
            raise FileClosed(self.path or "the document index") from None
        file = self._file
        raw = file.pread(length, start) if file is not None else bytes(self._views[0][start : start + length])
        if zlib.crc32(raw) != crc:
            raise IndexMismatch(f"{self.path}: the head of document {doc_id} is damaged")
        return raw

    def pmid(self, doc_id: int) -> int:
        """The PMID ``doc_id``'s head begins with, from its column (0: unknown; ``store.storage.pmids``)."""
        pmids = self._pmids
        return pmids[doc_id] if pmids is not None else 0

    @property
    def has_pmids(self) -> bool:
        """Whether the index keeps the PMID column (indexes written since stop 34)."""
        return self._pmids is not None

    def cited_order(self) -> Iterator[int]:
        """Every document of the base, most cited first (``cited_key``)."""
        for doc_id in self._columns["order"]:
            if not doc_id:
                return
            yield doc_id

    def column(self, name: str) -> memoryview:
        """One column as it is stored (for whole-library passes: the citation order of search)."""
        return self._columns[name]

    @property
    def key_hashes(self) -> Sequence[int]:  # (sorted: ``store.storage.keyfilter`` makes the base's filter)
        return self._hashes

    def release(self) -> None:
        """Drop the map's pages it touched (``store.residency``; each batch: ``Committer.spill``)."""
        release_pages(self._map)

    def candidates(self, key: str) -> list[int]:
        """The documents that may hold ``key`` (every one that does, plus rare hash collisions)."""
        return self.candidates_of(key_hash(key))

    def candidates_of(self, h: int) -> list[int]:
        found: list[int] = []
        i = bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:
            found.append(self._ids[i])
            i += 1
        return found

    def ids(self) -> Iterator[int]:
        """Every document id of the base file, in order."""
        offsets = self._doc_off
        for doc_id in range(1, self.max_id + 1):
            if offsets[doc_id]:
                yield doc_id

    def pairs_except(self, dropped: set[int] | Any) -> Iterator[int]:
        """The (hash << 32 | id) pairs of every document not in ``dropped``, in order."""
        for h, doc_id in zip(self._hashes, self._ids, strict=True):
            if doc_id not in dropped:
                yield (h << 32) | doc_id

    def file_stat(self) -> os.stat_result | None:
        """``os.fstat`` of the file it opened (whatever is at its path now); None: none (closed: OSError)."""
        file = self._file
        return None if file is None else os.fstat(file.fd)

    def close(self) -> None:
        if self._checking is not None:  # (its view of the map must be let go before the map is closed)
            self._checking.join()
        for view in reversed(self._views):
            view.release()
        mapped = getattr(self, "_map", None)
        if isinstance(mapped, mmap.mmap):
            with contextlib.suppress(BufferError):  # (a view still held elsewhere: the map is freed with it)
                mapped.close()
        self._close_file()

    def _close_file(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()  # (a head read in flight ends first: ``store.openfile``)

    def __del__(self) -> None:
        self._close_file()


_READ: tuple[str, ...] = ("_columns", "_hashes", "_ids", "_pmids", "_doc_off", "_doc_len", "_link_off")
_READ += ("_link_len", "_refs", "_cited", "_flags")
_first_read = threading.Lock()  # (``__getattr__``: ``_READ``, what the body's checksum covers, read first)


def _natural(value: object) -> bool:
    return isinstance(value, int) and type(value) is int and value >= 0


def _field(header: dict[str, Any], name: str, kind: type) -> Any:
    value: Any = header[name]
    if type(value) is not kind or (kind is int and not _natural(value)):
        raise ValueError(f"its {name} is not {'a number of 0 or more' if kind is int else 'a string'}")
    return value
