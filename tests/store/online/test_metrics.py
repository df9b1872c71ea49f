"""Citation metrics on the article: merged by source (the newer fetch wins), checked on read, kept by
the library across records, stubs and merges."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import fileformat
from store.errors import LibraryFileError
from store.library import Library
from store.merge import merge_metrics
from store.metrics import check_metrics, citations_by_year, describe, reported_count
from store.model import Article, Link, Origin
from store.neighbourhood import GraphReader, citation_years
from store.search import QuerySyntaxError, SearchIndex

OLD = {"fetched": "2025-01-02T00:00:00Z", "citation_count": 10, "relative_citation_ratio": 1.5}
NEW = {"fetched": "2026-03-04T00:00:00Z", "citation_count": 17}
EPMC = {"fetched": "2025-06-01T00:00:00Z", "citation_count": 21}


def test_the_newer_fetch_of_a_source_wins_whole() -> None:
    merged = merge_metrics({"icite": OLD}, {"icite": NEW})
    assert merged == {"icite": NEW}  # no RCR of 2025 beside the count of 2026
    assert merge_metrics({"icite": NEW}, {"icite": OLD}) == {"icite": NEW}
    assert merge_metrics({"icite": NEW}, {"icite": dict(NEW, citation_count=99)}) == {
        "icite": NEW
    }  # a tie keeps


def test_sources_are_kept_apart_and_inputs_unchanged() -> None:
    have = {"icite": OLD}
    merged = merge_metrics(have, {"europepmc": EPMC})
    assert merged == {"icite": OLD, "europepmc": EPMC} and have == {"icite": OLD}
    assert merge_metrics(None, {"europepmc": EPMC}) == {"europepmc": EPMC}
    assert reported_count({"metrics": merged}) == (10, "icite")
    assert reported_count({"metrics": {"europepmc": EPMC}}) == (21, "europepmc")
    assert reported_count({}) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([], "'metrics' is not an object of records by source"),
        ({"scopus": OLD}, "'metrics' has a record of an unknown source 'scopus'"),
        ({"icite": {"citation_count": 3}}, "the icite metrics record has no time it was fetched"),
        ({"icite": dict(OLD, citation_count="10")}, "the icite metrics record's 'citation_count' is not"),
        ({"icite": dict(OLD, is_clinical="Yes")}, "the icite metrics record's 'is_clinical' is not"),
        ({"icite": dict(OLD, cited_by_clin=[1])}, "'cited_by_clin' is not"),
        ({"icite": dict(OLD, citations_by_year={"20": 1})}, "'citations_by_year' is not"),
        ({"europepmc": dict(EPMC, relative_citation_ratio=2.0)}, "'relative_citation_ratio' is not"),
    ],
)
def test_a_damaged_metrics_record_is_named(value: object, problem: str) -> None:
    assert problem in check_metrics(value)


def test_a_good_record_passes_and_reads_back() -> None:
    record = dict(OLD, citations_by_year={"2020": 2, "2021": 3}, is_clinical=False, cited_by_clin=["5"])
    assert check_metrics({"icite": record, "europepmc": EPMC}) == ""
    assert citations_by_year({"metrics": {"icite": record}}) == {2020: 2, 2021: 3}
    assert describe({"icite": record, "europepmc": EPMC}) == [
        "iCite (2025-01-02): cited by 10 · RCR 1.50 · cited by 1 clinical article",
        "Europe PMC (2025-06-01): cited by 21",
    ]


def test_a_record_keeps_its_metrics_when_its_full_record_arrives_and_when_merged(tmp_path: Path) -> None:
    library = Library.open(tmp_path / "lib.json", demo=False)
    with library.transaction() as changes:
        assert changes.put_metrics(Link(pmid="5"), {"icite": OLD})  # a stub made for them
        assert not changes.put_metrics(Link(pmid="5"), {"icite": OLD})  # the same again: no change
    doc_id = library.find("5")
    assert doc_id is not None and library.article(doc_id).stub
    with library.transaction() as changes:
        changes.put_article(Article(pmid="5", doi="10.1/five", title="Five"), Origin("test"))
        changes.put_metrics(Link(doi="10.1/five"), {"icite": NEW, "europepmc": EPMC})
    article = library.article(doc_id)
    assert not article.stub and article.metrics == {"icite": NEW, "europepmc": EPMC}
    # A record known by its DOI alone turns out to be the same article: both sides' metrics, merged.
    with library.transaction() as changes:
        changes.put_metrics(Link(pmcid="PMC77"), {"icite": OLD})
        changes.put_article(Article(pmid="5", pmcid="PMC77", title="Five"), Origin("test"))
    assert library.article(library.find("5")).metrics == {"icite": NEW, "europepmc": EPMC}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metrics", "words"),
    [
        ({"icite": dict(OLD, relative_citation_ratio="high")}, "'relative_citation_ratio' is not"),
        ({"icite": "17"}, "the icite metrics record has no time it was fetched"),
    ],
)
def test_a_library_with_damaged_metrics_names_the_document(
    tmp_path: Path, metrics: dict[str, object], words: str
) -> None:
    path = tmp_path / "library.json"
    content = fileformat.dump(
        {
            "_meta": {"1": {"app": "pmbrowse", "schema": 2}},
            "articles": {"1": {"pmid": "5", "metrics": metrics}},
        }
    )
    path.write_bytes(content)
    with pytest.raises(LibraryFileError, match=rf"document 1: .*{words}"):
        Library.open(path)
    assert path.read_bytes() == content


# Searching and charting by them ------------------------------------------------------------------------


def metric_library(tmp_path: Path) -> Library:
    """Five records: iCite's numbers on four (one without an RCR), Europe PMC's count on one."""
    library = Library.open(tmp_path / "lib.json", demo=False)
    rows = [
        ("1", {"relative_citation_ratio": 2.5, "is_clinical": True, "is_research_article": True}, 40),
        ("2", {"relative_citation_ratio": 1.0, "is_clinical": False, "is_research_article": True}, 5),
        ("3", {"is_research_article": False}, 0),
        ("4", {"relative_citation_ratio": 2.0, "is_clinical": True, "nih_percentile": 91.5, "apt": 0.75}, 12),
    ]
    with library.transaction() as changes:
        for pmid, fields, count in rows:
            changes.put_article(Article(pmid=pmid, title=f"Exosome study {pmid}", year=2020), Origin("test"))
            record = {"fetched": "2026-01-01T00:00:00Z", "citation_count": count, **fields}
            changes.put_metrics(Link(pmid=pmid), {"icite": record})
        changes.put_article(Article(pmid="5", title="Exosome study 5", year=2021), Origin("test"))
        changes.put_metrics(
            Link(pmid="5"), {"europepmc": {"fetched": "2026-01-01T00:00:00Z", "citation_count": 77}}
        )
    return library


@pytest.mark.parametrize(
    ("query", "pmids"),
    [
        ("rcr>2", ["1"]),
        ("rcr>=2", ["1", "4"]),
        ("RCR<2", ["2"]),
        ("rcr<=2.0", ["2", "4"]),
        ("rcr=1", ["2"]),
        ("is:clinical", ["1", "4"]),
        ("is:research", ["1", "2"]),
        ("is:research NOT is:clinical", ["2"]),
        ("has:metrics", ["1", "2", "3", "4", "5"]),
        ("exosome AND rcr>1.5", ["1", "4"]),
        ("percentile>90", ["4"]),
        ("apt>=0.75", ["4"]),
        ("cited>=40", ["1", "5"]),  # Europe PMC's count counts too
        ("cited>11.5", ["1", "4", "5"]),
        ("cited=12", ["4"]),
        ("cited=12.5", []),
    ],
)
def test_metrics_are_searchable(tmp_path: Path, query: str, pmids: list[str]) -> None:
    index = SearchIndex.for_library(metric_library(tmp_path))
    assert sorted(h.pmid or "" for h in index.search(query, limit=50).hits) == pmids


def test_hits_carry_the_rcr_and_sort_by_the_reported_count(tmp_path: Path) -> None:
    index = SearchIndex.for_library(metric_library(tmp_path))
    hits = index.search("exosome", sort="cited", limit=10).hits
    assert [(h.pmid, h.cited, h.rcr) for h in hits][:3] == [("5", 77, None), ("1", 40, 2.5), ("4", 12, 2.0)]
    assert hits[1].to_json()["rcr"] == 2.5


def test_sorting_by_rcr_puts_the_articles_without_one_after_the_rest_most_cited_first(tmp_path: Path) -> None:
    index = SearchIndex.for_library(metric_library(tmp_path))
    ranked = ["1", "4", "2", "5", "3"]  # RCR 2.5, 2.0, 1.0; then none: cited 77, 0
    result = index.search("exosome", sort="rcr", limit=10)
    assert [h.pmid for h in result.hits] == ranked and result.total == 5
    assert [h.pmid for h in index.search("", sort="rcr", limit=10).hits] == ranked
    # Pages meet where the articles without an RCR begin.
    pages = [index.search("exosome", sort="rcr", limit=2, offset=start) for start in (0, 2, 4)]
    assert [h.pmid for page in pages for h in page.hits] == ranked
    assert {page.total for page in pages} == {5}
    assert [h.pmid for h in index.search("is:clinical", sort="rcr").hits] == ["1", "4"]


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("rcr>", 1, "rcr> needs a number after it, like rcr>2"),
        ("exosome AND cited>=many", 13, "cited>= needs a number after it, like cited>=2"),
        ("rcr>nan", 1, "rcr> needs a number after it"),
        ("is:clinicals", 1, "is:clinicals is not one of"),
    ],
)
def test_a_comparison_without_a_number_is_a_syntax_error(
    tmp_path: Path, query: str, column: int, message: str
) -> None:
    index = SearchIndex.for_library(metric_library(tmp_path))
    with pytest.raises(QuerySyntaxError) as caught:
        index.search(query)
    assert caught.value.message.startswith(message) and caught.value.position == column - 1


def test_the_chart_uses_icite_per_year_when_the_library_holds_fewer_citing_articles(tmp_path: Path) -> None:
    library = Library.open(tmp_path / "lib.json", demo=False)
    citing = [Link(pmid="100", year=2021, title="A"), Link(pmid="101", year=2022, title="B")]
    with library.transaction() as changes:
        changes.put_article(Article(pmid="1", title="Seed", year=2020, cited_by=citing), Origin("test"))
    doc_id = library.find("1")
    assert doc_id is not None
    years = citation_years(GraphReader(library), doc_id)
    assert years is not None and years.per_year_source == "library" and years.icite is None
    by_year = {"2020": 1, "2021": 3, "2022": 4}
    record = {"fetched": "2026-01-01T00:00:00Z", "citation_count": 8, "citations_by_year": by_year}
    with library.transaction() as changes:
        changes.put_metrics(Link(pmid="1"), {"icite": record})
    years = citation_years(GraphReader(library), doc_id)
    assert years is not None and years.per_year_source == "icite"
    assert years.per_year.series() == [(2020, 1), (2021, 3), (2022, 4)]
    assert years.citing.total == 2 and years.reported == 8 and years.missing == 6  # the library's own, kept
    assert years.to_json()["per_year_source"] == "icite"
    # When the library holds more than iCite counts, its own records are the chart.
    few = dict(record, fetched="2026-02-01T00:00:00Z", citation_count=1, citations_by_year={"2021": 1})
    with library.transaction() as changes:
        changes.put_metrics(Link(pmid="1"), {"icite": few})
    years = citation_years(GraphReader(library), doc_id)
    assert years is not None and years.per_year_source == "library" and years.per_year.total == 2
