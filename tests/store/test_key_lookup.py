"""The library's answers to identity-key look-ups (``Snapshot.holders``) across layers and hash
collisions, with each shortcut it takes and without (issue 18: an import's look-ups cost more the
more layers the library and the import's own batches have).

The shortcuts: a segment whose filter says its key table lacks a hash is not searched
(``store.storage.keyfilter``); a candidate is checked against the newer layers only, its head read
from its row at once; a PMID's key is told from the first bytes of the head (``store.storage.holders.holds``)
instead of the head decoded. The answers must be those of reading every document: a hash collision
(made here by a hash that gives many keys one value) names documents that do not hold the key, and a
newer layer's version of a document (its keys changed, or it removed) is the one that counts.
"""

from __future__ import annotations

import functools
import shutil
from itertools import product
from pathlib import Path

import orjson
import pytest

import store.importer as importer
from store.docindex import key_hash
from store.importer import import_paths
from store.journal import Replay
from store.library import Library
from store.merge import doc_keys
from store.model import Article, Origin
from store.storage import holders, indexwriter, keyfilter, newest
from store.storage.holders import holds
from store.storage.meta import Meta
from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.snapshot import Snapshot
from tests.store.helpers import count_calls
from tests.store.test_bulk_import import _everything
from tests.store.test_tiering import _file

GROUPS = 3  # (PMIDs collide in this many hash values)


def _colliding(key: str, groups: int = GROUPS) -> int:
    """A hash under which every PMID's key collides with a third of the others (1/``groups``)."""
    if key.startswith("pmid:") and key[5:].isdigit():
        return key_hash(f"group {int(key[5:]) % groups}")
    return key_hash(key)


def _collide(monkeypatch: pytest.MonkeyPatch, groups: int = GROUPS) -> None:
    """Keys hashed by ``_colliding`` where they are written (a segment's or the index's key table)
    and where they are looked up."""
    colliding = functools.partial(_colliding, groups=groups)
    monkeypatch.setattr(indexwriter, "key_hash", colliding)
    monkeypatch.setattr(holders, "key_hash", colliding)


@pytest.fixture
def collide(monkeypatch: pytest.MonkeyPatch) -> None:
    _collide(monkeypatch)


def _settings(monkeypatch: pytest.MonkeyPatch, filters: bool, table: bool) -> None:
    """The segments' filters and the newest-segment table made at the first look-up, or never."""
    monkeypatch.setattr(keyfilter, "MIN_PROBES", 0 if filters else 1 << 62)
    monkeypatch.setattr(keyfilter, "BUILD_SHARE", 1 << 40 if filters else 1)
    monkeypatch.setattr(newest, "MIN_PROBES", 0 if table else 1 << 62)
    monkeypatch.setattr(newest, "BUILD_SHARE", 1 << 40 if table else 1)


def _segment(folder: Path, name: str, docs: dict[int, bytes | None]) -> SegmentFile:
    """A segment writing each document (its JSON, which is its head too) or removing it (None)."""
    writer = SegmentWriter(folder / f"g.{name}.seg", "g")
    for doc_id, raw in sorted(docs.items()):
        if raw is None:
            writer.remove_doc(doc_id)
        else:
            writer.add_doc(doc_id, raw, Meta(0, 2000, 0), raw, doc_keys(orjson.loads(raw)))
    writer.finish()
    return SegmentFile(folder / f"g.{name}.seg")


def twelve_segments(folder: Path) -> Snapshot:
    """A state of twelve segments of 1,000 documents each, document N holding pmid:N (ids 1-12,000)."""
    snap = Snapshot(folder / "library.json", generation="g", next_id=100_000)
    for number in range(12):
        ids = range(1 + 1000 * number, 1001 + 1000 * number)
        snap.segments.append(_segment(folder, str(number), {i: _pmid(i) for i in ids}))
    return snap


def _pmid(pmid: int) -> bytes:
    return orjson.dumps({"pmid": str(pmid), "title": f"Article {pmid}"})


def _state(folder: Path) -> Snapshot:
    """Three segments and a journal: documents rewritten with other keys, removed, and heads the
    first bytes of which say less than the whole (written otherwise than ``head_of`` writes)."""
    first = {doc_id: _pmid(doc_id) for doc_id in range(1, 61)}
    second: dict[int, bytes | None] = {doc_id: _pmid(doc_id + 100) for doc_id in range(1, 11)}  # (new keys)
    second.update({doc_id: _pmid(doc_id) for doc_id in range(61, 81)})
    third: dict[int, bytes | None] = dict.fromkeys(range(11, 16))  # (removed)
    third[16] = b'{"pmid":"16","title":"A","pmid":"97"}'  # (JSON's last "pmid" counts: 97, which collides)
    third[17] = b'{"pmid": "17", "title": "Spaced"}'
    third[18] = b'{"doi":"10.1/x","pmid":"18"}'
    third[19] = b'{"pmid":"1","title":"Another record of PMID 1"}'  # (a second holder of pmid:1)
    third[20] = b'{"pmid":"200"}'  # (200 begins with 20: not a holder of pmid:20)
    third[21] = b'{"pmid":"2"}'  # (a prefix of 21: pmid:21 is no longer held)
    snap = Snapshot(folder / "library.json", generation="g", next_id=1000)
    for name, docs in (("1", first), ("2", second), ("3", third)):
        snap.segments.append(_segment(folder, name, docs))
    # The journal rewrites two (its keys are those that count for them) and removes one.
    snap.journal = Replay(generation="g", end=0)
    snap.journal.docs.update({22: (0, 1), 23: (0, 1), 24: None})
    snap.journal.keys.update({"pmid:23": {23}, "pmid:500": {22}})
    return snap


def _truth(snap: Snapshot, key: str) -> set[int]:
    """The documents holding ``key``, every document read."""
    found = {doc_id for doc_id in snap.ids() if doc_id not in snap.journal.docs}  # type: ignore[union-attr]
    found = {doc_id for doc_id in found if key in doc_keys(orjson.loads(snap.stored(doc_id)))}  # type: ignore[arg-type]
    return found | snap.journal.keys.get(key, set())  # type: ignore[union-attr]


KEYS = [f"pmid:{n}" for n in range(0, 220)] + ["doi:10.1/x", "pmid:", "pmid:016", "pmid:1x"]


@pytest.mark.parametrize(("filters", "table"), list(product([False, True], repeat=2)))
def test_holders_are_the_documents_holding_the_key_across_layers_and_collisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collide: None, filters: bool, table: bool
) -> None:
    _settings(monkeypatch, filters, table)
    snap = _state(tmp_path)
    assert len(snap.segments[0].candidates_of(_colliding("pmid:3"))) == 20  # (a third of the first's)
    for _round in range(2):  # (the second with the filters and the table made, where they are)
        for key in KEYS:
            assert snap.holders(key) == _truth(snap, key), key
    assert all(f.made is not None for f in snap._filters.of(snap.segments)) == filters
    assert (snap._newest._made is not None) == table
    assert snap.holders("pmid:1") == {19}  # (document 1 holds pmid:101 since the second segment)
    assert snap.holders("pmid:16") == set() and snap.holders("pmid:97") == {16}
    assert snap.holders("pmid:17") == {17} and snap.holders("pmid:18") == {18}
    assert snap.holders("pmid:20") == set() and snap.holders("pmid:200") == {20}
    assert snap.holders("pmid:21") == set() and snap.holders("pmid:2") == {21}  # (2 holds pmid:102)
    assert snap.holders("pmid:12") == snap.holders("pmid:22") == snap.holders("pmid:24") == set()
    assert snap.holders("pmid:23") == {23} and snap.holders("pmid:500") == {22}


def test_a_pmids_key_is_told_from_the_heads_first_bytes_as_from_the_whole() -> None:
    heads = [
        b'{"pmid":"5"}',
        b'{"pmid":"5","title":"x"}',
        b'{"pmid":"55"}',
        b'{"pmid": "5"}',
        b'{"pmid":"5","pmid":"6"}',
        b'{"pmid":"6","pmid":"5"}',
        b'{"title":"x","pmid":"5"}',
        b'{"pmid":"5","journal":"pmid"}',
        b'{"pmcid":"PMC5"}',
        b'{"pmid":""}',
    ]
    for head, key in product(heads, ["pmid:5", "pmid:55", "pmid:6", "pmid:", "pmc:PMC5", 'pmid:5"']):
        assert holds(head, key) == (key in doc_keys(orjson.loads(head))), (head, key)


def test_a_segment_is_searched_only_where_its_filter_may_hold_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(monkeypatch, filters=True, table=True)
    snap = twelve_segments(tmp_path)
    searched = count_calls(monkeypatch, SegmentFile, "candidates_of")
    for doc_id in range(1, 12_001, 7):
        assert snap.holders(f"pmid:{doc_id}") == {doc_id}
    # Before: every key searched all twelve segments; now its own and about one in 16 of the others.
    assert searched[0] <= 1715 * (1 + 11 / 8)


def test_an_import_stores_the_same_with_the_filters_or_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files imported in batches into a library with a base (keys colliding, records imported again:
    a newer layer's version counts), then a journalled commit: the same library whether the filters
    and the table are made at the first look-up or never, and every key's holders those of reading
    every document. (A PMID's key collides with a twelfth of the others here, not a third: looking
    every key up costs the product of the keys and their collisions; a third took 30 s.)"""
    _collide(monkeypatch, groups=12)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    path = tmp_path / "base" / "library.json"
    path.parent.mkdir()
    lib = Library.open(path)
    import_paths(lib, [_file(tmp_path / "first.xml", 1, 300, 300)])
    lib.close()
    files = [
        _file(tmp_path / "second.xml", 250, 150, 400),
        _file(tmp_path / "third.xml", 380, 80, 460, seed=11),
    ]
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    stored = []
    for filters, table in product([False, True], repeat=2):
        _settings(monkeypatch, filters, table)
        copy = tmp_path / f"copy-{filters}-{table}" / "library.json"
        shutil.copytree(path.parent, copy.parent)
        lib = Library.open(copy)
        for file in files:
            import_paths(lib, [file])
        with lib.transaction() as changes:
            changes.put_article(Article(pmid="255", title="Journalled again"), Origin("test"))
        snap = lib._reader.current()
        assert snap.segments and snap.journal is not None and snap.journal.docs
        by_key: dict[str, set[int]] = {}
        for doc_id, doc in lib.iter_docs():
            for key in doc_keys(doc):
                by_key.setdefault(key, set()).add(doc_id)
        for key in [*sorted(by_key), "pmid:100000"]:
            assert snap.holders(key) == by_key.get(key, set()), key
        stored.append(_everything(lib))
        lib.close()
    assert stored[1:] == stored[:-1]
