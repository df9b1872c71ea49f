"""How a library file's bytes are laid out: plain JSON (TinyDB reads it), one document per line.

    {
    "_meta":{
    "1":{"app":"pmbrowse","schema":1}
    },
    "articles":{
    "1":{"pmid":"30992990",...},
    "2":{...}
    }
    }

Why one document per line: a file of 500 MB parsed in one ``orjson.loads`` call holds the
interpreter for seconds, and the app (which loads the library in a background thread) could not
redraw or take a key meanwhile. Parsed line by line, the same bytes take about as long, but other
threads run in between. A file in any other JSON layout (written by hand, or by TinyDB itself) is
read whole.
"""

from __future__ import annotations

import mmap
import os
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from store import crc32

OPTIONS = orjson.OPT_NON_STR_KEYS


def dump(data: dict[str, dict[str, Any]]) -> bytes:
    parts = [b"{"]
    tables = list(data.items())
    for t, (name, table) in enumerate(tables):
        parts.append(orjson.dumps(str(name)) + b":{")
        docs = list(table.items())
        for i, (doc_id, doc) in enumerate(docs):
            line = orjson.dumps(str(doc_id)) + b":" + orjson.dumps(doc, option=OPTIONS)
            parts.append(line + b"," if i < len(docs) - 1 else line)
        parts.append(b"}," if t < len(tables) - 1 else b"}")
    parts.append(b"}\n")
    return b"\n".join(parts)


def load(raw: bytes) -> Any:
    """The JSON value in ``raw``; raises ``orjson.JSONDecodeError`` (with line and column) if invalid."""
    if raw.startswith(b"{\n"):
        try:
            return _load_lines(raw)
        except (ValueError, IndexError):
            pass  # not quite our layout: the whole-file parse below says what is wrong, and where
    return orjson.loads(raw)


def _lines(raw: bytes) -> Iterator[bytes]:
    """The lines of ``raw`` one at a time (``split`` would be one long call on a large file)."""
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        if end < 0:
            end = len(raw)
        yield raw[start:end]
        start = end + 1


def _load_lines(raw: bytes) -> dict[str, dict[str, Any]]:
    lines = _lines(raw)
    next(lines)  # the opening brace
    data: dict[str, dict[str, Any]] = {}
    table: dict[str, Any] | None = None
    ended = False
    for line in lines:
        if not line:
            continue
        if ended:
            raise ValueError("text after the end")
        if table is None:
            if line == b"}":
                ended = True
                continue
            if not line.endswith(b":{"):
                raise ValueError("expected a table")
            table = data[orjson.loads(line[:-2])] = {}
        elif line in (b"}", b"},"):
            table = None
        else:
            if line.endswith(b","):
                line = line[:-1]
            split = line.index(b'":')
            table[orjson.loads(line[: split + 1])] = orjson.loads(line[split + 2 :])
    if not ended:
        raise ValueError("cut off")
    return data


# Writing and reading a library's base file document by document -----------------------------------
#
# The base file of a library is written in the layout above by ``BaseWriter``: the header, then the
# ``articles`` table, then the ``links`` table (see ``store.schema``), one record per line in id order.
# It records where each record's JSON starts and how long it is, so the document index
# (``store.docindex``) can point at it.

ARTICLES_OPENING = b'"articles":{\n'


class BaseWriter:
    """Writes ``{"_meta":{"1":header},"articles":{...},"links":{...}}`` one record per line, in id order
    within each table; ``crc`` is the CRC-32 of what it wrote (the document index keeps it)."""

    def __init__(self, fh: BinaryIO, header: dict[str, Any] | None, *, at: int = 0) -> None:
        """``header`` None: a writer of one table's records alone, the first at ``at`` (where ``fh``
        is): what another writer of the same file, reaching ``at``, steps over (``skip_table_body``;
        ``store.storage.foldlinks``)."""
        self._fh = fh
        self.crc = 0
        self._pos = at
        self._first = True
        if header is not None:
            opening = b'{\n"_meta":{\n"1":' + orjson.dumps(header) + b"\n},\n" + ARTICLES_OPENING
            self._write(opening)
            self._pos = len(opening)

    @property
    def position(self) -> int:
        """Where the next byte it writes goes."""
        return self._pos

    def _write(self, raw: bytes) -> None:
        self._fh.write(raw)
        self.crc = zlib.crc32(raw, self.crc)

    def skip_table_body(self, length: int, crc: int) -> None:
        """The current table, still empty, holds the ``length`` bytes another writer (one without a
        header, from this one's ``position``) wrote into the same file: step over them (``crc``: their
        CRC-32, that writer's ``crc``)."""
        assert self._first, "a table body goes into an empty table"
        self._fh.flush()
        self._fh.seek(self._pos + length)
        self.crc = crc32.combine(self.crc, crc, length)
        self._pos += length
        self._first = length == 0

    def add(self, doc_id: int, doc_json: bytes) -> int:
        """Write one record (its JSON, already encoded) in the current table; returns its offset."""
        prefix = b'"%d":' % doc_id if self._first else b',\n"%d":' % doc_id
        self._first = False
        self._write(prefix)
        self._write(doc_json)
        offset = self._pos + len(prefix)
        self._pos = offset + len(doc_json)
        return offset

    def next_table(self, name: str) -> None:
        """End the current table and start the next one."""
        opening = table_opening(name)
        self._write(opening)
        self._pos += len(opening)
        self._first = True

    def close(self) -> None:
        self._write(b"\n}\n}\n")


def table_opening(name: str) -> bytes:
    """What ends a table and starts the next, ``name``."""
    return b"\n},\n" + orjson.dumps(name) + b":{\n"


def read_base_header(head: bytes) -> tuple[dict[str, Any] | None, int]:
    """The ``_meta`` header of a base file in the layout above, and where its first document line
    starts; (None, 0) when the file does not start in this layout."""
    start = b'{\n"_meta":{\n"1":'
    if not head.startswith(start):
        return None, 0
    end = head.find(b"\n", len(start))
    rest = head.find(b"\n},\n" + ARTICLES_OPENING, end)
    if end < 0 or rest != end:
        return None, 0
    try:
        header = orjson.loads(head[len(start) : end])
    except orjson.JSONDecodeError:
        return None, 0
    return (header if isinstance(header, dict) else None), end + 4 + len(ARTICLES_OPENING)


def scan_documents(
    data: bytes | mmap.mmap, start: int, tables: tuple[str, ...] = ("articles",)
) -> Iterator[tuple[str, int, int, int]]:
    """(table, record id, offset, length) of each record line of a base file from ``start`` (the first
    line of the first of ``tables``, which must follow each other in this order); raises ValueError
    where the layout is not followed."""
    for table, doc_id, offset, line in scan_lines(_lines_at(data, start), tables):
        yield table, doc_id, offset, len(line)


def scan_lines(
    lines: Iterator[tuple[int, bytes]], tables: tuple[str, ...] = ("articles",)
) -> Iterator[tuple[str, int, int, bytes]]:
    """(table, record id, offset, the record's JSON) of each record line of a base file, from its
    lines as (offset, line) from the first line of the first of ``tables``; raises ValueError where the
    layout is not followed."""
    t = 0
    for pos, line in lines:
        if not line:  # (the line an empty table leaves)
            continue
        if line in (b"}", b"},"):
            t += 1
            if line == b"}":
                if t < len(tables):
                    raise ValueError(f"table {tables[t]!r} is missing")
                return
            if t >= len(tables):
                raise ValueError(f"a table other than {', '.join(tables)} at byte {pos}")
            at, opening = next(lines, (pos + len(line) + 1, b""))
            if opening != orjson.dumps(tables[t]) + b":{":
                raise ValueError(f"expected table {tables[t]!r} at byte {at}")
            continue
        colon = line.find(b'":')
        id_text = line[1:colon] if line[:1] == b'"' and colon > 0 else b""
        if not (id_text.isdigit() and id_text.isascii()):
            raise ValueError(f"not a record line at byte {pos}")
        body = line[colon + 2 : -1] if line.endswith(b",") else line[colon + 2 :]
        yield tables[t], int(id_text), pos + colon + 2, body
    raise ValueError("cut off")


def _lines_at(data: bytes | mmap.mmap, start: int) -> Iterator[tuple[int, bytes]]:
    pos, size = start, len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        if end < 0:
            end = size
        yield pos, data[pos:end]
        pos = end + 1


CHUNK = 8 << 20


class Lines:
    """The lines of an open file from ``start`` to ``size``, as (offset, line), read with ``pread`` a
    few megabytes at a time (never mapped: a file cut short under the reader is a short read, which
    ends the lines early, never a SIGBUS). ``crc`` is the CRC-32 of the bytes read so far (from
    ``start``), ``read`` where the reading got to; ``drain`` reads the rest. (The one line reader of a
    file: a base's scan, ``store.storage.basescan``, and a conversion's, ``file_lines``.)"""

    def __init__(self, fd: int, size: int, start: int = 0) -> None:
        self.fd, self.size = fd, size
        self.crc = 0
        self.read = self.start = start

    def _chunks(self) -> Iterator[bytes]:
        while self.read < self.size:
            chunk = os.pread(self.fd, min(CHUNK, self.size - self.read), self.read)
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


def file_lines(fd: int, start: int, size: int) -> Iterator[tuple[int, bytes]]:
    """The lines of an open file from ``start`` to ``size``, as (offset, line) (``Lines``)."""
    return iter(Lines(fd, size, start))


def file_crc(fd: int, size: int) -> int:
    """The CRC-32 of an open file's first ``size`` bytes (read with ``pread``)."""
    crc, pos = 0, 0
    while pos < size:
        chunk = os.pread(fd, min(CHUNK, size - pos), pos)
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        pos += len(chunk)
    return crc
