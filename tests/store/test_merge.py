"""Combining what sources say about one article's links (store.merge), and its use online."""

from __future__ import annotations

from store.merge import union_links
from store.model import Link
from store.online.links import merge_links


def test_a_shared_identifier_does_not_join_links_whose_pmids_differ() -> None:
    one = {"pmid": "11", "doi": "10.1000/shared", "sources": ["page"]}
    two = {"pmid": "12", "doi": "10.1000/SHARED", "sources": ["pubmed"]}
    same_as_one = {"doi": "10.1000/shared", "title": "One", "sources": ["europepmc"]}
    links: list[dict[str, object]] = []
    union_links(links, [one, two, same_as_one])
    assert links == [
        {"pmid": "11", "doi": "10.1000/shared", "sources": ["page", "europepmc"], "title": "One"},
        {"pmid": "12", "doi": "10.1000/SHARED", "sources": ["pubmed"]},
    ]


def test_merge_links_follows_the_same_rules() -> None:
    merged = merge_links(
        [Link(pmid="11", title="From Europe PMC", sources=["europepmc"])],
        [Link(pmid="11", doi="10.1000/x", sources=["pubmed"]), Link(pmid="12", doi="10.1000/x")],
    )
    assert [(link.pmid, link.doi, link.title, link.sources) for link in merged] == [
        ("11", "10.1000/x", "From Europe PMC", ["europepmc", "pubmed"]),
        ("12", "10.1000/x", "", []),
    ]
