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

Adding a link reads the citing end's links (one read per record imported, none for a new record) and
not the cited end's: both ends always agree, so a link new to one end is new to the other, and the
cited end gets a *change* (``Change``) appended, never a rewrite. A target's document is not read
either: its flags (stub, which fields it holds) are kept in the index, and say whether a link has
anything to add to it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Protocol

import orjson

from store.merge import (
    INVERSE,
    LINK_RELATIONS,
    Doc,
    compatible,
    doc_keys,
    fill_ids,
    merge_metrics,
    merge_record,
    stub_from_link,
)
from store.model import Article, Link, Origin
from store.storage.links import Change, LinkState, Sources, empty, joined, shared
from store.storage.meta import FIELD_BITS, STUB, Meta, meta_of


class Target(Protocol):
    """What a unit of work reads and writes through (``store.library.Library`` is one): named here, so
    that this module does not depend on the library that uses it."""

    def lookup(self, key: str) -> int | None: ...

    def doc(self, doc_id: int) -> Doc | None: ...

    def meta(self, doc_id: int) -> Meta | None: ...

    def link_state(self, doc_id: int) -> LinkState: ...

    @property
    def next_id(self) -> int: ...

    def apply(
        self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]
    ) -> None: ...

    def spill(
        self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]
    ) -> None: ...


class Status(str, enum.Enum):
    """What importing one record did."""

    ADDED = "added"
    MERGED = "merged"
    UNCHANGED = "unchanged"


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
        self._keys: dict[str, int | None] = {}
        self._meta: dict[int, Meta | None] = {}  # committed documents' meta, as looked up
        # Links read in full (the citing end of each link added, and whatever a merge touches): how
        # they were and how they are; and links only added to, never read (the cited ends).
        self._full: dict[int, tuple[LinkState, LinkState]] = {}
        self._added: dict[int, Change] = {}
        self.stubs_created = 0

    # Reading through the pending changes -------------------------------------------------------

    def lookup(self, key: str) -> int | None:
        if key in self._keys:
            return self._keys[key]
        doc_id = self._lib.lookup(key)
        if doc_id in self._removed:
            doc_id = None
        self._keys[key] = doc_id
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
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self.peek(doc_id)
            self._before[doc_id] = orjson.dumps(doc)
            self._docs[doc_id] = doc
            self._read.pop(doc_id, None)
        return doc

    def _flags(self, doc_id: int) -> int:
        """What the current document is (stub) and holds (``store.storage.meta``), without reading it
        when it is unchanged."""
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self._read.get(doc_id)
        if doc is not None:
            return meta_of(doc).flags
        if doc_id not in self._meta:
            self._meta[doc_id] = self._lib.meta(doc_id)
        meta = self._meta[doc_id]
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

    def _new(self, doc: Doc) -> int:
        doc_id = self._next_id
        self._next_id += 1
        self._docs[doc_id] = doc
        self._full[doc_id] = (empty(), empty())  # (a new document has no links yet)
        self._index(doc_id)
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
        self._docs.pop(other, None)
        self._read.pop(other, None)
        self._unindex(other, gone)
        self._index(into)
        links = self._links(other)
        for rel in LINK_RELATIONS:
            for linked, sources in list(links[rel].items()):
                del links[rel][linked]
                if linked in (into, other) or linked in self._removed:
                    continue
                self._unlink(linked, INVERSE[rel], other)
                self._connect(into, rel, linked, sources)
            self._unlink(into, rel, other)

    # Links -----------------------------------------------------------------------------------

    def _links(self, doc_id: int) -> LinkState:
        """A document's links, read in full (once), writable."""
        full = self._full.get(doc_id)
        if full is not None:
            return full[1]
        before = self._lib.link_state(doc_id)
        after: LinkState = {rel: dict(targets) for rel, targets in before.items()}
        added = self._added.pop(doc_id, None)
        if added is not None:
            added.apply_to(after)
        self._full[doc_id] = (before, after)
        return after

    def _unlink(self, doc_id: int, rel: str, target: int) -> None:
        """Drop ``target`` from ``doc_id``'s links (which hold it: its other end did)."""
        full = self._full.get(doc_id)
        if full is not None:
            full[1][rel].pop(target, None)
            return
        change = self._added.get(doc_id)
        if change is None:
            change = self._added[doc_id] = Change()
        change.remove(rel, target)

    def _connect(self, doc_id: int, rel: str, target: int, sources: Iterable[str] | None) -> int:
        """Link ``doc_id`` to ``target`` (``rel``) and ``target`` back to it. Returns 2 for a new link, 1
        when only sources were new, 0 when nothing was.

        The hot path of an import (once per link): written with as few calls as it can."""
        if target == doc_id:
            return 0  # a self-citation, or a record that absorbed its own reference
        full = self._full.get(doc_id)
        targets = full[1][rel] if full is not None else self._links(doc_id)[rel]
        have = targets.get(target)
        if have is None:
            given = shared(sources) if sources else ()
            targets[target] = given
            self._back(target, INVERSE[rel], doc_id, given, new=True)
            return 2
        if not sources:
            return 0
        now = joined(have, sources)
        if now is have:
            return 0
        targets[target] = now
        self._back(target, INVERSE[rel], doc_id, now, new=False)
        return 1

    def _back(self, doc_id: int, rel: str, target: int, sources: Sources, *, new: bool) -> None:
        """The other end of a link: a document whose links were read gets it in full; one whose links
        were not gets a change (it cannot have had the link: its other end had not)."""
        full = self._full.get(doc_id)
        if full is not None:
            targets = full[1][rel]
            have = targets.get(target)
            targets[target] = sources if have is None else joined(have, sources)
            return
        change = self._added.get(doc_id)
        if change is None:
            change = self._added[doc_id] = Change()
        if new:
            change.add(rel, target, sources)
        else:
            change.add_sources(rel, target, sources)

    def _target(self, entry: Doc) -> int:
        """The record a link points at: found, or a new stub made from the link."""
        keys = doc_keys(entry)
        target = (
            self._keys.get(keys[0])
            if len(keys) == 1 and keys[0] in self._keys
            else self._resolve(entry, keys)
        )
        if target is None:
            self.stubs_created += 1
            return self._new(stub_from_link(entry))
        current = self._docs.get(target) or self._read.get(target)
        if current is not None:
            stub = bool(current.get("stub"))
            grows = stub and any(key not in current for key in entry if key != "sources")
            fills = not stub and len(keys) > 1 and any(entry.get(k) and not current.get(k) for k in _ID_BITS)
        else:
            # Its flags (kept in the index) say whether the link has anything it lacks, without
            # reading it: most links have nothing to add.
            flags = self._flags(target)
            stub = bool(flags & STUB)
            grows = stub and bool(_entry_bits(entry) & ~flags)
            fills = (
                not stub
                and len(keys) > 1
                and any(entry.get(k) and not flags & bit for k, bit in _ID_BITS.items())
            )
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
            before = orjson.dumps(self.peek(doc_id))
            was_stub = bool(self.peek(doc_id).get("stub"))
            merge_record(self._doc(doc_id), incoming, authoritative=True)
            self._index(doc_id)
            status = Status.ADDED if doc_id >= self._first_new and was_stub else Status.MERGED
        linked = 0
        for rel in LINK_RELATIONS:
            for entry in links[rel]:
                target = self._target(entry)
                if doc_id in self._removed:
                    break  # (a link showed this record to be another: it was merged into it)
                linked |= self._connect(doc_id, rel, target, entry.get("sources"))
        if status is Status.MERGED and not linked and orjson.dumps(self.peek(doc_id)) == before:
            status = Status.UNCHANGED
        return status

    def put_links(self, subject: Link, rel: str, links: Iterable[Link]) -> int:
        """Record that ``subject`` cites (``rel="references"``) or is cited by (``"cited_by"``) ``links``.

        For link lists learnt on their own (E-utilities elink, Europe PMC): the subject becomes a stub
        if the library does not hold it yet. Returns how many of the links were new.
        """
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc_id = self._target(subject.to_doc())
        new = 0
        for link in links:
            entry = link.to_doc()
            target = self._target(entry)
            new += self._connect(doc_id, rel, target, entry.get("sources")) == 2
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
        """How much this unit of work holds: documents, and documents whose links it holds."""
        return len(self._docs) + len(self._read) + len(self._full) + len(self._added)

    def _batch(self) -> tuple[dict[int, Doc], set[int], dict[int, Change]]:
        before = self._before
        changed = {
            doc_id: doc
            for doc_id, doc in self._docs.items()
            if doc_id not in before or orjson.dumps(doc) != before[doc_id]
        }
        # (A document made in this batch and removed in it was never written: nothing to remove.)
        removed = {d for d in self._removed if d < self._first_new or self._lib.meta(d) is not None}
        links: dict[int, Change] = {}
        for doc_id, (was, now) in self._full.items():
            if doc_id in self._removed:
                now = empty()  # (a removed document keeps no links)
            change = Change.between(was, now)
            if change:
                links[doc_id] = change
        for doc_id, change in self._added.items():
            if doc_id not in self._removed and change:
                links[doc_id] = change
        return changed, removed, links

    def flush(self) -> None:
        """Hand what this unit of work holds to the library as a batch, written now and out of memory
        (a bulk import's; it is committed with the rest, all or nothing)."""
        changed, removed, links = self._batch()
        if changed or removed or links:
            self._lib.spill(changed, removed, links)
        self._docs, self._before, self._read, self._meta = {}, {}, {}, {}
        self._full, self._added, self._removed = {}, {}, set()

    def commit(self) -> tuple[dict[int, Doc], set[int]]:
        """Hand the changed documents and links to the library. Returns the changed documents by id,
        and the ids of removed ones (of the last batch, when ``flush`` wrote others before)."""
        changed, removed, links = self._batch()
        if changed or removed or links:
            self._lib.apply(changed, removed, links)
        return changed, removed
