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
new or existing targets, ``removed`` drops targets (with their sources). A document's links are its
base record with every later change applied in commit order (``apply``): a change is never read
without the ones before it.

Which sources gave each link is kept by source, as the schema kept it before: most links have one
source and most documents one source for all their links, so this is the compact way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

RELS = ("references", "cited_by")
INVERSE = {"references": "cited_by", "cited_by": "references"}

Targets = dict[int, list[str]]  # target -> the sources that gave the link, in the order learnt
LinkState = dict[str, Targets]  # relation -> targets, in the order learnt


def empty() -> LinkState:
    return {"references": {}, "cited_by": {}}


def apply(state: LinkState, record: Mapping[str, Any]) -> None:
    """Apply a link record or change (decoded) to ``state``."""
    removed = record.get("removed")
    if removed:
        for rel, ids in removed.items():
            targets = state[rel]
            for target in ids:
                targets.pop(target, None)
    for rel in RELS:
        ids = record.get(rel)
        if ids:
            targets = state[rel]
            for target in ids:
                if target not in targets:
                    targets[target] = []
    by_rel = record.get("link_sources")
    if by_rel:
        for rel, by_source in by_rel.items():
            targets = state[rel]
            for source, ids in by_source.items():
                for target in ids:
                    sources = targets.get(target)
                    if sources is not None and source not in sources:
                        sources.append(source)


def apply_ids(ids: dict[int, None], record: Mapping[str, Any], rel: str) -> None:
    """``apply`` for one relation's targets alone (traversals that need no sources)."""
    removed = record.get("removed")
    if removed:
        for target in removed.get(rel, ()):
            ids.pop(target, None)
    for target in record.get(rel, ()):
        ids[target] = None


def encode(state: LinkState) -> bytes | None:
    """The link record of ``state`` (None when it has no links)."""
    record: dict[str, Any] = {}
    sources: dict[str, dict[str, list[int]]] = {}
    for rel in RELS:
        targets = state[rel]
        if not targets:
            continue
        record[rel] = list(targets)
        for target, given in targets.items():
            for source in given:
                sources.setdefault(rel, {}).setdefault(source, []).append(target)
    if not record:
        return None
    if sources:
        record["link_sources"] = sources
    return orjson.dumps(record)


class Change:
    """What one commit does to one document's links (see the module docstring)."""

    __slots__ = ("added", "more_sources", "removed")

    def __init__(self) -> None:
        self.added: LinkState = empty()  # targets new to the document, with their sources
        self.more_sources: LinkState = empty()  # sources new to targets it had already
        self.removed: dict[str, set[int]] = {"references": set(), "cited_by": set()}

    @classmethod
    def between(cls, before: LinkState, after: LinkState) -> Change:
        """The change that turns ``before`` into ``after``."""
        change = cls()
        for rel in RELS:
            old, new = before[rel], after[rel]
            change.removed[rel] = {t for t in old if t not in new}
            for target, sources in new.items():
                had = old.get(target)
                if had is None:
                    change.added[rel][target] = list(sources)
                else:
                    extra = [s for s in sources if s not in had]
                    if extra:
                        change.more_sources[rel][target] = extra
        return change

    def add(self, rel: str, target: int, sources: Iterable[str]) -> None:
        """``target`` is new to the document (the caller knows); so are ``sources`` for it."""
        given = self.added[rel].setdefault(target, [])
        given.extend(s for s in sources if s not in given)

    def add_sources(self, rel: str, target: int, sources: Iterable[str]) -> None:
        """``target`` was linked already; ``sources`` are new for it."""
        if target in self.added[rel]:
            self.add(rel, target, sources)
            return
        given = self.more_sources[rel].setdefault(target, [])
        given.extend(s for s in sources if s not in given)

    def remove(self, rel: str, target: int) -> None:
        """``target`` is dropped (the caller knows the document held it, or gained it in this change)."""
        if self.added[rel].pop(target, None) is None:
            self.removed[rel].add(target)
        self.more_sources[rel].pop(target, None)

    def apply_to(self, state: LinkState) -> None:
        """``apply`` of this change, without encoding it."""
        for rel in RELS:
            targets = state[rel]
            for target in self.removed[rel]:
                targets.pop(target, None)
            for part in (self.added[rel], self.more_sources[rel]):
                for target, sources in part.items():
                    given = targets.get(target)
                    if given is None:
                        if part is self.more_sources[rel]:
                            continue
                        given = targets[target] = []
                    given.extend(s for s in sources if s not in given)

    @property
    def counts(self) -> tuple[int, int]:
        """How the document's (references, citing articles) counts change."""
        refs, cited = (len(self.added[r]) - len(self.removed[r]) for r in RELS)
        return refs, cited

    def __bool__(self) -> bool:
        return any(self.added[r] or self.more_sources[r] or self.removed[r] for r in RELS)

    def encode(self) -> bytes:
        record: dict[str, Any] = {}
        sources: dict[str, dict[str, list[int]]] = {}
        removed = {rel: sorted(ids) for rel, ids in self.removed.items() if ids}
        if removed:
            record["removed"] = removed
        for rel in RELS:
            if self.added[rel]:
                record[rel] = list(self.added[rel])
            for part in (self.added[rel], self.more_sources[rel]):
                for target, given in part.items():
                    for source in given:
                        sources.setdefault(rel, {}).setdefault(source, []).append(target)
        if sources:
            record["link_sources"] = sources
        return orjson.dumps(record)
