"""The union of the oldest segments' key filters (``store.storage.keyfilter.Union``): a key no segment
holds passes them over with one bit looked up, not one a segment (an import's look-ups are mostly such
keys, and its batches are layers, one more for each); a segment added after the union grew is searched
on its own until the union covers it too; the answers are those of reading every document."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.storage import keyfilter
from store.storage.segment import SegmentFile
from tests.store.helpers import count_calls
from tests.store.test_key_lookup import KEYS, _pmid, _segment, _settings, _state, _truth, twelve_segments


def test_a_key_no_segment_holds_passes_the_covered_segments_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(monkeypatch, filters=True, table=True)
    snap = twelve_segments(tmp_path)
    assert snap.holders("pmid:1") == {1}  # (the filters and the union made)
    state = snap._filters.made_for(snap.segments).union.state
    assert state is not None and state[2] == 12
    searched = count_calls(monkeypatch, SegmentFile, "candidates_of")
    for pmid in range(50_000, 52_000):
        assert snap.holders(f"pmid:{pmid}") == set()
    # Each segment's own filter passes on one hash in 16 or so (12 segments: ~1,500 searches of the
    # 2,000 keys, as before the union); the union's only one in 32 or so to them.
    assert searched[0] <= 200
    for doc_id in range(1, 12_001, 97):  # (the keys held are found as before)
        assert snap.holders(f"pmid:{doc_id}") == {doc_id}


def test_a_segment_added_after_the_union_grew_is_searched_until_it_covers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(monkeypatch, filters=True, table=False)
    snap = _state(tmp_path)
    for key in KEYS:
        assert snap.holders(key) == _truth(snap, key), key
    union = snap._filters.made_for(snap.segments).union
    assert union.state is not None and union.state[2] == 3
    # A fourth segment, as an import's batch is added: new keys, a document rewritten with another, one
    # removed. The union does not grow yet: it covers the first three, the fourth is searched alone.
    monkeypatch.setattr(keyfilter, "MIN_PROBES", 1 << 62)
    fourth: dict[int, bytes | None] = {doc_id: _pmid(doc_id) for doc_id in range(300, 320)}
    fourth.update({30: _pmid(9030), 31: None})
    snap.segments.append(_segment(tmp_path, "4", fourth))
    for key in [*KEYS, "pmid:9030", "pmid:305", "pmid:30", "pmid:31"]:
        assert snap.holders(key) == _truth(snap, key), key
    assert snap._filters.made_for(snap.segments).union is union and union.state[2] == 3
    assert snap.holders("pmid:9030") == {30} and snap.holders("pmid:30") == snap.holders("pmid:31") == set()
    # Then it grows to cover the fourth too (its bits added to the same bitmap), with the same answers.
    monkeypatch.setattr(keyfilter, "MIN_PROBES", 0)
    for key in [*KEYS, "pmid:9030", "pmid:305", "pmid:30", "pmid:31"]:
        assert snap.holders(key) == _truth(snap, key), key
    assert union.state[2] == 4


def test_look_ups_the_union_does_not_cover_do_not_sum_the_segments_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (review of stop 41: once MIN_PROBES look-ups had searched segments the union does not cover, each
    # further one summed the key tables of those segments to decide whether to grow it: ~2-3 µs a
    # look-up on a view of 13 segments. When it grows is worked out once for a list.)
    _settings(monkeypatch, filters=True, table=False)
    snap = _state(tmp_path)
    assert snap.holders("pmid:1") == _truth(snap, "pmid:1")
    snap.segments.append(_segment(tmp_path, "4", {doc_id: _pmid(doc_id) for doc_id in range(300, 320)}))
    monkeypatch.setattr(keyfilter, "MIN_PROBES", 0)
    monkeypatch.setattr(keyfilter.Union, "grow", lambda self, segments: None)  # (every look-up asks when)
    summed = count_calls(monkeypatch, SegmentFile, "column")
    for pmid in range(50_000, 50_500):
        assert snap.holders(f"pmid:{pmid}") == set()
    assert summed[0] < 50  # (the filters made and searched: a dozen; summed at each look-up: 500 more)
