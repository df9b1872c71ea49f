"""Reading a base file whole, record by record: what its document index must say of it.

The index is rebuilt from this (``store.storage.conversion.rebuild_index``), ``pmbrowse check``
compares the index with it (``store.storage.verify``), and ``pmbrowse repair`` reads what it can of a
damaged base with it (``store.storage.repair``). The file is read with ``pread``, a few megabytes at
a time (never mapped: a base cut short while it is read is a short read, never a SIGBUS), and its
CRC-32 is taken on the way (the index keeps it: ``store.docindex``).

``pmbrowse check`` reads a large base in two processes: ``store.storage.halves``.
"""

from __future__ import annotations

import contextlib
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from store import fileformat
from store.docindex import COLUMNS
from store.errors import LibraryFileError
from store.fileformat import Lines as Lines  # (the one line reader; imported from here: ``halves``)
from store.merge import doc_keys
from store.schema import ARTICLES_TABLE, LINKS_TABLE, SCHEMA_VERSION
from store.storage.columns import Pairs
from store.storage.indexwriter import IndexData, pairs_of
from store.storage.meta import head_of, meta_of
from store.storage.snapshot import decode, decode_links

# A record with an id this far past the count of records is refused (``generation.check_ids``).
SPREAD = 64
LIMIT = 20  # problems said one by one; past this, counted


class LinkSink(Protocol):
    """What is told each link record's targets, in a scan made in two processes: ``part`` is what it
    gathered (sent from the child), ``merge`` takes in the child's."""

    def add(self, doc_id: int, refs: list[int], cited_by: list[int]) -> None: ...

    def part(self) -> Any: ...

    def merge(self, part: Any) -> None: ...


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
    ids: dict[str, tuple[int, int]] = field(default_factory=dict)  # each table's lowest and highest id
    sink_part: Any = None  # (a child's: what its ``LinkSink`` gathered)

    def problem(self, text: str) -> None:
        self.skipped += 1
        if len(self.problems) < LIMIT:
            self.problems.append(text)


def grow(columns: dict[str, array[int]], doc_id: int) -> None:
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
) -> Scan:
    """Read the base at ``fd`` whole (see the module docstring). A record that cannot be read raises
    ``LibraryFileError``, or when ``lenient`` is said in ``Scan.problems`` and left out (as is the rest
    of a file cut off or out of layout). ``on_links(doc_id, references, cited_by)`` is called with each
    link record's targets, as is ``sink.add``; ``on_record(table, doc_id, raw)`` with each record read.
    """
    scan, lines = new_scan(generation, stat), Lines(fd, stat.st_size)
    with read_errors(path):
        body = (item for item in lines if item[0] >= docs_start)
        tell = on_links if sink is None else sink.add
        scan_part(path, body, (ARTICLES_TABLE, LINKS_TABLE), scan, 0, lenient, tell, on_record)
        lines.drain()
    return finish_scan(path, scan, lines, stat, lenient)


def base_layout(fd: int) -> tuple[str, int] | None:
    """The generation of the base at ``fd`` and where its documents start, when its header says it is
    in this version's layout (None: another's, or no header: ``pmbrowse check`` and ``repair`` say so)."""
    header, start = fileformat.read_base_header(os.pread(fd, 1 << 16, 0))
    if header is None or header.get("schema") != SCHEMA_VERSION:
        return None
    generation = header.get("generation")
    return (generation, start) if isinstance(generation, str) else None


@contextlib.contextmanager
def read_errors(path: Path) -> Iterator[None]:
    """An I/O error reading the base said in one line naming it."""
    try:
        yield
    except OSError as exc:
        raise LibraryFileError(f"cannot read {path}: {exc.strerror or exc}; it was left as it is") from None


def finish_scan(path: Path, scan: Scan, lines: Lines, stat: os.stat_result, lenient: bool) -> Scan:
    """The columns sized to the last record, the counts and the CRC set, once every line was read."""
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


def new_scan(generation: str, stat: os.stat_result) -> Scan:
    # (the key pairs 12 bytes each, as a fold's: ``columns.Pairs``; a list of them held some 48)
    data = IndexData(generation, {}, 1, {name: array(code) for name, code in COLUMNS}, Pairs())
    data.base = (stat.st_size, stat.st_mtime_ns)
    return Scan(data)


def scan_part(
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
            grow(columns, doc_id)
            scan.max_id = max(scan.max_id, doc_id)
            span = ids.get(table)  # (the lowest and highest: a damaged id can be out of order)
            if span is None or doc_id > span[1]:
                ids[table] = (span[0] if span is not None else doc_id, doc_id)
            elif doc_id < span[0]:
                ids[table] = (doc_id, span[1])
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
