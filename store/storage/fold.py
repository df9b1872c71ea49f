"""Folding a library's layers (base, segments, journal) into a new base: a stream, in bounded memory.

Compaction, the first commit of a new library and a repair write a new generation from a state made of
layers: the old base, the segments, the journal, and what a transaction staged. The fold reads each
layer once and writes the new base once (``store.storage.generation.Builder``), in document id order:

- which layer holds the newest version of each document is worked out first, from the layers' tables
  alone (``Owners``: a few bytes a document, never the documents);
- documents of the old base that lie side by side, unchanged, are copied as slices of bytes; those of
  a segment are copied as bytes too, each checked to be JSON (``_check_doc``), with their meta and
  head from the segment's tables (what a segment holds was checked and derived when it was written);
  only the journal's and the staged documents are decoded;
- the identity keys are taken from the old index's and the segments' key tables (only the documents
  of the journal are asked for theirs), never from the documents;
- a link record unchanged since the base is copied as bytes; a changed one is its base record and its
  changes joined (an import's changes only add), decoded once; only changes that remove something are
  applied one by one (``Snapshot.link_state``). A document's one change, of a segment this transaction
  wrote and of the plain shape, with no base record (nearly every document of an import into an empty
  library), is the record it makes: taken as bytes, its ids seen to be numbers (``joins.plain_record``).

What it holds while it runs: the tables above and the new index's columns (tens of bytes a document),
the identity key pairs (``IndexData.pairs``: 12 bytes a pair, ``columns.Pairs``), one run of bytes.
Not the documents, nor their keys as text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import orjson

from store.errors import LibraryFileError
from store.merge import doc_keys
from store.storage import linkends
from store.storage import links as linkrec
from store.storage.decoding import usual_joined
from store.storage.files import Doc, LibraryFiles
from store.storage.foldlinks import LinksBeside, Misplaced
from store.storage.foldsize import encoded_docs, links_start
from store.storage.generation import RUN_BYTES, Builder, Old, check_ids
from store.storage.joins import joined_links, plain_record
from store.storage.layer import Segment
from store.storage.linkwalk import Walk
from store.storage.meta import head_of, meta_of
from store.storage.owners import NONE, Owners
from store.storage.segmentids import check_all, outside
from store.storage.segmentrows import Rows
from store.storage.snapshot import Snapshot, decode, decode_links


class _NotIn:
    """``in`` is true for the documents whose newest version is not in ``layer`` (for
    ``DocIndex.pairs_except``)."""

    def __init__(self, owners: Owners, layer: int) -> None:
        self._layers = owners.layer
        self._layer = layer

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, int) and self._layers[doc_id] != self._layer


def write_state(
    files: LibraryFiles,
    snap: Snapshot,
    docs: Mapping[int, Doc | None],
    changes: Mapping[int, linkrec.Change],
    *,
    next_id: int,
    counts: dict[str, int] | None,
    derive: list[str] | None = None,
) -> None:
    """Write the state ``snap`` plus the staged ``docs`` and link ``changes`` as a new generation.
    ``derive`` (a repair): a segment's documents are decoded and their meta, head and keys derived
    from them, not copied from its tables (which have no checksum in segments written before stop 26,
    and whose damage would so be carried into the new index); one that does not decode is left out,
    said in a line added to ``derive``."""
    # (ids below the next id, in order: ``store.storage.segmentids``; a repair derives the key tables
    # anew from the documents, so it does not read them: one damaged made the repair refuse itself)
    for segment in snap.segments:
        check_all(segment, next_id, keys=derive is None)
    owners = Owners.of(snap, docs, next_id)
    count = owners.count()  # (a walk of every id: once, for the check and the child's choice)
    check_ids(files, owners.max_id, count)
    # (a repair's documents decide which links are kept, ``owners.left``: the documents come first)
    beside = derive is None and LinksBeside.wanted(count, snap.segments)
    try:
        _write(files, snap, docs, changes, owners, next_id, counts, derive, beside=beside)
    except Misplaced:  # (a bug's cost, not a failure: the fold again, its link records by this process)
        _write(files, snap, docs, changes, owners, next_id, counts, derive, beside=False)


def _write(
    files: LibraryFiles,
    snap: Snapshot,
    docs: Mapping[int, Doc | None],
    changes: Mapping[int, linkrec.Change],
    owners: Owners,
    next_id: int,
    counts: dict[str, int] | None,
    derive: list[str] | None,
    *,
    beside: bool,
) -> None:
    builder = Builder(files, owners.last_id)
    child: LinksBeside | None = None
    try:
        old = Old(snap.index, snap.base_fd) if snap.index is not None and snap.base_fd is not None else None
        written = _written(builder, snap.segments)

        def write_links(into: Builder) -> None:
            _write_links(into, snap, changes, owners, old, written)

        encoded: dict[int, tuple[Doc, bytes]] = {}
        if beside:  # (in a child, into the new base where they will start: ``foldlinks``, ``foldsize``)
            encoded = encoded_docs(snap, docs, owners)
            at = links_start(builder.writer.position, owners, snap.index, snap.segments, encoded)
            child = LinksBeside.start(files, owners.last_id, builder.base_tmp, at, write_links)
        _write_docs(builder, snap, docs, owners, old, derive, encoded)
        _write_pairs(builder, snap, owners, tables=derive is None)
        builder.start_links()
        if child is None or not child.into(builder):
            write_links(builder)
        builder.finish(next_id, counts)
    except BaseException:
        if child is not None:
            child.abandon()
        builder.discard()
        raise


def _write_docs(
    builder: Builder,
    snap: Snapshot,
    docs: Mapping[int, Doc | None],
    owners: Owners,
    old: Old | None,
    derive: list[str] | None,
    encoded: dict[int, tuple[Doc, bytes]],
) -> None:
    """``encoded``: documents of the journal and staged ones encoded already (``foldsize.encoded_docs``)."""
    segments = snap.segments
    layer, row = owners.layer, owners.row
    written = _written(builder, segments)
    run = _Run(builder, old, links=False)
    rows: dict[int, Rows] = {}  # (each segment's, by its number: ``store.storage.segmentrows``)
    for doc_id in range(1, owners.max_id + 1):
        number = layer[doc_id]
        if number == NONE:
            continue
        if number == 0:
            run.add(doc_id)
            continue
        run.flush()
        if number <= len(segments):
            segment = segments[number - 1]
            if derive is not None:  # (its document alone: the other tables are not read)
                r = row[doc_id]
                raw = segment.read((segment.column("doc_off")[r], segment.column("doc_len")[r]))
                try:
                    found = decode(segment.path, raw, doc_id)
                except LibraryFileError as exc:
                    derive.append(f"left out {str(exc).split('; ')[0]}")
                    layer[doc_id] = NONE  # (and its links: it is not held)
                    owners.left.append(doc_id)
                    continue
                builder.add_doc(doc_id, raw, meta_of(found), head_of(found), doc_keys(found))  # type: ignore[arg-type]
                continue
            if (rows_of := rows.get(number)) is None:
                rows_of = rows[number] = Rows(segment)
            raw, meta, head, pmid = rows_of.row(row[doc_id])
            if number - 1 not in written:
                _check_doc(segment, raw, doc_id)
            builder.add_doc(doc_id, raw, meta, head, None, pmid)  # (its keys: ``_write_pairs``)
            continue
        if (made := encoded.pop(doc_id, None)) is not None:
            doc, raw = made
        else:
            got = docs[doc_id] if number == owners.staged else snap.doc(doc_id)
            assert got is not None
            doc, raw = got, orjson.dumps(got)
        builder.add_doc(doc_id, raw, meta_of(doc), head_of(doc), doc_keys(doc))  # type: ignore[arg-type]
    run.flush()


def _written(builder: Builder, segments: list[Segment]) -> set[int]:
    """The numbers (0 the oldest) of the segments this transaction wrote: a bulk import's batches and the
    journal made a segment, written from what it decoded or made, moments ago."""
    mine = {id(segment) for segment, _size in builder.files.pending.segments}
    return {n for n, segment in enumerate(segments) if id(segment) in mine}


def _check_doc(segment: Segment, raw: bytes, doc_id: int) -> None:
    """A segment's document, copied as bytes, is checked to be JSON (4 us a document, a third of what
    ``decode``, checking it against the schema too, costs): a flipped bit in its structure, or one that
    breaks its UTF-8 (a high bit), is found here, as ``pmbrowse check`` finds it; one that makes a letter
    another is not: only a checksum of each document could tell, and segments keep none."""
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{segment.path} is damaged (its document {doc_id} is not valid JSON: {exc.msg}); "
            "the library was left as it is; `pmbrowse repair` mends it"
        ) from None


def _write_pairs(builder: Builder, snap: Snapshot, owners: Owners, *, tables: bool) -> None:
    """The identity key pairs of the documents of the base and (``tables``) of the segments, from
    their key tables (those of the journal and the staged documents, and of the segments' documents
    when their keys are derived, were added with them)."""
    pairs = builder.data.pairs
    if snap.index is not None:
        pairs.extend(snap.index.pairs_except(_NotIn(owners, 0)))
    layer = owners.layer
    for number, segment in enumerate(snap.segments if tables else (), 1):
        try:
            for h, doc_id in zip(segment.column("key_hashes"), segment.column("key_ids"), strict=True):
                if layer[doc_id] == number:
                    pairs.append((h << 32) | doc_id)
        except IndexError:  # (a key of a document past the last it holds)
            raise outside(segment) from None


def _write_links(
    builder: Builder,
    snap: Snapshot,
    changes: Mapping[int, linkrec.Change],
    owners: Owners,
    old: Old | None,
    written: set[int],
) -> None:
    """Every present document's link record: unchanged ones copied, the others composed from the base
    record and the changes (``_compose``); one change alone of a segment this transaction wrote
    (``written``), of the plain shape, taken as it is (``joins.plain_record``)."""
    size = owners.max_id + 1
    journal = snap.journal.links if snap.journal is not None else {}
    index = snap.index
    layer = owners.layer
    walk = Walk(snap.segments)  # (each segment's changes once, in id order)
    ends = linkends.of(snap, owners.left)
    run = _Run(builder, old, links=True)
    mine = {segment.path for n, segment in enumerate(snap.segments) if n in written}
    for doc_id in range(1, size):
        if layer[doc_id] == NONE:
            continue
        base = index.link_location(doc_id) if index is not None else None
        if walk.next < doc_id:  # (changes of documents no longer held)
            walk.take(doc_id - 1, read=False)
        if walk.next != doc_id and doc_id not in journal and doc_id not in changes and doc_id not in ends:
            if base is not None:
                run.add(doc_id)
            continue
        run.flush()
        raws = walk.take(doc_id)
        if doc_id in journal:
            raws += [
                (snap.journal_path, snap.journal_read(where), snap.commit_named(where))
                for where in journal[doc_id]
            ]
        change = changes.get(doc_id)
        if doc_id in ends:
            composed = None
        elif change is None:
            alone = base is None and len(raws) == 1 and raws[0][0] in mine  # (of this transaction)
            composed = (plain_record(raws[0][1]) if alone else None) or _compose(snap, doc_id, base, raws)
        elif base is None and not raws and not change.removed and not change.more_sources:
            # (a document with no links stored anywhere yet, only added to: an import's new records and
            # stubs, whose change is their links in full, ``store.linkedits``; no state to build)
            composed = (change.encode() if any(change.added.values()) else None), *change.counts
        elif not change.removed:
            composed = _compose(snap, doc_id, base, [*raws, (snap.path, change.encode(), "this commit")])
        else:
            composed = None
        if composed is None:
            state = snap.link_state(doc_id)
            if doc_id in changes:
                changes[doc_id].apply_to(state)
            linkends.drop(state, ends.get(doc_id, ()))
            composed = linkrec.encode(state), len(state["references"]), len(state["cited_by"])
        if composed[0] is not None:
            builder.add_links(doc_id, *composed)  # type: ignore[arg-type]
    run.flush()


def _compose(
    snap: Snapshot, doc_id: int, base: tuple[int, int] | None, raws: list[tuple[Path, bytes, str]]
) -> tuple[bytes | None, int, int] | None:
    """A document's link record from its base record and its changes (``raws``: the file each is in,
    it, and where in that file for a message), when they remove nothing (an import only adds):
    ``joined_links``. None: a change removes something (then ``Snapshot.link_state`` composes it).
    Each is checked as it is decoded: a damaged one stops the fold with one line naming it (the usual
    record and changes an import leaves, nearly all of them, are checked and joined at once, the same
    bytes: ``usual_joined``)."""
    if any(b'"removed"' in raw for _path, raw, _where in raws):
        return None
    based = snap.base_read(base, doc_id) if base is not None else None
    with contextlib.suppress(orjson.JSONDecodeError):  # (said below, naming where it is)
        # (the usual record and changes, checked and joined at once: ``usual``)
        usual = [orjson.loads(raw) for _path, raw, _where in raws]
        if based is not None:
            usual.insert(0, orjson.loads(based))
        if (found := usual_joined(usual)) is not None:
            return found[0], *found[1]
    records = [decode_links(path, raw, doc_id, where) for path, raw, where in raws]
    if based is not None:
        records.insert(0, decode_links(snap.path, based, doc_id))
    return joined_links(records, changes=False)


class _Run:
    """Records of the old base that lie side by side, unchanged: copied as one slice when the run ends
    (only records with nothing dropped between them, and a few megabytes at a time: a run is copied
    through memory)."""

    def __init__(self, builder: Builder, old: Old | None, *, links: bool) -> None:
        self.builder = builder
        self.old = old
        self.links = links
        self.ids: list[int] = []
        self.start = self.end = 0

    def add(self, doc_id: int) -> None:
        assert self.old is not None
        index = self.old.index
        location = index.link_location(doc_id) if self.links else index.location(doc_id)
        assert location is not None
        if self.ids and (
            location[0] - self.end != len(b',\n"%d":' % doc_id)
            or location[0] + location[1] - self.start > RUN_BYTES
        ):
            self.flush()
        if not self.ids:
            self.start = location[0]
        self.ids.append(doc_id)
        self.end = location[0] + location[1]

    def flush(self) -> None:
        if self.ids:
            assert self.old is not None
            (self.builder.copy_links if self.links else self.builder.copy_docs)(self.old, self.ids)
            self.ids = []
