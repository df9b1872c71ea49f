"""What a bulk import's batch holds is counted in documents' worth (``LinkEdits.size``): the cited end
of a link to a stored document (a change of a target or two) weighs a fraction of a document, so a
file citing what the library holds is written in batches of the file's own documents, not of its
links' other ends."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.linkedits import CHANGE_SHARE, LinkEdits
from store.storage.links import LinkState, empty
from tests.store.bulk_files import cited, pubmed_xml


def test_the_cited_ends_of_links_to_stored_documents_count_a_share_of_a_document() -> None:
    def reader(_doc_id: int) -> LinkState:
        return empty()

    edits = LinkEdits(reader, fresh_from=100)
    edits.connect_all(100, "references", [(target, ["pubmed"]) for target in range(1, 9)])
    assert CHANGE_SHARE == 4
    assert edits.size() == 1 + 2  # (the new document; its eight stored targets, a quarter each)
    edits.connect_all(101, "references", [(100, ["pubmed"])])
    assert edits.size() == 2 + 2  # (two new documents: each counts one)
    edits.state(5)
    edits.state(6)  # (read in full: each counts one, no longer a share)
    assert edits.size() == 4 + 6 // 4


def _segments(lib: Library) -> int:
    folder = lib.path.with_name(lib.path.name + ".segments")
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def test_a_file_citing_the_library_is_written_in_batches_of_its_own_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    lib = Library.open(tmp_path / "library.json")
    import_paths(lib, [str(pubmed_xml(tmp_path / "old.xml", [(i, []) for i in range(1, 1201)]))])
    monkeypatch.setattr(importer, "FLUSH_AT", 300)
    # 150 new records, each citing 12 of the 1,200 stored ones: 150 documents, some 1,100 cited ends.
    new = pubmed_xml(tmp_path / "new.xml", [(i, cited(rng, i, 1200, 12)) for i in range(2001, 2151)])
    import_paths(lib, [str(new)])
    # The journal's commits (folded into the first segment) and two batches of 75 records: the cited
    # ends counted one each made a batch of every 23 records (8 segments).
    assert _segments(lib) <= 4
    assert lib.stats().records == 1351
