"""``meta_of`` and ``fields_of`` (store.storage.meta) give what their plain definitions say: the fast
paths (fields over the entry's own keys; no metrics, no look at them) change no answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from store.metrics import reported_counts
from store.storage.meta import FIELD_BITS, MAX_CITATION, MAX_YEAR, STUB, Meta, fields_of, meta_of


def plain_fields(entry: Mapping[str, Any]) -> int:
    return sum(bit for key, bit in FIELD_BITS.items() if entry.get(key) not in (None, "", []))


def plain_meta(doc: Mapping[str, Any]) -> Meta:
    year, given = doc.get("year"), doc.get("citation_count")
    citation = max([given if type(given) is int else 0, *reported_counts(doc)])
    return Meta(
        (STUB if doc.get("stub") else 0) | plain_fields(doc),
        year if type(year) is int and 0 < year <= MAX_YEAR else 0,
        min(max(citation, 0), MAX_CITATION),
    )


ICITE = {"fetched": "2026-12-01", "citation_count": 40}
EPMC = {"fetched": "2026-12-01", "citation_count": 55}
DOCS: list[dict[str, Any]] = [
    {},
    {"pmid": "1", "stub": True},
    {"pmid": "1", "title": "", "doi": None, "authors": [], "journal": (), "volume": 0, "issue": False},
    {
        "pmid": "1",
        "pmcid": "PMC1",
        "doi": "10.1/x",
        "title": "T",
        "journal": "J",
        "volume": "1",
        "issue": "2",
        "pages": "3-4",
        "year": 1999,
        "authors": [{"last": "A"}],
        "abstract": "x",
        "other": 1,
    },
    {"year": 0},
    {"year": MAX_YEAR + 1},
    {"year": True},
    {"year": "1999"},
    {"year": MAX_YEAR},
    {"citation_count": 7},
    {"citation_count": True},
    {"citation_count": -3},
    {"citation_count": MAX_CITATION + 5},
    {"citation_count": 7.0},
    {"metrics": None},
    {"metrics": "junk"},
    {"metrics": {}},
    {"metrics": {"icite": "junk"}},
    {"citation_count": 50, "metrics": {"icite": ICITE}},
    {"citation_count": 10, "metrics": {"icite": ICITE, "europepmc": EPMC}},
    {"metrics": {"icite": {"fetched": "2026-12-01", "citation_count": True}}},
]


@pytest.mark.parametrize("doc", DOCS)
def test_meta_of_is_its_plain_definition(doc: dict[str, Any]) -> None:
    assert meta_of(doc) == plain_meta(doc)
    assert fields_of(doc) == plain_fields(doc)


def test_the_fields_of_a_full_record_and_of_an_empty_one() -> None:
    assert fields_of(DOCS[3]) == sum(FIELD_BITS.values())
    assert (
        fields_of(DOCS[2])
        == FIELD_BITS["pmid"] | FIELD_BITS["journal"] | FIELD_BITS["volume"] | FIELD_BITS["issue"]
    )
    assert meta_of(DOCS[19]).citation == 55
