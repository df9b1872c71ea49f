"""The links a unit of work changes (``store.changes``), kept as the commit will write them.

Adding a link reads the citing end's links (one read per record imported, none for a new record) and
not the cited end's: both ends always agree, so a link new to one end is new to the other, and the
cited end gets a *change* (``store.storage.links.Change``) appended, never a rewrite. A document whose
links were read is held in full (how they were, how they are); one only added to holds its change.

A document made by this batch (its id at or past the batch's first new id) has no links stored yet:
nothing is read for it, and its change *is* its links in full (every target is new), so it is built
once, in place, and written as it is.

Nor is a stored document's read when the relation it is given links in holds none (its kept counts say
so, ``counts``: no link read): every link is new to it, so its change says all there is to say. That is
a record whose stub a reference list named before (a later file's usual record): its references are
added, and its citing articles, which can be hundreds, are neither read nor compared at the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from store.storage.links import INVERSE, Change, LinkState, Sources, Targets, empty, joined, shared

RELATIONS = tuple(INVERSE)  # ("references", "cited_by")
CHANGE_SHARE = 4  # changes only added to that count as one document (measured ~6: ``LinkEdits.size``)


class LinkEdits:
    """The links changed by one unit of work, from the state ``read`` gives of a document; documents
    from ``fresh_from`` on are new (none of their links is stored)."""

    def __init__(
        self,
        read: Callable[[int], LinkState],
        fresh_from: int,
        counts: Callable[[int], tuple[int, int]] | None = None,
    ) -> None:
        self._read = read
        self._counts = counts  # (a stored document's (references, citing articles), no link read)
        self._fresh_from = fresh_from
        # Links read in full (the citing end of each link added to a stored document, and whatever a
        # merge touches): how they were and how they are; and links only added to, never read (the
        # cited ends, and the new documents, whose change holds their links in full).
        self._full: dict[int, tuple[LinkState, LinkState]] = {}
        self._added: dict[int, Change] = {}
        # Every document whose links are held in full, by id: the ``after`` of ``_full`` and the
        # change of a new document (one look-up on the hot path, whichever it is).
        self._states: dict[int, LinkState] = {}
        # New documents given links of their own (a record's reference list): each counts one in
        # ``size``; the other new ones (stubs: only ever the cited end of a link) count none there.
        self._listed = 0
        # Stored documents given links in a relation that held none, held as their changes (``_own``):
        # each counts one in ``size``, as when their links were read in full, and its change none.
        self._owned: dict[int, set[str]] = {}  # (and the relations held so: their counts asked once)

    def state(self, doc_id: int) -> LinkState:
        """A document's links, read in full (once), writable."""
        state = self._states.get(doc_id)
        if state is not None:
            return state
        if doc_id >= self._fresh_from:
            return self._fresh(doc_id)
        before = self._read(doc_id)
        after: LinkState = {rel: dict(targets) for rel, targets in before.items()}
        added = self._added.pop(doc_id, None)
        self._owned.pop(doc_id, None)
        if added is not None:
            added.apply_to(after)
        self._full[doc_id] = (before, after)
        self._states[doc_id] = after
        return after

    def _own(self, doc_id: int, rel: str) -> Targets | None:
        """The targets ``rel`` of a stored document whose links are not held, when it has none stored
        in ``rel`` (its change's, which then hold them all); None when it has (read it: ``state``)."""
        owned = self._owned.get(doc_id)
        if owned is None or rel not in owned:
            # (asked once a document and relation, not once a link: a record's reference list gives it
            # one link a reference)
            if self._counts is None or self._counts(doc_id)[RELATIONS.index(rel)]:
                return None
            if owned is None:
                owned = self._owned[doc_id] = set()
            owned.add(rel)
        change = self._added.get(doc_id)
        if change is None:
            change = self._added[doc_id] = Change()
        targets = change.added.get(rel)
        return targets if targets is not None else change.added.setdefault(rel, {})

    def _fresh(self, doc_id: int) -> LinkState:
        """The links of a document made by this batch: its change, which holds them all."""
        change = self._added[doc_id] = Change.fresh()
        state = self._states[doc_id] = change.added
        return state

    def unlink(self, doc_id: int, rel: str, target: int) -> None:
        """Drop ``target`` from ``doc_id``'s links (which hold it: its other end did)."""
        state = self._states.get(doc_id)
        if state is None and doc_id >= self._fresh_from:
            state = self._fresh(doc_id)
        if state is not None:
            state[rel].pop(target, None)
            return
        change = self._added.get(doc_id)
        if change is None:
            change = self._added[doc_id] = Change()
        change.remove(rel, target)

    def connect(self, doc_id: int, rel: str, target: int, sources: Iterable[str] | None) -> int:
        """Link ``doc_id`` to ``target`` (``rel``) and ``target`` back to it. Returns 2 for a new link, 1
        when only sources were new, 0 when nothing was."""
        return self.connect_all(doc_id, rel, ((target, sources),))

    def connect_all(self, doc_id: int, rel: str, links: Iterable[tuple[int, Iterable[str] | None]]) -> int:
        """``connect`` for each (target, sources) of ``links``, in order; returns the largest answer.

        The hot path of an import (once per link of a record's reference list): the document's links
        are found once, and the other end of each link is written here when its links are held."""
        states, changes = self._states, self._added
        fresh_from = self._fresh_from
        state = states.get(doc_id)
        if state is not None:
            targets = state[rel]
        elif doc_id >= fresh_from or (owned := self._own(doc_id, rel)) is None:
            targets = self.state(doc_id)[rel]
        else:
            targets = owned
        listed = not targets and doc_id >= fresh_from  # (a new document's own list, its first links)
        inverse = INVERSE[rel]
        linked = 0
        # (the sources last made shared, and what ``shared`` made of them: a reference list's links
        # mostly have the same, each its own list; ``shared`` gives equal sources an equal tuple)
        last: Iterable[str] | None = None
        last_shared: Sources = ()
        for target, sources in links:
            if target == doc_id:
                continue  # a self-citation, or a record that absorbed its own reference
            have = targets.get(target)
            now: Sources
            if have is None:
                if not sources:
                    now = ()
                elif sources == last:
                    now = last_shared
                else:
                    now = last_shared = shared(sources)
                    last = sources
                linked = 2
            else:
                if not sources:
                    continue
                now = joined(have, sources)
                if now is have:
                    continue
                linked = linked or 1
            targets[target] = now
            # The other end: in full when its links are held (read, or new), else as a change, whose
            # new targets take the link as a held state's do (``Change.add`` written out: the commonest
            # other end of an import's links, a record earlier batches or files wrote; ``now`` is
            # shared already).
            back = states.get(target)
            if back is None and target >= fresh_from:
                back = self._fresh(target)
            if back is not None:
                back_targets = back[inverse]
            else:  # (a change: it cannot have had the link, its other end had not)
                change = changes.get(target)
                if change is None:
                    change = changes[target] = Change()
                if have is not None:
                    change.add_sources(inverse, doc_id, now)
                    continue
                added = change.added.get(inverse)
                back_targets = added if added is not None else change.added.setdefault(inverse, {})
            had = back_targets.get(doc_id)
            back_targets[doc_id] = now if had is None else joined(had, now)
        if listed and targets:
            self._listed += 1
        return linked

    def move(self, other: int, into: int, removed: set[int]) -> None:
        """``other`` was merged into ``into`` (``Changes._absorb``): every link of ``other`` becomes one of
        ``into`` (none to itself, nor to ``removed`` documents), and ``other`` keeps none."""
        links = self.state(other)
        held = {rel: into in links[INVERSE[rel]] for rel in RELATIONS}  # (a link not there: no unlink)
        for rel in RELATIONS:
            for linked, sources in list(links[rel].items()):
                del links[rel][linked]
                if linked in (into, other) or linked in removed:
                    continue
                self.unlink(linked, INVERSE[rel], other)
                self.connect(into, rel, linked, sources)
            if held[rel]:
                self.unlink(into, rel, other)

    def size(self) -> int:
        """What it holds, in documents' worth (``Changes.size``: a bulk import writes a batch when it
        holds ``FLUSH_AT``): a document whose links were read in full counts one, and so does a new
        document with links of its own (a record's reference list); a change only added to (the cited
        end of a link to a stored document: a target or two, some 600 bytes, a tenth of what a record
        and its reference list hold) a quarter; a new stub (only ever a cited end: a target or two)
        nothing here, its document (``Changes.size`` counts it one) holding all of it.

        Counted as one, the changes made a later file's batches small: most of what a batch held was
        the cited ends of its links to the records earlier batches and files wrote (the first 100k
        bench file's last batches: 13,000 documents beside 73,000 such changes), and each batch is a
        layer every later look-up of the import walks. A new stub counted one here as well (two in
        all, as a record does) though it holds some 1,300 bytes beside a record's 10,300 (measured
        with tracemalloc over the 10k bench file's first 4,000 records and their 7,162 stubs).

        Neither share is what it holds, and both are left so. Measured (stop 33, as above): a record
        10,277 bytes, counting two (its document and its reference list: ~5,100 bytes a unit); a new
        stub 1,329, its document counting one (``Changes.size``) where it weighs ~0.26 of a unit; a
        cited end's change 888, a quarter here (``CHANGE_SHARE``) where it weighs ~1/6. ``FLUSH_AT``
        and ``LINKS_AT`` were set, and the imports' peaks measured (the one-file 1M import 1,415 MB
        against the 1.5 GB target), with these counts: weighed as measured, a batch that ``FLUSH_AT``
        writes would hold some 4 times the stubs, or 1.5 times the cited ends, before it was written,
        and its memory with them, so ``FLUSH_AT`` would have to be set and measured again at 1M (not
        affordable on the shared two-core machine of stop 34). The counts bound a batch; they are
        not its bytes."""
        fresh = len(self._states) - len(self._full)  # (new: their changes hold their links in full)
        owned = len(self._owned)
        return len(self._full) + self._listed + owned + (len(self._added) - fresh - owned) // CHANGE_SHARE

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

    def clear(self, fresh_from: int) -> None:
        """Forget everything (it was written); documents from ``fresh_from`` on are the next batch's."""
        self._full, self._added, self._states = {}, {}, {}
        self._listed = 0
        self._owned = {}
        self._fresh_from = fresh_from
