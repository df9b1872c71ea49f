"""Ranking stays flat: the counts and years of a ranking's candidates are asked of each layer together,
not of each layer for each candidate (``Snapshot.totals``, ``SegmentFile.years_of`` / ``counts_of``).

``related`` ranks every candidate by its counts and year: at a million records some 1,500 of them,
each looked up in each of the library's two segments (11,000 blocks read one at a time, 1.5x its
cost at 10k), and each more segment a dozen more reads a candidate. Real libraries written by
``import_paths``, the blocks made small (256 bytes) so that a few hundred records give the columns
many of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store import importer
from store.ids import Identifier
from store.importer import import_paths
from store.library import Library
from store.neighbourhood.nodes import GraphReader
from store.neighbourhood.related import related, shared_counts
from store.storage import segmentwriter
from store.storage.segment import SegmentFile
from store.storage.segmentids import TableDamage
from tests.store.bulk_files import pmid, pubmed_xml
from tests.store.test_segment_damage import as_older_segment, footer_of
from tests.store.test_tiering import _copy_in_order, _file


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)
    monkeypatch.setattr(segmentwriter, "BLOCK", 256)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Path]]:
    """``_libraries`` of 2 and 6 batches, built once for the module (its imports are most of its time,
    and two tests read the 2 batches' pair): each test copies the pair it reads (``_copied``)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (as ``_small_blocks``)
        monkeypatch.setattr(segmentwriter, "BLOCK", 256)
        monkeypatch.setattr(importer, "FLUSH_AT", importer.FLUSH_AT)  # (``_libraries`` sets it: restored)
        return {n: _libraries(tmp_path_factory.mktemp(f"built{n}"), monkeypatch, n) for n in (2, 6)}


def _copied(built: dict[int, tuple[Path, Path]], batches: int, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the pair of libraries of ``batches`` in ``tmp_path``, each file copied in the order
    it was last changed (``_copy_in_order``: its index stays current)."""
    pair = []
    for path in built[batches]:
        _copy_in_order(path.parent, tmp_path / path.parent.name)
        pair.append(tmp_path / path.parent.name / path.name)
    return pair[0], pair[1]


def _libraries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: int) -> tuple[Path, Path]:
    """Two copies of one library: 600 records in ``batches`` segments (or as many as the import
    leaves), then records re-imported with other references (a newer segment's version of older
    documents, and link changes that remove links), and a few new ones in the journal; in the second
    the segments as written before the blocks (read whole). Built once and copied: the imports are
    most of this file's time."""
    monkeypatch.setattr(importer, "FLUSH_AT", 600 // batches)
    path = tmp_path / f"lib{batches}" / "library.json"
    path.parent.mkdir()
    lib = Library.open(path)
    import_paths(lib, [_file(tmp_path / "all.xml", 1, 600, 600)])
    again = [(i, [(i * 7 + k) % 600 + 1 for k in range(3)]) for i in range(100, 400, 3)]
    monkeypatch.setattr(importer, "FLUSH_AT", 40)  # (its batches segments too)
    import_paths(lib, [pubmed_xml(tmp_path / "again.xml", again)])
    lib._storage.close()  # (not ``close``: that would fold the segments into the base)
    older = tmp_path / f"lib{batches}older" / "library.json"
    shutil.copytree(path.parent, older.parent)
    monkeypatch.setattr(importer, "FLUSH_AT", 10_000)  # (a small file: its records go to the journal)
    new = pubmed_xml(tmp_path / "new.xml", [(601, [5, 9]), (602, [9, 601])])
    for each in (path, older):
        segments = sorted(each.parent.glob("library.json.segments/*.seg"))
        assert len(segments) >= 2, segments
        if each == older:
            for segment in segments:
                as_older_segment(segment, run=True)
        lib = Library.open(each)
        import_paths(lib, [new])
        lib._storage.close()
    return path, older


def _one_by_one(lib: Library, doc_ids: list[int]) -> dict[int, tuple[int, int, int | None]]:
    """What the counts and year of each document were read as before: one look-up a layer each."""
    snap = lib._reader.current()
    found = {}
    for doc_id in doc_ids:
        meta = snap.meta(doc_id)
        if meta is not None:
            found[doc_id] = (*snap.link_counts(doc_id), meta.year or None)
    return found


def test_a_rankings_counts_are_asked_of_each_segment_once_for_all_its_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: dict[int, tuple[Path, Path]]
) -> None:
    """No look-up of one document in a segment (``SegmentFile._find``) while the candidates' counts
    and years are read, whatever the number of segments (before: one for each candidate and segment,
    two to four blocks each); the answers those of the look-ups one by one, with the segments read
    by the block and read whole (as written before the blocks)."""
    finds = [0]
    find = SegmentFile._find

    def counted(self: SegmentFile, name: str, doc_id: int) -> int:
        finds[0] += 1
        return find(self, name, doc_id)

    for batches in (2, 6):
        for path in _copied(built, batches, tmp_path):
            lib = Library.open(path)
            asked = [0, *range(1, lib._reader.current().next_id + 5), 1 << 30]  # (some it does not hold)
            expected = _one_by_one(lib, asked)
            assert len(expected) > 600
            monkeypatch.setattr(SegmentFile, "_find", counted)
            finds[0] = 0
            got = lib.totals(asked[::-1])  # (in any order)
            assert finds[0] == 0, (path, finds[0])
            monkeypatch.setattr(SegmentFile, "_find", find)
            assert got == expected
            # ``related`` itself: the look-ups of its centre, its neighbours' link lists and its rows
            # alone, none for its candidates.
            doc_id = lib.find(Identifier("pmid", pmid(300)))
            assert doc_id is not None
            finds[0] = 0
            monkeypatch.setattr(SegmentFile, "_find", counted)
            rows = related(GraphReader(lib), doc_id, limit=5, min_shared=1)
            during, finds[0] = finds[0], 0
            reader = GraphReader(lib)
            counts = shared_counts(reader, doc_id)
            for row in rows:
                reader.node(row.node.doc_id)
            monkeypatch.setattr(SegmentFile, "_find", find)
            assert counts is not None and rows
            assert len(counts.cocitation | counts.coupling) > 2 * len(rows)
            assert during == finds[0], (path, during, finds[0])
            lib._storage.close()


def test_a_damaged_block_a_ranking_reads_is_said_naming_its_table(
    tmp_path: Path, built: dict[int, tuple[Path, Path]]
) -> None:
    """A byte of a block of the citing counts changed: the ranking's reading of many candidates at
    once says the segment is damaged and which table, as a look-up of one does."""
    path, _older = _copied(built, 2, tmp_path)
    segments = sorted(path.parent.glob("library.json.segments/*.seg"))
    segment = max(segments, key=lambda p: p.stat().st_size)
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    pos = footer["at"]["link_cited"]
    raw[pos] ^= 0xFF  # (its first block)
    segment.write_bytes(bytes(raw))
    lib = Library.open(path)
    with pytest.raises(TableDamage) as said:
        lib.totals(range(1, lib._reader.current().next_id))
    assert f"{segment} is damaged (its link_cited table does not match its checksum)" in str(said.value)
    lib._storage.close()
