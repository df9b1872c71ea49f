"""A unit of work on the library: import records, grow stubs, keep links two-way, then commit once.

Everything happens on copies of the touched documents; nothing reaches TinyDB until ``commit()``,
so an exception anywhere before it leaves the library exactly as it was.

Links are two-way knowledge. When article A lists B among its references, B's ``cited_by`` gets a
link back to A (and likewise for citing articles), whether B is a full record or a stub. A link
target that is not in the library becomes a stub holding what the link said of it; when the stub's
full record arrives it is merged into the stub, so the stub's document (and its links) carry on.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson

from store.merge import (
    INVERSE,
    LINK_RELATIONS,
    Doc,
    add_link,
    compatible,
    doc_keys,
    fill_ids,
    find_link,
    link_adds,
    link_keymap,
    link_to,
    merge_link,
    merge_record,
    stub_from_link,
)
from store.model import Article, Link, Origin

if TYPE_CHECKING:
    from store.library import Library


class Status(str, enum.Enum):
    """What importing one record did."""

    ADDED = "added"
    MERGED = "merged"
    UNCHANGED = "unchanged"


def _copy(doc: Doc) -> Doc:
    return orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]


class Changes:
    """Pending changes to one library; obtained from ``Library.transaction()``."""

    def __init__(self, library: Library) -> None:
        self._lib = library
        self._base = library.raw_docs()
        self._docs: dict[int, Doc] = {}
        self._created: set[int] = set()
        self._removed: set[int] = set()
        self._keys: dict[str, int | None] = {}
        self._linkmaps: dict[tuple[int, str], dict[str, int]] = {}
        self._next_id = library.next_id
        self.stubs_created = 0

    # Reading through the pending changes -------------------------------------------------------

    def lookup(self, key: str) -> int | None:
        if key in self._keys:
            return self._keys[key]
        return self._lib.index.get(key)

    def peek(self, doc_id: int) -> Doc:
        """The current document, read-only."""
        doc = self._docs.get(doc_id)
        return doc if doc is not None else self._base[str(doc_id)]

    def _doc(self, doc_id: int) -> Doc:
        """The current document, writable (copied on first write)."""
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self._docs[doc_id] = _copy(self._base[str(doc_id)])
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
        """Two records turned out to be one article: fold ``other`` into ``into`` and drop it."""
        gone = _copy(self.peek(other))
        target = self._doc(into)
        merge_record(target, gone, authoritative=bool(target.get("stub")) and not gone.get("stub"))
        self._removed.add(other)
        self._docs.pop(other, None)
        self._unindex(other, gone)
        self._forget_linkmaps(into)
        self._index(into)
        # Lists that named both records now hold two links to one target; make them one.
        for rel in LINK_RELATIONS:
            for entry in gone.get(rel, []):
                target_id = self._lookup_entry(entry)
                if target_id is not None:
                    self._dedupe(target_id, INVERSE[rel])
            self._dedupe(into, rel)

    def _lookup_entry(self, entry: Doc) -> int | None:
        for key in doc_keys(entry):
            doc_id = self.lookup(key)
            if doc_id is not None:
                return doc_id
        return None

    def _dedupe(self, doc_id: int, rel: str) -> None:
        links = self.peek(doc_id).get(rel, [])
        seen: dict[int, Doc] = {}
        kept: list[Doc] = []
        for entry in links:
            target = self._lookup_entry(entry)
            if target == doc_id:
                continue  # a record that absorbed its own reference
            if target is not None and target in seen:
                merge_link(seen[target], entry)
                continue
            entry = dict(entry)
            if target is not None:
                seen[target] = entry
            kept.append(entry)
        if kept != links:
            self._doc(doc_id)[rel] = kept
            self._forget_linkmaps(doc_id)

    # Links -----------------------------------------------------------------------------------

    def _linkmap(self, doc_id: int, rel: str) -> dict[str, int]:
        keymap = self._linkmaps.get((doc_id, rel))
        if keymap is None:
            keymap = self._linkmaps[(doc_id, rel)] = link_keymap(self.peek(doc_id).get(rel, []))
        return keymap

    def _forget_linkmaps(self, doc_id: int) -> None:
        for rel in LINK_RELATIONS:
            self._linkmaps.pop((doc_id, rel), None)

    def _add_link(self, doc_id: int, rel: str, entry: Doc, keys: list[str] | None = None) -> None:
        keymap = self._linkmap(doc_id, rel)
        links = self.peek(doc_id).get(rel)
        if keys is None:
            keys = doc_keys(entry)
        if links is not None:
            pos = find_link(links, keymap, entry, keys)
            if pos is not None and not link_adds(links[pos], entry):
                return  # already known: do not even copy the document
        add_link(self._doc(doc_id).setdefault(rel, []), keymap, entry, keys)

    def _target(self, entry: Doc) -> int:
        """The record a link points at: found, or a new stub made from the link."""
        keys = doc_keys(entry)
        target = self._resolve(entry, keys)
        if target is None:
            self.stubs_created += 1
            return self._new(stub_from_link(entry))
        current = self.peek(target)
        if current.get("stub"):
            # A stub grows with what each link tells of it (gaps only).
            if any(key not in current for key in entry if key != "sources"):
                merge_record(self._doc(target), stub_from_link(entry), authoritative=False)
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
        """``put_article`` for a record already in its document form (``Article.to_doc``); takes it over."""
        incoming.pop("stub", None)
        incoming["origins"] = [origin.to_doc()]
        doc_id = self._resolve(incoming)
        if doc_id is None:
            doc_id = self._new(incoming)
            status = Status.ADDED
        else:
            before = orjson.dumps(self.peek(doc_id))
            was_stub = bool(self.peek(doc_id).get("stub"))
            merge_record(self._doc(doc_id), incoming, authoritative=True)
            self._forget_linkmaps(doc_id)
            self._index(doc_id)
            if doc_id in self._created and was_stub:
                status = Status.ADDED  # a stub made earlier in this same import
            elif orjson.dumps(self.peek(doc_id)) == before:
                status = Status.UNCHANGED
            else:
                status = Status.MERGED

        back = link_to(self.peek(doc_id), [])
        back_keys = doc_keys(back)
        for rel in LINK_RELATIONS:
            entries = incoming.get(rel, [])
            targets = [self._link_back(doc_id, rel, entry, back, back_keys) for entry in entries]
            if status is Status.ADDED and len(set(targets)) < len(targets):
                self._dedupe(doc_id, rel)  # the source listed one target twice
        return status

    def put_links(self, subject: Link, rel: str, links: Iterable[Link]) -> int:
        """Record that ``subject`` cites (``rel="references"``) or is cited by (``"cited_by"``) ``links``.

        For link lists learnt on their own (E-utilities elink, Europe PMC): the subject becomes a stub
        if the library does not hold it yet. Returns how many of the links were new.
        """
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc_id = self._target(subject.to_doc())
        known = len(self.peek(doc_id).get(rel, []))
        back = link_to(self.peek(doc_id), [])
        back_keys = doc_keys(back)
        for link in links:
            entry = link.to_doc()
            target = self._link_back(doc_id, rel, entry, back, back_keys)
            if target != doc_id:
                self._add_link(doc_id, rel, entry)
        return len(self.peek(doc_id).get(rel, [])) - known

    def _link_back(self, doc_id: int, rel: str, entry: Doc, back: Doc, back_keys: list[str]) -> int:
        """Find or make the target of ``doc_id``'s link ``entry`` and give it the link the other way.

        ``back`` names ``doc_id`` (see ``merge.link_to``); it gets the sources of ``entry``.
        """
        target = self._target(entry)
        if target != doc_id:
            sources = entry.get("sources")
            self._add_link(target, INVERSE[rel], {**back, "sources": sources} if sources else back, back_keys)
        return target

    # Commit ----------------------------------------------------------------------------------

    def commit(self) -> tuple[set[int], set[int]]:
        """Hand the changed documents to TinyDB. Returns the ids of changed and of removed documents."""
        changed = {
            doc_id: doc
            for doc_id, doc in self._docs.items()
            if doc_id in self._created or doc != self._base.get(str(doc_id))
        }
        removed = [doc_id for doc_id in self._removed if str(doc_id) in self._base]
        if changed or removed:
            self._lib.apply(changed, removed, self._keys, self._next_id)
        return set(changed), set(removed)
