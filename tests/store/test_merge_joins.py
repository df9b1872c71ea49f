"""A merge joins a document's link changes from several segments checked once, as joined
(``store.storage.tiering._joined``): the same change as each decoded, checked and joined, and a damaged
one refused in one line naming its segment and document, as before."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from store.errors import LibraryFileError
from store.storage.joins import joined_links
from store.storage.tiering import _joined
from tests.store.merge_fakes import LinkSegment, from_segments, merge

GOOD = [
    ({"cited_by": [3]}, {"cited_by": [4, 5], "link_sources": {"cited_by": {"pubmed": [4]}}}),
    ({"references": [1, 2], "link_sources": {"references": {"a": [1], "b": [2]}}}, {"cited_by": [9]}, {}),
    ({"cited_by": [3]}, {"removed": {"cited_by": [3]}}, {"cited_by": [8]}),
    ({"link_sources": {"cited_by": {"europepmc": [3]}}}, {"cited_by": [3, 3]}),
]


@pytest.mark.parametrize("changes", GOOD)
def test_changes_join_as_each_decoded_and_joined(changes: tuple[dict[str, Any], ...]) -> None:
    encoded, counts = _joined(from_segments(*changes), 7)
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
    raws = from_segments({}, {})
    raws = [(raws[0][0], damaged if first else good), (raws[1][0], good if first else damaged)]
    with pytest.raises(LibraryFileError) as caught:
        _joined(raws, 7)
    assert f"s{0 if first else 1}.seg" in str(caught.value) and "document 7" in str(caught.value)


def test_a_change_one_merged_segment_alone_holds_is_copied_as_it_is() -> None:
    one, two = b'{"cited_by":[9]}', b'{"cited_by":[8]}'
    merged = merge(LinkSegment("a.seg", {2: one, 5: one}), LinkSegment("b.seg", {5: two, 7: two}))
    assert merged == {2: one, 5: b'{"cited_by":[9,8]}', 7: two}


@pytest.mark.parametrize("damaged", [2, 7])
def test_a_damaged_change_one_merged_segment_alone_holds_is_refused_in_one_line(damaged: int) -> None:
    """It is checked before it is copied (a merge copied it unchecked for a while: the merged segment
    carried the damage on, and `compact --due` said nothing; tests/store/test_journal_segments.py)."""
    good, bad = b'{"cited_by":[9]}', b'x"cited_by":[9]}'
    a = LinkSegment("a.seg", {2: bad if damaged == 2 else good, 5: good})
    b = LinkSegment("b.seg", {5: good, 7: bad if damaged == 7 else good})
    with pytest.raises(LibraryFileError) as caught:
        merge(a, b)
    said, where = str(caught.value), "a.seg" if damaged == 2 else "b.seg"
    assert "\n" not in said and where in said and f"document {damaged}" in said
