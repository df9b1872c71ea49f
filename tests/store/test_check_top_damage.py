"""`pmbrowse check` says why a segment's top (``store.storage.top``) does not read: its checksum (its
bytes damaged), its shape, or its order, naming the segment. Until stop 33 ``SegmentFile.top`` kept no
reason, and check could only say "its checksum, its shape or its order is wrong". The app's behaviour
is unchanged: a top that does not read is passed over (test_segment_tops)."""

from __future__ import annotations

import base64
import os
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from store.check import check
from store.library import Library
from store.storage import tops
from store.storage.top import Top
from tests.store.test_check_tops import _one_more_segment, _written_wrong
from tests.store.test_segment_tops import _library, _segments, damage_top, replace_top


def _newest_top_problem(lib: Library) -> str:
    problems = check(lib.path).problems
    newest = _segments(Library.open(lib.path))[-1]
    assert newest.has_top and newest.top() is None  # (it does not read: the app passes it over)
    assert len(problems) == 1 and str(newest.path) in problems[0], problems
    assert "its top" in problems[0] and "does not read: " in problems[0], problems
    assert "its checksum, its shape or its order is wrong" not in problems[0]  # (not the three: which)
    return problems[0]


def _crc_changed(path: Path) -> None:
    """The top's checksum (in its footer's JSON) changed, its length kept: its columns are as written."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"crc":', raw.rindex(b'"top":')) + len(b'"crc":')
    raw[at] = ord("1") if raw[at] != ord("1") else ord("2")  # (a digit for a digit: the same length)
    os.chmod(path, 0o644)
    path.write_bytes(bytes(raw))


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setattr(tops, "K", 6)
    return _library(tmp_path / "library.json", monkeypatch)


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (_crc_changed, "its checksum does not match"),  # (the checksum in the footer's JSON)
        (damage_top, "their bytes are damaged"),  # (a byte of the columns: they do not decode)
    ],
)
def test_a_damaged_top_is_said_so(lib: Library, damage: Callable[[Path], None], said: str) -> None:
    newest = _segments(lib)[-1]
    lib.close()
    damage(newest.path)
    problem = _newest_top_problem(lib)
    assert said in problem and "order" not in problem, problem


def _swapped(top: Top) -> Top:
    """The first two documents swapped: its checksum is of these columns, its keys do not fall."""

    def swap(column: array[int]) -> array[int]:
        out = array(column.typecode, column)
        out[0], out[1] = column[1], column[0]
        return out

    return Top(swap(top.ids), swap(top.cited), swap(top.citation), swap(top.year), top.bound, top.next_id)


def test_a_top_out_of_order_is_said_so(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        _written_wrong(m, _swapped)
        _one_more_segment(lib)
    problems = check(lib.path).problems
    assert len(problems) == 2, problems  # (the journal made a segment, then the batch: both wrong)
    for segment, problem in zip(_segments(Library.open(lib.path))[-2:], problems, strict=True):
        assert str(segment.path) in problem and "its top" in problem, problem
        assert "does not read: its order is wrong" in problem and "checksum" not in problem, problem


def test_a_top_of_the_wrong_shape_is_said_so(lib: Library) -> None:
    """What the footer keeps under ``top`` is not a top's (its JSON whole: no checksum to blame)."""
    newest = _segments(lib)[-1]
    lib.close()
    replace_top(newest.path, b'"top":{"n":1}')
    problem = _newest_top_problem(lib)
    assert "does not read: its shape is wrong" in problem and "checksum" not in problem, problem


def test_a_top_whose_count_is_out_of_range_is_said_of_the_wrong_shape(lib: Library) -> None:
    """A count below zero (or a bound out of range) under a checksum that matches its columns: the
    top's shape is wrong, not its bytes (until stop 34 said as "its checksum does not match")."""
    newest = _segments(lib)[-1]
    lib.close()
    empty = base64.b64encode(zlib.compress(b"")).decode()
    replace_top(
        newest.path, b'"top":{"n":-1,"bound":[0,0],"next_id":9,"crc":0,"columns":"%s"}' % empty.encode()
    )
    problem = _newest_top_problem(lib)
    assert "does not read: its shape is wrong (its count -1" in problem and "checksum" not in problem, problem


def _top_ids(path: Path) -> list[int]:
    """The documents a segment's top keeps, as its footer holds them (read without ``Top.read``)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[-12:-8], "little")
    kept = orjson.loads(raw[-12 - n : -12])["top"]
    packed = zlib.decompress(base64.b64decode(kept["columns"]))
    return list(array("I", packed[: 4 * kept["n"]]))


def test_a_top_out_of_order_names_the_document_where(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        _written_wrong(m, _swapped)
        _one_more_segment(lib)
    newest = _segments(Library.open(lib.path))[-1]
    problem = check(lib.path).problems[-1]
    assert str(newest.path) in problem, problem
    # (the first two swapped: the second's key is above the first's, the second now the original first)
    assert f"out of order at document {_top_ids(newest.path)[1]})" in problem, problem
