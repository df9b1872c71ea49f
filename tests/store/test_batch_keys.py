"""A bulk import's own identity keys are held for one batch, not the whole import: once a batch is
written, its segment answers for the keys it gave or took (``Changes.flush``). Kept to the commit
they cost ~330 bytes a record (~300 MB of a 1M-record file's import). That a later batch still finds
the records and stubs earlier ones made is ``test_bulk_import``'s batched-against-whole test."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import store.importer as importer
from store.changes import Changes
from store.importer import import_paths
from store.library import Library
from tests.store.bulk_files import cited, pubmed_xml


def test_a_batch_s_keys_are_let_go_when_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    xml = pubmed_xml(tmp_path / "in.xml", [(i, cited(rng, i, 600, 5)) for i in range(1, 601)])
    held: list[int] = []
    flush = Changes.flush

    def counted(self: Changes) -> None:
        flush(self)
        held.append(len(self._keys))

    monkeypatch.setattr(Changes, "flush", counted)
    monkeypatch.setattr(importer, "FLUSH_AT", 150)
    lib = Library.open(tmp_path / "library.json", demo=False)
    (report,) = import_paths(lib, [str(xml)])
    assert report.records == 600
    assert len(held) >= 5  # (batches were written)
    assert held == [0] * len(held)
    assert lib.stats().records == 600
