"""A segment's top can only shrink from one segment to the next (a document whose key falls below the
bound leaves it, and none from below it can come in: ``store.storage.tops``), so over a long chain of
segments whose changes lower counts it could hold nothing, and the app's first list would merge the
runs (right, but slower). A segment written over a top holding fewer than half of ``K`` documents has
its top made anew from the layers' runs merged, whole again. Until stop 32 it carried the small one on."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from store.check import check
from store.library import Library
from store.storage import tops
from store.storage.citations import Citations
from store.storage.top import Top, key_of
from tests.store.test_check_tops import _one_more_segment, _written_wrong
from tests.store.test_citations import most_cited_first
from tests.store.test_cited_runs import _put
from tests.store.test_segment_tops import _library, _segments


def _first_two(top: Top) -> Top:
    """The first two documents of the top's state, its bound the second's key: a true top, small."""
    cut = [array(c.typecode, c[:2]) for c in (top.ids, top.cited, top.citation, top.year)]
    ids, cited, citation, year = cut
    bound = key_of(ids[1], (cited[1], citation[1], year[1]))
    return Top(ids, cited, citation, year, bound, top.next_id)


def test_a_top_shrunk_below_half_is_made_anew_for_the_next_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tops, "K", 6)
    lib = _library(tmp_path / "library.json", monkeypatch)
    with monkeypatch.context() as m:
        _written_wrong(m, _first_two)
        _one_more_segment(lib)
    shrunk = _segments(Library.open(lib.path))[-1].top()
    assert shrunk is not None and len(shrunk) == 2 and shrunk.bound > 0
    assert check(lib.path).problems == []  # (small, and true)
    with lib.transaction() as changes:  # (a segment over the small top)
        for n in range(950, 955):
            _put(changes, str(n), 2021, (1, 4))
        changes.flush()
    again = Library.open(lib.path)
    assert len(_segments(again)) == 6
    top = _segments(again)[-1].top()
    assert top is not None and len(top) == 6, top
    assert check(lib.path).problems == []
    assert list(Citations(again._reader).order()) == most_cited_first(again)
