"""Reading a base file whole, record by record: what its document index must say of it.

The index is rebuilt from this (``store.storage.conversion.rebuild_index``), ``pmbrowse check``
compares the index with it (``store.storage.verify``), and ``pmbrowse repair`` reads what it can of a
damaged base with it (``store.storage.repair``). The file is read with ``pread``, a few megabytes at
a time (never mapped: a base cut short while it is read is a short read, never a SIGBUS), and its
CRC-32 is taken on the way (the index keeps it: ``store.docindex``).

``pmbrowse check`` reads a large base in two processes (``parallel``): a forked child reads the second
half (from a line boundary, in the table it falls in) while this process reads the first, then sends
what it found (columns, heads, key pairs, counts, problems, its link sums) through a pipe. Both cores
work; a child that fails is no failure of the check (this process reads its half itself). Only a
process without other threads forks (a fork copies one thread: another's locks would stay held).
"""

from __future__ import annotations

import io
import os
import pickle
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from store import fileformat
from store.docindex import COLUMNS
from store.errors import LibraryFileError
from store.merge import doc_keys
from store.schema import ARTICLES_TABLE, LINKS_TABLE
from store.storage.indexwriter import IndexData, pairs_of
from store.storage.meta import head_of, meta_of
from store.storage.snapshot import decode, decode_links

# A record with an id this far past the count of records is refused (``generation.check_ids``).
SPREAD = 64
LIMIT = 20  # problems said one by one; past this, counted
PARALLEL_BYTES = 16 << 20  # a base smaller than this is read in one process
LINKS_OPENING = b"\n},\n" + b'"%s":{\n' % LINKS_TABLE.encode()  # (where the links table starts)
DOC_COLUMNS = ("doc_off", "doc_len", "head_off", "head_len", "head_crc", "flags", "year", "citation")
LINK_COLUMNS = ("link_off", "link_len", "refs", "cited")


class LinkSink(Protocol):
    """What is told each link record's targets, in a scan made in two processes: ``part`` is what it
    gathered (sent from the child), ``merge`` takes in the child's."""

    def add(self, doc_id: int, refs: list[int], cited_by: list[int]) -> None: ...

    def part(self) -> Any: ...

    def merge(self, part: Any) -> None: ...


class Lines:
    """The lines of an open file from offset 0, read with ``pread`` in chunks; ``crc`` is the CRC-32 of
    the bytes read so far (``drain`` reads the rest)."""

    def __init__(self, fd: int, size: int, start: int = 0) -> None:
        self.fd, self.size = fd, size
        self.crc = 0
        self.read = self.start = start

    def _chunks(self) -> Iterator[bytes]:
        while self.read < self.size:
            chunk = os.pread(self.fd, min(fileformat.CHUNK, self.size - self.read), self.read)
            if not chunk:
                return  # (cut short meanwhile: the scan says "cut off")
            self.read += len(chunk)
            self.crc = zlib.crc32(chunk, self.crc)
            yield chunk

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        buffer, at = b"", self.start
        for chunk in self._chunks():
            buffer += chunk
            begin = 0
            while (end := buffer.find(b"\n", begin)) >= 0:
                yield at + begin, buffer[begin:end]
                begin = end + 1
            at += begin
            buffer = buffer[begin:]
        if buffer:
            yield at, buffer

    def drain(self) -> None:
        for _chunk in self._chunks():
            pass


@dataclass
class Scan:
    """What a base file holds, as its index says it: the index's data, the records that could not be
    read (``problems``), and the base's size and CRC."""

    data: IndexData
    problems: list[str] = field(default_factory=list)
    skipped: int = 0
    count: int = 0
    totals: list[int] = field(default_factory=lambda: [0, 0, 0])  # records, stubs, links
    max_id: int = 0
    ids: dict[str, tuple[int, int]] = field(default_factory=dict)  # each table's first and last id
    sink_part: Any = None  # (a child's: what its ``LinkSink`` gathered)

    def problem(self, text: str) -> None:
        self.skipped += 1
        if len(self.problems) < LIMIT:
            self.problems.append(text)


def _grow(columns: dict[str, array[int]], doc_id: int) -> None:
    have = len(columns["doc_off"])
    if doc_id >= have:
        more = max(doc_id + 1, have * 2) - have
        for name, code in COLUMNS:
            columns[name].extend(array(code, bytes(array(code).itemsize * more)))


def scan_base(
    path: Path,
    fd: int,
    stat: os.stat_result,
    generation: str,
    docs_start: int,
    *,
    lenient: bool = False,
    on_links: Callable[[int, list[int], list[int]], None] | None = None,
    on_record: Callable[[str, int, bytes], None] | None = None,
    sink: LinkSink | None = None,
    parallel: bool = False,
) -> Scan:
    """Read the base at ``fd`` whole (see the module docstring). A record that cannot be read raises
    ``LibraryFileError``, or when ``lenient`` is said in ``Scan.problems`` and left out (as is the rest
    of a file cut off or out of layout). ``on_links(doc_id, references, cited_by)`` is called with each
    link record's targets, as is ``sink.add``; ``on_record(table, doc_id, raw)`` with each record read.
    ``parallel`` (with ``lenient``, and no ``on_links`` nor ``on_record``): in two processes."""
    tell = on_links if sink is None else sink.add
    scan = _new_scan(generation, stat)
    lines = Lines(fd, stat.st_size)
    split = (
        _split(fd, stat.st_size, docs_start)
        if parallel and lenient and on_links is None and on_record is None and threading.active_count() == 1
        else None
    )
    if split is None:
        body: Iterable[tuple[int, bytes]] = (item for item in lines if item[0] >= docs_start)
        _scan_part(path, body, (ARTICLES_TABLE, LINKS_TABLE), scan, 0, lenient, tell, on_record)
    else:
        mid, in_links, before = split
        child = _fork_part(path, fd, stat, generation, split, sink)
        lines.size = mid
        first = (item for item in lines if item[0] >= docs_start)
        # (the first half ends as if the file ended there: its tables closed)
        ending = [(mid, b"}")] if in_links else [(mid, b"},"), (mid, b'"links":{'), (mid, b"}")]
        _scan_part(path, _then(first, ending), (ARTICLES_TABLE, LINKS_TABLE), scan, 0, True, tell, None)
        second = _join_part(child)
        if second is None:  # (the child failed: read its half here)
            second = _new_scan(generation, stat)
            _scan_part(
                path, Lines(fd, stat.st_size, mid), _tables(in_links), second, before, True, tell, None
            )
        elif sink is not None:
            sink.merge(second.sink_part)
        _merge(scan, second)
        lines.size = stat.st_size
    lines.drain()
    data, columns, max_id = scan.data, scan.data.columns, scan.max_id
    for name, code in COLUMNS:  # (ids up to the last record's)
        del columns[name][max_id + 1 :]
        if len(columns[name]) < max_id + 1:
            columns[name].extend(array(code, bytes(array(code).itemsize * (max_id + 1 - len(columns[name])))))
    data.pairs.sort()
    data.counts = dict(zip(("records", "stubs", "links"), scan.totals, strict=True))
    data.next_id = max_id + 1
    data.base_crc = lines.crc
    if lines.read != stat.st_size:
        message = f"{path} is shorter than it was when it was opened; it was left as it is"
        if not lenient:
            raise LibraryFileError(message)
        scan.problem(message)
    return scan


def _new_scan(generation: str, stat: os.stat_result) -> Scan:
    data = IndexData(generation, {}, 1, {name: array(code) for name, code in COLUMNS}, [])
    data.base = (stat.st_size, stat.st_mtime_ns)
    return Scan(data)


def _tables(in_links: bool) -> tuple[str, ...]:
    return (LINKS_TABLE,) if in_links else (ARTICLES_TABLE, LINKS_TABLE)


def _then(first: Iterable[tuple[int, bytes]], more: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield from first
    yield from more


def _scan_part(
    path: Path,
    body: Iterable[tuple[int, bytes]],
    tables: tuple[str, ...],
    scan: Scan,
    before: int,
    lenient: bool,
    on_links: Callable[[int, list[int], list[int]], None] | None,
    on_record: Callable[[str, int, bytes], None] | None,
) -> None:
    """Scan record lines into ``scan`` (``before``: about how many records come before them)."""
    data, columns, totals, ids = scan.data, scan.data.columns, scan.totals, scan.ids
    try:
        for table, doc_id, offset, raw in fileformat.scan_lines(iter(body), tables):
            if doc_id > SPREAD * (before + scan.count + 1024) or doc_id >= 1 << 32 or doc_id < 1:
                raise ValueError(f"record {doc_id} at byte {offset} has an id pmbrowse never writes")
            try:
                if table == ARTICLES_TABLE:
                    doc = decode(path, raw, doc_id)
                else:
                    record = decode_links(path, raw, doc_id)
            except LibraryFileError as exc:
                if not lenient:
                    raise
                scan.problem(str(exc))
                continue
            _grow(columns, doc_id)
            scan.max_id = max(scan.max_id, doc_id)
            ids[table] = (ids.get(table, (doc_id, 0))[0], doc_id)
            if on_record is not None:
                on_record(table, doc_id, raw)
            if table == ARTICLES_TABLE:
                scan.count += 1
                columns["doc_off"][doc_id], columns["doc_len"][doc_id] = offset, len(raw)
                meta = meta_of(doc)
                columns["flags"][doc_id], columns["year"][doc_id], columns["citation"][doc_id] = meta
                data.add_head(doc_id, head_of(doc))
                data.pairs.extend(pairs_of(doc_id, doc_keys(doc)))  # type: ignore[arg-type]
                totals[1 if meta.stub else 0] += 1
            else:
                refs = list(dict.fromkeys(record.get("references") or ()))  # type: ignore[call-overload]
                cited = list(dict.fromkeys(record.get("cited_by") or ()))  # type: ignore[call-overload]
                columns["link_off"][doc_id], columns["link_len"][doc_id] = offset, len(raw)
                columns["refs"][doc_id], columns["cited"][doc_id] = len(refs), len(cited)
                totals[2] += len(refs)
                if on_links is not None:
                    on_links(doc_id, refs, cited)
    except ValueError as exc:
        if not lenient:
            raise LibraryFileError(f"{path} is damaged: {exc}; it was left as it is") from None
        scan.problem(f"{path} is damaged: {exc}")


def _split(fd: int, size: int, docs_start: int) -> tuple[int, bool, int] | None:
    """Where the second half of the base starts (a line's start near the middle), whether it is in the
    links table, and how many lines come before it; None: too small, or not in the layout (then one
    process reads it, and says what is wrong)."""
    if size < PARALLEL_BYTES:
        return None
    middle = docs_start + (size - docs_start) // 2
    boundary, lines, pos, tail = -1, 0, docs_start, b""
    while pos < size:
        chunk = os.pread(fd, min(fileformat.CHUNK, size - pos), pos)
        if not chunk:
            return None
        if boundary < 0 and (at := (tail + chunk).find(LINKS_OPENING)) >= 0:
            boundary = pos - len(tail) + at
        if pos < middle:
            lines += chunk.count(b"\n", 0, max(0, middle - pos))
        tail = chunk[-len(LINKS_OPENING) :]
        pos += len(chunk)
        if boundary >= 0 and pos >= middle:
            break
    if boundary < 0:
        return None
    found = os.pread(fd, 1 << 20, middle).find(b"\n")
    if found < 0:
        return None
    mid = middle + found + 1  # (the start of the line after the middle)
    before = lines + 1  # (the lines up to the middle, and the one across it)
    in_links = mid > boundary
    if in_links:
        mid = max(mid, boundary + len(LINKS_OPENING))  # (not the table's closing and opening lines)
    return mid, in_links, before


def _fork_part(
    path: Path,
    fd: int,
    stat: os.stat_result,
    generation: str,
    split: tuple[int, bool, int],
    sink: LinkSink | None,
) -> tuple[int, int] | None:
    """Start the child that reads the second half (its pid and the pipe's reading end; None: no
    child)."""
    mid, in_links, before = split
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid:
        os.close(w)
        return pid, r
    try:  # (the child)
        os.close(r)
        part = _new_scan(generation, stat)
        _scan_part(
            path,
            Lines(fd, stat.st_size, mid),
            _tables(in_links),
            part,
            before,
            True,
            sink.add if sink is not None else None,
            None,
        )
        heads = part.data.heads
        assert isinstance(heads, io.BytesIO)
        found = (
            part.data.columns,
            heads.getvalue(),
            part.data.pairs,
            part.problems,
            part.skipped,
            part.count,
            part.totals,
            part.max_id,
            part.ids,
            sink.part() if sink is not None else None,
        )
        with os.fdopen(w, "wb") as out:
            pickle.dump(found, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # (the parent reads this half itself)
        os._exit(1)
    os._exit(0)


def _join_part(child: tuple[int, int] | None) -> Scan | None:
    """What the child found (None: it failed)."""
    if child is None:
        return None
    pid, r = child
    with os.fdopen(r, "rb") as fh:
        raw = fh.read()
    _pid, status = os.waitpid(pid, 0)
    if status != 0 or not raw:
        return None
    columns, heads, pairs, problems, skipped, count, totals, max_id, ids, sink_part = pickle.loads(raw)
    data = IndexData("", {}, 1, columns, pairs, io.BytesIO(heads))
    return Scan(data, problems, skipped, count, totals, max_id, ids, sink_part)


def _merge(scan: Scan, second: Scan) -> None:
    """Take in what the second half found: its tables' columns (for the ids it read), heads, key pairs,
    counts and problems."""
    columns, theirs = scan.data.columns, second.data.columns
    _grow(columns, second.max_id)
    shift = scan.data.heads.tell()
    scan.data.heads.write(second.data.heads.getvalue())  # type: ignore[attr-defined]
    for table, names, present in (
        (ARTICLES_TABLE, DOC_COLUMNS, "doc_off"),
        (LINKS_TABLE, LINK_COLUMNS, "link_off"),
    ):
        if table not in second.ids:
            continue
        first, last = second.ids[table]
        overlap = table in scan.ids and scan.ids[table][1] >= first
        for name in names:
            mine, other = columns[name], theirs[name]
            if not overlap:  # (ids in order, as pmbrowse writes them: the second half's ids come after)
                mine[first : last + 1] = other[first : last + 1]
                continue
            for doc_id in range(first, last + 1):
                if theirs[present][doc_id]:
                    mine[doc_id] = other[doc_id]
        if table == ARTICLES_TABLE:
            head_off, there = columns["head_off"], theirs["doc_off"]
            for doc_id in range(first, last + 1):
                if there[doc_id]:
                    head_off[doc_id] = theirs["head_off"][doc_id] + shift
    scan.data.pairs.extend(second.data.pairs)
    for problem in second.problems:
        scan.problem(problem)
    scan.skipped += second.skipped - len(second.problems)
    scan.count += second.count
    scan.totals = [a + b for a, b in zip(scan.totals, second.totals, strict=True)]
    scan.max_id = max(scan.max_id, second.max_id)
