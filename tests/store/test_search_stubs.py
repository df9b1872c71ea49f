"""Stubs (the articles a record's links name that the library does not hold) are found by what is known
of them: their identifiers, title, authors, journal and year (``store.search.fields.index_document``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Author, Link, Origin
from store.search import SearchIndex
from store.search.fields import index_document

ORIGIN = Origin("test", "here")
STUB = Link(
    pmcid="PMC77",
    doi="10.5/Kid.ABC",
    title="Vesicles protect against kidney injury",
    authors=["García-López M", "Bruno S"],
    journal="J Am Soc Nephrol",
    year=2009,
)


@pytest.fixture
def index(lib_path: Path) -> SearchIndex:
    lib = Library.open(lib_path, demo=False)
    with lib.transaction() as changes:
        record = Article(
            pmid="1", title="A record", authors=[Author("Lee", "J")], year=2020, references=[STUB]
        )
        changes.put_article(record, ORIGIN)
    return SearchIndex.for_library(lib)


@pytest.mark.parametrize(
    "query",
    [
        "vesicles kidney",
        '"kidney injury"[ti]',
        "García-López M[au]",
        "Garcia-Lopez[au]",
        "Lopez M[au]",  # (the second part of a hyphenated surname)
        "Bruno S[au]",
        "Bruno[au]",
        "J Am Soc Nephrol[ta]",
        "2009[dp]",
        "10.5/kid.abc[doi]",
        "PMC77[pmc]",
    ],
)
def test_a_stub_is_found_by_what_is_known_of_it(index: SearchIndex, query: str) -> None:
    hits = index.search(query).hits
    assert [(h.title, h.stub) for h in hits] == [(STUB.title, True)]


def test_a_stub_is_not_found_by_what_it_lacks(index: SearchIndex) -> None:
    assert index.search("Bruno M[au]").hits == []
    assert [h.pmid for h in index.search("Lee[au]").hits] == ["1"]


def test_a_stub_hit_carries_its_row(index: SearchIndex) -> None:
    (hit,) = index.search("vesicles").hits
    assert (hit.first_author, hit.authors, hit.journal, hit.year, hit.doi, hit.pmcid) == (
        "García-López M",
        2,
        "J Am Soc Nephrol",
        2009,
        "10.5/Kid.ABC",
        "PMC77",
    )


def test_index_fields_of_a_stub() -> None:
    """What a stub's document holds: no abstract, MeSH or keyword values (none are known), every
    stored field a hit reads."""
    doc = {
        "doi": "10.5/Kid.ABC",
        "title": "T",
        "journal": "J",
        "year": 2009,
        "authors": [
            {"last": "García-López", "initials": "M"},
            {"last": "Movement Group", "collective": True},
        ],
        "stub": True,
    }
    fields = index_document(7, doc).to_dict()
    assert fields == {
        "doc_id": [7],
        "doi": ["10.5/Kid.ABC"],
        "doi_key": ["10.5/kid.abc"],
        "keys": ["doi:10.5/kid.abc"],
        "title": ["T"],
        "author": ["García-López M", "Movement Group"],
        "author_last": ["garcia_lopez", "lopez", "movement", "movement_group", "group"],
        "author_full": ["garcia_lopez m", "lopez m"],
        "journal": ["J"],
        "journal_name": ["J"],
        "first_author": ["García-López M"],
        "authors": [2],
        "year": [2009],
        "cited": [0],
        "stub": [1],
        "has_abstract": [0],
    }
