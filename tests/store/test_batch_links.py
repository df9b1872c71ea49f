"""A bulk import's batch is written once it holds ``LINKS_AT`` links, whatever it holds in documents:
what a batch holds in memory is mostly its links, and a batch citing what earlier ones wrote counts
their cited ends a share of a document each (``LinkEdits.size``), so counted in documents alone the
later batches of one big file held more and more (the first 100k bench file's: about 0.39, 0.9 and 1
million links; the import's memory 260, 517 and 651 MB as each was written)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from tests.store.bulk_files import batch_sizes, cited, pubmed_xml


def test_a_batch_is_written_once_it_holds_links_at_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    # 200 records, each citing (up to) 10 of the 200: some 2,000 links, 200 documents.
    records = [(i, cited(rng, i, 200, 10)) for i in range(1, 201)]
    links = sum(len(refs) for _, refs in records)
    xml = pubmed_xml(tmp_path / "cites.xml", records)
    batches = batch_sizes(monkeypatch)
    monkeypatch.setattr(importer, "FLUSH_AT", 1_000_000)  # (never reached by documents)
    monkeypatch.setattr(importer, "LINKS_AT", 500, raising=False)
    lib = Library.open(tmp_path / "library.json", demo=False)
    (report,) = import_paths(lib, [str(xml)])
    assert report.records == 200
    # A batch written at each 500 links read (some 50 records), the rest at the commit.
    assert len(batches) == (links - 1) // 500 >= 3
    assert max(batches) < 1_000
    assert lib.stats().records == 200
    assert lib.stats().links == links
