"""A merge joins a document's link changes from several segments checked once, as joined
(``store.storage.tiering._joined``): the same change as each decoded, checked and joined, and a damaged
one refused in one line naming its segment and document, as before."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from store.errors import LibraryFileError
from store.storage.fold import joined_links
from store.storage.tiering import _joined, _merge_links, _Newest


@dataclass
class _Seg:
    path: Path


def _raws(*changes: Any) -> list[tuple[Any, bytes]]:
    return [
        (_Seg(Path(f"/lib/library.json.segments/s{n}.seg")), orjson.dumps(c)) for n, c in enumerate(changes)
    ]


GOOD = [
    ({"cited_by": [3]}, {"cited_by": [4, 5], "link_sources": {"cited_by": {"pubmed": [4]}}}),
    ({"references": [1, 2], "link_sources": {"references": {"a": [1], "b": [2]}}}, {"cited_by": [9]}, {}),
    ({"cited_by": [3]}, {"removed": {"cited_by": [3]}}, {"cited_by": [8]}),
    ({"link_sources": {"cited_by": {"europepmc": [3]}}}, {"cited_by": [3, 3]}),
]


@pytest.mark.parametrize("changes", GOOD)
def test_changes_join_as_each_decoded_and_joined(changes: tuple[dict[str, Any], ...]) -> None:
    encoded, counts = _joined(_raws(*changes), 7)
    assert (encoded, *counts) == joined_links([orjson.loads(orjson.dumps(c)) for c in changes], changes=True)


BAD = [
    b'{"cited_by": [3',
    b"[3]",
    b'{"cited_by": ["3"]}',
    b'{"cited_by": "34"}',
    b'{"cited_by": 3}',
    b'{"cited_by": {"3": 1}}',
    b'{"cited_by": [0]}',
    b'{"cited_by": [4294967296]}',
    b'{"cited_bz": [3]}',
    b'{"link_sources": {"cited_bz": {"pubmed": [3]}}}',
    b'{"link_sources": {"cited_by": ["pubmed"]}}',
    b'{"link_sources": {"cited_by": {"pubmed": 3}}}',
    b'{"link_sources": {"cited_by": {"pubmed": "3"}}}',
    b'{"link_sources": {"cited_by": {"pubmed": [true]}}}',
    b'{"link_sources": []}',
    b'{"removed": {"cited_by": ["x"]}}',
]


@pytest.mark.parametrize("damaged", BAD)
@pytest.mark.parametrize("first", [True, False])
def test_a_damaged_change_is_refused_naming_its_segment_and_document(damaged: bytes, first: bool) -> None:
    good = orjson.dumps({"cited_by": [5], "link_sources": {"cited_by": {"pubmed": [5]}}})
    raws = _raws({}, {})
    raws = [(raws[0][0], damaged if first else good), (raws[1][0], good if first else damaged)]
    with pytest.raises(LibraryFileError) as caught:
        _joined(raws, 7)
    assert f"s{0 if first else 1}.seg" in str(caught.value) and "document 7" in str(caught.value)


class _Segment:
    """A merged segment's link changes (and nothing else), as ``tiering._merge_links`` reads them."""

    def __init__(self, name: str, changes: dict[int, bytes]) -> None:
        self.path = Path(f"/lib/library.json.segments/{name}")
        self.changes = sorted(changes.items())
        self.columns = {
            "link_ids": array("I", [d for d, _raw in self.changes]),
            "doc_ids": array("I"),
            "key_ids": array("I"),
            "doc_len": array("I"),
            # (where each change is: its row, as ``read`` below takes it; its counts)
            "link_off": array("Q", range(len(self.changes))),
            "link_len": array("I", [0] * len(self.changes)),
            "link_refs": array("i", [0] * len(self.changes)),
            "link_cited": array("i", [1] * len(self.changes)),
        }
        self.checksummed = True

    def column(self, name: str) -> array[int]:
        return self.columns[name]

    def link_row(self, i: int) -> tuple[bytes, int, int]:
        return self.changes[i][1], 0, 1

    def read(self, where: tuple[int, int]) -> bytes:
        return self.changes[where[0]][1]


class _Writer:
    def __init__(self) -> None:
        self.links: dict[int, bytes] = {}

    def add_links(self, doc_id: int, raw: bytes, counts: tuple[int, int]) -> None:
        self.links[doc_id] = raw


def _merge(*segments: _Segment) -> dict[int, bytes]:
    writer = _Writer()
    _merge_links(writer, segments, _Newest(segments, 100))  # type: ignore[arg-type]
    return writer.links


def test_a_change_one_merged_segment_alone_holds_is_copied_as_it_is() -> None:
    one, two = b'{"cited_by":[9]}', b'{"cited_by":[8]}'
    merged = _merge(_Segment("a.seg", {2: one, 5: one}), _Segment("b.seg", {5: two, 7: two}))
    assert merged == {2: one, 5: b'{"cited_by":[9,8]}', 7: two}


@pytest.mark.parametrize("damaged", [2, 7])
def test_a_damaged_change_one_merged_segment_alone_holds_is_refused_in_one_line(damaged: int) -> None:
    """It is checked before it is copied (a merge copied it unchecked for a while: the merged segment
    carried the damage on, and `compact --due` said nothing; tests/store/test_journal_segments.py)."""
    good, bad = b'{"cited_by":[9]}', b'x"cited_by":[9]}'
    a = _Segment("a.seg", {2: bad if damaged == 2 else good, 5: good})
    b = _Segment("b.seg", {5: good, 7: bad if damaged == 7 else good})
    with pytest.raises(LibraryFileError) as caught:
        _merge(a, b)
    said, where = str(caught.value), "a.seg" if damaged == 2 else "b.seg"
    assert "\n" not in said and where in said and f"document {damaged}" in said
