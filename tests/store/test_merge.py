"""Combining what sources say about one article (store.merge): links, records shown to be one, origins."""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from store.merge import union_links
from store.model import Article, Link, Origin
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


def test_two_records_shown_to_be_one_article_become_one(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="By PMID", references=[Link(pmid="9")]), Origin("pubmed"))
        changes.put_article(
            Article(doi="10.1000/x", title="By DOI", references=[Link(pmid="8")]), Origin("ris")
        )
        changes.put_article(
            Article(pmid="7", title="Citing", references=[Link(doi="10.1000/X")]), Origin("pubmed")
        )
    by_pmid, by_doi = lib.find("1"), lib.find("10.1000/x")
    assert by_pmid is not None and by_doi is not None and by_pmid != by_doi
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", doi="10.1000/x", title="Both"), Origin("medline"))
    for again in (lib, Library.open(tmp_path / "library.json")):
        assert again.find("1") == again.find("10.1000/x") == by_pmid
        assert again.doc(by_doi) is None  # the other record is gone, not left beside it
        assert again.stats().records == 2 and again.stats().stubs == 2 and again.stats().links == 3
        assert [v.pmid for v in again.links(by_pmid, "references")] == ["9", "8"]
        assert [v.pmid for v in again.links(by_pmid, "cited_by")] == ["7"]
        assert again.link_ids(again.find("7") or 0, "references") == [by_pmid]
        assert again.article(by_pmid).title == "Both"


def test_two_records_without_links_shown_to_be_one_keep_the_library_writable(tmp_path: Path) -> None:
    """A merge dropped a link the two records never had: the commit's seal counted -1 links, and the
    journal was then taken for damaged (every later write refused, naming `pmbrowse repair`)."""
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="By PMID"), Origin("pubmed"))
        changes.put_article(Article(doi="10.1000/x", title="By DOI"), Origin("ris"))
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", doi="10.1000/x", title="Both"), Origin("medline"))
    again = Library.open(tmp_path / "library.json")
    assert again.stats().records == 1 and again.stats().links == 0
    with again.transaction() as changes:  # (refused as damaged before the fix)
        changes.put_article(Article(pmid="2", title="Another"), Origin("pubmed"))
    assert again.compact() and Library.open(tmp_path / "library.json").stats().records == 2


def test_a_record_merged_keeps_every_origin(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json", demo=False)
    for origin in (Origin("pubmed", "a.xml"), Origin("medline", "b.nbib"), Origin("pubmed", "a.xml")):
        with lib.transaction() as changes:
            changes.put_article(Article(pmid="1", title="One"), origin)
    article = lib.get("1")
    assert article is not None
    assert [(o.format, o.location) for o in article.origins] == [("pubmed", "a.xml"), ("medline", "b.nbib")]


def test_a_record_its_own_reference_list_shows_to_be_another_keeps_every_link(tmp_path: Path) -> None:
    # A reference naming the record's own DOI beside a PMID a stub holds shows the record to be that
    # stub's article: the record is merged into the stub, and its links after that reference (and its
    # citing articles) are the merged record's, not dropped.
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Citing", references=[Link(pmid="1")]), Origin("pubmed"))
    stub = lib.find("1")
    with lib.transaction() as changes:
        changes.put_article(
            Article(
                doi="10.1000/x",
                title="By DOI",
                references=[Link(pmid="8"), Link(pmid="1", doi="10.1000/x"), Link(pmid="9")],
                cited_by=[Link(pmid="7")],
            ),
            Origin("ris"),
        )
    for again in (lib, Library.open(tmp_path / "library.json")):
        assert again.find("10.1000/x") == again.find("1") == stub and stub is not None
        assert [v.pmid for v in again.links(stub, "references")] == ["8", "9"]
        assert [v.pmid for v in again.links(stub, "cited_by")] == ["5", "7"]
        assert again.stats().records == 2 and again.stats().stubs == 3 and again.stats().links == 4
        assert again.article(stub).title == "By DOI"


def test_a_compaction_after_the_last_record_was_merged_away_leaves_a_library_check_passes(
    tmp_path: Path,
) -> None:
    """The fold sized the new index to the highest id ever given, past the file's last document (the
    one merged away): `pmbrowse check` then said the index does not match its base, on every run."""
    from store.check import check

    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="By PMID"), Origin("pubmed"))
        changes.put_article(Article(doi="10.1000/x", title="By DOI"), Origin("ris"))
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", doi="10.1000/x", title="Both"), Origin("medline"))
    assert lib.compact()
    lib.close()
    assert check(path).problems == []
