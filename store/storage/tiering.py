"""Merging the newest segments into one, the base left as it is: what keeps an import's cost flat.

A bulk import writes its batches as segments (``store.storage.spilling``); folding them into the base
costs the whole library (``store.storage.fold``), which is what it must cost only now and then: when
the segments hold four times what the base does (so the library grows about fivefold between folds, and
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
the library meanwhile looks again while its files change (``store.storage.reader``). The
documents are the same before and after, so the search index stays fresh (``Library.compact``), and
the merged segment's run (``store.storage.segment``) is the merged ones' runs merged: it too reads
nothing else; its top (``store.storage.tops``) is the newest merged one's.
"""

from __future__ import annotations

import contextlib
import heapq
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import compress

import orjson

from store.schema import check_links
from store.storage import tops
from store.storage.committer import write_listing
from store.storage.decoding import usual, usual_joined
from store.storage.files import LibraryFiles
from store.storage.joins import joined_links, joined_plain, joined_record, plain_change
from store.storage.links import RELS
from store.storage.runs import state_run
from store.storage.segment import REMOVED_LENGTH, SegmentError, SegmentWriter
from store.storage.segmentids import check_all, damage
from store.storage.snapshot import Segment, Snapshot, decode_links
from store.storage.spilling import segment_path

# A run of the newest segments is merged when each of them holds less than 1/SHARE of their total
# (the batches of one file, or four files' merged segments of one size): a bigger, older segment is
# left out, so each merge costs about what the newest files added. Not 3, which meant four of one size
# as well, but for an import's batches: they hold more than the segment they are merged into (a
# document written by several of them, its link changes in several: ~1.2 times in the ten-file proxy),
# so two files' merged segments made a run with a third file's batches (1 + 1 + 1.2 > 3), and the 7th
# and the 10th of ten files of one size each merged three files' worth at its end. At 3.5 they wait
# for a fourth (3 + 1.2 > 3.5; batches would have to hold 1.5 times their merge to make three a run
# again), and four segments of one size (the journal's, made one at a time) still make a run.
SHARE = 3.5


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
    merged = segments[first:]
    name, writer = segment_path(files, snap.generation)
    size = write_merged(writer, merged, snap.next_id, snap)
    listed = [(s.name, s.size) for s in segments[:first]] + [(name, size)]
    write_listing(files, snap, listed, {"next_id": snap.next_id, "counts": dict(snap.counts or {})})
    for segment in merged:
        with contextlib.suppress(OSError):
            (files.segments_path / segment.name).unlink()


def write_merged(
    writer: SegmentWriter, merged: Sequence[Segment], next_id: int, snap: Snapshot | None
) -> int:
    """Write ``merged`` (the newest segments of a state whose next id is ``next_id``, oldest first) as
    one segment through ``writer``, finished (fsynced) or discarded; its size. ``snap``: the state, for
    the run of segments written before runs (keyed over its layers); None (a merge beside an import,
    in a process of its own: ``store.storage.beside``), and such a segment is a ``SegmentError``."""
    try:
        newest = _Newest(merged, next_id)
        for doc_id in newest.doc_ids():
            segment, row = merged[newest.layer[doc_id] - 1], newest.row[doc_id]
            if segment.column("doc_len")[row] == REMOVED_LENGTH:
                writer.remove_doc(doc_id)
                continue
            raw, meta, head = segment.row(row)
            writer.add_doc(doc_id, raw, meta, head, ())  # (its keys: below)
        # (each segment's pairs are in order: merged as they come, they need no sorting)
        writer.add_pairs(heapq.merge(*(_pairs(segment, n, newest) for n, segment in enumerate(merged, 1))))
        _merge_links(writer, merged, newest)
        writer.set_run(_merged_run(snap, merged, newest))
        # (the merged segment completes the state the newest of them completed: its top is that one's)
        top = merged[-1].top() if merged else None
        if top is None and snap is not None:
            prefix = tops.prefix_of(snap)
            top = tops.cut(prefix, snap.next_id) if prefix is not None else None  # (once: then kept)
        writer.set_top(top)
        return writer.finish()
    except BaseException:
        writer.discard()
        raise


def _merge_links(writer: SegmentWriter, merged: Sequence[Segment], newest: _Newest) -> None:
    """Each document's link changes in the merged segments joined into one, in id order. A change that
    one merged segment alone holds is checked and copied as bytes with its counts from that segment's
    tables (its tables have checksums), not joined and encoded again; the changes of a document that
    several of them change are joined, checked once (``_joined``). Each segment's link ids are
    in order (``check_all``) and every one of them is in ``newest.link_ids()``, so each segment's next
    change is the next document of its own that comes: no search; and the segments that change a
    document lie between the first and the last that do (``newest.first``, ``newest.linked``), so a
    merge of a file's thirty batches looks at those, not at all thirty, for each document. (The
    tables' columns are taken once, not looked up for each change: a merge writes millions.)"""
    ids = [segment.column("link_ids") for segment in merged]
    offs = [segment.column("link_off") for segment in merged]
    lens = [segment.column("link_len") for segment in merged]
    refs = [segment.column("link_refs") for segment in merged]
    cited = [segment.column("link_cited") for segment in merged]
    reads = [_Reads(segment, o, n) for segment, o, n in zip(merged, offs, lens, strict=True)]
    at = [0] * len(merged)
    many, first, linked = newest.many, newest.first, newest.linked
    add = writer.add_links
    for doc_id in newest.link_ids():
        if not many[doc_id]:
            n = linked[doc_id] - 1
            i = at[n]
            if i >= len(ids[n]) or ids[n][i] != doc_id:  # (never, ids in order: see check_all)
                raise damage(merged[n], "its link_ids table is out of order")
            at[n] = i + 1
            raw = reads[n].read(i)
            if plain_change(raw) is None and not _usual_change(raw):
                decode_links(
                    merged[n].path, raw, doc_id
                )  # (checked: a damaged one is one line, nothing changed)
            add(doc_id, raw, (refs[n][i], cited[n][i]))
            continue
        raws = []
        for n in range(first[doc_id] - 1, linked[doc_id]):
            i = at[n]
            if i < len(ids[n]) and ids[n][i] == doc_id:
                at[n] = i + 1
                raws.append((merged[n], reads[n].read(i)))
        add(doc_id, *(joined_plain([raw for _segment, raw in raws]) or _joined(raws, doc_id)))
    for n, segment in enumerate(merged):
        if at[n] != len(ids[n]):
            raise damage(segment, "its link_ids table is out of order")


class _Reads:
    """A segment's link changes read in the order of its tables, WINDOW bytes at a time where they lie
    one after the other (as a merge writes them): a merge reads hundreds of thousands, and one read
    each was a tenth of its CPU. A window ends where a change it holds ends (never past the last
    change: not into the tables, and what a change's read would find wrong it still finds), and a
    change not wholly in the window is read alone."""

    def __init__(self, segment: Segment, offs: array[int], lens: array[int]) -> None:
        self.segment, self.offs, self.lens = segment, offs, lens
        self.window, self.at = b"", 0

    def read(self, row: int) -> bytes:
        off, length = self.offs[row], self.lens[row]
        i = off - self.at
        if self.window and i >= 0 and i + length <= len(self.window):
            return self.window[i : i + length]
        offs, lens = self.offs, self.lens
        last = max(row, bisect_right(offs, off + WINDOW, row) - 1)
        end = offs[last] + lens[last]
        # (a window only where the changes fill half of it, or each is read alone: in a segment whose
        # changes lie out of their tables' order, as a batch written before 3d2cef7 has them, the
        # bytes between them are no change's; and it must hold this change whole)
        if last == row or not off + length <= end <= 2 * sum(lens[row : last + 1]) + off:
            return self.segment.read((off, length))
        self.window, self.at = self.segment.read((off, end - off)), off
        return self.window[:length]


# (small: a merge holds one window a segment it merges, thirty and more when it merges a file's
# batches, and a merge's memory is counted by the row, tests/store/test_tiering.py; a window still
# reads some eighty changes at a time)
WINDOW = 1 << 13


def _usual_change(raw: bytes) -> bool:
    """Whether a change is of the usual shape and checks (``decoding.usual``): then it is what
    ``decode_links`` would pass, found without walking its lists one by one."""
    try:
        return usual([orjson.loads(raw)]) is not None
    except orjson.JSONDecodeError:
        return False


def _joined(raws: list[tuple[Segment, bytes]], doc_id: int) -> tuple[bytes, tuple[int, int]]:
    """A document's link changes in several merged segments (``raws``: each segment and the change's
    JSON, oldest first) joined into one, with its counts. Checked once, joined, not each change: the
    joined change holds every target and source of each (``joins.joined_record``), so a change that
    does not check makes it fail, and the shapes a join would pass over (a key that is not part of a
    change, sources by another relation) are looked at in each. A change that removes something, or
    that does not check, is composed from the changes decoded and checked one by one, which names a
    damaged one in one line (``decode_links``)."""
    try:
        records = [orjson.loads(raw) for _segment, raw in raws]
        if (found := usual_joined(records)) is not None:
            return found
        if all(type(r) is dict and r.keys() <= _CHANGE_KEYS and _by_relation(r) for r in records):
            joined, refs, cited = joined_record(records, changes=True)
            if not check_links(joined):
                return orjson.dumps(joined), (refs, cited)
    except (orjson.JSONDecodeError, TypeError, AttributeError, ValueError):
        pass
    records = [decode_links(segment.path, raw, doc_id) for segment, raw in raws]
    encoded, refs, cited = joined_links(records, changes=True)
    assert encoded is not None  # (changes join into a change)
    return encoded, (refs, cited)


_CHANGE_KEYS = frozenset(("references", "cited_by", "link_sources"))  # (not "removed": composed by Change.of)
_RELS = frozenset(RELS)


def _by_relation(record: dict[str, object]) -> bool:
    sources = record.get("link_sources")
    return sources is None or (type(sources) is dict and sources.keys() <= _RELS)


class _Newest:
    """What the merged segments (oldest first) touch, by document id, in columns (a few bytes a document
    id, not objects: a merge of several files' segments touches millions of documents, and a dict and
    sets of them held hundreds of megabytes): which of them holds each document's newest version
    (``layer``: 1 + its number; 0: none of them) and its row there; which of them last changes each
    document's links (``linked``: 1 + its number; 0: none), which first (``first``), and whether more
    than one does (``many``)."""

    def __init__(self, merged: Sequence[Segment], limit: int) -> None:
        if len(merged) >= 0xFFFF:
            raise ValueError(f"{len(merged)} segments: too many to merge at once")
        # (the largest id of their tables, each checked below the next id: ``store.storage.segmentids``)
        size = 1 + max((check_all(s, limit) for s in merged), default=0)
        self.layer = array("H", bytes(2 * size))
        self.row = array("I", bytes(4 * size))
        self.linked = array("H", bytes(2 * size))
        self.first = array("H", bytes(2 * size))  # (1 + the first of them that changes its links)
        self.many = bytearray(size)  # (1: more than one of them changes its links)
        for number, segment in enumerate(merged, 1):
            layer, row, linked, many, first = self.layer, self.row, self.linked, self.many, self.first
            for r, doc_id in enumerate(segment.column("doc_ids")):
                layer[doc_id] = number
                row[doc_id] = r
            for doc_id in segment.column("link_ids"):
                if linked[doc_id]:
                    many[doc_id] = 1
                else:
                    first[doc_id] = number
                linked[doc_id] = number

    def doc_ids(self) -> Iterator[int]:
        """The documents the merged segments write (or remove), in id order."""
        return compress(range(len(self.layer)), self.layer)

    def link_ids(self) -> Iterator[int]:
        """The documents whose links the merged segments change, in id order."""
        return compress(range(len(self.linked)), self.linked)

    def touched(self) -> Iterator[int]:
        """The documents the merged segments write or change the links of, in id order."""
        return compress(range(len(self.layer)), map(max, self.layer, self.linked))


def _merged_run(snap: Snapshot | None, merged: Sequence[Segment], newest: _Newest) -> array[int]:
    """The merged segment's run: the merged segments' runs, each entry kept where no newer one of them
    touches its document (they are the newest layers, so its key is the one now), merged as they come
    (each run is in order, largest first: nothing sorted, nothing held but the result, eight bytes an
    entry). A merged segment written before runs: what they touch keyed over the layers
    (``store.storage.runs``)."""
    try:
        for segment in merged:
            segment.load_run()
    except SegmentError:
        if snap is None:
            raise
        return array("Q", state_run(snap, newest.touched()))
    runs = [_kept(segment, number, newest) for number, segment in enumerate(merged, 1)]
    return array("Q", heapq.merge(*runs, reverse=True))


def _pairs(segment: Segment, number: int, newest: _Newest) -> Iterator[int]:
    """The identity key pairs of segment ``number``'s documents that no newer merged segment writes."""
    layer = newest.layer
    for h, doc_id in zip(segment.column("key_hashes"), segment.column("key_ids"), strict=True):
        if layer[doc_id] == number:
            yield (h << 32) | doc_id


def _kept(segment: Segment, number: int, newest: _Newest) -> Iterator[int]:
    """The keys of segment ``number``'s run whose documents no newer merged segment touches."""
    layer, linked = newest.layer, newest.linked
    for key, doc_id in segment.run():
        if max(layer[doc_id], linked[doc_id]) == number:
            yield key
