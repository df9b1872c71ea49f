"""A document's links as stored: link records and the changes to them that later commits append.

Links live apart from the documents (schema 3, see ``store.schema``): adding a record that cites a
thousand others writes the new record's links and a line for each of the thousand, and rewrites none
of their documents. Both ends of a link are kept, so following it either way reads one record.

A *link record* (the base file's ``links`` table) is a document's links in full::

    {"references": [12, 40], "cited_by": [7],
     "link_sources": {"references": {"pubmed": [12, 40], "europepmc": [40]}}}

A *link change* (journal lines, segments) has the same shape plus ``removed``: what one commit did to
one document's links. Targets listed in ``references`` / ``cited_by`` are new to the document (the
writer knows: it checks the citing end, and both ends always agree), ``link_sources`` adds sources to
new or existing targets, ``removed`` drops targets (with their sources); a change applies ``removed``
first. A document's links are its base record with every later change applied in commit order
(``apply``): a change is never read without the ones before it.

Which sources gave each link is kept by source, as the schema kept it before: most links have one
source and most documents one source for all their links, so this is the compact way. In memory the
sources of a link are a tuple, shared by every link with the same sources (an import holds millions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from types import MappingProxyType
from typing import Any

import orjson

RELS = ("references", "cited_by")
INVERSE = {"references": "cited_by", "cited_by": "references"}

Sources = tuple[str, ...]
Targets = dict[int, Sources]  # target -> the sources that gave the link, in the order learnt
LinkState = dict[str, Targets]  # relation -> targets, in the order learnt

_SHARED: dict[Sources, Sources] = {(): ()}
_ONE: dict[str, Sources] = {}  # (a list of one source, the usual case: found without making a tuple)


def shared(sources: Iterable[str]) -> Sources:
    """``sources`` as a tuple without repeats, the same object for the same sources."""
    if type(sources) is tuple:
        found = _SHARED.get(sources)  # (a tuple this made already: itself)
        if found is not None:
            return found
    elif type(sources) is list and len(sources) == 1:
        found = _ONE.get(sources[0])
        if found is not None:
            return found
        key: Sources = (sources[0],)
        found = shared(key)
        if found is _SHARED.get(key):
            _ONE[sources[0]] = found
        return found
    key = tuple(dict.fromkeys(sources))
    found = _SHARED.get(key)
    if found is None:
        found = key
        if len(_SHARED) < 4096:  # (sources are a handful of names: this bounds what a hostile file adds)
            _SHARED[key] = key
    return found


def joined(have: Sources, more: Iterable[str]) -> Sources:
    """``have`` and the sources of ``more`` it lacks."""
    extra = [s for s in more if s not in have]
    return shared((*have, *extra)) if extra else have


def empty() -> LinkState:
    return {"references": {}, "cited_by": {}}


def apply(state: LinkState, record: Mapping[str, Any]) -> None:
    """Apply a link record or change (decoded) to ``state``.

    A relation with no targets yet (a base record read into an empty state: an import reads one for
    each record it merges) is filled at once, in C, with its sources when one source gave every target
    (the same dict, in the same order, as the loops below make: a repeated target keeps its first
    place; a 30-link record's relation 1.5 against 4.0 us)."""
    removed = record.get("removed")
    if removed:
        for rel, ids in removed.items():
            targets = state[rel]
            for target in ids:
                targets.pop(target, None)
    by_rel = record.get("link_sources")
    filled: tuple[str, ...] = ()  # (the relations filled with their one source: nothing more to do for them)
    for rel in RELS:
        ids = record.get(rel)
        if ids:
            targets = state[rel]
            if not targets:
                given: Sources = ()
                by_source = by_rel.get(rel) if by_rel else None
                if by_source and len(by_source) == 1:
                    ((source, listed),) = by_source.items()
                    if listed == ids:  # (every target from this one source)
                        given, filled = shared((source,)), (*filled, rel)
                targets.update(dict.fromkeys(ids, given))
                continue
            for target in ids:
                if target not in targets:
                    targets[target] = ()
    if by_rel:
        for rel, by_source in by_rel.items():
            if rel in filled:
                continue
            targets = state[rel]
            for source, ids in by_source.items():
                alone = shared((source,))  # (most targets have no source yet: one tuple for them all)
                for target in ids:
                    have = targets.get(target)
                    if have is None:
                        continue
                    if not have:
                        targets[target] = alone
                    elif source not in have:
                        targets[target] = shared((*have, source))


def apply_ids(ids: dict[int, None], record: Mapping[str, Any], rel: str) -> None:
    """``apply`` for one relation's targets alone (traversals that need no sources)."""
    removed = record.get("removed")
    if removed:
        for target in removed.get(rel, ()):
            ids.pop(target, None)
    for target in record.get(rel, ()):
        ids[target] = None


def _by_source(into: dict[str, dict[str, list[int]]], rel: str, targets: Mapping[int, Sources]) -> None:
    distinct = set(targets.values())
    if len(distinct) == 1:
        # (the usual case: every link of the document from the same sources; the same lists, made whole)
        given = distinct.pop()
        if given:
            ids = list(targets)
            by_source = into.setdefault(rel, {})
            for source in given:
                have = by_source.get(source)
                if have is None:
                    by_source[source] = ids.copy()
                else:
                    have.extend(ids)
        return
    for target, given in targets.items():
        for source in given:
            into.setdefault(rel, {}).setdefault(source, []).append(target)


def encode(state: LinkState) -> bytes | None:
    """The link record of ``state`` (None when it has no links)."""
    record: dict[str, Any] = {}
    sources: dict[str, dict[str, list[int]]] = {}
    for rel in RELS:
        targets = state[rel]
        if targets:
            record[rel] = list(targets)
            _by_source(sources, rel, targets)
    if not record:
        return None
    if sources:
        record["link_sources"] = sources
    return orjson.dumps(record)


# (``Change``'s parts not yet written: read-only, so a write that does not go through ``_more`` or
# ``_removed`` fails at once instead of changing every change's)
_NONE: Mapping[str, Targets] = MappingProxyType({})
_NONE_REMOVED: Mapping[str, set[int]] = MappingProxyType({})


class Change:
    """What one commit does to one document's links (see the module docstring). Its parts are made as
    they are needed: an import holds one for each record its records cite."""

    __slots__ = ("added", "more_sources", "removed")

    def __init__(self) -> None:
        self.added: dict[str, Targets] = {}  # targets new to the document, with their sources
        # Sources new to targets it had already, and targets dropped: one read-only empty mapping shared
        # until the first of either is written (``_more``, ``_removed``). An import holds a change for
        # each document its batch's records cite, and nearly all only add targets: two empty dicts
        # each were ~128 bytes a change, ~37 MB of a batch citing 300,000 stored documents (peak48).
        self.more_sources: Mapping[str, Targets] = _NONE
        self.removed: Mapping[str, set[int]] = _NONE_REMOVED

    def _more(self) -> dict[str, Targets]:
        more = self.more_sources
        if not isinstance(more, dict):
            more = self.more_sources = {}
        return more

    def _removed(self) -> dict[str, set[int]]:
        removed = self.removed
        if not isinstance(removed, dict):
            removed = self.removed = {}
        return removed

    @classmethod
    def fresh(cls) -> Change:
        """The change of a document with no links stored yet (a new one): every target is new, so its
        ``added`` is its links in full, a ``LinkState`` built in place (``store.linkedits``)."""
        change = cls()
        change.added = empty()
        return change

    @classmethod
    def between(cls, before: LinkState, after: LinkState) -> Change:
        """The change that turns ``before`` into ``after``."""
        change = cls()
        for rel in RELS:
            old, new = before[rel], after[rel]
            if len(new) >= len(old) and list(islice(new.items(), len(old))) == list(old.items()):
                # (the usual case, compared in C: ``after`` is ``before`` with targets added after its
                # own, none dropped, no sources new to the old ones)
                if len(new) > len(old):
                    change.added[rel] = dict(islice(new.items(), len(old), None))
                continue
            gone = {t for t in old if t not in new}
            if gone:
                change._removed()[rel] = gone
            for target, sources in new.items():
                had = old.get(target)
                if had is None:
                    change.added.setdefault(rel, {})[target] = sources
                elif sources != had:
                    extra = tuple(s for s in sources if s not in had)
                    if extra:
                        change._more().setdefault(rel, {})[target] = extra
        return change

    @classmethod
    def of(cls, records: Iterable[Mapping[str, Any]]) -> Change:
        """The one change that does what ``records`` (decoded link changes, oldest first) do."""
        change = cls()
        for record in records:
            for rel, ids in (record.get("removed") or {}).items():
                for target in ids:
                    change.remove(rel, target)
            for rel in RELS:
                for target in record.get(rel, ()):
                    change.add(rel, target, ())
            for rel, by_source in (record.get("link_sources") or {}).items():
                for source, ids in by_source.items():
                    for target in ids:
                        change.add_sources(rel, target, (source,))
        return change

    def add(self, rel: str, target: int, sources: Iterable[str]) -> None:
        """``target`` is new to the document (the caller knows); so are ``sources`` for it."""
        added = self.added.setdefault(rel, {})
        have = added.get(target)
        added[target] = shared(sources) if have is None else joined(have, sources)

    def add_sources(self, rel: str, target: int, sources: Iterable[str]) -> None:
        """``target`` was linked already (or is added by this change); ``sources`` are new for it."""
        added = self.added.get(rel)
        if added is not None and target in added:
            added[target] = joined(added[target], sources)
            return
        more = self._more().setdefault(rel, {})
        more[target] = joined(more.get(target, ()), sources)

    def remove(self, rel: str, target: int) -> None:
        """``target`` is dropped (the caller knows the document held it, or gained it in this change)."""
        added = self.added.get(rel)
        if added is None or added.pop(target, None) is None:
            self._removed().setdefault(rel, set()).add(target)
        more = self.more_sources.get(rel)
        if more:
            more.pop(target, None)

    def apply_to(self, state: LinkState) -> None:
        """``apply`` of this change, without encoding it."""
        for rel, gone in self.removed.items():
            for target in gone:
                state[rel].pop(target, None)
        for rel, added in self.added.items():
            targets = state[rel]
            for target, sources in added.items():
                targets[target] = joined(targets.get(target, ()), sources)
        for rel, more in self.more_sources.items():
            targets = state[rel]
            for target, sources in more.items():
                have = targets.get(target)
                if have is not None:
                    targets[target] = joined(have, sources)

    @property
    def counts(self) -> tuple[int, int]:
        """How the document's (references, citing articles) counts change."""
        added, removed = self.added, self.removed  # (written out: once per document an import writes)
        refs = len(added.get("references", ())) - len(removed.get("references", ()))
        return refs, len(added.get("cited_by", ())) - len(removed.get("cited_by", ()))

    def __bool__(self) -> bool:
        return any(self.added.values()) or any(self.more_sources.values()) or any(self.removed.values())

    def encode(self) -> bytes:
        if not self.removed and not self.more_sources and len(self.added) == 1:
            # (the change an import writes most: the cited end of a link or a few, from one source)
            ((rel, targets),) = self.added.items()
            given = set(targets.values())
            if len(given) == 1:
                ids = list(targets)
                one: dict[str, Any] = {rel: ids}
                sources_of = given.pop()
                if sources_of:
                    one["link_sources"] = {rel: dict.fromkeys(sources_of, ids)}
                return orjson.dumps(one)
        record: dict[str, Any] = {}
        sources: dict[str, dict[str, list[int]]] = {}
        removed = {rel: sorted(ids) for rel, ids in self.removed.items() if ids}
        if removed:
            record["removed"] = removed
        for rel in RELS:
            added = self.added.get(rel)
            if added:
                record[rel] = list(added)
                _by_source(sources, rel, added)
            more = self.more_sources.get(rel)
            if more:
                _by_source(sources, rel, more)
        if sources:
            record["link_sources"] = sources
        return orjson.dumps(record)
