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
makes the next import overwrite one). Its header carries a CRC-32 of itself, checked when it is opened;
its columns and key table are checked by the block as they are read (``store.indexblocks``: a command
that reads a few documents checks the few blocks they are in, not the 67-73 MB of a million records'
columns), and each head carries its own CRC-32, checked when the head is read. A block that does not
match is found before any value of it is used: the index is then rebuilt from the base and read on
(``on_damage``, set by the storage that opened it: a one-line notice says so), or, opened alone, the
read raises ``IndexMismatch``. The header names the base's generation and the CRC-32 of the base file
it was built from (``base_crc``: what ``pmbrowse check`` verifies the base against, and what tells the
search index that the base changed). What the index says of a document is checked once more when the
document is read from the base (``store.storage.snapshot``: the record's line must carry its id).

Indexes written before stop 49 (``PMBIDX04``) have no blocks: they still open, checked whole as before
(at opening, or with ``check_later`` in a thread begun at their first read, ``__getattr__``, which
``verify()`` waits for), not rebuilt on upgrade (a rebuild reads the base whole: seconds at a million
records); the library's next compaction or fold writes its index anew, by the block.

Layout (all integers little-endian)::

    b"PMBIDX05"                         magic (b"PMBIDX04": without the block tables)
    u32 n, u32 CRC-32 of the header, then n bytes of JSON
                                        header: generation, counts, next_id, max_id, keys, base,
                                        base_crc, heads, body_crc (of the columns and keys, whole),
                                        pmids, blocks ([rows, keys] a block), blocks_crc (of the tables)
    padding to 8 bytes
    one column per field of COLUMNS, each (max_id + 1) values indexed by document id, padded to 8
    u64 × keys                          key hashes, sorted
    u32 × keys                          the document holding each (same order), padded to 8
    u32 × (max_id + 1)                  the PMID column, padded to 8 (``store.storage.pmids``: since
                                        stop 34; in a PMBIDX04 index if the header says ``pmids``)
    block tables                        CRC-32s of the blocks, and the key blocks' fences
                                        (``store.indexblocks``; none in PMBIDX04)
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

from store import indexblocks
from store.indexblocks import COUNTS, HEAD, KEYTABLE, LINK, LOC, META, ORDER, PMID, SHIFT
from store.indexcheck import CheckedByBlock, KeyHashes
from store.indexheader import BODY_DAMAGED as BODY_DAMAGED
from store.indexheader import COLUMNS as COLUMNS
from store.indexheader import MAGIC as MAGIC
from store.indexheader import OLDER_VERSION as OLDER_VERSION
from store.indexheader import IndexFileError as IndexFileError
from store.indexheader import IndexMismatch as IndexMismatch
from store.indexheader import aligned as aligned
from store.indexheader import field, map_file, parse_header
from store.indexheader import key_hash as key_hash
from store.indexheader import open_regular as open_regular
from store.indexheader import read_header as read_header
from store.openfile import FileClosed, OpenFile
from store.residency import LaterCheck, crc32_released
from store.residency import release as release_pages

_LITTLE = sys.byteorder == "little"


class DocIndex(CheckedByBlock):
    """An open (memory-mapped) index file, or one built in memory (``DocIndex.of``).

    Raises ``IndexFileError`` when the file is missing, of another version, or damaged (its
    checksums do not match, its sizes do not add up, its next id is not past its last document), and
    ``NotARegularFile`` when it is not a regular file. ``whole``: check every block at opening, and the
    columns' and keys' CRC-32 as a whole (``pmbrowse check``)."""

    def __init__(
        self, path: Path | None, *, raw: bytes | None = None, check_later: bool = False, whole: bool = False
    ) -> None:
        """``check_later``: an index without blocks (PMBIDX04) has its columns' and keys' checksum
        checked in a thread (see ``verify``)."""
        self.path = path
        self._views: list[memoryview] = []
        self._checking: LaterCheck | None = None
        self._damage: str | None = None  # what a check found wrong (``verify`` says it)
        self._unread: tuple[dict[str, Any], tuple[Any, ...]] | None = None  # (``__getattr__``)
        self._blocks: indexblocks.BlockCheck | None = None  # (None: a PMBIDX04 index, checked whole)
        # Rebuilds the index from the base when a block does not match (``_damaged``); None: say it.
        self.on_damage: Callable[[str], DocIndex] | None = None
        self._rebuilding = threading.Lock()
        self._retired: list[tuple[list[memoryview], mmap.mmap | bytes]] = []  # (replaced: ``_adopt``)
        # The heads are read with ``pread``, not through the map: an import reads heads all over the
        # index, and each page touched in a map stays in the process's memory (``store.residency``);
        # through an ``OpenFile``, safe to close under a thread reading one (``store.openfile``).
        self._file: OpenFile | None = None
        self._fences: Sequence[int] = ()
        if raw is not None:
            self._map: mmap.mmap | bytes = raw
        else:
            assert path is not None
            self._map, self._file = map_file(path)
        try:
            self._parse(check_later and not whole)
            if whole:
                self.check_all()
        except (ValueError, KeyError, TypeError, struct.error, orjson.JSONDecodeError, BufferError) as exc:
            self.close()
            raise IndexFileError(f"{path} is damaged ({exc})", str(exc)) from None
        except IndexFileError:
            self.close()
            raise

    def _parse(self, check_later: bool) -> None:
        m = self._map
        if not _LITTLE:
            raise ValueError("big-endian machines read indexes by rebuilding them")
        header, body = parse_header(m)
        by_block = m[:8] == MAGIC
        self.generation = field(header, "generation", str)
        self.base = (int(header["base"][0]), int(header["base"][1]))
        self.base_crc = field(header, "base_crc", int)
        self.counts = dict(header["counts"])
        max_id, keys = field(header, "max_id", int), field(header, "keys", int)
        heads = field(header, "heads", int)
        self.next_id = field(header, "next_id", int)
        if self.next_id <= max_id or max_id >= 1 << 32:
            raise ValueError(f"its next id {self.next_id} is not past its last document {max_id}")
        view = memoryview(m)
        self._views.append(view)
        pos = body
        self._columns: dict[str, memoryview] = {}
        at: dict[str, tuple[int, int]] = {}  # (name -> offset, values' size: ``BlockCheck``)
        for name, code in [*COLUMNS, ("hashes", "Q"), ("ids", "I"), ("pmid", "I")]:
            rows = keys if name in ("hashes", "ids") else max_id + 1
            if name == "pmid" and header.get("pmids", False) is False and not by_block:
                break  # (``store.storage.pmids``; none before stop 34)
            if name == "pmid" and header["pmids"] is not True:
                raise ValueError("its pmids is not true")
            at[name] = (pos, array(code).itemsize)
            self._columns[name] = self._view(view, pos, at[name][1] * rows, code)
            pos = aligned(pos + at[name][1] * rows) if name != "hashes" else pos + 8 * keys
        self._hashes, self._ids = self._columns.pop("hashes"), self._columns.pop("ids")
        self._pmids: memoryview | None = self._columns.get("pmid")
        end = pos  # (of the columns and keys: what ``body_crc`` covers)
        if by_block:
            if header.get("blocks") != [indexblocks.ROWS, indexblocks.KEYS]:
                raise ValueError("its blocks are not of this version's size")
            size = indexblocks.tables_size(max_id + 1, keys)
            if pos + size > len(m) or zlib.crc32(view[pos : pos + size]) != field(header, "blocks_crc", int):
                raise ValueError("its block tables do not match their checksum")
            self._blocks = indexblocks.BlockCheck(view, at, max_id + 1, (at["hashes"][0], keys), pos)
            self._views.extend(self._blocks.views())
            pos += size
        self._heads_at = pos
        if pos + heads != len(m):
            raise ValueError("cut off" if pos + heads > len(m) else "longer than its header says")
        self._body = (body, end, field(header, "body_crc", int))
        self.max_id = max_id
        c = self._columns
        self._doc_off, self._doc_len = c["doc_off"], c["doc_len"]
        self._link_off, self._link_len = c["link_off"], c["link_len"]
        self._refs, self._cited, self._flags = c["refs"], c["cited"], c["flags"]
        if self._blocks is not None:
            checks = self._blocks
            self._seen, self._fences, self._per_block = checks.seen, checks.fences, indexblocks.KEYS
            return
        # PMBIDX04: every block taken as checked (the keys one block), the whole body checked instead
        self._seen, self._fences, self._per_block = indexblocks.all_checked(max_id + 1), (0,), max(keys, 1)
        if check_later:  # (taken out until their first read: ``__getattr__``)
            self._unread = ({name: self.__dict__.pop(name) for name in _READ}, (m, body, end, self._body[2]))
        elif crc32_released(m, view, body, end) != self._body[2]:  # (let go of as read: ``store.residency``)
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
        At once for an index checked at opening, or by the block, or none read. A check whose thread ended
        without its answer is done here (``LaterCheck``); one that cannot be done here either is said as
        damage. An index by the block says the damage a read found (``on_damage`` unset)."""
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
            if not self._seen[LOC][doc_id >> SHIFT]:
                self._check(LOC, doc_id >> SHIFT)
            offset = self._doc_off[doc_id]
            if offset:
                return offset, self._doc_len[doc_id]
        return None

    def link_location(self, doc_id: int) -> tuple[int, int] | None:
        """(offset, length) of a document's link record in the base file, or None (it has no links)."""
        if 0 < doc_id <= self.max_id:
            if not self._seen[LINK][doc_id >> SHIFT]:
                self._check(LINK, doc_id >> SHIFT)
            offset = self._link_off[doc_id]
            if offset:
                return offset, self._link_len[doc_id]
        return None

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document of the base."""
        if 0 < doc_id <= self.max_id:
            if not self._seen[COUNTS][doc_id >> SHIFT]:
                self._check(COUNTS, doc_id >> SHIFT)
            return self._refs[doc_id], self._cited[doc_id]
        return 0, 0

    def meta(self, doc_id: int) -> tuple[int, int, int]:
        """(flags, year or 0, citation count or 0) of a document of the base."""
        if not self._seen[META][doc_id >> SHIFT]:
            self._check(META, doc_id >> SHIFT)
        c = self._columns
        return self._flags[doc_id], c["year"][doc_id], c["citation"][doc_id]

    def head(self, doc_id: int) -> bytes:
        """A document's head; raises ``IndexMismatch`` if it is not as it was written, ``FileClosed``
        once the index is closed (one in flight reads on: its columns are read before its ``pread``)."""
        try:
            if not self._seen[HEAD][doc_id >> SHIFT]:
                self._check(HEAD, doc_id >> SHIFT)
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
        if not self._seen[PMID][doc_id >> SHIFT]:
            self._check(PMID, doc_id >> SHIFT)
        pmids = self._pmids
        return pmids[doc_id] if pmids is not None else 0

    @property
    def has_pmids(self) -> bool:
        """Whether the index keeps the PMID column (indexes written since stop 34)."""
        return self._pmids is not None

    def cited_order(self) -> Iterator[int]:
        """Every document of the base, most cited first (``cited_key``)."""
        self._check_group(ORDER)
        for doc_id in self._columns["order"]:
            if not doc_id:
                return
            yield doc_id

    def column(self, name: str) -> memoryview:
        """One column as it is stored (for whole-library passes: the citation order of search)."""
        self._check_group(indexblocks.GROUP_OF[name])
        return self._columns[name]

    @property
    def key_hashes(self) -> Sequence[int]:  # (sorted: ``store.storage.keyfilter`` makes the base's filter)
        return KeyHashes(self)  # (checked whole at their first read, not now: ``store.indexcheck``)

    def release(self) -> None:
        """Drop the map's pages it touched (``store.residency``; each batch: ``Committer.spill``)."""
        release_pages(self._map)

    def candidates(self, key: str) -> list[int]:
        """The documents that may hold ``key`` (every one that does, plus rare hash collisions)."""
        return self.candidates_of(key_hash(key))

    def candidates_of(self, h: int) -> list[int]:
        """As ``candidates``: the key's block found among the fences (the first hash of each), checked
        once and its entries read, and the next block's, checked first, if they run on into it (an
        import asks this of every key its filters do not rule out: the loop tests no block)."""
        hashes, seen, per = self._hashes, self._seen[KEYTABLE], self._per_block
        end = len(hashes)
        b = bisect_left(self._fences, h)
        first = b - 1 if b else 0  # (the block where its first entry is; else it begins block ``b``)
        if first < len(seen) and not seen[first] and self._check(KEYTABLE, first):
            return self.candidates_of(h)  # (rebuilt: asked again of the new index)
        stop = min((first + 1) * per, end)  # (the end of the entries checked)
        i = bisect_left(hashes, h, first * per, stop)
        found: list[int] = []
        while i < end:
            if i == stop:  # (into the next block)
                if not seen[i // per] and self._check(KEYTABLE, i // per):
                    return self.candidates_of(h)
                stop = min(stop + per, end)
            if hashes[i] != h:
                break
            found.append(self._ids[i])
            i += 1
        return found

    def ids(self) -> Iterator[int]:
        """Every document id of the base file, in order."""
        self._check_group(LOC)
        offsets = self._doc_off
        for doc_id in range(1, self.max_id + 1):
            if offsets[doc_id]:
                yield doc_id

    def pairs_except(self, dropped: set[int] | Any) -> Iterator[int]:
        """The (hash << 32 | id) pairs of every document not in ``dropped``, in order."""
        self._check_group(KEYTABLE)
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
        for views, mapped in [*self._retired, (self._views, getattr(self, "_map", None))]:
            for view in reversed(views):
                view.release()
            if isinstance(mapped, mmap.mmap):
                with contextlib.suppress(BufferError):  # (a view held elsewhere: the map is freed with it)
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
