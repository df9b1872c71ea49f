"""A fold reads a segment's documents row after row in slices (``store.storage.segmentrows``): each row
as ``SegmentFile.row`` reads it, with its head's PMID, whatever the order asked, a slice's size, or
where the writer put the rows and the heads (``tests.store.test_key_lookup._state``: segments whose
keys were rewritten, with removals; a segment written out of its rows' order; a head the tables put
elsewhere), and a head that disagrees with the PMID column told as ``row`` tells it."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from store.merge import doc_keys
from store.storage import segmentrows
from store.storage.meta import Meta
from store.storage.pmids import head_pmid
from store.storage.segment import SegmentFile
from store.storage.segmentrows import Rows
from store.storage.segmentwriter import SegmentWriter
from tests.store.test_key_lookup import _state


@pytest.mark.parametrize("slice_bytes", [segmentrows.SLICE, 100])
def test_each_row_is_what_the_segment_reads_for_it_with_its_heads_pmid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    monkeypatch.setattr(segmentrows, "SLICE", slice_bytes)
    segments: list[SegmentFile] = _state(tmp_path).segments  # type: ignore[assignment]
    for segment in segments:
        present = [i for i, (_doc_id, gone) in enumerate(segment.ids()) if not gone]
        assert present
        shuffled = present[:]
        random.Random(1).shuffle(shuffled)
        for order in (present, shuffled):
            rows = Rows(segment)
            for i in order:
                raw, meta, head = segment.row(i)
                assert rows.row(i) == (raw, meta, head, head_pmid(head))


def _written(folder: Path, order: list[int]) -> SegmentFile:
    """A segment whose documents were written in ``order`` (a batch written before 3d2cef7 lies in the
    journal's order, not its rows': a row's next row is then elsewhere in the file)."""
    writer = SegmentWriter(folder / "g.order.seg", "g")
    for doc_id in order:
        raw = orjson.dumps({"pmid": str(doc_id), "title": "A title " * 20})
        head = orjson.dumps({"pmid": str(doc_id)})  # (not the document's first bytes)
        writer.add_doc(doc_id, raw, Meta(0, 2000, 0), head, doc_keys(orjson.loads(raw)))
    writer.finish()
    return SegmentFile(folder / "g.order.seg")


def test_rows_written_out_of_order_are_read_a_row_at_a_time_not_a_slice_a_row(tmp_path: Path) -> None:
    segment = _written(tmp_path, list(range(400, 0, -1)))
    read: list[int] = []
    plain_read = segment.read

    def counted(where: tuple[int, int]) -> bytes:
        read.append(where[1])
        return plain_read(where)

    segment.read = counted  # type: ignore[method-assign]
    rows = Rows(segment)
    for i in range(400):
        raw, meta, head = segment.row(i)
        assert rows.row(i) == (raw, meta, head, head_pmid(head))
    assert sum(read) <= segment.size  # (a slice from each row would read the file's tail 400 times)


def test_a_head_the_tables_put_elsewhere_is_read_from_there(tmp_path: Path) -> None:
    segment = _written(tmp_path, list(range(1, 101)))
    segment.column("doc_head_off")[50] = segment.column("doc_off")[50]  # (its head: its JSON's first bytes)
    rows = Rows(segment)
    for i in range(100):
        raw, meta, head = segment.row(i)
        assert rows.row(i) == (raw, meta, head, head_pmid(head))


def test_a_pmid_column_that_disagrees_with_the_head_is_told(tmp_path: Path) -> None:
    segment = _written(tmp_path, list(range(1, 101)))
    segment.column("doc_pmid")[30] = 999_999  # (as damage would make it, the column read)
    rows = Rows(segment)
    for i in range(100):
        rows.row(i)
    assert segment.pmid_wrong == (31, 999_999, 31)
