"""`pmbrowse check` compares each segment's top (``store.storage.top``: the first documents of "most
cited first" as of the state the segment completes, read by the app's first list) with that state: a
top a faulty writer made wrong under a good checksum, or one whose bytes are damaged, is named in one
line; a right one is said to have been looked at. Until stop 32 check read no top, and a wrong one made
the app's first list wrong with nothing saying so."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from store.check import check
from store.library import Library
from store.storage import tops
from store.storage.segment import SegmentWriter
from store.storage.top import Top
from tests.store.test_cited_runs import _put
from tests.store.test_segment_tops import _library, _segments, damage_top, replace_top


def _written_wrong(monkeypatch: pytest.MonkeyPatch, wrong: Callable[[Top], Top]) -> None:
    real = SegmentWriter.set_top

    def set_top(self: SegmentWriter, top: Top | None) -> None:
        real(self, wrong(top) if top is not None else None)

    monkeypatch.setattr(SegmentWriter, "set_top", set_top)


def _one_more_segment(lib: Library) -> None:
    with lib.transaction() as changes:
        for n in range(900, 905):
            _put(changes, str(n), 2020, (1, 2, 3))
        changes.flush()


@pytest.mark.parametrize("k", [6, 1000])
def test_right_tops_are_compared_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    monkeypatch.setattr(tops, "K", k)
    lib = _library(tmp_path / "library.json", monkeypatch)
    found = check(lib.path)
    assert found.problems == []
    n = len(_segments(lib))
    assert any(
        f"{n} segments ({n} with a top, each against the state it completes)" in w for w in found.looked_at
    )


def _values_bumped(top: Top) -> Top:
    cited = array(top.cited.typecode, top.cited)
    cited[-1] += 1  # (the last stays at or above the bound, and in order: only its count is wrong)
    return Top(top.ids, cited, top.citation, top.year, top.bound, top.next_id)


def _one_left_out(top: Top) -> Top:
    keep = [i for i in range(len(top)) if i != len(top) // 2]

    def pick(column: array[int]) -> array[int]:
        return array(column.typecode, (column[i] for i in keep))

    return Top(pick(top.ids), pick(top.cited), pick(top.citation), pick(top.year), top.bound, top.next_id)


def _bound_lowered(top: Top) -> Top:
    return Top(top.ids, top.cited, top.citation, top.year, 0, top.next_id)


@pytest.mark.parametrize(
    ("wrong", "said"),
    [
        (_values_bumped, "gives document"),
        (_one_left_out, "leaves out documents whose keys are at least its bound"),
        (_bound_lowered, "leaves out documents whose keys are at least its bound"),
    ],
)
def test_a_wrong_top_under_a_good_checksum_is_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: Callable[[Top], Top], said: str
) -> None:
    monkeypatch.setattr(tops, "K", 6)
    lib = _library(tmp_path / "library.json", monkeypatch)
    with monkeypatch.context() as m:
        _written_wrong(m, wrong)
        _one_more_segment(lib)  # (the journal folded into a segment first, then the batch: both wrong)
    newest = _segments(Library.open(lib.path))[-2:]
    assert all(s.top() is not None for s in newest)  # (it reads: its checksum matches)
    problems = check(lib.path).problems
    assert len(problems) == 2, problems
    for segment, problem in zip(newest, problems, strict=True):
        assert str(segment.path) in problem and said in problem and "its top" in problem, problem
        assert "`pmbrowse repair` mends it" in problem and "\n" not in problem


def test_a_damaged_top_is_said_and_check_does_not_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tops, "K", 6)
    lib = _library(tmp_path / "library.json", monkeypatch)
    newest = _segments(lib)[-1]
    lib.close()
    damage_top(newest.path)
    problems = check(lib.path).problems
    assert len(problems) == 1 and str(newest.path) in problems[0] and "its top" in problems[0], problems
    assert "does not read" in problems[0]


@pytest.mark.parametrize(
    "kept",
    [
        b'"top":[1,2]',
        b'"top":{"n":"x"}',
        b'"top":{"n":1,"bound":5,"next_id":1,"crc":0,"columns":7}',
        b'"top":{"n":-1,"bound":[0,0],"next_id":1,"crc":0,"columns":""}',
    ],
)
def test_a_top_of_the_wrong_shape_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bytes
) -> None:
    """Whatever the footer keeps under ``top`` (its JSON still whole), check says it in one line."""
    monkeypatch.setattr(tops, "K", 6)
    lib = _library(tmp_path / "library.json", monkeypatch)
    newest = _segments(lib)[-1]
    lib.close()
    replace_top(newest.path, kept)
    problems = check(lib.path).problems
    assert len(problems) == 1 and str(newest.path) in problems[0] and "its top" in problems[0], problems
