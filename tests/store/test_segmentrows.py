"""A fold reads a segment's documents row after row in slices (``store.storage.segmentrows``): each row
as ``SegmentFile.row`` reads it, with its head's PMID, whatever the order asked, a slice's size, or
where the writer put the heads (``tests.store.test_key_lookup._state``: segments whose keys were
rewritten, with removals, and with heads written apart from their documents)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from store.storage import segmentrows
from store.storage.pmids import head_pmid
from store.storage.segment import SegmentFile
from store.storage.segmentrows import Rows
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
