"""The journal: the library's commits since its base file was written (``library.json.journal``).

A commit appends, in one ``write`` followed by one ``fsync``, a line per changed document and per
changed link record, and then a commit line that seals them::

    {"journal":2,"generation":"…"}                 first line: the base file this journal extends
    S\tG.3.seg\t7340032                              a segment (``store.storage.segment``) and its size
    17\t["pmid:30992990"]\t{"title":…}               a document: id, its identity keys, its JSON
    18\t[]\tnull                                       a removed document
    L\t17\t3\t0\t{"references":[4,5,6]}               a link change: id, how its counts change, its JSON
    #\t1a2b3c4d\t{"seq":3,"next_id":19,"counts":{…}}   the seal: CRC-32 of the lines since the last seal

Segments come first: a journal that lists segments is written whole (``store.storage.compactor``), its
earlier commits folded into a segment, so everything after the segments is newer than all of them.

The seal is the commit point. A reader accepts a commit only when its seal is complete, its CRC
matches and what it says adds up, and stops at the first one that is not: a commit torn by a crash
(or being written right now by another process) is invisible, and the next writer cuts it off before
appending. Documents are not decoded when the journal is read, only located; their keys ride along so
lookups need no decoding.

A seal's fields are checked, for each is carried into later commits: ``seq`` a number of 1 or more,
``next_id`` past every document the commit writes and not below the last seal's, ``counts`` numbers
of 0 or more that add up (links: the last count plus the commit's link changes; records and stubs
change by no more than its documents can change them). A commit listing segments is checked for
types and order only. The first commit follows the base's counts and next id (``Replay.start``).

A commit that does not check is a torn tail when nothing complete follows it (a crash: no complete
seal line after it), else damage (``Replay.damaged``, ``Replay.problem``): a flipped bit, a power cut
that zeroed a commit's middle and left its seal, a seal whose numbers do not add up. Readers go on
from the last good commit; writers refuse until ``pmbrowse repair`` (``store.storage``).

A journal of another generation than its base file is obsolete (the base holds its commits): replaced.
"""

from __future__ import annotations

import os
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import orjson

JOURNAL_VERSION = 2
SEAL = b"#\t"


def header_line(generation: str) -> bytes:
    return orjson.dumps({"journal": JOURNAL_VERSION, "generation": generation}) + b"\n"


def doc_line(doc_id: int, keys: list[str], doc: dict[str, Any] | None) -> bytes:
    return b"%d\t%s\t%s\n" % (doc_id, orjson.dumps(keys), orjson.dumps(doc))


def link_line(doc_id: int, counts: tuple[int, int], change: bytes) -> bytes:
    return b"L\t%d\t%d\t%d\t%s\n" % (doc_id, counts[0], counts[1], change)


def segment_line(name: str, size: int) -> bytes:
    return b"S\t%s\t%d\n" % (name.encode(), size)


def seal_line(body: bytes, meta: dict[str, Any]) -> bytes:
    return b"#\t%08x\t%s\n" % (zlib.crc32(body), orjson.dumps(meta))


@dataclass
class Replay:
    """What the sealed commits of a journal say, as of ``end`` (the byte after the last good seal)."""

    generation: str | None = None
    end: int = 0
    # doc id -> (offset, length) of its JSON in the journal; None when the document was removed
    docs: dict[int, tuple[int, int] | None] = field(default_factory=dict)
    keys: dict[str, set[int]] = field(default_factory=dict)  # key -> documents in the journal holding it
    held: dict[int, list[str]] = field(default_factory=dict)  # doc id -> its keys, as last written
    # doc id -> where each of its link changes is in the journal, in commit order
    links: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    link_counts: dict[int, list[int]] = field(default_factory=dict)  # doc id -> [refs, cited] change
    segments: list[tuple[str, int]] = field(default_factory=list)  # (file name, size), oldest first
    meta: dict[str, Any] | None = None  # the last seal's
    commits: int = 0
    torn: bool = False  # bytes after the last good seal (a crash, or a commit being written)
    damaged: int | None = None  # where a bad commit is followed by a complete seal: damage, not a crash
    problem: str = ""  # what is wrong there, in words
    scanned: int = 0  # the journal's length when it was last read (to tell when it grew)
    # What the first commit's seal follows: the base's counts and next id (None: not checked).
    start: dict[str, Any] | None = None
    ends: list[int] = field(default_factory=list)  # where each sealed commit ends, in the journal
    crc: tuple[int, int] | None = None  # (end, CRC-32 of the bytes to it): ``store.search.catchup``

    def commit_at(self, offset: int) -> int:
        """The number (1 for the first in this file) of the commit holding byte ``offset``."""
        return bisect_right(self.ends, offset) + 1

    def last(self) -> dict[str, Any] | None:
        """The seal the next commit follows (the last one's, or ``start``)."""
        return self.meta if self.meta is not None else self.start


def read_header(raw: bytes) -> tuple[str | None, int]:
    """The generation a journal's first line names, and where its commits start (None if unreadable)."""
    end = raw.find(b"\n")
    if end < 0:
        return None, 0
    try:
        head = orjson.loads(raw[:end])
    except orjson.JSONDecodeError:
        return None, 0
    # (Version 1, of schema-2 libraries, is read when they are converted: it has document lines only.)
    if not isinstance(head, dict) or head.get("journal") not in (1, JOURNAL_VERSION):
        return None, 0
    generation = head.get("generation")
    return (generation if isinstance(generation, str) else None), end + 1


def replay(raw: bytes, into: Replay, at: int) -> Replay:
    """Read the sealed commits in ``raw``, the journal's bytes from offset ``at`` (a commit boundary:
    ``into.end``, or the end of the header line) to its end, into ``into``."""
    pos = commit_start = 0
    pending: list[tuple[int, list[str], int, int]] = []
    links: list[tuple[int, int, int, int, int]] = []
    segments: list[tuple[str, int]] = []
    size = len(raw)
    problem = ""
    while pos < size:
        end = raw.find(b"\n", pos)
        if end < 0:
            break  # a line without its newline: torn
        if raw.startswith(SEAL, pos):
            problem = _seal_problem(raw, commit_start, pos, end, into, pending, links, segments)
            if problem:
                break
            _take(into, at, pending, links, segments)
            pending, links, segments = [], [], []
            into.commits += 1
            commit_start = end + 1
            into.end = at + commit_start
            into.ends.append(into.end)
        elif raw.startswith(b"L\t", pos):
            parsed_link = _parse_link_line(raw, pos, end)
            if parsed_link is None:
                break
            links.append(parsed_link)
        elif raw.startswith(b"S\t", pos):
            parts = raw[pos + 2 : end].split(b"\t")
            if len(parts) != 2 or not (parts[1].isdigit() and parts[1].isascii()):
                break
            segments.append((parts[0].decode("utf-8", "replace"), int(parts[1])))
        else:
            parsed = _parse_doc_line(raw, pos, end)
            if parsed is None:
                break
            pending.append(parsed)
        pos = end + 1
    into.torn = commit_start < size
    if into.torn and _sealed_after(raw, commit_start):
        # A crash tears only the last write, which ends with its seal: a complete seal line after
        # the bad bytes means they were damaged after they were written.
        into.damaged = at + commit_start
        into.problem = f"commit {into.commits + 1} (byte {at + commit_start}) " + (
            problem or "is not in the journal's format"
        )
    into.scanned = at + size
    return into


def _take(
    into: Replay,
    at: int,
    docs: list[tuple[int, list[str], int, int]],
    links: list[tuple[int, int, int, int, int]],
    segments: list[tuple[str, int]],
) -> None:
    """Take in one sealed commit."""
    into.segments.extend(segments)
    for doc_id, keys, offset, length in docs:
        for key in into.held.pop(doc_id, ()):
            into.keys[key].discard(doc_id)
        if length < 0:
            into.docs[doc_id] = None
        else:
            into.docs[doc_id] = (at + offset, length)
            into.held[doc_id] = keys
            for key in keys:
                into.keys.setdefault(key, set()).add(doc_id)
    for doc_id, refs, cited, offset, length in links:
        into.links.setdefault(doc_id, []).append((at + offset, length))
        counts = into.link_counts.setdefault(doc_id, [0, 0])
        counts[0] += refs
        counts[1] += cited


def _sealed_after(raw: bytes, pos: int) -> bool:
    seal = raw.find(b"\n#\t", max(pos - 1, 0))
    return seal >= 0 and raw.find(b"\n", seal + 1) >= 0


def _seal_problem(
    raw: bytes,
    commit_start: int,
    pos: int,
    end: int,
    into: Replay,
    docs: list[tuple[int, list[str], int, int]],
    links: list[tuple[int, int, int, int, int]],
    segments: list[tuple[str, int]],
) -> str:
    """What is wrong with a commit's seal ("" if nothing: then it is taken as ``into.meta``)."""
    parts = raw[pos + 2 : end].split(b"\t", 1)
    if len(parts) != 2:
        return "has a seal that is not one"
    try:
        crc = int(parts[0], 16)
        meta = orjson.loads(parts[1])
    except (ValueError, orjson.JSONDecodeError):
        return "has a seal that is not one"
    if zlib.crc32(raw[commit_start:pos]) != crc:
        return "does not match its checksum"
    if not isinstance(meta, dict):
        return "has a seal that is not one"
    problem = seal_problem(meta, into.last(), docs, links, bool(segments))
    if problem:
        return problem
    into.meta = meta
    return ""


def _natural(value: object) -> bool:
    return type(value) is int and value >= 0


def seal_problem(
    meta: dict[str, Any],
    last: dict[str, Any] | None,
    docs: list[tuple[int, list[str], int, int]],
    links: list[tuple[int, int, int, int, int]],
    bulk: bool,
) -> str:
    """What in a seal does not add up, following seal ``last`` (see the module docstring); "" if all
    does."""
    seq, next_id, counts = meta.get("seq"), meta.get("next_id"), meta.get("counts")
    if not (isinstance(seq, int) and _natural(seq) and seq >= 1):
        return f"has a seal whose seq is {seq!r}, not a number of 1 or more"
    if not (isinstance(next_id, int) and _natural(next_id) and next_id >= 1):
        return f"has a seal whose next id is {next_id!r}, not a number of 1 or more"
    highest = max([d[0] for d in docs] + [link[0] for link in links], default=0)
    if next_id <= highest:
        return f"has next id {next_id}, not past its document {highest}"
    if last is not None and _natural(last.get("next_id")) and next_id < last["next_id"]:
        return f"has next id {next_id}, below the {last['next_id']} before it"
    if not (isinstance(counts, dict) and all(_natural(counts.get(k)) for k in ("records", "stubs", "links"))):
        return f"has counts {orjson.dumps(counts).decode()[:80]}, not records, stubs and links of 0 or more"
    before = last.get("counts") if last is not None else None
    if bulk or not isinstance(before, dict):
        return ""
    if not all(_natural(before.get(k)) for k in ("records", "stubs", "links")):
        return ""
    added = sum(link[1] for link in links)
    if counts["links"] != before["links"] + added:
        return f"says {counts['links']} links, not the {before['links']} before it and {added} more"
    records, stubs = counts["records"] - before["records"], counts["stubs"] - before["stubs"]
    if abs(records + stubs) > len(docs) or abs(records) + abs(stubs) > 2 * len(docs):
        return (
            f"says {counts['records']} records and {counts['stubs']} stubs, which its {len(docs)} "
            f"documents cannot make of the {before['records']} and {before['stubs']} before it"
        )
    return ""


def _parse_doc_line(raw: bytes, pos: int, end: int) -> tuple[int, list[str], int, int] | None:
    tab1 = raw.find(b"\t", pos, end)
    tab2 = raw.find(b"\t", tab1 + 1, end) if tab1 >= 0 else -1
    if tab2 < 0:
        return None
    id_text = raw[pos:tab1]
    if not (id_text.isdigit() and id_text.isascii()) or int(id_text) < 1:
        return None
    try:
        keys = orjson.loads(raw[tab1 + 1 : tab2])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(keys, list):
        return None
    body = tab2 + 1
    if raw[body:end] == b"null":
        return int(id_text), [], body, -1
    return int(id_text), [str(k) for k in keys], body, end - body


def _parse_link_line(raw: bytes, pos: int, end: int) -> tuple[int, int, int, int, int] | None:
    parts = raw[pos + 2 : end].split(b"\t", 3)
    if len(parts) != 4:
        return None
    if not (parts[0].isdigit() and parts[0].isascii()):
        return None
    try:
        doc_id, refs, cited = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None
    if doc_id < 1:
        return None
    body = end - len(parts[3])
    return doc_id, refs, cited, body, len(parts[3])


def read_tail(fd: int, start: int) -> bytes:
    """The bytes of an open journal from ``start`` to its current end."""
    size = os.fstat(fd).st_size
    chunks: list[bytes] = []
    pos = start
    while pos < size:
        chunk = os.pread(fd, min(size - pos, 1 << 24), pos)
        if not chunk:
            break
        chunks.append(chunk)
        pos += len(chunk)
    return b"".join(chunks)


@dataclass
class Salvage:
    """What ``salvage`` kept of a damaged journal: its commits that check, and what it left out."""

    replay: Replay
    left_out: list[str] = field(default_factory=list)  # one line each: which commit, where, why
    loosened: list[str] = field(default_factory=list)  # commits taken whose seal did not add up


def salvage(raw: bytes, at: int, generation: str | None) -> Salvage:
    """Every commit of a journal's bytes ``raw`` (from offset ``at``, past its header) whose checksum
    matches, for ``pmbrowse repair``: a commit whose checksum fails, or whose lines are not the
    journal's, is left out (and said), and reading goes on after its seal; a commit whose checksum
    matches but whose seal does not add up is taken (its documents and links are as written; the
    repair counts the library anew). A tail without a seal is a crash's, left out too."""
    into = Replay(generation=generation, end=at)
    found = Salvage(into)
    pos = commit_start = 0
    pending: list[tuple[int, list[str], int, int]] = []
    links: list[tuple[int, int, int, int, int]] = []
    segments: list[tuple[str, int]] = []
    bad = False
    number = 0
    size = len(raw)
    while pos < size:
        end = raw.find(b"\n", pos)
        if end < 0:
            break
        if raw.startswith(SEAL, pos):
            number += 1
            parts = raw[pos + 2 : end].split(b"\t", 1)
            crc: int | None = None
            meta: Any = None
            if len(parts) == 2:
                try:
                    crc, meta = int(parts[0], 16), orjson.loads(parts[1])
                except (ValueError, orjson.JSONDecodeError):
                    crc = None
            where = f"commit {number} (bytes {at + commit_start} to {at + end + 1})"
            if bad or crc is None or zlib.crc32(raw[commit_start:pos]) != crc:
                found.left_out.append(f"{where}: its checksum does not match")
            else:
                meta = meta if isinstance(meta, dict) else {}
                problem = seal_problem(meta, into.last(), pending, links, bool(segments))
                if problem:
                    found.loosened.append(f"{where} {problem}")
                else:
                    into.meta = meta
                _take(into, at, pending, links, segments)
                into.commits += 1
            pending, links, segments, bad = [], [], [], False
            commit_start = end + 1
            into.end = at + commit_start
            into.ends.append(into.end)
        elif not bad:
            if raw.startswith(b"L\t", pos):
                parsed_link = _parse_link_line(raw, pos, end)
                bad = parsed_link is None
                if parsed_link is not None:
                    links.append(parsed_link)
            elif raw.startswith(b"S\t", pos):
                parts = raw[pos + 2 : end].split(b"\t")
                bad = len(parts) != 2 or not (parts[1].isdigit() and parts[1].isascii())
                if not bad:
                    segments.append((parts[0].decode("utf-8", "replace"), int(parts[1])))
            else:
                parsed = _parse_doc_line(raw, pos, end)
                bad = parsed is None
                if parsed is not None:
                    pending.append(parsed)
        pos = end + 1
    if commit_start < size:
        found.left_out.append(
            f"bytes {at + commit_start} to {at + size}: a commit without its seal (cut off by a crash)"
        )
    into.scanned = at + size
    return found
