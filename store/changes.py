"""A unit of work on the library: import records, grow stubs, keep links two-way, then commit once.

Everything happens on copies of the touched documents; nothing reaches TinyDB until ``commit()``,
so an exception anywhere before it leaves the library exactly as it was. Only the documents a change
touches are ever read.

Links are two-way knowledge, stored as document ids on both ends. When article A lists B among its
references, A's ``references`` gets B's id and B's ``cited_by`` gets A's, whether B is a full record or
a stub. A link target that is not in the library becomes a stub holding what the link said of it (its
identifiers, title, authors, journal, year: the text a source gave about a target lives on the target,
once); when the stub's full record arrives it is merged into the stub, so the stub's id, and every
link to it, carry on.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

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


class Target(Protocol):
    """What a unit of work reads and writes through (``store.library.Library`` is one): named here, so
    that this module does not depend on the library that uses it."""

    def lookup(self, key: str) -> int | None: ...

    def doc(self, doc_id: int) -> Doc | None: ...

    @property
    def next_id(self) -> int: ...

    def apply(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None: ...


class Status(str, enum.Enum):
    """What importing one record did."""

    ADDED = "added"
    MERGED = "merged"
    UNCHANGED = "unchanged"


LONG_LIST = 48
_EMPTY: dict[str, Any] = {}


def sources_by_target(doc: Doc, rel: str) -> dict[int, list[str]]:
    """Which sources gave each of a document's ``rel`` links (``link_sources`` is kept by source)."""
    found: dict[int, list[str]] = {}
    for source, ids in doc.get("link_sources", {}).get(rel, {}).items():
        for target in ids:
            found.setdefault(target, []).append(source)
    return found


def _copy(doc: Doc) -> Doc:
    return orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]


class Changes:
    """Pending changes to one library; obtained from ``Library.transaction()``."""

    def __init__(self, library: Target) -> None:
        self._lib = library
        self._read: dict[int, Doc | None] = {}  # committed documents read so far (read-only)
        self._docs: dict[int, Doc] = {}  # documents changed (or created) by this unit of work
        self._before: dict[int, bytes] = {}  # how each changed document was, to drop no-op writes
        self._created: set[int] = set()
        self._removed: set[int] = set()
        self._keys: dict[str, int | None] = {}
        # Sets of the long link lists, by (document, relation, source or ""): see ``_contains``.
        self._long: dict[tuple[int, str, str], set[int]] = {}
        self._next_id = library.next_id
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
        self._created.add(doc_id)
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
        for key in [k for k in self._long if k[0] in (into, other)]:
            del self._long[key]
        self._read.pop(other, None)
        self._unindex(other, gone)
        self._index(into)
        for rel in LINK_RELATIONS:
            sources = sources_by_target(gone, rel)
            for linked in gone.get(rel, []):
                if linked in (into, other) or linked in self._removed:
                    continue
                self._unlink(linked, INVERSE[rel], other)
                self._connect(into, rel, linked, sources.get(linked))
            self._unlink(into, rel, other)

    # Links -----------------------------------------------------------------------------------
    #
    # Membership in a link list is a scan while the list is short (a C loop over a few dozen ints)
    # and a set once it is long: sets for every list of a large import would double its memory.

    def _contains(self, key: tuple[int, str, str], ids: list[int], target: int) -> bool:
        if len(ids) < LONG_LIST:
            return target in ids
        known = self._long.get(key)
        if known is None or len(known) != len(ids):
            known = self._long[key] = set(ids)
        return target in known

    def _append(self, key: tuple[int, str, str], ids: list[int], target: int) -> None:
        ids.append(target)
        known = self._long.get(key)
        if known is not None:
            known.add(target)

    def _add(self, doc_id: int, rel: str, target: int, sources: list[str] | None) -> bool:
        """Put ``target`` in ``doc_id``'s ``rel`` list (and in the lists of the sources that gave it).

        The hot path of an import (twice per link): written with as few calls as it can."""
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self.peek(doc_id)
        links = doc.get(rel)
        key = (doc_id, rel, "")
        added = links is None or not self._contains(key, links, target)
        if added:
            doc = self._doc(doc_id)
            links = doc.get(rel)
            if links is None:
                doc[rel] = [target]
            else:
                self._append(key, links, target)
        if sources:
            by_rel = doc.get("link_sources", _EMPTY).get(rel, _EMPTY)
            for source in sources:
                listed = by_rel.get(source)
                skey = (doc_id, rel, source)
                if listed is None or not self._contains(skey, listed, target):
                    by_rel = self._doc(doc_id).setdefault("link_sources", {}).setdefault(rel, {})
                    listed = by_rel.get(source)
                    if listed is None:
                        by_rel[source] = [target]
                    else:
                        self._append(skey, listed, target)
        return added

    def _connect(self, doc_id: int, rel: str, target: int, sources: list[str] | None) -> bool:
        """Link ``doc_id`` to ``target`` (``rel``) and ``target`` back to it. Returns whether it was new."""
        if target == doc_id:
            return False  # a self-citation, or a record that absorbed its own reference
        added = self._add(doc_id, rel, target, sources)
        self._add(target, INVERSE[rel], doc_id, sources)
        return added

    def _unlink(self, doc_id: int, rel: str, target: int) -> None:
        if target not in self.peek(doc_id).get(rel, ()):
            return
        doc = self._doc(doc_id)
        doc[rel] = [t for t in doc[rel] if t != target]
        self._long.pop((doc_id, rel, ""), None)
        if not doc[rel]:
            del doc[rel]
        by_rel = doc.get("link_sources", {}).get(rel, {})
        for source in list(by_rel):
            if target in by_rel[source]:
                by_rel[source] = [t for t in by_rel[source] if t != target]
                self._long.pop((doc_id, rel, source), None)
                if not by_rel[source]:
                    del by_rel[source]
        if "link_sources" in doc and not by_rel:
            doc["link_sources"].pop(rel, None)
            if not doc["link_sources"]:
                del doc["link_sources"]

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
        current = self.peek(target)
        if current.get("stub"):
            # A stub grows with what each link tells of it (gaps only).
            if any(key not in current for key in entry if key != "sources"):
                before = orjson.dumps(current)
                grown = _copy(current)
                merge_record(grown, stub_from_link(entry), authoritative=False)
                if orjson.dumps(grown) != before:
                    self._doc(target).update(grown)
                    self._index(target)
        elif len(keys) > 1 and any(not current.get(k) and entry.get(k) for k in ("pmid", "pmcid", "doi")):
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
            status = Status.ADDED if doc_id in self._created and was_stub else Status.MERGED
        for rel in LINK_RELATIONS:
            for entry in links[rel]:
                target = self._target(entry)
                if doc_id in self._removed:
                    break  # (a link showed this record to be another: it was merged into it)
                self._connect(doc_id, rel, target, entry.get("sources"))
        if status is Status.MERGED and orjson.dumps(self.peek(doc_id)) == before:
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
            new += self._connect(doc_id, rel, target, entry.get("sources"))
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

    def commit(self) -> tuple[dict[int, Doc], set[int]]:
        """Hand the changed documents to TinyDB. Returns the changed documents by id, and the ids of
        removed ones."""
        before = self._before
        changed = {
            doc_id: doc
            for doc_id, doc in self._docs.items()
            if doc_id not in before or orjson.dumps(doc) != before[doc_id]
        }
        removed = {doc_id for doc_id in self._removed if doc_id not in self._created}
        if changed or removed:
            self._lib.apply(changed, removed)
        return changed, removed
