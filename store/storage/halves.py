"""Reading a large base in two processes (``pmbrowse check``): what ``store.storage.basescan.scan_base``
finds, with both cores at work.

A forked child reads the second half (from a record line near the middle, in the table it falls in)
while this process reads the first, then sends what it found (its ``Scan``: columns, heads, key pairs,
counts, problems, its link sums) through a pipe. A child that fails is no failure of the check (this
process reads its half itself). Only a process without other threads forks (a fork copies one thread:
another's locks would stay held).

Where the middle falls (which table, how many documents come before it: the one-process scan's count
there, for its check of ids) comes from the base's document index, checked against the record line
found there; with no index, or one that does not say where that line is, one process reads the file.
So the first half is read once. If this process's half fails, the child is killed and waited for and
the pipe closed before the error goes on (an I/O error: one line naming the file).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from store.docindex import DocIndex
from store.schema import ARTICLES_TABLE, LINKS_TABLE
from store.storage.basescan import (
    Lines,
    LinkSink,
    Scan,
    finish_scan,
    grow,
    new_scan,
    read_errors,
    scan_base,
    scan_part,
)

PARALLEL_BYTES = 16 << 20  # a base smaller than this is read in one process
DOC_COLUMNS = ("doc_off", "doc_len", "head_off", "head_len", "head_crc", "flags", "year", "citation")
LINK_COLUMNS = ("link_off", "link_len", "refs", "cited")


def scan_in_two(
    path: Path,
    fd: int,
    stat: os.stat_result,
    generation: str,
    docs_start: int,
    *,
    sink: LinkSink | None,
    index: DocIndex | None,
) -> Scan:
    """``scan_base(..., lenient=True, sink=sink)``, in two processes where ``index`` (the base's document
    index) says where the middle is (see the module docstring)."""
    split = _split(fd, stat.st_size, docs_start, index) if threading.active_count() == 1 else None
    if split is None:
        return scan_base(path, fd, stat, generation, docs_start, lenient=True, sink=sink)
    scan, lines = new_scan(generation, stat), Lines(fd, stat.st_size)
    with read_errors(path):
        _read_halves(path, fd, stat, (generation, docs_start), split, scan, lines, sink)
        lines.drain()
    return finish_scan(path, scan, lines, stat, True)


def _split(fd: int, size: int, docs_start: int, index: DocIndex | None) -> tuple[int, bool, int] | None:
    """Where the second half of the base starts (the first record line after the middle), whether it is
    in the links table, and how many documents come before it (the one-process scan's count there, for
    its check of ids), from ``index``, checked against that line; None: too small, no index, or one
    that does not say where that line is (then one process reads it, and says what is wrong)."""
    if size < PARALLEL_BYTES or index is None:
        return None
    middle = docs_start + (size - docs_start) // 2
    near = os.pread(fd, 1 << 20, middle)
    begin = near.find(b"\n") + 1
    for _line in range(3):  # (past the tables' closing and opening lines, if the middle is there)
        end = near.find(b"\n", begin)
        if not begin or end < 0:
            return None
        line = near[begin:end]
        colon = line.find(b'":')
        id_text = line[1:colon] if line[:1] == b'"' and colon > 0 else b""
        if id_text.isdigit() and id_text.isascii():
            break
        begin = end + 1
    else:
        return None
    mid, doc_id, where = middle + begin, int(id_text), (middle + begin + colon + 2, len(line) - colon - 2)
    where = (where[0], where[1] - 1) if line.endswith(b",") else where
    documents = index.column("doc_len")  # (0: no document of that id)
    if index.location(doc_id) == where:
        return mid, False, doc_id - documents[:doc_id].tolist().count(0)
    if index.link_location(doc_id) == where:
        return mid, True, len(documents) - documents.tolist().count(0)
    return None


@dataclass
class _Child:
    """The child reading the second half: its pid, and the pipe's reading end until it is closed."""

    pid: int
    fd: int

    def join(self) -> Scan | None:
        """What the child found (None: it failed)."""
        with os.fdopen(self.fd, "rb") as fh:
            self.fd = -1
            raw = fh.read()
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status != 0 or not raw:
            return None
        found: Scan = pickle.loads(raw)
        return found

    def end(self) -> None:
        """Kill the child if it was not joined (this process's half failed): no zombie, no open pipe."""
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _fork_part(
    path: Path,
    fd: int,
    stat: os.stat_result,
    generation: str,
    split: tuple[int, bool, int],
    sink: LinkSink | None,
) -> _Child | None:
    """Start the child that reads the second half (None: no child)."""
    mid, in_links, before = split
    try:
        r, w = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid:
        os.close(w)
        return _Child(pid, r)
    try:  # (the child)
        os.close(r)
        part = new_scan(generation, stat)
        tell = sink.add if sink is not None else None
        scan_part(path, Lines(fd, stat.st_size, mid), _tables(in_links), part, before, True, tell, None)
        part.sink_part = sink.part() if sink is not None else None
        with os.fdopen(w, "wb") as out:
            pickle.dump(part, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # (the parent reads this half itself)
        os._exit(1)
    os._exit(0)


def _read_halves(
    path: Path,
    fd: int,
    stat: os.stat_result,
    base: tuple[str, int],
    split: tuple[int, bool, int],
    scan: Scan,
    lines: Lines,
    sink: LinkSink | None,
) -> None:
    """The first half read here (``lines``, into ``scan``) while a child reads the second; then what
    the child found taken in. Whatever happens here, the child is ended (``_Child.end``)."""
    (generation, docs_start), (mid, in_links, before) = base, split
    tell = sink.add if sink is not None else None
    child = _fork_part(path, fd, stat, generation, split, sink)
    try:
        lines.size = mid
        first = (item for item in lines if item[0] >= docs_start)
        # (the first half ends as if the file ended there: its tables closed)
        ending = [(mid, b"}")] if in_links else [(mid, b"},"), (mid, b'"links":{'), (mid, b"}")]
        scan_part(path, _then(first, ending), (ARTICLES_TABLE, LINKS_TABLE), scan, 0, True, tell, None)
        second = child.join() if child is not None else None
    finally:
        if child is not None:
            child.end()
    if second is None:  # (the child failed: read its half here)
        second = new_scan(generation, stat)
        scan_part(path, Lines(fd, stat.st_size, mid), _tables(in_links), second, before, True, tell, None)
    elif sink is not None:
        sink.merge(second.sink_part)
    _merge(scan, second)
    lines.size = stat.st_size


def _tables(in_links: bool) -> tuple[str, ...]:
    return (LINKS_TABLE,) if in_links else (ARTICLES_TABLE, LINKS_TABLE)


def _then(first: Iterable[tuple[int, bytes]], more: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield from first
    yield from more


def _merge(scan: Scan, second: Scan) -> None:
    """Take in what the second half found: its tables' columns (for the ids it read), heads, key pairs,
    counts and problems."""
    columns, theirs = scan.data.columns, second.data.columns
    grow(columns, second.max_id)
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
