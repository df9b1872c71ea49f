"""The library: articles and stubs in a TinyDB table, found by identifier, linked both ways.

Open one with ``Library.open(path)``. Documents and links are read on demand (see ``store.storage``);
writes go through ``with library.transaction() as changes: ...``, which commits once, atomically, at
the end and leaves the library untouched if anything fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from store import compaction
from store.changes import Changes
from store.errors import InterruptedAfterCommit
from store.ids import Identifier, parse_identifier
from store.intent import settle
from store.linkview import LinkView, check_relation, row_of, view_of
from store.merge import Doc, doc_keys
from store.model import Article
from store.paths import library_path
from store.schema import ARTICLES_TABLE
from store.storage import Storage, committed_state, compact_threshold, duedamage, open_storage
from store.storage.links import Change, LinkState
from store.storage.meta import Meta
from store.storage.reader import Reader
from store.storage.snapshot import Snapshot
from store.storage.table import ArticleTable, LibraryDB

if TYPE_CHECKING:
    from store.search.feed import TransactionFeed
    from store.storage.verify import StorageFindings


__all__ = [
    "Library",
    "LinkView",
    "Stats",
    "check_storage",
    "compact_threshold",
    "repair_storage",
    "set_aside",
]


@dataclass(frozen=True, slots=True)
class Stats:
    records: int
    stubs: int
    links: int


class Library:
    """An open library. Documents are read on demand; transactions from several threads take turns.

    What this process sees is one committed state of the library (see ``store.storage``); ``refresh()``
    moves to the newest, and every transaction starts from it.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._reader = storage.reader
        self._db = LibraryDB(storage=lambda: storage.table)
        self._table: ArticleTable = self._db.table(ARTICLES_TABLE)  # type: ignore[assignment]
        self._feed: TransactionFeed | None = None  # the search index's, inside a transaction
        self.created = False  # whether ``open`` made this library (it did not exist)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        demo: bool = True,
        lock_timeout: float | None = None,
    ) -> Library:
        """Open the library at ``path`` (default: see ``store.paths``), creating it if it is missing.

        A new library holds the bundled demo article unless ``demo`` is False.
        """
        library = cls(open_storage(library_path(path), lock_timeout))
        library.created = not library._reader.exists
        if not library._reader.exists:
            with library.transaction() as changes:
                if not library._reader.exists and demo:  # (no other process created it meanwhile)
                    from store.demo import demo_articles

                    for article, origin in demo_articles():
                        changes.put_article(article, origin)
        return library

    @property
    def path(self) -> Path:
        return self._storage.files.path

    @property
    def notices(self) -> list[str]:
        """One-line messages for the user from opening the library (a conversion, a rebuilt index)."""
        return self._storage.files.notices

    # Reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        counts = self._reader.counts
        return counts["records"] + counts["stubs"]

    def doc(self, doc_id: int) -> Doc | None:
        """A document by id (a fresh copy: callers may change it without changing the library)."""
        return self._reader.get(doc_id)

    def article(self, doc_id: int) -> Article:
        """The article a document holds, without its links: they are the library's (``links``,
        ``link_ids``), and reading them from the article raises (``store.model.LinksNotHeld``)."""
        doc = self.doc(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return Article.from_stored(doc, doc_id)

    def meta(self, doc_id: int) -> Meta | None:
        """A document's flags (stub, which fields it holds), year and citation count, from the index:
        no read of the document (see ``store.storage.meta``). None: no such document."""
        return self._reader.meta(doc_id)

    def iter_docs(self) -> Iterator[tuple[int, Doc]]:
        """Every document, one at a time, in id order: a walk over the whole library (exports of
        everything, index rebuilds), never for a hot path."""
        return self._reader.iter_docs()

    @property
    def next_id(self) -> int:
        """The id the next new document gets."""
        return self._reader.next_id

    def lookup(self, key: str) -> int | None:
        """The document holding this identity key (``pmid:...``, ``pmc:...``, ``doi:...``), or None.

        When sources contradict each other two documents can hold one key; the older one answers.
        """
        holders = self._reader.holders(key)
        return holders[0] if holders else None

    def find(self, ident: str | Identifier) -> int | None:
        """The document id of a PMID, PMCID or DOI (as typed by a user), or None."""
        parsed = parse_identifier(ident) if isinstance(ident, str) else ident
        if parsed is None:
            return None
        return self.lookup(parsed.key)

    def get(self, ident: str | Identifier) -> Article | None:
        doc_id = self.find(ident)
        return None if doc_id is None else self.article(doc_id)

    def find_keys(self, keys: Iterable[str]) -> int | None:
        """The document holding the first of these identity keys the library knows."""
        for key in keys:
            doc_id = self.lookup(key)
            if doc_id is not None:
                return doc_id
        return None

    def resolve(self, entry: Doc) -> int | None:
        """The document a link entry (identifiers, or title and year) names."""
        return self.find_keys(doc_keys(entry))

    # Links -----------------------------------------------------------------------------------

    def links(self, doc_id: int, rel: str) -> list[LinkView]:
        """The references (``rel="references"``) or citing articles (``"cited_by"``) of a record, each
        described by its target's own document, with the sources that gave the link (one read per
        link: for commands and exports; a pane draws ``rows`` of its ``link_ids``)."""
        check_relation(rel)
        read = self._one_state()
        doc = read.doc if isinstance(read, Snapshot) else read.get
        if read.meta(doc_id) is None:
            return []
        views: list[LinkView] = []
        for target_id, sources in read.link_state(doc_id)[rel].items():
            target = doc(target_id)
            if target is not None:
                views.append(view_of(target_id, target, sources))
        return views

    def link_ids(self, doc_id: int, rel: str) -> list[int]:
        """The document ids a record links to (``rel``: ``"references"`` or ``"cited_by"``), in the
        order its sources gave them: the graph alone, for traversals that do not show each target."""
        check_relation(rel)
        read = self._one_state()
        return read.link_ids(doc_id, rel) if read.meta(doc_id) is not None else []

    def _one_state(self) -> Reader | Snapshot:
        """The current state, taken once (a catch-up between two reads mixed states); the reader
        itself for a thread with changes staged (it adds them to what it reads; nothing commits)."""
        pending = self._storage.files.pending
        staged = pending.mine() and bool(pending.docs or pending.links)
        return self._reader if staged else self._reader.current()

    def link_state(self, doc_id: int) -> LinkState:
        """A record's links of both relations with the sources of each (for units of work)."""
        return self._reader.link_state(doc_id)

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a record, from the counts kept: no link is read."""
        return self._reader.link_counts(doc_id)

    def rows(self, target_ids: Iterable[int]) -> list[LinkView]:
        """Link rows of these targets (from ``link_ids``), each built from its target's head
        (identifiers, title, first authors, journal, year, stub or not: see ``store.storage.meta``),
        not its whole document: a pane that holds a record's ids shows the first screenful of an
        article with ten thousand citing articles at once, and the rest as it scrolls, without reading
        its link list again. The rows carry no sources (``links`` does); targets the library no longer
        holds are left out."""
        return [row_of(target_id, head) for target_id, head in self._reader.heads(target_ids)]

    def totals(self, doc_ids: Iterable[int]) -> dict[int, tuple[int, int, int | None]]:
        """(references, citing articles, year) of many records, from the index (none is read): ranking
        and year charts need them of thousands. Records the library does not hold are left out."""
        return {d: (refs, cited, year or None) for d, refs, cited, year in self._reader.totals(doc_ids)}

    def stats(self) -> Stats:
        """Counts kept with the library (never recomputed by reading it)."""
        counts = self._reader.counts
        return Stats(records=counts["records"], stubs=counts["stubs"], links=counts["links"])

    # Staying current -------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Take in what other processes committed since this one last read the library; whether anything
        changed. Cheap when nothing did (two ``stat`` calls), so the app can call it every second."""
        return self._reader.refresh()

    @property
    def state(self) -> tuple[str | None, int]:
        """What identifies the committed state this process sees (changes with every commit)."""
        return self._reader.state

    @staticmethod
    def commit_token(path: str | os.PathLike[str]) -> tuple[object, ...] | None:
        """What identifies the last commit of the library at ``path``, read from its files by a process
        that has not opened it (``store.intent``): it changes with every commit, a bulk one (a new
        journal: another inode) included, and with every compaction. None: no library there."""
        state = committed_state(path, checksum=False)  # (an index being rebuilt changes no commit)
        if state is None:
            return None
        real = Path(os.path.realpath(path))
        try:
            journal: int | None = os.stat(real.with_name(real.name + ".journal")).st_ino
        except OSError:
            journal = None
        return (*state, journal)

    def sizes(self) -> tuple[int, int]:
        """(the base file's size, the journal's sealed bytes) as this process sees them."""
        compactor = self._storage.compactor
        return compactor.base_size, compactor.journal_size()

    def compact(self, lock_timeout: float | None = None, *, full: bool = True) -> bool:
        """Fold the journal into the base file now (``pmbrowse compact``); ``full=False``: what is due
        (``Compactor.plan``: perhaps only the newest segments merged). Returns whether there was
        anything to fold. The search index stays fresh: compaction changes no document. A Ctrl-C once
        it is in raises ``InterruptedAfterCommit`` (``store.compaction``), whoever asked for it."""
        settle(self.path, Library.commit_token, lock_timeout)  # (before the token changes: store.intent)
        storage, reader = self._storage, self._reader
        return compaction.compact(
            self.path,
            lambda: storage.committer.transaction(lock_timeout),
            lambda: reader.state,
            lambda: storage.compactor.compact(lock_timeout, full=full),
        )

    @property
    def compaction_due(self) -> bool:
        """Whether the journal has grown past its threshold (see ``store.storage.compactor``)."""
        return self._storage.compactor.due()

    def compact_if_due(self) -> None:
        """Compact if it is due. A courtesy when a command or the app ends: when the library is busy
        (another writer), read-only or the disk is full, it is left for later, silently; damage is said
        once (a notice) and not tried again on the same layers (``store.storage.duedamage``). (A Ctrl-C is not
        silent: ``compact``.)"""
        if self.compaction_due:
            compact = lambda: self.compact(lock_timeout=0, full=False)  # noqa: E731
            duedamage.attempt(self.path, self._reader.snap, self.notices, compact)

    def fold_when_due(self) -> None:
        """(A command's library) a bulk commit that makes a fold due commits as it (``Committer._fold``);
        a merge of older segments that its end would make is made beside it (``store.storage.beside``)."""
        committer, compactor = self._storage.committer, self._storage.compactor
        committer.fold_rule = compactor.fold_due
        committer.beside_rule = compactor.beside_run

    def close(self) -> None:
        """Compact if it is due, then let go of the files."""
        try:
            self.compact_if_due()
        finally:
            self._storage.close()

    # Writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, before_commit: Callable[[], None] | None = None) -> Iterator[Changes]:
        """Collect changes; commit them once at the end, or drop them all on error.

        A large unit of work hands its changes over in batches as it goes (``Changes.flush``, which
        the importer calls): each is written out of memory at once, and committed with the rest.
        ``before_commit`` is called when the changes are handed over and before they are committed:
        what it reads of the library includes them (``snowball --online`` runs its round on the links
        it fetched, and commits the round with them: ``store.intent``); if it raises, nothing is."""
        committer = self._storage.committer
        outer = self._feed is None
        try:
            with committer.transaction():
                before = self._reader.state
                first_new = self._reader.next_id  # (documents from here on are made by this commit)
                if outer:
                    # A command killed mid-commit across files is finished or undone before anything
                    # else commits (``store.intent``: its reasoning needs every writer to do this first).
                    settle(self.path, Library.commit_token)
                    from store.search.feed import TransactionFeed

                    self._feed = TransactionFeed(self, before, first_new)
                changes = Changes(self)
                yield changes
                changed, removed = changes.commit()
                if before_commit is not None:
                    before_commit()
        except BaseException:  # (the commit's own failure too: the next transaction is an outer one)
            if outer and self._feed is not None:
                self._feed.abort()
                self._feed = None
            raise
        after = committer.last_commit()
        if outer and self._feed is not None:
            feed, self._feed = self._feed, None
            try:
                feed.finish(after, changed, removed)
            except KeyboardInterrupt as exc:  # (the search index left stale: rebuilt when next needed)
                raise InterruptedAfterCommit() from exc

    def _after_write(
        self,
        before: tuple[str | None, int],
        after: tuple[str | None, int],
        changed: Mapping[int, Doc],
        removed: set[int],
        first_new: int,
    ) -> None:
        """Bring the search index in step with a commit that turned state ``before`` into ``after``
        (making the documents from ``first_new`` on), when no batch was written before it."""
        from store.search.index import SearchIndex

        SearchIndex.after_write(self, before, after, changed, removed, first_new)

    def spill(self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]) -> None:
        """``Changes.flush``: a batch indexed for search, then written (by a child: see ``spillchild``)."""
        removed = set(removed)
        assert self._feed is not None
        self._feed.add(changed, removed)
        self._storage.committer.spill({**changed, **dict.fromkeys(removed)}, links)

    def index_ahead(self, changes: Changes) -> bool:
        """Index some of what the transaction made so far (``store.search.feed``); whether more is left."""
        return self._feed is not None and self._feed.ahead(*changes.made())

    def apply(self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]) -> None:
        """Called by ``Changes.commit``: hand the documents to TinyDB, the links to the storage."""
        removed = list(removed)
        if removed:
            self._table.remove(doc_ids=removed)
        if changed:
            self._table.put_many(changed)
        if links:
            self._storage.committer.stage_links(links)


# Checking and repairing the storage (``store.check``, ``store.repair``): on the files, unopened.


def check_storage(path: str | os.PathLike[str]) -> StorageFindings:
    """The storage of the library at ``path`` checked (see ``store.storage.verify``)."""
    from store.storage.verify import verify

    return verify(Path(os.path.realpath(path)))


def repair_storage(path: str | os.PathLike[str]) -> list[str]:
    """The storage of the library at ``path`` repaired (see ``store.storage.repair``); what was done."""
    from store.storage.repair import repair

    return repair(Path(os.path.realpath(path)))


def set_aside(path: Path) -> Path:
    """Rename a file that cannot be read to ``NAME.damaged-<UTC time>`` (never deleted)."""
    from store.storage.repair import set_aside as aside

    return aside(path)
