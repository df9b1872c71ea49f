"""A merge checks and joins the plain link changes (``joins.plain_change``: what an import writes for
nearly every document it links to) in their bytes, matched in C, not decoded and encoded again: it
passes only what ``decoding.usual`` passes, joins into the bytes and counts ``usual_joined`` makes, and
leaves every other change to the decoding path; and it reads a segment's changes a window at a time
where they lie one after the other (``tiering._Reads``), each change's bytes as one read of it gives."""

from __future__ import annotations

import itertools
import random
from array import array
from typing import Any

import orjson
import pytest

from store.schema import check_links
from store.storage import tiering
from store.storage.decoding import usual, usual_joined
from store.storage.joins import joined_plain, plain_change
from store.storage.links import Change
from tests.store.merge_fakes import LinkSegment, merge
from tests.store.test_merge_usual import CHANGES


def _plain(rng: random.Random, source: str = "pubmed") -> dict[str, Any]:
    """A change of the plain shape: one relation or both, ids drawn from a small range (so they repeat
    across changes, and sometimes within one)."""
    change: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for rel in rng.choice([("references",), ("cited_by",), ("references", "cited_by")]):
        ids = [rng.randint(1, 40) for _ in range(rng.randint(1, 6))]
        change[rel], sources[rel] = ids, {source: ids}
    change["link_sources"] = sources
    return change


# Bytes near the plain shape that it must not pass, or that the decoding path must judge.
NEAR = [
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}}}',
    b'{"cited_by":[03],"link_sources":{"cited_by":{"pubmed":[03]}}}',
    b'{"cited_by":[0],"link_sources":{"cited_by":{"pubmed":[0]}}}',
    b'{"cited_by":[4294967296],"link_sources":{"cited_by":{"pubmed":[4294967296]}}}',
    b'{"cited_by":[999999999],"link_sources":{"cited_by":{"pubmed":[999999999]}}}',
    b'{"cited_by":[1000000000],"link_sources":{"cited_by":{"pubmed":[1000000000]}}}',
    b'{"cited_by":[3.0],"link_sources":{"cited_by":{"pubmed":[3.0]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[4]}}}',
    b'{"cited_by":[3,4],"link_sources":{"cited_by":{"pubmed":[3]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pub\\"med":[3]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pub\xc3\xa9":[3]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pub\xe9":[3]}}}',
    b'{"cited_by":[3] ,"link_sources":{"cited_by":{"pubmed":[3]}}}',
    b'{"cited_by":[],"link_sources":{"cited_by":{"pubmed":[]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}}}x',
    b'{"references":[1],"cited_by":[3],"link_sources":{"references":{"a":[1]},"cited_by":{"b":[3]}}}',
    b'{"references":[1],"cited_by":[3],"link_sources":{"references":{"a":[1]}}}',
    b'{"references":[1],"link_sources":{"references":{"a":[1]},"cited_by":{"a":[3]}}}',
    b'{"cited_by":[3],"references":[1],"link_sources":{"cited_by":{"a":[3]},"references":{"a":[1]}}}',
    b'{"cited_by":[3,3],"link_sources":{"cited_by":{"pubmed":[3,3]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"":[3]}}}',
    b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}},"removed":{"cited_by":[4]}}',
    b"",
    b"{}",
]


def _all_changes() -> list[bytes]:
    rng = random.Random(7)
    made = [orjson.dumps(_plain(rng, rng.choice(["pubmed", "europepmc", ""]))) for _ in range(300)]
    return made + NEAR + [orjson.dumps(c) for c in CHANGES]


def _decoded(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


@pytest.mark.parametrize("raw", _all_changes())
def test_a_plain_change_is_one_the_decoding_check_passes(raw: bytes) -> None:
    parts = plain_change(raw)
    record = _decoded(raw)
    if parts is not None:
        assert record is not None and usual([record]) is not None and check_links(record) == ""


def test_every_change_an_import_writes_is_plain() -> None:
    rng = random.Random(3)
    for _ in range(200):
        raw = orjson.dumps(_plain(rng))
        assert plain_change(raw) is not None, raw


def test_the_changes_an_import_encodes_are_plain() -> None:
    # (made and encoded as an import makes them, ``Change``: the fast path is what a merge takes for them)
    rng = random.Random(5)
    for _ in range(200):
        change = Change()
        for rel in rng.choice([("references",), ("cited_by",), ("references", "cited_by")]):
            for target in rng.sample(range(1, 1_000_000_000), rng.randint(1, 6)):
                change.add(rel, target, ("pubmed",))
        raw = change.encode()
        assert plain_change(raw) is not None, raw


def test_plain_changes_join_into_the_bytes_and_counts_of_the_decoded_join() -> None:
    rng = random.Random(11)
    plain = [raw for raw in _all_changes() if plain_change(raw) is not None]
    assert len(plain) > 250
    tried = 0
    for _ in range(2000):
        raws = rng.sample(plain, rng.randint(2, 5))
        joined = joined_plain(raws)
        expected = usual_joined([orjson.loads(raw) for raw in raws])
        if len({plain_change(raw)[0] for raw in raws}) == 1:  # type: ignore[index]
            assert joined == expected and joined is not None, raws
            tried += 1
        else:
            assert joined is None
    assert tried > 100


@pytest.mark.parametrize("other", [raw for raw in NEAR if plain_change(raw) is None])
def test_changes_of_any_other_shape_are_left_to_the_decoding_join(other: bytes) -> None:
    plain = b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}}}'
    assert joined_plain([plain, other]) is None and joined_plain([other, plain]) is None


def test_a_merge_writes_the_same_bytes_as_the_decoding_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    plain = [raw for raw in _all_changes() if plain_change(raw) is not None]
    segments = [
        LinkSegment(f"{n}.seg", {d: rng.choice(plain) for d in rng.sample(range(1, 200), 80)})
        for n in range(4)
    ]
    fast = merge(*segments)
    monkeypatch.setattr(tiering, "plain_change", lambda raw: None)
    monkeypatch.setattr(tiering, "joined_plain", lambda raws: None)
    assert merge(*segments) == fast


class _Bytes:
    """A segment's bytes, read as ``Segment.read`` reads them, each read counted; its changes end at
    ``tables`` (a window never reads past the last change)."""

    def __init__(self, data: bytes, tables: int | None = None) -> None:
        self.data, self.reads = data, 0
        self.tables = len(data) if tables is None else tables

    def read(self, where: tuple[int, int]) -> bytes:
        self.reads += 1
        off, length = where
        assert off + length <= self.tables
        return self.data[off : off + length]


@pytest.mark.parametrize("gaps", [False, True])
def test_changes_read_a_window_at_a_time_are_the_bytes_one_read_gives(gaps: bool) -> None:
    rng = random.Random(9)
    changes = [bytes([65 + n % 26]) * rng.randint(1, 300) for n in range(2000)]
    offs, lens, data = array("Q"), array("I"), bytearray()
    for raw in changes:
        if gaps and rng.random() < 0.1:
            data += b"-" * rng.randint(1, 50)
        offs.append(len(data))
        lens.append(len(raw))
        data += raw
    tables = len(data)
    data += b"TABLES"
    segment = _Bytes(bytes(data), tables)
    reads = tiering._Reads(segment, offs, lens)  # type: ignore[arg-type]
    order = list(range(len(changes)))
    assert [reads.read(row) for row in order] == changes
    assert segment.reads < len(changes) // (5 if gaps else 20)  # (a window at a time)
    rng.shuffle(order)
    assert [reads.read(row) for row in itertools.islice(order, 300)] == [changes[r] for r in order[:300]]


def test_changes_written_out_of_their_tables_order_are_each_the_bytes_one_read_gives() -> None:
    # (a batch written before 3d2cef7 lies in the journal's order: its tables' offsets are not sorted.
    # Coverage of that layout, which no test read: it passes on the code before d023c12's mend too)
    rng = random.Random(4)
    changes = [bytes([65 + n % 26]) * rng.randint(1, 300) for n in range(500)]
    placed = list(range(len(changes)))
    rng.shuffle(placed)
    offs, lens, data = array("Q", [0] * len(changes)), array("I", [0] * len(changes)), bytearray()
    for row in placed:
        offs[row], lens[row] = len(data), len(changes[row])
        data += changes[row]
    segment = _Bytes(bytes(data))
    reads = tiering._Reads(segment, offs, lens)  # type: ignore[arg-type]
    assert [reads.read(row) for row in range(len(changes))] == changes
    assert segment.reads <= len(changes)


def test_a_change_is_read_whole_where_the_tables_put_another_inside_it() -> None:
    # (damage: the next change's bytes inside this one's; read alone, the change is whole, not cut short
    # at the window's end, and what it holds is then checked as JSON)
    data = b"a" * 100 + b"TABLES"
    offs, lens = array("Q", [0, 10]), array("I", [100, 5])
    reads = tiering._Reads(_Bytes(data, 100), offs, lens)  # type: ignore[arg-type]
    assert reads.read(0) == b"a" * 100
