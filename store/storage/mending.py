"""A segment whose tables are damaged or cut off, read again from its documents (``pmbrowse repair``).

A segment (``store.storage.segment``) is its documents, heads and link changes, JSON one after the
other, then the tables that say where each is and which document it is, then a footer saying where
the tables are. A cut at its end (a copy interrupted, a full disk: by one byte, the footer's last)
or a table that does not match its checksum made repair set the whole segment aside, every document
of it gone from the library until restored by hand, though its documents were whole. Here the
footer is looked for where it was cut, and the tables that say where each piece is are made anew from
the pieces themselves:

- the data is split into its JSON values (each ends where the text so far parses as one object);
- each row of the tables is matched to the piece every table it still has agrees with (its place,
  its length, where its head is, for a document its identity keys in the key table, for a link
  change its counts), and to a document followed by a head, or a link change;
- a row that more than one piece could be, or none, is not guessed at: the segment cannot be read.

Which document a row is comes from the id tables (``doc_ids``, ``link_ids``), which must match their
checksums (or, without them, be in order and below the library's next id); without them nothing says
which document a piece is, and the segment is set aside as before. What is made anew is checked as
any segment is: each document decoded where it is folded into the new generation.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import zlib
from array import array
from pathlib import Path
from typing import Any

import orjson

from store.docindex import key_hash, open_regular
from store.errors import LibraryFileError
from store.journal import read_tail
from store.merge import doc_keys
from store.storage.columns import Pairs
from store.storage.indexwriter import pairs_of
from store.storage.links import RELS
from store.storage.matching import assign, pieces_of
from store.storage.meta import head_of, meta_of
from store.storage.pmids import head_pmid
from store.storage.segment import REMOVED_LENGTH, SegmentError, SegmentFile
from store.storage.segmentcheck import change_counts
from store.storage.segmentformat import DOC_COLUMNS, LINK_COLUMNS, MAGIC, layout
from store.storage.segmentids import check_all
from store.storage.snapshot import decode, decode_links

LOCATIONS = ("doc_off", "doc_len", "link_off", "link_len")
_PREFIX = re.compile(
    rb'\{"generation":"([^"]*)","docs":(\d+),"links":(\d+),"keys":(\d+)(,"pmids":true)?(,"rank":(\d+))?'
    rb'(,"block":(\d+))?'
)


def mend(path: Path, generation: str, limit: int) -> tuple[SegmentFile, str]:
    """The segment at ``path`` with its tables made anew from its documents where they are damaged or
    cut off, and what was done in words; ``SegmentError`` (saying why) if it cannot be read so."""
    try:
        fd = open_regular(path)
    except OSError as exc:
        raise SegmentError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        raw = read_tail(fd, 0)  # (the whole file, read in 16 MB pieces)
        columns, what = _mended_columns(path, raw, generation, limit)
    except BaseException:
        os.close(fd)
        raise
    return SegmentFile.mended(path, fd, len(raw), generation, columns), what


def _mended_columns(path: Path, raw: bytes, generation: str, limit: int) -> tuple[dict[str, array[int]], str]:
    footer, start = _footer(path, raw)
    if footer.get("generation") != generation:
        raise SegmentError(f"{path} is of another generation")
    docs, links = int(footer["docs"]), int(footer["links"])
    at: dict[str, int] = footer["at"]
    crcs: dict[str, int] = footer.get("crc") or {}
    # Each table as the file holds it: trusted when it matches its checksum; without one (an older
    # segment, or a footer cut before them), a constraint the matching below checks; else lost.
    found: dict[str, array[int]] = {}
    sure: set[str] = set()
    for prefix, count, names in (("doc_", docs, DOC_COLUMNS), ("link_", links, LINK_COLUMNS)):
        for name, code in names:
            column = _column(raw, at.get(prefix + name), count, code, start)
            if column is None:
                continue
            crc = crcs.get(prefix + name)
            if crc is not None and zlib.crc32(column.tobytes()) != crc:
                continue
            found[prefix + name] = column
            if crc is not None:
                sure.add(prefix + name)
    for name in ("doc_ids", "link_ids"):
        if name not in found:
            raise SegmentError(
                f"{path} is damaged (its {name} table is lost: which document each piece is cannot be told)"
            )
    keys = _keys(raw, at, int(footer["keys"]), crcs, start)
    data_end = min((pos for pos in at.values() if isinstance(pos, int)), default=start)
    pieces = pieces_of(path, raw, min(data_end, start))

    class Probe:  # (the id tables checked as any segment's are)
        def __init__(self) -> None:
            self.path = path
            self.checksummed = {"doc_ids", "link_ids"} <= sure

        def column(self, name: str) -> array[int]:
            return found[name] if name != "key_ids" else array("I")

    try:
        check_all(Probe(), limit, keys=False)
    except LibraryFileError as exc:
        raise SegmentError(str(exc).split("; ")[0]) from None
    attempts = [found]
    if any(name not in sure for name in found if name not in ("doc_ids", "link_ids")):
        attempts.append({k: v for k, v in found.items() if k in sure or k in ("doc_ids", "link_ids")})
    problem = ""
    for given in attempts:
        try:
            columns = _match(path, raw, pieces, given, keys)
            break
        except SegmentError as exc:
            problem = str(exc)
    else:
        raise SegmentError(problem)
    lost = [f"doc_{n}" for n, _c in DOC_COLUMNS if f"doc_{n}" not in found]
    lost += [f"link_{n}" for n, _c in LINK_COLUMNS if f"link_{n}" not in found]
    if lost:
        what = f"its {', '.join(lost)} {'table' if len(lost) == 1 else 'tables'} made anew from its documents"
    elif crcs:
        what = "its tables found, matching their checksums"
    else:  # (an older segment's, or the checksums cut off with the footer's end)
        what = "its tables found, and checked against its documents"
    return columns, what


def _footer(path: Path, raw: bytes) -> tuple[dict[str, Any], int]:
    """The footer and where it starts: as written, else looked for (the magic or the footer's length
    cut or damaged), else its beginning read and where the tables are worked out from its counts."""
    size = len(raw)
    if size >= 12 and raw[-8:] == MAGIC:
        (n,) = struct.unpack_from("<I", raw, size - 12)
        if n <= size - 12:
            try:
                footer = orjson.loads(raw[size - 12 - n : size - 12])
                if isinstance(footer, dict) and isinstance(footer.get("at"), dict):
                    return footer, size - 12 - n
            except orjson.JSONDecodeError:
                pass
    begin = raw.rfind(b'{"generation":', max(0, size - (1 << 20)))
    if begin < 0:
        raise SegmentError(f"{path} is damaged (its footer is lost: where its tables are cannot be told)")
    end = raw.find(b"}", begin)
    while 0 <= end < begin + (1 << 20):
        try:
            footer = orjson.loads(raw[begin : end + 1])
        except orjson.JSONDecodeError:
            end = raw.find(b"}", end + 1)
            continue
        if isinstance(footer, dict) and isinstance(footer.get("at"), dict):
            return footer, begin
        break
    match = _PREFIX.match(raw, begin)
    if match is None:
        raise SegmentError(f"{path} is damaged (its footer is cut off before its counts)")
    generation, docs, links, keys = match.group(1).decode(), *(int(g) for g in match.group(2, 3, 4))
    counts: dict[str, object] = {"docs": docs, "links": links, "keys": keys}
    if match.group(5):
        counts["pmids"] = True
    if match.group(7):
        counts["rank"] = int(match.group(7))
    if match.group(9):  # (since stop 47: the blocks' tables follow the others: ``segmentformat``)
        counts["block"] = int(match.group(9))
    try:
        sizes = layout(counts)  # (the tables as the writer lays them out: ``store.storage.segmentformat``)
    except (TypeError, ValueError) as exc:  # (a block size no writer wrote)
        raise SegmentError(f"{path} is damaged (its footer's counts do not read: {exc})") from None
    total = sum(_padded(array(code).itemsize * count) for _n, count, code in sizes)
    at, pos = {}, begin - total
    if pos < 0:
        raise SegmentError(f"{path} is damaged (its footer's counts do not fit in it)")
    for name, count, code in sizes:
        at[name] = pos
        pos += _padded(array(code).itemsize * count)
    footer = {"generation": generation, "docs": docs, "links": links, "keys": keys, "at": at}
    return footer, begin


def _padded(n: int) -> int:
    return n + (-n) % 8


def _column(raw: bytes, pos: object, count: int, code: str, end: int) -> array[int] | None:
    column = array(code)
    if not isinstance(pos, int) or pos < 0 or pos + column.itemsize * count > end:
        return None
    column.frombytes(raw[pos : pos + column.itemsize * count])
    if sys.byteorder != "little":
        column.byteswap()
    return column


def _keys(
    raw: bytes, at: dict[str, int], count: int, crcs: dict[str, int], end: int
) -> dict[int, set[int]] | None:
    """Which ids each identity key hash names, if both key tables match their checksums."""
    hashes, ids = (_column(raw, at.get(n), count, c, end) for n, c in (("key_hashes", "Q"), ("key_ids", "I")))
    if hashes is None or ids is None:
        return None
    for name, column in (("key_hashes", hashes), ("key_ids", ids)):
        if (crc := crcs.get(name)) is None or zlib.crc32(column.tobytes()) != crc:
            return None
    named: dict[int, set[int]] = {}
    for h, doc_id in zip(hashes, ids, strict=True):
        named.setdefault(h, set()).add(doc_id)
    return named


def _named(record: dict[str, Any]) -> list[tuple[int, str]]:
    """The documents a link change names, each with how (``-``: a link it removes)."""
    removed: dict[str, Any] = record.get("removed") or {}
    named = [(int(t), rel) for rel in RELS for t in record.get(rel) or ()]
    return named + [(int(t), "-" + rel) for rel in RELS for t in removed.get(rel) or ()]


HEAD_KEYS = frozenset(("pmid", "pmcid", "doi", "title", "journal", "year", "authors", "n_authors", "stub"))


def _is_head(doc: dict[str, Any], raw: bytes, value: object) -> bool:
    """Whether ``value`` (``raw`` its bytes) is the head of ``doc``: as ``head_of`` writes it, or (a
    version that wrote heads otherwise) one with a head's keys and the document's identity."""
    if head_of(doc) == raw:
        return True
    return (
        isinstance(value, dict)
        and set(value) <= HEAD_KEYS
        and all(value[key] == doc.get(key) for key in ("pmid", "doi", "title") if key in value)
    )


def _match(
    path: Path,
    raw: bytes,
    pieces: list[tuple[int, int, Any]],
    given: dict[str, array[int]],
    keys: dict[int, set[int]] | None,
) -> dict[str, array[int]]:
    """The tables made anew: each row matched to the one piece every table it has agrees with."""
    ids, link_ids = given["doc_ids"], given["link_ids"]
    docs: dict[int, tuple[int, int, int, int, Any]] = {}  # piece index: off, len, head off, head len, doc
    k = 0
    while k < len(pieces):
        off, length, value = pieces[k]
        if k + 1 < len(pieces) and isinstance(value, dict):
            head_off, head_len, head = pieces[k + 1]
            try:
                doc = decode(path, raw[off : off + length], 0)
            except LibraryFileError:
                doc = None
            if doc is not None and _is_head(doc, raw[head_off : head_off + head_len], head):
                docs[k] = (off, length, head_off, head_len, doc)
                k += 2
                continue
        k += 1
    used = set(docs) | {k + 1 for k in docs}
    changes: dict[int, tuple[int, int, int, int]] = {}  # piece index: off, len, refs, cited
    targets: dict[int, list[tuple[int, str]]] = {}  # piece index: the documents it names, and as what
    for k, (off, length, _value) in enumerate(pieces):
        if k not in used:
            try:
                record = decode_links(path, raw[off : off + length], 0)
            except LibraryFileError:
                continue
            changes[k] = (off, length, *change_counts(record))
            targets[k] = _named(record)

    lengths, head_lens = given.get("doc_len"), given.get("doc_head_len")
    offs, head_offs = given.get("doc_off"), given.get("doc_head_off")

    def removed(i: int) -> bool | None:
        if lengths is not None:
            return lengths[i] == REMOVED_LENGTH
        if head_lens is not None:
            return head_lens[i] == 0
        if offs is not None and head_offs is not None:
            return offs[i] == 0 and head_offs[i] == 0
        return None

    # Which pieces each row could be: those every table it has agrees with (looked up, not compared
    # one by one), and for a document, whose identity keys the key table says are its.
    doc_names = ("doc_off", "doc_len", "doc_head_off", "doc_head_len")
    by_keys: dict[int, set[int]] | None = None
    if keys is not None:
        by_keys = {-1: set()}  # (-1: the documents without identity keys, which the key table omits)
        for k, (*_where, doc) in docs.items():
            if not doc_keys(doc):
                by_keys[-1].add(k)
            for key in doc_keys(doc):
                for doc_id in keys.get(key_hash(key), ()):
                    by_keys.setdefault(doc_id, set()).add(k)
    doc_rows = [i for i in range(len(ids)) if not removed(i)]

    def doc_bytes(k: int) -> bytes:
        return raw[docs[k][0] : docs[k][2] + docs[k][3]]

    doc_of = assign(path, "document", doc_rows, docs, given, doc_names, by_keys, ids, doc_bytes)
    if any(removed(i) is None and i not in doc_of for i in doc_rows):
        raise SegmentError(f"{path} is damaged (which of its rows are removals cannot be told)")
    link_names = ("link_off", "link_len", "link_refs", "link_cited")
    every = list(range(len(link_ids)))

    def change_bytes(k: int) -> bytes:
        return raw[changes[k][0] : changes[k][0] + changes[k][1]]

    change_of = assign(
        path, "link change", every, changes, given, link_names, None, link_ids, change_bytes, targets
    )
    columns: dict[str, array[int]] = {f"doc_{n}": array(c) for n, c in DOC_COLUMNS}
    columns |= {f"link_{n}": array(c) for n, c in LINK_COLUMNS}
    pairs = Pairs()
    pmids: list[int] = []
    for i, doc_id in enumerate(ids):
        row: tuple[int, ...] = (doc_id, 0, REMOVED_LENGTH, 0, 0, 0, 0, 0)
        pmids.append(0)
        if i in doc_of:
            off, length, head_off, head_len, doc = docs[doc_of[i]]
            meta = meta_of(doc)
            row = (doc_id, off, length, head_off, head_len, meta.citation, meta.flags, meta.year)
            pairs.extend(pairs_of(doc_id, doc_keys(doc)))  # type: ignore[arg-type]
            pmids[-1] = head_pmid(raw[head_off : head_off + head_len])
        for (name, _code), value in zip(DOC_COLUMNS, row, strict=True):
            columns[f"doc_{name}"].append(value)
    for j, doc_id in enumerate(link_ids):
        for (name, _code), value in zip(LINK_COLUMNS, (doc_id, *changes[change_of[j]]), strict=True):
            columns[f"link_{name}"].append(value)
    columns["key_hashes"], columns["key_ids"] = pairs.in_order()
    # (the PMID column made anew from the heads, as the writer makes it: ``store.storage.pmids``)
    columns["doc_pmid"] = array("I", pmids)
    return columns
