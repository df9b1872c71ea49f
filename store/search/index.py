"""The search index: a tantivy index kept next to the library file, and queries against it.

Why tantivy: measured on this 2-core machine with a 100k-record library, a pure-Python inverted
index took 26 s and ~1 GB to build and 8.8 s to reload from a pickle, while tantivy builds in ~6 s,
opens in a new process in ~30 ms and answers in milliseconds. It also stores the few fields a result
list shows, so ``pmbrowse search`` can answer without loading the (large) library at all.

The index lives in ``<library>.index/`` and records the committed state of the library it reflects
(``pmbrowse-index.json``: the base's generation and the journal's length, see ``store.storage``).
The library updates it after each write; rebuilds and updates take the
index's own lock (``<library>.index.lock``). An index that missed commits (a kill between the writes)
is caught up with them (``store.search.catchup``), else (a fold since, another version) rebuilt.

What is indexed is in ``store.search.fields``; how queries become tantivy queries, in
``store.search.compile``.

"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import tantivy

from store.atomicwrite import swap_folder
from store.docindex import IndexFileError
from store.errors import PmbrowseError
from store.fileformat import read_base_header
from store.interrupts import held_off
from store.lock import write_lock
from store.schema import SCHEMA_VERSION
from store.search.catchup import Layered, Layers, State, catch_up, layers_now, rebuilt
from store.search.cited import cited_between, most_cited
from store.search.compile import MarkLookup, compile_query, heading_matches, heading_of
from store.search.fields import (
    ANALYZER,
    FOLDED,
    HEADING_SEP,
    SCHEMA,
    Hit,
    Results,
    add_to,
    analyze,
    hit_from_fields,
)
from store.search.meta import META, forget_index, index_folder, read_meta, write_meta
from store.search.query import MatchAll, Node, parse_query
from store.search.readonly import cannot_lock, scratch_folder, shadow
from store.search.writer import open_writer, rebuild_writer
from store.storage import Storage, committed_state, open_storage
from store.storage.citations import Citations

Doc = dict[str, Any]


class Library(Layered, Protocol):
    """What the index needs of a library (``store.library.Library`` is one): named here, so that this
    module does not depend on the library, which keeps its index in step after each commit. (Its
    path, state and next id: ``store.search.catchup.Layered``.)"""

    def iter_docs(self) -> Iterator[tuple[int, Doc]]: ...

    def link_counts(self, doc_id: int) -> tuple[int, int]: ...


__all__ = ["META", "SORTS", "Hit", "MarkLookup", "Results", "SearchIndex", "forget_index", "index_folder"]
__all__ += ["read_meta", "write_meta"]  # (the index's record: ``store.search.meta``)

# ``rcr``: iCite's Relative Citation Ratio, highest first; the articles without one after them, most
# cited first (an RCR is missing where iCite was never asked, or the article is too new for one).
SORTS = ("relevance", "date", "cited", "rcr")


class SearchIndex:
    """An open search index for one library file."""

    def __init__(self, folder: Path, index: Any, library_path: Path) -> None:
        self.folder = folder
        self.library_path = library_path
        self._index = index
        self._citations: Citations | None = None
        self._unchecked: Storage | None = None  # the storage opened with its index's check under way
        # The library's storages it opened (for the counts), closed with it: ``close``, or when freed.
        self._opened: list[Storage] = []
        weakref.finalize(self, _close_all, self._opened)
        self._checking = threading.Lock()
        # The library's committed state this index was found fresh for (None: not checked here).
        self.state: tuple[str | None, int] | None = None

    # Opening and keeping fresh --------------------------------------------------------------

    @staticmethod
    def _open_folder(folder: Path) -> Any:
        index = tantivy.Index(SCHEMA, path=str(folder), reuse=True)
        index.register_tokenizer(FOLDED, ANALYZER)
        return index

    @classmethod
    def open_if_fresh(
        cls, library_path: Path, state: tuple[str | None, int] | None = None
    ) -> SearchIndex | None:
        """The index, if it reflects the library's committed state on disk now (``state``, when the
        caller read it from the files themselves: ``pmbrowse check``); else None.

        Needs no write access (a library on read-only media searches as well)."""
        return cls._open_fresh(library_path, state or committed_state(library_path))

    @classmethod
    def open_with_counts(cls, library_path: Path, *, convert: bool = True) -> SearchIndex | None:
        """``open_if_fresh`` for a caller that searches at once in an order of live citation counts
        (the app's first list, most cited first): the library's storage, which those counts are read
        from (``citations``), is opened first, and the state it read tells whether the index is fresh,
        so that the journal is read once rather than twice. Opening the storage may convert a library
        of an older layout, as opening the library does; ``convert=False`` (a reader that must never
        write): None for such a library instead.

        The storage's document index (one written before stop 49; since, by the block) is checked in a
        thread from the first read of its columns (``DocIndex`` ``check_later``), and ``search`` waits
        for that check before it returns a page: a damaged index is opened again (rebuilt) and the
        search run again, so nothing it answered is shown."""
        if not convert and not _in_this_layout(library_path):
            return None
        try:
            storage = open_storage(library_path, check_later=True)
        except (PmbrowseError, OSError):
            return cls.open_if_fresh(library_path)
        index = cls._open_fresh(library_path, storage.reader.state if storage.reader.exists else None)
        if index is None:
            storage.close()
            return None
        index._citations = Citations(storage.reader)
        index._unchecked = storage
        index._opened.append(storage)
        return index

    @classmethod
    def _open_fresh(cls, library_path: Path, state: tuple[str | None, int] | None) -> SearchIndex | None:
        """The index, if it reflects the library's committed ``state``; else None."""
        folder = index_folder(library_path)
        meta = read_meta(folder)
        if meta is None or state is None or meta.get("library") != list(state):
            return None
        try:
            index = cls(folder, cls._open_folder(folder), library_path)
        except (ValueError, OSError) as exc:
            if not cannot_lock(exc):
                return None
            try:  # (a folder this process cannot write: read through a shadow, see ``readonly``)
                index = cls(folder, cls._open_folder(shadow(folder)), library_path)
            except (ValueError, OSError):
                return None
        # tantivy makes an empty index where its own meta.json is missing: count what is really there.
        if index.count() != meta.get("docs"):
            return None
        index.state = state
        return index

    @classmethod
    def for_library(cls, library: Library) -> SearchIndex:
        """The library's index, caught up first if it is stale (``catch_up``), rebuilt if it is missing
        or cannot be caught up (in a temporary folder when the library's folder cannot be written)."""
        if (fresh := cls.open_if_fresh(library.path)) is not None:
            return fresh
        folder = index_folder(library.path)
        try:
            lock = write_lock(folder)
            lock.__enter__()
        except OSError:
            return cls.rebuild(library, folder=scratch_folder(index_folder(library.path)))
        try:
            # Another process may have rebuilt it while we waited for the lock.
            found = cls.open_if_fresh(library.path) or cls.catch_up(library.path)
            return found or rebuilt(library, cls.rebuild)  # (said when it missed a fold)
        finally:
            lock.__exit__(None, None, None)

    @classmethod
    def catch_up(cls, library_path: Path) -> SearchIndex | None:
        """The index brought to the library's committed state by indexing again the documents of the
        layers it has not seen (``store.search.catchup``: a kill between the library's commit and the
        index's); None when that cannot be told, or fails (the caller rebuilds it). The caller holds
        the index's lock."""
        folder = index_folder(library_path)
        if (caught := catch_up(library_path, lambda: cls._open_folder(folder))) is None:
            return None
        index, index.state = cls(folder, caught[0], library_path), caught[1]
        return index

    def count(self) -> int:
        """How many documents the index holds."""
        return int(self._index.searcher().num_docs)

    @classmethod
    def rebuild(cls, library: Library, *, folder: Path | None = None) -> SearchIndex:
        """Build the whole index from the library, then swap it in for the old one.

        Callers hold the index lock (``write_lock(index_folder(...))``), so two rebuilds, or a
        rebuild and an update, never swap folders under each other; any half-built folder left by a
        rebuild that died (killed, disk full) is removed first, and a rebuild that fails removes its own.
        """
        folder = folder or index_folder(library.path)
        for stale in folder.parent.glob(f".{folder.name}.*.building"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in folder.parent.glob(f".{folder.name}.*.old"):
            shutil.rmtree(stale, ignore_errors=True)
        building = folder.with_name(f".{folder.name}.{os.getpid()}.building")
        try:
            building.mkdir(parents=True)
            index = cls._open_folder(building)
            writer = rebuild_writer(index)
            state = library.state
            docs = 0
            for doc_id, doc in library.iter_docs():
                add_to(writer, doc_id, doc, library.link_counts(doc_id)[1])
                docs += 1
            writer.commit()
            writer.wait_merging_threads()
            write_meta(building, state, docs, layers_now(library, state))
            swap_folder(building, folder)
        except ValueError as exc:  # tantivy's errors (a full disk among them) come as ValueError
            shutil.rmtree(building, ignore_errors=True)
            raise OSError(f"cannot build the search index in {folder.parent}: {exc}") from None
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return cls(folder, cls._open_folder(folder), library.path)

    def update(
        self,
        library: Library,
        state: tuple[str | None, int],
        changed: Mapping[int, Doc],
        removed: Iterable[int],
        first_new: int,
    ) -> None:
        """Re-index changed documents (as committed) and drop removed ones; record ``state``, the state
        of the library that commit made (not the library's state now: another thread may have committed
        since, and its own update will follow). Documents from ``first_new`` on are new: nothing to
        replace. A commit that changed links only changes no index document."""
        removed = list(removed)
        if changed or removed:
            writer = open_writer(self._index)
            for doc_id in removed:
                writer.delete_documents_by_term("doc_id", doc_id)
            for doc_id, doc in changed.items():
                if doc_id < first_new:  # (a document made by this commit has nothing to replace)
                    writer.delete_documents_by_term("doc_id", doc_id)
                add_to(writer, doc_id, doc, library.link_counts(doc_id)[1])
            writer.commit()
            writer.wait_merging_threads()
            self._index.reload()
        docs = self.count()
        write_meta(self.folder, state, docs, layers_now(library, state))

    @classmethod
    def after_write(
        cls,
        library: Library,
        before: tuple[str | None, int],
        after: tuple[str | None, int],
        changed: Mapping[int, Doc],
        removed: set[int],
        first_new: int,
    ) -> None:
        """Keep the index in step with a commit that turned state ``before`` into ``after``."""
        folder = index_folder(library.path)
        with write_lock(folder):
            meta = read_meta(folder)
            if meta is not None and meta.get("library") == list(before):
                try:
                    index = cls(folder, cls._open_folder(folder), library.path)
                    with held_off():  # (an update, not a rebuild: short; see ``store.interrupts``)
                        index.update(library, after, changed, removed, first_new)
                    return
                except (ValueError, OSError):
                    pass  # fall through: a rebuild replaces whatever is there
            elif cls.catch_up(library.path) is not None:
                return  # (a commit it missed, and this one: ``catch_up``)
            rebuilt(library, cls.rebuild)  # (said when it missed a fold: ``store.search.catchup``)

    @staticmethod
    def after_compaction(path: Path, before: State, after: State, layers: Layers | None = None) -> None:
        """A compaction made state ``after`` (its ``layers``: ``store.search.catchup``) from ``before``
        without changing any document: an index fresh for ``before`` is fresh for ``after`` (without
        this, every compaction would cost a rebuild of the whole index)."""
        folder = index_folder(path)
        with write_lock(folder):
            meta = read_meta(folder)
            if meta is not None and meta.get("library") == list(before):
                write_meta(folder, after, int(meta.get("docs", 0)), layers)

    # Searching ------------------------------------------------------------------------------

    def search(
        self,
        query: str | Node,
        *,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        marks: MarkLookup | None = None,
        count: bool = True,
    ) -> Results:
        """Run a query. Relevance is BM25, ties broken by date (newest first); ``sort`` is one of
        ``SORTS``; ``limit`` 0: the total alone (no hit's count of citing articles read: 57 ms at 1M).
        ``count`` False: a caller that does not need the total of a full page (its total may then be
        ``UNCOUNTED``: most cited first, ``store.search.cited``)."""
        sort = "date" if limit <= 0 and sort in SORTS else sort
        citations = self.citations()
        try:
            results: Results | None = self._search(query, limit, offset, sort, marks, citations, count)
        except Exception:  # (a damaged index under its check may break the reading, not only mislead it)
            if citations is None or self._trusted(citations):
                raise
            results = None
        if results is None or (citations is not None and not self._trusted(citations)):
            return self._search(query, limit, offset, sort, marks, self.citations(), count)
        return results

    def _trusted(self, citations: Citations) -> bool:
        """Whether ``citations`` may be believed: False when they read the storage opened with its
        index's check under way (``open_with_counts``) and the check failed (waited for). Those counts
        are then dropped, so that the next ``citations()`` opens the storage again, which rebuilds
        the index (the damaged one is left to be freed with the searches that may still read it)."""
        first = self._unchecked
        if first is None or citations.reader is not first.reader:
            return True
        with self._checking:
            index = first.reader.snap.index
            try:
                if index is not None:
                    index.verify()
            except IndexFileError:
                if self._citations is citations:
                    self._citations = None
                return False
            return True

    def _search(
        self,
        query: str | Node,
        limit: int,
        offset: int,
        sort: str,
        marks: MarkLookup | None,
        citations: Citations | None,
        count: bool = True,
    ) -> Results:
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        node = parse_query(query) if isinstance(query, str) else query
        searcher = self._index.searcher()
        compiled = compile_query(
            node,
            marks,
            query if isinstance(query, str) else "",
            lambda words, wildcard: self._heading_terms(searcher, words, wildcard),
            None if citations is None else functools.partial(cited_between, citations),
        )
        if sort == "relevance" and not isinstance(node, MatchAll):
            # Fetch a margin past the page so equal scores at its edge can be ordered by date.
            result = searcher.search(compiled, limit=offset + limit + 50, count=True)
            hits = [self._hit(searcher, addr, float(score), citations) for score, addr in result.hits]
            hits.sort(key=lambda h: (-round(h.score or 0.0, 5), -(h.year or 0), h.doc_id))
            return Results(hits=hits[offset : offset + limit], total=int(result.count or 0))
        if sort == "rcr":
            return self._by_rcr(searcher, compiled, limit, offset, citations)
        return self._in_order(searcher, compiled, node, sort, limit, offset, citations, count)

    def _in_order(
        self,
        searcher: Any,
        compiled: Any,
        node: Node | None,
        sort: str,
        limit: int,
        offset: int,
        citations: Citations | None,
        count: bool = True,
    ) -> Results:
        """The hits most cited first (``sort`` "cited") or newest first (otherwise). ``node`` is the query
        (None: ``compiled`` is not a query of its own, so no shortcut by its kind applies)."""
        if sort == "cited" and citations is not None:
            # (by the library's live counts: ``store.search.cited``)
            page, total = most_cited(searcher, compiled, node, offset + limit, citations, count=count)
            return Results([self._hit(searcher, addr, None, citations) for addr in page[offset:]], total)
        by = "cited" if sort == "cited" else "year"
        result = searcher.search(compiled, limit=max(limit, 1), count=True, order_by_field=by, offset=offset)
        hits = [self._hit(searcher, addr, None, citations) for _key, addr in result.hits[: max(limit, 0)]]
        # Equal keys come back in index order, which depends on how segments were written.
        if by == "cited":
            hits.sort(key=lambda h: (-h.cited, -(h.year or 0), h.doc_id))
        else:
            hits.sort(key=lambda h: (-(h.year or 0), -h.cited, h.doc_id))
        return Results(hits=hits, total=int(result.count or 0))

    def _by_rcr(
        self, searcher: Any, compiled: Any, limit: int, offset: int, citations: Citations | None
    ) -> Results:
        """The hits with an RCR, highest first (ties: most cited, newest), then those without one, most
        cited first: two searches, the second only for what the first leaves of the page."""
        has_rcr = tantivy.Query.range_query(SCHEMA, "rcr", tantivy.FieldType.Float, float("-inf"), None)
        occur = tantivy.Occur
        rated = tantivy.Query.boolean_query([(occur.Must, compiled), (occur.Must, has_rcr)])
        unrated = tantivy.Query.boolean_query([(occur.Must, compiled), (occur.MustNot, has_rcr)])
        first = searcher.search(rated, limit=limit, count=True, order_by_field="rcr", offset=offset)
        hits = [self._hit(searcher, addr, None, citations) for _key, addr in first.hits]
        hits.sort(key=lambda h: (-(h.rcr or 0.0), -h.cited, -(h.year or 0), h.doc_id))
        with_rcr = int(first.count or 0)
        room = limit - len(hits)
        if room <= 0:  # (the page is full: only how many there are without an RCR)
            return Results(hits, with_rcr + int(searcher.search(unrated, limit=1, count=True).count or 0))
        rest = self._in_order(searcher, unrated, None, "cited", room, max(0, offset - with_rcr), citations)
        return Results(hits + rest.hits, with_rcr + rest.total)

    def citations(self) -> Citations | None:
        """The library's live citation counts (None when the library cannot be read: the index's own
        counts, as of each document's indexing, stand in)."""
        if self._citations is None:
            try:
                storage = open_storage(self.library_path)
            except (PmbrowseError, OSError):
                return None
            self._opened.append(storage)
            self._citations = Citations(storage.reader)
        return self._citations

    def close(self) -> None:
        """Let go of the library's files this index opened for its citation counts (a search after
        this opens them again; one under way still answers: what it reads of them lives until it is
        freed). Done by itself when the index is freed; the app does it when it replaces one."""
        _close_all(self._opened)
        self._citations = self._unchecked = None

    @staticmethod
    def _hit(searcher: Any, addr: Any, score: float | None, citations: Citations | None) -> Hit:
        hit = hit_from_fields(searcher.doc(addr).to_dict(), score)
        return hit if citations is None else dataclasses.replace(hit, cited=citations.count(hit.doc_id))

    def headings_containing(self, word: str, limit: int = 10) -> list[str]:
        """The MeSH headings in the library with a word that begins with ``word`` (folded: case and
        accents do not matter), most used first, then alphabetically; at most ``limit``.

        For a no-hits message: ``cancer[mh]`` finds nothing, and this says which headings do hold the
        word ("Cancer Vaccines", "Early Detection of Cancer"). Several words must all be in the heading,
        the last one as a prefix. Only the descriptor is returned, without qualifiers.
        """
        words = analyze(word)
        if not words or limit <= 0:
            return []
        searcher = self._index.searcher()
        counts: dict[str, int] = {}
        for term, count in self._heading_term_counts(searcher, words, wildcard=True):
            heading = heading_of(term)
            counts[heading] = max(count, counts.get(heading, 0))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
        return [heading for heading, _count in ranked[:limit]]

    def _heading_terms(self, searcher: Any, words: list[str], wildcard: bool) -> list[str]:
        """The ``mesh_words`` terms of headings holding every word (for ``[mh]``)."""
        return [term for term, _count in self._heading_term_counts(searcher, words, wildcard)]

    @staticmethod
    def _heading_term_counts(searcher: Any, words: list[str], wildcard: bool) -> list[tuple[str, int]]:
        # Walk the terms of the first word (its prefix when it is also the last and a wildcard), then
        # keep the headings that hold the other words too. Counts are of live documents only.
        prefix = words[0] if wildcard and len(words) == 1 else words[0] + HEADING_SEP
        found = searcher.terms_with_prefix("mesh_words", prefix, filter_query=tantivy.Query.all_query())
        return [
            (str(term), int(count))
            for term, count in found
            if count and heading_matches(analyze(heading_of(str(term))), words, wildcard)
        ]

    def refresh(self) -> None:
        """See what other writers (a fetch in this process, another process) committed since."""
        self._index.reload()


def _close_all(storages: list[Storage]) -> None:
    while storages:
        storages.pop().close()


def _in_this_layout(library_path: Path) -> bool:
    """Whether the library's base file is in this version's layout (opening one of another converts it)."""
    try:
        with library_path.open("rb") as fh:
            header, _start = read_base_header(fh.read(65536))
    except OSError:
        return False
    return header is not None and header.get("schema") == SCHEMA_VERSION
