"""A new stub (the cited end of a link to an article the library lacks) weighs a fraction of a record:
its document counts one in a batch's size (``Changes.size``) and its links nothing more
(``LinkEdits.size``), where a record with its reference list counts two. Counted two as well, a file
whose records cite articles not yet stored was written in batches of half the records it could hold,
each batch a layer every later look-up of the import walks."""

from __future__ import annotations

from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.linkedits import LinkEdits
from store.storage.links import LinkState, empty
from tests.store.bulk_files import batch_sizes, pubmed_xml


def test_a_new_records_stubs_count_nothing_in_its_links_size() -> None:
    def reader(_doc_id: int) -> LinkState:
        return empty()

    edits = LinkEdits(reader, fresh_from=100)
    # A new record (100) citing 30 articles the library lacks: 30 new stubs (101-130).
    edits.connect_all(100, "references", [(stub, ["pubmed"]) for stub in range(101, 131)])
    assert edits.size() == 1  # (the record's reference list; the stubs' links are their documents')
    # A stub whose record arrives later in the batch: its reference list counts one then.
    edits.connect_all(101, "references", [(7, ["pubmed"])])
    assert edits.size() == 2 + 1 // 4
    edits.clear(fresh_from=200)
    assert edits.size() == 0


def test_a_file_citing_articles_not_stored_is_written_in_batches_of_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 records, each citing 30 articles neither the library nor the file holds: 1,200 stubs.
    xml = pubmed_xml(
        tmp_path / "stubs.xml", [(i, list(range(1000 + 30 * i, 1030 + 30 * i))) for i in range(1, 41)]
    )
    sizes = batch_sizes(monkeypatch)
    monkeypatch.setattr(importer, "FLUSH_AT", 320)
    lib = Library.open(tmp_path / "library.json", demo=False)
    (report,) = import_paths(lib, [str(xml)])
    assert report.records == 40
    # Each record and its 30 stubs count 32 (its document and list, a stub its document): a batch
    # written every 10 records, 4 times. Counted 62 (a stub two, as its record): every 6, 6 times.
    assert len(sizes) == 4
    assert lib.stats().records == 40
    assert lib.stats().links == 1200
