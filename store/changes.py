"""A unit of work on the library: import records, grow stubs, keep links two-way, then commit once.

Everything happens on copies of the touched documents; nothing reaches the library until ``commit()``,
so an exception anywhere before it leaves the library exactly as it was. Only the documents a change
touches are ever read.

Links are two-way knowledge, stored apart from the documents, as document ids on both ends (see
``store.storage.links``). When article A lists B among its references, A's references get B and B's
citing articles get A, whether B is a full record or a stub. A link target that is not in the library
becomes a stub holding what the link said of it (its identifiers, title, authors, journal, year: the
text a source gave about a target lives on the target, once); when the stub's full record arrives it
is merged into the stub, so the stub's id, and every link to it, carry on.

Adding a link reads the citing end's links and appends a change to the cited end's (``store.linkedits``).
A target's document is not read either: its flags (stub, which fields it holds) are kept in the index,
and say whether a link has anything to add to it. A large unit of work (a bulk import) hands what it
holds over in batches (``flush``), each written at once and dropped from memory; the identifiers it gave
stay (``store.heldkeys``), so later batches find the records earlier ones made, and so do the library's
answers that no batch since made untrue (``store.answers``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

from store.answers import Answers
from store.heldkeys import RECALL, UNKNOWN, HeldKeys  # (UNKNOWN: a key not looked up yet; None is an answer)
from store.linkedits import LinkEdits
from store.merge import (
    LINK_RELATIONS,
    Doc,
    compatible,
    doc_keys,
    fill_ids,
    merge_metrics,
    merge_record,
    stub_from_link,
    stub_lacks,
)
from store.model import Article, Link, Origin
from store.storage.links import Change
from store.storage.meta import FIELD_BITS, STUB, Meta, meta_of
from store.unitofwork import Status, Target

# The most library answers kept across batches, of each kind (PMID keys, other keys, meta): ``store.answers``.
KEPT = 1 << 20
_ID_BITS = {"pmid": FIELD_BITS["pmid"], "pmcid": FIELD_BITS["pmcid"], "doi": FIELD_BITS["doi"]}


def _copy(doc: Doc) -> Doc:
    return orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]


def _entry_bits(entry: Doc) -> int:
    bits = 0
    for key in entry:
        bits |= FIELD_BITS.get(key, 0)
    return bits


class Changes:
    """Pending changes to one library; obtained from ``Library.transaction()``."""

    def __init__(self, library: Target) -> None:
        self._lib = library
        self._read: dict[int, Doc | None] = {}  # committed documents read so far (read-only)
        self._docs: dict[int, Doc] = {}  # documents changed (or created) by this unit of work
        self._before: dict[int, bytes] = {}  # how each changed document was, to drop no-op writes
        self._first_new = library.next_id  # documents from this id on are created by this unit
        self._next_id = self._first_new
        self._removed: set[int] = set()
        self._into: dict[int, int] = {}  # what each removed document was merged into
        # Identity keys this unit of work gave or took in this batch, in earlier ones (``store.heldkeys``:
        # to the commit), and the library's answers looked up in this batch (when neither held them).
        self._keys: dict[str, int | None] = {}
        self._held = HeldKeys(RECALL)
        self._seen: dict[str, int | None] = {}
        # The library's answers kept across batches (``store.answers``; ``_meta``: ``store.keptmeta``).
        self._answers: Answers[Meta] = Answers()
        self._meta = self._answers.meta
        self._links = LinkEdits(library.link_state, self._first_new, library.link_counts)
        # Documents made writable (``_doc``), every change to a held document goes through it: the
        # search feed takes out those it indexes ahead, so what is left here changed since.
        self._touched: set[int] = set()
        self.stubs_created = 0

    # Reading through the pending changes -------------------------------------------------------

    def lookup(self, key: str) -> int | None:
        if key in self._keys:
            return self._keys[key]
        if key in self._seen:
            return self._seen[key]
        return self._asked(key)

    def _asked(self, key: str) -> int | None:
        """``lookup`` of a key not in this batch's: an earlier batch's answer, or the library's, kept."""
        if (doc_id := self._held.get(key)) != UNKNOWN:
            return doc_id
        doc_id = self._answers.keys.holder(key, self._lib.lookup, keep_none=False)  # (``KeptKeys.holder``)
        if doc_id in self._removed:
            doc_id = None
        self._seen[key] = doc_id
        return doc_id

    def peek(self, doc_id: int) -> Doc:
        """The current document, read-only."""
        doc = self._docs.get(doc_id)
        if doc is not None:
            return doc
        if doc_id not in self._read:
            self._read[doc_id] = self._lib.doc(doc_id)
        found = self._read[doc_id]
        if found is None:
            raise KeyError(doc_id)
        return found

    def _doc(self, doc_id: int) -> Doc:
        """The current document, writable (the first write keeps how it was)."""
        self._touched.add(doc_id)
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self.peek(doc_id)
            self._before[doc_id] = orjson.dumps(doc)
            self._docs[doc_id] = doc
            self._read.pop(doc_id, None)
        return doc

    def _flags(self, doc_id: int) -> int:
        """What the current document is (stub) and holds (``store.storage.meta``), unread if unchanged."""
        doc = self._docs.get(doc_id) or self._read.get(doc_id)  # (a document is never empty)
        if doc is not None:
            return meta_of(doc).flags
        meta = self._answers.meta_of(doc_id, self._lib.meta)
        if meta is None:
            raise KeyError(doc_id)
        return meta.flags

    # Identity --------------------------------------------------------------------------------

    def _index(self, doc_id: int) -> None:
        # The first record to claim an identifier keeps it (two records can only share an
        # identifier when sources contradict each other, see ``merge.compatible``).
        for key in doc_keys(self.peek(doc_id)):
            if self.lookup(key) is None:
                self._keys[key] = doc_id

    def _unindex(self, doc_id: int, doc: Doc) -> None:
        for key in doc_keys(doc):
            if self.lookup(key) == doc_id:
                self._keys[key] = None

    def _new(self, doc: Doc, free: str | None = None) -> int:
        """A new document. ``free``: its one identity key, known to be held by no document."""
        doc_id = self._next_id
        self._next_id += 1
        self._docs[doc_id] = doc
        if free is None:
            self._index(doc_id)
        else:
            self._keys[free] = doc_id
        return doc_id

    def _resolve(self, doc: Doc, keys: list[str] | None = None) -> int | None:
        """The library's record for the identity ``doc`` describes, merging records it shows to be one."""
        if keys is None:
            keys = doc_keys(doc)
        if len(keys) == 1:
            # One identifier (most links): the record holding it is the one, nothing can conflict.
            return self.lookup(keys[0])
        found: list[int] = []
        for key in keys:
            doc_id = self.lookup(key)
            if doc_id is not None and doc_id not in found and compatible(self.peek(doc_id), doc):
                found.append(doc_id)
        if not found:
            return None
        primary = found[0]
        for other in found[1:]:
            if compatible(self.peek(primary), self.peek(other)):
                self._absorb(primary, other)
        return primary

    def _absorb(self, into: int, other: int) -> None:
        """Two records turned out to be one article: fold ``other`` into ``into`` and drop it; every
        document linking to ``other`` links to ``into`` instead."""
        gone = _copy(self.peek(other))
        target = self._doc(into)
        merge_record(target, gone, authoritative=bool(target.get("stub")) and not gone.get("stub"))
        self._removed.add(other)
        self._into[other] = into
        self._answers.gone_keys.update(doc_keys(gone))
        self._docs.pop(other, None)
        self._read.pop(other, None)
        self._unindex(other, gone)
        self._index(into)
        self._links.move(other, into, self._removed)

    def _live(self, doc_id: int) -> int:
        """``doc_id``, or the record this unit of work merged it into (``_absorb``: it took its links)."""
        return self._live(self._into[doc_id]) if doc_id in self._removed else doc_id

    def _target(self, entry: Doc, keys: list[str] | None = None) -> int:
        """The record a link points at: found, or a new stub made from it (``keys``: its keys, if known)."""
        if keys is None:
            keys = doc_keys(entry)
        one = len(keys) == 1
        if one:  # (``lookup``, written out: this runs once per link)
            target = self._keys.get(keys[0], UNKNOWN)
            if target == UNKNOWN:
                target = self._seen.get(keys[0], UNKNOWN)
            if target == UNKNOWN:
                target = self.lookup(keys[0])
        else:
            target = self._resolve(entry, keys)
        if target is None:
            self.stubs_created += 1
            # (a stub's keys are the link's: ``stub_from_link`` keeps its identifiers, or title and year)
            return self._new(stub_from_link(entry), keys[0] if one else None)
        current = self._docs.get(target) or self._read.get(target)
        if current is not None:
            stub = bool(current.get("stub"))
            grows = stub and stub_lacks(current, entry)
            fills = not stub and not one and any(entry.get(k) and not current.get(k) for k in _ID_BITS)
        else:
            # Its flags (kept in the index) say whether the link has anything it lacks, without
            # reading it: most links have nothing to add.
            meta = self._meta.get(target)
            flags = self._flags(target) if meta is None else meta.flags
            stub = bool(flags & STUB)
            grows = stub and bool(_entry_bits(entry) & ~flags)
            fills = not stub and not one and any(entry.get(k) and not flags & b for k, b in _ID_BITS.items())
        if grows:
            # A stub grows with what each link tells of it (gaps only).
            current = self.peek(target)
            before = orjson.dumps(current)
            grown = _copy(current)
            merge_record(grown, stub_from_link(entry), authoritative=False)
            if orjson.dumps(grown) != before:
                self._doc(target).update(grown)
                self._index(target)
        elif fills:
            fill_ids(self._doc(target), entry)
            self._index(target)
        return target

    # Records ---------------------------------------------------------------------------------

    def put_article(self, article: Article, origin: Origin) -> Status:
        """Add a full record, or merge it into the record or stub already there."""
        return self.put_document(article.to_doc(), origin)

    def put_document(self, incoming: Doc, origin: Origin) -> Status:
        """``put_article`` for a record already in its document form (``Article.to_doc``); takes it over.

        Its link lists hold link entries (identifiers and text); they become links by id.
        """
        incoming.pop("stub", None)
        incoming.pop("link_sources", None)
        links = {rel: incoming.pop(rel, None) or [] for rel in LINK_RELATIONS}
        incoming["origins"] = [origin.to_doc()]
        doc_id = self._resolve(incoming)
        if doc_id is None:
            doc_id = self._new(incoming)
            status = Status.ADDED
            before = b""
        else:
            held = doc_id in self._docs  # (if not, ``_doc`` writes down how it was: ``before``)
            doc = self._doc(doc_id)
            before, was_stub = orjson.dumps(doc) if held else self._before[doc_id], bool(doc.get("stub"))
            merge_record(doc, incoming, authoritative=True)
            self._index(doc_id)
            status = Status.ADDED if doc_id >= self._first_new and was_stub else Status.MERGED
        linked = 0
        for rel in LINK_RELATIONS:
            doc_id, more = self._link(doc_id, rel, links[rel])
            linked |= more
        if status is Status.MERGED and not linked and orjson.dumps(self.peek(doc_id)) == before:
            status = Status.UNCHANGED
        return status

    def _link(self, doc_id: int, rel: str, entries: list[Doc]) -> tuple[int, int]:
        """Link ``doc_id`` to ``entries`` (``rel``): the record linked (``doc_id``, or the one it was merged
        into) and ``LinkEdits.connect``'s largest answer. A run of one-key links is connected at once."""
        run: list[tuple[int, list[str] | None]] = []
        linked = 0
        held, seen, made, read, metas = self._keys, self._seen, self._docs, self._read, self._meta
        recalled, codes, kept = self._held.recalled, metas.codes, metas.metas
        for entry in entries:
            pmid = entry.get("pmid")  # (most links name a PMID alone: its key without ``doc_keys``)
            if pmid and "doi" not in entry and "pmcid" not in entry:
                # ``_target`` written out for its usual case: a link with one key (it never merges
                # records) to a record or stub looked up before that it has nothing to add to.
                key = "pmid:" + pmid
                target = held.get(key, UNKNOWN)
                if target == UNKNOWN:
                    target = seen.get(key, UNKNOWN)  # (``recalled`` only if not: no key is in both)
                    if target == UNKNOWN and (target := recalled.get(key, UNKNOWN)) == UNKNOWN:
                        target = self._asked(key)  # (and its meta below: what ``_target`` asks, once)
                if target is not None:
                    current = made.get(target)
                    if current is not None:
                        if not current.get("stub") or not stub_lacks(current, entry):
                            run.append((target, entry.get("sources")))
                            continue
                    elif target not in read:
                        try:  # (``KeptMeta``'s probe written out; None or IndexError: ask ``meta_of``)
                            meta = kept[codes[target]] or metas.meta_of(target, self._lib.meta)
                        except IndexError:  # (an id past those kept, a meta kept apart; then as ``_target``)
                            meta = metas.meta_of(target, self._lib.meta)
                        if meta is not None and not (meta.flags & STUB and _entry_bits(entry) & ~meta.flags):
                            run.append((target, entry.get("sources")))
                            continue
                run.append((self._target(entry, [key]), entry.get("sources")))
                continue
            keys = doc_keys(entry)
            if len(keys) == 1:
                target = self._target(entry, keys)
            else:  # (what came before is connected first: this link can merge records)
                if run:
                    linked |= self._links.connect_all(doc_id, rel, run)
                    run = []
                target = self._target(entry, keys)
                doc_id = self._live(doc_id)
            run.append((target, entry.get("sources")))
        if run:
            linked |= self._links.connect_all(doc_id, rel, run)
        return doc_id, linked

    def put_links(self, subject: Link, rel: str, links: Iterable[Link]) -> int:
        """Record that ``subject`` cites (``rel="references"``) or is cited by (``"cited_by"``) ``links``.

        For link lists learnt on their own (E-utilities elink, Europe PMC): the subject becomes a stub
        if the library does not hold it yet. Returns how many of the links were new."""
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc_id, new = self._target(subject.to_doc()), 0
        for entry in (link.to_doc() for link in links):
            target = self._target(entry)  # (which can show the subject to be another record: ``_live``)
            new += self._links.connect(self._live(doc_id), rel, target, entry.get("sources")) == 2
        return new

    def put_metrics(self, subject: Link, metrics: Doc) -> bool:
        """Keep citation metrics (``store.metrics``: records by source) on the article ``subject`` names,
        a new stub if the library lacks it, merged by ``store.merge.merge_metrics``. Returns whether
        anything changed."""
        if not metrics:
            return False
        doc_id = self._target(subject.to_doc())
        held = self.peek(doc_id).get("metrics")
        merged = merge_metrics(held, metrics)
        if merged == held:
            return False
        self._doc(doc_id)["metrics"] = merged
        return True

    # Commit ----------------------------------------------------------------------------------

    def size(self) -> int:
        """Documents, and documents whose links it holds (a new stub's one: ``LinkEdits.size`` says why)."""
        return len(self._docs) + len(self._read) + self._links.size()

    def made(self) -> tuple[int, Mapping[int, Doc], set[int]]:
        """(the next new id, the documents held by id, read-only; those changed since they were made or
        last taken out of this set): to index them as they come, and again if they change after."""
        return self._next_id, self._docs, self._touched

    def _batch(self) -> tuple[dict[int, Doc], set[int], dict[int, Change]]:
        before = self._before
        docs = self._docs.items()
        changed = {d: doc for d, doc in docs if d not in before or orjson.dumps(doc) != before[d]}
        # (A document made in this batch and removed in it was never written: nothing to remove.)
        removed = {d for d in self._removed if d < self._first_new or self._lib.meta(d) is not None}
        return changed, removed, self._links.changes(self._removed)

    def flush(self) -> None:
        """Hand what this unit of work holds over as a batch, written now (committed with the rest)."""
        changed, removed, links = self._batch()
        if changed or removed or links:
            self._lib.spill(changed, removed, links)
        self._answers.forget(changed, self._removed, self._before, self._docs, KEPT, self._keys)
        self._held.update(self._keys)  # (replacing what earlier batches said of the same keys)
        self._docs, self._before, self._read, self._seen, self._keys = {}, {}, {}, {}, {}
        self._touched = set()
        self._links.clear(self._next_id)  # (what it made is written now: the next batch reads its links)
        self._removed, self._into = set(), {}

    def commit(self) -> tuple[dict[int, Doc], set[int]]:
        """Hand the changed documents and links to the library. Returns the changed documents by id,
        and the ids of removed ones (of the last batch, when ``flush`` wrote others before)."""
        changed, removed, links = self._batch()
        if changed or removed or links:
            self._lib.apply(changed, removed, links)
        self._answers.clear()  # (and what else only a later batch reads: ``Answers.clear`` says why)
        self._held, self._keys, self._seen = HeldKeys(), {}, {}
        self._docs, self._before, self._read = {}, {}, {}
        self._links.clear(self._next_id)
        return changed, removed
