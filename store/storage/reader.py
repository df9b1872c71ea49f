"""Reading a library: opening its newest state, staying current, and every read, as the committed
state plus (for the thread inside a transaction) what that transaction has staged.

Readers take no lock: they hold open the base, index, segments and journal they started with, and see
only sealed commits, so a reader sees a consistent state while a writer commits or compacts.
``refresh()`` moves to the newest state; opening retries while a compaction swaps files. Threads of
this process read the state they took (``current()``) for as long as they like: a newer one replaces
it, never changes it (``catch_up``), and the state it replaced stays open until the next is replaced
(``open``), or the library is closed.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from store.journal import Replay, read_tail
from store.merge import doc_keys
from store.storage import links as linkrec
from store.storage import opening
from store.storage.files import Doc, LibraryFiles
from store.storage.meta import Meta, counts_of, head_of, meta_of
from store.storage.opening import file_id
from store.storage.snapshot import Snapshot

COUNTS = ("records", "stubs", "links")
# Opening looks at files that keep changing (one commit or compaction after another) this many times,
# this many seconds apart, at most (``Reader.open``).
TRIES = 40
WAIT = 0.025


def state_of(snap: Snapshot) -> tuple[str | None, int]:
    """``Reader.state`` of a snapshot."""
    journal = snap.journal
    end = journal.end if snap.live_journal and journal is not None else 0
    if snap.generation is None or snap.index is None:
        return (snap.generation, end)
    return (f"{snap.generation}.{snap.index.base_crc:08x}", end)


def copy_replay(journal: Replay) -> Replay:
    """A copy of a journal's tables that ``store.journal.replay`` can take more commits into without
    changing ``journal``: every table it changes in place copied (``keys``' sets, ``links``' and
    ``link_counts``' lists), the rest shared (tuples, and the seals' dicts, which it replaces)."""
    return dataclasses.replace(
        journal,
        docs=dict(journal.docs),
        keys={key: set(holders) for key, holders in journal.keys.items()},
        held=dict(journal.held),
        links={doc_id: list(where) for doc_id, where in journal.links.items()},
        link_counts={doc_id: list(counts) for doc_id, counts in journal.link_counts.items()},
        segments=list(journal.segments),
        ends=list(journal.ends),
    )


def successor(snap: Snapshot) -> Snapshot:
    """A copy of ``snap`` to take in more of the journal's commits (``Reader.catch_up``): the same
    files, index and segments, and its own copy of the journal's tables, so that a thread still reading
    ``snap`` sees it whole while the copy takes in a commit (``store.journal`` updates its tables one
    entry at a time: a commit's documents, then their links, then the counts)."""
    journal = snap.journal
    copied = None if journal is None else copy_replay(journal)
    counts = None if snap.counts is None else dict(snap.counts)
    new = dataclasses.replace(snap, journal=copied, segments=list(snap.segments), counts=counts)
    new._newest = snap._newest  # (a function of the segments, which are the same)
    return new


class Reader:
    """Reads one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles) -> None:
        self.files = files
        # The state the last move to a new one left behind, still open: a thread may be reading it
        # (a worker holds the state it reads from: ``heads``, ``totals``, the citation counts). It is
        # closed when the next one is left behind, or the library closed.
        self._left: Snapshot | None = None
        self.open()

    @property
    def snap(self) -> Snapshot:
        return self.files.snap

    @property
    def exists(self) -> bool:
        return self.snap.base_fd is not None

    # Opening ---------------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the newest state on disk, looking again while a commit or compaction swaps files.

        A try that meets files swapped under it (``opening.SWAPPED``: a segment the journal it read
        lists was removed, as a merge does once its new journal is renamed in) looks again if the files
        changed since it began: a swap renames a new base or journal in first (a new inode) and removes
        what the old one listed after. Files unchanged since the try began are not being swapped: what
        it met is damage, said at once by a final try (a library with a damaged segment waited ~1 s of
        looks before). A base whose index is of another generation while a writer holds the lock
        (``opening.OTHER_GENERATION``) is looked at again either way: a compaction renames its index in
        after its base, and not looking would rebuild it (the base read whole); with the lock free, the
        index a crashed compaction left is put in place, or one rebuilt, at once
        (``store.storage.leftindex``). Bounded: ``TRIES``, ``WAIT`` apart."""
        seen = self._on_disk()
        final = False
        for attempt in range(TRIES):
            got = opening.try_open(self.files, final=final or attempt == TRIES - 1)
            if isinstance(got, Snapshot):
                with self.files.state:
                    old, self.files.snap = self.files.snap, got
                    older, self._left = self._left, old
                if older is not None:
                    older.close()  # (safe for a read in flight: ``Snapshot.close``)
                return
            now = self._on_disk()
            final = got == opening.SWAPPED and now == seen
            if not final:  # (else no wait: nothing is changing)
                seen = now
                time.sleep(WAIT)

    def close(self) -> None:
        """Close the state read now and the one left behind (reads in flight end first; a read begun
        after raises ``FileClosed``)."""
        with self.files.state:
            left, self._left = self._left, None
            self.files.snap.close()
        if left is not None:
            left.close()

    # Staying current -------------------------------------------------------------------------------

    def _on_disk(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None, int]:
        """The base's and the journal's identities as the files are now, and the journal's length
        (None, 0: no such file). Two ``stat`` calls: the change signal of the library."""
        ids: list[tuple[int, int] | None] = []
        size = 0
        for path in (self.files.path, self.files.journal_path):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                ids.append(None)
                continue
            ids.append(file_id(st))
            size = st.st_size
        return ids[0], ids[1], size if ids[1] is not None else 0

    def changed_on_disk(self) -> bool:
        """Whether another process committed (or compacted) since this one last looked."""
        snap = self.snap
        base, journal, size = self._on_disk()
        scanned = snap.journal.scanned if snap.journal is not None else 0
        return base != snap.base_id or journal != snap.journal_id or size != scanned

    def refresh(self) -> bool:
        """Move to the newest committed state. Returns whether anything changed."""
        with self.files.state:
            if not self.changed_on_disk():
                return False
            before = self.state
            self.catch_up()
            return self.state != before

    def catch_up(self) -> None:
        """Take in what was committed since: the journal's new commits, or (after a compaction, or a
        new journal) the new files.

        New commits are taken into a new state (``successor``), which then replaces the one
        read now: a thread reading that one (it holds the state it reads from) never sees half a
        commit, a document without its links or the counts of before. The copy costs a few
        microseconds a document of the journal, which a command's end keeps short."""
        with self.files.state:
            snap = self.snap
            base, journal, _size = self._on_disk()
            if base == snap.base_id and journal == snap.journal_id:
                if journal is not None and snap.live_journal:
                    assert snap.journal is not None and snap.journal_fd is not None
                    raw = read_tail(snap.journal_fd, snap.journal.end)
                    if not raw and snap.journal.scanned == snap.journal.end:
                        return  # (nothing new)
                    new = successor(snap)
                    assert new.journal is not None
                    opening.replay_into(self.files, new, raw, new.journal.end)
                    self.files.snap = new
                return
            self.open()

    @property
    def state(self) -> tuple[str | None, int]:
        """What identifies the committed state: (the generation and its base's checksum, bytes of the
        journal's sealed commits). The checksum tells a base edited in place (its index rebuilt) from
        the one it was: the search index keeps the state it reflects (``store.search.index``)."""
        return state_of(self.snap)

    # Reading ---------------------------------------------------------------------------------------

    def current(self) -> Snapshot:
        """The state this thread reads: the committed one, or for the thread inside a bulk transaction,
        that plus the batches it wrote as segments so far."""
        pending = self.files.pending
        if pending.view is not None and pending.mine():
            return pending.view
        with self.files.state:
            return self.snap

    def _own(self) -> dict[int, Doc | None]:
        pending = self.files.pending
        return pending.docs if pending.docs and pending.mine() else {}

    def _own_links(self) -> dict[int, linkrec.Change]:
        pending = self.files.pending
        return pending.links if pending.links and pending.mine() else {}

    def committed(self, doc_id: int) -> Doc | None:
        """A document as last committed (not counting this transaction's staged changes)."""
        return self.current().doc(doc_id)

    def get(self, doc_id: int) -> Doc | None:
        """A document, as this transaction sees it; a new dict each call (callers may change it)."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            return None if doc is None else orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]
        return self.committed(doc_id)

    def meta(self, doc_id: int) -> Meta | None:
        """A document's flags, year and citation count (see ``store.storage.meta``), or None."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            return None if doc is None else meta_of(doc)
        return self.current().meta(doc_id)

    def head(self, doc_id: int) -> dict[str, Any] | None:
        """A document's head (see ``store.storage.meta``), decoded; None: no such document."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            raw = None if doc is None else head_of(doc)
        else:
            raw = self.current().head(doc_id)
        return None if raw is None else orjson.loads(raw)  # type: ignore[no-any-return]

    def totals(self, doc_ids: Iterable[int]) -> Iterator[tuple[int, int, int, int]]:
        """(doc id, references, citing articles, year or 0) of many documents from one state: no
        document is read (those the library does not hold are left out)."""
        pending, links = self._own(), self._own_links()
        snap = self.current()
        committed = []  # (asked of the state together: ``Snapshot.totals``)
        for doc_id in doc_ids:
            if doc_id in pending or doc_id in links:
                meta = self.meta(doc_id)
                if meta is not None:
                    yield (doc_id, *self.link_counts(doc_id), meta.year)
            else:
                committed.append(doc_id)
        yield from snap.totals(committed)

    def heads(self, doc_ids: Iterable[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        """``head`` of many documents from one state (those the library holds)."""
        pending = self._own()
        snap = self.current()
        for doc_id in doc_ids:
            if doc_id in pending:
                head = self.head(doc_id)
                if head is not None:
                    yield doc_id, head
            elif (raw := snap.head(doc_id)) is not None:
                yield doc_id, orjson.loads(raw)

    def holders(self, key: str) -> list[int]:
        """The documents holding identity key ``key``, lowest id first."""
        found = self.current().holders(key)
        for doc_id, doc in self._own().items():
            if doc is not None and key in doc_keys(doc):
                found.add(doc_id)
            else:
                found.discard(doc_id)
        return sorted(found)

    def ids(self) -> Iterator[int]:
        """Every document id, in order (a walk over the whole library: not for hot paths). The ids are
        those of the state when the walk starts."""
        present = self.current().ids()
        for doc_id, doc in self._own().items():
            (present.add if doc is not None else present.discard)(doc_id)
        yield from sorted(present)

    def iter_docs(self) -> Iterator[tuple[int, Doc]]:
        """Every document with its id, in id order, read one at a time."""
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                yield doc_id, doc

    def link_state(self, doc_id: int) -> linkrec.LinkState:
        """A document's links with the sources of each, as this transaction sees them."""
        state = self.current().link_state(doc_id)
        change = self._own_links().get(doc_id)
        if change is not None:
            change.apply_to(state)
        return state

    def link_ids(self, doc_id: int, rel: str) -> list[int]:
        if doc_id in self._own_links():
            return list(self.link_state(doc_id)[rel])
        return self.current().link_ids(doc_id, rel)

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document, from the counts kept (no link record read)."""
        refs, cited = self.current().link_counts(doc_id)
        change = self._own_links().get(doc_id)
        if change is not None:
            r, c = change.counts
            refs, cited = refs + r, cited + c
        return refs, cited

    @property
    def counts(self) -> dict[str, int]:
        pending = self.files.pending
        spilled = pending.view is not None and pending.mine()
        if spilled:  # (a batch's counts are the transaction's once its child has written it)
            from store.storage import spilling  # (here: the app's first page must not import hashlib)

            spilling.settle(self.files)
        counts = dict(pending.counts if spilled else self.snap.counts or dict.fromkeys(COUNTS, 0))
        own = self._own()
        for doc_id, doc in own.items():
            new, old = counts_of(doc), counts_of(self.committed(doc_id))
            counts["records"] += new[0] - old[0]
            counts["stubs"] += new[1] - old[1]
        counts["links"] += sum(change.counts[0] for change in self._own_links().values())
        return counts

    @property
    def next_id(self) -> int:
        pending = self.files.pending
        spilled = pending.next_id if pending.view is not None and pending.mine() else 0
        return max(self.snap.next_id, spilled, max(self._own(), default=0) + 1)
