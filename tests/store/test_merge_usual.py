"""A merge joins and checks the usual link changes (targets of one relation, all given by one source:
what an import writes for nearly every document it links to) without the general join's walk over each
record, relation and source (``store.storage.decoding.usual``): the same bytes and counts as the general
join, and every change that is not of that shape, or does not check, goes the general way, which names
a damaged one in one line."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from store.errors import LibraryFileError
from store.storage import decoding, fold, tiering
from store.storage.decoding import decode_links
from store.storage.joins import joined_links
from store.storage.tiering import _joined, _usual_change
from tests.store.merge_fakes import LinkSegment, from_segments, merge


def _usual(
    rel: str, ids: list[Any], source: str = "pubmed", given: list[Any] | None = None
) -> dict[str, Any]:
    return {rel: ids, "link_sources": {rel: {source: ids if given is None else given}}}


# Each a change of the usual shape or one thing away from it (damaged or not).
CHANGES: list[Any] = [
    _usual("cited_by", [3, 4]),
    _usual("cited_by", [4, 9]),
    _usual("cited_by", [9]),
    _usual("references", [5, 6]),
    _usual("cited_by", [7], "europepmc"),
    {
        "references": [1, 2],
        "cited_by": [3],
        "link_sources": {"references": {"pubmed": [1, 2]}, "cited_by": {"pubmed": [3]}},
    },
    {
        "references": [2, 5],
        "cited_by": [],
        "link_sources": {"references": {"pubmed": [2, 5]}, "cited_by": {"pubmed": []}},
    },
    {"references": [1], "cited_by": [3], "link_sources": {"cited_by": {"pubmed": [3]}}},
    {"references": [1], "link_sources": {"references": {"pubmed": [1]}, "cited_by": {"pubmed": [3]}}},
    {"link_sources": {}},
    _usual("cited_by", [7, 8], given=[7]),
    _usual("cited_by", [True]),
    _usual("cited_by", [1.0]),
    _usual("cited_by", [3], given=[True]),
    _usual("cited_by", [3], given=[3.0]),
    _usual("cited_by", [0]),
    _usual("cited_by", [1 << 32]),
    _usual("cited_by", [(1 << 32) - 1]),
    _usual("cited_by", []),
    _usual("cited_by", ["3"], given=["3"]),
    {"cited_by": [3], "link_sources": {"references": {"pubmed": [3]}}},
    {"cited_by": [3], "link_sources": {"cited_by": {"pubmed": [3], "crossref": [3]}}},
    {"cited_by": [3], "link_sources": {"cited_by": {"pubmed": [3]}, "references": {}}},
    {"cited_by": [3], "references": [4]},
    {"cited_by": [3]},
    {"cited_by": [3], "removed": {"cited_by": [3]}},
    {"removed": {"cited_by": [4]}, "cited_by": [5]},
    {"cited_by": [3], "link_sources": []},
    {"cited_by": [3], "link_sources": {"cited_by": []}},
    {"cited_by": [3], "link_sources": {"cited_by": {"pubmed": 3}}},
    {"cited_by": 3, "link_sources": {"cited_by": {"pubmed": 3}}},
    {"cited_bz": [3], "link_sources": {"cited_bz": {"pubmed": [3]}}},
    [3],
    {},
]


def _general(
    raws: list[tuple[Any, bytes]], monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, tuple[int, int]] | str:
    with monkeypatch.context() as m:
        m.setattr(tiering, "usual_joined", lambda records: None)
        return _outcome(raws)


def _outcome(raws: list[tuple[Any, bytes]]) -> tuple[bytes, tuple[int, int]] | str:
    try:
        return _joined(raws, 7)
    except LibraryFileError as exc:
        return str(exc)


def test_usual_changes_join_as_the_general_join_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pair and triple of the changes above (and a random sample of longer runs): the same bytes and
    counts, or the same one-line refusal."""
    groups: list[tuple[Any, ...]] = [*itertools.product(CHANGES, repeat=2)]
    groups += [*itertools.combinations(CHANGES, 3)]
    rng = random.Random(18)
    groups += [tuple(rng.choices(CHANGES[:10], k=rng.randint(2, 30))) for _ in range(200)]
    usual = 0
    for changes in groups:
        raws = from_segments(*changes)
        ours, theirs = _outcome(raws), _general(raws, monkeypatch)
        assert ours == theirs, changes
        usual += decoding.usual_joined([orjson.loads(raw) for _seg, raw in raws]) is not None
    assert usual > 30  # (the usual path was taken, not only the general one)


def test_the_usual_join_of_the_usual_shape() -> None:
    raws = from_segments(_usual("cited_by", [3, 4]), _usual("cited_by", [4, 9]), _usual("cited_by", [11]))
    assert _joined(raws, 7) == (
        b'{"cited_by":[3,4,9,11],"link_sources":{"cited_by":{"pubmed":[3,4,9,11]}}}',
        (0, 4),
    )
    raws = from_segments(_usual("references", [5]), _usual("references", [6]))
    assert _joined(raws, 7) == (
        b'{"references":[5,6],"link_sources":{"references":{"pubmed":[5,6]}}}',
        (2, 0),
    )
    assert joined_links([orjson.loads(raw) for _seg, raw in raws], changes=True) == (
        b'{"references":[5,6],"link_sources":{"references":{"pubmed":[5,6]}}}',
        2,
        0,
    )


@pytest.mark.parametrize("change", CHANGES, ids=range(len(CHANGES)))
def test_a_change_passed_as_usual_is_one_decode_links_passes(change: Any) -> None:
    raw = orjson.dumps(change)
    if _usual_change(raw):
        assert decode_links(Path("s.seg"), raw, 7) == change


@pytest.mark.parametrize(
    "raw",
    [
        orjson.dumps(_usual("cited_by", [True])),
        orjson.dumps(_usual("cited_by", [3], given=[3.0])),
        orjson.dumps(_usual("cited_by", [0])),
        orjson.dumps(_usual("cited_by", [1 << 32])),
        b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}}',
        b'{"cited_by":[3],"link_sources":{"cited_by":{"pubmed":[3]}}} x',
    ],
)
def test_a_damaged_usual_change_is_not_passed_as_usual(raw: bytes) -> None:
    assert not _usual_change(raw)
    with pytest.raises(LibraryFileError):
        decode_links(Path("s.seg"), raw, 7)


def test_a_merge_of_many_segments_joins_each_document_from_those_that_change_it() -> None:
    """A document changed by the 2nd and 5th of seven segments (not the 3rd and 4th, which change
    others), one by the 1st and 7th, one by all, one by the 6th alone: each joined from its own, oldest
    first, as the general join joins them (a merge looks between the first and the last that change a
    document, not at every segment)."""
    rng = random.Random(29)
    holders = {10: [1, 4], 11: [0, 6], 12: list(range(7)), 13: [5]}
    for doc_id in range(20, 60):
        holders[doc_id] = sorted(rng.sample(range(7), rng.randint(1, 4)))
    changes: list[dict[int, bytes]] = [{} for _ in range(7)]
    expected = {}
    for doc_id, numbers in holders.items():
        raws = [orjson.dumps(_usual("cited_by", [100 * n + doc_id])) for n in numbers]
        for n, raw in zip(numbers, raws, strict=True):
            changes[n][doc_id] = raw
        if len(raws) == 1:
            expected[doc_id] = raws[0]
        else:
            encoded = joined_links([orjson.loads(raw) for raw in raws], changes=True)[0]
            assert encoded is not None
            expected[doc_id] = encoded
    assert merge(*(LinkSegment(f"s{n}.seg", c) for n, c in enumerate(changes))) == expected


class _Snap:
    path = Path("/lib/library.json")

    def __init__(self, base: bytes) -> None:
        self.base = base

    def base_read(self, where: tuple[int, int], doc_id: int) -> bytes:
        return self.base


def _compose_general(base: bytes | None, raws: list[tuple[Path, bytes, str]]) -> Any:
    try:
        records = [decode_links(path, raw, 7, where) for path, raw, where in raws]
        if base is not None:
            records.insert(0, decode_links(_Snap.path, base, 7))
        return joined_links(records, changes=False)
    except LibraryFileError as exc:
        return str(exc)


def test_a_fold_composes_a_record_and_its_changes_as_the_general_join_does() -> None:
    """A link record of the base (or none) and its changes from segments: the same record and counts as
    each decoded, checked and joined, or the same one-line refusal."""
    rng = random.Random(4)
    groups = [*itertools.product([None, *CHANGES], CHANGES)]
    groups += [
        (rng.choice([None, *CHANGES[:10]]), *rng.choices(CHANGES[:10], k=rng.randint(1, 6)))
        for _ in range(300)
    ]
    for base, *changes in groups:
        based = None if base is None else orjson.dumps(base)
        raws = [
            (Path(f"/lib/library.json.segments/s{n}.seg"), orjson.dumps(c), "") for n, c in enumerate(changes)
        ]
        if any(b'"removed"' in raw for _path, raw, _where in raws):
            continue
        try:
            ours: Any = fold._compose(_Snap(based or b""), 7, None if based is None else (0, 0), raws)  # type: ignore[arg-type]
        except LibraryFileError as exc:
            ours = str(exc)
        assert ours == _compose_general(based, raws), (base, changes)
