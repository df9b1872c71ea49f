"""The library's documents as a TinyDB table, read on demand and written through the committer.

TinyDB's Storage contract is "read every table, write every table"; ``TableStorage`` serves ``read``
with a mapping that decodes a document only when it is asked for, and ``ArticleTable`` (TinyDB's
Table) hands the storage just the documents an update changed. Every Table operation (insert, update,
upsert, remove, get) works as documented; ``search``, ``count`` and iteration read every document, as
TinyDB's always do. Links are not documents' fields (see ``store.storage.links``): the ``Library``
reads and writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from store.schema import ARTICLES_TABLE, META_TABLE, SCHEMA_VERSION
from store.storage.committer import Committer
from store.storage.files import Doc
from store.storage.reader import Reader


class TableStorage(Storage):  # type: ignore[misc]
    """A TinyDB storage over one library's reader and committer."""

    def __init__(self, reader: Reader, committer: Committer) -> None:
        self.reader = reader
        self.committer = committer

    def read(self) -> dict[str, Any]:
        header = {"app": "pmbrowse", "schema": SCHEMA_VERSION, "generation": self.reader.snap.generation}
        return {META_TABLE: {"1": header}, ARTICLES_TABLE: DocsView(self.reader)}

    def write(self, data: dict[str, Any]) -> None:
        """TinyDB hands back every table. ``ArticleTable`` writes through ``stage`` instead, so this only
        sees whole-table replacements (``drop_tables``, a stock ``Table``): done as one commit."""
        docs = data.get(ARTICLES_TABLE, {})
        if isinstance(docs, DocsView):
            return
        with self.committer.transaction():
            wanted = {int(i): dict(d) for i, d in docs.items()}
            self.committer.stage(wanted, [i for i in self.reader.ids() if i not in wanted])

    def close(self) -> None:
        pass


class DocsView(Mapping[str, Doc]):
    """The ``articles`` table as TinyDB reads it: documents decoded one at a time, on demand."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def __getitem__(self, key: str) -> Doc:
        if not (key.isascii() and key.isdigit()):
            raise KeyError(key)
        doc = self._reader.get(int(key))
        if doc is None:
            raise KeyError(key)
        return doc

    def __iter__(self) -> Iterator[str]:
        return (str(i) for i in self._reader.ids())

    def __len__(self) -> int:
        counts = self._reader.counts
        return counts["records"] + counts["stubs"]


class CopyOnWrite(MutableMapping[int, Doc]):
    """What TinyDB's table updaters change: documents are read on first touch and written back only if
    they changed."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        self.touched: dict[int, Doc] = {}
        self.originals: dict[int, bytes] = {}
        self.removed: set[int] = set()

    def __getitem__(self, doc_id: int) -> Doc:
        if doc_id in self.removed:
            raise KeyError(doc_id)
        doc = self.touched.get(doc_id)
        if doc is None:
            doc = self._reader.get(doc_id)
            if doc is None:
                raise KeyError(doc_id)
            self.touched[doc_id] = doc
            self.originals[doc_id] = orjson.dumps(doc)
        return doc

    def __setitem__(self, doc_id: int, doc: Doc) -> None:
        self.removed.discard(doc_id)
        self.touched[doc_id] = doc
        self.originals.pop(doc_id, None)

    def __delitem__(self, doc_id: int) -> None:
        self[doc_id]
        self.touched.pop(doc_id, None)
        self.removed.add(doc_id)

    def __iter__(self) -> Iterator[int]:
        ids = [i for i in self._reader.ids() if i not in self.removed]
        extra = [i for i in self.touched if i not in set(ids)]
        return iter(ids + extra)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def changed(self) -> dict[int, Doc]:
        return {
            i: doc
            for i, doc in self.touched.items()
            if i not in self.originals or orjson.dumps(doc) != self.originals[i]
        }


class ArticleTable(Table):  # type: ignore[misc]
    """TinyDB's Table over a ``TableStorage``: an update touches only the documents it changes.

    TinyDB's own ``_update_table`` copies the whole table into a dict, runs the updater and hands every
    document back to the storage; here the updater sees a copy-on-write view instead, and the storage
    is given just what changed.
    """

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        storage: TableStorage = self._storage  # type: ignore[assignment]
        view = CopyOnWrite(storage.reader)
        updater(view)  # type: ignore[arg-type]
        storage.committer.stage(view.changed(), view.removed)
        self._next_id = None  # the reader counts ids, pending ones included
        self.clear_cache()

    def _get_next_id(self) -> int:
        storage: TableStorage = self._storage  # type: ignore[assignment]
        next_id: int = self._next_id if self._next_id is not None else storage.reader.next_id
        self._next_id = next_id + 1  # type: ignore[assignment]
        return next_id

    def put_many(self, docs: Mapping[int, Doc]) -> None:
        """Write documents under ids the library chose."""

        def updater(table: dict[int, Mapping[str, Any]]) -> None:
            table.update(docs)

        self._update_table(updater)


class LibraryDB(TinyDB):  # type: ignore[misc]
    table_class = ArticleTable
