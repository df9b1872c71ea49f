"""A bulk transaction's batches, written as segments as it goes (see ``store.storage.segment``).

An import of a large file stages its records batch by batch: each batch is written as a segment and
dropped from memory, so an import holds one batch, whatever the size of the file or of the library.
The segments stay private to the transaction (its thread reads through them: ``Pending.view``) until
its commit lists them in the journal, all at once; a transaction that fails removes them, so a file
that fails half-way changes nothing. Each batch is written by a forked child while the import goes on
(``store.storage.spillchild``), read once the child is done; where a fork is not made (the app, which
runs threads; not Linux; a process past ``spillchild.FORK_BELOW`` of memory), here, as before.

The journal's own commits are older than the batches, and the journal is the newest layer of a
library's state: so before the first batch, they are folded into a segment of their own, and the
commit that lists the batches' segments rewrites the journal without them.

Each segment keeps its run, its documents ranked most cited first as of the state it completes
(``store.storage.segment``, ``store.storage.citations``), worked out as it is written over the layers
below it: the library's and the transaction's earlier batches (``store.storage.runs``); and its top,
the first documents of that state's order, from the top of the segment below and its own run
(``store.storage.tops``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

import orjson

from store.interrupts import held_off
from store.journal import Replay
from store.merge import doc_keys
from store.storage import links as linkrec
from store.storage import spillchild, tops
from store.storage.files import Doc, LibraryFiles
from store.storage.meta import Meta, head_of, meta_of
from store.storage.runs import Tally
from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.snapshot import Snapshot, decode, decode_links


def segment_path(files: LibraryFiles, generation: str) -> tuple[str, SegmentWriter]:
    """A new segment file of ``generation``: its name and a writer."""
    files.segments_path.mkdir(exist_ok=True)
    name = f"{generation}.{secrets.token_hex(6)}.seg"
    return name, SegmentWriter(files.segments_path / name, generation)


def start(files: LibraryFiles, snap: Snapshot) -> None:
    """Begin spilling: fold the journal's commits into a segment, and make the owner's view (the state
    with the journal's commits in that segment: ``pending.view``). What a bulk import does before its
    first batch, and a compaction that turns the journal into a segment (``store.storage.compactor``)."""
    pending = files.pending
    private: list[SegmentFile] = []
    journal = snap.journal
    if snap.live_journal and journal is not None and (journal.docs or journal.links):
        private.append(_write(files, snap, journal))
    pending.view = dataclasses.replace(
        snap, segments=[*snap.segments, *private], journal=Replay(generation=snap.generation, end=0)
    )
    pending.counts = dict(snap.counts or {})
    pending.next_id = snap.next_id


def _write(files: LibraryFiles, snap: Snapshot, journal: Replay) -> SegmentFile:
    """The journal's commits as one segment (each document as last written, each link change
    composed into one)."""
    assert snap.generation is not None
    name, writer = segment_path(files, snap.generation)
    metas: dict[int, Meta | None] = {}
    cited: dict[int, int] = {}
    try:
        for doc_id, where in sorted(journal.docs.items()):  # (in id order, as the tables list them)
            if where is None:
                writer.remove_doc(doc_id)
                metas[doc_id] = None
                continue
            raw = snap.journal_read(where)
            doc = decode(snap.journal_path, raw, doc_id, snap.commit_named(where))
            metas[doc_id] = meta = meta_of(doc)
            writer.add_doc(doc_id, raw, meta, head_of(doc), doc_keys(doc))  # type: ignore[arg-type]
        for doc_id, wheres in sorted(journal.links.items()):
            records = [
                decode_links(snap.journal_path, snap.journal_read(w), doc_id, snap.commit_named(w))
                for w in wheres
            ]
            change = linkrec.Change.of(records)
            counted = change.counts
            writer.add_links(doc_id, change.encode(), counted)
            cited[doc_id] = counted[1]
        # (Its run: the documents it touches, asked of the layers below one by one: a few, mostly.)
        tally = Tally(snap.index, {**metas, **cited})
        for segment in snap.segments:
            tally.segment(segment)
        run = _run(tally, metas, cited)
        writer.set_run(run)
        writer.set_top(tops.after(tops.prefix_of(snap), {**metas, **cited}, run, tally.values, snap.next_id))
        size = writer.finish()
    except BaseException:
        writer.discard()
        raise
    return _opened(files, name, size)


def _run(tally: Tally, metas: dict[int, Meta | None], cited: dict[int, int]) -> list[int]:
    """The run of a segment holding ``metas`` (each document it writes; None: removed) and changing the
    citing counts ``cited``, written over the state ``tally`` holds (which then holds the segment)."""
    tally.changes(metas, cited)
    return tally.run({**metas, **cited})


def _opened(files: LibraryFiles, name: str, size: int) -> SegmentFile:
    # (read whole at the first look-up, not by the block: the transaction's look-ups ask each of its
    # blocks many times over)
    segment = SegmentFile(files.segments_path / name, size, by_block=False)
    files.pending.segments.append((segment, size))
    return segment


def spill(
    files: LibraryFiles,
    docs: Mapping[int, Doc | None],
    links: Mapping[int, linkrec.Change],
    *,
    child: bool = True,
) -> None:
    """Write a batch (documents, ``None`` for a removed one, and link changes) as a segment of the
    transaction in progress: with ``child``, in a forked child while this thread goes on
    (``store.storage.spillchild``: read once written, waited for by the next spill and the commit)."""
    settle(files)
    pending = files.pending
    view = pending.view
    assert view is not None and view.generation is not None
    if not isinstance(pending.tally, Tally):
        # (The keys of every document as of the state so far, kept from batch to batch.)
        pending.tally = Tally.whole(view.index, view.next_id)
        for segment in view.segments:
            pending.tally.segment(segment)
    if not (child and spillchild.can_fork()):
        segment, size, counts, next_id = _write_batch(files, view, docs, links, pending.tally)
        pending.counts, pending.next_id = counts, next_id
        pending.segments.append((segment, size))
        view.segments.append(segment)
        view.next_id = next_id  # (the view's ids below its next id, as a committed state's: ``newest``)
        return
    files.segments_path.mkdir(exist_ok=True)
    path = files.segments_path / f"{view.generation}.{secrets.token_hex(6)}.seg"
    tally = pending.tally

    def write() -> spillchild.Result:  # (in the child)
        _segment, size, counts, next_id = _write_batch(files, view, docs, links, tally, path)
        return size, counts, next_id

    def written() -> None:  # (the child's segment, taken into the tally here)
        tally.limit = max(tally.limit, pending.next_id)
        tally.segment(segment)

    with held_off():  # (a Ctrl-C between the fork and this list would leave a child nobody tracks)
        segment = spillchild.fork(path, pending, write, written, (docs, links))
        view.segments.append(segment)
    pending.next_id = max(pending.next_id, _last_made(docs) + 1)
    view.next_id = pending.next_id


def _last_made(docs: Mapping[int, Doc | None]) -> int:
    """The highest id of a document written (not removed) in ``docs``, or -1: the highest id, asked in
    C, unless that is a removal (then each is looked at, as before: a Python walk over a batch's
    100,000 documents, 0.9% of an import's main thread)."""
    top = max(docs, default=-1)
    if top < 0 or docs[top] is not None:
        return top
    return max((doc_id for doc_id, doc in docs.items() if doc is not None), default=-1)


def settle(files: LibraryFiles) -> None:
    """Wait for the child writing the transaction's last batch, if one is (``spill``)."""
    view = files.pending.view
    if view is not None and view.segments and isinstance(last := view.segments[-1], spillchild.Unwritten):
        last.settle()


def _write_batch(
    files: LibraryFiles,
    view: Snapshot,
    docs: Mapping[int, Doc | None],
    links: Mapping[int, linkrec.Change],
    tally: Tally,
    path: Path | None = None,
) -> tuple[SegmentFile, int, dict[str, int], int]:
    """Write the batch over ``view`` (the transaction's state) and ``tally`` (its keys): the segment,
    its size, the transaction's counts and next id after it."""
    assert view.generation is not None
    pending = files.pending
    counts, next_id = dict(pending.counts), pending.next_id
    if path is None:
        name, writer = segment_path(files, view.generation)
    else:
        name, writer = path.name, SegmentWriter(path, view.generation)
    metas: dict[int, Meta | None] = {}
    known = view.next_id  # (no layer holds an id from here on: most of an import's, new, are not asked)
    # (once a document of every batch: its names bound here, and the counts kept as two numbers, added
    # to ``counts`` after the loop; ``stubs`` and ``records`` each moved by one, as before, per document)
    stubs = records = 0
    add_doc, dumps = writer.add_doc, orjson.dumps
    try:
        for doc_id, doc in sorted(docs.items()):
            if doc_id < known and (old := view.meta(doc_id)) is not None:
                if old.stub:
                    stubs -= 1
                else:
                    records -= 1
            if doc is None:
                writer.remove_doc(doc_id)
                metas[doc_id] = None
                continue
            metas[doc_id] = meta = meta_of(doc)
            if meta.stub:
                stubs += 1
            else:
                records += 1
            add_doc(doc_id, dumps(doc), meta, head_of(doc), doc_keys(doc))  # type: ignore[arg-type]
        if stubs:
            counts["stubs"] += stubs
        if records:
            counts["records"] += records
        next_id = max(next_id, _last_made(docs) + 1)
        cited: dict[int, int] = {}
        added = 0
        add_links = writer.add_links
        # (in id order, as the table lists them: a fold or a merge reads on; ``counts`` once a change: an
        # import writes one for each document it cites)
        for doc_id, change in sorted(links.items()):
            counted = change.counts
            add_links(doc_id, change.encode(), counted)
            added += counted[0]
            cited[doc_id] = counted[1]
        counts["links"] = counts.get("links", 0) + added
        run = _run(tally, metas, cited)
        writer.set_run(run)
        writer.set_top(tops.after(tops.prefix_of(view), {**metas, **cited}, run, tally.values, next_id))
        size = writer.finish()
    except BaseException:
        writer.discard()
        raise
    return (
        SegmentFile(files.segments_path / name, size, by_block=False),
        size,
        counts,
        next_id,
    )  # (``_opened``)


def discard(files: LibraryFiles, *, folder: bool = False) -> None:
    """Remove the segments of a transaction that did not commit (a child writing one killed first);
    with ``folder`` (the transaction made the segments' folder), the folder too when nothing else is
    in it."""
    view = files.pending.view
    for segment in view.segments if view is not None else ():
        if isinstance(segment, spillchild.Unwritten) and segment.waiting:
            segment.abandon()
    for segment, _size in files.pending.segments:
        with contextlib.suppress(OSError):
            (files.segments_path / segment.name).unlink()
    if folder:
        with contextlib.suppress(OSError):  # (not empty: another file is there, and stays)
            files.segments_path.rmdir()


def remove_orphans(files: LibraryFiles, listed: Iterable[str]) -> None:
    """Segment files the journal does not list: left by a writer killed before its commit (we hold the
    lock, so no other writer is making any)."""
    folder = files.segments_path
    if not folder.is_dir():
        return
    keep = set(listed)
    for entry in folder.iterdir():
        if entry.name not in keep:
            with contextlib.suppress(OSError):
                entry.unlink()
    if not keep:  # (as a fold leaves it: segments it could not remove, its folder read-only, are gone now)
        with contextlib.suppress(OSError):  # (not empty: something else is there, and stays)
            folder.rmdir()
