"""A document's meta asked right after a key look-up found it (issue 18: an import asks, of each record a
reference list names, who holds its key and then whether that one is a stub): ``Snapshot.meta`` reads it
from the layer and row ``holders`` found it in (``Snapshot._found``) instead of searching the layers
again, and answers what searching them answers, whatever changed in between (a segment added to the
state, a document the journal holds, another look-up since)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import store.importer as importer
from store.importer import import_paths
from store.journal import Replay
from store.library import Library
from store.merge import doc_keys
from store.model import Article, Origin
from store.storage.holders import NOT_FOUND
from store.storage.meta import Meta
from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.snapshot import Snapshot
from tests.store.test_tiering import _file


def _meta(doc_id: int, layer: int) -> Meta:
    return Meta(doc_id % 4 | layer << 4, 1900 + doc_id, doc_id * 10 + layer)


def _segment(folder: Path, number: int, docs: dict[int, int | None]) -> SegmentFile:
    """Segment ``number`` writing each document (holding PMID ``docs[id]``, its meta telling the
    segment) or removing it (None)."""
    writer = SegmentWriter(folder / f"g.{number}.seg", "g")
    for doc_id, pmid in sorted(docs.items()):
        if pmid is None:
            writer.remove_doc(doc_id)
        else:
            raw = orjson.dumps({"pmid": str(pmid), "title": f"Record {doc_id}"})
            writer.add_doc(doc_id, raw, _meta(doc_id, number), raw, doc_keys(orjson.loads(raw)))
    writer.finish()
    return SegmentFile(folder / f"g.{number}.seg")


def _searched(snap: Snapshot, doc_id: int) -> Meta | None:
    """The meta of searching the layers (nothing kept from a look-up)."""
    kept = snap._found[0]
    snap._found[0] = NOT_FOUND
    try:
        return snap.meta(doc_id)
    finally:
        snap._found[0] = kept


def _state(folder: Path) -> Snapshot:
    snap = Snapshot(folder / "library.json", generation="g", next_id=1000)
    snap.segments.append(_segment(folder, 1, {doc_id: doc_id for doc_id in range(1, 41)}))
    second: dict[int, int | None] = {doc_id: doc_id for doc_id in range(11, 21)}  # (written again)
    second.update(dict.fromkeys(range(21, 26)))  # (removed)
    second.update({doc_id: doc_id + 100 for doc_id in range(26, 31)})  # (other keys)
    snap.segments.append(_segment(folder, 2, second))
    snap.journal = Replay(generation="g", end=0)
    snap.journal.docs.update({35: None})  # (the journal removes one)
    return snap


def test_the_meta_of_what_a_look_up_found_is_that_of_its_newest_layer(tmp_path: Path) -> None:
    snap = _state(tmp_path)
    for pmid in [*range(0, 45), *range(126, 131)]:
        for doc_id in snap.holders(f"pmid:{pmid}"):
            assert snap.meta(doc_id) == _searched(snap, doc_id) is not None, pmid
    assert snap.meta(15) == _meta(15, 2) and snap.meta(5) == _meta(5, 1)
    assert snap.meta(22) is None and snap.meta(35) is None


def test_a_segment_added_after_the_look_up_counts(tmp_path: Path) -> None:
    """A bulk import's own view of the library takes each batch it writes as one more segment, in
    place: what a look-up found before is not where the document is now."""
    snap = _state(tmp_path)
    assert snap.holders("pmid:7") == {7} and snap.meta(7) == _meta(7, 1)
    assert snap.holders("pmid:8") == {8}
    snap.segments.append(_segment(tmp_path, 3, {8: 8, 9: None}))
    assert snap.meta(8) == _meta(8, 3)
    assert snap.holders("pmid:9") == set() and snap.meta(9) is None


def test_a_document_the_journal_holds_is_as_the_journal_says(tmp_path: Path) -> None:
    snap = _state(tmp_path)
    assert snap.holders("pmid:3") == {3}
    snap.journal.docs[3] = None  # type: ignore[union-attr]  # (removed there since)
    assert snap.meta(3) is None


def test_the_layers_are_not_searched_again_for_the_meta_of_what_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Red before: ``Snapshot.meta`` asked ``layer_of`` (the journal, the newest-segment table, the
    segment's ids searched again) of every document a look-up had just found."""
    snap = _state(tmp_path)
    asked: list[int] = []
    layer_of = Snapshot.layer_of

    def counted(self: Snapshot, doc_id: int) -> tuple[int, tuple[int, int] | None]:
        asked.append(doc_id)
        return layer_of(self, doc_id)

    monkeypatch.setattr(Snapshot, "layer_of", counted)
    for pmid in range(1, 41):
        for doc_id in snap.holders(f"pmid:{pmid}"):
            snap.meta(doc_id)
    assert asked == []
    snap.meta(12)  # (not the last found: searched)
    assert asked == [12]


def test_an_imported_librarys_every_key_holder_has_its_meta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library with a base, batches written as segments, and a journalled commit: the meta of every
    key's holder, asked right after the look-up, is that of searching the layers."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    lib = Library.open(tmp_path / "library.json")
    import_paths(lib, [str(_file(tmp_path / "first.xml", 1, 300, 300))])
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    import_paths(lib, [str(_file(tmp_path / "second.xml", 250, 150, 400))])
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="255", title="Journalled again"), Origin("test"))
    snap = lib._reader.current()
    assert snap.index is not None and snap.segments and snap.journal is not None and snap.journal.docs
    keys = {key for _doc_id, doc in lib.iter_docs() for key in doc_keys(doc)}
    for key in sorted(keys):
        for doc_id in snap.holders(key):
            assert snap.meta(doc_id) == _searched(snap, doc_id) is not None, key
    lib.close()
