"""A batch written as a segment asks the layers below for the meta of the documents it rewrites (to
keep the counts of records and stubs), and not of the new ones: no layer holds an id past the state's
next id, and most of an import's documents are new (each ask a look-up in every layer: ~4 us)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.storage import spilling
from store.storage.snapshot import Snapshot
from tests.store.test_bulk_import import _file


def test_a_batch_asks_the_layers_of_old_documents_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(tmp_path / "lib" / "library.json")
    import_paths(lib, [str(_file(tmp_path / "first.xml", 1, 200, 400, refs=6))])  # (records and stubs)
    asked: list[tuple[int, int]] = []  # (id, the next id of the state asked)
    meta = Snapshot.meta

    def spied(snap: Snapshot, doc_id: int) -> object:
        asked.append((doc_id, snap.next_id))
        return meta(snap, doc_id)

    spill = spilling.spill

    def spilled(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(Snapshot, "meta", spied)
        try:
            spill(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            monkeypatch.setattr(Snapshot, "meta", meta)

    monkeypatch.setattr(spilling, "spill", spilled)
    monkeypatch.setattr(importer, "FLUSH_AT", 150)
    # (records the first file made stubs of, and new ones: batches rewrite old documents and add new)
    import_paths(lib, [str(_file(tmp_path / "again.xml", 150, 300, 700, refs=6, seed=9))])
    old = [doc_id for doc_id, next_id in asked if doc_id < next_id]
    assert old, "no batch rewrote a document the layers below hold"
    assert all(doc_id < next_id for doc_id, next_id in asked), "a new document's meta was asked"
