"""A bulk import keeps the identity keys it gave or took until its commit (later batches find the
records and stubs earlier ones made), compactly (``store.heldkeys``): held as a dict of strings they
cost ~330 bytes a record, ~300 MB of a one-file import of a million records. And a key an earlier batch
gave is answered from them, never by the library's layers (letting each batch's keys go as it was
written, 9a63954, made the one-file 1M import 1,120 s against 766 s)."""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

import store.importer as importer
from store.changes import Changes
from store.importer import import_paths
from store.library import Library
from store.merge import Doc, doc_keys
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.helpers import count_calls

RECORDS = 3000


def _import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    """RECORDS records (a PMID and a DOI each), each citing 5 of them, in batches of 300 documents."""
    rng = random.Random(3)
    xml = pubmed_xml(tmp_path / "in.xml", [(i, cited(rng, i, RECORDS, 5)) for i in range(1, RECORDS + 1)])
    monkeypatch.setattr(importer, "FLUSH_AT", 300)
    lib = Library.open(tmp_path / "library.json", demo=False)
    (report,) = import_paths(lib, [str(xml)])
    assert report.records == RECORDS
    return lib


def _key_bytes(changes: Changes) -> int:
    """What the unit of work's own identity keys cost: the batch's dict (its strings, its ids) and
    those held from earlier batches."""
    keys = changes._keys
    size = sys.getsizeof(keys) + sum(sys.getsizeof(k) for k in keys)
    size += sum(sys.getsizeof(v) for v in keys.values() if v is not None and v > 256)
    return size + sys.getsizeof(getattr(changes, "_held", None))


def test_the_import_s_own_keys_cost_few_bytes_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[int] = []
    commit = Changes.commit
    flushes = count_calls(monkeypatch, Changes, "flush")

    def measuring(self: Changes) -> tuple[dict[int, Doc], set[int]]:
        measured.append(_key_bytes(self))
        return commit(self)

    monkeypatch.setattr(Changes, "commit", measuring)
    lib = _import(tmp_path, monkeypatch)
    assert flushes[0] >= 5  # (batches were written)
    assert lib.stats().records == RECORDS
    # 2 keys a record: ~260 bytes held as a dict of strings; packed, ~60 and the last batch's dict.
    assert measured[-1] / RECORDS < 110


def test_a_key_an_earlier_batch_gave_is_not_asked_of_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: set[str] = set()
    asked_again: list[str] = []
    spill, lookup = Library.spill, Library.lookup

    def spilling(self: Library, changed: Mapping[int, Doc], *rest: object) -> None:
        for doc in changed.values():
            written.update(doc_keys(doc))
        spill(self, changed, *rest)  # type: ignore[arg-type]

    def looking(self: Library, key: str) -> int | None:
        if key in written:
            asked_again.append(key)
        return lookup(self, key)

    monkeypatch.setattr(Library, "spill", spilling)
    monkeypatch.setattr(Library, "lookup", looking)
    lib = _import(tmp_path, monkeypatch)
    assert len(written) > RECORDS  # (batches were written: their PMID and DOI keys)
    assert asked_again == []
    assert lib.stats().records == RECORDS
