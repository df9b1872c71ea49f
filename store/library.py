"""The library: articles and stubs in a TinyDB table, found by identifier, linked both ways.

Open one with ``Library.open(path)``. Documents are read on demand (see ``store.storage``); writes go
through ``with library.transaction() as changes: ...``, which commits once, atomically, at the end and
leaves the library untouched if anything fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from store.changes import Changes, sources_by_target
from store.errors import PmbrowseError
from store.ids import Identifier, parse_identifier
from store.merge import LINK_RELATIONS, Doc, doc_keys
from store.model import Article, author_name
from store.paths import library_path
from store.schema import ARTICLES_TABLE
from store.storage import CopyOnWrite, LibraryStorage


class ArticleTable(Table):  # type: ignore[misc]
    """TinyDB's Table over a ``LibraryStorage``: an update touches only the documents it changes.

    TinyDB's own ``_update_table`` copies the whole table into a dict, runs the updater and hands every
    document back to the storage; here the updater sees a copy-on-write view instead, and the storage
    is given just what changed. Every Table operation (insert, update, upsert, remove, get) works as
    documented; ``search``, ``count`` and iteration read every document, as TinyDB's always do.
    """

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        storage: LibraryStorage = self._storage  # type: ignore[assignment]
        view = CopyOnWrite(storage)
        updater(view)  # type: ignore[arg-type]
        storage.stage(view.changed(), view.removed)
        self._next_id = None  # the storage counts ids, pending ones included
        self.clear_cache()

    def _get_next_id(self) -> int:
        next_id: int = self._next_id if self._next_id is not None else self._storage.next_id  # type: ignore[attr-defined]
        self._next_id = next_id + 1  # type: ignore[assignment]
        return next_id

    def put_many(self, docs: Mapping[int, Doc]) -> None:
        """Write documents under ids the library chose."""

        def updater(table: dict[int, Mapping[str, Any]]) -> None:
            table.update(docs)

        self._update_table(updater)


class _LibraryDB(TinyDB):  # type: ignore[misc]
    table_class = ArticleTable


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link as the library sees it: the target's best-known data and whether it is a full record."""

    target_id: int | None
    pmid: str | None
    pmcid: str | None
    doi: str | None
    title: str
    authors: list[str]
    journal: str
    year: int | None
    in_library: bool
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "pmid": self.pmid,
            "pmcid": self.pmcid,
            "doi": self.doi,
            "title": self.title,
            "authors": self.authors,
            "journal": self.journal,
            "year": self.year,
            "in_library": self.in_library,
            "sources": self.sources,
        }


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

    def __init__(self, storage: LibraryStorage) -> None:
        self.storage = storage
        self._db = _LibraryDB(storage=lambda: storage)
        self._table: ArticleTable = self._db.table(ARTICLES_TABLE)  # type: ignore[assignment]
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
        library = cls(LibraryStorage(library_path(path), lock_timeout=lock_timeout))
        library.created = not library.storage.exists
        if not library.storage.exists:
            with library.transaction() as changes:
                if not library.storage.exists and demo:  # (no other process created it meanwhile)
                    from store.demo import demo_articles

                    for article, origin in demo_articles():
                        changes.put_article(article, origin)
        return library

    @property
    def path(self) -> Path:
        return self.storage.path

    @property
    def notices(self) -> list[str]:
        """One-line messages for the user from opening the library (a conversion, a rebuilt index)."""
        return self.storage.notices

    # Reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        counts = self.storage.counts
        return counts["records"] + counts["stubs"]

    def doc(self, doc_id: int) -> Doc | None:
        """A document by id (a fresh copy: callers may change it without changing the library)."""
        return self.storage.get(doc_id)

    def article(self, doc_id: int) -> Article:
        doc = self.doc(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return Article.from_doc(doc)

    def iter_docs(self) -> Iterator[tuple[int, Doc]]:
        """Every document, one at a time, in id order: a walk over the whole library (exports of
        everything, index rebuilds), never for a hot path."""
        return self.storage.iter_docs()

    @property
    def next_id(self) -> int:
        """The id the next new document gets."""
        return self.storage.next_id

    def lookup(self, key: str) -> int | None:
        """The document holding this identity key (``pmid:...``, ``pmc:...``, ``doi:...``), or None.

        When sources contradict each other two documents can hold one key; the older one answers.
        """
        holders = self.storage.holders(key)
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

    def links(self, doc_id: int, rel: str) -> list[LinkView]:
        """The references (``rel="references"``) or citing articles (``"cited_by"``) of a record, each
        described by its target's own document (one read per link)."""
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc = self.doc(doc_id) or {}
        sources = sources_by_target(doc, rel)
        views: list[LinkView] = []
        for target_id in doc.get(rel, []):
            target = self.doc(target_id)
            if target is not None:
                views.append(_view(target_id, target, sources.get(target_id, [])))
        return views

    def link_ids(self, doc_id: int, rel: str) -> list[int]:
        """The document ids a record links to (``rel``: ``"references"`` or ``"cited_by"``), in the
        order its sources gave them: the graph alone, for traversals that do not show each target."""
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc = self.doc(doc_id)
        return list(doc.get(rel, ())) if doc is not None else []

    def stats(self) -> Stats:
        """Counts kept with the library (never recomputed by reading it)."""
        counts = self.storage.counts
        return Stats(records=counts["records"], stubs=counts["stubs"], links=counts["links"])

    # Staying current -------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Take in what other processes committed since this one last read the library.

        Returns whether anything changed. Cheap when nothing did (two ``stat`` calls), so the app can
        call it every second.
        """
        return self.storage.refresh()

    @property
    def state(self) -> tuple[str | None, int]:
        """What identifies the committed state this process sees (changes with every commit)."""
        return self.storage.state

    def compact(self, lock_timeout: float | None = None) -> bool:
        """Fold the journal into the base file now (``pmbrowse compact``). Returns whether there was
        anything to fold. The search index stays fresh: compaction changes no document."""
        states = self.storage.compact(lock_timeout)
        if states is None:
            return False
        from store.search.index import SearchIndex

        with contextlib.suppress(Exception):  # (a stale index is rebuilt when next needed)
            SearchIndex.after_compaction(self.path, *states)
        return True

    @property
    def compaction_due(self) -> bool:
        """Whether the journal has grown past its threshold (see ``store.storage``)."""
        return self.storage.exists and self.storage.needs_compaction()

    def compact_if_due(self) -> None:
        """Compact if it is due. A courtesy when a command or the app ends: when the library is busy
        (another writer), read-only or the disk is full, it is left for later, silently."""
        if self.compaction_due:
            with contextlib.suppress(PmbrowseError, OSError):
                self.compact(lock_timeout=0)

    def close(self) -> None:
        """Compact if it is due, then let go of the files."""
        self.compact_if_due()
        self.storage.close()

    # Writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Changes]:
        """Collect changes; commit them once at the end, or drop them all on error."""
        with self.storage.transaction():
            before = self.storage.state
            first_new = self.storage.next_id  # (documents from here on are made by this commit)
            changes = Changes(self)
            yield changes
            changed, removed = changes.commit()
        after = self.storage.last_commit()
        if (changed or removed) and after is not None:
            self._after_write(before, after, changed, removed, first_new)

    def _after_write(
        self,
        before: tuple[str | None, int],
        after: tuple[str | None, int],
        changed: Mapping[int, Doc],
        removed: set[int],
        first_new: int,
    ) -> None:
        """Bring the search index (derived data kept beside the library) in step with the commit that
        turned state ``before`` into ``after`` (making the documents from ``first_new`` on)."""
        from store.search.index import SearchIndex, forget_index

        try:
            SearchIndex.after_write(self, before, after, changed, removed, first_new)
        except Exception:
            # The library itself is safely written; a broken index must not undo that. Forgetting
            # it makes the next search rebuild it from the library.
            forget_index(self.path)

    def apply(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None:
        """Called by ``Changes.commit``: hand the documents to TinyDB."""
        removed = list(removed)
        if removed:
            self._table.remove(doc_ids=removed)
        if changed:
            self._table.put_many(changed)


def _view(target_id: int, target: Doc, sources: list[str]) -> LinkView:
    year = target.get("year")
    return LinkView(
        target_id=target_id,
        pmid=target.get("pmid"),
        pmcid=target.get("pmcid"),
        doi=target.get("doi"),
        title=str(target.get("title") or ""),
        authors=[author_name(a) for a in target.get("authors", ())],
        journal=str(target.get("journal") or ""),
        year=year if isinstance(year, int) else None,
        in_library=not target.get("stub"),
        sources=list(sources),
    )
