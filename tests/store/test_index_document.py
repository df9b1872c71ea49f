"""What ``store.search.fields.index_document`` puts in the search index for a document: the terms of a
compound surname, and the citation metrics of the documents that hold them and of none other (it
skips reading metrics for a document without any, which is every record and stub an import makes)."""

from __future__ import annotations

from typing import Any

from store.search.fields import index_document


def _fields(doc: dict[str, Any], citing: int = 0) -> dict[str, list[Any]]:
    return {name: sorted(values) for name, values in index_document(7, doc, citing).to_dict().items()}


def test_a_compound_surname_is_found_whole_and_by_its_last_part() -> None:
    doc = {"authors": [{"last": "García-López", "initials": "M"}, {"last": "Smith"}, {"last": ""}]}
    fields = _fields(doc)
    assert fields["author_last"] == ["garcia_lopez", "lopez", "smith"]
    assert fields["author_full"] == ["garcia_lopez m", "lopez m"]


def test_metrics_are_indexed_for_a_document_that_holds_them() -> None:
    doc = {
        "title": "T",
        "citation_count": 3,
        "metrics": {
            "icite": {"citation_count": 12, "relative_citation_ratio": 1.5, "is_clinical": True},
            "europepmc": {"citation_count": 9},
        },
    }
    fields = _fields(doc, citing=4)
    assert fields["cited"] == [12]
    assert fields["rcr"] == [1.5]
    assert fields["has_metrics"] == [1] and fields["clinical"] == [1]


def test_a_document_without_metrics_has_none_indexed() -> None:
    fields = _fields({"title": "T", "citation_count": 3}, citing=4)
    assert fields["cited"] == [4]
    assert not {"rcr", "percentile", "apt", "clinical", "research", "has_metrics"} & set(fields)
