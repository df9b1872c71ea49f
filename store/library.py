"""The library: a TinyDB file of articles and stubs, an identifier index, and the link graph.

Open one with ``Library.open(path)``. Reads come from memory; writes go through
``with library.transaction() as changes: ...``, which writes the file once, atomically, at the end
(see ``store.storage``) and leaves it untouched if anything fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document, Table

from store.changes import Changes
from store.ids import Identifier, parse_identifier
from store.merge import LINK_RELATIONS, Doc, doc_keys
from store.model import Article, Author
from store.paths import library_path
from store.schema import ARTICLES_TABLE
from store.storage import Fingerprint, LibraryStorage, fingerprint


class ArticleTable(Table):  # type: ignore[misc]
    """TinyDB's Table, plus writing many documents with known ids in one pass.

    TinyDB rebuilds the whole table dict on every update, so an import must hand it all its
    documents at once rather than one ``update`` per document.
    """

    def put_many(self, docs: Mapping[int, Doc]) -> None:
        def updater(table: dict[int, Mapping[str, Any]]) -> None:
            table.update(docs)

        self._update_table(updater)
        self._next_id = None  # ids were chosen by the library; let TinyDB recount if asked


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
    """An open library file. Transactions from several threads take turns; reads are from memory
    and may see a transaction's result as soon as it is committed."""

    def __init__(self, storage: LibraryStorage) -> None:
        self.storage = storage
        self._db = _LibraryDB(storage=lambda: storage)
        self._table: ArticleTable = self._db.table(ARTICLES_TABLE)  # type: ignore[assignment]
        self.index: dict[str, int] = {}
        self.next_id = 1
        self.created = False  # whether ``open`` made this library (it did not exist)
        self._rebuild_index()

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
                if not library.storage.exists:  # no other process created it meanwhile
                    if demo:
                        from store.demo import demo_articles

                        for article, origin in demo_articles():
                            changes.put_article(article, origin)
                    library.storage.write(library.storage.read())
        return library

    @property
    def path(self) -> Path:
        return self.storage.path

    # Reading ---------------------------------------------------------------------------------

    def raw_docs(self) -> dict[str, Doc]:
        """All documents by id (as strings), straight from memory. Do not modify them."""
        data = self.storage.read()
        docs: dict[str, Doc] = data[ARTICLES_TABLE]
        return docs

    def __len__(self) -> int:
        return len(self.raw_docs())

    def doc(self, doc_id: int) -> Doc | None:
        document: Document | None = self._table.get(doc_id=doc_id)
        return document

    def article(self, doc_id: int) -> Article:
        doc = self.doc(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return Article.from_doc(doc)

    def find(self, ident: str | Identifier) -> int | None:
        """The document id of a PMID, PMCID or DOI (as typed by a user), or None."""
        parsed = parse_identifier(ident) if isinstance(ident, str) else ident
        if parsed is None:
            return None
        return self.index.get(parsed.key)

    def get(self, ident: str | Identifier) -> Article | None:
        doc_id = self.find(ident)
        return None if doc_id is None else self.article(doc_id)

    def lookup(self, key: str) -> int | None:
        """The document holding this identity key (``pmid:...``, ``pmc:...``, ``doi:...``), or None."""
        return self.index.get(key)

    def refresh(self) -> bool:
        """Take in what other processes committed since this one last read the library.

        Returns whether anything changed. Cheap when nothing did (it looks at the storage's change
        signal only), so the app can call it every second.
        """
        if fingerprint(self.path) == self.storage.seen:
            return False
        with self.storage.transaction():
            pass  # a transaction reloads a file another process replaced
        self._table.clear_cache()
        self._rebuild_index()
        return True

    def find_keys(self, keys: Iterable[str]) -> int | None:
        """The document holding the first of these identity keys the library knows."""
        return next((self.index[key] for key in keys if key in self.index), None)

    def resolve(self, entry: Doc) -> int | None:
        """The document a link entry points at."""
        return self.find_keys(doc_keys(entry))

    def links(self, doc_id: int, rel: str) -> list[LinkView]:
        """The references (``rel="references"``) or citing articles (``"cited_by"``) of a record."""
        if rel not in LINK_RELATIONS:
            raise ValueError(rel)
        doc = self.doc(doc_id) or {}
        views: list[LinkView] = []
        seen: set[int] = set()
        for entry in doc.get(rel, []):
            target_id = self.resolve(entry)
            if target_id is not None:
                if target_id in seen:
                    continue
                seen.add(target_id)
            views.append(self._view(entry, target_id))
        return views

    def _view(self, entry: Doc, target_id: int | None) -> LinkView:
        target = self.doc(target_id) if target_id is not None else None
        full = target is not None and not target.get("stub")
        # A full record speaks for itself; otherwise the link's own text comes first.
        first, second = (target, entry) if full and target else (entry, target or {})

        def pick(key: str) -> object:
            value = first.get(key)
            return value if value not in (None, "", []) else second.get(key)

        if full and target:
            authors = [Author.from_doc(a).name for a in target.get("authors", [])]
        else:
            authors = list(entry.get("authors") or [])
            if not authors and target:
                authors = [Author.from_doc(a).name for a in target.get("authors", [])]
        year = pick("year")
        return LinkView(
            target_id=target_id,
            pmid=pick("pmid"),  # type: ignore[arg-type]
            pmcid=pick("pmcid"),  # type: ignore[arg-type]
            doi=pick("doi"),  # type: ignore[arg-type]
            title=str(pick("title") or ""),
            authors=authors,
            journal=str(pick("journal") or ""),
            year=year if isinstance(year, int) else None,
            in_library=full,
            sources=list(entry.get("sources", [])),
        )

    def stats(self) -> Stats:
        records = stubs = links = 0
        for doc in self.raw_docs().values():
            if doc.get("stub"):
                stubs += 1
            else:
                records += 1
            # Every link is kept on both ends, so counting one end counts each link once.
            links += len(doc.get("references", ()))
        return Stats(records=records, stubs=stubs, links=links)

    # Writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Changes]:
        """Collect changes; commit and write them once at the end, or drop them all on error."""
        committed = False
        try:
            with self.storage.transaction() as reloaded:
                if reloaded:
                    self._table.clear_cache()
                    self._rebuild_index()
                changes = Changes(self)
                yield changes
                changed, removed = changes.commit()
                committed = bool(changed or removed)
                before = self.storage.seen
                if self.storage.flush():
                    self._after_write(before, changed, removed)
        except BaseException:
            if committed:
                # The write failed and the storage went back to the file on disk: the identifier
                # index made from the committed documents must go back too.
                self._table.clear_cache()
                self._rebuild_index()
            raise

    def _after_write(self, before: Fingerprint | None, changed: set[int], removed: set[int]) -> None:
        """Bring the search index (derived data kept beside the library) in step with the new file."""
        from store.search.index import SearchIndex, forget_index

        try:
            SearchIndex.after_write(self, before, changed, removed)
        except Exception:
            # The library itself is safely written; a broken index must not undo that. Forgetting
            # it makes the next search rebuild it from the library.
            forget_index(self.path)

    def apply(
        self,
        changed: Mapping[int, Doc],
        removed: list[int],
        keys: Mapping[str, int | None],
        next_id: int,
    ) -> None:
        """Called by ``Changes.commit``: hand the documents to TinyDB and update the index."""
        if removed:
            self._table.remove(doc_ids=removed)
        if changed:
            self._table.put_many(changed)
        for key, doc_id in keys.items():
            if doc_id is None:
                self.index.pop(key, None)
            else:
                self.index[key] = doc_id
        self.next_id = max(self.next_id, next_id)

    def _rebuild_index(self) -> None:
        index: dict[str, int] = {}
        highest = 0
        for doc_id_text, doc in self.raw_docs().items():
            doc_id = int(doc_id_text)
            highest = max(highest, doc_id)
            for key in doc_keys(doc):
                index.setdefault(key, doc_id)
        self.index = index
        self.next_id = highest + 1
