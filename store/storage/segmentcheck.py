"""What ``pmbrowse check`` (``store.storage.verify``) asks of a segment beyond its documents and link
changes: that its most-cited run (``store.storage.segment``) is its documents' order in the state it
completed, and that a link change's counts in its table are the change's (its documents' rows are
compared with them where they are decoded). Reads use the tables instead of what they stand for, and
the tables have no checksum.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from store import fileformat
from store.docindex import open_regular
from store.errors import LibraryFileError
from store.journal import Replay, read_header, read_tail, replay
from store.storage.files import LibraryFiles
from store.storage.links import RELS
from store.storage.runs import Tally
from store.storage.segment import SegmentError, SegmentFile
from store.storage.segmentids import check_all
from store.storage.snapshot import Snapshot

REPAIR = "`pmbrowse repair` mends it"


def change_counts(record: Mapping[str, Any]) -> tuple[int, int]:
    """How a link change (decoded) changes its document's (references, citing) counts: what its
    segment's table keeps (``store.storage.links.Change.counts``: the targets it adds, less those it
    removes)."""
    removed = record.get("removed") or {}
    refs, cited = (len(record.get(rel) or ()) - len(removed.get(rel) or ()) for rel in RELS)
    return refs, cited


def check_runs(snap: Snapshot, problems: list[str], limit: int, whole: int) -> None:
    """Each segment's run (``store.storage.segment``): its checksum, its order, and its keys those of
    the documents it touches in the state it completed (the base and the segments up to it). One tally
    of every document (``limit``: the library's next id) is taken through the layers once, oldest
    first, each run compared when its segment is reached: each layer is read once (it was read again
    for each newer run: S^2/2 layers for S segments). The keys of the first ``whole`` segments alone
    are compared: after a segment left out (damaged, said already), the state each newer one completed
    cannot be told, and its run would be blamed for it."""
    tally = Tally.whole(snap.index, limit)
    for i, segment in enumerate(snap.segments):
        if i < whole:
            tally.segment(segment)
        if not segment.has_run:
            continue
        try:
            segment.load_run()
            found = [key for key, _doc_id in segment.run()]
        except SegmentError as exc:
            problems.append(f"the segment {exc}; {REPAIR}")
            continue
        except LibraryFileError as exc:
            problems.append(str(exc))
            continue
        if i < whole and found != tally.run(
            sorted({*segment.column("doc_ids"), *segment.column("link_ids")})
        ):
            problems.append(
                f"the segment {segment.path} is damaged (its most-cited order is not its documents' "
                f"order); {REPAIR}"
            )


def segment_tables(path: Path) -> str:
    """The first damage found in the tables of the segments the journal of the library at ``path``
    lists, in one line naming the segment and the table ('' none): each table read against its
    checksum (``SegmentFile.check_tables``: 1 ms a megabyte of tables, some 100 bytes a document) and
    its ids below the next id (``check_all``; in order too where it has no checksums). What a command
    that writes asks first (``pmbrowse import``): it reads of the segments what it needs, so damage
    elsewhere in their tables (their link changes') went unseen, and it committed over it. A segment
    that cannot be opened, or damage to the journal, is said when the library is opened: not here."""
    files = LibraryFiles(path, 0)
    try:
        header, _start = fileformat.read_base_header(_read(files.path, lambda fd: os.pread(fd, 1 << 16, 0)))
        raw = _read(files.journal_path, lambda fd: read_tail(fd, 0))
    except OSError:
        return ""
    generation, start = read_header(raw)
    if header is None or generation is None or header.get("generation") != generation:
        return ""  # (an obsolete journal, or none: its segments are not the library's)
    journal = replay(raw[start:], Replay(generation=generation, end=start), start)
    limit = int((journal.meta or {}).get("next_id", 1 << 32))
    for name, size in journal.segments:
        try:
            segment = SegmentFile(files.segments_path / name, size)
        except SegmentError:
            continue
        try:
            segment.check_tables()
            check_all(segment, limit)
        except LibraryFileError as exc:
            return str(exc)
        finally:
            segment.close()
    return ""


def _read(path: Path, read: Callable[[int], bytes]) -> bytes:
    fd = open_regular(path)
    try:
        return read(fd)
    finally:
        os.close(fd)
