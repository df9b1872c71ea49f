"""Keeping the search index in step with the library's transactions.

The index is derived data beside the library, updated after each commit (``SearchIndex.after_write``).
A bulk import writes its batches as it goes (``Changes.flush``): their documents are indexed as they
come (``IndexFeed``), and the index is committed once, after the library's own commit, so an import
writes the index once, not once a batch. Whatever goes wrong with the index never undoes the library's
commit: the index is then forgotten (marked stale) and rebuilt at the next search, and the library
says so (a notice: ``store.notices``; a command prints it as it ends; the app shows it as it loads
or, said later in a session, at its watcher's next look: ``tui.refresh``), since a search until then
costs a rebuild, and one that cannot rebuild (a full disk) says why.

A bulk import also indexes *ahead*: while it waits for its reader (the child process parsing the
file), the documents its batch has made so far are indexed as they are then (``ahead``), so that
indexing overlaps parsing rather than following it (1.5 s of CPU for 10,000 records with reference
lists, which ran after the whole file before). A document can still change after that (a stub whose
record arrives later in the file, a record merged into another): the unit of work keeps the set of
documents it made writable (``Changes.made``), from which each document indexed ahead is taken out;
when its batch is written, one found there again changed since and is indexed again, one gone is
dropped. (A digest of each document's JSON, taken when indexed ahead and again when written, did the
same for 0.45 s of CPU per 10,000 records with reference lists.) The citation count of a document a
bulk import indexes counts no citing links (only a source's count): searches compare and show the
library's live counts (``store.search.cited``), so each document's count is not looked up (a look-up
through every layer of the library: 3% of the parent's work at 100k records).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from store.interrupts import held_off
from store.lock import write_lock
from store.notices import say
from store.search.catchup import layers_now
from store.search.fields import add_to
from store.search.index import (
    Library,
    SearchIndex,
    forget_index,
    index_folder,
    read_meta,
    write_meta,
)
from store.search.writer import open_writer

Doc = dict[str, Any]
AHEAD = 64  # documents indexed ahead at a time (between them, the reader's next batch is looked for)


class Writer(Library, Protocol):
    """What a feed needs of the library (``store.library.Library`` is one)."""

    @property
    def notices(self) -> list[str]: ...

    def _after_write(
        self,
        before: tuple[str | None, int],
        after: tuple[str | None, int],
        changed: Mapping[int, Doc],
        removed: set[int],
        first_new: int,
    ) -> None: ...


class TransactionFeed:
    """Keeps the search index in step with one transaction: batches written as they go are indexed as
    they go, and the index is committed once, after the library."""

    def __init__(self, library: Writer, before: tuple[str | None, int], first_new: int) -> None:
        self.library = library
        self.before = before
        self.first_new = first_new
        self._index: Any = None  # a ``store.search.index.IndexFeed`` once a batch is written
        self._failed = False
        self._error: Exception | None = None  # (a batch's indexing failed: said if the library commits)

    def _guard(self, action: Callable[[], None], committed: bool = False) -> None:
        """The library itself is written safely; a broken index must not undo that. Forgetting it
        makes the next search rebuild it from the library. Before the library's commit (``committed``
        False) the index is only rolled back: it is forgotten, and that said, once the library has
        committed (``finish``); a transaction that then fails leaves it as it was, fresh."""
        if self._failed:
            return
        try:
            action()
        except Exception as exc:
            self._failed = True
            self.abort()
            if committed:
                self._forget(exc)
            else:
                self._error = exc
        except BaseException:  # (Ctrl-C before the library's commit: the index's writer and lock let go)
            self._failed = True
            self.abort()
            raise

    def add(self, changed: Mapping[int, Doc], removed: set[int]) -> None:
        def add() -> None:
            if self._index is None:
                self._index = IndexFeed(self.library, self.before, self.first_new)
            self._index.add(changed, removed)

        self._guard(add)

    def ahead(self, next_id: int, docs: Mapping[int, Doc], touched: set[int]) -> bool:
        """Index up to ``AHEAD`` of the documents the transaction made that are not yet indexed
        (``docs``: those it holds, by id; ``next_id``: the next it will make), as they are now, and
        take them out of ``touched`` (the documents changed since: ``Changes.made``). Returns whether
        more are left."""
        more = [False]

        def ahead() -> None:
            if self._index is None:
                self._index = IndexFeed(self.library, self.before, self.first_new)
            more[0] = self._index.ahead(next_id, docs, touched)

        self._guard(ahead)
        return more[0]

    def _forget(self, exc: Exception) -> None:
        forget_index(self.library.path)
        say(self.library.notices, self.library.path, index_not_updated(exc))

    def finish(
        self, after: tuple[str | None, int] | None, changed: Mapping[int, Doc], removed: set[int]
    ) -> None:
        if after is None:
            self.abort()
            return
        if self._error is not None:  # (a batch's indexing failed: the library committed without it)
            error, self._error = self._error, None
            self._forget(error)
            return

        def finish() -> None:
            if self._index is None:
                self.library._after_write(self.before, after, changed, removed, self.first_new)
            else:
                with held_off():  # (cut here, the index would be of the state before: ``store.interrupts``)
                    self._index.add(changed, removed)
                    self._index.commit(after)
                    self._index = None

        self._guard(finish, committed=True)

    def abort(self) -> None:
        if self._index is not None:
            index, self._index = self._index, None
            with contextlib.suppress(Exception):
                index.rollback()


def index_not_updated(exc: Exception) -> str:
    """The notice of an index update that failed after the library's commit."""
    why = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    return (
        f"the search index could not be updated ({why}); what this command stored is in the library,"
        " and the next search rebuilds the index"
    )


class IndexFeed:
    """Keeps the index in step with one large transaction: the documents of each batch it writes are
    indexed as they come, and the index is committed once, after the library's commit (a bulk import
    writes the index once, not once a batch). Holds the index's lock from the first batch to the end.

    An index that was not fresh when the transaction began (a kill -9 after an earlier commit, before
    the index's) is first caught up with what it missed (``store.search.catchup``), then fed; one that
    cannot be caught up (a fold it missed, a record of an earlier version) is left alone, the next
    search rebuilding it. Until stop 32 every stale one was left: the import's own documents were then
    indexed again by the next search. One whose update fails is forgotten by the caller."""

    def __init__(self, library: Library, before: tuple[str | None, int], first_new: int) -> None:
        self.library = library
        self._added_upto = first_new - 1
        self._ahead = first_new  # the next document to index ahead
        self._early: set[int] = set()  # documents indexed ahead in this batch
        self._touched: set[int] = set()  # the unit of work's documents changed since (``Changes.made``)
        self.folder = index_folder(library.path)
        self._lock = write_lock(self.folder)
        self._lock.__enter__()
        self._writer: Any = None
        self._index: Any = None
        try:
            meta = read_meta(self.folder)
            if meta is not None and meta.get("library") == list(before):
                self._index = SearchIndex(self.folder, SearchIndex._open_folder(self.folder), library.path)
            elif meta is not None:  # (stale: its lock is held here, as ``catch_up`` asks)
                caught = SearchIndex.catch_up(library.path)
                if caught is not None and tuple(caught.state or ()) == tuple(before):  # (as it began)
                    self._index = caught
            if self._index is not None:
                self._writer = open_writer(self._index._index, collect=True)  # (killed imports' files)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    def ahead(self, next_id: int, docs: Mapping[int, Doc], touched: set[int]) -> bool:
        """See ``TransactionFeed.ahead``."""
        writer = self._writer
        if writer is None:
            return False
        self._touched = touched
        start = self._ahead
        end = min(next_id, start + AHEAD)
        early = self._early
        for doc_id in range(start, end):
            doc = docs.get(doc_id)
            if doc is not None:  # (else merged into another record already: nothing to index)
                add_to(writer, doc_id, doc)
                early.add(doc_id)
                touched.discard(doc_id)
        self._ahead = end
        self._added_upto = max(self._added_upto, end - 1)
        return end < next_id

    def add(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None:
        """A batch as it is written: its changed documents (re-)indexed, its removed ones dropped."""
        writer = self._writer
        if writer is None:
            return
        early, self._early = self._early, set()
        touched = self._touched
        for doc_id in removed:
            writer.delete_documents_by_term("doc_id", doc_id)
        for doc_id, doc in changed.items():
            if doc_id in early:
                early.discard(doc_id)
                if doc_id not in touched:
                    continue  # (indexed ahead as it is)
            # A document made by an earlier batch of the transaction, or before it, or indexed ahead,
            # is replaced; one made by this batch and not indexed yet (ids only grow) has nothing to.
            if doc_id <= self._added_upto:
                writer.delete_documents_by_term("doc_id", doc_id)
            add_to(writer, doc_id, doc)  # (its count: see the module docstring)
        for doc_id in early:  # (indexed ahead, then merged into another record before it was written)
            writer.delete_documents_by_term("doc_id", doc_id)
        self._added_upto = max(self._added_upto, max(changed, default=0))
        self._ahead = max(self._ahead, self._added_upto + 1)

    def commit(self, after: tuple[str | None, int]) -> None:
        """After the library's commit: commit the index, and say which state it reflects."""
        try:
            if self._writer is not None:
                self._writer.commit()
                self._writer.wait_merging_threads()
                self._index._index.reload()
                write_meta(self.folder, after, self._index.count(), layers_now(self.library, after))
        finally:
            self._writer = None
            self._lock.__exit__(None, None, None)

    def rollback(self) -> None:
        try:
            if self._writer is not None:
                self._writer.rollback()
        finally:
            self._writer = None
            self._lock.__exit__(None, None, None)
