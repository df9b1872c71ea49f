"""``pmbrowse check``'s walk of the layers after the base (the segments, then the journal): every
document and link change decoded and checked, naming its file and the journal's commit, in one pass
that keeps no record.

The links of most documents are the base's plus what their link changes add, so each change's part
of the two link sums (``store.storage.linksums``) is added as it is decoded. A few documents are
counted from their whole state instead: those whose last version removes them, and those a change
removed links from (``removed``). Which those are is known only once every layer has been read, so
their changes' parts are taken back at the end, read again (there are few such documents: a merged
stub, a record whose reference list was replaced).

Each change used to be held, decoded, until the walk ended: at a million records (2.9 million link
changes, 730 MB of JSON in seven segments) that took the check to 6.5 GB of memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from store.errors import LibraryFileError
from store.storage.linksums import Sums
from store.storage.meta import head_of, meta_of
from store.storage.segmentcheck import REPAIR, change_counts
from store.storage.snapshot import Snapshot, decode, decode_links

# What a document's last version in the later layers is (``Later.last``).
REMOVED, RECORD, STUBBED = 0, 1, 2


@dataclass
class Later:
    """What the later layers hold: each document's last version there (``REMOVED``, ``RECORD`` or
    ``STUBBED``), and the documents counted from their whole state (``whole``). ``left_out``: a
    segment was left out (damaged)."""

    last: dict[int, int] = field(default_factory=dict)
    whole: set[int] = field(default_factory=set)
    left_out: bool = False


def walk(snap: Snapshot, problems: list[str], sums: Sums, limit: int) -> Later:
    """Read every later layer of ``snap`` once, saying what is wrong (at most ``limit`` lines) and adding
    each link change to ``sums``; those of the documents counted whole are taken back at the end."""
    later = Later()
    last = later.last
    removing: set[int] = set()  # documents a change removed links from

    def said(what: object) -> None:
        if len(problems) < limit:
            problems.append(str(what))

    def add(doc_id: int, record: dict[str, object]) -> None:
        if record.get("removed"):
            removing.add(doc_id)
        sums.add(doc_id, _ids(record, "references"), _ids(record, "cited_by"))

    # (A segment's tables, which reads use instead of its documents, have no checksum: each row is
    # compared with what it stands for.)
    wrong = "{}: its tables do not say what {} {}; " + REPAIR
    for segment in snap.segments:
        for i, (doc_id, removed) in enumerate(segment.ids()):
            if removed:
                last[doc_id] = REMOVED
                continue
            try:
                raw, meta, head = segment.row(i)
                doc = decode(segment.path, raw, doc_id)
                held = meta_of(doc)
                last[doc_id] = STUBBED if held.stub else RECORD
                if (meta, head) != (held, head_of(doc)):
                    said(
                        wrong.format(segment.path, f"document {doc_id}", "holds (flags, year, count or head)")
                    )
            except LibraryFileError as exc:
                said(exc)
        for doc_id in segment.counted():
            try:  # (its table can point past the file's end: a short read, said as a decode is)
                change = segment.link_change(doc_id)
                if change is not None:
                    record = decode_links(segment.path, change, doc_id)
                    add(doc_id, record)
                    if segment.link_counts(doc_id) != change_counts(record):
                        said(wrong.format(segment.path, f"the links of document {doc_id}", "change"))
            except LibraryFileError as exc:
                said(exc)
    journal = snap.journal
    if journal is not None and journal.generation == snap.generation:
        for doc_id, where in journal.docs.items():
            if where is None:
                last[doc_id] = REMOVED
                continue
            try:
                raw = snap.journal_read(where)
                held = meta_of(decode(snap.journal_path, raw, doc_id, snap.commit_named(where)))
                last[doc_id] = STUBBED if held.stub else RECORD
            except LibraryFileError as exc:
                said(exc)
        for doc_id, wheres in journal.links.items():
            for where in wheres:
                try:
                    raw = snap.journal_read(where)
                    add(doc_id, decode_links(snap.journal_path, raw, doc_id, snap.commit_named(where)))
                except LibraryFileError as exc:
                    said(exc)
    later.whole = {d for d, kind in last.items() if kind == REMOVED} | removing
    for doc_id in later.whole:
        for record in _changes_of(snap, doc_id):
            sums.add(doc_id, _ids(record, "references"), _ids(record, "cited_by"), sign=-1)
    return later


def _changes_of(snap: Snapshot, doc_id: int) -> Iterator[dict[str, object]]:
    """The document's link changes in the later layers, read again: those the walk added (one that
    could not be read was said, and not added)."""
    for segment in snap.segments:
        with contextlib.suppress(LibraryFileError):
            change = segment.link_change(doc_id)
            if change is not None:
                yield decode_links(segment.path, change, doc_id)
    journal = snap.journal
    if journal is not None and journal.generation == snap.generation:
        for where in journal.links.get(doc_id, ()):
            with contextlib.suppress(LibraryFileError):
                yield decode_links(snap.journal_path, snap.journal_read(where), doc_id)


def _ids(record: dict[str, object], rel: str) -> list[int]:
    ids: list[int] = list(record.get(rel) or ())  # type: ignore[call-overload]
    return ids
