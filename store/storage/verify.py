"""Checking a library's storage against itself, changing nothing (``pmbrowse check``).

- the base: every record decoded and checked, its layout, its CRC-32 against the one the index keeps;
- the document index: opened (its own checksums), then compared with what the base says, column by
  column, with the key tables, the heads and the counts;
- the journal: a regular file with a header, its commits' checksums and seals (``store.journal``),
  each document and link change in them decoded and checked, naming the commit; the segments it lists,
  and each one's "most cited first" run against the keys its documents had in the state it completed;
- the links, as the library holds them now (base, segments, journal): both ends of every link agree,
  every link leads to a document the library holds, and the counts kept (what ``stats`` says) are
  those of the records.

Both ends agree when two sums over every link (a, b) are the same counted from the citing ends and
from the cited ends: of ``a << 32 | b`` and of ``a * b``. Each end's part is a few sums over its id
lists (``sum`` in C), so a library of 3 million links is checked in well under a second; a link
missing at one end changes both sums. Only when they differ are the documents at fault looked for.
When they agree, every link's target lists its source, so every link leads to a document when every
document with links is held.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from store.atomicwrite import NotARegularFile, kind_of
from store.docindex import COLUMNS, DocIndex, IndexFileError, IndexMismatch, open_regular
from store.errors import LibraryFileError
from store.journal import Replay, read_header, read_tail, replay
from store.openfile import OpenFile
from store.schema import SCHEMA_VERSION
from store.storage import laterlayers
from store.storage.basescan import LIMIT, Scan, base_layout
from store.storage.columns import same_pairs
from store.storage.files import LibraryFiles
from store.storage.halves import scan_in_two
from store.storage.indexwriter import cited_order, in_memory
from store.storage.laterlayers import REMOVED, STUBBED, Later
from store.storage.linksums import BaseLinks, Sums
from store.storage.meta import STUB
from store.storage.pmids import head_pmid
from store.storage.segment import SegmentError, SegmentFile
from store.storage.segmentcheck import REPAIR, check_runs
from store.storage.segmentids import check_all
from store.storage.snapshot import Snapshot, index_current

MASK = (1 << 64) - 1


@dataclass
class StorageFindings:
    problems: list[str] = field(default_factory=list)
    looked_at: list[str] = field(default_factory=list)
    state: tuple[str | None, int] | None = None  # the library's committed state, as ``Reader.state``


def verify(path: Path) -> StorageFindings:
    """Check the storage of the library at ``path`` (see the module docstring)."""
    files = LibraryFiles(path, 0)
    found = StorageFindings()
    problems = found.problems
    for file in (files.path, files.index_path, files.journal_path):
        try:
            mode = os.stat(file).st_mode
        except OSError:
            continue
        if not stat.S_ISREG(mode):
            problems.append(
                f"{file} is {kind_of(mode)}, not a file pmbrowse wrote; {REPAIR} (it sets it aside)"
            )
            if file == files.path:
                return found
    try:
        fd = open_regular(files.path)
    except OSError as exc:
        problems.append(f"cannot read the library {files.path}: {exc.strerror or exc}")
        return found
    base = OpenFile(fd, files.path)  # (closed once, whatever reads it: ``store.openfile``)
    try:
        _verify(files, base, found)
    finally:
        base.close()
    return found


def _verify(files: LibraryFiles, base: OpenFile, found: StorageFindings) -> None:
    problems = found.problems
    fd = base.fd
    st = os.fstat(fd)
    layout = base_layout(fd)
    if layout is None:
        problems.append(
            f"{files.path} is not a library in this version's layout (schema {SCHEMA_VERSION}); opening "
            "it converts it, if it is one"
        )
        return
    generation, start = layout
    snap = Snapshot(
        files.path, base_file=base, base_fd=fd, base_size=st.st_size, docs_start=start, generation=generation
    )
    try:
        _verify_state(files, snap, found)
    finally:
        if snap.journal_file is not None:  # (opened by ``_read_journal``; until stop 32 never closed)
            snap.journal_file.close()


def _verify_state(files: LibraryFiles, snap: Snapshot, found: StorageFindings) -> None:
    problems = found.problems
    fd, generation, start = snap.base_fd, snap.generation, snap.docs_start
    assert fd is not None and generation is not None
    st = os.fstat(fd)
    journal_problem = _read_journal(files, snap)
    if journal_problem:
        problems.append(journal_problem)
    gap = _read_segments(files, snap, problems)  # (None: none was left out)
    # (The later layers' sums are kept apart until the base is read: a base read in two processes
    # forks with its sink's sums, and the child's part, merged back, would count them twice.)
    later_sums = Sums()
    later = laterlayers.walk(snap, problems, later_sums, 4 * LIMIT)
    later.left_out = gap is not None
    sums = Sums()

    base_links = BaseLinks(sums, later.whole)
    index, index_problem = _open_index(files)
    try:
        scan = scan_in_two(files.path, fd, st, generation, start, sink=base_links, index=index)
        problems += scan.problems
        if scan.skipped > len(scan.problems):
            problems.append(f"{files.path}: {scan.skipped - len(scan.problems)} more records cannot be read")
        found.looked_at.append(f"{files.path.name} ({scan.count:,} documents)")
        differs = _index_differs(index, scan, st, files) if index is not None else ""
    finally:
        if index is not None:
            index.close()
    if index_problem or differs:
        problems.append(
            index_problem
            or f"{files.index_path} does not match {files.path.name}: {differs}; it is rebuilt when the "
            "library is next opened, or by `pmbrowse repair`"
        )
    sums.merge(later_sums)
    snap.index = in_memory(scan.data)
    meta = snap.journal.meta if snap.journal is not None else None
    limit = int((meta or {}).get("next_id", 1 << 32))  # (the next id: its seal's)
    tops = check_runs(snap, problems, limit, len(snap.segments) if gap is None else gap)
    if snap.journal is not None and snap.journal.generation == generation:
        snap.journal.start = {"counts": scan.data.counts, "next_id": scan.data.next_id}
        snap.counts, snap.next_id = dict(scan.data.counts), scan.data.next_id
        _replay_again(files, snap, problems)
    elif snap.journal is not None:
        snap.journal = Replay()
    _check_links(files, snap, scan, later, sums, problems)
    found.looked_at.append(
        f"{files.journal_path.name} ({snap.journal.commits if snap.journal else 0} commits)"
        + (f", {len(snap.segments)} segments" if snap.segments else "")
        + (f" ({tops} with a top, each against the state it completes)" if tops else "")
    )
    found.state = (
        f"{generation}.{scan.data.base_crc:08x}",
        snap.journal.end if snap.live_journal and snap.journal else 0,
    )


def _read_journal(files: LibraryFiles, snap: Snapshot) -> str:
    """Open and read the journal into ``snap`` (no baseline yet: its seals are checked again in
    ``_replay_again``); what is wrong with its header, if anything."""
    try:
        fd = open_regular(files.journal_path)
    except NotARegularFile:
        return ""  # (said already)
    except FileNotFoundError:
        snap.journal = Replay()
        return ""
    except OSError as exc:
        return f"cannot read {files.journal_path}: {exc.strerror or exc}"
    snap.journal_fd = fd
    raw = read_tail(fd, 0)
    generation, start = read_header(raw)
    snap.journal = Replay(generation=generation, end=start)
    if generation is None and raw:
        return f"{files.journal_path} is damaged: its first line is not a journal header; {REPAIR}"
    if generation == snap.generation:
        replay(raw[start:], snap.journal, start)
    return ""


def _replay_again(files: LibraryFiles, snap: Snapshot, problems: list[str]) -> None:
    """The journal's commits read again, each seal checked against the base's counts (the first) and
    the seal before it."""
    assert snap.journal is not None and snap.journal_fd is not None
    raw = read_tail(snap.journal_fd, 0)
    _generation, start = read_header(raw)
    again = Replay(generation=snap.generation, end=start, start=snap.journal.start)
    replay(raw[start:], again, start)
    if again.damaged is not None:
        problems.append(
            f"{files.journal_path} is damaged: {again.problem}; the library is read as of the commit "
            f"before it; {REPAIR}"
        )
    snap.journal = again
    if again.meta is not None:
        counts = again.meta.get("counts")
        if isinstance(counts, dict):
            snap.counts = {k: counts.get(k, 0) for k in ("records", "stubs", "links")}


def _read_segments(files: LibraryFiles, snap: Snapshot, problems: list[str]) -> int | None:
    """The segments the journal lists that can be read into ``snap``; where the first left out would
    have been among them (None: none was; each left out is said in a line)."""
    if snap.journal is None or snap.journal.generation != snap.generation:
        return None
    # (every id is below the next id the last seal keeps: ``store.storage.segmentids``)
    limit = int((snap.journal.meta or {}).get("next_id", 1 << 32))
    for name, size in snap.journal.segments:
        try:
            segment = SegmentFile(files.segments_path / name, size)
        except SegmentError as exc:
            problems.append(f"the segment {exc} (the journal {files.journal_path} lists it)")
            continue
        if segment.generation != snap.generation:
            problems.append(f"{files.segments_path / name} belongs to another generation of the library")
            continue
        try:
            segment.check_tables()  # (their checksums, where it has them)
            check_all(segment, limit, ordered=True)
        except LibraryFileError as exc:  # (left out: read, it would say so again at each row)
            problems.append(str(exc))
            continue
        snap.segments.append(segment)
    kept, listed = [s.name for s in snap.segments], [name for name, _size in snap.journal.segments]
    return next((i for i, name in enumerate(listed) if i >= len(kept) or kept[i] != name), None)


def _open_index(files: LibraryFiles) -> tuple[DocIndex | None, str]:
    """The document index, opened (its own checksums checked), or what is wrong with it."""
    idx = files.index_path
    try:
        return DocIndex(idx, whole=True), ""  # (every block, and the body whole: ``store.indexblocks``)
    except NotARegularFile:
        return None, ""  # (said already)
    except IndexFileError as exc:
        if not idx.exists():
            return None, ""
        return None, f"{exc}; it is rebuilt when the library is next opened, or by `pmbrowse repair`"


def _index_differs(index: DocIndex, scan: Scan, st: os.stat_result, files: LibraryFiles) -> str:
    data = scan.data
    if index.generation != data.generation:
        return "it is of another generation"
    if index.base_crc != data.base_crc:
        return f"{files.path.name} was changed since the index was made (its checksum differs)"
    if not index_current(index, files.index_path, st):
        return f"{files.path.name} was changed since the index was made (its size or times differ)"
    if index.counts != data.counts:
        return f"it counts {_counts(index.counts)}, the file holds {_counts(data.counts)}"
    if index.max_id != len(data.columns["doc_off"]) - 1:
        return f"its last document is {index.max_id}, the file's is {len(data.columns['doc_off']) - 1}"
    if index.next_id <= index.max_id:
        return f"its next id {index.next_id} is not past its last document"
    data.columns["order"] = cited_order(data.columns)
    for name, _code in COLUMNS:
        if index.column(name).tobytes() != data.columns[name].tobytes():
            return f"its {name} column differs"
    if not same_pairs(index.pairs_except(()), data.pairs):
        return "its identifier table differs"
    # The heads are checked one by one when read; a check reads them all (a damaged head whose
    # column entries are intact would otherwise pass here and surface only when its row is drawn).
    # Each head read tells the PMID column's number for it too (``store.storage.pmids``): a number
    # kept for a document whose head begins with another PMID (or none) would answer a look-up
    # wrongly under a good checksum (a writer's fault). Indexes written before the column have none.
    for doc_id, length in enumerate(data.columns["head_len"]):
        if length:
            try:
                head = index.head(doc_id)
            except IndexMismatch:
                return f"the head of document {doc_id} is damaged"
            kept = index.pmid(doc_id)
            if kept and (found := head_pmid(head)) != kept:
                return (
                    f"its PMID column says document {doc_id} is PMID {kept}, its head "
                    f"{f'PMID {found}' if found else 'no PMID the column keeps'}"
                )
    return ""


def _counts(counts: dict[str, int]) -> str:
    records, stubs, links = (counts.get(k, 0) for k in ("records", "stubs", "links"))
    return f"{records:,} records, {stubs:,} stubs, {links:,} links"


def _check_links(
    files: LibraryFiles, snap: Snapshot, scan: Scan, later: Later, sums: Sums, problems: list[str]
) -> None:
    """Both ends of every link agree, every link leads to a document, the counts kept are right (not
    compared with a segment left out, said already: they blamed what was right)."""
    present = snap.ids()
    for doc_id in later.whole & present:
        try:
            sums.add(doc_id, snap.link_ids(doc_id, "references"), snap.link_ids(doc_id, "cited_by"))
        except LibraryFileError as exc:
            problems.append(str(exc))
    if later.left_out:
        return
    if sums.cites != sums.cited:
        problems.append(
            f"the links of {files.path} do not agree at both ends ({_disagreeing(snap, present)}); {REPAIR}"
        )
    # When both ends agree, each link's target lists its source, so every document that links or is
    # linked to is one with links of its own: it is enough that each of those is held.
    missing = set(sums.linked) - present - later.whole  # (``walk`` took their parts back, not these)
    if missing:
        shown = ", ".join(str(d) for d in sorted(missing)[:5])
        problems.append(
            f"links in {files.path} lead to {len(missing)} documents it does not hold ({shown}); {REPAIR}"
        )
    held = dict(scan.data.counts)
    held["links"] = sums.links
    flags = scan.data.columns["flags"]
    offsets = scan.data.columns["doc_off"]
    for doc_id, kind in later.last.items():
        if doc_id < len(offsets) and offsets[doc_id]:
            held["stubs" if flags[doc_id] & STUB else "records"] -= 1
        if kind != REMOVED:
            held["stubs" if kind == STUBBED else "records"] += 1
    counts = snap.counts or {}
    if counts and counts != held:
        problems.append(
            f"the counts kept with {files.path} (what `pmbrowse stats` says) are {_counts(counts)}; "
            f"it holds {_counts(held)}; {REPAIR}"
        )


def _disagreeing(snap: Snapshot, present: Iterable[int]) -> str:
    """The first few documents whose links the other ends do not list (the slow way: only when the
    sums say some do)."""
    refs: dict[int, set[int]] = {}
    cited: dict[int, set[int]] = {}
    for d in present:
        with contextlib.suppress(LibraryFileError):  # (said already, by ``_later_layers``)
            refs[d], cited[d] = set(snap.link_ids(d, "references")), set(snap.link_ids(d, "cited_by"))
    wrong = sorted(
        {a for a, targets in refs.items() for b in targets if a not in cited.get(b, ())}
        | {b for b, sources in cited.items() for a in sources if b not in refs.get(a, ())}
    )
    return "documents " + ", ".join(str(d) for d in wrong[:5]) + (" and more" if len(wrong) > 5 else "")
