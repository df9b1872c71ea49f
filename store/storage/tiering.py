"""Merging the newest segments into one, the base left as it is: what keeps an import's cost flat.

A bulk import writes its batches as segments (``store.storage.spilling``); folding them into the base
costs the whole library (``store.storage.fold``), which is what it must cost only now and then: when
the segments hold three times what the base does (so the library grows fourfold between folds, and
each record is rewritten a bounded number of times), or when they are too many (each is a layer a
read looks at).
Between those folds, a command that leaves a run of similar segments (the batches of the file it
imported, or several files' merged segments of one size) merges them into one, as a log-structured
store's size tiers do: a file of 100,000 records costs the same in a library of a million as in an
empty one, a few files' merged segments are merged again now and then (four of one size), and the
layers stay few.

A merge writes one segment from the newest segments (the journal's commits, the newest layer, are
made a segment first, as a bulk import does: ``store.storage.spilling.start``): each document as last
written, each document's link changes joined into one. It reads the merged segments and nothing else
(which of them holds each document's newest version is told by their own tables: the base and the
older segments are older), so it costs what they hold whatever the library's size. It commits as a bulk
import does: a new journal listing the older segments and the new one, renamed over the old journal
(the commit point). Killed before it, the new segment is a file nobody lists, which the next writer
removes; after it, the merged segments are, and are removed the same way (or at once). A reader that
holds the old segments open reads them to its end (an unlinked file stays readable); one that opens
the library meanwhile retries until the segments it lists are there (``store.storage.opening``). The
documents are the same before and after, so the search index stays fresh (``Library.compact``), and
the merged segment's run (``store.storage.segment``) is the merged ones' runs merged: it too reads
nothing else.
"""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import Sequence

from store.storage.committer import write_listing
from store.storage.files import LibraryFiles
from store.storage.fold import Cursor, joined_links
from store.storage.runs import state_run
from store.storage.segment import REMOVED_LENGTH, SegmentError
from store.storage.snapshot import Segment, Snapshot, decode_links
from store.storage.spilling import segment_path

# A run of the newest segments is merged when each of them holds less than this share of their total
# (the batches of one file, or several files' merged segments of one size): a bigger, older segment is
# left out, so each merge costs about what the newest files added.
SHARE = 3


def newest_run(sizes: Sequence[int]) -> int:
    """How many of the newest segments (``sizes``: oldest first) to merge into one: the longest run of
    the newest in which each holds less than 1/SHARE of their total (0: nothing to merge)."""
    best = total = biggest = 0
    for k, size in enumerate(reversed(sizes), 1):
        total += size
        biggest = max(biggest, size)
        if biggest * SHARE < total:
            best = k
    return best


def merge_newest(files: LibraryFiles, snap: Snapshot, k: int) -> None:
    """Merge the newest ``k`` segments of ``snap`` into one (under the write lock: the caller's
    transaction). ``snap`` holds no journal commits: they were made a segment first
    (``store.storage.spilling.start``). What it costs is what the ``k`` segments hold: the base and the
    older segments are not looked at (the merged ones are the newest layers, so what they say of a
    document is its newest version)."""
    assert snap.generation is not None and snap.journal is not None and snap.live_journal
    assert not (snap.journal.docs or snap.journal.links), "the journal's commits are made a segment first"
    segments = snap.segments
    first = len(segments) - k  # (segments[first:] are merged)
    newest = _newest_rows(segments[first:])
    name, writer = segment_path(files, snap.generation)
    try:
        for doc_id in sorted(newest):
            number, row = newest[doc_id] & 0xFFFF, (newest[doc_id] >> 16) - 1
            if row < 0:
                writer.remove_doc(doc_id)
                continue
            raw, meta, head = segments[first + number].row(row)
            writer.add_doc(doc_id, raw, meta, head, ())  # (its keys: below)
        for number, segment in enumerate(segments[first:]):
            writer.add_pairs(
                (h << 32) | d
                for h, d in zip(segment.column("key_hashes"), segment.column("key_ids"), strict=True)
                if newest[d] & 0xFFFF == number
            )
        cursors = [Cursor(segment) for segment in segments[first:]]
        linked = {d for s in segments[first:] for d in s.column("link_ids")}
        for doc_id in sorted(linked):
            records = [
                decode_links(cursor.segment.path, change, doc_id)
                for cursor in cursors
                if (change := cursor.take(doc_id)) is not None
            ]
            encoded, refs, cited = joined_links(records, changes=True)
            assert encoded is not None  # (changes join into a change)
            writer.add_links(doc_id, encoded, (refs, cited))
        writer.set_run(_merged_run(snap, segments[first:], set(newest) | linked))
        size = writer.finish()
    except BaseException:
        writer.discard()
        raise
    listed = [(s.name, s.size) for s in segments[:first]] + [(name, size)]
    write_listing(files, snap, listed, {"next_id": snap.next_id, "counts": dict(snap.counts or {})})
    for segment in segments[first:]:
        with contextlib.suppress(OSError):
            (files.segments_path / segment.name).unlink()


def _merged_run(snap: Snapshot, merged: Sequence[Segment], touched: set[int]) -> list[int]:
    """The merged segment's run: the merged segments' runs, each entry kept where no newer one of them
    touches its document (they are the newest layers, so its key is the one now). A merged segment
    written before runs: what they touch keyed over the layers (``store.storage.runs``)."""
    try:
        for segment in merged:
            segment.load_run()
    except SegmentError:
        return state_run(snap, touched)
    last = array("H", bytes(2 * (max(touched, default=0) + 1)))  # doc id -> the newest touching it, + 1
    for number, segment in enumerate(merged, 1):
        for column in ("doc_ids", "link_ids"):
            for doc_id in segment.column(column):
                last[doc_id] = number
    keys = [key for number, s in enumerate(merged, 1) for key, doc_id in s.run() if last[doc_id] == number]
    keys.sort(reverse=True)
    return keys


def _newest_rows(segments: Sequence[Segment]) -> dict[int, int]:
    """Each document of ``segments`` (oldest first): which of them holds its newest version (the low 16
    bits) and its row there plus one (the rest; 0: a removal). One int a document, not a tuple: a
    merge of an import's batches holds hundreds of thousands."""
    if len(segments) > 0xFFFF:
        raise ValueError(f"{len(segments)} segments: too many to merge at once")
    newest: dict[int, int] = {}
    for number, segment in enumerate(segments):
        lengths = segment.column("doc_len")
        for row, doc_id in enumerate(segment.column("doc_ids")):
            newest[doc_id] = (0 if lengths[row] == REMOVED_LENGTH else row + 1) << 16 | number
    return newest
