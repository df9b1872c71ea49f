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
