"""The links a unit of work changes (``store.changes``), kept as the commit will write them.

Adding a link reads the citing end's links (one read per record imported, none for a new record) and
not the cited end's: both ends always agree, so a link new to one end is new to the other, and the
cited end gets a *change* (``store.storage.links.Change``) appended, never a rewrite. A document whose
links were read is held in full (how they were, how they are); one only added to holds its change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from store.storage.links import INVERSE, Change, LinkState, Sources, empty, joined, shared


class LinkEdits:
    """The links changed by one unit of work, from the state ``read`` gives of a document."""

    def __init__(self, read: Callable[[int], LinkState]) -> None:
        self._read = read
        # Links read in full (the citing end of each link added, and whatever a merge touches): how
        # they were and how they are; and links only added to, never read (the cited ends).
        self._full: dict[int, tuple[LinkState, LinkState]] = {}
        self._added: dict[int, Change] = {}

    def state(self, doc_id: int) -> LinkState:
        """A document's links, read in full (once), writable."""
        full = self._full.get(doc_id)
        if full is not None:
            return full[1]
        before = self._read(doc_id)
        after: LinkState = {rel: dict(targets) for rel, targets in before.items()}
        added = self._added.pop(doc_id, None)
        if added is not None:
            added.apply_to(after)
        self._full[doc_id] = (before, after)
        return after

    def unlink(self, doc_id: int, rel: str, target: int) -> None:
        """Drop ``target`` from ``doc_id``'s links (which hold it: its other end did)."""
        full = self._full.get(doc_id)
        if full is not None:
            full[1][rel].pop(target, None)
            return
        change = self._added.get(doc_id)
        if change is None:
            change = self._added[doc_id] = Change()
        change.remove(rel, target)

    def connect(self, doc_id: int, rel: str, target: int, sources: Iterable[str] | None) -> int:
        """Link ``doc_id`` to ``target`` (``rel``) and ``target`` back to it. Returns 2 for a new link, 1
        when only sources were new, 0 when nothing was.

        The hot path of an import (once per link): written with as few calls as it can."""
        if target == doc_id:
            return 0  # a self-citation, or a record that absorbed its own reference
        full = self._full.get(doc_id)
        targets = full[1][rel] if full is not None else self.state(doc_id)[rel]
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

    def size(self) -> int:
        return len(self._full) + len(self._added)

    def changes(self, removed: set[int]) -> dict[int, Change]:
        """What to write: each document's change (a removed document keeps no links)."""
        found: dict[int, Change] = {}
        for doc_id, (was, now) in self._full.items():
            change = Change.between(was, empty() if doc_id in removed else now)
            if change:
                found[doc_id] = change
        for doc_id, change in self._added.items():
            if doc_id not in removed and change:
                found[doc_id] = change
        return found

    def clear(self) -> None:
        self._full, self._added = {}, {}
