"""Merging the newest segments into one, the base left as it is: what keeps an import's cost flat.

A bulk import writes its batches as segments (``store.storage.spilling``); folding them into the base
costs the whole library (``store.storage.fold``), which is what it must cost only now and then: when
the segments hold as much as the base (so the base at most doubles at each fold, and each record is
rewritten a bounded number of times), or when they are too many (each is a layer a read looks at).
Between those folds, a command that leaves a run of similar segments (the batches of the file it
imported) merges them into one, as a log-structured store's size tiers do: a file of 100,000 records
costs the same in a library of a million as in an empty one, and the layers stay few.

A merge writes one segment from the newest segments and the journal's commits (the newest layer):
each document as last written, each document's link changes joined into one. It commits as a bulk
import does: a new journal listing the older segments and the new one, renamed over the old journal
(the commit point). Killed before it, the new segment is a file nobody lists, which the next writer
removes; after it, the merged segments are, and are removed the same way (or at once). A reader that
holds the old segments open reads them to its end (an unlinked file stays readable); one that opens
the library meanwhile retries until the segments it lists are there (``store.storage.opening``). The
documents are the same before and after, so the search index stays fresh (``Library.compact``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import orjson

from store.merge import doc_keys
from store.storage.committer import write_listing
from store.storage.files import LibraryFiles
from store.storage.fold import NONE, Cursor, Owners, joined_links
from store.storage.meta import head_of, meta_of
from store.storage.snapshot import Snapshot, decode, decode_links
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
    """Merge the newest ``k`` segments and the journal's commits into one segment (under the write lock:
    the caller's transaction)."""
    assert snap.generation is not None and snap.journal is not None and snap.live_journal
    segments = snap.segments
    first = len(segments) - k  # (segments[first:] are merged)
    owners = Owners.of(snap, {})
    journal = snap.journal
    name, writer = segment_path(files, snap.generation)
    try:
        removed = {d for s in segments[first:] for d, gone in s.ids() if gone}
        removed.update(d for d, where in journal.docs.items() if where is None)
        layer, row = owners.layer, owners.row
        merged = set(range(first + 1, len(segments) + 1))
        for doc_id in sorted({d for s in segments[first:] for d, _gone in s.ids()} | set(journal.docs)):
            number = layer[doc_id]
            if number == NONE:
                if doc_id in removed:
                    writer.remove_doc(doc_id)
            elif number in merged:
                raw, meta, head = segments[number - 1].row(row[doc_id])
                writer.add_doc(doc_id, raw, meta, head, ())  # (its keys: below)
            elif number == owners.journal:
                raw_doc = snap.stored(doc_id)
                assert raw_doc is not None
                doc = decode(snap.journal_path, raw_doc, doc_id)
                writer.add_doc(doc_id, raw_doc, meta_of(doc), head_of(doc), doc_keys(doc))  # type: ignore[arg-type]
        for number in merged:
            segment = segments[number - 1]
            writer.add_pairs(
                (h << 32) | d
                for h, d in zip(segment.column("key_hashes"), segment.column("key_ids"), strict=True)
                if layer[d] == number
            )
        cursors = [Cursor(segment) for segment in segments[first:]]
        linked = {d for s in segments[first:] for d in s.column("link_ids")} | set(journal.links)
        for doc_id in sorted(linked):
            changes = [change for cursor in cursors if (change := cursor.take(doc_id)) is not None]
            records = [orjson.loads(change) for change in changes]
            records += [
                decode_links(snap.journal_path, snap.journal_read(where), doc_id, snap.commit_named(where))
                for where in journal.links.get(doc_id, ())
            ]
            encoded, refs, cited = joined_links(records, changes=True)
            assert encoded is not None  # (changes join into a change)
            writer.add_links(doc_id, encoded, (refs, cited))
        size = writer.finish()
    except BaseException:
        writer.discard()
        raise
    listed = [(s.name, s.size) for s in segments[:first]] + [(name, size)]
    write_listing(files, snap, listed, {"next_id": snap.next_id, "counts": dict(snap.counts or {})})
    for segment in segments[first:]:
        with contextlib.suppress(OSError):
            (files.segments_path / segment.name).unlink()
